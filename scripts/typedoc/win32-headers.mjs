// @ts-check
// Which Windows SDK header declares each Win32 name irpsim/win32 exports, so the reference groups
// them as Microsoft's documentation does. A name is looked up in order: by itself (NAMES), by its
// prefix (PREFIXES), then by the file it is defined in (FILES, the header most of that file's
// names come from). A name none of these places fails the docs build with a message saying to add it here.

/** Names whose header is not their file's. */
const NAMES = {
  "fileapi.h": ["CreateFile", "ReadFile", "WriteFile", "ReadFileEx", "WriteFileEx", "GetFileSize", "SetFilePointer", "FlushFileBuffers", "OPEN_EXISTING", "CREATE_NEW", "CREATE_ALWAYS", "OPEN_ALWAYS", "TRUNCATE_EXISTING"],
  "ioapiset.h": ["DeviceIoControl", "GetOverlappedResult", "GetOverlappedResultEx", "CancelIo", "CancelIoEx", "CancelSynchronousIo", "CreateIoCompletionPort", "GetQueuedCompletionStatus", "GetQueuedCompletionStatusEx", "PostQueuedCompletionStatus"],
  "handleapi.h": ["CloseHandle", "DuplicateHandle", "INVALID_HANDLE_VALUE", "GetHandleInformation", "SetHandleInformation"],
  "synchapi.h": ["CreateEvent", "OpenEvent", "SetEvent", "ResetEvent", "PulseEvent", "CreateSemaphore", "ReleaseSemaphore", "CreateMutex", "ReleaseMutex", "WaitForSingleObject", "WaitForSingleObjectEx", "WaitForMultipleObjects", "WaitForMultipleObjectsEx", "Sleep", "SleepEx"],
  "winbase.h": ["INFINITE", "WAIT_OBJECT_0", "WAIT_ABANDONED_0", "WAIT_IO_COMPLETION", "WAIT_FAILED", "STILL_ACTIVE", "FILE_FLAG_OVERLAPPED", "HasOverlappedIoCompleted", "SetFileCompletionNotificationModes", "ZeroMemory", "SecureZeroMemory", "FillMemory", "CopyMemory", "MoveMemory", "lstrlen", "lstrlenA", "lstrlenW", "lstrcpy", "lstrcpyA", "lstrcpyW", "lstrcat", "lstrcatA", "lstrcatW"],
  "winerror.h": ["WAIT_TIMEOUT", "Win32Error", "S_OK"],
  "memoryapi.h": ["VirtualAlloc", "VirtualAllocEx", "VirtualFree", "VirtualFreeEx", "VirtualProtect", "VirtualProtectEx", "VirtualQuery", "VirtualQueryEx"],
  "heapapi.h": ["GetProcessHeap", "HeapAlloc", "HeapFree", "HeapCreate", "HeapDestroy"],
  "processthreadsapi.h": ["SwitchToThread", "GetCurrentProcess", "GetCurrentThread", "GetCurrentProcessId", "GetCurrentThreadId", "CreateThread", "ExitThread", "ExitProcess", "TerminateProcess", "TerminateThread", "GetExitCodeProcess", "GetExitCodeThread", "QueueUserAPC", "OpenProcess", "OpenThread"],
  "minwinbase.h": ["OVERLAPPED", "LPOVERLAPPED", "OVERLAPPED_ENTRY", "LPOVERLAPPED_COMPLETION_ROUTINE", "LPTHREAD_START_ROUTINE"],
  "errhandlingapi.h": ["GetLastError", "SetLastError"],
  "debugapi.h": ["OutputDebugString"],
  "winternl.h": ["RtlNtStatusToDosError"],
  "winioctl.h": ["CTL_CODE", "FILE_ANY_ACCESS", "FILE_SPECIAL_ACCESS", "FILE_READ_ACCESS", "FILE_WRITE_ACCESS"],
  "winnt.h": ["FIELD_OFFSET", "LARGE_INTEGER", "SYNCHRONIZE", "FILE_READ_DATA", "FILE_WRITE_DATA", "HEAP_ZERO_MEMORY", "PAPCFUNC", "PageProtection", "MemoryType", "MEMORY_BASIC_INFORMATION"],
  "winuser.h": ["wsprintf", "wsprintfA", "wsprintfW"],
  "sysinfoapi.h": ["GetTickCount", "GetTickCount64", "GetSystemTimeAsFileTime"],
  "profileapi.h": ["QueryPerformanceCounter", "QueryPerformanceFrequency"],
  "irpsim: structures over memory (C struct, union, array, sizeof)": ["CSTRUCT", "CUNION", "ARRAY", "sizeof", "CType", "CStruct", "CStructView"],
  "irpsim: memory access (a C pointer dereference) and structure sizes": ["readU64", "readI64", "writeU64", "writeI64", "readU8", "readU16", "readU32", "readI32", "writeU8", "writeU16", "writeU32", "readBytes", "writeBytes", "readAnsiString", "writeAnsiString", "readWideString", "writeWideString", "overlappedAddress", "readMemoryBasicInformation", "win32ErrorName", "SIZEOF_OVERLAPPED", "SIZEOF_OVERLAPPED_ENTRY", "SIZEOF_MEMORY_BASIC_INFORMATION"],
};

