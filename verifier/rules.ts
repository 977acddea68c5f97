/**
 * The verifier's rules: for each, the code Driver Verifier documents (bug check and subcode) or
 * the Static Driver Verifier rule it comes from, whether breaking it halts the machine (a bug
 * check, as Driver Verifier's fatal errors do) or is recorded and reported at the end (a finding,
 * as its non-fatal errors and SDV's rules are), and the usual fix in one sentence.
 */

/** What breaking a rule does. */
export type Severity = "bug check" | "finding";

/** One rule. */
export interface RuleInfo {
  /** The code as a person looks it up: "0xC9/0x23D", "0x44"; "SDV" for a Static Driver Verifier rule, "irpsim" for one of ours. */
  readonly code: string;
  /** Where the rule comes from. */
  readonly origin: string;
  /**
   * Whether breaking the rule halts the machine (a bug check) or is reported at the end (a
   * finding).
   */
  readonly severity: Severity;
  /** The usual fix, one sentence. */
  readonly fix: string;
}

const DV_IO = "Driver Verifier, I/O Verification";
const DV = "Driver Verifier";
const DV_DEADLOCK = "Driver Verifier, Deadlock Detection";
const DV_POOL = "Driver Verifier, Pool Tracking";
const DV_SPECIAL = "Driver Verifier, Special Pool";
const SDV = "Static Driver Verifier rule, checked at run time";
const IRPSIM = "irpsim rule; no Driver Verifier code";

