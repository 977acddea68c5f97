/**
 * Filter devices (wdffdo.h): WdfFdoInitSetFilter makes a device a filter — it does not own the
 * stack's I/O, so what it has no queue or handler for goes down to the next-lower driver without
 * the driver seeing it; create, cleanup and close go down too (WDF_FILEOBJECT_CONFIG's
 * AutoForwardCleanupClose, which defaults to yes for a filter); its queues are not power managed by
 * default. The WDM look-ups filters use: the PDO, the device below.
 */
import type { MaybePromise } from "../kernel/objects.js";
import { NT_SUCCESS, STATUS_INVALID_DEVICE_REQUEST, type NTSTATUS } from "../kernel/status.js";
import type { KThread } from "../kernel/thread.js";
import { IoCallDriver } from "../io-manager/call-driver.js";
import type { DEVICE_OBJECT } from "../io-manager/device-object.js";
import type { FILE_OBJECT } from "../io-manager/file-object.js";
import { IoSkipCurrentIrpStackLocation, type IRP } from "../io-manager/irp.js";
import { fxEnter, fxViolation, verifierOn } from "./globals.js";
import type { WDFDEVICE } from "./handles.js";
import { WDFDEVICE_INIT, createCompleted, fxDevice, initOk, type FxDevice } from "./device.js";
import { completeIrp, type FxRequest } from "./request.js";
import { sendAndForget } from "./io-target.js";
import { WdfTrue, WdfUseDefault } from "./queue.js";
import { forwardAndWait } from "./pnp.js";

/**
 * WdfFdoInitSetFilter: the device EvtDriverDeviceAdd creates is a filter (upper or lower), not the
 * function driver: requests it has no queue for, or whose queue has no handler for their type, go
 * to the next-lower driver; create, cleanup and close are passed down (unless its
 * WDF_FILEOBJECT_CONFIG says AutoForwardCleanupClose WdfFalse); its queues are not power managed
 * unless it says so; its device object takes the lower device's buffering method and type. A
 * control device's init is refused (WDF_VIOLATION 0x3 under the verifier).
 */
export function WdfFdoInitSetFilter(DeviceInit: WDFDEVICE_INIT): void {
  const t = fxEnter("WdfFdoInitSetFilter");
  if (!initOk(t, DeviceInit, "WdfFdoInitSetFilter")) return;
  if (!fdoInit(t, DeviceInit, "WdfFdoInitSetFilter")) return;
  DeviceInit.filter = true;
}

/** WdfFdoInitWdmGetPhysicalDevice: the PDO the device will sit on (in EvtDriverDeviceAdd, before WdfDeviceCreate). */
export function WdfFdoInitWdmGetPhysicalDevice(DeviceInit: WDFDEVICE_INIT): DEVICE_OBJECT | null {
  const t = fxEnter("WdfFdoInitWdmGetPhysicalDevice");
  if (!initOk(t, DeviceInit, "WdfFdoInitWdmGetPhysicalDevice")) return null;
  if (!fdoInit(t, DeviceInit, "WdfFdoInitWdmGetPhysicalDevice")) return null;
  return DeviceInit.pdo;
}

/** WdfDeviceWdmGetAttachedDevice: the next-lower device object of a PnP device's stack (null for a control device). */
export function WdfDeviceWdmGetAttachedDevice(Device: WDFDEVICE): DEVICE_OBJECT | null {
  const t = fxEnter("WdfDeviceWdmGetAttachedDevice");
  const dev = fxDevice(t, Device, "WdfDeviceWdmGetAttachedDevice");
  return dev ? dev.lowerDevice : null;
}

/** WdfDeviceWdmGetPhysicalDevice: the PDO of a PnP device's stack (null for a control device). */
export function WdfDeviceWdmGetPhysicalDevice(Device: WDFDEVICE): DEVICE_OBJECT | null {
  const t = fxEnter("WdfDeviceWdmGetPhysicalDevice");
  const dev = fxDevice(t, Device, "WdfDeviceWdmGetPhysicalDevice");
  return dev?.pnp ? dev.pnp.pdo : null;
}

/** A WdfFdoInit* routine needs the init of a PnP device (EvtDriverDeviceAdd's). */
function fdoInit(t: KThread, init: WDFDEVICE_INIT, api: string): boolean {
  if (!init.control && init.pdo !== null) return true;
  if (verifierOn(t.machine, init.globals)) fxViolation(t.machine, init.globals, "DeviceNotPnp", `${api} was given a control device's WDFDEVICE_INIT (from WdfControlDeviceInitAllocate); it takes the one EvtDriverDeviceAdd was given.`);
  return false;
}

// ---- The framework's forwarding for a filter ----------------------------------------------------

/** Whether the framework passes create, cleanup and close down (AutoForwardCleanupClose: WdfUseDefault means yes for a filter). */
export function autoForwardsFileRequests(dev: FxDevice): boolean {
  if (dev.lowerDevice === null) return false;
  const a = dev.init.fileConfig?.AutoForwardCleanupClose ?? WdfUseDefault;
  return a === WdfTrue || (a === WdfUseDefault && dev.init.filter);
}

/** Passes an IRP the framework made no request for down the stack unchanged (the lower driver completes it). */
export function passToLower(t: KThread, dev: FxDevice, irp: IRP): MaybePromise<NTSTATUS> {
  const lower = dev.lowerDevice;
  if (!lower) {
    irp.Status = STATUS_INVALID_DEVICE_REQUEST;
    irp.Information = 0;
    completeIrp(t, irp, 0);
    return STATUS_INVALID_DEVICE_REQUEST;
  }
  IoSkipCurrentIrpStackLocation(irp);
  return IoCallDriver(lower, irp);
}

/** A filter's request whose queue has no handler for its type: it goes down, and is no longer the driver's. */
export function forwardUnhandled(t: KThread, dev: FxDevice, r: FxRequest): boolean {
  const lower = dev.lowerDevice;
  const irp = r.irp;
  if (!dev.init.filter || !lower || !irp || !r.fromIo) return false;
  sendAndForget(t, r, irp, lower, "passed down (no handler in the filter)");
  return true;
}

/**
 * A create the framework passes down (a filter with no EvtDeviceFileCreate): sent to the lower
 * driver and waited for; when the lower driver fails it, the WDFFILEOBJECT made for it goes
 * (no close will come), and the IRP completes with the lower driver's status either way.
 */
export async function forwardCreate(t: KThread, dev: FxDevice, irp: IRP, fo: FILE_OBJECT): Promise<NTSTATUS> {
  await forwardAndWait(t, dev, irp, "create");
  const status = irp.Status;
  if (!NT_SUCCESS(status)) createCompleted(dev, fo, status);
  completeIrp(t, irp, 0);
  return status;
}
