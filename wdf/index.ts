/**
 * `irpsim/wdf`: the Kernel-Mode Driver Framework for drivers, named as in wdf.h. A KMDF driver
 * may call `irpsim/wdm` too, as real ones do (WdfRequestWdmGetIrp, IoGetCurrentIrpStackLocation…).
 */
import "./trace-events.js";

// ---- Handles ----
export type { WDFOBJECT, WDFDRIVER, WDFDEVICE, WDFQUEUE, WDFREQUEST, WDFFILEOBJECT, WDFMEMORY, WDFSPINLOCK, WDFWAITLOCK, WDFTIMER, WDFDPC, WDFWORKITEM, WDFCOLLECTION, WDFIOTARGET, WDFCONTEXT, WDF_HANDLE_TYPE } from "./handles.js";

// ---- Objects, attributes, contexts ----
export {
  WDF_OBJECT_ATTRIBUTES,
  WDF_OBJECT_ATTRIBUTES_INIT,
  WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE,
  WDF_OBJECT_ATTRIBUTES_SET_CONTEXT_TYPE,
  WDF_OBJECT_CONTEXT_TYPE_INFO,
  WDF_DECLARE_CONTEXT_TYPE,
  WDF_DECLARE_CONTEXT_TYPE_WITH_NAME,
  WDF_NO_OBJECT_ATTRIBUTES,
  WDF_NO_HANDLE,
  WDF_SYNCHRONIZATION_SCOPE,
  WdfSynchronizationScopeInvalid,
  WdfSynchronizationScopeInheritFromParent,
  WdfSynchronizationScopeDevice,
  WdfSynchronizationScopeQueue,
  WdfSynchronizationScopeNone,
  WDF_EXECUTION_LEVEL,
  WdfExecutionLevelInvalid,
  WdfExecutionLevelInheritFromParent,
  WdfExecutionLevelPassive,
  WdfExecutionLevelDispatch,
  WdfObjectCreate,
  WdfObjectDelete,
  WdfObjectReference,
  WdfObjectDereference,
  WdfObjectAllocateContext,
  WdfObjectGetTypedContext,
} from "./object.js";
export type { WdfContextAccessor, EVT_WDF_OBJECT_CONTEXT_CLEANUP, EVT_WDF_OBJECT_CONTEXT_DESTROY } from "./object.js";

// ---- Driver ----
export { WDF_DRIVER_CONFIG, WDF_DRIVER_CONFIG_INIT, WdfDriverInitNonPnpDriver, WdfDriverInitNoDispatchOverride, WdfDriverCreate, WdfDriverWdmGetDriverObject, WdfGetDriver, WdfDriverGetRegistryPath } from "./driver.js";
export type { EVT_WDF_DRIVER_DEVICE_ADD, EVT_WDF_DRIVER_UNLOAD } from "./driver.js";

// ---- Devices ----
export {
  WDFDEVICE_INIT,
  WDF_DEVICE_IO_TYPE,
  WdfDeviceIoNeither,
  WdfDeviceIoBuffered,
  WdfDeviceIoDirect,
  WdfDeviceIoBufferedOrDirect,
  SDDL_DEVOBJ_SYS_ALL_ADM_ALL,
  WdfControlDeviceInitAllocate,
  WdfDeviceInitFree,
  WdfDeviceInitAssignName,
  WdfDeviceInitSetIoType,
  WdfDeviceInitSetExclusive,
  WdfDeviceInitSetDeviceType,
  WdfDeviceInitSetCharacteristics,
  WdfDeviceInitSetFileObjectConfig,
  WdfDeviceInitSetIoInCallerContextCallback,
  WdfDeviceInitSetPnpPowerEventCallbacks,
  WdfDeviceCreate,
  WdfControlFinishInitializing,
  WdfDeviceCreateSymbolicLink,
  WdfDeviceWdmGetDeviceObject,
  WdfDeviceGetDefaultQueue,
  WdfDeviceGetDriver,
  WdfWdmDeviceGetWdfDeviceHandle,
  WdfDeviceConfigureRequestDispatching,
  WdfDeviceEnqueueRequest,
  WdfDeviceGetIoTarget,
} from "./device.js";
export type { EVT_WDF_IO_IN_CALLER_CONTEXT } from "./device.js";

