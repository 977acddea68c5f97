/**
 * The registry functions apps call (advapi32, winreg.h): RegOpenKeyExW/A, RegCreateKeyExW,
 * RegQueryValueExW/A, RegGetValueW, RegSetValueExW, RegDeleteValueW, RegDeleteKeyW,
 * RegEnumKeyExW, RegEnumValueW, RegCloseKey, over the native registry API (ntdll/registry.ts).
 *
 * As on Windows, every Reg* function returns its Win32 error code (an LSTATUS: ERROR_SUCCESS, or
 * RtlNtStatusToDosError of the failing status) and leaves the thread's last error alone. The
 * predefined keys HKEY_LOCAL_MACHINE (\Registry\Machine), HKEY_CURRENT_USER (\Registry\User\<the
 * process's user SID>), HKEY_USERS (\Registry\User) and HKEY_CLASSES_ROOT
 * (\Registry\Machine\Software\Classes) are opened on first use and kept for the process, as
 * advapi32 caches them. Pointers (lpData, lpcbData, lpType, phkResult…) are addresses in the
 * app's memory or, for a DWORD or HKEY out-parameter, a local `{ value }`; a bad one is
 * ERROR_NOACCESS, as the system service's probe makes it.
 */
import { MAXIMUM_ALLOWED, DELETE } from "../kernel/access-rights.js";
import { InitializeObjectAttributes, OBJ_CASE_INSENSITIVE, OBJECT_ATTRIBUTES } from "../kernel/object-attributes.js";
import { REG_EXPAND_SZ, REG_MULTI_SZ, REG_SZ, REG_BINARY, REG_DWORD, REG_QWORD, REG_NONE, KEY_READ, KEY_ALL_ACCESS, registryOf, utf16Text, regSzBytes } from "../kernel/registry.js";
import { KeyBasicInformation, KeyValueBasicInformation, KeyValuePartialInformation, REG_OPTION_VOLATILE, REG_OPENED_EXISTING_KEY, REG_CREATED_NEW_KEY } from "../kernel/reg-services.js";
import { RtlInitUnicodeString, UNICODE_STRING } from "../kernel/rtl-string.js";
import { processToken } from "../kernel/security.js";
import { NT_SUCCESS, STATUS_BUFFER_OVERFLOW, STATUS_SUCCESS, type NTSTATUS } from "../kernel/status.js";
import { NtStatusError } from "../kernel/nt-status-error.js";
import type { KThread } from "../kernel/thread.js";
import type { InOut } from "../kernel/apc.js";
import { RtlNtStatusToDosError } from "../ntdll/dos-error.js";
import { ntClose } from "../ntdll/file.js";
import { ntCloseKeyHandle, ntCreateKey, ntDeleteKey, ntDeleteValueKey, ntEnumerateKey, ntEnumerateValueKey, ntOpenKey, ntQueryValueKey, ntSetValueKey } from "../ntdll/registry.js";
import { caller, probeUser } from "./call.js";
import { ERROR_INVALID_HANDLE, ERROR_INVALID_PARAMETER, ERROR_MORE_DATA, ERROR_SUCCESS } from "./errors.js";

// ---- Constants (winreg.h, winerror.h) ----------------------------------------------------------

/** HKEY_CLASSES_ROOT: \Registry\Machine\Software\Classes. */
export const HKEY_CLASSES_ROOT = 0x80000000;
/** HKEY_CURRENT_USER: the process's user's key, \Registry\User\<SID>. */
export const HKEY_CURRENT_USER = 0x80000001;
/** HKEY_LOCAL_MACHINE: \Registry\Machine. */
export const HKEY_LOCAL_MACHINE = 0x80000002;
/** HKEY_USERS: \Registry\User. */
export const HKEY_USERS = 0x80000003;

