/**
 * Where a driver routine's code is, and which of its return statements ended a call: what lets a
 * finding point at the guilty line when the guilty act is the absence of a call — a dispatch
 * routine that returns without completing its IRP, a DriverUnload that returns without
 * KeCancelTimer.
 *
 * The method, and its limits:
 * - A routine's source location comes from V8 itself: the inspector's [[FunctionLocation]] of the
 *   function object (the script and position of its code), mapped through the script's source
 *   map to the TypeScript line (the command line and the tests run with source maps on). Asked
 *   only when a rule fires with source lines on; it costs a few milliseconds the first time.
 * - While a dispatch routine runs and still owes its IRP a completion, a forward or a mark, the
 *   verifier notes the last line of it that it saw execute: its latest call into the kernel and
 *   its latest use of Irp->IoStatus (the completion idiom's lines), each with the stack. (A stack
 *   per touch of every IRP member would cost more than it tells.) A return statement of the routine (not of a function nested in it) that comes after
 *   that line, and whose value is not another STATUS_ constant than the one the I/O manager got
 *   back, is the one that ran, when only one fits. When several fit (code the verifier cannot see
 *   — plain JavaScript with no kernel call or IRP touch — chose between them), the first is named
 *   and the others listed. A `return` on the very line of the last call (return Complete(Irp, …))
 *   is taken as the one.
 * - The source is read from disk (the path the source map gives); a routine whose source cannot
 *   be read, or which lives in the emulator's own code (a framework's dispatcher), gives no line.
 *   The scan knows TypeScript's strings, template literals and comments, and nested functions
 *   and arrow functions; it does not know regular-expression literals with unbalanced braces.
 */
import { readFileSync } from "node:fs";
import { Session } from "node:inspector";
import { findSourceMap } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { isEmulatorFrame, type SourceFrame } from "../kernel/source-location.js";

