/**
 * The Mermaid output drawn by Mermaid itself (the mermaid package, the renderer GitHub and the
 * live editor run) in a real headless Chromium: what a reader sees is the text of the SVG it
 * draws, so every label is read back from there and compared with what the diagram says —
 * sharebuf's three endings, and a trace whose labels hold every character Mermaid treats
 * specially.
 */
import { expect } from "chai";
import { createRequire } from "node:module";
import type { Page } from "playwright-core";
import type { TraceEvent, TraceEventKind, TraceEventMap } from "../../kernel/trace.js";
import { formatMermaid } from "../../report/mermaid.js";
import { buildSequence, type SequenceStep } from "../../report/sequence.js";
import { launchChromium, watchErrors, type Browser } from "./browser.js";
import { sharebufRuns } from "./runs.js";

/** Every character Mermaid's lexer or renderer gives a meaning to, in one label. */
const SPECIAL = `irp#2; a:b <c> & d 50% %%c -- + - end {x} "q" 'a' \`b\` |p| \\\\.\\Dev ->> -) +x -y #lt; #35; wrap: nowrap: loop note over`;

function ev<K extends TraceEventKind>(seq: number, kind: K, tid: number, fields: TraceEventMap[K]): TraceEvent {
  return { kind, seq, time: seq * 10_000, tid, pid: tid === 0 ? 0 : 12, irql: 0, ...fields } as unknown as TraceEvent;
}

/** A trace whose participant, messages, notes and loop label are full of special characters. */
function specialTrace(): TraceEvent[] {
  const events: TraceEvent[] = [
    ev(0, "ProcessCreated", 0, { process: 12, name: "odd, app: #1; <x> & y@z.exe", parent: 0 }),
    ev(1, "ThreadCreated", 0, { thread: 16, process: 12, name: "odd:main", system: false }),
    ev(2, "ApiEnter", 16, { api: "WriteFile", detail: SPECIAL }),
    ev(3, "ApiReturn", 16, { api: "WriteFile", result: "FALSE", lastError: 0, lastErrorName: "" }),
    ev(4, "Note", 16, { text: SPECIAL }),
  ];
  for (let i = 0; i < 3; i++) {
    events.push(ev(5 + 2 * i, "DpcStart", 0, { dpc: "dpc#1", routine: "Odd#Dpc;<1>&%", driver: "Odd#Drv;" }));
    events.push(ev(6 + 2 * i, "DpcEnd", 0, { dpc: "dpc#1", routine: "Odd#Dpc;<1>&%" }));
  }
  return events;
}

/** What Mermaid drew: the text of each message, note, loop label and participant box. */
interface Drawn {
  messages: string[];
  notes: string[];
  loops: string[];
  actors: string[];
}

async function draw(page: Page, source: string): Promise<Drawn> {
  return page.evaluate<Drawn>(`(async (text) => {
    const { svg } = await mermaid.render("d" + Math.floor(Math.random() * 1e9), text);
    const doc = new DOMParser().parseFromString(svg, "image/svg+xml");
    const texts = (sel) => [...doc.querySelectorAll(sel)].map((t) => t.textContent.trim());
    return { messages: texts(".messageText"), notes: texts(".noteText"), loops: texts(".loopText"), actors: texts("text.actor") };
  })(${JSON.stringify(source)})`);
}

/** The labels the model holds, in drawing order. */
function expected(steps: readonly SequenceStep[]): { messages: string[]; notes: string[]; loops: string[] } {
  const out = { messages: [] as string[], notes: [] as string[], loops: [] as string[] };
  const walk = (s: SequenceStep) => {
    if (s.kind === "message") out.messages.push(s.text);
    else if (s.kind === "note") out.notes.push(s.text);
    else {
      out.loops.push(s.label);
      s.steps.forEach(walk);
    }
  };
  steps.forEach(walk);
  return out;
}

describe("report/mermaid in a real browser: Mermaid draws every label whole", function () {
  this.timeout(120_000);
  let browser: Browser;
  let page: Page;
  const errors: string[] = [];

  before(async () => {
    browser = await launchChromium({ width: 1280, height: 900 });
    page = await browser.newPage();
    watchErrors(page, errors);
    await page.setContent("<!DOCTYPE html><html><body></body></html>");
    await page.addScriptTag({ path: createRequire(import.meta.url).resolve("mermaid/dist/mermaid.min.js") });
    await page.evaluate("mermaid.initialize({ startOnLoad: false, securityLevel: 'strict' })");
  });

  after(async () => {
    await browser.close();
  });

  it("every sharebuf ending: each message, note and loop label Mermaid draws is the diagram's text, irp#N and mdl#N whole", async () => {
    for (const r of await sharebufRuns()) {
      const model = buildSequence(r.events);
      const want = expected(model.steps);
      const got = await draw(page, formatMermaid(r.events, { title: `sharebuf — ending: ${r.options.ending ?? ""}` }));
      expect(got.messages, r.options.ending).to.deep.equal(want.messages);
      expect(got.notes, r.options.ending).to.deep.equal(want.notes);
      expect(got.loops.map((l) => l.replace(/^\[|\]$/g, "")), r.options.ending).to.deep.equal(want.loops);
      expect(got.actors).to.include.members(model.participants.map((p) => p.label));
      expect(got.messages.some((m) => m.includes("irp#2 IRP_MJ_DEVICE_CONTROL IOCTL_SHARE_BUFFER"))).to.equal(true);
      expect(got.notes.some((m) => m.startsWith("mdl#1: "))).to.equal(true);
    }
    expect(errors).to.deep.equal([]);
  });

  it("a label with every character Mermaid treats specially (# ; : % < > & -- + - end …) is drawn exactly as written", async () => {
    const events = specialTrace();
    const model = buildSequence(events);
    const got = await draw(page, formatMermaid(events));
    expect(got.messages).to.include(`WriteFile(${SPECIAL})`);
    expect(got.notes).to.include(SPECIAL);
    expect(got.loops.map((l) => l.replace(/^\[|\]$/g, ""))).to.deep.equal(expected(model.steps).loops);
    expect(got.loops[0]).to.include("Odd#Dpc;<1>&%, 3 times");
    expect(got.actors).to.include("odd, app: #1; <x> & y@z.exe");
    expect(got.actors).to.include("Odd#Drv;.sys");
    expect(errors).to.deep.equal([]);
  });
});
