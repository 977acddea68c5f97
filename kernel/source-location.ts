import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";

/** The emulator's own layers: frames in these folders are not "the driver's code". */
const INTERNAL_LAYERS = ["kernel", "io-manager", "win32", "ntdll", "verifier", "explore", "report", "cli", "wdf"];

const here = path.dirname(fileURLToPath(import.meta.url));
/** Roots the layers may live under: the source tree and, when running the build, dist/. */
const roots = (() => {
  const root = path.resolve(here, "..");
  const out = [root];
  if (path.basename(root) === "dist") out.push(path.resolve(root, ".."));
  return out;
})();

/** irpsim's own folder: the checkout, or node_modules/irpsim when installed from the registry. */
const packageRoot = (() => {
  const root = path.resolve(here, "..");
  return path.basename(root) === "dist" ? path.resolve(root, "..") : root;
})();

/**
 * The text of a source file a stack frame names (`file` relative to the working directory, or
 * absolute), or null when it cannot be read. One of irpsim's own files that is not on disk (the
 * package installed without its TypeScript sources) is read from the source map its build
 * shipped, which carries every source's text (`sourcesContent`).
 */
export function sourceText(file: string): string | null {
  const abs = path.resolve(process.cwd(), file);
  try {
    return readFileSync(abs, "utf8");
  } catch {
    // Not on disk: look in the build's source map, below.
  }
  const rel = path.relative(packageRoot, abs);
  if (rel.startsWith("..") || path.isAbsolute(rel) || !/\.[cm]?tsx?$/.test(rel)) return null;
  const map = path.join(packageRoot, "dist", rel.replace(/\.([cm]?)tsx?$/, ".$1js")) + ".map";
  try {
    const parsed = JSON.parse(readFileSync(map, "utf8")) as { sources?: unknown; sourcesContent?: unknown };
    const sources = Array.isArray(parsed.sources) ? (parsed.sources as unknown[]) : [];
    const contents = Array.isArray(parsed.sourcesContent) ? (parsed.sourcesContent as unknown[]) : [];
    const i = sources.findIndex((s) => typeof s === "string" && path.resolve(path.dirname(map), s) === abs);
    const text = contents[i];
    return typeof text === "string" ? text : null;
  } catch {
    return null;
  }
}

/** {@link isInternal}'s answers by file: the path arithmetic costs more than the lookup. */
const internalFiles = new Map<string, boolean>();

function isInternal(file: string): boolean {
  let known = internalFiles.get(file);
  if (known === undefined) {
    known = computeIsInternal(file);
    internalFiles.set(file, known);
  }
  return known;
}

function computeIsInternal(file: string): boolean {
  if (file.startsWith("node:")) return true;
  const p = file.startsWith("file://") ? fileURLToPath(file) : file;
  for (const r of roots) {
    for (const layer of INTERNAL_LAYERS) {
      if (p.startsWith(path.join(r, layer) + path.sep)) return true;
    }
  }
  // Packages' code is not the driver's — except irpsim's own samples when irpsim is itself a
  // package in node_modules (so only a node_modules folder below irpsim's root counts).
  const inside = p.startsWith(packageRoot + path.sep) ? p.slice(packageRoot.length) : p;
  return inside.includes(`${path.sep}node_modules${path.sep}`) || inside.includes("/node_modules/");
}

