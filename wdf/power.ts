/**
 * The framework's power handling (wdfdevice.h's power policy): for its PnP function device the
 * framework is the power policy owner (unless WdfDeviceInitSetPowerPolicyOwnership(FALSE)). An
 * S-IRP for a sleep state becomes a D-IRP for D3 (PoRequestPowerIrp), and S0 a D-IRP for D0; a
 * D-IRP runs the driver's power callbacks in the documented order:
 *
 * - leaving D0: EvtDeviceSelfManagedIoSuspend; power-managed queues stop (EvtIoStop with
 *   WdfRequestStopActionSuspend for each request the driver owns, and the framework waits until
 *   each is completed, requeued or acknowledged); EvtDeviceD0ExitPreInterruptsDisabled;
 *   EvtDeviceD0Exit(WdfPowerDeviceD3 — or D1/D2 for an idle DxState of D1/D2);
 * - returning to D0: EvtDeviceD0Entry(the Dx state it left), EvtDeviceD0EntryPostInterruptsEnabled,
 *   power-managed queues restart (EvtIoResume for requests acknowledged in place), then
 *   EvtDeviceSelfManagedIoRestart.
 *
 * Queues created with PowerManaged = WdfFalse keep dispatching while the device is in Dx; a
 * request reaching a power-managed queue then waits until D0.
 *
 * S0 idle (WdfDeviceAssignS0IdleSettings): when no request is in any power-managed queue (waiting
 * or owned by the driver) and no WdfDeviceStopIdle reference is held, a timer of IdleTimeout ms of
 * virtual time starts; when it expires the framework requests a D-IRP for DxState. A request
 * arriving at a power-managed queue, or WdfDeviceStopIdle, powers the device back up (a D0
 * D-IRP) before the request is dispatched.
 *
 * Not modelled: wake signals (EvtDeviceArmWakeFromS0/Sx and the other power policy callbacks are
 * accepted and never called — a root-enumerated device cannot wake), system-managed idle
 * timeouts, D3cold, the power framework (PoFx), DO_POWER_INRUSH.
 */
import { KEVENT, NotificationEvent } from "../kernel/dispatcher.js";
import { KernelMode, PASSIVE_LEVEL } from "../kernel/irql.js";
import type { MaybePromise } from "../kernel/objects.js";
import { NT_SUCCESS, STATUS_INFO_LENGTH_MISMATCH, STATUS_INVALID_DEVICE_REQUEST, STATUS_INVALID_DEVICE_STATE, STATUS_INVALID_HANDLE, STATUS_INVALID_PARAMETER, STATUS_PENDING, STATUS_POWER_STATE_INVALID, STATUS_SUCCESS, type NTSTATUS } from "../kernel/status.js";
import type { KThread } from "../kernel/thread.js";
import type { TimerEntry } from "../kernel/timer-queue.js";
import { IoCallDriver } from "../io-manager/call-driver.js";
import { IoSkipCurrentIrpStackLocation, type IRP } from "../io-manager/irp.js";
import { requestPowerIrp, setPowerState } from "../io-manager/power.js";
import { DevicePowerState, IRP_MN_QUERY_POWER, IRP_MN_SET_POWER, PowerDeviceD0, PowerDeviceD1, PowerDeviceD2, PowerDeviceD3, PowerDeviceMaximum, PowerSystemWorking, SystemPowerState } from "../io-manager/power-types.js";
import { invokeCallback } from "./callback.js";
import { fxEnter, fxIrqlOk, fxViolation, verifierOn } from "./globals.js";
import type { WDFDEVICE } from "./handles.js";
import { WDFDEVICE_INIT, fxDevice, type FxDevice } from "./device.js";
import { fxRequired } from "./object.js";
import { WdfFalse, WdfTrue, WdfUseDefault, type WDF_TRI_STATE } from "./queue.js";
import { completeIrp } from "./request.js";
import { forwardAndWait, WDF_POWER_DEVICE_STATE, waitForDriverRequests, type WDF_PNPPOWER_EVENT_CALLBACKS } from "./pnp.js";

// ---- Settings structures ------------------------------------------------------------------------

/** WDF_POWER_POLICY_S0_IDLE_CAPABILITIES: whether the device can wake itself from its idle Dx state. */
export const WDF_POWER_POLICY_S0_IDLE_CAPABILITIES = { IdleCapsInvalid: 0, IdleCannotWakeFromS0: 1, IdleCanWakeFromS0: 2, IdleUsbSelectiveSuspend: 3 } as const;
/** A WDF_POWER_POLICY_S0_IDLE_CAPABILITIES value. */
export type WDF_POWER_POLICY_S0_IDLE_CAPABILITIES = (typeof WDF_POWER_POLICY_S0_IDLE_CAPABILITIES)[keyof typeof WDF_POWER_POLICY_S0_IDLE_CAPABILITIES];
export const { IdleCapsInvalid, IdleCannotWakeFromS0, IdleCanWakeFromS0, IdleUsbSelectiveSuspend } = WDF_POWER_POLICY_S0_IDLE_CAPABILITIES;

