/**
 * Time on the machine's virtual clock: GetTickCount (milliseconds), QueryPerformanceCounter and
 * QueryPerformanceFrequency (100 ns ticks: a 10 MHz counter).
 */
import { ceCall } from "../ce-call.js";

/** The performance counter's frequency: 10 MHz (the virtual clock's 100 ns tick). */
export const PERFORMANCE_FREQUENCY = 10_000_000;

/** GetTickCount: milliseconds since the machine started, wrapping at 2^32. */
export function GetTickCount(): number {
  return Math.floor(ceCall("GetTickCount").m.nowMs) >>> 0;
}

/** QueryPerformanceCounter: writes the 64-bit count (100 ns ticks) at `lpPerformanceCount`. */
export function QueryPerformanceCounter(lpPerformanceCount: number): boolean {
  const { m } = ceCall("QueryPerformanceCounter");
  m.mmu.writeU32(lpPerformanceCount, m.now % 2 ** 32);
  m.mmu.writeU32(lpPerformanceCount + 4, Math.floor(m.now / 2 ** 32));
  return true;
}

/** QueryPerformanceFrequency: writes 10,000,000 (64-bit) at `lpFrequency`. */
export function QueryPerformanceFrequency(lpFrequency: number): boolean {
  const { m } = ceCall("QueryPerformanceFrequency");
  m.mmu.writeU32(lpFrequency, PERFORMANCE_FREQUENCY);
  m.mmu.writeU32(lpFrequency + 4, 0);
  return true;
}
