/**
 * IoCompleteRequest in NT's two stages. Stage 1 runs in the completing context: completion
 * routines bottom to top, pending propagation, and unlocking the MDL's pages. Stage 2
 * (IopCompleteRequest) runs as a special kernel APC in the requesting thread, in its process:
 * METHOD_BUFFERED copy-back, the IO_STATUS_BLOCK, the event, freeing MDLs, and then the
 * notification — a user APC (ReadFileEx), a completion packet (a file bound to a port), or
 * nothing more — before the IRP is freed. Thread-agnostic I/O (thread-agnostic.ts) skips the APC:
 * its IRP goes to the port and stage 2 runs in the thread that removes the packet.
 */
import { KAPC, OriginalApcEnvironment, initializeApc } from "../kernel/apc.js";
import { BugCheckCode } from "../kernel/bugcheck-codes.js";
import { currentMachine } from "../kernel/context.js";
import { KernelMode } from "../kernel/irql.js";
import type { Machine } from "../kernel/machine.js";
import { NtStatusError } from "../kernel/nt-status-error.js";
import { NT_ERROR, NT_SUCCESS, STATUS_ACCESS_VIOLATION, STATUS_MORE_PROCESSING_REQUIRED, STATUS_VERIFY_REQUIRED, ntStatusName, type NTSTATUS } from "../kernel/status.js";
import type { KThread } from "../kernel/thread.js";
import {
  FO_SKIP_COMPLETION_PORT,
  FO_SKIP_SET_EVENT,
  FO_SYNCHRONOUS_IO,
  IRP_ASSOCIATED_IRP,
  IRP_BUFFERED_IO,
  IRP_DEALLOCATE_BUFFER,
  IRP_DEFER_IO_COMPLETION,
  IRP_INPUT_OPERATION,
  IRP_SYNCHRONOUS_API,
  SL_INVOKE_ON_CANCEL,
  SL_INVOKE_ON_ERROR,
  SL_INVOKE_ON_SUCCESS,
  SL_PENDING_RETURNED,
} from "./constants.js";
import { queueIrpToPort } from "./completion-port.js";
import type { FILE_OBJECT } from "./file-object.js";
import { ioManager } from "./io-manager.js";
import { completeIrpInFileObjectList } from "./thread-agnostic.js";
import { freeIrp, unqueueIrpFromThread } from "./irp-alloc.js";
import { IO_STATUS_BLOCK, IRP } from "./irp.js";
import { freeIrpMdls, unlockPages } from "./mdl.js";
import { checkRoutine, badPointer } from "../kernel/bad-pointer.js";

/**
 * IoCompleteRequest: the driver is done with the IRP. Completion routines run now, in this
 * context; the requester's part runs in its own thread. Completing an IRP twice is
 * MULTIPLE_IRP_COMPLETE_REQUESTS.
 */
export function IoCompleteRequest(Irp: IRP, _PriorityBoost: number): void {
  const t = currentMachine("IoCompleteRequest").kernelCall("IoCompleteRequest");
  if (!(Irp instanceof IRP)) badPointer("IoCompleteRequest", "Irp", Irp, "an IRP");
  completeRequest(t, Irp);
  const io = t.machine.io;
  if (io && io.hooks.length !== 0) for (const h of io.hooks) h.afterCompleteRequest?.(Irp, t);
}

function who(irp: IRP): string {
  const t = irp.completedByThread;
  if (!t) return "an earlier completion";
  return irp.completedByKind ? `${irp.completedByKind} ${irp.completedByName ?? ""} on ${t.label}` : t.label;
}

