/**
 * A PnP device's state as its driver reports it (wdfdevice.h): WdfDeviceSetFailed, and the PnP and
 * power capabilities the driver overrides (WdfDeviceSetPnpCapabilities,
 * WdfDeviceSetPowerCapabilities).
 *
 * WdfDeviceSetFailed: the framework powers the device down and releases its hardware on a thread
 * of its own, then calls IoInvalidateDeviceState; the PnP manager asks for the device state
 * (IRP_MN_QUERY_PNP_DEVICE_STATE, answered PNP_DEVICE_FAILED) and removes the device as one that
 * is gone: IRP_MN_SURPRISE_REMOVAL, then IRP_MN_REMOVE_DEVICE once the last handle closes
 * (EvtDeviceSelfManagedIoFlush, …Cleanup, the device's deletion). With
 * WdfDeviceFailedAttemptRestart the framework also reports PNP_DEVICE_RESOURCE_REQUIREMENTS_CHANGED
 * and the PnP manager re-enumerates the device: EvtDriverDeviceAdd and the start sequence again,
 * on a new device. KMDF's limit on restarts (a few within a minute, kept in the registry) is not
 * modelled: each failure with AttemptRestart restarts.
 */
import { DISPATCH_LEVEL } from "../kernel/irql.js";
import type { KThread } from "../kernel/thread.js";
import { IoInvalidateDeviceState } from "../io-manager/pnp.js";
import { fxEnter, fxIrqlOk, fxViolation, verifierOn } from "./globals.js";
import type { WDFDEVICE } from "./handles.js";
import { fxRequired } from "./object.js";
import { fxDevice, type FxDevice } from "./device.js";
import { failedPowerDown } from "./pnp.js";
import { WdfUseDefault, type WDF_TRI_STATE } from "./queue.js";

/** WDF_DEVICE_FAILED_ACTION: what WdfDeviceSetFailed asks the PnP manager to do after removing the device. */
export const WDF_DEVICE_FAILED_ACTION = {
  WdfDeviceFailedUndefined: 0,
  /** WdfDeviceFailedAttemptRestart: remove the device, then try to start it again (a software error the driver can recover from). */
  WdfDeviceFailedAttemptRestart: 1,
  /** WdfDeviceFailedNoRestart: remove the device and leave it failed (Device Manager's yellow bang, code 43). */
  WdfDeviceFailedNoRestart: 2,
} as const;
export const { WdfDeviceFailedUndefined, WdfDeviceFailedAttemptRestart, WdfDeviceFailedNoRestart } = WDF_DEVICE_FAILED_ACTION;

/**
 * WdfDeviceSetFailed: the driver found an error it cannot recover from in place; the device is
 * removed (see the module's description for the order), and restarted with
 * WdfDeviceFailedAttemptRestart. Returns at once (IRQL <= DISPATCH_LEVEL); a second call for a
 * device already failed does nothing. A control device, or a FailedAction that is neither value, is
 * refused (WDF_VIOLATION 0x3 under the verifier).
 */
export function WdfDeviceSetFailed(Device: WDFDEVICE, FailedAction: number): void {
  const t = fxEnter("WdfDeviceSetFailed");
  const dev = fxDevice(t, Device, "WdfDeviceSetFailed");
  if (!dev) return;
  const m = t.machine;
  const g = dev.globals;
  if (!fxIrqlOk(t, g, "WdfDeviceSetFailed", DISPATCH_LEVEL)) return;
  if (FailedAction !== WdfDeviceFailedAttemptRestart && FailedAction !== WdfDeviceFailedNoRestart) {
    if (verifierOn(m, g)) fxViolation(m, g, "InvalidArgumentValue", `WdfDeviceSetFailed(${dev.label}) was given FailedAction ${String(FailedAction)}; it takes WdfDeviceFailedAttemptRestart or WdfDeviceFailedNoRestart.`, { p2: dev.handle });
    return;
  }
  const pnp = dev.pnp;
  if (!pnp) {
    if (verifierOn(m, g)) fxViolation(m, g, "DeviceNotPnp", `WdfDeviceSetFailed(${dev.label}): a control device has no PnP state to fail; delete it with WdfObjectDelete instead.`, { p2: dev.handle });
    return;
  }
  if (pnp.failedAction !== undefined || pnp.state !== "started") return;
  pnp.failedAction = FailedAction;
  if (m.trace.on) m.trace.emit("WdfDeviceState", { device: dev.label, state: FailedAction === WdfDeviceFailedAttemptRestart ? "failed (attempt restart)" : "failed (no restart)", driver: g.name });
  const pdo = pnp.pdo;
  m.createSystemThread(`KMDF (${dev.label} failed)`, async () => {
    const th = m.currentThread();
    await failedPowerDown(th, dev);
    IoInvalidateDeviceState(pdo);
  });
}

