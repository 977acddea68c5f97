/**
 * Framework request objects (wdfrequest.h): the WDFREQUEST behind each IRP, who owns it (a queue,
 * the driver, an I/O target), its buffers, its completion, and its cancellation.
 *
 * Cancellation as KMDF does it: a request waiting in a queue carries the framework's cancel
 * routine (FxIoQueueCancel), which takes it out and completes it with STATUS_CANCELLED or calls
 * EvtIoCanceledOnQueue; a request delivered to the driver is not cancelable until the driver marks
 * it (WdfRequestMarkCancelable(Ex)), which sets FxRequestCancel, which calls EvtRequestCancel.
 * The framework uses the IRP's cancel routine and Cancel flag in NT's idiom (set the routine,
 * test Cancel, take the routine back), so the WDM rules underneath check it too.
 */
import { checkNumber, checkPointer } from "../kernel/bad-pointer.js";
import { WdfHandleBrand } from "./handles.js";
import { currentMachine } from "../kernel/context.js";
import { DISPATCH_LEVEL, PASSIVE_LEVEL, type KPROCESSOR_MODE } from "../kernel/irql.js";
import type { MaybePromise } from "../kernel/objects.js";
import { NtStatusError } from "../kernel/nt-status-error.js";
import {
  NT_SUCCESS,
  STATUS_BUFFER_TOO_SMALL,
  STATUS_CANCELLED,
  STATUS_INSUFFICIENT_RESOURCES,
  STATUS_INVALID_DEVICE_REQUEST,
  STATUS_INVALID_DEVICE_STATE,
  STATUS_INVALID_HANDLE,
  STATUS_INVALID_PARAMETER,
  STATUS_SUCCESS,
  ntStatusName,
  type NTSTATUS,
} from "../kernel/status.js";
import type { KThread } from "../kernel/thread.js";
import { completeRequest } from "../io-manager/completion.js";
import { markIrpPending } from "../io-manager/call-driver.js";
import {
  IRP_MJ_CREATE,
  IRP_MJ_DEVICE_CONTROL,
  IRP_MJ_INTERNAL_DEVICE_CONTROL,
  IRP_MJ_READ,
  IRP_MJ_WRITE,
  IoReadAccess,
  IoWriteAccess,
  DO_BUFFERED_IO,
  DO_DIRECT_IO,
  METHOD_BUFFERED,
  METHOD_NEITHER,
  NormalPagePriority,
} from "../io-manager/constants.js";
import type { DEVICE_OBJECT } from "../io-manager/device-object.js";
import type { FILE_OBJECT } from "../io-manager/file-object.js";
import { ioManager } from "../io-manager/io-manager.js";
import { freeIrp } from "../io-manager/irp-alloc.js";
import type { DRIVER_CANCEL, IRP } from "../io-manager/irp.js";
import { IoAllocateMdl, IoFreeMdl, MmBuildMdlForNonPagedPool, MmGetSystemAddressForMdlSafe, MmProbeAndLockPages, MmUnlockPages, type MDL } from "../io-manager/mdl.js";
import { invokeCallback } from "./callback.js";
import { fxEnter, fxIrqlOk, fxViolation, verifierOn, type FxDriverGlobals } from "./globals.js";
import type { WDFFILEOBJECT, WDFMEMORY, WDFQUEUE, WDFREQUEST } from "./handles.js";
import { FxObject, fxObject, fxRequired } from "./object.js";
import { FxMemory } from "./memory.js";
import { createCompleted, type FxDevice } from "./device.js";
import type { FxFileObject } from "./file-object.js";
import { FxIoQueue } from "./queue.js";
import { pnpRequestReleased } from "./pnp.js";
import { powerIoReleased } from "./power.js";
import type { OwnedList } from "./owned-list.js";
import type { EVT_WDF_REQUEST_COMPLETION_ROUTINE, FormatState, SendState, WDF_REQUEST_COMPLETION_PARAMS } from "./io-target.js";

// ---- Types ----------------------------------------------------------------------------------

/** EVT_WDF_REQUEST_CANCEL: the request the driver marked cancelable is being cancelled; complete it. */
export type EVT_WDF_REQUEST_CANCEL = (Request: WDFREQUEST) => void;

/** WDF_REQUEST_TYPE: the request's major function. */
export const WDF_REQUEST_TYPE = {
  WdfRequestTypeCreate: 0x0,
  WdfRequestTypeCreateNamedPipe: 0x1,
  WdfRequestTypeClose: 0x2,
  WdfRequestTypeRead: 0x3,
  WdfRequestTypeWrite: 0x4,
  WdfRequestTypeQueryInformation: 0x5,
  WdfRequestTypeSetInformation: 0x6,
  WdfRequestTypeFlushBuffers: 0x9,
  WdfRequestTypeDeviceControl: 0xe,
  WdfRequestTypeDeviceControlInternal: 0xf,
  WdfRequestTypeShutdown: 0x10,
  WdfRequestTypeCleanup: 0x12,
  WdfRequestTypeOther: 0x1c,
} as const;
/** A WDF_REQUEST_TYPE value. */
export type WDF_REQUEST_TYPE = number;
export const { WdfRequestTypeCreate, WdfRequestTypeClose, WdfRequestTypeRead, WdfRequestTypeWrite, WdfRequestTypeDeviceControl, WdfRequestTypeDeviceControlInternal, WdfRequestTypeCleanup, WdfRequestTypeOther } = WDF_REQUEST_TYPE;

/** WDF_REQUEST_STOP_ACTION_FLAGS. */
export const WDF_REQUEST_STOP_ACTION_FLAGS = {
  WdfRequestStopActionInvalid: 0,
  WdfRequestStopActionSuspend: 0x1,
  WdfRequestStopActionPurge: 0x2,
  WdfRequestStopRequestCancelable: 0x10000000,
} as const;
export const { WdfRequestStopActionSuspend, WdfRequestStopActionPurge, WdfRequestStopRequestCancelable } = WDF_REQUEST_STOP_ACTION_FLAGS;

/** WDF_REQUEST_PARAMETERS. Initialise with WDF_REQUEST_PARAMETERS_INIT; WdfRequestGetParameters fills it. */
export class WDF_REQUEST_PARAMETERS {
  /** Size: the structure's size in bytes, set by WDF_REQUEST_PARAMETERS_INIT (the framework checks it). */
  Size = 56;
  /** MinorFunction: the IRP's minor function code (IRP_MN_*), 0 for most major functions. */
  MinorFunction = 0;
  /** Type: the request's kind (WdfRequestTypeRead, …Write, …DeviceControl, …), the IRP's major function. */
  Type: WDF_REQUEST_TYPE = 0;
  /** Parameters: a union like the IRP stack location's; read the member that Type names. */
  readonly Parameters = {
    /** Create: a WdfRequestTypeCreate's IRP_MJ_CREATE parameters. */
    Create: {
      /** SecurityContext: the IO_SECURITY_CONTEXT of the open (access state, desired access). */
      SecurityContext: null as unknown,
      /** Options: the create disposition (high byte) and the FILE_* create options (low 24 bits). */
      Options: 0,
      /** FileAttributes: the FILE_ATTRIBUTE_* bits the caller asked for. */
      FileAttributes: 0,
      /** ShareAccess: the FILE_SHARE_* bits the caller allows others. */
      ShareAccess: 0,
      /** EaLength: the length of the extended-attribute buffer (0 for device opens). */
      EaLength: 0,
    },
    /** Read: a WdfRequestTypeRead's parameters. */
    Read: {
      /** Length: the number of bytes the caller asked to read. */
      Length: 0,
      /** Key: the byte-range lock key (0 for devices). */
      Key: 0,
      /** DeviceOffset: the byte offset on the device the read starts at (ByteOffset). */
      DeviceOffset: 0,
    },
    /** Write: a WdfRequestTypeWrite's parameters. */
    Write: {
      /** Length: the number of bytes the caller asked to write. */
      Length: 0,
      /** Key: the byte-range lock key (0 for devices). */
      Key: 0,
      /** DeviceOffset: the byte offset on the device the write starts at (ByteOffset). */
      DeviceOffset: 0,
    },
    /** DeviceIoControl: a WdfRequestTypeDeviceControl's (or internal device control's) parameters. */
    DeviceIoControl: {
      /** OutputBufferLength: the caller's output buffer length (nOutBufferSize). */
      OutputBufferLength: 0,
      /** InputBufferLength: the caller's input buffer length (nInBufferSize). */
      InputBufferLength: 0,
      /** IoControlCode: the control code (CTL_CODE: device type, function, method, access). */
      IoControlCode: 0,
      /** Type3InputBuffer: the caller's raw input address for METHOD_NEITHER (unprobed; 0 otherwise). */
      Type3InputBuffer: 0,
    },
    /** Others: the stack location's raw arguments, for request types with no member of their own. */
    Others: {
      /** Arg1: Argument1 of the stack location (an internal IOCTL's first argument). */
      Arg1: null as unknown,
      /** Arg2: Argument2 of the stack location. */
      Arg2: null as unknown,
      /** Arg4: Argument4 of the stack location. */
      Arg4: null as unknown,
      /** IoControlCode: the control code, in Argument3's place. */
      IoControlCode: 0,
    },
  };
}

