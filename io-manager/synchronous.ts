/**
 * What every I/O system service shares: the synchronous file object's lock, sending the IRP,
 * waiting when a synchronous request pends, and undoing a half-built request.
 */
import { KernelMode, UserMode, type KPROCESSOR_MODE } from "../kernel/irql.js";
import { STATUS_ALERTED, STATUS_PENDING, STATUS_SUCCESS, STATUS_USER_APC, type NTSTATUS } from "../kernel/status.js";
import type { KThread } from "../kernel/thread.js";
import type { MaybePromise } from "../kernel/objects.js";
import { FO_ALERTABLE_IO, IRP_DEALLOCATE_BUFFER, MDL_PAGES_LOCKED } from "./constants.js";
import { callDriver } from "./call-driver.js";
import { cancelIrp } from "./cancel.js";
import type { DEVICE_OBJECT } from "./device-object.js";
import type { FILE_OBJECT } from "./file-object.js";
import { freeIrp, queueIrpToThread } from "./irp-alloc.js";
import type { IRP } from "./irp.js";
import { freeIrpMdls, unlockPages } from "./mdl.js";
import { isThreadAgnostic, queueIrpToFileObject } from "./thread-agnostic.js";

/**
 * IopLockFileObject: requests on a synchronous file object run one at a time. Returns
 * STATUS_SUCCESS, or the status that interrupted the wait (the thread is being terminated).
 */
export async function lockFileObject(t: KThread, fo: FILE_OBJECT, mode: KPROCESSOR_MODE): Promise<NTSTATUS> {
  const m = t.machine;
  while (fo.Busy) {
    const st = await m.waits.waitFor([fo.lockEvent], {
      waitAll: false,
      mode,
      alertable: (fo.Flags & FO_ALERTABLE_IO) !== 0,
      timeout: null,
      reason: `waits for ${fo.label}: requests on a synchronous file are serialised`,
    });
    if (st === STATUS_USER_APC || st === STATUS_ALERTED) return st;
  }
  fo.Busy = true;
  fo.lockEvent.SignalState = 0;
  return STATUS_SUCCESS;
}

/** IopUnlockFileObject. */
export function unlockFileObject(t: KThread, fo: FILE_OBJECT): void {
  fo.Busy = false;
  if (fo.lockEvent.waitList.length > 0) t.machine.signal(fo.lockEvent);
}

/** Which rights a request needs from the handle: all of `mask`, or any one of them. */
export interface AccessNeed {
  readonly mask: number;
  readonly all: boolean;
}

/**
 * IopPerformSynchronousRequest: queues the IRP to the thread and calls the driver. On a
 * synchronous file object a pended request is waited for (on the file object's event, in the
 * caller's mode) and the service returns the final status; otherwise it returns what the
 * dispatch routine returned. A wait interrupted by termination cancels the IRP and waits for it.
 */
export function performSynchronousRequest(t: KThread, device: DEVICE_OBJECT, irp: IRP, fo: FILE_OBJECT, mode: KPROCESSOR_MODE, synchronous: boolean): MaybePromise<NTSTATUS> {
  if (!synchronous && fo.CompletionContext !== null && isThreadAgnostic(irp, fo)) queueIrpToFileObject(t.machine, irp, fo, t);
  else queueIrpToThread(irp, t);
  // Read before the call: the IRP may be completed and recycled by the time it returns.
  const id = irp.id;
  const r = callDriver(t, device, irp);
  if (r instanceof Promise) return r.then((status) => afterDispatch(t, fo, mode, synchronous, irp, `irp#${id}`, status));
  if (!synchronous) return fo.CompletionContext !== null ? portServiceStatus(r) : r;
  if (r !== STATUS_PENDING) {
    unlockFileObject(t, fo);
    return r;
  }
  // Pended but already completed here (its stage 2 ran as the APC was queued): the wait on the
  // file's event is satisfied at once, so it is taken without yielding.
  const now = t.machine.waits.satisfiedNow(t, [fo.Event], { waitAll: false, mode: mode === UserMode ? UserMode : KernelMode, alertable: (fo.Flags & FO_ALERTABLE_IO) !== 0, timeout: null, reason: "" });
  if (now !== null) {
    unlockFileObject(t, fo);
    return fo.FinalStatus;
  }
  return afterDispatch(t, fo, mode, synchronous, irp, `irp#${id}`, r);
}

async function afterDispatch(t: KThread, fo: FILE_OBJECT, mode: KPROCESSOR_MODE, synchronous: boolean, irp: IRP, label: string, dispatchStatus: NTSTATUS): Promise<NTSTATUS> {
  const m = t.machine;
  let status = dispatchStatus;
  if (synchronous) {
    if (status === STATUS_PENDING) {
      const st = await m.waits.waitFor([fo.Event], {
        waitAll: false,
        mode: mode === UserMode ? UserMode : KernelMode,
        alertable: (fo.Flags & FO_ALERTABLE_IO) !== 0,
        timeout: null,
        reason: `synchronous I/O on ${fo.label} waits for ${label} to complete`,
      });
      if (st === STATUS_USER_APC || st === STATUS_ALERTED) await abortInterruptedIrp(t, irp, fo, label);
      status = fo.FinalStatus;
    }
    unlockFileObject(t, fo);
  } else if (fo.CompletionContext !== null) {
    status = portServiceStatus(status);
  }
  return status;
}

/**
 * What a service returns for an asynchronous file bound to a completion port: a warning (say
 * STATUS_BUFFER_OVERFLOW) becomes STATUS_PENDING, because its completion will be reported by a
 * packet (IopSynchronousServiceTail).
 */
function portServiceStatus(status: NTSTATUS): NTSTATUS {
  return (status & 0xc0000000) >>> 0 === 0x80000000 ? STATUS_PENDING : status;
}

/**
 * IopAbortInterruptedIrp: the caller's wait was interrupted (it is being terminated); cancel the
 * IRP and wait, in kernel mode, until it completes.
 */
async function abortInterruptedIrp(t: KThread, irp: IRP, fo: FILE_OBJECT, label: string): Promise<void> {
  const m = t.machine;
  if (fo.Event.SignalState === 0 && irp.allocated) cancelIrp(t, irp);
  if (fo.Event.SignalState !== 0) return;
  await m.waits.waitFor([fo.Event], {
    waitAll: false,
    mode: KernelMode,
    alertable: false,
    timeout: null,
    reason: `IopAbortInterruptedIrp waits for cancelled ${label} to complete`,
  });
}

/** IopCleanupAfterException: undoes a request that failed while the service was building it. */
export function abandonIrp(t: KThread, irp: IRP): void {
  const m = t.machine;
  // Pages locked before a later step failed are unlocked again (MmUnlockPages), then the MDLs freed.
  for (let mdl = irp.mdlChain; mdl; mdl = mdl.Next) if (mdl.MdlFlags & MDL_PAGES_LOCKED) unlockPages(m, mdl, t);
  freeIrpMdls(m, irp);
  if (irp.SystemBuffer !== 0 && irp.Flags & IRP_DEALLOCATE_BUFFER) m.nonPagedPool.free(irp.SystemBuffer, null);
  irp.SystemBuffer = 0;
  irp.CurrentLocation = irp.StackCount + 1;
  freeIrp(m, irp);
}
