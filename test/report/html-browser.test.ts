/**
 * The HTML report opened in a real headless Chromium (Debian's `chromium` package, which
 * `npm test`'s pretest and .ci/run install when it is missing) through playwright-core, in a
 * 1280-pixel window: the sequence diagram, the memory map and the lock chart must render with a
 * size and fit their boxes, the page must log no error and load nothing from the network, a bug
 * check must be explained as findings are, and the time cursor must show, at each step, what the
 * trace says was locked, mapped and pending then. A full-page screenshot is saved next to the
 * report (out/sharebuf.png beside out/sharebuf.html).
 */
import { expect } from "chai";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { Page } from "playwright-core";
import { renderReport } from "../../cli/report-formats.js";
import { formatHtmlReport } from "../../report/html.js";
import type { TraceEvent } from "../../kernel/trace.js";
import { sharebufScenario } from "../../samples/sharebuf/scenario.js";
import { RULES } from "../../verifier/rules.js";
import { twiceScenario } from "../fixtures/bugcheck-scenario.js";
import { launchChromium, watchErrors, type Browser } from "./browser.js";
import { sharebufRuns, traced } from "./runs.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const reportFile = path.join(root, "out/sharebuf.html");
const screenshotFile = path.join(root, "out/sharebuf.png");
const WINDOW = { width: 1280, height: 900 };

