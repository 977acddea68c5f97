/**
 * The native section API: NtCreateSection, NtOpenSection, NtMapViewOfSection and
 * NtUnmapViewOfSection, each returning the NTSTATUS itself. They run the kernel's one section core
 * (kernel/section.ts) with previous mode UserMode: out-parameters are probed, OBJ_KERNEL_HANDLE is
 * refused, and a handle must grant the access a view needs (SECTION_MAP_READ, plus
 * SECTION_MAP_WRITE for a writable view).
 */
import { UserMode } from "../kernel/irql.js";
import { NtStatusError } from "../kernel/nt-status-error.js";
import type { OBJECT_ATTRIBUTES } from "../kernel/object-attributes.js";
import { createSection, mapViewOfSection, openSection, unmapViewOfSection } from "../kernel/section.js";
import { STATUS_INVALID_PARAMETER, STATUS_SUCCESS, type NTSTATUS } from "../kernel/status.js";
import type { KThread } from "../kernel/thread.js";
import { service, serviceAsync, userCaller } from "./syscall.js";
import { probeOut, readLargeInteger, storeOut, type PLARGE_INTEGER, type POut } from "./types.js";

function statusOf(e: unknown): NTSTATUS {
  if (e instanceof NtStatusError) return e.status;
  throw e;
}

/** Reads an in/out parameter (an address in the app's memory, or a local { value }). */
function readInOut(t: KThread, p: POut): number {
  probeOut(t, p);
  return typeof p === "number" ? t.machine.mmu.readU32(p) : p.value;
}

/** NtCreateSection's work for the calling thread (previous mode UserMode). */
export function ntCreateSection(t: KThread, SectionHandle: POut, DesiredAccess: number, ObjectAttributes: OBJECT_ATTRIBUTES | number | null, MaximumSize: PLARGE_INTEGER, SectionPageProtection: number, AllocationAttributes: number, FileHandle: number | null): NTSTATUS {
  return service(t, () => {
    let size: number | null;
    try {
      probeOut(t, SectionHandle);
      size = readLargeInteger(MaximumSize);
    } catch (e) {
      return statusOf(e);
    }
    if (typeof DesiredAccess !== "number") return STATUS_INVALID_PARAMETER;
    const r = createSection(t, UserMode, DesiredAccess, ObjectAttributes, size, SectionPageProtection, AllocationAttributes, FileHandle);
    if (r.handle !== 0) storeOut(t, SectionHandle, r.handle);
    return r.status;
  });
}

/**
 * NtCreateSection: a section object, its handle stored at SectionHandle. Pagefile-backed sections
 * (FileHandle NULL) of MaximumSize bytes (required: STATUS_INVALID_PARAMETER_4) are built, with
 * SEC_COMMIT; a name in ObjectAttributes ("\\BaseNamedObjects\\Name") is shared with drivers'
 * ZwOpenSection and kernel32's OpenFileMapping (OBJ_OPENIF: STATUS_OBJECT_NAME_EXISTS when it
 * existed). OBJ_KERNEL_HANDLE from an app is STATUS_INVALID_PARAMETER.
 */
export function NtCreateSection(SectionHandle: POut, DesiredAccess: number, ObjectAttributes: OBJECT_ATTRIBUTES | number | null, MaximumSize: PLARGE_INTEGER, SectionPageProtection: number, AllocationAttributes: number, FileHandle: number | null): NTSTATUS {
  return ntCreateSection(userCaller("NtCreateSection"), SectionHandle, DesiredAccess, ObjectAttributes, MaximumSize, SectionPageProtection, AllocationAttributes, FileHandle);
}

