/**
 * The version of Windows the emulated machine reports: Windows 10, version 22H2 (10.0.19045),
 * a workstation. Drivers ask with RtlGetVersion to choose between code paths.
 */
import { checkPointer } from "./bad-pointer.js";
import { currentMachine } from "./context.js";
import { STATUS_INVALID_PARAMETER, STATUS_SUCCESS, type NTSTATUS } from "./status.js";

/** VER_PLATFORM_WIN32_NT. */
export const VER_PLATFORM_WIN32_NT = 2;
/** VER_NT_WORKSTATION: wProductType of a client edition. */
export const VER_NT_WORKSTATION = 1;
/** VER_SUITE_SINGLEUSERTS: one interactive session (a client edition's suite). */
export const VER_SUITE_SINGLEUSERTS = 0x100;

/** RTL_OSVERSIONINFOW; set dwOSVersionInfoSize to RTL_OSVERSIONINFOW.size before the call. */
export class RTL_OSVERSIONINFOW {
  /** sizeof(RTL_OSVERSIONINFOW): 276 bytes. */
  static readonly size: number = 276;
  /** The structure's size, which the caller sets (RTL_OSVERSIONINFOW.size or RTL_OSVERSIONINFOEXW.size). */
  dwOSVersionInfoSize = 0;
  /** The major version (10). */
  dwMajorVersion = 0;
  /** The minor version (0). */
  dwMinorVersion = 0;
  /** The build number (19045). */
  dwBuildNumber = 0;
  /** VER_PLATFORM_WIN32_NT. */
  dwPlatformId = 0;
  /** The latest service pack installed ("" : none). */
  szCSDVersion = "";
}

/** RTL_OSVERSIONINFOEXW: RTL_OSVERSIONINFOW with the service pack numbers, suite and product type. */
export class RTL_OSVERSIONINFOEXW extends RTL_OSVERSIONINFOW {
  /** sizeof(RTL_OSVERSIONINFOEXW): 284 bytes. */
  static override readonly size: number = 284;
  /** The service pack's major number. */
  wServicePackMajor = 0;
  /** The service pack's minor number. */
  wServicePackMinor = 0;
  /** VER_SUITE_* bits. */
  wSuiteMask = 0;
  /** VER_NT_WORKSTATION, VER_NT_DOMAIN_CONTROLLER or VER_NT_SERVER. */
  wProductType = 0;
  /** Reserved. */
  wReserved = 0;
}

/**
 * RtlGetVersion: fills in the version (10.0.19045, VER_PLATFORM_WIN32_NT; with the EX form, a
 * workstation with no service pack). STATUS_INVALID_PARAMETER when dwOSVersionInfoSize is neither
 * structure's size, as NT checks it.
 */
export function RtlGetVersion(lpVersionInformation: RTL_OSVERSIONINFOW): NTSTATUS {
  currentMachine("RtlGetVersion").currentThread("RtlGetVersion");
  checkPointer("RtlGetVersion", "lpVersionInformation", lpVersionInformation, RTL_OSVERSIONINFOW, "an RTL_OSVERSIONINFOW");
  const v = lpVersionInformation;
  const ex = v instanceof RTL_OSVERSIONINFOEXW && v.dwOSVersionInfoSize === RTL_OSVERSIONINFOEXW.size;
  if (v.dwOSVersionInfoSize !== RTL_OSVERSIONINFOW.size && !ex) return STATUS_INVALID_PARAMETER;
  v.dwMajorVersion = 10;
  v.dwMinorVersion = 0;
  v.dwBuildNumber = 19045;
  v.dwPlatformId = VER_PLATFORM_WIN32_NT;
  v.szCSDVersion = "";
  if (ex) {
    v.wServicePackMajor = 0;
    v.wServicePackMinor = 0;
    v.wSuiteMask = VER_SUITE_SINGLEUSERTS;
    v.wProductType = VER_NT_WORKSTATION;
  }
  return STATUS_SUCCESS;
}