/** WDF_REQUEST_PARAMETERS_INIT: zeroes the structure and sets its Size, as the KMDF header's inline function does. */
export function WDF_REQUEST_PARAMETERS_INIT(Parameters: WDF_REQUEST_PARAMETERS): void {
  Object.assign(Parameters, new WDF_REQUEST_PARAMETERS());
}

/** Who has a request now. */
export type RequestOwner = "framework" | "queue" | "driver" | "target" | "done";

// ---- The request ----------------------------------------------------------------------------

/** A framework request. */
export class FxRequest extends FxObject {
  declare readonly [WdfHandleBrand]: "WDFREQUEST";
  irp: IRP | null;
  /** Created by the framework for an IRP the I/O manager sent (not WdfRequestCreate). */
  readonly fromIo: boolean;
  major: number;
  /** Read/write length, for the callbacks. */
  length = 0;
  readonly device: FxDevice | null;
  fxFileObject: FxFileObject | null;
  owner: RequestOwner = "framework";
  /** The queue that holds it (waiting) or that delivered it (driver-owned). */
  queue: FxIoQueue | null = null;
  /** Delivered to the driver at least once (EvtIoCanceledOnQueue is only for these). */
  presented = false;
  completed = false;
  /** Marked cancelable by the driver and not unmarked or cancelled since. */
  cancelable = false;
  private evtCancel: EVT_WDF_REQUEST_CANCEL | null = null;
  /** The framework took it to call (or has called) EvtRequestCancel. */
  canceled = false;
  /** Inside EvtIoInCallerContext (the unsafe user buffers are reachable). */
  inCallerContext = false;
  inEvtIoStop = false;
  /** WdfRequestStopAcknowledge(Request, FALSE): the driver keeps it through the power-down. */
  stopAcknowledgedInPlace = false;
  priorityBoost = 0;
  private inputMemory: FxMemory | null = null;
  private outputMemory: FxMemory | null = null;
  /** MDLs the framework made for the request (buffered I/O's WDM MDLs, probed user buffers), undone at completion. */
  private ownMdls: { mdl: MDL; locked: boolean }[] | null = null;
  /** An I/O target send in progress or finished (io-target.ts). */
  send: SendState | null = null;
  /** The next stack location has been formatted for a send. */
  formatted = false;
  /** What a Format routine made (freed when the send completes). */
  formatState: FormatState | null = null;
  /** The completion routine WdfRequestSetCompletionRoutine set for the next send. */
  pendingCompletion: { routine: EVT_WDF_REQUEST_COMPLETION_ROUTINE | null; context: unknown } | null = null;
  /** What the last send's completion reported (WdfRequestGetCompletionParams). */
  completionParams: WDF_REQUEST_COMPLETION_PARAMS | null = null;
  completedStatus = 0;
  /** Its place among the requests a queue delivered to the driver (owned-list.ts). */
  ownedIn: OwnedList<FxRequest> | null = null;
  ownedPrev: FxRequest | null = null;
  ownedNext: FxRequest | null = null;

  constructor(g: FxDriverGlobals, device: FxDevice | null, irp: IRP | null, fromIo: boolean, parent: FxObject | null) {
    super(g, "WDFREQUEST", parent);
    this.irp = irp;
    this.fromIo = fromIo;
    this.device = device;
    this.fxFileObject = null;
    this.major = 0;
    if (irp) {
      const sl = irp.Stack[irp.CurrentLocation - 1];
      if (sl) {
        this.major = sl.MajorFunction;
        if (this.major === IRP_MJ_READ || this.major === IRP_MJ_WRITE) this.length = sl.Parameters.Length;
      }
      if (fromIo) irp.DriverContext[3] = this;
    }
    this.noDeleteDdi = fromIo;
  }

  /** "irp#3" or null. */
  get irpLabel(): string | null {
    return this.irp ? this.irp.label : null;
  }

  /** The FILE_OBJECT of the request's stack location. */
  get fileObject(): FILE_OBJECT | null {
    const irp = this.irp;
    if (!irp) return null;
    return irp.Stack[irp.CurrentLocation - 1]?.FileObject ?? null;
  }

  /** The IOCTL's lengths and code, for EvtIoDeviceControl. */
  ioctlParameters(): { out: number; in: number; code: number } {
    const sl = this.irp?.Stack[(this.irp.CurrentLocation) - 1];
    if (!sl) return { out: 0, in: 0, code: 0 };
    const p = sl.Parameters;
    return { out: p.OutputBufferLength, in: p.InputBufferLength, code: p.IoControlCode };
  }

  traceState(state: string, q: FxIoQueue | null, status: number | null = null): void {
    const m = this.machine;
    if (m.trace.on) m.trace.emit("WdfRequestState", { request: this.label, irp: this.irpLabel, state, queue: q ? q.label : null, driver: this.globals.name, status });
  }

  /** The queue delivered (or the driver retrieved) it: the driver owns it now. */
  deliveredBy(q: FxIoQueue): void {
    this.queue = q;
    this.owner = "driver";
    this.presented = true;
    const m = this.machine;
    if (m.trace.on) this.traceState("delivered", q);
  }

  // ---- The IRP's cancel routine, in NT's idiom ----

  /** Sets the framework's queue cancel routine; false when the IRP was already cancelled (and the routine taken back). */
  setQueueCancelRoutine(): boolean {
    const irp = this.irp;
    if (!irp || !this.fromIo) return true;
    return setCancelRoutine(this, irp, FxIoQueueCancel);
  }

  /** Takes the queue cancel routine back; false when a cancel took it first (its routine runs). */
  clearQueueCancelRoutine(): boolean {
    const irp = this.irp;
    if (!irp || !this.fromIo) return true;
    return exchangeCancelRoutine(this, irp, null) !== null;
  }

  /** Whether its IRP still carries a cancel routine (nobody has begun cancelling it). */
  irpCancelRoutineSet(): boolean {
    return this.irp !== null && this.irp.CancelRoutine !== null;
  }

  /** Purge: a driver-owned request that is marked cancelable is cancelled now. */
  cancelIfCancelable(t: KThread): void {
    if (!this.cancelable || !this.irp) return;
    if (exchangeCancelRoutine(this, this.irp, null) === null) return;
    runDriverCancel(t, this);
  }

  /** WdfRequestMarkCancelable's immediate cancel of a request already cancelled. */
  cancelIfCancelableNow(t: KThread): void {
    runDriverCancel(t, this);
  }

  /** Marks it cancelable with `cb`; "cancelled" when the IRP was cancelled already (the routine taken back). */
  markCancelable(cb: EVT_WDF_REQUEST_CANCEL): "ok" | "cancelled" {
    this.evtCancel = cb;
    const irp = this.irp;
    if (!irp) {
      this.cancelable = true;
      return "ok";
    }
    if (!setCancelRoutine(this, irp, FxRequestCancel)) return "cancelled";
    this.cancelable = true;
    this.traceState("cancelable", this.queue);
    return "ok";
  }

