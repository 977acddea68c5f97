/**
 * WDFDEVICE_INIT settings beyond the basic ones (wdfdevice.h): the attributes of every request the
 * framework makes for the device, the device object's security (SDDL), the I/O type by
 * WDF_IO_TYPE_CONFIG, and whether the device's power IRPs are pageable — and what WdfDeviceCreate
 * does with them when it creates the device object.
 */
import type { KThread } from "../kernel/thread.js";
import { parseDeviceSddl } from "../kernel/security.js";
import { STATUS_INVALID_PARAMETER, STATUS_SUCCESS, type NTSTATUS } from "../kernel/status.js";
import { unicodeStringText, UNICODE_STRING } from "../kernel/rtl-string.js";
import { DO_BUFFERED_IO, DO_DIRECT_IO, DO_POWER_PAGABLE } from "../io-manager/constants.js";
import { IoCreateDevice } from "../io-manager/device.js";
import { IoCreateDeviceSecure } from "../io-manager/device-secure.js";
import type { DEVICE_OBJECT } from "../io-manager/device-object.js";
import { fxViolation, verifierOn } from "./globals.js";
import { fxEnter } from "./globals.js";
import { fxRequired, WdfExecutionLevelInheritFromParent, WdfSynchronizationScopeInheritFromParent, type WDF_OBJECT_ATTRIBUTES } from "./object.js";
import { WDFDEVICE_INIT, WdfDeviceIoBuffered, WdfDeviceIoBufferedOrDirect, WdfDeviceIoDirect, WdfDeviceIoNeither, initOk, type FxDevice, type WDF_DEVICE_IO_TYPE } from "./device.js";
import { registerShutdown } from "./shutdown.js";

/** DO_POWER_INRUSH: the device draws inrush current when powered up; the power manager powers such devices one at a time (wdm.h). */
const DO_POWER_INRUSH = 0x00004000;

/**
 * WdfDeviceInitSetRequestAttributes: the object attributes of every WDFREQUEST the framework makes
 * for the device (from the IRPs sent to it): its context type — a fresh, zeroed context for each
 * request — and its EvtCleanupCallback (when the request is completed) and EvtDestroyCallback
 * (when its last reference goes). Requests the driver makes with WdfRequestCreate do not get them.
 * Attributes with a ParentObject, or a synchronization scope or execution level of their own, are
 * refused as KMDF refuses them (WDF_VIOLATION 0x3 under the verifier; ignored without it).
 */
export function WdfDeviceInitSetRequestAttributes(DeviceInit: WDFDEVICE_INIT, RequestAttributes: WDF_OBJECT_ATTRIBUTES): void {
  const t = fxEnter("WdfDeviceInitSetRequestAttributes");
  if (!initOk(t, DeviceInit, "WdfDeviceInitSetRequestAttributes")) return;
  const g = DeviceInit.globals;
  if (!fxRequired(t, g, RequestAttributes, "WdfDeviceInitSetRequestAttributes", "RequestAttributes")) return;
  const a = RequestAttributes;
  // Read as C reads the structure: a member that is not there counts as set.
  const parent: unknown = a.ParentObject;
  if ((parent !== null && parent !== undefined) || a.SynchronizationScope !== WdfSynchronizationScopeInheritFromParent || a.ExecutionLevel !== WdfExecutionLevelInheritFromParent) {
    if (verifierOn(t.machine, g)) fxViolation(t.machine, g, "InvalidAttributes", `WdfDeviceInitSetRequestAttributes: a request's attributes may name no ParentObject (the framework parents requests) and no synchronization scope or execution level of their own.`);
    return;
  }
  DeviceInit.requestAttributes = a;
}

/**
 * WdfDeviceInitAssignSDDLString: the security descriptor the device object is created with (as
 * IoCreateDeviceSecure gives it; NULL removes an earlier assignment). A user-mode open of the
 * device's name that the DACL does not grant the opener fails with STATUS_ACCESS_DENIED before
 * the driver sees it (ERROR_ACCESS_DENIED from CreateFile). An SDDL string the routine cannot read
 * makes WdfDeviceCreate fail with STATUS_INVALID_PARAMETER.
 *
 * @returns STATUS_SUCCESS; STATUS_INVALID_PARAMETER for a bad init.
 */
