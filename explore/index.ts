/**
 * Schedule exploration: what `irpsim` exports for exploring scenarios from code and tests.
 */

// ---- Exploring ----
export { explore, exploreScenario, replaySchedule, explainFailure, strategiesFor, targetOf, ExplorationFailure } from "./explore.js";
export type { ExploreOptions, ExploreReport, ExplainedFailure, ReplayResult, StrategyChoice } from "./explore.js";
export { formatExploreText, exploreJson } from "./report.js";
export { closeExploreWorkers } from "./workers.js";

// ---- Replay strings ----
export { encodeReplay, decodeReplay, formatBudget, parseBudget, ReplayStringError } from "./replay-string.js";
export type { ReplaySpec } from "./replay-string.js";

// ---- Strategies and runs ----
export type { StrategySpec } from "./plan.js";
export type { Shard, Progress, StrategyResult } from "./search.js";
export type { ScenarioRef } from "./scenario-ref.js";
export type { ExploreTarget, ScheduleOutcome } from "./run-schedule.js";
export type { Deviation, Decision, Chooser } from "./decisions.js";
export type { Failure } from "./failure.js";
export type { Explanation } from "./explain.js";
