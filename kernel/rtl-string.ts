/**
 * Counted strings (ntdef.h's UNICODE_STRING and ANSI_STRING) and the Rtl routines over them.
 *
 * A counted string is Length (bytes in use, no NUL counted), MaximumLength (bytes of Buffer) and
 * Buffer (an address in emulated memory). The header itself lives where C would put it:
 * `new UNICODE_STRING()` is a local (a host object, as the kernel's other structures here), and
 * `UNICODE_STRING.at(address)` is one embedded in emulated memory (an OBJECT_ATTRIBUTES'
 * ObjectName, a member of a user's input structure), read and written there on every access.
 * Both are accepted wherever a PUNICODE_STRING is. Buffer contents are always in emulated memory,
 * read and written through the normal accessors (a bad Buffer faults as it would in C).
 *
 * The ANSI code page is modelled as Latin-1: characters 0x00-0xFF convert one to one, others become
 * '?' (the default character of a best-fit conversion).
 */
import { badPointer, checkNumber, checkPointer } from "./bad-pointer.js";
import { currentMachine } from "./context.js";
import { KernelMode } from "./irql.js";
import { MEM_COMMIT, MEM_RELEASE, MEM_RESERVE } from "./memory-constants.js";
import { PAGE_READWRITE } from "./pte.js";
import { ExAllocatePoolWithTag, ExFreePoolWithTag, PagedPool } from "./api-ex.js";
import { NtStatusError } from "./nt-status-error.js";
import { STATUS_ACCESS_VIOLATION, STATUS_BUFFER_OVERFLOW, STATUS_BUFFER_TOO_SMALL, STATUS_INVALID_PARAMETER_2, STATUS_NO_MEMORY, STATUS_SUCCESS, type NTSTATUS } from "./status.js";
import { stringLiteral } from "./string-literals.js";
import type { KThread } from "./thread.js";
import type { Mmu } from "./mmu.js";

/** The largest Length a counted string can hold (a USHORT, even for wide strings). */
const MAX_USHORT = 0xffff;
/** RtlInitUnicodeString's limit: UNICODE_STRING_MAX_BYTES less the NUL. */
const UNICODE_STRING_MAX_BYTES = 0xfffe;
/** The tag the Rtl string allocator uses in kernel mode. */
const STRING_TAG = "Strg";

function mmu(api: string): Mmu {
  return currentMachine(api).mmu;
}

/**
 * The common shape of UNICODE_STRING and ANSI_STRING: three fields, stored either in a host
 * object (a local) or at an address in emulated memory (x86 layout: USHORT, USHORT, PVOID).
 */
abstract class CountedString {
  /** Where the header is in emulated memory (0 for a local). */
  readonly address: number;
  private length = 0;
  private maximumLength = 0;
  private buffer = 0;

  constructor(address = 0) {
    this.address = address;
  }

  /** Bytes in use, not counting any NUL. */
  get Length(): number {
    return this.address === 0 ? this.length : mmu("Length").readU16(this.address);
  }
  /** Sets Length (truncated to a USHORT, as a C store is). */
  set Length(v: number) {
    if (this.address === 0) this.length = v & 0xffff;
    else mmu("Length").writeU16(this.address, v & 0xffff);
  }
  /** Bytes Buffer holds. */
  get MaximumLength(): number {
    return this.address === 0 ? this.maximumLength : mmu("MaximumLength").readU16(this.address + 2);
  }
  /** Sets MaximumLength (truncated to a USHORT). */
  set MaximumLength(v: number) {
    if (this.address === 0) this.maximumLength = v & 0xffff;
    else mmu("MaximumLength").writeU16(this.address + 2, v & 0xffff);
  }
  /** The characters' address in emulated memory (0: NULL). */
  get Buffer(): number {
    return this.address === 0 ? this.buffer : mmu("Buffer").readU32(this.address + 4);
  }
  /** Sets Buffer. */
  set Buffer(v: number) {
    if (this.address === 0) this.buffer = v >>> 0;
    else mmu("Buffer").writeU32(this.address + 4, v >>> 0);
  }
}

