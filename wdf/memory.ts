/**
 * WDFMEMORY (wdfmemory.h): a buffer and its length as a framework object — one the driver
 * allocates from pool (WdfMemoryCreate, freed with the object), one over a buffer it already has
 * (WdfMemoryCreatePreallocated), or one the framework makes over a request's buffer (its child,
 * gone when the request completes). Copies are bounds-checked as KMDF checks them.
 */
import { WdfHandleBrand } from "./handles.js";
import { DISPATCH_LEVEL } from "../kernel/irql.js";
import { NtStatusError } from "../kernel/nt-status-error.js";
import { STATUS_INSUFFICIENT_RESOURCES, STATUS_INVALID_BUFFER_SIZE, STATUS_INVALID_HANDLE, STATUS_INVALID_PARAMETER, STATUS_SUCCESS, type NTSTATUS } from "../kernel/status.js";
import type { KThread } from "../kernel/thread.js";
import { fxEnter, fxIrqlOk, fxMachine } from "./globals.js";
import type { WDFMEMORY } from "./handles.js";
import { FxObject, defaultParent, fxObject, fxParent, fxRequired, type WDF_OBJECT_ATTRIBUTES } from "./object.js";
import type { FxDriverGlobals } from "./globals.js";
import { MmGetSystemAddressForMdlSafe } from "../io-manager/mdl.js";
import { NormalPagePriority } from "../io-manager/constants.js";
import type { MDL } from "../io-manager/mdl.js";

/** POOL_TYPE values WdfMemoryCreate takes: NonPagedPool, memory that is always resident (usable at DISPATCH_LEVEL). */
export const NonPagedPool = 0;
/** PagedPool: memory that may be paged out, touched only at APC_LEVEL or below. */
export const PagedPool = 1;
/** NonPagedPoolNx: nonpaged pool that is not executable, what new drivers ask for in place of NonPagedPool. */
export const NonPagedPoolNx = 512;

/** A framework memory object. */
export class FxMemory extends FxObject {
  declare readonly [WdfHandleBrand]: "WDFMEMORY";
  /** The pool block to free with the object (0: the buffer belongs to someone else). */
  private owned = 0;
  private paged = false;

  constructor(
    g: FxDriverGlobals,
    parent: FxObject | null,
    /** The buffer's virtual address. */
    public buffer: number,
    /** Its length in bytes. */
    public length: number,
  ) {
    super(g, "WDFMEMORY", parent);
  }

  /** Makes the object own a pool block (freed when it is destroyed). */
  own(address: number, paged: boolean): void {
    this.owned = address;
    this.paged = paged;
  }

  protected override onDestroyed(): void {
    if (this.owned !== 0) {
      const m = this.machine;
      (this.paged ? m.pagedPool : m.nonPagedPool).free(this.owned, null);
      this.owned = 0;
    }
  }
}

/** Looks a WDFMEMORY up. */
export function fxMemory(t: KThread, h: unknown, api: string): FxMemory | null {
  return fxObject(t, h, FxMemory, "WDFMEMORY", api);
}

/** WDFMEMORY_OFFSET: a range within a memory object. */
export interface WDFMEMORY_OFFSET {
  /** BufferOffset: where the range starts, in bytes from the start of the object's buffer. */
  BufferOffset: number;
  /** BufferLength: the range's length in bytes; offset plus length must stay inside the buffer. */
  BufferLength: number;
}

/** WDF_MEMORY_DESCRIPTOR types (for I/O target sends). */
export const WDF_MEMORY_DESCRIPTOR_TYPE = { WdfMemoryDescriptorTypeInvalid: 0, WdfMemoryDescriptorTypeBuffer: 1, WdfMemoryDescriptorTypeMdl: 2, WdfMemoryDescriptorTypeHandle: 3 } as const;

/**
 * WDF_MEMORY_DESCRIPTOR: a buffer given to a send routine — a buffer and its length, an MDL, or a
 * WDFMEMORY with an optional range — as wdf.h lays it out (Type and the union `u`).
 */
