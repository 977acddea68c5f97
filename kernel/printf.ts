/**
 * printf-style formatting as the Microsoft C runtime does it for DbgPrint, KdPrint, the ntstrsafe
 * and strsafe routines and wsprintf: flags (`-` `+` space `#` `0`), width and precision (`*` too),
 * size prefixes (`h` `hh` `l` `ll` `I64` `I32` `I` `z`), and the conversions
 * %d %i %u %x %X %o %c %C %s %S %Z %wZ %p %e %f %g %%.
 *
 * Arguments are what C passes: numbers (or bigints for 64-bit conversions) for integers, and for
 * strings an address in emulated memory — read through the normal accessors in the caller's
 * context, so a bad pointer raises STATUS_ACCESS_VIOLATION as the C runtime's read would. A JS
 * string may stand in for a string argument (a literal), and a UNICODE_STRING / ANSI_STRING object
 * (or its address) for %wZ / %Z. A NULL string pointer prints "(null)", as the CRT does.
 *
 * As in the CRT's wide functions, `%s` in a wide format (swprintf, RtlStringCbPrintfW) is a wide
 * string and `%S` a narrow one; `%hs` / `%ls` / `%ws` name the width explicitly.
 */
import { currentMachine } from "./context.js";
import { STATUS_INVALID_PARAMETER, type NTSTATUS } from "./status.js";

/** A counted string a %Z / %wZ argument points at (UNICODE_STRING, ANSI_STRING). */
export interface CountedStringLike {
  readonly Length: number;
  readonly MaximumLength: number;
  readonly Buffer: number;
}

/** One printf argument. */
export type PrintfArg = number | bigint | string | boolean | CountedStringLike | null;

/** The outcome of formatting: the text, or NT's status for a format the runtime refuses. */
export type FormatResult = { readonly ok: true; readonly text: string } | { readonly ok: false; readonly status: NTSTATUS; readonly reason: string };

interface Spec {
  minus: boolean;
  plus: boolean;
  space: boolean;
  hash: boolean;
  zero: boolean;
  width: number;
  precision: number | null;
  size: "" | "h" | "hh" | "l" | "ll" | "w";
  conv: string;
}

class FormatError extends Error {}

/**
 * The widest field (width or precision) formatted in full: every caller keeps far less of the
 * text (DbgPrint 512 characters, wsprintf 1024, an ntstrsafe destination its buffer), so a wider
 * field (`%*d` given 0x81000000) only has to come out longer than any of them, as its start does.
 */
const MAX_FIELD = 1 << 20;

function pad(s: string, spec: Spec, numeric: boolean): string {
  if (s.length >= spec.width) return s;
  const n = spec.width - s.length;
  if (spec.minus) return s + " ".repeat(n);
  if (spec.zero && numeric && spec.precision === null) {
    // Zeros go after the sign or 0x prefix.
    const m = /^([+\- ]|0[xX])?/.exec(s);
    const head = m?.[0] ?? "";
    return head + "0".repeat(n) + s.slice(head.length);
  }
  return " ".repeat(n) + s;
}

function toBig(arg: PrintfArg, signed: boolean, bits: 32 | 64 | 16 | 8): bigint {
  let v: bigint;
  if (typeof arg === "bigint") v = arg;
  else if (typeof arg === "number") {
    if (!Number.isFinite(arg)) throw new FormatError(`a non-finite number (${String(arg)}) for an integer conversion`);
    v = BigInt(Math.trunc(arg));
  } else if (typeof arg === "boolean") v = arg ? 1n : 0n;
  else if (arg === null) v = 0n;
  else throw new FormatError(`a ${typeof arg === "string" ? "string" : "structure"} for an integer conversion`);
  return signed ? BigInt.asIntN(bits, v) : BigInt.asUintN(bits, v);
}

function formatInteger(arg: PrintfArg, spec: Spec): string {
  const conv = spec.conv;
  const signed = conv === "d" || conv === "i";
  const bits = spec.size === "ll" ? 64 : spec.size === "h" ? 16 : spec.size === "hh" ? 8 : 32;
  const v = toBig(arg, signed, bits);
  const negative = v < 0n;
  const mag = negative ? -v : v;
  const radix = conv === "x" || conv === "X" ? 16 : conv === "o" ? 8 : 10;
  let digits = mag.toString(radix);
  if (conv === "X") digits = digits.toUpperCase();
  if (spec.precision !== null) {
    if (spec.precision === 0 && mag === 0n) digits = "";
    else digits = digits.padStart(spec.precision, "0");
  }
  let prefix = "";
  if (signed) prefix = negative ? "-" : spec.plus ? "+" : spec.space ? " " : "";
  if (spec.hash && mag !== 0n) {
    if (conv === "x") prefix = "0x";
    else if (conv === "X") prefix = "0X";
    else if (conv === "o" && !digits.startsWith("0")) digits = "0" + digits;
  }
  return pad(prefix + digits, spec, true);
}

