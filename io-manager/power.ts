/**
 * WDM power management as drivers see it (wdm.h's Po* routines): IRP_MJ_POWER and its minor codes,
 * PoCallDriver, PoStartNextPowerIrp, PoSetPowerState and PoRequestPowerIrp, and the root bus
 * driver's power dispatch for its PDOs (the bottom of every root-enumerated stack).
 *
 * Modern Windows (8 and later) is modelled: PoCallDriver is IoCallDriver, PoStartNextPowerIrp does
 * nothing, power IRPs are dispatched at PASSIVE_LEVEL. The power manager's own part (system sleep
 * and wake, the S-IRPs) is power-manager.ts.
 */
import { checkPointer, checkRoutine } from "../kernel/bad-pointer.js";
import { currentMachine } from "../kernel/context.js";
import type { InOut } from "../kernel/apc.js";
import { KernelMode } from "../kernel/irql.js";
import type { Machine } from "../kernel/machine.js";
import type { MaybePromise } from "../kernel/objects.js";
import { STATUS_INSUFFICIENT_RESOURCES, STATUS_INVALID_PARAMETER, STATUS_INVALID_PARAMETER_2, STATUS_INVALID_PARAMETER_3, STATUS_MORE_PROCESSING_REQUIRED, STATUS_NOT_SUPPORTED, STATUS_PENDING, STATUS_SUCCESS, ntStatusName, type NTSTATUS } from "../kernel/status.js";
import type { KThread } from "../kernel/thread.js";
import { callDriver, IoGetAttachedDevice } from "./call-driver.js";
import { completeRequest } from "./completion.js";
import { IRP_MJ_POWER, SL_INVOKE_ON_CANCEL, SL_INVOKE_ON_ERROR, SL_INVOKE_ON_SUCCESS } from "./constants.js";
import { DEVICE_OBJECT } from "./device-object.js";
import type { DRIVER_DISPATCH } from "./driver-object.js";
import { allocateIrp, freeIrp } from "./irp-alloc.js";
import { IO_STATUS_BLOCK, IRP } from "./irp.js";
import {
  DevicePowerState,
  IRP_MN_POWER_SEQUENCE,
  IRP_MN_QUERY_POWER,
  IRP_MN_SET_POWER,
  IRP_MN_WAIT_WAKE,
  POWER_SEQUENCE,
  POWER_STATE,
  PowerDeviceD0,
  PowerDeviceD1,
  PowerDeviceD2,
  PowerDeviceD3,
  PowerDeviceUnspecified,
  PowerSystemUnspecified,
  PowerSystemWorking,
  SystemPowerState,
  powerMinorName,
} from "./power-types.js";

export * from "./power-types.js";

/**
 * REQUEST_POWER_COMPLETE: PoRequestPowerIrp's PowerCompletion callback, called once the requested
 * IRP has been completed by every driver in the stack, at IRQL <= DISPATCH_LEVEL (it must not
 * wait). `IoStatus` is the IRP's final status block.
 */
export type REQUEST_POWER_COMPLETE = (DeviceObject: DEVICE_OBJECT, MinorFunction: number, PowerState: POWER_STATE, Context: unknown, IoStatus: IO_STATUS_BLOCK) => void;

/** The system's power state as the power manager keeps it (power-manager.ts changes it). */
export interface SystemPowerRecord {
  /** The SYSTEM_POWER_STATE the system is in. */
  state: number;
  /** The POWER_ACTION of the last transition (what S-IRPs and the D-IRPs they cause carry as ShutdownType). */
  action: number;
  /** A sleep or wake is under way (another may not start). */
  inTransition: boolean;
}

declare module "../kernel/machine.js" {
  interface Machine {
    /** The power manager's record, created the first time the system changes state. */
    power?: SystemPowerRecord;
  }
}

// ---- Per-device power state -------------------------------------------------------------------

/** What the power manager records for a device object (NT keeps it in DeviceObjectExtension). */
interface DevicePowerRecord {
  device: number;
  system: number;
  /** Times the device entered D1/D2/D3 (what IRP_MN_POWER_SEQUENCE reports). */
  readonly sequence: POWER_SEQUENCE;
}

const records = new WeakMap<DEVICE_OBJECT, DevicePowerRecord>();

