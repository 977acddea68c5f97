/**
 * Golden files: each report format of `irpsim run sharebuf` (all three endings), compared byte
 * for byte. The trace is deterministic, so the output is too; a difference is a change in what a
 * reader sees. After an intended change, regenerate them and review the diff:
 *
 *   npm run golden        (or: UPDATE_GOLDEN=1 npm test)
 */
import { expect } from "chai";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { renderReport, type ReportFormat } from "../../cli/report-formats.js";
import { sharebufScenario } from "../../samples/sharebuf/scenario.js";
import { sharebufRuns } from "./runs.js";

const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), "golden");
const update = process.env.UPDATE_GOLDEN === "1";

const files: Record<ReportFormat, string> = {
  text: "sharebuf.txt",
  mermaid: "sharebuf.mermaid.md",
  chrome: "sharebuf.chrome.json",
  html: "sharebuf.html",
  json: "sharebuf.trace.json",
  svg: "sharebuf.svg",
};

/** The first line where two texts differ, for a readable failure. */
function firstDifference(actual: string, expected: string): string {
  const a = actual.split("\n");
  const e = expected.split("\n");
  for (let i = 0; i < Math.max(a.length, e.length); i++) {
    if (a[i] !== e[i]) return `line ${i + 1}:\n  expected: ${e[i] ?? "(end of file)"}\n  actual:   ${a[i] ?? "(end of file)"}`;
  }
  return "no difference";
}

describe("report: golden files of every format for irpsim run sharebuf", () => {
  for (const [format, file] of Object.entries(files) as [ReportFormat, string][]) {
    it(`--format ${format} matches test/report/golden/${file}`, async () => {
      const actual = renderReport(sharebufScenario, await sharebufRuns(), format, { color: false });
      const target = path.join(dir, file);
      if (update) {
        mkdirSync(dir, { recursive: true });
        writeFileSync(target, actual);
        return;
      }
      let expected: string;
      try {
        expected = readFileSync(target, "utf8");
      } catch {
        throw new Error(`test/report/golden/${file} is missing: run 'npm run golden' to create it, then review it`);
      }
      if (actual !== expected) {
        expect.fail(`--format ${format} differs from test/report/golden/${file} at ${firstDifference(actual, expected)}\nIf the change is intended, run 'npm run golden' and review the diff.`);
      }
    });
  }
});
