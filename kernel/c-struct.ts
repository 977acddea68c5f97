/**
 * C types and structure layouts over emulated memory: what a driver needs to read a user's input
 * structure as C does (`pInput->Flags`), and an app to lay one out.
 *
 * ```ts
 * const MY_INPUT = CSTRUCT("MY_INPUT", { Size: ULONG, Flags: USHORT, Name: ARRAY(WCHAR, 16), Offset: LARGE_INTEGER });
 * sizeof(MY_INPUT);                    // 48: natural alignment, as MSVC lays it out for x86
 * MY_INPUT.fields.Flags.offset;        // 4  (FIELD_OFFSET(MY_INPUT, Flags))
 * const v = MY_INPUT.read(address);    // { Size, Flags, Name: [...], Offset: LARGE_INTEGER }
 * MY_INPUT.at(address).Flags = 3;      // one 16-bit store, as `p->Flags = 3`
 * ```
 *
 * Every read and write goes through the machine's accessors in the current thread's context, so
 * a structure at a bad user address faults as the C dereference would (STATUS_ACCESS_VIOLATION,
 * or a bug check in kernel mode at raised IRQL), and a probe (ProbeForRead) means what it means in C.
 * Layout follows the x86 ABI NT uses here: pointers, handles and ULONG_PTR are 4 bytes; every
 * member is aligned to its own alignment (8 for 64-bit members, as MSVC does on x86) unless the
 * structure is declared with `{ pack: n }` (`#pragma pack(n)`); a structure's size is a multiple
 * of its alignment. Bit fields are not modelled: declare the containing integer and mask it.
 */
import { badPointer, checkNumber, describeArgument } from "./bad-pointer.js";
import { NtStatusError } from "./nt-status-error.js";
import { currentMachine } from "./context.js";
import type { Mmu } from "./mmu.js";
import { STATUS_INVALID_PARAMETER, type NTSTATUS as StatusValue } from "./status.js";

function mmu(api: string): Mmu {
  return currentMachine(api).mmu;
}

/** A member's address: the structure's pointer plus the offset; a pointer that is no number faults. */
function field(name: string, address: number): number {
  if (typeof address !== "number") badPointer(`a ${name} access`, "the structure's address", address, "an address");
  return address;
}

/** A C type over emulated memory: its size, alignment, and how a value is read and written. */
export interface CType<T> {
  /** The C name ("ULONG", "MY_INPUT", "WCHAR[16]"), for messages. */
  readonly name: string;
  /** sizeof. */
  readonly size: number;
  /** The alignment the type needs as a structure member. */
  readonly align: number;
  /** Reads a value at `address` (like `*(T *)address`). */
  read(address: number): T;
  /** Writes a value at `address` (like `*(T *)address = value`). */
  write(address: number, value: T): void;
}

/** The value a C type reads as. */
export type CValue<C> = C extends CType<infer T> ? T : never;

/** sizeof(type). */
export function sizeof(type: CType<unknown>): number {
  return type.size;
}

function scalar(name: string, size: number, read: (m: Mmu, a: number) => number, write: (m: Mmu, a: number, v: number) => void): CType<number> {
  return {
    name,
    size,
    align: size,
    read: (address) => read(mmu(name), field(name, address)),
    write: (address, value) => {
      // A C store of a scalar takes a number; anything else no C caller could write there.
      if (typeof value !== "number" && typeof value !== "boolean") checkNumber(`a ${name} store`, "the value", value);
      write(mmu(name), field(name, address), value);
    },
  };
}