/** WDF_POWER_POLICY_S0_IDLE_USER_CONTROL: whether Device Manager's power tab may turn idle off (accepted; there is no user here). */
export const WDF_POWER_POLICY_S0_IDLE_USER_CONTROL = { IdleUserControlInvalid: 0, IdleDoNotAllowUserControl: 1, IdleAllowUserControl: 2 } as const;
/** A WDF_POWER_POLICY_S0_IDLE_USER_CONTROL value. */
export type WDF_POWER_POLICY_S0_IDLE_USER_CONTROL = (typeof WDF_POWER_POLICY_S0_IDLE_USER_CONTROL)[keyof typeof WDF_POWER_POLICY_S0_IDLE_USER_CONTROL];
export const { IdleUserControlInvalid, IdleDoNotAllowUserControl, IdleAllowUserControl } = WDF_POWER_POLICY_S0_IDLE_USER_CONTROL;

/** WDF_POWER_POLICY_IDLE_TIMEOUT_TYPE: who picks the timeout (only DriverManagedIdleTimeout is modelled; the others use IdleTimeout too). */
export const WDF_POWER_POLICY_IDLE_TIMEOUT_TYPE = { DriverManagedIdleTimeout: 0, SystemManagedIdleTimeout: 1, SystemManagedIdleTimeoutWithHint: 2 } as const;
/** A WDF_POWER_POLICY_IDLE_TIMEOUT_TYPE value. */
export type WDF_POWER_POLICY_IDLE_TIMEOUT_TYPE = (typeof WDF_POWER_POLICY_IDLE_TIMEOUT_TYPE)[keyof typeof WDF_POWER_POLICY_IDLE_TIMEOUT_TYPE];
export const { DriverManagedIdleTimeout, SystemManagedIdleTimeout, SystemManagedIdleTimeoutWithHint } = WDF_POWER_POLICY_IDLE_TIMEOUT_TYPE;

/** IdleTimeoutDefaultValue: IdleTimeout 0 asks for the framework's default, five seconds. */
export const IdleTimeoutDefaultValue = 0;
/** The framework's default idle timeout in milliseconds. */
const IDLE_TIMEOUT_DEFAULT_MS = 5000;
const IDLE_SETTINGS_SIZE = 36;

/** WDF_DEVICE_POWER_POLICY_IDLE_SETTINGS. Initialise with WDF_DEVICE_POWER_POLICY_IDLE_SETTINGS_INIT. */
export class WDF_DEVICE_POWER_POLICY_IDLE_SETTINGS {
  /** Size: the structure's size, set by the INIT function (another value is STATUS_INFO_LENGTH_MISMATCH). */
  Size = IDLE_SETTINGS_SIZE;
  /** IdleCaps: a WDF_POWER_POLICY_S0_IDLE_CAPABILITIES value. */
  IdleCaps: number = IdleCannotWakeFromS0;
  /** DxState: the DEVICE_POWER_STATE the device idles in (D1–D3; PowerDeviceMaximum: the deepest it supports, D3 here). */
  DxState: number = PowerDeviceD3;
  /** IdleTimeout: milliseconds without I/O before the device powers down (IdleTimeoutDefaultValue: 5000). */
  IdleTimeout = IdleTimeoutDefaultValue;
  /** UserControlOfIdleSettings: accepted (no user here). */
  UserControlOfIdleSettings: number = IdleAllowUserControl;
  /** Enabled: WdfTrue or WdfUseDefault enable S0 idle, WdfFalse disables it. */
  Enabled: WDF_TRI_STATE = WdfUseDefault;
  /** PowerUpIdleDeviceOnSystemWake: WdfTrue brings an idle device back to D0 when the system wakes; otherwise it stays in Dx until it is needed. */
  PowerUpIdleDeviceOnSystemWake: WDF_TRI_STATE = WdfUseDefault;
  /** IdleTimeoutType: a WDF_POWER_POLICY_IDLE_TIMEOUT_TYPE value (accepted; the timeout is always IdleTimeout). */
  IdleTimeoutType: number = DriverManagedIdleTimeout;
  /** ExcludeD3Cold: accepted (D3cold is not modelled). */
  ExcludeD3Cold: WDF_TRI_STATE = WdfUseDefault;
}

