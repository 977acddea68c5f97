/**
 * Framework I/O queues (wdfio.h): sequential, parallel and manual dispatching, the default queue,
 * the framework's cancellation of requests that wait in a queue, and the queue's states — started,
 * stopped, draining, purged — with their completion callbacks and Synchronously forms.
 *
 * A request waits in a queue with the framework's cancel routine on its IRP; once delivered to the
 * driver it is not cancelable until the driver marks it (request.ts). The queue's own lock is not
 * modelled as a KSPIN_LOCK: its critical sections contain no point where another processor's
 * events can land, which makes them atomic as the lock makes them on Windows.
 */
import { WdfHandleBrand } from "./handles.js";
import { KEVENT, NotificationEvent } from "../kernel/dispatcher.js";
import { DISPATCH_LEVEL, KernelMode, PASSIVE_LEVEL } from "../kernel/irql.js";
import type { MaybePromise } from "../kernel/objects.js";
import { STATUS_CANCELLED, STATUS_INVALID_DEVICE_REQUEST, STATUS_INVALID_DEVICE_STATE, STATUS_INVALID_HANDLE, STATUS_INVALID_PARAMETER, STATUS_NO_MORE_ENTRIES, STATUS_NOT_FOUND, STATUS_SUCCESS, type NTSTATUS } from "../kernel/status.js";
import type { KThread } from "../kernel/thread.js";
import { IRP_MJ_DEVICE_CONTROL, IRP_MJ_INTERNAL_DEVICE_CONTROL, IRP_MJ_READ, IRP_MJ_WRITE } from "../io-manager/constants.js";
import type { FILE_OBJECT } from "../io-manager/file-object.js";
import { UNTRACED, invokeCallback } from "./callback.js";
import { OwnedList } from "./owned-list.js";
import { fxEnter, fxIrqlOk, fxMachine, fxViolation, verifierOn } from "./globals.js";
import type { WDFCONTEXT, WDFFILEOBJECT, WDFQUEUE, WDFREQUEST, WDFDEVICE } from "./handles.js";
import { FxCallbackLock } from "./lock.js";
import { FxObject, fxObject, fxRequired, WdfExecutionLevelPassive, WdfSynchronizationScopeDevice, WdfSynchronizationScopeQueue, type WDF_OBJECT_ATTRIBUTES } from "./object.js";
import { FxDevice } from "./device.js";
import { FxFileObject } from "./file-object.js";
import { FxRequest, completeFxRequest, cancelForQueue, stopActionFlags } from "./request.js";
import { pnpRequestReleased } from "./pnp.js";
import { forwardUnhandled } from "./filter.js";
import { powerIoArrived } from "./power.js";

// ---- Configuration --------------------------------------------------------------------------

/** WDF_IO_QUEUE_DISPATCH_TYPE. */
export const WDF_IO_QUEUE_DISPATCH_TYPE = {
  WdfIoQueueDispatchInvalid: 0,
  WdfIoQueueDispatchSequential: 1,
  WdfIoQueueDispatchParallel: 2,
  WdfIoQueueDispatchManual: 3,
  WdfIoQueueDispatchMax: 4,
} as const;
/** A WDF_IO_QUEUE_DISPATCH_TYPE value. */
export type WDF_IO_QUEUE_DISPATCH_TYPE = (typeof WDF_IO_QUEUE_DISPATCH_TYPE)[keyof typeof WDF_IO_QUEUE_DISPATCH_TYPE];
export const { WdfIoQueueDispatchInvalid, WdfIoQueueDispatchSequential, WdfIoQueueDispatchParallel, WdfIoQueueDispatchManual, WdfIoQueueDispatchMax } = WDF_IO_QUEUE_DISPATCH_TYPE;

/** WDF_TRI_STATE. */
export const WDF_TRI_STATE = { WdfFalse: 0, WdfTrue: 1, WdfUseDefault: 2 } as const;
/** A WDF_TRI_STATE value. */
export type WDF_TRI_STATE = (typeof WDF_TRI_STATE)[keyof typeof WDF_TRI_STATE];
export const { WdfFalse, WdfTrue, WdfUseDefault } = WDF_TRI_STATE;

/** EVT_WDF_IO_QUEUE_IO_DEFAULT. */
export type EVT_WDF_IO_QUEUE_IO_DEFAULT = (Queue: WDFQUEUE, Request: WDFREQUEST) => MaybePromise<void>;
/** EVT_WDF_IO_QUEUE_IO_READ: `Length` is the read's length in bytes. */
export type EVT_WDF_IO_QUEUE_IO_READ = (Queue: WDFQUEUE, Request: WDFREQUEST, Length: number) => MaybePromise<void>;
/** EVT_WDF_IO_QUEUE_IO_WRITE. */
export type EVT_WDF_IO_QUEUE_IO_WRITE = (Queue: WDFQUEUE, Request: WDFREQUEST, Length: number) => MaybePromise<void>;
/** EVT_WDF_IO_QUEUE_IO_DEVICE_CONTROL. */
export type EVT_WDF_IO_QUEUE_IO_DEVICE_CONTROL = (Queue: WDFQUEUE, Request: WDFREQUEST, OutputBufferLength: number, InputBufferLength: number, IoControlCode: number) => MaybePromise<void>;
/** EVT_WDF_IO_QUEUE_IO_INTERNAL_DEVICE_CONTROL. */
export type EVT_WDF_IO_QUEUE_IO_INTERNAL_DEVICE_CONTROL = EVT_WDF_IO_QUEUE_IO_DEVICE_CONTROL;
/** EVT_WDF_IO_QUEUE_IO_STOP: the device leaves D0 or is removed; `ActionFlags` are WDF_REQUEST_STOP_ACTION_FLAGS. */
export type EVT_WDF_IO_QUEUE_IO_STOP = (Queue: WDFQUEUE, Request: WDFREQUEST, ActionFlags: number) => void;
/** EVT_WDF_IO_QUEUE_IO_RESUME: the device is back in D0; a request left pending in EvtIoStop resumes. */
export type EVT_WDF_IO_QUEUE_IO_RESUME = (Queue: WDFQUEUE, Request: WDFREQUEST) => void;
/** EVT_WDF_IO_QUEUE_IO_CANCELED_ON_QUEUE: a request the driver had seen was cancelled while back in a queue; complete it. */
export type EVT_WDF_IO_QUEUE_IO_CANCELED_ON_QUEUE = (Queue: WDFQUEUE, Request: WDFREQUEST) => void;
/** EVT_WDF_IO_QUEUE_STATE: a Stop, Drain or Purge (or a ReadyNotify) finished. */
export type EVT_WDF_IO_QUEUE_STATE = (Queue: WDFQUEUE, Context: WDFCONTEXT) => void;

