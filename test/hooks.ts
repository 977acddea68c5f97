/**
 * Root hooks: after every test, every machine the test built must still be consistent (frame
 * locks owned by live MDLs, no IRP on an exited thread, handle counts matching handle tables).
 */
import { Machine } from "../kernel/machine.js";
import { invariantViolations } from "../scenario/invariants.js";

const machines: Machine[] = [];
Machine.created.push((m) => machines.push(m));

export const mochaHooks = {
  beforeEach(): void {
    machines.length = 0;
  },
  afterEach(this: { currentTest?: { state?: string } }): void {
    const problems = machines.flatMap((m, i) => invariantViolations(m).map((v) => `machine ${i + 1}: ${v}`));
    machines.length = 0;
    if (problems.length > 0 && this.currentTest?.state !== "failed") {
      throw new Error(`the machine's invariants do not hold after this test:\n  ${problems.join("\n  ")}`);
    }
  },
};