export class WDF_MEMORY_DESCRIPTOR {
  /** Type: which member of `u` is valid (a WDF_MEMORY_DESCRIPTOR_TYPE value), set by the INIT functions. */
  Type: number = WDF_MEMORY_DESCRIPTOR_TYPE.WdfMemoryDescriptorTypeInvalid;
  /** u: the buffer, in the form Type names. */
  readonly u = {
    /** BufferType: a buffer in system space (WDF_MEMORY_DESCRIPTOR_INIT_BUFFER). */
    BufferType: {
      /** Buffer: the buffer's address. */
      Buffer: 0,
      /** Length: its length in bytes. */
      Length: 0,
    },
    /** MdlType: a buffer described by an MDL (WDF_MEMORY_DESCRIPTOR_INIT_MDL). */
    MdlType: {
      /** Mdl: the MDL (or the first of a chain). */
      Mdl: null as MDL | null,
      /** BufferLength: how many bytes of it to use. */
      BufferLength: 0,
    },
    /** HandleType: a framework memory object (WDF_MEMORY_DESCRIPTOR_INIT_HANDLE). */
    HandleType: {
      /** Memory: the memory object. */
      Memory: null as WDFMEMORY | null,
      /** Offsets: the range of it to use, or null for the whole buffer. */
      Offsets: null as WDFMEMORY_OFFSET | null,
    },
  };
}

/** WDF_MEMORY_DESCRIPTOR_INIT_BUFFER: the descriptor names `BufferLength` bytes at `Buffer`. */
export function WDF_MEMORY_DESCRIPTOR_INIT_BUFFER(Descriptor: WDF_MEMORY_DESCRIPTOR, Buffer: number, BufferLength: number): void {
  Descriptor.Type = WDF_MEMORY_DESCRIPTOR_TYPE.WdfMemoryDescriptorTypeBuffer;
  Descriptor.u.BufferType.Buffer = Buffer;
  Descriptor.u.BufferType.Length = BufferLength;
}

/** WDF_MEMORY_DESCRIPTOR_INIT_MDL: the descriptor names the first `BufferLength` bytes an MDL describes. */
export function WDF_MEMORY_DESCRIPTOR_INIT_MDL(Descriptor: WDF_MEMORY_DESCRIPTOR, Mdl: MDL, BufferLength: number): void {
  Descriptor.Type = WDF_MEMORY_DESCRIPTOR_TYPE.WdfMemoryDescriptorTypeMdl;
  Descriptor.u.MdlType.Mdl = Mdl;
  Descriptor.u.MdlType.BufferLength = BufferLength;
}

/** WDF_MEMORY_DESCRIPTOR_INIT_HANDLE: the descriptor names a WDFMEMORY (all of it, or `Offsets`' range). */
export function WDF_MEMORY_DESCRIPTOR_INIT_HANDLE(Descriptor: WDF_MEMORY_DESCRIPTOR, Memory: WDFMEMORY, Offsets: WDFMEMORY_OFFSET | null): void {
  Descriptor.Type = WDF_MEMORY_DESCRIPTOR_TYPE.WdfMemoryDescriptorTypeHandle;
  Descriptor.u.HandleType.Memory = Memory;
  Descriptor.u.HandleType.Offsets = Offsets;
}

/** A descriptor over a memory object (the Format* routines' WDFMEMORY parameters). */
export function handleDescriptor(Memory: WDFMEMORY | null, Offsets: WDFMEMORY_OFFSET | null): WDF_MEMORY_DESCRIPTOR | null {
  if (Memory === null) return null;
  const d = new WDF_MEMORY_DESCRIPTOR();
  WDF_MEMORY_DESCRIPTOR_INIT_HANDLE(d, Memory, Offsets);
  return d;
}

/**
 * WdfMemoryCreate: `BufferSize` bytes from `PoolType` (NonPagedPool or PagedPool), owned by the
 * object (its parent: the attributes' ParentObject, else the driver). Paged pool may be asked
 * for at APC_LEVEL or below, nonpaged at DISPATCH_LEVEL or below.
 *
 * @returns STATUS_SUCCESS with the object and buffer address; STATUS_INSUFFICIENT_RESOURCES;
 * STATUS_INVALID_PARAMETER for a zero size or the wrong IRQL.
 */
