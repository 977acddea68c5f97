/**
 * Thread-agnostic I/O (Windows Vista and later): an asynchronous request on a file bound to an I/O
 * completion port — one that will be reported by a completion packet, with no user event and no
 * APC routine — is queued to the file object instead of the issuing thread. The thread may exit
 * while the request is pending; IoCancelThreadIo does not see it. The request is cancelled when
 * the process's last handle to the file closes (IopCloseFile's IopCleanupProcessResources), and
 * that close waits for it, with no time limit, as Windows does: a driver that never completes it
 * leaves the process unable to exit.
 *
 * When such a request completes after pending (or succeeds inside dispatch), its IRP goes to the
 * port with the second completion stage still to run; the thread that removes the packet runs it
 * (see completion-port.ts).
 */
import { DispatcherHeader, DispatcherType } from "../kernel/dispatcher.js";
import { APC_LEVEL, KernelMode, PASSIVE_LEVEL } from "../kernel/irql.js";
import { InsertHeadList, RemoveEntryList, listEntries } from "../kernel/list-entry.js";
import type { Machine } from "../kernel/machine.js";
import type { KProcess } from "../kernel/process.js";
import { NT_ERROR, NT_SUCCESS } from "../kernel/status.js";
import type { KThread } from "../kernel/thread.js";
import { cancelIrp } from "./cancel.js";
import { queueIrpToPort } from "./completion-port.js";
import { FO_SKIP_COMPLETION_PORT } from "./constants.js";
import type { FILE_OBJECT } from "./file-object.js";
import type { IRP } from "./irp.js";

/** How long a close waits before the emulator reports the requests that never complete (NT waits forever). */
export const THREAD_AGNOSTIC_REPORT_MS = 300_000;

/**
 * Whether a request is thread-agnostic (IopSynchronousServiceTail's test): an asynchronous file
 * bound to a port, a completion context (the OVERLAPPED) to report, no user event, no APC routine,
 * and the file's list not closed to new requests.
 */
export function isThreadAgnostic(irp: IRP, fo: FILE_OBJECT): boolean {
  return (
    fo.CompletionContext !== null &&
    !fo.irpListRundown &&
    irp.UserEvent === null &&
    irp.Overlay.AsynchronousParameters.UserApcRoutine === null &&
    irp.Overlay.AsynchronousParameters.UserApcContext !== null
  );
}

/** IopQueueIrpToFileObject: the IRP is the file object's (and its process's) until it completes. */
export function queueIrpToFileObject(m: Machine, irp: IRP, fo: FILE_OBJECT, t: KThread): void {
  irp.Tail.Overlay.Thread = t;
  irp.requestorProcess = t.process;
  InsertHeadList(fo.IrpList, irp.ThreadListEntry);
  if (m.trace.on) m.trace.emit("IrpQueuedToFile", { irp: irp.label, file: fo.label });
}

/** The thread-agnostic requests still pending on a file (a snapshot). */
export function fileObjectIrps(fo: FILE_OBJECT): IRP[] {
  return [...listEntries(fo.IrpList)] as IRP[];
}

/**
 * IopCompleteIrpInFileObjectList: stage 1 of a thread-agnostic IRP. A request that failed inside
 * dispatch, or succeeded inside dispatch on a file with FILE_SKIP_COMPLETION_PORT_ON_SUCCESS,
 * takes the ordinary path (an APC to the issuing thread, which is still in the service); any
 * other goes to the port with its second stage deferred. Returns whether it went to the port.
 */
export function completeIrpInFileObjectList(m: Machine, irp: IRP): boolean {
  const fo = irp.Tail.Overlay.OriginalFileObject;
  const context = fo?.CompletionContext ?? null;
  if (!fo || !context) return false;
  const status = irp.IoStatus.Status;
  if (!irp.PendingReturned && (NT_ERROR(status) || ((fo.Flags & FO_SKIP_COMPLETION_PORT) !== 0 && NT_SUCCESS(status)))) return false;
  RemoveEntryList(irp.ThreadListEntry);
  irp.stage2Deferred = true;
  queueIrpToPort(m, context, irp);
  return true;
}

