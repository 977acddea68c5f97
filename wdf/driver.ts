/**
 * WDFDRIVER (wdfdriver.h): WdfDriverCreate makes the framework's driver object and takes over the
 * DRIVER_OBJECT — its dispatch table (every IRP now goes through the framework), its unload
 * routine and, for a PnP driver, AddDevice.
 */
import { WdfHandleBrand } from "./handles.js";
import { currentMachine } from "../kernel/context.js";
import { PASSIVE_LEVEL } from "../kernel/irql.js";
import type { MaybePromise } from "../kernel/objects.js";
import { STATUS_INVALID_DEVICE_STATE, STATUS_INVALID_PARAMETER, STATUS_SUCCESS, type NTSTATUS } from "../kernel/status.js";
import type { KThread } from "../kernel/thread.js";
import { IRP_MJ_MAXIMUM_FUNCTION } from "../io-manager/constants.js";
import { DRIVER_OBJECT } from "../io-manager/driver-object.js";
import { invokeCallback } from "./callback.js";
import { FxDriverGlobals, frameworkVerified, fxEnter, fxIrqlOk, fxMachine, fxViolation } from "./globals.js";
import type { WDFDRIVER } from "./handles.js";
import { FxObject, fxObject, fxRequired, type WDF_OBJECT_ATTRIBUTES } from "./object.js";
import { FxDeviceDispatch, WDFDEVICE_INIT } from "./device.js";
import { fxAddDevice } from "./pnp.js";

/** EVT_WDF_DRIVER_DEVICE_ADD: the PnP manager found one of the driver's devices; create its WDFDEVICE. */
export type EVT_WDF_DRIVER_DEVICE_ADD = (Driver: WDFDRIVER, DeviceInit: WDFDEVICE_INIT) => MaybePromise<NTSTATUS>;
/** EVT_WDF_DRIVER_UNLOAD: the driver is being unloaded (after its devices are gone, for a PnP driver). */
export type EVT_WDF_DRIVER_UNLOAD = (Driver: WDFDRIVER) => MaybePromise<void>;

/** WDF_DRIVER_INIT_FLAGS: WdfDriverInitNonPnpDriver, a legacy (non-PnP) driver — no EvtDriverDeviceAdd; it creates control devices itself and must set EvtDriverUnload to be unloadable. */
export const WdfDriverInitNonPnpDriver = 0x1;
/** WdfDriverInitNoDispatchOverride: the framework leaves the DRIVER_OBJECT's dispatch table to the driver (a miniport whose port driver owns it). */
export const WdfDriverInitNoDispatchOverride = 0x2;

/** WDF_DRIVER_CONFIG. Initialise with WDF_DRIVER_CONFIG_INIT. */
export class WDF_DRIVER_CONFIG {
  /** Size: the structure's size, set by WDF_DRIVER_CONFIG_INIT. */
  Size = 32;
  /** EvtDriverDeviceAdd: called for each device the PnP manager finds for the driver (its AddDevice); required unless WdfDriverInitNonPnpDriver. */
  EvtDriverDeviceAdd: EVT_WDF_DRIVER_DEVICE_ADD | null = null;
  /** EvtDriverUnload: called when the driver unloads, before the framework deletes the driver object. */
  EvtDriverUnload: EVT_WDF_DRIVER_UNLOAD | null = null;
  /** DriverInitFlags: WDF_DRIVER_INIT_FLAGS bits (WdfDriverInitNonPnpDriver, WdfDriverInitNoDispatchOverride). */
  DriverInitFlags = 0;
  /** DriverPoolTag: the pool tag the framework tags the driver's allocations with (0: the framework's default, from the driver's name); accepted and not used here. */
  DriverPoolTag = 0;
}

/** WDF_DRIVER_CONFIG_INIT: EvtDriverDeviceAdd (null for a non-PnP driver), no flags. */
export function WDF_DRIVER_CONFIG_INIT(Config: WDF_DRIVER_CONFIG, EvtDriverDeviceAdd: EVT_WDF_DRIVER_DEVICE_ADD | null): void {
  Config.Size = 32;
  Config.EvtDriverDeviceAdd = EvtDriverDeviceAdd;
  Config.EvtDriverUnload = null;
  Config.DriverInitFlags = 0;
  Config.DriverPoolTag = 0;
}

/** The framework driver object. */
export class FxDriver extends FxObject {
  declare readonly [WdfHandleBrand]: "WDFDRIVER";
  constructor(
    g: FxDriverGlobals,
    readonly config: WDF_DRIVER_CONFIG,
    readonly registryPath: string,
  ) {
    super(g, "WDFDRIVER", null);
    this.noDeleteDdi = true;
  }
}

/** The WDFDRIVER of a client. */
export function fxDriver(g: FxDriverGlobals): FxDriver | null {
  const d = g.driverObject;
  return d instanceof FxDriver ? d : null;
}

/**
 * WdfDriverCreate: from DriverEntry, makes the framework's driver object. The framework takes the
 * DRIVER_OBJECT's dispatch table (unless WdfDriverInitNoDispatchOverride), its DriverUnload (which
 * runs EvtDriverUnload and deletes the driver's objects) and, for a PnP driver, its AddDevice
 * (which runs EvtDriverDeviceAdd). The KMDF verifier is turned on now if the machine's verifier
 * verifies this driver.
 *
 * @returns STATUS_SUCCESS and the driver; STATUS_INVALID_PARAMETER for a missing config or a PnP
 * driver without EvtDriverDeviceAdd; STATUS_INVALID_DEVICE_STATE when called twice.
 */