/** WDF_IO_QUEUE_CONFIG. Initialise with WDF_IO_QUEUE_CONFIG_INIT(_DEFAULT_QUEUE). */
export class WDF_IO_QUEUE_CONFIG {
  /** Size: the structure's size, set by the INIT functions; WdfIoQueueCreate rejects any other. */
  Size = 96;
  /** DispatchType: how the queue presents requests — WdfIoQueueDispatchSequential (one at a time), …Parallel (as they come), or …Manual (the driver retrieves them). */
  DispatchType: WDF_IO_QUEUE_DISPATCH_TYPE = WdfIoQueueDispatchInvalid;
  /** PowerManaged: whether the queue stops dispatching while its device leaves D0; WdfUseDefault means yes for a PnP device's queue and no for a control device's or a filter's (WdfFdoInitSetFilter). */
  PowerManaged: WDF_TRI_STATE = WdfUseDefault;
  /** AllowZeroLengthRequests: false (the default) has the framework complete zero-length reads and writes itself with STATUS_SUCCESS instead of presenting them. */
  AllowZeroLengthRequests = false;
  /** DefaultQueue: the queue receives every request type no other queue was configured for (WdfDeviceConfigureRequestDispatching); one per device. */
  DefaultQueue = false;
  /** EvtIoDefault: the handler for any request type that has no handler of its own below. */
  EvtIoDefault: EVT_WDF_IO_QUEUE_IO_DEFAULT | null = null;
  /** EvtIoRead: the handler for read requests (IRP_MJ_READ). */
  EvtIoRead: EVT_WDF_IO_QUEUE_IO_READ | null = null;
  /** EvtIoWrite: the handler for write requests (IRP_MJ_WRITE). */
  EvtIoWrite: EVT_WDF_IO_QUEUE_IO_WRITE | null = null;
  /** EvtIoDeviceControl: the handler for device I/O control requests (IRP_MJ_DEVICE_CONTROL, DeviceIoControl). */
  EvtIoDeviceControl: EVT_WDF_IO_QUEUE_IO_DEVICE_CONTROL | null = null;
  /** EvtIoInternalDeviceControl: the handler for internal device control requests sent by other drivers (IRP_MJ_INTERNAL_DEVICE_CONTROL). */
  EvtIoInternalDeviceControl: EVT_WDF_IO_QUEUE_IO_INTERNAL_DEVICE_CONTROL | null = null;
  /** EvtIoStop: called for each request the driver owns when a power-managed queue stops (the device leaves D0 or is removed); the driver acknowledges, requeues or completes it. */
  EvtIoStop: EVT_WDF_IO_QUEUE_IO_STOP | null = null;
  /** EvtIoResume: called for a request the driver kept through a stop when the queue starts again. */
  EvtIoResume: EVT_WDF_IO_QUEUE_IO_RESUME | null = null;
  /** EvtIoCanceledOnQueue: called when a request is cancelled while it waits in the queue (the driver had requeued it or the queue is manual); without it the framework completes it with STATUS_CANCELLED. */
  EvtIoCanceledOnQueue: EVT_WDF_IO_QUEUE_IO_CANCELED_ON_QUEUE | null = null;
  /** Settings: the dispatch type's own settings (a union in the header). */
  readonly Settings = {
    /** Parallel: for WdfIoQueueDispatchParallel. */
    Parallel: {
      /** NumberOfPresentedRequests: at most this many requests presented and not yet completed at once (all ones: no limit). */
      NumberOfPresentedRequests: 0xffffffff,
    },
  };
}

/** WDF_IO_QUEUE_CONFIG_INIT: a queue of `DispatchType`, power managed by default. */
export function WDF_IO_QUEUE_CONFIG_INIT(Config: WDF_IO_QUEUE_CONFIG, DispatchType: WDF_IO_QUEUE_DISPATCH_TYPE): void {
  Object.assign(Config, new WDF_IO_QUEUE_CONFIG());
  Config.Settings.Parallel.NumberOfPresentedRequests = 0xffffffff;
  Config.DispatchType = DispatchType;
}

/** WDF_IO_QUEUE_CONFIG_INIT_DEFAULT_QUEUE: the same, as the device's default queue. */
export function WDF_IO_QUEUE_CONFIG_INIT_DEFAULT_QUEUE(Config: WDF_IO_QUEUE_CONFIG, DispatchType: WDF_IO_QUEUE_DISPATCH_TYPE): void {
  WDF_IO_QUEUE_CONFIG_INIT(Config, DispatchType);
  Config.DefaultQueue = true;
}

/** WDF_IO_QUEUE_STATE bits (WdfIoQueueGetState). */
export const WDF_IO_QUEUE_STATE = {
  WdfIoQueueAcceptRequests: 0x01,
  WdfIoQueueDispatchRequests: 0x02,
  WdfIoQueueNoRequests: 0x04,
  WdfIoQueueDriverNoRequests: 0x08,
  WdfIoQueuePnpHeld: 0x10,
} as const;
export const { WdfIoQueueAcceptRequests, WdfIoQueueDispatchRequests, WdfIoQueueNoRequests, WdfIoQueueDriverNoRequests, WdfIoQueuePnpHeld } = WDF_IO_QUEUE_STATE;

/** A Stop, Drain or Purge in progress: its callback or waiters. */
interface StateWaiter {
  readonly kind: "stop" | "drain" | "purge" | "stop and purge";
  readonly callback: EVT_WDF_IO_QUEUE_STATE | null;
  readonly context: WDFCONTEXT;
  readonly event: KEVENT | null;
}

// ---- The queue ------------------------------------------------------------------------------

/** A framework queue. */
export class FxIoQueue extends FxObject {
  declare readonly [WdfHandleBrand]: "WDFQUEUE";
  readonly dispatchType: WDF_IO_QUEUE_DISPATCH_TYPE;
  readonly powerManaged: boolean;
  readonly allowZeroLength: boolean;
  readonly maxPresented: number;
  readonly evtDefault: EVT_WDF_IO_QUEUE_IO_DEFAULT | null;
  readonly evtRead: EVT_WDF_IO_QUEUE_IO_READ | null;
  readonly evtWrite: EVT_WDF_IO_QUEUE_IO_WRITE | null;
  readonly evtDeviceControl: EVT_WDF_IO_QUEUE_IO_DEVICE_CONTROL | null;
  readonly evtInternalDeviceControl: EVT_WDF_IO_QUEUE_IO_INTERNAL_DEVICE_CONTROL | null;
  readonly evtStop: EVT_WDF_IO_QUEUE_IO_STOP | null;
  readonly evtResume: EVT_WDF_IO_QUEUE_IO_RESUME | null;
  readonly evtCanceledOnQueue: EVT_WDF_IO_QUEUE_IO_CANCELED_ON_QUEUE | null;
  /** Requests waiting to be delivered (or retrieved), oldest first. */
  readonly waiting: FxRequest[] = [];
  /** Requests this queue delivered that the driver owns now. */
  readonly driverOwned = new OwnedList<FxRequest>();
  accepting = true;
  dispatching = true;
  /** Power-managed queues deliver only while the device is in D0. */
  powerOn = true;
  /** Set while a Purge is in progress: requests marked cancelable now are cancelled at once. */
  cancelDispatched = false;
  /** The callback lock automatic synchronization holds around this queue's callbacks (null: none). */
  presentationLock: FxCallbackLock | null = null;
  /** The queue's own callback lock (WdfObjectAcquireLock on it). */
  readonly ownLock: FxCallbackLock;
  /** Callbacks run at PASSIVE_LEVEL (WdfExecutionLevelPassive). */
  passive = false;
  /** Threads inside this queue's dispatch loop (a completion inside a callback must not recurse). */
  private readonly loopThreads: KThread[] = [];
  private readonly stateWaiters: StateWaiter[] = [];
  /** A ReadyNotify callback for a manual queue. */
  readyNotify: { callback: EVT_WDF_IO_QUEUE_STATE; context: WDFCONTEXT } | null = null;
  /** Set once the queue is deleted (requests then fail with STATUS_INVALID_DEVICE_STATE). */
  gone = false;