/** ERROR_NO_MORE_ITEMS: an enumeration's index is past the last item. */
export const ERROR_NO_MORE_ITEMS = 259;
/** ERROR_KEY_DELETED: the key was deleted while this handle was open. */
export const ERROR_KEY_DELETED = 1018;
/** ERROR_CHILD_MUST_BE_VOLATILE: a non-volatile key cannot be created under a volatile one. */
export const ERROR_CHILD_MUST_BE_VOLATILE = 1021;
/** ERROR_UNSUPPORTED_TYPE: RegGetValue found a value of a type dwFlags does not allow. */
export const ERROR_UNSUPPORTED_TYPE = 1630;
/** ERROR_DATATYPE_MISMATCH: RegGetValue's RRF_RT_DWORD / RRF_RT_QWORD found a REG_BINARY of the wrong size. */
export const ERROR_DATATYPE_MISMATCH = 1629;

/** RRF_RT_REG_NONE: RegGetValue accepts REG_NONE. */
export const RRF_RT_REG_NONE = 0x00000001;
/** RRF_RT_REG_SZ: accepts REG_SZ. */
export const RRF_RT_REG_SZ = 0x00000002;
/** RRF_RT_REG_EXPAND_SZ: accepts REG_EXPAND_SZ (with RRF_NOEXPAND only). */
export const RRF_RT_REG_EXPAND_SZ = 0x00000004;
/** RRF_RT_REG_BINARY: accepts REG_BINARY. */
export const RRF_RT_REG_BINARY = 0x00000008;
/** RRF_RT_REG_DWORD: accepts REG_DWORD. */
export const RRF_RT_REG_DWORD = 0x00000010;
/** RRF_RT_REG_MULTI_SZ: accepts REG_MULTI_SZ. */
export const RRF_RT_REG_MULTI_SZ = 0x00000020;
/** RRF_RT_REG_QWORD: accepts REG_QWORD. */
export const RRF_RT_REG_QWORD = 0x00000040;
/** RRF_RT_DWORD: REG_DWORD, or a REG_BINARY of four bytes. */
export const RRF_RT_DWORD = 0x00000018;
/** RRF_RT_QWORD: REG_QWORD, or a REG_BINARY of eight bytes. */
export const RRF_RT_QWORD = 0x00000048;
/** RRF_RT_ANY: any type. */
export const RRF_RT_ANY = 0x0000ffff;
/** RRF_NOEXPAND: give a REG_EXPAND_SZ as stored, unexpanded. */
export const RRF_NOEXPAND = 0x10000000;
/** RRF_ZEROONFAILURE: zero pvData when the function fails. */
export const RRF_ZEROONFAILURE = 0x20000000;

/** An HKEY out-parameter or a DWORD in/out-parameter: an address in the app's memory, or a local `{ value }`. */
export type LPDWORD = number | InOut<number>;

// ---- Handles ------------------------------------------------------------------------------------

const PREDEFINED_SLOT = "advapi32.predefined";

function predefinedPath(t: KThread, hKey: number): string | null {
  switch (hKey >>> 0) {
    case HKEY_LOCAL_MACHINE:
      return "\\Registry\\Machine";
    case HKEY_USERS:
      return "\\Registry\\User";
    case HKEY_CURRENT_USER: {
      // The user's hive is loaded at logon: here, when the process first asks for it.
      const path = `\\Registry\\User\\${processToken(t.currentProcess).user}`;
      registryOf(t.machine).ensure(path);
      return path;
    }
    case HKEY_CLASSES_ROOT: {
      const path = "\\Registry\\Machine\\Software\\Classes";
      registryOf(t.machine).ensure(path);
      return path;
    }
    default:
      return null;
  }
}

function objectAttributes(name: string, root: number, attributes = 0): OBJECT_ATTRIBUTES {
  const oa = new OBJECT_ATTRIBUTES();
  const us = new UNICODE_STRING();
  if (name !== "") RtlInitUnicodeString(us, name);
  InitializeObjectAttributes(oa, name === "" ? null : us, OBJ_CASE_INSENSITIVE | attributes, root, null);
  return oa;
}

