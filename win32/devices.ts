/**
 * Finding devices by interface class (cfgmgr32.h): what an app uses to open a PnP device that
 * registered a device interface (WdfDeviceCreateDeviceInterface, IoRegisterDeviceInterface)
 * instead of a fixed \\.\ name. The paths are the interfaces' symbolic links as Win32 names
 * ("\\?\ROOT#KMDFECHO#0000#{guid}"), ready for CreateFile.
 *
 * As in C, the list is written into the caller's buffer as UTF-16 strings, each NUL-terminated,
 * ending in an empty one (a PZZWSTR); the size call says how many WCHARs that takes. The GUID is
 * passed as its string form ("{6e2b1c3d-…}") rather than a GUID structure.
 */
import { enabledInterfaces } from "../io-manager/pnp.js";
import { caller, service } from "./call.js";
import { writeU16, writeU32, writeWideString } from "../kernel/api-rtl.js";
import { isGiven } from "../kernel/bad-pointer.js";

/** CONFIGRET values (cfgmgr32.h): CR_SUCCESS, the call worked. */
export const CR_SUCCESS = 0x00;
/** CR_INVALID_POINTER: a required pointer was NULL, or a GUID was malformed. */
export const CR_INVALID_POINTER = 0x03;
/** CR_INVALID_FLAG: a flag the routine does not define. */
export const CR_INVALID_FLAG = 0x04;
/** CR_INVALID_DATA: an argument has a value the routine cannot use (defined for callers; the routines here answer with the others). */
export const CR_INVALID_DATA = 0x1f;
/** CR_BUFFER_SMALL: the caller's buffer cannot hold the list (ask CM_Get_Device_Interface_List_Size again: the list may have grown). */
export const CR_BUFFER_SMALL = 0x1a;
/** Flags of CM_Get_Device_Interface_List: only interfaces that are enabled now (the default). */
export const CM_GET_DEVICE_INTERFACE_LIST_PRESENT = 0x0;
/** CM_GET_DEVICE_INTERFACE_LIST_ALL_DEVICES: also interfaces of devices not present now; accepted, and the list is the same here, which keeps no interfaces of absent devices. */
export const CM_GET_DEVICE_INTERFACE_LIST_ALL_DEVICES = 0x1;

const GUID = /^\{?[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\}?$/;

function list(api: string, InterfaceClassGuid: string, pDeviceID: string | null, ulFlags: number): { cr: number; paths: string[] } {
  const t = caller(api);
  if (typeof InterfaceClassGuid !== "string" || !GUID.test(InterfaceClassGuid)) return { cr: CR_INVALID_POINTER, paths: [] };
  if (isGiven(pDeviceID) && typeof pDeviceID !== "string") return { cr: CR_INVALID_POINTER, paths: [] };
  if (typeof ulFlags !== "number" || (ulFlags & ~CM_GET_DEVICE_INTERFACE_LIST_ALL_DEVICES) !== 0) return { cr: CR_INVALID_FLAG, paths: [] };
  const links = service(t, (m) => enabledInterfaces(m, InterfaceClassGuid));
  const id = pDeviceID?.toUpperCase().replace(/\\/g, "#") ?? null;
  const paths = links
    .map((l) => `\\\\?\\${l.slice("\\??\\".length)}`)
    .filter((p) => id === null || p.toUpperCase().startsWith(`\\\\?\\${id}#`));
  return { cr: CR_SUCCESS, paths };
}

/**
 * CM_Get_Device_Interface_List_Size: stores at `pulLen` the WCHARs (each string's NUL and the
 * final empty string included) the list of the class's enabled interfaces needs.
 *
 * @returns CR_SUCCESS; CR_INVALID_POINTER for a NULL `pulLen` or a malformed GUID; CR_INVALID_FLAG.
 */
export function CM_Get_Device_Interface_List_Size(pulLen: number, InterfaceClassGuid: string, pDeviceID: string | null, ulFlags: number): number {
  if (pulLen === 0) return CR_INVALID_POINTER;
  const r = list("CM_Get_Device_Interface_List_Size", InterfaceClassGuid, pDeviceID, ulFlags);
  if (r.cr !== CR_SUCCESS) return r.cr;
  writeU32(pulLen, multiSzChars(r.paths));
  return CR_SUCCESS;
}

/**
 * CM_Get_Device_Interface_List: writes the Win32 paths of the class's enabled interfaces (of one
 * device instance when `pDeviceID` names one), for CreateFile, into `Buffer` as a list of
 * NUL-terminated UTF-16 strings ending in an empty one. `BufferLen` is in WCHARs.
 *
 * @returns CR_SUCCESS; CR_BUFFER_SMALL when the list does not fit (an interface was enabled since
 * the size call: ask again); CR_INVALID_POINTER for a NULL buffer or malformed GUID; CR_INVALID_FLAG.
 */
export function CM_Get_Device_Interface_List(InterfaceClassGuid: string, pDeviceID: string | null, Buffer: number, BufferLen: number, ulFlags: number): number {
  if (Buffer === 0 || !Number.isInteger(BufferLen) || BufferLen <= 0) return CR_INVALID_POINTER;
  const r = list("CM_Get_Device_Interface_List", InterfaceClassGuid, pDeviceID, ulFlags);
  if (r.cr !== CR_SUCCESS) return r.cr;
  if (multiSzChars(r.paths) > BufferLen) {
    writeU16(Buffer, 0);
    return CR_BUFFER_SMALL;
  }
  let p = Buffer;
  for (const path of r.paths) {
    writeWideString(p, path);
    p += (path.length + 1) * 2;
  }
  writeU16(p, 0);
  return CR_SUCCESS;
}

/** The WCHARs of a PZZWSTR holding `paths`. */
function multiSzChars(paths: readonly string[]): number {
  return paths.reduce((n, p) => n + p.length + 1, 1);
}
