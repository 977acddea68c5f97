/**
 * `npm run soak`: the hostile-call properties at length. Draws programs from a seeded generator
 * (kernel side and user side in turn) until at least a million calls have been made (`--calls N`
 * for another target, `--seed S` for another seed), checks every run as the tests do, and prints
 * calls per second and the counters that show how deep the generator reaches: APCs delivered,
 * IRPs completed and cancelled, cancel routines run, requests pending when a process was killed,
 * cancels that raced a completion, bug checks by code, verifier findings by rule, and the calls
 * per routine. Exits 1 at the first run whose problems the properties forbid, printing the
 * program's seed and index so it can be replayed. Not part of `npm test`.
 */
import { performance } from "node:perf_hooks";
import { runKernelProgram } from "./kernel-world.js";
import { runWin32Program } from "./win32-world.js";
import { Coverage, Rng } from "./program.js";

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : NaN;
  return Number.isFinite(v) ? v : fallback;
}

const target = option("calls", 1_000_000);
const seed = option("seed", 0x18c50a);
const rng = new Rng(seed);
const kernel = new Coverage();
const user = new Coverage();
const t0 = performance.now();
let lastReport = t0;
let index = 0;

const fmt = (n: number): string => n.toLocaleString("en-US");
const table = (m: ReadonlyMap<string, number>, limit = 100): string =>
  [...m]
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)
    .map(([k, v]) => `      ${fmt(v).padStart(9)}  ${k}`)
    .join("\n");

while (kernel.calls + user.calls < target) {
  // Two kernel programs for each user program: a kernel step is cheaper, a user step reaches further.
  const side = index % 3 === 2 ? "user" : "kernel";
  const program = rng.program(side === "kernel" ? 40 : 50);
  const w = side === "kernel" ? await runKernelProgram(program, { trace: true }) : await runWin32Program(program, { trace: true });
  const problems = w.problems();
  (side === "kernel" ? kernel : user).add(w.tally());
  if (problems.length > 0) {
    console.error(`soak: ${side} program ${index} (seed ${seed}) broke the property:\n  ${problems.join("\n  ")}`);
    process.exit(1);
  }
  index++;
  const now = performance.now();
  if (now - lastReport > 10_000) {
    lastReport = now;
    const calls = kernel.calls + user.calls;
    process.stderr.write(`  ${fmt(calls)} calls, ${fmt(Math.round(calls / ((now - t0) / 1000)))} calls/s\n`);
  }
}

const seconds = (performance.now() - t0) / 1000;
const all = new Coverage();
all.add(kernel);
all.add(user);
const section = (title: string, c: Coverage): string =>
  [
    `  ${title}: ${fmt(c.runs)} programs, ${fmt(c.calls)} calls (${fmt(c.returned)} returned, ${fmt(c.ntStatus)} raised an NT exception, ${fmt(c.notBuilt)} refused as not built), ${fmt(c.haltedRuns)} machines halted`,
    `    APCs delivered             ${fmt(c.apcsDelivered)}`,
    `    IRPs completed             ${fmt(c.irpsCompleted)}`,
    `    IRPs cancelled             ${fmt(c.irpsCancelled)} (cancel routines run: ${fmt(c.cancelRoutinesRun)})`,
    `    pending when a process was killed  ${fmt(c.pendingAtKill)}`,
    `    cancels racing completions ${fmt(c.cancelRacedCompletion)}`,
    `    deadlocks                  ${fmt(c.deadlocks)}`,
    `    bug checks by code:\n${table(c.bugChecks) || "      (none)"}`,
    `    verifier findings by rule:\n${table(c.findings) || "      (none)"}`,
  ].join("\n");

console.log(`soak: ${fmt(all.calls)} calls in ${seconds.toFixed(1)} s — ${fmt(Math.round(all.calls / seconds))} calls/s (seed ${seed}); no host exception escaped, every machine consistent`);
console.log(section("kernel side (WDK calls from a driver)", kernel));
console.log(section("user side (Win32 calls against the sample drivers)", user));
console.log(`  Win32 errors the user side saw:\n${table(user.statuses, 25)}`);
console.log(`  calls per routine (kernel side, least called first):\n${table(new Map([...kernel.byRoutine].sort((a, b) => a[1] - b[1]).slice(0, 15)))}`);
