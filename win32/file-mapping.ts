/**
 * File mappings (memoryapi.h): CreateFileMapping, OpenFileMapping, MapViewOfFile(Ex) and
 * UnmapViewOfFile over the native section API (ntdll/section.ts). A mapping backed by the paging
 * file (hFile INVALID_HANDLE_VALUE) is shared memory: every view of it, in any process or in a
 * driver's system-space view of the same section, reads and writes the same pages. Named
 * mappings live in \BaseNamedObjects, where a driver's ZwOpenSection finds them.
 */
import { InitializeObjectAttributes, OBJECT_ATTRIBUTES, OBJ_CASE_INSENSITIVE, OBJ_INHERIT, OBJ_OPENIF } from "../kernel/object-attributes.js";
import { NtCurrentProcess } from "../kernel/object-manager.js";
import { RtlInitUnicodeString, UNICODE_STRING } from "../kernel/rtl-string.js";
import { SECTION_ALL_ACCESS, SECTION_MAP_EXECUTE, SECTION_MAP_READ, SECTION_MAP_WRITE, SECTION_QUERY, SEC_COMMIT, SEC_IMAGE, SEC_LARGE_PAGES, SEC_NOCACHE, SEC_RESERVE, ViewShare } from "../kernel/section.js";
import { LARGE_INTEGER } from "../kernel/c-struct.js";
import { STANDARD_RIGHTS_REQUIRED } from "../kernel/access-rights.js";
import { NT_SUCCESS, STATUS_INVALID_PARAMETER, STATUS_OBJECT_NAME_EXISTS, type NTSTATUS } from "../kernel/status.js";
import type { KThread } from "../kernel/thread.js";
import { PAGE_EXECUTE_READ, PAGE_EXECUTE_READWRITE, PAGE_READONLY, PAGE_READWRITE } from "../kernel/pte.js";
import { ntCreateSection, ntMapViewOfSection, ntOpenSection, ntUnmapViewOfSection } from "../ntdll/section.js";
import { caller, setLastNtError } from "./call.js";
import { ERROR_ALREADY_EXISTS, ERROR_INVALID_HANDLE, ERROR_INVALID_PARAMETER, ERROR_MAPPED_ALIGNMENT } from "./errors.js";
import { apiEnter, apiReturn } from "./trace-events.js";

/** FILE_MAP_COPY: a copy-on-write view (not built in irpsim). */
export const FILE_MAP_COPY = 0x0001;
/** FILE_MAP_WRITE: a read-write view (SECTION_MAP_WRITE). */
export const FILE_MAP_WRITE = SECTION_MAP_WRITE;
/** FILE_MAP_READ: a read-only view (SECTION_MAP_READ). */
export const FILE_MAP_READ = SECTION_MAP_READ;
/** FILE_MAP_EXECUTE: an executable view (SECTION_MAP_EXECUTE_EXPLICIT). */
export const FILE_MAP_EXECUTE = 0x0020;
/** FILE_MAP_ALL_ACCESS: every right on the mapping (SECTION_ALL_ACCESS); a view is read-write. */
export const FILE_MAP_ALL_ACCESS = SECTION_ALL_ACCESS;

export { SECTION_QUERY, SECTION_MAP_WRITE, SECTION_MAP_READ, SECTION_MAP_EXECUTE, SECTION_ALL_ACCESS, SEC_COMMIT, SEC_RESERVE, SEC_IMAGE, SEC_NOCACHE, SEC_LARGE_PAGES };

const ALLOCATION_GRANULARITY = 0x10000;
const SEC_BITS = SEC_COMMIT | SEC_RESERVE | SEC_IMAGE | SEC_NOCACHE | SEC_LARGE_PAGES;