/** The NT handle behind an HKEY: a predefined key's (opened once per process), or the handle itself. */
function ntKey(t: KThread, hKey: number): { status: NTSTATUS; handle: number } {
  if (typeof hKey !== "number") return { status: 0xc0000008, handle: 0 };
  const path = predefinedPath(t, hKey);
  if (path === null) return { status: STATUS_SUCCESS, handle: hKey };
  let cache = t.currentProcess.slots.get(PREDEFINED_SLOT) as Map<number, number> | undefined;
  if (!cache) {
    cache = new Map();
    t.currentProcess.slots.set(PREDEFINED_SLOT, cache);
  }
  const cached = cache.get(hKey >>> 0);
  if (cached !== undefined) return { status: STATUS_SUCCESS, handle: cached };
  const h = { value: 0 };
  const status = ntOpenKey(t, h, MAXIMUM_ALLOWED, objectAttributes(path, 0));
  if (!NT_SUCCESS(status)) return { status, handle: 0 };
  cache.set(hKey >>> 0, h.value);
  return { status, handle: h.value };
}

const win32 = (status: NTSTATUS): number => (NT_SUCCESS(status) && status !== STATUS_BUFFER_OVERFLOW ? ERROR_SUCCESS : RtlNtStatusToDosError(status));

/** Runs a Reg* body, turning a fault on the app's pointers into ERROR_NOACCESS (the probe's status). */
function guarded(fn: () => number): number {
  try {
    return fn();
  } catch (e) {
    if (e instanceof NtStatusError) return RtlNtStatusToDosError(e.status);
    throw e;
  }
}

function readDword(t: KThread, p: LPDWORD): number {
  if (typeof p === "number") {
    probeUser(p, 4);
    return t.machine.mmu.readU32(p);
  }
  if (typeof p !== "object" || (p as unknown) === null) throw new NtStatusError(0xc0000005);
  return p.value >>> 0;
}

function writeDword(t: KThread, p: LPDWORD, v: number): void {
  if (typeof p === "number") {
    probeUser(p, 4);
    t.machine.mmu.writeU32(p, v >>> 0);
  } else if (typeof p === "object" && (p as unknown) !== null) p.value = v >>> 0;
  else throw new NtStatusError(0xc0000005);
}

function writeUserBytes(t: KThread, address: number, bytes: Uint8Array): void {
  if (bytes.length === 0) return;
  probeUser(address, bytes.length);
  t.machine.mmu.writeBytes(address, bytes);
}

// ---- Open, create, close, delete --------------------------------------------------------------

/**
 * RegOpenKeyExW: opens the subkey lpSubKey of hKey (NULL or "" opens hKey again) with samDesired;
 * the handle at phkResult. ERROR_FILE_NOT_FOUND when it does not exist, ERROR_ACCESS_DENIED for
 * write access under HKEY_LOCAL_MACHINE from a standard user, ERROR_INVALID_HANDLE for a bad hKey.
 */
export function RegOpenKeyExW(hKey: number, lpSubKey: string | null, _ulOptions: number, samDesired: number, phkResult: LPDWORD): number {
  const t = caller("RegOpenKeyExW");
  return openSubkey(t, hKey, lpSubKey, samDesired, phkResult);
}

/** RegOpenKeyExA: RegOpenKeyExW with an ANSI name (names are the same strings here). */
export function RegOpenKeyExA(hKey: number, lpSubKey: string | null, _ulOptions: number, samDesired: number, phkResult: LPDWORD): number {
  const t = caller("RegOpenKeyExA");
  return openSubkey(t, hKey, lpSubKey, samDesired, phkResult);
}

function openSubkey(t: KThread, hKey: number, lpSubKey: string | null, samDesired: number, phkResult: LPDWORD): number {
  if ((phkResult as unknown) === null || phkResult === 0) return ERROR_INVALID_PARAMETER;
  return guarded(() => {
    const k = ntKey(t, hKey);
    if (!NT_SUCCESS(k.status)) return win32(k.status);
    const h = { value: 0 };
    const status = ntOpenKey(t, h, samDesired, objectAttributes(lpSubKey ?? "", k.handle));
    if (!NT_SUCCESS(status)) return win32(status);
    writeDword(t, phkResult, h.value);
    return ERROR_SUCCESS;
  });
}