/** Copies a counted string's three fields (each side a local or a view of emulated memory); returns `to`. */
function copyHeader<T extends CountedString>(to: T, from: CountedString): T {
  to.Length = from.Length;
  to.MaximumLength = from.MaximumLength;
  to.Buffer = from.Buffer;
  return to;
}

/** UNICODE_STRING: Length and MaximumLength in bytes, Buffer of UTF-16 characters. */
export class UNICODE_STRING extends CountedString {
  /** sizeof the header on x86: 8 (USHORT, USHORT, PVOID). */
  static readonly size = 8;
  /** The header's alignment: 4. */
  static readonly align = 4;
  /** A UNICODE_STRING embedded in emulated memory at `address` (its fields read and written there). */
  static at(address: number): UNICODE_STRING {
    return new UNICODE_STRING(address);
  }
  /** A copy of the header at `address`, as a local. */
  static read(address: number): UNICODE_STRING {
    return copyHeader(new UNICODE_STRING(), new UNICODE_STRING(address));
  }
  /** Stores a header at `address`. */
  static write(address: number, value: UNICODE_STRING): void {
    copyHeader(new UNICODE_STRING(address), value);
  }
}

/**
 * The UNICODE_STRING of a wide literal, as RTL_CONSTANT_STRING(L"...") initialises one at compile
 * time: Length and MaximumLength are fixed by the literal, and Buffer is the literal's address in
 * the image's read-only data, placed when code first reads it (so a module-level constant works on
 * any machine: each machine's image gets its own copy). A DECLARE_CONST_UNICODE_STRING header is
 * itself const data: storing to one of its fields faults.
 */
class ConstantUnicodeString extends UNICODE_STRING {
  private placed = false;

  constructor(
    private readonly text: string,
    private readonly constant: boolean,
  ) {
    super();
    const bytes = Math.min(text.length * 2, UNICODE_STRING_MAX_BYTES - 2);
    super.Length = bytes;
    super.MaximumLength = bytes + 2;
  }

  private store(field: string): void {
    if (this.constant) {
      throw new NtStatusError(STATUS_ACCESS_VIOLATION, `STATUS_ACCESS_VIOLATION: writing ${field} of a DECLARE_CONST_UNICODE_STRING, which lives in read-only data`, { address: 0, write: true });
    }
  }

  override get Length(): number {
    return super.Length;
  }
  override set Length(v: number) {
    this.store("Length");
    super.Length = v;
  }
  override get MaximumLength(): number {
    return super.MaximumLength;
  }
  override set MaximumLength(v: number) {
    this.store("MaximumLength");
    super.MaximumLength = v;
  }
  override get Buffer(): number {
    if (this.placed) return super.Buffer;
    return stringLiteral(thread("RTL_CONSTANT_STRING"), this.text, true);
  }
  override set Buffer(v: number) {
    this.store("Buffer");
    this.placed = true;
    super.Buffer = v;
  }
}

/**
 * RTL_CONSTANT_STRING(L"..."): a UNICODE_STRING initialised from a literal (Length its bytes
 * without the NUL, MaximumLength with it, Buffer the literal), usable at module level as C uses it
 * for a static: `const DeviceName = RTL_CONSTANT_STRING("\\Device\\Sample");`. Its fields may be
 * changed later, as a C variable's may.
 */
export function RTL_CONSTANT_STRING(Literal: string): UNICODE_STRING {
  return new ConstantUnicodeString(Literal, false);
}

/**
 * DECLARE_CONST_UNICODE_STRING(Name, L"..."): a const UNICODE_STRING for the literal
 * (`const Name = DECLARE_CONST_UNICODE_STRING("...")`); a store to its fields faults, as the
 * const header in read-only data would. DECLARE_GLOBAL_CONST_UNICODE_STRING is the same.
 */
