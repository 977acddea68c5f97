/**
 * Bug check codes the emulator raises, with their symbolic names and the documented meaning of
 * their four parameters (from the Windows bug check reference).
 */

/** A bug check's name and the meaning of its parameters. */
export interface BugCheckInfo {
  readonly name: string;
  readonly parameters: readonly [string, string, string, string];
}

/** Bug check codes by symbolic name. */
export const BugCheckCode = {
  SPIN_LOCK_ALREADY_OWNED: 0x0f,
  SPIN_LOCK_NOT_OWNED: 0x10,
  IRQL_NOT_GREATER_OR_EQUAL: 0x09,
  IRQL_NOT_LESS_OR_EQUAL: 0x0a,
  NO_MORE_SYSTEM_PTES: 0x3f,
  MUST_SUCCEED_POOL_EMPTY: 0x41,
  KMODE_EXCEPTION_NOT_HANDLED: 0x1e,
  REFERENCE_BY_POINTER: 0x18,
  NO_MORE_IRP_STACK_LOCATIONS: 0x35,
  CANCEL_STATE_IN_COMPLETED_IRP: 0x48,
  ATTEMPTED_WRITE_TO_READONLY_MEMORY: 0xbe,
  IRQL_UNEXPECTED_VALUE: 0xc8,
  MULTIPLE_IRP_COMPLETE_REQUESTS: 0x44,
  PFN_LIST_CORRUPT: 0x4e,
  PAGE_FAULT_IN_NONPAGED_AREA: 0x50,
  PROCESS_HAS_LOCKED_PAGES: 0x76,
  SYSTEM_THREAD_EXCEPTION_NOT_HANDLED: 0x7e,
  KERNEL_MODE_EXCEPTION_NOT_HANDLED: 0x8e,
  ATTEMPTED_SWITCH_FROM_DPC: 0xb8,
  BAD_POOL_CALLER: 0xc2,
  DRIVER_VERIFIER_DETECTED_VIOLATION: 0xc4,
  TIMER_OR_DPC_INVALID: 0xc7,
  DRIVER_VERIFIER_IOMANAGER_VIOLATION: 0xc9,
  DRIVER_LEFT_LOCKED_PAGES_IN_PROCESS: 0xcb,
  DRIVER_UNLOADED_WITHOUT_CANCELLING_PENDING_OPERATIONS: 0xce,
  DRIVER_IRQL_NOT_LESS_OR_EQUAL: 0xd1,
  SPECIAL_POOL_DETECTED_MEMORY_CORRUPTION: 0xc1,
  DRIVER_PAGE_FAULT_IN_FREED_SPECIAL_POOL: 0xd5,
  DRIVER_PAGE_FAULT_BEYOND_END_OF_ALLOCATION: 0xd6,
  INVALID_PROCESS_ATTACH_ATTEMPT: 0x05,
  MANUALLY_INITIATED_CRASH: 0xe2,
  THREAD_STUCK_IN_DEVICE_DRIVER: 0xea,
  DRIVER_RETURNED_HOLDING_CANCEL_LOCK: 0x11b,
  CRITICAL_PROCESS_DIED: 0xef,
  DPC_WATCHDOG_VIOLATION: 0x133,

  // ---- KMDF (wdf/) ----
  WDF_VIOLATION: 0x10d,
} as const;

/** A bug check's symbolic name. */
export type BugCheckName = keyof typeof BugCheckCode;

