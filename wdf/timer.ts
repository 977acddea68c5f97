/**
 * WDFTIMER, WDFDPC and WDFWORKITEM (wdftimer.h, wdfdpc.h, wdfworkitem.h): each a child of a device
 * or queue, whose callback — with AutomaticSerialization — runs under that parent's callback lock,
 * so it is serialised with the queue's request callbacks. A timer or DPC runs at DISPATCH_LEVEL
 * from a KDPC (a passive-level timer hands its callback to a work item); a work item runs at
 * PASSIVE_LEVEL on the system worker thread. Deleting one stops it (and waits for a running
 * callback, as KMDF does when the parent is deleted).
 */
import { WdfHandleBrand } from "./handles.js";
import { KEVENT, NotificationEvent } from "../kernel/dispatcher.js";
import { KDPC } from "../kernel/dpc.js";
import { DISPATCH_LEVEL, KernelMode, PASSIVE_LEVEL } from "../kernel/irql.js";
import type { MaybePromise } from "../kernel/objects.js";
import { STATUS_INVALID_DEVICE_REQUEST, STATUS_INVALID_PARAMETER, STATUS_SUCCESS, type NTSTATUS } from "../kernel/status.js";
import type { KThread } from "../kernel/thread.js";
import { KTIMER } from "../kernel/timer.js";
import { invokeCallback } from "./callback.js";
import { fxEnter, fxIrqlOk, fxMachine, fxViolation, verifierOn, type FxDriverGlobals } from "./globals.js";
import type { WDFDPC, WDFOBJECT, WDFTIMER, WDFWORKITEM } from "./handles.js";
import type { FxCallbackLock } from "./lock.js";
import { FxObject, WdfExecutionLevelPassive, fxObject, fxParent, fxRequired, type WDF_OBJECT_ATTRIBUTES } from "./object.js";
import { FxDevice } from "./device.js";
import { FxIoQueue } from "./queue.js";

/** EVT_WDF_TIMER: the timer expired; runs at DISPATCH_LEVEL (a DPC), or at PASSIVE_LEVEL in a work item when the timer's execution level is passive, under the parent's lock when AutomaticSerialization is set. */
export type EVT_WDF_TIMER = (Timer: WDFTIMER) => MaybePromise<void>;
/** EVT_WDF_DPC: the DPC runs, at DISPATCH_LEVEL, after WdfDpcEnqueue. */
export type EVT_WDF_DPC = (Dpc: WDFDPC) => void;
/** EVT_WDF_WORKITEM: the work item runs, at PASSIVE_LEVEL in a system worker thread, after WdfWorkItemEnqueue. */
export type EVT_WDF_WORKITEM = (WorkItem: WDFWORKITEM) => MaybePromise<void>;

/** WDF_TIMER_CONFIG: what WdfTimerCreate makes. Initialise with WDF_TIMER_CONFIG_INIT or WDF_TIMER_CONFIG_INIT_PERIODIC. */
export class WDF_TIMER_CONFIG {
  /** Size: the structure's size, set by the INIT functions. */
  Size = 32;
  /** EvtTimerFunc: the callback run each time the timer expires. */
  EvtTimerFunc: EVT_WDF_TIMER | null = null;
  /** Period: milliseconds between expirations of a periodic timer; 0 for a one-shot timer. */
  Period = 0;
  /** AutomaticSerialization: run EvtTimerFunc under the parent device's or queue's synchronization lock (WdfSynchronizationScope*), so it never overlaps the parent's other callbacks. */
  AutomaticSerialization = true;
  /** TolerableDelay: how late (ms) Windows may coalesce the expiration, for power saving; accepted and ignored here — virtual time expires timers exactly. */
  TolerableDelay = 0;
  /** UseHighResolutionTimer: ask for a high-resolution timer (KMDF 1.13); accepted and ignored here, where every timer is exact. */
  UseHighResolutionTimer = false;
}

/** WDF_TIMER_CONFIG_INIT: a one-shot timer, serialised with its parent. */
export function WDF_TIMER_CONFIG_INIT(Config: WDF_TIMER_CONFIG, EvtTimerFunc: EVT_WDF_TIMER): void {
  Object.assign(Config, new WDF_TIMER_CONFIG());
  Config.EvtTimerFunc = EvtTimerFunc;
}

