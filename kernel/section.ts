/**
 * Section objects ("Section"): memory that several address spaces map at once. A pagefile-backed
 * section (no file: ZwCreateSection with FileHandle NULL, kernel32's CreateFileMapping with
 * INVALID_HANDLE_VALUE) owns its frames from creation (SEC_COMMIT, demand-zero); every view — in
 * a process (ZwMapViewOfSection, MapViewOfFile) or in system space (MmMapViewInSystemSpace) —
 * maps those same frames, so a write through one view is read through every other with no copy.
 * A view holds a reference on its section; the section's frames go when the last handle, view
 * and pointer are gone. A process that exits with views mapped has them unmapped by its rundown,
 * as MmCleanProcessAddressSpace deletes every VAD.
 *
 * This is the one core behind the Zw routines (kernel/api-section.ts), the native API
 * (ntdll/section.ts) and kernel32's file mappings (win32/file-mapping.ts); the previous mode
 * decides the checks (a user-mode caller's handle must grant the access a view needs).
 *
 * Not built (each says so when asked): file-backed and image sections (a FileHandle, SEC_IMAGE),
 * SEC_RESERVE, copy-on-write views (PAGE_WRITECOPY), extending a section.
 */
import { STANDARD_RIGHTS_REQUIRED, READ_CONTROL } from "./access-rights.js";
import { UserAddressSpace } from "./address-space.js";
import { handleTableOf } from "./api-ps-ob.js";
import { SectionBugCheckCode } from "./bugcheck-codes.js";
import type { KPROCESSOR_MODE } from "./irql.js";
import type { Machine } from "./machine.js";
import { ALLOCATION_GRANULARITY, MEM_TOP_DOWN, MM_HIGHEST_USER_ADDRESS } from "./memory-constants.js";
import type { OBJECT_ATTRIBUTES } from "./object-attributes.js";
import { createNamedObject, openNamedObject } from "./object-directory.js";
import { NtCurrentProcess } from "./object-manager.js";
import { OBJECT_TYPE, objectAs } from "./object-types.js";
import { KernelObject } from "./objects.js";
import { PAGE_SHIFT, PAGE_SIZE } from "./physical-memory.js";
import { KProcess } from "./process.js";
import { PAGE_EXECUTE, PAGE_EXECUTE_READ, PAGE_EXECUTE_READWRITE, PAGE_EXECUTE_WRITECOPY, PAGE_NOCACHE, PAGE_READONLY, PAGE_READWRITE, PAGE_WRITECOPY, protectionToPteBits } from "./pte.js";
import {
  STATUS_COMMITMENT_LIMIT,
  STATUS_CONFLICTING_ADDRESSES,
  STATUS_INVALID_HANDLE,
  STATUS_INVALID_PAGE_PROTECTION,
  STATUS_INVALID_PARAMETER_3,
  STATUS_INVALID_PARAMETER_4,
  STATUS_INVALID_PARAMETER_6,
  STATUS_INVALID_PARAMETER_8,
  STATUS_INVALID_PARAMETER_9,
  STATUS_INVALID_VIEW_SIZE,
  STATUS_MAPPED_ALIGNMENT,
  STATUS_NOT_MAPPED_VIEW,
  STATUS_NOT_SUPPORTED,
  STATUS_NO_MEMORY,
  STATUS_OBJECT_TYPE_MISMATCH,
  STATUS_PROCESS_IS_TERMINATING,
  STATUS_SECTION_PROTECTION,
  STATUS_SUCCESS,
  type NTSTATUS,
} from "./status.js";
import type { KThread } from "./thread.js";

declare module "./trace.js" {
  interface TraceEventMap {
    /** A section of `size` bytes was created over `frames` (ZwCreateSection, CreateFileMapping). */
    SectionCreated: { /** The section's label ("\\BaseNamedObjects\\Name" or "Section#7"). */ section: string; /** Its size in bytes. */ size: number; /** The frames behind its pages. */ frames: number[] };
    /** A view of a section was mapped: in `process` (pid), or in system space (process 0). */
    SectionViewMapped: { /** The section's label. */ section: string; /** The view's base address. */ base: number; /** The view's size in bytes. */ size: number; /** The process it is mapped in (0: system space). */ process: number; /** Offset of the view in the section. */ offset: number; /** The frames the view maps. */ frames: number[] };
    /** A view of a section was unmapped (by a call, or by its process's exit). */
    SectionViewUnmapped: { /** The section's label. */ section: string; /** The view's base address. */ base: number; /** The process it was mapped in (0: system space). */ process: number };
    /** A section's last reference went: its frames are freed. */
    SectionDeleted: { /** The section's label. */ section: string };
  }
}

