/**
 * Benchmark plumbing: every figure is measured against a baseline in the same run and reported
 * as a ratio, so results compare across machines. Timing uses the host clock — here, and only
 * here, outside the emulator.
 */
import { readFileSync } from "node:fs";
import { totalmem } from "node:os";
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

/** A sysfs cache size ("48K", "2048K", "32M") in bytes, or null when it is not one. */
export function parseCacheSize(text: string): number | null {
  const m = /^(\d+)([KMG]?)$/.exec(text.trim());
  if (!m) return null;
  const unit = m[2] === "G" ? 2 ** 30 : m[2] === "M" ? 2 ** 20 : m[2] === "K" ? 2 ** 10 : 1;
  return Number(m[1]) * unit;
}

/** Bytes in the largest CPU cache Linux reports (sysfs), or null where it cannot be read. */
function lastLevelCacheBytes(): number | null {
  let best: number | null = null;
  for (let i = 0; i < 8; i++) {
    let text: string;
    try {
      text = readFileSync(`/sys/devices/system/cpu/cpu0/cache/index${i}/size`, "utf8");
    } catch {
      break;
    }
    const bytes = parseCacheSize(text);
    if (bytes !== null && (best === null || bytes > best)) best = bytes;
  }
  return best;
}

/**
 * The size of the buffer that empties the caches: twice the last-level cache (256 MiB when its
 * size is unknown), at least 64 MiB, at most 1 GiB and an eighth of the machine's memory.
 */
export function evictionBufferBytes(lastLevelCache: number | null, machineMemory: number): number {
  const want = Math.max(2 * (lastLevelCache ?? 128 * 2 ** 20), 64 * 2 ** 20);
  const cap = Math.min(2 ** 30, machineMemory / 8);
  return Math.floor(Math.min(want, cap) / 64) * 64;
}

/**
 * A function that pushes the CPU caches' contents out to memory by reading and writing a buffer
 * ({@link evictionBufferBytes}) one cache line at a time, so that the next measurement starts from
 * memory whatever ran before it. The buffer lives as long as the function.
 */
export function cacheEvicter(): () => void {
  const buffer = new Int32Array(evictionBufferBytes(lastLevelCacheBytes(), totalmem()) / 4);
  // Touch every page once now, so the first eviction is not also the buffer's page faults.
  buffer.fill(1);
  return () => {
    let s = 0;
    // 16 Int32s is one 64-byte cache line; the write keeps the loop from being optimised away.
    for (let i = 0; i < buffer.length; i += 16) {
      s = (s + (buffer[i] as number)) | 0;
      buffer[i] = s;
    }
  };
}