/** Sleeps the current thread in kernel mode, not alertable (KeDelayExecutionThread). */
async function delay(m: Machine, ms: number, reason: string): Promise<void> {
  const never = new DispatcherHeader(DispatcherType.NotificationEvent, 0, "KeDelayExecutionThread");
  await m.waits.waitFor([never], { waitAll: false, mode: KernelMode, alertable: false, timeout: ms * 10_000, reason });
}

/**
 * IopCleanupProcessResources: `process` closed its last handle to the file. Its thread-agnostic
 * requests on the file are cancelled and the close waits until they have completed, checking after
 * 1, 2, 4 … 128 ms and then every 128 ms, as Windows does. Windows waits forever; the emulator
 * reports the requests still there after five minutes of virtual time (IO_DRIVER_CANCEL_TIMEOUT,
 * like IoCancelThreadIo) and leaves the closing thread blocked: a process that was exiting stays a
 * zombie.
 */
export async function cleanupProcessResources(t: KThread, fo: FILE_OBJECT, process: KProcess): Promise<void> {
  const m = t.machine;
  fo.irpListRundown = true;
  const mine = (): IRP[] => fileObjectIrps(fo).filter((i) => i.requestorProcess === process);
  if (mine().length === 0) return;
  const old = t.irql;
  if (old < APC_LEVEL) m.interrupts.raise(t, APC_LEVEL);
  for (const irp of mine()) if (irp.allocated && !irp.Cancel) cancelIrp(t, irp);
  if (t.irql > old) m.interrupts.lower(t, old);
  if (t.irql !== PASSIVE_LEVEL) m.interrupts.lower(t, PASSIVE_LEVEL);
  const started = m.now;
  let interval = 1;
  while (mine().length > 0) {
    if (m.now - started >= THREAD_AGNOSTIC_REPORT_MS * 10_000) {
      await neverCompletes(t, fo, process, mine());
      return;
    }
    await delay(m, interval, `${t.label} closed ${process.name}'s last handle to ${fo.label} and waits for its cancelled requests (${mine().map((i) => i.label).join(", ")})`);
    if (interval < 100) interval *= 2;
  }
}

/** Reports requests that were cancelled at the last close and never completed, then blocks for good. */
async function neverCompletes(t: KThread, fo: FILE_OBJECT, process: KProcess, irps: IRP[]): Promise<void> {
  const m = t.machine;
  for (const irp of irps) {
    const driver = irp.pendedBy ?? irp.dispatchedDriver;
    m.addFinding({
      rule: "IO_DRIVER_CANCEL_TIMEOUT",
      code: "0x80040036",
      driver,
      message:
        `${irp.label}, issued by ${irp.Tail.Overlay.Thread?.label ?? process.name} on ${fo.label}, is thread-agnostic (the file is bound to an I/O completion port), so its thread's exit did not cancel it;` +
        ` it was cancelled when ${process.name} closed its last handle to the file, but ${driver ?? "its driver"} never completed it (pended in ${irp.dispatchedTo ?? "its dispatch routine"}` +
        (irp.cancelRoutineRan ? ", and its cancel routine did not complete it)." : ", without a cancel routine, so cancelling it did nothing).") +
        ` Windows waits for it forever: ${process.name} cannot finish ${t.exiting ? "exiting" : "closing the handle"}.` +
        " Set a cancel routine on every IRP you pend, or keep pended IRPs in a cancel-safe queue, and complete a file's requests in IRP_MJ_CLEANUP.",
      source: null,
    });
  }
  if (t.exiting && process.state !== "zombie") {
    process.state = "zombie";
    if (m.trace.on) m.trace.emit("ProcessZombie", { reason: `${t.label} waits forever for thread-agnostic requests on ${fo.label} that were cancelled and never completed` });
  }
  const never = new DispatcherHeader(DispatcherType.NotificationEvent, 0, `cancelled requests on ${fo.label}`);
  await m.waits.waitFor([never], {
    waitAll: false,
    mode: KernelMode,
    alertable: false,
    timeout: null,
    reason: `${t.label} closed ${process.name}'s last handle to ${fo.label} and waits forever for ${irps.map((i) => i.label).join(", ")}, cancelled and never completed`,
  });
}
