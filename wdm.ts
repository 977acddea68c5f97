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

// ---- The I/O manager: drivers, devices, IRPs, MDLs ----
export {
  IrpMajor, IRP_MJ_CREATE, IRP_MJ_CLOSE, IRP_MJ_READ, IRP_MJ_WRITE, IRP_MJ_DEVICE_CONTROL, IRP_MJ_INTERNAL_DEVICE_CONTROL, IRP_MJ_CLEANUP, IRP_MJ_FLUSH_BUFFERS, IRP_MJ_SHUTDOWN, IRP_MJ_QUERY_INFORMATION, IRP_MJ_SET_INFORMATION, IRP_MJ_FILE_SYSTEM_CONTROL, IRP_MJ_POWER, IRP_MJ_PNP, IRP_MJ_SYSTEM_CONTROL, IRP_MJ_MAXIMUM_FUNCTION,
  METHOD_BUFFERED, METHOD_IN_DIRECT, METHOD_OUT_DIRECT, METHOD_NEITHER, FILE_ANY_ACCESS, FILE_SPECIAL_ACCESS, FILE_READ_ACCESS, FILE_WRITE_ACCESS,
  DeviceType, FILE_DEVICE_UNKNOWN, FILE_DEVICE_DISK, FILE_DEVICE_NULL, FILE_DEVICE_SERIAL_PORT, FILE_DEVICE_VIDEO, FILE_DEVICE_CONTROLLER,
  CTL_CODE, DEVICE_TYPE_FROM_CTL_CODE, METHOD_FROM_CTL_CODE, FUNCTION_FROM_CTL_CODE,
  DO_BUFFERED_IO, DO_DIRECT_IO, DO_EXCLUSIVE, DO_DEVICE_INITIALIZING, DO_POWER_PAGABLE, FILE_DEVICE_SECURE_OPEN,
  SL_PENDING_RETURNED, SL_INVOKE_ON_CANCEL, SL_INVOKE_ON_SUCCESS, SL_INVOKE_ON_ERROR,
  MDL_MAPPED_TO_SYSTEM_VA, MDL_PAGES_LOCKED, MDL_SOURCE_IS_NONPAGED_POOL, MDL_PARTIAL, MDL_WRITE_OPERATION, MDL_IO_SPACE,
  IoReadAccess, IoWriteAccess, IoModifyAccess, MmNonCached, MmCached, MmWriteCombined,
  LowPagePriority, NormalPagePriority, HighPagePriority, MdlMappingNoExecute,
  IO_NO_INCREMENT, IO_DISK_INCREMENT, IO_SERIAL_INCREMENT, IO_KEYBOARD_INCREMENT,
  FILE_READ_DATA, FILE_WRITE_DATA,
  DRIVER_OBJECT, DEVICE_OBJECT, FILE_OBJECT, IRP, IO_STACK_LOCATION, IO_STATUS_BLOCK, MDL,
  IoGetCurrentIrpStackLocation, IoGetNextIrpStackLocation, IoCopyCurrentIrpStackLocationToNext, IoSkipCurrentIrpStackLocation, IoSetCompletionRoutine,
  IoAllocateMdl, IoFreeMdl, MmProbeAndLockPages, MmUnlockPages, MmMapLockedPagesSpecifyCache, MmMapLockedPages, MmGetSystemAddressForMdlSafe, MmUnmapLockedPages, MmBuildMdlForNonPagedPool, IoBuildPartialMdl, MmGetMdlVirtualAddress, MmGetMdlByteCount, MmGetMdlByteOffset, MmGetMdlPfnArray, MmInitializeMdl, ADDRESS_AND_SIZE_TO_SPAN_PAGES,
  IoAllocateIrp, IoFreeIrp, IoCallDriver, IoMarkIrpPending, IoGetAttachedDevice, IoGetRelatedDeviceObject, IoCompleteRequest,
  IoAcquireCancelSpinLock, IoReleaseCancelSpinLock, IoSetCancelRoutine, IoCancelIrp,
  IoCreateDevice, IoDeleteDevice, IoCreateSymbolicLink, IoDeleteSymbolicLink, IoAttachDeviceToDeviceStack, IoDetachDevice,
  IoBuildDeviceIoControlRequest, IoBuildSynchronousFsdRequest, IoBuildAsynchronousFsdRequest,
  IO_CSQ, IO_CSQ_IRP_CONTEXT, IoCsqInitialize, IoCsqInitializeEx, IoCsqInsertIrp, IoCsqInsertIrpEx, IoCsqRemoveIrp, IoCsqRemoveNextIrp,
} from "./io-manager/index.js";
export type { IO_CSQ_INSERT_IRP, IO_CSQ_INSERT_IRP_EX, IO_CSQ_REMOVE_IRP, IO_CSQ_PEEK_NEXT_IRP, IO_CSQ_ACQUIRE_LOCK, IO_CSQ_RELEASE_LOCK, IO_CSQ_COMPLETE_CANCELED_IRP } from "./io-manager/index.js";
export type { DRIVER_DISPATCH, DRIVER_UNLOAD, DRIVER_INITIALIZE, DRIVER_STARTIO, IO_COMPLETION_ROUTINE, DRIVER_CANCEL } from "./io-manager/index.js";
export { PsGetCurrentProcess as IoGetCurrentProcess } from "./kernel/api-ps-ob.js";
export { IoGetRequestorProcess, IoGetRequestorProcessId, IoIsOperationSynchronous } from "./io-manager/requestor.js";