/** One stack frame: function name (if any) and `file:line:column`. */
export interface SourceFrame {
  readonly fn: string | null;
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

const framePattern = /^\s*at (?:(.*?) \()?(.*?):(\d+):(\d+)\)?$/;

/** Parses a V8 stack trace into frames. */
export function parseStack(stack: string | undefined): SourceFrame[] {
  if (!stack) return [];
  const out: SourceFrame[] = [];
  for (const line of stack.split("\n")) {
    const m = framePattern.exec(line);
    if (!m) continue;
    const file = m[2] ?? "";
    out.push({ fn: m[1] ?? null, file, line: Number(m[3]), column: Number(m[4]) });
  }
  return out;
}

/** A stack captured here, with enough frames to reach past the emulator's own layers. */
export function captureStack(): string | undefined {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 64;
  const stack = new Error().stack;
  Error.stackTraceLimit = limit;
  return stack;
}

/**
 * The first frame of a stack that belongs to driver or app code rather than to the emulator,
 * as `path:line:column (function)` relative to the working directory; null when none.
 */
export function callerSourceLine(stack: string | undefined): string | null {
  for (const f of parseStack(stack)) {
    if (isInternal(f.file)) continue;
    return formatFrame(f);
  }
  return null;
}

/** True when a frame is the emulator's own code (a layer's folder or Node's), not a driver's or an app's. */
export function isEmulatorFrame(f: SourceFrame): boolean {
  return isInternal(f.file);
}

/** Formats a frame for messages. */
export function formatFrame(f: SourceFrame): string {
  const p = f.file.startsWith("file://") ? fileURLToPath(f.file) : f.file;
  const rel = path.isAbsolute(p) ? path.relative(process.cwd(), p) : p;
  const where = `${rel}:${f.line}:${f.column}`;
  return f.fn ? `${where} (${f.fn})` : where;
}

/** The parts of V8's structured call sites this file reads. */
interface RawCallSite {
  getFileName(): string | null | undefined;
  getLineNumber(): number | null;
  getColumnNumber(): number | null;
}

/**
 * The current stack as V8's structured call sites, in generated-code positions: no formatting and
 * no source-map lookup, which is what makes a formatted stack expensive.
 */
function rawCallSites(depth: number): readonly RawCallSite[] {
  // Saved to be put back as it was; it is never called from here.
  // eslint-disable-next-line @typescript-eslint/unbound-method
  const prepare = Error.prepareStackTrace;
  const limit = Error.stackTraceLimit;
  Error.prepareStackTrace = (_e, sites) => sites;
  Error.stackTraceLimit = depth;
  const holder: { stack?: unknown } = {};
  try {
    Error.captureStackTrace(holder, rawCallSites);
    // Read while the override is in place: V8 prepares the stack on first access.
    const sites = holder.stack;
    return Array.isArray(sites) ? (sites as RawCallSite[]) : [];
  } finally {
    Error.prepareStackTrace = prepare;
    Error.stackTraceLimit = limit;
  }
}

/** Source lines already put into words, by generated position of the caller's frame. */
const callerLines = new Map<string, string | null>();

/**
 * `callerSourceLine(captureStack())`, cheaply: the caller's frame is found in V8's raw call sites
 * and its source-mapped words are computed once per code position (checkers ask for the same
 * lines thousands of times).
 */
export function callerSite(): string | null {
  // The caller is usually a dozen frames up: look there first, and deeper only when it is not.
  for (const depth of [8, 24, 64]) {
    const sites = rawCallSites(depth);
    for (const site of sites) {
      const file = site.getFileName();
      if (!file || isInternal(file)) continue;
      const key = `${file}:${String(site.getLineNumber())}:${String(site.getColumnNumber())}`;
      let words = callerLines.get(key);
      if (words === undefined) {
        words = callerSourceLine(captureStack());
        callerLines.set(key, words);
      }
      return words;
    }
    if (sites.length < depth) break;
  }
  return null;
}

/**
 * True when the code that called the innermost frame outside `skip` is the emulator's own: the
 * frame after the first one `skip` does not match (generated-code paths, no formatting).
 */
export function calledFromEmulatorCode(skip: RegExp): boolean {
  // The watched member's caller sits a few frames up, past the checker's own.
  const sites = rawCallSites(12);
  let i = 0;
  while (i < sites.length && skip.test(sites[i]?.getFileName() ?? "")) i++;
  const caller = sites[i + 1]?.getFileName();
  return caller !== undefined && caller !== null && isInternal(caller);
}

// ---- The driver's own frames of the current stack ----

/** {@link driverRun}'s answers, by the generated positions of the run's frames. */
const driverRuns = new Map<string, readonly SourceFrame[]>();

/**
 * The innermost run of driver (or app) frames on the current stack, innermost first, in source
 * positions: the function that called into the emulator, the functions that called it, up to
 * the one the emulator called (a dispatch routine, a DPC). Empty when no driver code is on the
 * stack. Computed once per set of code positions, as {@link callerSite} is.
 */
export function driverRun(): readonly SourceFrame[] {
  // The run usually ends a dozen frames up, where the emulator called the routine: look there
  // first, and deeper only when the run reaches the end of what was captured.
  let sites: readonly RawCallSite[] = [];
  let i = 0;
  let n = 0;
  for (const depth of [10, 24, 64]) {
    sites = rawCallSites(depth);
    i = 0;
    while (i < sites.length && isInternal(sites[i]?.getFileName() ?? "node:")) i++;
    n = 0;
    while (i + n < sites.length) {
      const file = sites[i + n]?.getFileName();
      if (!file || isInternal(file)) break;
      n++;
    }
    if (i + n < sites.length || sites.length < depth) break;
  }
  if (n === 0) return [];
  let key = "";
  for (let k = i; k < i + n; k++) key += `${String(sites[k]?.getFileName())}:${String(sites[k]?.getLineNumber())}:${String(sites[k]?.getColumnNumber())}|`;
  let run = driverRuns.get(key);
  if (run === undefined) {
    const frames = parseStack(captureStack());
    const start = frames.findIndex((f) => !isInternal(f.file));
    run = start < 0 ? [] : frames.slice(start, start + n);
    driverRuns.set(key, run);
  }
  return run;
}