/**
 * RegCreateKeyExW: opens lpSubKey of hKey, creating it and every missing key on the way
 * (advapi32 creates the path component by component); lpdwDisposition receives
 * REG_CREATED_NEW_KEY or REG_OPENED_EXISTING_KEY. dwOptions REG_OPTION_VOLATILE makes volatile
 * keys. Returns the Win32 error.
 */
export function RegCreateKeyExW(
  hKey: number,
  lpSubKey: string,
  _Reserved: number,
  lpClass: string | null,
  dwOptions: number,
  samDesired: number,
  _lpSecurityAttributes: null,
  phkResult: LPDWORD,
  lpdwDisposition: LPDWORD | null,
): number {
  const t = caller("RegCreateKeyExW");
  if ((phkResult as unknown) === null || phkResult === 0 || typeof lpSubKey !== "string") return ERROR_INVALID_PARAMETER;
  return guarded(() => {
    const k = ntKey(t, hKey);
    if (!NT_SUCCESS(k.status)) return win32(k.status);
    const parts = lpSubKey.split("\\").filter((p) => p !== "");
    let parent = k.handle;
    let disposition = REG_OPENED_EXISTING_KEY;
    const opened: number[] = [];
    try {
      if (parts.length === 0) {
        const h = { value: 0 };
        const s = ntOpenKey(t, h, samDesired, objectAttributes("", parent));
        if (!NT_SUCCESS(s)) return win32(s);
        writeDword(t, phkResult, h.value);
        if (lpdwDisposition !== null && lpdwDisposition !== 0) writeDword(t, lpdwDisposition, REG_OPENED_EXISTING_KEY);
        return ERROR_SUCCESS;
      }
      for (let i = 0; i < parts.length; i++) {
        const last = i === parts.length - 1;
        const h = { value: 0 };
        const d = { value: 0 };
        const s = ntCreateKey(t, h, last ? samDesired : KEY_ALL_ACCESS & ~DELETE, objectAttributes(parts[i] ?? "", parent), 0, last && lpClass ? lpClass : null, dwOptions & REG_OPTION_VOLATILE, d);
        if (!NT_SUCCESS(s)) return win32(s);
        if (last) {
          disposition = d.value;
          writeDword(t, phkResult, h.value);
        } else {
          opened.push(h.value);
          parent = h.value;
        }
      }
      if (lpdwDisposition !== null && lpdwDisposition !== 0) writeDword(t, lpdwDisposition, disposition === REG_CREATED_NEW_KEY ? REG_CREATED_NEW_KEY : REG_OPENED_EXISTING_KEY);
      return ERROR_SUCCESS;
    } finally {
      // The intermediate handles are advapi32's own: closed before returning (no IRP can follow a key close).
      for (const h of opened) ntCloseKeyHandle(t, h);
    }
  });
}

/** RegCloseKey: closes a key handle (a predefined key's cached handle too); ERROR_INVALID_HANDLE for one that is not open. */
export async function RegCloseKey(hKey: number): Promise<number> {
  const t = caller("RegCloseKey");
  if (typeof hKey !== "number") return ERROR_INVALID_HANDLE;
  const cache = t.currentProcess.slots.get(PREDEFINED_SLOT) as Map<number, number> | undefined;
  if (predefinedPath(t, hKey) !== null) {
    const h = cache?.get(hKey >>> 0);
    cache?.delete(hKey >>> 0);
    if (h !== undefined) await ntClose(t, h);
    return ERROR_SUCCESS;
  }
  return win32(await ntClose(t, hKey));
}

