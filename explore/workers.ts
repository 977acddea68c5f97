/**
 * Spreading a search over worker threads. One machine runs per JavaScript realm, so each worker
 * is its own realm with its own machines: it loads the scenario itself, calibrates (the default
 * run is deterministic, so every worker sees the same plan), and runs the units the main thread
 * hands it, a batch at a time. Units go out in order; with stop-at-first-failure, no unit after
 * the earliest failing one is handed out, and the ones before it all finish, so the failure
 * reported is the same one a single thread would report.
 */
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import type { StrategySpec } from "./plan.js";
import type { TargetRef } from "./scenario-ref.js";
import type { TallyData } from "./tally.js";

/** Messages from the main thread to a worker. */
export type ToWorker = { readonly type: "run"; readonly units: readonly number[]; readonly stopAtFirstFailure: boolean } | { readonly type: "exit" };

/** Messages from a worker to the main thread. */
export type FromWorker =
  | { readonly type: "ready" }
  | { readonly type: "done"; readonly units: readonly number[]; readonly tally: TallyData; readonly failedUnit: number | null }
  | { readonly type: "error"; readonly message: string };

/** What the worker is given when it starts (its workerData). */
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

/**
 * Starts a worker on the entry module next to this one. Built, that is worker-main.js; run from
 * the sources under tsx (the tests), it is worker-main.ts, and the worker registers tsx itself
 * before importing it (loader hooks are not inherited by worker threads in Node 20).
 */
function startWorker(init: WorkerInit): Worker {
  const here = import.meta.url;
  if (!here.endsWith(".ts")) return new Worker(new URL("./worker-main.js", here), { workerData: init });
  const tsxRoot = path.dirname(createRequire(here).resolve("tsx/package.json"));
  const tsx = pathToFileURL(path.join(tsxRoot, "dist/esm/api/index.mjs")).href;
  const entry = new URL("./worker-main.ts", here).href;
  const boot = `import(${JSON.stringify(tsx)}).then((t) => { t.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(boot, { eval: true, workerData: init });
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

  const result = await new Promise<{ error: Error | null }>((resolve) => {
    let live = 0;
    let settled = false;
    const finish = (error: Error | null): void => {
      if (settled) return;
      settled = true;
      resolve({ error });
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
          if ((inFlight.get(w) ?? 0) === 0) w.postMessage({ type: "exit" } satisfies ToWorker);
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
      const w = startWorker(init);
      pool.push(w);
      live++;
      w.on("message", (msg: FromWorker) => {
        if (msg.type === "ready") give(w);
        else if (msg.type === "done") {
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
          finish(new Error(`a worker failed: ${msg.message}`));
        }
      });
      w.on("error", (e) => {
        finish(e);
      });
      w.on("exit", () => {
        live--;
        if (live === 0) finish(null);
      });
    }
  });
  await Promise.all(pool.map((w) => w.terminate()));
  if (result.error) throw result.error;
  return { tallies, unitsRun, stopped };
}