  /** Unmarks it; false when a cancel took the routine first (EvtRequestCancel runs or will run). */
  unmarkCancelable(): boolean {
    this.cancelable = false;
    const irp = this.irp;
    if (!irp) return true;
    if (exchangeCancelRoutine(this, irp, null) === null) {
      this.canceled = true;
      return false;
    }
    this.traceState("not cancelable", this.queue);
    return true;
  }

  /** The driver's cancel callback, taken for a call. */
  takeCancelCallback(): EVT_WDF_REQUEST_CANCEL | null {
    const cb = this.evtCancel;
    this.evtCancel = null;
    return cb;
  }

  // ---- Buffers ----

  /** A memory object for a buffer of the request (made once, a child of the request). */
  memoryFor(output: boolean, va: number, length: number): FxMemory {
    const existing = output ? this.outputMemory : this.inputMemory;
    if (existing && existing.buffer === va && existing.length === length) return existing;
    const mem = new FxMemory(this.globals, this, va, length);
    mem.noDeleteDdi = true;
    mem.traceCreated();
    if (output) this.outputMemory = mem;
    else this.inputMemory = mem;
    return mem;
  }

  /** Records an MDL the framework made for the request, to undo at completion. */
  ownMdl(mdl: MDL, locked: boolean): void {
    (this.ownMdls ??= []).push({ mdl, locked });
  }

  /** Unlocks and frees the MDLs the framework made for the request. */
  releaseOwnMdls(): void {
    const list = this.ownMdls;
    if (!list) return;
    this.ownMdls = null;
    for (const { mdl, locked } of list) {
      if (locked) MmUnlockPages(mdl);
      IoFreeMdl(mdl);
    }
  }
}

/** A request the driver created: deleting it frees its IRP. */
export class FxDriverRequest extends FxRequest {
  constructor(g: FxObject["globals"], irp: IRP, parent: FxObject | null) {
    super(g, null, irp, false, parent);
  }
  protected override onDestroyed(): void {
    const irp = this.irp;
    if (irp && irp.allocated && irp.CurrentLocation > irp.StackCount) freeIrp(this.machine, irp);
    this.irp = null;
  }
}

// ---- The IRP's cancel routines --------------------------------------------------------------

/** IoSetCancelRoutine's exchange for the framework (its hooks, no injection point), then NT's test of Irp->Cancel. */
function setCancelRoutine(r: FxRequest, irp: IRP, routine: DRIVER_CANCEL): boolean {
  exchangeCancelRoutine(r, irp, routine);
  if (irp.Cancel) {
    // Cancelled before the routine was set: take it back unless IoCancelIrp already took it.
    if (exchangeCancelRoutine(r, irp, null) !== null) return false;
  }
  return true;
}

function exchangeCancelRoutine(r: FxRequest, irp: IRP, routine: DRIVER_CANCEL | null): DRIVER_CANCEL | null {
  const previous = irp.CancelRoutine;
  irp.CancelRoutine = routine;
  const m = r.machine;
  const io = m.io;
  if (io && io.hooks.length !== 0) {
    const t = m.currentThread();
    for (const h of io.hooks) h.cancelRoutineSet?.(irp, routine, previous, t);
  }
  if (m.trace.on) m.trace.emit("IrpCancelRoutineSet", { irp: irp.label, routine: routine ? routine.name : "NULL", previous: previous ? previous.name : "NULL" });
  return previous;
}

/** The request behind an IRP the framework made one for (Irp->Tail.Overlay.DriverContext[3], as KMDF keeps it). */
export function requestOfIrp(irp: IRP): FxRequest | null {
  const v = irp.DriverContext[3];
  return v instanceof FxRequest ? v : null;
}

function releaseCancelSpinLock(t: KThread, irp: IRP): void {
  const m = t.machine;
  m.interrupts.releaseSpinLock(ioManager(m).cancelSpinLock, irp.CancelIrql);
}

/**
 * The framework's cancel routine of a request waiting in a queue: takes it out of the queue and
 * cancels it there (EvtIoCanceledOnQueue or STATUS_CANCELLED).
 */
const FxIoQueueCancel: DRIVER_CANCEL = function FxIoQueueCancel(_DeviceObject: DEVICE_OBJECT, Irp: IRP) {
  const t = currentMachine("FxIoQueueCancel").currentThread();
  releaseCancelSpinLock(t, Irp);
  const r = requestOfIrp(Irp);
  if (!r || r.destroyed) return;
  r.traceState("canceled", r.queue);
  const q = r.queue;
  if (!q || r.owner !== "queue" || !q.removeWaiting(r)) return;
  cancelForQueue(t, q, r);
  q.checkStateWaiters(t);
};

/**
 * FxIoQueue::CancelForQueue: a request cancelled while waiting in `q` (by the I/O manager, a purge
 * or a flush) — the driver's EvtIoCanceledOnQueue completes it if the driver had seen it,
 * otherwise the framework completes it with STATUS_CANCELLED.
 */
export function cancelForQueue(t: KThread, q: FxIoQueue, r: FxRequest): void {
  const cb = q.evtCanceledOnQueue;
  r.queue = null;
  if (cb && r.presented) {
    r.owner = "driver";
    r.queue = q;
    q.driverOwned.add(r);
    if (q.passive && t.irql !== PASSIVE_LEVEL) {
      t.machine.queueWorkItem(`${q.label} EvtIoCanceledOnQueue`, () => invokeCallback(t.machine.currentThread(), q.globals, q.presentationLock, "EvtIoCanceledOnQueue", cb, { object: q.label, request: r.label, irp: r.irpLabel }, () => { cb(q, r); }), q.globals.name);
      return;
    }
    const p = invokeCallback(t, q.globals, q.presentationLock, "EvtIoCanceledOnQueue", cb, { object: q.label, request: r.label, irp: r.irpLabel }, () => {
      cb(q, r);
    });
    if (p instanceof Promise) p.catch(() => undefined);
    return;
  }
  completeFxRequest(t, r, STATUS_CANCELLED, 0, true);
}

/** The framework's cancel routine of a request the driver marked cancelable: calls its EvtRequestCancel. */
const FxRequestCancel: DRIVER_CANCEL = function FxRequestCancel(_DeviceObject: DEVICE_OBJECT, Irp: IRP) {
  const t = currentMachine("FxRequestCancel").currentThread();
  releaseCancelSpinLock(t, Irp);
  // Found through the IRP even if the driver completed it meanwhile (a driver race): its
  // EvtRequestCancel then runs for a completed request, as on Windows.
  const r = requestOfIrp(Irp);
  if (r) runDriverCancel(t, r);
};

/** Calls the driver's EvtRequestCancel for a cancelable request whose IRP routine the framework (or a cancel) took. */
function runDriverCancel(t: KThread, r: FxRequest): void {
  r.cancelable = false;
  r.canceled = true;
  r.traceState("canceled", r.queue);
  const cb = r.takeCancelCallback();
  if (!cb) return;
  const q = r.queue;
  const lock = q ? q.presentationLock : null;
  const call = (on: KThread): MaybePromise<void> =>
    invokeCallback(on, r.globals, lock, "EvtRequestCancel", cb, { object: r.label, request: r.label, irp: r.irpLabel }, () => {
      cb(r);
    });
  if (q?.passive && t.irql !== PASSIVE_LEVEL) {
    t.machine.queueWorkItem(`${r.label} EvtRequestCancel`, () => call(t.machine.currentThread()), r.globals.name);
    return;
  }
  const p = call(t);
  if (p instanceof Promise) p.catch(() => undefined);
}

/** The action flags EvtIoStop gets for a request (WdfRequestStopRequestCancelable when it is marked). */
export function stopActionFlags(r: FxRequest, action: number): number {
  return r.cancelable ? action | WdfRequestStopRequestCancelable : action;
}