/**
 * RegDeleteKeyW: deletes the subkey lpSubKey of hKey, which must have no subkeys of its own
 * (ERROR_ACCESS_DENIED otherwise, as STATUS_CANNOT_DELETE maps); ERROR_FILE_NOT_FOUND when it does
 * not exist. A NULL lpSubKey is ERROR_INVALID_PARAMETER.
 */
export function RegDeleteKeyW(hKey: number, lpSubKey: string): Promise<number> {
  const t = caller("RegDeleteKeyW");
  if (typeof lpSubKey !== "string") return Promise.resolve(ERROR_INVALID_PARAMETER);
  const k = ntKey(t, hKey);
  if (!NT_SUCCESS(k.status)) return Promise.resolve(win32(k.status));
  const h = { value: 0 };
  const s = ntOpenKey(t, h, DELETE, objectAttributes(lpSubKey, k.handle));
  if (!NT_SUCCESS(s)) return Promise.resolve(win32(s));
  const d = ntDeleteKey(t, h.value);
  return ntClose(t, h.value).then(() => win32(d));
}

// ---- Values -------------------------------------------------------------------------------------

/** The value's type and bytes, or the failing status (read into advapi32's own buffer, grown as needed). */
function readValue(t: KThread, handle: number, name: string): { status: NTSTATUS; type: number; data: Uint8Array } {
  let size = 64;
  for (;;) {
    const buf = new Uint8Array(size);
    const len = { value: 0 };
    const s = ntQueryValueKey(t, handle, name, KeyValuePartialInformation, buf, size, len);
    if (s === STATUS_BUFFER_OVERFLOW) {
      size = len.value;
      continue;
    }
    if (!NT_SUCCESS(s)) return { status: s, type: REG_NONE, data: new Uint8Array(0) };
    const v = new DataView(buf.buffer);
    return { status: s, type: v.getUint32(4, true), data: buf.slice(12, 12 + v.getUint32(8, true)) };
  }
}

function queryValueEx(t: KThread, hKey: number, lpValueName: string | null, lpType: LPDWORD | null, lpData: number | null, lpcbData: LPDWORD | null, ansi: boolean): number {
  if (lpData !== null && lpData !== 0 && (lpcbData === null || lpcbData === 0)) return ERROR_INVALID_PARAMETER;
  return guarded(() => {
    const k = ntKey(t, hKey);
    if (!NT_SUCCESS(k.status)) return win32(k.status);
    const r = readValue(t, k.handle, lpValueName ?? "");
    if (!NT_SUCCESS(r.status)) return win32(r.status);
    let data = r.data;
    if (ansi && (r.type === REG_SZ || r.type === REG_EXPAND_SZ || r.type === REG_MULTI_SZ)) {
      data = new Uint8Array(data.length >>> 1);
      for (let i = 0; i < data.length; i++) data[i] = (r.data[2 * i] ?? 0) | ((r.data[2 * i + 1] ?? 0) !== 0 ? 0x3f : 0);
    }
    if (lpType !== null && lpType !== 0) writeDword(t, lpType, r.type);
    if (lpcbData === null || lpcbData === 0) return ERROR_SUCCESS;
    if (lpData === null || lpData === 0) {
      writeDword(t, lpcbData, data.length);
      return ERROR_SUCCESS;
    }
    const room = readDword(t, lpcbData);
    writeDword(t, lpcbData, data.length);
    if (room < data.length) return ERROR_MORE_DATA;
    writeUserBytes(t, lpData, data);
    return ERROR_SUCCESS;
  });
}

/**
 * RegQueryValueExW: the type (at lpType) and data (at lpData, *lpcbData bytes of room) of the value
 * lpValueName (NULL or "" is the key's default value). With lpData NULL, *lpcbData receives the
 * size needed; with too little room, ERROR_MORE_DATA and the size needed in *lpcbData; no such
 * value, ERROR_FILE_NOT_FOUND. A REG_SZ is returned as stored (a string stored without its NUL
 * comes back without one, as Windows warns). lpData without lpcbData is ERROR_INVALID_PARAMETER.
 */