/** Constant families by prefix. */
const PREFIXES = [
  ["ERROR_", "winerror.h"],
  ["METHOD_", "winioctl.h"],
  ["FILE_DEVICE_", "winioctl.h"],
  ["GENERIC_", "winnt.h"],
  ["FILE_SHARE_", "winnt.h"],
  ["FILE_ATTRIBUTE_", "winnt.h"],
  ["PAGE_", "winnt.h"],
  ["MEM_", "winnt.h"],
  ["EVENT_", "winnt.h"],
  ["PROCESS_", "winnt.h"],
  ["THREAD_", "winnt.h"],
  ["DUPLICATE_", "winnt.h"],
  ["IO_COMPLETION_", "winnt.h"],
  ["FILE_SKIP_", "winbase.h"],
  ["StringCb", "strsafe.h"],
  ["StringCch", "strsafe.h"],
  ["STRSAFE_", "strsafe.h"],
  ["SECTION_", "winnt.h"],
  ["SEC_", "winnt.h"],
  // The registry's value types, key rights and create options (winnt.h).
  ["REG_", "winnt.h"],
  ["KEY_", "winnt.h"],
];

/** The header most names of a win32/ file come from. */
const FILES = {
  "win32/file.ts": "fileapi.h",
  "win32/sync.ts": "synchapi.h",
  "win32/memory.ts": "memoryapi.h",
  "win32/heap.ts": "heapapi.h",
  "win32/process.ts": "processthreadsapi.h",
  "win32/iocp.ts": "ioapiset.h",
  "win32/cancel.ts": "ioapiset.h",
  "win32/apc.ts": "processthreadsapi.h",
  "win32/overlapped.ts": "minwinbase.h",
  "win32/errors.ts": "winerror.h",
  "win32/last-error.ts": "errhandlingapi.h",
  "win32/devices.ts": "cfgmgr32.h",
  "win32/file-mapping.ts": "memoryapi.h",
  "win32/registry.ts": "winreg.h",
  // The C data types (BYTE, DWORD, ULONG, ULONG_PTR…) as structure field types.
  "kernel/c-struct.ts": "Data types (windef.h, winnt.h, basetsd.h)",
};

const byName = new Map(Object.entries(NAMES).flatMap(([header, names]) => names.map((n) => [n, header])));

/**
 * The header that declares a Win32 name, or undefined when nothing here says.
 *
 * @param {string} name the exported name.
 * @param {string} file the source file it is defined in, relative to the repository root.
 * @returns {string | undefined}
 */
export function win32HeaderOf(name, file) {
  return byName.get(name) ?? PREFIXES.find(([p]) => name.startsWith(p))?.[1] ?? FILES[/** @type {keyof typeof FILES} */ (file)];
}
