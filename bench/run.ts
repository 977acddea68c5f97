/**
 * `npm run bench`: runs every benchmark, prints a table and writes bench/results.json
 * ({ node, results: [{ name, value, unit, baseline, ratio, goal, met }] }).
 */
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";
import type { BenchResult, Benchmark } from "./harness.js";
import { memoryBenchmarks } from "./memory.bench.js";
import { ioctlBenchmarks } from "./ioctl.bench.js";
import { killBenchmarks } from "./kill.bench.js";
import { windriverBenchmarks } from "./windriver.bench.js";
import { ce6Benchmarks } from "./ce6.bench.js";
import { iocpBenchmarks } from "./iocp.bench.js";
import { exploreBenchmarks } from "./explore.bench.js";
import { traceBenchmarks } from "./trace.bench.js";
import { poolBenchmarks } from "./pool.bench.js";
import { kmdfBenchmarks } from "./kmdf.bench.js";

const all: Benchmark[] = [...memoryBenchmarks, ...ioctlBenchmarks, ...killBenchmarks, ...iocpBenchmarks, ...exploreBenchmarks, ...windriverBenchmarks, ...ce6Benchmarks, ...traceBenchmarks, ...poolBenchmarks, ...kmdfBenchmarks];

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  const results: BenchResult[] = [];
  for (const b of all) {
    if (only.length > 0 && !only.some((o) => b.name.startsWith(o))) continue;
    process.stderr.write(`running ${b.name}…\n`);
    results.push(...(await b.run()));
  }
  const rows = results.map((r) => [r.name, `${r.value} ${r.unit}`, r.baseline === null ? "—" : String(r.baseline), r.ratio === null ? "—" : `${r.ratio}×`, r.goal, r.met === null ? "" : r.met ? "met" : "NOT MET"]);
  const head = ["name", "value", "baseline", "ratio", "goal", ""];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join("  ");
  console.log(line(head));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const r of rows) console.log(line(r));
  const here = path.dirname(fileURLToPath(import.meta.url));
  // results.json sits next to the benchmark sources (bench/), whether run from dist or not.
  const out = path.resolve(here, path.basename(path.dirname(here)) === "dist" ? "../../bench" : ".", "results.json");
  writeFileSync(out, JSON.stringify({ node: process.version, results }, null, 2) + "\n");
  console.log(`\nwrote ${path.relative(process.cwd(), out)}`);
}

await main();