// ---- Ex, Rtl, Ps, Ob ----
export * from "./kernel/api-ex.js";
export * from "./kernel/api-rtl.js";
export * from "./kernel/api-ps-ob.js";
export { KProcess as EPROCESS } from "./kernel/process.js";
export { KThread as ETHREAD } from "./kernel/thread.js";
export { PAGE_SIZE, PAGE_SHIFT } from "./kernel/physical-memory.js";
export { MM_USER_PROBE_ADDRESS, MM_SYSTEM_RANGE_START, MM_HIGHEST_USER_ADDRESS } from "./kernel/memory-constants.js";
export { DbgPrint, DbgPrint as KdPrint } from "./kernel/debug-print.js";

// ---- Mm: contiguous memory, physical addresses; interrupts ----
export { MmAllocateContiguousMemory, MmAllocateContiguousMemorySpecifyCache, MmFreeContiguousMemory, MmFreeContiguousMemorySpecifyCache, MmGetPhysicalAddress } from "./kernel/api-mm.js";
export { KINTERRUPT, KINTERRUPT_MODE, LevelSensitive, Latched, INTERFACE_TYPE, HalGetInterruptVector, KeSynchronizeExecution } from "./kernel/interrupt-object.js";
export type { KSERVICE_ROUTINE, KSYNCHRONIZE_ROUTINE } from "./kernel/interrupt-object.js";
export { IoConnectInterrupt, IoDisconnectInterrupt } from "./io-manager/interrupt.js";

// ---- APCs and kernel queues ----
export { KAPC, KeInitializeApc, KeInsertQueueApc, KeAreApcsDisabled, KeEnterGuardedRegion, KeLeaveGuardedRegion, KAPC_ENVIRONMENT, OriginalApcEnvironment, AttachedApcEnvironment, CurrentApcEnvironment, InsertApcEnvironment } from "./kernel/api-apc.js";
export type { KKERNEL_ROUTINE, KNORMAL_ROUTINE, KRUNDOWN_ROUTINE, InOut } from "./kernel/api-apc.js";
export { KQUEUE, KeInitializeQueue, KeInsertQueue, KeInsertHeadQueue, KeReadStateQueue, KeRemoveQueue, KeRundownQueue } from "./kernel/api-queue.js";

// ---- Device queues and the StartIo model ----
export { KDEVICE_QUEUE, KDEVICE_QUEUE_ENTRY, KeInitializeDeviceQueue, KeInsertDeviceQueue, KeInsertByKeyDeviceQueue, KeRemoveDeviceQueue, KeRemoveByKeyDeviceQueue, KeRemoveEntryDeviceQueue } from "./kernel/device-queue.js";
export { IoStartPacket, IoStartNextPacket, IoStartNextPacketByKey } from "./io-manager/start-io.js";

// ---- Access rights (winnt.h / wdm.h) ----
export * from "./kernel/access-rights.js";

