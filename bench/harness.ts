/**
 * Benchmark plumbing: every figure is measured against a baseline in the same run and reported
 * as a ratio, so results compare across machines. Timing uses the host clock — here, and only
 * here, outside the emulator.
 */
import { performance } from "node:perf_hooks";

/** One figure in bench/results.json. */
export interface BenchResult {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  readonly baseline: number | null;
  readonly ratio: number | null;
  readonly goal: string;
  /** Whether the goal is met, when the goal is a number the ratio or value is checked against. */
  readonly met: boolean | null;
}

/** A benchmark: an async function producing one or more results. */
export interface Benchmark {
  readonly name: string;
  run(): Promise<BenchResult[]>;
}

/** Milliseconds for the fastest of `samples` runs of `fn` (after one warm-up). */
export async function fastest(samples: number, fn: () => unknown): Promise<number> {
  await fn();
  let best = Infinity;
  for (let i = 0; i < samples; i++) {
    const t0 = performance.now();
    await fn();
    best = Math.min(best, performance.now() - t0);
  }
  return best;
}

/** Milliseconds for one run of `fn`. */
export async function once(fn: () => unknown): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

/** Rounds for display and JSON. */
export function round(n: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/** Asks V8 for full collections (node runs with --expose-gc) and lets freed buffers settle. */
export async function collectGarbage(): Promise<void> {
  const g = (globalThis as { gc?: () => void }).gc;
  for (let i = 0; i < 3; i++) {
    if (g) g();
    await new Promise((resolve) => setImmediate(resolve));
  }
}