function recordOf(d: DEVICE_OBJECT): DevicePowerRecord {
  let r = records.get(d);
  if (!r) {
    // A device object starts out in D0 and S0, as the PnP manager assumes of a device it starts.
    r = { device: PowerDeviceD0, system: PowerSystemWorking, sequence: new POWER_SEQUENCE() };
    records.set(d, r);
  }
  return r;
}

/** The device power state last recorded for `d` with PoSetPowerState (PowerDeviceD0 when never). @internal */
export function recordedDevicePowerState(d: DEVICE_OBJECT): number {
  return records.get(d)?.device ?? PowerDeviceD0;
}

/** Short names for traces ("D3", "S3"). @internal */
export function devicePowerStateName(s: number): string {
  return s >= PowerDeviceD0 && s <= PowerDeviceD3 ? `D${s - 1}` : s === PowerDeviceUnspecified ? "Unspecified" : `D?(${s})`;
}
/** @internal */
export function systemPowerStateName(s: number): string {
  return s >= PowerSystemWorking && s <= 6 ? `S${s - 1}` : s === PowerSystemUnspecified ? "Unspecified" : `S?(${s})`;
}

/** PoSetPowerState's work, for the bus driver and the framework too. @internal */
export function setPowerState(m: Machine, d: DEVICE_OBJECT, type: number, state: number): POWER_STATE {
  const r = recordOf(d);
  if (type === SystemPowerState) {
    const old = r.system;
    r.system = state;
    return new POWER_STATE(old);
  }
  const old = r.device;
  r.device = state;
  if (state !== old) {
    if (state >= PowerDeviceD1) r.sequence.SequenceD1++;
    if (state >= PowerDeviceD2) r.sequence.SequenceD2++;
    if (state >= PowerDeviceD3) r.sequence.SequenceD3++;
  }
  if (m.trace.on) m.trace.emit("DevicePowerState", { device: d.label, driver: d.DriverObject.shortName, state: devicePowerStateName(state), previous: devicePowerStateName(old) });
  return new POWER_STATE(old);
}

// ---- The routines -------------------------------------------------------------------------------

/**
 * PoSetPowerState: records the device's new power state (drivers call it as the device enters a
 * state: after powering up, before powering down) and returns the previous one. Type is
 * DevicePowerState or SystemPowerState.
 *
 * @returns The previous state; for a Type that is neither, `State` unchanged and nothing recorded.
 */
export function PoSetPowerState(DeviceObject: DEVICE_OBJECT, Type: number, State: POWER_STATE): POWER_STATE {
  const t = currentMachine("PoSetPowerState").kernelCall("PoSetPowerState");
  checkPointer("PoSetPowerState", "DeviceObject", DeviceObject, DEVICE_OBJECT, "a DEVICE_OBJECT");
  checkPointer("PoSetPowerState", "State", State, POWER_STATE, "a POWER_STATE");
  if (Type !== SystemPowerState && Type !== DevicePowerState) return new POWER_STATE(State.SystemState);
  return setPowerState(t.machine, DeviceObject, Type, State.SystemState);
}

/**
 * PoStartNextPowerIrp: before Windows Vista a driver had to call it for every power IRP so the
 * power manager could send the next one; since Vista it does nothing, and it is accepted here.
 */
export function PoStartNextPowerIrp(Irp: IRP): void {
  currentMachine("PoStartNextPowerIrp").kernelCall("PoStartNextPowerIrp");
  checkPointer("PoStartNextPowerIrp", "Irp", Irp, IRP, "an IRP");
}

/**
 * PoCallDriver: passes a power IRP to the next-lower driver. On Windows 8 and later it is
 * IoCallDriver (the power manager no longer serialises power IRPs), and an IRP that is not
 * IRP_MJ_POWER is dispatched just the same, as Windows does.
 */
export function PoCallDriver(DeviceObject: DEVICE_OBJECT, Irp: IRP): MaybePromise<NTSTATUS> {
  const t = currentMachine("PoCallDriver").kernelCall("PoCallDriver");
  checkPointer("PoCallDriver", "DeviceObject", DeviceObject, DEVICE_OBJECT, "a DEVICE_OBJECT");
  checkPointer("PoCallDriver", "Irp", Irp, IRP, "an IRP");
  return callDriver(t, DeviceObject, Irp);
}

