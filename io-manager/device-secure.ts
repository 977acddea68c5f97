/**
 * IoCreateDeviceSecure (wdmsec.h) and the security descriptors it gives device objects: the SDDL
 * string governs who may open the device (an open from user mode is checked against it with the
 * opener's process token: see kernel/security.ts for what is modelled).
 */
import { currentMachine } from "../kernel/context.js";
import { unicodeStringText, type UNICODE_STRING } from "../kernel/rtl-string.js";
import { parseDeviceSddl, type SecurityDescriptor } from "../kernel/security.js";
import { STATUS_INVALID_PARAMETER, type NTSTATUS } from "../kernel/status.js";
import { IoCreateDevice } from "./device.js";
import type { DEVICE_OBJECT } from "./device-object.js";
import type { DRIVER_OBJECT } from "./driver-object.js";

// ---- The SDDL strings wdmsec.h defines ----
/** Kernel-mode code only: no user-mode open succeeds. */
export const SDDL_DEVOBJ_KERNEL_ONLY = "D:P";
/** The INF's security applies (here: the same as KERNEL_ONLY, as wdmsec defines it). */
export const SDDL_DEVOBJ_INF_SUPPLIED = SDDL_DEVOBJ_KERNEL_ONLY;
/** SDDL_DEVOBJ_SYS_ALL: only the system (kernel and services as LocalSystem) may open the device. */
export const SDDL_DEVOBJ_SYS_ALL = "D:P(A;;GA;;;SY)";
/** SDDL_DEVOBJ_SYS_ALL_ADM_ALL: the system and administrators get every right; nobody else may open it. */
export const SDDL_DEVOBJ_SYS_ALL_ADM_ALL = "D:P(A;;GA;;;SY)(A;;GA;;;BA)";
/** SDDL_DEVOBJ_SYS_ALL_ADM_RX: the system gets every right, administrators read and execute. */
export const SDDL_DEVOBJ_SYS_ALL_ADM_RX = "D:P(A;;GA;;;SY)(A;;GRGX;;;BA)";
/** SDDL_DEVOBJ_SYS_ALL_ADM_RWX_WORLD_R: the system everything, administrators read/write/execute, everyone read. */
export const SDDL_DEVOBJ_SYS_ALL_ADM_RWX_WORLD_R = "D:P(A;;GA;;;SY)(A;;GRGWGX;;;BA)(A;;GR;;;WD)";
/** SDDL_DEVOBJ_SYS_ALL_ADM_RWX_WORLD_R_RES_R: as …_WORLD_R, and restricted code read too. */
export const SDDL_DEVOBJ_SYS_ALL_ADM_RWX_WORLD_R_RES_R = "D:P(A;;GA;;;SY)(A;;GRGWGX;;;BA)(A;;GR;;;WD)(A;;GR;;;RC)";
/** SDDL_DEVOBJ_SYS_ALL_ADM_RWX_WORLD_RW_RES_R: the system everything, administrators read/write/execute, everyone read/write, restricted code read. */
export const SDDL_DEVOBJ_SYS_ALL_ADM_RWX_WORLD_RW_RES_R = "D:P(A;;GA;;;SY)(A;;GRGWGX;;;BA)(A;;GRGW;;;WD)(A;;GR;;;RC)";
/** SDDL_DEVOBJ_SYS_ALL_ADM_RWX_WORLD_RWX_RES_RWX: the system everything; administrators, everyone and restricted code read/write/execute. */
export const SDDL_DEVOBJ_SYS_ALL_ADM_RWX_WORLD_RWX_RES_RWX = "D:P(A;;GA;;;SY)(A;;GRGWGX;;;BA)(A;;GRGWGX;;;WD)(A;;GRGWGX;;;RC)";

const descriptors = new WeakMap<DEVICE_OBJECT, SecurityDescriptor>();

/** The security descriptor IoCreateDeviceSecure gave a device, or undefined (IoCreateDevice's default lets everyone open it). */
export function deviceSecurity(device: DEVICE_OBJECT): SecurityDescriptor | undefined {
  return descriptors.get(device);
}

/**
 * IoCreateDeviceSecure: IoCreateDevice with a security descriptor from DefaultSDDLString (a string
 * or a UNICODE_STRING; the SDDL_DEVOBJ_* strings, or your own "D:P(A;;GA;;;SY)…"). Only a DACL of
 * allow and deny ACEs is accepted, as the routine's SDDL subset allows; anything else is
 * STATUS_INVALID_PARAMETER and no device is created. From then on a user-mode open of the device
 * (of its own name, or of any name under it when DeviceCharacteristics has FILE_DEVICE_SECURE_OPEN)
 * that the DACL does not grant to the opener's token fails with STATUS_ACCESS_DENIED
 * (ERROR_ACCESS_DENIED from CreateFile) before the driver sees IRP_MJ_CREATE. Kernel-mode opens are
 * not checked. DeviceClassGuid is accepted (irpsim has no class registry to override the SDDL).
 */
export function IoCreateDeviceSecure<Ext>(
  DriverObject: DRIVER_OBJECT,
  DeviceExtension: Ext,
  DeviceName: string | UNICODE_STRING | null,
  DeviceType: number,
  DeviceCharacteristics: number,
  Exclusive: boolean,
  DefaultSDDLString: string | UNICODE_STRING,
  _DeviceClassGuid: string | null,
): { /** STATUS_SUCCESS, STATUS_INVALID_PARAMETER for an SDDL string irpsim cannot read, or IoCreateDevice's failures. */ status: NTSTATUS; /** The new device object, or null on failure. */ DeviceObject: DEVICE_OBJECT<Ext> | null } {
  currentMachine("IoCreateDeviceSecure").kernelCall("IoCreateDeviceSecure");
  const sddl = typeof DefaultSDDLString === "string" ? DefaultSDDLString : unicodeStringText(DefaultSDDLString);
  const sd = parseDeviceSddl(sddl);
  if (!sd) return { status: STATUS_INVALID_PARAMETER, DeviceObject: null };
  const r = IoCreateDevice(DriverObject, DeviceExtension, DeviceName, DeviceType, DeviceCharacteristics, Exclusive);
  if (r.DeviceObject) descriptors.set(r.DeviceObject, sd);
  return r;
}