// ---- Completion -----------------------------------------------------------------------------

/**
 * FxRequest::CompleteInternal: the request's status (and information) go into its IRP; the
 * request's EvtCleanupCallback runs and its children (memory objects, MDLs the framework made)
 * go; the IRP is completed; the queue that delivered it learns it is free (a sequential queue
 * delivers its next request); the request object is deleted. `byFramework` when the framework
 * itself completes it (a cancel, a queue that refuses it).
 */
export function completeFxRequest(t: KThread, r: FxRequest, status: NTSTATUS, information: number | undefined, _byFramework: boolean): void {
  const m = t.machine;
  const irp = r.irp;
  const q = r.queue;
  r.completed = true;
  r.completedStatus = status >>> 0;
  r.owner = "done";
  r.cancelable = false;
  r.queue = null;
  if (m.trace.on) r.traceState("completed", q, status >>> 0);
  r.refs++;
  r.deleteObject();
  r.releaseOwnMdls();
  if (irp) {
    irp.Status = status >>> 0;
    if (information !== undefined) irp.Information = information;
    if (r.fromIo) {
      // DriverContext[3] keeps pointing at the request, as the memory would on Windows: a cancel
      // routine a racing cancel took before this completion still finds it (and its driver's bug).
      const createOf = r.major === IRP_MJ_CREATE && r.device ? r.fileObject : null;
      completeIrp(t, irp, r.priorityBoost);
      if (createOf && r.device) createCompleted(r.device, createOf, status);
    } else {
      r.send = null;
    }
  }
  if (q) q.released(t, r);
  // S0 idle: a power-managed queue may have gone quiet (power.ts).
  if (q?.powerManaged) powerIoReleased(q.device);
  r.release();
}

/** IoCompleteRequest for the framework: the I/O manager's hooks see it, no injection point. */
export function completeIrp(t: KThread, irp: IRP, _boost: number): void {
  completeRequest(t, irp);
  const io = t.machine.io;
  if (io && io.hooks.length !== 0) for (const h of io.hooks) h.afterCompleteRequest?.(irp, t);
}

/** IoMarkIrpPending for the framework (hooks, no injection point). */
export function markPending(t: KThread, irp: IRP): void {
  markIrpPending(t, irp);
}

// ---- Checks the request routines share --------------------------------------------------

/** Looks a request handle up; a request already completed and gone is reported as a second completion. */
export function fxRequest(t: KThread, h: unknown, api: string): FxRequest | null {
  if (h instanceof FxRequest && h.destroyed) {
    const m = t.machine;
    if (verifierOn(m, h.globals)) {
      fxViolation(m, h.globals, api.startsWith("WdfRequestComplete") ? "RequestCompletedTwice" : "InvalidHandle", `${api}(${h.label}): the request was already completed${h.completedStatus !== 0 || h.completed ? ` with ${ntStatusName(h.completedStatus)}` : ""} and its object deleted, so the handle is stale.`, { p1: 0x5, p2: h.handle, irp: null });
    }
    return null;
  }
  return fxObject(t, h, FxRequest, "WDFREQUEST", api);
}

/** Whether the driver owns the request now; the verifier stops a call on one it does not own. */
function driverOwns(t: KThread, r: FxRequest, api: string): boolean {
  if (r.owner === "driver") return true;
  const m = t.machine;
  if (verifierOn(m, r.globals)) {
    if (r.completed) fxViolation(m, r.globals, "RequestCompletedTwice", `${api}(${r.label}): the request was already completed with ${ntStatusName(r.completedStatus)} (a reference the driver took keeps its handle valid).`, { p2: r.handle, irp: r.irpLabel });
    if (r.owner === "queue") fxViolation(m, r.globals, "RequestNotOwned", `${api}(${r.label}): the request waits in ${r.queue?.label ?? "a queue"} (it was forwarded or requeued), so the queue owns it, not the driver.`, { p2: r.handle, irp: r.irpLabel });
    if (r.owner === "target") fxViolation(m, r.globals, "RequestNotOwned", `${api}(${r.label}): the request is pending on ${r.send?.target.label ?? "an I/O target"}; it is the driver's again when its completion routine runs.`, { p2: r.handle, irp: r.irpLabel });
    fxViolation(m, r.globals, "RequestNotDriverOwned", `${api}(${r.label}): the framework has not delivered this request to the driver.`, { p2: r.handle, irp: r.irpLabel });
  }
  return false;
}

// ---- Completion routines ----------------------------------------------------------------

function completeChecked(api: string, Request: WDFREQUEST, Status: NTSTATUS, Information: number | undefined, boost: number | undefined): void {
  const t = fxEnter(api);
  const r = fxRequest(t, Request, api);
  if (!r) return;
  // NTSTATUS, ULONG_PTR and CCHAR are passed by value: anything else is no value a C caller has.
  Status = checkNumber(api, "Status", Status);
  if (Information !== undefined) Information = checkNumber(api, "Information", Information) >>> 0;
  if (boost !== undefined) boost = checkNumber(api, "PriorityBoost", boost);
  const m = t.machine;
  if (!fxIrqlOk(t, r.globals, api, DISPATCH_LEVEL)) return;
  const verify = verifierOn(m, r.globals);
  if (r.owner !== "driver") {
    if (verify) driverOwns(t, r, api);
    // Unverified: the free build goes on and completes the IRP again (the I/O manager's 0x44).
    if (r.completed && r.irp && r.fromIo) {
      r.irp.Status = Status >>> 0;
      completeIrp(t, r.irp, 0);
    }
    return;
  }
  if (r.cancelable && verify) {
    fxViolation(m, r.globals, "CompleteCancelable", `${api}(${r.label}) completes a request that is still marked cancelable: a cancel now races with this completion and can complete it a second time.`, { p2: r.handle, irp: r.irpLabel });
  }
  const irp = r.irp;
  if (verify && irp && r.fromIo && NT_SUCCESS(Status)) {
    const info = Information ?? irp.Information;
    const limit = informationLimit(r, irp);
    if (limit !== null && info > limit) {
      fxViolation(m, r.globals, "InformationTooLarge", `${api}(${r.label}) completes ${irp.label} with Information ${info}, more than the caller's ${limit}-byte buffer.`, { p2: 0x4, p3: r.handle, irp: irp.label });
    }
  }
  if (boost !== undefined) r.priorityBoost = boost;
  completeFxRequest(t, r, Status, Information, false);
  // Another processor's cancel or completion may land as the driver's completion returns.
  m.returnPoint(api);
}

/** The largest Information a successful completion may carry (KMDF's verifier check), null when unchecked. */
function informationLimit(r: FxRequest, irp: IRP): number | null {
  const sl = irp.Stack[irp.CurrentLocation - 1];
  if (!sl) return null;
  switch (r.major) {
    case IRP_MJ_READ:
    case IRP_MJ_WRITE:
      return sl.Parameters.Length;
    case IRP_MJ_DEVICE_CONTROL:
      if (irp.RequestorMode !== 1) return null;
      return sl.Parameters.OutputBufferLength > 0 ? sl.Parameters.OutputBufferLength : null;
    default:
      return null;
  }
}

/**
 * WdfRequestComplete: completes the request with `Status` (and the Information set so far). The
 * request object is gone afterwards. Under the verifier: completing twice, completing a request
 * still marked cancelable, or one a queue or I/O target owns is WDF_VIOLATION.
 */
export function WdfRequestComplete(Request: WDFREQUEST, Status: NTSTATUS): void {
  completeChecked("WdfRequestComplete", Request, Status, undefined, undefined);
}

/** WdfRequestCompleteWithInformation: sets Information, then completes. */
export function WdfRequestCompleteWithInformation(Request: WDFREQUEST, Status: NTSTATUS, Information: number): void {
  completeChecked("WdfRequestCompleteWithInformation", Request, Status, Information, undefined);
}

