/**
 * The HTML report opened in a real headless Chromium (Debian's `chromium` package, which .ci/run
 * installs when it is missing) through playwright-core: the sequence diagram and the memory map
 * must render with a size, the page must log no error and load nothing from the network, and a
 * full-page screenshot is saved next to the report (out/sharebuf.png beside out/sharebuf.html).
 * The Mermaid diagrams are rendered in the same browser by Mermaid itself.
 */
import { expect } from "chai";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { renderReport } from "../../cli/report-formats.js";
import { formatMermaid } from "../../report/mermaid.js";
import { sharebufScenario } from "../../samples/sharebuf/scenario.js";
import { twiceScenario } from "../fixtures/bugcheck-scenario.js";
import { sharebufRuns, traced } from "./runs.js";

const CHROMIUM = "/usr/bin/chromium";
/** Headless without a sandbox (CI runs as root in a container), a GPU, or any background traffic. */
const CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"];

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const reportFile = path.join(root, "out/sharebuf.html");
const screenshotFile = path.join(root, "out/sharebuf.png");

/** Width and height from a PNG's IHDR chunk. */
function pngSize(png: Buffer): { width: number; height: number } {
  expect(png.subarray(0, 8).toString("hex")).to.equal("89504e470d0a1a0a");
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

describe("report/html: the HTML report in a real headless Chromium", function () {
  this.timeout(60_000);
  let profile = "";
  let context: BrowserContext | null = null;
  let page: Page;
  const errors: string[] = [];
  const requests: string[] = [];

  before(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`Chromium is not installed at ${CHROMIUM}: run .ci/run (it installs Debian's chromium package) or 'apt-get install chromium'`);
    }
    mkdirSync(path.dirname(reportFile), { recursive: true });
    writeFileSync(reportFile, renderReport(sharebufScenario, await sharebufRuns(), "html"));
    profile = mkdtempSync(path.join(os.tmpdir(), "irpsim-chromium-"));
    context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, viewport: { width: 1400, height: 900 } });
    page = context.pages()[0] ?? (await context.newPage());
    page.on("console", (m) => {
      if (m.type() === "error" || m.type() === "warning") errors.push(`console ${m.type()}: ${m.text()}`);
    });
    page.on("pageerror", (e) => errors.push(`page error: ${e.message}`));
    page.on("request", (r) => {
      if (!r.url().startsWith("file:")) requests.push(r.url());
    });
    await page.goto(pathToFileURL(reportFile).href, { waitUntil: "load" });
  });

  after(async () => {
    await context?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  it("the report loads with no console error and requests nothing from the network", () => {
    expect(errors).to.deep.equal([]);
    expect(requests).to.deep.equal([]);
  });

  /** Sizes and counts of what one run's section drew, measured in the page in one round trip. */
  interface Drawn {
    sequence: { width: number; height: number; participants: number; messages: number; activations: number; notes: number; loops: number; arrowWidth: number; outside: number };
    map: { width: number; height: number; userPages: number; systemPages: number; frames: number; linkWidths: number[]; rows: number[] };
    chart: { height: number; lockBars: number[] };
  }
  // Plain JavaScript run in the page: tsx would wrap named functions in a helper the page lacks.
  const MEASURE = `(id) => {
    const section = document.getElementById(id);
    if (!section) throw new Error("no section " + id);
    const box = (e) => (e ? e.getBoundingClientRect() : { width: 0, height: 0, y: -1 });
    const all = (sel) => [...section.querySelectorAll(sel)];
    const first = (sel) => box(section.querySelector(sel)).y;
    const seq = section.querySelector("svg.sequence");
    const map = section.querySelector("svg.memory-map");
    const chart = section.querySelector("svg.lock-chart");
    return {
      sequence: {
        width: box(seq).width, height: box(seq).height,
        participants: all("svg.sequence g.participant").length,
        messages: all("svg.sequence g.message").length,
        activations: all("svg.sequence rect.activation").length,
        notes: all("svg.sequence g.note").length,
        loops: all("svg.sequence g.loop").length,
        arrowWidth: box(section.querySelector("svg.sequence g.message line")).width,
        outside: all("svg.sequence text, svg.sequence rect").filter((el) => { const b = box(el), s = box(seq); return b.left < s.left - 1 || b.right > s.right + 1; }).length,
      },
      map: {
        width: box(map).width, height: box(map).height,
        userPages: all('svg.memory-map g.range[data-space="user"] rect.page').length,
        systemPages: all('svg.memory-map g.range[data-space="system"] rect.page').length,
        frames: all("svg.memory-map g.frame").length,
        linkWidths: all("svg.memory-map path.link").map((l) => box(l).width),
        rows: [first('svg.memory-map g.range[data-space="user"] rect.page'), first("svg.memory-map g.frame rect"), first('svg.memory-map g.range[data-space="system"] rect.page')],
      },
      chart: { height: box(chart).height, lockBars: all("svg.lock-chart g.locks rect").map((r) => box(r).width) },
    };
  }`;
  async function drawn(run: number): Promise<Drawn> {
    return page.evaluate<Drawn>(`(${MEASURE})("run-${run}")`);
  }

  it("every run's sequence diagram renders with a size: participants, arrows, activation bars and notes", async () => {
    for (const run of [1, 2, 3]) {
      const { sequence: s } = await drawn(run);
      expect(s.width, `run ${run}`).to.be.greaterThan(800);
      expect(s.height, `run ${run}`).to.be.greaterThan(800);
      expect(s.participants).to.equal(10); // five participants, drawn at the top and the bottom
      expect(s.messages).to.be.greaterThan(30);
      expect(s.activations).to.be.greaterThan(5);
      expect(s.arrowWidth).to.be.greaterThan(50);
      expect(s.notes).to.be.greaterThan(3);
      expect(s.loops).to.be.greaterThan(0);
      expect(s.outside, "labels or boxes drawn outside the diagram").to.equal(0);
    }
  });

  it("every run's memory map renders: user pages and system pages linked to the same frames, and the lock chart", async () => {
    for (const run of [1, 2, 3]) {
      const { map, chart } = await drawn(run);
      expect(map.width).to.be.greaterThan(900);
      expect(map.height).to.be.greaterThan(100);
      expect([map.userPages, map.frames, map.systemPages]).to.deep.equal([4, 4, 4]);
      expect(map.linkWidths).to.have.length(8);
      for (const w of map.linkWidths) expect(w).to.be.greaterThan(50);
      // The user page, its frame and the system page sit on one row (within the frames' thicker
      // outline): the picture of zero-copy sharing.
      const [user = 0, frame = 0, system = 0] = map.rows;
      expect(frame).to.be.closeTo(user, 2);
      expect(system).to.be.closeTo(user, 2);
      expect(chart.height).to.be.greaterThan(100);
      expect(chart.lockBars).to.have.length(4);
      for (const w of chart.lockBars) expect(w).to.be.greaterThan(300);
    }
  });

  it("a bug-check run's report lists the stop, draws the routine that never returned as an open activation, and stays inside its diagram", async () => {
    const r = await traced(twiceScenario);
    const file = path.join(root, "out/complete-twice.html");
    writeFileSync(file, renderReport(twiceScenario, [r], "html"));
    const p = await context!.newPage();
    const problems: string[] = [];
    p.on("pageerror", (e) => problems.push(e.message));
    p.on("console", (m) => {
      if (m.type() === "error") problems.push(m.text());
    });
    await p.goto(pathToFileURL(file).href, { waitUntil: "load" });
    const result = await p.evaluate<{ d: Drawn; open: number; findings: string }>(
      `({ d: (${MEASURE})("run-1"), open: document.querySelectorAll("svg.sequence rect.activation.open").length, findings: document.querySelector("ul.findings")?.textContent ?? "" })`,
    );
    await p.close();
    expect(problems).to.deep.equal([]);
    expect(result.findings).to.include("bug check 0x00000044 MULTIPLE_IRP_COMPLETE_REQUESTS");
    expect(result.open).to.be.greaterThan(0);
    expect(result.d.sequence.outside, "labels or boxes drawn outside the diagram").to.equal(0);
  });

  it("a full-page screenshot is saved next to the report as a PNG a person can open", async () => {
    await page.screenshot({ path: screenshotFile, fullPage: true });
    const { width, height } = pngSize(readFileSync(screenshotFile));
    expect(width).to.be.at.least(1000);
    expect(height).to.be.greaterThan(3000);
  });

  it("Mermaid itself renders every sharebuf diagram in the browser, as GitHub would", async () => {
    const mermaidJs = createRequire(import.meta.url).resolve("mermaid/dist/mermaid.min.js");
    const p = await context!.newPage();
    const problems: string[] = [];
    p.on("pageerror", (e) => problems.push(e.message));
    p.on("console", (m) => {
      if (m.type() === "error") problems.push(m.text());
    });
    await p.setContent("<!DOCTYPE html><html><body></body></html>");
    await p.addScriptTag({ path: mermaidJs });
    for (const r of await sharebufRuns()) {
      const source = formatMermaid(r.events, { title: `sharebuf — ending: ${r.options.ending ?? ""}` });
      const drawn = await p.evaluate<{ messages: number; notes: number; actors: number }>(`(async (text) => {
        mermaid.initialize({ startOnLoad: false });
        const { svg } = await mermaid.render("d" + Math.floor(performance.now()), text);
        const doc = new DOMParser().parseFromString(svg, "image/svg+xml");
        return { messages: doc.querySelectorAll(".messageText").length, notes: doc.querySelectorAll(".noteText").length, actors: doc.querySelectorAll("rect.actor").length };
      })(${JSON.stringify(source)})`);
      expect(drawn.messages, r.options.ending).to.be.greaterThan(30);
      expect(drawn.notes).to.be.greaterThan(3);
      expect(drawn.actors).to.be.greaterThan(4);
    }
    await p.close();
    expect(problems).to.deep.equal([]);
  });
});