export function WdfDriverCreate(DriverObject: DRIVER_OBJECT, RegistryPath: string, DriverAttributes: WDF_OBJECT_ATTRIBUTES | null, DriverConfig: WDF_DRIVER_CONFIG): { /** STATUS_SUCCESS, or why not (see above). */ status: NTSTATUS; /** The framework driver object (null on failure). */ Driver: WDFDRIVER | null } {
  const t = fxEnter("WdfDriverCreate");
  const m = t.machine;
  const fx = fxMachine(m);
  if (!(DriverObject instanceof DRIVER_OBJECT)) {
    // No driver object, so no globals yet: the calling driver's verifier setting decides.
    const caller = m.currentDriver();
    if (caller !== null && frameworkVerified(m, caller)) fxViolation(m, null, "RequiredParameterIsNull", `WdfDriverCreate was called with DriverObject ${(DriverObject as unknown) === null ? "NULL" : "that is not the DRIVER_OBJECT DriverEntry was given"}.`);
    return { status: STATUS_INVALID_PARAMETER, Driver: null };
  }
  const name = DriverObject.shortName;
  const existing = fx.drivers.get(DriverObject);
  const g = existing ?? new FxDriverGlobals(m, name, DriverObject, frameworkVerified(m, name));
  if (!fxIrqlOk(t, g, "WdfDriverCreate", PASSIVE_LEVEL)) return { status: STATUS_INVALID_DEVICE_STATE, Driver: null };
  if (!fxRequired(t, g, DriverConfig, "WdfDriverCreate", "DriverConfig")) return { status: STATUS_INVALID_PARAMETER, Driver: null };
  if (existing && fxDriver(existing)) return { status: STATUS_INVALID_DEVICE_STATE, Driver: null };
  const nonPnp = (DriverConfig.DriverInitFlags & WdfDriverInitNonPnpDriver) !== 0;
  if (!nonPnp && !DriverConfig.EvtDriverDeviceAdd) return { status: STATUS_INVALID_PARAMETER, Driver: null };
  fx.drivers.set(DriverObject, g);
  if (g.verifierOn) fx.installTeardown();
  const d = new FxDriver(g, DriverConfig, RegistryPath);
  g.driverObject = d;
  d.applyAttributes(DriverAttributes);
  d.traceCreated();
  if ((DriverConfig.DriverInitFlags & WdfDriverInitNoDispatchOverride) === 0) {
    for (let i = 0; i <= IRP_MJ_MAXIMUM_FUNCTION; i++) DriverObject.MajorFunction[i] = FxDeviceDispatch;
  }
  // A non-PnP driver without EvtDriverUnload cannot be unloaded (as in KMDF).
  if (!nonPnp || DriverConfig.EvtDriverUnload) DriverObject.DriverUnload = FxDriverUnload;
  if (!nonPnp) DriverObject.DriverExtension.AddDevice = fxAddDevice;
  return { status: STATUS_SUCCESS, Driver: d };
}

/**
 * The framework's DriverUnload: the driver's EvtDriverUnload, then the driver object and every
 * object under it (control devices, their queues…) are deleted.
 */
async function FxDriverUnload(DriverObject: DRIVER_OBJECT): Promise<void> {
  const m = fxMachine(currentMachine("FxDriverUnload"));
  const g = m.drivers.get(DriverObject);
  const d = g ? fxDriver(g) : null;
  if (!g || !d) return;
  const t = m.machine.currentThread();
  const cb = d.config.EvtDriverUnload;
  if (cb) await invokeCallback(t, g, null, "EvtDriverUnload", cb, { object: d.label, request: null, irp: null }, () => cb(d));
  d.deleteObject();
  g.driverObject = null;
  m.drivers.delete(DriverObject);
}

/** WdfDriverWdmGetDriverObject: the DRIVER_OBJECT behind the framework driver. */
export function WdfDriverWdmGetDriverObject(Driver: WDFDRIVER): DRIVER_OBJECT | null {
  const t = fxEnter("WdfDriverWdmGetDriverObject");
  const d = fxObject(t, Driver, FxDriver, "WDFDRIVER", "WdfDriverWdmGetDriverObject");
  return d ? d.globals.DriverObject : null;
}

/** WdfGetDriver: the calling driver's WDFDRIVER. */
export function WdfGetDriver(): WDFDRIVER | null {
  const t = fxEnter("WdfGetDriver");
  const g = fxMachine(t.machine).currentGlobals();
  return g ? fxDriver(g) : null;
}

/** WdfDriverGetRegistryPath: the driver's service key path. */
export function WdfDriverGetRegistryPath(Driver: WDFDRIVER): string | null {
  const t = fxEnter("WdfDriverGetRegistryPath");
  const d = fxObject(t, Driver, FxDriver, "WDFDRIVER", "WdfDriverGetRegistryPath");
  return d ? d.registryPath : null;
}

/** The framework's globals for a DRIVER_OBJECT (null for a WDM driver). */
export function globalsOf(t: KThread, d: DRIVER_OBJECT): FxDriverGlobals | null {
  return t.machine.wdf?.drivers.get(d) ?? null;
}