/** WdfRequestCompleteWithPriorityBoost: completes with a priority boost for the requesting thread. */
export function WdfRequestCompleteWithPriorityBoost(Request: WDFREQUEST, Status: NTSTATUS, PriorityBoost: number): void {
  completeChecked("WdfRequestCompleteWithPriorityBoost", Request, Status, undefined, PriorityBoost);
}

/** WdfRequestSetInformation: the IRP's IoStatus.Information (the byte count). */
export function WdfRequestSetInformation(Request: WDFREQUEST, Information: number): void {
  const t = fxEnter("WdfRequestSetInformation");
  const r = fxRequest(t, Request, "WdfRequestSetInformation");
  if (!r || !r.irp) return;
  // A ULONG_PTR by value: what no C caller could pass is STATUS_INVALID_PARAMETER, raised.
  r.irp.Information = checkNumber("WdfRequestSetInformation", "Information", Information) >>> 0;
}

/** WdfRequestGetInformation. */
export function WdfRequestGetInformation(Request: WDFREQUEST): number {
  const t = fxEnter("WdfRequestGetInformation");
  const r = fxRequest(t, Request, "WdfRequestGetInformation");
  return r?.irp ? r.irp.Information : 0;
}

/** WdfRequestGetStatus: the request's IoStatus.Status (for a request sent to an I/O target, its outcome). */
export function WdfRequestGetStatus(Request: WDFREQUEST): NTSTATUS {
  const t = fxEnter("WdfRequestGetStatus");
  const r = fxRequest(t, Request, "WdfRequestGetStatus");
  if (!r || !r.irp) return STATUS_INVALID_HANDLE;
  return r.irp.Status;
}

// ---- Cancellation routines --------------------------------------------------------------

function mark(api: string, Request: WDFREQUEST, EvtRequestCancel: EVT_WDF_REQUEST_CANCEL, ex: boolean): NTSTATUS {
  const t = fxEnter(api);
  const r = fxRequest(t, Request, api);
  if (!r) return STATUS_INVALID_HANDLE;
  const m = t.machine;
  if (!fxIrqlOk(t, r.globals, api, DISPATCH_LEVEL)) return STATUS_INVALID_DEVICE_REQUEST;
  if (!fxRequired(t, r.globals, EvtRequestCancel, api, "EvtRequestCancel")) return STATUS_INVALID_PARAMETER;
  if (!driverOwns(t, r, api)) return STATUS_INVALID_DEVICE_REQUEST;
  if (r.cancelable) {
    if (verifierOn(m, r.globals)) fxViolation(m, r.globals, "MarkCancelableTwice", `${api}(${r.label}): the request is already marked cancelable.`, { p2: r.handle, irp: r.irpLabel });
    return STATUS_INVALID_DEVICE_REQUEST;
  }
  // A purge in progress cancels requests the moment they become cancelable.
  const purging = r.queue?.cancelDispatched === true;
  const outcome = purging ? "cancelled" : r.markCancelable(EvtRequestCancel);
  let status: NTSTATUS = STATUS_SUCCESS;
  if (outcome === "cancelled") {
    if (ex) {
      r.takeCancelCallback();
      r.traceState("canceled", r.queue);
      status = STATUS_CANCELLED;
    } else {
      // WdfRequestMarkCancelable on a cancelled request calls EvtRequestCancel before returning.
      if (purging) r.markCancelable(EvtRequestCancel);
      r.cancelable = true;
      r.cancelIfCancelableNow(t);
    }
  }
  m.returnPoint(api);
  return status;
}

/**
 * WdfRequestMarkCancelable: the request becomes cancelable; if it is cancelled, the framework
 * calls `EvtRequestCancel`. A request already cancelled gets its EvtRequestCancel at once.
 * Marking it twice is WDF_VIOLATION under the verifier.
 */
export function WdfRequestMarkCancelable(Request: WDFREQUEST, EvtRequestCancel: EVT_WDF_REQUEST_CANCEL): void {
  mark("WdfRequestMarkCancelable", Request, EvtRequestCancel, false);
}

/**
 * WdfRequestMarkCancelableEx: as WdfRequestMarkCancelable, but a request already cancelled is not
 * marked: the routine returns STATUS_CANCELLED and the driver completes it itself.
 *
 * @returns STATUS_SUCCESS, STATUS_CANCELLED, or STATUS_INVALID_DEVICE_REQUEST for misuse.
 */
export function WdfRequestMarkCancelableEx(Request: WDFREQUEST, EvtRequestCancel: EVT_WDF_REQUEST_CANCEL): NTSTATUS {
  return mark("WdfRequestMarkCancelableEx", Request, EvtRequestCancel, true);
}

/**
 * WdfRequestUnmarkCancelable: the request is no longer cancelable.
 *
 * @returns STATUS_SUCCESS; STATUS_CANCELLED when the request was cancelled and EvtRequestCancel
 * has been or will be called (then the driver must not complete it here); under the verifier,
 * a request that was never marked is WDF_VIOLATION (STATUS_INVALID_DEVICE_REQUEST without it).
 */
export function WdfRequestUnmarkCancelable(Request: WDFREQUEST): NTSTATUS {
  const t = fxEnter("WdfRequestUnmarkCancelable");
  const r = fxRequest(t, Request, "WdfRequestUnmarkCancelable");
  if (!r) return STATUS_INVALID_HANDLE;
  const m = t.machine;
  if (!fxIrqlOk(t, r.globals, "WdfRequestUnmarkCancelable", DISPATCH_LEVEL)) return STATUS_INVALID_DEVICE_REQUEST;
  if (!driverOwns(t, r, "WdfRequestUnmarkCancelable")) return STATUS_INVALID_DEVICE_REQUEST;
  if (!r.cancelable) {
    if (r.canceled) {
      m.returnPoint("WdfRequestUnmarkCancelable");
      return STATUS_CANCELLED;
    }
    if (verifierOn(m, r.globals)) fxViolation(m, r.globals, "UnmarkNotCancelable", `WdfRequestUnmarkCancelable(${r.label}): the request was never marked cancelable (or was unmarked already).`, { p2: r.handle, irp: r.irpLabel });
    return STATUS_INVALID_DEVICE_REQUEST;
  }
  const ok = r.unmarkCancelable();
  m.returnPoint("WdfRequestUnmarkCancelable");
  return ok ? STATUS_SUCCESS : STATUS_CANCELLED;
}

/** WdfRequestIsCanceled: whether the I/O manager has cancelled the request's IRP (Irp->Cancel). */
export function WdfRequestIsCanceled(Request: WDFREQUEST): boolean {
  const t = fxEnter("WdfRequestIsCanceled");
  const r = fxRequest(t, Request, "WdfRequestIsCanceled");
  if (!r) return false;
  if (!fxIrqlOk(t, r.globals, "WdfRequestIsCanceled", DISPATCH_LEVEL)) return false;
  return r.irp !== null && r.irp.Cancel;
}

// ---- Moving requests --------------------------------------------------------------------

/**
 * WdfRequestForwardToIoQueue: hands a driver-owned request to another queue of the same device
 * (the queue owns it until it delivers it again).
 *
 * @returns STATUS_SUCCESS; STATUS_INVALID_DEVICE_REQUEST for the queue it came from, a request the
 * driver does not own, or one still marked cancelable; STATUS_INVALID_DEVICE_STATE when the
 * destination does not accept requests (the driver still owns it then).
 */
export function WdfRequestForwardToIoQueue(Request: WDFREQUEST, DestinationQueue: WDFQUEUE): NTSTATUS {
  const t = fxEnter("WdfRequestForwardToIoQueue");
  const r = fxRequest(t, Request, "WdfRequestForwardToIoQueue");
  if (!r) return STATUS_INVALID_HANDLE;
  const dest = fxObject(t, DestinationQueue, FxIoQueue, "WDFQUEUE", "WdfRequestForwardToIoQueue");
  if (!dest) return STATUS_INVALID_HANDLE;
  if (!fxIrqlOk(t, r.globals, "WdfRequestForwardToIoQueue", DISPATCH_LEVEL)) return STATUS_INVALID_DEVICE_REQUEST;
  if (!driverOwns(t, r, "WdfRequestForwardToIoQueue")) return STATUS_INVALID_DEVICE_REQUEST;
  if (dest === r.queue || r.cancelable || !r.fromIo || dest.device !== r.device) return STATUS_INVALID_DEVICE_REQUEST;
  if (!dest.accepting || dest.gone) return STATUS_INVALID_DEVICE_STATE;
  return moveTo(t, r, dest, false, "forwarded");
}