/** WDF_DEVICE_POWER_POLICY_IDLE_SETTINGS_INIT: the defaults (5 s, enabled, DxState D3 for IdleCannotWakeFromS0 and PowerDeviceMaximum for wake-capable caps). */
export function WDF_DEVICE_POWER_POLICY_IDLE_SETTINGS_INIT(Settings: WDF_DEVICE_POWER_POLICY_IDLE_SETTINGS, IdleCaps: WDF_POWER_POLICY_S0_IDLE_CAPABILITIES): void {
  Object.assign(Settings, new WDF_DEVICE_POWER_POLICY_IDLE_SETTINGS());
  Settings.IdleCaps = IdleCaps;
  Settings.DxState = IdleCaps === IdleCannotWakeFromS0 ? PowerDeviceD3 : PowerDeviceMaximum;
}

/** EVT_WDF_DEVICE_ARM_WAKE_FROM_S0 / _SX and the other power policy callbacks' shape. */
export type EVT_WDF_DEVICE_POWER_POLICY = (Device: WDFDEVICE) => MaybePromise<NTSTATUS | void>;

/** WDF_POWER_POLICY_EVENT_CALLBACKS: accepted and never called (wake from S0 or Sx is not modelled: a root-enumerated device cannot wake). */
export class WDF_POWER_POLICY_EVENT_CALLBACKS {
  /** Size: set by WDF_POWER_POLICY_EVENT_CALLBACKS_INIT. */
  Size = 32;
  /** EvtDeviceArmWakeFromS0: never called here. */
  EvtDeviceArmWakeFromS0: EVT_WDF_DEVICE_POWER_POLICY | null = null;
  /** EvtDeviceDisarmWakeFromS0: never called here. */
  EvtDeviceDisarmWakeFromS0: EVT_WDF_DEVICE_POWER_POLICY | null = null;
  /** EvtDeviceWakeFromS0Triggered: never called here. */
  EvtDeviceWakeFromS0Triggered: EVT_WDF_DEVICE_POWER_POLICY | null = null;
  /** EvtDeviceArmWakeFromSx: never called here. */
  EvtDeviceArmWakeFromSx: EVT_WDF_DEVICE_POWER_POLICY | null = null;
  /** EvtDeviceDisarmWakeFromSx: never called here. */
  EvtDeviceDisarmWakeFromSx: EVT_WDF_DEVICE_POWER_POLICY | null = null;
  /** EvtDeviceWakeFromSxTriggered: never called here. */
  EvtDeviceWakeFromSxTriggered: EVT_WDF_DEVICE_POWER_POLICY | null = null;
  /** EvtDeviceArmWakeFromSxWithReason: never called here. */
  EvtDeviceArmWakeFromSxWithReason: EVT_WDF_DEVICE_POWER_POLICY | null = null;
}

/** WDF_POWER_POLICY_EVENT_CALLBACKS_INIT. */
export function WDF_POWER_POLICY_EVENT_CALLBACKS_INIT(Callbacks: WDF_POWER_POLICY_EVENT_CALLBACKS): void {
  Object.assign(Callbacks, new WDF_POWER_POLICY_EVENT_CALLBACKS());
}

// ---- Per-device state ---------------------------------------------------------------------------

interface InitPower {
  owner: boolean;
  callbacks: WDF_POWER_POLICY_EVENT_CALLBACKS | null;
}

/** Where the framework's power policy has a device. */
type PolicyState = "D0" | "to-Dx" | "Dx" | "to-D0";

interface FxPowerPolicy {
  readonly owner: boolean;
  idle: { timeoutMs: number; dx: number; powerUpOnWake: boolean } | null;
  /** WdfDeviceStopIdle references held. */
  stopIdle: number;
  state: PolicyState;
  /** The Dx state the device is in (or going to). */
  dx: number;
  /** The system is in a sleep state (the framework does not power the device up for I/O). */
  sleeping: boolean;
  /** Powered down for a system sleep (so the wake brings it back), not for idle. */
  downForSleep: boolean;
  /** A power-up asked for while a power-down was in flight. */
  wantUp: boolean;
  timer: TimerEntry | null;
  /** Signalled, and replaced, each time the device reaches D0 or settles in Dx. */
  settled: KEVENT;
}

const initPower = new WeakMap<WDFDEVICE_INIT, InitPower>();
const policies = new WeakMap<FxDevice, FxPowerPolicy>();

function initRecord(init: WDFDEVICE_INIT): InitPower {
  let r = initPower.get(init);
  if (!r) {
    r = { owner: true, callbacks: null };
    initPower.set(init, r);
  }
  return r;
}

