/**
 * Time as drivers read it (wdm.h): the system time, the interrupt time and the tick count move
 * by the clock interrupt's increment (KeQueryTimeIncrement, 15.625 ms); the performance counter
 * and the *Precise routines move with every modelled call (kernel/execution-time.ts).
 *
 * The machine boots at system time 0 (FILETIME 1601-01-01) so that every time stays an exact
 * JavaScript number; the system time therefore equals the interrupt time.
 */
import { currentMachine } from "./context.js";
import { badPointer, isGiven } from "./bad-pointer.js";
import { CLOCK_INCREMENT, PERFORMANCE_FREQUENCY, TICKS_PER_MS } from "./execution-time.js";

/** The clock as the last clock interrupt left it: `now` rounded down to a whole tick. */
function tickTime(api: string): number {
  const now = currentMachine(api).clockCall(api).machine.now;
  return now - (now % CLOCK_INCREMENT);
}

/**
 * KeQueryTimeIncrement: the number of 100 ns units the clock advances at each clock interrupt
 * (156,250: 15.625 ms, NT's default).
 */
export function KeQueryTimeIncrement(): number {
  currentMachine("KeQueryTimeIncrement").clockCall("KeQueryTimeIncrement");
  return CLOCK_INCREMENT;
}

/**
 * KeQuerySystemTime: the system time in 100 ns units, as of the last clock interrupt (it moves
 * in steps of KeQueryTimeIncrement). The machine boots at system time 0.
 */
export function KeQuerySystemTime(): number {
  return tickTime("KeQuerySystemTime");
}

/** KeQuerySystemTimePrecise: the system time in 100 ns units, exact to the moment of the call. */
export function KeQuerySystemTimePrecise(): number {
  return currentMachine("KeQuerySystemTimePrecise").clockCall("KeQuerySystemTimePrecise").machine.now;
}

/**
 * KeQueryInterruptTime: 100 ns units since boot, as of the last clock interrupt (it moves in steps
 * of KeQueryTimeIncrement).
 */
export function KeQueryInterruptTime(): number {
  return tickTime("KeQueryInterruptTime");
}

/** KeQueryInterruptTimePrecise: 100 ns units since boot, exact to the moment of the call. */
export function KeQueryInterruptTimePrecise(): number {
  return currentMachine("KeQueryInterruptTimePrecise").clockCall("KeQueryInterruptTimePrecise").machine.now;
}

/**
 * KeQueryTickCount: the number of clock interrupts since boot (multiply by KeQueryTimeIncrement
 * for 100 ns units). The C routine writes it to a LARGE_INTEGER; here it is returned.
 */
export function KeQueryTickCount(): number {
  return Math.floor(tickTime("KeQueryTickCount") / CLOCK_INCREMENT);
}

/**
 * KeQueryPerformanceCounter: a counter that moves with every modelled call, at
 * PERFORMANCE_FREQUENCY (10 MHz, 100 ns counts, as on current Windows). When
 * `PerformanceFrequency` is given, its QuadPart receives the frequency.
 */
export function KeQueryPerformanceCounter(PerformanceFrequency: { QuadPart: number } | null = null): number {
  const m = currentMachine("KeQueryPerformanceCounter").clockCall("KeQueryPerformanceCounter").machine;
  if (isGiven(PerformanceFrequency)) {
    // The frequency is written through the pointer: what is no LARGE_INTEGER faults.
    if (typeof PerformanceFrequency !== "object" || PerformanceFrequency === null) badPointer("KeQueryPerformanceCounter", "PerformanceFrequency", PerformanceFrequency, "a LARGE_INTEGER or NULL");
    PerformanceFrequency.QuadPart = PERFORMANCE_FREQUENCY;
  }
  return m.now;
}

/**
 * KeStallExecutionProcessor: busy-waits `MicroSeconds` without giving up the processor (the
 * virtual clock moves by that much; timers due meanwhile fire as the clock interrupt would). The
 * WDK asks for stalls of at most 50 µs; a longer one is allowed, as on Windows.
 */
export function KeStallExecutionProcessor(MicroSeconds: number): void {
  const m = currentMachine("KeStallExecutionProcessor");
  const t = m.clockCall("KeStallExecutionProcessor");
  // A ULONG, as C would convert the argument.
  const us = Math.trunc(Number.isFinite(MicroSeconds) ? MicroSeconds : 0) >>> 0;
  m.chargeCall(t, null, us * (TICKS_PER_MS / 1000));
}