function formatFloat(arg: PrintfArg, spec: Spec): string {
  if (typeof arg !== "number") throw new FormatError(`a ${typeof arg} for %${spec.conv} (floating-point needs a number)`);
  const p = spec.precision ?? 6;
  const upper = spec.conv === spec.conv.toUpperCase();
  let s: string;
  if (!Number.isFinite(arg)) s = Number.isNaN(arg) ? "nan" : arg < 0 ? "-inf" : "inf";
  else if (spec.conv === "f" || spec.conv === "F") s = arg.toFixed(Math.min(p, 100));
  else if (spec.conv === "e" || spec.conv === "E") s = cExponent(arg.toExponential(Math.min(p, 100)));
  else {
    const P = p === 0 ? 1 : p;
    const exp = arg === 0 ? 0 : Math.floor(Math.log10(Math.abs(arg)));
    s = exp < -4 || exp >= P ? cExponent(arg.toExponential(P - 1)) : arg.toFixed(Math.max(0, P - 1 - exp));
    if (!spec.hash && s.includes(".")) s = s.replace(/\.?0+(e|$)/, "$1");
  }
  if (upper) s = s.toUpperCase();
  if (arg >= 0 && !s.startsWith("-")) s = (spec.plus ? "+" : spec.space ? " " : "") + s;
  return pad(s, spec, Number.isFinite(arg));
}

/** JS writes 1.5e+0; the CRT writes 1.500000e+000 (three exponent digits). */
function cExponent(s: string): string {
  return s.replace(/e([+-])(\d+)$/, (_m, sign: string, d: string) => `e${sign}${d.padStart(3, "0")}`);
}

function isCounted(arg: unknown): arg is CountedStringLike {
  return typeof arg === "object" && arg !== null && "Buffer" in arg && "Length" in arg;
}

function readString(arg: PrintfArg, wide: boolean, precision: number | null): string {
  if (arg === null || arg === 0) return "(null)";
  if (typeof arg === "string") return precision === null ? arg : arg.slice(0, precision);
  if (typeof arg !== "number") throw new FormatError(`a ${typeof arg} where a string pointer was expected`);
  const mmu = currentMachine("printf").mmu;
  const max = precision ?? (wide ? 32768 : 65536);
  return wide ? mmu.readWideString(arg, max) : mmu.readAnsiString(arg, max);
}

function readCounted(arg: PrintfArg, wide: boolean, precision: number | null): string {
  if (arg === null || arg === 0) return "(null)";
  let length: number;
  let buffer: number;
  const mmu = currentMachine("printf").mmu;
  if (isCounted(arg)) {
    length = arg.Length;
    buffer = arg.Buffer;
  } else if (typeof arg === "number") {
    // The address of a UNICODE_STRING / ANSI_STRING: Length, MaximumLength, Buffer (x86).
    length = mmu.readU16(arg);
    buffer = mmu.readU32(arg + 4);
  } else if (typeof arg === "string") {
    return precision === null ? arg : arg.slice(0, precision);
  } else {
    throw new FormatError(`a ${typeof arg} where a ${wide ? "PUNICODE_STRING" : "PANSI_STRING"} was expected`);
  }
  if (buffer === 0) return "(null)";
  const bytes = mmu.readBytes(buffer, wide ? length & ~1 : length);
  let s = "";
  if (wide) for (let i = 0; i + 1 < bytes.length; i += 2) s += String.fromCharCode((bytes[i] ?? 0) | ((bytes[i + 1] ?? 0) << 8));
  else for (const b of bytes) s += String.fromCharCode(b);
  return precision === null ? s : s.slice(0, precision);
}

function charOf(arg: PrintfArg, wide: boolean): string {
  if (typeof arg === "string") return arg.slice(0, 1);
  const code = Number(toBig(arg, false, wide ? 16 : 8));
  return String.fromCharCode(code);
}

/** Whose printf: the C runtime's, or user32's wsprintf (no floating point, no %Z, no 64-bit sizes). */
export type PrintfDialect = "crt" | "wsprintf";

/** The conversions wsprintf has; any other is skipped without taking an argument, as wvsprintf does. */
const WSPRINTF_CONVERSIONS = new Set(["c", "C", "d", "i", "u", "x", "X", "p", "s", "S"]);

/**
 * Formats `format` with `args` as the CRT would; `wide` says whether the format is a wide one
 * (swprintf's meaning of %s and %S). Faults reading a string argument propagate (an NtStatusError);
 * a conversion the runtime refuses (%n), a missing argument or an argument of the wrong kind is
 * { ok: false, status: STATUS_INVALID_PARAMETER }. In the wsprintf dialect a conversion wsprintf
 * does not have (%e %f %g %o %Z %n) is dropped, taking no argument.
 */