/** IofCompleteRequest: stage 1. */
export function completeRequest(t: KThread, irp: IRP): void {
  const m = t.machine;
  const io = ioManager(m);
  if (io.hooks.length !== 0) for (const h of io.hooks) h.beforeComplete?.(irp, t);
  // Force Pending I/O (force-pending.ts): 1 holds this completion back, 2 means one already was.
  const forced = io.forcedPending.size !== 0 ? io.forcedPending.get(irp) : undefined;
  if (irp.CurrentLocation > irp.StackCount + 1 || !irp.allocated || forced === 2) {
    m.bugCheck(BugCheckCode.MULTIPLE_IRP_COMPLETE_REQUESTS, irp.id, 0, 0, 0, {
      detail: `${irp.label} was completed by ${m.describeContext()} after ${who(irp)} had already completed it`,
      irp: irp.label,
    });
  }
  irp.completed = true;
  irp.completedByThread = t;
  const activity = m.currentActivity();
  irp.completedByKind = activity ? activity.kind : null;
  irp.completedByName = activity ? activity.name : null;
  if (m.trace.on) {
    m.trace.emit("IrpCompleted", { irp: irp.label, status: irp.IoStatus.Status, statusName: ntStatusName(irp.IoStatus.Status), information: irp.IoStatus.Information, driver: m.currentDriver() ?? "I/O manager" });
  }
  if (forced === 1) {
    // The caller of IoCallDriver will see STATUS_PENDING; the rest of completion runs later.
    io.forcedPending.set(irp, 2);
    return;
  }
  unwindCompletion(t, irp);
}

/**
 * Stage 1 from the completing driver's location up: completion routines, pending propagation,
 * unlocking the MDL's pages, then stage 2 queued to the requesting thread.
 */