export function DECLARE_CONST_UNICODE_STRING(Literal: string): UNICODE_STRING {
  return new ConstantUnicodeString(Literal, true);
}
export { DECLARE_CONST_UNICODE_STRING as DECLARE_GLOBAL_CONST_UNICODE_STRING };

/** ANSI_STRING (and STRING, OEM_STRING): Length and MaximumLength in bytes, Buffer of 8-bit characters. */
export class ANSI_STRING extends CountedString {
  /** sizeof the header on x86: 8 (USHORT, USHORT, PVOID). */
  static readonly size = 8;
  /** The header's alignment: 4. */
  static readonly align = 4;
  /** An ANSI_STRING embedded in emulated memory at `address`. */
  static at(address: number): ANSI_STRING {
    return new ANSI_STRING(address);
  }
  /** A copy of the header at `address`, as a local. */
  static read(address: number): ANSI_STRING {
    return copyHeader(new ANSI_STRING(), new ANSI_STRING(address));
  }
  /** Stores a header at `address`. */
  static write(address: number, value: ANSI_STRING): void {
    copyHeader(new ANSI_STRING(address), value);
  }
}

/** PUNICODE_STRING / PCUNICODE_STRING: a UNICODE_STRING object (a local or a view of memory). */
export type PUNICODE_STRING = UNICODE_STRING;
/** PCUNICODE_STRING: a pointer to a UNICODE_STRING the routine does not change. */
export type PCUNICODE_STRING = UNICODE_STRING;
/** PANSI_STRING. */
export type PANSI_STRING = ANSI_STRING;
/** A PCWSTR / PCSTR argument: a NUL-terminated string's address, a literal, or NULL. */
export type PCSZ = number | string | null;

/** The characters of a counted string. */
export function unicodeStringText(s: UNICODE_STRING): string {
  unicodeArg("unicodeStringText", "String", s);
  const n = s.Length >>> 1;
  if (n === 0) return "";
  const bytes = mmu("UNICODE_STRING").readBytes(s.Buffer, n * 2);
  let out = "";
  for (let i = 0; i < n; i++) out += String.fromCharCode((bytes[2 * i] ?? 0) | ((bytes[2 * i + 1] ?? 0) << 8));
  return out;
}

/** The characters of an ANSI_STRING. */
export function ansiStringText(s: ANSI_STRING): string {
  ansiArg("ansiStringText", "String", s);
  const n = s.Length;
  if (n === 0) return "";
  const bytes = mmu("ANSI_STRING").readBytes(s.Buffer, n);
  let out = "";
  for (const b of bytes) out += String.fromCharCode(b);
  return out;
}

/**
 * Writes `text` as UTF-16 at `address` (no NUL).
 * @internal shared by the Rtl string routines in other files.
 */
export function writeWide(m: Mmu, address: number, text: string): void {
  const bytes = new Uint8Array(text.length * 2);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    bytes[2 * i] = c & 0xff;
    bytes[2 * i + 1] = c >>> 8;
  }
  m.writeBytes(address, bytes);
}

function writeNarrow(m: Mmu, address: number, text: string): void {
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    bytes[i] = c < 0x100 ? c : 0x3f;
  }
  m.writeBytes(address, bytes);
}

function thread(api: string): KThread {
  return currentMachine(api).currentThread(api);
}

/** RtlInitEmpty*String's Buffer (an address, stored) and BufferSize (a USHORT, by value). */
function emptyBuffer(api: string, buffer: number, size: number): void {
  if (typeof buffer !== "number") badPointer(api, "Buffer", buffer, "an address");
  checkNumber(api, "BufferSize", size);
}

/**
 * A PUNICODE_STRING argument: the routine reads the header through it, so anything else faults.
 * @internal shared by the Rtl string routines in other files.
 */
export function unicodeArg(api: string, param: string, value: UNICODE_STRING): UNICODE_STRING {
  checkPointer(api, param, value, UNICODE_STRING, "a UNICODE_STRING");
  return value;
}

