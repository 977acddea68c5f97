/**
 * The Rtl routines that convert between numbers and counted strings and change their case, and
 * ntstrsafe's UNICODE_STRING copy and concatenation: what a driver uses to build a device name
 * from an instance number or to parse a registry string.
 */
import type { InOut } from "./apc.js";
import { badPointer, checkNumber } from "./bad-pointer.js";
import { currentMachine } from "./context.js";
import { NtStatusError } from "./nt-status-error.js";
import { validCountedString } from "./ntstrsafe.js";
import { allocateStringBuffer, unicodeArg, UNICODE_STRING, unicodeStringText, writeWide, type PCSZ } from "./rtl-string.js";
import { stringLiteral } from "./string-literals.js";
import { STATUS_ACCESS_VIOLATION, STATUS_BUFFER_OVERFLOW, STATUS_INVALID_PARAMETER, STATUS_NO_MEMORY, STATUS_SUCCESS, type NTSTATUS } from "./status.js";
import type { KThread } from "./thread.js";

/** An out-parameter for a ULONG: an address to store it at, a local (`{ value }`), or NULL. */
export type UlongOut = number | InOut<number> | null;

const DIGITS = "0123456789ABCDEF";

function thread(api: string): KThread {
  return currentMachine(api).currentThread(api);
}

/** Base 0 means 10; only 2, 8, 10 and 16 are bases the Rtl conversions accept. */
function radix(base: number): number | null {
  if (base === 0) return 10;
  return base === 2 || base === 8 || base === 10 || base === 16 ? base : null;
}

function digitsOf(value: bigint, base: number): string {
  if (value === 0n) return "0";
  let out = "";
  const b = BigInt(base);
  for (let v = value; v > 0n; v /= b) out = DIGITS.charAt(Number(v % b)) + out;
  return out;
}

/** Stores number text as RtlAnsiStringToUnicodeString(…, FALSE) does: whole or not at all, a NUL when there is room. */
function storeDigits(t: KThread, d: UNICODE_STRING, text: string): NTSTATUS {
  const bytes = text.length * 2;
  if (bytes > d.MaximumLength) return STATUS_BUFFER_OVERFLOW;
  writeWide(t.machine.mmu, d.Buffer, text);
  d.Length = bytes;
  if (bytes + 2 <= d.MaximumLength) t.machine.mmu.writeU16(d.Buffer + bytes, 0);
  return STATUS_SUCCESS;
}

/**
 * RtlIntegerToUnicodeString: writes the ULONG `Value` in `Base` (0 or 10, 2, 8, 16; upper-case
 * hex digits, no prefix) into String's buffer; STATUS_BUFFER_OVERFLOW (nothing written) when the
 * digits do not fit in MaximumLength, STATUS_INVALID_PARAMETER for another base.
 */
export function RtlIntegerToUnicodeString(Value: number, Base: number, String: UNICODE_STRING): NTSTATUS {
  unicodeArg("RtlIntegerToUnicodeString", "String", String);
  const t = thread("RtlIntegerToUnicodeString");
  const v = checkNumber("RtlIntegerToUnicodeString", "Value", Value);
  const b = radix(checkNumber("RtlIntegerToUnicodeString", "Base", Base));
  if (b === null) return STATUS_INVALID_PARAMETER;
  return storeDigits(t, String, digitsOf(BigInt(Math.trunc(v) >>> 0), b));
}

/**
 * RtlInt64ToUnicodeString: as RtlIntegerToUnicodeString for a ULONGLONG (a bigint, or a number
 * taken as its low 64 bits).
 */
export function RtlInt64ToUnicodeString(Value: bigint | number, Base: number, String: UNICODE_STRING): NTSTATUS {
  unicodeArg("RtlInt64ToUnicodeString", "String", String);
  const t = thread("RtlInt64ToUnicodeString");
  const v = typeof Value === "bigint" ? Value : BigInt(Math.trunc(checkNumber("RtlInt64ToUnicodeString", "Value", Value)));
  const b = radix(checkNumber("RtlInt64ToUnicodeString", "Base", Base));
  if (b === null) return STATUS_INVALID_PARAMETER;
  return storeDigits(t, String, digitsOf(BigInt.asUintN(64, v), b));
}

