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

// ---- Reports: every exporter reads trace events only -------------------------------------
export { formatTextTimeline, summarize } from "./report/text.js";
export type { TextOptions, TimelineSummary } from "./report/text.js";
export { formatMermaid, formatMermaidMarkdown } from "./report/mermaid.js";
export type { MermaidOptions } from "./report/mermaid.js";
export { chromeTrace, formatChromeTrace } from "./report/chrome.js";
export type { ChromeRun, ChromeTrace, ChromeTraceEvent } from "./report/chrome.js";
export { formatHtmlReport } from "./report/scenario-report.js";
export type { HtmlOptions, HtmlRun, ReportCheck } from "./report/html.js";
export { buildSequence } from "./report/sequence.js";
export type { SequenceDiagram, SequenceStep, Participant } from "./report/sequence.js";
export { buildMemoryMap } from "./report/memory-map.js";
export type { MemoryMap, MappedRange } from "./report/memory-map.js";

// ---- WinDriver: the generic driver, Kernel PlugIns and the sampling card -----------------
export { WdDriverEntry, installKernelPlugIn, installSamplingCard, SamplingCard, windriverState } from "./windriver/machine.js";

// ---- Windows Embedded CE 6.0 (CE drivers and apps import `irpsim/ce6`) ----
export { CeMachine, ceMachineOptions, CE_SYSTEM_LAYOUT } from "./ce6/index.js";
export type { CeVersion, CeOptions, CeCreateOptions, ReservedRam, OemAddressEntry } from "./ce6/index.js";

// ---- The verifier ----
export { attachVerifier, Verifier, formatFinding, RULES, ruleIds, FORCE_PENDING_DECISION, FAULT_INJECTION_DECISION } from "./verifier/index.js";
export type { VerifierOptions, RuleId, RuleInfo } from "./verifier/index.js";

// ---- Scenarios and schedule exploration ----
export type { InjectionBudget, InjectionKind } from "./scenario/injections.js";
export * from "./explore/index.js";
export { runScenario } from "./scenario/scenario.js";
export type { Scenario, ScenarioContext, ScenarioResult, ScenarioRunOptions, ScenarioOption, Check } from "./scenario/scenario.js";

// ---- Scenario authors: results into reports, and looking at the machine ----
export { formatReport, reportChunks, REPORT_FORMATS } from "./report/scenario-report.js";
export type { ReportFormat, ReportOptions } from "./report/scenario-report.js";
export { pageFrameNumber, liveIrps, poolUsage, cancelSpinLockOwner, contiguousBuffers, connectedInterrupts } from "./scenario/inspect.js";
export { errorLog } from "./io-manager/error-log.js";
export type { ErrorLogEntry } from "./io-manager/error-log.js";
export type { PoolUsage, PoolUsageOptions, ContiguousBuffer } from "./scenario/inspect.js";
export type { CreateProcessOptions } from "./kernel/machine.js";
export type { ProcessState } from "./kernel/process.js";
export type { ThreadState, ThreadBody } from "./kernel/thread.js";
export type { TimerEntry } from "./kernel/timer-queue.js";
export { INJECTION_KINDS } from "./scenario/injections.js";
// ---- Process identity: the token an app's opens are checked with (wdm-io) ----
export { setProcessToken, processToken, STANDARD_USER_TOKEN, ADMINISTRATOR_TOKEN, LOCAL_SYSTEM_TOKEN } from "./kernel/security.js";
export type { ProcessToken } from "./kernel/security.js";
// ---- Scenarios: waits that may never end under an injection ----
export type { EndlessWait } from "./scenario/endless-waits.js";
// ---- Control-code names, and reports written as streams -----------------------------------
export { registerIoctlNames, ioctlConstants } from "./io-manager/ioctl-names.js";
export type { LoadDriverOptions } from "./io-manager/driver.js";
export { decodeIoctl, ioctlFields } from "./report/ioctl.js";
export type { DecodedIoctl } from "./report/ioctl.js";
export { writeChunks, joinChunks } from "./report/stream.js";
export type { Chunks } from "./report/stream.js";
export { textTimelineLines } from "./report/text.js";
export { mermaidChunks, mermaidMarkdownChunks } from "./report/mermaid.js";
export { chromeTraceChunks, chromeTraceEvents } from "./report/chrome.js";
export { htmlReportChunks } from "./report/html.js";
export { renderSequenceSvg, standaloneSequenceSvg } from "./report/svg-sequence.js";
// ---- Time: what calls cost, the preemption decision (kernel/execution-time.ts) ------------
export { PREEMPT_DECISION } from "./kernel/scheduler.js";
export { DEFAULT_EXECUTION_COSTS } from "./kernel/execution-time.js";
export type { ExecutionCosts } from "./kernel/execution-time.js";

// ---- The PnP manager (root-enumerated devices) ----
export { createRootDevice, removeDevice, surpriseRemoveDevice, pnpManager, DeviceNode } from "./io-manager/pnp.js";
export type { ReportedDevice, DeviceNodeState, DeviceInterface, PnpVetoType } from "./io-manager/pnp.js";

// ---- Device stacks with filter drivers; shutting the machine down (wdfgaps) ----
export type { RootDeviceOptions } from "./io-manager/pnp.js";
export { shutdownSystem } from "./io-manager/shutdown.js";
export type { ShutdownResult, ShutdownNotice } from "./io-manager/shutdown.js";

// ---- Power: system sleep and wake from a scenario (io-manager/power-manager.ts) ----
export { setSystemPowerState, wake, systemPowerState, devicePowerState } from "./io-manager/power-manager.js";
export type { SystemPowerTransition } from "./io-manager/power-manager.js";
export { SYSTEM_POWER_STATE, PowerSystemWorking, PowerSystemSleeping1, PowerSystemSleeping2, PowerSystemSleeping3, PowerSystemHibernate, PowerSystemShutdown, DEVICE_POWER_STATE } from "./io-manager/power-types.js";

// ---- The configuration registry: seeding and inspecting keys from a scenario ----
export { setRegistryValue, createRegistryKey, registryValue, registryKeyExists, registrySubkeys, registryValueNames, setDriverParameters } from "./scenario/registry.js";
export type { RegistryValueInfo } from "./scenario/registry.js";
export type { RegistryValueSeed, RegistryTypedSeed } from "./kernel/registry.js";
export { REG_NONE, REG_SZ, REG_EXPAND_SZ, REG_BINARY, REG_DWORD, REG_DWORD_BIG_ENDIAN, REG_LINK, REG_MULTI_SZ, REG_QWORD } from "./kernel/registry.js";
