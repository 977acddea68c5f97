import { expect } from "chai";
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import path from "node:path";
import { ExAllocatePoolWithTag, ExFreePoolWithTag, NonPagedPool } from "../../kernel/api-ex.js";
import { STATUS_SUCCESS } from "../../kernel/status.js";
import { PsCreateSystemThread } from "../../kernel/api-ps-ob.js";
import { KeDelayExecutionThread, KernelMode } from "../../kernel/api-ke.js";
import { loadDriver } from "../../io-manager/driver.js";
import type { Scenario } from "../../scenario/scenario.js";
import { runScenario } from "../../scenario/scenario.js";
import { sharebufScenario } from "../../samples/sharebuf/scenario.js";
import { Sleep } from "../../win32/sync.js";
import { FAULT_INJECTION_DECISION } from "../../verifier/resource-options.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

function irpsim(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [path.join(root, "bin/irpsim.js"), ...args], { cwd: root, env: { ...process.env, NO_COLOR: "1" }, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

/** A driver that allocates in DriverEntry and, later, in a thread of its own. */
function poolScenario(seen: { before: boolean; after: boolean; entryBlock: number; threadBlock: number }): Scenario {
  return {
    name: "pool-twice",
    summary: "a driver that allocates pool in DriverEntry and again in its system thread",
    async run(ctx) {
      const loaded = await loadDriver(ctx.machine, "Pool", () => {
        seen.entryBlock = ExAllocatePoolWithTag(NonPagedPool, 64, "tnE1");
        if (seen.entryBlock === 0) return 0xc000009a;
        PsCreateSystemThread(async function PoolThread() {
          await KeDelayExecutionThread(KernelMode, false, -10_000);
          seen.threadBlock = ExAllocatePoolWithTag(NonPagedPool, 64, "rhT1");
          if (seen.threadBlock !== 0) ExFreePoolWithTag(seen.threadBlock, "rhT1");
          ExFreePoolWithTag(seen.entryBlock, "tnE1");
        }, null);
        return STATUS_SUCCESS;
      });
      ctx.check("Pool loads", loaded.status === 0, `status 0x${loaded.status.toString(16)}`);
      seen.before = ctx.undisturbed();
      // The driver's thread is a background thread: an app keeps the run going past its allocation.
      ctx.machine.createProcess("sleeper.exe", () => Sleep(5));
      await ctx.run();
      seen.after = ctx.undisturbed();
    },
  };
}

describe("verifier: low resources simulation as Driver Verifier does it", () => {
  it("DriverEntry is spared by default, as Driver Verifier waits after boot before it fails allocations; the driver's later allocations fail", async () => {
    const seen = { before: false, after: false, entryBlock: -1, threadBlock: -1 };
    const r = await runScenario(poolScenario(seen), { verifier: { faultInjection: true } });
    expect(r.checks.find((c) => c.name === "Pool loads")?.passed).to.equal(true);
    expect(seen.entryBlock).to.be.greaterThan(0);
    expect(seen.threadBlock).to.equal(0);
    // DriverEntry's allocation was not even offered as a decision.
    expect(r.machine.decisions.filter((d) => d.kind === FAULT_INJECTION_DECISION)).to.deep.equal([{ kind: FAULT_INJECTION_DECISION, choice: 0, of: 2 }]);
  });

  it("with faultInjectionInDriverEntry, DriverEntry's allocations are failed too", async () => {
    const seen = { before: false, after: false, entryBlock: -1, threadBlock: -1 };
    const r = await runScenario(poolScenario(seen), { verifier: { faultInjection: true, faultInjectionInDriverEntry: true } });
    expect(seen.entryBlock).to.equal(0);
    expect(r.checks.find((c) => c.name === "Pool loads")?.detail).to.equal("status 0xc000009a");
  });

  it("an allocation failed by the simulation is a disturbance: ctx.undisturbed() turns false, and the machine says what failed", async () => {
    const seen = { before: false, after: false, entryBlock: -1, threadBlock: -1 };
    const r = await runScenario(poolScenario(seen), { verifier: { faultInjection: true }, trace: true });
    expect(seen.before).to.equal(true);
    expect(seen.after).to.equal(false);
    expect(r.machine.injected).to.have.length(1);
    expect(r.machine.injected[0]).to.match(/^ExAllocatePoolWithTag fails for Pool at test\/verifier\/fault-injection\.test\.ts:\d+:\d+ \(PoolThread\) \(Driver Verifier's low resources simulation\)$/);
    expect(r.events.some((e) => e.kind === "Injection" && e.action === "fault")).to.equal(true);
    // Without the simulation nothing is injected.
    const clean = { before: false, after: false, entryBlock: -1, threadBlock: -1 };
    await runScenario(poolScenario(clean));
    expect(clean.after).to.equal(true);
  });

  it("sharebuf with DriverEntry's allocations failed too fails to load cleanly and says so, instead of the scenario throwing", async () => {
    const r = await runScenario(sharebufScenario, { options: { ending: "closed" }, verifier: { faultInjection: true, faultInjectionInDriverEntry: true } });
    expect(r.error).to.equal(null);
    expect(r.checks.find((c) => c.name === "DriverEntry fails cleanly when an allocation fails")?.passed).to.equal(true);
    expect(r.passed).to.equal(true);
  });

  it("irpsim run sharebuf --fault-injection ends with checks and the injected failure, never a scenario error", async function () {
    this.timeout(60_000);
    const story = await irpsim(["run", "sharebuf", "--fault-injection"]);
    expect(story.stdout).to.not.include("The scenario threw");
    expect(story.stdout).to.match(/\nInjected\n {2}MmMapLockedPages fails for Sharebuf at samples\/sharebuf\/driver\.ts:\d+:\d+/);
    expect(story.code).to.equal(0);
    const r = await irpsim(["run", "sharebuf", "--fault-injection", "--full"]);
    expect(r.stdout).to.not.include("no driver named");
    expect(r.stdout).to.not.include("The scenario threw");
    expect(r.stdout).to.include("INJECTED fault: MmMapLockedPages fails for Sharebuf at samples/sharebuf/driver.ts:");
    expect(r.stdout).to.match(/\nInjected\n {2}MmMapLockedPages fails for Sharebuf at samples\/sharebuf\/driver\.ts:\d+:\d+ \(SharebufShareBuffer\) \(Driver Verifier's low resources simulation\)\n/);
    expect(r.stdout).to.include("ok   the app is told IOCTL_SHARE_BUFFER failed, and exits");
    expect(r.code).to.equal(0);
    const entry = await irpsim(["run", "sharebuf", "--ending", "closed", "--fault-injection", "--fault-injection-in-driver-entry", "--full"]);
    expect(entry.stdout).to.include("INJECTED fault: IoCreateDevice fails for Sharebuf");
    expect(entry.stdout).to.include("ok   DriverEntry fails cleanly when an allocation fails");
    expect(entry.stdout).to.not.include("no driver named");
    expect(entry.code).to.equal(0);
  });
});