const u8 = (n: string) => scalar(n, 1, (m, a) => m.readU8(a), (m, a, v) => { m.writeU8(a, v & 0xff); });
const i8 = (n: string) => scalar(n, 1, (m, a) => (m.readU8(a) << 24) >> 24, (m, a, v) => { m.writeU8(a, v & 0xff); });
const u16 = (n: string) => scalar(n, 2, (m, a) => m.readU16(a), (m, a, v) => { m.writeU16(a, v & 0xffff); });
const i16 = (n: string) => scalar(n, 2, (m, a) => (m.readU16(a) << 16) >> 16, (m, a, v) => { m.writeU16(a, v & 0xffff); });
const u32 = (n: string) => scalar(n, 4, (m, a) => m.readU32(a), (m, a, v) => { m.writeU32(a, v >>> 0); });
const i32 = (n: string) => scalar(n, 4, (m, a) => m.readU32(a) | 0, (m, a, v) => { m.writeU32(a, v >>> 0); });

// ---- Integer types (8, 16 and 32 bits read as numbers) ----
/** UCHAR: an unsigned 8-bit member. */
export const UCHAR = u8("UCHAR");
/** BYTE: an unsigned 8-bit member (windef.h's name for UCHAR). */
export const BYTE = u8("BYTE");
/** BOOLEAN: the kernel's one-byte truth value (TRUE is 1, FALSE 0). */
export const BOOLEAN = u8("BOOLEAN");
/** CHAR: a signed 8-bit member (an ANSI character). */
export const CHAR = i8("CHAR");
/** USHORT: an unsigned 16-bit member. */
export const USHORT = u16("USHORT");
/** WORD: an unsigned 16-bit member (windef.h's name for USHORT). */
export const WORD = u16("WORD");
/** WCHAR: a UTF-16 code unit, 16 bits (a wide character). */
export const WCHAR = u16("WCHAR");
/** SHORT: a signed 16-bit member. */
export const SHORT = i16("SHORT");
/** ULONG: an unsigned 32-bit member (long is 32 bits on Windows, x86 and x64 alike). */
export const ULONG = u32("ULONG");
/** DWORD: an unsigned 32-bit member (windef.h's name for ULONG). */
export const DWORD = u32("DWORD");
/** UINT: an unsigned 32-bit int member. */
export const UINT = u32("UINT");
/** LONG: a signed 32-bit member. */
export const LONG = i32("LONG");
/** INT: a signed 32-bit int member. */
export const INT = i32("INT");
/** BOOL: Win32's four-byte truth value (any non-zero is TRUE). */
export const BOOL = i32("BOOL");
/** An NTSTATUS member: read as the unsigned 32-bit value the STATUS_* constants have. */
export const NTSTATUS = u32("NTSTATUS");
/** NTSTATUS is also the type of a status value (the same name serves as type and member type, as in C). */
export type NTSTATUS = StatusValue;
/** Pointer-sized members (x86: 4 bytes). A pointer reads as its address. */
export const ULONG_PTR = u32("ULONG_PTR");
/** SIZE_T: a pointer-sized unsigned count of bytes (x86: 4 bytes). */
export const SIZE_T = u32("SIZE_T");
/** PVOID: a pointer member (x86: 4 bytes), read as the address it holds. */
export const PVOID = u32("PVOID");
/** HANDLE: a handle member (x86: 4 bytes), read as the handle's value. */
export const HANDLE = u32("HANDLE");

// ---- 64-bit values ----

/** Reads an unsigned 64-bit value (`*(PULONG64)p`) as a bigint. */
export function readU64(address: number): bigint {
  const m = mmu("readU64");
  if (typeof address !== "number") badPointer("readU64", "address", address, "an address");
  const lo = m.readU32(address);
  const hi = m.readU32(address + 4);
  return (BigInt(hi) << 32n) | BigInt(lo);
}

/** Reads a signed 64-bit value (`*(PLONG64)p`) as a bigint. */
export function readI64(address: number): bigint {
  return BigInt.asIntN(64, readU64(address));
}

/**
 * Writes a 64-bit value (`*(PULONG64)p = v`), signed or not: the low 64 bits of `value`. The
 * whole range is checked before either half is stored, as one 8-byte store would fault first.
 */
