/**
 * The power manager's system transitions, driven from a scenario: sleep (S1–S3), hibernate (S4),
 * shut down (S5), and wake back to S0. For each started device node it sends S-IRPs to the top of
 * the stack, as Windows does: IRP_MN_QUERY_POWER to every device first (a failure from any driver
 * vetoes the transition, and the devices already asked get IRP_MN_SET_POWER for S0 instead), then
 * IRP_MN_SET_POWER; children before parents going down, parents first coming back. The power
 * policy owner of each stack (its function driver) turns the S-IRP into a D-IRP with
 * PoRequestPowerIrp.
 *
 * Root-enumerated devices have no parent here but the root, so "children first" is "the device
 * reported last first". Threads keep running while the system sleeps (irpsim does not freeze
 * them): an app's request reaching a device in D3 is handled as its driver handles it.
 */
import { KEVENT, NotificationEvent } from "../kernel/dispatcher.js";
import { KernelMode } from "../kernel/irql.js";
import type { Machine } from "../kernel/machine.js";
import { NT_SUCCESS, STATUS_INSUFFICIENT_RESOURCES, STATUS_INVALID_DEVICE_STATE, STATUS_INVALID_PARAMETER, STATUS_MORE_PROCESSING_REQUIRED, STATUS_NOT_SUPPORTED, STATUS_PENDING, STATUS_SUCCESS, type NTSTATUS } from "../kernel/status.js";
import type { KThread } from "../kernel/thread.js";
import { callDriver } from "./call-driver.js";
import { IRP_MJ_POWER, SL_INVOKE_ON_CANCEL, SL_INVOKE_ON_ERROR, SL_INVOKE_ON_SUCCESS } from "./constants.js";
import { allocateIrp, freeIrp } from "./irp-alloc.js";
import type { IRP } from "./irp.js";
import { onPnpThread, pnpManager, type DeviceNode } from "./pnp.js";
import { powerHistoryText, recordedDevicePowerState, systemPowerStateName, type SystemPowerRecord } from "./power.js";
import {
  IRP_MN_QUERY_POWER,
  IRP_MN_SET_POWER,
  POWER_STATE,
  PowerActionHibernate,
  PowerActionNone,
  PowerActionShutdown,
  PowerActionSleep,
  PowerSystemHibernate,
  PowerSystemShutdown,
  PowerSystemSleeping1,
  PowerSystemSleeping3,
  PowerSystemWorking,
  SystemPowerState,
  powerMinorName,
  type SYSTEM_POWER_STATE,
} from "./power-types.js";

/** What a system power transition came to. */
export interface SystemPowerTransition {
  /** STATUS_SUCCESS once the system is in the state; a driver's failure of IRP_MN_QUERY_POWER when it vetoed; STATUS_INVALID_PARAMETER for a state that is no sleeping, hibernate or shutdown state; STATUS_INVALID_DEVICE_STATE when the system is not in S0 (sleep) or already in S0 (wake: nothing is sent, the status is STATUS_SUCCESS). */
  readonly status: NTSTATUS;
  /** The device whose stack failed the query (its instance ID), null when none did. */
  readonly vetoedBy: string | null;
  /** The system state afterwards. */
  readonly state: SYSTEM_POWER_STATE;
}

function systemRecord(m: Machine): SystemPowerRecord {
  let p = m.power;
  if (!p) {
    p = { state: PowerSystemWorking, action: PowerActionNone, inTransition: false };
    m.power = p;
  }
  return p;
}

/** The system power state the machine is in (PowerSystemWorking until a scenario puts it to sleep). */
export function systemPowerState(m: Machine): SYSTEM_POWER_STATE {
  return systemRecord(m).state as SYSTEM_POWER_STATE;
}

/** The device power state the bus driver recorded for a device node's PDO (PowerDeviceD0 until its first D-IRP). */
export function devicePowerState(n: DeviceNode): number {
  return recordedDevicePowerState(n.pdo);
}

/**
 * Sends one S-IRP to the top of a node's stack and waits for it (a completion routine of the
 * power manager's, in the top driver's location, catches the final status and frees the IRP).
 */
