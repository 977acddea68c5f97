/**
 * The memory and string helpers apps use (winbase.h, strsafe.h, winuser.h's wsprintf), over the
 * app's emulated memory: ZeroMemory / FillMemory / CopyMemory / MoveMemory, lstrlen / lstrcpy /
 * lstrcat, the strsafe StringCb* / StringCch* routines (HRESULTs), and wsprintf.
 *
 * String arguments are addresses in the app's memory (a TypeScript string may stand for a
 * literal). The generic names (lstrlen, StringCbCopy, wsprintf …) are the W forms, as in a
 * UNICODE build.
 */
import { currentMachine } from "../kernel/context.js";
import { badPointer } from "../kernel/bad-pointer.js";
import { NtStatusError } from "../kernel/nt-status-error.js";
import { boundedCopy, boundedLength, boundedPrintf, type BoundedOutcome, type SizeOut, type StrSafeSource } from "../kernel/ntstrsafe.js";
import { formatPrintf, type PrintfArg } from "../kernel/printf.js";
import type { KThread } from "../kernel/thread.js";
import { caller } from "./call.js";

// ---- Memory (winbase.h's macros over the Rtl routines) ----

/** ZeroMemory: RtlZeroMemory in the app (a bad address faults as the C store would). */
export function ZeroMemory(Destination: number, Length: number): void {
  caller("ZeroMemory").machine.mmu.fill(Destination, Length, 0);
}
/** SecureZeroMemory: ZeroMemory that the compiler may not remove. */
export function SecureZeroMemory(ptr: number, cnt: number): number {
  caller("SecureZeroMemory").machine.mmu.fill(ptr, cnt, 0);
  return ptr;
}
/** FillMemory(Destination, Length, Fill). */
export function FillMemory(Destination: number, Length: number, Fill: number): void {
  caller("FillMemory").machine.mmu.fill(Destination, Length, Fill);
}
/** CopyMemory(Destination, Source, Length). */
export function CopyMemory(Destination: number, Source: number, Length: number): void {
  caller("CopyMemory").machine.mmu.copy(Destination, Source, Length);
}
/** MoveMemory: CopyMemory that is correct for overlapping ranges. */
export function MoveMemory(Destination: number, Source: number, Length: number): void {
  caller("MoveMemory").machine.mmu.copy(Destination, Source, Length);
}

// ---- lstr* (kernel32: each catches a fault and reports it as 0 / NULL) ----

function guarded<T>(fn: () => T, onFault: T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof NtStatusError) return onFault;
    throw e;
  }
}

function textAt(t: KThread, s: number | string, wide: boolean): string {
  if (typeof s === "string") return s;
  return wide ? t.machine.mmu.readWideString(s) : t.machine.mmu.readAnsiString(s);
}

/**
 * lstrlenA: the length in characters, without the NUL. NULL gives 0; so does a bad pointer, as
 * kernel32's lstrlen catches the access violation.
 */
export function lstrlenA(lpString: number | string | null): number {
  const t = caller("lstrlenA");
  if (lpString === null || lpString === 0) return 0;
  return guarded(() => textAt(t, lpString, false).length, 0);
}
/** lstrlenW. */
export function lstrlenW(lpString: number | string | null): number {
  const t = caller("lstrlenW");
  if (lpString === null || lpString === 0) return 0;
  return guarded(() => textAt(t, lpString, true).length, 0);
}

function store(t: KThread, dest: number, text: string, wide: boolean): void {
  if (wide) t.machine.mmu.writeWideString(dest, text);
  else t.machine.mmu.writeAnsiString(dest, text);
}

/**
 * lstrcpyA: copies lpString2 and its NUL to lpString1 (no bound: size the buffer), returning
 * lpString1, or NULL (0) when either pointer faults — kernel32 catches the access violation.
 */