const info: Record<number, BugCheckInfo> = {
  0x05: {
    name: "INVALID_PROCESS_ATTACH_ATTEMPT",
    parameters: ["Pointer to the process being attached to", "Pointer to the currently attached process", "Attach state", "Reserved"],
  },
  0x09: {
    name: "IRQL_NOT_GREATER_OR_EQUAL",
    parameters: ["Current IRQL", "Requested (lower) IRQL", "Reserved", "Reserved"],
  },
  0x0a: {
    name: "IRQL_NOT_LESS_OR_EQUAL",
    parameters: ["Memory referenced", "IRQL at time of reference", "0: read, 1: write", "Address that referenced the memory"],
  },
  0x0f: {
    name: "SPIN_LOCK_ALREADY_OWNED",
    parameters: ["Address of the spin lock", "Reserved", "Reserved", "Reserved"],
  },
  0x10: {
    name: "SPIN_LOCK_NOT_OWNED",
    parameters: ["Address of the spin lock", "Reserved", "Reserved", "Reserved"],
  },
  0x18: {
    name: "REFERENCE_BY_POINTER",
    parameters: ["Object type of the object whose reference count is being lowered", "Object whose reference count is being lowered", "Reserved (handle count)", "Reserved (pointer count)"],
  },
  0x35: {
    name: "NO_MORE_IRP_STACK_LOCATIONS",
    parameters: ["Address of the IRP", "Reserved", "Reserved", "Reserved"],
  },
  0x48: {
    name: "CANCEL_STATE_IN_COMPLETED_IRP",
    parameters: ["Pointer to the IRP", "Cancel routine set by the driver", "Reserved", "Reserved"],
  },
  0xbe: {
    name: "ATTEMPTED_WRITE_TO_READONLY_MEMORY",
    parameters: ["Virtual address of the attempted write", "PTE contents", "Reserved", "Reserved"],
  },
  0xc8: {
    name: "IRQL_UNEXPECTED_VALUE",
    parameters: ["IRQL value (in context)", "Expected IRQL", "Reserved", "Reserved"],
  },
  0x1e: {
    name: "KMODE_EXCEPTION_NOT_HANDLED",
    parameters: ["Exception code that was not handled", "Address where the exception occurred", "Exception parameter 0", "Exception parameter 1"],
  },
  0x3f: {
    name: "NO_MORE_SYSTEM_PTES",
    parameters: ["PTE type: 0 system expansion, 1 nonpaged pool expansion", "Requested size", "Total free system PTEs", "Total system PTEs"],
  },
  0x41: {
    name: "MUST_SUCCEED_POOL_EMPTY",
    parameters: ["Size of the request that could not be satisfied", "Number of pages used from nonpaged pool", "Number of requests from nonpaged pool larger than PAGE_SIZE", "Number of pages available"],
  },
  0x44: {
    name: "MULTIPLE_IRP_COMPLETE_REQUESTS",
    parameters: ["Address of the IRP", "Reserved", "Reserved", "Reserved"],
  },
  0x4e: {
    name: "PFN_LIST_CORRUPT",
    parameters: ["0x07: a page was freed or unlocked whose reference count was already zero", "Page frame number", "Current share count", "0"],
  },
  0x50: {
    name: "PAGE_FAULT_IN_NONPAGED_AREA",
    parameters: ["Memory address referenced", "0: read, 1: write, 10: execute", "Address that referenced the memory (if known)", "Type of page fault"],
  },
  0x76: {
    name: "PROCESS_HAS_LOCKED_PAGES",
    parameters: ["0x0: locked bytes remain; 0x1: MDL being unlocked twice; 0x2/0x3: corrupt MDL", "Pointer to the process object", "Number of locked pages", "Pointer to driver stacks (0 if none)"],
  },
  0x7e: {
    name: "SYSTEM_THREAD_EXCEPTION_NOT_HANDLED",
    parameters: ["Exception code that was not handled", "Address where the exception occurred", "Exception record address", "Context record address"],
  },
  0x8e: {
    name: "KERNEL_MODE_EXCEPTION_NOT_HANDLED",
    parameters: ["Exception code that was not handled", "Address where the exception occurred", "Trap frame", "Reserved"],
  },
  0xb8: {
    name: "ATTEMPTED_SWITCH_FROM_DPC",
    parameters: ["Original thread causing the failure", "New thread", "Stack address of the original thread", "Reserved"],
  },
  0xc1: {
    name: "SPECIAL_POOL_DETECTED_MEMORY_CORRUPTION",
    parameters: ["Address the driver tried to free (0x30/0x31: current IRQL)", "0x23/0x24/0x32: address where bits are corrupted; 0x21/0x22: bytes requested", "0x21/0x22: bytes calculated (given to the caller); otherwise reserved", "Violation type: 0x20 not allocated, 0x21/0x22 bad address, 0x23 corruption before the block, 0x24 after its end, 0x32 single-bit error"],
  },
  0xc2: {
    name: "BAD_POOL_CALLER",
    parameters: ["Violation type (0x07: block already freed; 0x0A: wrong tag; 0x42/0x43: address not from the pool)", "Pool type or address", "Address of the block or tag", "Tag or 0"],
  },
  0xc4: {
    name: "DRIVER_VERIFIER_DETECTED_VIOLATION",
    parameters: ["Subclass of the violation", "Depends on the subclass", "Depends on the subclass", "Depends on the subclass"],
  },
  0xc7: {
    name: "TIMER_OR_DPC_INVALID",
    parameters: ["0x0: timer object; 0x1: DPC object; 0x2: DPC routine", "Address of the object", "Start of the memory range being checked", "End of the memory range being checked"],
  },
  0xc9: {
    name: "DRIVER_VERIFIER_IOMANAGER_VIOLATION",
    parameters: ["Code that specifies the violation", "Depends on the code", "Depends on the code", "Depends on the code"],
  },
  0xcb: {
    name: "DRIVER_LEFT_LOCKED_PAGES_IN_PROCESS",
    parameters: ["Calling address in the driver that locked the pages", "Caller of the calling address", "Pointer to the MDL containing the locked pages", "Pointer to the guilty driver's name"],
  },
  0xce: {
    name: "DRIVER_UNLOADED_WITHOUT_CANCELLING_PENDING_OPERATIONS",
    parameters: ["Memory address referenced", "0: read, 1: write", "Address that referenced memory", "Reserved"],
  },
  0xd1: {
    name: "DRIVER_IRQL_NOT_LESS_OR_EQUAL",
    parameters: ["Memory referenced", "IRQL at time of reference", "0: read, 1: write, 8: execute", "Address that referenced memory"],
  },
  0xd5: {
    name: "DRIVER_PAGE_FAULT_IN_FREED_SPECIAL_POOL",
    parameters: ["Memory address referenced", "0: read, 1: write", "Address that referenced memory (if known)", "Reserved"],
  },
  0xd6: {
    name: "DRIVER_PAGE_FAULT_BEYOND_END_OF_ALLOCATION",
    parameters: ["Memory address referenced", "0: read, 1: write", "Address that referenced memory (if known)", "Reserved"],
  },
  0xe2: {
    name: "MANUALLY_INITIATED_CRASH",
    parameters: ["Reserved", "Reserved", "Reserved", "Reserved"],
  },
  0xea: {
    name: "THREAD_STUCK_IN_DEVICE_DRIVER",
    parameters: ["Pointer to the stuck thread object", "Pointer to the DEFERRED_WATCHDOG object", "Pointer to the offending driver name", "Number of times the stuck thread was intercepted"],
  },
  0xef: {
    name: "CRITICAL_PROCESS_DIED",
    parameters: ["Process object", "Reserved", "Reserved", "Reserved"],
  },
  0x133: {
    name: "DPC_WATCHDOG_VIOLATION",
    parameters: ["0: one DPC routine ran past its allotment; 1: too long at DISPATCH_LEVEL in total", "Clock ticks the DPC ran", "Clock ticks a DPC is allowed", "Reserved"],
  },
  // ---- KMDF (wdf/) ----
  0x10d: {
    name: "WDF_VIOLATION",
    parameters: ["The framework's error code (WDF_BUGCHECK_CODES: 0x2 recursive lock, 0x3 verifier fatal error, 0x4 required parameter NULL, 0x5 invalid handle, 0x6 request fatal error, 0x7 object error, 0xA queue fatal error, 0xB invalid lock operation, 0xE IRQL mismatch)", "Depends on parameter 1 (usually the handle involved)", "Depends on parameter 1", "Reserved"],
  },
  0x11b: {
    name: "DRIVER_RETURNED_HOLDING_CANCEL_LOCK",
    parameters: ["Address of the cancelled IRP", "Address of the cancel routine", "Reserved", "Reserved"],
  },
};