function policyOf(dev: FxDevice): FxPowerPolicy {
  let p = policies.get(dev);
  if (!p) {
    p = { owner: initPower.get(dev.init)?.owner ?? true, idle: null, stopIdle: 0, state: "D0", dx: PowerDeviceD3, sleeping: false, downForSleep: false, wantUp: false, timer: null, settled: new KEVENT(NotificationEvent, false, `${dev.label} power settled`) };
    policies.set(dev, p);
  }
  return p;
}

function trace(dev: FxDevice, state: string): void {
  const m = dev.machine;
  if (m.trace.on) m.trace.emit("WdfDeviceState", { device: dev.label, state, driver: dev.globals.name });
}

function settle(dev: FxDevice, p: FxPowerPolicy, state: PolicyState): void {
  p.state = state;
  const old = p.settled;
  p.settled = new KEVENT(NotificationEvent, false, `${dev.label} power settled`);
  dev.machine.signal(old);
}

function wdfState(dx: number): WDF_POWER_DEVICE_STATE {
  if (dx === PowerDeviceD1) return WDF_POWER_DEVICE_STATE.WdfPowerDeviceD1;
  if (dx === PowerDeviceD2) return WDF_POWER_DEVICE_STATE.WdfPowerDeviceD2;
  return WDF_POWER_DEVICE_STATE.WdfPowerDeviceD3;
}

/** Whether I/O keeps the device in D0: a request in a power-managed queue, or a StopIdle reference. */
function busy(dev: FxDevice, p: FxPowerPolicy): boolean {
  if (p.stopIdle > 0) return true;
  for (const q of dev.queues) if (q.powerManaged && (q.waiting.length > 0 || q.driverOwned.size > 0)) return true;
  return false;
}

// ---- Init-time routines -------------------------------------------------------------------------

function initUsable(t: KThread, DeviceInit: WDFDEVICE_INIT | null, api: string): DeviceInit is WDFDEVICE_INIT {
  if (!(DeviceInit instanceof WDFDEVICE_INIT)) {
    fxRequired(t, null, null, api, "DeviceInit");
    return false;
  }
  if (DeviceInit.consumed || DeviceInit.freed) {
    if (verifierOn(t.machine, DeviceInit.globals)) fxViolation(t.machine, DeviceInit.globals, "InvalidHandle", `${api}: the WDFDEVICE_INIT was already ${DeviceInit.freed ? "freed" : "used by WdfDeviceCreate"}.`);
    return false;
  }
  return true;
}

/** WdfDeviceInitSetPowerPolicyOwnership: whether the framework is its stack's power policy owner (TRUE by default for a function driver's device). */
export function WdfDeviceInitSetPowerPolicyOwnership(DeviceInit: WDFDEVICE_INIT, IsPowerPolicyOwner: boolean): void {
  const t = fxEnter("WdfDeviceInitSetPowerPolicyOwnership");
  if (!initUsable(t, DeviceInit, "WdfDeviceInitSetPowerPolicyOwnership")) return;
  initRecord(DeviceInit).owner = IsPowerPolicyOwner;
}

/** WdfDeviceInitSetPowerPolicyEventCallbacks: the wake arming callbacks — stored, never called (wake is not modelled). */
export function WdfDeviceInitSetPowerPolicyEventCallbacks(DeviceInit: WDFDEVICE_INIT, PowerPolicyEventCallbacks: WDF_POWER_POLICY_EVENT_CALLBACKS): void {
  const t = fxEnter("WdfDeviceInitSetPowerPolicyEventCallbacks");
  if (!initUsable(t, DeviceInit, "WdfDeviceInitSetPowerPolicyEventCallbacks")) return;
  if (!fxRequired(t, DeviceInit.globals, PowerPolicyEventCallbacks, "WdfDeviceInitSetPowerPolicyEventCallbacks", "PowerPolicyEventCallbacks")) return;
  initRecord(DeviceInit).callbacks = PowerPolicyEventCallbacks;
}

// ---- S0 idle ------------------------------------------------------------------------------------

/**
 * WdfDeviceAssignS0IdleSettings: turns S0 idle on (or off, Enabled = WdfFalse) for a device whose
 * power policy the framework owns: after IdleTimeout ms with no request in its power-managed
 * queues and no WdfDeviceStopIdle reference, it goes to DxState; it may be called again to change
 * the settings.
 *
 * @returns STATUS_SUCCESS; STATUS_INFO_LENGTH_MISMATCH for a wrong Size; STATUS_INVALID_PARAMETER
 * for a DxState of D0 or out of range; STATUS_POWER_STATE_INVALID for wake-capable IdleCaps (the
 * device cannot wake itself here); STATUS_INVALID_DEVICE_REQUEST for a control device or one
 * whose power policy the framework does not own.
 */
