/**
 * Shutdown notification for a control device (WdfControlDeviceInitSetShutdownNotification): the
 * framework registers the device with the I/O manager (IoRegisterShutdownNotification or
 * IoRegisterLastChanceShutdownNotification) when WdfDeviceCreate makes it, and calls
 * EvtDeviceShutdownNotification from its IRP_MJ_SHUTDOWN handler, completing the IRP itself.
 */
import type { MaybePromise } from "../kernel/objects.js";
import { STATUS_SUCCESS, type NTSTATUS } from "../kernel/status.js";
import type { KThread } from "../kernel/thread.js";
import type { DEVICE_OBJECT } from "../io-manager/device-object.js";
import type { IRP } from "../io-manager/irp.js";
import { IoRegisterLastChanceShutdownNotification, IoRegisterShutdownNotification } from "../io-manager/shutdown.js";
import { invokeCallback } from "./callback.js";
import { fxEnter, fxViolation, verifierOn } from "./globals.js";
import type { WDFDEVICE } from "./handles.js";
import { fxRequired } from "./object.js";
import { WDFDEVICE_INIT, initOk, type FxDevice } from "./device.js";
import { completeIrp } from "./request.js";

/** EVT_WDF_DEVICE_SHUTDOWN_NOTIFICATION: the system is shutting down (PASSIVE_LEVEL); put the hardware in a safe state. */
export type EVT_WDF_DEVICE_SHUTDOWN_NOTIFICATION = (Device: WDFDEVICE) => void;

/** WDF_DEVICE_SHUTDOWN_FLAGS: which shutdown notification a control device asks for. */
export const WDF_DEVICE_SHUTDOWN_FLAGS = {
  /** WdfDeviceShutdown: before the file systems are flushed (IoRegisterShutdownNotification). */
  WdfDeviceShutdown: 0x1,
  /** WdfDeviceLastChanceShutdown: after them, the last thing before power-off (IoRegisterLastChanceShutdownNotification). */
  WdfDeviceLastChanceShutdown: 0x2,
} as const;
export const { WdfDeviceShutdown, WdfDeviceLastChanceShutdown } = WDF_DEVICE_SHUTDOWN_FLAGS;

/**
 * WdfControlDeviceInitSetShutdownNotification: the control device's EvtDeviceShutdownNotification
 * runs when the system shuts down — with WdfDeviceShutdown, before the file systems are flushed;
 * with WdfDeviceLastChanceShutdown, after (both flags: both times). Only a control device's init
 * takes it (a PnP device learns of shutdown through its power callbacks): another is refused,
 * WDF_VIOLATION 0x3 under the verifier, as are flags with neither bit.
 */
export function WdfControlDeviceInitSetShutdownNotification(DeviceInit: WDFDEVICE_INIT, Notification: EVT_WDF_DEVICE_SHUTDOWN_NOTIFICATION, Flags: number): void {
  const t = fxEnter("WdfControlDeviceInitSetShutdownNotification");
  if (!initOk(t, DeviceInit, "WdfControlDeviceInitSetShutdownNotification")) return;
  const g = DeviceInit.globals;
  if (!fxRequired(t, g, Notification, "WdfControlDeviceInitSetShutdownNotification", "Notification")) return;
  if (!DeviceInit.control) {
    if (verifierOn(t.machine, g)) fxViolation(t.machine, g, "DeviceNotControl", "WdfControlDeviceInitSetShutdownNotification was given a PnP device's WDFDEVICE_INIT; it takes a control device's (WdfControlDeviceInitAllocate).");
    return;
  }
  if (typeof Flags !== "number" || (Flags & (WdfDeviceShutdown | WdfDeviceLastChanceShutdown)) === 0 || (Flags & ~(WdfDeviceShutdown | WdfDeviceLastChanceShutdown)) !== 0) {
    if (verifierOn(t.machine, g)) fxViolation(t.machine, g, "InvalidArgumentValue", `WdfControlDeviceInitSetShutdownNotification was given Flags ${String(Flags)}; they must be WdfDeviceShutdown, WdfDeviceLastChanceShutdown or both.`);
    return;
  }
  DeviceInit.shutdown = { callback: Notification, flags: Flags };
}

/** WdfDeviceCreate's registration of a control device that asked for shutdown notification. */
export function registerShutdown(_t: KThread, dev: FxDevice, d: DEVICE_OBJECT): void {
  const s = dev.init.shutdown;
  if (!s) return;
  if (s.flags & WdfDeviceShutdown) IoRegisterShutdownNotification(d);
  if (s.flags & WdfDeviceLastChanceShutdown) IoRegisterLastChanceShutdownNotification(d);
}

/** The framework's IRP_MJ_SHUTDOWN for a control device: EvtDeviceShutdownNotification, then the IRP completes with STATUS_SUCCESS. */
export function onShutdown(t: KThread, dev: FxDevice, irp: IRP): MaybePromise<NTSTATUS> {
  const s = dev.init.shutdown;
  const finish = (): NTSTATUS => {
    irp.Status = STATUS_SUCCESS;
    irp.Information = 0;
    completeIrp(t, irp, 0);
    return STATUS_SUCCESS;
  };
  if (!s) return finish();
  const cb = s.callback;
  const r = invokeCallback(t, dev.globals, null, "EvtDeviceShutdownNotification", cb, { object: dev.label, request: null, irp: irp.label }, () => {
    cb(dev);
  });
  if (r instanceof Promise) return r.then(finish);
  return finish();
}