// ---- Interlocked operations and interlocked lists ----
export { VOLATILE, InterlockedIncrement, InterlockedDecrement, InterlockedExchange, InterlockedExchangeAdd, InterlockedAdd, InterlockedCompareExchange, InterlockedOr, InterlockedAnd, InterlockedXor, InterlockedExchangePointer, InterlockedCompareExchangePointer } from "./kernel/interlocked.js";
export type { PLONG } from "./kernel/interlocked.js";
export { SINGLE_LIST_ENTRY, SLIST_ENTRY, SLIST_HEADER, PushEntryList, PopEntryList, InitializeSListHead, QueryDepthSList, ExQueryDepthSList, InterlockedPushEntrySList, InterlockedPopEntrySList, InterlockedFlushSList, ExInterlockedPushEntrySList, ExInterlockedPopEntrySList, ExInterlockedFlushSList } from "./kernel/single-list.js";
export { ExInterlockedInsertHeadList, ExInterlockedInsertTailList, ExInterlockedRemoveHeadList, ExInterlockedPushEntryList, ExInterlockedPopEntryList } from "./kernel/interlocked-lists.js";

// ---- DPC control, wait blocks and dispatcher headers ----
export { DispatcherHeader as DISPATCHER_HEADER, DispatcherType as KOBJECTS } from "./kernel/dispatcher.js";
export { MAXIMUM_WAIT_OBJECTS } from "./kernel/waits.js";

// ---- I/O work items ----
export { IO_WORKITEM, IoAllocateWorkItem, IoFreeWorkItem, IoQueueWorkItem, IoQueueWorkItemEx, IoSizeofWorkItem, IoInitializeWorkItem, IoUninitializeWorkItem, WORK_QUEUE_TYPE, CriticalWorkQueue, DelayedWorkQueue, HyperCriticalWorkQueue, NormalWorkQueue, BackgroundWorkQueue, RealTimeWorkQueue, SuperCriticalWorkQueue, MaximumWorkQueue, CustomPriorityWorkQueue } from "./io-manager/work-item.js";
export type { PIO_WORKITEM, IO_WORKITEM_ROUTINE, IO_WORKITEM_ROUTINE_EX } from "./io-manager/work-item.js";

// ---- Remove locks ----
export { IO_REMOVE_LOCK, IO_REMOVE_LOCK_COMMON_BLOCK, IO_REMOVE_LOCK_DBG_BLOCK, IoInitializeRemoveLock, IoAcquireRemoveLock, IoReleaseRemoveLock, IoReleaseRemoveLockAndWait } from "./io-manager/remove-lock.js";

// ---- Lookaside lists ----
export { NPAGED_LOOKASIDE_LIST, PAGED_LOOKASIDE_LIST, LOOKASIDE_LIST_EX, GENERAL_LOOKASIDE, ExInitializeNPagedLookasideList, ExAllocateFromNPagedLookasideList, ExFreeToNPagedLookasideList, ExDeleteNPagedLookasideList, ExInitializePagedLookasideList, ExAllocateFromPagedLookasideList, ExFreeToPagedLookasideList, ExDeletePagedLookasideList, ExInitializeLookasideListEx, ExAllocateFromLookasideListEx, ExFreeToLookasideListEx, ExFlushLookasideListEx, ExDeleteLookasideListEx, POOL_NX_ALLOCATION, EX_LOOKASIDE_LIST_EX_FLAG_RAISE_ON_FAIL, EX_LOOKASIDE_LIST_EX_FLAG_FAIL_NO_RAISE, MINIMUM_LOOKASIDE_DEPTH, MAXIMUM_LOOKASIDE_DEPTH } from "./kernel/lookaside.js";
export type { ALLOCATE_FUNCTION, FREE_FUNCTION, ALLOCATE_FUNCTION_EX, FREE_FUNCTION_EX } from "./kernel/lookaside.js";