export function lstrcpyA(lpString1: number, lpString2: number | string): number {
  const t = caller("lstrcpyA");
  return guarded(() => {
    store(t, lpString1, textAt(t, lpString2, false), false);
    return lpString1;
  }, 0);
}
/** lstrcpyW. */
export function lstrcpyW(lpString1: number, lpString2: number | string): number {
  const t = caller("lstrcpyW");
  return guarded(() => {
    store(t, lpString1, textAt(t, lpString2, true), true);
    return lpString1;
  }, 0);
}
/** lstrcatA: appends lpString2 to lpString1; lpString1, or NULL on a fault. */
export function lstrcatA(lpString1: number, lpString2: number | string): number {
  const t = caller("lstrcatA");
  return guarded(() => {
    store(t, lpString1, textAt(t, lpString1, false) + textAt(t, lpString2, false), false);
    return lpString1;
  }, 0);
}
/** lstrcatW. */
export function lstrcatW(lpString1: number, lpString2: number | string): number {
  const t = caller("lstrcatW");
  return guarded(() => {
    store(t, lpString1, textAt(t, lpString1, true) + textAt(t, lpString2, true), true);
    return lpString1;
  }, 0);
}

// ---- strsafe.h (HRESULTs) ----

/** S_OK. */
export const S_OK = 0;
/** STRSAFE_E_INSUFFICIENT_BUFFER: the result was truncated (HRESULT_FROM_WIN32(ERROR_INSUFFICIENT_BUFFER)). */
export const STRSAFE_E_INSUFFICIENT_BUFFER = 0x8007007a;
/** STRSAFE_E_INVALID_PARAMETER (HRESULT_FROM_WIN32(ERROR_INVALID_PARAMETER)). */
export const STRSAFE_E_INVALID_PARAMETER = 0x80070057;
/** STRSAFE_MAX_CCH. */
export const STRSAFE_MAX_CCH = 2147483647;

function hresult(o: BoundedOutcome): number {
  return o === "ok" ? S_OK : o === "truncated" ? STRSAFE_E_INSUFFICIENT_BUFFER : STRSAFE_E_INVALID_PARAMETER;
}

function cch(cb: number, wide: boolean): number {
  return Number.isInteger(cb) && cb >= 0 ? (wide ? Math.floor(cb / 2) : cb) : 0;
}

/**
 * StringCbCopyA: copies into a buffer of cbDest bytes, always NUL-terminated: S_OK;
 * STRSAFE_E_INSUFFICIENT_BUFFER with the truncated copy when it does not fit;
 * STRSAFE_E_INVALID_PARAMETER for a zero or oversized buffer.
 */
export function StringCbCopyA(pszDest: number, cbDest: number, pszSrc: StrSafeSource): number {
  caller("StringCbCopyA");
  return hresult(boundedCopy("StringCbCopyA", pszDest, cch(cbDest, false), pszSrc, false));
}
/** StringCbCopyW. */
export function StringCbCopyW(pszDest: number, cbDest: number, pszSrc: StrSafeSource): number {
  caller("StringCbCopyW");
  return hresult(boundedCopy("StringCbCopyW", pszDest, cch(cbDest, true), pszSrc, true));
}
/** StringCchCopyA: as StringCbCopyA, the size in characters. */
export function StringCchCopyA(pszDest: number, cchDest: number, pszSrc: StrSafeSource): number {
  caller("StringCchCopyA");
  return hresult(boundedCopy("StringCchCopyA", pszDest, cchDest, pszSrc, false));
}
/** StringCchCopyW. */
export function StringCchCopyW(pszDest: number, cchDest: number, pszSrc: StrSafeSource): number {
  caller("StringCchCopyW");
  return hresult(boundedCopy("StringCchCopyW", pszDest, cchDest, pszSrc, true));
}
/** StringCbPrintfA: formats (printf's conversions) into a buffer of cbDest bytes, as StringCbCopyA reports. */
export function StringCbPrintfA(pszDest: number, cbDest: number, pszFormat: StrSafeSource, ...args: PrintfArg[]): number {
  caller("StringCbPrintfA");
  return hresult(boundedPrintf("StringCbPrintfA", pszDest, cch(cbDest, false), pszFormat, args, false));
}
/** StringCbPrintfW: as StringCbPrintfA; in a wide format %s is a wide string and %S a narrow one. */
export function StringCbPrintfW(pszDest: number, cbDest: number, pszFormat: StrSafeSource, ...args: PrintfArg[]): number {
  caller("StringCbPrintfW");
  return hresult(boundedPrintf("StringCbPrintfW", pszDest, cch(cbDest, true), pszFormat, args, true));
}
/** StringCchPrintfA. */
export function StringCchPrintfA(pszDest: number, cchDest: number, pszFormat: StrSafeSource, ...args: PrintfArg[]): number {
  caller("StringCchPrintfA");
  return hresult(boundedPrintf("StringCchPrintfA", pszDest, cchDest, pszFormat, args, false));
}
/** StringCchPrintfW. */
export function StringCchPrintfW(pszDest: number, cchDest: number, pszFormat: StrSafeSource, ...args: PrintfArg[]): number {
  caller("StringCchPrintfW");
  return hresult(boundedPrintf("StringCchPrintfW", pszDest, cchDest, pszFormat, args, true));
}
/** StringCbLengthA: the length in bytes (NUL not counted) at pcbLength when the string ends within cbMax; else STRSAFE_E_INVALID_PARAMETER. */
export function StringCbLengthA(psz: StrSafeSource, cbMax: number, pcbLength: SizeOut): number {
  const t = caller("StringCbLengthA");
  const n = boundedLength("StringCbLengthA", psz, cch(cbMax, false), false);
  putSize(t, pcbLength, n ?? 0);
  return n === null ? STRSAFE_E_INVALID_PARAMETER : S_OK;
}
/** StringCbLengthW. */
export function StringCbLengthW(psz: StrSafeSource, cbMax: number, pcbLength: SizeOut): number {
  const t = caller("StringCbLengthW");
  const n = boundedLength("StringCbLengthW", psz, cch(cbMax, true), true);
  putSize(t, pcbLength, n === null ? 0 : n * 2);
  return n === null ? STRSAFE_E_INVALID_PARAMETER : S_OK;
}