export function writeU64(address: number, value: bigint): void {
  const m = mmu("writeU64");
  if (typeof address !== "number") badPointer("writeU64", "address", address, "an address");
  // A 64-bit value passed by value: a bigint (or a whole number); nothing else can be passed in C.
  const whole = typeof value === "bigint" || (typeof value === "number" && Number.isInteger(value));
  if (!whole) throw new NtStatusError(STATUS_INVALID_PARAMETER, `STATUS_INVALID_PARAMETER: writeU64 was passed ${describeArgument(value)} as the value, which must be a 64-bit whole number (a bigint)`);
  const v = BigInt.asUintN(64, typeof value === "bigint" ? value : BigInt(value));
  m.touchForWrite(address + 7);
  m.writeU32(address, Number(v & 0xffffffffn));
  m.writeU32(address + 4, Number(v >> 32n));
}

/** writeI64: the same store as {@link writeU64}. */
export const writeI64 = writeU64;

/**
 * LARGE_INTEGER (and ULARGE_INTEGER's bits): the union of QuadPart and LowPart/HighPart, as C
 * code uses it. QuadPart is a signed 64-bit bigint; LowPart is unsigned, HighPart signed. The
 * class is also the member type (`CSTRUCT("X", { Offset: LARGE_INTEGER })`, `sizeof(LARGE_INTEGER)`,
 * `LARGE_INTEGER.read(address)`).
 */
export class LARGE_INTEGER {
  /** sizeof(LARGE_INTEGER): 8. */
  static readonly size = 8;
  /** Its alignment as a structure member: 8, as MSVC aligns 64-bit members. */
  static readonly align = 8;
  /** Reads a LARGE_INTEGER at an address. */
  static read(address: number): LARGE_INTEGER {
    return new LARGE_INTEGER(readI64(address));
  }
  /** Writes a LARGE_INTEGER (or a 64-bit value) at an address. */
  static write(address: number, value: LARGE_INTEGER): void {
    writeU64(address, value.QuadPart);
  }

  /** The whole signed 64-bit value. */
  QuadPart: bigint;
  /** A LARGE_INTEGER holding `QuadPart` (0 when not given), truncated to 64 bits as a C store would. */
  constructor(QuadPart: bigint | number = 0n) {
    // A number is a whole count (a fraction is cut as C's conversion cuts it); NaN, an infinity or
    // an object is no LONGLONG at all: STATUS_INVALID_PARAMETER, raised.
    const whole = typeof QuadPart === "bigint" ? QuadPart : BigInt(Math.trunc(checkNumber("LARGE_INTEGER", "QuadPart", QuadPart)));
    this.QuadPart = BigInt.asIntN(64, whole);
  }
  /** The low 32 bits, unsigned; setting it keeps HighPart. */
  get LowPart(): number {
    return Number(BigInt.asUintN(32, this.QuadPart));
  }
  /** Sets the low 32 bits. */
  set LowPart(v: number) {
    this.QuadPart = BigInt.asIntN(64, (BigInt(this.HighPart) << 32n) | BigInt(v >>> 0));
  }
  /** The high 32 bits, signed; setting it keeps LowPart. */
  get HighPart(): number {
    return Number(BigInt.asIntN(32, this.QuadPart >> 32n));
  }
  /** Sets the high 32 bits. */
  set HighPart(v: number) {
    this.QuadPart = BigInt.asIntN(64, (BigInt(v | 0) << 32n) | BigInt(this.LowPart));
  }
  /** LARGE_INTEGER's u member (the same two halves). */
  get u(): { /** The low 32 bits, unsigned. */ LowPart: number; /** The high 32 bits, signed. */ HighPart: number } {
    return { LowPart: this.LowPart, HighPart: this.HighPart };
  }
}

function big(name: string, signed: boolean): CType<bigint> {
  return {
    name,
    size: 8,
    align: 8,
    read: (a) => (signed ? readI64(a) : readU64(a)),
    write: (a, v) => {
      writeU64(a, v);
    },
  };
}