// ---- PnP and power ----
export { WDF_PNPPOWER_EVENT_CALLBACKS, WDF_PNPPOWER_EVENT_CALLBACKS_INIT, WDF_POWER_DEVICE_STATE, WdfPowerDeviceD0, WdfPowerDeviceD3, WdfPowerDeviceD3Final, WdfDeviceCreateDeviceInterface } from "./pnp.js";
export type {
  WDFCMRESLIST,
  EVT_WDF_DEVICE_PREPARE_HARDWARE,
  EVT_WDF_DEVICE_RELEASE_HARDWARE,
  EVT_WDF_DEVICE_D0_ENTRY,
  EVT_WDF_DEVICE_D0_EXIT,
  EVT_WDF_DEVICE_SELF_MANAGED_IO,
  EVT_WDF_DEVICE_SURPRISE_REMOVAL,
  EVT_WDF_DEVICE_QUERY_REMOVE,
} from "./pnp.js";

// ---- File objects ----
export { WDF_FILEOBJECT_CONFIG, WDF_FILEOBJECT_CONFIG_INIT, WDF_FILEOBJECT_CLASS, WdfFileObjectNotRequired, WdfFileObjectWdfCanUseFsContext, WdfFileObjectWdfCanUseFsContext2, WdfFileObjectWdfCannotUseFsContexts, WdfFileObjectWdmGetFileObject, WdfFileObjectGetDevice, WdfFileObjectGetFileName } from "./file-object.js";
export type { EVT_WDF_DEVICE_FILE_CREATE, EVT_WDF_FILE_CLEANUP, EVT_WDF_FILE_CLOSE } from "./file-object.js";

// ---- Queues ----
export {
  WDF_IO_QUEUE_CONFIG,
  WDF_IO_QUEUE_CONFIG_INIT,
  WDF_IO_QUEUE_CONFIG_INIT_DEFAULT_QUEUE,
  WDF_IO_QUEUE_DISPATCH_TYPE,
  WdfIoQueueDispatchSequential,
  WdfIoQueueDispatchParallel,
  WdfIoQueueDispatchManual,
  WDF_TRI_STATE,
  WdfFalse,
  WdfTrue,
  WdfUseDefault,
  WDF_IO_QUEUE_STATE,
  WdfIoQueueAcceptRequests,
  WdfIoQueueDispatchRequests,
  WdfIoQueueNoRequests,
  WdfIoQueueDriverNoRequests,
  WdfIoQueuePnpHeld,
  WdfIoQueueCreate,
  WdfIoQueueGetDevice,
  WdfIoQueueGetState,
  WdfIoQueueStart,
  WdfIoQueueStop,
  WdfIoQueueStopSynchronously,
  WdfIoQueueDrain,
  WdfIoQueueDrainSynchronously,
  WdfIoQueuePurge,
  WdfIoQueuePurgeSynchronously,
  WdfIoQueueReadyNotify,
  WdfIoQueueRetrieveNextRequest,
  WdfIoQueueRetrieveRequestByFileObject,
  WdfIoQueueFindRequest,
  WdfIoQueueRetrieveFoundRequest,
} from "./queue.js";
export type {
  EVT_WDF_IO_QUEUE_IO_DEFAULT,
  EVT_WDF_IO_QUEUE_IO_READ,
  EVT_WDF_IO_QUEUE_IO_WRITE,
  EVT_WDF_IO_QUEUE_IO_DEVICE_CONTROL,
  EVT_WDF_IO_QUEUE_IO_INTERNAL_DEVICE_CONTROL,
  EVT_WDF_IO_QUEUE_IO_STOP,
  EVT_WDF_IO_QUEUE_IO_RESUME,
  EVT_WDF_IO_QUEUE_IO_CANCELED_ON_QUEUE,
  EVT_WDF_IO_QUEUE_STATE,
} from "./queue.js";

