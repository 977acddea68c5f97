/**
 * `irpsim`: the emulated machine and what runs it — scenarios, results, trace events.
 * Drivers import `irpsim/wdm`; apps import `irpsim/win32`.
 */
export { Machine, ModeError } from "./kernel/machine.js";
export type { MachineOptions, RunResult, Finding, HostError, BlockedThread, DecisionPoint, DecisionStrategy, DecisionRecord, HaltInfo } from "./kernel/machine.js";
export type { RunOptions, RunOutcome } from "./kernel/scheduler.js";
export { BugCheckError, MachineHaltedError, formatBugCheck } from "./kernel/bugcheck.js";
export type { BugCheckRecord } from "./kernel/bugcheck.js";
export { NtStatusError } from "./kernel/nt-status-error.js";
export { KProcess } from "./kernel/process.js";
export { KThread } from "./kernel/thread.js";
export type { TraceEvent, TraceEventKind, TraceEventMap, TraceEventOf } from "./kernel/trace.js";
export { ntStatusName, hex32 } from "./kernel/status.js";
export { loadDriver, unloadDriver } from "./io-manager/driver.js";
export type { LoadedDriver } from "./io-manager/driver.js";
export { ioManager } from "./io-manager/io-manager.js";
export type { InjectionBudget, InjectionKind } from "./scenario/injections.js";
export * from "./explore/index.js";
export { runScenario } from "./scenario/scenario.js";
export type { Scenario, ScenarioContext, ScenarioResult, ScenarioRunOptions, ScenarioOption, Check } from "./scenario/scenario.js";