// ---- Access rights and attributes (winnt.h / wdm.h) -------------------------------------------

/** SECTION_QUERY: the right to query the section. */
export const SECTION_QUERY = 0x0001;
/** SECTION_MAP_WRITE: the right to map writable views. */
export const SECTION_MAP_WRITE = 0x0002;
/** SECTION_MAP_READ: the right to map views (readable). */
export const SECTION_MAP_READ = 0x0004;
/** SECTION_MAP_EXECUTE: the right to map executable views. */
export const SECTION_MAP_EXECUTE = 0x0008;
/** SECTION_EXTEND_SIZE: the right to extend the section. */
export const SECTION_EXTEND_SIZE = 0x0010;
/** SECTION_ALL_ACCESS: every section right. */
export const SECTION_ALL_ACCESS = STANDARD_RIGHTS_REQUIRED | SECTION_QUERY | SECTION_MAP_WRITE | SECTION_MAP_READ | SECTION_MAP_EXECUTE | SECTION_EXTEND_SIZE;

/** SEC_COMMIT: every page of a pagefile-backed section is committed when it is created. */
export const SEC_COMMIT = 0x08000000;
/** SEC_RESERVE: pages are reserved and committed later through views (not built in irpsim). */
export const SEC_RESERVE = 0x04000000;
/** SEC_IMAGE: an executable image section (not built in irpsim). */
export const SEC_IMAGE = 0x01000000;
/** SEC_NOCACHE: the section's pages are mapped uncached. */
export const SEC_NOCACHE = 0x10000000;
/** SEC_LARGE_PAGES: large pages (not built in irpsim). */
export const SEC_LARGE_PAGES = 0x80000000;

/** SECTION_INHERIT: how a view is inherited by child processes. ViewShare: the child maps it too. */
export const ViewShare = 1;
/** ViewUnmap: the view is not mapped into child processes (what drivers pass). */
export const ViewUnmap = 2;

/** The section object type: generic rights mapped as MmSectionObjectType maps them. */
export const MmSectionObjectType: OBJECT_TYPE<SectionObject> = new OBJECT_TYPE<SectionObject>("Section", (o) => objectAs(SectionObject, o), {
  GenericRead: READ_CONTROL | SECTION_QUERY | SECTION_MAP_READ,
  GenericWrite: READ_CONTROL | SECTION_MAP_WRITE,
  GenericExecute: READ_CONTROL | SECTION_MAP_EXECUTE,
  GenericAll: SECTION_ALL_ACCESS,
});

// ---- The object ------------------------------------------------------------------------------

/** One view of a section: where, in which process (null: system space), over which pages. */
export interface SectionView {
  readonly section: SectionObject;
  /** The process whose user space holds it, or null for a system-space view. */
  readonly process: KProcess | null;
  /** The page-aligned base. */
  readonly base: number;
  /** Pages mapped. */
  readonly pages: number;
  /** The view's first page in the section. */
  readonly firstPage: number;
}

/**
 * A section object (SECTION): its size, its protection and the frames behind its pages, which it
 * holds (one reference each) until it is deleted. The body a driver receives from
 * ObReferenceObjectByHandle(…, *MmSectionObjectType, …) and passes to MmMapViewInSystemSpace.
 */
export class SectionObject extends KernelObject {
  /** The object manager's type name. */
  readonly objectType = "Section";
  /** Views currently mapped (in processes and in system space). */
  readonly views = new Set<SectionView>();

  constructor(
    private readonly machine: Machine,
    /** The section's size in bytes (MaximumSize). */
    readonly size: number,
    /** The section's page protection (SectionPageProtection). */
    readonly protection: number,
    /** The frames behind its pages, in order. */
    readonly frames: Int32Array,
    /** SEC_* attributes it was created with. */
    readonly attributes: number,
    name: string | null,
  ) {
    super();
    this.objectName = name;
  }

