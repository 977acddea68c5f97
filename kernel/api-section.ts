/**
 * The section routines drivers call by their wdm.h names: ZwCreateSection, ZwOpenSection,
 * ZwMapViewOfSection, ZwUnmapViewOfSection, MmMapViewInSystemSpace and MmUnmapViewInSystemSpace,
 * over the one section core (kernel/section.ts) apps reach through NtCreateSection and
 * CreateFileMapping. As every Zw routine, they run with previous mode KernelMode (no access check
 * on the handles given), at IRQL PASSIVE_LEVEL.
 */
import { LARGE_INTEGER, readI64, writeU64 } from "./c-struct.js";
import { BugCheckCode } from "./bugcheck-codes.js";
import { badPointer, checkNumber } from "./bad-pointer.js";
import { currentMachine } from "./context.js";
import { APC_LEVEL, KernelMode } from "./irql.js";
import type { InOut } from "./apc.js";
import type { OBJECT_ATTRIBUTES } from "./object-attributes.js";
import { SectionObject, createSection, mapViewInSystemSpace, mapViewOfSection, openSection, unmapViewInSystemSpace, unmapViewOfSection } from "./section.js";
import { STATUS_INVALID_PARAMETER, STATUS_SUCCESS, type NTSTATUS } from "./status.js";
import type { KThread } from "./thread.js";

/** A PLARGE_INTEGER a kernel caller passes: a LARGE_INTEGER, the address of one, or NULL. */
export type ZwSectionLargeInteger = LARGE_INTEGER | number | null;

/** Enters a section routine: kernel mode, IRQL <= APC_LEVEL, previous mode KernelMode until `leave`. */
function enter(api: string): { t: KThread; leave: () => void } {
  const t = currentMachine(api).kernelCall(api);
  if (t.irql > APC_LEVEL) {
    t.machine.bugCheck(BugCheckCode.IRQL_NOT_LESS_OR_EQUAL, 0, t.irql, 0, 0, { detail: `${api} at IRQL ${t.irql}: it is called at PASSIVE_LEVEL (the section and the address space are pageable)` });
  }
  const previous = t.previousMode;
  t.previousMode = KernelMode;
  return { t, leave: () => (t.previousMode = previous) };
}

function largeValue(api: string, name: string, p: ZwSectionLargeInteger): number | null {
  if (p === null || p === 0) return null;
  if (p instanceof LARGE_INTEGER) return Number(p.QuadPart);
  if (typeof p !== "number" || !Number.isInteger(p)) return badPointer(api, name, p, "a LARGE_INTEGER, its address, or NULL");
  return Number(readI64(p >>> 0));
}

function inOut(api: string, name: string, p: unknown): InOut<number> {
  if (typeof p !== "object" || p === null || typeof (p as { value?: unknown }).value !== "number") return badPointer(api, name, p, "a variable ({ value: number })");
  return p as InOut<number>;
}

/**
 * ZwCreateSection: a section object and a handle to it. Pagefile-backed sections are built:
 * FileHandle NULL, a MaximumSize (required), SectionPageProtection PAGE_READWRITE, PAGE_READONLY…,
 * AllocationAttributes SEC_COMMIT. ObjectAttributes may name it ("\\BaseNamedObjects\\Name", the
 * directory kernel32's CreateFileMapping uses, so an app's OpenFileMapping finds it) and ask for a
 * kernel handle (OBJ_KERNEL_HANDLE). Errors: STATUS_INVALID_PARAMETER_4 (no size),
 * STATUS_INVALID_PAGE_PROTECTION, STATUS_INVALID_PARAMETER_6 (attributes),
 * STATUS_COMMITMENT_LIMIT (no memory for its pages), the name's errors as for ZwCreateEvent.
 */
export function ZwCreateSection(
  DesiredAccess: number,
  ObjectAttributes: OBJECT_ATTRIBUTES | null,
  MaximumSize: ZwSectionLargeInteger,
  SectionPageProtection: number,
  AllocationAttributes: number,
  FileHandle: number | null,
): { /** STATUS_SUCCESS, STATUS_OBJECT_NAME_EXISTS (OBJ_OPENIF opened it) or why not. */ status: NTSTATUS; /** The new handle (0 on failure). */ SectionHandle: number } {
  const { t, leave } = enter("ZwCreateSection");
  try {
    DesiredAccess = checkNumber("ZwCreateSection", "DesiredAccess", DesiredAccess);
    const size = largeValue("ZwCreateSection", "MaximumSize", MaximumSize);
    const r = createSection(t, KernelMode, DesiredAccess, ObjectAttributes, size, SectionPageProtection, AllocationAttributes, FileHandle);
    return { status: r.status, SectionHandle: r.handle };
  } finally {
    leave();
  }
}

/** ZwOpenSection: a handle to the named section; STATUS_OBJECT_NAME_NOT_FOUND, STATUS_OBJECT_TYPE_MISMATCH as for every open by name. */
export function ZwOpenSection(DesiredAccess: number, ObjectAttributes: OBJECT_ATTRIBUTES): { /** STATUS_SUCCESS or why not. */ status: NTSTATUS; /** The new handle (0 on failure). */ SectionHandle: number } {
  const { t, leave } = enter("ZwOpenSection");
  try {
    DesiredAccess = checkNumber("ZwOpenSection", "DesiredAccess", DesiredAccess);
    const r = openSection(t, KernelMode, DesiredAccess, ObjectAttributes);
    return { status: r.status, SectionHandle: r.handle };
  } finally {
    leave();
  }
}