export function unwindCompletion(t: KThread, irp: IRP): void {
  const m = t.machine;
  const io = ioManager(m);

  // Unwind the stack from the completing driver's location to the top.
  let sp = irp.CurrentLocation - 1;
  irp.CurrentLocation++;
  do {
    const sl = irp.Stack[sp];
    if (sl) {
      irp.PendingReturned = (sl.Control & SL_PENDING_RETURNED) !== 0;
      const status = irp.IoStatus.Status;
      const routine = sl.CompletionRoutine;
      const invoke =
        routine !== null &&
        ((NT_SUCCESS(status) && (sl.Control & SL_INVOKE_ON_SUCCESS) !== 0) ||
          (!NT_SUCCESS(status) && (sl.Control & SL_INVOKE_ON_ERROR) !== 0) ||
          (irp.cancelRequested && (sl.Control & SL_INVOKE_ON_CANCEL) !== 0));
      if (invoke) {
        const context = sl.Context;
        sl.clear(true);
        const upper = irp.CurrentLocation === irp.StackCount + 1 ? null : (irp.Stack[irp.CurrentLocation - 1]?.DeviceObject ?? null);
        const name = routine.name || "(anonymous)";
        const owner = upper ? upper.DriverObject.shortName : m.currentDriver();
        if (m.trace.on) m.trace.emit("IrpCompletionRoutineStart", { irp: irp.label, routine: name, driver: owner ?? "I/O manager" });
        for (const h of io.hooks) h.beforeCompletionRoutine?.(irp, routine, upper, t);
        const token = m.enterActivity("completion routine", name, owner);
        let result: NTSTATUS;
        try {
          if (typeof routine !== "function") checkRoutine("IoCompleteRequest", "the stack location's CompletionRoutine", routine);
          const call = routine as (...args: unknown[]) => unknown;
          const r = call(upper, irp, context);
          if (r instanceof Promise) {
            m.bugCheck(BugCheckCode.DRIVER_VERIFIER_IOMANAGER_VIOLATION, 0x20d, 0, irp.id, 0, {
              detail: `completion routine ${name} is async: completion routines run at up to DISPATCH_LEVEL and must not wait`,
              irp: irp.label,
            });
          }
          result = (typeof r === "number" ? r : 0) >>> 0;
        } catch (e) {
          m.leaveActivity(token);
          return m.unhandledKernelException(e, `completion routine ${name}`);
        }
        m.leaveActivity(token);
        for (const h of io.hooks) h.afterCompletionRoutine?.(irp, routine, result, irp.PendingReturned, t);
        if (m.trace.on) m.trace.emit("IrpCompletionRoutine", { irp: irp.label, routine: name, result, resultName: ntStatusName(result) });
        if (result === STATUS_MORE_PROCESSING_REQUIRED) return;
      } else {
        // Pending propagates up through locations with no completion routine.
        if (irp.CurrentLocation <= irp.StackCount && irp.PendingReturned) {
          const upper = irp.Stack[irp.CurrentLocation - 1];
          if (upper) upper.Control |= SL_PENDING_RETURNED;
        }
        sl.clear();
      }
    }
    irp.CurrentLocation++;
    sp++;
  } while (irp.CurrentLocation <= irp.StackCount + 1);

  // An associated IRP (IoMakeAssociatedIrp): its MDLs are freed (not unlocked, as NT does), it is
  // freed, and its master completes when the master's count of associated IRPs reaches zero.
  if (irp.Flags & IRP_ASSOCIATED_IRP) {
    const master = irp.MasterIrp;
    freeIrpMdls(m, irp);
    freeIrp(m, irp);
    if (master) {
      master.IrpCount--;
      if (master.IrpCount === 0) completeRequest(t, master);
    }
    return;
  }

  // The I/O manager's own create, cleanup and close requests are finished by their issuer.
  if (irp.origin === "create" || irp.origin === "cleanup" || irp.origin === "close") {
    writeKernelIosb(irp);
    if (irp.UserEvent) m.signal(irp.UserEvent);
    return;
  }

  // Unlock the pages now, in the completing context; the MDLs are freed in stage 2. Like
  // IopCompleteRequest, every MDL on the IRP is unlocked: one a driver already unlocked is
  // unlocked twice (PFN_LIST_CORRUPT), as on NT.
  for (let mdl = irp.MdlAddress; mdl; mdl = mdl.Next) unlockPages(m, mdl);

  if (irp.Flags & IRP_DEFER_IO_COMPLETION && !irp.PendingReturned) return;

  // Thread-agnostic I/O goes to the file's port with its second stage still to run, unless it
  // failed (or succeeded with FILE_SKIP_COMPLETION_PORT_ON_SUCCESS) inside dispatch.
  if (irp.threadAgnostic && completeIrpInFileObjectList(m, irp)) return;

  const thread = irp.Tail.Overlay.Thread;
  if (thread) {
    // The APC is part of the IRP (Irp->Tail.Apc), made with the IRP object and reused.
    let apc = irp.Tail.Apc;
    if (!apc) {
      apc = new KAPC();
      apc.container = irp;
      irp.Tail.Apc = apc;
    }
    if (apc.KernelRoutine === IopCompleteRequest) apc.Thread = thread;
    else initializeApc(apc, thread, OriginalApcEnvironment, IopCompleteRequest, null, null, KernelMode, null, "IopCompleteRequest");
    if (!m.interrupts.queueApc(apc, irp.Tail.Overlay.OriginalFileObject, null)) {
      // The requesting thread takes no more APCs (it has exited): nothing can be delivered to it,
      // and its address space may be gone. Finish the IRP undelivered (IopDropIrp).
      iopCleanupIrp(m, irp);
    }
  } else if (irp.cancelRequested) {
    iopCleanupIrp(m, irp);
  } else {
    m.bugCheck(BugCheckCode.KMODE_EXCEPTION_NOT_HANDLED, STATUS_ACCESS_VIOLATION, 0, 0, 0, {
      detail: `completion ran to the top of ${irp.label}, which has no requesting thread (${irp.origin}): its creator must stop completion with a routine that returns STATUS_MORE_PROCESSING_REQUIRED and free it with IoFreeIrp`,
      irp: irp.label,
    });
  }
}

/** The kernel routine of Irp->Tail.Apc: stage 2 for the IRP the APC is embedded in. */
function IopCompleteRequest(apc: KAPC): void {
  const irp = apc.container as IRP;
  const thread = apc.Thread;
  if (thread) iopCompleteRequest(thread.machine, irp);
}