/** NtOpenSection's work for the calling thread. */
export function ntOpenSection(t: KThread, SectionHandle: POut, DesiredAccess: number, ObjectAttributes: OBJECT_ATTRIBUTES | number | null): NTSTATUS {
  return service(t, () => {
    try {
      probeOut(t, SectionHandle);
    } catch (e) {
      return statusOf(e);
    }
    if (typeof DesiredAccess !== "number") return STATUS_INVALID_PARAMETER;
    const r = openSection(t, UserMode, DesiredAccess, ObjectAttributes);
    if (r.handle !== 0) storeOut(t, SectionHandle, r.handle);
    return r.status;
  });
}

/** NtOpenSection: a handle to the named section; STATUS_OBJECT_NAME_NOT_FOUND, STATUS_OBJECT_TYPE_MISMATCH as for every open by name. */
export function NtOpenSection(SectionHandle: POut, DesiredAccess: number, ObjectAttributes: OBJECT_ATTRIBUTES | number): NTSTATUS {
  return ntOpenSection(userCaller("NtOpenSection"), SectionHandle, DesiredAccess, ObjectAttributes);
}

/** NtMapViewOfSection's work for the calling thread. */
export function ntMapViewOfSection(t: KThread, SectionHandle: number, ProcessHandle: number, BaseAddress: POut, ZeroBits: number, CommitSize: number, SectionOffset: PLARGE_INTEGER, ViewSize: POut, InheritDisposition: number, AllocationType: number, Win32Protect: number): NTSTATUS {
  return service(t, () => {
    let base: number;
    let size: number;
    let offset: number;
    try {
      base = readInOut(t, BaseAddress);
      size = readInOut(t, ViewSize);
      offset = readLargeInteger(SectionOffset) ?? 0;
    } catch (e) {
      return statusOf(e);
    }
    if (typeof ZeroBits !== "number" || typeof CommitSize !== "number" || typeof InheritDisposition !== "number" || typeof AllocationType !== "number" || typeof Win32Protect !== "number") return STATUS_INVALID_PARAMETER;
    const r = mapViewOfSection(t, UserMode, SectionHandle, ProcessHandle, { base, zeroBits: ZeroBits, offset, viewSize: size, inheritDisposition: InheritDisposition, allocationType: AllocationType, protect: Win32Protect });
    if (r.status === STATUS_SUCCESS) {
      storeOut(t, BaseAddress, r.base);
      storeOut(t, ViewSize, r.viewSize);
    }
    return r.status;
  });
}

/**
 * NtMapViewOfSection: maps a view of the section into the process ProcessHandle names
 * (NtCurrentProcess: the caller's). BaseAddress and ViewSize are in/out (an address in the app's
 * memory or a local { value }): 0 lets the system choose the base, and maps from SectionOffset
 * (rounded down to 64 KB) to the end. The errors are the kernel's (kernel/section.ts).
 */
export function NtMapViewOfSection(SectionHandle: number, ProcessHandle: number, BaseAddress: POut, ZeroBits: number, CommitSize: number, SectionOffset: PLARGE_INTEGER, ViewSize: POut, InheritDisposition: number, AllocationType: number, Win32Protect: number): NTSTATUS {
  return ntMapViewOfSection(userCaller("NtMapViewOfSection"), SectionHandle, ProcessHandle, BaseAddress, ZeroBits, CommitSize, SectionOffset, ViewSize, InheritDisposition, AllocationType, Win32Protect);
}

/** NtUnmapViewOfSection's work for the calling thread. */
export function ntUnmapViewOfSection(t: KThread, ProcessHandle: number, BaseAddress: number): Promise<NTSTATUS> {
  return serviceAsync(t, () => unmapViewOfSection(t, UserMode, ProcessHandle, BaseAddress));
}

/** NtUnmapViewOfSection: unmaps the view containing BaseAddress (STATUS_NOT_MAPPED_VIEW when there is none). */
export function NtUnmapViewOfSection(ProcessHandle: number, BaseAddress: number): Promise<NTSTATUS> {
  return ntUnmapViewOfSection(userCaller("NtUnmapViewOfSection"), ProcessHandle, BaseAddress);
}