/** ULONG64: an unsigned 64-bit member, read as a bigint, 8-byte aligned. */
export const ULONG64 = big("ULONG64", false);
/** ULONGLONG: an unsigned 64-bit member, read as a bigint, 8-byte aligned. */
export const ULONGLONG = big("ULONGLONG", false);
/** DWORD64: an unsigned 64-bit member, read as a bigint, 8-byte aligned. */
export const DWORD64 = big("DWORD64", false);
/** LONG64: a signed 64-bit member, read as a bigint, 8-byte aligned. */
export const LONG64 = big("LONG64", true);
/** LONGLONG: a signed 64-bit member, read as a bigint, 8-byte aligned. */
export const LONGLONG = big("LONGLONG", true);

/** The class itself is the member type (checked here). */
const _largeIntegerIsAType: CType<LARGE_INTEGER> = LARGE_INTEGER;

// ---- Arrays ----

/** The view `at()` gives of an array member: element reads and writes go to memory. */
export interface CArrayView<T> {
  /** The address of element 0. */
  readonly address: number;
  /** The element count (the array's declared size). */
  readonly length: number;
  /** Reads element `index` (`a[index]`); an index outside the array is a RangeError, as irpsim does not model reading past a member. */
  get(index: number): T;
  /** Writes element `index` (`a[index] = value`). */
  set(index: number, value: T): void;
}

/** An array type `T[count]`. Reads as a host array of `count` values. */
export interface CArray<T> extends CType<T[]> {
  /** The element type. */
  readonly element: CType<T>;
  /** The element count. */
  readonly count: number;
  /** A live view of the array at `address`: element reads and writes go to memory. */
  at(address: number): CArrayView<T>;
}

/** ARRAY(type, count): `type member[count]`. */
export function ARRAY<T>(element: CType<T>, count: number): CArray<T> {
  if (!Number.isInteger(count) || count < 0) throw new RangeError(`ARRAY(${element.name}, ${String(count)}): the element count must be a whole number`);
  const size = element.size * count;
  const at = (address: number): CArrayView<T> => ({
    address,
    length: count,
    get(index) {
      return element.read(address + element.size * checkIndex(index, count, element.name));
    },
    set(index, value) {
      element.write(address + element.size * checkIndex(index, count, element.name), value);
    },
  });
  return {
    name: `${element.name}[${count}]`,
    size,
    align: element.align,
    element,
    count,
    at,
    read(address) {
      const out: T[] = [];
      for (let i = 0; i < count; i++) out.push(element.read(address + i * element.size));
      return out;
    },
    write(address, values) {
      const n = Math.min(values.length, count);
      for (let i = 0; i < n; i++) element.write(address + i * element.size, values[i] as T);
    },
  };
}

function checkIndex(index: number, count: number, name: string): number {
  if (!Number.isInteger(index) || index < 0 || index >= count) throw new RangeError(`index ${String(index)} is outside ${name}[${count}]`);
  return index;
}

// ---- Structures and unions ----

/** The member types of a structure, by name, in declaration order. */
export type CFields = Record<string, CType<unknown>>;

/** A structure's value: every member read. */
export type CStructValue<F extends CFields> = { [K in keyof F]: CValue<F[K]> };

/** One member's place in its structure (FIELD_OFFSET, RTL_FIELD_SIZE). */
export interface CField<T> {
  /** The member's name. */
  readonly name: string;
  /** FIELD_OFFSET: bytes from the structure's start. */
  readonly offset: number;
  /** RTL_FIELD_SIZE: the member's sizeof. */
  readonly size: number;
  /** The member's type. */
  readonly type: CType<T>;
}

/** What `at()` gives for a member: a scalar's value, a nested structure's or array's view. */
export type CMemberView<C> = C extends CStruct<infer G> ? CStructView<G> : C extends CArray<infer E> ? CArrayView<E> : CValue<C>;

/** A live view of a structure at an address: each member read or written in memory when touched. */
export type CStructView<F extends CFields> = { -readonly [K in keyof F]: CMemberView<F[K]> } & { /** The structure's address (the pointer the view was made from). */ readonly address: number };

