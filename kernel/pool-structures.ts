/**
 * Structures the memory manager allocates from pool for a driver and that the driver frees with
 * ExFreePool, though they are objects here rather than pool addresses: the MDL
 * MmAllocatePagesForMdl returns is the one (the WDK says to free it with ExFreePool after
 * MmFreePagesFromMdl). The layer that makes such a structure registers how it is freed.
 * @internal emulator plumbing between the I/O manager's MDLs and ExFreePool; not a WDK name.
 */
import type { KThread } from "./thread.js";

/** How ExFreePool(WithTag) frees a structure given as an object: keyed by the object, weakly. */
export const poolStructures = new WeakMap<object, (t: KThread) => void>();