  /** Pages the section spans. */
  get pages(): number {
    return this.frames.length;
  }

  /** The type's delete procedure: the section's frames go back to the free list. */
  override deleteProcedure(): void {
    for (const f of this.frames) this.machine.physical.dereference(f);
    if (this.machine.trace.on) this.machine.trace.emit("SectionDeleted", { section: this.label });
  }
}

// ---- Protections -----------------------------------------------------------------------------

const SECTION_PROTECTIONS = new Set<number>([PAGE_READONLY, PAGE_READWRITE, PAGE_WRITECOPY, PAGE_EXECUTE, PAGE_EXECUTE_READ, PAGE_EXECUTE_READWRITE, PAGE_EXECUTE_WRITECOPY]);

function writable(protect: number): boolean {
  const base = protect & 0xff;
  return base === PAGE_READWRITE || base === PAGE_EXECUTE_READWRITE;
}

/** What a view's protection needs from the section's (MiMakeProtectionMask's compatibility test). */
function compatible(section: number, view: number): boolean {
  const s = section & 0xff;
  const v = view & 0xff;
  if (v === 0x01) return true; // PAGE_NOACCESS fits any section
  if (writable(v)) return s === PAGE_READWRITE || s === PAGE_EXECUTE_READWRITE;
  if (v === PAGE_EXECUTE || v === PAGE_EXECUTE_READ) return s === PAGE_EXECUTE || s === PAGE_EXECUTE_READ || s === PAGE_EXECUTE_READWRITE || s === PAGE_EXECUTE_WRITECOPY;
  return true; // PAGE_READONLY
}

/** The section access a view of this protection needs (what NtMapViewOfSection asks of the handle). */
export function accessForView(protect: number): number {
  const base = protect & 0xff;
  let access = SECTION_MAP_READ;
  if (writable(base)) access |= SECTION_MAP_WRITE;
  if (base === PAGE_EXECUTE || base === PAGE_EXECUTE_READ || base === PAGE_EXECUTE_READWRITE) access |= SECTION_MAP_EXECUTE;
  return access;
}

// ---- Create and open -------------------------------------------------------------------------

/** A created or opened section: the status, the handle (0 on failure) and the section. */
export interface SectionResult {
  readonly status: NTSTATUS;
  readonly handle: number;
  readonly section: SectionObject | null;
}

/**
 * NtCreateSection's work for a pagefile-backed section: `maximumSize` bytes (required: null or 0 is
 * STATUS_INVALID_PARAMETER_4), `protect` one of the PAGE_* values a section takes
 * (STATUS_INVALID_PAGE_PROTECTION otherwise), `attributes` SEC_COMMIT (the default when neither
 * SEC_COMMIT nor SEC_RESERVE is given; both is STATUS_INVALID_PARAMETER_6). Its pages are
 * committed and zeroed now; no memory left for them is STATUS_COMMITMENT_LIMIT. A name answers as
 * every named object's does (OBJ_OPENIF opens an existing section: STATUS_OBJECT_NAME_EXISTS).
 */
