/**
 * The verifier layer's barrel: attach a verifier to a machine, its rules, and findings as text.
 */
export { attachVerifier, Verifier, DEFAULT_CANCEL_TIMEOUT_MS } from "./verifier.js";
export type { VerifierOptions, Report } from "./verifier.js";
export { RULES, ruleIds, ruleInfo } from "./rules.js";
export type { RuleId, RuleInfo, Severity } from "./rules.js";
export { formatFinding, isRuleId } from "./format.js";
export { FORCE_PENDING_DECISION, FAULT_INJECTION_DECISION } from "./resource-options.js";
export type { IrpRecord, Frame, MdlRecord, Step } from "./records.js";
