/**
 * Replay strings: one line that reproduces a run exactly — the scenario, its options, the
 * injection budget, where the schedule came from, and every non-default decision — built only of
 * characters a shell leaves alone, so it can be pasted into `irpsim replay` as it is.
 *
 *     irp1:sharebuf-cancel-window:ending=done-using:c1d1:pct.d2.s1.r17:57:12.2/3
 *
 * fields: version, scenario, options (or -), budget (or -), origin, decision count, decisions
 * (ordinal.choice/options, comma-separated, or -).
 */
import { INJECTION_KINDS, type InjectionBudget, type InjectionKind } from "../scenario/injections.js";
import type { OrdinalChoice } from "./choosers.js";

/** Everything a replay string holds. */
export interface ReplaySpec {
  /** The scenario the schedule is for. */
  readonly scenario: string;
  /** The scenario options the run used. */
  readonly options: Readonly<Record<string, string>>;
  /** The injection budget the run had. */
  readonly budget: InjectionBudget;
  /** Where the schedule came from ("pct.d2.s1.r17", "dfs.b2", "shrunk"): for people, not for replay. */
  readonly origin: string;
  /** How many decisions the run made (a check that the replay follows the same path). */
  readonly decisions: number;
  /** The non-default choices, by decision number. */
  readonly choices: readonly OrdinalChoice[];
}

/** A string that is not a replay string, with what is wrong with it. */
export class ReplayStringError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ReplayStringError";
  }
}

const PREFIX = "irp1";

/** One letter per injection kind. */
const LETTER: Record<InjectionKind, string> = { cancel: "c", death: "d", close: "h", timer: "t", fault: "f", forcePending: "p", surpriseRemove: "s", sleep: "w" };

/** Escapes every character a shell (or the format) might treat specially as %XX. */
function escape(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]/g, (c) => {
    const code = c.charCodeAt(0);
    return code < 256 ? `%${code.toString(16).padStart(2, "0").toUpperCase()}` : encodeURIComponent(c);
  });
}

function unescape(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw new ReplayStringError(`bad escape in '${s}'`);
  }
}

/** The budget's compact form: "c1d1" (letters c cancel, d death, h close, t timer, f fault, p forcePending, s surpriseRemove, w sleep). */
export function formatBudget(b: InjectionBudget): string {
  let out = "";
  for (const k of INJECTION_KINDS) {
    const n = b[k] ?? 0;
    if (n > 0) out += `${LETTER[k]}${n}`;
  }
  return out || "-";
}

/** Parses a compact budget ("c1d1") or a long one ("cancel=1,death=1"). */
export function parseBudget(text: string): InjectionBudget {
  const out: Partial<Record<InjectionKind, number>> = {};
  if (text === "-" || text === "" || text === "none") return out;
  if (text.includes("=")) {
    for (const part of text.split(",")) {
      const [k, v] = part.split("=");
      const kind = INJECTION_KINDS.find((x) => x === k?.trim());
      const n = Number(v);
      if (!kind || !Number.isInteger(n) || n < 0) throw new ReplayStringError(`bad budget entry '${part}' (kinds: ${INJECTION_KINDS.join(", ")}; counts are whole numbers)`);
      out[kind] = n;
    }
    return out;
  }
  const re = /([a-z])(\d+)/g;
  let consumed = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const kind = INJECTION_KINDS.find((k) => LETTER[k] === m[1]);
    if (!kind || m.index !== consumed) throw new ReplayStringError(`bad budget '${text}' (letters: c cancel, d death, h close, t timer, f fault, p forcePending, s surpriseRemove, w sleep, each followed by a count)`);
    out[kind] = Number(m[2]);
    consumed = re.lastIndex;
  }
  if (consumed !== text.length) throw new ReplayStringError(`bad budget '${text}'`);
  return out;
}

/** The replay string for a run. */
export function encodeReplay(spec: ReplaySpec): string {
  const opts = Object.entries(spec.options)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${escape(k)}=${escape(v)}`)
    .join(",");
  const choices = spec.choices.map((c) => `${c.ordinal}.${c.choice}/${c.of}`).join(",");
  const origin = spec.origin.replace(/[^A-Za-z0-9.-]/g, "-") || "-";
  return [PREFIX, escape(spec.scenario), opts || "-", formatBudget(spec.budget), origin, String(spec.decisions), choices || "-"].join(":");
}

/** Parses a replay string; a clear {@link ReplayStringError} when it is not one. */
export function decodeReplay(text: string): ReplaySpec {
  const parts = text.trim().split(":");
  if (parts[0] !== PREFIX) throw new ReplayStringError(`a replay string starts with '${PREFIX}:' (got '${text.slice(0, 12)}…')`);
  if (parts.length !== 7) throw new ReplayStringError(`a replay string has 7 fields separated by ':' (got ${parts.length})`);
  const [, scenario = "", opts = "-", budget = "-", origin = "-", count = "", choices = "-"] = parts;
  const options: Record<string, string> = {};
  if (opts !== "-") {
    for (const kv of opts.split(",")) {
      const eq = kv.indexOf("=");
      if (eq <= 0) throw new ReplayStringError(`bad option '${kv}' (expected name=value)`);
      options[unescape(kv.slice(0, eq))] = unescape(kv.slice(eq + 1));
    }
  }
  const decisions = Number(count);
  if (!Number.isInteger(decisions) || decisions < 0) throw new ReplayStringError(`bad decision count '${count}'`);
  const list: OrdinalChoice[] = [];
  if (choices !== "-") {
    for (const c of choices.split(",")) {
      const m = /^(\d+)\.(\d+)\/(\d+)$/.exec(c);
      if (!m) throw new ReplayStringError(`bad decision '${c}' (expected ordinal.choice/options, like 12.2/3)`);
      const ordinal = Number(m[1]);
      const choice = Number(m[2]);
      const of = Number(m[3]);
      if (choice < 1 || choice >= of) throw new ReplayStringError(`decision '${c}' chooses option ${choice} of ${of}`);
      const last = list[list.length - 1];
      if (last && last.ordinal >= ordinal) throw new ReplayStringError(`decisions must be in increasing order ('${c}')`);
      list.push({ ordinal, choice, of });
    }
  }
  return { scenario: unescape(scenario), options, budget: parseBudget(budget), origin, decisions, choices: list };
}
