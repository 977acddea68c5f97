import { expect } from "chai";
import { chromeTrace, formatChromeTrace, type ChromeTraceEvent } from "../../report/chrome.js";
import { injectedDeathScenario } from "../fixtures/report-scenarios.js";
import { twiceScenario } from "../fixtures/bugcheck-scenario.js";
import { chromeTraceViolations } from "./chrome-rules.js";
import { sharebufRuns, traced } from "./runs.js";

function runsOf(results: Awaited<ReturnType<typeof sharebufRuns>>) {
  return results.map((r) => ({ label: `ending: ${r.options.ending ?? ""}`, events: r.events }));
}

describe("report/chrome: Chrome Trace Event JSON for Perfetto and chrome://tracing", () => {
  it("sharebuf's trace (every ending, one file) keeps the format's rules: every B has its E, flows pair up, time never goes back on a track", async () => {
    const text = formatChromeTrace(runsOf(await sharebufRuns()));
    expect(chromeTraceViolations(text)).to.deep.equal([]);
  });

  it("traces with an injection, a finding or a bug check keep the rules too, slices left open by the bug check included", async () => {
    for (const s of [injectedDeathScenario, twiceScenario]) {
      const r = await traced(s);
      expect(chromeTraceViolations(formatChromeTrace([{ events: r.events }])), s.name).to.deep.equal([]);
    }
  });

  it("the rule checker is not vacuous: a missing E, a reversed timestamp or a flow without its end are caught", async () => {
    const text = formatChromeTrace(runsOf(await sharebufRuns()).slice(0, 1));
    const lines = text.split("\n");
    const withoutE = lines.filter((l, i) => !(l.includes('"ph":"E"') && i === lines.findIndex((x) => x.includes('"ph":"E"')))).join("\n");
    expect(chromeTraceViolations(withoutE).join("\n")).to.match(/E named|B never ended/);
    const noFlowEnd = lines.filter((l) => !l.includes('"ph":"f"')).join("\n").replace(/,\n\]/, "\n]");
    expect(chromeTraceViolations(noFlowEnd).join("\n")).to.include("never ends");
    const trace = JSON.parse(text) as { traceEvents: ChromeTraceEvent[] };
    const i = trace.traceEvents.findIndex((e) => e.ph === "B" && (e.ts ?? 0) > 100);
    const events = trace.traceEvents.map((e, j) => (j === i ? { ...e, ts: 0 } : e));
    expect(chromeTraceViolations(JSON.stringify({ traceEvents: events })).join("\n")).to.include("earlier than the track's previous event");
  });

  it("each emulated thread is a named track under the process that owns it", async () => {
    const [done] = await sharebufRuns();
    const t = chromeTrace([{ events: done?.events ?? [] }]);
    const names = t.traceEvents.filter((e) => e.ph === "M" && e.name === "thread_name").map((e) => `${e.pid}/${e.tid} ${String(e.args?.name)}`);
    expect(names).to.include.members(["12/16 sharebuf.exe:main", "0/0 Idle"]);
    const processes = t.traceEvents.filter((e) => e.ph === "M" && e.name === "process_name").map((e) => String(e.args?.name));
    expect(processes).to.include("sharebuf.exe (pid 12)");
  });

  it("dispatch, cancel and completion routines and DPCs are slices on the thread that ran them", async () => {
    const [done, killed] = await sharebufRuns();
    const slices = (r: typeof done) => chromeTrace([{ events: r?.events ?? [] }]).traceEvents.filter((e) => e.ph === "B");
    const d = slices(done);
    expect(d.filter((e) => e.cat === "dispatch").map((e) => e.name)).to.include.members(["Sharebuf!SharebufDeviceControl", "Sharebuf!SharebufCleanup"]);
    expect(d.some((e) => e.cat === "dpc" && e.name === "DPC Sharebuf!SharebufTimerDpc" && e.tid === 0)).to.equal(true);
    const k = slices(killed);
    expect(k.some((e) => e.cat === "cancel" && e.name === "Sharebuf!SharebufCancelRoutine" && e.tid === 16)).to.equal(true);
  });

  it("a flow arrow leads from the pended IRP's dispatch to its completion and on to delivery in the requesting thread", async () => {
    const [done] = await sharebufRuns();
    const t = chromeTrace([{ events: done?.events ?? [] }]).traceEvents;
    const flow = t.filter((e) => (e.ph === "s" || e.ph === "t" || e.ph === "f") && e.name === "irp#2");
    expect(flow.map((e) => e.ph)).to.deep.equal(["s", "t", "f"]);
    const dispatch = t.find((e) => e.ph === "B" && e.args?.irp === "irp#2");
    const completion = t.find((e) => e.ph === "X" && e.name === "IoCompleteRequest irp#2");
    expect(flow[0]?.ts).to.equal(dispatch?.ts);
    expect(flow[1]?.ts).to.equal(completion?.ts);
    expect(completion?.args?.time).to.match(/^150\.0\d\d ms$/);
  });

  it("injections, findings and bug checks are instants, the latter two global", async () => {
    const inj = chromeTrace([{ events: (await traced(injectedDeathScenario)).events }]).traceEvents;
    expect(inj.some((e) => e.ph === "i" && e.cat === "injection" && e.name === "injected terminate" && e.s === "t")).to.equal(true);
    expect(inj.some((e) => e.ph === "i" && e.cat === "finding" && e.name === "finding REPORT_TEST_RULE" && e.s === "g")).to.equal(true);
    const bc = chromeTrace([{ events: (await traced(twiceScenario)).events }]).traceEvents;
    const stop = bc.find((e) => e.ph === "i" && e.cat === "bugcheck");
    expect(stop?.name).to.equal("STOP 0x00000044 MULTIPLE_IRP_COMPLETE_REQUESTS");
    expect(stop?.s).to.equal("g");
    expect(bc.some((e) => e.ph === "E" && e.args?.unfinished === true)).to.equal(true);
  });

  it("timestamps are virtual time in µs, with steps at one virtual instant spread 1 µs apart", async () => {
    const [done] = await sharebufRuns();
    const t = chromeTrace([{ events: done?.events ?? [] }]).traceEvents;
    const dpc = t.find((e) => e.ph === "B" && e.cat === "dpc");
    expect(dpc?.args?.time).to.match(/^10\.0\d\d ms$/);
    expect(dpc?.ts).to.be.within(10_000, 10_100);
    for (const e of t.filter((x) => x.ph === "B")) {
      const virtualUs = Number(String(e.args?.time).replace(" ms", "")) * 1000;
      expect((e.ts ?? 0) - virtualUs).to.be.within(0, 1000);
    }
    const timed = t.filter((e) => e.ts !== undefined && e.ph !== "C" && !(e.ph === "E" || e.ph === "s" || e.ph === "t" || e.ph === "f"));
    for (let i = 1; i < timed.length; i++) expect(timed[i]?.ts ?? 0).to.be.greaterThan(timed[i - 1]?.ts ?? 0);
  });

  it("several runs in one file get separate process and thread ids", async () => {
    const t = chromeTrace(runsOf(await sharebufRuns()));
    const pids = new Set(t.traceEvents.filter((e) => e.name === "process_name").map((e) => e.pid));
    expect([...pids]).to.include.members([12, 100_012, 200_012]);
    expect(t.traceEvents.some((e) => e.name === "process_name" && e.args?.name === "ending: killed · sharebuf.exe (pid 12)")).to.equal(true);
  });
});
