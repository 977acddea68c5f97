/**
 * A worker thread's side of a parallel search: load the target, calibrate, build the same plan
 * as the main thread, and run the batches of units it is given.
 */
import { parentPort, workerData } from "node:worker_threads";
import { calibrate, makePlan } from "./plan.js";
import { loadScenarioRef } from "./scenario-ref.js";
import { Tally } from "./tally.js";
import type { FromWorker, ToWorker, WorkerInit } from "./workers.js";

const port = parentPort;
if (!port) throw new Error("explore/worker-main runs as a worker thread");
const init = workerData as WorkerInit;

const send = (m: FromWorker): void => {
  port.postMessage(m);
};

try {
  const scenario = await loadScenarioRef(init.target.scenario);
  const target = { scenario, options: init.target.options, budget: init.target.budget };
  const plan = makePlan(target, init.spec, await calibrate(target));
  // Batches run one after another (one machine runs at a time in this realm), in arrival order.
  const queue: ToWorker[] = [];
  let busy = false;
  const pump = async (): Promise<void> => {
    if (busy) return;
    busy = true;
    try {
      for (let msg = queue.shift(); msg; msg = queue.shift()) {
        if (msg.type === "exit") {
          port.close();
          return;
        }
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
    } catch (e) {
      send({ type: "error", message: e instanceof Error ? (e.stack ?? e.message) : String(e) });
    } finally {
      busy = false;
    }
  };
  port.on("message", (msg: ToWorker) => {
    queue.push(msg);
    void pump();
  });
  send({ type: "ready" });
} catch (e) {
  send({ type: "error", message: e instanceof Error ? (e.stack ?? e.message) : String(e) });
}