/** A bare or Local\\ / Global\\ name as kernel32 names it in the one session's \\BaseNamedObjects. */
function attributesFor(lpName: string | null, attributes: number): OBJECT_ATTRIBUTES | null {
  if (lpName === null || lpName === "") return null;
  const oa = new OBJECT_ATTRIBUTES();
  const name = new UNICODE_STRING();
  RtlInitUnicodeString(name, `\\BaseNamedObjects\\${lpName.replace(/^(Global|Local)\\/i, "")}`);
  InitializeObjectAttributes(oa, name, attributes | OBJ_CASE_INSENSITIVE, 0, null);
  return oa;
}

/** The section access kernel32 asks for a mapping of this protection. */
function accessForProtect(protect: number): number {
  let access = STANDARD_RIGHTS_REQUIRED | SECTION_QUERY | SECTION_MAP_READ;
  const base = protect & 0xff;
  if (base === PAGE_READWRITE || base === PAGE_EXECUTE_READWRITE) access |= SECTION_MAP_WRITE;
  if (base >= 0x10) access |= SECTION_MAP_EXECUTE;
  return access;
}

function finish(t: KThread, api: string, handle: number, status: NTSTATUS): number {
  if (!NT_SUCCESS(status)) {
    setLastNtError(t, status);
    apiReturn(t, api, "NULL", t.lastError);
    return 0;
  }
  apiReturn(t, api, `handle ${handle}`, t.lastError);
  return handle;
}

/**
 * CreateFileMapping (CreateFileMappingW / A): a file-mapping object; NULL on failure. With hFile
 * INVALID_HANDLE_VALUE it is backed by the paging file and needs a size (dwMaximumSizeHigh:Low;
 * 0 is ERROR_INVALID_PARAMETER); flProtect is PAGE_READWRITE, PAGE_READONLY… optionally with
 * SEC_COMMIT (the default) or SEC_NOCACHE. A name that exists opens that mapping (size and
 * protection ignored) and sets the last error to ERROR_ALREADY_EXISTS; a new one sets it to 0; a
 * name used by another kind of object fails with ERROR_INVALID_HANDLE. Mapping a file (any other
 * hFile) is not built in irpsim and says so.
 */
export function CreateFileMapping(hFile: number, _lpFileMappingAttributes: null, flProtect: number, dwMaximumSizeHigh: number, dwMaximumSizeLow: number, lpName: string | null = null): number {
  return createFileMapping("CreateFileMapping", hFile, flProtect, dwMaximumSizeHigh, dwMaximumSizeLow, lpName);
}

/** CreateFileMappingW: {@link CreateFileMapping}. */
export function CreateFileMappingW(hFile: number, lpFileMappingAttributes: null, flProtect: number, dwMaximumSizeHigh: number, dwMaximumSizeLow: number, lpName: string | null = null): number {
  return createFileMapping("CreateFileMappingW", hFile, flProtect, dwMaximumSizeHigh, dwMaximumSizeLow, lpName, lpFileMappingAttributes);
}

/** CreateFileMappingA: {@link CreateFileMapping} (the name is converted from the ANSI code page). */
export function CreateFileMappingA(hFile: number, lpFileMappingAttributes: null, flProtect: number, dwMaximumSizeHigh: number, dwMaximumSizeLow: number, lpName: string | null = null): number {
  return createFileMapping("CreateFileMappingA", hFile, flProtect, dwMaximumSizeHigh, dwMaximumSizeLow, lpName, lpFileMappingAttributes);
}

