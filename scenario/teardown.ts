/**
 * What every scenario leaves checked at the end: nothing locked, nothing leaked.
 */
import type { Machine } from "../kernel/machine.js";
import type { Check } from "./scenario.js";

/**
 * The machine's invariants after a scenario: no page locked for I/O, no IRP or MDL still
 * allocated, no IRP left on a thread that has exited, every exited process's handles closed.
 */
export function teardownChecks(m: Machine): Check[] {
  const checks: Check[] = [];
  const locked = m.physical.lockedFrames();
  checks.push({ name: "no page is left locked", passed: locked.length === 0, detail: locked.length ? `${locked.length} frame(s) still locked: ${locked.slice(0, 8).map((f) => `0x${f.toString(16)}`).join(", ")}` : "" });
  const io = m.io;
  if (io) {
    const irps = [...io.liveIrps];
    checks.push({
      name: "no IRP is left allocated",
      passed: irps.length === 0,
      detail: irps.map((i) => `${i.label} (${i.dispatchedTo ?? i.origin}${i.pendedBy ? `, pended by ${i.pendedBy}` : ""})`).join("; "),
    });
    const mdls = [...io.liveMdls];
    checks.push({ name: "no MDL is left allocated", passed: mdls.length === 0, detail: mdls.map((x) => `${x.label}${x.lockedBy ? ` locked by ${x.lockedBy}` : ""}`).join("; ") });
  }
  const deadWithIrps = m.threads.filter((t) => t.state === "terminated" && t.IrpList.Flink !== t.IrpList);
  checks.push({ name: "no IRP is left on a thread that has exited", passed: deadWithIrps.length === 0, detail: deadWithIrps.map((t) => t.label).join(", ") });
  const leakyProcesses = m.processes.filter((p) => p.state === "exited" && p.handleTable.count > 0);
  checks.push({ name: "every exited process's handles are closed", passed: leakyProcesses.length === 0, detail: leakyProcesses.map((p) => p.name).join(", ") });
  return checks;
}
