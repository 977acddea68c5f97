/**
 * Runs at scale: every exporter writes a run of a million trace events and more without error
 * (the text timeline used to overflow the stack near 125,000), as a stream into a writer that
 * pushes back, and a real run of about 200,000 events is recorded and exported in every format.
 */
import { expect } from "chai";
import { Writable } from "node:stream";
import { reportChunks, REPORT_FORMATS, type ReportFormat } from "../../cli/report-formats.js";
import { Machine } from "../../kernel/machine.js";
import { runScenario, type Scenario, type ScenarioResult } from "../../scenario/scenario.js";
import { writeChunks } from "../../report/stream.js";
import { longSharebufScenario } from "../fixtures/long-scenario.js";
import { syntheticTrace } from "./synthetic.js";

/** A writer that keeps only counts and the output's two ends, and is slow to drain (so writeChunks must wait for it). */
class Sink extends Writable {
  chars = 0;
  head = "";
  tail = "";
  /** Per chunk written: the count of each pattern found in it. */
  readonly counts = new Map<string, number>();
  waits = 0;
  constructor(private readonly patterns: readonly RegExp[] = []) {
    super({ highWaterMark: 1 << 16, decodeStrings: false });
  }
  override _write(chunk: string | Buffer, _enc: BufferEncoding, done: (error?: Error | null) => void): void {
    const text = typeof chunk === "string" ? chunk : chunk.toString("utf8");
    if (this.head.length < 4096) this.head += text.slice(0, 4096 - this.head.length);
    this.tail = (this.tail + text).slice(-4096);
    this.chars += text.length;
    for (const p of this.patterns) this.counts.set(p.source, (this.counts.get(p.source) ?? 0) + (text.match(p)?.length ?? 0));
    setImmediate(done);
  }
}

/** Writes a report through writeChunks into a Sink, counting how often the stream asked it to wait. */
async function write(s: Scenario, r: ScenarioResult, format: ReportFormat, patterns: readonly RegExp[] = []): Promise<Sink> {
  const sink = new Sink(patterns);
  sink.on("drain", () => sink.waits++);
  await writeChunks(sink, reportChunks(s, [r], format));
  return sink;
}

const synthetic: Scenario = { name: "synthetic", summary: "a synthetic trace of a million events", async run() {} };

describe("report at scale: a million events and more", function () {
  this.timeout(600_000);
  let big: ScenarioResult;

  before(() => {
    const events = syntheticTrace(1_000_000);
    big = { scenario: "synthetic", summary: synthetic.summary, source: null, options: {}, machine: new Machine(), run: null, checks: [], events, error: null, findings: [], verifier: null, passed: true, endlessWaits: [] };
  });

  it("the synthetic trace is at least a million events of real shapes", () => {
    expect(big.events.length).to.be.at.least(1_000_000);
    expect(new Set(big.events.map((e) => e.kind)).size).to.be.greaterThan(15);
  });

  it("text: the whole timeline and its summary, written as a stream that waits for the writer", async () => {
    const sink = await write(synthetic, big, "text", [/\n/g]);
    const irps = big.events.filter((e) => e.kind === "IrpAllocated").length;
    expect(sink.tail).to.include(`IRPs: ${irps} allocated, ${irps} completed (0 cancelled), ${irps} freed`);
    expect(sink.tail).to.match(/PASSED\n$/);
    expect(sink.counts.get("\\n")).to.be.greaterThan(700_000);
    expect(sink.waits, "the writer never pushed back: backpressure untested").to.be.greaterThan(10);
  });

  it("mermaid: every step, with the DPC runs as they are (each completes a different IRP)", async () => {
    const sink = await write(synthetic, big, "mermaid", [/\n/g, /drv_Synth-->>-ke: returns/g]);
    expect(sink.head).to.match(/^%% synthetic\nsequenceDiagram\n {2}participant app12 as synth\.exe\n/);
    expect(sink.counts.get("drv_Synth-->>-ke: returns")).to.equal(big.events.filter((e) => e.kind === "DpcEnd").length);
  });

  it("chrome: every slice begun is ended, one JSON record per line", async () => {
    const sink = await write(synthetic, big, "chrome", [/"ph":"B"/g, /"ph":"E"/g, /"ph":"M"/g]);
    expect(sink.head.startsWith('{"displayTimeUnit":"ms"')).to.equal(true);
    expect(sink.tail.endsWith("\n]}\n")).to.equal(true);
    const begun = sink.counts.get('"ph":"B"') ?? 0;
    expect(begun).to.be.greaterThan(100_000);
    expect(sink.counts.get('"ph":"E"')).to.equal(begun);
    expect(sink.counts.get('"ph":"M"')).to.be.greaterThan(3);
  });

  it("json: every trace event, one per line", async () => {
    const sink = await write(synthetic, big, "json", [/\n {4}\{"kind":/g]);
    expect(sink.counts.get("\\n {4}\\{\"kind\":")).to.equal(big.events.length);
    expect(sink.tail.endsWith("\n  ]}\n]}\n")).to.equal(true);
  });

  it("html and svg: a report a browser can open — the diagram and the timeline stop at their limits and say so", async () => {
    const html = await write(synthetic, big, "html");
    expect(html.chars).to.be.lessThan(5_000_000);
    expect(html.tail).to.include("</html>");
    const whole = [...reportChunks(synthetic, [big], "html")].join("");
    expect(whole).to.match(/The diagram draws the first 1[45]\d\d steps, to [\d.]+ ms; the run goes on to [\d.]+ ms/);
    expect(whole).to.match(/the timeline stops here, after 5000 steps: \d+ more trace events follow/);
    expect(whole).to.include(`${big.events.length} trace events`);
    const svg = await write(synthetic, big, "svg");
    expect(svg.tail).to.match(/<\/svg>\n$/);
    expect([...reportChunks(synthetic, [big], "svg")].join("")).to.match(/The diagram stops here, after 1[45]\d\d steps/);
  });

  it("the trace recorder keeps a million and a half events in order", () => {
    const m = new Machine();
    const rec = m.trace.record();
    for (let i = 0; i < 1_500_000; i++) m.trace.emit("Note", { text: "tick" });
    rec.stop();
    expect(rec.events.length).to.equal(1_500_000);
    expect(rec.events[1_499_999]?.seq).to.equal((rec.events[0]?.seq ?? 0) + 1_499_999);
  });

  describe("a real run of about 200,000 events", () => {
    let long: ScenarioResult;
    const scenario = longSharebufScenario(8500);

    before(async () => {
      long = await runScenario(scenario, { trace: true });
    });

    it("runs clean and records every event", () => {
      expect(long.passed, JSON.stringify(long.checks.filter((c) => !c.passed))).to.equal(true);
      expect(long.events.length).to.be.within(190_000, 260_000);
      for (let i = 1; i < long.events.length; i += 997) expect((long.events[i]?.seq ?? 0) > (long.events[i - 1]?.seq ?? 0)).to.equal(true);
    });

    for (const format of REPORT_FORMATS) {
      it(`--format ${format} writes it without error`, async () => {
        const sink = await write(scenario, long, format);
        // Mermaid and SVG fold the thousands of alike DPC runs into one loop; the HTML report stops
        // its timeline at its limit; the others hold every event.
        const least: Record<ReportFormat, number> = { text: 1_000_000, chrome: 1_000_000, json: 1_000_000, html: 100_000, mermaid: 2_000, svg: 2_000 };
        expect(sink.chars).to.be.greaterThan(least[format]);
        if (format === "text") expect(sink.tail).to.match(/PASSED\n$/);
      });
    }
  });
});