export function WdfMemoryCreate(Attributes: WDF_OBJECT_ATTRIBUTES | null, PoolType: number, PoolTag: number, BufferSize: number): { /** STATUS_SUCCESS, or why not (see above). */ status: NTSTATUS; /** The new memory object (null on failure); deleting it (or its parent) frees the buffer. */ Memory: WDFMEMORY | null; /** The buffer's address, zero-filled (0 on failure). */ Buffer: number } {
  const t = fxEnter("WdfMemoryCreate");
  const m = t.machine;
  const g = fxMachine(m).currentGlobals();
  const fail = (status: NTSTATUS) => ({ status, Memory: null, Buffer: 0 });
  if (!g) return fail(STATUS_INVALID_PARAMETER);
  // POOL_TYPE and ULONG are passed by value: anything else is no value a C caller has.
  if (typeof PoolType !== "number" || typeof PoolTag !== "number") return fail(STATUS_INVALID_PARAMETER);
  const paged = (PoolType & 1) === 1;
  if (!fxIrqlOk(t, g, "WdfMemoryCreate", paged ? 1 : DISPATCH_LEVEL)) return fail(STATUS_INVALID_PARAMETER);
  if (!Number.isInteger(BufferSize) || BufferSize <= 0) return fail(STATUS_INVALID_PARAMETER);
  const parent = Attributes?.ParentObject ? fxParent(t, Attributes.ParentObject, "WdfMemoryCreate") : defaultParent(g);
  if (Attributes?.ParentObject && !parent) return fail(STATUS_INVALID_HANDLE);
  if (m.allocationFailure?.("WdfMemoryCreate") || m.io?.injectFailure("ExAllocatePoolWithTag")) return fail(STATUS_INSUFFICIENT_RESOURCES);
  const pool = paged ? m.pagedPool : m.nonPagedPool;
  let va: number;
  try {
    va = pool.allocate(BufferSize, PoolTag >>> 0, 8, null);
  } catch (e) {
    if (e instanceof NtStatusError) return fail(STATUS_INSUFFICIENT_RESOURCES);
    throw e;
  }
  if (va === 0) return fail(STATUS_INSUFFICIENT_RESOURCES);
  m.mmu.fill(va, BufferSize, 0);
  const mem = new FxMemory(g, parent, va, BufferSize);
  mem.own(va, paged);
  mem.applyAttributes(Attributes);
  mem.traceCreated();
  return { status: STATUS_SUCCESS, Memory: mem, Buffer: va };
}

/**
 * WdfMemoryCreatePreallocated: a memory object over a buffer the driver already has (the object
 * does not free it).
 *
 * @returns STATUS_SUCCESS; STATUS_INVALID_PARAMETER for a NULL buffer, a zero size or the wrong
 * IRQL; STATUS_INVALID_HANDLE for a parent that is no framework object.
 */
export function WdfMemoryCreatePreallocated(Attributes: WDF_OBJECT_ATTRIBUTES | null, Buffer: number, BufferSize: number): { /** STATUS_SUCCESS, or why not (see above). */ status: NTSTATUS; /** The new memory object (null on failure). */ Memory: WDFMEMORY | null } {
  const t = fxEnter("WdfMemoryCreatePreallocated");
  const m = t.machine;
  const g = fxMachine(m).currentGlobals();
  if (!g) return { status: STATUS_INVALID_PARAMETER, Memory: null };
  if (!fxIrqlOk(t, g, "WdfMemoryCreatePreallocated", DISPATCH_LEVEL)) return { status: STATUS_INVALID_PARAMETER, Memory: null };
  if (!fxRequired(t, g, Buffer === 0 ? null : Buffer, "WdfMemoryCreatePreallocated", "Buffer")) return { status: STATUS_INVALID_PARAMETER, Memory: null };
  if (!Number.isInteger(BufferSize) || BufferSize <= 0) return { status: STATUS_INVALID_PARAMETER, Memory: null };
  const parent = Attributes?.ParentObject ? fxParent(t, Attributes.ParentObject, "WdfMemoryCreatePreallocated") : defaultParent(g);
  if (Attributes?.ParentObject && !parent) return { status: STATUS_INVALID_HANDLE, Memory: null };
  const mem = new FxMemory(g, parent, Buffer, BufferSize);
  mem.applyAttributes(Attributes);
  mem.traceCreated();
  return { status: STATUS_SUCCESS, Memory: mem };
}

/** WdfMemoryGetBuffer: the buffer's address and its size. */
export function WdfMemoryGetBuffer(Memory: WDFMEMORY): { /** The buffer's address. */ Buffer: number; /** Its size in bytes. */ BufferSize: number } {
  const t = fxEnter("WdfMemoryGetBuffer");
  const mem = fxMemory(t, Memory, "WdfMemoryGetBuffer");
  if (!mem) return { Buffer: 0, BufferSize: 0 };
  return { Buffer: mem.buffer, BufferSize: mem.length };
}

/**
 * WdfMemoryCopyToBuffer: copies `NumBytesToCopyTo` bytes from the object, starting at
 * `SourceOffset`, to `Buffer`.
 *
 * @returns STATUS_SUCCESS, or STATUS_INVALID_BUFFER_SIZE when the range passes the object's end.
 */
