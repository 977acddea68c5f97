/**
 * Creating, naming, stacking and deleting devices (IoCreateDevice, IoCreateSymbolicLink,
 * IoAttachDeviceToDeviceStack, IoDeleteDevice).
 */
import { currentMachine } from "../kernel/context.js";
import type { Machine } from "../kernel/machine.js";
import { STATUS_INVALID_PARAMETER, STATUS_OBJECT_NAME_COLLISION, STATUS_OBJECT_NAME_INVALID, STATUS_OBJECT_NAME_NOT_FOUND, STATUS_SUCCESS, type NTSTATUS } from "../kernel/status.js";
import type { KThread } from "../kernel/thread.js";
import { DO_DEVICE_HAS_NAME, DO_DEVICE_INITIALIZING, DO_EXCLUSIVE } from "./constants.js";
import { DEVICE_OBJECT } from "./device-object.js";
import { DRIVER_OBJECT } from "./driver-object.js";
import { IoGetAttachedDevice } from "./call-driver.js";
import { ioManager, SymbolicLink } from "./io-manager.js";
import { badPointer, checkNumber, checkPointer } from "../kernel/bad-pointer.js";

function kernel(api: string): KThread {
  return currentMachine(api).kernelCall(api);
}

/**
 * IoCreateDevice: a device of `DriverObject` with `DeviceExtension` as its extension, named
 * `DeviceName` (e.g. "\\Device\\Sharebuf") or unnamed (null). A name already taken is
 * STATUS_OBJECT_NAME_COLLISION. The device starts with DO_DEVICE_INITIALIZING, which the I/O
 * manager clears after DriverEntry (a driver clears it itself for devices made later).
 */
export function IoCreateDevice<Ext>(
  DriverObject: DRIVER_OBJECT,
  DeviceExtension: Ext,
  DeviceName: string | null,
  DeviceType: number,
  DeviceCharacteristics: number,
  Exclusive: boolean,
): { /** STATUS_SUCCESS, or why the device could not be created. */ status: NTSTATUS; /** The new device (null on failure). */ DeviceObject: DEVICE_OBJECT<Ext> | null } {
  const t = kernel("IoCreateDevice");
  checkPointer("IoCreateDevice", "DriverObject", DriverObject, DRIVER_OBJECT, "a DRIVER_OBJECT");
  DeviceType = checkNumber("IoCreateDevice", "DeviceType", DeviceType);
  DeviceCharacteristics = checkNumber("IoCreateDevice", "DeviceCharacteristics", DeviceCharacteristics);
  if (DeviceName !== null && typeof DeviceName !== "string") badPointer("IoCreateDevice", "DeviceName", DeviceName, "a UNICODE_STRING or NULL");
  const m = t.machine;
  const io = ioManager(m);
  if (DeviceName !== null && !DeviceName.startsWith("\\")) return { status: STATUS_OBJECT_NAME_INVALID, DeviceObject: null };
  if (io.injectFailure("IoCreateDevice")) return { status: 0xc000009a, DeviceObject: null };
  let flags = DO_DEVICE_INITIALIZING;
  if (Exclusive) flags |= DO_EXCLUSIVE;
  if (DeviceName) flags |= DO_DEVICE_HAS_NAME;
  const device = new DEVICE_OBJECT<Ext>(DriverObject, DeviceExtension, DeviceName, DeviceType, DeviceCharacteristics, Exclusive, flags);
  if (DeviceName !== null && !io.insertName(DeviceName, device)) return { status: STATUS_OBJECT_NAME_COLLISION, DeviceObject: null };
  device.pointerCount = 1;
  DriverObject.liveDevices++;
  device.NextDevice = DriverObject.DeviceObject;
  DriverObject.DeviceObject = device;
  if (m.trace.on) m.trace.emit("DeviceCreated", { device: device.label, driver: DriverObject.shortName });
  if (io.hooks.length !== 0) for (const h of io.hooks) h.deviceCreated?.(device);
  return { status: STATUS_SUCCESS, DeviceObject: device };
}

/**
 * IoDeleteDevice: removes the device from its driver's list and the namespace; the object
 * itself goes when the last file object open on it closes.
 */
export function IoDeleteDevice(DeviceObject: DEVICE_OBJECT): void {
  const t = kernel("IoDeleteDevice");
  checkPointer("IoDeleteDevice", "DeviceObject", DeviceObject, DEVICE_OBJECT, "a DEVICE_OBJECT");
  const m = t.machine;
  const io = ioManager(m);
  if (DeviceObject.deletePending) return;
  DeviceObject.deletePending = true;
  if (DeviceObject.objectName) io.removeName(DeviceObject.objectName, DeviceObject);
  const driver = DeviceObject.DriverObject;
  if (driver.DeviceObject === DeviceObject) driver.DeviceObject = DeviceObject.NextDevice;
  else {
    for (let d = driver.DeviceObject; d; d = d.NextDevice) {
      if (d.NextDevice === DeviceObject) {
        d.NextDevice = DeviceObject.NextDevice;
        break;
      }
    }
  }
  DeviceObject.pointerCount--;
  if (m.trace.on) m.trace.emit("DeviceDeleted", { device: DeviceObject.label, driver: driver.shortName });
  if (DeviceObject.pointerCount <= 0) finishDeviceDeletion(m, DeviceObject);
}

/** The device object's last reference is gone. */
export function finishDeviceDeletion(m: Machine, device: DEVICE_OBJECT): void {
  if (device.deleted) return;
  device.deleted = true;
  const driver = device.DriverObject;
  driver.liveDevices--;
  unloadImageIfUnused(m, driver);
}