export function WdfDeviceInitAssignSDDLString(DeviceInit: WDFDEVICE_INIT, SDDLString: string | UNICODE_STRING | null): NTSTATUS {
  const t = fxEnter("WdfDeviceInitAssignSDDLString");
  if (!initOk(t, DeviceInit, "WdfDeviceInitAssignSDDLString")) return STATUS_INVALID_PARAMETER;
  if (SDDLString === null) {
    DeviceInit.sddlOverride = null;
    return STATUS_SUCCESS;
  }
  if (typeof SDDLString === "string") DeviceInit.sddlOverride = SDDLString;
  else if (SDDLString instanceof UNICODE_STRING) DeviceInit.sddlOverride = unicodeStringText(SDDLString);
  else return STATUS_INVALID_PARAMETER;
  return STATUS_SUCCESS;
}

/** WDF_IO_TYPE_CONFIG: how the framework buffers a device's requests. Initialise with WDF_IO_TYPE_CONFIG_INIT. */
export class WDF_IO_TYPE_CONFIG {
  /** Size: the structure's size, set by WDF_IO_TYPE_CONFIG_INIT; WdfDeviceInitSetIoTypeEx ignores a structure of another size. */
  Size = 16;
  /** ReadWriteIoType: buffered, direct or neither for reads and writes (what WdfDeviceInitSetIoType sets). */
  ReadWriteIoType: WDF_DEVICE_IO_TYPE = WdfDeviceIoBuffered;
  /** DeviceControlIoType: UMDF only; a KMDF driver's IOCTLs are buffered as their control code's METHOD_* says, so KMDF ignores it. */
  DeviceControlIoType: WDF_DEVICE_IO_TYPE = WdfDeviceIoBuffered;
  /** DirectTransferThreshold: UMDF only (the size under which direct I/O is buffered anyway); ignored by KMDF. */
  DirectTransferThreshold = 0;
}

/** WDF_IO_TYPE_CONFIG_INIT: Size set, buffered reads, writes and IOCTLs. */
export function WDF_IO_TYPE_CONFIG_INIT(IoTypeConfig: WDF_IO_TYPE_CONFIG): void {
  IoTypeConfig.Size = 16;
  IoTypeConfig.ReadWriteIoType = WdfDeviceIoBuffered;
  IoTypeConfig.DeviceControlIoType = WdfDeviceIoBuffered;
  IoTypeConfig.DirectTransferThreshold = 0;
}

/**
 * WdfDeviceInitSetIoTypeEx: the I/O type from a WDF_IO_TYPE_CONFIG. KMDF uses ReadWriteIoType
 * (as WdfDeviceInitSetIoType does) and ignores DeviceControlIoType and DirectTransferThreshold,
 * which are UMDF's: an IOCTL's buffering comes from its METHOD_*. A structure whose Size is wrong
 * is ignored (WDF_VIOLATION 0x3 under the verifier).
 */
export function WdfDeviceInitSetIoTypeEx(DeviceInit: WDFDEVICE_INIT, IoTypeConfig: WDF_IO_TYPE_CONFIG): void {
  const t = fxEnter("WdfDeviceInitSetIoTypeEx");
  if (!initOk(t, DeviceInit, "WdfDeviceInitSetIoTypeEx")) return;
  const g = DeviceInit.globals;
  if (!fxRequired(t, g, IoTypeConfig, "WdfDeviceInitSetIoTypeEx", "IoTypeConfig")) return;
  if (!(IoTypeConfig instanceof WDF_IO_TYPE_CONFIG) || IoTypeConfig.Size !== 16) {
    if (verifierOn(t.machine, g)) fxViolation(t.machine, g, "InvalidStructureSize", `WdfDeviceInitSetIoTypeEx was given ${IoTypeConfig instanceof WDF_IO_TYPE_CONFIG ? `a WDF_IO_TYPE_CONFIG of Size ${String(IoTypeConfig.Size)} (expected 16)` : "something that is no WDF_IO_TYPE_CONFIG"}.`);
    return;
  }
  const type = IoTypeConfig.ReadWriteIoType;
  if (type !== WdfDeviceIoNeither && type !== WdfDeviceIoBuffered && type !== WdfDeviceIoDirect && type !== WdfDeviceIoBufferedOrDirect) return;
  DeviceInit.ioType = type;
}