export function WdfMemoryCopyToBuffer(SourceMemory: WDFMEMORY, SourceOffset: number, Buffer: number, NumBytesToCopyTo: number): NTSTATUS {
  const t = fxEnter("WdfMemoryCopyToBuffer");
  const mem = fxMemory(t, SourceMemory, "WdfMemoryCopyToBuffer");
  if (!mem) return STATUS_INVALID_HANDLE;
  if (!fxRequired(t, mem.globals, Buffer === 0 ? null : Buffer, "WdfMemoryCopyToBuffer", "Buffer")) return STATUS_INVALID_PARAMETER;
  if (!rangeOk(SourceOffset, NumBytesToCopyTo, mem.length)) return STATUS_INVALID_BUFFER_SIZE;
  if (NumBytesToCopyTo === 0) return STATUS_SUCCESS;
  return copy(t, Buffer, mem.buffer + SourceOffset, NumBytesToCopyTo);
}

/**
 * WdfMemoryCopyFromBuffer: copies `NumBytesToCopyFrom` bytes from `Buffer` into the object at
 * `DestinationOffset`.
 *
 * @returns STATUS_SUCCESS, or STATUS_INVALID_BUFFER_SIZE when the range passes the object's end.
 */
export function WdfMemoryCopyFromBuffer(DestinationMemory: WDFMEMORY, DestinationOffset: number, Buffer: number, NumBytesToCopyFrom: number): NTSTATUS {
  const t = fxEnter("WdfMemoryCopyFromBuffer");
  const mem = fxMemory(t, DestinationMemory, "WdfMemoryCopyFromBuffer");
  if (!mem) return STATUS_INVALID_HANDLE;
  if (!fxRequired(t, mem.globals, Buffer === 0 ? null : Buffer, "WdfMemoryCopyFromBuffer", "Buffer")) return STATUS_INVALID_PARAMETER;
  if (!rangeOk(DestinationOffset, NumBytesToCopyFrom, mem.length)) return STATUS_INVALID_BUFFER_SIZE;
  if (NumBytesToCopyFrom === 0) return STATUS_SUCCESS;
  return copy(t, mem.buffer + DestinationOffset, Buffer, NumBytesToCopyFrom);
}

function rangeOk(offset: number, count: number, length: number): boolean {
  return Number.isInteger(offset) && Number.isInteger(count) && offset >= 0 && count >= 0 && offset + count <= length;
}

/**
 * RtlCopyMemory between two addresses in the current context: a fault is the exception it is
 * (the driver's __try decides), as KMDF's copy does not catch it.
 */
function copy(t: KThread, to: number, from: number, n: number): NTSTATUS {
  t.machine.mmu.copy(to, from, n);
  return STATUS_SUCCESS;
}

/** The buffer and length a memory descriptor names (null when it is bad). */
export function descriptorRange(t: KThread, d: WDF_MEMORY_DESCRIPTOR | null, api: string): { va: number; length: number } | null {
  if (d === null) return { va: 0, length: 0 };
  switch (d.Type) {
    case WDF_MEMORY_DESCRIPTOR_TYPE.WdfMemoryDescriptorTypeBuffer: {
      const b = d.u.BufferType;
      if (!Number.isInteger(b.Length) || b.Length < 0 || (b.Length > 0 && b.Buffer === 0)) return null;
      return { va: b.Buffer, length: b.Length };
    }
    case WDF_MEMORY_DESCRIPTOR_TYPE.WdfMemoryDescriptorTypeMdl: {
      // The MDL's pages through a system mapping (the framework's send routines do the same).
      const { Mdl, BufferLength } = d.u.MdlType;
      if (!Mdl || !Number.isInteger(BufferLength) || BufferLength < 0 || BufferLength > Mdl.ByteCount) return null;
      const va = MmGetSystemAddressForMdlSafe(Mdl, NormalPagePriority);
      return va === 0 ? null : { va, length: BufferLength };
    }
    case WDF_MEMORY_DESCRIPTOR_TYPE.WdfMemoryDescriptorTypeHandle: {
      const h = d.u.HandleType;
      const mem = fxMemory(t, h.Memory, api);
      if (!mem) return null;
      const off = h.Offsets?.BufferOffset ?? 0;
      const len = h.Offsets ? h.Offsets.BufferLength : mem.length - off;
      if (!rangeOk(off, len, mem.length)) return null;
      return { va: mem.buffer + off, length: len };
    }
    default:
      return null;
  }
}