  constructor(device: FxDevice, config: WDF_IO_QUEUE_CONFIG, attributes: WDF_OBJECT_ATTRIBUTES | null, parent: FxObject) {
    super(device.globals, "WDFQUEUE", parent);
    this.applyAttributes(attributes);
    this.dispatchType = config.DispatchType;
    this.powerManaged = config.PowerManaged === WdfTrue || (config.PowerManaged === WdfUseDefault && device.pnp !== null && !device.init.filter);
    this.powerOn = !this.powerManaged || device.inD0;
    this.allowZeroLength = config.AllowZeroLengthRequests;
    const n = config.Settings.Parallel.NumberOfPresentedRequests >>> 0;
    this.maxPresented = config.DispatchType === WdfIoQueueDispatchSequential ? 1 : n === 0xffffffff || n === 0 ? Infinity : n;
    this.evtDefault = config.EvtIoDefault;
    this.evtRead = config.EvtIoRead;
    this.evtWrite = config.EvtIoWrite;
    this.evtDeviceControl = config.EvtIoDeviceControl;
    this.evtInternalDeviceControl = config.EvtIoInternalDeviceControl;
    this.evtStop = config.EvtIoStop;
    this.evtResume = config.EvtIoResume;
    this.evtCanceledOnQueue = config.EvtIoCanceledOnQueue;
    this.passive = resolveLevel(this, device) === WdfExecutionLevelPassive;
    this.ownLock = new FxCallbackLock(`${this.label} lock`, this.passive);
    const scope = resolveScope(this, device);
    this.presentationLock = scope === WdfSynchronizationScopeQueue ? this.ownLock : scope === WdfSynchronizationScopeDevice ? device.lock : null;
  }

  get device(): FxDevice {
    return (this.parent instanceof FxDevice ? this.parent : null) ?? deviceOf(this);
  }

  /** The handler for a request's major function (EvtIoDefault when the specific one is not set). */
  handlerFor(major: number): boolean {
    switch (major) {
      case IRP_MJ_READ:
        return this.evtRead !== null || this.evtDefault !== null;
      case IRP_MJ_WRITE:
        return this.evtWrite !== null || this.evtDefault !== null;
      case IRP_MJ_DEVICE_CONTROL:
        return this.evtDeviceControl !== null || this.evtDefault !== null;
      case IRP_MJ_INTERNAL_DEVICE_CONTROL:
        return this.evtInternalDeviceControl !== null || this.evtDefault !== null;
      default:
        return this.evtDefault !== null;
    }
  }

  /** Whether `t` runs inside this queue's dispatch loop. */
  private inLoop(t: KThread): boolean {
    const l = this.loopThreads;
    for (let i = 0; i < l.length; i++) if (l[i] === t) return true;
    return false;
  }

  /** Whether `t` may present a new request right now (what {@link dispatch} would let it do). */
  private canPresentNow(t: KThread): boolean {
    if (this.dispatchType === WdfIoQueueDispatchManual || !this.dispatching || !this.powerOn || this.gone) return false;
    if (this.driverOwned.size >= this.maxPresented || this.inLoop(t)) return false;
    const lock = this.presentationLock;
    if (lock !== null && lock.owner === t) return false;
    return !(this.passive && t.irql !== PASSIVE_LEVEL);
  }

  /** The next request to deliver, taken out of the waiting list with its cancel routine cleared; null when none may go now. */
  private takeNext(): FxRequest | null {
    if (this.dispatchType === WdfIoQueueDispatchManual || !this.dispatching || !this.powerOn || this.gone) return null;
    if (this.driverOwned.size >= this.maxPresented) return null;
    return this.take(null);
  }

  /**
   * Takes the first waiting request `match` accepts (any, when null) back from the cancel path. A
   * request whose IRP a cancel took first is skipped and left in the list for the framework's
   * cancel routine, which is running or about to. Null when none.
   */
  take(match: ((r: FxRequest) => boolean) | null): FxRequest | null {
    const w = this.waiting;
    for (let i = 0; i < w.length; i++) {
      const r = w[i] as FxRequest;
      if (match !== null && !match(r)) continue;
      if (!r.clearQueueCancelRoutine()) continue;
      if (i === 0) w.shift();
      else w.splice(i, 1);
      return r;
    }
    return null;
  }

  /**
   * Puts a request in the waiting list (at the tail, or the head for a requeue) with the
   * framework's cancel routine on its IRP. Returns false when the IRP was already cancelled (the
   * caller completes it).
   */
  insert(r: FxRequest, head: boolean): boolean {
    if (head) this.waiting.unshift(r);
    else this.waiting.push(r);
    r.queue = this;
    r.owner = "queue";
    if (!r.setQueueCancelRoutine()) {
      const i = this.waiting.indexOf(r);
      if (i >= 0) this.waiting.splice(i, 1);
      r.queue = null;
      return false;
    }
    r.traceState("queued", this);
    if (this.readyNotify && this.waiting.length === 1 && this.dispatchType === WdfIoQueueDispatchManual) this.notifyReady();
    return true;
  }

  /** Removes a request from the waiting list (the cancel routine, a retrieve by the driver). */
  removeWaiting(r: FxRequest): boolean {
    const i = this.waiting.indexOf(r);
    if (i < 0) return false;
    this.waiting.splice(i, 1);
    return true;
  }

  /**
   * Delivers what may be delivered now. A thread already inside this queue's loop (a request
   * completed from one of its callbacks) leaves it to that loop; a thread holding the queue's
   * presentation lock defers it until the lock is released; a passive-level queue reached above
   * PASSIVE_LEVEL defers it to a work item.
   */
  dispatch(t: KThread): MaybePromise<void> {
    if (this.inLoop(t)) return;
    const lock = this.presentationLock;
    if (lock !== null && lock.owner === t) {
      lock.afterRelease.push(() => {
        const r = this.dispatch(this.machine.currentThread());
        if (r instanceof Promise) r.catch(() => undefined);
      });
      return;
    }
    if (this.passive && t.irql !== PASSIVE_LEVEL) {
      this.machine.queueWorkItem(`${this.label} dispatch`, () => this.dispatch(this.machine.currentThread()), this.globals.name);
      return;
    }
    this.loopThreads.push(t);
    return this.loop(t);
  }