/** A position in a source file: an absolute path and 1-based line and column. */
export interface SourcePosition {
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

/** "samples/x/driver.ts:57:12 (Name)", relative to the working directory, as source lines are printed. */
export function formatPosition(p: SourcePosition, fn: string | null): string {
  const rel = path.relative(process.cwd(), p.file);
  return `${rel}:${p.line}:${p.column}${fn ? ` (${fn})` : ""}`;
}

/** An absolute path for a stack frame's or a source map's file (a path or a file: URL). */
function toPath(file: string): string {
  return file.startsWith("file://") ? fileURLToPath(file) : path.resolve(file);
}

// ---- Function locations, from the inspector -------------------------------------------------

let session: Session | null | undefined;
const locations = new WeakMap<object, SourcePosition | null>();
const scriptUrls = new Map<string, string>();

/** The inspector, connected to this thread on first use (null when this Node has none). */
function inspector(): Session | null {
  if (session === undefined) {
    try {
      const s = new Session();
      s.connect();
      session = s;
    } catch {
      session = null;
    }
  }
  return session;
}

/** A synchronous inspector call: a session on its own thread answers before post returns. */
function post(s: Session, method: string, params: object): unknown {
  let out: unknown = null;
  s.post(method, params, (err: Error | null, result: unknown) => {
    if (!err) out = result;
  });
  return out;
}

/** Where a function's code starts, as a TypeScript position when a source map says; null when the inspector cannot tell. */
export function functionLocation(fn: object): SourcePosition | null {
  const known = locations.get(fn);
  if (known !== undefined) return known;
  const s = inspector();
  if (!s) return null;
  // The inspector reaches objects through expressions: the function is parked on a global for one.
  const g = globalThis as { __irpsimFunctionLocation?: object };
  let found: SourcePosition | null = null;
  try {
    g.__irpsimFunctionLocation = fn;
    const evaluated = post(s, "Runtime.evaluate", { expression: "globalThis.__irpsimFunctionLocation" }) as { result?: { objectId?: string } } | null;
    const objectId = evaluated?.result?.objectId;
    if (objectId) {
      const props = post(s, "Runtime.getProperties", { objectId, ownProperties: true }) as { internalProperties?: { name: string; value?: { value?: unknown } }[] } | null;
      post(s, "Runtime.releaseObject", { objectId });
      const loc = props?.internalProperties?.find((p) => p.name === "[[FunctionLocation]]")?.value?.value as { scriptId: string; lineNumber: number; columnNumber: number } | undefined;
      if (loc) found = mapLocation(s, loc.scriptId, loc.lineNumber, loc.columnNumber);
    }
  } finally {
    delete g.__irpsimFunctionLocation;
  }
  locations.set(fn, found);
  return found;
}

function scriptUrl(s: Session, scriptId: string): string | null {
  let url = scriptUrls.get(scriptId);
  if (url === undefined) {
    // Best-effort coverage lists every script with its id and URL, without starting a profiler.
    const cov = post(s, "Profiler.getBestEffortCoverage", {}) as { result?: { scriptId: string; url: string }[] } | null;
    for (const r of cov?.result ?? []) scriptUrls.set(r.scriptId, r.url);
    url = scriptUrls.get(scriptId);
  }
  return url ?? null;
}

function mapLocation(s: Session, scriptId: string, line: number, column: number): SourcePosition | null {
  const url = scriptUrl(s, scriptId);
  if (!url || !(url.startsWith("file://") || path.isAbsolute(url))) return null;
  const map = findSourceMap(url);
  if (map) {
    const e = map.findEntry(line, column) as { originalSource?: string; originalLine?: number; originalColumn?: number };
    if (e.originalSource !== undefined && e.originalLine !== undefined && e.originalColumn !== undefined) {
      return { file: toPath(new URL(e.originalSource, url).href), line: e.originalLine + 1, column: e.originalColumn + 1 };
    }
  }
  return { file: toPath(url), line: line + 1, column: column + 1 };
}

// ---- Source text ----------------------------------------------------------------------------

const texts = new Map<string, string | null>();

function sourceText(file: string): string | null {
  let t = texts.get(file);
  if (t === undefined) {
    try {
      t = readFileSync(file, "utf8");
    } catch {
      t = null;
    }
    texts.set(file, t);
  }
  return t;
}

/** One return statement of a routine. */
export interface ReturnStatement {
  readonly line: number;
  readonly column: number;
  /** The statement's text on its first line ("return STATUS_SUCCESS;"). */
  readonly text: string;
  /** What it returns ("STATUS_SUCCESS", "Complete(Irp, status)"). */
  readonly value: string;
}

/** A routine's body: its extent and its own return statements (not those of functions nested in it). */
export interface RoutineBody {
  readonly file: string;
  readonly startLine: number;
  readonly endLine: number;
  readonly returns: readonly ReturnStatement[];
}

const bodies = new Map<string, RoutineBody | null>();

const isIdent = (c: string | undefined): boolean => c !== undefined && /[A-Za-z0-9_$]/.test(c);

/** The routine whose code starts at `at`: its body and return statements (null when the source cannot be read or parsed). */
export function routineBody(at: SourcePosition): RoutineBody | null {
  const key = `${at.file}:${at.line}:${at.column}`;
  const known = bodies.get(key);
  if (known !== undefined) return known;
  const text = sourceText(at.file);
  const body = text === null ? null : scanRoutine(text, at);
  bodies.set(key, body);
  return body;
}

function scanRoutine(text: string, at: SourcePosition): RoutineBody | null {
  // Offsets of line starts, for positions.
  const lineStarts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === "\n") lineStarts.push(i + 1);
  const lineOf = (offset: number): { line: number; column: number } => {
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((lineStarts[mid] ?? 0) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - (lineStarts[lo] ?? 0) + 1 };
  };
  const start = (lineStarts[at.line - 1] ?? -1) + at.column - 1;
  if (start < 0 || start >= text.length) return null;

