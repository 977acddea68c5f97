/**
 * OBJECT_ATTRIBUTES (ntdef.h): what names the object an Nt or Zw create or open routine acts on.
 * As with UNICODE_STRING, a local (`new OBJECT_ATTRIBUTES()`, filled by InitializeObjectAttributes)
 * or one in emulated memory (`OBJECT_ATTRIBUTES.at(address)`, x86 layout: Length, RootDirectory,
 * ObjectName, Attributes, SecurityDescriptor, SecurityQualityOfService — 24 bytes) is accepted.
 * The one definition: irpsim/wdm (drivers' Zw* routines) and irpsim/ntdll (apps' Nt* routines)
 * both export it, as both headers declare the same structure.
 */
import { ProbeForRead } from "./api-rtl.js";
import { currentMachine } from "./context.js";
import { KernelMode, type KPROCESSOR_MODE } from "./irql.js";
import { NtStatusError } from "./nt-status-error.js";
import { RtlInitUnicodeString, UNICODE_STRING, unicodeStringText } from "./rtl-string.js";
import { STATUS_ACCESS_VIOLATION, STATUS_INVALID_PARAMETER, STATUS_OBJECT_NAME_INVALID, type NTSTATUS } from "./status.js";
import { badPointer, checkNumber, checkPointer } from "./bad-pointer.js";

/** OBJ_* attribute flags: OBJ_INHERIT, the handle is inherited by child processes. */
export const OBJ_INHERIT = 0x00000002;
/** OBJ_PERMANENT: the named object outlives its last handle (until made temporary). */
export const OBJ_PERMANENT = 0x00000010;
/** OBJ_EXCLUSIVE: only one handle to the object may be open at a time. */
export const OBJ_EXCLUSIVE = 0x00000020;
/** OBJ_CASE_INSENSITIVE: the name is looked up without regard to case. */
export const OBJ_CASE_INSENSITIVE = 0x00000040;
/** OBJ_OPENIF: a create of a name that exists opens the existing object (STATUS_OBJECT_NAME_EXISTS). */
export const OBJ_OPENIF = 0x00000080;
/** OBJ_OPENLINK: open a symbolic link itself rather than its target. */
export const OBJ_OPENLINK = 0x00000100;
/** OBJ_KERNEL_HANDLE: the handle goes in the system process's table, usable only from kernel mode; drivers set it for every handle they keep. */
export const OBJ_KERNEL_HANDLE = 0x00000200;
/** OBJ_FORCE_ACCESS_CHECK: check access as for a user-mode caller even when the caller is in kernel mode. */
export const OBJ_FORCE_ACCESS_CHECK = 0x00000400;
/** OBJ_VALID_ATTRIBUTES: every attribute bit defined; others are STATUS_INVALID_PARAMETER. */
export const OBJ_VALID_ATTRIBUTES = 0x000007f2;

/** OBJECT_ATTRIBUTES. */
export class OBJECT_ATTRIBUTES {
  /** sizeof(OBJECT_ATTRIBUTES) on x86: 24. */
  static readonly size = 24;
  /** Its alignment: 4. */
  static readonly align = 4;
  /** Where the structure is in emulated memory (0 for a local). */
  readonly address: number;
  private local = { Length: 24, RootDirectory: 0, ObjectName: null as UNICODE_STRING | null, Attributes: 0, SecurityDescriptor: 0 as unknown, SecurityQualityOfService: 0 };

  constructor(address = 0) {
    this.address = address;
  }

  /** The structure at `address` in emulated memory. */
  static at(address: number): OBJECT_ATTRIBUTES {
    return new OBJECT_ATTRIBUTES(address);
  }

  private mmu() {
    return currentMachine("OBJECT_ATTRIBUTES").mmu;
  }