/**
 * PoRequestPowerIrp: the power manager allocates a power IRP (IRP_MN_SET_POWER or
 * IRP_MN_QUERY_POWER for a device power state — a D-IRP — or IRP_MN_WAIT_WAKE) and sends it to
 * the top of the stack that contains `DeviceObject`; when every driver has completed it,
 * `CompletionFunction` is called with the final IO_STATUS_BLOCK and the IRP is freed. The IRP
 * goes out on a system thread of the power manager's at PASSIVE_LEVEL, so the call may be made from a
 * completion routine at DISPATCH_LEVEL (the WDM pattern for an S-IRP).
 *
 * `Irp`, when given, receives the IRP; drivers should pass NULL (the value is unreliable: the IRP
 * may be complete and freed already).
 *
 * @returns STATUS_PENDING when the IRP was sent; STATUS_INVALID_PARAMETER_2 for any other minor
 * function (IRP_MN_POWER_SEQUENCE, or a system-state request: only the power manager sends
 * S-IRPs); STATUS_INVALID_PARAMETER_3 for a device state outside D0–D3 (irpsim's choice: Windows
 * does not document it); STATUS_INSUFFICIENT_RESOURCES when no IRP can be had.
 */
export function PoRequestPowerIrp(DeviceObject: DEVICE_OBJECT, MinorFunction: number, PowerState: POWER_STATE, CompletionFunction: REQUEST_POWER_COMPLETE | null, Context: unknown, Irp: InOut<IRP | null> | null = null): NTSTATUS {
  const t = currentMachine("PoRequestPowerIrp").kernelCall("PoRequestPowerIrp");
  checkPointer("PoRequestPowerIrp", "DeviceObject", DeviceObject, DEVICE_OBJECT, "a DEVICE_OBJECT");
  if (MinorFunction !== IRP_MN_SET_POWER && MinorFunction !== IRP_MN_QUERY_POWER && MinorFunction !== IRP_MN_WAIT_WAKE) return STATUS_INVALID_PARAMETER_2;
  checkPointer("PoRequestPowerIrp", "PowerState", PowerState, POWER_STATE, "a POWER_STATE");
  if (CompletionFunction !== null) checkRoutine("PoRequestPowerIrp", "CompletionFunction", CompletionFunction);
  const state = PowerState.DeviceState;
  if (MinorFunction !== IRP_MN_WAIT_WAKE && (state < PowerDeviceD0 || state > PowerDeviceD3)) return STATUS_INVALID_PARAMETER_3;
  const r = requestPowerIrp(t, DeviceObject, MinorFunction, state, CompletionFunction, Context);
  if (Irp !== null) Irp.value = r;
  return r ? STATUS_PENDING : STATUS_INSUFFICIENT_RESOURCES;
}

