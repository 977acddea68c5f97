import { expect } from "chai";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { loadDriver } from "../../io-manager/driver.js";
import { ioManager } from "../../io-manager/io-manager.js";
import { allocateIrp } from "../../io-manager/irp-alloc.js";
import type { DecisionStrategy } from "../../kernel/machine.js";
import { runScenario, type Scenario } from "../../scenario/scenario.js";
import { findBuggySample } from "../../samples/buggy/index.js";
import { sampleScenario, sendOne } from "../../samples/buggy/harness.js";
import { LowrDriverEntry } from "../../samples/buggy/lower.js";
import { IOCTL_FILT_COUNTED_FAST, makeFiltDriver } from "../../samples/buggy/filter.js";
import { IOCTL_LEAK_IRP, IOCTL_LEAK_POOL, LeakDriverEntry } from "../../samples/buggy/leaks.js";
import { CtxDriverEntry } from "../../samples/buggy/context.js";
import { TimerReader } from "../../samples/buggy/index.js";
import { makeSharebufScenario, sharebufScenario } from "../../samples/sharebuf/scenario.js";
import { attachVerifier } from "../../verifier/verifier.js";
import { FAULT_INJECTION_DECISION, FORCE_PENDING_DECISION } from "../../verifier/resource-options.js";
import { CTL_CODE, FILE_ANY_ACCESS, FILE_DEVICE_UNKNOWN, IoCompleteRequest, IoCreateDevice, IoCreateSymbolicLink, IRP_MJ_CLEANUP, IRP_MJ_CLOSE, IRP_MJ_CREATE, IRP_MJ_DEVICE_CONTROL, METHOD_BUFFERED, METHOD_IN_DIRECT, MmGetSystemAddressForMdlSafe, NormalPagePriority, readU32, STATUS_INVALID_PARAMETER, STATUS_PENDING, STATUS_SUCCESS, type DRIVER_DISPATCH, type DRIVER_OBJECT } from "../../wdm.js";
import { CloseHandle, CreateFile, DeviceIoControl, GENERIC_READ, GetLastError, MEM_COMMIT, MEM_RESERVE, OPEN_EXISTING, PAGE_READWRITE, VirtualAlloc } from "../../win32/index.js";
import { newMachine } from "../helpers.js";

function sample(name: string): Scenario {
  const s = findBuggySample(name);
  if (!s) throw new Error(`no buggy sample ${name}`);
  return s.scenario;
}

const IOCTL_VER_TEST = CTL_CODE(FILE_DEVICE_UNKNOWN, 0xb00, METHOD_BUFFERED, FILE_ANY_ACCESS);
const here = fileURLToPath(import.meta.url);

/** Set when the driver's code after its faulting call ran (it must not). */
let afterTheCall = false;

const VerTestSucceed: DRIVER_DISPATCH = function VerTestSucceed(_d, Irp) {
  Irp.IoStatus.Status = STATUS_SUCCESS;
  IoCompleteRequest(Irp, 0);
  return STATUS_SUCCESS;
};

const VerTestDeviceControl: DRIVER_DISPATCH = function VerTestDeviceControl(_d, Irp) {
  Irp.IoStatus.Status = STATUS_PENDING;
  IoCompleteRequest(Irp, 0); // VERIFIER-LINE
  afterTheCall = true;
  return STATUS_SUCCESS;
};

function VerTestDriverEntry(DriverObject: DRIVER_OBJECT): number {
  IoCreateDevice(DriverObject, null, "\\Device\\VerTest", FILE_DEVICE_UNKNOWN, 0, false);
  IoCreateSymbolicLink("\\DosDevices\\VerTest", "\\Device\\VerTest");
  DriverObject.MajorFunction[IRP_MJ_CREATE] = VerTestSucceed;
  DriverObject.MajorFunction[IRP_MJ_CLEANUP] = VerTestSucceed;
  DriverObject.MajorFunction[IRP_MJ_CLOSE] = VerTestSucceed;
  DriverObject.MajorFunction[IRP_MJ_DEVICE_CONTROL] = VerTestDeviceControl;
  return STATUS_SUCCESS;
}

/** A strategy that takes option `choice` at every decision of `kind` (0 elsewhere). */
function choose(kind: string, choice: number): DecisionStrategy {
  return { choose: (p) => (p.kind === kind ? choice : 0) };
}