/**
 * After DriverUnload, the driver's image stays loaded while any of its device objects exists or
 * its driver object is referenced (a work item queued with IoQueueWorkItem references one): NT
 * unloads it when the driver object's last reference goes. Marks it unloaded then.
 */
export function unloadImageIfUnused(m: Machine, driver: DRIVER_OBJECT): void {
  if (!driver.unloaded || driver.imageUnloaded || driver.liveDevices > 0 || driver.pointerCount > 0) return;
  driver.imageUnloaded = true;
  m.unloadedImages.add(driver.shortName);
}

/** IoCreateSymbolicLink: "\\DosDevices\\Name" (or "\\??\\Name") -> "\\Device\\Name". */
export function IoCreateSymbolicLink(SymbolicLinkName: string, DeviceName: string): NTSTATUS {
  const t = kernel("IoCreateSymbolicLink");
  if (typeof SymbolicLinkName !== "string") badPointer("IoCreateSymbolicLink", "SymbolicLinkName", SymbolicLinkName, "a UNICODE_STRING");
  if (typeof DeviceName !== "string") badPointer("IoCreateSymbolicLink", "DeviceName", DeviceName, "a UNICODE_STRING");
  const m = t.machine;
  const io = ioManager(m);
  if (!SymbolicLinkName.startsWith("\\") || !DeviceName.startsWith("\\")) return STATUS_OBJECT_NAME_INVALID;
  const link = new SymbolicLink(SymbolicLinkName, DeviceName);
  if (!io.insertName(SymbolicLinkName, link)) return STATUS_OBJECT_NAME_COLLISION;
  if (m.trace.on) m.trace.emit("SymbolicLinkCreated", { link: SymbolicLinkName, target: DeviceName, driver: m.currentDriver() });
  if (io.hooks.length !== 0) for (const h of io.hooks) h.symbolicLink?.(SymbolicLinkName, true);
  return STATUS_SUCCESS;
}

/** IoDeleteSymbolicLink. */
export function IoDeleteSymbolicLink(SymbolicLinkName: string): NTSTATUS {
  const t = kernel("IoDeleteSymbolicLink");
  if (typeof SymbolicLinkName !== "string") badPointer("IoDeleteSymbolicLink", "SymbolicLinkName", SymbolicLinkName, "a UNICODE_STRING");
  const m = t.machine;
  const io = ioManager(m);
  const hit = io.lookupName(SymbolicLinkName);
  if (!(hit instanceof SymbolicLink)) return STATUS_OBJECT_NAME_NOT_FOUND;
  io.removeName(SymbolicLinkName, hit);
  if (m.trace.on) m.trace.emit("SymbolicLinkDeleted", { link: SymbolicLinkName, driver: m.currentDriver() });
  if (io.hooks.length !== 0) for (const h of io.hooks) h.symbolicLink?.(SymbolicLinkName, false);
  return STATUS_SUCCESS;
}

/**
 * IoAttachDeviceToDeviceStack: puts `SourceDevice` (a filter) on top of the stack that contains
 * `TargetDevice`; returns the device it attached to (the old top), or null.
 */
export function IoAttachDeviceToDeviceStack(SourceDevice: DEVICE_OBJECT, TargetDevice: DEVICE_OBJECT): DEVICE_OBJECT | null {
  const t = kernel("IoAttachDeviceToDeviceStack");
  checkPointer("IoAttachDeviceToDeviceStack", "SourceDevice", SourceDevice, DEVICE_OBJECT, "a DEVICE_OBJECT");
  checkPointer("IoAttachDeviceToDeviceStack", "TargetDevice", TargetDevice, DEVICE_OBJECT, "a DEVICE_OBJECT");
  if (TargetDevice.deletePending) return null;
  const top = IoGetAttachedDevice(TargetDevice);
  // A device already in a stack, or in the target's own, is not attached again: on Windows the
  // stack would loop (IoGetAttachedDevice would never return); irpsim refuses, returning NULL.
  if (SourceDevice.attachedTo !== null || SourceDevice.AttachedDevice !== null) return null;
  for (let d: DEVICE_OBJECT | null = top; d; d = d.attachedTo) if (d === SourceDevice) return null;
  top.AttachedDevice = SourceDevice;
  SourceDevice.attachedTo = top;
  SourceDevice.StackSize = top.StackSize + 1;
  SourceDevice.AlignmentRequirement = Math.max(SourceDevice.AlignmentRequirement, top.AlignmentRequirement);
  top.pointerCount++;
  if (t.machine.trace.on) t.machine.trace.emit("DeviceAttached", { device: SourceDevice.label, target: top.label, driver: SourceDevice.DriverObject.shortName });
  return top;
}

/** IoDetachDevice: detaches whatever is attached on top of `TargetDevice`. */
export function IoDetachDevice(TargetDevice: DEVICE_OBJECT): void {
  kernel("IoDetachDevice");
  checkPointer("IoDetachDevice", "TargetDevice", TargetDevice, DEVICE_OBJECT, "a DEVICE_OBJECT");
  const above = TargetDevice.AttachedDevice;
  if (!above) return;
  above.attachedTo = null;
  TargetDevice.AttachedDevice = null;
  TargetDevice.pointerCount--;
}

/** IoGetDeviceObjectPointer's failure for a name that does not resolve. */
export const STATUS_DEVICE_NAME_NOT_FOUND = STATUS_OBJECT_NAME_NOT_FOUND;
export { STATUS_INVALID_PARAMETER };
