/**
 * Findings as a tutorial shows them: the rule and its code, what is wrong and the usual fix, the
 * driver's source line and the IRP's ownership timeline.
 */
import type { Finding } from "../kernel/machine.js";
import { RULES, type RuleId } from "./rules.js";

/** True when `rule` is one of the verifier's rule names. */
export function isRuleId(rule: string): rule is RuleId {
  return Object.prototype.hasOwnProperty.call(RULES, rule);
}

/** A finding as text, one line per part (no trailing newline). */
export function formatFinding(f: Finding): string {
  const origin = isRuleId(f.rule) ? ` — ${RULES[f.rule].origin}` : "";
  // "SDV" and "irpsim" are not codes a person looks up: the origin says where the rule comes from.
  const code = f.code === "SDV" || f.code === "irpsim" || f.code === "" ? "" : `${f.code} `;
  const lines = [`FINDING ${code}${f.rule}${origin}`];
  lines.push(`    ${f.message}`);
  const who = [f.driver ? `driver: ${f.driver}` : null, f.routine ? `routine ${f.routine}` : null].filter((x) => x !== null).join(", ");
  if (who) lines.push(`    ${who}`);
  if (f.source) lines.push(`    at ${f.source}`);
  if (f.irp) {
    lines.push(`    ${f.irp}:`);
    for (const step of f.timeline ?? []) lines.push(`      ${step}`);
  }
  return lines.join("\n");
}
