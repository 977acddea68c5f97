/**
 * The KMDF verifier's rules: for each misuse, the WDF_VIOLATION (0x10D) parameter 1 the framework
 * documents for it (WDF_BUGCHECK_CODES in wdfbugcodes.h), what is wrong and the usual fix. A rule
 * that is a finding, not a bug check, is reported at the end of the run like the WDM findings.
 */

/** WDF_BUGCHECK_CODES: WDF_VIOLATION's parameter 1. */
export const WDF_BUGCHECK_CODES = {
  WDF_POWER_ROUTINE_TIMED_OUT: 0x1,
  WDF_RECURSIVE_LOCK: 0x2,
  WDF_VERIFIER_FATAL_ERROR: 0x3,
  WDF_REQUIRED_PARAMETER_IS_NULL: 0x4,
  WDF_INVALID_HANDLE: 0x5,
  WDF_REQUEST_FATAL_ERROR: 0x6,
  WDF_OBJECT_ERROR: 0x7,
  WDF_DMA_FATAL_ERROR: 0x8,
  WDF_INVALID_INTERRUPT: 0x9,
  WDF_QUEUE_FATAL_ERROR: 0xa,
  WDF_INVALID_LOCK_OPERATION: 0xb,
  WDF_PNP_FATAL_ERROR: 0xc,
  WDF_POWER_MULTIPLE_PPO: 0xd,
  WDF_VERIFIER_IRQL_MISMATCH: 0xe,
  WDF_VERIFIER_CRITICAL_REGION_MISMATCH: 0xf,
} as const;

/** WDF_REQUEST_FATAL_ERROR_CODES: parameter 2 when parameter 1 is WDF_REQUEST_FATAL_ERROR. */
export const WDF_REQUEST_FATAL_ERROR_CODES = {
  WDF_REQUEST_FATAL_ERROR_NO_MORE_STACK_LOCATIONS: 0x1,
  WDF_REQUEST_FATAL_ERROR_NULL_IRP: 0x2,
  WDF_REQUEST_FATAL_ERROR_REQUEST_ALREADY_SENT: 0x3,
  WDF_REQUEST_FATAL_ERROR_INFORMATION_LENGTH_MISMATCH: 0x4,
} as const;

/** What breaking a KMDF rule does. */
export type KmdfSeverity = "bug check" | "finding";

/** One KMDF verifier rule. */
export interface KmdfRuleInfo {
  /** WDF_VIOLATION's parameter 1 for it (a finding keeps the code it would carry). */
  readonly p1: number;
  /** "bug check": KMDF stops the machine with WDF_VIOLATION (0x10D); "finding": the verifier reports it and the run goes on. */
  readonly severity: KmdfSeverity;
  /** Where the rule comes from, for the report's heading. */
  readonly origin: string;
  /** The usual fix, one sentence. */
  readonly fix: string;
}

const KMDF = "KMDF verifier (WDF_VIOLATION 0x10D)";
const KMDF_BREAK = "KMDF verifier: Wdf01000 traces the error and breaks into the debugger (VerifierOn, DbgBreakOnError); irpsim stops the machine there as the debugger would";
const C = WDF_BUGCHECK_CODES;