async function sendSystemPowerIrp(t: KThread, n: DeviceNode, minor: number, state: number, action: number): Promise<NTSTATUS> {
  const m = t.machine;
  const top = n.top;
  const irp: IRP | null = allocateIrp(m, top.StackSize, "power manager");
  if (!irp) return STATUS_INSUFFICIENT_RESOURCES;
  const done = new KEVENT(NotificationEvent, false, `${powerMinorName(minor)} ${systemPowerStateName(state)} of ${n.instanceId}`);
  let final: NTSTATUS = STATUS_PENDING;
  irp.RequestorMode = KernelMode;
  irp.Status = STATUS_NOT_SUPPORTED;
  const sl = irp.Stack[irp.StackCount - 1];
  if (sl) {
    sl.MajorFunction = IRP_MJ_POWER;
    sl.MinorFunction = minor;
    sl.Parameters.Power.Type = SystemPowerState;
    sl.Parameters.Power.State = new POWER_STATE(state);
    sl.Parameters.Power.ShutdownType = action;
    sl.Parameters.Power.SystemContext = 0;
    sl.CompletionRoutine = function PopSystemIrpCompletion(_DeviceObject, completed: IRP): NTSTATUS {
      final = completed.IoStatus.Status;
      freeIrp(m, completed);
      m.signal(done);
      return STATUS_MORE_PROCESSING_REQUIRED;
    };
    sl.Control |= SL_INVOKE_ON_SUCCESS | SL_INVOKE_ON_ERROR | SL_INVOKE_ON_CANCEL;
  }
  const what = systemPowerStateName(state);
  if (m.trace.on) m.trace.emit("PowerIrp", { device: n.instanceId, minor: powerMinorName(minor), state: what, phase: "sent", status: null });
  const r = callDriver(t, top, irp);
  if (r instanceof Promise) await r;
  if (done.SignalState === 0) {
    await m.waits.waitFor([done], { waitAll: false, mode: KernelMode, alertable: false, timeout: null, reason: `the power manager waits for ${powerMinorName(minor)} ${what} of ${n.instanceId}` });
  }
  n.history.push(powerHistoryText(minor, SystemPowerState, state, final));
  if (m.trace.on) m.trace.emit("PowerIrp", { device: n.instanceId, minor: powerMinorName(minor), state: what, phase: "completed", status: final });
  return final;
}

function startedNodes(m: Machine): DeviceNode[] {
  return pnpManager(m).nodes.filter((n) => n.state === "started");
}

function actionFor(state: number): number {
  if (state === PowerSystemHibernate) return PowerActionHibernate;
  if (state === PowerSystemShutdown) return PowerActionShutdown;
  return PowerActionSleep;
}

/**
 * Puts the system to sleep (PowerSystemSleeping1–3), into hibernation (PowerSystemHibernate) or
 * shuts it down (PowerSystemShutdown), running the machine until the transition is done:
 * IRP_MN_QUERY_POWER for the state to every started device stack (the last reported first), and
 * if none fails it, IRP_MN_SET_POWER in the same order. A failed query vetoes the sleep: the
 * devices already queried get IRP_MN_SET_POWER for S0 and the system stays working.
 */
export async function setSystemPowerState(m: Machine, state: SYSTEM_POWER_STATE): Promise<SystemPowerTransition> {
  const rec = systemRecord(m);
  if (!Number.isInteger(state) || state < PowerSystemSleeping1 || state > PowerSystemShutdown) return { status: STATUS_INVALID_PARAMETER, vetoedBy: null, state: rec.state as SYSTEM_POWER_STATE };
  if (rec.state !== PowerSystemWorking || rec.inTransition) return { status: STATUS_INVALID_DEVICE_STATE, vetoedBy: null, state: rec.state as SYSTEM_POWER_STATE };
  return onPnpThread(m, `power manager (${systemPowerStateName(state)})`, (t) => sleepOnThread(t, state));
}

