/**
 * The I/O manager's own MDL steps for direct I/O (no injection point: they are not driver calls).
 */
import type { KPROCESSOR_MODE } from "../kernel/irql.js";
import type { KThread } from "../kernel/thread.js";
import { ioManager } from "./io-manager.js";
import type { IRP } from "./irp.js";
import { MAXIMUM_MDL_BYTES, MDL, newPfnArray, probeAndLock } from "./mdl.js";

/** IoAllocateMdl for a request's buffer, attached to the IRP; null when it cannot be described. */
export function IoAllocateMdlFor(t: KThread, va: number, length: number, irp: IRP): MDL | null {
  const m = t.machine;
  const io = ioManager(m);
  if (length <= 0 || length > MAXIMUM_MDL_BYTES || !Number.isInteger(va) || va < 0) return null;
  if (io.injectFailure("IoAllocateMdl")) return null;
  const mdl = new MDL(io.nextId("mdl"), va >>> 0, length);
  mdl.pfns = newPfnArray(mdl.pageCount);
  io.liveMdls.add(mdl);
  irp.MdlAddress = mdl;
  if (m.trace.on) m.trace.emit("MdlAllocated", { mdl: mdl.label, va: va >>> 0, length });
  if (io.hooks.length !== 0) for (const h of io.hooks) h.mdlAllocated?.(mdl);
  return mdl;
}

/** MmProbeAndLockPages on the requester's buffer, attributed to the I/O manager. */
export function lockForIo(t: KThread, mdl: MDL, mode: KPROCESSOR_MODE, operation: number): void {
  probeAndLock(t, mdl, mode, operation, "I/O manager");
}