export function createSection(t: KThread, mode: KPROCESSOR_MODE, DesiredAccess: number, ObjectAttributes: OBJECT_ATTRIBUTES | number | null, maximumSize: number | null, protect: number, attributes: number, fileHandle: number | null): SectionResult {
  const m = t.machine;
  const failed = (status: NTSTATUS): SectionResult => ({ status, handle: 0, section: null });
  if (fileHandle !== null && fileHandle !== 0) throw new Error("a section backed by a file (ZwCreateSection with a FileHandle, CreateFileMapping of a file) is not built in irpsim: pass FileHandle NULL (INVALID_HANDLE_VALUE to CreateFileMapping) for a pagefile-backed section");
  if (typeof attributes !== "number" || typeof protect !== "number") return failed(STATUS_INVALID_PARAMETER_6);
  if (attributes & SEC_IMAGE) throw new Error("image sections (SEC_IMAGE) are not built in irpsim");
  if (attributes & SEC_LARGE_PAGES) throw new Error("large-page sections (SEC_LARGE_PAGES) are not built in irpsim");
  if (attributes & ~(SEC_COMMIT | SEC_RESERVE | SEC_NOCACHE | SEC_IMAGE | SEC_LARGE_PAGES)) return failed(STATUS_INVALID_PARAMETER_6);
  if ((attributes & (SEC_COMMIT | SEC_RESERVE)) === (SEC_COMMIT | SEC_RESERVE)) return failed(STATUS_INVALID_PARAMETER_6);
  if (attributes & SEC_RESERVE) throw new Error("SEC_RESERVE sections (pages committed later through a view) are not built in irpsim; use SEC_COMMIT");
  if (!SECTION_PROTECTIONS.has(protect & ~PAGE_NOCACHE) || (protect & ~(0xff | PAGE_NOCACHE)) !== 0) return failed(STATUS_INVALID_PAGE_PROTECTION);
  if (maximumSize === null || !Number.isSafeInteger(maximumSize) || maximumSize <= 0) return failed(STATUS_INVALID_PARAMETER_4);
  // A pagefile-backed section is at most what a 32-bit commit charge can describe.
  if (maximumSize > 0xffffffff) return failed(STATUS_COMMITMENT_LIMIT);
  const pages = Math.ceil(maximumSize / PAGE_SIZE);
  // As MmCreateSection does before the object is named: the commit charge first (a name that
  // exists is looked at afterwards, and the new section then goes again).
  const frames = m.physical.allocateFrames(pages);
  if (!frames) return failed(STATUS_COMMITMENT_LIMIT);
  const made = { section: null as SectionObject | null };
  const r = createNamedObject(t, mode, ObjectAttributes, "Section", DesiredAccess, (name) => (made.section = new SectionObject(m, maximumSize, protect, frames, attributes | SEC_COMMIT, name)));
  if (made.section === null) for (const f of frames) m.physical.dereference(f);
  const section = r.object instanceof SectionObject ? r.object : null;
  if (section && made.section === section && m.trace.on) m.trace.emit("SectionCreated", { section: section.label, size: section.size, frames: Array.from(section.frames) });
  return { status: r.status, handle: r.handle, section };
}

/** NtOpenSection's work: a handle to the section ObjectAttributes names (errors as for every open by name). */
export function openSection(t: KThread, mode: KPROCESSOR_MODE, DesiredAccess: number, ObjectAttributes: OBJECT_ATTRIBUTES | number | null): SectionResult {
  const r = openNamedObject(t, mode, ObjectAttributes, "Section", DesiredAccess);
  return { status: r.status, handle: r.handle, section: r.object instanceof SectionObject ? r.object : null };
}

// ---- Views in processes ----------------------------------------------------------------------

const viewsByMachine = new WeakMap<Machine, Map<KProcess | null, SectionView[]>>();
const systemSpaces = new WeakMap<Machine, UserAddressSpace>();

function viewTable(m: Machine): Map<KProcess | null, SectionView[]> {
  let v = viewsByMachine.get(m);
  if (!v) {
    v = new Map();
    viewsByMachine.set(m, v);
    // A process's exit unmaps the views still in it, dropping their references: after its handles
    // are closed (a driver's IRP_MJ_CLEANUP may still unmap them in the dying process's context)
    // and its address space torn down, as MmCleanProcessAddressSpace runs last.
    m.processExited.push((p) => {
      const list = v?.get(p);
      if (!list) return;
      for (const view of [...list]) {
        removeView(m, view);
        m.ob.dereference(view.section);
      }
    });
  }
  return v;
}

/** Every view mapped now, by process (null: system space), for reports and leak checks. */
export function sectionViews(m: Machine): ReadonlyMap<KProcess | null, readonly SectionView[]> {
  return viewTable(m);
}

/**
 * The user address space views in `p` go into: the process's own; for the System process (which
 * has no user space of its own here until something maps into it) one made on first use, as the
 * System process's user half on Windows holds the views drivers map with ZwMapViewOfSection from
 * a system thread. Null when the process's memory is another layer's (CE's).
 */