/** The sleep transition's work, on the power manager's thread. @internal */
export async function sleepOnThread(t: KThread, state: number): Promise<SystemPowerTransition> {
  const m = t.machine;
  const rec = systemRecord(m);
  const name = systemPowerStateName(state);
  const token = m.enterActivity("power manager", name, null);
  rec.inTransition = true;
  try {
    const action = actionFor(state);
    rec.action = action;
    if (m.trace.on) m.trace.emit("SystemPowerState", { state: name, phase: "requested" });
    // Children before parents: the device reported last goes first.
    const order = startedNodes(m).reverse();
    const asked: DeviceNode[] = [];
    for (const n of order) {
      asked.push(n);
      const q = await sendSystemPowerIrp(t, n, IRP_MN_QUERY_POWER, state, action);
      if (!NT_SUCCESS(q)) {
        if (m.trace.on) m.trace.emit("SystemPowerState", { state: name, phase: `vetoed by ${n.instanceId}` });
        // The query is cancelled by a set-power for the working state to those already asked.
        for (const a of asked) await sendSystemPowerIrp(t, a, IRP_MN_SET_POWER, PowerSystemWorking, action);
        return { status: q, vetoedBy: n.instanceId, state: PowerSystemWorking };
      }
    }
    for (const n of order) await sendSystemPowerIrp(t, n, IRP_MN_SET_POWER, state, action);
    rec.state = state;
    if (m.trace.on) m.trace.emit("SystemPowerState", { state: name, phase: "entered" });
    return { status: STATUS_SUCCESS, vetoedBy: null, state: state as SYSTEM_POWER_STATE };
  } finally {
    rec.inTransition = false;
    m.leaveActivity(token);
  }
}

/**
 * Wakes the system back to S0 (PowerSystemWorking), running the machine until it is done:
 * IRP_MN_SET_POWER for S0 to every started device stack, the first reported first (parents
 * before children). Nothing is sent when the system is already working.
 */
export async function wake(m: Machine): Promise<SystemPowerTransition> {
  const rec = systemRecord(m);
  if (rec.inTransition) return { status: STATUS_INVALID_DEVICE_STATE, vetoedBy: null, state: rec.state as SYSTEM_POWER_STATE };
  if (rec.state === PowerSystemWorking) return { status: STATUS_SUCCESS, vetoedBy: null, state: PowerSystemWorking };
  return onPnpThread(m, `power manager (wake from ${systemPowerStateName(rec.state)})`, (t) => wakeOnThread(t));
}

/** The wake transition's work, on the power manager's thread. @internal */
export async function wakeOnThread(t: KThread): Promise<SystemPowerTransition> {
  const m = t.machine;
  const rec = systemRecord(m);
  const from = systemPowerStateName(rec.state);
  const token = m.enterActivity("power manager", "S0", null);
  rec.inTransition = true;
  try {
    if (m.trace.on) m.trace.emit("SystemPowerState", { state: "S0", phase: `requested (wake from ${from})` });
    for (const n of startedNodes(m)) await sendSystemPowerIrp(t, n, IRP_MN_SET_POWER, PowerSystemWorking, rec.action);
    rec.state = PowerSystemWorking;
    if (m.trace.on) m.trace.emit("SystemPowerState", { state: "S0", phase: "entered" });
    return { status: STATUS_SUCCESS, vetoedBy: null, state: PowerSystemWorking };
  } finally {
    rec.inTransition = false;
    m.leaveActivity(token);
  }
}

/** Whether an injected sleep may start now: the system is working and no transition is under way. @internal */
export function canInjectSleep(m: Machine): boolean {
  const rec = systemRecord(m);
  return rec.state === PowerSystemWorking && !rec.inTransition;
}

/**
 * Injects a sleep-and-wake cycle (the explorer's "sleep"): the power manager, on a system thread
 * of its own, puts the system into S3 (query, then set) and wakes it straight back to S0, while
 * the code that was interrupted carries on — the race between a request in flight and a sleep.
 * @internal
 */
export function injectSleep(m: Machine): void {
  const rec = systemRecord(m);
  rec.inTransition = true;
  m.injected.push("the system sleeps (S3) and wakes");
  if (m.trace.on) m.trace.emit("Injection", { action: "sleep", detail: "the system goes to S3 and wakes back to S0", at: m.describeContext() });
  m.createSystemThread("power manager (injected sleep and wake)", async () => {
    const t = m.currentThread();
    rec.inTransition = false;
    const r = await sleepOnThread(t, PowerSystemSleeping3);
    if (r.status === STATUS_SUCCESS) await wakeOnThread(t);
  });
}