/** Every KMDF rule, by name. */
export const KMDF_RULES = {
  InvalidHandle: { p1: C.WDF_INVALID_HANDLE, severity: "bug check", origin: KMDF, fix: "Pass the handle the framework gave you for that type, and never use a handle after its object was deleted (a request is gone once it is completed, unless you took a reference)." },
  RequiredParameterIsNull: { p1: C.WDF_REQUIRED_PARAMETER_IS_NULL, severity: "bug check", origin: KMDF, fix: "Pass every parameter the routine documents as _In_ (not _In_opt_); initialise config structures with their WDF_*_INIT function first." },
  IrqlTooHigh: { p1: C.WDF_VERIFIER_IRQL_MISMATCH, severity: "bug check", origin: `${KMDF}; KMDF reports an API called above its IRQL with a verifier break, irpsim with this code`, fix: "Call the routine at the IRQL its documentation allows: from a callback that runs at DISPATCH_LEVEL, queue a WDFWORKITEM and call it from there at PASSIVE_LEVEL." },
  CallbackIrqlMismatch: { p1: C.WDF_VERIFIER_IRQL_MISMATCH, severity: "bug check", origin: KMDF, fix: "Return from every event callback at the IRQL it was called at: release every spin lock you acquired in it." },
  RequestCompletedTwice: { p1: C.WDF_VERIFIER_FATAL_ERROR, severity: "bug check", origin: KMDF_BREAK, fix: "Complete each request once: whoever takes it back (the callback that owns it, EvtRequestCancel, a timer) completes it, and the others must leave it alone; take the request out of your context under your lock before completing it." },
  RequestNotOwned: { p1: C.WDF_QUEUE_FATAL_ERROR, severity: "bug check", origin: KMDF, fix: "After WdfRequestForwardToIoQueue or WdfRequestRequeue succeeds the request belongs to the queue: do not complete or touch it until the queue delivers it to you again." },
  CompleteCancelable: { p1: C.WDF_VERIFIER_FATAL_ERROR, severity: "bug check", origin: KMDF_BREAK, fix: "Call WdfRequestUnmarkCancelable before WdfRequestComplete; if it returns STATUS_CANCELLED, do not complete the request: EvtRequestCancel has been or will be called and completes it." },
  UnmarkNotCancelable: { p1: C.WDF_VERIFIER_FATAL_ERROR, severity: "bug check", origin: KMDF_BREAK, fix: "Call WdfRequestUnmarkCancelable only for a request you marked with WdfRequestMarkCancelable(Ex) and have not unmarked yet." },
  MarkCancelableTwice: { p1: C.WDF_VERIFIER_FATAL_ERROR, severity: "bug check", origin: KMDF_BREAK, fix: "Mark a request cancelable once; unmark it (WdfRequestUnmarkCancelable) before marking it again." },
  RequestNotDriverOwned: { p1: C.WDF_VERIFIER_FATAL_ERROR, severity: "bug check", origin: KMDF_BREAK, fix: "Call this routine only for a request the framework delivered to you (or you retrieved) and have not completed, forwarded or requeued." },
  InformationTooLarge: { p1: C.WDF_REQUEST_FATAL_ERROR, severity: "bug check", origin: `${KMDF} (parameter 2: WDF_REQUEST_FATAL_ERROR_INFORMATION_LENGTH_MISMATCH)`, fix: "Complete with Information no larger than the caller's buffer (the read or write length, or the IOCTL's OutputBufferLength)." },
  RequestAlreadySent: { p1: C.WDF_REQUEST_FATAL_ERROR, severity: "bug check", origin: `${KMDF} (parameter 2: WDF_REQUEST_FATAL_ERROR_REQUEST_ALREADY_SENT)`, fix: "Send a request to one I/O target at a time: wait for its completion routine before sending it again." },
  DeleteNotAllowed: { p1: C.WDF_OBJECT_ERROR, severity: "bug check", origin: `${KMDF}; KMDF refuses the delete with a verifier break (the object does not allow WdfObjectDelete)`, fix: "Do not WdfObjectDelete objects the framework owns (a request it delivered: complete it instead; a PnP device, a default queue, the driver): the framework deletes them itself." },
  DeletedTwice: { p1: C.WDF_OBJECT_ERROR, severity: "bug check", origin: KMDF_BREAK, fix: "Delete an object once; after WdfObjectDelete the handle is only good for WdfObjectDereference of a reference you took." },
  DereferenceDeletes: { p1: C.WDF_OBJECT_ERROR, severity: "bug check", origin: KMDF, fix: "Pair each WdfObjectReference with one WdfObjectDereference; delete objects with WdfObjectDelete, never by dropping the framework's own reference." },
  LockNotSupported: { p1: C.WDF_INVALID_LOCK_OPERATION, severity: "bug check", origin: `${KMDF} (parameter 3: 0, the object has no synchronization lock)`, fix: "WdfObjectAcquireLock works on a device or a queue; use a WDFSPINLOCK or WDFWAITLOCK for anything else." },
  SpinLockNotHeld: { p1: C.WDF_INVALID_LOCK_OPERATION, severity: "bug check", origin: `${KMDF} (parameter 3: 1, released a lock this thread does not hold)`, fix: "Release a WDFSPINLOCK once, on the thread that acquired it, after each WdfSpinLockAcquire." },
  RecursiveLock: { p1: C.WDF_RECURSIVE_LOCK, severity: "bug check", origin: KMDF, fix: "Do not acquire a framework lock you already hold (a callback that runs under the queue's or device's lock must not call WdfObjectAcquireLock on it)." },
  WaitInOwnCallback: { p1: C.WDF_VERIFIER_FATAL_ERROR, severity: "bug check", origin: KMDF_BREAK, fix: "Do not wait for a callback from inside it: WdfTimerStop(Timer, FALSE) in EvtTimerFunc, and no WdfWorkItemFlush in EvtWorkItemFunc — the wait would never end." },
  NotAContext: { p1: C.WDF_VERIFIER_FATAL_ERROR, severity: "bug check", origin: `${KMDF_BREAK}; KMDF itself reads the header before the pointer unchecked`, fix: "Pass WdfObjectContextGetObject the pointer an accessor (WdfObjectGetTypedContext, GetXxxContext) returned for a live object, not a handle or a copy of the context." },
  InvalidAttributes: { p1: C.WDF_VERIFIER_FATAL_ERROR, severity: "bug check", origin: `${KMDF_BREAK} (FxValidateObjectAttributes)`, fix: "Give the routine WDF_OBJECT_ATTRIBUTES that it allows: no ParentObject, and SynchronizationScope and ExecutionLevel left at WdfSynchronizationScopeInheritFromParent / WdfExecutionLevelInheritFromParent, where the framework chooses them." },
  InvalidStructureSize: { p1: C.WDF_VERIFIER_FATAL_ERROR, severity: "bug check", origin: `${KMDF_BREAK}; the routine fails (or ignores the structure) without it`, fix: "Initialise the structure with its WDF_*_INIT function, which sets Size; never copy a structure from a newer header into an older one." },
  DeviceNotPnp: { p1: C.WDF_VERIFIER_FATAL_ERROR, severity: "bug check", origin: KMDF_BREAK, fix: "Call this routine for a PnP device (one EvtDriverDeviceAdd created), not for a control device; a WdfFdoInit* routine takes the WDFDEVICE_INIT EvtDriverDeviceAdd was given." },
  DeviceNotControl: { p1: C.WDF_VERIFIER_FATAL_ERROR, severity: "bug check", origin: KMDF_BREAK, fix: "Call this routine with a control device's WDFDEVICE_INIT (WdfControlDeviceInitAllocate)." },
  InvalidArgumentValue: { p1: C.WDF_VERIFIER_FATAL_ERROR, severity: "bug check", origin: KMDF_BREAK, fix: "Pass only the values the routine documents (its flags, its enumeration's members)." },
  ResumeIdleUnbalanced: { p1: C.WDF_VERIFIER_FATAL_ERROR, severity: "bug check", origin: KMDF_BREAK, fix: "Call WdfDeviceResumeIdle once for each WdfDeviceStopIdle that returned STATUS_SUCCESS or STATUS_PENDING, and never more often." },
  RequestLeftAtPurge: { p1: C.WDF_QUEUE_FATAL_ERROR, severity: "finding", origin: "KMDF verifier (a purge, drain or removal that never finishes)", fix: "Complete (or requeue with WdfRequestStopAcknowledge) every request you own when its queue is purged or its device removed: mark long-held requests cancelable, or handle them in EvtIoStop." },
} as const satisfies Record<string, KmdfRuleInfo>;

/** A KMDF rule's name. */
export type KmdfRuleId = keyof typeof KMDF_RULES;