function userSpaceFor(m: Machine, p: KProcess): UserAddressSpace | null {
  if (p.addressSpace) return p.addressSpace;
  if (p !== m.systemProcess) return null;
  const made = systemSpaces.get(m);
  if (made) return made;
  if (p.translation !== null) return null;
  const space = new UserAddressSpace(m.physical, m.mmu);
  systemSpaces.set(m, space);
  p.translation = space;
  m.mmu.gen++;
  return space;
}

function removeView(m: Machine, view: SectionView): void {
  const list = viewTable(m).get(view.process);
  const k = list ? list.indexOf(view) : -1;
  if (list && k >= 0) list.splice(k, 1);
  view.section.views.delete(view);
  if (view.process === null) m.system.unmap(view.base, view.pages);
  else if (view.process.state !== "exited") userSpaceFor(m, view.process)?.unmapFrames(view.base);
  if (m.trace.on) m.trace.emit("SectionViewUnmapped", { section: view.section.label, base: view.base, process: view.process?.pid ?? 0 });
}

function addView(m: Machine, view: SectionView): void {
  const table = viewTable(m);
  let list = table.get(view.process);
  if (!list) {
    list = [];
    table.set(view.process, list);
  }
  list.push(view);
  view.section.views.add(view);
  // The view holds the section.
  m.ob.reference(view.section);
  if (m.trace.on) {
    m.trace.emit("SectionViewMapped", { section: view.section.label, base: view.base, size: view.pages * PAGE_SIZE, process: view.process?.pid ?? 0, offset: view.firstPage * PAGE_SIZE, frames: Array.from(view.section.frames.subarray(view.firstPage, view.firstPage + view.pages)) });
  }
}

/** The process a ProcessHandle names: NtCurrentProcess() or a Process handle (PROCESS_VM_OPERATION for user-mode callers). */
function processByHandle(t: KThread, mode: KPROCESSOR_MODE, ProcessHandle: number): KProcess | NTSTATUS {
  if (typeof ProcessHandle !== "number") return STATUS_INVALID_HANDLE;
  const h = ProcessHandle >>> 0;
  if (h === NtCurrentProcess) return t.currentProcess;
  if (h === 0) return STATUS_INVALID_HANDLE;
  const where = handleTableOf(t, h, mode);
  if (!where) return STATUS_INVALID_HANDLE;
  const r = t.machine.ob.referenceByHandle(where.process, where.value, "Process", 0x0008, mode);
  if (!r.object) return r.status;
  t.machine.ob.dereference(r.object);
  return r.object instanceof KProcess ? r.object : STATUS_OBJECT_TYPE_MISMATCH;
}

/** The section a handle names, referenced, checking the access `mode` must hold. */
export function sectionByHandle(t: KThread, mode: KPROCESSOR_MODE, SectionHandle: number, access: number): SectionObject | NTSTATUS {
  if (typeof SectionHandle !== "number" || SectionHandle === 0) return STATUS_INVALID_HANDLE;
  const where = handleTableOf(t, SectionHandle >>> 0, mode);
  if (!where) return STATUS_INVALID_HANDLE;
  const r = t.machine.ob.referenceByHandle(where.process, where.value, "Section", access, mode);
  if (!r.object) return r.status;
  return r.object instanceof SectionObject ? r.object : STATUS_OBJECT_TYPE_MISMATCH;
}

/** What a view request asks: as NtMapViewOfSection's in/out parameters carry it. */
export interface ViewRequest {
  /** The base asked for (0: the system chooses). */
  readonly base: number;
  /** ZeroBits: how many high bits of the base must be zero (0: no constraint). */
  readonly zeroBits: number;
  /** The offset into the section (rounded down to 64 KB). */
  readonly offset: number;
  /** The view size asked for (0: from the offset to the end of the section). */
  readonly viewSize: number;
  readonly inheritDisposition: number;
  readonly allocationType: number;
  readonly protect: number;
}

/** A mapped view: the status, and on success the base and the view's size in bytes. */
export interface ViewResult {
  readonly status: NTSTATUS;
  readonly base: number;
  readonly viewSize: number;
}

