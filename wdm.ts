/**
 * `irpsim/wdm`: the kernel-mode API a driver imports, named as in wdm.h.
 */

// ---- Status values and exceptions ----
export * from "./kernel/status.js";
export { NtStatusError, ExRaiseStatus } from "./kernel/nt-status-error.js";
export { BugCheckCode } from "./kernel/bugcheck-codes.js";

// ---- IRQL, modes, lists ----
export * from "./kernel/irql.js";
export { LIST_ENTRY, InitializeListHead, IsListEmpty, InsertTailList, InsertHeadList, RemoveEntryList, RemoveHeadList, RemoveTailList, CONTAINING_RECORD } from "./kernel/list-entry.js";

// ---- Ke: spin locks, dispatcher objects, waits, timers, DPCs, time ----
export * from "./kernel/api-ke.js";
export { EVENT_TYPE, TIMER_TYPE } from "./kernel/dispatcher.js";

// ---- Ex, Rtl, Ps, Ob ----
export * from "./kernel/api-ex.js";
export * from "./kernel/api-rtl.js";
export * from "./kernel/api-ps-ob.js";
export { KProcess as EPROCESS } from "./kernel/process.js";
export { KThread as ETHREAD } from "./kernel/thread.js";
export { PAGE_SIZE, PAGE_SHIFT } from "./kernel/physical-memory.js";
export { MM_USER_PROBE_ADDRESS, MM_SYSTEM_RANGE_START, MM_HIGHEST_USER_ADDRESS } from "./kernel/memory-constants.js";
