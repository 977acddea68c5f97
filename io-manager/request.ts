/**
 * The first steps every I/O system service takes: probe the IO_STATUS_BLOCK, reference the file
 * and the event, lock a synchronous file, allocate the IRP and fill its common fields.
 */
import { handleTableOf } from "../kernel/api-ps-ob.js";
import { KernelMode, UserMode, type KPROCESSOR_MODE } from "../kernel/irql.js";
import { MM_USER_PROBE_ADDRESS } from "../kernel/memory-constants.js";
import { NtStatusError } from "../kernel/nt-status-error.js";
import type { KernelObject, MaybePromise } from "../kernel/objects.js";
import { EventObject, EVENT_MODIFY_STATE } from "../kernel/sync-objects.js";
import {
  STATUS_ACCESS_DENIED,
  STATUS_ACCESS_VIOLATION,
  STATUS_DATATYPE_MISALIGNMENT,
  STATUS_INSUFFICIENT_RESOURCES,
  STATUS_INVALID_HANDLE,
  STATUS_INVALID_PARAMETER,
  STATUS_SUCCESS,
  type NTSTATUS,
} from "../kernel/status.js";
import type { KThread } from "../kernel/thread.js";
import { FO_SYNCHRONOUS_IO } from "./constants.js";
import { IoGetRelatedDeviceObject } from "./call-driver.js";
import type { DEVICE_OBJECT } from "./device-object.js";
import { FILE_OBJECT } from "./file-object.js";
import { allocateIrp } from "./irp-alloc.js";
import type { IRP, UserIosb } from "./irp.js";
import { lockFileObject, type AccessNeed } from "./synchronous.js";
import { ioManager } from "./io-manager.js";

/** The parameters every I/O service takes first. */
export interface RequestHead {
  readonly fileHandle: number;
  /** An event handle (0 for none). */
  readonly event: number;
  readonly apcRoutine: ((...args: unknown[]) => unknown) | null;
  readonly apcContext: unknown;
  /** The caller's IO_STATUS_BLOCK: a user address, or a kernel block for kernel callers. */
  readonly ioStatusBlock: UserIosb;
}

/** A request being built. */
export interface StartedRequest {
  readonly fo: FILE_OBJECT;
  readonly device: DEVICE_OBJECT;
  readonly irp: IRP;
  readonly synchronous: boolean;
  readonly mode: KPROCESSOR_MODE;
}

/** ProbeForWriteIoStatusBlock: eight writable bytes, 4-aligned, in user space. */
export function probeIoStatusBlock(t: KThread, iosb: UserIosb): void {
  if (typeof iosb !== "number") return;
  if (iosb % 4 !== 0) throw new NtStatusError(STATUS_DATATYPE_MISALIGNMENT, undefined, { address: iosb });
  if (iosb === 0 || iosb + 8 > MM_USER_PROBE_ADDRESS) throw new NtStatusError(STATUS_ACCESS_VIOLATION, undefined, { address: iosb, write: true });
  const mmu = t.machine.mmu;
  mmu.writeU32(iosb, mmu.readU32(iosb));
}

/** ProbeForRead / ProbeForWrite of a user buffer (length 0 checks nothing). */
export function probeUserBuffer(t: KThread, address: number, length: number, write: boolean): void {
  if (length === 0) return;
  if (!Number.isInteger(address) || !Number.isInteger(length) || length < 0 || address < 0 || address + length > MM_USER_PROBE_ADDRESS) {
    throw new NtStatusError(STATUS_ACCESS_VIOLATION, undefined, { address: Number.isInteger(address) ? Math.min(address, MM_USER_PROBE_ADDRESS) : 0, write });
  }
  if (write) {
    const mmu = t.machine.mmu;
    for (let p = address - (address % 4096); p < address + length; p += 4096) {
      const at = Math.max(p, address);
      mmu.writeU8(at, mmu.readU8(at));
    }
  }
}

/**
 * References a handle a system service was given, in the table it resolves in ({@link handleTableOf}:
 * a kernel handle only for a kernel-mode caller, a Zw call).
 */
function referenceHandle(t: KThread, handle: number, type: string | null, access: number, mode: KPROCESSOR_MODE) {
  const where = handleTableOf(t, handle, mode);
  if (!where) return { status: STATUS_INVALID_HANDLE, object: null };
  return t.machine.ob.referenceByHandle(where.process, where.value, type, access, mode);
}