/** A PANSI_STRING argument (see {@link unicodeArg}). */
function ansiArg(api: string, param: string, value: ANSI_STRING): ANSI_STRING {
  checkPointer(api, param, value, ANSI_STRING, "an ANSI_STRING");
  return value;
}

// ---- Init ----

/** A PCWSTR / PCSZ argument's address: a literal is placed in the image's read-only data. */
function sourceAddress(t: KThread, api: string, source: PCSZ, wide: boolean): number {
  if (source === null) return 0;
  if (typeof source === "string") return stringLiteral(t, source, wide);
  // Read through as a pointer: what is no address faults.
  if (typeof source !== "number") badPointer(api, "SourceString", source, "a string's address, a literal or NULL");
  return source >>> 0;
}

/**
 * RtlInitUnicodeString: points DestinationString at SourceString (no copy): Length is its length
 * in bytes without the NUL, MaximumLength that plus the NUL; NULL gives an empty string with a
 * NULL Buffer. A TypeScript string is a literal (`L"..."`), stored read-only in the caller's image.
 * A string longer than UNICODE_STRING_MAX_BYTES is cut to fit, as NT does.
 */
export function RtlInitUnicodeString(DestinationString: UNICODE_STRING, SourceString: PCSZ): void {
  unicodeArg("RtlInitUnicodeString", "DestinationString", DestinationString);
  const t = thread("RtlInitUnicodeString");
  const at = sourceAddress(t, "RtlInitUnicodeString", SourceString, true);
  if (at === 0) {
    DestinationString.Length = 0;
    DestinationString.MaximumLength = 0;
    DestinationString.Buffer = 0;
    return;
  }
  const chars = t.machine.mmu.readWideString(at, UNICODE_STRING_MAX_BYTES / 2).length;
  const bytes = Math.min(chars * 2, UNICODE_STRING_MAX_BYTES - 2);
  DestinationString.Length = bytes;
  DestinationString.MaximumLength = bytes + 2;
  DestinationString.Buffer = at;
}

/** RtlInitAnsiString (and RtlInitString): as RtlInitUnicodeString, for 8-bit strings. */
export function RtlInitAnsiString(DestinationString: ANSI_STRING, SourceString: PCSZ): void {
  ansiArg("RtlInitAnsiString", "DestinationString", DestinationString);
  const t = thread("RtlInitAnsiString");
  const at = sourceAddress(t, "RtlInitAnsiString", SourceString, false);
  if (at === 0) {
    DestinationString.Length = 0;
    DestinationString.MaximumLength = 0;
    DestinationString.Buffer = 0;
    return;
  }
  const chars = Math.min(t.machine.mmu.readAnsiString(at, MAX_USHORT).length, MAX_USHORT - 1);
  DestinationString.Length = chars;
  DestinationString.MaximumLength = chars + 1;
  DestinationString.Buffer = at;
}
export { RtlInitAnsiString as RtlInitString };

/**
 * RtlInitEmptyUnicodeString: an empty string over a caller's buffer of BufferSize bytes (wdm.h's
 * inline): Length 0, MaximumLength BufferSize, Buffer as given.
 */
export function RtlInitEmptyUnicodeString(UnicodeString: UNICODE_STRING, Buffer: number, BufferSize: number): void {
  unicodeArg("RtlInitEmptyUnicodeString", "UnicodeString", UnicodeString);
  emptyBuffer("RtlInitEmptyUnicodeString", Buffer, BufferSize);
  UnicodeString.Length = 0;
  UnicodeString.MaximumLength = BufferSize;
  UnicodeString.Buffer = Buffer;
}

/** RtlInitEmptyAnsiString. */
export function RtlInitEmptyAnsiString(AnsiString: ANSI_STRING, Buffer: number, BufferSize: number): void {
  ansiArg("RtlInitEmptyAnsiString", "AnsiString", AnsiString);
  emptyBuffer("RtlInitEmptyAnsiString", Buffer, BufferSize);
  AnsiString.Length = 0;
  AnsiString.MaximumLength = BufferSize;
  AnsiString.Buffer = Buffer;
}

