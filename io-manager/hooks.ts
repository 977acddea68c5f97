/**
 * Points where an observer that must act synchronously (the verifier) hooks the I/O manager.
 * Trace events report the same moments; hooks exist for rules that must stop the machine at the
 * faulting call, before the call's effects.
 */
import type { NTSTATUS } from "../kernel/status.js";
import type { KThread } from "../kernel/thread.js";
import type { DEVICE_OBJECT } from "./device-object.js";
import type { DRIVER_CANCEL, IO_COMPLETION_ROUTINE, IRP } from "./irp.js";

/** Synchronous observers of the I/O manager. Every member is optional. */
export interface IoHooks {
  /** IoCallDriver is about to call a dispatch routine. */
  beforeDispatch?(irp: IRP, device: DEVICE_OBJECT, t: KThread): void;
  /** A dispatch routine returned `status`; `irqlBefore` is the IRQL it was called at. */
  afterDispatch?(irp: IRP, device: DEVICE_OBJECT, status: NTSTATUS, irqlBefore: number, t: KThread): void;
  /** IoCompleteRequest was called (before anything happens). */
  beforeComplete?(irp: IRP, t: KThread): void;
  /** A completion routine returned. */
  afterCompletionRoutine?(irp: IRP, routine: IO_COMPLETION_ROUTINE, result: NTSTATUS, pendingReturned: boolean, t: KThread): void;
  /** IoSetCancelRoutine exchanged `previous` for `routine`. */
  cancelRoutineSet?(irp: IRP, routine: DRIVER_CANCEL | null, previous: DRIVER_CANCEL | null, t: KThread): void;
  /** A cancel routine returned. */
  afterCancelRoutine?(irp: IRP, routine: DRIVER_CANCEL, t: KThread): void;
  /** IoMarkIrpPending. */
  markPending?(irp: IRP, t: KThread): void;
}