// ---- Executive locks: fast and guarded mutexes, resources, push locks, run-down protection ----
export { FAST_MUTEX, KGUARDED_MUTEX, ExInitializeFastMutex, ExAcquireFastMutex, ExTryToAcquireFastMutex, ExReleaseFastMutex, ExAcquireFastMutexUnsafe, ExReleaseFastMutexUnsafe, KeInitializeGuardedMutex, KeAcquireGuardedMutex, KeTryToAcquireGuardedMutex, KeReleaseGuardedMutex, KeAcquireGuardedMutexUnsafe, KeReleaseGuardedMutexUnsafe } from "./kernel/fast-mutex.js";
export { ERESOURCE, ExInitializeResourceLite, ExReinitializeResourceLite, ExDeleteResourceLite, ExAcquireResourceExclusiveLite, ExAcquireResourceSharedLite, ExAcquireSharedStarveExclusive, ExEnterCriticalRegionAndAcquireResourceExclusive, ExReleaseResourceLite, ExReleaseResourceForThreadLite, ExReleaseResourceAndLeaveCriticalRegion, ExGetCurrentResourceThread, ExConvertExclusiveToSharedLite, ExIsResourceAcquiredExclusiveLite, ExIsResourceAcquiredSharedLite, ExIsResourceAcquiredLite, ExGetExclusiveWaiterCount, ExGetSharedWaiterCount } from "./kernel/eresource.js";
export type { ERESOURCE_THREAD } from "./kernel/eresource.js";
export { EX_PUSH_LOCK, ExInitializePushLock, ExAcquirePushLockExclusive, ExAcquirePushLockExclusiveEx, ExAcquirePushLockShared, ExAcquirePushLockSharedEx, ExReleasePushLockExclusive, ExReleasePushLockExclusiveEx, ExReleasePushLockShared, ExReleasePushLockSharedEx, ExReleasePushLock } from "./kernel/push-lock.js";
export { EX_RUNDOWN_REF, ExInitializeRundownProtection, ExReInitializeRundownProtection, ExAcquireRundownProtection, ExAcquireRundownProtectionEx, ExReleaseRundownProtection, ExReleaseRundownProtectionEx, ExWaitForRundownProtectionRelease, ExRundownCompleted } from "./kernel/rundown-ref.js";

// ---- Kernel handles and objects: Zw*, OBJECT_ATTRIBUTES, object types ----
export { ZwCreateEvent, ZwOpenEvent, ZwSetEvent, ZwClearEvent, ZwResetEvent, ZwWaitForSingleObject, ZwWaitForMultipleObjects, ZwDuplicateObject, ZwMakeTemporaryObject, DUPLICATE_CLOSE_SOURCE, DUPLICATE_SAME_ACCESS, DUPLICATE_SAME_ATTRIBUTES } from "./kernel/kernel-handles.js";
export { OBJECT_ATTRIBUTES, InitializeObjectAttributes } from "./kernel/object-attributes.js";
export type { POBJECT_ATTRIBUTES } from "./kernel/object-attributes.js";
export { IoFileObjectType, IoDeviceObjectType, IoDriverObjectType, IoCreateNotificationEvent, IoCreateSynchronizationEvent } from "./io-manager/object-types.js";
export { NtCurrentProcess, NtCurrentThread } from "./kernel/object-manager.js";

// ---- Processes and threads: ids, lookups, priorities, process-notify routines ----
export { PsInitialSystemProcess } from "./kernel/context.js";
export { PsSetCreateProcessNotifyRoutine, PsSetCreateProcessNotifyRoutineEx, PS_CREATE_NOTIFY_INFO, PSP_MAX_CREATE_PROCESS_NOTIFY } from "./kernel/ps-notify.js";
export type { CREATE_PROCESS_NOTIFY_ROUTINE, CREATE_PROCESS_NOTIFY_ROUTINE_EX, CLIENT_ID } from "./kernel/ps-notify.js";
// ---- C structures over memory, 64-bit values (wdm-io) ----
export { CSTRUCT, CUNION, ARRAY, sizeof, FIELD_OFFSET, RTL_FIELD_SIZE, LARGE_INTEGER, readU64, readI64, writeU64, writeI64 } from "./kernel/c-struct.js";
export { UCHAR, CHAR, BOOLEAN, BYTE, USHORT, SHORT, WORD, WCHAR, ULONG, LONG, DWORD, UINT, INT, BOOL, NTSTATUS, ULONG_PTR, SIZE_T, PVOID, HANDLE, ULONG64, LONG64, ULONGLONG, LONGLONG, DWORD64 } from "./kernel/c-struct.js";
export type { CType, CValue, CStruct, CStructValue, CStructView, CField, CFields, CArray, CArrayView, CStructOptions } from "./kernel/c-struct.js";

