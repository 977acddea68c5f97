/**
 * Creating, naming, stacking and deleting devices (IoCreateDevice, IoCreateSymbolicLink,
 * IoAttachDeviceToDeviceStack, IoDeleteDevice).
 *
 * Every name these routines take is a PUNICODE_STRING, as in wdm.h (`RtlInitUnicodeString(&name,
 * L"\\Device\\X")`, RTL_CONSTANT_STRING), or a string standing for a literal's UNICODE_STRING; see
 * kernel/name-argument.ts for how a bad one is answered.
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
import { checkNumber, checkPointer } from "../kernel/bad-pointer.js";
import { nameArgumentText, type NameArgument } from "../kernel/name-argument.js";

function kernel(api: string): KThread {
  return currentMachine(api).kernelCall(api);
}

/**
 * IoCreateDevice: a device of `DriverObject` with `DeviceExtension` as its extension, named
 * `DeviceName` (a UNICODE_STRING or a string, e.g. "\\Device\\Sharebuf") or unnamed (null). A name
 * already taken is STATUS_OBJECT_NAME_COLLISION; one not starting with a backslash, or a
 * UNICODE_STRING with an odd Length, STATUS_OBJECT_NAME_INVALID. The device starts with DO_DEVICE_INITIALIZING, which the I/O
 * manager clears after DriverEntry (a driver clears it itself for devices made later).
 */
export function IoCreateDevice<Ext>(
  DriverObject: DRIVER_OBJECT,
  DeviceExtension: Ext,
  DeviceName: NameArgument | null,
  DeviceType: number,
  DeviceCharacteristics: number,
  Exclusive: boolean,
): { /** STATUS_SUCCESS, or why the device could not be created. */ status: NTSTATUS; /** The new device (null on failure). */ DeviceObject: DEVICE_OBJECT<Ext> | null } {
  const t = kernel("IoCreateDevice");
  checkPointer("IoCreateDevice", "DriverObject", DriverObject, DRIVER_OBJECT, "a DRIVER_OBJECT");
  DeviceType = checkNumber("IoCreateDevice", "DeviceType", DeviceType);
  DeviceCharacteristics = checkNumber("IoCreateDevice", "DeviceCharacteristics", DeviceCharacteristics);
  const name = DeviceName === null ? null : nameArgumentText("IoCreateDevice", "DeviceName", DeviceName);
  if (typeof name === "number") return { status: name, DeviceObject: null };
  const m = t.machine;
  const io = ioManager(m);
  if (name !== null && !name.startsWith("\\")) return { status: STATUS_OBJECT_NAME_INVALID, DeviceObject: null };
  if (io.injectFailure("IoCreateDevice")) return { status: 0xc000009a, DeviceObject: null };
  let flags = DO_DEVICE_INITIALIZING;
  if (Exclusive) flags |= DO_EXCLUSIVE;
  if (name) flags |= DO_DEVICE_HAS_NAME;
  const device = new DEVICE_OBJECT<Ext>(DriverObject, DeviceExtension, name, DeviceType, DeviceCharacteristics, Exclusive, flags);
  if (name !== null && !io.insertName(name, device)) return { status: STATUS_OBJECT_NAME_COLLISION, DeviceObject: null };
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

/**
 * IoCreateSymbolicLink: "\\DosDevices\\Name" (or "\\??\\Name") -> "\\Device\\Name", each a
 * UNICODE_STRING or a string. A link name already in use is STATUS_OBJECT_NAME_COLLISION; a name not
 * starting with a backslash (or with an odd Length) STATUS_OBJECT_NAME_INVALID.
 */
export function IoCreateSymbolicLink(SymbolicLinkName: NameArgument, DeviceName: NameArgument): NTSTATUS {
  return createSymbolicLink("IoCreateSymbolicLink", SymbolicLinkName, DeviceName);
}

/**
 * IoCreateUnprotectedSymbolicLink: as IoCreateSymbolicLink. On Windows the link gets a security
 * descriptor that lets any process change or delete it (for links a driver must share with user
 * mode); irpsim keeps no security on links, so the two routines behave the same.
 */
export function IoCreateUnprotectedSymbolicLink(SymbolicLinkName: NameArgument, DeviceName: NameArgument): NTSTATUS {
  return createSymbolicLink("IoCreateUnprotectedSymbolicLink", SymbolicLinkName, DeviceName);
}

function createSymbolicLink(api: string, SymbolicLinkName: NameArgument, DeviceName: NameArgument): NTSTATUS {
  const t = kernel(api);
  const linkName = nameArgumentText(api, "SymbolicLinkName", SymbolicLinkName);
  const target = nameArgumentText(api, "DeviceName", DeviceName);
  if (typeof linkName === "number") return linkName;
  if (typeof target === "number") return target;
  const m = t.machine;
  const io = ioManager(m);
  if (!linkName.startsWith("\\") || !target.startsWith("\\")) return STATUS_OBJECT_NAME_INVALID;
  const link = new SymbolicLink(linkName, target);
  if (!io.insertName(linkName, link)) return STATUS_OBJECT_NAME_COLLISION;
  if (m.trace.on) m.trace.emit("SymbolicLinkCreated", { link: linkName, target, driver: m.currentDriver() });
  if (io.hooks.length !== 0) for (const h of io.hooks) h.symbolicLink?.(linkName, true);
  return STATUS_SUCCESS;
}

/** IoDeleteSymbolicLink: removes a link (a UNICODE_STRING or a string); STATUS_OBJECT_NAME_NOT_FOUND when there is none. */
export function IoDeleteSymbolicLink(SymbolicLinkName: NameArgument): NTSTATUS {
  const t = kernel("IoDeleteSymbolicLink");
  const linkName = nameArgumentText("IoDeleteSymbolicLink", "SymbolicLinkName", SymbolicLinkName);
  if (typeof linkName === "number") return linkName;
  const m = t.machine;
  const io = ioManager(m);
  const hit = io.lookupName(linkName);
  if (!(hit instanceof SymbolicLink)) return STATUS_OBJECT_NAME_NOT_FOUND;
  io.removeName(linkName, hit);
  if (m.trace.on) m.trace.emit("SymbolicLinkDeleted", { link: linkName, driver: m.currentDriver() });
  if (io.hooks.length !== 0) for (const h of io.hooks) h.symbolicLink?.(linkName, false);
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