/**
 * NtMapViewOfSection's work: maps a view of the section `SectionHandle` names into the process
 * `ProcessHandle` names. The offset rounds down to 64 KB (the view grows by what it lost); a
 * ViewSize of 0 maps from the offset to the end; a view that would pass the end is
 * STATUS_INVALID_VIEW_SIZE; a requested base that is not a multiple of 64 KB is
 * STATUS_MAPPED_ALIGNMENT, one that is in use STATUS_CONFLICTING_ADDRESSES. The protection must be
 * one the section allows (STATUS_SECTION_PROTECTION) and, for a user-mode caller, one its handle's
 * access allows (STATUS_ACCESS_DENIED). InheritDisposition is ViewShare or ViewUnmap
 * (STATUS_INVALID_PARAMETER_8); AllocationType takes MEM_TOP_DOWN (STATUS_INVALID_PARAMETER_9).
 */
export function mapViewOfSection(t: KThread, mode: KPROCESSOR_MODE, SectionHandle: number, ProcessHandle: number, req: ViewRequest): ViewResult {
  const m = t.machine;
  const failed = (status: NTSTATUS): ViewResult => ({ status, base: 0, viewSize: 0 });
  if (req.inheritDisposition !== ViewShare && req.inheritDisposition !== ViewUnmap) return failed(STATUS_INVALID_PARAMETER_8);
  if (!Number.isInteger(req.allocationType) || (req.allocationType & ~(MEM_TOP_DOWN | 0x00002000 /* MEM_RESERVE */)) !== 0) return failed(STATUS_INVALID_PARAMETER_9);
  if (protectionToPteBits(req.protect) === null || (req.protect & 0x100) !== 0) return failed(STATUS_INVALID_PAGE_PROTECTION);
  if ((req.protect & 0xff) === PAGE_WRITECOPY || (req.protect & 0xff) === PAGE_EXECUTE_WRITECOPY) throw new Error("copy-on-write views (PAGE_WRITECOPY, FILE_MAP_COPY) are not built in irpsim; map the view PAGE_READWRITE or PAGE_READONLY");
  if (!Number.isInteger(req.zeroBits) || req.zeroBits < 0 || req.zeroBits > 21) return failed(STATUS_INVALID_PARAMETER_4);
  if (!Number.isInteger(req.base) || req.base < 0 || req.base > MM_HIGHEST_USER_ADDRESS) return failed(STATUS_INVALID_PARAMETER_3);
  if (req.base % ALLOCATION_GRANULARITY !== 0) return failed(STATUS_MAPPED_ALIGNMENT);
  if (!Number.isSafeInteger(req.offset) || req.offset < 0 || !Number.isSafeInteger(req.viewSize) || req.viewSize < 0) return failed(STATUS_INVALID_VIEW_SIZE);
  const section = sectionByHandle(t, mode, SectionHandle, accessForView(req.protect));
  if (typeof section === "number") return failed(section);
  try {
    const process = processByHandle(t, mode, ProcessHandle);
    if (typeof process === "number") return failed(process);
    if (process.state !== "active") return failed(STATUS_PROCESS_IS_TERMINATING);
    if (!compatible(section.protection, req.protect)) return failed(STATUS_SECTION_PROTECTION);
    const offset = req.offset - (req.offset % ALLOCATION_GRANULARITY);
    if (offset >= section.size) return failed(STATUS_INVALID_VIEW_SIZE);
    const size = req.viewSize === 0 ? section.size - offset : req.viewSize + (req.offset - offset);
    if (offset + size > section.size) return failed(STATUS_INVALID_VIEW_SIZE);
    const firstPage = offset / PAGE_SIZE;
    const pages = Math.ceil(size / PAGE_SIZE);
    const space = userSpaceFor(m, process);
    if (!space) return failed(STATUS_NOT_SUPPORTED);
    const protect = section.attributes & SEC_NOCACHE ? req.protect | PAGE_NOCACHE : req.protect;
    const r = space.mapFramesAt(req.base, section.frames.subarray(firstPage, firstPage + pages), protect, `view of ${section.label}`, (req.allocationType & MEM_TOP_DOWN) !== 0);
    if (r.status !== STATUS_SUCCESS) return failed(r.status === STATUS_NO_MEMORY && req.base !== 0 ? STATUS_CONFLICTING_ADDRESSES : r.status);
    if (req.zeroBits > 0 && r.base + r.size - 1 >= 2 ** (32 - req.zeroBits)) {
      space.unmapFrames(r.base);
      return failed(STATUS_NO_MEMORY);
    }
    addView(m, { section, process, base: r.base, pages, firstPage });
    return { status: STATUS_SUCCESS, base: r.base, viewSize: pages * PAGE_SIZE };
  } finally {
    m.ob.dereference(section);
  }
}