  /** Length: sizeof(OBJECT_ATTRIBUTES), which the routines check. */
  get Length(): number {
    return this.address === 0 ? this.local.Length : this.mmu().readU32(this.address);
  }
  /** Sets Length. */
  set Length(v: number) {
    if (this.address === 0) this.local.Length = v >>> 0;
    else this.mmu().writeU32(this.address, v);
  }
  /** RootDirectory: a directory handle the name is relative to, or 0 for an absolute name. */
  get RootDirectory(): number {
    return this.address === 0 ? this.local.RootDirectory : this.mmu().readU32(this.address + 4);
  }
  /** Sets RootDirectory. */
  set RootDirectory(v: number) {
    if (this.address === 0) this.local.RootDirectory = v >>> 0;
    else this.mmu().writeU32(this.address + 4, v);
  }
  /** The name: a UNICODE_STRING (for a structure in memory, the one its pointer points at), or NULL. */
  get ObjectName(): UNICODE_STRING | null {
    if (this.address === 0) return this.local.ObjectName;
    const p = this.mmu().readU32(this.address + 8);
    return p === 0 ? null : UNICODE_STRING.at(p);
  }
  /**
   * Sets the name: a UNICODE_STRING object (in memory, only one that lives in memory can be
   * pointed at), a string literal (`L"\\BaseNamedObjects\\Name"`, which RtlInitUnicodeString
   * points a local UNICODE_STRING at), or NULL.
   */
  set ObjectName(v: UNICODE_STRING | string | null) {
    if (typeof v === "string") {
      const us = new UNICODE_STRING();
      RtlInitUnicodeString(us, v);
      v = us;
    }
    if (this.address === 0) {
      this.local.ObjectName = v;
      return;
    }
    if (v !== null && v.address === 0) throw new TypeError("OBJECT_ATTRIBUTES in emulated memory can only point at a UNICODE_STRING in emulated memory (UNICODE_STRING.at(address))");
    this.mmu().writeU32(this.address + 8, v === null ? 0 : v.address);
  }
  /** Attributes: the OBJ_* flags. */
  get Attributes(): number {
    return this.address === 0 ? this.local.Attributes : this.mmu().readU32(this.address + 12);
  }
  /** Sets Attributes. */
  set Attributes(v: number) {
    if (this.address === 0) this.local.Attributes = v >>> 0;
    else this.mmu().writeU32(this.address + 12, v);
  }
  /**
   * SecurityDescriptor: an address in memory, or (for a local) a self-relative descriptor's
   * SDDL string, which is how irpsim's security descriptors are given.
   */
  get SecurityDescriptor(): unknown {
    return this.address === 0 ? this.local.SecurityDescriptor : this.mmu().readU32(this.address + 16);
  }
  /** Sets SecurityDescriptor (an address, or for a local an SDDL string). */
  set SecurityDescriptor(v: unknown) {
    if (this.address === 0) this.local.SecurityDescriptor = v;
    else this.mmu().writeU32(this.address + 16, typeof v === "number" ? v : 0);
  }
  /** SecurityQualityOfService: the impersonation parameters (an address; not modelled, kept as given). */
  get SecurityQualityOfService(): number {
    return this.address === 0 ? this.local.SecurityQualityOfService : this.mmu().readU32(this.address + 20);
  }
  /** Sets SecurityQualityOfService. */
  set SecurityQualityOfService(v: number) {
    if (this.address === 0) this.local.SecurityQualityOfService = v >>> 0;
    else this.mmu().writeU32(this.address + 20, v);
  }
}

/** POBJECT_ATTRIBUTES. */
export type POBJECT_ATTRIBUTES = OBJECT_ATTRIBUTES;

/**
 * InitializeObjectAttributes(p, n, a, r, s): the macro, field by field. `n` is a PUNICODE_STRING,
 * or a string literal standing for a constant UNICODE_STRING (RTL_CONSTANT_STRING), or NULL.
 */
export function InitializeObjectAttributes(p: OBJECT_ATTRIBUTES, n: UNICODE_STRING | string | null, a: number, r: number | null, s: unknown): void {
  // The macro stores through p: what is no OBJECT_ATTRIBUTES faults.
  checkPointer("InitializeObjectAttributes", "p", p, OBJECT_ATTRIBUTES, "an OBJECT_ATTRIBUTES");
  // The ULONG and HANDLE fields take numbers; the name is a PUNICODE_STRING, a literal or NULL.
  const attributes = checkNumber("InitializeObjectAttributes", "a", a);
  const root = r === null ? 0 : checkNumber("InitializeObjectAttributes", "r", r);
  if (n !== null && typeof n !== "string" && !(n instanceof UNICODE_STRING)) badPointer("InitializeObjectAttributes", "n", n, "a UNICODE_STRING, a literal or NULL");
  p.Length = OBJECT_ATTRIBUTES.size;
  p.RootDirectory = root;
  p.Attributes = attributes;
  p.ObjectName = n;
  p.SecurityDescriptor = s;
  p.SecurityQualityOfService = 0;
}