  // Skips a string, template literal or comment starting at i; returns the offset after it (or i when none starts there).
  const skip = (i: number): number => {
    const c = text[i];
    const next = text[i + 1];
    if (c === "/" && next === "/") {
      const e = text.indexOf("\n", i);
      return e < 0 ? text.length : e;
    }
    if (c === "/" && next === "*") {
      const e = text.indexOf("*/", i + 2);
      return e < 0 ? text.length : e + 2;
    }
    if (c === '"' || c === "'") {
      let k = i + 1;
      while (k < text.length && text[k] !== c && text[k] !== "\n") k += text[k] === "\\" ? 2 : 1;
      return k + 1;
    }
    if (c === "`") {
      let k = i + 1;
      while (k < text.length && text[k] !== "`") {
        if (text[k] === "\\") k += 2;
        else if (text[k] === "$" && text[k + 1] === "{") {
          // A substitution: balanced braces, which may hold strings of their own.
          let depth = 1;
          k += 2;
          while (k < text.length && depth > 0) {
            const j = skip(k);
            if (j !== k) {
              k = j;
              continue;
            }
            if (text[k] === "{") depth++;
            else if (text[k] === "}") depth--;
            k++;
          }
        } else k++;
      }
      return k + 1;
    }
    return i;
  };

  // The parameter list, then the body's opening brace.
  let i = start;
  while (i < text.length && text[i] !== "(" && text[i] !== "{") {
    const j = skip(i);
    i = j === i ? i + 1 : j;
  }
  if (text[i] === "(") {
    let depth = 0;
    for (; i < text.length; ) {
      const j = skip(i);
      if (j !== i) {
        i = j;
        continue;
      }
      if (text[i] === "(") depth++;
      else if (text[i] === ")" && --depth === 0) break;
      i++;
    }
    // Past the return type annotation (which may hold generics and object types) to the body.
    let angle = 0;
    let typeBraces = 0;
    for (i++; i < text.length; ) {
      const j = skip(i);
      if (j !== i) {
        i = j;
        continue;
      }
      const c = text[i];
      if (c === "<") angle++;
      else if (c === ">" && text[i - 1] !== "=") angle = Math.max(0, angle - 1);
      else if (c === "{" && (angle > 0 || /:\s*$|\|\s*$|&\s*$/.test(text.slice(Math.max(0, i - 20), i)))) typeBraces++;
      else if (c === "}" && typeBraces > 0) typeBraces--;
      else if (c === "{" && angle === 0 && typeBraces === 0) break;
      else if (c === ";") return null;
      i++;
    }
  }
  if (text[i] !== "{") return null;
  const bodyStart = i;

  // The body: its own returns, skipping nested functions' bodies.
  const returns: ReturnStatement[] = [];
  const braces: boolean[] = []; // true: a nested function's body
  let nested = 0;
  let pendingFunction = false;
  let pendingParen = -1;
  let paren = 0;
  let arrow = false;
  for (i = bodyStart; i < text.length; ) {
    const j = skip(i);
    if (j !== i) {
      i = j;
      continue;
    }
    const c = text[i];
    if (c === "(") paren++;
    else if (c === ")") paren--;
    else if (c === "=" && text[i + 1] === ">") {
      arrow = true;
      i += 2;
      continue;
    } else if (c === "{") {
      const fnBody = braces.length > 0 && (arrow || (pendingFunction && paren === pendingParen));
      braces.push(fnBody);
      if (fnBody) nested++;
      pendingFunction = false;
      arrow = false;
      i++;
      continue;
    } else if (c === "}") {
      const wasFn = braces.pop();
      if (wasFn) nested--;
      if (braces.length === 0) {
        return { file: at.file, startLine: lineOf(bodyStart).line, endLine: lineOf(i).line, returns };
      }
    } else if (isIdent(c) && !isIdent(text[i - 1])) {
      let k = i;
      while (isIdent(text[k])) k++;
      const word = text.slice(i, k);
      if (word === "function") {
        pendingFunction = true;
        pendingParen = paren;
      } else if (word === "return" && nested === 0 && text[i - 1] !== ".") {
        const pos = lineOf(i);
        const lineEnd = text.indexOf("\n", i);
        const rest = text.slice(i, lineEnd < 0 ? text.length : lineEnd);
        const semi = rest.indexOf(";");
        const statement = (semi >= 0 ? rest.slice(0, semi + 1) : rest).trim();
        returns.push({ line: pos.line, column: pos.column, text: statement, value: statement.replace(/^return\b/, "").replace(/;$/, "").trim() });
      }
      arrow = false;
      i = k;
      continue;
    } else if (!/\s/.test(c ?? "")) {
      arrow = false;
    }
    i++;
  }
  return null;
}

