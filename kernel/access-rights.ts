/**
 * Access rights (winnt.h / wdm.h): the standard and generic rights every object type shares, and
 * the specific rights of the object types drivers open by handle (events, semaphores, mutants,
 * processes, threads, timers). ObReferenceObjectByHandle compares a UserMode caller's granted
 * access against these; a generic right is mapped to the type's specific rights when a handle is
 * made (see {@link mapGenericAccess}).
 */

// ---- Standard rights ------------------------------------------------------------------------
/** DELETE: the right to delete the object. */
export const DELETE = 0x00010000;
/** READ_CONTROL: the right to read the object's security descriptor (owner, DACL). */
export const READ_CONTROL = 0x00020000;
/** WRITE_DAC: the right to change the object's discretionary access control list. */
export const WRITE_DAC = 0x00040000;
/** WRITE_OWNER: the right to change the object's owner. */
export const WRITE_OWNER = 0x00080000;
/** SYNCHRONIZE: the right to wait on the object (KeWaitForSingleObject, WaitForSingleObject). */
export const SYNCHRONIZE = 0x00100000;
/** STANDARD_RIGHTS_REQUIRED: DELETE, READ_CONTROL, WRITE_DAC and WRITE_OWNER together. */
export const STANDARD_RIGHTS_REQUIRED = 0x000f0000;
/** STANDARD_RIGHTS_READ: the standard rights a read needs (READ_CONTROL). */
export const STANDARD_RIGHTS_READ = READ_CONTROL;
/** STANDARD_RIGHTS_WRITE: the standard rights a write needs (READ_CONTROL). */
export const STANDARD_RIGHTS_WRITE = READ_CONTROL;
/** STANDARD_RIGHTS_EXECUTE: the standard rights an execute needs (READ_CONTROL). */
export const STANDARD_RIGHTS_EXECUTE = READ_CONTROL;
/** STANDARD_RIGHTS_ALL: every standard right, SYNCHRONIZE included. */
export const STANDARD_RIGHTS_ALL = 0x001f0000;
/** SPECIFIC_RIGHTS_ALL: the low 16 bits, where each object type puts its own rights. */
export const SPECIFIC_RIGHTS_ALL = 0x0000ffff;
/** ACCESS_SYSTEM_SECURITY: the right to the object's system access control list. */
export const ACCESS_SYSTEM_SECURITY = 0x01000000;
/** MAXIMUM_ALLOWED: ask for every right the caller may have instead of naming them. */
export const MAXIMUM_ALLOWED = 0x02000000;

// ---- Generic rights -------------------------------------------------------------------------
/** GENERIC_READ: read access, mapped to each object type's read rights by its GENERIC_MAPPING. */
export const GENERIC_READ = 0x80000000;
/** GENERIC_WRITE: write access, mapped to each object type's write rights by its GENERIC_MAPPING. */
export const GENERIC_WRITE = 0x40000000;
/** GENERIC_EXECUTE: execute access, mapped to each object type's execute rights by its GENERIC_MAPPING. */
export const GENERIC_EXECUTE = 0x20000000;
/** GENERIC_ALL: every right the object type has, by its GENERIC_MAPPING. */
export const GENERIC_ALL = 0x10000000;

// ---- Events -----------------------------------------------------------------------------------
/** EVENT_QUERY_STATE: the right to read an event's state. */
export const EVENT_QUERY_STATE = 0x0001;
/** EVENT_MODIFY_STATE: the right to set, reset or pulse an event. */
export const EVENT_MODIFY_STATE = 0x0002;
/** EVENT_ALL_ACCESS: every right to an event. */
export const EVENT_ALL_ACCESS = 0x001f0003;

// ---- Semaphores and mutants -------------------------------------------------------------------
/** SEMAPHORE_QUERY_STATE: the right to read a semaphore's count. */
export const SEMAPHORE_QUERY_STATE = 0x0001;
/** SEMAPHORE_MODIFY_STATE: the right to release a semaphore. */
export const SEMAPHORE_MODIFY_STATE = 0x0002;
/** SEMAPHORE_ALL_ACCESS: every right to a semaphore. */
export const SEMAPHORE_ALL_ACCESS = 0x001f0003;
/** MUTANT_QUERY_STATE: the right to read a mutex's state. */
export const MUTANT_QUERY_STATE = 0x0001;
/** MUTANT_ALL_ACCESS: every right to a mutex (mutant). */
export const MUTANT_ALL_ACCESS = 0x001f0001;

// ---- Timers -----------------------------------------------------------------------------------
/** TIMER_QUERY_STATE: the right to read a timer's state. */
export const TIMER_QUERY_STATE = 0x0001;
/** TIMER_MODIFY_STATE: the right to set or cancel a timer. */
export const TIMER_MODIFY_STATE = 0x0002;
/** TIMER_ALL_ACCESS: every right to a timer. */
export const TIMER_ALL_ACCESS = 0x001f0003;

