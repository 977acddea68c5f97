/**
 * The guide cannot rot: every fenced block in docs/*.md that claims to show a file's code or a
 * command's output must equal it.
 *
 * - ```` ```ts file=examples/first-driver/driver.ts region=dpc ```` shows the lines between
 *   `// #region dpc` and `// #endregion dpc` of docs/examples/first-driver/driver.ts (the whole
 *   file without region markers when no region is named);
 * - ```` ```text output=run-ticker lines=1-20 ```` shows lines 1 to 20 of what the command the
 *   id names prints (see `outputs` below), run now by the built command line; `from="Summary"
 *   to="PASSED"` shows the lines from the first containing one text to the next containing the
 *   other (see selectLines).
 *
 * `UPDATE_DOCS=1 npm test` (or `npm run docs:sync`) rewrites the blocks from the files and the
 * commands instead of failing; review the diff.
 */
import { expect } from "chai";
import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const docs = path.join(root, "docs");
const update = process.env.UPDATE_DOCS === "1";

/** A fenced block that claims to show something, and where it is. */
interface Claim {
  readonly chapter: string;
  /** Line (1-based) of the opening fence. */
  readonly line: number;
  readonly attrs: Readonly<Record<string, string>>;
  /** Offsets of the block's body in the chapter's text. */
  readonly start: number;
  readonly end: number;
  readonly body: string;
}

/** Every block of a chapter whose info string has file= or output=. */
function claims(chapter: string): Claim[] {
  const text = readFileSync(path.join(docs, chapter), "utf8");
  const out: Claim[] = [];
  const fence = /^```([^\n`]*)\n/gm;
  let m: RegExpExecArray | null;
  while ((m = fence.exec(text)) !== null) {
    const info = m[1] ?? "";
    const close = text.indexOf("\n```", m.index + m[0].length - 1);
    if (close === -1) break;
    const start = m.index + m[0].length;
    const end = close + 1;
    fence.lastIndex = close + 4;
    const attrs: Record<string, string> = {};
    for (const a of info.matchAll(/(\w+)=("[^"]*"|\S+)/g)) attrs[a[1] ?? ""] = (a[2] ?? "").replace(/^"(.*)"$/, "$1");
    if (attrs.file === undefined && attrs.output === undefined) continue;
    out.push({ chapter, line: text.slice(0, m.index).split("\n").length, attrs, start, end, body: text.slice(start, end) });
  }
  return out;
}

/** A file's region (or the whole file), without region markers, ending in one newline. */
function fileRegion(file: string, region: string | undefined): string {
  const lines = readFileSync(path.join(docs, file), "utf8").split("\n");
  const marker = /^\s*\/\/ #(end)?region\b/;
  if (region === undefined) return lines.filter((l) => !marker.test(l)).join("\n").replace(/\n*$/, "\n");
  const from = lines.findIndex((l) => l.trim() === `// #region ${region}`);
  const to = lines.findIndex((l, i) => i > from && l.trim() === `// #endregion ${region}`);
  if (from === -1 || to === -1) throw new Error(`${file} has no region '${region}' (// #region ${region} … // #endregion ${region})`);
  return lines.slice(from + 1, to).filter((l) => !marker.test(l)).join("\n") + "\n";
}

/** Runs the command line (built by `npm test`; from the sources through tsx otherwise). */
function irpsim(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    // No colour: FORCE_COLOR would win over NO_COLOR, so it goes.
    const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1", COLUMNS: "100" };
    delete env.FORCE_COLOR;
    execFile(process.execPath, [path.join(root, "bin/irpsim.js"), ...args], { cwd: root, env, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      // Exit status 1 is a failing run, which some outputs show on purpose.
      if (err && err.code !== 1) reject(new Error(`irpsim ${args.join(" ")} failed (${String(err.code)}): ${stderr}`));
      else resolve(stdout);
    });
  });
}

/** An exploration's report without its wall-clock figures (durations and rates), which vary. */
function withoutTimings(text: string): string {
  return text.replace(/, \d+(\.\d+)? s\)/g, ")").replace(/; \d+ schedules\/s \(\d+(\.\d+)? s\)/g, "");
}

const SCENARIO = "docs/examples/first-driver/scenario.ts";
const FIXED = "docs/examples/first-driver/scenario-fixed.ts";

/** The replay string `irpsim explore` prints for the Ticker's race. */
async function tickerReplay(): Promise<string> {
  const text = await output("explore-ticker");
  const m = /replay: irpsim replay (\S+)/.exec(text);
  if (!m?.[1]) throw new Error(`irpsim explore printed no replay string:\n${text}`);
  return m[1];
}

