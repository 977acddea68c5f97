/**
 * Cancelling a thread's or a process's requests: NtCancelIoFile (CancelIo), NtCancelIoFileEx
 * (CancelIoEx), NtCancelSynchronousIoFile (CancelSynchronousIo), and IoCancelThreadIo, the
 * thread-exit rundown.
 */
import { APC_LEVEL, KernelMode, PASSIVE_LEVEL } from "../kernel/irql.js";
import { KEVENT, NotificationEvent } from "../kernel/dispatcher.js";
import { IsListEmpty } from "../kernel/list-entry.js";
import { STATUS_NOT_FOUND, STATUS_SUCCESS, type NTSTATUS } from "../kernel/status.js";
import type { KThread } from "../kernel/thread.js";
import type { Machine } from "../kernel/machine.js";
import { cancelIrp } from "./cancel.js";
import { FO_SYNCHRONOUS_IO } from "./constants.js";
import type { FILE_OBJECT } from "./file-object.js";
import type { IRP } from "./irp.js";
import { fileObjectIrps } from "./thread-agnostic.js";

/** NT waits this long between checks while a thread's cancelled IRPs finish (100 ms). */
export const CANCEL_POLL_MS = 100;
/** ... and gives up after this many checks (3000 x 100 ms: five minutes). */
export const CANCEL_RETRIES = 3000;

/** Sleeps the current thread in kernel mode (KeDelayExecutionThread, non-alertable). */
async function delay(m: Machine, ms: number, reason: string): Promise<void> {
  await m.waits.waitFor([new KEVENT(NotificationEvent, false, "KeDelayExecutionThread")], { waitAll: false, mode: KernelMode, alertable: false, timeout: ms * 10_000, reason });
}

/** The IRPs on a thread's list (a snapshot: cancelling changes the list). */
export function threadIrps(t: KThread): IRP[] {
  const out: IRP[] = [];
  const head = t.IrpList;
  for (let e = head.Flink; e !== head; e = e.Flink) out.push(e.container as IRP);
  return out;
}

/** Cancels `irps` at APC_LEVEL, so their completions run only when the loop is done (as NT does). */
function cancelAll(t: KThread, irps: readonly IRP[]): number {
  const m = t.machine;
  const old = t.irql;
  if (old < APC_LEVEL) m.interrupts.raise(t, APC_LEVEL);
  let n = 0;
  for (const irp of irps) {
    if (!irp.allocated || irp.ThreadListEntry.Flink === irp.ThreadListEntry) continue;
    cancelIrp(t, irp);
    n++;
  }
  // A cancel routine that forgot to release the cancel lock leaves the IRQL raised; NT lowers anyway.
  if (t.irql > old) m.interrupts.lower(t, old);
  return n;
}

/**
 * IoCancelThreadIo's loop: walks the thread's IrpList in place at APC_LEVEL, cancelling each IRP,
 * as NT does — at APC_LEVEL no completion can take an IRP off the list under the walk. A cancel
 * routine that wrongly lowers the IRQL lets completions run; when the next IRP has gone from the
 * list the walk starts again from the head, past the IRPs already cancelled.
 */
function cancelThreadList(t: KThread): void {
  const m = t.machine;
  const old = t.irql;
  if (old < APC_LEVEL) m.interrupts.raise(t, APC_LEVEL);
  const head = t.IrpList;
  let restarted = false;
  let e = head.Flink;
  while (e !== head) {
    const irp = e.container as IRP;
    const next = e.Flink;
    // Every IRP on the list is cancelled, marked already or not (NT calls IoCancelIrp on each).
    if (irp.allocated && !(restarted && irp.cancelRequested)) cancelIrp(t, irp);
    if (next.Flink === next && next !== head) {
      // The next entry was taken off the list (it points at itself): start again from the head.
      restarted = true;
      e = head.Flink;
    } else e = next;
  }
  if (t.irql > old) m.interrupts.lower(t, old);
}

/**
 * NtCancelIoFile (CancelIo): cancels the calling thread's requests on the file and waits until
 * they have completed. Always succeeds, whether or not anything matched.
 */