describe("verifier: attached to a machine", () => {
  it("a bug check the verifier raises halts the machine at the driver's call, with the driver's source line, before the call returns", async () => {
    afterTheCall = false;
    const lines = readFileSync(here, "utf8").split("\n");
    const line = lines.findIndex((l) => l.includes("// VERIFIER-LINE")) + 1;
    const column = (lines[line - 1] ?? "").indexOf("IoCompleteRequest") + 1;
    const r = await runScenario({
      name: "verifier-line",
      summary: "completes with STATUS_PENDING",
      async run(ctx) {
        await loadDriver(ctx.machine, "VerTest", VerTestDriverEntry);
        ctx.machine.createProcess("app.exe", async () => {
          const h = await CreateFile("\\\\.\\VerTest", GENERIC_READ, 0, null, OPEN_EXISTING, 0, 0);
          await DeviceIoControl(h, IOCTL_VER_TEST, 0, 0, 0, 0, 0, null);
        });
        await ctx.run();
      },
    });
    const bc = r.run?.bugCheck;
    expect(bc?.code).to.equal(0xc9);
    expect(bc?.parameters[0]).to.equal(0x06);
    expect(bc?.parameters[1]).to.equal(STATUS_PENDING);
    expect(bc?.rule).to.equal("0xC9/0x06 CompleteWithPendingStatus");
    expect(bc?.source).to.equal(`test/verifier/verifier.test.ts:${line}:${column} (VerTestDeviceControl)`);
    expect(bc?.thread).to.equal("dispatch routine VerTestDeviceControl on app.exe:main");
    expect(afterTheCall).to.equal(false);
    // The IRP never went through completion: the verifier stopped the call before it acted.
    expect([...ioManager(r.machine).liveIrps].map((i) => i.completed)).to.deep.equal([false]);
  });

  it("is on by default in runScenario and off with verifier: false", async () => {
    const on = await runScenario(sample("pending-without-mark"));
    expect(on.verifier).to.not.equal(null);
    expect(on.findings.map((f) => f.rule)).to.deep.equal(["PendingWithoutMark"]);
    const off = await runScenario(sample("pending-without-mark"), { verifier: false });
    expect(off.verifier).to.equal(null);
    expect(off.findings).to.deep.equal([]);
    expect(off.passed).to.equal(true);
  });

  it("without the verifier the base machine still bug-checks a double completion (0x44), without a rule or timeline", async () => {
    const r = await runScenario(sample("complete-twice"), { verifier: false });
    expect(r.run?.bugCheck?.code).to.equal(0x44);
    expect(r.run?.bugCheck?.rule).to.equal(undefined);
  });

  it("verifies only the drivers its list names (case-insensitive), like Driver Verifier's driver list", async () => {
    const other = await runScenario(sample("pending-without-mark"), { verifier: { drivers: ["Sharebuf"] } });
    expect(other.findings).to.deep.equal([]);
    const named = await runScenario(sample("pending-without-mark"), { verifier: { drivers: ["pend"] } });
    expect(named.findings.map((f) => f.rule)).to.deep.equal(["PendingWithoutMark"]);
  });

  it("checks only the rules asked for, and skips the rules it is told to skip", async () => {
    const only = await runScenario(sample("pending-without-mark"), { verifier: { rules: ["DoubleCompletion"] } });
    expect(only.findings).to.deep.equal([]);
    const skipped = await runScenario(sample("pending-without-mark"), { verifier: { skipRules: ["PendingWithoutMark"] } });
    expect(skipped.findings).to.deep.equal([]);
  });

  it("detach() removes every hook and the memory observer and lets IRPs be recycled again; the verifier never turns tracing on (it works from hooks)", () => {
    const m = newMachine();
    const io = ioManager(m);
    const v = attachVerifier(m);
    expect(io.hooks.length).to.be.greaterThan(0);
    expect(m.kernelHooks.length).to.be.greaterThan(0);
    expect(m.mmu.observer).to.not.equal(null);
    expect(m.trace.on).to.equal(false);
    expect(io.recycleIrps).to.equal(false);
    v.detach();
    expect(io.hooks).to.deep.equal([]);
    expect(m.kernelHooks).to.deep.equal([]);
    expect(m.mmu.observer).to.equal(null);
    expect(m.trace.on).to.equal(false);
    expect(io.recycleIrps).to.equal(true);
  });

  it("IRPs are watched from their allocation while a verifier is attached, IRPs live before it attached are watched too, and detach() leaves them reporting to nobody", () => {
    const m = newMachine();
    const io = ioManager(m);
    const before = allocateIrp(m, 2, "IoAllocateIrp");
    expect(before?.watch).to.equal(null);
    const v = attachVerifier(m);
    const during = allocateIrp(m, 2, "IoAllocateIrp");
    expect(io.irpWatch).to.not.equal(null);
    expect(during?.watch).to.equal(io.irpWatch);
    expect(before?.watch).to.equal(io.irpWatch);
    // Built watched: the same prototype as one watched afterwards, the field its own.
    expect(Object.getPrototypeOf(during)).to.equal(Object.getPrototypeOf(before));
    expect(Object.hasOwn(during ?? {}, "watch")).to.equal(true);
    v.detach();
    expect(io.irpWatch).to.equal(null);
    expect(during?.watch).to.equal(null);
    expect(before?.watch).to.equal(null);
    expect(allocateIrp(m, 2, "IoAllocateIrp")?.watch).to.equal(null);
  });

  it("a machine without a verifier has no memory observer and no kernel hooks (its fast paths stay as they were)", () => {
    const m = newMachine();
    expect(m.mmu.observer).to.equal(null);
    expect(m.kernelHooks).to.deep.equal([]);
  });

  it("a DPC that writes a user address is reported with both processes named, then bug-checks 0xD1 (user memory at DISPATCH_LEVEL)", async () => {
    const r = await runScenario(sampleScenario("answer-from-dpc", "a timer DPC answers a reader", { drivers: [{ name: "Ctx", entry: CtxDriverEntry }], apps: [{ name: "reader.exe", main: TimerReader }] }));
    expect(r.findings.map((f) => f.rule)).to.deep.equal(["CrossProcessUserAccess"]);
    expect(r.findings[0]?.message).to.include("DPC CtxTimerDpc on System:Idle touches user address 0x00010000, which is reader.exe's (pid 12, irp#2's UserBuffer), while System (pid 4) is the current process: the address means nothing in System.");
    expect(r.run?.bugCheck?.code).to.equal(0xd1);
    expect(r.run?.bugCheck?.rule).to.equal("0xD1 PageableAtDispatch");
    expect(r.run?.bugCheck?.parameters).to.deep.equal([0x10000, 2, 1, 0]);
  });

  it("the cancel bound is an option: a cancelled IRP not completed in 2 s of virtual time is 0xC4/0x135 with P3 = 2000", async () => {
    const r = await runScenario(sample("cancel-never-completes"), { verifier: { cancelTimeoutMs: 2000 } });
    expect(r.run?.bugCheck?.parameters).to.deep.equal([0x135, 2, 2000, 0]);
    expect(Math.floor(r.machine.nowMs)).to.equal(2000);
  });

  it("with locked-page tracking off, a process exiting with pages locked is 0x76 PROCESS_HAS_LOCKED_PAGES, as without it", async () => {
    const r = await runScenario(sample("exit-with-locked-pages"), { verifier: { lockedPageTracking: false } });
    expect(r.run?.bugCheck?.code).to.equal(0x76);
    const tracked = await runScenario(sample("exit-with-locked-pages"));
    expect(tracked.run?.bugCheck?.code).to.equal(0xcb);
    expect(tracked.run?.bugCheck?.parameters[3]).to.equal(1);
  });
});

