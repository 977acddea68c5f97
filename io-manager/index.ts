/**
 * The I/O manager layer's barrel: the kernel-mode I/O API (re-exported by `irpsim/wdm`) and the
 * system services the Win32 layer calls.
 */
import "./trace-events.js";
import "./containing-record.js";

// ---- Constants ----
export * from "./constants.js";

// ---- Objects ----
export { DRIVER_OBJECT } from "./driver-object.js";
export type { DRIVER_DISPATCH, DRIVER_UNLOAD, DRIVER_INITIALIZE, DRIVER_STARTIO } from "./driver-object.js";
export { DEVICE_OBJECT } from "./device-object.js";
export { FILE_OBJECT } from "./file-object.js";
export { IRP, IO_STACK_LOCATION, IO_STATUS_BLOCK, IoGetCurrentIrpStackLocation, IoGetNextIrpStackLocation, IoCopyCurrentIrpStackLocationToNext, IoSkipCurrentIrpStackLocation, IoSetCompletionRoutine } from "./irp.js";
export type { IO_COMPLETION_ROUTINE, DRIVER_CANCEL, UserIosb, IrpOrigin } from "./irp.js";
export { MDL, IoAllocateMdl, IoFreeMdl, MmProbeAndLockPages, MmUnlockPages, MmMapLockedPagesSpecifyCache, MmMapLockedPages, MmGetSystemAddressForMdlSafe, MmUnmapLockedPages, MmBuildMdlForNonPagedPool, IoBuildPartialMdl, MmGetMdlVirtualAddress, MmGetMdlByteCount, MmGetMdlByteOffset, MmGetMdlPfnArray, MmInitializeMdl, spanPages as ADDRESS_AND_SIZE_TO_SPAN_PAGES } from "./mdl.js";

// ---- Routines ----
export { IoAllocateIrp, IoFreeIrp } from "./irp-alloc.js";
export { IoCallDriver, IoMarkIrpPending, IoGetAttachedDevice, IoGetRelatedDeviceObject } from "./call-driver.js";
export { IoCompleteRequest } from "./completion.js";
export { IoAcquireCancelSpinLock, IoReleaseCancelSpinLock, IoSetCancelRoutine, IoCancelIrp } from "./cancel.js";
export { IoCreateDevice, IoDeleteDevice, IoCreateSymbolicLink, IoDeleteSymbolicLink, IoAttachDeviceToDeviceStack, IoDetachDevice } from "./device.js";
export { IoConnectInterrupt, IoDisconnectInterrupt } from "./interrupt.js";
export { IoBuildDeviceIoControlRequest, IoBuildSynchronousFsdRequest, IoBuildAsynchronousFsdRequest } from "./build.js";

// ---- Cancel-safe queues ----
export { IO_CSQ, IO_CSQ_IRP_CONTEXT, IoCsqInitialize, IoCsqInitializeEx, IoCsqInsertIrp, IoCsqInsertIrpEx, IoCsqRemoveIrp, IoCsqRemoveNextIrp } from "./csq.js";
export type { IO_CSQ_INSERT_IRP, IO_CSQ_INSERT_IRP_EX, IO_CSQ_REMOVE_IRP, IO_CSQ_PEEK_NEXT_IRP, IO_CSQ_ACQUIRE_LOCK, IO_CSQ_RELEASE_LOCK, IO_CSQ_COMPLETE_CANCELED_IRP } from "./csq.js";

// ---- Injection (another processor) ----
export { injectCancel, injectProcessDeath, injectHandleClose } from "./inject.js";
export { NtCancelIoFile, NtCancelIoFileEx, NtCancelSynchronousIoFile, cancelThreadIo, threadIrps } from "./cancel-io.js";

// ---- The machine side ----
export { loadDriver, unloadDriver } from "./driver.js";
export type { LoadedDriver } from "./driver.js";
export { IoManager, ioManager, SymbolicLink } from "./io-manager.js";
export type { IoHooks } from "./hooks.js";

// ---- Completion ports and thread-agnostic I/O ----
export { IoCompletionObject, IoCompletionObjectType, NtCreateIoCompletion, NtSetIoCompletion, NtRemoveIoCompletion, IO_COMPLETION_QUERY_STATE, IO_COMPLETION_MODIFY_STATE, IO_COMPLETION_ALL_ACCESS } from "./completion-port.js";
export type { CompletionPacket, CompletionInformation, IO_COMPLETION_CONTEXT, RemovedPackets } from "./completion-port.js";
export { setFileCompletionInformation, setFileIoCompletionNotification } from "./file-completion.js";
export { fileObjectIrps, cleanupProcessResources, THREAD_AGNOSTIC_REPORT_MS } from "./thread-agnostic.js";
