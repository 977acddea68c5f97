/**
 * `irpsim/ntdll`: the native API an app can call beneath kernel32, named as ntdll exports it.
 * Every function returns the NTSTATUS the system service gives, so a test can check it directly
 * (STATUS_PENDING from NtDeviceIoControlFile on an overlapped handle, the IO_STATUS_BLOCK it
 * later gets, STATUS_INVALID_HANDLE for a bad handle). irpsim/win32 calls through these.
 *
 * The layers: win32 (kernel32) → ntdll (the system-service stubs) → io-manager → kernel.
 */

// ---- Status values and their Win32 errors ----
export * from "../kernel/status.js";
export { RtlNtStatusToDosError } from "./dos-error.js";
export { NtStatusError } from "../kernel/nt-status-error.js";

// ---- Files and devices ----
export { NtCreateFile, NtOpenFile, NtDeviceIoControlFile, NtReadFile, NtWriteFile, NtCancelIoFile, NtCancelIoFileEx, NtCancelSynchronousIoFile, NtClose, NtQueryInformationFile } from "./file.js";
export type { CreateFileParameters } from "./file.js";
export { IO_STATUS_BLOCK } from "./types.js";
export type { PIO_APC_ROUTINE, POut, PLARGE_INTEGER } from "./types.js";
export * from "../io-manager/create-options.js";

// ---- Events and waits ----
export { NtCreateEvent, NtOpenEvent, NtSetEvent, NtResetEvent, NtClearEvent, NtPulseEvent, NtWaitForSingleObject, NtWaitForMultipleObjects, WaitAll, WaitAny } from "./sync.js";
export { NotificationEvent, SynchronizationEvent } from "../kernel/dispatcher.js";

// ---- I/O completion ports ----
export { NtCreateIoCompletion, NtSetIoCompletion, NtRemoveIoCompletion, NtRemoveIoCompletionEx, SIZEOF_FILE_IO_COMPLETION_INFORMATION } from "./completion.js";

// ---- Object attributes, counted strings, structures (ntdll's Rtl routines) ----
export { OBJECT_ATTRIBUTES, InitializeObjectAttributes, OBJ_INHERIT, OBJ_PERMANENT, OBJ_EXCLUSIVE, OBJ_CASE_INSENSITIVE, OBJ_OPENIF, OBJ_OPENLINK, OBJ_KERNEL_HANDLE, OBJ_FORCE_ACCESS_CHECK, OBJ_VALID_ATTRIBUTES } from "../kernel/object-attributes.js";
export { UNICODE_STRING, ANSI_STRING, RtlInitUnicodeString, RtlInitAnsiString, RtlInitString, RtlInitEmptyUnicodeString, RtlCopyUnicodeString, RtlCompareUnicodeString, RtlEqualUnicodeString, RtlAppendUnicodeToString, RtlAppendUnicodeStringToString, RtlUnicodeStringToAnsiString, RtlAnsiStringToUnicodeString, RtlFreeUnicodeString, RtlFreeAnsiString, unicodeStringText, ansiStringText } from "../kernel/rtl-string.js";
export { CSTRUCT, CUNION, ARRAY, sizeof, FIELD_OFFSET, LARGE_INTEGER, readU64, writeU64, readI64, writeI64, UCHAR, USHORT, WCHAR, ULONG, LONG, ULONG_PTR, HANDLE, PVOID, NTSTATUS } from "../kernel/c-struct.js";
export { RtlCopyMemory, RtlMoveMemory, RtlZeroMemory, RtlFillMemory, RtlCompareMemory, readU8, readU16, readU32, writeU8, writeU16, writeU32, readBytes, writeBytes, readAnsiString, writeAnsiString, readWideString, writeWideString } from "../kernel/api-rtl.js";
export { DbgPrint, DbgPrintEx } from "../kernel/debug-print.js";

// ---- Access rights the native calls take ----
export { SYNCHRONIZE, EVENT_MODIFY_STATE, EVENT_ALL_ACCESS, THREAD_TERMINATE } from "../kernel/sync-objects.js";
export { GENERIC_READ, GENERIC_WRITE, GENERIC_EXECUTE, GENERIC_ALL, FILE_READ_DATA, FILE_WRITE_DATA, FILE_READ_ATTRIBUTES, FILE_SHARE_READ, FILE_SHARE_WRITE, FILE_SHARE_DELETE, FILE_ATTRIBUTE_NORMAL, CTL_CODE, METHOD_BUFFERED, METHOD_IN_DIRECT, METHOD_OUT_DIRECT, METHOD_NEITHER, FILE_ANY_ACCESS, FILE_READ_ACCESS, FILE_WRITE_ACCESS, FILE_DEVICE_UNKNOWN } from "../io-manager/constants.js";
export { IO_COMPLETION_ALL_ACCESS, IO_COMPLETION_MODIFY_STATE, IO_COMPLETION_QUERY_STATE } from "../io-manager/completion-port.js";

// ---- Sections and views (memshare) ----
export { NtCreateSection, NtOpenSection, NtMapViewOfSection, NtUnmapViewOfSection } from "./section.js";
export { SECTION_QUERY, SECTION_MAP_WRITE, SECTION_MAP_READ, SECTION_MAP_EXECUTE, SECTION_EXTEND_SIZE, SECTION_ALL_ACCESS, SEC_COMMIT, SEC_RESERVE, SEC_IMAGE, SEC_NOCACHE, SEC_LARGE_PAGES, ViewShare, ViewUnmap } from "../kernel/section.js";
export { NtCurrentProcess } from "../kernel/object-manager.js";

// ---- The registry: Nt*Key (registry) ----
export { NtCreateKey, NtOpenKey, NtDeleteKey, NtFlushKey, NtQueryKey, NtEnumerateKey, NtQueryValueKey, NtEnumerateValueKey, NtSetValueKey, NtDeleteValueKey } from "./registry.js";
export type { PUserUnicodeString } from "./registry.js";
export { REG_NONE, REG_SZ, REG_EXPAND_SZ, REG_BINARY, REG_DWORD, REG_DWORD_BIG_ENDIAN, REG_LINK, REG_MULTI_SZ, REG_QWORD, KEY_QUERY_VALUE, KEY_SET_VALUE, KEY_CREATE_SUB_KEY, KEY_ENUMERATE_SUB_KEYS, KEY_NOTIFY, KEY_READ, KEY_WRITE, KEY_EXECUTE, KEY_ALL_ACCESS } from "../kernel/registry.js";
export { REG_OPTION_NON_VOLATILE, REG_OPTION_VOLATILE, REG_CREATED_NEW_KEY, REG_OPENED_EXISTING_KEY, KeyBasicInformation, KeyNodeInformation, KeyFullInformation, KeyNameInformation, KeyCachedInformation, KeyValueBasicInformation, KeyValueFullInformation, KeyValuePartialInformation, KeyValueFullInformationAlign64, KeyValuePartialInformationAlign64 } from "../kernel/reg-services.js";
