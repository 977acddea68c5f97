import { fileURLToPath } from "node:url";
import path from "node:path";

/** The emulator's own layers: frames in these folders are not "the driver's code". */
const INTERNAL_LAYERS = ["kernel", "io-manager", "win32", "verifier", "explore", "report", "cli", "wdf"];

const here = path.dirname(fileURLToPath(import.meta.url));
/** Roots the layers may live under: the source tree and, when running the build, dist/. */
const roots = (() => {
  const root = path.resolve(here, "..");
  const out = [root];
  if (path.basename(root) === "dist") out.push(path.resolve(root, ".."));
  return out;
})();

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
  if (file.startsWith("node:") || file.includes("/node_modules/")) return true;
  const p = file.startsWith("file://") ? fileURLToPath(file) : file;
  for (const r of roots) {
    for (const layer of INTERNAL_LAYERS) {
      if (p.startsWith(path.join(r, layer) + path.sep)) return true;
    }
  }
  return false;
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