// ---- Which return ended a call --------------------------------------------------------------

/** Where a routine's call ended, as far as the method above can tell. */
export interface ReturnSite {
  /** The return statement named: its source line as printed ("file:line:col (Routine)"). */
  readonly source: string;
  /** The statement ("return STATUS_SUCCESS;"). */
  readonly text: string;
  readonly line: number;
  /** Other return statements that fit as well (empty: this one is certain). */
  readonly alternatives: readonly ReturnStatement[];
}

/**
 * The return statement of `routine` (a function object, named `name`) that ended a call which
 * returned `statusName`, given the last frames of it the verifier saw run (innermost first;
 * empty when it saw none). Null when the routine's source cannot be found or read.
 */
export function returnSite(routine: object, name: string, lastRun: readonly SourceFrame[], statusName: string | null): ReturnSite | null {
  const at = functionLocation(routine);
  if (!at || isEmulatorFrame({ fn: null, file: at.file, line: at.line, column: at.column })) return null;
  const body = routineBody(at);
  if (!body) return null;
  // The last position seen inside the routine itself (not in a helper it called).
  let seen: { line: number; column: number } | null = null;
  for (const f of lastRun) {
    if (toPath(f.file) !== body.file || f.line < body.startLine || f.line > body.endLine) continue;
    seen = { line: f.line, column: f.column };
  }
  let candidates = body.returns;
  if (seen) {
    const s = seen;
    // `return Helper(Irp, …)` on the line of the last call: that return, no doubt.
    const same = candidates.find((r) => r.line === s.line && r.column < s.column);
    if (same) return { source: formatPosition({ file: body.file, line: same.line, column: same.column }, name), text: same.text, line: same.line, alternatives: [] };
    candidates = candidates.filter((r) => r.line > s.line || (r.line === s.line && r.column > s.column));
  }
  if (statusName) candidates = candidates.filter((r) => !/^STATUS_[A-Z0-9_]+$/.test(r.value) || r.value === statusName);
  const first = candidates[0];
  if (!first) return null;
  // Straight-line code from the last line seen to the first candidate: it is the return that ran.
  const certain = seen !== null && straightLine(sourceText(body.file) ?? "", seen, first);
  return { source: formatPosition({ file: body.file, line: first.line, column: first.column }, name), text: first.text, line: first.line, alternatives: certain ? [] : candidates.slice(1) };
}

/** Words and marks that can make control skip a statement or leave a block. */
const BRANCHING = /[{}]|\b(?:if|else|for|while|do|switch|case|default|break|continue|throw|try|catch|finally|return|yield|await)\b/;

/**
 * True when the code from `from` up to the return statement `to` has no branch, block boundary or
 * jump (comments and strings aside): control that reached `from` reaches `to`.
 */
function straightLine(text: string, from: { line: number; column: number }, to: ReturnStatement): boolean {
  const lines = text.split("\n");
  const parts: string[] = [];
  for (let l = from.line; l <= to.line; l++) {
    const line = lines[l - 1] ?? "";
    const start = l === from.line ? from.column - 1 : 0;
    const end = l === to.line ? to.column - 1 : line.length;
    parts.push(line.slice(start, end));
  }
  const code = parts
    .join("\n")
    .replace(/\/\*[\s\S]*?\*\//g, " ")
    .replace(/\/\/.*$/gm, " ")
    .replace(/"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|`(?:[^`\\]|\\.)*`/g, '""');
  return !BRANCHING.test(code);
}

/** A routine's location as printed ("samples/x/driver.ts:160:3 (XUnload)"), or null. */
export function routineSource(routine: object, name: string): string | null {
  const at = functionLocation(routine);
  return at ? formatPosition(at, name) : null;
}