// ---- Copy, compare, append ----

/**
 * RtlCopyUnicodeString: copies as much of SourceString as fits in DestinationString's
 * MaximumLength (silently truncating, as NT does), sets Length, and adds a NUL when there is room.
 * A NULL SourceString empties the destination.
 */
export function RtlCopyUnicodeString(DestinationString: UNICODE_STRING, SourceString: UNICODE_STRING | null): void {
  unicodeArg("RtlCopyUnicodeString", "DestinationString", DestinationString);
  if (SourceString !== null) unicodeArg("RtlCopyUnicodeString", "SourceString", SourceString);
  const m = mmu("RtlCopyUnicodeString");
  if (SourceString === null) {
    DestinationString.Length = 0;
    return;
  }
  const max = DestinationString.MaximumLength;
  const n = Math.min(SourceString.Length, max) & ~1;
  if (n > 0) m.copy(DestinationString.Buffer, SourceString.Buffer, n);
  DestinationString.Length = n;
  if (n + 2 <= max) m.writeU16(DestinationString.Buffer + n, 0);
}

/** RtlCopyString (ANSI). */
export function RtlCopyString(DestinationString: ANSI_STRING, SourceString: ANSI_STRING | null): void {
  ansiArg("RtlCopyString", "DestinationString", DestinationString);
  if (SourceString !== null) ansiArg("RtlCopyString", "SourceString", SourceString);
  const m = mmu("RtlCopyString");
  if (SourceString === null) {
    DestinationString.Length = 0;
    return;
  }
  const max = DestinationString.MaximumLength;
  const n = Math.min(SourceString.Length, max);
  if (n > 0) m.copy(DestinationString.Buffer, SourceString.Buffer, n);
  DestinationString.Length = n;
  if (n < max) m.writeU8(DestinationString.Buffer + n, 0);
}

/** RtlUpcaseUnicodeChar for the characters the emulator models (Unicode's simple upper case). */
export function RtlUpcaseUnicodeChar(SourceCharacter: number): number {
  checkNumber("RtlUpcaseUnicodeChar", "SourceCharacter", SourceCharacter);
  const s = String.fromCharCode(SourceCharacter & 0xffff).toUpperCase();
  return s.length === 1 ? s.charCodeAt(0) : SourceCharacter & 0xffff;
}

function compareText(a: string, b: string, insensitive: boolean): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (insensitive) {
      x = RtlUpcaseUnicodeChar(x);
      y = RtlUpcaseUnicodeChar(y);
    }
    if (x !== y) return x - y;
  }
  return a.length - b.length;
}

/**
 * RtlCompareUnicodeString: < 0, 0 or > 0 as String1 sorts before, equal to or after String2,
 * comparing character by character (upper-cased when CaseInSensitive), then by length.
 */
export function RtlCompareUnicodeString(String1: UNICODE_STRING, String2: UNICODE_STRING, CaseInSensitive: boolean): number {
  unicodeArg("RtlCompareUnicodeString", "String1", String1);
  unicodeArg("RtlCompareUnicodeString", "String2", String2);
  return compareText(unicodeStringText(String1), unicodeStringText(String2), CaseInSensitive);
}

/** RtlEqualUnicodeString: the same length and characters (case-insensitively when asked). */
export function RtlEqualUnicodeString(String1: UNICODE_STRING, String2: UNICODE_STRING, CaseInSensitive: boolean): boolean {
  unicodeArg("RtlEqualUnicodeString", "String1", String1);
  unicodeArg("RtlEqualUnicodeString", "String2", String2);
  if (String1.Length !== String2.Length) return false;
  return RtlCompareUnicodeString(String1, String2, CaseInSensitive) === 0;
}