/** PoRequestPowerIrp's work, for the framework too: the IRP sent (on a worker thread), or null when none could be allocated. @internal */
export function requestPowerIrp(t: KThread, target: DEVICE_OBJECT, minor: number, state: number, completion: REQUEST_POWER_COMPLETE | null, context: unknown): IRP | null {
  const m = t.machine;
  const top = IoGetAttachedDevice(target);
  const irp = allocateIrp(m, top.StackSize, "PoRequestPowerIrp");
  if (!irp) return null;
  irp.RequestorMode = KernelMode;
  // Power IRPs start as "not supported": a driver that does not handle one leaves it so.
  irp.Status = STATUS_NOT_SUPPORTED;
  irp.Information = 0;
  const sl = irp.Stack[irp.StackCount - 1];
  const requested = new POWER_STATE(state);
  const what = minor === IRP_MN_WAIT_WAKE ? "wait-wake" : devicePowerStateName(state);
  if (sl) {
    sl.MajorFunction = IRP_MJ_POWER;
    sl.MinorFunction = minor;
    if (minor === IRP_MN_WAIT_WAKE) {
      sl.Parameters.WaitWake.PowerState = state;
    } else {
      sl.Parameters.Power.Type = DevicePowerState;
      sl.Parameters.Power.State = requested;
      sl.Parameters.Power.ShutdownType = m.power?.action ?? 0;
      sl.Parameters.Power.SystemContext = 0;
    }
    // The power manager's completion routine sits in the top driver's location: it runs when
    // that driver completes the IRP, calls PowerCompletion and frees the IRP.
    sl.CompletionRoutine = function PopRequestCompletion(_DeviceObject, done: IRP): NTSTATUS {
      const iosb = new IO_STATUS_BLOCK();
      iosb.Status = done.IoStatus.Status;
      iosb.Information = done.IoStatus.Information;
      if (m.trace.on) m.trace.emit("PowerIrp", { device: target.label, minor: powerMinorName(minor), state: what, phase: "completed", status: iosb.Status });
      if (completion) completion(target, minor, new POWER_STATE(state), context, iosb);
      freeIrp(m, done);
      return STATUS_MORE_PROCESSING_REQUIRED;
    };
    sl.Context = context;
    sl.Control |= SL_INVOKE_ON_SUCCESS | SL_INVOKE_ON_ERROR | SL_INVOKE_ON_CANCEL;
  }
  if (m.trace.on) m.trace.emit("PowerIrp", { device: target.label, minor: powerMinorName(minor), state: what, phase: "sent", status: null });
  // A system thread of its own (the power manager's), so a D-IRP that waits in a driver never
  // holds up the system worker thread that driver's own work items need.
  m.createSystemThread(`power manager: ${powerMinorName(minor)} ${what} to ${top.label}`, async () => {
    await callDriver(m.currentThread(), top, irp);
  });
  return irp;
}

// ---- The root bus driver's power dispatch -------------------------------------------------------

/**
 * The root bus's IRP_MJ_POWER dispatch for its PDOs, as a bus driver handles power: a device
 * SET_POWER records the new state (PoSetPowerState) and succeeds, a system SET_POWER and every
 * QUERY_POWER succeed, IRP_MN_POWER_SEQUENCE reports the device's D-state counts, and
 * IRP_MN_WAIT_WAKE fails with STATUS_NOT_SUPPORTED (root-enumerated devices cannot wake the
 * system). Any other minor keeps the status it was sent with.
 * @internal
 */
export const PnpRootDispatchPower: DRIVER_DISPATCH = function PnpRootDispatchPower(DeviceObject, Irp) {
  const m = currentMachine("PnpRootDispatchPower");
  const t = m.currentThread();
  const sl = Irp.Stack[Irp.CurrentLocation - 1];
  let status = Irp.IoStatus.Status;
  switch (sl ? sl.MinorFunction : -1) {
    case IRP_MN_SET_POWER: {
      const p = (sl as NonNullable<typeof sl>).Parameters.Power;
      if (p.Type === DevicePowerState) setPowerState(m, DeviceObject, DevicePowerState, p.State.DeviceState);
      else setPowerState(m, DeviceObject, SystemPowerState, p.State.SystemState);
      status = STATUS_SUCCESS;
      break;
    }
    case IRP_MN_QUERY_POWER:
      status = STATUS_SUCCESS;
      break;
    case IRP_MN_WAIT_WAKE:
      status = STATUS_NOT_SUPPORTED;
      break;
    case IRP_MN_POWER_SEQUENCE: {
      const out = (sl as NonNullable<typeof sl>).Parameters.PowerSequence.PowerSequence;
      if (out instanceof POWER_SEQUENCE) {
        const s = recordOf(DeviceObject).sequence;
        out.SequenceD1 = s.SequenceD1;
        out.SequenceD2 = s.SequenceD2;
        out.SequenceD3 = s.SequenceD3;
        status = STATUS_SUCCESS;
      } else {
        status = STATUS_INVALID_PARAMETER;
      }
      break;
    }
  }
  Irp.IoStatus.Status = status;
  completeRequest(t, Irp);
  return status;
};

/** For traces: "IRP_MN_SET_POWER D3 → STATUS_SUCCESS". @internal */
export function powerHistoryText(minor: number, type: number, state: number, status: NTSTATUS): string {
  return `${powerMinorName(minor)} ${type === SystemPowerState ? systemPowerStateName(state) : devicePowerStateName(state)} → ${ntStatusName(status)}`;
}