// ---- Counted strings, ntstrsafe, DbgPrintEx (wdm-io) ----
export { UNICODE_STRING, ANSI_STRING, RtlInitUnicodeString, RtlInitAnsiString, RtlInitString, RtlInitEmptyUnicodeString, RtlInitEmptyAnsiString, RtlCopyUnicodeString, RtlCopyString, RtlCompareUnicodeString, RtlEqualUnicodeString, RtlCompareString, RtlEqualString, RtlPrefixUnicodeString, RtlUpcaseUnicodeChar, RtlAppendUnicodeToString, RtlAppendUnicodeStringToString, RtlUnicodeStringToAnsiString, RtlAnsiStringToUnicodeString, RtlUnicodeStringToAnsiSize, RtlAnsiStringToUnicodeSize, RtlFreeUnicodeString, RtlFreeAnsiString, RtlCreateUnicodeString, unicodeStringText, ansiStringText } from "./kernel/rtl-string.js";
export type { PUNICODE_STRING, PCUNICODE_STRING, PANSI_STRING, PCSZ } from "./kernel/rtl-string.js";
export { RtlStringCbCopyW, RtlStringCbCopyA, RtlStringCchCopyW, RtlStringCchCopyA, RtlStringCbPrintfW, RtlStringCbPrintfA, RtlStringCchPrintfW, RtlStringCchPrintfA, RtlStringCbLengthW, RtlStringCbLengthA, RtlStringCchLengthW, RtlStringCchLengthA, RtlUnicodeStringPrintf, NTSTRSAFE_MAX_CCH, NTSTRSAFE_UNICODE_STRING_MAX_CCH } from "./kernel/ntstrsafe.js";
export type { StrSafeSource, SizeOut } from "./kernel/ntstrsafe.js";
export { DbgPrintEx, KdPrintEx, DbgSetDebugFilterState, DbgQueryDebugFilterState, DPFLTR_SYSTEM_ID, DPFLTR_IHVDRIVER_ID, DPFLTR_IHVVIDEO_ID, DPFLTR_IHVAUDIO_ID, DPFLTR_IHVNETWORK_ID, DPFLTR_IHVSTREAMING_ID, DPFLTR_IHVBUS_ID, DPFLTR_DEFAULT_ID, DPFLTR_ERROR_LEVEL, DPFLTR_WARNING_LEVEL, DPFLTR_TRACE_LEVEL, DPFLTR_INFO_LEVEL, DPFLTR_MASK } from "./kernel/debug-print.js";
export type { PrintfArg } from "./kernel/printf.js";

// ---- Pool flags, WDK macros, IRP reuse and association (wdm-io) ----
export { ExAllocatePool2, ExAllocatePool3, ExAllocatePoolZero, ExAllocatePoolUninitialized, ExAllocatePoolWithQuotaTag, ExAllocatePoolQuotaZero, ExAllocatePoolQuotaUninitialized, POOL_FLAG_USE_QUOTA, POOL_FLAG_UNINITIALIZED, POOL_FLAG_SESSION, POOL_FLAG_CACHE_ALIGNED, POOL_FLAG_RAISE_ON_FAILURE, POOL_FLAG_NON_PAGED, POOL_FLAG_NON_PAGED_EXECUTE, POOL_FLAG_PAGED, POOL_FLAG_SPECIAL_POOL, POOL_FLAG_RESERVED1, POOL_FLAG_RESERVED2, POOL_FLAG_RESERVED3, POOL_FLAG_REQUIRED_MASK, POOL_QUOTA_FAIL_INSTEAD_OF_RAISE, POOL_RAISE_IF_ALLOCATION_FAILURE, PoolExtendedParameterInvalidType, PoolExtendedParameterPriority, PoolExtendedParameterSecurePool, PoolExtendedParameterNumaNode, LowPoolPriority, NormalPoolPriority, HighPoolPriority } from "./kernel/pool-api.js";
export type { POOL_FLAGS, POOL_EXTENDED_PARAMETER } from "./kernel/pool-api.js";
export { PAGED_CODE, ASSERT, NT_ASSERT, ASSERTMSG, NT_ASSERTMSG, NT_VERIFY, ExInitializeDriverRuntime, DrvRtPoolNxOptIn } from "./kernel/wdk-macros.js";
export { IoSizeOfIrp, IoInitializeIrp, IoReuseIrp, IoMakeAssociatedIrp } from "./io-manager/irp-reuse.js";
export { IRP_QUOTA_CHARGED, IRP_ALLOCATED_MUST_SUCCEED, IRP_ALLOCATED_FIXED_SIZE, IRP_LOOKASIDE_ALLOCATION } from "./io-manager/irp-alloc.js";
export { IRP_ASSOCIATED_IRP, IRP_BUFFERED_IO, IRP_DEALLOCATE_BUFFER, IRP_INPUT_OPERATION, IRP_SYNCHRONOUS_API } from "./io-manager/constants.js";
export { IoCreateDeviceSecure, SDDL_DEVOBJ_KERNEL_ONLY, SDDL_DEVOBJ_INF_SUPPLIED, SDDL_DEVOBJ_SYS_ALL, SDDL_DEVOBJ_SYS_ALL_ADM_ALL, SDDL_DEVOBJ_SYS_ALL_ADM_RX, SDDL_DEVOBJ_SYS_ALL_ADM_RWX_WORLD_R, SDDL_DEVOBJ_SYS_ALL_ADM_RWX_WORLD_R_RES_R, SDDL_DEVOBJ_SYS_ALL_ADM_RWX_WORLD_RW_RES_R, SDDL_DEVOBJ_SYS_ALL_ADM_RWX_WORLD_RWX_RES_RWX } from "./io-manager/device-secure.js";