// ---- Capabilities -----------------------------------------------------------------------------

/** WDF_DEVICE_PNP_CAPABILITIES: the DEVICE_CAPABILITIES PnP members a driver overrides (WdfUseDefault keeps the bus driver's). Initialise with WDF_DEVICE_PNP_CAPABILITIES_INIT. */
export class WDF_DEVICE_PNP_CAPABILITIES {
  /** Size: the structure's size, set by WDF_DEVICE_PNP_CAPABILITIES_INIT; WdfDeviceSetPnpCapabilities refuses another. */
  Size = 48;
  /** LockSupported: the device can be locked in place (no ejection while locked). */
  LockSupported: WDF_TRI_STATE = WdfUseDefault;
  /** EjectSupported: the device can be ejected by software. */
  EjectSupported: WDF_TRI_STATE = WdfUseDefault;
  /** Removable: the device can be unplugged while the system runs (Safely Remove Hardware lists it). */
  Removable: WDF_TRI_STATE = WdfUseDefault;
  /** DockDevice: the device is a docking peripheral. */
  DockDevice: WDF_TRI_STATE = WdfUseDefault;
  /** UniqueID: the device's instance ID is unique system-wide. */
  UniqueID: WDF_TRI_STATE = WdfUseDefault;
  /** SilentInstall: Device Manager installs it without telling the user. */
  SilentInstall: WDF_TRI_STATE = WdfUseDefault;
  /** SurpriseRemovalOK: unplugging it without warning is harmless (no pop-up). */
  SurpriseRemovalOK: WDF_TRI_STATE = WdfUseDefault;
  /** HardwareDisabled: the hardware is disabled. */
  HardwareDisabled: WDF_TRI_STATE = WdfUseDefault;
  /** NoDisplayInUI: Device Manager does not show the device. */
  NoDisplayInUI: WDF_TRI_STATE = WdfUseDefault;
  /** Address: the device's address on its bus (0xFFFFFFFF: the bus driver's). */
  Address = 0xffffffff;
  /** UINumber: the number the user sees for the device's slot (0xFFFFFFFF: the bus driver's). */
  UINumber = 0xffffffff;
}

/** WDF_DEVICE_PNP_CAPABILITIES_INIT: Size set, every member WdfUseDefault, Address and UINumber 0xFFFFFFFF. */
export function WDF_DEVICE_PNP_CAPABILITIES_INIT(Caps: WDF_DEVICE_PNP_CAPABILITIES): void {
  Object.assign(Caps, new WDF_DEVICE_PNP_CAPABILITIES());
}

/** WDF_DEVICE_POWER_CAPABILITIES: the DEVICE_CAPABILITIES power members a driver overrides. Initialise with WDF_DEVICE_POWER_CAPABILITIES_INIT. */
export class WDF_DEVICE_POWER_CAPABILITIES {
  /** Size: the structure's size, set by WDF_DEVICE_POWER_CAPABILITIES_INIT; WdfDeviceSetPowerCapabilities refuses another. */
  Size = 80;
  /** DeviceD1: the device supports D1. */
  DeviceD1: WDF_TRI_STATE = WdfUseDefault;
  /** DeviceD2: the device supports D2. */
  DeviceD2: WDF_TRI_STATE = WdfUseDefault;
  /** WakeFromD0: the device can signal wake from D0. */
  WakeFromD0: WDF_TRI_STATE = WdfUseDefault;
  /** WakeFromD1: … from D1. */
  WakeFromD1: WDF_TRI_STATE = WdfUseDefault;
  /** WakeFromD2: … from D2. */
  WakeFromD2: WDF_TRI_STATE = WdfUseDefault;
  /** WakeFromD3: … from D3. */
  WakeFromD3: WDF_TRI_STATE = WdfUseDefault;
  /** DeviceState: for each system power state S0…S5 (indexed by SYSTEM_POWER_STATE), the deepest device state it maps to (PowerDeviceMaximum, 5: the bus driver's). */
  readonly DeviceState: number[] = [5, 5, 5, 5, 5, 5, 5];
  /** DeviceWake: the deepest device state the device can wake the system from (PowerDeviceMaximum: the bus driver's). */
  DeviceWake = 5;
  /** SystemWake: the deepest system state the device can wake (PowerSystemMaximum, 7: the bus driver's). */
  SystemWake = 7;
  /** D1Latency: the time, in 100 µs units, to return to D0 from D1 (0xFFFFFFFF: the bus driver's). */
  D1Latency = 0xffffffff;
  /** D2Latency: … from D2. */
  D2Latency = 0xffffffff;
  /** D3Latency: … from D3. */
  D3Latency = 0xffffffff;
  /** IdealDxStateForSx: the device state the framework puts the device in when the system sleeps (PowerDeviceMaximum: the framework's choice). */
  IdealDxStateForSx = 5;
}