/**
 * References the file (and the event, reset here), locks a synchronous file, and allocates the
 * IRP with the common fields set. On failure everything taken is released and the status
 * returned. `requiredAccess` is what the handle must grant (checked for user-mode callers).
 */
export function startRequest(t: KThread, head: RequestHead, need: AccessNeed): MaybePromise<StartedRequest | NTSTATUS> {
  const m = t.machine;
  const mode = t.previousMode;
  const r = referenceHandle(t, head.fileHandle, null, 0, mode);
  if (!r.object) return r.status;
  const fo = r.object;
  if (!(fo instanceof FILE_OBJECT)) {
    m.ob.dereference(fo);
    return 0xc0000024;
  }
  if (fo.CompletionContext && head.apcRoutine) {
    m.ob.dereference(fo);
    return STATUS_INVALID_PARAMETER;
  }
  if (mode !== KernelMode && need.mask !== 0) {
    const held = r.grantedAccess & need.mask;
    if (need.all ? held !== need.mask : held === 0) {
      m.ob.dereference(fo);
      return STATUS_ACCESS_DENIED;
    }
  }
  let eventObject: EventObject | null = null;
  if (head.event !== 0) {
    const e = referenceHandle(t, head.event, "Event", EVENT_MODIFY_STATE, mode);
    if (!e.object || !(e.object instanceof EventObject)) {
      m.ob.dereference(fo);
      if (e.object) m.ob.dereference(e.object);
      return e.status === STATUS_SUCCESS ? 0xc0000024 : e.status;
    }
    eventObject = e.object;
    eventObject.event.SignalState = 0;
  }
  const synchronous = (fo.Flags & FO_SYNCHRONOUS_IO) !== 0;
  if (synchronous) {
    if (fo.Busy) {
      // Another request holds the synchronous file: wait for it, then carry on.
      const ev = eventObject;
      return lockFileObject(t, fo, mode === UserMode ? UserMode : KernelMode).then((st) => {
        if (st !== STATUS_SUCCESS) {
          if (ev) m.ob.dereference(ev);
          m.ob.dereference(fo);
          return st;
        }
        return finishStart(t, head, fo, ev, synchronous, mode);
      });
    }
    fo.Busy = true;
  }
  return finishStart(t, head, fo, eventObject, synchronous, mode);
}

function finishStart(t: KThread, head: RequestHead, fo: FILE_OBJECT, eventObject: EventObject | null, synchronous: boolean, mode: KPROCESSOR_MODE): StartedRequest | NTSTATUS {
  const m = t.machine;
  const device = IoGetRelatedDeviceObject(fo);
  fo.Event.SignalState = 0;
  const irp = allocateIrp(m, device.StackSize, "service");
  if (!irp) {
    if (synchronous) fo.Busy = false;
    if (eventObject) m.ob.dereference(eventObject);
    m.ob.dereference(fo);
    return STATUS_INSUFFICIENT_RESOURCES;
  }
  irp.UserIosb = head.ioStatusBlock;
  irp.UserEvent = eventObject ? eventObject.event : null;
  irp.userEventObject = eventObject;
  irp.UserApcRoutine = head.apcRoutine;
  irp.UserApcContext = head.apcContext;
  irp.RequestorMode = mode;
  irp.OriginalFileObject = fo;
  irp.Thread = t;
  return { fo, device, irp, synchronous, mode };
}

/** Undoes startRequest after a later step failed (the IRP is freed by the caller first). */
export function releaseRequest(t: KThread, s: StartedRequest, eventObject: KernelObject | null): void {
  const m = t.machine;
  if (s.synchronous) {
    s.fo.Busy = false;
    if (s.fo.lockEvent.waitList.length > 0) m.signal(s.fo.lockEvent);
  }
  if (eventObject) m.ob.dereference(eventObject);
  m.ob.dereference(s.fo);
}

/** Allocates a SystemBuffer of `length` bytes from nonpaged pool (0 when it fails). */
export function allocateSystemBuffer(t: KThread, length: number): number {
  const m = t.machine;
  if (ioManager(m).injectFailure("ExAllocatePoolWithTag")) return 0;
  return m.nonPagedPool.allocate(length, 0x20707249, 4, null, true);
}