export function formatPrintf(format: string, args: readonly PrintfArg[], wide = false, dialect: PrintfDialect = "crt"): FormatResult {
  let out = "";
  let next = 0;
  const take = (): PrintfArg => {
    if (next >= args.length) throw new FormatError(`the format has more conversions than the ${args.length} argument(s) given`);
    return args[next++] as PrintfArg;
  };
  try {
    for (let i = 0; i < format.length; ) {
      const c = format[i] as string;
      if (c !== "%") {
        out += c;
        i++;
        continue;
      }
      i++;
      if (format[i] === "%") {
        out += "%";
        i++;
        continue;
      }
      const spec: Spec = { minus: false, plus: false, space: false, hash: false, zero: false, width: 0, precision: null, size: "", conv: "" };
      for (;;) {
        const f = format[i];
        if (f === "-") spec.minus = true;
        else if (f === "+") spec.plus = true;
        else if (f === " ") spec.space = true;
        else if (f === "#") spec.hash = true;
        else if (f === "0") spec.zero = true;
        else break;
        i++;
      }
      if (format[i] === "*") {
        const w = Number(toBig(take(), true, 32));
        if (w < 0) {
          spec.minus = true;
          spec.width = Math.min(-w, MAX_FIELD);
        } else spec.width = Math.min(w, MAX_FIELD);
        i++;
      } else {
        while (i < format.length && /[0-9]/.test(format[i] as string)) spec.width = Math.min(spec.width * 10 + Number(format[i++]), MAX_FIELD);
      }
      if (format[i] === ".") {
        i++;
        if (format[i] === "*") {
          const p = Number(toBig(take(), true, 32));
          spec.precision = p < 0 ? null : Math.min(p, MAX_FIELD);
          i++;
        } else {
          let p = 0;
          while (i < format.length && /[0-9]/.test(format[i] as string)) p = Math.min(p * 10 + Number(format[i++]), MAX_FIELD);
          spec.precision = p;
        }
      }
      // Size prefixes.
      if (format.startsWith("I64", i)) {
        spec.size = "ll";
        i += 3;
      } else if (format.startsWith("I32", i)) {
        spec.size = "l";
        i += 3;
      } else if (format.startsWith("ll", i)) {
        spec.size = "ll";
        i += 2;
      } else if (format.startsWith("hh", i)) {
        spec.size = "hh";
        i += 2;
      } else {
        const s = format[i];
        if (s === "h") spec.size = "h";
        else if (s === "l") spec.size = "l";
        else if (s === "w") spec.size = "w";
        // Pointer-sized (I, z, t, j on x86: 32 bits; j is intmax_t, 64).
        else if (s === "I" || s === "z" || s === "t") spec.size = "";
        else if (s === "j") spec.size = "ll";
        if (s === "h" || s === "l" || s === "w" || s === "I" || s === "z" || s === "t" || s === "j") i++;
      }
      const conv = format[i];
      if (conv === undefined) throw new FormatError("the format ends inside a conversion");
      i++;
      spec.conv = conv;
      if (dialect === "wsprintf" && (!WSPRINTF_CONVERSIONS.has(conv) || spec.size === "ll")) continue;
      switch (conv) {
        case "d":
        case "i":
        case "u":
        case "x":
        case "X":
        case "o":
          out += formatInteger(take(), spec);
          break;
        case "p": {
          // x86: eight uppercase hex digits.
          const v = toBig(take(), false, 32);
          out += pad(v.toString(16).toUpperCase().padStart(8, "0"), { ...spec, zero: false }, false);
          break;
        }
        case "c":
        case "C": {
          const wideChar = spec.size === "l" || spec.size === "w" || (spec.size !== "h" && (conv === "C") !== wide);
          out += pad(charOf(take(), wideChar), spec, false);
          break;
        }
        case "s":
        case "S": {
          const wideStr = spec.size === "l" || spec.size === "w" || (spec.size !== "h" && (conv === "S") !== wide);
          out += pad(readString(take(), wideStr, spec.precision), spec, false);
          break;
        }
        case "Z":
          out += pad(readCounted(take(), spec.size === "w" || spec.size === "l", spec.precision), spec, false);
          break;
        case "e":
        case "E":
        case "f":
        case "F":
        case "g":
        case "G":
          out += formatFloat(take(), spec);
          break;
        case "n":
          throw new FormatError("%n is not supported (the CRT refuses it: it would write through an argument)");
        default:
          throw new FormatError(`%${conv} is not a conversion the runtime knows`);
      }
    }
  } catch (e) {
    if (e instanceof FormatError) return { ok: false, status: STATUS_INVALID_PARAMETER, reason: e.message };
    throw e;
  }
  return { ok: true, text: out };
}
