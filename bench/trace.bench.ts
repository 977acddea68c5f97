/**
 * Trace figures: host memory per recorded trace event, and how long the text exporter takes to
 * write a million-event run compared with writing the same bytes — both on a real run (sharebuf's
 * driver and app, the app reading the shared buffer for minutes of virtual time).
 */
import { createWriteStream, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import type { TraceEvent } from "../kernel/trace.js";
import { joinChunks, writeChunks, type Chunks } from "../report/stream.js";
import { textTimelineLines } from "../report/text.js";
import { runScenario } from "../scenario/scenario.js";
import { longSharebufScenario } from "../test/fixtures/long-scenario.js";
import type { Benchmark, BenchResult } from "./harness.js";
import { collectGarbage, round } from "./harness.js";

/** Reads that give a little over a million trace events (about 23.5 events per read). */
const MILLION_READS = 42_600;

/** The events of one real run of `reads` reads, recorded by the machine's trace recorder. */
async function record(reads: number): Promise<TraceEvent[]> {
  const r = await runScenario(longSharebufScenario(reads), { trace: true, verifier: false });
  if (!r.passed) throw new Error(`the bench's sharebuf run failed: ${JSON.stringify(r.checks.filter((c) => !c.passed))}`);
  return [...r.events];
}

/** The heap in use while a run's recorded events are held (they are dropped on return), and their count. */
async function heapWithEvents(reads: number): Promise<{ heap: number; count: number }> {
  const events = await record(reads);
  await collectGarbage();
  return { heap: process.memoryUsage().heapUsed, count: events.length };
}

/** The timeline as chunks of one line each. */
function* timelineChunks(events: readonly TraceEvent[]): Generator<string> {
  for (const l of textTimelineLines(events)) yield `${l}\n`;
}

/** Milliseconds to write `chunks` to a new file in `dir`, through the CLI's streaming writer. */
async function timeWrite(dir: string, chunks: Chunks): Promise<number> {
  const file = path.join(dir, "out.txt");
  const out = createWriteStream(file);
  await new Promise<void>((resolve, reject) => {
    out.once("open", () => {
      resolve();
    });
    out.once("error", reject);
  });
  const t0 = performance.now();
  await writeChunks(out, chunks);
  await new Promise<void>((resolve) => {
    out.end(() => {
      resolve();
    });
  });
  const ms = performance.now() - t0;
  rmSync(file, { force: true });
  return ms;
}

const trace: Benchmark = {
  name: "trace",
  async run(): Promise<BenchResult[]> {
    // Host bytes per event: the heap with the recorded events, less the heap without them
    // (the machine that made them is gone in both).
    await collectGarbage();
    const { heap: withEvents, count } = await heapWithEvents(8_500);
    await collectGarbage();
    const without = process.memoryUsage().heapUsed;
    const bytesPerEvent = (withEvents - without) / count;

    // A million-event text export, against writing the same bytes.
    const million = await record(MILLION_READS);
    const dir = mkdtempSync(path.join(os.tmpdir(), "irpsim-bench-"));
    try {
      const text = joinChunks(timelineChunks(million)); // warms the exporter up too
      const lines = text.split(/(?<=\n)/);
      let exportMs = Infinity;
      let writeMs = Infinity;
      for (let i = 0; i < 3; i++) {
        await collectGarbage();
        writeMs = Math.min(writeMs, await timeWrite(dir, lines));
        await collectGarbage();
        exportMs = Math.min(exportMs, await timeWrite(dir, timelineChunks(million)));
      }
      const ratio = exportMs / writeMs;
      return [
        { name: "trace.bytes_per_event", value: round(bytesPerEvent, 1), unit: "B", baseline: null, ratio: null, goal: `host heap per recorded trace event (${count} events of a real sharebuf run); lower is better`, met: null },
        {
          name: "trace.text_export_1m",
          value: round(exportMs, 1),
          unit: "ms",
          baseline: round(writeMs, 1),
          ratio: round(ratio, 2),
          goal: `text timeline of a ${million.length}-event real run (${round(text.length / 1e6, 1)} M characters) streamed to a file ÷ streaming the same lines to a file; ratio <= 10`,
          met: ratio <= 10,
        },
      ];
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

export const traceBenchmarks: Benchmark[] = [trace];