/** WDF_DEVICE_POWER_CAPABILITIES_INIT: Size set, every member "the bus driver's". */
export function WDF_DEVICE_POWER_CAPABILITIES_INIT(Caps: WDF_DEVICE_POWER_CAPABILITIES): void {
  Object.assign(Caps, new WDF_DEVICE_POWER_CAPABILITIES());
}

const pnpCaps = new WeakMap<FxDevice, WDF_DEVICE_PNP_CAPABILITIES>();
const powerCaps = new WeakMap<FxDevice, WDF_DEVICE_POWER_CAPABILITIES>();

/** The PnP capabilities a driver set for a device (a copy), or null. @internal */
export function pnpCapabilitiesOf(dev: FxDevice): WDF_DEVICE_PNP_CAPABILITIES | null {
  return pnpCaps.get(dev) ?? null;
}

/** The power capabilities a driver set for a device (a copy), or null. @internal */
export function powerCapabilitiesOf(dev: FxDevice): WDF_DEVICE_POWER_CAPABILITIES | null {
  return powerCaps.get(dev) ?? null;
}

function capsTarget<T extends { Size: number }>(t: KThread, api: string, Device: WDFDEVICE, Caps: T, type: abstract new () => T, size: number): FxDevice | null {
  const dev = fxDevice(t, Device, api);
  if (!dev) return null;
  const m = t.machine;
  const g = dev.globals;
  if (!fxIrqlOk(t, g, api, DISPATCH_LEVEL)) return null;
  if (!fxRequired(t, g, Caps, api, "Capabilities")) return null;
  if (!(Caps instanceof type) || Caps.Size !== size) {
    if (verifierOn(m, g)) fxViolation(m, g, "InvalidStructureSize", `${api}(${dev.label}) was given ${Caps instanceof type ? `a structure of Size ${String(Caps.Size)} (expected ${String(size)})` : `something that is no ${type.name}`}.`, { p2: dev.handle });
    return null;
  }
  if (!dev.pnp) {
    if (verifierOn(m, g)) fxViolation(m, g, "DeviceNotPnp", `${api}(${dev.label}): a control device has no PnP capabilities.`, { p2: dev.handle });
    return null;
  }
  return dev;
}

/**
 * WdfDeviceSetPnpCapabilities: the PnP capabilities the framework reports for the device over the
 * bus driver's (the members not WdfUseDefault). Recorded: the PnP manager here sends no
 * IRP_MN_QUERY_CAPABILITIES, so nothing reads them back yet. A structure of the wrong Size, or a
 * control device, is refused (WDF_VIOLATION 0x3 under the verifier; ignored without it).
 */
export function WdfDeviceSetPnpCapabilities(Device: WDFDEVICE, PnpCapabilities: WDF_DEVICE_PNP_CAPABILITIES): void {
  const t = fxEnter("WdfDeviceSetPnpCapabilities");
  const dev = capsTarget(t, "WdfDeviceSetPnpCapabilities", Device, PnpCapabilities, WDF_DEVICE_PNP_CAPABILITIES, 48);
  if (!dev) return;
  pnpCaps.set(dev, Object.assign(new WDF_DEVICE_PNP_CAPABILITIES(), PnpCapabilities));
}

/**
 * WdfDeviceSetPowerCapabilities: the power capabilities the framework reports for the device over
 * the bus driver's. Recorded, as for WdfDeviceSetPnpCapabilities, with the same checks.
 */
export function WdfDeviceSetPowerCapabilities(Device: WDFDEVICE, PowerCapabilities: WDF_DEVICE_POWER_CAPABILITIES): void {
  const t = fxEnter("WdfDeviceSetPowerCapabilities");
  const dev = capsTarget(t, "WdfDeviceSetPowerCapabilities", Device, PowerCapabilities, WDF_DEVICE_POWER_CAPABILITIES, 80);
  if (!dev) return;
  const copy = Object.assign(new WDF_DEVICE_POWER_CAPABILITIES(), PowerCapabilities);
  (copy as { DeviceState: number[] }).DeviceState = [...PowerCapabilities.DeviceState];
  powerCaps.set(dev, copy);
}
