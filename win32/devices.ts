/**
 * Finding devices by interface class (cfgmgr32.h): what an app uses to open a PnP device that
 * registered a device interface (WdfDeviceCreateDeviceInterface, IoRegisterDeviceInterface)
 * instead of a fixed \\.\ name. The paths are the interfaces' symbolic links as Win32 names
 * ("\\?\ROOT#KMDFECHO#0000#{guid}"), ready for CreateFile.
 *
 * C returns the list as one buffer of NUL-terminated strings ending in an empty one; here it is
 * an array of strings (the size call returns the characters the C buffer would need).
 */
import { enabledInterfaces } from "../io-manager/pnp.js";
import { caller, service } from "./call.js";

/** CONFIGRET values. */
export const CR_SUCCESS = 0x00;
export const CR_INVALID_POINTER = 0x03;
export const CR_INVALID_FLAG = 0x04;
export const CR_INVALID_DATA = 0x1f;
/** Flags of CM_Get_Device_Interface_List: only interfaces that are enabled now (the default). */
export const CM_GET_DEVICE_INTERFACE_LIST_PRESENT = 0x0;
export const CM_GET_DEVICE_INTERFACE_LIST_ALL_DEVICES = 0x1;

const GUID = /^\{?[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\}?$/;

function list(api: string, InterfaceClassGuid: string, pDeviceID: string | null, ulFlags: number): { cr: number; paths: string[] } {
  const t = caller(api);
  if (typeof InterfaceClassGuid !== "string" || !GUID.test(InterfaceClassGuid)) return { cr: CR_INVALID_POINTER, paths: [] };
  if ((ulFlags & ~CM_GET_DEVICE_INTERFACE_LIST_ALL_DEVICES) !== 0) return { cr: CR_INVALID_FLAG, paths: [] };
  const links = service(t, (m) => enabledInterfaces(m, InterfaceClassGuid));
  const id = pDeviceID?.toUpperCase().replace(/\\/g, "#") ?? null;
  const paths = links
    .map((l) => `\\\\?\\${l.slice("\\??\\".length)}`)
    .filter((p) => id === null || p.toUpperCase().startsWith(`\\\\?\\${id}#`));
  return { cr: CR_SUCCESS, paths };
}

/**
 * CM_Get_Device_Interface_List_Size: the characters (WCHARs) the list of the class's enabled
 * interfaces needs, with each string's NUL and the final empty string.
 */
export function CM_Get_Device_Interface_List_Size(InterfaceClassGuid: string, pDeviceID: string | null, ulFlags: number): { cr: number; Len: number } {
  const r = list("CM_Get_Device_Interface_List_Size", InterfaceClassGuid, pDeviceID, ulFlags);
  return { cr: r.cr, Len: r.paths.reduce((n, p) => n + p.length + 1, 1) };
}

/**
 * CM_Get_Device_Interface_List: the Win32 paths of the enabled interfaces of a class (of one
 * device instance when `pDeviceID` names one), for CreateFile.
 */
export function CM_Get_Device_Interface_List(InterfaceClassGuid: string, pDeviceID: string | null, ulFlags: number): { cr: number; Buffer: string[] } {
  const r = list("CM_Get_Device_Interface_List", InterfaceClassGuid, pDeviceID, ulFlags);
  return { cr: r.cr, Buffer: r.paths };
}