// ---- The PnP manager: AddDevice, IRP_MJ_PNP minor codes, device interfaces ----
export { IrpMinorPnp, IRP_MN_START_DEVICE, IRP_MN_QUERY_REMOVE_DEVICE, IRP_MN_REMOVE_DEVICE, IRP_MN_CANCEL_REMOVE_DEVICE, IRP_MN_STOP_DEVICE, IRP_MN_QUERY_STOP_DEVICE, IRP_MN_CANCEL_STOP_DEVICE, IRP_MN_QUERY_DEVICE_RELATIONS, IRP_MN_QUERY_CAPABILITIES, IRP_MN_QUERY_ID, IRP_MN_QUERY_PNP_DEVICE_STATE, IRP_MN_SURPRISE_REMOVAL, IoRegisterDeviceInterface, IoSetDeviceInterfaceState, IoGetDeviceInterfaces } from "./io-manager/pnp.js";
export type { DeviceInterfaceRegistration } from "./io-manager/pnp.js";
export type { DRIVER_ADD_DEVICE } from "./io-manager/pnp.js";

// ---- Names as UNICODE_STRING; kernel-mode file opens: ZwCreateFile … IoGetDeviceObjectPointer (zwfile) ----
export { RTL_CONSTANT_STRING, DECLARE_CONST_UNICODE_STRING, DECLARE_GLOBAL_CONST_UNICODE_STRING } from "./kernel/rtl-string.js";
export type { NameArgument } from "./kernel/name-argument.js";
export { IoCreateUnprotectedSymbolicLink } from "./io-manager/device.js";
export { ZwCreateFile, ZwOpenFile, ZwReadFile, ZwWriteFile, ZwDeviceIoControlFile, IoGetDeviceObjectPointer } from "./io-manager/zw-file.js";
export { FILE_SUPERSEDE, FILE_OPEN, FILE_CREATE, FILE_OPEN_IF, FILE_OVERWRITE, FILE_OVERWRITE_IF, FILE_DIRECTORY_FILE, FILE_NON_DIRECTORY_FILE, FILE_SYNCHRONOUS_IO_ALERT, FILE_SYNCHRONOUS_IO_NONALERT, FILE_SUPERSEDED, FILE_OPENED, FILE_CREATED, FILE_OVERWRITTEN, FILE_EXISTS, FILE_DOES_NOT_EXIST } from "./io-manager/create-options.js";
export { FILE_SHARE_READ, FILE_SHARE_WRITE, FILE_SHARE_DELETE, FILE_READ_ATTRIBUTES, FILE_ALL_ACCESS, FILE_ATTRIBUTE_NORMAL } from "./io-manager/constants.js";

// ---- Number conversions, case changes and ntstrsafe's UNICODE_STRING copy/cat ----
export { RtlIntegerToUnicodeString, RtlInt64ToUnicodeString, RtlUnicodeStringToInteger, RtlCharToInteger, RtlUpcaseUnicodeString, RtlDowncaseUnicodeString, RtlUnicodeStringCopy, RtlUnicodeStringCat } from "./kernel/rtl-convert.js";
export type { UlongOut } from "./kernel/rtl-convert.js";

// ---- The system event log ----
export { IoAllocateErrorLogEntry, IoWriteErrorLogEntry, IoFreeErrorLogEntry, IO_ERROR_LOG_PACKET, ERROR_LOG_MAXIMUM_SIZE } from "./io-manager/error-log.js";

// ---- Unload-safe completion routines, the OS version (KeGetCurrentProcessorNumberEx is in api-ke) ----
export { IoSetCompletionRoutineEx, IoGetAttachedDeviceReference } from "./io-manager/completion-ex.js";
export { RtlGetVersion, RTL_OSVERSIONINFOW, RTL_OSVERSIONINFOEXW, VER_PLATFORM_WIN32_NT, VER_NT_WORKSTATION, VER_SUITE_SINGLEUSERTS } from "./kernel/version.js";