  private leaveLoop(t: KThread): void {
    const l = this.loopThreads;
    // Loops nest: the innermost (the last) is the usual one to leave.
    if (l[l.length - 1] === t) {
      l.pop();
      return;
    }
    const i = l.lastIndexOf(t);
    if (i >= 0) l.splice(i, 1);
  }

  private loop(t: KThread): MaybePromise<void> {
    try {
      for (;;) {
        const r = this.takeNext();
        if (r === null) break;
        const p = this.present(r, t);
        if (p instanceof Promise) {
          return p.then(
            () => this.loop(t),
            (e: unknown) => {
              this.leaveLoop(t);
              throw e;
            },
          );
        }
      }
    } catch (e) {
      this.leaveLoop(t);
      throw e;
    }
    this.leaveLoop(t);
    this.checkStateWaiters(t);
  }

  /** Hands a request to the driver's callback for its type. */
  present(r: FxRequest, t: KThread): MaybePromise<void> {
    this.driverOwned.add(r);
    r.deliveredBy(this);
    const major = r.major;
    const g = this.globals;
    // Who the callback is about matters only to the trace: built when tracing.
    const subject = this.machine.trace.on ? { object: this.label, request: r.label, irp: r.irpLabel } : UNTRACED;
    const lock = this.presentationLock;
    switch (major) {
      case IRP_MJ_READ:
        if (this.evtRead) {
          const cb = this.evtRead;
          const len = r.length;
          return invokeCallback(t, g, lock, "EvtIoRead", cb, subject, () => cb(this, r, len));
        }
        break;
      case IRP_MJ_WRITE:
        if (this.evtWrite) {
          const cb = this.evtWrite;
          const len = r.length;
          return invokeCallback(t, g, lock, "EvtIoWrite", cb, subject, () => cb(this, r, len));
        }
        break;
      case IRP_MJ_DEVICE_CONTROL:
        if (this.evtDeviceControl) {
          const cb = this.evtDeviceControl;
          const p = r.ioctlParameters();
          return invokeCallback(t, g, lock, "EvtIoDeviceControl", cb, subject, () => cb(this, r, p.out, p.in, p.code));
        }
        break;
      case IRP_MJ_INTERNAL_DEVICE_CONTROL:
        if (this.evtInternalDeviceControl) {
          const cb = this.evtInternalDeviceControl;
          const p = r.ioctlParameters();
          return invokeCallback(t, g, lock, "EvtIoInternalDeviceControl", cb, subject, () => cb(this, r, p.out, p.in, p.code));
        }
        break;
    }
    const def = this.evtDefault;
    if (def) return invokeCallback(t, g, lock, "EvtIoDefault", def, subject, () => def(this, r));
    // No handler for this type: a filter passes it down; otherwise the framework fails it.
    if (forwardUnhandled(t, this.device, r)) return;
    completeFxRequest(t, r, STATUS_INVALID_DEVICE_REQUEST, 0, true);
  }

  /**
   * FxIoQueue::QueueRequest: a new request for this queue (from the I/O manager's IRP, a forward
   * or a requeue). A queue that does not accept requests completes it with
   * STATUS_INVALID_DEVICE_STATE; a zero-length read or write the queue does not take is completed
   * with STATUS_SUCCESS; a cancelled IRP is completed with STATUS_CANCELLED. `head` requeues at the
   * front.
   */
  queueRequest(t: KThread, r: FxRequest, head = false, fromDriver = false): MaybePromise<void> {
    if (!this.accepting || this.gone) {
      completeFxRequest(t, r, STATUS_INVALID_DEVICE_STATE, 0, true);
      return;
    }
    // S0 idle: I/O keeps the device in D0, and wakes an idle one (power.ts).
    if (this.powerManaged) powerIoArrived(t, this.device);
    if (!this.allowZeroLength && (r.major === IRP_MJ_READ || r.major === IRP_MJ_WRITE) && r.length === 0 && !r.presented) {
      completeFxRequest(t, r, STATUS_SUCCESS, 0, true);
      return;
    }
    // Nothing waits ahead of it and the queue may deliver now: it is presented at once, never
    // sitting in the list (so no cancel routine is set and taken back), as KMDF does.
    if (!head && !fromDriver && this.waiting.length === 0 && this.canPresentNow(t)) {
      if (r.irp !== null && r.irp.Cancel) {
        completeFxRequest(t, r, STATUS_CANCELLED, 0, true);
        return;
      }
      // The timeline still shows it passing through the queue.
      if (this.machine.trace.on) r.traceState("queued", this);
      this.loopThreads.push(t);
      let p: MaybePromise<void>;
      try {
        p = this.present(r, t);
      } catch (e) {
        this.leaveLoop(t);
        throw e;
      }
      if (p instanceof Promise) {
        return p.then(
          () => this.loop(t),
          (e: unknown) => {
            this.leaveLoop(t);
            throw e;
          },
        );
      }
      return this.loop(t);
    }
    if (!this.insert(r, head)) {
      completeFxRequest(t, r, STATUS_CANCELLED, 0, true);
      return;
    }
    if (this.dispatchType === WdfIoQueueDispatchManual) return;
    if (fromDriver) {
      this.scheduleDispatch(t);
      return;
    }
    return this.dispatch(t);
  }

  /**
   * Dispatch asked for by the driver (a forward, a requeue, an enqueue from EvtIoInCallerContext),
   * where the caller cannot wait for an asynchronous callback: inside an event callback it runs
   * when that callback returns to the framework; at DISPATCH_LEVEL at once (callbacks there do
   * not wait); otherwise on a work item.
   */
  scheduleDispatch(t: KThread): void {
    const m = this.machine;
    if (m.currentActivity()?.kind === "event callback") {
      const fx = fxMachine(m);
      let list = fx.deferred.get(t);
      if (!list) {
        list = [];
        fx.deferred.set(t, list);
      }
      if (!list.includes(this)) list.push(this);
      return;
    }
    if (t.irql >= DISPATCH_LEVEL) {
      const p = this.dispatch(t);
      if (p instanceof Promise) p.catch(() => undefined);
      return;
    }
    m.queueWorkItem(`${this.label} dispatch`, () => this.dispatch(m.currentThread()), this.globals.name);
  }

  /** A request this queue delivered is no longer the driver's (completed, forwarded, requeued). */
  released(t: KThread, r: FxRequest): void {
    if (!this.driverOwned.delete(r)) return;
    const dev = this.device;
    if (dev.pnp !== null) pnpRequestReleased(dev);
    if (this.waiting.length > 0 && this.dispatchType !== WdfIoQueueDispatchManual) {
      const p = this.dispatch(t);
      if (p instanceof Promise) p.catch(() => undefined);
    }
    this.checkStateWaiters(t);
  }

