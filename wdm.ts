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

// ---- The PnP manager: AddDevice, IRP_MJ_PNP minor codes, device interfaces ----
export { IrpMinorPnp, IRP_MN_START_DEVICE, IRP_MN_QUERY_REMOVE_DEVICE, IRP_MN_REMOVE_DEVICE, IRP_MN_CANCEL_REMOVE_DEVICE, IRP_MN_STOP_DEVICE, IRP_MN_QUERY_STOP_DEVICE, IRP_MN_CANCEL_STOP_DEVICE, IRP_MN_QUERY_DEVICE_RELATIONS, IRP_MN_QUERY_CAPABILITIES, IRP_MN_QUERY_ID, IRP_MN_QUERY_PNP_DEVICE_STATE, IRP_MN_SURPRISE_REMOVAL, IoRegisterDeviceInterface, IoSetDeviceInterfaceState, IoGetDeviceInterfaces } from "./io-manager/pnp.js";
export type { DRIVER_ADD_DEVICE } from "./io-manager/pnp.js";