export function WdfDeviceAssignS0IdleSettings(Device: WDFDEVICE, Settings: WDF_DEVICE_POWER_POLICY_IDLE_SETTINGS): NTSTATUS {
  const t = fxEnter("WdfDeviceAssignS0IdleSettings");
  const dev = fxDevice(t, Device, "WdfDeviceAssignS0IdleSettings");
  if (!dev) return STATUS_INVALID_HANDLE;
  if (!fxIrqlOk(t, dev.globals, "WdfDeviceAssignS0IdleSettings", PASSIVE_LEVEL)) return STATUS_INVALID_DEVICE_REQUEST;
  if (!fxRequired(t, dev.globals, Settings, "WdfDeviceAssignS0IdleSettings", "Settings")) return STATUS_INVALID_PARAMETER;
  if (!(Settings instanceof WDF_DEVICE_POWER_POLICY_IDLE_SETTINGS) || Settings.Size !== IDLE_SETTINGS_SIZE) return STATUS_INFO_LENGTH_MISMATCH;
  if (dev.pnp === null) return STATUS_INVALID_DEVICE_REQUEST;
  const p = policyOf(dev);
  if (!p.owner) return STATUS_INVALID_DEVICE_REQUEST;
  if (Settings.IdleCaps !== IdleCannotWakeFromS0 && Settings.IdleCaps !== IdleCanWakeFromS0 && Settings.IdleCaps !== IdleUsbSelectiveSuspend) return STATUS_INVALID_PARAMETER;
  const dx = Settings.DxState === PowerDeviceMaximum ? PowerDeviceD3 : Settings.DxState;
  if (dx !== PowerDeviceD1 && dx !== PowerDeviceD2 && dx !== PowerDeviceD3) return STATUS_INVALID_PARAMETER;
  if (Settings.IdleCaps !== IdleCannotWakeFromS0) return STATUS_POWER_STATE_INVALID;
  const e: number = Settings.Enabled;
  if (e !== WdfTrue && e !== WdfFalse && e !== WdfUseDefault) return STATUS_INVALID_PARAMETER;
  const timeout = Settings.IdleTimeout >>> 0;
  p.idle = e === WdfFalse ? null : { timeoutMs: timeout === IdleTimeoutDefaultValue ? IDLE_TIMEOUT_DEFAULT_MS : timeout, dx, powerUpOnWake: Settings.PowerUpIdleDeviceOnSystemWake === WdfTrue };
  if (p.timer) cancelTimer(p);
  if (p.idle === null && p.state === "Dx" && !p.sleeping) powerUp(t, dev, p);
  else evaluate(dev, p);
  return STATUS_SUCCESS;
}

/**
 * WdfDeviceStopIdle: takes a power reference that keeps the device in D0 (powering it up if it
 * idled). WaitForD0 TRUE waits (PASSIVE_LEVEL) until the device is in D0.
 *
 * @returns STATUS_SUCCESS when the device is in D0 (at once, or after the wait); STATUS_PENDING
 * when WaitForD0 is FALSE and the device is not in D0 yet (the reference is taken and the power-up
 * started); STATUS_INVALID_DEVICE_STATE when the framework is not the power policy owner or the
 * device is not a started PnP device (no reference is taken).
 */
export function WdfDeviceStopIdle(Device: WDFDEVICE, WaitForD0: boolean): MaybePromise<NTSTATUS> {
  const t = fxEnter("WdfDeviceStopIdle");
  const dev = fxDevice(t, Device, "WdfDeviceStopIdle");
  if (!dev) return STATUS_INVALID_HANDLE;
  if (WaitForD0 && !fxIrqlOk(t, dev.globals, "WdfDeviceStopIdle", PASSIVE_LEVEL)) return STATUS_INVALID_DEVICE_STATE;
  if (dev.pnp === null) return STATUS_INVALID_DEVICE_STATE;
  const p = policyOf(dev);
  if (!p.owner) return STATUS_INVALID_DEVICE_STATE;
  p.stopIdle++;
  if (p.timer) cancelTimer(p);
  if (p.state === "D0" && dev.inD0) return STATUS_SUCCESS;
  if (dev.pnp.state !== "started") return STATUS_SUCCESS;
  if (!p.sleeping) powerUp(t, dev, p);
  if (!WaitForD0) return STATUS_PENDING;
  return waitForD0(t, dev, p);
}

async function waitForD0(t: KThread, dev: FxDevice, p: FxPowerPolicy): Promise<NTSTATUS> {
  while (!(p.state === "D0" && dev.inD0)) {
    if (dev.pnp?.state !== "started") return STATUS_INVALID_DEVICE_STATE;
    await t.machine.waits.waitFor([p.settled], { waitAll: false, mode: KernelMode, alertable: false, timeout: null, reason: `WdfDeviceStopIdle waits for ${dev.label} to reach D0` });
  }
  return STATUS_SUCCESS;
}