/** WdfDeviceInitSetPowerPageable: the device's power IRPs may be handled at PASSIVE_LEVEL from pageable code (DO_POWER_PAGABLE; the framework's default for a PnP device). */
export function WdfDeviceInitSetPowerPageable(DeviceInit: WDFDEVICE_INIT): void {
  const t = fxEnter("WdfDeviceInitSetPowerPageable");
  if (!initOk(t, DeviceInit, "WdfDeviceInitSetPowerPageable")) return;
  DeviceInit.powerPaging = "pageable";
}

/** WdfDeviceInitSetPowerNotPageable: the device's power callbacks must not touch pageable memory (DO_POWER_PAGABLE clear: power IRPs may arrive at DISPATCH_LEVEL). */
export function WdfDeviceInitSetPowerNotPageable(DeviceInit: WDFDEVICE_INIT): void {
  const t = fxEnter("WdfDeviceInitSetPowerNotPageable");
  if (!initOk(t, DeviceInit, "WdfDeviceInitSetPowerNotPageable")) return;
  DeviceInit.powerPaging = "not pageable";
}

/** WdfDeviceInitSetPowerInrush: the device draws inrush current at power-up (DO_POWER_INRUSH, which implies not pageable). */
export function WdfDeviceInitSetPowerInrush(DeviceInit: WDFDEVICE_INIT): void {
  const t = fxEnter("WdfDeviceInitSetPowerInrush");
  if (!initOk(t, DeviceInit, "WdfDeviceInitSetPowerInrush")) return;
  DeviceInit.powerPaging = "inrush";
}

// ---- What WdfDeviceCreate does with them ------------------------------------------------------

/** The device object for a framework device: IoCreateDeviceSecure when the init carries an SDDL string, IoCreateDevice otherwise. */
export function createDeviceObject(_t: KThread, dev: FxDevice, init: WDFDEVICE_INIT): { status: NTSTATUS; DeviceObject: DEVICE_OBJECT<FxDevice> | null } {
  const sddl = init.sddlOverride;
  if (sddl !== null) {
    if (parseDeviceSddl(sddl) === null) return { status: STATUS_INVALID_PARAMETER, DeviceObject: null };
    return IoCreateDeviceSecure<FxDevice>(init.globals.DriverObject, dev, init.deviceName, init.deviceType, init.characteristics, init.exclusive, sddl, null);
  }
  return IoCreateDevice<FxDevice>(init.globals.DriverObject, dev, init.deviceName, init.deviceType, init.characteristics, init.exclusive);
}

/**
 * After the device object exists (and a PnP one is attached): a filter takes the lower device's
 * buffering method, device type and characteristics (so requests reach the stack as the driver
 * below expects); a PnP device's power flags are set (DO_POWER_PAGABLE unless the driver asked
 * otherwise); a control device registers for the shutdown notification it asked for.
 */
export function deviceCreated(t: KThread, dev: FxDevice, d: DEVICE_OBJECT): void {
  const init = dev.init;
  const lower = dev.lowerDevice;
  if (init.filter && lower) {
    d.Flags = (d.Flags & ~(DO_BUFFERED_IO | DO_DIRECT_IO)) | (lower.Flags & (DO_BUFFERED_IO | DO_DIRECT_IO));
    d.DeviceType = lower.DeviceType;
    d.Characteristics |= lower.Characteristics;
  }
  if (!init.control) {
    d.Flags &= ~(DO_POWER_PAGABLE | DO_POWER_INRUSH);
    if (init.powerPaging === "pageable") d.Flags |= DO_POWER_PAGABLE;
    else if (init.powerPaging === "inrush") d.Flags |= DO_POWER_INRUSH;
  }
  if (init.shutdown !== null) registerShutdown(t, dev, d);
}
