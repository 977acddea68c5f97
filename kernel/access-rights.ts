/**
 * Access rights (winnt.h / wdm.h): the standard and generic rights every object type shares, and
 * the specific rights of the object types drivers open by handle (events, semaphores, mutants,
 * processes, threads, timers). ObReferenceObjectByHandle compares a UserMode caller's granted
 * access against these; a generic right is mapped to the type's specific rights when a handle is
 * made (see {@link mapGenericAccess}).
 */

// ---- Standard rights ------------------------------------------------------------------------
export const DELETE = 0x00010000;
export const READ_CONTROL = 0x00020000;
export const WRITE_DAC = 0x00040000;
export const WRITE_OWNER = 0x00080000;
export const SYNCHRONIZE = 0x00100000;
export const STANDARD_RIGHTS_REQUIRED = 0x000f0000;
export const STANDARD_RIGHTS_READ = READ_CONTROL;
export const STANDARD_RIGHTS_WRITE = READ_CONTROL;
export const STANDARD_RIGHTS_EXECUTE = READ_CONTROL;
export const STANDARD_RIGHTS_ALL = 0x001f0000;
export const SPECIFIC_RIGHTS_ALL = 0x0000ffff;
export const ACCESS_SYSTEM_SECURITY = 0x01000000;
export const MAXIMUM_ALLOWED = 0x02000000;

// ---- Generic rights -------------------------------------------------------------------------
export const GENERIC_READ = 0x80000000;
export const GENERIC_WRITE = 0x40000000;
export const GENERIC_EXECUTE = 0x20000000;
export const GENERIC_ALL = 0x10000000;

// ---- Events -----------------------------------------------------------------------------------
export const EVENT_QUERY_STATE = 0x0001;
export const EVENT_MODIFY_STATE = 0x0002;
export const EVENT_ALL_ACCESS = 0x001f0003;

// ---- Semaphores and mutants -------------------------------------------------------------------
export const SEMAPHORE_QUERY_STATE = 0x0001;
export const SEMAPHORE_MODIFY_STATE = 0x0002;
export const SEMAPHORE_ALL_ACCESS = 0x001f0003;
export const MUTANT_QUERY_STATE = 0x0001;
export const MUTANT_ALL_ACCESS = 0x001f0001;

// ---- Timers -----------------------------------------------------------------------------------
export const TIMER_QUERY_STATE = 0x0001;
export const TIMER_MODIFY_STATE = 0x0002;
export const TIMER_ALL_ACCESS = 0x001f0003;

// ---- Processes --------------------------------------------------------------------------------
export const PROCESS_TERMINATE = 0x0001;
export const PROCESS_CREATE_THREAD = 0x0002;
export const PROCESS_SET_SESSIONID = 0x0004;
export const PROCESS_VM_OPERATION = 0x0008;
export const PROCESS_VM_READ = 0x0010;
export const PROCESS_VM_WRITE = 0x0020;
export const PROCESS_DUP_HANDLE = 0x0040;
export const PROCESS_CREATE_PROCESS = 0x0080;
export const PROCESS_SET_QUOTA = 0x0100;
export const PROCESS_SET_INFORMATION = 0x0200;
export const PROCESS_QUERY_INFORMATION = 0x0400;
export const PROCESS_SUSPEND_RESUME = 0x0800;
export const PROCESS_QUERY_LIMITED_INFORMATION = 0x1000;
export const PROCESS_ALL_ACCESS = 0x001fffff;

// ---- Threads ----------------------------------------------------------------------------------
export const THREAD_TERMINATE = 0x0001;
export const THREAD_SUSPEND_RESUME = 0x0002;
export const THREAD_GET_CONTEXT = 0x0008;
export const THREAD_SET_CONTEXT = 0x0010;
export const THREAD_SET_INFORMATION = 0x0020;
export const THREAD_QUERY_INFORMATION = 0x0040;
export const THREAD_SET_THREAD_TOKEN = 0x0080;
export const THREAD_IMPERSONATE = 0x0100;
export const THREAD_DIRECT_IMPERSONATION = 0x0200;
export const THREAD_SET_LIMITED_INFORMATION = 0x0400;
export const THREAD_QUERY_LIMITED_INFORMATION = 0x0800;
export const THREAD_ALL_ACCESS = 0x001fffff;

/** GENERIC_MAPPING: how an object type maps the four generic rights to its specific rights. */
export interface GENERIC_MAPPING {
  readonly GenericRead: number;
  readonly GenericWrite: number;
  readonly GenericExecute: number;
  readonly GenericAll: number;
}

/** The generic mapping of event objects (ExEventObjectType). */
export const EventGenericMapping: GENERIC_MAPPING = {
  GenericRead: STANDARD_RIGHTS_READ | EVENT_QUERY_STATE,
  GenericWrite: STANDARD_RIGHTS_WRITE | EVENT_MODIFY_STATE,
  GenericExecute: STANDARD_RIGHTS_EXECUTE | SYNCHRONIZE,
  GenericAll: EVENT_ALL_ACCESS,
};

/**
 * RtlMapGenericMask: replaces GENERIC_READ/WRITE/EXECUTE/ALL in `access` with the rights the
 * mapping gives them (MAXIMUM_ALLOWED is left for the caller to resolve).
 */
export function mapGenericAccess(access: number, mapping: GENERIC_MAPPING): number {
  let a = access >>> 0;
  if (a & GENERIC_READ) a |= mapping.GenericRead;
  if (a & GENERIC_WRITE) a |= mapping.GenericWrite;
  if (a & GENERIC_EXECUTE) a |= mapping.GenericExecute;
  if (a & GENERIC_ALL) a |= mapping.GenericAll;
  return (a & ~(GENERIC_READ | GENERIC_WRITE | GENERIC_EXECUTE | GENERIC_ALL)) >>> 0;
}
