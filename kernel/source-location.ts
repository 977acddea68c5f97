import { fileURLToPath } from "node:url";
import path from "node:path";

/** The emulator's own layers: frames in these folders are not "the driver's code". */
const INTERNAL_LAYERS = ["kernel", "io-manager", "win32", "verifier", "explore", "report", "cli"];

const here = path.dirname(fileURLToPath(import.meta.url));
/** Roots the layers may live under: the source tree and, when running the build, dist/. */
const roots = (() => {
  const root = path.resolve(here, "..");
  const out = [root];
  if (path.basename(root) === "dist") out.push(path.resolve(root, ".."));
  return out;
})();

function isInternal(file: string): boolean {
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