/** A structure (or union) type. */
export interface CStruct<F extends CFields> extends CType<CStructValue<F>> {
  /** Each member's offset, size and type, by name. */
  readonly fields: { readonly [K in keyof F]: CField<CValue<F[K]>> };
  /** Writes the members given, leaving the others' bytes as they are. */
  write(address: number, value: Partial<CStructValue<F>>): void;
  /** A live view (`p->Member` reads and writes memory on each access). */
  at(address: number): CStructView<F>;
  /** FIELD_OFFSET(type, member). */
  offsetOf(member: keyof F & string): number;
}

/** Options of a structure declaration. */
export interface CStructOptions {
  /** `#pragma pack(n)`: no member is aligned to more than n bytes (1, 2, 4 or 8). */
  readonly pack?: 1 | 2 | 4 | 8;
}

function layout<F extends CFields>(name: string, members: F, union: boolean, options: CStructOptions): CStruct<F> {
  const pack = options.pack ?? 8;
  const fields: Record<string, CField<unknown>> = {};
  let offset = 0;
  let align = 1;
  let size = 0;
  for (const [member, type] of Object.entries(members)) {
    const a = Math.min(type.align, pack);
    align = Math.max(align, a);
    const at = union ? 0 : Math.ceil(offset / a) * a;
    fields[member] = { name: member, offset: at, size: type.size, type };
    offset = at + type.size;
    size = Math.max(size, offset);
  }
  size = Math.ceil(size / align) * align;
  const entries = Object.values(fields);
  const struct: CStruct<F> = {
    name,
    size,
    align,
    fields: fields as CStruct<F>["fields"],
    read(address) {
      field(name, address);
      const out: Record<string, unknown> = {};
      for (const f of entries) out[f.name] = f.type.read(address + f.offset);
      return out as CStructValue<F>;
    },
    write(address, value) {
      field(name, address);
      const given: unknown = value;
      if (typeof given !== "object" || given === null) badPointer(`a ${name} store`, "the value", given, `the members of a ${name}`);
      for (const f of entries) {
        const v = (value as Record<string, unknown>)[f.name];
        if (v !== undefined) f.type.write(address + f.offset, v);
      }
    },
    at(address) {
      field(name, address);
      const view: Record<string, unknown> = {};
      Object.defineProperty(view, "address", { value: address, enumerable: false });
      for (const f of entries) {
        const t = f.type as CType<unknown> & { at?: (a: number) => unknown };
        const place = address + f.offset;
        if (typeof t.at === "function") {
          const nested = t.at(place);
          Object.defineProperty(view, f.name, { get: () => nested, enumerable: true });
        } else {
          Object.defineProperty(view, f.name, {
            get: () => t.read(place),
            set: (v: unknown) => {
              t.write(place, v);
            },
            enumerable: true,
          });
        }
      }
      return view as CStructView<F>;
    },
    offsetOf(member) {
      const f = fields[member];
      if (!f) throw new RangeError(`${name} has no member ${member}`);
      return f.offset;
    },
  };
  return struct;
}

/**
 * CSTRUCT(name, members): a C structure laid out as the compiler would (members in order, each
 * at its natural alignment or `pack`, the size rounded to the structure's alignment).
 */
export function CSTRUCT<F extends CFields>(name: string, members: F, options: CStructOptions = {}): CStruct<F> {
  return layout(name, members, false, options);
}

/** CUNION(name, members): every member at offset 0; the size is the largest member's, aligned. */
export function CUNION<F extends CFields>(name: string, members: F, options: CStructOptions = {}): CStruct<F> {
  return layout(name, members, true, options);
}

/** FIELD_OFFSET(type, member). */
export function FIELD_OFFSET<F extends CFields>(type: CStruct<F>, member: keyof F & string): number {
  return type.offsetOf(member);
}

/** RTL_FIELD_SIZE(type, member). */
export function RTL_FIELD_SIZE<F extends CFields>(type: CStruct<F>, member: keyof F & string): number {
  const f = type.fields[member];
  return f.size;
}