/**
 * WdfDeviceResumeIdle: releases a WdfDeviceStopIdle reference; with none left and no I/O in the
 * power-managed queues, the idle timer starts again. Nothing happens when the framework is not the
 * power policy owner; one more ResumeIdle than StopIdle is a verifier break (WDF_VIOLATION here).
 */
export function WdfDeviceResumeIdle(Device: WDFDEVICE): void {
  const t = fxEnter("WdfDeviceResumeIdle");
  const dev = fxDevice(t, Device, "WdfDeviceResumeIdle");
  if (!dev || dev.pnp === null) return;
  const p = policyOf(dev);
  if (!p.owner) return;
  if (p.stopIdle === 0) {
    if (verifierOn(t.machine, dev.globals)) fxViolation(t.machine, dev.globals, "ResumeIdleUnbalanced", `WdfDeviceResumeIdle was called for ${dev.label} with no WdfDeviceStopIdle reference outstanding.`);
    return;
  }
  p.stopIdle--;
  evaluate(dev, p);
}

function cancelTimer(p: FxPowerPolicy): void {
  if (p.timer) p.timer.cancelled = true;
  p.timer = null;
}

/** Starts or stops the idle timer as the device's I/O and state now say. */
function evaluate(dev: FxDevice, p: FxPowerPolicy): void {
  const idle = p.idle;
  if (idle === null || p.sleeping || dev.pnp?.state !== "started" || p.state !== "D0" || !dev.inD0 || busy(dev, p)) {
    if (p.timer && (idle === null || busy(dev, p) || p.state !== "D0")) cancelTimer(p);
    return;
  }
  if (p.timer) return;
  const m = dev.machine;
  p.timer = m.scheduleDeviceEvent(m.now + idle.timeoutMs * 10_000, `${dev.label} idle timeout`, () => {
    p.timer = null;
    m.createSystemThread(`KMDF idle power-down of ${dev.label}`, () => {
      idleExpired(m.currentThread(), dev, p);
    });
  });
}

/** The idle timer expired: still idle, so the framework asks for its Dx D-IRP. */
function idleExpired(t: KThread, dev: FxDevice, p: FxPowerPolicy): void {
  const idle = p.idle;
  if (idle === null || p.sleeping || dev.pnp?.state !== "started" || p.state !== "D0" || !dev.inD0 || busy(dev, p)) return;
  trace(dev, `idle for ${idle.timeoutMs} ms: powering down to D${idle.dx - 1}`);
  p.state = "to-Dx";
  p.dx = idle.dx;
  p.downForSleep = false;
  const irp = requestPowerIrp(t, dev.pnp.pdo, IRP_MN_SET_POWER, idle.dx, function FxIdlePowerDownDone() {
    settle(dev, p, "Dx");
    if (p.wantUp || (busy(dev, p) && !p.sleeping)) {
      p.wantUp = false;
      powerUp(t.machine.currentThread(), dev, p);
    }
  }, null);
  if (!irp) settle(dev, p, "D0");
}

/** Asks for the D0 D-IRP (S0 idle's power-up), unless one is on its way. */
function powerUp(t: KThread, dev: FxDevice, p: FxPowerPolicy): void {
  if (p.state === "D0" || p.state === "to-D0") return;
  if (p.state === "to-Dx") {
    p.wantUp = true;
    return;
  }
  const pnp = dev.pnp;
  if (!pnp || pnp.state !== "started") return;
  trace(dev, "powering up to D0 for I/O");
  p.state = "to-D0";
  const irp = requestPowerIrp(t, pnp.pdo, IRP_MN_SET_POWER, PowerDeviceD0, function FxIdlePowerUpDone() {
    settle(dev, p, "D0");
    evaluate(dev, p);
  }, null);
  if (!irp) settle(dev, p, "Dx");
}

// ---- Hooks for the queues and the PnP code ------------------------------------------------------

/** A request reached one of the device's power-managed queues: no idling now; an idle device powers up. @internal */
export function powerIoArrived(t: KThread, dev: FxDevice): void {
  const p = policies.get(dev);
  if (!p) return;
  if (p.timer) cancelTimer(p);
  if (p.idle !== null && !p.sleeping && p.state !== "D0") powerUp(t, dev, p);
}

/** A request of one of the device's power-managed queues was completed or left it: the idle timer may start. @internal */
export function powerIoReleased(dev: FxDevice): void {
  const p = policies.get(dev);
  if (p?.idle) evaluate(dev, p);
}

/** The device started (D0, queues running): the idle timer may start. @internal */
export function powerStarted(dev: FxDevice): void {
  const p = policies.get(dev);
  if (p) {
    p.state = "D0";
    evaluate(dev, p);
  }
}

