import { expect } from "chai";
import {
  KDPC,
  KTIMER,
  KeInitializeDpc,
  KeInitializeTimer,
  KeQueryInterruptTime,
  KeQueryInterruptTimePrecise,
  KeQueryPerformanceCounter,
  KeQuerySystemTime,
  KeQueryTickCount,
  KeQueryTimeIncrement,
  KeSetTimer,
  KeStallExecutionProcessor,
  KeWaitForSingleObject,
  KernelMode,
  Executive,
} from "../../kernel/api-ke.js";
import { PsCreateSystemThread } from "../../kernel/api-ps-ob.js";
import { CLOCK_INCREMENT, QUANTUM } from "../../kernel/execution-time.js";
import { PREEMPT_DECISION } from "../../kernel/scheduler.js";
import type { KThread } from "../../kernel/thread.js";
import type { TraceEvent } from "../../kernel/trace.js";
import { loadDriver } from "../../io-manager/driver.js";
import { exploreScenario, replaySchedule, targetOf } from "../../explore/explore.js";
import { RandomChooser } from "../../explore/choosers.js";
import { runSchedule } from "../../explore/run-schedule.js";
import type { Scenario } from "../../scenario/scenario.js";
import { runScenario } from "../../scenario/scenario.js";
import { CreateThread } from "../../win32/process.js";
import { CreateEvent, WaitForSingleObject } from "../../win32/sync.js";
import { GetSystemTimeAsFileTime, GetTickCount, GetTickCount64, QueryPerformanceCounter, QueryPerformanceFrequency, SwitchToThread } from "../../win32/time.js";
import { VirtualAlloc } from "../../win32/memory.js";
import { MEM_COMMIT, MEM_RESERVE } from "../../kernel/memory-constants.js";
import { PAGE_READWRITE } from "../../kernel/pte.js";
import { readU32 } from "../../kernel/api-rtl.js";
import { formatTextTimeline } from "../../report/text.js";
import { newMachine, ok, runApp, runKernel } from "../helpers.js";
import { makeRunawayPollerScenario, runawayPollerScenario } from "../fixtures/runaway-scenario.js";

const MS = 10_000;