/** What each output id runs. */
const outputs: Record<string, () => Promise<string>> = {
  "run-ticker": () => irpsim(["run", SCENARIO]),
  // The whole report as --out writes it (every column, the summary, each check).
  "run-ticker-file": async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "irpsim-docs-"));
    try {
      const file = path.join(dir, "ticker.txt");
      await irpsim(["run", SCENARIO, "--out", file]);
      return readFileSync(file, "utf8");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
  "explore-ticker": async () => withoutTimings(await irpsim(["explore", SCENARIO, "--strategy", "dfs", "--bound", "2"])),
  "replay-ticker": async () => irpsim(["replay", await tickerReplay(), "--scenario", SCENARIO]),
  "replay-ticker-fixed": async () => irpsim(["replay", await tickerReplay(), "--scenario", FIXED]),
  "run-reverser": () => irpsim(["run", "docs/examples/porting/scenario.ts"]),
  "mermaid-ticker": () => irpsim(["run", SCENARIO, "--format", "mermaid"]),
  "chrome-ticker": async () => {
    const trace = JSON.parse(await irpsim(["run", SCENARIO, "--format", "chrome"])) as { traceEvents: unknown[] };
    // One event per line, as the chapter quotes them.
    return trace.traceEvents.map((e) => JSON.stringify(e)).join("\n") + "\n";
  },
};

const cache = new Map<string, Promise<string>>();
function output(id: string): Promise<string> {
  const make = outputs[id];
  if (!make) throw new Error(`no output named '${id}' (known: ${Object.keys(outputs).join(", ")})`);
  let p = cache.get(id);
  if (!p) {
    p = make();
    cache.set(id, p);
  }
  return p;
}

/**
 * The lines a block shows of an output: `lines=a-b` (1-based, inclusive); or `from="text"` (the
 * first line containing it; `skip=N` passes over N such lines first) to `to="text"` (the first
 * line from there containing it, included; the end when absent); or all of it.
 */
function selectLines(text: string, attrs: Readonly<Record<string, string>>): string {
  const lines = text.replace(/\n*$/, "").split("\n");
  if (attrs.lines !== undefined) {
    const m = /^(\d+)-(\d+)$/.exec(attrs.lines);
    if (!m) throw new Error(`lines=${attrs.lines}: write lines=FIRST-LAST`);
    return lines.slice(Number(m[1]) - 1, Number(m[2])).join("\n") + "\n";
  }
  if (attrs.from === undefined) return lines.join("\n") + "\n";
  const from = attrs.from;
  let start = -1;
  for (let skip = Number(attrs.skip ?? 0); skip >= 0; skip--) start = lines.findIndex((l, i) => i > start && l.includes(from));
  if (start === -1) throw new Error(`no line contains from="${from}"`);
  const to = attrs.to;
  const end = to === undefined ? lines.length - 1 : lines.findIndex((l, i) => i >= start && l.includes(to));
  if (end === -1) throw new Error(`no line after from="${from}" contains to="${to ?? ""}"`);
  return lines.slice(start, end + 1).join("\n") + "\n";
}

/** What a claim's block should contain. */
async function expected(c: Claim): Promise<string> {
  if (c.attrs.file !== undefined) return fileRegion(c.attrs.file, c.attrs.region);
  return selectLines(await output(c.attrs.output ?? ""), c.attrs);
}

const chapters = readdirSync(docs).filter((f) => f.endsWith(".md"));

describe("docs: the guide's code and outputs are the real ones", function () {
  this.timeout(300_000);

  it("the guide has chapters, and they show files and outputs", () => {
    expect(chapters).to.include.members(["README.md", "your-first-driver.md", "reading-the-reports.md", "porting-a-wdk-sample.md"]);
    const all = chapters.flatMap(claims);
    expect(all.filter((c) => c.attrs.file !== undefined).length).to.be.greaterThan(5);
    expect(all.filter((c) => c.attrs.output !== undefined).length).to.be.greaterThan(3);
  });

  for (const chapter of chapters) {
    it(`${chapter}: every block with file= or output= equals what it claims to show`, async () => {
      const found = claims(chapter);
      const wrong: string[] = [];
      let text = readFileSync(path.join(docs, chapter), "utf8");
      // Back to front, so that rewriting a block keeps the offsets of the ones before it.
      for (const c of [...found].reverse()) {
        const want = await expected(c);
        if (want === c.body) continue;
        if (update) text = text.slice(0, c.start) + want + text.slice(c.end);
        else wrong.push(`${chapter}:${c.line} (${Object.entries(c.attrs).map(([k, v]) => `${k}=${v}`).join(" ")}) differs from what it shows`);
      }
      if (update) writeFileSync(path.join(docs, chapter), text);
      expect(wrong, `${wrong.join("\n")}\nRun UPDATE_DOCS=1 npm test (or npm run docs:sync) to rewrite them, and review the diff.`).to.deep.equal([]);
    });
  }

  it("docs link only to files that exist", () => {
    // The reference npm run docs generates.
    const elsewhere = new Set(["api/index.html"]);
    const broken: string[] = [];
    for (const chapter of chapters) {
      const text = readFileSync(path.join(docs, chapter), "utf8");
      for (const m of text.matchAll(/\]\(([^)#\s]+)(#[^)]*)?\)/g)) {
        const target = m[1] ?? "";
        if (/^[a-z]+:/.test(target) || elsewhere.has(target)) continue;
        try {
          readFileSync(path.resolve(docs, target));
        } catch {
          if (!readdirSafe(path.resolve(docs, target))) broken.push(`${chapter}: ${target}`);
        }
      }
    }
    expect(broken).to.deep.equal([]);
  });
});

function readdirSafe(dir: string): boolean {
  try {
    readdirSync(dir);
    return true;
  } catch {
    return false;
  }
}