/** WDF_TIMER_CONFIG_INIT_PERIODIC: a timer that fires every `Period` ms after its first due time. */
export function WDF_TIMER_CONFIG_INIT_PERIODIC(Config: WDF_TIMER_CONFIG, EvtTimerFunc: EVT_WDF_TIMER, Period: number): void {
  WDF_TIMER_CONFIG_INIT(Config, EvtTimerFunc);
  Config.Period = Period;
}

/** WDF_DPC_CONFIG: what WdfDpcCreate makes. Initialise with WDF_DPC_CONFIG_INIT. */
export class WDF_DPC_CONFIG {
  /** Size: the structure's size. */
  Size = 16;
  /** EvtDpcFunc: the callback the DPC runs. */
  EvtDpcFunc: EVT_WDF_DPC | null = null;
  /** AutomaticSerialization: run EvtDpcFunc under the parent's synchronization lock (which must then be a DISPATCH_LEVEL one). */
  AutomaticSerialization = true;
}

/** WDF_DPC_CONFIG_INIT: names the callback and turns automatic serialization on. */
export function WDF_DPC_CONFIG_INIT(Config: WDF_DPC_CONFIG, EvtDpcFunc: EVT_WDF_DPC): void {
  Config.EvtDpcFunc = EvtDpcFunc;
  Config.AutomaticSerialization = true;
}

/** WDF_WORKITEM_CONFIG: what WdfWorkItemCreate makes. Initialise with WDF_WORKITEM_CONFIG_INIT. */
export class WDF_WORKITEM_CONFIG {
  /** Size: the structure's size. */
  Size = 16;
  /** EvtWorkItemFunc: the callback the work item runs. */
  EvtWorkItemFunc: EVT_WDF_WORKITEM | null = null;
  /** AutomaticSerialization: run EvtWorkItemFunc under the parent's synchronization lock (which must then be a passive-level one, WdfExecutionLevelPassive). */
  AutomaticSerialization = true;
}

/** WDF_WORKITEM_CONFIG_INIT: names the callback and turns automatic serialization on. */
export function WDF_WORKITEM_CONFIG_INIT(Config: WDF_WORKITEM_CONFIG, EvtWorkItemFunc: EVT_WDF_WORKITEM): void {
  Config.EvtWorkItemFunc = EvtWorkItemFunc;
  Config.AutomaticSerialization = true;
}

/**
 * The status for a missing or wrong parent: a NULL ParentObject is WDF_VIOLATION 0x4 under the
 * verifier; either way the routine fails with STATUS_INVALID_PARAMETER.
 */
function parentError(t: KThread, g: FxDriverGlobals | null, api: string, given: WDFOBJECT | null | undefined): NTSTATUS {
  if (given === null || given === undefined) fxRequired(t, g, null, api, "Attributes->ParentObject (a WDFDEVICE or WDFQUEUE)");
  return STATUS_INVALID_PARAMETER;
}

/** The parent a timer, DPC or work item must have: a device or a queue. */
function deviceOrQueue(t: KThread, h: WDFOBJECT | null | undefined, api: string): FxDevice | FxIoQueue | null {
  if (h === null || h === undefined) return null;
  const p = fxParent(t, h, api);
  return p instanceof FxDevice || p instanceof FxIoQueue ? p : null;
}

/** The lock AutomaticSerialization uses: the parent queue's presentation lock, or the device's when its scope is the device. */
function serializationLock(parent: FxDevice | FxIoQueue): FxCallbackLock | null {
  if (parent instanceof FxIoQueue) return parent.presentationLock;
  return parent.resolvedScope() === 2 ? parent.lock : null;
}

function passiveOf(parent: FxDevice | FxIoQueue, attributes: WDF_OBJECT_ATTRIBUTES | null): boolean {
  if (attributes?.ExecutionLevel === WdfExecutionLevelPassive) return true;
  if (attributes?.ExecutionLevel === 3) return false;
  return parent instanceof FxIoQueue ? parent.passive : parent.resolvedLevel() === WdfExecutionLevelPassive;
}

// ---- Timers ---------------------------------------------------------------------------------

/** A framework timer. */
export class FxTimer extends FxObject {
  declare readonly [WdfHandleBrand]: "WDFTIMER";
  readonly ktimer: KTIMER;
  readonly kdpc = new KDPC<FxTimer>();
  /** A passive-level callback in progress (WdfTimerStop with Wait waits for it). */
  running: KEVENT | null = null;
  /** The thread running a passive-level callback (its own WdfTimerStop(TRUE) would never return). */
  callbackThread: KThread | null = null;
  stopped = false;