export function RegQueryValueExW(hKey: number, lpValueName: string | null, _lpReserved: null, lpType: LPDWORD | null, lpData: number | null, lpcbData: LPDWORD | null): number {
  return queryValueEx(caller("RegQueryValueExW"), hKey, lpValueName, lpType, lpData, lpcbData, false);
}

/** RegQueryValueExA: RegQueryValueExW, with string data converted to ANSI (one byte a character; sizes in bytes of that). */
export function RegQueryValueExA(hKey: number, lpValueName: string | null, _lpReserved: null, lpType: LPDWORD | null, lpData: number | null, lpcbData: LPDWORD | null): number {
  return queryValueEx(caller("RegQueryValueExA"), hKey, lpValueName, lpType, lpData, lpcbData, true);
}

/**
 * RegSetValueExW: creates or replaces the value lpValueName with cbData bytes at lpData, of type
 * dwType. ERROR_ACCESS_DENIED through a handle opened without KEY_SET_VALUE.
 */
export function RegSetValueExW(hKey: number, lpValueName: string | null, _Reserved: number, dwType: number, lpData: number | null, cbData: number): number {
  const t = caller("RegSetValueExW");
  return guarded(() => {
    const k = ntKey(t, hKey);
    if (!NT_SUCCESS(k.status)) return win32(k.status);
    return win32(ntSetValueKey(t, k.handle, lpValueName ?? "", 0, dwType, lpData ?? 0, lpData === null ? 0 : cbData));
  });
}

/** RegDeleteValueW: removes a value; ERROR_FILE_NOT_FOUND when there is none. */
export function RegDeleteValueW(hKey: number, lpValueName: string | null): number {
  const t = caller("RegDeleteValueW");
  return guarded(() => {
    const k = ntKey(t, hKey);
    if (!NT_SUCCESS(k.status)) return win32(k.status);
    return win32(ntDeleteValueKey(t, k.handle, lpValueName ?? ""));
  });
}

/** REG_EXPAND_SZ expansion with the process environment's usual variables. */
function expandEnvironment(text: string): string {
  const env: Record<string, string> = { SYSTEMROOT: "C:\\Windows", WINDIR: "C:\\Windows", SYSTEMDRIVE: "C:", PROGRAMFILES: "C:\\Program Files" };
  return text.replace(/%([^%]+)%/g, (all, name: string) => env[name.toUpperCase()] ?? all);
}

/**
 * RegGetValueW: the value lpValue of hkey's subkey lpSubKey (NULL: hkey itself), restricted to the
 * types dwFlags' RRF_RT_* bits allow (another type is ERROR_UNSUPPORTED_TYPE; RRF_RT_DWORD and
 * RRF_RT_QWORD accept a REG_BINARY of the right size, another size is ERROR_DATATYPE_MISMATCH).
 * Strings come back NUL-terminated (a terminator is added when the stored data lacks one); a
 * REG_EXPAND_SZ is expanded and reported as REG_SZ unless RRF_NOEXPAND. Sizes as
 * RegQueryValueExW (ERROR_MORE_DATA with the size needed). No RRF_RT_* bit, or
 * RRF_RT_REG_EXPAND_SZ without RRF_NOEXPAND, is ERROR_INVALID_PARAMETER.
 */