/** RtlCompareString (ANSI). */
export function RtlCompareString(String1: ANSI_STRING, String2: ANSI_STRING, CaseInSensitive: boolean): number {
  ansiArg("RtlCompareString", "String1", String1);
  ansiArg("RtlCompareString", "String2", String2);
  return compareText(ansiStringText(String1), ansiStringText(String2), CaseInSensitive);
}

/** RtlEqualString (ANSI). */
export function RtlEqualString(String1: ANSI_STRING, String2: ANSI_STRING, CaseInSensitive: boolean): boolean {
  ansiArg("RtlEqualString", "String1", String1);
  ansiArg("RtlEqualString", "String2", String2);
  return String1.Length === String2.Length && RtlCompareString(String1, String2, CaseInSensitive) === 0;
}

/** RtlPrefixUnicodeString: whether String1 is a prefix of String2. */
export function RtlPrefixUnicodeString(String1: UNICODE_STRING, String2: UNICODE_STRING, CaseInSensitive: boolean): boolean {
  unicodeArg("RtlPrefixUnicodeString", "String1", String1);
  unicodeArg("RtlPrefixUnicodeString", "String2", String2);
  if (String1.Length > String2.Length) return false;
  const a = unicodeStringText(String1);
  return compareText(a, unicodeStringText(String2).slice(0, a.length), CaseInSensitive) === 0;
}

/**
 * RtlAppendUnicodeToString: appends a NUL-terminated string (or a literal). STATUS_BUFFER_TOO_SMALL,
 * with the destination unchanged, when it does not fit; a NUL follows when there is room.
 */
export function RtlAppendUnicodeToString(Destination: UNICODE_STRING, Source: PCSZ): NTSTATUS {
  unicodeArg("RtlAppendUnicodeToString", "Destination", Destination);
  const t = thread("RtlAppendUnicodeToString");
  const at = sourceAddress(t, "RtlAppendUnicodeToString", Source, true);
  if (at === 0) return STATUS_SUCCESS;
  const n = t.machine.mmu.readWideString(at, UNICODE_STRING_MAX_BYTES / 2).length * 2;
  return append(t.machine.mmu, Destination, at, n);
}

/** RtlAppendUnicodeStringToString: appends Source's characters; STATUS_BUFFER_TOO_SMALL when they do not fit. */
export function RtlAppendUnicodeStringToString(Destination: UNICODE_STRING, Source: UNICODE_STRING): NTSTATUS {
  unicodeArg("RtlAppendUnicodeStringToString", "Destination", Destination);
  unicodeArg("RtlAppendUnicodeStringToString", "Source", Source);
  return append(mmu("RtlAppendUnicodeStringToString"), Destination, Source.Buffer, Source.Length);
}

function append(m: Mmu, d: UNICODE_STRING, src: number, n: number): NTSTATUS {
  if (n === 0) return STATUS_SUCCESS;
  const len = d.Length;
  const max = d.MaximumLength;
  if (len + n > max) return STATUS_BUFFER_TOO_SMALL;
  m.copy(d.Buffer + len, src, n);
  d.Length = len + n;
  if (len + n + 2 <= max) m.writeU16(d.Buffer + len + n, 0);
  return STATUS_SUCCESS;
}

// ---- Allocation (AllocateDestinationString) and RtlFree*String ----

/**
 * The Rtl string allocator: paged pool tagged 'Strg' in kernel mode (so <= APC_LEVEL, with the
 * pool's IRQL rule), the process's own memory in user mode (ntdll's heap; here pages of their own).
 * Returns 0 when nothing is left.
 * @internal shared by the Rtl string routines in other files.
 */
export function allocateStringBuffer(t: KThread, bytes: number): number {
  if (t.mode === KernelMode) return ExAllocatePoolWithTag(PagedPool, bytes, STRING_TAG);
  const space = t.process.addressSpace;
  if (!space) return 0;
  const r = space.allocate(0, Math.max(bytes, 1), MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE, "Rtl string buffer");
  return r.status === 0 ? r.base : 0;
}