  constructor(
    g: FxDriverGlobals,
    parent: FxDevice | FxIoQueue,
    readonly callback: EVT_WDF_TIMER,
    readonly period: number,
    readonly lock: FxCallbackLock | null,
    readonly passive: boolean,
  ) {
    super(g, "WDFTIMER", parent);
    this.ktimer = new KTIMER(false, this.label);
    this.kdpc.DeferredRoutine = FxTimerDpc;
    this.kdpc.DeferredContext = this;
    this.kdpc.owner = g.name;
    this.kdpc.label = `${this.label} DPC`;
  }

  /** Runs the driver's EvtTimerFunc (at DISPATCH_LEVEL in the DPC, or PASSIVE_LEVEL in a work item). */
  fire(t: KThread): MaybePromise<void> {
    const cb = this.callback;
    return invokeCallback(t, this.globals, this.lock, "EvtTimerFunc", cb, { object: this.label, request: null, irp: null }, () => cb(this));
  }

  protected override onDispose(): void {
    this.stopped = true;
    this.machine.cancelTimer(this.ktimer);
    this.machine.interrupts.removeQueueDpc(this.kdpc);
  }
}

/** The KDPC routine of every framework timer. */
function FxTimerDpc(_Dpc: KDPC<FxTimer>, timer: FxTimer): void {
  const m = timer.machine;
  if (timer.destroyed || timer.stopped) return;
  const t = m.currentThread();
  if (timer.passive) {
    if (timer.running) return;
    const done = new KEVENT(NotificationEvent, false, `${timer.label} callback`);
    timer.running = done;
    m.queueWorkItem(
      `${timer.label} EvtTimerFunc`,
      async () => {
        try {
          timer.callbackThread = m.currentThread();
          if (!timer.destroyed && !timer.stopped) await timer.fire(m.currentThread());
        } finally {
          timer.callbackThread = null;
          timer.running = null;
          m.signal(done);
        }
      },
      timer.globals.name,
    );
    return;
  }
  const r = timer.fire(t);
  if (r instanceof Promise) r.catch(() => undefined);
}

/**
 * WdfTimerCreate: a timer whose parent (the attributes' ParentObject, required) is a device or a
 * queue. AutomaticSerialization (the default) runs EvtTimerFunc under the parent's callback lock.
 *
 * @returns STATUS_SUCCESS; STATUS_INVALID_PARAMETER without a device or queue parent or with a
 * negative period; STATUS_INVALID_DEVICE_REQUEST when serialization would need a lock of the other
 * execution level.
 */
export function WdfTimerCreate(Config: WDF_TIMER_CONFIG, Attributes: WDF_OBJECT_ATTRIBUTES): { /** STATUS_SUCCESS, or why not (see above). */ status: NTSTATUS; /** The new timer, not started (null on failure). */ Timer: WDFTIMER | null } {
  const t = fxEnter("WdfTimerCreate");
  const g = fxMachine(t.machine).currentGlobals();
  if (!fxRequired(t, g, Config, "WdfTimerCreate", "Config") || !fxRequired(t, g, Attributes, "WdfTimerCreate", "Attributes")) return { status: STATUS_INVALID_PARAMETER, Timer: null };
  if (!fxRequired(t, g, Config.EvtTimerFunc, "WdfTimerCreate", "Config->EvtTimerFunc")) return { status: STATUS_INVALID_PARAMETER, Timer: null };
  if (!fxIrqlOk(t, g, "WdfTimerCreate", DISPATCH_LEVEL)) return { status: STATUS_INVALID_DEVICE_REQUEST, Timer: null };
  const parent = deviceOrQueue(t, Attributes.ParentObject, "WdfTimerCreate");
  if (!parent) return { status: parentError(t, g, "WdfTimerCreate", Attributes.ParentObject), Timer: null };
  if (!Number.isInteger(Config.Period) || Config.Period < 0) return { status: STATUS_INVALID_PARAMETER, Timer: null };
  const passive = passiveOf(parent, Attributes);
  const lock = Config.AutomaticSerialization ? serializationLock(parent) : null;
  if (lock && lock.passive !== passive) return { status: STATUS_INVALID_DEVICE_REQUEST, Timer: null };
  const timer = new FxTimer(parent.globals, parent, Config.EvtTimerFunc as EVT_WDF_TIMER, Config.Period, lock, passive);
  timer.applyAttributes(Attributes);
  timer.traceCreated();
  return { status: STATUS_SUCCESS, Timer: timer };
}