  /** Finishes Stop, Drain and Purge whose conditions now hold (outside any dispatch loop). */
  checkStateWaiters(t: KThread): void {
    if (this.stateWaiters.length === 0 || this.loopThreads.length > 0) return;
    for (const w of [...this.stateWaiters]) {
      const done = w.kind === "stop" || w.kind === "stop and purge" ? this.driverOwned.size === 0 : w.kind === "purge" ? this.driverOwned.size === 0 && this.waiting.length === 0 : this.driverOwned.size === 0 && this.waiting.length === 0;
      if (!done) continue;
      this.stateWaiters.splice(this.stateWaiters.indexOf(w), 1);
      if (this.stateWaiters.length === 0) this.machine.wdf?.leftAtPurge.delete(this);
      if (w.kind === "purge" || w.kind === "stop and purge") this.cancelDispatched = false;
      if (this.machine.trace.on) this.machine.trace.emit("WdfQueueState", { queue: this.label, state: w.kind === "stop" ? "stopped" : w.kind === "purge" ? "purged" : w.kind === "stop and purge" ? "stopped and purged" : "drained", driver: this.globals.name });
      if (w.event) this.machine.signal(w.event);
      const cb = w.callback;
      if (cb) {
        const r = invokeCallback(t, this.globals, this.presentationLock, w.kind === "stop" ? "EvtIoQueueStopComplete" : w.kind === "purge" ? "EvtIoQueuePurgeComplete" : w.kind === "stop and purge" ? "EvtIoQueueStopAndPurgeComplete" : "EvtIoQueueDrainComplete", cb, { object: this.label, request: null, irp: null }, () => {
          cb(this, w.context);
        });
        if (r instanceof Promise) r.catch(() => undefined);
      }
    }
  }

  /** Calls a manual queue's ReadyNotify callback (the queue went from empty to not empty). */
  private notifyReady(): void {
    const rn = this.readyNotify;
    if (!rn) return;
    const t = this.machine.currentThread();
    const r = invokeCallback(t, this.globals, this.presentationLock, "EvtIoQueueState", rn.callback, { object: this.label, request: null, irp: null }, () => {
      rn.callback(this, rn.context);
    });
    if (r instanceof Promise) r.catch(() => undefined);
  }

  /** Starts a Stop, Drain or Purge: records its callback or event, then checks at once. */
  addStateWaiter(t: KThread, w: StateWaiter): void {
    this.stateWaiters.push(w);
    this.checkStateWaiters(t);
    // Still waiting for requests the driver owns: reported if the run ends first (KMDF verifier).
    if (this.stateWaiters.length > 0 && this.globals.verifierOn) {
      const what = [...this.driverOwned].map((r) => r.label);
      if (what.length > 0) fxMachine(this.machine).leftAtPurge.set(this, { what, why: w.kind });
    }
  }

  /**
   * Purge's work: stop accepting and delivering, cancel every waiting request (EvtIoCanceledOnQueue
   * for one the driver had seen, STATUS_CANCELLED otherwise), and cancel every driver-owned request
   * that is marked cancelable (its EvtRequestCancel runs).
   */
  purge(t: KThread, flushOnly: FILE_OBJECT | null = null, keepAccepting = false): void {
    if (flushOnly === null) {
      this.accepting = keepAccepting;
      this.dispatching = false;
      this.cancelDispatched = true;
      if (this.machine.trace.on) this.machine.trace.emit("WdfQueueState", { queue: this.label, state: keepAccepting ? "stopping and purging" : "purging", driver: this.globals.name });
    }
    for (let i = 0; i < this.waiting.length; ) {
      const r = this.waiting[i] as FxRequest;
      if (flushOnly !== null && r.fileObject !== flushOnly) {
        i++;
        continue;
      }
      if (!r.clearQueueCancelRoutine()) {
        // A cancel already has it: its routine removes and completes it.
        i++;
        continue;
      }
      this.waiting.splice(i, 1);
      cancelForQueue(t, this, r);
    }
    if (flushOnly === null) for (const r of [...this.driverOwned]) r.cancelIfCancelable(t);
  }

  /** Deleting a queue purges it; later requests fail. */
  protected override onDispose(): void {
    const t = this.machine.currentThread();
    this.purge(t);
    this.gone = true;
    deviceOf(this).queueDeleted(this);
    if (this.machine.trace.on) this.machine.trace.emit("WdfQueueState", { queue: this.label, state: "deleted", driver: this.globals.name });
  }

  /** Power-managed queues stop delivering when the device leaves D0 (EvtIoStop per driver-owned request). */
  /**
   * A power-managed queue as its device leaves D0 (FxPkgIo's StopProcessingForPower): it stops
   * delivering; for a removal (`purge`) it also stops accepting and cancels what waits in it. Each
   * request the driver owns gets EvtIoStop with WdfRequestStopActionSuspend or
   * WdfRequestStopActionPurge (and WdfRequestStopRequestCancelable when it is marked); without an
   * EvtIoStop, a purge cancels the cancelable ones.
   */
  powerDown(t: KThread, purge: boolean): void {
    if (!this.powerManaged) return;
    this.powerOn = false;
    if (purge) {
      this.accepting = false;
      this.dispatching = false;
      for (let i = 0; i < this.waiting.length; ) {
        const r = this.waiting[i] as FxRequest;
        if (!r.clearQueueCancelRoutine()) {
          i++;
          continue;
        }
        this.waiting.splice(i, 1);
        cancelForQueue(t, this, r);
      }
    }
    const flags = purge ? 0x2 : 0x1;
    const stop = this.evtStop;
    for (const r of [...this.driverOwned]) {
      if (r.completed) continue;
      if (!stop) {
        if (purge) r.cancelIfCancelable(t);
        continue;
      }
      r.inEvtIoStop = true;
      const res = invokeCallback(t, this.globals, this.presentationLock, "EvtIoStop", stop, { object: this.label, request: r.label, irp: r.irpLabel }, () => {
        stop(this, r, stopActionFlags(r, flags));
      });
      if (res instanceof Promise) res.catch(() => undefined);
      r.inEvtIoStop = false;
    }
    if (this.machine.trace.on) this.machine.trace.emit("WdfQueueState", { queue: this.label, state: purge ? "purged for removal" : "stopped for power-down", driver: this.globals.name });
  }

  /** The device is back in D0: power-managed queues deliver again (EvtIoResume for requests left pending in EvtIoStop). */
  powerUp(t: KThread): MaybePromise<void> {
    if (!this.powerManaged) return;
    this.powerOn = true;
    const resume = this.evtResume;
    if (resume) {
      for (const r of [...this.driverOwned]) {
        if (!r.stopAcknowledgedInPlace) continue;
        r.stopAcknowledgedInPlace = false;
        const res = invokeCallback(t, this.globals, this.presentationLock, "EvtIoResume", resume, { object: this.label, request: r.label, irp: r.irpLabel }, () => {
          resume(this, r);
        });
        if (res instanceof Promise) res.catch(() => undefined);
      }
    }
    return this.dispatch(t);
  }
}

