/**
 * Looking past known causes. A search on a real driver usually finds its most frequent bug
 * first, in most schedules, and that bug hides whatever lies behind it. Suppressing a cause — a
 * verifier rule by name, a bug check by code or name, or one of the explorer's own causes
 * ("deadlock", "time limit", "check failed: …") — takes it out of every run's failures, so the
 * search goes on until something else fails. A suppressed verifier rule is also switched off in
 * the verifier (as `!verifier` lets one turn a check off), so the run carries on past the point
 * where the rule would have stopped it, as an unverified machine would; a bug check the machine
 * itself raises for the same mistake is a separate cause, suppressed by its code.
 *
 * A run that halted on a suppressed bug check or deadlock keeps only the findings recorded before
 * the halt: its failed checks, time limit or zombies are what the halt left, not another bug.
 *
 * The suppression travels with the target as its "suppress" option (comma-separated), so worker
 * threads, shards and replay strings see the same runs.
 */
import { BugCheckCode } from "../kernel/bugcheck-codes.js";
import { hex32 } from "../kernel/status.js";
import { isRuleId } from "../verifier/format.js";
import type { RuleId } from "../verifier/rules.js";
import type { Failure } from "./failure.js";

/** The target option that carries the suppressed causes ("IrpNotHandled,0x44"). */
export const SUPPRESS_OPTION = "suppress";

/** The explorer's own causes that may be suppressed by name. */
const PLAIN_CAUSES = ["deadlock", "time limit", "zombie process", "host error", "failed"] as const;

/** One suppressed cause, parsed. */
export type Suppression =
  | { readonly kind: "rule"; readonly rule: string; readonly verifierRule: RuleId | null }
  | { readonly kind: "bug check"; readonly code: number }
  | { readonly kind: "cause"; readonly cause: string };

/** A suppression that cannot be understood. */
export class SuppressionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SuppressionError";
  }
}

const BUG_CHECK_NAMES = BugCheckCode as Readonly<Record<string, number>>;

/**
 * Parses one suppression: "IrpNotHandled" (a verifier rule), "0x44", "0x000000C9" or
 * "MULTIPLE_IRP_COMPLETE_REQUESTS" (a bug check), "finding LeakedPool" (a finding by its rule,
 * including the machine's own), "check failed: <name>", or "deadlock", "time limit",
 * "zombie process", "host error". Anything else is a {@link SuppressionError}.
 */
export function parseSuppression(text: string): Suppression {
  const t = text.trim();
  if (/^0x[0-9a-f]{1,8}$/i.test(t)) return { kind: "bug check", code: Number.parseInt(t.slice(2), 16) };
  if (isRuleId(t)) return { kind: "rule", rule: t, verifierRule: t };
  const named = Object.hasOwn(BUG_CHECK_NAMES, t) ? BUG_CHECK_NAMES[t] : undefined;
  if (named !== undefined) return { kind: "bug check", code: named };
  if (t.startsWith("finding ") && t.length > "finding ".length) {
    const rule = t.slice("finding ".length).trim();
    return { kind: "rule", rule, verifierRule: isRuleId(rule) ? rule : null };
  }
  if (t.startsWith("check failed: ") || (PLAIN_CAUSES as readonly string[]).includes(t)) return { kind: "cause", cause: t };
  throw new SuppressionError(
    `cannot suppress '${text}': give a verifier rule (IrpNotHandled), a bug check code or name (0x44, MULTIPLE_IRP_COMPLETE_REQUESTS), 'finding <rule>', 'check failed: <check>', or one of: ${PLAIN_CAUSES.join(", ")}`,
  );
}

/** Parses the option's value: suppressions separated by commas (empty: none). */
export function parseSuppressions(value: string | undefined): Suppression[] {
  if (value === undefined || value.trim() === "") return [];
  return value.split(",").filter((x) => x.trim() !== "").map(parseSuppression);
}

/** The option value for a list of suppressions as given ("IrpNotHandled,0x44"), checked. */
export function suppressOptionValue(list: readonly string[]): string {
  for (const s of list) {
    if (s.includes(",")) throw new SuppressionError(`cannot suppress '${s}': one cause per entry (no commas)`);
    parseSuppression(s);
  }
  return list.map((s) => s.trim()).join(",");
}

/** A suppression in words ("bug check 0x00000044", "rule IrpNotHandled"). */
export function suppressionWords(s: Suppression): string {
  switch (s.kind) {
    case "rule":
      return `rule ${s.rule}`;
    case "bug check":
      return `bug check 0x${hex32(s.code)}`;
    case "cause":
      return s.cause;
  }
}

/** True when `f` is one of the suppressed causes. */
export function isSuppressed(f: Failure, list: readonly Suppression[]): boolean {
  for (const s of list) {
    switch (s.kind) {
      case "rule":
        if (f.rule === s.rule) return true;
        break;
      case "bug check":
        if (f.bugCheck === s.code) return true;
        break;
      case "cause":
        if (f.cause === s.cause) return true;
        break;
    }
  }
  return false;
}

/**
 * A run's failures (most fundamental first, as failuresOf lists them) without the suppressed
 * ones; when the machine halted and the halt is suppressed, only the findings not suppressed stay.
 */
export function withoutSuppressed(failures: readonly Failure[], list: readonly Suppression[], halted: boolean): Failure[] {
  const first = failures[0];
  const haltSuppressed = halted && first !== undefined && (first.bugCheck !== undefined || first.cause === "deadlock") && isSuppressed(first, list);
  return failures.filter((f) => !isSuppressed(f, list) && (!haltSuppressed || f.cause.startsWith("finding ")));
}

/** The verifier rules a list switches off. */
export function suppressedRules(list: readonly Suppression[]): RuleId[] {
  const out: RuleId[] = [];
  for (const s of list) if (s.kind === "rule" && s.verifierRule !== null) out.push(s.verifierRule);
  return out;
}