/**
 * WdfTimerStart: sets the timer to fire at `DueTime` (NT form: negative relative 100 ns units;
 * WDF_REL_TIMEOUT_IN_MS), then every Period ms for a periodic timer.
 *
 * @returns TRUE when the timer was already set (it is reset to the new due time).
 */
export function WdfTimerStart(Timer: WDFTIMER, DueTime: number): boolean {
  const t = fxEnter("WdfTimerStart");
  const timer = fxObject(t, Timer, FxTimer, "WDFTIMER", "WdfTimerStart");
  if (!timer) return false;
  if (!fxIrqlOk(t, timer.globals, "WdfTimerStart", DISPATCH_LEVEL)) return false;
  timer.stopped = false;
  return t.machine.setTimer(timer.ktimer, DueTime, timer.period, timer.kdpc);
}

/**
 * WdfTimerStop: cancels the timer; with `Wait` TRUE (PASSIVE_LEVEL only) it also waits until a
 * callback already running has returned (and returns a Promise then).
 *
 * @returns TRUE when the timer was set (so its callback will not run for that due time).
 */
export function WdfTimerStop(Timer: WDFTIMER, Wait: boolean): MaybePromise<boolean> {
  const t = fxEnter("WdfTimerStop");
  const timer = fxObject(t, Timer, FxTimer, "WDFTIMER", "WdfTimerStop");
  if (!timer) return false;
  if (!fxIrqlOk(t, timer.globals, "WdfTimerStop", Wait ? PASSIVE_LEVEL : DISPATCH_LEVEL)) return false;
  const m = t.machine;
  const wasSet = m.cancelTimer(timer.ktimer);
  const dequeued = m.interrupts.removeQueueDpc(timer.kdpc);
  timer.stopped = true;
  const running = timer.running;
  if (Wait && timer.callbackThread === t) {
    // Waiting for the callback this thread is running: KMDF's verifier breaks; without it the wait never ends.
    if (verifierOn(m, timer.globals)) fxViolation(m, timer.globals, "WaitInOwnCallback", `WdfTimerStop(${timer.label}, TRUE) called from its own EvtTimerFunc: it would wait for itself.`, { p2: timer.handle });
  }
  if (Wait && running && running.SignalState === 0) {
    return m.waits.waitFor([running], { waitAll: false, mode: KernelMode, alertable: false, timeout: null, reason: `WdfTimerStop(${timer.label}, TRUE) waits for its running EvtTimerFunc` }).then(() => wasSet || dequeued);
  }
  return wasSet || dequeued;
}

/** WdfTimerGetParentObject. */
export function WdfTimerGetParentObject(Timer: WDFTIMER): WDFOBJECT | null {
  const t = fxEnter("WdfTimerGetParentObject");
  const timer = fxObject(t, Timer, FxTimer, "WDFTIMER", "WdfTimerGetParentObject");
  return timer ? timer.parent : null;
}

// ---- DPCs -----------------------------------------------------------------------------------

/** A framework DPC. */
export class FxDpc extends FxObject {
  declare readonly [WdfHandleBrand]: "WDFDPC";
  readonly kdpc = new KDPC<FxDpc>();
  constructor(
    g: FxDriverGlobals,
    parent: FxDevice | FxIoQueue,
    readonly callback: EVT_WDF_DPC,
    readonly lock: FxCallbackLock | null,
  ) {
    super(g, "WDFDPC", parent);
    this.kdpc.DeferredRoutine = FxDpcRoutine;
    this.kdpc.DeferredContext = this;
    this.kdpc.owner = g.name;
    this.kdpc.label = `${this.label} DPC`;
  }
  protected override onDispose(): void {
    this.machine.interrupts.removeQueueDpc(this.kdpc);
  }
}

function FxDpcRoutine(_Dpc: KDPC<FxDpc>, dpc: FxDpc): void {
  if (dpc.destroyed) return;
  const t = dpc.machine.currentThread();
  const cb = dpc.callback;
  const r = invokeCallback(t, dpc.globals, dpc.lock, "EvtDpcFunc", cb, { object: dpc.label, request: null, irp: null }, () => {
    cb(dpc);
  });
  if (r instanceof Promise) r.catch(() => undefined);
}

/**
 * WdfDpcCreate: a DPC whose parent (required) is a device or queue.
 *
 * @returns STATUS_SUCCESS; STATUS_INVALID_PARAMETER without a device or queue parent;
 * STATUS_INVALID_DEVICE_REQUEST when serialization would need a passive-level lock.
 */