function putSize(t: KThread, out: SizeOut, value: number): void {
  if (out === null || out === 0) return;
  if (typeof out === "number") t.machine.mmu.writeU32(out, value);
  else if (typeof out === "object") out.value = value;
  // Written through as a pointer: what is no size_t variable faults.
  else badPointer("StringCbLength", "pcbLength", out, "a size_t variable or NULL");
}

// ---- wsprintf ----

/** The most wsprintf writes: its buffer is at most 1024 characters, NUL included. */
const WSPRINTF_MAX = 1024;

function formatInto(api: string, wide: boolean, lpOut: number, lpFmt: StrSafeSource, args: readonly PrintfArg[]): number {
  const t = caller(api);
  const mmu = currentMachine(api).mmu;
  const format = typeof lpFmt === "string" ? lpFmt : wide ? mmu.readWideString(lpFmt ?? 0) : mmu.readAnsiString(lpFmt ?? 0);
  const r = formatPrintf(format, args, wide, "wsprintf");
  const text = r.ok ? r.text.slice(0, WSPRINTF_MAX - 1) : "";
  store(t, lpOut, text, wide);
  return text.length;
}

/**
 * wsprintfA: formats into lpOut (at most 1024 characters with the NUL) and returns the characters
 * written, NUL not counted. It has the conversions %c %C %d %i %u %x %X %p %s %S with h / l / w
 * sizes, widths, precision and the - 0 # flags, but no floating point: a conversion it does not
 * have is dropped, taking no argument.
 */
export function wsprintfA(lpOut: number, lpFmt: StrSafeSource, ...args: PrintfArg[]): number {
  return formatInto("wsprintfA", false, lpOut, lpFmt, args);
}
/** wsprintfW: as wsprintfA, wide (%s is a wide string, %S a narrow one). */
export function wsprintfW(lpOut: number, lpFmt: StrSafeSource, ...args: PrintfArg[]): number {
  return formatInto("wsprintfW", true, lpOut, lpFmt, args);
}

// ---- The generic names of a UNICODE build ----
export { lstrlenW as lstrlen, lstrcpyW as lstrcpy, lstrcatW as lstrcat, StringCbCopyW as StringCbCopy, StringCchCopyW as StringCchCopy, StringCbPrintfW as StringCbPrintf, StringCchPrintfW as StringCchPrintf, StringCbLengthW as StringCbLength, wsprintfW as wsprintf };