/**
 * ZwMapViewOfSection: maps a view of a section into the process ProcessHandle names
 * (ZwCurrentProcess() / NtCurrentProcess: the current one — in a dispatch routine the calling
 * app's, in a system thread the System process's). `BaseAddress.value` 0 lets the system choose
 * (else a multiple of 64 KB); `ViewSize.value` 0 maps from the offset to the end; SectionOffset
 * (NULL: 0) rounds down to 64 KB. On success both are updated. InheritDisposition ViewUnmap or
 * ViewShare; AllocationType 0 or MEM_TOP_DOWN; Win32Protect PAGE_READWRITE, PAGE_READONLY….
 * Errors as NtMapViewOfSection gives them (kernel/section.ts: mapViewOfSection).
 */
export function ZwMapViewOfSection(
  SectionHandle: number,
  ProcessHandle: number,
  BaseAddress: InOut<number>,
  ZeroBits: number,
  CommitSize: number,
  SectionOffset: ZwSectionLargeInteger,
  ViewSize: InOut<number>,
  InheritDisposition: number,
  AllocationType: number,
  Win32Protect: number,
): NTSTATUS {
  const api = "ZwMapViewOfSection";
  const { t, leave } = enter(api);
  try {
    const base = inOut(api, "BaseAddress", BaseAddress);
    const size = inOut(api, "ViewSize", ViewSize);
    if (typeof CommitSize !== "number" || typeof ZeroBits !== "number" || typeof InheritDisposition !== "number" || typeof AllocationType !== "number" || typeof Win32Protect !== "number") return STATUS_INVALID_PARAMETER;
    const offset = largeValue(api, "SectionOffset", SectionOffset) ?? 0;
    const r = mapViewOfSection(t, KernelMode, SectionHandle, ProcessHandle, { base: base.value, zeroBits: ZeroBits, offset, viewSize: size.value, inheritDisposition: InheritDisposition, allocationType: AllocationType, protect: Win32Protect });
    if (r.status === STATUS_SUCCESS) {
      base.value = r.base;
      size.value = r.viewSize;
      // The offset the view starts at, rounded down as the view was.
      const rounded = offset - (offset % 0x10000);
      if (SectionOffset instanceof LARGE_INTEGER) SectionOffset.QuadPart = BigInt(rounded);
      else if (typeof SectionOffset === "number" && SectionOffset !== 0) writeU64(SectionOffset >>> 0, BigInt(rounded));
    }
    return r.status;
  } finally {
    leave();
  }
}

/**
 * ZwUnmapViewOfSection: unmaps the view containing BaseAddress from the process ProcessHandle
 * names, in that process (STATUS_NOT_MAPPED_VIEW when the address is in no view).
 */
export async function ZwUnmapViewOfSection(ProcessHandle: number, BaseAddress: number): Promise<NTSTATUS> {
  const { t, leave } = enter("ZwUnmapViewOfSection");
  try {
    return await unmapViewOfSection(t, KernelMode, ProcessHandle, BaseAddress);
  } finally {
    leave();
  }
}

/**
 * MmMapViewInSystemSpace: maps the section (a pointer from ObReferenceObjectByHandle(…,
 * *MmSectionObjectType, …)) into system space, where any thread in any process can reach it;
 * `ViewSize.value` 0 maps all of it. On success `MappedBase.value` is the system address and
 * `ViewSize.value` the size mapped. A pointer that is no section faults (STATUS_ACCESS_VIOLATION).
 */
export function MmMapViewInSystemSpace(Section: SectionObject, MappedBase: InOut<number>, ViewSize: InOut<number>): NTSTATUS {
  const api = "MmMapViewInSystemSpace";
  const { t, leave } = enter(api);
  try {
    if (!(Section instanceof SectionObject)) return badPointer(api, "Section", Section, "a section object (ObReferenceObjectByHandle with *MmSectionObjectType)");
    const base = inOut(api, "MappedBase", MappedBase);
    const size = inOut(api, "ViewSize", ViewSize);
    const r = mapViewInSystemSpace(t.machine, Section, size.value);
    if (r.status === STATUS_SUCCESS) {
      base.value = r.base;
      size.value = r.viewSize;
    }
    return r.status;
  } finally {
    leave();
  }
}

/**
 * MmUnmapViewInSystemSpace: unmaps a view MmMapViewInSystemSpace made, given its base. Any other
 * address (a view unmapped already, one never mapped) is bug check 0xD7 DRIVER_UNMAPPING_INVALID_VIEW.
 */
export async function MmUnmapViewInSystemSpace(MappedBase: number): Promise<NTSTATUS> {
  const { t, leave } = enter("MmUnmapViewInSystemSpace");
  try {
    return await unmapViewInSystemSpace(t, MappedBase);
  } finally {
    leave();
  }
}

/** ZwCurrentProcess(): the current-process pseudo-handle, NtCurrentProcess(). */
export const ZwCurrentProcess = 0xffffffff;