export function WdfDpcCreate(Config: WDF_DPC_CONFIG, Attributes: WDF_OBJECT_ATTRIBUTES): { /** STATUS_SUCCESS, or why not (see above). */ status: NTSTATUS; /** The new DPC, not queued (null on failure). */ Dpc: WDFDPC | null } {
  const t = fxEnter("WdfDpcCreate");
  const g = fxMachine(t.machine).currentGlobals();
  if (!fxRequired(t, g, Config, "WdfDpcCreate", "Config") || !fxRequired(t, g, Attributes, "WdfDpcCreate", "Attributes")) return { status: STATUS_INVALID_PARAMETER, Dpc: null };
  if (!fxRequired(t, g, Config.EvtDpcFunc, "WdfDpcCreate", "Config->EvtDpcFunc")) return { status: STATUS_INVALID_PARAMETER, Dpc: null };
  if (!fxIrqlOk(t, g, "WdfDpcCreate", DISPATCH_LEVEL)) return { status: STATUS_INVALID_DEVICE_REQUEST, Dpc: null };
  const parent = deviceOrQueue(t, Attributes.ParentObject, "WdfDpcCreate");
  if (!parent) return { status: parentError(t, g, "WdfDpcCreate", Attributes.ParentObject), Dpc: null };
  const lock = Config.AutomaticSerialization ? serializationLock(parent) : null;
  if (lock?.passive) return { status: STATUS_INVALID_DEVICE_REQUEST, Dpc: null };
  const dpc = new FxDpc(parent.globals, parent, Config.EvtDpcFunc as EVT_WDF_DPC, lock);
  dpc.applyAttributes(Attributes);
  dpc.traceCreated();
  return { status: STATUS_SUCCESS, Dpc: dpc };
}

/** WdfDpcEnqueue: queues the DPC; FALSE when it was already queued. */
export function WdfDpcEnqueue(Dpc: WDFDPC): boolean {
  const t = fxEnter("WdfDpcEnqueue");
  const dpc = fxObject(t, Dpc, FxDpc, "WDFDPC", "WdfDpcEnqueue");
  if (!dpc) return false;
  return t.machine.interrupts.insertQueueDpc(dpc.kdpc, null, null);
}

/** WdfDpcCancel: takes a queued DPC out; TRUE when it was queued. (`Wait` has nothing to wait for here: a DPC runs to completion.) */
export function WdfDpcCancel(Dpc: WDFDPC, Wait: boolean): boolean {
  const t = fxEnter("WdfDpcCancel");
  const dpc = fxObject(t, Dpc, FxDpc, "WDFDPC", "WdfDpcCancel");
  if (!dpc) return false;
  if (!fxIrqlOk(t, dpc.globals, "WdfDpcCancel", Wait ? PASSIVE_LEVEL : DISPATCH_LEVEL)) return false;
  return t.machine.interrupts.removeQueueDpc(dpc.kdpc);
}

// ---- Work items -----------------------------------------------------------------------------

/** A framework work item. */
export class FxWorkItem extends FxObject {
  declare readonly [WdfHandleBrand]: "WDFWORKITEM";
  /** Queued and not started yet (a second enqueue then does nothing). */
  queued = false;
  /** Queued or running: WdfWorkItemFlush waits for it. */
  idle: KEVENT;
  /** The thread running EvtWorkItemFunc (its own WdfWorkItemFlush would never return). */
  callbackThread: KThread | null = null;
  constructor(
    g: FxDriverGlobals,
    parent: FxDevice | FxIoQueue,
    readonly callback: EVT_WDF_WORKITEM,
    readonly lock: FxCallbackLock | null,
  ) {
    super(g, "WDFWORKITEM", parent);
    this.idle = new KEVENT(NotificationEvent, true, `${this.label} idle`);
  }
}

/**
 * WdfWorkItemCreate: a work item whose parent (required) is a device or queue. AutomaticSerialization
 * needs the parent's lock to be a passive-level one (STATUS_INVALID_DEVICE_REQUEST otherwise), since
 * a work item runs at PASSIVE_LEVEL.
 */
