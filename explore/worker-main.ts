/**
 * A worker thread's side of a parallel search: for each search it is set up for, load the
 * target, calibrate, build the same plan as the main thread, and run the batches of units it is
 * given. Between searches it waits, idle, for the next setup.
 */
import { parentPort } from "node:worker_threads";
import { calibrate, makePlan, type Plan } from "./plan.js";
import { loadScenarioRef } from "./scenario-ref.js";
import { Tally } from "./tally.js";
import type { ExploreTarget } from "./run-schedule.js";
import type { FromWorker, ToWorker } from "./workers.js";

if (!parentPort) throw new Error("explore/worker-main runs as a worker thread");
const port = parentPort;

const send = (m: FromWorker): void => {
  port.postMessage(m);
};

let current: { target: ExploreTarget; plan: Plan } | null = null;
// Messages are handled one after another (one machine runs at a time in this realm), in arrival order.
const queue: ToWorker[] = [];
let busy = false;

async function handle(msg: ToWorker): Promise<void> {
  if (msg.type === "setup") {
    const scenario = await loadScenarioRef(msg.init.target.scenario);
    const target: ExploreTarget = { scenario, options: msg.init.target.options, budget: msg.init.target.budget };
    current = { target, plan: makePlan(target, msg.init.spec, await calibrate(target)) };
    send({ type: "ready" });
    return;
  }
  if (!current) throw new Error("a batch arrived before the worker was set up for a search");
  const { target, plan } = current;
  const tally = new Tally(target);
  // Set from the run callback: an object, so the loop sees the change.
  const found: { unit: number | null } = { unit: null };
  const ran: number[] = [];
  const stopAtFirst = msg.stopAtFirstFailure;
  for (const u of msg.units) {
    await plan.runUnit(u, (run) => {
      const failed = tally.add(run);
      if (failed) found.unit ??= u;
      return failed && stopAtFirst;
    });
    ran.push(u);
    if (found.unit !== null && stopAtFirst) break;
  }
  send({ type: "done", units: ran, tally: tally.finish(), failedUnit: found.unit });
}

async function pump(): Promise<void> {
  if (busy) return;
  busy = true;
  try {
    for (let msg = queue.shift(); msg; msg = queue.shift()) await handle(msg);
  } catch (e) {
    send({ type: "error", message: e instanceof Error ? (e.stack ?? e.message) : String(e) });
  } finally {
    busy = false;
  }
}

port.on("message", (msg: ToWorker) => {
  queue.push(msg);
  void pump();
});