// ---- IRP_MJ_POWER ------------------------------------------------------------------------------

function callbacks(dev: FxDevice): WDF_PNPPOWER_EVENT_CALLBACKS | null {
  return dev.init.pnpPower;
}

async function step<A extends unknown[]>(t: KThread, dev: FxDevice, role: string, fn: ((Device: WDFDEVICE, ...a: A) => MaybePromise<NTSTATUS | void>) | null, ...args: A): Promise<NTSTATUS> {
  trace(dev, role.replace(/^EvtDevice/, ""));
  if (!fn) return STATUS_SUCCESS;
  const r = invokeCallback(t, dev.globals, null, role, fn, { object: dev.label, request: null, irp: null }, () => fn(dev, ...args));
  const v = r instanceof Promise ? await r : r;
  return typeof v === "number" ? v >>> 0 : STATUS_SUCCESS;
}

function passDown(t: KThread, dev: FxDevice, irp: IRP): MaybePromise<NTSTATUS> {
  const lower = dev.lowerDevice;
  if (!lower) {
    completeIrp(t, irp, 0);
    return irp.Status;
  }
  IoSkipCurrentIrpStackLocation(irp);
  return IoCallDriver(lower, irp);
}


/** Requests a D-IRP for `state` for the device's own stack and waits until it is done. */
async function requestAndWait(t: KThread, dev: FxDevice, state: number): Promise<NTSTATUS> {
  const pnp = dev.pnp;
  if (!pnp) return STATUS_INVALID_DEVICE_STATE;
  const m = t.machine;
  const done = new KEVENT(NotificationEvent, false, `${dev.label} D-IRP`);
  let status: NTSTATUS = STATUS_PENDING;
  const irp = requestPowerIrp(t, pnp.pdo, IRP_MN_SET_POWER, state, function FxSystemDeviceIrpDone(_d, _mn, _ps, _c, IoStatus) {
    status = IoStatus.Status;
    m.signal(done);
  }, null);
  if (!irp) return STATUS_INVALID_DEVICE_STATE;
  if (done.SignalState === 0) await m.waits.waitFor([done], { waitAll: false, mode: KernelMode, alertable: false, timeout: null, reason: `${dev.label} waits for its D${state - 1} D-IRP` });
  return status;
}

/** Waits while an idle transition of the device's is in flight. */
async function waitSettled(t: KThread, dev: FxDevice, p: FxPowerPolicy): Promise<void> {
  while (p.state === "to-Dx" || p.state === "to-D0") {
    await t.machine.waits.waitFor([p.settled], { waitAll: false, mode: KernelMode, alertable: false, timeout: null, reason: `${dev.label} waits for its power transition to end` });
  }
}

/**
 * IRP_MJ_POWER for a framework PnP device. S-IRPs (as power policy owner): a query succeeds and
 * goes down; SET_POWER to a sleep state first brings the device to D3 with a D-IRP, then goes
 * down; SET_POWER to S0 goes down, then brings the device back to D0 (an idle device stays in Dx
 * unless PowerUpIdleDeviceOnSystemWake or pending I/O says otherwise). D-IRPs run the power
 * callbacks. Anything else goes down untouched.
 * @internal
 */
export async function fxDispatchPower(t: KThread, dev: FxDevice, irp: IRP): Promise<NTSTATUS> {
  const sl = irp.Stack[irp.CurrentLocation - 1];
  if (!sl || dev.pnp === null) {
    const r = passDown(t, dev, irp);
    return r instanceof Promise ? await r : r;
  }
  const minor = sl.MinorFunction;
  const system = sl.Parameters.Power.Type === SystemPowerState;
  const state = sl.Parameters.Power.State.SystemState;
  const p = policyOf(dev);
  if (minor === IRP_MN_QUERY_POWER) {
    irp.Status = STATUS_SUCCESS;
    const r = passDown(t, dev, irp);
    return r instanceof Promise ? await r : r;
  }
  if (minor !== IRP_MN_SET_POWER) {
    const r = passDown(t, dev, irp);
    return r instanceof Promise ? await r : r;
  }
  if (!system) return deviceSetPower(t, dev, p, irp, state);
  if (!p.owner || dev.pnp.state !== "started") {
    irp.Status = STATUS_SUCCESS;
    const r = passDown(t, dev, irp);
    return r instanceof Promise ? await r : r;
  }
  if (state !== PowerSystemWorking) {
    p.sleeping = true;
    cancelTimer(p);
    await waitSettled(t, dev, p);
    if (p.state === "D0") {
      trace(dev, `system sleep (S${state - 1}): powering down to D3`);
      p.state = "to-Dx";
      p.dx = PowerDeviceD3;
      p.downForSleep = true;
      await requestAndWait(t, dev, PowerDeviceD3);
      settle(dev, p, "Dx");
    }
    irp.Status = STATUS_SUCCESS;
    const r = passDown(t, dev, irp);
    return r instanceof Promise ? await r : r;
  }
  const st = await forwardAndWaitPower(t, dev, irp);
  p.sleeping = false;
  await waitSettled(t, dev, p);
  if (p.state === "Dx" && (p.downForSleep || p.idle === null || p.idle.powerUpOnWake || busy(dev, p))) {
    trace(dev, "system wake (S0): powering up to D0");
    p.state = "to-D0";
    await requestAndWait(t, dev, PowerDeviceD0);
    p.downForSleep = false;
    settle(dev, p, "D0");
  }
  evaluate(dev, p);
  irp.Status = st;
  completeIrp(t, irp, 0);
  return st;
}

