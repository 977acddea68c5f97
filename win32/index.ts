/**
 * `irpsim/win32`: the user-mode API an app imports, named as in windows.h.
 */

// ---- Errors ----
export * from "./errors.js";
export { GetLastError, SetLastError } from "./last-error.js";

// ---- Memory ----
export * from "./memory.js";
export { PageProtection, PAGE_NOACCESS, PAGE_READONLY, PAGE_READWRITE, PAGE_WRITECOPY, PAGE_EXECUTE, PAGE_EXECUTE_READ, PAGE_EXECUTE_READWRITE, PAGE_EXECUTE_WRITECOPY, PAGE_GUARD, PAGE_NOCACHE, PAGE_WRITECOMBINE } from "../kernel/pte.js";
export { MemoryType, MEM_COMMIT, MEM_RESERVE, MEM_DECOMMIT, MEM_RELEASE, MEM_FREE, MEM_PRIVATE, MEM_MAPPED, MEM_RESET, MEM_TOP_DOWN } from "../kernel/memory-constants.js";
export { readU8, readU16, readU32, readI32, writeU8, writeU16, writeU32, readBytes, writeBytes, readAnsiString, writeAnsiString, readWideString, writeWideString } from "../kernel/api-rtl.js";

// ---- Synchronization ----
export * from "./sync.js";
export { SYNCHRONIZE, EVENT_MODIFY_STATE, EVENT_ALL_ACCESS, PROCESS_TERMINATE, PROCESS_ALL_ACCESS, THREAD_ALL_ACCESS } from "../kernel/sync-objects.js";

// ---- Processes and threads ----
export * from "./process.js";