function createFileMapping(api: string, hFile: number, flProtect: number, high: number, low: number, lpName: string | null, _attributes: null = null): number {
  const t = caller(api);
  apiEnter(t, api, () => `${lpName ?? "(unnamed)"}, ${high >>> 0}:${low >>> 0} bytes, protect 0x${(flProtect >>> 0).toString(16)}`);
  if ((hFile >>> 0) !== 0xffffffff) {
    if (hFile === 0) {
      // kernel32 turns a NULL file handle into ERROR_INVALID_HANDLE before the system service.
      t.lastError = ERROR_INVALID_HANDLE;
      apiReturn(t, api, "NULL", t.lastError);
      return 0;
    }
    throw new Error(`${api}: mapping a file (hFile ${hFile}) is not built in irpsim; pass INVALID_HANDLE_VALUE for memory backed by the paging file`);
  }
  if (typeof flProtect !== "number" || typeof high !== "number" || typeof low !== "number") return finish(t, api, 0, STATUS_INVALID_PARAMETER);
  const protect = flProtect & ~SEC_BITS;
  const attributes = flProtect & SEC_BITS || SEC_COMMIT;
  const size = (high >>> 0) * 2 ** 32 + (low >>> 0);
  const h = { value: 0 };
  const status = ntCreateSection(t, h, accessForProtect(protect), attributesFor(lpName, OBJ_OPENIF), size === 0 ? null : new LARGE_INTEGER(size), protect, attributes, null);
  if (NT_SUCCESS(status)) t.lastError = status === STATUS_OBJECT_NAME_EXISTS ? ERROR_ALREADY_EXISTS : 0;
  return finish(t, api, h.value, status);
}

/**
 * OpenFileMapping (OpenFileMappingW / A): a handle with dwDesiredAccess (FILE_MAP_READ,
 * FILE_MAP_WRITE, FILE_MAP_ALL_ACCESS) to the mapping named lpName — an app's CreateFileMapping
 * or a driver's ZwCreateSection under \\BaseNamedObjects. NULL on failure: ERROR_FILE_NOT_FOUND
 * when no object has the name, ERROR_INVALID_HANDLE when it is no mapping, ERROR_INVALID_PARAMETER
 * for a NULL name. A success leaves the last error as it was.
 */
export function OpenFileMapping(dwDesiredAccess: number, bInheritHandle: boolean, lpName: string | null): number {
  return openFileMapping("OpenFileMapping", dwDesiredAccess, bInheritHandle, lpName);
}

/** OpenFileMappingW: {@link OpenFileMapping}. */
export function OpenFileMappingW(dwDesiredAccess: number, bInheritHandle: boolean, lpName: string | null): number {
  return openFileMapping("OpenFileMappingW", dwDesiredAccess, bInheritHandle, lpName);
}

/** OpenFileMappingA: {@link OpenFileMapping}. */
export function OpenFileMappingA(dwDesiredAccess: number, bInheritHandle: boolean, lpName: string | null): number {
  return openFileMapping("OpenFileMappingA", dwDesiredAccess, bInheritHandle, lpName);
}

function openFileMapping(api: string, dwDesiredAccess: number, bInheritHandle: boolean, lpName: string | null): number {
  const t = caller(api);
  apiEnter(t, api, () => `${lpName ?? "NULL"}, access 0x${(dwDesiredAccess >>> 0).toString(16)}`);
  const oa = attributesFor(lpName, bInheritHandle ? OBJ_INHERIT : 0);
  if (oa === null) return finish(t, api, 0, STATUS_INVALID_PARAMETER);
  const h = { value: 0 };
  // FILE_MAP_COPY opens with read access, as kernel32 maps it.
  const access = dwDesiredAccess === FILE_MAP_COPY ? SECTION_MAP_READ : dwDesiredAccess;
  const status = ntOpenSection(t, h, access, oa);
  return finish(t, api, h.value, status);
}

/**
 * MapViewOfFile: maps a view of the mapping into the caller's address space and returns its base
 * (NULL on failure). dwDesiredAccess: FILE_MAP_WRITE or FILE_MAP_ALL_ACCESS give a read-write
 * view, FILE_MAP_READ a read-only one (a write through it is an access violation); the handle must
 * grant that access (ERROR_ACCESS_DENIED). The offset must be a multiple of the allocation
 * granularity, 64 KB (ERROR_MAPPED_ALIGNMENT); dwNumberOfBytesToMap 0 maps to the end, and a view
 * past the end is ERROR_ACCESS_DENIED. FILE_MAP_COPY (copy-on-write) is not built in irpsim.
 */
