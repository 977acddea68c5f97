/**
 * I/O control codes as a driver engineer reads them: the name the driver declared, and the four
 * fields CTL_CODE packed into the number — device type (bits 16-31), required access (14-15),
 * function (2-13) and transfer method (0-1).
 */
import { hex } from "./format.js";

/** The device types of the WDK's devioctl.h, by value (FILE_DEVICE_*). */
const DEVICE_TYPES: readonly string[] = [
  "", "BEEP", "CD_ROM", "CD_ROM_FILE_SYSTEM", "CONTROLLER", "DATALINK", "DFS", "DISK", "DISK_FILE_SYSTEM", "FILE_SYSTEM",
  "INPORT_PORT", "KEYBOARD", "MAILSLOT", "MIDI_IN", "MIDI_OUT", "MOUSE", "MULTI_UNC_PROVIDER", "NAMED_PIPE", "NETWORK", "NETWORK_BROWSER",
  "NETWORK_FILE_SYSTEM", "NULL", "PARALLEL_PORT", "PHYSICAL_NETCARD", "PRINTER", "SCANNER", "SERIAL_MOUSE_PORT", "SERIAL_PORT", "SCREEN", "SOUND",
  "STREAMS", "TAPE", "TAPE_FILE_SYSTEM", "TRANSPORT", "UNKNOWN", "VIDEO", "VIRTUAL_DISK", "WAVE_IN", "WAVE_OUT", "8042_PORT",
  "NETWORK_REDIRECTOR", "BATTERY", "BUS_EXTENDER", "MODEM", "VDM", "MASS_STORAGE", "SMB", "KS", "CHANGER", "SMARTCARD",
  "ACPI", "DVD", "FULLSCREEN_VIDEO", "DFS_FILE_SYSTEM", "DFS_VOLUME", "SERENUM", "TERMSRV", "KSEC", "FIPS", "INFINIBAND",
  "", "", "VMBUS", "CRYPT_PROVIDER", "WPD", "BLUETOOTH", "MT_COMPOSITE", "MT_TRANSPORT", "BIOMETRIC", "PMI",
  "EHSTOR", "DEVAPI", "GPIO", "USBEX", "", "", "", "", "", "",
  "CONSOLE", "NFP", "SYSENV", "VIRTUAL_BLOCK", "POINT_OF_SERVICE", "STORAGE_REPLICATION", "TRUST_ENV", "UCM", "UCMTCPCI", "PERSISTENT_MEMORY",
  "NVDIMM", "HOLOGRAPHIC", "SDFXHCI", "UCMUCSI",
];

const METHODS = ["METHOD_BUFFERED", "METHOD_IN_DIRECT", "METHOD_OUT_DIRECT", "METHOD_NEITHER"] as const;
const ACCESS = ["FILE_ANY_ACCESS", "FILE_READ_ACCESS", "FILE_WRITE_ACCESS", "FILE_READ_ACCESS | FILE_WRITE_ACCESS"] as const;

/** The fields of a control code. */
export interface DecodedIoctl {
  /** The whole control code. */
  readonly code: number;
  /** DEVICE_TYPE_FROM_CTL_CODE: bits 16-31. */
  readonly deviceType: number;
  /** "FILE_DEVICE_UNKNOWN", or the number in hex for a type the WDK does not name (vendor types are 0x8000 and up). */
  readonly deviceTypeName: string;
  /** The function number: bits 2-13 (2048 and up are the vendor's). */
  readonly function: number;
  /** METHOD_FROM_CTL_CODE: bits 0-1, how the buffers are passed. */
  readonly method: number;
  /** The method's name (METHOD_BUFFERED, METHOD_IN_DIRECT, METHOD_OUT_DIRECT, METHOD_NEITHER). */
  readonly methodName: (typeof METHODS)[number];
  /** The required access: bits 14-15, checked against the handle when the request is sent. */
  readonly access: number;
  /** The access's name (FILE_ANY_ACCESS, FILE_READ_ACCESS, FILE_WRITE_ACCESS, FILE_READ_ACCESS | FILE_WRITE_ACCESS). */
  readonly accessName: (typeof ACCESS)[number];
}