function freeStringBuffer(t: KThread, address: number): void {
  if (address === 0) return;
  if (t.mode === KernelMode) {
    ExFreePoolWithTag(address, STRING_TAG);
    return;
  }
  t.process.addressSpace?.free(address, 0, MEM_RELEASE);
}

/**
 * Fills `d` with a copy of `text` in a buffer the Rtl string allocator gives (NUL-terminated, free
 * it with RtlFreeUnicodeString), as the kernel's routines that hand a driver a name do
 * (RtlCreateUnicodeString, IoRegisterDeviceInterface). False when the buffer cannot be had or the
 * text is longer than a UNICODE_STRING counts.
 * @internal shared by the routines that return an allocated name.
 */
export function createUnicodeString(t: KThread, d: UNICODE_STRING, text: string): boolean {
  const bytes = text.length * 2;
  if (bytes + 2 > MAX_USHORT) return false;
  const b = allocateStringBuffer(t, bytes + 2);
  if (b === 0) return false;
  writeWide(t.machine.mmu, b, text);
  t.machine.mmu.writeU16(b + bytes, 0);
  d.Buffer = b;
  d.Length = bytes;
  d.MaximumLength = bytes + 2;
  return true;
}

/**
 * RtlCreateUnicodeString: copies the NUL-terminated SourceString into a new buffer (paged pool in
 * kernel mode; free it with RtlFreeUnicodeString) and describes it in DestinationString; FALSE
 * when the buffer cannot be allocated or the string is too long to count. A NULL source is read
 * through, as NT's wcslen does: an access violation.
 */
export function RtlCreateUnicodeString(DestinationString: UNICODE_STRING, SourceString: PCSZ): boolean {
  unicodeArg("RtlCreateUnicodeString", "DestinationString", DestinationString);
  const t = thread("RtlCreateUnicodeString");
  const at = sourceAddress(t, "RtlCreateUnicodeString", SourceString, true);
  if (at === 0) throw new NtStatusError(STATUS_ACCESS_VIOLATION, "RtlCreateUnicodeString: SourceString is NULL", { address: 0, write: false });
  return createUnicodeString(t, DestinationString, t.machine.mmu.readWideString(at, MAX_USHORT));
}

/** RtlFreeUnicodeString: frees a Buffer an Rtl routine allocated (AllocateDestinationString) and empties the string. */
export function RtlFreeUnicodeString(UnicodeString: UNICODE_STRING): void {
  unicodeArg("RtlFreeUnicodeString", "UnicodeString", UnicodeString);
  const t = thread("RtlFreeUnicodeString");
  freeStringBuffer(t, UnicodeString.Buffer);
  UnicodeString.Buffer = 0;
  UnicodeString.Length = 0;
  UnicodeString.MaximumLength = 0;
}

/** RtlFreeAnsiString. */
export function RtlFreeAnsiString(AnsiString: ANSI_STRING): void {
  ansiArg("RtlFreeAnsiString", "AnsiString", AnsiString);
  const t = thread("RtlFreeAnsiString");
  freeStringBuffer(t, AnsiString.Buffer);
  AnsiString.Buffer = 0;
  AnsiString.Length = 0;
  AnsiString.MaximumLength = 0;
}

// ---- Conversions ----

/**
 * RtlUnicodeStringToAnsiString: converts SourceString (Latin-1 as the ANSI code page). With
 * AllocateDestinationString a buffer of Length/2 + 1 bytes is allocated (free it with
 * RtlFreeAnsiString); STATUS_NO_MEMORY when it cannot be. Otherwise what fits in MaximumLength - 1
 * characters is converted, NUL-terminated, and STATUS_BUFFER_OVERFLOW says it was cut short.
 */