export function RegGetValueW(hkey: number, lpSubKey: string | null, lpValue: string | null, dwFlags: number, pdwType: LPDWORD | null, pvData: number | null, pcbData: LPDWORD | null): number {
  const t = caller("RegGetValueW");
  if (typeof dwFlags !== "number" || (dwFlags & RRF_RT_ANY) === 0) return ERROR_INVALID_PARAMETER;
  if ((dwFlags & RRF_RT_ANY) !== RRF_RT_ANY && dwFlags & RRF_RT_REG_EXPAND_SZ && !(dwFlags & RRF_NOEXPAND)) return ERROR_INVALID_PARAMETER;
  if (pvData !== null && pvData !== 0 && (pcbData === null || pcbData === 0)) return ERROR_INVALID_PARAMETER;
  return guarded(() => {
    const k = ntKey(t, hkey);
    if (!NT_SUCCESS(k.status)) return win32(k.status);
    let handle = k.handle;
    let own = 0;
    if (lpSubKey !== null && lpSubKey !== "") {
      const h = { value: 0 };
      const s = ntOpenKey(t, h, KEY_READ, objectAttributes(lpSubKey, k.handle));
      if (!NT_SUCCESS(s)) return win32(s);
      handle = own = h.value;
    }
    try {
      const r = readValue(t, handle, lpValue ?? "");
      const fail = (e: number): number => {
        if (dwFlags & RRF_ZEROONFAILURE && pvData !== null && pvData !== 0 && pcbData !== null && pcbData !== 0) writeUserBytes(t, pvData, new Uint8Array(readDword(t, pcbData)));
        return e;
      };
      if (!NT_SUCCESS(r.status)) return fail(win32(r.status));
      let type = r.type;
      let data = r.data;
      const allowed = (bit: number): boolean => (dwFlags & bit) !== 0;
      const bits: Record<number, number> = { [REG_NONE]: RRF_RT_REG_NONE, [REG_SZ]: RRF_RT_REG_SZ, [REG_EXPAND_SZ]: RRF_RT_REG_EXPAND_SZ, [REG_BINARY]: RRF_RT_REG_BINARY, [REG_DWORD]: RRF_RT_REG_DWORD, [REG_MULTI_SZ]: RRF_RT_REG_MULTI_SZ, [REG_QWORD]: RRF_RT_REG_QWORD };
      if (type === REG_EXPAND_SZ && !(dwFlags & RRF_NOEXPAND)) {
        data = regSzBytes(expandEnvironment(utf16Text(data)));
        type = REG_SZ;
        if (!allowed(RRF_RT_REG_SZ)) return fail(ERROR_UNSUPPORTED_TYPE);
      } else {
        const bit = bits[type] ?? 0;
        if ((dwFlags & RRF_RT_ANY) !== RRF_RT_ANY && !allowed(bit)) return fail(ERROR_UNSUPPORTED_TYPE);
        if (type === REG_BINARY && (dwFlags & RRF_RT_ANY) !== RRF_RT_ANY && !allowed(RRF_RT_REG_NONE)) {
          const dwordOnly = (dwFlags & RRF_RT_QWORD) === RRF_RT_DWORD;
          const qwordOnly = (dwFlags & RRF_RT_DWORD) === RRF_RT_QWORD;
          if (dwordOnly && data.length !== 4) return fail(ERROR_DATATYPE_MISMATCH);
          if (qwordOnly && data.length !== 8) return fail(ERROR_DATATYPE_MISMATCH);
        }
      }
      if ((type === REG_SZ || type === REG_EXPAND_SZ || type === REG_MULTI_SZ) && (data.length < 2 || data[data.length - 1] !== 0 || data[data.length - 2] !== 0)) {
        const padded = new Uint8Array(data.length + (data.length % 2) + 2);
        padded.set(data);
        data = padded;
      }
      if (pdwType !== null && pdwType !== 0) writeDword(t, pdwType, type);
      if (pcbData === null || pcbData === 0) return ERROR_SUCCESS;
      if (pvData === null || pvData === 0) {
        writeDword(t, pcbData, data.length);
        return ERROR_SUCCESS;
      }
      const room = readDword(t, pcbData);
      writeDword(t, pcbData, data.length);
      if (room < data.length) return fail(ERROR_MORE_DATA);
      writeUserBytes(t, pvData, data);
      return ERROR_SUCCESS;
    } finally {
      if (own !== 0) ntCloseKeyHandle(t, own);
    }
  });
}

// ---- Enumeration ------------------------------------------------------------------------------

/**
 * RegEnumKeyExW: the name of hKey's subkey at dwIndex, NUL-terminated at lpName, whose room
 * *lpcchName gives in characters (the NUL included); on success *lpcchName is the length without
 * the NUL. Too little room is ERROR_MORE_DATA; past the last subkey ERROR_NO_MORE_ITEMS.
 * lpClass and lpftLastWriteTime are not filled (pass NULL).
 */
