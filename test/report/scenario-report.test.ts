/**
 * A scenario's result goes straight into every report format through the public API
 * (`formatReport`, `formatHtmlReport` from `irpsim`), with the same output `irpsim run` writes
 * (the golden files), and the older hand-built form of the HTML report still works.
 */
import { expect } from "chai";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { formatHtmlReport, formatReport, REPORT_FORMATS, runScenario, type ReportFormat } from "irpsim";
import { sharebufScenario } from "../../samples/sharebuf/scenario.js";
import { sharebufRuns } from "./runs.js";

const golden = path.join(path.dirname(fileURLToPath(import.meta.url)), "golden");
const files: Record<ReportFormat, string> = { text: "sharebuf.txt", mermaid: "sharebuf.mermaid.md", chrome: "sharebuf.chrome.json", html: "sharebuf.html", json: "sharebuf.trace.json", svg: "sharebuf.svg" };

describe("report: a ScenarioResult into every format (the public API)", () => {
  for (const format of REPORT_FORMATS) {
    it(`formatReport(results, "${format}") is what irpsim run sharebuf --format ${format} writes`, async () => {
      expect(formatReport(await sharebufRuns(), format)).to.equal(readFileSync(path.join(golden, files[format]), "utf8"));
    });
  }

  it("formatHtmlReport takes the results as they are, one or several, titled after the scenario", async () => {
    const runs = await sharebufRuns();
    expect(formatHtmlReport(runs)).to.equal(readFileSync(path.join(golden, files.html), "utf8"));
    const one = runs[1];
    if (!one) throw new Error("sharebuf ran fewer than two endings");
    const html = formatHtmlReport(one);
    expect(html).to.include("<title>irpsim: sharebuf</title>");
    expect(html).to.include("sharebuf — ending: killed");
    expect(html).to.not.include("sharebuf — ending: closed");
    expect(formatHtmlReport(one, { title: "my title" })).to.include("<title>my title</title>");
  });

  it("formatHtmlReport still takes runs built by hand (a title and events)", async () => {
    const [first] = await sharebufRuns();
    if (!first) throw new Error("no run");
    const html = formatHtmlReport([{ title: "by hand", events: first.events }], { title: "hand-built" });
    expect(html).to.include("<title>hand-built</title>");
    expect(html).to.include("by hand");
  });

  it("a failing run's report says FAILED and lists what failed, in text and HTML", async () => {
    const failing = await runScenario(
      {
        name: "fails-a-check",
        summary: "checks something false",
        async run(ctx) {
          ctx.note("about to fail");
          ctx.check("one plus one is three", false, "it is two");
          await ctx.run();
        },
      },
      { trace: true },
    );
    expect(failing.passed).to.equal(false);
    const text = formatReport(failing, "text");
    expect(text).to.include("FAIL one plus one is three — it is two");
    expect(text.trimEnd().endsWith("FAILED")).to.equal(true);
    expect(formatReport(failing, "html")).to.include("failed check: one plus one is three — it is two");
    expect(JSON.parse(formatReport(failing, "json"))).to.deep.include({ scenario: "fails-a-check" });
  });

  it("the sample registry's scenario and a fresh runScenario give the same report", async () => {
    const [first] = await sharebufRuns();
    const again = await runScenario(sharebufScenario, { options: { ending: "done-using" }, trace: true });
    if (!first) throw new Error("no run");
    expect(formatReport(again, "mermaid")).to.equal(formatReport(first, "mermaid"));
  });
});