export function RtlUnicodeStringToAnsiString(DestinationString: ANSI_STRING, SourceString: UNICODE_STRING, AllocateDestinationString: boolean): NTSTATUS {
  ansiArg("RtlUnicodeStringToAnsiString", "DestinationString", DestinationString);
  unicodeArg("RtlUnicodeStringToAnsiString", "SourceString", SourceString);
  const t = thread("RtlUnicodeStringToAnsiString");
  const text = unicodeStringText(SourceString);
  const need = text.length + 1;
  if (need > MAX_USHORT) return STATUS_INVALID_PARAMETER_2;
  let status: NTSTATUS = STATUS_SUCCESS;
  let n = text.length;
  if (AllocateDestinationString) {
    const b = allocateStringBuffer(t, need);
    if (b === 0) return STATUS_NO_MEMORY;
    DestinationString.Buffer = b;
    DestinationString.MaximumLength = need;
  } else if (need > DestinationString.MaximumLength) {
    if (DestinationString.MaximumLength === 0) return STATUS_BUFFER_OVERFLOW;
    status = STATUS_BUFFER_OVERFLOW;
    n = DestinationString.MaximumLength - 1;
  }
  const m = t.machine.mmu;
  writeNarrow(m, DestinationString.Buffer, text.slice(0, n));
  m.writeU8(DestinationString.Buffer + n, 0);
  DestinationString.Length = n;
  return status;
}

/**
 * RtlAnsiStringToUnicodeString: converts SourceString. With AllocateDestinationString a buffer of
 * 2 * Length + 2 bytes is allocated (free it with RtlFreeUnicodeString). Otherwise the whole string
 * must fit in MaximumLength (STATUS_BUFFER_OVERFLOW, nothing written, when it does not); a NUL
 * follows when there is room. A result longer than a UNICODE_STRING can count is
 * STATUS_INVALID_PARAMETER_2.
 */
export function RtlAnsiStringToUnicodeString(DestinationString: UNICODE_STRING, SourceString: ANSI_STRING, AllocateDestinationString: boolean): NTSTATUS {
  unicodeArg("RtlAnsiStringToUnicodeString", "DestinationString", DestinationString);
  ansiArg("RtlAnsiStringToUnicodeString", "SourceString", SourceString);
  const t = thread("RtlAnsiStringToUnicodeString");
  const text = ansiStringText(SourceString);
  const bytes = text.length * 2;
  if (bytes + 2 > MAX_USHORT) return STATUS_INVALID_PARAMETER_2;
  if (AllocateDestinationString) {
    const b = allocateStringBuffer(t, bytes + 2);
    if (b === 0) return STATUS_NO_MEMORY;
    DestinationString.Buffer = b;
    DestinationString.MaximumLength = bytes + 2;
  } else if (bytes > DestinationString.MaximumLength) {
    return STATUS_BUFFER_OVERFLOW;
  }
  const m = t.machine.mmu;
  writeWide(m, DestinationString.Buffer, text);
  DestinationString.Length = bytes;
  if (bytes + 2 <= DestinationString.MaximumLength) m.writeU16(DestinationString.Buffer + bytes, 0);
  return STATUS_SUCCESS;
}

/** RtlUnicodeStringToAnsiSize: the bytes the ANSI form needs, NUL included. */
export function RtlUnicodeStringToAnsiSize(UnicodeString: UNICODE_STRING): number {
  unicodeArg("RtlUnicodeStringToAnsiSize", "UnicodeString", UnicodeString);
  return (UnicodeString.Length >>> 1) + 1;
}

/** RtlAnsiStringToUnicodeSize: the bytes the Unicode form needs, NUL included. */
export function RtlAnsiStringToUnicodeSize(AnsiString: ANSI_STRING): number {
  ansiArg("RtlAnsiStringToUnicodeSize", "AnsiString", AnsiString);
  return AnsiString.Length * 2 + 2;
}

/** Writes `text` into a counted string's buffer as RtlUnicodeStringPrintf does (the ntstrsafe rules are in ntstrsafe.ts). */
export function storeUnicodeText(d: UNICODE_STRING, text: string): void {
  unicodeArg("RtlUnicodeStringPrintf", "DestinationString", d);
  writeWide(mmu("UNICODE_STRING"), d.Buffer, text);
  d.Length = text.length * 2;
}