export async function NtCancelIoFile(t: KThread, fo: FILE_OBJECT): Promise<NTSTATUS> {
  const m = t.machine;
  // The thread's own requests on the file, thread-agnostic ones (kept on the file) included.
  const mine = () => {
    const own = threadIrps(t).filter((i) => i.OriginalFileObject === fo);
    return fo.IrpList.Flink === fo.IrpList ? own : own.concat(fileObjectIrps(fo).filter((i) => i.Thread === t));
  };
  const first = mine();
  if (first.length === 0) return STATUS_SUCCESS;
  cancelAll(t, first);
  while (mine().length > 0) await delay(m, 10, `CancelIo waits for the cancelled requests on ${fo.label}`);
  return STATUS_SUCCESS;
}

/**
 * NtCancelIoFileEx (CancelIoEx): cancels requests on the file from any thread of the calling
 * process — the one whose IO_STATUS_BLOCK (OVERLAPPED) is `request`, or all when it is 0.
 * Does not wait. STATUS_NOT_FOUND when nothing matched.
 */
export function NtCancelIoFileEx(t: KThread, fo: FILE_OBJECT, request: number): NTSTATUS {
  const matches: IRP[] = [];
  const consider = (irp: IRP): void => {
    if (irp.OriginalFileObject !== fo) return;
    if (request !== 0 && irp.UserIosb !== request) return;
    if (irp.completed) return;
    matches.push(irp);
  };
  for (const th of t.process.threads) for (const irp of threadIrps(th)) consider(irp);
  // Thread-agnostic requests of this process live on the file object.
  for (const irp of fileObjectIrps(fo)) if (irp.requestorProcess === t.process) consider(irp);
  if (matches.length === 0) return STATUS_NOT_FOUND;
  cancelAll(t, matches);
  return STATUS_SUCCESS;
}

/** NtCancelSynchronousIoFile (CancelSynchronousIo): cancels the target thread's pending synchronous request. */
export function NtCancelSynchronousIoFile(t: KThread, target: KThread): NTSTATUS {
  const matches = threadIrps(target).filter((i) => !i.completed && i.OriginalFileObject !== null && ((i.OriginalFileObject.Flags & FO_SYNCHRONOUS_IO) !== 0));
  if (matches.length === 0) return STATUS_NOT_FOUND;
  cancelAll(t, matches);
  return STATUS_SUCCESS;
}

/**
 * IoCancelThreadIo: an exiting thread cancels every IRP it issued and waits for them, checking
 * every 100 ms. An IRP still there after five minutes of virtual time is reported (NT logs
 * IO_DRIVER_CANCEL_TIMEOUT) and the thread cannot finish exiting: its process stays a zombie
 * with its pages still locked. Returns whether the thread may exit.
 */
export async function cancelThreadIo(t: KThread): Promise<boolean> {
  const m = t.machine;
  if (IsListEmpty(t.IrpList)) return true;
  cancelThreadList(t);
  if (t.irql !== PASSIVE_LEVEL) m.interrupts.lower(t, PASSIVE_LEVEL);
  for (let tries = 0; !IsListEmpty(t.IrpList); tries++) {
    if (tries >= CANCEL_RETRIES) {
      for (const irp of threadIrps(t)) {
        m.addFinding({
          rule: "IO_DRIVER_CANCEL_TIMEOUT",
          code: "0x80040036",
          driver: irp.pendedBy ?? irp.dispatchedDriver,
          message:
            `${irp.label}, issued by ${t.label}, was cancelled but never completed: ${irp.pendedBy ?? irp.dispatchedDriver ?? "its driver"} pended it in ${irp.dispatchedTo ?? "its dispatch routine"}` +
            (irp.cancelRoutineRan ? " and its cancel routine did not complete it." : " without a cancel routine, so cancelling it did nothing.") +
            ` After NT's five-minute wait ${t.process.name} cannot finish exiting and its locked pages stay locked.` +
            " Set a cancel routine on every IRP you pend (IoSetCancelRoutine, then check Irp->Cancel), or keep pended IRPs in a cancel-safe queue.",
          source: null,
        });
      }
      return false;
    }
    await delay(m, CANCEL_POLL_MS, `${t.label} is exiting and waits for its cancelled IRPs (${threadIrps(t).map((i) => i.label).join(", ")})`);
  }
  return true;
}