/** Width and height from a PNG's IHDR chunk. */
function pngSize(png: Buffer): { width: number; height: number } {
  expect(png.subarray(0, 8).toString("hex")).to.equal("89504e470d0a1a0a");
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

/** What the trace says at the event `seq`: frames locked, requests in flight, MDL ranges that exist. */
function stateFromTrace(events: readonly TraceEvent[], seq: number): { lockedPages: number; irps: string[]; ranges: string[] } {
  const locks = new Map<number, number>();
  const irps = new Set<string>();
  const ranges = new Set<string>();
  for (const e of events) {
    if (e.seq > seq) break;
    if (e.kind === "MdlLocked") {
      for (const f of e.frames) locks.set(f, (locks.get(f) ?? 0) + 1);
      ranges.add(`${e.mdl} locked`);
    } else if (e.kind === "MdlUnlocked") {
      for (const f of e.frames) locks.set(f, (locks.get(f) ?? 0) - 1);
      ranges.delete(`${e.mdl} locked`);
    } else if (e.kind === "MdlMapped") ranges.add(`${e.mdl} mapped`);
    else if (e.kind === "MdlUnmapped") ranges.delete(`${e.mdl} mapped`);
    else if (e.kind === "IrpDispatched") irps.add(e.irp);
    else if (e.kind === "IrpCompleted" || e.kind === "IrpFreed") irps.delete(e.irp);
  }
  return { lockedPages: [...locks.values()].filter((c) => c > 0).length, irps: [...irps].sort(), ranges: [...ranges].sort() };
}

describe("report/html: the HTML report in a real headless Chromium at 1280 pixels", function () {
  this.timeout(120_000);
  let browser: Browser;
  let page: Page;
  const errors: string[] = [];
  const requests: string[] = [];

  before(async () => {
    mkdirSync(path.dirname(reportFile), { recursive: true });
    writeFileSync(reportFile, renderReport(sharebufScenario, await sharebufRuns(), "html"));
    browser = await launchChromium(WINDOW);
    page = await browser.newPage();
    watchErrors(page, errors);
    page.on("console", (m) => {
      if (m.type() === "warning") errors.push(`console warning: ${m.text()}`);
    });
    page.on("request", (r) => {
      if (!r.url().startsWith("file:")) requests.push(r.url());
    });
    await page.goto(pathToFileURL(reportFile).href, { waitUntil: "load" });
  });

  after(async () => {
    await browser.close();
  });

  it("the report loads with no console error (its script runs under its Content-Security-Policy) and requests nothing from the network", async () => {
    expect(errors).to.deep.equal([]);
    expect(requests).to.deep.equal([]);
    // The script did run: each cursor says it shows the whole run.
    expect(await page.textContent("#run-1 [data-cursor=step]")).to.equal("the whole run");
  });

  /** Sizes and counts of what one run's section drew, measured in the page in one round trip. */
  interface Drawn {
    box: { left: number; right: number };
    sequence: { width: number; height: number; left: number; right: number; participants: number; messages: number; activations: number; notes: number; loops: number; arrowWidth: number; outside: number; headsInside: boolean; overlaps: string[]; smallestText: number };
    map: { width: number; height: number; userPages: number; systemPages: number; frames: number; linkWidths: number[]; rows: number[] };
    chart: { height: number; lockBars: number[] };
    pageWidth: number;
  }
  // Plain JavaScript run in the page: tsx would wrap named functions in a helper the page lacks.
  const MEASURE = `(id) => {
    const section = document.getElementById(id);
    if (!section) throw new Error("no section " + id);
    const box = (e) => (e ? e.getBoundingClientRect() : { width: 0, height: 0, y: -1, left: 0, right: 0, top: 0, bottom: 0 });
    const all = (sel) => [...section.querySelectorAll(sel)];
    const first = (sel) => box(section.querySelector(sel)).y;
    const seq = section.querySelector("svg.sequence");
    const s = box(seq);
    const map = section.querySelector("svg.memory-map");
    const chart = section.querySelector("svg.lock-chart");
    const fit = box(seq.parentElement);
    // Every label's box, to find two that overlap (unreadable) — lines of one label may touch.
    const labels = all("svg.sequence g.message, svg.sequence g.note").map((g) => ({ g, b: box(g.querySelector("text") ? g : null), texts: [...g.querySelectorAll("text")].map(box) }));
    const overlaps = [];
    const texts = labels.flatMap((l, i) => l.texts.map((b) => ({ i, b })));
    for (let a = 0; a < texts.length; a++) for (let b = a + 1; b < texts.length; b++) {
      const x = texts[a], y = texts[b];
      if (x.i === y.i) continue;
      const w = Math.min(x.b.right, y.b.right) - Math.max(x.b.left, y.b.left);
      const h = Math.min(x.b.bottom, y.b.bottom) - Math.max(x.b.top, y.b.top);
      if (w > 2 && h > 2) overlaps.push(labels[x.i].g.textContent.slice(0, 40) + " / " + labels[y.i].g.textContent.slice(0, 40));
    }
    const heads = all("svg.sequence g.participant rect").map(box);
    return {
      box: { left: fit.left, right: fit.right },
      sequence: {
        width: s.width, height: s.height, left: s.left, right: s.right,
        participants: all("svg.sequence g.participant").length,
        messages: all("svg.sequence g.message").length,
        activations: all("svg.sequence rect.activation").length,
        notes: all("svg.sequence g.note").length,
        loops: all("svg.sequence g.loop").length,
        arrowWidth: box(section.querySelector("svg.sequence g.message line")).width,
        outside: all("svg.sequence text, svg.sequence rect:not(.cursor-row)").filter((el) => { const b = box(el); return b.left < s.left - 1 || b.right > s.right + 1; }).length,
        headsInside: heads.every((b) => b.left >= fit.left && b.right <= fit.right),
        overlaps,
        smallestText: Math.min(...all("svg.sequence g.message text, svg.sequence g.note text").map((t) => box(t).height)),
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
      pageWidth: document.documentElement.scrollWidth,
    };
  }`;
  async function drawn(p: Page, run: number): Promise<Drawn> {
    return p.evaluate<Drawn>(`(${MEASURE})("run-${run}")`);
  }

  it("every run's sequence diagram renders with a size: participants, arrows, activation bars, notes and loops", async () => {
    for (const run of [1, 2, 3]) {
      const { sequence: s } = await drawn(page, run);
      expect(s.width, `run ${run}`).to.be.greaterThan(800);
      expect(s.height, `run ${run}`).to.be.greaterThan(800);
      expect(s.participants).to.equal(10); // five participants, drawn at the top and the bottom
      expect(s.messages).to.be.greaterThan(30);
      expect(s.activations).to.be.greaterThan(5);
      expect(s.arrowWidth).to.be.greaterThan(50);
      expect(s.notes).to.be.greaterThan(3);
      expect(s.loops).to.be.greaterThan(0);
    }
  });

  it("at 1280 pixels the diagram fits its box: no horizontal scroll, no participant clipped, no label outside it or over another, labels at full size", async () => {
    for (const run of [1, 2, 3]) {
      const d = await drawn(page, run);
      const s = d.sequence;
      expect(d.pageWidth, "the page scrolls sideways").to.be.at.most(WINDOW.width);
      expect(s.right, `run ${run}: the diagram passes its box`).to.be.at.most(d.box.right + 0.5);
      expect(s.left).to.be.at.least(d.box.left - 0.5);
      expect(s.headsInside, "a participant's box is cut").to.equal(true);
      expect(s.outside, "labels or boxes drawn outside the diagram").to.equal(0);
      expect(s.overlaps, "labels drawn over each other").to.deep.equal([]);
      // 12 px monospace, not scaled down: a line box of about 14 px.
      expect(s.smallestText).to.be.at.least(12);
    }
  });

  it("a legend says what the arrows, colours, boxes and loops mean; the introduction says what the scenario does and where its source is", async () => {
    const legend = await page.textContent("#run-1 .legend");
    for (const words of ["call", "return", "completion delivered", "pending (STATUS_PENDING, ERROR_IO_PENDING)", "an error status", "never returned", "loop"]) expect(legend).to.include(words);
    const intro = await page.textContent("header.page");
    expect(intro).to.include("Share a buffer with a driver through a pended METHOD_OUT_DIRECT IOCTL");
    expect(intro).to.include("samples/sharebuf/");
    expect(await page.textContent("#run-1 p.ioctls")).to.include("IOCTL_SHARE_BUFFER (FILE_DEVICE_UNKNOWN, 0x800, METHOD_OUT_DIRECT, FILE_ANY_ACCESS) = 0x00222002");
  });

  it("every run's memory map renders: user pages and system pages linked to the same frames, and the lock chart", async () => {
    for (const run of [1, 2, 3]) {
      const { map, chart } = await drawn(page, run);
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

  /** What the cursor shows now, read from the page. */
  interface Shown {
    step: string;
    time: string;
    seq: number;
    locked: string;
    irps: string[];
    absent: string[];
    present: string[];
    frameLabels: string[];
    lineVisible: boolean;
    current: number;
  }
  const SHOWN = `(id) => {
    const section = document.getElementById(id);
    const current = section.querySelector("svg.sequence .current");
    const ranges = [...section.querySelectorAll("svg.memory-map g.range")];
    const name = (g) => g.querySelector(".range-sub").textContent.split(" · ")[0];
    return {
      step: section.querySelector("[data-cursor=step]").textContent,
      time: section.querySelector("[data-cursor=time]").textContent,
      seq: current ? Number(current.getAttribute("data-seq")) : -1,
      current: current ? Number(current.getAttribute("data-step")) : -1,
      locked: section.querySelector("[data-cursor=locked]").textContent,
      irps: [...section.querySelectorAll("[data-cursor=irps] li:not(.none)")].map((li) => li.textContent),
      absent: ranges.filter((g) => g.classList.contains("absent")).map(name),
      present: ranges.filter((g) => !g.classList.contains("absent")).map(name),
      frameLabels: [...section.querySelectorAll("svg.memory-map text.frame-label")].map((t) => t.textContent),
      lineVisible: section.querySelector("svg.lock-chart line.cursor").getAttribute("visibility") === "visible",
    };
  }`;
  const shown = (p: Page, run: number) => p.evaluate<Shown>(`(${SHOWN})("run-${run}")`);

  it("the time cursor steps through every step of each ending, and at each shows what the trace says: pages locked, ranges mapped, requests in flight", async () => {
    const runs = await sharebufRuns();
    for (const run of [1, 2, 3]) {
      const events = runs[run - 1]?.events ?? [];
      const steps = await page.locator(`#run-${run} svg.sequence [data-step]`).count();
      await page.click(`#run-${run} .cursor [data-action=first]`);
      const seen = new Set<string>();
      let final = "";
      for (let k = 0; k < steps; k++) {
        if (k > 0) await page.press(`#run-${run} .cursor`, "ArrowRight");
        const s = await shown(page, run);
        expect(s.current).to.equal(k);
        expect(s.step).to.equal(`step ${k + 1} of ${steps}`);
        const want = stateFromTrace(events, s.seq);
        const where = `run ${run}, step ${k + 1} (seq ${s.seq})`;
        expect(s.locked, where).to.equal(want.lockedPages === 0 ? "no page locked" : `${want.lockedPages} pages locked (frames 0x100–0x103)`);
        expect(s.irps.map((t) => t.split(" ")[0] ?? "").sort(), where).to.deep.equal(want.irps);
        expect(s.present.sort(), where).to.deep.equal(want.ranges);
        expect(s.frameLabels.every((l) => l.endsWith(want.lockedPages > 0 ? "locked ×1" : "not locked")), where).to.equal(true);
        expect(s.lineVisible).to.equal(true);
        final = `${s.locked} | ${s.irps.join("; ")}`;
        seen.add(final);
      }
      // The story the cursor walks through: nothing locked, the buffer shared and its request
      // pending with a cancel routine, then released.
      const states = [...seen];
      expect(states.some((x) => x.startsWith("4 pages locked") && x.includes("irp#2 IRP_MJ_DEVICE_CONTROL IOCTL_SHARE_BUFFER — pending in Sharebuf, cancel routine SharebufCancelRoutine")), `run ${run}: ${states.join("\n")}`).to.equal(true);
      expect(final).to.equal("no page locked | ");
    }
  });

  it("the cursor also moves by the slider, End, Home, a click on a step, and Escape shows the whole run again", async () => {
    const last = (await page.locator("#run-1 svg.sequence [data-step]").count()) - 1;
    await page.press("#run-1 .cursor", "End");
    expect((await shown(page, 1)).current).to.equal(last);
    await page.press("#run-1 .cursor", "Home");
    expect((await shown(page, 1)).current).to.equal(0);
    await page.locator("#run-1 input.cursor-range").fill("20");
    expect((await shown(page, 1)).current).to.equal(20);
    const target = page.locator("#run-1 svg.sequence g.message", { hasText: "IoMarkIrpPending(irp#2)" }).first();
    await target.click();
    const s = await shown(page, 1);
    expect(s.irps[0]).to.include("irp#2 IRP_MJ_DEVICE_CONTROL IOCTL_SHARE_BUFFER — pending in Sharebuf");
    expect(s.locked).to.equal("4 pages locked (frames 0x100–0x103)");
    await page.press("#run-1 .cursor", "Escape");
    const off = await shown(page, 1);
    expect(off.step).to.equal("the whole run");
    expect(off.absent).to.deep.equal([]);
    expect(off.lineVisible).to.equal(false);
  });

  it("a bug check is explained as findings are: its rule, what happened, the usual fix and the driver's line; the routine that never returned is an open activation", async () => {
    const r = await traced(twiceScenario);
    const file = path.join(root, "out/complete-twice.html");
    writeFileSync(file, renderReport(twiceScenario, [r], "html"));
    const p = await browser.newPage();
    const problems: string[] = [];
    watchErrors(p, problems);
    await p.goto(pathToFileURL(file).href, { waitUntil: "load" });
    const result = await p.evaluate<{ d: Drawn; open: number; problem: Record<string, string>; title: string }>(
      `({ d: (${MEASURE})("run-1"), open: document.querySelectorAll("svg.sequence rect.activation.open").length,
          title: document.querySelector("div.problem .title")?.textContent ?? "",
          problem: Object.fromEntries([...document.querySelectorAll("div.problem dt")].map((dt) => [dt.textContent, dt.nextElementSibling.textContent])) })`,
    );
    await p.close();
    expect(problems).to.deep.equal([]);
    expect(result.title).to.include("bug check 0x00000044 MULTIPLE_IRP_COMPLETE_REQUESTS");
    expect(result.problem.rule).to.equal(`DoubleCompletion — ${RULES.DoubleCompletion.origin}`);
    expect(result.problem["what happened"]).to.match(/^Dispatch routine TwiceDeviceControl on twice\.exe:main completes irp#2, which dispatch routine TwiceDeviceControl on twice\.exe:main already completed/);
    expect(result.problem["what happened"]).to.not.include(RULES.DoubleCompletion.fix);
    expect(result.problem["usual fix"]).to.equal(RULES.DoubleCompletion.fix);
    expect(result.problem.where).to.match(/driver Twice, routine TwiceDeviceControl at test\/fixtures\/bugcheck-scenario\.ts:\d+:\d+/);
    expect(result.problem.parameters).to.include("P1 = 0x00000002  Address of the IRP");
    expect(result.open).to.be.greaterThan(0);
    expect(result.d.sequence.outside, "labels or boxes drawn outside the diagram").to.equal(0);
  });

  it("a diagram with more participants than fit (seven apps, five drivers) is scaled into its box, every participant whole", async () => {
    const events: TraceEvent[] = [];
    let seq = 0;
    const push = (kind: string, tid: number, pid: number, fields: Record<string, unknown>) => events.push({ kind, seq: seq++, time: seq * 1000, tid, pid, irql: 0, ...fields } as unknown as TraceEvent);
    for (let i = 0; i < 7; i++) {
      const pid = 12 + 4 * i;
      const tid = 100 + i;
      push("ProcessCreated", 0, 0, { process: pid, name: `client${i + 1}.exe`, parent: 0 });
      push("ThreadCreated", 0, 0, { thread: tid, process: pid, name: `client${i + 1}.exe:main`, system: false });
      push("ApiEnter", tid, pid, { api: "DeviceIoControl", detail: `handle 4, 0x00222002, in 0, out 0 at 0x00000000` });
      push("IrpDispatched", tid, pid, { irp: `irp#${i + 1}`, major: "IRP_MJ_DEVICE_CONTROL", minor: 0, device: "\\Device\\X", driver: `FilterDriver${i % 5}`, routine: "DispatchDeviceControl", ioctl: 0x00222002 });
      push("IrpCompleted", tid, pid, { irp: `irp#${i + 1}`, status: 0, statusName: "STATUS_SUCCESS", information: 0, driver: `FilterDriver${i % 5}` });
      push("IrpDispatchReturned", tid, pid, { irp: `irp#${i + 1}`, status: 0, statusName: "STATUS_SUCCESS", driver: `FilterDriver${i % 5}`, routine: "DispatchDeviceControl" });
      push("ApiReturn", tid, pid, { api: "DeviceIoControl", result: "TRUE", lastError: 0, lastErrorName: "" });
    }
    const file = path.join(root, "out/wide.html");
    writeFileSync(file, formatHtmlReport([{ title: "seven clients, five drivers", events }], { title: "wide" }));
    const p = await browser.newPage();
    const problems: string[] = [];
    watchErrors(p, problems);
    await p.goto(pathToFileURL(file).href, { waitUntil: "load" });
    const d = await drawn(p, 1);
    await p.close();
    expect(problems).to.deep.equal([]);
    expect(d.sequence.participants).to.equal(26);
    expect(d.pageWidth).to.be.at.most(WINDOW.width);
    expect(d.sequence.right).to.be.at.most(d.box.right + 0.5);
    expect(d.sequence.headsInside).to.equal(true);
    expect(d.sequence.overlaps).to.deep.equal([]);
    // Scaled (thirteen columns need about 1,850 pixels), to about two thirds: text still a
    // readable 8 pixels, and whole; the browser's zoom restores it.
    expect(d.sequence.smallestText).to.be.within(8.5, 11.9);
  });

  it("the standalone SVG (--format svg) opens on its own and draws every ending", async () => {
    const file = path.join(root, "out/sharebuf.svg");
    writeFileSync(file, renderReport(sharebufScenario, await sharebufRuns(), "svg"));
    const p = await browser.newPage();
    const problems: string[] = [];
    watchErrors(p, problems);
    await p.goto(pathToFileURL(file).href, { waitUntil: "load" });
    const got = await p.evaluate<{ width: number; height: number; titles: string[]; messages: number }>(
      `(() => { const b = document.documentElement.getBoundingClientRect(); return { width: b.width, height: b.height, titles: [...document.querySelectorAll("text.title")].map((t) => t.textContent), messages: document.querySelectorAll("svg.sequence g.message").length }; })()`,
    );
    await p.close();
    expect(problems).to.deep.equal([]);
    expect(got.titles).to.deep.equal(["sharebuf — ending: done-using", "sharebuf — ending: killed", "sharebuf — ending: closed"]);
    expect(got.width).to.be.greaterThan(1000);
    expect(got.height).to.be.greaterThan(3000);
    expect(got.messages).to.be.greaterThan(100);
  });

  it("a full-page screenshot is saved next to the report as a PNG a person can open", async () => {
    await page.press("#run-1 .cursor", "Escape");
    await page.screenshot({ path: screenshotFile, fullPage: true });
    const { width, height } = pngSize(readFileSync(screenshotFile));
    expect(width).to.equal(WINDOW.width);
    expect(height).to.be.greaterThan(3000);
  });
});
