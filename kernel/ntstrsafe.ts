/**
 * ntstrsafe.h: the bounded string routines drivers use instead of strcpy and sprintf. Each
 * destination is a buffer in emulated memory given by address and size (cb: bytes, cch:
 * characters); the result is always NUL-terminated when the buffer has room for anything.
 *
 * - STATUS_SUCCESS: done.
 * - STATUS_BUFFER_OVERFLOW: the result did not fit; the buffer holds as much as fits, truncated
 *   and NUL-terminated (a warning: NT_SUCCESS is FALSE, and RtlNtStatusToDosError gives ERROR_MORE_DATA).
 * - STATUS_INVALID_PARAMETER: a zero or oversized destination (cch 0, or more than
 *   NTSTRSAFE_MAX_CCH), a NULL pointer, or a format the runtime refuses; a usable destination is
 *   left holding the empty string.
 *
 * The shared core (`boundedCopy`, `boundedPrintf`) also serves strsafe.h's user-mode StringCb*
 * (win32/strsafe.ts), which report the same outcomes as HRESULTs.
 */
import { currentMachine } from "./context.js";
import { formatPrintf, type PrintfArg } from "./printf.js";
import { storeUnicodeText, UNICODE_STRING } from "./rtl-string.js";
import { badPointer, checkPointer } from "./bad-pointer.js";
import { STATUS_BUFFER_OVERFLOW, STATUS_INVALID_PARAMETER, STATUS_SUCCESS, type NTSTATUS } from "./status.js";
import type { InOut } from "./apc.js";

/** NTSTRSAFE_MAX_CCH: the largest destination, in characters. */
export const NTSTRSAFE_MAX_CCH = 2147483647;
/** NTSTRSAFE_UNICODE_STRING_MAX_CCH: the most characters a UNICODE_STRING routine handles. */
export const NTSTRSAFE_UNICODE_STRING_MAX_CCH = 32767;

/** A source string: its address in emulated memory, a literal, or NULL. */
export type StrSafeSource = number | string | null;

/** An out-parameter: an address to store a size_t at, a local (`{ value }`), or NULL. */
export type SizeOut = number | InOut<number> | null;

/** What a bounded operation did. */
export type BoundedOutcome = "ok" | "truncated" | "invalid";

function mmu(api: string) {
  return currentMachine(api).mmu;
}

/** A source's characters (at most `limit`). NULL is read at address 0 and faults, as C's would. */
function sourceText(api: string, src: StrSafeSource, wide: boolean, limit: number): string {
  if (typeof src === "string") return src.length > limit ? src.slice(0, limit) : src;
  // Read through as a pointer: what is no address faults.
  if (src !== null && typeof src !== "number") badPointer(api, "the source string", src, "a string's address, a literal or NULL");
  const m = mmu(api);
  const at = src ?? 0;
  return wide ? m.readWideString(at, limit) : m.readAnsiString(at, limit);
}

function store(api: string, dest: number, text: string, wide: boolean): void {
  const m = mmu(api);
  const n = text.length;
  const bytes = new Uint8Array((n + 1) * (wide ? 2 : 1));
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (wide) {
      bytes[2 * i] = c & 0xff;
      bytes[2 * i + 1] = c >>> 8;
    } else bytes[i] = c < 0x100 ? c : 0x3f;
  }
  m.writeBytes(dest, bytes);
}

/** Writes `text` (cut to cch - 1 characters) and its NUL into a cch-character buffer. */
function put(api: string, dest: number, cch: number, text: string, wide: boolean): BoundedOutcome {
  if (text.length < cch) {
    store(api, dest, text, wide);
    return "ok";
  }
  store(api, dest, text.slice(0, cch - 1), wide);
  return "truncated";
}

function validDest(api: string, dest: number, cch: number): boolean {
  // Written through as a pointer: what is no address faults (once the size checks pass).
  if (typeof dest !== "number" && Number.isInteger(cch) && cch > 0 && cch <= NTSTRSAFE_MAX_CCH) badPointer(api, "pszDest", dest, "a buffer's address");
  return dest !== 0 && Number.isInteger(cch) && cch > 0 && cch <= NTSTRSAFE_MAX_CCH;
}

/** The common copy: StringCchCopy's rules, for every cb/cch, A/W form. */
export function boundedCopy(api: string, dest: number, cch: number, src: StrSafeSource, wide: boolean): BoundedOutcome {
  if (!validDest(api, dest, cch)) return "invalid";
  // Read no further than the destination could hold, as the copy loop stops there.
  return put(api, dest, cch, sourceText(api, src, wide, cch), wide);
}