/** The device a queue belongs to (its parent, or the parent's device). */
function deviceOf(q: FxIoQueue): FxDevice {
  let p: FxObject | null = q.parent;
  while (p && !(p instanceof FxDevice)) p = p.parent;
  return p as FxDevice;
}

function resolveScope(q: FxIoQueue, device: FxDevice): number {
  if (q.scope === WdfSynchronizationScopeQueue || q.scope === WdfSynchronizationScopeDevice || q.scope === 4) return q.scope;
  return device.resolvedScope();
}

function resolveLevel(q: FxIoQueue, device: FxDevice): number {
  if (q.level === WdfExecutionLevelPassive || q.level === 3) return q.level;
  return device.resolvedLevel();
}

/** Looks a queue handle up (null when bad and the verifier is off). */
export function fxQueue(t: KThread, h: unknown, api: string): FxIoQueue | null {
  return fxObject(t, h, FxIoQueue, "WDFQUEUE", api);
}

// ---- The routines ---------------------------------------------------------------------------

/**
 * WdfIoQueueCreate: a queue of `Device` (its parent unless the attributes name another). A
 * default queue receives every request type not configured for another queue; a device has at
 * most one. A queue needs a request handler unless it is manual; PowerManaged WdfTrue needs a PnP
 * device (a control device's queues are never power managed).
 *
 * @returns STATUS_SUCCESS and the queue; STATUS_INVALID_PARAMETER for a bad config;
 * STATUS_INVALID_DEVICE_REQUEST for a second default queue.
 */
export function WdfIoQueueCreate(Device: WDFDEVICE, Config: WDF_IO_QUEUE_CONFIG, QueueAttributes: WDF_OBJECT_ATTRIBUTES | null): { /** STATUS_SUCCESS, or why not (see above). */ status: NTSTATUS; /** The new queue (null on failure). */ Queue: WDFQUEUE | null } {
  const t = fxEnter("WdfIoQueueCreate");
  const d = fxObject(t, Device, FxDevice, "WDFDEVICE", "WdfIoQueueCreate");
  if (!d) return { status: STATUS_INVALID_HANDLE, Queue: null };
  if (!fxIrqlOk(t, d.globals, "WdfIoQueueCreate", DISPATCH_LEVEL)) return { status: STATUS_INVALID_DEVICE_REQUEST, Queue: null };
  if (!fxRequired(t, d.globals, Config, "WdfIoQueueCreate", "Config")) return { status: STATUS_INVALID_PARAMETER, Queue: null };
  const type = Config.DispatchType;
  if (type !== WdfIoQueueDispatchSequential && type !== WdfIoQueueDispatchParallel && type !== WdfIoQueueDispatchManual) return { status: STATUS_INVALID_PARAMETER, Queue: null };
  const anyHandler = Config.EvtIoDefault ?? Config.EvtIoRead ?? Config.EvtIoWrite ?? Config.EvtIoDeviceControl ?? Config.EvtIoInternalDeviceControl;
  if (type !== WdfIoQueueDispatchManual && !anyHandler) return { status: STATUS_INVALID_PARAMETER, Queue: null };
  if (Config.DefaultQueue && d.defaultQueue !== null) return { status: STATUS_INVALID_DEVICE_REQUEST, Queue: null };
  if (Config.PowerManaged === WdfTrue && d.pnp === null) return { status: STATUS_INVALID_PARAMETER, Queue: null };
  let parent: FxObject = d;
  if (QueueAttributes?.ParentObject) {
    const p = fxObject(t, QueueAttributes.ParentObject, FxObject, "WDFOBJECT", "WdfIoQueueCreate");
    if (!p) return { status: STATUS_INVALID_HANDLE, Queue: null };
    parent = p;
  }
  const q = new FxIoQueue(d, Config, QueueAttributes, parent);
  q.traceCreated();
  d.queues.push(q);
  if (Config.DefaultQueue) {
    d.defaultQueue = q;
    q.noDeleteDdi = false;
  }
  return { status: STATUS_SUCCESS, Queue: q };
}

/** WdfIoQueueGetDevice. */
export function WdfIoQueueGetDevice(Queue: WDFQUEUE): WDFDEVICE | null {
  const t = fxEnter("WdfIoQueueGetDevice");
  const q = fxQueue(t, Queue, "WdfIoQueueGetDevice");
  return q ? q.device : null;
}

/**
 * WdfIoQueueGetState: the WDF_IO_QUEUE_STATE bits, and the numbers of requests waiting in the
 * queue and owned by the driver.
 */
export function WdfIoQueueGetState(Queue: WDFQUEUE): { /** The WDF_IO_QUEUE_STATE bits (WdfIoQueueAcceptRequests, WdfIoQueueDispatchRequests, WdfIoQueueNoRequests, WdfIoQueueDriverNoRequests, WdfIoQueuePnpHeld). */ State: number; /** Requests waiting in the queue, not yet presented. */ QueueRequests: number; /** Requests presented to (or retrieved by) the driver and not yet completed or requeued. */ DriverRequests: number } {
  const t = fxEnter("WdfIoQueueGetState");
  const q = fxQueue(t, Queue, "WdfIoQueueGetState");
  if (!q) return { State: 0, QueueRequests: 0, DriverRequests: 0 };
  let s = 0;
  if (q.accepting) s |= WdfIoQueueAcceptRequests;
  if (q.dispatching) s |= WdfIoQueueDispatchRequests;
  if (q.waiting.length === 0) s |= WdfIoQueueNoRequests;
  if (q.driverOwned.size === 0) s |= WdfIoQueueDriverNoRequests;
  if (!q.powerOn) s |= WdfIoQueuePnpHeld;
  return { State: s, QueueRequests: q.waiting.length, DriverRequests: q.driverOwned.size };
}

/** WdfIoQueueStart: accept and deliver requests again (after Stop, Drain or Purge). */
export function WdfIoQueueStart(Queue: WDFQUEUE): void {
  const t = fxEnter("WdfIoQueueStart");
  const q = fxQueue(t, Queue, "WdfIoQueueStart");
  if (!q || !fxIrqlOk(t, q.globals, "WdfIoQueueStart", DISPATCH_LEVEL)) return;
  q.accepting = true;
  q.dispatching = true;
  if (t.machine.trace.on) t.machine.trace.emit("WdfQueueState", { queue: q.label, state: "started", driver: q.globals.name });
  const r = q.dispatch(t);
  if (r instanceof Promise) r.catch(() => undefined);
}

/**
 * WdfIoQueueStop: the queue stops delivering (it still accepts); StopComplete runs once every
 * request the driver owns from it is completed, forwarded or requeued.
 */
