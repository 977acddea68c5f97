/**
 * Small formatting helpers every exporter shares, so a frame number or a virtual time reads the
 * same in the text timeline, the diagrams and the HTML report.
 */
import { hex32 } from "../kernel/status.js";

/** Virtual time is in 100 ns ticks (NT's unit); this many ticks make a millisecond. */
export const TICKS_PER_MS = 10_000;

/** "0x00110000": a 32-bit address or status. */
export function hex(n: number): string {
  return `0x${hex32(n)}`;
}

/** "0x100": a page-frame number. */
export function pfn(f: number): string {
  return `0x${f.toString(16).toUpperCase()}`;
}

/** "frames 0x100–0x103", "frame 0x100", or a list for frames that are not consecutive. */
export function frameList(list: readonly number[]): string {
  if (list.length === 0) return "no frames";
  const first = list[0] ?? 0;
  const consecutive = list.every((f, i) => f === first + i);
  if (consecutive) return list.length === 1 ? `frame ${pfn(first)}` : `frames ${pfn(first)}–${pfn(first + list.length - 1)}`;
  return `frames ${list.slice(0, 6).map(pfn).join(", ")}${list.length > 6 ? ", …" : ""}`;
}

/**
 * "12.5 ms": a virtual time (ticks) to the microsecond, without trailing zeros. Calls cost
 * fractions of a microsecond of virtual time (kernel/execution-time.ts); the µs is as fine as a
 * reader needs.
 */
export function ms(ticks: number): string {
  return `${Number((ticks / TICKS_PER_MS).toFixed(3))} ms`;
}

/**
 * "150 ms": a virtual time to a tenth of a millisecond, for spans of periodic work ("× 15,
 * 10–150 ms"), where the sub-microsecond cost of each call would only be noise.
 */
export function msRough(ticks: number): string {
  return `${Number((ticks / TICKS_PER_MS).toFixed(1))} ms`;
}

/** "150.000 ms": a virtual time with a fixed width, for columns. */
export function msFixed(ticks: number): string {
  return `${(ticks / TICKS_PER_MS).toFixed(3)} ms`;
}