export function RegEnumKeyExW(hKey: number, dwIndex: number, lpName: number, lpcchName: LPDWORD, _lpReserved: null, _lpClass: null, _lpcchClass: null, lpftLastWriteTime: number | null): number {
  const t = caller("RegEnumKeyExW");
  if ((lpcchName as unknown) === null || lpcchName === 0 || lpName === 0) return ERROR_INVALID_PARAMETER;
  return guarded(() => {
    const k = ntKey(t, hKey);
    if (!NT_SUCCESS(k.status)) return win32(k.status);
    const buf = new Uint8Array(16 + 512);
    const len = { value: 0 };
    const s = ntEnumerateKey(t, k.handle, dwIndex, KeyBasicInformation, buf, buf.length, len);
    if (!NT_SUCCESS(s)) return win32(s);
    const v = new DataView(buf.buffer);
    const name = utf16Text(buf.slice(16, 16 + v.getUint32(12, true)));
    const room = readDword(t, lpcchName);
    if (room < name.length + 1) return ERROR_MORE_DATA;
    writeUserBytes(t, lpName, regSzBytes(name));
    writeDword(t, lpcchName, name.length);
    if (lpftLastWriteTime !== null && lpftLastWriteTime !== 0) writeUserBytes(t, lpftLastWriteTime, buf.slice(0, 8));
    return ERROR_SUCCESS;
  });
}

/**
 * RegEnumValueW: the value of hKey at dwIndex (creation order): its name at lpValueName (room
 * *lpcchValueName characters, NUL included; on success the length without it), its type and data
 * as RegQueryValueExW gives them. Too little room for the name or data is ERROR_MORE_DATA; past
 * the last value ERROR_NO_MORE_ITEMS.
 */
export function RegEnumValueW(hKey: number, dwIndex: number, lpValueName: number, lpcchValueName: LPDWORD, _lpReserved: null, lpType: LPDWORD | null, lpData: number | null, lpcbData: LPDWORD | null): number {
  const t = caller("RegEnumValueW");
  if ((lpcchValueName as unknown) === null || lpcchValueName === 0 || lpValueName === 0) return ERROR_INVALID_PARAMETER;
  if (lpData !== null && lpData !== 0 && (lpcbData === null || lpcbData === 0)) return ERROR_INVALID_PARAMETER;
  return guarded(() => {
    const k = ntKey(t, hKey);
    if (!NT_SUCCESS(k.status)) return win32(k.status);
    const buf = new Uint8Array(12 + 32768);
    const len = { value: 0 };
    const s = ntEnumerateValueKey(t, k.handle, dwIndex, KeyValueBasicInformation, buf, buf.length, len);
    if (!NT_SUCCESS(s)) return win32(s);
    const v = new DataView(buf.buffer);
    const name = utf16Text(buf.slice(12, 12 + v.getUint32(8, true)));
    const room = readDword(t, lpcchValueName);
    if (room < name.length + 1) return ERROR_MORE_DATA;
    writeUserBytes(t, lpValueName, regSzBytes(name));
    writeDword(t, lpcchValueName, name.length);
    const r = readValue(t, k.handle, name);
    if (!NT_SUCCESS(r.status)) return win32(r.status);
    if (lpType !== null && lpType !== 0) writeDword(t, lpType, r.type);
    if (lpcbData === null || lpcbData === 0) return ERROR_SUCCESS;
    if (lpData === null || lpData === 0) {
      writeDword(t, lpcbData, r.data.length);
      return ERROR_SUCCESS;
    }
    const dataRoom = readDword(t, lpcbData);
    writeDword(t, lpcbData, r.data.length);
    if (dataRoom < r.data.length) return ERROR_MORE_DATA;
    writeUserBytes(t, lpData, r.data);
    return ERROR_SUCCESS;
  });
}