/** What the object manager takes from a caller's OBJECT_ATTRIBUTES: the name (null: none) and the attributes. */
export interface CapturedObjectAttributes {
  readonly name: string | null;
  readonly attributes: number;
  /** RootDirectory, when the caller allowed one (the registry's relative opens); 0 otherwise. */
  readonly rootDirectory?: number;
}

/**
 * Captures OBJECT_ATTRIBUTES as the object manager does before a create or open by name
 * (ObpCaptureObjectCreateInformation): from user mode (`mode` is the previous mode) the structure,
 * the UNICODE_STRING and its characters are probed (STATUS_ACCESS_VIOLATION, as the status, not
 * an exception); a Length other than sizeof(OBJECT_ATTRIBUTES) or an unknown attribute bit is
 * STATUS_INVALID_PARAMETER, and so is OBJ_KERNEL_HANDLE from user mode (only kernel-mode callers
 * may make kernel handles); a name whose Length is odd is STATUS_OBJECT_NAME_INVALID. A NULL
 * ObjectAttributes, name or empty name captures as no name. `oa` is an OBJECT_ATTRIBUTES object
 * or its address. `allowRoot`: the caller resolves RootDirectory itself (the registry's relative
 * opens), so it is returned instead of refused.
 */
export function captureObjectAttributes(oa: OBJECT_ATTRIBUTES | number | null, mode: KPROCESSOR_MODE, allowRoot = false): CapturedObjectAttributes | NTSTATUS {
  if (oa === null || oa === 0) return { name: null, attributes: 0 };
  const user = mode !== KernelMode;
  // A pointer that is no OBJECT_ATTRIBUTES (or whose ObjectName is no UNICODE_STRING): the capture's
  // read faults — returned to a user-mode caller by the service's handler, raised in kernel mode.
  const wrong = typeof oa !== "number" && (!(oa instanceof OBJECT_ATTRIBUTES) || (oa.ObjectName !== null && !((oa.ObjectName as unknown) instanceof UNICODE_STRING)));
  if (wrong) {
    if (user) return STATUS_ACCESS_VIOLATION;
    badPointer("the object manager's capture", "ObjectAttributes", oa, "an OBJECT_ATTRIBUTES whose ObjectName is a UNICODE_STRING or NULL");
  }
  try {
    if (typeof oa === "number" && user) ProbeForRead(oa, OBJECT_ATTRIBUTES.size, 4);
    const a = typeof oa === "number" ? OBJECT_ATTRIBUTES.at(oa) : oa;
    if (a.Length !== OBJECT_ATTRIBUTES.size) return STATUS_INVALID_PARAMETER;
    const attributes = a.Attributes;
    if ((attributes & ~OBJ_VALID_ATTRIBUTES) !== 0) return STATUS_INVALID_PARAMETER;
    if (user && (attributes & OBJ_KERNEL_HANDLE) !== 0) return STATUS_INVALID_PARAMETER;
    const rootDirectory = a.RootDirectory;
    if (rootDirectory !== 0 && !allowRoot) throw new Error("opening or creating an object relative to a RootDirectory handle is not built in irpsim; give the full name in ObjectName (\\BaseNamedObjects\\Name, \\??\\Name, \\Device\\Name)");
    if (a.address !== 0 && user) {
      const p = currentMachine("OBJECT_ATTRIBUTES").mmu.readU32(a.address + 8);
      if (p !== 0) ProbeForRead(p, UNICODE_STRING.size, 4);
    }
    const us = a.ObjectName;
    if (us === null || us.Length === 0) return { name: null, attributes, rootDirectory };
    if (us.Length % 2 !== 0 || us.Length > us.MaximumLength) return STATUS_OBJECT_NAME_INVALID;
    if (user) ProbeForRead(us.Buffer, us.Length, 2);
    return { name: unicodeStringText(us), attributes, rootDirectory };
  } catch (e) {
    if (e instanceof NtStatusError) return e.status;
    throw e;
  }
}