// ---- Requests ----
export {
  WDF_REQUEST_PARAMETERS,
  WDF_REQUEST_PARAMETERS_INIT,
  WDF_REQUEST_TYPE,
  WdfRequestTypeCreate,
  WdfRequestTypeClose,
  WdfRequestTypeRead,
  WdfRequestTypeWrite,
  WdfRequestTypeDeviceControl,
  WdfRequestTypeDeviceControlInternal,
  WdfRequestTypeCleanup,
  WdfRequestTypeOther,
  WDF_REQUEST_STOP_ACTION_FLAGS,
  WdfRequestStopActionSuspend,
  WdfRequestStopActionPurge,
  WdfRequestStopRequestCancelable,
  WdfRequestComplete,
  WdfRequestCompleteWithInformation,
  WdfRequestCompleteWithPriorityBoost,
  WdfRequestSetInformation,
  WdfRequestGetInformation,
  WdfRequestGetStatus,
  WdfRequestMarkCancelable,
  WdfRequestMarkCancelableEx,
  WdfRequestUnmarkCancelable,
  WdfRequestIsCanceled,
  WdfRequestForwardToIoQueue,
  WdfRequestRequeue,
  WdfRequestStopAcknowledge,
  WdfRequestGetParameters,
  WdfRequestWdmGetIrp,
  WdfRequestGetFileObject,
  WdfRequestGetRequestorMode,
  WdfRequestGetIoQueue,
  WdfRequestRetrieveInputBuffer,
  WdfRequestRetrieveOutputBuffer,
  WdfRequestRetrieveInputMemory,
  WdfRequestRetrieveOutputMemory,
  WdfRequestRetrieveInputWdmMdl,
  WdfRequestRetrieveOutputWdmMdl,
  WdfRequestRetrieveUnsafeUserInputBuffer,
  WdfRequestRetrieveUnsafeUserOutputBuffer,
  WdfRequestProbeAndLockUserBufferForRead,
  WdfRequestProbeAndLockUserBufferForWrite,
} from "./request.js";
export type { EVT_WDF_REQUEST_CANCEL } from "./request.js";

// ---- I/O targets and sending ----
export {
  WDF_REQUEST_SEND_OPTIONS,
  WDF_REQUEST_SEND_OPTIONS_INIT,
  WDF_REQUEST_SEND_OPTIONS_SET_TIMEOUT,
  WDF_REQUEST_SEND_OPTIONS_FLAGS,
  WDF_REQUEST_SEND_OPTION_TIMEOUT,
  WDF_REQUEST_SEND_OPTION_SYNCHRONOUS,
  WDF_REQUEST_SEND_OPTION_IGNORE_TARGET_STATE,
  WDF_REQUEST_SEND_OPTION_SEND_AND_FORGET,
  WDF_REL_TIMEOUT_IN_MS,
  WDF_REQUEST_COMPLETION_PARAMS,
  WDF_IO_TARGET_OPEN_PARAMS,
  WDF_IO_TARGET_OPEN_PARAMS_INIT_OPEN_BY_NAME,
  WdfIoTargetCreate,
  WdfIoTargetOpen,
  WdfIoTargetClose,
  WdfIoTargetWdmGetTargetDeviceObject,
  WdfRequestCreate,
  WdfRequestReuse,
  WdfRequestFormatRequestUsingCurrentType,
  WdfIoTargetFormatRequestForIoctl,
  WdfIoTargetFormatRequestForInternalIoctl,
  WdfIoTargetFormatRequestForRead,
  WdfIoTargetFormatRequestForWrite,
  WdfRequestSetCompletionRoutine,
  WdfRequestSend,
  WdfRequestCancelSentRequest,
  WdfIoTargetSendIoctlSynchronously,
  WdfIoTargetSendInternalIoctlSynchronously,
  WdfRequestGetCompletionParams,
  WDF_IO_TARGET_SENT_IO_ACTION,
  WdfIoTargetCancelSentIo,
  WdfIoTargetWaitForSentIoToComplete,
  WdfIoTargetLeaveSentIoPending,
  WDF_IO_TARGET_STATE,
  WdfIoTargetStarted,
  WdfIoTargetStopped,
  WdfIoTargetClosed,
  WdfIoTargetGetState,
  WdfIoTargetStart,
  WdfIoTargetStop,
} from "./io-target.js";
export type { EVT_WDF_REQUEST_COMPLETION_ROUTINE } from "./io-target.js";