export function WdfWorkItemCreate(Config: WDF_WORKITEM_CONFIG, Attributes: WDF_OBJECT_ATTRIBUTES): { /** STATUS_SUCCESS; STATUS_INVALID_PARAMETER without a device or queue parent; STATUS_INVALID_DEVICE_REQUEST as above. */ status: NTSTATUS; /** The new work item, not queued (null on failure). */ WorkItem: WDFWORKITEM | null } {
  const t = fxEnter("WdfWorkItemCreate");
  const g = fxMachine(t.machine).currentGlobals();
  if (!fxRequired(t, g, Config, "WdfWorkItemCreate", "Config") || !fxRequired(t, g, Attributes, "WdfWorkItemCreate", "Attributes")) return { status: STATUS_INVALID_PARAMETER, WorkItem: null };
  if (!fxRequired(t, g, Config.EvtWorkItemFunc, "WdfWorkItemCreate", "Config->EvtWorkItemFunc")) return { status: STATUS_INVALID_PARAMETER, WorkItem: null };
  if (!fxIrqlOk(t, g, "WdfWorkItemCreate", DISPATCH_LEVEL)) return { status: STATUS_INVALID_DEVICE_REQUEST, WorkItem: null };
  const parent = deviceOrQueue(t, Attributes.ParentObject, "WdfWorkItemCreate");
  if (!parent) return { status: parentError(t, g, "WdfWorkItemCreate", Attributes.ParentObject), WorkItem: null };
  const lock = Config.AutomaticSerialization ? serializationLock(parent) : null;
  if (lock && !lock.passive) return { status: STATUS_INVALID_DEVICE_REQUEST, WorkItem: null };
  const w = new FxWorkItem(parent.globals, parent, Config.EvtWorkItemFunc as EVT_WDF_WORKITEM, lock);
  w.applyAttributes(Attributes);
  w.traceCreated();
  return { status: STATUS_SUCCESS, WorkItem: w };
}

/** WdfWorkItemEnqueue: queues the work item to the system worker thread (once: a queued one is not queued again). */
export function WdfWorkItemEnqueue(WorkItem: WDFWORKITEM): void {
  const t = fxEnter("WdfWorkItemEnqueue");
  const w = fxObject(t, WorkItem, FxWorkItem, "WDFWORKITEM", "WdfWorkItemEnqueue");
  if (!w) return;
  if (!fxIrqlOk(t, w.globals, "WdfWorkItemEnqueue", DISPATCH_LEVEL)) return;
  if (w.queued) return;
  const m = t.machine;
  w.queued = true;
  w.idle.SignalState = 0;
  m.queueWorkItem(
    `${w.label} EvtWorkItemFunc`,
    async () => {
      w.queued = false;
      w.callbackThread = m.currentThread();
      try {
        if (!w.destroyed) {
          const cb = w.callback;
          await invokeCallback(m.currentThread(), w.globals, w.lock, "EvtWorkItemFunc", cb, { object: w.label, request: null, irp: null }, () => cb(w));
        }
      } finally {
        w.callbackThread = null;
        // Enqueued again while it ran: it stays busy until that run ends.
        // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- the callback may have re-queued it
        if (!w.queued) m.signal(w.idle);
      }
    },
    w.globals.name,
  );
}

/** WdfWorkItemFlush: waits (PASSIVE_LEVEL) until the work item is neither queued nor running. */
export async function WdfWorkItemFlush(WorkItem: WDFWORKITEM): Promise<void> {
  const t = fxEnter("WdfWorkItemFlush");
  const w = fxObject(t, WorkItem, FxWorkItem, "WDFWORKITEM", "WdfWorkItemFlush");
  if (!w) return;
  if (!fxIrqlOk(t, w.globals, "WdfWorkItemFlush", PASSIVE_LEVEL)) return;
  if (w.callbackThread === t && verifierOn(t.machine, w.globals)) fxViolation(t.machine, w.globals, "WaitInOwnCallback", `WdfWorkItemFlush(${w.label}) called from its own EvtWorkItemFunc: it would wait for itself.`, { p2: w.handle });
  if (w.idle.SignalState !== 0) return;
  await t.machine.waits.waitFor([w.idle], { waitAll: false, mode: KernelMode, alertable: false, timeout: null, reason: `WdfWorkItemFlush(${w.label}) waits for its EvtWorkItemFunc` });
}

/** WdfWorkItemGetParentObject. */
export function WdfWorkItemGetParentObject(WorkItem: WDFWORKITEM): WDFOBJECT | null {
  const t = fxEnter("WdfWorkItemGetParentObject");
  const w = fxObject(t, WorkItem, FxWorkItem, "WDFWORKITEM", "WdfWorkItemGetParentObject");
  return w ? w.parent : null;
}