export function WdfIoQueueStop(Queue: WDFQUEUE, StopComplete: EVT_WDF_IO_QUEUE_STATE | null, Context: WDFCONTEXT): void {
  const t = fxEnter("WdfIoQueueStop");
  const q = fxQueue(t, Queue, "WdfIoQueueStop");
  if (!q || !fxIrqlOk(t, q.globals, "WdfIoQueueStop", DISPATCH_LEVEL)) return;
  q.dispatching = false;
  if (t.machine.trace.on) t.machine.trace.emit("WdfQueueState", { queue: q.label, state: "stopping", driver: q.globals.name });
  if (StopComplete) q.addStateWaiter(t, { kind: "stop", callback: StopComplete, context: Context, event: null });
}

/** WdfIoQueueStopSynchronously: WdfIoQueueStop, then waits (PASSIVE_LEVEL) until the driver owns none of its requests. */
export async function WdfIoQueueStopSynchronously(Queue: WDFQUEUE): Promise<void> {
  await synchronously(Queue, "WdfIoQueueStopSynchronously", "stop", (t, q) => {
    q.dispatching = false;
    if (t.machine.trace.on) t.machine.trace.emit("WdfQueueState", { queue: q.label, state: "stopping", driver: q.globals.name });
  });
}

/**
 * WdfIoQueueDrain: the queue stops accepting new requests (they fail with
 * STATUS_INVALID_DEVICE_STATE) but delivers those it holds; DrainComplete runs when it is empty
 * and the driver owns none of its requests.
 */
export function WdfIoQueueDrain(Queue: WDFQUEUE, DrainComplete: EVT_WDF_IO_QUEUE_STATE | null, Context: WDFCONTEXT): void {
  const t = fxEnter("WdfIoQueueDrain");
  const q = fxQueue(t, Queue, "WdfIoQueueDrain");
  if (!q || !fxIrqlOk(t, q.globals, "WdfIoQueueDrain", DISPATCH_LEVEL)) return;
  q.accepting = false;
  if (t.machine.trace.on) t.machine.trace.emit("WdfQueueState", { queue: q.label, state: "draining", driver: q.globals.name });
  if (DrainComplete) q.addStateWaiter(t, { kind: "drain", callback: DrainComplete, context: Context, event: null });
}

/** WdfIoQueueDrainSynchronously. */
export async function WdfIoQueueDrainSynchronously(Queue: WDFQUEUE): Promise<void> {
  await synchronously(Queue, "WdfIoQueueDrainSynchronously", "drain", (t, q) => {
    q.accepting = false;
    if (t.machine.trace.on) t.machine.trace.emit("WdfQueueState", { queue: q.label, state: "draining", driver: q.globals.name });
  });
}

/**
 * WdfIoQueuePurge: stops accepting and delivering; every waiting request is cancelled
 * (EvtIoCanceledOnQueue for one the driver had seen, otherwise completed with STATUS_CANCELLED),
 * every driver-owned request marked cancelable is cancelled (EvtRequestCancel); PurgeComplete runs
 * when the driver owns none of the queue's requests. WdfIoQueueStart restarts it.
 */
export function WdfIoQueuePurge(Queue: WDFQUEUE, PurgeComplete: EVT_WDF_IO_QUEUE_STATE | null, Context: WDFCONTEXT): void {
  const t = fxEnter("WdfIoQueuePurge");
  const q = fxQueue(t, Queue, "WdfIoQueuePurge");
  if (!q || !fxIrqlOk(t, q.globals, "WdfIoQueuePurge", DISPATCH_LEVEL)) return;
  q.purge(t);
  q.addStateWaiter(t, { kind: "purge", callback: PurgeComplete, context: Context, event: null });
}

/** WdfIoQueuePurgeSynchronously: WdfIoQueuePurge, then waits (PASSIVE_LEVEL) for the driver's requests to finish. */
export async function WdfIoQueuePurgeSynchronously(Queue: WDFQUEUE): Promise<void> {
  await synchronously(Queue, "WdfIoQueuePurgeSynchronously", "purge", (t, q) => {
    q.purge(t);
  });
}

async function synchronously(Queue: WDFQUEUE, api: string, kind: StateWaiter["kind"], begin: (t: KThread, q: FxIoQueue) => void): Promise<void> {
  const t = fxEnter(api);
  const q = fxQueue(t, Queue, api);
  if (!q || !fxIrqlOk(t, q.globals, api, PASSIVE_LEVEL)) return;
  const m = t.machine;
  if (q.presentationLock !== null && q.presentationLock.owner === t && verifierOn(m, q.globals)) {
    fxViolation(m, q.globals, "RecursiveLock", `${api}(${q.label}) was called while holding the queue's own callback lock: it waits for callbacks that need that lock.`, { p2: q.handle });
  }
  const event = new KEVENT(NotificationEvent, false, `${q.label} ${kind}`);
  begin(t, q);
  q.addStateWaiter(t, { kind, callback: null, context: null, event });
  if (event.SignalState === 0) {
    await m.waits.waitFor([event], { waitAll: false, mode: KernelMode, alertable: false, timeout: null, reason: `${api}(${q.label}) waits until the driver owns none of its requests` });
  }
}

/**
 * WdfIoQueueStopAndPurge: the queue stops delivering requests but goes on accepting and storing
 * new ones (even after a Drain or Purge made it refuse them); the requests waiting in it are
 * cancelled (EvtIoCanceledOnQueue for one the driver had seen, otherwise completed with
 * STATUS_CANCELLED) and so is every driver-owned request marked cancelable (its EvtRequestCancel
 * runs); requests the driver owns and did not mark stay the driver's to complete.
 * StopAndPurgeComplete runs once the driver owns none of the queue's requests. New requests wait
 * in the queue, undelivered, until WdfIoQueueStart. IRQL <= DISPATCH_LEVEL.
 */
export function WdfIoQueueStopAndPurge(Queue: WDFQUEUE, StopAndPurgeComplete: EVT_WDF_IO_QUEUE_STATE | null, Context: WDFCONTEXT): void {
  const t = fxEnter("WdfIoQueueStopAndPurge");
  const q = fxQueue(t, Queue, "WdfIoQueueStopAndPurge");
  if (!q || !fxIrqlOk(t, q.globals, "WdfIoQueueStopAndPurge", DISPATCH_LEVEL)) return;
  q.purge(t, null, true);
  q.addStateWaiter(t, { kind: "stop and purge", callback: StopAndPurgeComplete, context: Context, event: null });
}

/**
 * WdfIoQueueStopAndPurgeSynchronously: WdfIoQueueStopAndPurge, then waits (PASSIVE_LEVEL) until
 * the driver owns none of the requests it had (new requests stay queued, undelivered).
 */
export async function WdfIoQueueStopAndPurgeSynchronously(Queue: WDFQUEUE): Promise<void> {
  await synchronously(Queue, "WdfIoQueueStopAndPurgeSynchronously", "stop and purge", (t, q) => {
    q.purge(t, null, true);
  });
}

/**
 * WdfIoQueueReadyNotify: for a manual queue, `QueueReady` runs each time the queue goes from empty
 * to holding a request (null cancels the notification).
 */
