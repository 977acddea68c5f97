/**
 * The kernel layer's barrel: the machine, its objects and the routines drivers call.
 * Layers above import from here; drivers and apps use `irpsim/wdm` and `irpsim/win32`.
 */

// ---- The machine ----
export { Machine, ModeError } from "./machine.js";
export type { MachineOptions, CreateProcessOptions, RunResult, Finding, HostError, BlockedThread, DecisionPoint, DecisionStrategy, DecisionRecord, HaltInfo } from "./machine.js";
export type { RunOptions, RunOutcome } from "./scheduler.js";
export { activeMachine, currentMachine, currentThread } from "./context.js";

// ---- Status, exceptions, bug checks ----
export * from "./status.js";
export { NtStatusError, ExRaiseStatus } from "./nt-status-error.js";
export { BugCheckError, MachineHaltedError, formatBugCheck } from "./bugcheck.js";
export type { BugCheckRecord } from "./bugcheck.js";
export { BugCheckCode, bugCheckInfo } from "./bugcheck-codes.js";
export type { BugCheckInfo, BugCheckName } from "./bugcheck-codes.js";
export { callerSourceLine, captureStack } from "./source-location.js";

// ---- Trace ----
export { Tracer } from "./trace.js";
export type { TraceEvent, TraceEventKind, TraceEventMap, TraceEventOf, TraceEventBase } from "./trace.js";

// ---- Objects, processes, threads ----
export { KernelObject } from "./objects.js";
export type { MaybePromise } from "./objects.js";
export { HandleTable } from "./handle-table.js";
export type { HandleEntry } from "./handle-table.js";
export { NtCurrentProcess, NtCurrentThread } from "./object-manager.js";
export { KProcess } from "./process.js";
export type { ProcessState } from "./process.js";
export { KThread } from "./thread.js";
export type { ThreadState, ThreadBody } from "./thread.js";
export type { ApcKind } from "./apc.js";
export { DispatcherHeader, DispatcherType, EVENT_TYPE, TIMER_TYPE } from "./dispatcher.js";
export { MAXIMUM_WAIT_OBJECTS } from "./waits.js";
export * from "./irql.js";
export { LIST_ENTRY, InitializeListHead, IsListEmpty, InsertTailList, InsertHeadList, RemoveEntryList, RemoveHeadList, RemoveTailList, CONTAINING_RECORD, listEntries } from "./list-entry.js";

// ---- Memory ----
export { PAGE_SIZE, PAGE_SHIFT, PAGE_MASK, PhysicalMemory } from "./physical-memory.js";
export * from "./memory-constants.js";
export * from "./pte.js";
export { UserAddressSpace } from "./address-space.js";
export type { Vad, VmResult } from "./address-space.js";
export { PageTable } from "./page-table.js";
export { SplitPageTable } from "./split-page-table.js";
export type { ProcessTranslation } from "./process-translation.js";
export { NT_SYSTEM_LAYOUT, checkSystemLayout } from "./system-space.js";
export type { SystemSpaceLayout, SystemRange } from "./system-space.js";
export { Pool } from "./pool.js";
export type { PoolBlock, PoolTagStats } from "./pool.js";

// ---- Kernel-mode routines (wdm.h names) ----
export * from "./api-ke.js";
export * from "./api-ex.js";
export * from "./api-rtl.js";
export * from "./api-ps-ob.js";
export * from "./api-mm.js";
export { KINTERRUPT, KINTERRUPT_MODE, LevelSensitive, Latched, INTERFACE_TYPE, HalGetInterruptVector, KeSynchronizeExecution, InterruptController, interruptController, interruptIrqlForLevel, interruptVectorForLevel } from "./interrupt-object.js";
export type { KSERVICE_ROUTINE, KSYNCHRONIZE_ROUTINE, InterruptSource } from "./interrupt-object.js";

// ---- APCs and kernel queues ----
export * from "./api-apc.js";
export * from "./api-queue.js";
export type { QueueRemoval } from "./queue.js";