function writeKernelIosb(irp: IRP): void {
  const iosb = irp.UserIosb;
  if (iosb instanceof IO_STATUS_BLOCK) {
    iosb.Status = irp.Status;
    iosb.Information = irp.Information;
  }
}

/** Writes the IO_STATUS_BLOCK wherever it lives; a fault writing user memory is ignored, as NT's SEH does. */
function writeIosb(m: Machine, irp: IRP): void {
  const iosb = irp.UserIosb;
  if (iosb === null) return;
  if (iosb instanceof IO_STATUS_BLOCK) {
    writeKernelIosb(irp);
    return;
  }
  try {
    m.mmu.writeU32(iosb, irp.Status);
    m.mmu.writeU32(iosb + 4, irp.Information);
  } catch (e) {
    if (!(e instanceof NtStatusError)) throw e;
  }
}

/**
 * IopCompleteRequest: stage 2, in the requesting thread (or, for thread-agnostic I/O, in the
 * thread that removes the packet from the port). The completion is delivered (IO_STATUS_BLOCK
 * written, event set, user APC queued or packet posted) when the status is not an error, or when
 * the IRP was pended on an asynchronous request; METHOD_BUFFERED output is copied back unless the
 * status is an error. The final status and byte count go to `result` when one is given.
 */
export function iopCompleteRequest(m: Machine, irp: IRP, result?: { status: NTSTATUS; information: number }): void {
  // The I/O manager's own reads and writes use the IRP's fields, not the WDK's members, which a
  // verifier watches for drivers' touches.
  const fo = irp.OriginalFileObject;
  const status = irp.Status;
  let copied = 0;
  if (irp.Flags & IRP_BUFFERED_IO) {
    if (irp.Flags & IRP_INPUT_OPERATION && status !== STATUS_VERIFY_REQUIRED && !NT_ERROR(status) && irp.Information > 0 && irp.userBufferAddress !== 0) {
      copied = Math.min(irp.Information, irp.userOutputLength);
      try {
        m.mmu.copy(irp.userBufferAddress, irp.SystemBuffer, copied);
        if (m.trace.on) m.trace.emit("BufferCopied", { irp: irp.label, direction: "out", bytes: copied, from: irp.SystemBuffer, to: irp.userBufferAddress });
      } catch (e) {
        if (!(e instanceof NtStatusError)) throw e;
        // The app's buffer went away: the request fails with the fault, as NT's handler records it.
        irp.Status = e.status;
        copied = 0;
      }
    }
    if (irp.Flags & IRP_DEALLOCATE_BUFFER && irp.SystemBuffer !== 0) {
      m.nonPagedPool.free(irp.SystemBuffer, null);
      irp.SystemBuffer = 0;
    }
    irp.Flags &= ~(IRP_BUFFERED_IO | IRP_DEALLOCATE_BUFFER);
  }
  freeIrpMdls(m, irp);
  const finalStatus = irp.Status;
  const information = irp.Information;
  const synchronousIrp = (irp.Flags & IRP_SYNCHRONOUS_API) !== 0 || (fo !== null && (fo.Flags & FO_SYNCHRONOUS_IO) !== 0);
  const deliver = !NT_ERROR(finalStatus) || (irp.PendingReturned && !synchronousIrp);
  if (deliver) {
    writeIosb(m, irp);
    if (irp.UserEvent) {
      m.signal(irp.UserEvent);
      if (fo && fo.Flags & FO_SYNCHRONOUS_IO) {
        fo.FinalStatus = finalStatus;
        m.signal(fo.Event);
      }
    } else if (fo) {
      fo.FinalStatus = finalStatus;
      // FILE_SKIP_SET_EVENT_ON_HANDLE: an asynchronous request leaves the file's event alone.
      if (synchronousIrp || (fo.Flags & FO_SKIP_SET_EVENT) === 0) m.signal(fo.Event);
    }
  } else if (irp.PendingReturned && fo) {
    if (irp.Flags & IRP_SYNCHRONOUS_API) {
      writeIosb(m, irp);
      m.signal(irp.UserEvent ?? fo.Event);
    } else {
      fo.FinalStatus = finalStatus;
      m.signal(fo.Event);
    }
  }
  if (m.trace.on) m.trace.emit("IrpStage2", { irp: irp.label, status: finalStatus, statusName: ntStatusName(finalStatus), delivered: deliver, copiedBack: copied });
  unqueueIrpFromThread(irp);
  const eventObject = irp.userEventObject;
  // The IRP itself carries the notification on: the user APC frees it when it runs, the port
  // when its packet is removed.
  let keep = false;
  if (irp.stage2Deferred) {
    // Removed from the port by NtRemoveIoCompletion: that was the notification.
    irp.stage2Deferred = false;
  } else if (deliver && irp.UserApcRoutine) {
    keep = queueUserCompletionApc(m, irp);
  } else if (deliver && fo?.CompletionContext && irp.UserApcContext !== null && !skipPortOnSuccess(fo, irp, finalStatus)) {
    queueIrpToPort(m, fo.CompletionContext, irp);
    keep = true;
  }
  if (!keep) freeIrp(m, irp);
  if (eventObject) m.ob.dereference(eventObject);
  if (fo) m.ob.dereference(fo);
  if (result) {
    result.status = finalStatus;
    result.information = information;
  }
}

