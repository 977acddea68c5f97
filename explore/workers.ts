/**
 * Spreading a search over worker threads. One machine runs per JavaScript realm, so each worker
 * is its own realm with its own machines: it loads the scenario itself, calibrates (the default
 * run is deterministic, so every worker sees the same plan), and runs the units the main thread
 * hands it, a batch at a time. Units go out in order; with stop-at-first-failure, no unit after
 * the earliest failing one is handed out, and the ones before it all finish, so the failure
 * reported is the same one a single thread would report.
 *
 * Workers outlive a search: an idle one waits, unreferenced (it does not keep the process
 * alive), for the next search in this process, which then starts with its code already compiled
 * instead of paying a thread start and a JIT warm-up (~0.8 s) again.
 */
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import type { StrategySpec } from "./plan.js";
import type { TargetRef } from "./scenario-ref.js";
import type { TallyData } from "./tally.js";

/** Messages from the main thread to a worker. */
export type ToWorker =
  | { readonly type: "setup"; readonly init: WorkerInit }
  | { readonly type: "run"; readonly units: readonly number[]; readonly stopAtFirstFailure: boolean };

/** Messages from a worker to the main thread. */
export type FromWorker =
  | { readonly type: "ready" }
  | { readonly type: "done"; readonly units: readonly number[]; readonly tally: TallyData; readonly failedUnit: number | null }
  | { readonly type: "error"; readonly message: string };

/** What a worker is given for a search: the target to load and the strategy to plan. */
export interface WorkerInit {
  readonly target: TargetRef;
  readonly spec: StrategySpec;
}

/** Options for {@link runUnitsOnWorkers}. */
export interface WorkerRunOptions {
  readonly stopAtFirstFailure: boolean;
  readonly maxSchedules: number;
  /** Schedules and failures already counted before the units (for progress). */
  readonly baseSchedules: number;
  readonly baseFailures: number;
  readonly onProgress?: (unitsDone: number, schedules: number, failures: number) => void;
}

/** Idle workers kept for the next search (at most this many). */
const MAX_IDLE_WORKERS = 8;
const idle: Worker[] = [];

/**
 * Starts a worker on the entry module next to this one. Built, that is worker-main.js; run from
 * the sources under tsx (the tests), it is worker-main.ts, and the worker registers tsx itself
 * before importing it (loader hooks are not inherited by worker threads in Node 20).
 */
function startWorker(): Worker {
  const here = import.meta.url;
  if (!here.endsWith(".ts")) return new Worker(new URL("./worker-main.js", here));
  const tsxRoot = path.dirname(createRequire(here).resolve("tsx/package.json"));
  const tsx = pathToFileURL(path.join(tsxRoot, "dist/esm/api/index.mjs")).href;
  const entry = new URL("./worker-main.ts", here).href;
  const boot = `import(${JSON.stringify(tsx)}).then((t) => { t.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(boot, { eval: true });
}

/** An idle worker if there is one, else a new one; referenced while it works for a search. */
function acquireWorker(): Worker {
  const w = idle.pop() ?? startWorker();
  w.ref();
  return w;
}

/** Back to the idle pool (unreferenced), or ended when the pool is full. */
function releaseWorker(w: Worker): void {
  if (idle.length >= MAX_IDLE_WORKERS) {
    void w.terminate();
    return;
  }
  w.unref();
  idle.push(w);
}

/** Ends the idle workers kept between searches (they never keep the process alive; this frees their memory). */
export async function closeExploreWorkers(): Promise<void> {
  const all = idle.splice(0, idle.length);
  await Promise.all(all.map((w) => w.terminate()));
}

/** How many idle workers wait for the next search (for tests). */
export function idleExploreWorkers(): number {
  return idle.length;
}

/** Runs `units` of `spec` on `count` worker threads; resolves with each batch's tally. */
export async function runUnitsOnWorkers(
  target: TargetRef,
  spec: StrategySpec,
  units: readonly number[],
  count: number,
  o: WorkerRunOptions,
): Promise<{ tallies: TallyData[]; unitsRun: number; stopped: boolean }> {
  const init: WorkerInit = { target, spec };
  const tallies: TallyData[] = [];
  // Batches: many cheap units (random runs) per message, one DFS subtree per message.
  const batch = spec.kind === "dfs" ? 1 : Math.max(1, Math.min(256, Math.ceil(units.length / (count * 8))));
  let next = 0;
  let unitsRun = 0;
  let schedules = o.baseSchedules;
  let failures = o.baseFailures;
  let earliestFailure = Infinity;
  let stopped = false;
  const pool: Worker[] = [];
  const broken = new Set<Worker>();
  const detach: (() => void)[] = [];

  const error = await new Promise<Error | null>((resolve) => {
    let busy = 0;
    let settled = false;
    const finish = (e: Error | null): void => {
      if (settled) return;
      settled = true;
      resolve(e);
    };
    // Two batches in flight per worker, so a worker never waits for the main thread between them.
    const inFlight = new Map<Worker, number>();
    const give = (w: Worker): void => {
      for (;;) {
        const blocked = o.stopAtFirstFailure && Number.isFinite(earliestFailure);
        const capped = o.maxSchedules > 0 && schedules >= o.maxSchedules;
        const open = next < units.length && !capped && !(blocked && (units[next] ?? Infinity) > earliestFailure);
        if (!open) {
          if (next < units.length) stopped = true;
          if ((inFlight.get(w) ?? 0) === 0 && inFlight.has(w)) {
            // This worker is done for this search.
            inFlight.delete(w);
            busy--;
            if (busy === 0) finish(null);
          }
          return;
        }
        if ((inFlight.get(w) ?? 0) >= 2) return;
        const slice = units.slice(next, next + batch);
        next += slice.length;
        inFlight.set(w, (inFlight.get(w) ?? 0) + 1);
        w.postMessage({ type: "run", units: slice, stopAtFirstFailure: o.stopAtFirstFailure } satisfies ToWorker);
      }
    };
    for (let i = 0; i < count; i++) {
      const w = acquireWorker();
      pool.push(w);
      busy++;
      const onMessage = (msg: FromWorker): void => {
        if (msg.type === "ready") {
          inFlight.set(w, 0);
          give(w);
        } else if (msg.type === "done") {
          inFlight.set(w, (inFlight.get(w) ?? 1) - 1);
          tallies.push(msg.tally);
          unitsRun += msg.units.length;
          schedules += msg.tally.schedules;
          failures = Math.max(failures, msg.tally.failures.length);
          if (msg.failedUnit !== null) {
            earliestFailure = Math.min(earliestFailure, msg.failedUnit);
            if (o.stopAtFirstFailure) stopped = true;
          }
          o.onProgress?.(unitsRun, schedules, failures);
          give(w);
        } else {
          broken.add(w);
          finish(new Error(`a worker failed: ${msg.message}`));
        }
      };
      const onError = (e: Error): void => {
        broken.add(w);
        finish(e);
      };
      const onExit = (): void => {
        broken.add(w);
        finish(new Error("a worker exited during a search"));
      };
      w.on("message", onMessage);
      w.on("error", onError);
      w.on("exit", onExit);
      detach.push(() => {
        w.off("message", onMessage);
        w.off("error", onError);
        w.off("exit", onExit);
      });
      w.postMessage({ type: "setup", init } satisfies ToWorker);
    }
  });
  for (const d of detach) d();
  // A worker that failed, or one still busy because another failed, is ended rather than reused.
  for (const w of pool) {
    if (error || broken.has(w)) void w.terminate();
    else releaseWorker(w);
  }
  if (error) throw error;
  return { tallies, unitsRun, stopped };
}