export function MapViewOfFile(hFileMappingObject: number, dwDesiredAccess: number, dwFileOffsetHigh: number, dwFileOffsetLow: number, dwNumberOfBytesToMap: number): number {
  return mapView("MapViewOfFile", hFileMappingObject, dwDesiredAccess, dwFileOffsetHigh, dwFileOffsetLow, dwNumberOfBytesToMap, 0);
}

/** MapViewOfFileEx: {@link MapViewOfFile} at lpBaseAddress (NULL: anywhere; else a multiple of 64 KB that is free). */
export function MapViewOfFileEx(hFileMappingObject: number, dwDesiredAccess: number, dwFileOffsetHigh: number, dwFileOffsetLow: number, dwNumberOfBytesToMap: number, lpBaseAddress: number | null): number {
  return mapView("MapViewOfFileEx", hFileMappingObject, dwDesiredAccess, dwFileOffsetHigh, dwFileOffsetLow, dwNumberOfBytesToMap, lpBaseAddress ?? 0);
}

function mapView(api: string, h: number, access: number, high: number, low: number, bytes: number, base: number): number {
  const t = caller(api);
  apiEnter(t, api, () => `handle ${h}, access 0x${(access >>> 0).toString(16)}, offset ${high >>> 0}:${low >>> 0}, ${bytes >>> 0} bytes`);
  const fail = (error: number): number => {
    t.lastError = error;
    apiReturn(t, api, "NULL", error);
    return 0;
  };
  if (typeof access !== "number" || typeof high !== "number" || typeof low !== "number" || typeof bytes !== "number" || typeof base !== "number") return fail(ERROR_INVALID_PARAMETER);
  if (access === FILE_MAP_COPY) throw new Error(`${api}: FILE_MAP_COPY (a copy-on-write view) is not built in irpsim; map with FILE_MAP_READ or FILE_MAP_WRITE`);
  const offset = (high >>> 0) * 2 ** 32 + (low >>> 0);
  if (offset % ALLOCATION_GRANULARITY !== 0) return fail(ERROR_MAPPED_ALIGNMENT);
  const exec = (access & FILE_MAP_EXECUTE) !== 0;
  const write = (access & SECTION_MAP_WRITE) !== 0;
  const protect = write ? (exec ? PAGE_EXECUTE_READWRITE : PAGE_READWRITE) : exec ? PAGE_EXECUTE_READ : PAGE_READONLY;
  const b = { value: base >>> 0 };
  const size = { value: bytes >>> 0 };
  const status = ntMapViewOfSection(t, h, NtCurrentProcess, b, 0, 0, offset === 0 ? null : new LARGE_INTEGER(offset), size, ViewShare, 0, protect);
  if (!NT_SUCCESS(status)) return fail(setLastNtError(t, status));
  apiReturn(t, api, `0x${b.value.toString(16).toUpperCase()}`, t.lastError);
  return b.value;
}

/**
 * UnmapViewOfFile: unmaps the view containing lpBaseAddress from the caller's address space; the
 * mapping object lives on while a handle or another view holds it. FALSE with ERROR_INVALID_ADDRESS
 * for an address in no view (unmapped already, never mapped).
 */
export async function UnmapViewOfFile(lpBaseAddress: number): Promise<boolean> {
  const t = caller("UnmapViewOfFile");
  apiEnter(t, "UnmapViewOfFile", () => `0x${(lpBaseAddress >>> 0).toString(16).toUpperCase()}`);
  const status = await ntUnmapViewOfSection(t, NtCurrentProcess, lpBaseAddress);
  const ok = NT_SUCCESS(status);
  if (!ok) setLastNtError(t, status);
  apiReturn(t, "UnmapViewOfFile", ok ? "TRUE" : "FALSE", ok ? 0 : t.lastError);
  return ok;
}