// ---- PnP device state and system shutdown (wdfgaps) ----
export { IoInvalidateDeviceState, PNP_DEVICE_STATE_FLAGS, PNP_DEVICE_DISABLED, PNP_DEVICE_DONT_DISPLAY_IN_UI, PNP_DEVICE_FAILED, PNP_DEVICE_REMOVED, PNP_DEVICE_RESOURCE_REQUIREMENTS_CHANGED, PNP_DEVICE_NOT_DISABLEABLE } from "./io-manager/pnp.js";
export { IoRegisterShutdownNotification, IoRegisterLastChanceShutdownNotification, IoUnregisterShutdownNotification, DO_SHUTDOWN_REGISTERED } from "./io-manager/shutdown.js";

// ---- Power management: IRP_MJ_POWER, PoCallDriver, PoRequestPowerIrp, PoSetPowerState (power) ----
export { IrpMinorPower, IRP_MN_WAIT_WAKE, IRP_MN_POWER_SEQUENCE, IRP_MN_SET_POWER, IRP_MN_QUERY_POWER, SYSTEM_POWER_STATE, PowerSystemUnspecified, PowerSystemWorking, PowerSystemSleeping1, PowerSystemSleeping2, PowerSystemSleeping3, PowerSystemHibernate, PowerSystemShutdown, PowerSystemMaximum, DEVICE_POWER_STATE, PowerDeviceUnspecified, PowerDeviceD0, PowerDeviceD1, PowerDeviceD2, PowerDeviceD3, PowerDeviceMaximum, POWER_STATE_TYPE, SystemPowerState, DevicePowerState, POWER_ACTION, PowerActionNone, PowerActionReserved, PowerActionSleep, PowerActionHibernate, PowerActionShutdown, PowerActionShutdownReset, PowerActionShutdownOff, PowerActionWarmEject, PowerActionDisplayOff, POWER_STATE, POWER_SEQUENCE } from "./io-manager/power-types.js";
export { PoCallDriver, PoStartNextPowerIrp, PoSetPowerState, PoRequestPowerIrp } from "./io-manager/power.js";
export type { REQUEST_POWER_COMPLETE } from "./io-manager/power.js";
export type { PowerParameters, WaitWakeParameters, PowerSequenceParameters } from "./io-manager/irp.js";

// ---- Sharing memory with apps: driver-allocated pages, sections and views, secured ranges (memshare) ----
export { MmAllocatePagesForMdl, MmAllocatePagesForMdlEx, MmFreePagesFromMdl, MM_DONT_ZERO_ALLOCATION, MM_ALLOCATE_FROM_LOCAL_NODE_ONLY, MM_ALLOCATE_FULLY_REQUIRED, MM_ALLOCATE_NO_WAIT, MM_ALLOCATE_PREFER_CONTIGUOUS, MM_ALLOCATE_REQUIRE_CONTIGUOUS_CHUNKS, MM_ALLOCATE_FAST_LARGE_PAGES, MM_ALLOCATE_TRIM_IF_NECESSARY, MM_ALLOCATE_AND_HOT_REMOVE } from "./io-manager/mdl-pages.js";
export type { PHYSICAL_ADDRESS } from "./io-manager/mdl-pages.js";
export { MDL_ALLOCATED_FIXED_SIZE } from "./io-manager/constants.js";
export { ZwCreateSection, ZwOpenSection, ZwMapViewOfSection, ZwUnmapViewOfSection, MmMapViewInSystemSpace, MmUnmapViewInSystemSpace, ZwCurrentProcess } from "./kernel/api-section.js";
export type { ZwSectionLargeInteger } from "./kernel/api-section.js";
export { MmSectionObjectType, SectionObject as SECTION, SECTION_QUERY, SECTION_MAP_WRITE, SECTION_MAP_READ, SECTION_MAP_EXECUTE, SECTION_EXTEND_SIZE, SECTION_ALL_ACCESS, SEC_COMMIT, SEC_RESERVE, SEC_IMAGE, SEC_NOCACHE, SEC_LARGE_PAGES, ViewShare, ViewUnmap } from "./kernel/section.js";
export { PAGE_NOACCESS, PAGE_READONLY, PAGE_READWRITE, PAGE_WRITECOPY, PAGE_EXECUTE, PAGE_EXECUTE_READ, PAGE_EXECUTE_READWRITE, PAGE_NOCACHE, PAGE_GUARD } from "./kernel/pte.js";
export { MEM_COMMIT, MEM_RESERVE, MEM_TOP_DOWN } from "./kernel/memory-constants.js";
export { MmSecureVirtualMemory, MmUnsecureVirtualMemory } from "./kernel/secure-memory.js";
export { MmAllocateNonCachedMemory, MmFreeNonCachedMemory, MmIsAddressValid } from "./kernel/noncached-memory.js";
export { SectionBugCheckCode } from "./kernel/bugcheck-codes.js";

