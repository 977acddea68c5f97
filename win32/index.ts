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

// ---- Files, devices and overlapped I/O ----
import "./trace-events.js";
export * from "./file.js";
export * from "./overlapped.js";
export { CTL_CODE, METHOD_BUFFERED, METHOD_IN_DIRECT, METHOD_OUT_DIRECT, METHOD_NEITHER, FILE_ANY_ACCESS, FILE_READ_ACCESS, FILE_WRITE_ACCESS, FILE_DEVICE_UNKNOWN, GENERIC_READ, GENERIC_WRITE, GENERIC_EXECUTE, GENERIC_ALL, FILE_READ_DATA, FILE_WRITE_DATA, OPEN_EXISTING, CREATE_NEW, CREATE_ALWAYS, OPEN_ALWAYS, TRUNCATE_EXISTING, FILE_SHARE_READ, FILE_SHARE_WRITE, FILE_SHARE_DELETE, FILE_ATTRIBUTE_NORMAL, FILE_FLAG_OVERLAPPED } from "../io-manager/constants.js";
export { OutputDebugString } from "../kernel/debug-print.js";
export * from "./cancel.js";

// ---- I/O completion ports and user APCs ----
export * from "./iocp.js";
export * from "./apc.js";
export { THREAD_SET_CONTEXT } from "../kernel/sync-objects.js";

// ---- Memory and string helpers: ZeroMemory, lstrlen, strsafe, wsprintf (wdm-io) ----
export * from "./strings.js";
export { CSTRUCT, CUNION, ARRAY, sizeof, FIELD_OFFSET, LARGE_INTEGER, readU64, readI64, writeU64, writeI64, UCHAR, CHAR, BYTE, BOOLEAN, USHORT, SHORT, WORD, WCHAR, ULONG, LONG, DWORD, UINT, INT, BOOL, ULONG_PTR, SIZE_T, PVOID, HANDLE, ULONG64, LONG64, ULONGLONG, LONGLONG, DWORD64 } from "../kernel/c-struct.js";
export type { CType, CStruct, CStructView } from "../kernel/c-struct.js";
// ---- Time: tick count, performance counter, system time, yielding ----
export { GetTickCount, GetTickCount64, QueryPerformanceCounter, QueryPerformanceFrequency, GetSystemTimeAsFileTime, SwitchToThread } from "./time.js";

// ---- Devices by interface class (cfgmgr32) ----
export * from "./devices.js";

// ---- File mappings: shared memory backed by the paging file (memshare) ----
export * from "./file-mapping.js";

// ---- The registry (advapi32): Reg* functions and the predefined keys (registry) ----
export * from "./registry.js";
export { REG_NONE, REG_SZ, REG_EXPAND_SZ, REG_BINARY, REG_DWORD, REG_DWORD_LITTLE_ENDIAN, REG_DWORD_BIG_ENDIAN, REG_LINK, REG_MULTI_SZ, REG_QWORD, KEY_QUERY_VALUE, KEY_SET_VALUE, KEY_CREATE_SUB_KEY, KEY_ENUMERATE_SUB_KEYS, KEY_NOTIFY, KEY_CREATE_LINK, KEY_WOW64_64KEY, KEY_WOW64_32KEY, KEY_READ, KEY_WRITE, KEY_EXECUTE, KEY_ALL_ACCESS } from "../kernel/registry.js";
export { REG_OPTION_NON_VOLATILE, REG_OPTION_VOLATILE, REG_CREATED_NEW_KEY, REG_OPENED_EXISTING_KEY } from "../kernel/reg-services.js";