/**
 * The parse RtlUnicodeStringToInteger and RtlCharToInteger share: leading characters up to the
 * space skipped, one sign, a 0x/0o/0b prefix when the base is 0 (else base 10), then digits
 * until the first that is not one of the base; the ULONG wraps and a minus negates it. Null for
 * a base the routines refuse.
 */
function parseUlong(text: string, base: number): number | null {
  let i = 0;
  while (i < text.length && text.charCodeAt(i) <= 0x20) i++;
  let negative = false;
  if (text[i] === "+" || text[i] === "-") negative = text[i++] === "-";
  let b = base;
  if (b === 0) {
    b = 10;
    const p = text.slice(i, i + 2);
    const prefixed = p === "0x" ? 16 : p === "0o" ? 8 : p === "0b" ? 2 : 0;
    if (prefixed !== 0) {
      b = prefixed;
      i += 2;
    }
  } else if (radix(base) === null) return null;
  let total = 0;
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const d = c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x41 && c <= 0x5a ? c - 0x37 : c >= 0x61 && c <= 0x7a ? c - 0x57 : 99;
    if (d >= b) break;
    total = (Math.imul(total, b) + d) >>> 0;
  }
  return negative ? (0 - total) >>> 0 : total;
}

function putUlong(api: string, out: UlongOut, value: number): boolean {
  if (out === null || out === 0) return false;
  if (typeof out === "number") currentMachine(api).mmu.writeU32(out, value);
  else if (typeof out === "object") out.value = value;
  else badPointer(api, "Value", out, "a ULONG variable");
  return true;
}

/**
 * RtlUnicodeStringToInteger: the number String spells in `Base` (0: decimal unless a 0x, 0o or
 * 0b prefix says otherwise), stored at `Value`. Leading blanks and one sign are allowed; parsing
 * stops at the first character that is no digit of the base (an empty number is 0, still
 * STATUS_SUCCESS). STATUS_INVALID_PARAMETER for a base other than 0, 2, 8, 10, 16;
 * STATUS_ACCESS_VIOLATION for a NULL Value.
 */
export function RtlUnicodeStringToInteger(String: UNICODE_STRING, Base: number, Value: UlongOut): NTSTATUS {
  unicodeArg("RtlUnicodeStringToInteger", "String", String);
  const n = parseUlong(unicodeStringText(String), checkNumber("RtlUnicodeStringToInteger", "Base", Base));
  if (n === null) return STATUS_INVALID_PARAMETER;
  return putUlong("RtlUnicodeStringToInteger", Value, n) ? STATUS_SUCCESS : STATUS_ACCESS_VIOLATION;
}

/**
 * RtlCharToInteger: as RtlUnicodeStringToInteger for a NUL-terminated 8-bit string (an address
 * or a literal); a NULL string is read through and faults.
 */
export function RtlCharToInteger(String: PCSZ, Base: number, Value: UlongOut): NTSTATUS {
  const t = thread("RtlCharToInteger");
  if (String !== null && typeof String !== "number" && typeof String !== "string") badPointer("RtlCharToInteger", "String", String, "a string's address or a literal");
  const at = typeof String === "string" ? stringLiteral(t, String, false) : (String ?? 0);
  if (at === 0) throw new NtStatusError(STATUS_ACCESS_VIOLATION, "RtlCharToInteger: String is NULL", { address: 0, write: false });
  const n = parseUlong(t.machine.mmu.readAnsiString(at, 0xffff), checkNumber("RtlCharToInteger", "Base", Base));
  if (n === null) return STATUS_INVALID_PARAMETER;
  return putUlong("RtlCharToInteger", Value, n) ? STATUS_SUCCESS : STATUS_ACCESS_VIOLATION;
}