// ---- Memory ----
export { NonPagedPool, PagedPool, NonPagedPoolNx, WdfMemoryCreate, WdfMemoryCreatePreallocated, WdfMemoryGetBuffer, WdfMemoryCopyToBuffer, WdfMemoryCopyFromBuffer, WDF_MEMORY_DESCRIPTOR, WDF_MEMORY_DESCRIPTOR_INIT_BUFFER, WDF_MEMORY_DESCRIPTOR_INIT_MDL, WDF_MEMORY_DESCRIPTOR_INIT_HANDLE, WDF_MEMORY_DESCRIPTOR_TYPE } from "./memory.js";
export type { WDFMEMORY_OFFSET } from "./memory.js";

// ---- Locks ----
export { WdfSpinLockCreate, WdfSpinLockAcquire, WdfSpinLockRelease, WdfWaitLockCreate, WdfWaitLockAcquire, WdfWaitLockRelease, WdfObjectAcquireLock, WdfObjectReleaseLock } from "./sync.js";

// ---- Timers, DPCs, work items ----
export {
  WDF_TIMER_CONFIG,
  WDF_TIMER_CONFIG_INIT,
  WDF_TIMER_CONFIG_INIT_PERIODIC,
  WdfTimerCreate,
  WdfTimerStart,
  WdfTimerStop,
  WdfTimerGetParentObject,
  WDF_DPC_CONFIG,
  WDF_DPC_CONFIG_INIT,
  WdfDpcCreate,
  WdfDpcEnqueue,
  WdfDpcCancel,
  WDF_WORKITEM_CONFIG,
  WDF_WORKITEM_CONFIG_INIT,
  WdfWorkItemCreate,
  WdfWorkItemEnqueue,
  WdfWorkItemFlush,
  WdfWorkItemGetParentObject,
} from "./timer.js";
export type { EVT_WDF_TIMER, EVT_WDF_DPC, EVT_WDF_WORKITEM } from "./timer.js";

// ---- Collections ----
export { WdfCollectionCreate, WdfCollectionAdd, WdfCollectionRemove, WdfCollectionRemoveItem, WdfCollectionGetCount, WdfCollectionGetItem, WdfCollectionGetFirstItem, WdfCollectionGetLastItem } from "./collection.js";

// ---- The KMDF verifier's codes ----
export { WDF_BUGCHECK_CODES, WDF_REQUEST_FATAL_ERROR_CODES, KMDF_RULES } from "./violations.js";
export type { KmdfRuleId, KmdfRuleInfo } from "./violations.js";

// ---- Request attributes, security, I/O type and power paging of a device (device-init.ts) ----
export { WdfDeviceInitSetRequestAttributes, WdfDeviceInitAssignSDDLString, WDF_IO_TYPE_CONFIG, WDF_IO_TYPE_CONFIG_INIT, WdfDeviceInitSetIoTypeEx, WdfDeviceInitSetPowerPageable, WdfDeviceInitSetPowerNotPageable, WdfDeviceInitSetPowerInrush } from "./device-init.js";
export { WdfObjectContextGetObject, WdfObjectGetTypedContextWorker } from "./object.js";

// ---- Filter devices (filter.ts) ----
export { WdfFdoInitSetFilter, WdfFdoInitWdmGetPhysicalDevice, WdfDeviceWdmGetAttachedDevice, WdfDeviceWdmGetPhysicalDevice } from "./filter.js";

// ---- Queues: stop and purge ----
export { WdfIoQueueStopAndPurge, WdfIoQueueStopAndPurgeSynchronously } from "./queue.js";