// ---- Processes --------------------------------------------------------------------------------
/** PROCESS_TERMINATE: the right to end the process (TerminateProcess, ZwTerminateProcess). */
export const PROCESS_TERMINATE = 0x0001;
/** PROCESS_CREATE_THREAD: the right to create a thread in the process. */
export const PROCESS_CREATE_THREAD = 0x0002;
/** PROCESS_SET_SESSIONID: the right to set the process's session id. */
export const PROCESS_SET_SESSIONID = 0x0004;
/** PROCESS_VM_OPERATION: the right to change the process's address space (VirtualAllocEx, VirtualProtectEx). */
export const PROCESS_VM_OPERATION = 0x0008;
/** PROCESS_VM_READ: the right to read the process's memory. */
export const PROCESS_VM_READ = 0x0010;
/** PROCESS_VM_WRITE: the right to write the process's memory. */
export const PROCESS_VM_WRITE = 0x0020;
/** PROCESS_DUP_HANDLE: the right to duplicate handles into or out of the process. */
export const PROCESS_DUP_HANDLE = 0x0040;
/** PROCESS_CREATE_PROCESS: the right to create a child process of it. */
export const PROCESS_CREATE_PROCESS = 0x0080;
/** PROCESS_SET_QUOTA: the right to set the process's quotas. */
export const PROCESS_SET_QUOTA = 0x0100;
/** PROCESS_SET_INFORMATION: the right to set information about the process. */
export const PROCESS_SET_INFORMATION = 0x0200;
/** PROCESS_QUERY_INFORMATION: the right to query the process (exit code, token…). */
export const PROCESS_QUERY_INFORMATION = 0x0400;
/** PROCESS_SUSPEND_RESUME: the right to suspend or resume the process. */
export const PROCESS_SUSPEND_RESUME = 0x0800;
/** PROCESS_QUERY_LIMITED_INFORMATION: the right to query a little of the process (its exit code, its image name). */
export const PROCESS_QUERY_LIMITED_INFORMATION = 0x1000;
/** PROCESS_ALL_ACCESS: every right to a process. */
export const PROCESS_ALL_ACCESS = 0x001fffff;

// ---- Threads ----------------------------------------------------------------------------------
/** THREAD_TERMINATE: the right to end the thread (TerminateThread). */
export const THREAD_TERMINATE = 0x0001;
/** THREAD_SUSPEND_RESUME: the right to suspend or resume the thread. */
export const THREAD_SUSPEND_RESUME = 0x0002;
/** THREAD_GET_CONTEXT: the right to read the thread's register context. */
export const THREAD_GET_CONTEXT = 0x0008;
/** THREAD_SET_CONTEXT: the right to set the thread's context, which QueueUserAPC needs. */
export const THREAD_SET_CONTEXT = 0x0010;
/** THREAD_SET_INFORMATION: the right to set information about the thread. */
export const THREAD_SET_INFORMATION = 0x0020;
/** THREAD_QUERY_INFORMATION: the right to query the thread (exit code, times…). */
export const THREAD_QUERY_INFORMATION = 0x0040;
/** THREAD_SET_THREAD_TOKEN: the right to set the thread's impersonation token. */
export const THREAD_SET_THREAD_TOKEN = 0x0080;
/** THREAD_IMPERSONATE: the right to make the thread impersonate. */
export const THREAD_IMPERSONATE = 0x0100;
/** THREAD_DIRECT_IMPERSONATION: the right to impersonate this thread's client. */
export const THREAD_DIRECT_IMPERSONATION = 0x0200;
/** THREAD_SET_LIMITED_INFORMATION: the right to set a little of the thread's information. */
export const THREAD_SET_LIMITED_INFORMATION = 0x0400;
/** THREAD_QUERY_LIMITED_INFORMATION: the right to query a little of the thread's information. */
export const THREAD_QUERY_LIMITED_INFORMATION = 0x0800;
/** THREAD_ALL_ACCESS: every right to a thread. */
export const THREAD_ALL_ACCESS = 0x001fffff;

/** GENERIC_MAPPING: how an object type maps the four generic rights to its specific rights. */
export interface GENERIC_MAPPING {
  /** The rights GENERIC_READ stands for. */
  readonly GenericRead: number;
  /** The rights GENERIC_WRITE stands for. */
  readonly GenericWrite: number;
  /** The rights GENERIC_EXECUTE stands for. */
  readonly GenericExecute: number;
  /** The rights GENERIC_ALL stands for. */
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
