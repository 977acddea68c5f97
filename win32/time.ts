/**
 * Time as apps read it (sysinfoapi.h, profileapi.h, processthreadsapi.h): the tick count and the
 * system time move by the clock interrupt's increment (15.625 ms); the performance counter moves
 * with every modelled call (kernel/execution-time.ts). None of these enters the kernel on
 * Windows (they read the shared user data page or the processor's counter), so each costs one
 * Win32 call; SwitchToThread is a system service (NtYieldExecution).
 */
import { CLOCK_INCREMENT, PERFORMANCE_FREQUENCY, TICKS_PER_MS } from "../kernel/execution-time.js";
import type { Machine } from "../kernel/machine.js";
import { caller, probeUser, serviceAsync } from "./call.js";

/** Milliseconds since boot as of the last clock interrupt (NT: tick count × 15.625, rounded down). */
function tickMs(m: Machine): number {
  return Math.floor(Math.floor(m.now / CLOCK_INCREMENT) * (CLOCK_INCREMENT / TICKS_PER_MS));
}

/** Writes a 64-bit value (LARGE_INTEGER, FILETIME) at a user address, low part first. */
function putUser64(m: Machine, address: number, value: number): void {
  probeUser(address, 8);
  m.mmu.writeU32(address, value % 2 ** 32);
  m.mmu.writeU32(address + 4, Math.floor(value / 2 ** 32));
}

/**
 * GetTickCount: milliseconds since the machine started, moving in steps of the clock tick
 * (15 or 16 ms) and wrapping to 0 after 2^32 ms (49.7 days), as on Windows.
 */
export function GetTickCount(): number {
  return tickMs(caller("GetTickCount").machine) >>> 0;
}

/** GetTickCount64: milliseconds since the machine started, moving in steps of the clock tick; never wraps. */
export function GetTickCount64(): number {
  return tickMs(caller("GetTickCount64").machine);
}

/**
 * QueryPerformanceCounter: writes the performance counter (64 bits, counts of 1/PERFORMANCE_FREQUENCY
 * s) at `lpPerformanceCount` and returns TRUE. It moves with every modelled call, finer than the
 * clock tick. A bad pointer raises STATUS_ACCESS_VIOLATION in the app, as the write would.
 */
export function QueryPerformanceCounter(lpPerformanceCount: number): boolean {
  const m = caller("QueryPerformanceCounter").machine;
  putUser64(m, lpPerformanceCount, m.now);
  return true;
}

/** QueryPerformanceFrequency: writes the counter's frequency, 10,000,000 counts per second, at `lpFrequency`. */
export function QueryPerformanceFrequency(lpFrequency: number): boolean {
  const m = caller("QueryPerformanceFrequency").machine;
  putUser64(m, lpFrequency, PERFORMANCE_FREQUENCY);
  return true;
}

/**
 * GetSystemTimeAsFileTime: writes the system time as a FILETIME (100 ns units; dwLowDateTime,
 * then dwHighDateTime) at `lpSystemTimeAsFileTime`, as of the last clock interrupt. The machine
 * boots at FILETIME 0 (1601-01-01), which keeps every time an exact JavaScript number.
 */
export function GetSystemTimeAsFileTime(lpSystemTimeAsFileTime: number): void {
  const m = caller("GetSystemTimeAsFileTime").machine;
  putUser64(m, lpSystemTimeAsFileTime, m.now - (m.now % CLOCK_INCREMENT));
}

/**
 * SwitchToThread: gives the rest of the time slice to another thread that is ready to run
 * (NtYieldExecution). Resolves TRUE when one ran, FALSE when none was ready and the caller simply
 * continued.
 */
export function SwitchToThread(): Promise<boolean> {
  const t = caller("SwitchToThread");
  return serviceAsync(t, async (m) => {
    const yielded = m.scheduler.yieldExecution(t);
    if (!yielded) return false;
    await yielded;
    return true;
  });
}