// ---- Device failure and capabilities (device-state.ts) ----
export { WDF_DEVICE_FAILED_ACTION, WdfDeviceFailedAttemptRestart, WdfDeviceFailedNoRestart, WdfDeviceSetFailed, WDF_DEVICE_PNP_CAPABILITIES, WDF_DEVICE_PNP_CAPABILITIES_INIT, WdfDeviceSetPnpCapabilities, WDF_DEVICE_POWER_CAPABILITIES, WDF_DEVICE_POWER_CAPABILITIES_INIT, WdfDeviceSetPowerCapabilities } from "./device-state.js";

// ---- Shutdown notification of a control device (shutdown.ts) ----
export { WDF_DEVICE_SHUTDOWN_FLAGS, WdfDeviceShutdown, WdfDeviceLastChanceShutdown, WdfControlDeviceInitSetShutdownNotification } from "./shutdown.js";
export type { EVT_WDF_DEVICE_SHUTDOWN_NOTIFICATION } from "./shutdown.js";

// ---- Debugging aids and request origin ----
export { WdfVerifierDbgBreakPoint } from "./verifier-break.js";
export { WdfRequestIsFromUserModeDriver } from "./request-origin.js";
// ---- Power policy: S0 idle, StopIdle/ResumeIdle, policy ownership (power.ts) ----
export {
  WDF_DEVICE_POWER_POLICY_IDLE_SETTINGS,
  WDF_DEVICE_POWER_POLICY_IDLE_SETTINGS_INIT,
  WDF_POWER_POLICY_S0_IDLE_CAPABILITIES,
  IdleCapsInvalid,
  IdleCannotWakeFromS0,
  IdleCanWakeFromS0,
  IdleUsbSelectiveSuspend,
  WDF_POWER_POLICY_S0_IDLE_USER_CONTROL,
  IdleUserControlInvalid,
  IdleDoNotAllowUserControl,
  IdleAllowUserControl,
  WDF_POWER_POLICY_IDLE_TIMEOUT_TYPE,
  DriverManagedIdleTimeout,
  SystemManagedIdleTimeout,
  SystemManagedIdleTimeoutWithHint,
  IdleTimeoutDefaultValue,
  WDF_POWER_POLICY_EVENT_CALLBACKS,
  WDF_POWER_POLICY_EVENT_CALLBACKS_INIT,
  WdfDeviceInitSetPowerPolicyOwnership,
  WdfDeviceInitSetPowerPolicyEventCallbacks,
  WdfDeviceAssignS0IdleSettings,
  WdfDeviceStopIdle,
  WdfDeviceResumeIdle,
} from "./power.js";
export type { EVT_WDF_DEVICE_POWER_POLICY } from "./power.js";

// ---- The registry and framework strings: WDFKEY, WDFSTRING (registry) ----
export type { WDFKEY, WDFSTRING } from "./handles.js";
export { WdfDriverOpenParametersRegistryKey, WdfDeviceOpenRegistryKey, WdfRegistryOpenKey, WdfRegistryCreateKey, WdfRegistryClose, WdfRegistryWdmGetHandle, WdfRegistryRemoveKey, WdfRegistryRemoveValue, WdfRegistryQueryValue, WdfRegistryQueryULong, WdfRegistryQueryUnicodeString, WdfRegistryQueryString, WdfRegistryQueryMultiString, WdfRegistryQueryMemory, WdfRegistryAssignValue, WdfRegistryAssignULong, WdfRegistryAssignUnicodeString, WdfRegistryAssignString, WdfRegistryAssignMultiString, WdfRegistryAssignMemory } from "./registry.js";
export { WdfStringCreate, WdfStringGetUnicodeString } from "./string.js";
export { PLUGPLAY_REGKEY_DEVICE, PLUGPLAY_REGKEY_DRIVER } from "../io-manager/device-registry.js";
export { KEY_READ, KEY_WRITE, KEY_ALL_ACCESS, KEY_QUERY_VALUE, KEY_SET_VALUE, REG_SZ, REG_DWORD, REG_MULTI_SZ, REG_BINARY, REG_EXPAND_SZ, REG_QWORD } from "../kernel/registry.js";
