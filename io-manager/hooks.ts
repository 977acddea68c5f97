/**
 * Points where an observer that must act synchronously (the verifier) hooks the I/O manager.
 * Trace events report the same moments; hooks exist for rules that must stop the machine at the
 * faulting call, before the call's effects, and so that the verifier need not turn tracing on
 * (every trace point would then build its event).
 */
import type { KPROCESSOR_MODE } from "../kernel/irql.js";
import type { KProcess } from "../kernel/process.js";
import type { NTSTATUS } from "../kernel/status.js";
import type { KThread } from "../kernel/thread.js";
import type { DEVICE_OBJECT } from "./device-object.js";
import type { DRIVER_OBJECT } from "./driver-object.js";
import type { DRIVER_CANCEL, IO_COMPLETION_ROUTINE, IRP } from "./irp.js";
import type { MDL } from "./mdl.js";
import type { IO_REMOVE_LOCK, RemoveLockOperation } from "./remove-lock.js";

/** Synchronous observers of the I/O manager. Every member is optional. */
export interface IoHooks {
  /** IoCallDriver is about to call a dispatch routine. */
  beforeDispatch?(irp: IRP, device: DEVICE_OBJECT, t: KThread): void;
  /** A dispatch routine returned `status`; `irqlBefore` is the IRQL it was called at. */
  afterDispatch?(irp: IRP, device: DEVICE_OBJECT, status: NTSTATUS, irqlBefore: number, t: KThread): void;
  /** IoCompleteRequest was called (before anything happens, even the double-completion check). */
  beforeComplete?(irp: IRP, t: KThread): void;
  /** A driver's IoCompleteRequest call returned (the IRP may already be freed). */
  afterCompleteRequest?(irp: IRP, t: KThread): void;
  /** A completion routine is about to run (registered by `device`'s driver; null: the IRP's creator). */
  beforeCompletionRoutine?(irp: IRP, routine: IO_COMPLETION_ROUTINE, device: DEVICE_OBJECT | null, t: KThread): void;
  /** A completion routine returned. */
  afterCompletionRoutine?(irp: IRP, routine: IO_COMPLETION_ROUTINE, result: NTSTATUS, pendingReturned: boolean, t: KThread): void;
  /** IoSetCancelRoutine exchanged `previous` for `routine`. */
  cancelRoutineSet?(irp: IRP, routine: DRIVER_CANCEL | null, previous: DRIVER_CANCEL | null, t: KThread): void;
  /** IoCancelIrp (or an injected cancel) marked the IRP cancelled; `routine` is the routine it took. */
  irpCancelled?(irp: IRP, routine: DRIVER_CANCEL | null, t: KThread): void;
  /** A cancel routine is about to run. */
  beforeCancelRoutine?(irp: IRP, routine: DRIVER_CANCEL, t: KThread): void;
  /** A cancel routine returned. */
  afterCancelRoutine?(irp: IRP, routine: DRIVER_CANCEL, t: KThread): void;
  /** IoMarkIrpPending. */
  markPending?(irp: IRP, t: KThread): void;
  /** An IRP was allocated (IoAllocateIrp, IoBuild*, or by the I/O manager for a request). */
  irpAllocated?(irp: IRP, t: KThread | null): void;
  /** IoFreeIrp is about to free an IRP (a driver's call, before the checks). */
  beforeFreeIrp?(irp: IRP, t: KThread): void;
  /** An IRP was freed (by IoFreeIrp or by the I/O manager at the end of completion). */
  irpFreed?(irp: IRP): void;
  /** MmProbeAndLockPages is about to probe and lock an MDL (a driver's call, before the checks). */
  beforeProbeAndLock?(mdl: MDL, mode: KPROCESSOR_MODE, operation: number, t: KThread): void;
  /** MmUnlockPages is about to unlock an MDL; `t` is null when completion unlocks it. */
  beforeUnlockPages?(mdl: MDL, t: KThread | null): void;
  /** MmMapLockedPagesSpecifyCache is about to map an MDL (before the checks). */
  beforeMapLockedPages?(mdl: MDL, mode: KPROCESSOR_MODE, t: KThread): void;
  /** MmFreePagesFromMdl is about to free an MDL's pages (a driver's call, before the checks). */
  beforeFreePagesFromMdl?(mdl: MDL, t: KThread): void;
  /** IoFreeMdl is about to free an MDL (a driver's call, before the checks). */
  beforeFreeMdl?(mdl: MDL, t: KThread): void;
  /** An MDL was allocated (IoAllocateMdl, or the I/O manager's own for a direct-I/O request). */
  mdlAllocated?(mdl: MDL): void;
  /** An MDL's pages were locked (MmProbeAndLockPages or the I/O manager's probe for a request). */
  mdlLocked?(mdl: MDL): void;
  /** An MDL's pages were mapped at `mappedVa`: in system space, or (UserMode) in `process`. */
  mdlMapped?(mdl: MDL, mappedVa: number, mode: KPROCESSOR_MODE, process: KProcess | null): void;
  /** A mapping of an MDL's pages at `mappedVa` was removed. */
  mdlUnmapped?(mdl: MDL, mappedVa: number, mode: KPROCESSOR_MODE): void;
  /** IoCreateDevice created `device`. */
  deviceCreated?(device: DEVICE_OBJECT): void;
  /** IoCreateSymbolicLink created `link` (or IoDeleteSymbolicLink removed it: `created` false). */
  symbolicLink?(link: string, created: boolean): void;
  /** A driver's DriverUnload returned, on the unloading thread (before the I/O manager forgets the driver). */
  afterDriverUnload?(driver: DRIVER_OBJECT, t: KThread): void;
  /**
   * IoStartPacket put the IRP in `device`'s queue (`queued`), or found the device idle and is
   * about to call its StartIo routine; `cancelRoutine` is the routine it set, if any.
   */
  startPacket?(irp: IRP, device: DEVICE_OBJECT, queued: boolean, cancelRoutine: DRIVER_CANCEL | null, t: KThread): void;
  /** IoStartNextPacket or IoStartNextPacketByKey was called (before anything, even the IRQL check). */
  beforeStartNextPacket?(device: DEVICE_OBJECT, cancelable: boolean, t: KThread): void;
  /** A driver's StartIo routine is about to be called with `irp`. */
  beforeStartIo?(irp: IRP, device: DEVICE_OBJECT, t: KThread): void;
  /**
   * A remove-lock routine is called (`status` is what an acquire returns; before the lock changes
   * for the others), for the verifier's tag tracking.
   */
  removeLock?(op: RemoveLockOperation, lock: IO_REMOVE_LOCK, tag: unknown, status: NTSTATUS, t: KThread): void;
  /**
   * Asked by the framework (wdf/) when a driver calls WdfDriverCreate: true turns the KMDF
   * verifier on for it (KMDF reads VerifierOn from the driver's service key at that moment).
   */
  verifiesFramework?(driver: string): boolean;
  /**
   * The verifier's end-of-run checks are running: a layer with its own verifier (the framework's,
   * wdf/) reports what it found unfinished as findings.
   */
  teardown?(): void;
}

/**
 * Watches a driver's use of an IRP's members (IoStatus, AssociatedIrp, Tail, Cancel, …): the IRP
 * calls it from those members' accessors while a verifier has installed it on the IRP.
 */
export interface IrpWatch {
  /** `member` of `irp` was read or written ("IoStatus", "Cancel", "IoGetCurrentIrpStackLocation", …). */
  irpAccessed(irp: IRP, member: string): void;
}

/**
 * Decides, at a driver's IoCallDriver, whether Driver Verifier's Force Pending I/O applies to
 * this call: the lower driver's completion is held back and the caller gets STATUS_PENDING.
 */
export type ForcePendingDecider = (irp: IRP, device: DEVICE_OBJECT, t: KThread) => boolean;