/** A D-IRP: D0 goes down first and powers the device up on the way back; Dx powers it down first. */
async function deviceSetPower(t: KThread, dev: FxDevice, p: FxPowerPolicy, irp: IRP, state: number): Promise<NTSTATUS> {
  const d = dev.deviceObject;
  if (state === PowerDeviceD0) {
    const st = await forwardAndWaitPower(t, dev, irp);
    if (NT_SUCCESS(st) && !dev.inD0 && dev.pnp?.state === "started") await powerUpSequence(t, dev, wdfState(p.dx));
    irp.Status = st;
    completeIrp(t, irp, 0);
    return st;
  }
  if (dev.inD0 && dev.pnp?.state === "started") {
    p.dx = state;
    await powerDownSequence(t, dev, wdfState(state));
  }
  if (d) setPowerState(t.machine, d, DevicePowerState, state);
  irp.Status = STATUS_SUCCESS;
  const r = passDown(t, dev, irp);
  return r instanceof Promise ? await r : r;
}

/** Leaving D0 for a Dx the device will come back from: SelfManagedIoSuspend, queues stopped (EvtIoStop), D0ExitPreInterruptsDisabled, D0Exit. */
async function powerDownSequence(t: KThread, dev: FxDevice, target: WDF_POWER_DEVICE_STATE): Promise<void> {
  const cb = callbacks(dev);
  await step(t, dev, "EvtDeviceSelfManagedIoSuspend", cb?.EvtDeviceSelfManagedIoSuspend ?? null);
  for (const q of [...dev.queues]) if (q.powerManaged) q.powerDown(t, false);
  await waitForDriverRequests(t, dev, (q) => q.powerManaged, "stop");
  await step<[WDF_POWER_DEVICE_STATE]>(t, dev, "EvtDeviceD0ExitPreInterruptsDisabled", (cb?.EvtDeviceD0ExitPreInterruptsDisabled ?? null), target);
  await step<[WDF_POWER_DEVICE_STATE]>(t, dev, "EvtDeviceD0Exit", (cb?.EvtDeviceD0Exit ?? null), target);
  dev.inD0 = false;
  trace(dev, `in D${target - 1}`);
}

/** Back to D0: D0Entry(previous), D0EntryPostInterruptsEnabled, queues restarted (EvtIoResume), SelfManagedIoRestart. */
async function powerUpSequence(t: KThread, dev: FxDevice, previous: WDF_POWER_DEVICE_STATE): Promise<void> {
  const cb = callbacks(dev);
  const d = dev.deviceObject;
  if (d) setPowerState(t.machine, d, DevicePowerState, PowerDeviceD0);
  const st = await step<[WDF_POWER_DEVICE_STATE]>(t, dev, "EvtDeviceD0Entry", (cb?.EvtDeviceD0Entry ?? null), previous);
  if (!NT_SUCCESS(st)) trace(dev, `EvtDeviceD0Entry failed on power-up (the framework would fail the device; irpsim carries on)`);
  await step<[WDF_POWER_DEVICE_STATE]>(t, dev, "EvtDeviceD0EntryPostInterruptsEnabled", (cb?.EvtDeviceD0EntryPostInterruptsEnabled ?? null), previous);
  dev.inD0 = true;
  for (const q of [...dev.queues]) {
    const r = q.powerUp(t);
    if (r instanceof Promise) await r;
  }
  await step(t, dev, "EvtDeviceSelfManagedIoRestart", cb?.EvtDeviceSelfManagedIoRestart ?? null);
  trace(dev, "in D0");
}

/** The framework's forward of a power IRP; without a lower device the IRP's own status stands. */
function forwardAndWaitPower(t: KThread, dev: FxDevice, irp: IRP): Promise<NTSTATUS> {
  return dev.lowerDevice ? forwardAndWait(t, dev, irp, "power") : Promise.resolve(irp.Status);
}