/** Every rule, by name. */
export const RULES = {
  // ---- Completion ----
  DoubleCompletion: { code: "0x44", origin: "bug check MULTIPLE_IRP_COMPLETE_REQUESTS (SDV DoubleCompletion)", severity: "bug check", fix: "Complete each IRP exactly once: whoever takes the IRP off the queue (dispatch routine, cancel routine or DPC) completes it, and the others must leave it alone." },
  CompleteWithPendingStatus: { code: "0xC9/0x06", origin: DV_IO, severity: "bug check", fix: "Set Irp->IoStatus.Status to the request's final status before IoCompleteRequest; STATUS_PENDING is only ever a return value." },
  CompleteWithCancelRoutine: { code: "0xC9/0x07", origin: `${DV_IO} (enhanced I/O verification reports it as 0x23C)`, severity: "bug check", fix: "Clear the cancel routine with IoSetCancelRoutine(Irp, NULL) before completing, and complete only if it returned non-NULL (otherwise the cancel routine owns the IRP)." },
  CompleteAboveDispatch: { code: "0xC9/0x0E", origin: DV_IO, severity: "bug check", fix: "Complete requests at DISPATCH_LEVEL or below: from an ISR, queue a DPC and complete there." },
  InformationTooLarge: { code: "0xC9/0x312", origin: DV_IO, severity: "finding", fix: "Set IoStatus.Information to the number of bytes actually written, never more than the caller's OutputBufferLength." },
  IrpUsedAfterRelease: { code: "irpsim", origin: `${IRPSIM}; Learn, "Completing IRPs" and "Passing IRPs down the driver stack"`, severity: "finding", fix: "Read what you need (status, stack location) before IoCompleteRequest or IoCallDriver, and keep the value in a local; to use the IRP after the lower driver, set a completion routine that returns STATUS_MORE_PROCESSING_REQUIRED." },
  // ---- Pending ----
  SetPowerFailed: { code: "irpsim", origin: `${IRPSIM}; Learn, "Handling IRP_MN_SET_POWER for System Power States" and "…for Device Power States": drivers must not fail a set-power IRP`, severity: "finding", fix: "Complete IRP_MN_SET_POWER with a success status (or pass it down); veto a sleep in IRP_MN_QUERY_POWER instead, which may fail." },
  PendingWithoutMark: { code: "0xC9/0x23D", origin: DV_IO, severity: "finding", fix: "Call IoMarkIrpPending(Irp) before queuing the IRP or returning STATUS_PENDING." },
  MarkedWithoutPending: { code: "0xC9/0x23E", origin: DV_IO, severity: "finding", fix: "Once IoMarkIrpPending has been called, return STATUS_PENDING even if the IRP was completed in the meantime." },
  PendedCompletedRequest: { code: "SDV", origin: SDV, severity: "finding", fix: "Return the status you completed the IRP with; return STATUS_PENDING only for IRPs you marked pending (IoMarkIrpPending), whoever completes them." },
  StatusMismatch: { code: "0xC9/0x224", origin: DV_IO, severity: "bug check", fix: "Return exactly the status you stored in Irp->IoStatus.Status: keep it in a local, complete the IRP, then return the local." },
  IrpNotHandled: { code: "0xC9/0x226", origin: DV_IO, severity: "bug check", fix: "Every dispatch path must complete the IRP, pass it down with IoCallDriver, or mark it pending, queue it and return STATUS_PENDING." },
  PendingReturnedNotPropagated: { code: "0xC9/0x228", origin: DV_IO, severity: "finding", fix: "In a completion routine that does not return STATUS_MORE_PROCESSING_REQUIRED, write: if (Irp->PendingReturned) IoMarkIrpPending(Irp);" },
  // ---- Cancel ----
  CallDriverWithCancelRoutine: { code: "0xC9/0x203", origin: DV_IO, severity: "bug check", fix: "Take the IRP back with IoSetCancelRoutine(Irp, NULL) (and only forward it if that returned non-NULL) before IoCallDriver." },
  IrpCancelField: { code: "SDV", origin: SDV, severity: "finding", fix: "Right after IoSetCancelRoutine, still holding the queue's lock, test Irp->Cancel; if it is set and IoSetCancelRoutine(Irp, NULL) returns non-NULL, complete the IRP with STATUS_CANCELLED yourself (or use a cancel-safe queue)." },
  ReturnedHoldingCancelLock: { code: "0x11B", origin: "bug check DRIVER_RETURNED_HOLDING_CANCEL_LOCK", severity: "bug check", fix: "A cancel routine must call IoReleaseCancelSpinLock(Irp->CancelIrql) on every path, normally first thing." },
  SpinLockSafe: { code: "SDV", origin: SDV, severity: "finding", fix: "Release your spin locks before IoCompleteRequest or IoStartNextPacket: take the IRP off the queue under the lock, release it, then complete it and start the next packet." },
  CancelTimeout: { code: "0xC4/0x135", origin: DV, severity: "bug check", fix: "Give every IRP you hold a cancel routine (or a cancel-safe queue) that completes it with STATUS_CANCELLED promptly." },
  // ---- IRPs the driver allocates ----
  IoAllocateComplete: { code: "SDV", origin: `${SDV}; NT crashes when completion reaches the top of a thread-less IRP (bug check 0x1E)`, severity: "bug check", fix: "An IRP from IoAllocateIrp is finished by its creator with IoFreeIrp (from a completion routine that returns STATUS_MORE_PROCESSING_REQUIRED), never with IoCompleteRequest." },
  IoBuildDeviceControlNoFree: { code: "0xC9/0x20C", origin: `${DV_IO} (SDV IoBuildDeviceControlNoFree)`, severity: "bug check", fix: "Never IoFreeIrp an IRP from IoBuildDeviceIoControlRequest or IoBuildSynchronousFsdRequest: the I/O manager frees it when it completes." },
  IoAllocateFree: { code: "0xC9/0x20C", origin: `${DV_IO} (SDV IoAllocateFree)`, severity: "bug check", fix: "Free only IRPs you allocated with IoAllocateIrp; complete the IRPs you were sent with IoCompleteRequest." },
  FreeIrpInUse: { code: "0xC9/0x20B", origin: DV_IO, severity: "bug check", fix: "Free an IRP you allocated only after the lower driver has completed it: call IoFreeIrp from its completion routine (and return STATUS_MORE_PROCESSING_REQUIRED) or after waiting for that routine to signal you." },
  IoBuildDeviceControlWait: { code: "SDV", origin: SDV, severity: "finding", fix: "When IoCallDriver returns STATUS_PENDING for an IRP from IoBuildDeviceIoControlRequest, KeWaitForSingleObject on its event before using the IO_STATUS_BLOCK or returning." },
  // ---- MDLs and memory ----
  UnlockNeverLocked: { code: "0xC4/0x7C", origin: `${DV} (without the verifier: 0x76 with P1 = 1)`, severity: "bug check", fix: "Call MmUnlockPages only for an MDL whose MmProbeAndLockPages succeeded; MDLs the I/O manager built for direct I/O are unlocked by the I/O manager." },
  UnlockTwice: { code: "0x4E/0x07", origin: "bug check PFN_LIST_CORRUPT", severity: "bug check", fix: "Unlock each locked MDL once; the I/O manager unlocks Irp->MdlAddress itself when the IRP completes." },
  FreeMdlStillMapped: { code: "0xC4/0xB8", origin: DV, severity: "bug check", fix: "Unmap (MmUnmapLockedPages, or MmUnlockPages for a mapping from MmGetSystemAddressForMdlSafe) before IoFreeMdl." },
  FreePagesStillMapped: { code: "0xC4/0x8A", origin: `${DV} (the subcode is irpsim's: Windows' own answer varies with the build)`, severity: "bug check", fix: "Undo in reverse order: MmUnmapLockedPages every mapping (a user mapping in the process it was made in), then MmFreePagesFromMdl, then ExFreePool the MDL." },
  MapUnlockedPages: { code: "0xC4/0x85", origin: DV, severity: "bug check", fix: "Lock the pages first (MmProbeAndLockPages inside __try/__except, or MmBuildMdlForNonPagedPool for nonpaged pool)." },
  ProbeAtWrongIrql: { code: "0xC4/0x70", origin: `${DV} (0xD1 for a user buffer probed at DISPATCH_LEVEL)`, severity: "bug check", fix: "Probe and lock user buffers at PASSIVE_LEVEL or APC_LEVEL, in the requesting thread's context: in the dispatch routine, before queuing the IRP." },
  ProcessExitWithLockedPages: { code: "0xCB", origin: "bug check DRIVER_LEFT_LOCKED_PAGES_IN_PROCESS (0x76 PROCESS_HAS_LOCKED_PAGES when locked-page tracking is off)", severity: "bug check", fix: "Complete or cancel every IRP that holds the process's buffer (a cancel routine or IRP_MJ_CLEANUP handler that completes it), and unlock every MDL you locked yourself." },
  SpecialPoolBeyondEnd: { code: "0xD6", origin: `${DV_SPECIAL}: bug check DRIVER_PAGE_FAULT_BEYOND_END_OF_ALLOCATION (0xCD when the driver cannot be named)`, severity: "bug check", fix: "Keep every access inside the allocation: copy min(the block's size, the destination's size) bytes, and size a block for its terminating NUL." },
  SpecialPoolFreedAccess: { code: "0xD5", origin: `${DV_SPECIAL}: bug check DRIVER_PAGE_FAULT_IN_FREED_SPECIAL_POOL (0xCC when the driver cannot be named)`, severity: "bug check", fix: "Clear every pointer to a block when you free it (under the lock that guards it), and free a block only after the last routine that may use it (DPC, cancel routine, work item) has finished." },
  SpecialPoolCorruption: { code: "0xC1", origin: `${DV_SPECIAL}: bug check SPECIAL_POOL_DETECTED_MEMORY_CORRUPTION`, severity: "bug check", fix: "Write only inside the bytes you allocated (a string needs room for its NUL), and free each block once, at the address the allocation returned." },
  StaleSystemAddress: { code: "0x50", origin: "bug check PAGE_FAULT_IN_NONPAGED_AREA", severity: "bug check", fix: "Forget a system address when its mapping goes: clear your copy under the same lock before you complete the IRP or unlock the MDL that backs it." },
  // ---- IRQL and locks ----
  RaiseIrqlLower: { code: "0xC4/0x30", origin: DV, severity: "bug check", fix: "KeRaiseIrql only raises: pass a level at or above KeGetCurrentIrql(), and lower back with KeLowerIrql(OldIrql)." },
  LowerIrqlHigher: { code: "0xC4/0x31", origin: DV, severity: "bug check", fix: "KeLowerIrql only lowers, to the level KeRaiseIrql returned; a DPC routine must return at DISPATCH_LEVEL." },
  SpinLockReleaseWrong: { code: "0xC4/0x32", origin: DV, severity: "bug check", fix: "Release each spin lock once, with the call that matches its acquire (KeReleaseSpinLock with the IRQL KeAcquireSpinLock returned, KeReleaseSpinLockFromDpcLevel at DISPATCH_LEVEL)." },
  WaitAtDispatch: { code: "0xC4/0x121", origin: `${DV} (0x120 above DISPATCH_LEVEL, 0x121 with no timeout, 0x122 with a non-zero timeout)`, severity: "bug check", fix: "Never wait at DISPATCH_LEVEL or above (in a DPC, cancel or completion routine, or under a spin lock); queue a work item or signal a thread that waits at PASSIVE_LEVEL." },
  PageableAtDispatch: { code: "0xD1", origin: "bug check DRIVER_IRQL_NOT_LESS_OR_EQUAL", severity: "bug check", fix: "At DISPATCH_LEVEL touch only nonpaged memory: a system-space mapping of a locked MDL, or nonpaged pool; never a user address or paged pool." },
  DispatchIrqlChanged: { code: "0xC9/0x05", origin: DV_IO, severity: "bug check", fix: "Return from a dispatch routine at the IRQL it was called at: release every spin lock and lower every raised IRQL on every path." },
  LockOrder: { code: "0xC4/0x1001", origin: DV_DEADLOCK, severity: "bug check", fix: "Take locks in one fixed order everywhere (write it down next to the lock declarations); never call IoCancelIrp or take a lock your cancel routine takes while holding another." },
  WrongThreadRelease: { code: "0xC4/0x1004", origin: DV_DEADLOCK, severity: "bug check", fix: "Release a lock on the thread that acquired it; hand work to another thread with an event, not with a held lock." },
  // ---- Context and shared buffers ----
  CrossProcessUserAccess: { code: "irpsim", origin: `${IRPSIM}; Learn, "Using Neither Buffered Nor Direct I/O"`, severity: "finding", fix: "Touch a user address only in the requesting thread's context; to use the buffer elsewhere, lock it with an MDL in the dispatch routine and use MmGetSystemAddressForMdlSafe." },
  DoubleFetch: { code: "irpsim", origin: `${IRPSIM}; the time-of-check/time-of-use bug of METHOD_NEITHER and shared buffers`, severity: "finding", fix: "Copy the user's data into kernel memory once (inside __try/__except), validate the copy and use only the copy." },
  // ---- Unload ----
  UnloadWithTimerOrDpc: { code: "0xC7", origin: "bug check TIMER_OR_DPC_INVALID", severity: "bug check", fix: "In DriverUnload, KeCancelTimer every timer and KeRemoveQueueDpc (or KeFlushQueuedDpcs) every DPC before the code and memory they use go away." },
  UnloadWithPendingIrps: { code: "0xCE", origin: "bug check DRIVER_UNLOADED_WITHOUT_CANCELLING_PENDING_OPERATIONS", severity: "bug check", fix: "Complete or cancel every IRP you hold (IRP_MJ_CLEANUP is the place) before the driver can be unloaded." },
  UnloadWithPool: { code: "0xC4/0x62", origin: DV_POOL, severity: "bug check", fix: "Free every pool allocation in DriverUnload (or earlier); tag allocations so !poolused shows what is left." },
  UnloadLeftDevice: { code: "irpsim", origin: IRPSIM, severity: "finding", fix: "IoDeleteDevice every device the driver created, in DriverUnload." },
  UnloadLeftSymbolicLink: { code: "irpsim", origin: IRPSIM, severity: "finding", fix: "IoDeleteSymbolicLink every link the driver created, in DriverUnload, before IoDeleteDevice." },
  // ---- Teardown ----
  LeakedIrp: { code: "irpsim", origin: IRPSIM, severity: "finding", fix: "Every IRP must be completed (or, if you allocated it, freed with IoFreeIrp) before the scenario ends." },
  LeakedMdl: { code: "irpsim", origin: IRPSIM, severity: "finding", fix: "Free every MDL you allocate with IoFreeMdl once it is unlocked and unmapped." },
  LeakedLockedPages: { code: "irpsim", origin: IRPSIM, severity: "finding", fix: "Unlock every MDL you locked (MmUnlockPages) or complete the IRP that carries it." },
  LeakedPool: { code: "irpsim", origin: IRPSIM, severity: "finding", fix: "Free every pool block when the object it backs goes away (per-request allocations when the request completes)." },
  LeakedHandle: { code: "irpsim", origin: IRPSIM, severity: "finding", fix: "ZwClose every kernel handle you open, including the thread handle PsCreateSystemThread returns." },
  LeakedReference: { code: "irpsim", origin: IRPSIM, severity: "finding", fix: "Pair every ObReferenceObject / ObReferenceObjectByHandle with an ObDereferenceObject." },
  // ---- Remove locks, work items, lookaside lists, executive locks, handles, notify routines (verifier/sync-rules.ts) ----
  RemoveLockMisuse: { code: "0xC4/0xD5", origin: `${DV_IO} (0xD5 release, 0xD6 release-and-wait with a tag not acquired; 0xD7 re-initialisation)`, severity: "bug check", fix: "Release a remove lock only with the tag of an IoAcquireRemoveLock that returned STATUS_SUCCESS (when it returns STATUS_DELETE_PENDING nothing is held: fail the request without releasing), hold it once before IoReleaseRemoveLockAndWait, and initialise it once with the device extension." },
  WorkItemInFreedPool: { code: "0xE4/0x0", origin: `bug check WORKER_INVALID (${DV}, Miscellaneous Checks)`, severity: "bug check", fix: "Let a queued work item run (or wait for it) before freeing the memory that holds it, and IoUninitializeWorkItem an item you initialised yourself before freeing its storage." },
  LookasideMisuse: { code: "0xC4/0xCA", origin: `${DV} (0xCA re-initialised while active, 0xCB deleted uninitialised, 0xCD block too small)`, severity: "bug check", fix: "Initialise a lookaside list once with blocks of at least 8 bytes, and delete it once, before the memory that holds it goes." },
  FastMutexIrql: { code: "0xC4/0x33", origin: `${DV} (0x33 acquire above APC_LEVEL, 0x34 release not at APC_LEVEL, 0x39/0x3A the Unsafe variants outside APC_LEVEL and a critical region)`, severity: "bug check", fix: "Acquire a fast mutex at IRQL <= APC_LEVEL and release it at the APC_LEVEL the acquire left you at; use the Unsafe variants only inside a critical region." },
  CriticalRegionRequired: { code: "0xC4/0x37", origin: `${DV} (0x37/0x38 an ERESOURCE, 0xEA/0xEB a push lock, acquired or released with normal kernel APCs enabled)`, severity: "bug check", fix: "Call KeEnterCriticalRegion before acquiring an ERESOURCE or push lock and KeLeaveCriticalRegion after releasing it (or use ExEnterCriticalRegionAndAcquireResourceExclusive)." },
  CriticalRegionMismatch: { code: "0xC4/0x3E", origin: `${DV} (0x3E leave without enter; 0x11A/0x11B enter or leave above APC_LEVEL)`, severity: "bug check", fix: "Pair every KeLeaveCriticalRegion with an earlier KeEnterCriticalRegion on the same thread, at IRQL <= APC_LEVEL." },
  LockSelfDeadlock: { code: "0xC4/0x1000", origin: DV_DEADLOCK, severity: "bug check", fix: "Do not acquire a lock the thread already holds: fast mutexes, guarded mutexes and push locks are not recursive, and a shared ERESOURCE owner cannot be upgraded to exclusive." },
  LockMisuse: { code: "0xC4/0x1007", origin: `${DV} (0x1002 uninitialised, 0x1007 released when not held, 0x100B deleted while held, 0xD0 ERESOURCE re-initialised, 0xD1 deleted uninitialised)`, severity: "bug check", fix: "Initialise a lock once before use, release only what the thread holds, and delete a lock only when nobody holds it." },
  RundownReleaseWithoutAcquire: { code: "irpsim", origin: `${IRPSIM}; NT corrupts the run-down count`, severity: "finding", fix: "Call ExReleaseRundownProtection only after an ExAcquireRundownProtection that returned TRUE." },
  KernelModeUserHandle: { code: "0xC4/0xF6", origin: `${DV} (Security Checks)`, severity: "bug check", fix: "Reference a handle that came from user mode with AccessMode UserMode (Irp->RequestorMode), so its type and access are checked; KernelMode is for kernel handles (OBJ_KERNEL_HANDLE)." },
  BadHandleReference: { code: "0xC4/0x3C", origin: `${DV} (0x3C a bad kernel-mode handle, 0xF5 a NULL handle, 0xF7 a kernel handle referenced as UserMode)`, severity: "bug check", fix: "Pass ObReferenceObjectByHandle a handle your driver opened (or one from user mode, with UserMode), and check it is not NULL." },
  UnloadWithNotifyRoutine: { code: "0xCE", origin: "bug check DRIVER_UNLOADED_WITHOUT_CANCELLING_PENDING_OPERATIONS (the next process creation or exit calls unloaded code)", severity: "bug check", fix: "Remove every process-notify routine (PsSetCreateProcessNotifyRoutine(Ex) with Remove TRUE) in DriverUnload." },
  // ---- WDK macros (wdm-io) ----
  PagedCodeAtRaisedIrql: { code: "0xD1", origin: "PAGED_CODE() in a checked build; Driver Verifier's Force IRQL Checking makes it bug check DRIVER_IRQL_NOT_LESS_OR_EQUAL", severity: "finding", fix: "Do not mark a routine pageable (PAGED_CODE, #pragma alloc_text PAGE) if it can run at DISPATCH_LEVEL: cancel routines, completion routines, DPCs and anything called under a spin lock must be nonpaged." },
} as const satisfies Record<string, RuleInfo>;

/** A rule's name. */
export type RuleId = keyof typeof RULES;

/** Every rule's name. */
export const ruleIds = Object.keys(RULES) as RuleId[];

/** A rule's catalogue entry. */
export function ruleInfo(id: RuleId): RuleInfo {
  return RULES[id];
}
