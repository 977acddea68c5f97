/**
 * How running code takes virtual time: the cost model, NT's clock tick and quantum, and the
 * bounds past which a thread that never waits is a livelock.
 *
 * Every kernel routine a driver calls (Machine.kernelCall), every Win32 API an app calls
 * (Machine.userCall) and every system service (Machine.enterKernel) advances the clock by a small
 * flat cost, in whole 100 ns units so that every timestamp and deadline stays an integer. A few
 * routines charge more themselves (KeStallExecutionProcessor charges the time it stalls). The
 * costs are a model of "code takes time", not a measurement of any processor: they are small
 * enough that a shipped timeline (printed in milliseconds to three decimals) barely moves, and
 * large enough that a thread polling a clock sees it move and a runaway thread reaches the run's
 * time limit in a bounded number of calls.
 */

/** 100 ns units per millisecond. */
export const TICKS_PER_MS = 10_000;

/**
 * KeQueryTimeIncrement on NT: the period of the clock interrupt, 156,250 × 100 ns (15.625 ms).
 * KeQuerySystemTime, KeQueryInterruptTime, KeQueryTickCount and GetTickCount move by this much.
 */
export const CLOCK_INCREMENT = 156_250;

/**
 * NT's quantum on a client system: 2 clock ticks (6 quantum units of a third of a tick each),
 * 31.25 ms. A thread that runs this long without waiting is preempted at its next await point
 * when another thread is ready.
 */
export const QUANTUM = 2 * CLOCK_INCREMENT;

/**
 * How finely the idle processor's clock expires deadlines: 100 µs. When every thread waits, the
 * clock jumps to the earliest deadline, and every deadline due less than this after it expires
 * in the same clock interrupt, at the latest of them (a timer may expire late, never early).
 * Deadlines that the modelled costs of the code in between pulled a few microseconds apart (two
 * threads that each slept 60 ms) thus still expire together and their threads race for the
 * processor, as deadlines within one clock tick do on Windows; deadlines a tenth of a millisecond
 * or more apart keep their order and their times.
 */
export const TIMER_RESOLUTION = TICKS_PER_MS / 10;

/** KeQueryPerformanceCounter's and QueryPerformanceFrequency's frequency: 10 MHz (100 ns counts). */
export const PERFORMANCE_FREQUENCY = 10_000_000;

/**
 * The DPC watchdog's allotment for a single DPC on NT: 0x500 clock ticks (20 s). A DPC routine
 * that runs this long is bug check 0x133 DPC_WATCHDOG_VIOLATION.
 */
export const DPC_TIMEOUT_TICKS = 0x500;

/** What each kind of call costs, in 100 ns units. */
export interface ExecutionCosts {
  /** A kernel-mode routine a driver calls (IoCompleteRequest, KeAcquireSpinLock, …): default 1 (100 ns). */
  readonly kernelRoutine: number;
  /** A Win32 API an app calls, before any system service it makes: default 1 (100 ns). */
  readonly win32Api: number;
  /** Entering a system service from user mode and leaving it (the mode switch): default 5 (500 ns). */
  readonly systemService: number;
}

/** The default costs (see {@link ExecutionCosts}). */
export const DEFAULT_EXECUTION_COSTS: ExecutionCosts = { kernelRoutine: 1, win32Api: 1, systemService: 5 };

/**
 * A thread that runs this long (virtual milliseconds) without waiting is a livelock: the run halts
 * and names it with its last calls. Ten seconds: far past any quantum, and reached by a
 * spinning thread in about 10^8 modelled calls (seconds of host time). NT has no such limit for a
 * thread; the emulator needs one because it spends host time on every modelled call.
 */
export const DEFAULT_LIVELOCK_MS = 10_000;

/** Length of each thread's ring of last calls (names only, for livelock reports). */
export const LAST_CALLS = 8;

/**
 * A thread's last calls, oldest first, with runs of the same name folded
 * ("KeQuerySystemTime ×7, KeSetEvent").
 */
export function lastCallsText(ring: readonly (string | undefined)[], count: number): string {
  const n = Math.min(count, LAST_CALLS);
  // Slots never written hold "".
  const names: string[] = [];
  for (let i = count - n; i < count; i++) {
    const name = ring[i % LAST_CALLS];
    if (name) names.push(name);
  }
  const out: string[] = [];
  for (let i = 0; i < names.length; ) {
    let j = i + 1;
    while (j < names.length && names[j] === names[i]) j++;
    out.push(j - i > 1 ? `${names[i] ?? ""} ×${j - i}` : (names[i] ?? ""));
    i = j;
  }
  return out.length > 0 ? out.join(", ") : "none (it made no kernel or Win32 call)";
}

/** "10 s", "250 ms", "1.5 ms": a span of virtual time in 100 ns units, in words. */
export function spanText(ticks: number): string {
  const ms = ticks / TICKS_PER_MS;
  if (ms >= 1000) return `${Number((ms / 1000).toFixed(3))} s`;
  return `${Number(ms.toFixed(3))} ms`;
}