/** Moves a driver-owned request into a queue (forward or requeue); the old queue learns it is free. */
function moveTo(t: KThread, r: FxRequest, dest: FxIoQueue, head: boolean, how: string): NTSTATUS {
  const from = r.queue;
  r.owner = "queue";
  if (from) from.driverOwned.delete(r);
  r.traceState(how, dest);
  if (!dest.insert(r, head)) {
    // Cancelled already: the destination cancels it as its own (EvtIoCanceledOnQueue or STATUS_CANCELLED).
    r.owner = "queue";
    cancelForQueue(t, dest, r);
  } else if (dest.dispatchType !== 3) {
    dest.scheduleDispatch(t);
  }
  if (from) from.released(t, r);
  t.machine.returnPoint("WdfRequestForwardToIoQueue");
  return STATUS_SUCCESS;
}

/**
 * WdfRequestRequeue: returns a driver-owned request to the head of the queue that delivered it.
 *
 * @returns STATUS_SUCCESS, or STATUS_INVALID_DEVICE_REQUEST for a request with no queue or still cancelable.
 */
export function WdfRequestRequeue(Request: WDFREQUEST): NTSTATUS {
  const t = fxEnter("WdfRequestRequeue");
  const r = fxRequest(t, Request, "WdfRequestRequeue");
  if (!r) return STATUS_INVALID_HANDLE;
  if (!fxIrqlOk(t, r.globals, "WdfRequestRequeue", DISPATCH_LEVEL)) return STATUS_INVALID_DEVICE_REQUEST;
  if (!driverOwns(t, r, "WdfRequestRequeue")) return STATUS_INVALID_DEVICE_REQUEST;
  const q = r.queue;
  if (!q || r.cancelable) return STATUS_INVALID_DEVICE_REQUEST;
  return moveTo(t, r, q, true, "requeued");
}

/**
 * WdfRequestStopAcknowledge: from EvtIoStop, the driver acknowledges the stop: `Requeue` TRUE
 * puts the request back at the head of its queue (redelivered after the device returns to D0);
 * FALSE keeps it with the driver (EvtIoResume tells it to go on).
 */
export function WdfRequestStopAcknowledge(Request: WDFREQUEST, Requeue: boolean): void {
  const t = fxEnter("WdfRequestStopAcknowledge");
  const r = fxRequest(t, Request, "WdfRequestStopAcknowledge");
  if (!r) return;
  if (!driverOwns(t, r, "WdfRequestStopAcknowledge")) return;
  const q = r.queue;
  if (Requeue && q && !r.cancelable) {
    moveTo(t, r, q, true, "requeued");
    return;
  }
  r.stopAcknowledgedInPlace = true;
  if (q) {
    q.checkStateWaiters(t);
    if (q.device.pnp !== null) pnpRequestReleased(q.device);
  }
}

// ---- Parameters and WDM ---------------------------------------------------------------------

/** WdfRequestGetParameters: fills `Parameters` from the request's stack location. */
export function WdfRequestGetParameters(Request: WDFREQUEST, Parameters: WDF_REQUEST_PARAMETERS): void {
  const t = fxEnter("WdfRequestGetParameters");
  const r = fxRequest(t, Request, "WdfRequestGetParameters");
  if (!r) return;
  if (!fxRequired(t, r.globals, Parameters, "WdfRequestGetParameters", "Parameters")) return;
  // Written through the pointer: what is no WDF_REQUEST_PARAMETERS faults.
  checkPointer("WdfRequestGetParameters", "Parameters", Parameters, WDF_REQUEST_PARAMETERS, "a WDF_REQUEST_PARAMETERS");
  const irp = r.irp;
  const sl = irp?.Stack[irp.CurrentLocation - 1];
  if (!sl) return;
  const p = sl.Parameters;
  Parameters.Type = sl.MajorFunction <= 0x1b ? sl.MajorFunction : WdfRequestTypeOther;
  Parameters.MinorFunction = sl.MinorFunction;
  const P = Parameters.Parameters;
  P.Read.Length = P.Write.Length = p.Length;
  P.Read.Key = P.Write.Key = p.Key;
  P.Read.DeviceOffset = P.Write.DeviceOffset = p.ByteOffset;
  P.DeviceIoControl.OutputBufferLength = p.OutputBufferLength;
  P.DeviceIoControl.InputBufferLength = p.InputBufferLength;
  P.DeviceIoControl.IoControlCode = p.IoControlCode;
  P.DeviceIoControl.Type3InputBuffer = p.Type3InputBuffer;
  P.Create.SecurityContext = p.SecurityContext;
  P.Create.Options = p.Options;
  P.Create.FileAttributes = p.FileAttributes;
  P.Create.ShareAccess = p.ShareAccess;
  P.Create.EaLength = p.EaLength;
  P.Others.Arg1 = p.Argument1;
  P.Others.Arg2 = p.Argument2;
  P.Others.Arg4 = p.Argument4;
  P.Others.IoControlCode = p.IoControlCode;
}

/** WdfRequestWdmGetIrp: the IRP behind the request (only while the driver owns it). */
export function WdfRequestWdmGetIrp(Request: WDFREQUEST): IRP | null {
  const t = fxEnter("WdfRequestWdmGetIrp");
  const r = fxRequest(t, Request, "WdfRequestWdmGetIrp");
  if (!r) return null;
  if (r.fromIo && !driverOwns(t, r, "WdfRequestWdmGetIrp")) return null;
  return r.irp;
}

/** WdfRequestGetFileObject: the framework file object of the request's FILE_OBJECT (null when none). */
export function WdfRequestGetFileObject(Request: WDFREQUEST): WDFFILEOBJECT | null {
  const t = fxEnter("WdfRequestGetFileObject");
  const r = fxRequest(t, Request, "WdfRequestGetFileObject");
  return r ? r.fxFileObject : null;
}

/** WdfRequestGetRequestorMode: UserMode (1) for a request from an app, KernelMode (0) from a driver. */
export function WdfRequestGetRequestorMode(Request: WDFREQUEST): KPROCESSOR_MODE {
  const t = fxEnter("WdfRequestGetRequestorMode");
  const r = fxRequest(t, Request, "WdfRequestGetRequestorMode");
  return r?.irp ? r.irp.RequestorMode : 0;
}

/** WdfRequestGetIoQueue: the queue that delivered the request (null for one the driver created). */
export function WdfRequestGetIoQueue(Request: WDFREQUEST): WDFQUEUE | null {
  const t = fxEnter("WdfRequestGetIoQueue");
  const r = fxRequest(t, Request, "WdfRequestGetIoQueue");
  return r ? r.queue : null;
}

// ---- Buffers --------------------------------------------------------------------------------

/** What a request's input or output buffer is, by the request's type and the buffering method. */
type BufferKind = { kind: "system"; va: number; length: number } | { kind: "mdl"; mdl: MDL; length: number } | { kind: "user"; va: number; length: number } | { kind: "none" };

function ioType(r: FxRequest): "buffered" | "direct" | "neither" {
  const d = r.device?.deviceObject;
  if (!d) return "buffered";
  return d.Flags & DO_BUFFERED_IO ? "buffered" : d.Flags & DO_DIRECT_IO ? "direct" : "neither";
}

