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
  port.on("message", (msg: ToWorker) => {
    if (msg.type === "exit") {
      port.close();
      return;
    }
    void (async () => {
      try {
        const tally = new Tally(target);
        let failedUnit: number | null = null;
        for (const u of msg.units) {
          await plan.runUnit(u, (run) => {
            const failed = tally.add(run);
            if (failed && failedUnit === null) failedUnit = u;
            return failed && msg.stopAtFirstFailure;
          });
          if (failedUnit !== null && msg.stopAtFirstFailure) break;
        }
        send({ type: "done", units: msg.units, tally: tally.finish(), failedUnit });
      } catch (e) {
        send({ type: "error", message: e instanceof Error ? (e.stack ?? e.message) : String(e) });
      }
    })();
  });
  send({ type: "ready" });
} catch (e) {
  send({ type: "error", message: e instanceof Error ? (e.stack ?? e.message) : String(e) });
}