export function WdfIoQueueReadyNotify(Queue: WDFQUEUE, QueueReady: EVT_WDF_IO_QUEUE_STATE | null, Context: WDFCONTEXT): NTSTATUS {
  const t = fxEnter("WdfIoQueueReadyNotify");
  const q = fxQueue(t, Queue, "WdfIoQueueReadyNotify");
  if (!q) return STATUS_INVALID_HANDLE;
  if (q.dispatchType !== WdfIoQueueDispatchManual) return STATUS_INVALID_DEVICE_REQUEST;
  q.readyNotify = QueueReady ? { callback: QueueReady, context: Context } : null;
  return STATUS_SUCCESS;
}

/**
 * WdfIoQueueRetrieveNextRequest: takes the oldest request from a manual queue (or a stopped one):
 * the driver owns it now.
 *
 * @returns STATUS_SUCCESS and the request, STATUS_NO_MORE_ENTRIES when the queue is empty,
 * STATUS_INVALID_DEVICE_STATE when the queue was deleted or its device is not in D0 (KMDF's
 * STATUS_WDF_PAUSED).
 */
export function WdfIoQueueRetrieveNextRequest(Queue: WDFQUEUE): { /** STATUS_SUCCESS, or why not (see above). */ status: NTSTATUS; /** The request, now owned by the driver (null on failure). */ Request: WDFREQUEST | null } {
  const t = fxEnter("WdfIoQueueRetrieveNextRequest");
  const q = fxQueue(t, Queue, "WdfIoQueueRetrieveNextRequest");
  if (!q) return { status: STATUS_INVALID_HANDLE, Request: null };
  if (!fxIrqlOk(t, q.globals, "WdfIoQueueRetrieveNextRequest", DISPATCH_LEVEL)) return { status: STATUS_INVALID_DEVICE_REQUEST, Request: null };
  return retrieve(t, q, null);
}

/** WdfIoQueueRetrieveRequestByFileObject: the oldest request of `FileObject` in the queue. */
export function WdfIoQueueRetrieveRequestByFileObject(Queue: WDFQUEUE, FileObject: WDFFILEOBJECT): { /** STATUS_SUCCESS, or STATUS_NO_MORE_ENTRIES when no request of that file object waits, as for WdfIoQueueRetrieveNextRequest. */ status: NTSTATUS; /** The request, now owned by the driver (null on failure). */ Request: WDFREQUEST | null } {
  const t = fxEnter("WdfIoQueueRetrieveRequestByFileObject");
  const q = fxQueue(t, Queue, "WdfIoQueueRetrieveRequestByFileObject");
  if (!q) return { status: STATUS_INVALID_HANDLE, Request: null };
  const fo = fxObject(t, FileObject, FxFileObject, "WDFFILEOBJECT", "WdfIoQueueRetrieveRequestByFileObject");
  if (!fo) return { status: STATUS_INVALID_HANDLE, Request: null };
  return retrieve(t, q, (r) => r.fxFileObject === fo);
}

/**
 * WdfIoQueueFindRequest: a reference to the first request after `FoundRequest` (or the first one)
 * that matches `FileObject` and (when given) whose parameters match; the request stays in the
 * queue. Drop the reference with WdfObjectDereference.
 *
 * @returns STATUS_SUCCESS, STATUS_NO_MORE_ENTRIES at the end, STATUS_NOT_FOUND when FoundRequest is no longer in the queue.
 */
export function WdfIoQueueFindRequest(Queue: WDFQUEUE, FoundRequest: WDFREQUEST | null, FileObject: WDFFILEOBJECT | null): { /** STATUS_SUCCESS, or why not (see above). */ status: NTSTATUS; /** The request found, referenced and still in the queue (null when none). */ OutRequest: WDFREQUEST | null } {
  const t = fxEnter("WdfIoQueueFindRequest");
  const q = fxQueue(t, Queue, "WdfIoQueueFindRequest");
  if (!q) return { status: STATUS_INVALID_HANDLE, OutRequest: null };
  let start = 0;
  if (FoundRequest !== null) {
    const found = fxObject(t, FoundRequest, FxRequest, "WDFREQUEST", "WdfIoQueueFindRequest");
    if (!found) return { status: STATUS_INVALID_HANDLE, OutRequest: null };
    const i = q.waiting.indexOf(found);
    if (i < 0) return { status: STATUS_NOT_FOUND, OutRequest: null };
    start = i + 1;
  }
  let fo: FxFileObject | null = null;
  if (FileObject !== null) {
    fo = fxObject(t, FileObject, FxFileObject, "WDFFILEOBJECT", "WdfIoQueueFindRequest");
    if (!fo) return { status: STATUS_INVALID_HANDLE, OutRequest: null };
  }
  for (let i = start; i < q.waiting.length; i++) {
    const r = q.waiting[i] as FxRequest;
    if (fo === null || r.fxFileObject === fo) {
      r.refs++;
      return { status: STATUS_SUCCESS, OutRequest: r };
    }
  }
  return { status: STATUS_NO_MORE_ENTRIES, OutRequest: null };
}

/**
 * WdfIoQueueRetrieveFoundRequest: takes a request WdfIoQueueFindRequest returned out of the queue.
 *
 * @returns STATUS_SUCCESS, or STATUS_NOT_FOUND when it left the queue (cancelled) meanwhile.
 */
export function WdfIoQueueRetrieveFoundRequest(Queue: WDFQUEUE, FoundRequest: WDFREQUEST): { /** STATUS_SUCCESS, or why not (see above). */ status: NTSTATUS; /** The same request, out of the queue and owned by the driver (null on failure). */ OutRequest: WDFREQUEST | null } {
  const t = fxEnter("WdfIoQueueRetrieveFoundRequest");
  const q = fxQueue(t, Queue, "WdfIoQueueRetrieveFoundRequest");
  if (!q) return { status: STATUS_INVALID_HANDLE, OutRequest: null };
  const found = fxObject(t, FoundRequest, FxRequest, "WDFREQUEST", "WdfIoQueueRetrieveFoundRequest");
  if (!found) return { status: STATUS_INVALID_HANDLE, OutRequest: null };
  const r = retrieve(t, q, (x) => x === found);
  return { status: r.status === STATUS_NO_MORE_ENTRIES ? STATUS_NOT_FOUND : r.status, OutRequest: r.Request };
}

function retrieve(t: KThread, q: FxIoQueue, match: ((r: FxRequest) => boolean) | null): { status: NTSTATUS; Request: WDFREQUEST | null } {
  if (q.gone || !q.powerOn) return { status: STATUS_INVALID_DEVICE_STATE, Request: null };
  const r = q.take(match);
  if (r === null) return { status: STATUS_NO_MORE_ENTRIES, Request: null };
  q.driverOwned.add(r);
  r.deliveredBy(q);
  if (q.waiting.length === 0) q.checkStateWaiters(t);
  return { status: STATUS_SUCCESS, Request: r };
}