describe("kernel: running code takes virtual time", () => {
  it("a driver's system thread polling KeQuerySystemTime until 50 ms have passed completes, seeing the clock move in whole ticks", async () => {
    const m = newMachine();
    const seen: number[] = [];
    const { status } = await loadDriver(m, "Poller", () => {
      PsCreateSystemThread(function PollerThread() {
        const start = KeQuerySystemTime();
        let now = start;
        while (now - start < 50 * MS) {
          now = KeQuerySystemTime();
          if (seen[seen.length - 1] !== now) seen.push(now);
        }
      }, null);
      return 0;
    });
    expect(status).to.equal(0);
    const r = await m.run();
    expect(r.outcome).to.equal("completed");
    const poller = m.threads.find((t) => t.name === "PollerThread") as KThread;
    expect(poller.state).to.equal("terminated");
    // The system time moves by KeQueryTimeIncrement: 0, 15.625, 31.25, 46.875, 62.5 ms.
    expect(seen).to.deep.equal([0, 1, 2, 3, 4].map((i) => i * CLOCK_INCREMENT));
    expect(r.timeMs).to.be.at.least(62.5).and.below(63);
  });

  it("an app spinning on GetTickCount until 50 ms have passed completes; GetTickCount moves by the clock tick (15 or 16 ms)", async () => {
    const m = newMachine();
    const ran = await runApp(m, () => {
      const values = [GetTickCount()];
      while (GetTickCount() - (values[0] ?? 0) < 50) {
        const v = GetTickCount();
        if (v !== values[values.length - 1]) values.push(v);
      }
      return { values, last64: GetTickCount64() };
    });
    const { values, last64 } = ok(ran);
    expect(ran.result.outcome).to.equal("completed");
    // The loop ends at the first reading 50 ms past the start: 62 (the fifth tick, 62.5 ms).
    expect(values).to.deep.equal([0, 15, 31, 46]);
    expect(last64).to.equal(62);
  });

  it("KeQueryTickCount moves only by whole ticks, in step with KeQueryInterruptTime, while the precise clock moves within each tick", async () => {
    const m = newMachine();
    const ran = await runKernel(m, () => {
      const samples: { before: number; tick: number; coarse: number; after: number }[] = [];
      while (samples.length === 0 || (samples[samples.length - 1]?.tick ?? 0) < 3) {
        samples.push({ before: KeQueryInterruptTimePrecise(), tick: KeQueryTickCount(), coarse: KeQueryInterruptTime(), after: KeQueryInterruptTimePrecise() });
      }
      return { samples, increment: KeQueryTimeIncrement() };
    });
    const { samples, increment } = ok(ran);
    expect(increment).to.equal(156_250);
    const ticks = [...new Set(samples.map((s) => s.tick))];
    expect(ticks).to.deep.equal([0, 1, 2, 3]);
    const floor = (t: number) => t - (t % increment);
    // Each call takes time, so a tick may end between the readings of one sample: the coarse
    // clocks read the last tick at the moment of their call, between the precise readings.
    const wrong = samples.filter((s) => !(floor(s.before) <= s.tick * increment && s.tick * increment <= s.coarse && s.coarse <= floor(s.after) && s.coarse % increment === 0));
    expect(wrong).to.deep.equal([]);
    // Within tick 0 the coarse clocks stood still while the precise one moved many times.
    expect(new Set(samples.filter((s) => s.tick === 0).map((s) => s.before)).size).to.be.greaterThan(1000);
  });

  it("KeQueryPerformanceCounter moves within a clock tick, at the frequency it reports (10 MHz)", async () => {
    const m = newMachine();
    const ran = await runKernel(m, () => {
      const freq = { QuadPart: 0 };
      const a = KeQueryPerformanceCounter(freq);
      const b = KeQueryPerformanceCounter();
      KeStallExecutionProcessor(40);
      const c = KeQueryPerformanceCounter();
      return { a, b, c, frequency: freq.QuadPart, tickA: KeQueryTickCount() };
    });
    const v = ok(ran);
    expect(v.frequency).to.equal(10_000_000);
    expect(v.b).to.be.greaterThan(v.a);
    expect(Math.floor(v.a / CLOCK_INCREMENT)).to.equal(Math.floor(v.b / CLOCK_INCREMENT));
    // KeStallExecutionProcessor(40) busy-waits 40 µs: 400 counts at 10 MHz, plus the calls' own cost.
    expect(v.c - v.b).to.be.at.least(400).and.below(410);
    expect(v.tickA).to.equal(0);
  });

  it("QueryPerformanceCounter, QueryPerformanceFrequency and GetSystemTimeAsFileTime write 64-bit values at the app's pointers", async () => {
    const m = newMachine();
    const ran = await runApp(m, () => {
      const p = VirtualAlloc(0, 4096, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
      QueryPerformanceFrequency(p);
      QueryPerformanceCounter(p + 8);
      const first = readU32(p + 8);
      QueryPerformanceCounter(p + 8);
      GetSystemTimeAsFileTime(p + 16);
      return { freqLo: readU32(p), freqHi: readU32(p + 4), first, second: readU32(p + 8), fileTimeLo: readU32(p + 16), fileTimeHi: readU32(p + 20) };
    });
    const v = ok(ran);
    expect([v.freqLo, v.freqHi]).to.deep.equal([10_000_000, 0]);
    expect(v.second).to.be.greaterThan(v.first);
    expect([v.fileTimeLo, v.fileTimeHi]).to.deep.equal([0, 0]);
  });

  it("a timer DPC fires for a polling thread: its deadline passes while the thread polls and the DPC runs at the thread's next kernel call", async () => {
    const m = newMachine();
    const trace = m.trace.record();
    const ext = { done: false, dpcAtMs: -1 };
    const timer = new KTIMER();
    const dpc = new KDPC<typeof ext>();
    const ran = await runKernel(m, () => {
      KeInitializeTimer(timer);
      KeInitializeDpc(dpc, function DoneDpc(_d, e) {
        e.done = true;
        e.dpcAtMs = KeQueryInterruptTimePrecise() / MS;
      }, ext);
      KeSetTimer(timer, -20 * MS, dpc);
      let polls = 0;
      while (!ext.done) {
        KeQuerySystemTime();
        polls++;
      }
      return polls;
    });
    trace.stop();
    expect(ok(ran)).to.be.greaterThan(100_000);
    expect(ran.result.outcome).to.equal("completed");
    expect(ext.dpcAtMs).to.be.at.least(20).and.below(20.01);
    const start = trace.events.find((e) => e.kind === "DpcStart") as TraceEvent;
    const tester = m.threads.find((t) => t.name === "test") as KThread;
    // The DPC ran on the polling thread's processor, interrupting it (no thread switch in between).
    expect(start.tid).to.equal(tester.tid);
  });

  it("a thread that polls past its quantum keeps the processor while nothing else is ready, and runs without preemption", async () => {
    const m = newMachine();
    const ran = await runKernel(m, async () => {
      const started = KeQueryInterruptTimePrecise();
      while (KeQueryInterruptTimePrecise() - started < 3 * QUANTUM) {
        // A wait that is satisfied at once is an await point: no other thread, so no preemption.
        await KeWaitForSingleObject(m.systemProcess.header, Executive, KernelMode, false, 0);
        KeStallExecutionProcessor(20);
      }
    });
    expect(ran.result.outcome).to.equal("completed");
    expect(m.decisions.filter((d) => d.kind === PREEMPT_DECISION)).to.deep.equal([]);
  });
});

describe("kernel: livelocks are reported, never a silent hang", () => {
  it("a runaway thread is reported as a livelock by name with its last calls, at the run's time limit", async () => {
    const m = newMachine();
    m.createSystemThread("PollerThread", () => {
      for (;;) KeQuerySystemTime();
    });
    const r = await m.run({ maxTimeMs: 200 });
    expect(r.outcome).to.equal("livelock");
    expect(r.livelock).to.equal("System:PollerThread ran 200 ms of virtual time without waiting; its last calls were KeQuerySystemTime ×8");
    expect(r.timeMs).to.be.at.least(200).and.below(200.001);
    expect(m.halted?.kind).to.equal("livelock");
  });

  it("a thread that runs the livelock bound without waiting is reported even when the run's limit is far off (an app spinning on GetTickCount, last calls folded)", async () => {
    const m = newMachine();
    m.createProcess("spin.exe", () => {
      for (;;) {
        GetTickCount();
        GetTickCount64();
      }
    });
    const r = await m.run({ livelockMs: 100 });
    expect(r.outcome).to.equal("livelock");
    expect(r.livelock).to.equal("spin.exe:main ran 100 ms of virtual time without waiting; its last calls were GetTickCount, GetTickCount64, GetTickCount, GetTickCount64, GetTickCount, GetTickCount64, GetTickCount, GetTickCount64");
  });

  it("runScenario, the text report and the explorer report a runaway thread as a livelock, naming it and the routine it spins in", async () => {
    const r = await runScenario(runawayPollerScenario, { trace: true, runLimitMs: 300 });
    expect(r.passed).to.equal(false);
    expect(r.run?.outcome).to.equal("livelock");
    expect(r.run?.livelock).to.match(/^System:PollerThread ran 300 ms of virtual time without waiting \(in system thread PollerThread\); its last calls were KeQuerySystemTime ×8$/);
    expect(formatTextTimeline(r.events)).to.include("LIVELOCK: System:PollerThread ran 300 ms");
    // The explorer's runs have a 10-minute limit: this variant sets a 50 ms livelock bound itself.
    const explored = await exploreScenario(makeRunawayPollerScenario(50), { strategy: "dfs", bound: 0, shrink: false });
    expect(explored.failures.map((f) => f.cause)).to.deep.equal(["livelock"]);
  });

  it("threads that only yield to each other past the run's time limit are reported as a livelock, both named", async () => {
    const m = newMachine();
    const spin = async () => {
      for (;;) await SwitchToThread();
    };
    m.createProcess("yield.exe", async () => {
      CreateThread(null, 0, spin, null, 0, 0);
      await spin();
    });
    const r = await m.run({ maxTimeMs: 100 });
    expect(r.outcome).to.equal("livelock");
    expect(r.livelock).to.match(/^yield\.exe:(main|spin) ran [\d.]+ ms of virtual time without waiting when the run's time limit passed at 100 ms; its last calls were SwitchToThread ×8; yield\.exe:(main|spin) ran [\d.]+ ms without waiting too \(its last calls were SwitchToThread ×8\)$/);
    expect(r.livelock).to.include("yield.exe:main").and.to.include("yield.exe:spin");
  });

  it("a DPC routine that spins is DPC_WATCHDOG_VIOLATION (0x133) once it has run the watchdog's 0x500 ticks", async () => {
    const m = newMachine();
    const timer = new KTIMER();
    const dpc = new KDPC();
    const ran = await runKernel(m, async () => {
      KeInitializeTimer(timer);
      KeInitializeDpc(dpc, function SpinDpc() {
        // Polling a device that never answers, 50 µs at a time.
        for (;;) KeStallExecutionProcessor(50);
      }, null);
      KeSetTimer(timer, -MS, dpc);
      await KeWaitForSingleObject(timer, Executive, KernelMode, false, null);
    });
    expect(ran.result.outcome).to.equal("bugcheck");
    const bc = ran.result.bugCheck;
    expect(bc?.name).to.equal("DPC_WATCHDOG_VIOLATION");
    expect(bc?.parameters.slice(0, 3)).to.deep.equal([0, 0x500, 0x500]);
    expect(bc?.detail).to.match(/^DPC SpinDpc ran 20 s of virtual time without returning/);
  });
});

describe("kernel: preemption at the end of a quantum", () => {
  /** Main runs longer than a quantum, then awaits; its worker sets a flag. Who runs first decides the report. */
  function quantumScenario(order: string[]): Scenario {
    return {
      name: "quantum-race",
      summary: "a thread that outruns its quantum while another is ready",
      async run(ctx) {
        order.length = 0;
        ctx.machine.createProcess("race.exe", async () => {
          const ready = CreateEvent(null, true, true);
          CreateThread(null, 0, () => {
            order.push("worker");
            return 0;
          }, null, 0, 0);
          // About 40 ms of calls: past the 31.25 ms quantum, with no wait in between.
          const until = GetTickCount() + 40;
          while (GetTickCount() < until) GetTickCount64();
          await WaitForSingleObject(ready, 0);
          order.push("main");
        });
        const r = await ctx.run();
        ctx.check("the run ends cleanly", r.outcome === "completed", r.outcome);
        ctx.check("the worker ran before main went on", order[0] === "worker", order.join(", "));
      },
    };
  }

  it("a thread that runs a whole quantum is preempted at its next await point when another thread is ready (NT's round robin)", async () => {
    const order: string[] = [];
    const r = await runScenario(quantumScenario(order), { trace: true });
    expect(r.passed).to.equal(true);
    expect(order).to.deep.equal(["worker", "main"]);
    const preempts = r.machine.decisions.filter((d) => d.kind === PREEMPT_DECISION);
    expect(preempts).to.deep.equal([{ kind: PREEMPT_DECISION, choice: 0, of: 2 }]);
    expect(formatTextTimeline(r.events)).to.include("race.exe:main's quantum (31.25 ms) has run out: it is preempted");
  });

  it("preemption is a decision an explorer can take: letting the thread run on past its quantum changes the outcome, and the replay reproduces it", async () => {
    const order: string[] = [];
    const s = quantumScenario(order);
    const report = await exploreScenario(s, { strategy: "dfs", bound: 1, budget: {} });
    expect(report.failures.map((f) => f.cause)).to.deep.equal(["check failed: the worker ran before main went on"]);
    const found = report.explained[0];
    expect(found?.deviations.map((d) => d.kind)).to.deep.equal([PREEMPT_DECISION]);
    expect(found?.explanation.text).to.include("when a thread's quantum runs out, the scheduler runs race.exe:main instead of race.exe:");
    order.length = 0;
    const replay = await replaySchedule(s, found?.replay ?? "");
    expect(replay.mismatch).to.equal(null);
    expect(order).to.deep.equal(["main", "worker"]);
  });
});

describe("kernel: time stays deterministic", () => {
  it("the same seed gives the same trace byte for byte, timestamps included", async () => {
    const s: Scenario = {
      name: "det",
      summary: "two apps and a polling driver thread",
      injections: {},
      async run(ctx) {
        const m = ctx.machine;
        m.createSystemThread("Poller", () => {
          const t0 = KeQuerySystemTime();
          while (KeQuerySystemTime() - t0 < 40 * MS) KeQueryPerformanceCounter();
        });
        for (const name of ["a.exe", "b.exe"]) {
          m.createProcess(name, async () => {
            const e = CreateEvent(null, false, false);
            await WaitForSingleObject(e, 35);
            ctx.note(`${name} wakes at tick count ${GetTickCount()}`);
            for (let i = 0; i < 3; i++) await SwitchToThread();
          });
        }
        await ctx.run();
      },
    };
    const once = async (seed: number): Promise<string> => {
      const r = await runSchedule(targetOf(s), new RandomChooser(seed, 0, 0.5), { trace: true, keepResult: true });
      return JSON.stringify(r.result?.events);
    };
    const a = await once(7);
    expect(await once(7)).to.equal(a);
    expect(a.length).to.be.greaterThan(1000);
    expect(a).to.include("wakes at tick count");
  });
});