function changeCase(api: string, d: UNICODE_STRING, s: UNICODE_STRING, allocate: boolean, upper: boolean): NTSTATUS {
  unicodeArg(api, "DestinationString", d);
  unicodeArg(api, "SourceString", s);
  const t = thread(api);
  const text = unicodeStringText(s);
  const bytes = text.length * 2;
  if (allocate) {
    const b = allocateStringBuffer(t, bytes);
    if (b === 0) return STATUS_NO_MEMORY;
    d.Buffer = b;
    d.MaximumLength = bytes;
  } else if (bytes > d.MaximumLength) return STATUS_BUFFER_OVERFLOW;
  // Simple (one-to-one) case mapping, as RtlUpcaseUnicodeChar: a character whose case form is
  // longer than one UTF-16 unit keeps its form.
  let out = "";
  for (const c of text) {
    const m = upper ? c.toUpperCase() : c.toLowerCase();
    out += m.length === c.length ? m : c;
  }
  writeWide(t.machine.mmu, d.Buffer, out);
  d.Length = bytes;
  return STATUS_SUCCESS;
}

/**
 * RtlUpcaseUnicodeString: SourceString in upper case into DestinationString (which may be the
 * same string). With AllocateDestinationString a buffer of exactly Length bytes is allocated
 * (free it with RtlFreeUnicodeString); otherwise a destination shorter than the source is
 * STATUS_BUFFER_OVERFLOW and nothing is written.
 */
export function RtlUpcaseUnicodeString(DestinationString: UNICODE_STRING, SourceString: UNICODE_STRING, AllocateDestinationString: boolean): NTSTATUS {
  return changeCase("RtlUpcaseUnicodeString", DestinationString, SourceString, AllocateDestinationString, true);
}

/** RtlDowncaseUnicodeString: as RtlUpcaseUnicodeString, in lower case. */
export function RtlDowncaseUnicodeString(DestinationString: UNICODE_STRING, SourceString: UNICODE_STRING, AllocateDestinationString: boolean): NTSTATUS {
  return changeCase("RtlDowncaseUnicodeString", DestinationString, SourceString, AllocateDestinationString, false);
}

/** Writes `text` after the first `keep` characters of `d`, cut to its MaximumLength. */
function putCounted(t: KThread, d: UNICODE_STRING, keepBytes: number, text: string): NTSTATUS {
  const room = (d.MaximumLength - keepBytes) / 2;
  const fit = text.length <= room ? text : text.slice(0, room);
  writeWide(t.machine.mmu, d.Buffer + keepBytes, fit);
  d.Length = keepBytes + fit.length * 2;
  return fit.length < text.length ? STATUS_BUFFER_OVERFLOW : STATUS_SUCCESS;
}

/**
 * RtlUnicodeStringCopy (ntstrsafe): copies SourceString into DestinationString's buffer, no NUL
 * added; what does not fit is cut off and the result is STATUS_BUFFER_OVERFLOW.
 * STATUS_INVALID_PARAMETER for a string whose fields are inconsistent (either one).
 */
export function RtlUnicodeStringCopy(DestinationString: UNICODE_STRING, SourceString: UNICODE_STRING): NTSTATUS {
  unicodeArg("RtlUnicodeStringCopy", "DestinationString", DestinationString);
  unicodeArg("RtlUnicodeStringCopy", "SourceString", SourceString);
  const t = thread("RtlUnicodeStringCopy");
  if (!validCountedString(DestinationString) || !validCountedString(SourceString)) return STATUS_INVALID_PARAMETER;
  return putCounted(t, DestinationString, 0, unicodeStringText(SourceString));
}

/**
 * RtlUnicodeStringCat (ntstrsafe): appends SourceString to DestinationString within its
 * MaximumLength; a cut-off result is STATUS_BUFFER_OVERFLOW. STATUS_INVALID_PARAMETER for a
 * string whose fields are inconsistent.
 */
export function RtlUnicodeStringCat(DestinationString: UNICODE_STRING, SourceString: UNICODE_STRING): NTSTATUS {
  unicodeArg("RtlUnicodeStringCat", "DestinationString", DestinationString);
  unicodeArg("RtlUnicodeStringCat", "SourceString", SourceString);
  const t = thread("RtlUnicodeStringCat");
  if (!validCountedString(DestinationString) || !validCountedString(SourceString)) return STATUS_INVALID_PARAMETER;
  return putCounted(t, DestinationString, DestinationString.Length, unicodeStringText(SourceString));
}