/** FILE_SKIP_COMPLETION_PORT_ON_SUCCESS: no packet for a request that succeeded without pending. */
function skipPortOnSuccess(fo: FILE_OBJECT, irp: IRP, status: NTSTATUS): boolean {
  return (fo.Flags & FO_SKIP_COMPLETION_PORT) !== 0 && !irp.PendingReturned && NT_SUCCESS(status);
}

/**
 * Queues the request's user APC (ReadFileEx's completion routine, NtReadFile's ApcRoutine) to the
 * requesting thread: its normal routine gets (ApcContext, IoStatusBlock, 0) in user mode during an
 * alertable wait; its kernel routine, or its rundown routine if the thread exits first, frees the
 * IRP. Returns false (the caller frees the IRP) when the thread no longer accepts APCs.
 */
function queueUserCompletionApc(m: Machine, irp: IRP): boolean {
  const thread = irp.Thread;
  const routine = irp.UserApcRoutine;
  if (!thread || !routine) return false;
  const apc = new KAPC();
  const free = (): void => {
    freeIrp(m, irp);
  };
  initializeApc(
    apc,
    thread,
    OriginalApcEnvironment,
    function IopUserCompletion() {
      free();
    },
    function IopUserRundown() {
      free();
    },
    routine,
    irp.RequestorMode,
    irp.UserApcContext,
    "I/O completion APC",
  );
  // SystemArgument2 is the routine's Reserved argument: NULL.
  return m.interrupts.queueApc(apc, irp.UserIosb, 0);
}

/**
 * IopCleanupIrp / IopDropIrp: an IRP whose completion can no longer be delivered — a cancelled IRP
 * whose thread has gone (disassociated after NT's five-minute wait), or a thread-agnostic IRP
 * whose port was closed or whose process has exited — is finished with nothing delivered:
 * buffers and MDLs freed, references dropped, IRP freed.
 */
export function iopCleanupIrp(m: Machine, irp: IRP): void {
  freeIrpMdls(m, irp);
  if (irp.Flags & IRP_DEALLOCATE_BUFFER && irp.SystemBuffer !== 0) m.nonPagedPool.free(irp.SystemBuffer, null);
  irp.SystemBuffer = 0;
  const fo = irp.OriginalFileObject;
  const eventObject = irp.userEventObject;
  unqueueIrpFromThread(irp);
  freeIrp(m, irp);
  if (eventObject) m.ob.dereference(eventObject);
  if (fo) m.ob.dereference(fo);
}