/**
 * NtUnmapViewOfSection's work: unmaps the view containing `base` in the process `ProcessHandle`
 * names, dropping its reference on the section. An address in no view (never mapped, unmapped
 * already, private memory) is STATUS_NOT_MAPPED_VIEW; a view a driver secured
 * (MmSecureVirtualMemory) is STATUS_INVALID_PAGE_PROTECTION until unsecured.
 */
export async function unmapViewOfSection(t: KThread, mode: KPROCESSOR_MODE, ProcessHandle: number, base: number): Promise<NTSTATUS> {
  const m = t.machine;
  const process = processByHandle(t, mode, ProcessHandle);
  if (typeof process === "number") return process;
  if (typeof base !== "number" || !Number.isInteger(base)) return STATUS_NOT_MAPPED_VIEW;
  const list = viewTable(m).get(process) ?? [];
  const view = list.find((v) => base >= v.base && base < v.base + v.pages * PAGE_SIZE);
  if (!view) return STATUS_NOT_MAPPED_VIEW;
  const space = userSpaceFor(m, process);
  const vpn = view.base >>> PAGE_SHIFT;
  const secured = space?.securedCheck?.(vpn, vpn + view.pages, null) ?? STATUS_SUCCESS;
  if (secured !== STATUS_SUCCESS) return secured;
  removeView(m, view);
  await m.ob.dereferenceInline(view.section);
  return STATUS_SUCCESS;
}

// ---- Views in system space -------------------------------------------------------------------

/**
 * MmMapViewInSystemSpace's work: maps `viewSize` bytes of the section (0: all of it) into system
 * space, readable and writable as the section allows. A view larger than the section is
 * STATUS_INVALID_VIEW_SIZE; no system PTEs left STATUS_NO_MEMORY.
 */
export function mapViewInSystemSpace(m: Machine, section: SectionObject, viewSize: number): ViewResult {
  if (!Number.isSafeInteger(viewSize) || viewSize < 0 || viewSize > section.size) return { status: STATUS_INVALID_VIEW_SIZE, base: 0, viewSize: 0 };
  const size = viewSize === 0 ? section.size : viewSize;
  const pages = Math.ceil(size / PAGE_SIZE);
  const base = m.system.mapFrames(section.frames.subarray(0, pages), { writable: writable(section.protection), nocache: (section.attributes & SEC_NOCACHE) !== 0 });
  if (base === 0) return { status: STATUS_NO_MEMORY, base: 0, viewSize: 0 };
  addView(m, { section, process: null, base, pages, firstPage: 0 });
  return { status: STATUS_SUCCESS, base, viewSize: pages * PAGE_SIZE };
}

/**
 * MmUnmapViewInSystemSpace's work: unmaps the system-space view at `base` (its base address). An
 * address that is no such view (unmapped twice, never mapped, inside a view) is bug check 0xD7
 * DRIVER_UNMAPPING_INVALID_VIEW (P1 the address, P2 1: a view being unmapped).
 */
export async function unmapViewInSystemSpace(t: KThread, base: number): Promise<NTSTATUS> {
  const m = t.machine;
  const list = viewTable(m).get(null) ?? [];
  const view = typeof base === "number" ? list.find((v) => v.base === base >>> 0) : undefined;
  if (!view) {
    return m.bugCheck(SectionBugCheckCode.DRIVER_UNMAPPING_INVALID_VIEW, typeof base === "number" ? base >>> 0 : 0, 1, 0, 0, {
      detail: `MmUnmapViewInSystemSpace(0x${(typeof base === "number" ? base >>> 0 : 0).toString(16).toUpperCase()}), which is not the base of a system-space view (unmapped twice, or never mapped)`,
    });
  }
  removeView(m, view);
  await m.ob.dereferenceInline(view.section);
  return STATUS_SUCCESS;
}