describe("verifier: a double fetch through a mapped user buffer", () => {
  const IOCTL_VER_DIRECT = CTL_CODE(FILE_DEVICE_UNKNOWN, 0xb01, METHOD_IN_DIRECT, FILE_ANY_ACCESS);
  /** Reads the length at the start of the caller's (direct-I/O) buffer to check it, then again to use it. */
  const VerMappedDeviceControl: DRIVER_DISPATCH = function VerMappedDeviceControl(_d, Irp) {
    const mdl = Irp.MdlAddress;
    const va = mdl ? MmGetSystemAddressForMdlSafe(mdl, NormalPagePriority) : 0;
    let status: number = STATUS_SUCCESS;
    if (va === 0 || readU32(va) > 64) status = STATUS_INVALID_PARAMETER;
    else Irp.IoStatus.Information = readU32(va);
    Irp.IoStatus.Status = status;
    IoCompleteRequest(Irp, 0);
    return status;
  };
  function VerMappedDriverEntry(DriverObject: DRIVER_OBJECT): number {
    IoCreateDevice(DriverObject, null, "\\Device\\VerMapped", FILE_DEVICE_UNKNOWN, 0, false);
    IoCreateSymbolicLink("\\DosDevices\\VerMapped", "\\Device\\VerMapped");
    DriverObject.MajorFunction[IRP_MJ_CREATE] = VerTestSucceed;
    DriverObject.MajorFunction[IRP_MJ_CLEANUP] = VerTestSucceed;
    DriverObject.MajorFunction[IRP_MJ_CLOSE] = VerTestSucceed;
    DriverObject.MajorFunction[IRP_MJ_DEVICE_CONTROL] = VerMappedDeviceControl;
    return STATUS_SUCCESS;
  }

  it("reading the same location of a user buffer twice through its system mapping, in one request, is a DoubleFetch finding", async () => {
    const r = await runScenario(
      sampleScenario("mapped-double-fetch", "a length read twice through the system mapping", {
        drivers: [{ name: "VerMapped", entry: VerMappedDriverEntry }],
        apps: [
          {
            name: "app.exe",
            async main() {
              const h = await CreateFile("\\\\.\\VerMapped", GENERIC_READ, 0, null, OPEN_EXISTING, 0, 0);
              const buffer = VirtualAlloc(0, 4096, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
              await DeviceIoControl(h, IOCTL_VER_DIRECT, 0, 0, buffer, 4096, 0, null);
              await CloseHandle(h);
            },
          },
        ],
      }),
    );
    expect(r.findings.map((f) => f.rule)).to.deep.equal(["DoubleFetch"]);
    expect(r.findings[0]?.message).to.include("VerMapped!VerMappedDeviceControl reads shared (user-mapped) memory at 0xA0000000 twice while handling irp#2");
  });
});

describe("verifier: Force Pending I/O Requests", () => {
  const fast = sampleScenario("filter-counted-fast", "a filter's counting completion routine over a lower driver that completes at once", {
    drivers: [
      { name: "Lowr", entry: LowrDriverEntry },
      { name: "Filt", attach: makeFiltDriver },
    ],
    apps: [{ name: "app.exe", main: sendOne("BuggyLower", IOCTL_FILT_COUNTED_FAST) }],
  });

  it("a completion routine that forgets PendingReturned passes while the lower driver completes at once", async () => {
    const r = await runScenario(fast);
    expect(r.findings).to.deep.equal([]);
    expect(r.passed).to.equal(true);
  });

  it("forcing the lower driver's completion to happen later exposes it (0xC9/0x228), and the request still completes", async () => {
    const r = await runScenario(fast, { verifier: { forcePending: true } });
    expect(r.findings.map((f) => f.rule)).to.deep.equal(["PendingReturnedNotPropagated"]);
    expect(r.machine.halted).to.equal(null);
    expect(r.run?.outcome).to.equal("completed");
    expect(r.checks.filter((c) => !c.passed)).to.deep.equal([]);
    const forced = r.machine.decisions.filter((d) => d.kind === FORCE_PENDING_DECISION);
    expect(forced.length).to.be.greaterThan(0);
    expect(forced.every((d) => d.choice === 0 && d.of === 2)).to.equal(true);
    const timeline = r.findings[0]?.timeline ?? [];
    expect(timeline.some((s) => s.includes("Driver Verifier forces this IoCallDriver to return STATUS_PENDING"))).to.equal(true);
  });

  it("each forced call is a decision: a strategy that passes the calls through sees no finding", async () => {
    const r = await runScenario(fast, { verifier: { forcePending: true }, strategy: choose(FORCE_PENDING_DECISION, 1) });
    expect(r.findings).to.deep.equal([]);
    expect(r.machine.decisions.filter((d) => d.kind === FORCE_PENDING_DECISION).every((d) => d.choice === 1)).to.equal(true);
  });

  it("the same decisions give the same trace, byte for byte", async () => {
    const a = await runScenario(fast, { verifier: { forcePending: true }, trace: true });
    const b = await runScenario(fast, { verifier: { forcePending: true }, trace: true });
    expect(JSON.stringify(a.events)).to.equal(JSON.stringify(b.events));
  });
});

describe("verifier: systematic low-resources simulation", () => {
  const twoContexts = sampleScenario("leak-two-contexts", "two requests that each allocate a context (and leak it)", {
    drivers: [{ name: "Leak", entry: LeakDriverEntry }],
    apps: [
      {
        name: "app.exe",
        async main() {
          for (let i = 0; i < 2; i++) {
            const h = await CreateFile("\\\\.\\BuggyLeak", GENERIC_READ, 0, null, OPEN_EXISTING, 0, 0);
            const ok = await DeviceIoControl(h, IOCTL_LEAK_POOL, 0, 0, 0, 0, 0, null);
            errors.push(ok ? 0 : GetLastError());
            await CloseHandle(h);
          }
        },
      },
    ],
  });
  const errors: number[] = [];

  /** Lets DriverEntry's allocations succeed (option 1) and fails the others (option 0). */
  const onlyInRequests: DecisionStrategy = { choose: (p) => (p.kind === FAULT_INJECTION_DECISION && (p.labels()[0] ?? "").includes("DriverEntry") ? 1 : 0) };

  it("DriverEntry is spared, as Driver Verifier waits after boot; with faultInjectionInDriverEntry the default strategy fails DriverEntry's first allocation: Leak fails to load with STATUS_INSUFFICIENT_RESOURCES", async () => {
    errors.length = 0;
    const spared = await runScenario(twoContexts, { verifier: { faultInjection: true } });
    expect(spared.checks.find((c) => c.name === "Leak loads")?.passed).to.equal(true);
    errors.length = 0;
    const r = await runScenario(twoContexts, { verifier: { faultInjection: true, faultInjectionInDriverEntry: true } });
    expect(r.checks.find((c) => c.name === "Leak loads")?.detail).to.equal("status 0xc000009a");
    expect(r.machine.decisions).to.deep.equal([{ kind: FAULT_INJECTION_DECISION, choice: 0, of: 2 }]);
  });

  it("the first allocation at each call site fails, later ones at that site succeed, and each choice is a recorded decision", async () => {
    errors.length = 0;
    const r = await runScenario(twoContexts, { verifier: { faultInjection: true, faultInjectionInDriverEntry: true }, strategy: onlyInRequests });
    // ERROR_NO_SYSTEM_RESOURCES: the driver handled the failure; the second request's context leaked.
    expect(errors).to.deep.equal([1450, 0]);
    expect(r.findings.map((f) => f.rule)).to.deep.equal(["LeakedPool"]);
    const d = r.machine.decisions.filter((x) => x.kind === FAULT_INJECTION_DECISION);
    // DriverEntry's IoCreateDevice and two pool allocations (let through), then the request's site (failed once).
    expect(d.map((x) => x.choice)).to.deep.equal([1, 1, 1, 0]);
  });

  it("a strategy that lets every allocation succeed sees both requests succeed (and both contexts leak)", async () => {
    errors.length = 0;
    const r = await runScenario(twoContexts, { verifier: { faultInjection: true }, strategy: choose(FAULT_INJECTION_DECISION, 1) });
    expect(errors).to.deep.equal([0, 0]);
    expect(r.findings.map((f) => f.rule)).to.deep.equal(["LeakedPool", "LeakedPool"]);
  });

  it("IoAllocateIrp fails too, and the I/O manager's own allocations for the app never do", async () => {
    const r = await runScenario(sampleScenario("leak-irp-low-resources", "an IRP allocation that fails", { drivers: [{ name: "Leak", entry: LeakDriverEntry }], apps: [{ name: "app.exe", main: sendOne("BuggyLeak", IOCTL_LEAK_IRP) }] }), {
      verifier: { faultInjection: true },
    });
    // The driver's IoAllocateIrp failed, so nothing leaked; the app's own request went through.
    expect(r.findings).to.deep.equal([]);
    // DriverEntry's allocations are spared: the request's IoAllocateIrp is the one decision.
    expect(r.machine.decisions.filter((x) => x.kind === FAULT_INJECTION_DECISION).map((x) => x.choice)).to.deep.equal([0]);
    expect(r.run?.outcome).to.equal("completed");
  });
});

describe("verifier: correct drivers run clean", () => {
  for (const ending of ["done-using", "closed", "killed"]) {
    it(`sharebuf, ending "${ending}", with Force Pending I/O on: every check passes and nothing is found`, async () => {
      const r = await runScenario(sharebufScenario, { options: { ending }, verifier: { forcePending: true } });
      expect(r.findings).to.deep.equal([]);
      expect(r.passed).to.equal(true);
    });
  }

  it("sharebuf under low-resources simulation: a failed MmGetSystemAddressForMdlSafe makes the share fail cleanly, with nothing found", async () => {
    const r = await runScenario(sharebufScenario, { options: { ending: "done-using" }, verifier: { faultInjection: true } });
    expect(r.findings).to.deep.equal([]);
    expect(r.machine.halted).to.equal(null);
    const failed = r.machine.decisions.filter((d) => d.kind === FAULT_INJECTION_DECISION && d.choice === 0);
    expect(failed.length).to.equal(1);
    // The run is disturbed: the scenario checks the failure's story (the app is told), not the sharing's.
    expect(r.checks.find((c) => c.name === "the app is told IOCTL_SHARE_BUFFER failed, and exits")?.passed).to.equal(true);
    expect(r.checks.find((c) => c.name === "the buffer was shared")).to.equal(undefined);
    expect(r.passed).to.equal(true);
  });

  it("the sharebuf variant without a cancel routine is reported (0xC4/0x135), not passed", async () => {
    const r = await runScenario(makeSharebufScenario({ cancelRoutine: false }, "x"), { options: { ending: "killed" } });
    expect(r.passed).to.equal(false);
  });
});