/** The common printf: StringCchPrintf's rules. */
export function boundedPrintf(api: string, dest: number, cch: number, format: StrSafeSource, args: readonly PrintfArg[], wide: boolean): BoundedOutcome {
  if (!validDest(api, dest, cch)) return "invalid";
  const r = formatPrintf(sourceText(api, format, wide, 65536), args, wide);
  if (!r.ok) {
    store(api, dest, "", wide);
    return "invalid";
  }
  return put(api, dest, cch, r.text, wide);
}

/** The common length: StringCchLength's rules (the string must end within cchMax characters). */
export function boundedLength(api: string, psz: StrSafeSource, cchMax: number, wide: boolean): number | null {
  if (psz === null || psz === 0 || !Number.isInteger(cchMax) || cchMax <= 0 || cchMax > NTSTRSAFE_MAX_CCH) return null;
  if (typeof psz === "string") return psz.length < cchMax ? psz.length : null;
  const text = sourceText(api, psz, wide, cchMax);
  return text.length < cchMax ? text.length : null;
}

function status(o: BoundedOutcome): NTSTATUS {
  return o === "ok" ? STATUS_SUCCESS : o === "truncated" ? STATUS_BUFFER_OVERFLOW : STATUS_INVALID_PARAMETER;
}

function cchOfBytes(cb: number, wide: boolean): number {
  if (!Number.isInteger(cb) || cb < 0) return 0;
  return wide ? Math.floor(cb / 2) : cb;
}

function putSize(api: string, out: SizeOut, value: number): void {
  if (out === null || out === 0) return;
  if (typeof out === "number") mmu(api).writeU32(out, value);
  else if (typeof out === "object") out.value = value;
  // Written through as a pointer: what is no size_t variable faults.
  else badPointer(api, "the length's address", out, "a size_t variable or NULL");
}

// ---- Copy ----

/** RtlStringCbCopyW: copies a wide string into a buffer of cbDest bytes. */
export function RtlStringCbCopyW(pszDest: number, cbDest: number, pszSrc: StrSafeSource): NTSTATUS {
  return status(boundedCopy("RtlStringCbCopyW", pszDest, cchOfBytes(cbDest, true), pszSrc, true));
}
/** RtlStringCbCopyA. */
export function RtlStringCbCopyA(pszDest: number, cbDest: number, pszSrc: StrSafeSource): NTSTATUS {
  return status(boundedCopy("RtlStringCbCopyA", pszDest, cchOfBytes(cbDest, false), pszSrc, false));
}
/** RtlStringCchCopyW: copies into a buffer of cchDest characters. */
export function RtlStringCchCopyW(pszDest: number, cchDest: number, pszSrc: StrSafeSource): NTSTATUS {
  return status(boundedCopy("RtlStringCchCopyW", pszDest, cchDest, pszSrc, true));
}
/** RtlStringCchCopyA. */
export function RtlStringCchCopyA(pszDest: number, cchDest: number, pszSrc: StrSafeSource): NTSTATUS {
  return status(boundedCopy("RtlStringCchCopyA", pszDest, cchDest, pszSrc, false));
}

// ---- Printf ----

/** RtlStringCbPrintfW: formats (wide: %s is a wide string) into a buffer of cbDest bytes. */
export function RtlStringCbPrintfW(pszDest: number, cbDest: number, pszFormat: StrSafeSource, ...args: PrintfArg[]): NTSTATUS {
  return status(boundedPrintf("RtlStringCbPrintfW", pszDest, cchOfBytes(cbDest, true), pszFormat, args, true));
}
/** RtlStringCbPrintfA. */
export function RtlStringCbPrintfA(pszDest: number, cbDest: number, pszFormat: StrSafeSource, ...args: PrintfArg[]): NTSTATUS {
  return status(boundedPrintf("RtlStringCbPrintfA", pszDest, cchOfBytes(cbDest, false), pszFormat, args, false));
}
/** RtlStringCchPrintfW. */
export function RtlStringCchPrintfW(pszDest: number, cchDest: number, pszFormat: StrSafeSource, ...args: PrintfArg[]): NTSTATUS {
  return status(boundedPrintf("RtlStringCchPrintfW", pszDest, cchDest, pszFormat, args, true));
}
/** RtlStringCchPrintfA. */
export function RtlStringCchPrintfA(pszDest: number, cchDest: number, pszFormat: StrSafeSource, ...args: PrintfArg[]): NTSTATUS {
  return status(boundedPrintf("RtlStringCchPrintfA", pszDest, cchDest, pszFormat, args, false));
}