// ---- The configuration registry: Zw*Key, Rtl*Registry*, IoOpenDeviceRegistryKey (registry) ----
export { REG_NONE, REG_SZ, REG_EXPAND_SZ, REG_BINARY, REG_DWORD, REG_DWORD_LITTLE_ENDIAN, REG_DWORD_BIG_ENDIAN, REG_LINK, REG_MULTI_SZ, REG_RESOURCE_LIST, REG_FULL_RESOURCE_DESCRIPTOR, REG_RESOURCE_REQUIREMENTS_LIST, REG_QWORD, REG_QWORD_LITTLE_ENDIAN, KEY_QUERY_VALUE, KEY_SET_VALUE, KEY_CREATE_SUB_KEY, KEY_ENUMERATE_SUB_KEYS, KEY_NOTIFY, KEY_CREATE_LINK, KEY_WOW64_64KEY, KEY_WOW64_32KEY, KEY_READ, KEY_WRITE, KEY_EXECUTE, KEY_ALL_ACCESS, CmKeyObjectType, KeyObject } from "./kernel/registry.js";
export { REG_OPTION_NON_VOLATILE, REG_OPTION_VOLATILE, REG_OPTION_CREATE_LINK, REG_OPTION_BACKUP_RESTORE, REG_OPTION_OPEN_LINK, REG_CREATED_NEW_KEY, REG_OPENED_EXISTING_KEY, KeyBasicInformation, KeyNodeInformation, KeyFullInformation, KeyNameInformation, KeyCachedInformation, KeyValueBasicInformation, KeyValueFullInformation, KeyValuePartialInformation, KeyValueFullInformationAlign64, KeyValuePartialInformationAlign64, KEY_VALUE_PARTIAL_INFORMATION_DATA_OFFSET } from "./kernel/reg-services.js";
export type { RegBuffer, RegULongOut } from "./kernel/reg-services.js";
export { ZwCreateKey, ZwOpenKey, ZwDeleteKey, ZwQueryKey, ZwEnumerateKey, ZwFlushKey, ZwQueryValueKey, ZwEnumerateValueKey, ZwSetValueKey, ZwDeleteValueKey, RtlQueryRegistryValues, RtlWriteRegistryValue, RtlDeleteRegistryValue, RtlCheckRegistryKey, RtlCreateRegistryKey, RTL_REGISTRY_ABSOLUTE, RTL_REGISTRY_SERVICES, RTL_REGISTRY_CONTROL, RTL_REGISTRY_WINDOWS_NT, RTL_REGISTRY_DEVICEMAP, RTL_REGISTRY_USER, RTL_REGISTRY_HANDLE, RTL_REGISTRY_OPTIONAL, RTL_QUERY_REGISTRY_SUBKEY, RTL_QUERY_REGISTRY_TOPKEY, RTL_QUERY_REGISTRY_REQUIRED, RTL_QUERY_REGISTRY_NOVALUE, RTL_QUERY_REGISTRY_NOEXPAND, RTL_QUERY_REGISTRY_DIRECT, RTL_QUERY_REGISTRY_DELETE, RTL_QUERY_REGISTRY_NOSTRING, RTL_QUERY_REGISTRY_TYPECHECK, RTL_QUERY_REGISTRY_TYPECHECK_SHIFT } from "./kernel/api-reg.js";
export type { RTL_QUERY_REGISTRY_TABLE, RTL_QUERY_REGISTRY_ROUTINE, RtlQueryDirectTarget } from "./kernel/api-reg.js";
export { IoOpenDeviceRegistryKey, IoGetDeviceProperty, PLUGPLAY_REGKEY_DEVICE, PLUGPLAY_REGKEY_DRIVER, PLUGPLAY_REGKEY_CURRENT_HWPROFILE, DevicePropertyDeviceDescription, DevicePropertyHardwareID, DevicePropertyClassGuid, DevicePropertyDriverKeyName, DevicePropertyPhysicalDeviceObjectName, DevicePropertyEnumeratorName } from "./io-manager/device-registry.js";