/** Splits a control code into CTL_CODE's four fields (DEVICE_TYPE_FROM_CTL_CODE and friends). */
export function decodeIoctl(code: number): DecodedIoctl {
  const c = code >>> 0;
  const deviceType = c >>> 16;
  const method = c & 3;
  const access = (c >>> 14) & 3;
  const known = DEVICE_TYPES[deviceType];
  return {
    code: c,
    deviceType,
    deviceTypeName: known ? `FILE_DEVICE_${known}` : `0x${deviceType.toString(16).toUpperCase()}`,
    function: (c >>> 2) & 0xfff,
    method,
    methodName: METHODS[method] ?? "METHOD_BUFFERED",
    access,
    accessName: ACCESS[access] ?? "FILE_ANY_ACCESS",
  };
}

/** "FILE_DEVICE_UNKNOWN, 0x800, METHOD_OUT_DIRECT, FILE_ANY_ACCESS": CTL_CODE's arguments. */
export function ioctlFields(code: number): string {
  const d = decodeIoctl(code);
  return `${d.deviceTypeName}, 0x${d.function.toString(16).toUpperCase()}, ${d.methodName}, ${d.accessName}`;
}

/** What a report knows of control-code names: the name for a code, or null. */
export interface IoctlNameSource {
  ioctl(code: number, driver?: string | null): string | null;
}

/**
 * A control code in words. `short`: the declared name, or the number when it has none (where a
 * line has no room); `full`: "IOCTL_SHARE_BUFFER (FILE_DEVICE_UNKNOWN, 0x800, METHOD_OUT_DIRECT,
 * FILE_ANY_ACCESS)", or "0x00222002 (…)" for a code nobody named.
 */
export function ioctlText(code: number, names: IoctlNameSource | null, form: "short" | "full", driver?: string | null): string {
  const name = names?.ioctl(code, driver) ?? null;
  if (form === "short") return name ?? hex(code);
  return `${name ?? hex(code)} (${ioctlFields(code)})`;
}

/**
 * A control code decoded for a legend: "IOCTL_SHARE_BUFFER (FILE_DEVICE_UNKNOWN, 0x800,
 * METHOD_OUT_DIRECT, FILE_ANY_ACCESS) = 0x00222002", or "0x0022204C (…)" for a code nobody named.
 */
export function ioctlLegend(code: number, names: IoctlNameSource | null, driver?: string | null): string {
  const named = (names?.ioctl(code, driver) ?? null) !== null;
  return `${ioctlText(code, names, "full", driver)}${named ? ` = ${hex(code)}` : ""}`;
}

/** The APIs whose detail's second argument is a control code (DeviceIoControl's dwIoControlCode). */
const IOCTL_APIS = new Set(["DeviceIoControl", "NtDeviceIoControlFile", "ZwDeviceIoControlFile", "NtFsControlFile", "ZwFsControlFile"]);

/**
 * An API call's detail with its control code named ("handle 4, IOCTL_SHARE_BUFFER, in 0, …"): the
 * Win32 layer writes the code as its second argument, in hex. Other calls come back unchanged.
 */
export function nameIoctlInDetail(api: string, detail: string, names: IoctlNameSource | null, form: "short" | "full"): string {
  if (!IOCTL_APIS.has(api)) return detail;
  const m = /^([^,]*, )(0x[0-9A-Fa-f]{1,8})(?=,|$)/.exec(detail);
  if (!m) return detail;
  const code = Number.parseInt(m[2] ?? "0", 16);
  return `${m[1] ?? ""}${ioctlText(code, names, form)}${detail.slice(m[0].length)}`;
}