/** The name and parameter meanings of a bug check code (a generic entry for unknown codes). */
export function bugCheckInfo(code: number): BugCheckInfo {
  return (
    info[code] ?? {
      name: `BUGCHECK_0x${code.toString(16).toUpperCase()}`,
      parameters: ["Parameter 1", "Parameter 2", "Parameter 3", "Parameter 4"],
    }
  );
}

// ---- Bug checks of work items, waits and executive resources (added with those routines) ----

/** Bug check codes raised by the work-item, wait and resource routines. */
export const SyncBugCheckCode = {
  APC_INDEX_MISMATCH: 0x01,
  MAXIMUM_WAIT_OBJECTS_EXCEEDED: 0x0c,
  RESOURCE_NOT_OWNED: 0xe3,
  WORKER_INVALID: 0xe4,
} as const;

Object.assign(info, {
  0x01: {
    name: "APC_INDEX_MISMATCH",
    parameters: ["Address of the system function (system call or worker routine)", "Thread's APC state index", "Thread's KernelApcDisable (critical region count): non-zero means a KeEnterCriticalRegion was not matched", "Call type: 0 user-mode system call, 1 worker routine"],
  },
  0x0c: {
    name: "MAXIMUM_WAIT_OBJECTS_EXCEEDED",
    parameters: ["Reserved", "Reserved", "Reserved", "Reserved"],
  },
  0xe3: {
    name: "RESOURCE_NOT_OWNED",
    parameters: ["Address of the resource", "Address of the thread", "Address of the owner table, if any", "Reserved"],
  },
  0xe4: {
    name: "WORKER_INVALID",
    parameters: ["Code position: 0 active work item freed, 1 active work item queued, 2 queued I/O work item freed, 3 I/O work item initialised with an invalid object, 6 invalid queue type, 7 invalid worker routine", "Address of the work item", "Depends on the code (pool block start, queue number, worker routine, object)", "Depends on the code (pool block end or 0)"],
  },
} satisfies Record<number, BugCheckInfo>);

// ---- Bug checks of sections and views (memshare) ----

/** Bug check codes raised by the section and view routines. */
export const SectionBugCheckCode = {
  DRIVER_UNMAPPING_INVALID_VIEW: 0xd7,
  SYSTEM_PTE_MISUSE: 0xda,
} as const;

Object.assign(info, {
  0xd7: {
    name: "DRIVER_UNMAPPING_INVALID_VIEW",
    parameters: ["Virtual address to unmap", "1: the view is being unmapped; 2: the view is being committed", "0", "0"],
  },
  0xda: {
    name: "SYSTEM_PTE_MISUSE",
    parameters: ["Type of error (0x02: wrong number of PTEs freed; 0x101: freeing PTEs the caller does not own)", "Depends on the type (the address)", "Depends on the type", "Depends on the type"],
  },
} satisfies Record<number, BugCheckInfo>);