// ---- Length ----

/**
 * RtlStringCbLengthW: the string's length in bytes (NUL not counted) at pcbLength, when it ends
 * within cbMax bytes; otherwise STATUS_INVALID_PARAMETER and 0 there.
 */
export function RtlStringCbLengthW(psz: StrSafeSource, cbMax: number, pcbLength: SizeOut): NTSTATUS {
  const n = boundedLength("RtlStringCbLengthW", psz, cchOfBytes(cbMax, true), true);
  putSize("RtlStringCbLengthW", pcbLength, n === null ? 0 : n * 2);
  return n === null ? STATUS_INVALID_PARAMETER : STATUS_SUCCESS;
}
/** RtlStringCbLengthA. */
export function RtlStringCbLengthA(psz: StrSafeSource, cbMax: number, pcbLength: SizeOut): NTSTATUS {
  const n = boundedLength("RtlStringCbLengthA", psz, cchOfBytes(cbMax, false), false);
  putSize("RtlStringCbLengthA", pcbLength, n ?? 0);
  return n === null ? STATUS_INVALID_PARAMETER : STATUS_SUCCESS;
}
/** RtlStringCchLengthW: the length in characters. */
export function RtlStringCchLengthW(psz: StrSafeSource, cchMax: number, pcchLength: SizeOut): NTSTATUS {
  const n = boundedLength("RtlStringCchLengthW", psz, cchMax, true);
  putSize("RtlStringCchLengthW", pcchLength, n ?? 0);
  return n === null ? STATUS_INVALID_PARAMETER : STATUS_SUCCESS;
}
/** RtlStringCchLengthA. */
export function RtlStringCchLengthA(psz: StrSafeSource, cchMax: number, pcchLength: SizeOut): NTSTATUS {
  const n = boundedLength("RtlStringCchLengthA", psz, cchMax, false);
  putSize("RtlStringCchLengthA", pcchLength, n ?? 0);
  return n === null ? STATUS_INVALID_PARAMETER : STATUS_SUCCESS;
}

// ---- UNICODE_STRING ----

/**
 * ntstrsafe's check of a UNICODE_STRING argument: even lengths, Length within MaximumLength, a
 * Buffer when there is room, at most NTSTRSAFE_UNICODE_STRING_MAX_CCH characters.
 * @internal shared by the RtlUnicodeString* routines.
 */
export function validCountedString(s: UNICODE_STRING): boolean {
  const max = s.MaximumLength;
  const len = s.Length;
  return !((s.Buffer === 0 && max !== 0) || max % 2 !== 0 || len % 2 !== 0 || len > max || max / 2 > NTSTRSAFE_UNICODE_STRING_MAX_CCH);
}

/**
 * RtlUnicodeStringPrintf: formats into DestinationString's buffer (MaximumLength bytes), setting
 * Length; no NUL is added (counted strings need none). STATUS_BUFFER_OVERFLOW when the text was
 * cut to fit; STATUS_INVALID_PARAMETER for a string whose fields are inconsistent (a NULL Buffer
 * with a nonzero MaximumLength, an odd length, Length above MaximumLength, more than
 * NTSTRSAFE_UNICODE_STRING_MAX_CCH characters) or a format the runtime refuses (Length then 0).
 */
export function RtlUnicodeStringPrintf(DestinationString: UNICODE_STRING, pszFormat: StrSafeSource, ...args: PrintfArg[]): NTSTATUS {
  checkPointer("RtlUnicodeStringPrintf", "DestinationString", DestinationString, UNICODE_STRING, "a UNICODE_STRING");
  const max = DestinationString.MaximumLength;
  if (!validCountedString(DestinationString)) return STATUS_INVALID_PARAMETER;
  const r = formatPrintf(sourceText("RtlUnicodeStringPrintf", pszFormat, true, 65536), args, true);
  if (!r.ok) {
    DestinationString.Length = 0;
    return STATUS_INVALID_PARAMETER;
  }
  const cch = max / 2;
  const text = r.text.length <= cch ? r.text : r.text.slice(0, cch);
  storeUnicodeText(DestinationString, text);
  return text.length < r.text.length ? STATUS_BUFFER_OVERFLOW : STATUS_SUCCESS;
}