function inputKind(r: FxRequest): BufferKind {
  const irp = r.irp;
  const sl = irp?.Stack[irp.CurrentLocation - 1];
  if (!irp || !sl) return { kind: "none" };
  const p = sl.Parameters;
  switch (r.major) {
    case IRP_MJ_WRITE: {
      const io = ioType(r);
      if (io === "buffered") return { kind: "system", va: irp.SystemBuffer, length: p.Length };
      if (io === "direct") return irp.mdlChain ? { kind: "mdl", mdl: irp.mdlChain, length: p.Length } : { kind: "system", va: 0, length: 0 };
      return { kind: "user", va: irp.userBufferAddress, length: p.Length };
    }
    case IRP_MJ_DEVICE_CONTROL:
    case IRP_MJ_INTERNAL_DEVICE_CONTROL: {
      const method = p.IoControlCode & 3;
      if (method === METHOD_NEITHER) return { kind: "user", va: p.Type3InputBuffer, length: p.InputBufferLength };
      return { kind: "system", va: irp.SystemBuffer, length: p.InputBufferLength };
    }
    default:
      return { kind: "none" };
  }
}

function outputKind(r: FxRequest): BufferKind {
  const irp = r.irp;
  const sl = irp?.Stack[irp.CurrentLocation - 1];
  if (!irp || !sl) return { kind: "none" };
  const p = sl.Parameters;
  switch (r.major) {
    case IRP_MJ_READ: {
      const io = ioType(r);
      if (io === "buffered") return { kind: "system", va: irp.SystemBuffer, length: p.Length };
      if (io === "direct") return irp.mdlChain ? { kind: "mdl", mdl: irp.mdlChain, length: p.Length } : { kind: "system", va: 0, length: 0 };
      return { kind: "user", va: irp.userBufferAddress, length: p.Length };
    }
    case IRP_MJ_DEVICE_CONTROL:
    case IRP_MJ_INTERNAL_DEVICE_CONTROL: {
      const method = p.IoControlCode & 3;
      if (method === METHOD_BUFFERED) return { kind: "system", va: irp.SystemBuffer, length: p.OutputBufferLength };
      if (method === METHOD_NEITHER) return { kind: "user", va: irp.userBufferAddress, length: p.OutputBufferLength };
      return irp.mdlChain ? { kind: "mdl", mdl: irp.mdlChain, length: p.OutputBufferLength } : { kind: "system", va: 0, length: 0 };
    }
    default:
      return { kind: "none" };
  }
}

/** A buffer's system address and length, with KMDF's checks: type, zero length, the minimum. */
function retrieveBuffer(api: string, Request: WDFREQUEST, MinimumRequiredLength: number, output: boolean): { status: NTSTATUS; Buffer: number; Length: number; r: FxRequest | null } {
  const t = fxEnter(api);
  const fail = (status: NTSTATUS, r: FxRequest | null = null) => ({ status, Buffer: 0, Length: 0, r });
  const r = fxRequest(t, Request, api);
  if (!r) return fail(STATUS_INVALID_HANDLE);
  if (!fxIrqlOk(t, r.globals, api, DISPATCH_LEVEL)) return fail(STATUS_INVALID_DEVICE_REQUEST);
  if (r.fromIo && r.owner !== "driver" && !driverOwns(t, r, api)) return fail(STATUS_INVALID_DEVICE_REQUEST);
  const k = output ? outputKind(r) : inputKind(r);
  if (k.kind === "none" || k.kind === "user") return fail(STATUS_INVALID_DEVICE_REQUEST, r);
  const minimum = checkNumber(api, "MinimumRequiredLength", MinimumRequiredLength);
  if (k.length === 0 || k.length < minimum) return fail(STATUS_BUFFER_TOO_SMALL, r);
  if (k.kind === "system") return { status: STATUS_SUCCESS, Buffer: k.va, Length: k.length, r };
  const va = MmGetSystemAddressForMdlSafe(k.mdl, NormalPagePriority);
  if (va === 0) return fail(STATUS_INSUFFICIENT_RESOURCES, r);
  return { status: STATUS_SUCCESS, Buffer: va, Length: k.length, r };
}

/**
 * WdfRequestRetrieveInputBuffer: the request's input buffer (a write's data, an IOCTL's input) as
 * a system address, and its length.
 *
 * @returns STATUS_SUCCESS; STATUS_BUFFER_TOO_SMALL when it is empty or shorter than
 * `MinimumRequiredLength`; STATUS_INVALID_DEVICE_REQUEST for a request with no input buffer or
 * one that uses neither buffered nor direct I/O (METHOD_NEITHER: see
 * WdfRequestRetrieveUnsafeUserInputBuffer).
 */
export function WdfRequestRetrieveInputBuffer(Request: WDFREQUEST, MinimumRequiredLength: number): { /** STATUS_SUCCESS, or why not (see above). */ status: NTSTATUS; /** The buffer's system-space address (0 on failure). */ Buffer: number; /** The buffer's length in bytes (0 on failure). */ Length: number } {
  const { status, Buffer, Length } = retrieveBuffer("WdfRequestRetrieveInputBuffer", Request, MinimumRequiredLength, false);
  return { status, Buffer, Length };
}

/** WdfRequestRetrieveOutputBuffer: the output buffer (a read's, an IOCTL's), with the same rules. */
export function WdfRequestRetrieveOutputBuffer(Request: WDFREQUEST, MinimumRequiredSize: number): { /** STATUS_SUCCESS, or why not (see above). */ status: NTSTATUS; /** The buffer's system-space address (0 on failure). */ Buffer: number; /** The buffer's length in bytes (0 on failure). */ Length: number } {
  const { status, Buffer, Length } = retrieveBuffer("WdfRequestRetrieveOutputBuffer", Request, MinimumRequiredSize, true);
  return { status, Buffer, Length };
}

/** WdfRequestRetrieveInputMemory: the input buffer as a WDFMEMORY (a child of the request, gone at completion). */
export function WdfRequestRetrieveInputMemory(Request: WDFREQUEST): { /** STATUS_SUCCESS, or the status WdfRequestRetrieve*Buffer would give. */ status: NTSTATUS; /** The buffer as a memory object, a child of the request (null on failure). */ Memory: WDFMEMORY | null } {
  const b = retrieveBuffer("WdfRequestRetrieveInputMemory", Request, 0, false);
  if (!NT_SUCCESS(b.status) || !b.r) return { status: b.status, Memory: null };
  return { status: STATUS_SUCCESS, Memory: b.r.memoryFor(false, b.Buffer, b.Length) };
}

/** WdfRequestRetrieveOutputMemory: the output buffer as a WDFMEMORY. */
export function WdfRequestRetrieveOutputMemory(Request: WDFREQUEST): { /** STATUS_SUCCESS, or the status WdfRequestRetrieve*Buffer would give. */ status: NTSTATUS; /** The buffer as a memory object, a child of the request (null on failure). */ Memory: WDFMEMORY | null } {
  const b = retrieveBuffer("WdfRequestRetrieveOutputMemory", Request, 0, true);
  if (!NT_SUCCESS(b.status) || !b.r) return { status: b.status, Memory: null };
  return { status: STATUS_SUCCESS, Memory: b.r.memoryFor(true, b.Buffer, b.Length) };
}

function retrieveMdl(api: string, Request: WDFREQUEST, output: boolean): { status: NTSTATUS; Mdl: MDL | null } {
  const t = fxEnter(api);
  const r = fxRequest(t, Request, api);
  if (!r) return { status: STATUS_INVALID_HANDLE, Mdl: null };
  if (!fxIrqlOk(t, r.globals, api, DISPATCH_LEVEL)) return { status: STATUS_INVALID_DEVICE_REQUEST, Mdl: null };
  if (r.fromIo && !driverOwns(t, r, api)) return { status: STATUS_INVALID_DEVICE_REQUEST, Mdl: null };
  const k = output ? outputKind(r) : inputKind(r);
  if (k.kind === "none" || k.kind === "user") return { status: STATUS_INVALID_DEVICE_REQUEST, Mdl: null };
  if (k.length === 0) return { status: STATUS_BUFFER_TOO_SMALL, Mdl: null };
  if (k.kind === "mdl") return { status: STATUS_SUCCESS, Mdl: k.mdl };
  // Buffered I/O: the framework describes the system buffer with an MDL of its own (freed at completion).
  const mdl = IoAllocateMdl(k.va, k.length, false, false, null);
  if (!mdl) return { status: STATUS_INSUFFICIENT_RESOURCES, Mdl: null };
  MmBuildMdlForNonPagedPool(mdl);
  r.ownMdl(mdl, false);
  return { status: STATUS_SUCCESS, Mdl: mdl };
}

/**
 * WdfRequestRetrieveInputWdmMdl: an MDL for the input buffer — the IRP's own for direct I/O, one
 * the framework builds over the system buffer for buffered I/O (freed when the request completes).
 */
export function WdfRequestRetrieveInputWdmMdl(Request: WDFREQUEST): { /** STATUS_SUCCESS; STATUS_BUFFER_TOO_SMALL for an empty buffer; STATUS_INVALID_DEVICE_REQUEST for METHOD_NEITHER or no buffer; STATUS_INSUFFICIENT_RESOURCES when no MDL can be built. */ status: NTSTATUS; /** The MDL, owned by the request or the IRP (null on failure). */ Mdl: MDL | null } {
  return retrieveMdl("WdfRequestRetrieveInputWdmMdl", Request, false);
}

/**
 * WdfRequestRetrieveOutputWdmMdl: an MDL for the output buffer — for METHOD_IN/OUT_DIRECT and
 * direct reads Irp->MdlAddress, locked by the I/O manager and unlocked when the request completes.
 */
export function WdfRequestRetrieveOutputWdmMdl(Request: WDFREQUEST): { /** STATUS_SUCCESS; STATUS_BUFFER_TOO_SMALL for an empty buffer; STATUS_INVALID_DEVICE_REQUEST for METHOD_NEITHER or no buffer; STATUS_INSUFFICIENT_RESOURCES when no MDL can be built. */ status: NTSTATUS; /** The MDL, owned by the request or the IRP (null on failure). */ Mdl: MDL | null } {
  return retrieveMdl("WdfRequestRetrieveOutputWdmMdl", Request, true);
}

function unsafeUser(api: string, Request: WDFREQUEST, Minimum: number, output: boolean): { status: NTSTATUS; Buffer: number; Length: number } {
  const t = fxEnter(api);
  const fail = (status: NTSTATUS) => ({ status, Buffer: 0, Length: 0 });
  const r = fxRequest(t, Request, api);
  if (!r) return fail(STATUS_INVALID_HANDLE);
  if (!fxIrqlOk(t, r.globals, api, PASSIVE_LEVEL)) return fail(STATUS_INVALID_DEVICE_REQUEST);
  // Only in the requester's context: from EvtIoInCallerContext.
  if (!r.inCallerContext) return fail(STATUS_INVALID_DEVICE_REQUEST);
  const k = output ? outputKind(r) : inputKind(r);
  if (k.kind !== "user") return fail(STATUS_INVALID_DEVICE_REQUEST);
  if (k.length === 0 || k.length < Minimum) return fail(STATUS_BUFFER_TOO_SMALL);
  return { status: STATUS_SUCCESS, Buffer: k.va, Length: k.length };
}

/**
 * WdfRequestRetrieveUnsafeUserInputBuffer: a METHOD_NEITHER (or neither-I/O write) request's raw
 * input address and length, callable only in EvtIoInCallerContext; the driver must probe and lock
 * it (WdfRequestProbeAndLockUserBufferForRead) before using it anywhere else.
 */
export function WdfRequestRetrieveUnsafeUserInputBuffer(Request: WDFREQUEST, MinimumRequiredLength: number): { /** STATUS_SUCCESS; STATUS_INVALID_DEVICE_REQUEST outside EvtIoInCallerContext or for a request that is not METHOD_NEITHER; STATUS_BUFFER_TOO_SMALL under the minimum. */ status: NTSTATUS; /** The caller's user-mode address, not yet probed (0 on failure). */ InputBuffer: number; /** Its length in bytes. */ Length: number } {
  const r = unsafeUser("WdfRequestRetrieveUnsafeUserInputBuffer", Request, MinimumRequiredLength, false);
  return { status: r.status, InputBuffer: r.Buffer, Length: r.Length };
}

/** WdfRequestRetrieveUnsafeUserOutputBuffer: the raw output address and length, in EvtIoInCallerContext only. */
export function WdfRequestRetrieveUnsafeUserOutputBuffer(Request: WDFREQUEST, MinimumRequiredLength: number): { /** STATUS_SUCCESS, or why not, as for the input buffer. */ status: NTSTATUS; /** The caller's user-mode address, not yet probed (0 on failure). */ OutputBuffer: number; /** Its length in bytes. */ Length: number } {
  const r = unsafeUser("WdfRequestRetrieveUnsafeUserOutputBuffer", Request, MinimumRequiredLength, true);
  return { status: r.status, OutputBuffer: r.Buffer, Length: r.Length };
}

function probeAndLock(api: string, Request: WDFREQUEST, Buffer: number, Length: number, write: boolean): { status: NTSTATUS; MemoryObject: WDFMEMORY | null } {
  const t = fxEnter(api);
  const r = fxRequest(t, Request, api);
  if (!r) return { status: STATUS_INVALID_HANDLE, MemoryObject: null };
  if (!fxIrqlOk(t, r.globals, api, PASSIVE_LEVEL)) return { status: STATUS_INVALID_DEVICE_REQUEST, MemoryObject: null };
  if (!r.inCallerContext) return { status: STATUS_INVALID_DEVICE_REQUEST, MemoryObject: null };
  if (!Number.isInteger(Length) || Length <= 0) return { status: STATUS_INVALID_PARAMETER, MemoryObject: null };
  const mdl = IoAllocateMdl(Buffer, Length, false, false, null);
  if (!mdl) return { status: STATUS_INSUFFICIENT_RESOURCES, MemoryObject: null };
  const mode = r.irp ? r.irp.RequestorMode : 0;
  try {
    MmProbeAndLockPages(mdl, mode, write ? IoWriteAccess : IoReadAccess);
  } catch (e) {
    IoFreeMdl(mdl);
    if (e instanceof NtStatusError) return { status: e.status, MemoryObject: null };
    throw e;
  }
  r.ownMdl(mdl, true);
  const va = MmGetSystemAddressForMdlSafe(mdl, NormalPagePriority);
  if (va === 0) return { status: STATUS_INSUFFICIENT_RESOURCES, MemoryObject: null };
  const mem = new FxMemory(r.globals, r, va, Length);
  mem.noDeleteDdi = true;
  mem.traceCreated();
  return { status: STATUS_SUCCESS, MemoryObject: mem };
}

/**
 * WdfRequestProbeAndLockUserBufferForRead: in EvtIoInCallerContext, probes `Buffer` for reading in
 * the requester's mode, locks it and maps it to system space: a WDFMEMORY (child of the request)
 * usable from any context until the request completes, when the framework unlocks it.
 *
 * @returns STATUS_SUCCESS; STATUS_ACCESS_VIOLATION (or the probe's other status) for a bad
 * buffer; STATUS_INVALID_DEVICE_REQUEST outside EvtIoInCallerContext.
 */
export function WdfRequestProbeAndLockUserBufferForRead(Request: WDFREQUEST, Buffer: number, Length: number): { /** STATUS_SUCCESS, or the probe's failure status. */ status: NTSTATUS; /** The locked buffer as a memory object, a child of the request (null on failure). */ MemoryObject: WDFMEMORY | null } {
  return probeAndLock("WdfRequestProbeAndLockUserBufferForRead", Request, Buffer, Length, false);
}

/** WdfRequestProbeAndLockUserBufferForWrite: the same, probed for writing. */
export function WdfRequestProbeAndLockUserBufferForWrite(Request: WDFREQUEST, Buffer: number, Length: number): { /** STATUS_SUCCESS, or the probe's failure status. */ status: NTSTATUS; /** The locked buffer as a memory object, a child of the request (null on failure). */ MemoryObject: WDFMEMORY | null } {
  return probeAndLock("WdfRequestProbeAndLockUserBufferForWrite", Request, Buffer, Length, true);
}
