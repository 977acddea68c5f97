/**
 * KmdfSharebuf: the shared-buffer design (see samples/sharebuf) done the KMDF way.
 *
 * The app hands a buffer over with IOCTL_SHARE_BUFFER (METHOD_OUT_DIRECT, overlapped). The I/O
 * manager locks it with an MDL; the driver gets that MDL with WdfRequestRetrieveOutputWdmMdl, maps
 * it to system space and parks the request in a manual queue — the framework then owns it, and
 * cancels it for the driver. A periodic timer writes records through the system address while
 * the app reads them at its own. The sharing ends three ways:
 * - IOCTL_DONE_USING_SHARE_BUFFER: the driver takes the parked request back
 *   (WdfIoQueueRetrieveRequestByFileObject) and completes it;
 * - a cancel, or the app's death (its thread's requests are cancelled): the framework takes the
 *   request out of the manual queue and calls EvtIoCanceledOnQueue;
 * - the app closing its handle first: after IRP_MJ_CLEANUP (EvtFileCleanup) the framework flushes
 *   the file's requests from every queue, and EvtIoCanceledOnQueue runs.
 * The device's synchronization scope serialises the queues' callbacks and the timer under one
 * framework lock, so the mapping is never used after the request that backs it is completed.
 */
import {
  CTL_CODE,
  DbgPrint,
  FILE_ANY_ACCESS,
  FILE_DEVICE_UNKNOWN,
  METHOD_BUFFERED,
  METHOD_OUT_DIRECT,
  MdlMappingNoExecute,
  MmGetMdlByteCount,
  MmGetSystemAddressForMdlSafe,
  NT_SUCCESS,
  NormalPagePriority,
  STATUS_CANCELLED,
  STATUS_DEVICE_BUSY,
  STATUS_INSUFFICIENT_RESOURCES,
  STATUS_INVALID_DEVICE_REQUEST,
  STATUS_INVALID_DEVICE_STATE,
  STATUS_INVALID_PARAMETER,
  STATUS_SUCCESS,
  writeU32,
  type DRIVER_OBJECT,
  type NTSTATUS,
} from "irpsim/wdm";
import {
  SDDL_DEVOBJ_SYS_ALL_ADM_ALL,
  WDF_DECLARE_CONTEXT_TYPE_WITH_NAME,
  WDF_DRIVER_CONFIG,
  WDF_DRIVER_CONFIG_INIT,
  WDF_FILEOBJECT_CONFIG,
  WDF_FILEOBJECT_CONFIG_INIT,
  WDF_IO_QUEUE_CONFIG,
  WDF_IO_QUEUE_CONFIG_INIT,
  WDF_IO_QUEUE_CONFIG_INIT_DEFAULT_QUEUE,
  WDF_OBJECT_ATTRIBUTES,
  WDF_OBJECT_ATTRIBUTES_INIT,
  WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE,
  WDF_REL_TIMEOUT_IN_MS,
  WDF_TIMER_CONFIG,
  WDF_TIMER_CONFIG_INIT_PERIODIC,
  WdfControlDeviceInitAllocate,
  WdfControlFinishInitializing,
  WdfDeviceCreate,
  WdfDeviceCreateSymbolicLink,
  WdfDeviceInitAssignName,
  WdfDeviceInitFree,
  WdfDeviceInitSetFileObjectConfig,
  WdfDeviceInitSetIoType,
  WdfDeviceIoDirect,
  WdfDriverCreate,
  WdfDriverInitNonPnpDriver,
  WdfFileObjectGetDevice,
  WdfIoQueueCreate,
  WdfIoQueueDispatchManual,
  WdfIoQueueDispatchParallel,
  WdfIoQueueGetDevice,
  WdfIoQueueRetrieveRequestByFileObject,
  WdfRequestComplete,
  WdfRequestCompleteWithInformation,
  WdfRequestForwardToIoQueue,
  WdfRequestGetFileObject,
  WdfRequestRetrieveOutputWdmMdl,
  WdfSynchronizationScopeDevice,
  WdfTimerCreate,
  WdfTimerGetParentObject,
  WdfTimerStart,
  WdfTimerStop,
  type EVT_WDF_FILE_CLEANUP,
  type EVT_WDF_IO_QUEUE_IO_CANCELED_ON_QUEUE,
  type EVT_WDF_IO_QUEUE_IO_DEVICE_CONTROL,
  type EVT_WDF_TIMER,
  type WDFDEVICE,
  type WDFFILEOBJECT,
  type WDFQUEUE,
  type WDFREQUEST,
  type WDFTIMER,
} from "irpsim/wdf";

/** Hands the output buffer to the driver; the request stays pending while the buffer is shared. */
export const IOCTL_SHARE_BUFFER = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_OUT_DIRECT, FILE_ANY_ACCESS);
/** Ends the sharing: the driver completes the IOCTL_SHARE_BUFFER request. */
export const IOCTL_DONE_USING_SHARE_BUFFER = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x801, METHOD_BUFFERED, FILE_ANY_ACCESS);

/** The shared buffer's layout: a header (magic, newest sequence, ring slots), then a ring of records. */
export const SHAREBUF_MAGIC = 0x464d4453; // "SDMF"
export const HEADER_BYTES = 16;
export const RECORD_BYTES = 16;
export const OFFSET_MAGIC = 0;
export const OFFSET_SEQUENCE = 4;
export const OFFSET_SLOTS = 8;
/** A record is written every this many milliseconds. */
export const PERIOD_MS = 10;

/** The device's context (guarded by the device's framework lock: device synchronization scope). */
export class SHAREBUF_CONTEXT {
  /** The manual queue that holds the IOCTL_SHARE_BUFFER request while the buffer is shared. */
  ShareQueue: WDFQUEUE | null = null;
  Timer: WDFTIMER | null = null;
  /** The shared buffer's system address (0 when nothing is shared), and its length. */
  SharedBuffer = 0;
  SharedLength = 0;
  /** The file object that shares it. */
  SharedBy: WDFFILEOBJECT | null = null;
  Sequence = 0;
  /** How each sharing ended ("done-using", "canceled on queue"), for the scenario's checks. */
  readonly Endings: string[] = [];
  /** EvtFileCleanup calls. */
  Cleanups = 0;
}
export const SharebufGetContext = WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(SHAREBUF_CONTEXT, "SharebufGetContext");

/** Stops using the mapping: after this nothing touches the system address (device lock held). */
function StopSharing(ctx: SHAREBUF_CONTEXT, how: string): void {
  ctx.SharedBuffer = 0;
  ctx.SharedLength = 0;
  ctx.SharedBy = null;
  ctx.Endings.push(how);
  if (ctx.Timer) void WdfTimerStop(ctx.Timer, false);
}

/**
 * SharebufEvtTimerFunc: writes the next record (its sequence number and its square) and updates
 * the header, through the system address (serialised with the queues by the device's lock).
 */
const SharebufEvtTimerFunc: EVT_WDF_TIMER = function SharebufEvtTimerFunc(Timer) {
  const ctx = SharebufGetContext(WdfTimerGetParentObject(Timer) as WDFDEVICE);
  const base = ctx.SharedBuffer;
  if (base === 0) return;
  const slots = Math.floor((ctx.SharedLength - HEADER_BYTES) / RECORD_BYTES);
  const sequence = ++ctx.Sequence;
  const record = base + HEADER_BYTES + ((sequence - 1) % slots) * RECORD_BYTES;
  writeU32(record, sequence);
  writeU32(record + 8, sequence * sequence);
  writeU32(base + OFFSET_SLOTS, slots);
  writeU32(base + OFFSET_SEQUENCE, sequence);
};

/**
 * SharebufEvtIoDeviceControl: IOCTL_SHARE_BUFFER maps the app's buffer and parks the request in
 * the share queue; IOCTL_DONE_USING_SHARE_BUFFER takes it back and completes both.
 */
const SharebufEvtIoDeviceControl: EVT_WDF_IO_QUEUE_IO_DEVICE_CONTROL = function SharebufEvtIoDeviceControl(Queue, Request, OutputBufferLength, _InputBufferLength, IoControlCode) {
  const Device = WdfIoQueueGetDevice(Queue) as WDFDEVICE;
  const ctx = SharebufGetContext(Device);
  switch (IoControlCode) {
    case IOCTL_SHARE_BUFFER: {
      if (ctx.SharedBuffer !== 0) {
        WdfRequestComplete(Request, STATUS_DEVICE_BUSY);
        return;
      }
      if (OutputBufferLength < HEADER_BYTES + RECORD_BYTES) {
        WdfRequestComplete(Request, STATUS_INVALID_PARAMETER);
        return;
      }
      const mdl = WdfRequestRetrieveOutputWdmMdl(Request);
      if (!NT_SUCCESS(mdl.status) || !mdl.Mdl) {
        WdfRequestComplete(Request, mdl.status);
        return;
      }
      const va = MmGetSystemAddressForMdlSafe(mdl.Mdl, NormalPagePriority | MdlMappingNoExecute);
      if (va === 0) {
        WdfRequestComplete(Request, STATUS_INSUFFICIENT_RESOURCES);
        return;
      }
      ctx.SharedBuffer = va;
      ctx.SharedLength = MmGetMdlByteCount(mdl.Mdl);
      ctx.SharedBy = WdfRequestGetFileObject(Request);
      ctx.Sequence = 0;
      writeU32(va + OFFSET_MAGIC, SHAREBUF_MAGIC);
      DbgPrint(`KmdfSharebuf: sharing ${ctx.SharedLength} bytes at system address 0x${va.toString(16).toUpperCase()}`);
      // Park it: the manual queue owns it now, and the framework cancels it from there (at once,
      // through EvtIoCanceledOnQueue, if it was cancelled already).
      const status = WdfRequestForwardToIoQueue(Request, ctx.ShareQueue as WDFQUEUE);
      if (!NT_SUCCESS(status)) {
        ctx.SharedBuffer = 0;
        ctx.SharedLength = 0;
        ctx.SharedBy = null;
        WdfRequestComplete(Request, status);
        return;
      }
      if (ctx.SharedBuffer !== 0) WdfTimerStart(ctx.Timer as WDFTIMER, WDF_REL_TIMEOUT_IN_MS(PERIOD_MS));
      return;
    }
    case IOCTL_DONE_USING_SHARE_BUFFER: {
      const fo = WdfRequestGetFileObject(Request);
      const shared = fo ? WdfIoQueueRetrieveRequestByFileObject(ctx.ShareQueue as WDFQUEUE, fo) : null;
      if (!shared || !NT_SUCCESS(shared.status) || !shared.Request) {
        // Nothing shared by this file (or its request is being cancelled right now).
        WdfRequestComplete(Request, STATUS_INVALID_DEVICE_STATE);
        return;
      }
      StopSharing(ctx, "done-using");
      WdfRequestCompleteWithInformation(shared.Request, STATUS_SUCCESS, 0);
      WdfRequestComplete(Request, STATUS_SUCCESS);
      return;
    }
    default:
      WdfRequestComplete(Request, STATUS_INVALID_DEVICE_REQUEST);
  }
};

/**
 * SharebufEvtIoCanceledOnQueue: the parked request was cancelled (the app cancelled it, died, or
 * closed its handle): stop using the mapping, then complete it.
 */
const SharebufEvtIoCanceledOnQueue: EVT_WDF_IO_QUEUE_IO_CANCELED_ON_QUEUE = function SharebufEvtIoCanceledOnQueue(Queue, Request: WDFREQUEST) {
  const ctx = SharebufGetContext(WdfIoQueueGetDevice(Queue) as WDFDEVICE);
  StopSharing(ctx, "canceled on queue");
  WdfRequestCompleteWithInformation(Request, STATUS_CANCELLED, 0);
};

/** EvtFileCleanup: the framework flushes the closing file's parked request right after (EvtIoCanceledOnQueue). */
const SharebufEvtFileCleanup: EVT_WDF_FILE_CLEANUP = function SharebufEvtFileCleanup(FileObject) {
  SharebufGetContext(WdfFileObjectGetDevice(FileObject) as WDFDEVICE).Cleanups++;
};

/**
 * DriverEntry: a non-PnP driver with one control device (direct I/O, device-level
 * synchronization), a parallel default queue, the manual share queue and the record timer.
 */
export function KmdfSharebufDriverEntry(DriverObject: DRIVER_OBJECT, RegistryPath: string): NTSTATUS {
  const config = new WDF_DRIVER_CONFIG();
  WDF_DRIVER_CONFIG_INIT(config, null);
  config.DriverInitFlags |= WdfDriverInitNonPnpDriver;
  config.EvtDriverUnload = function SharebufEvtDriverUnload() {
    DbgPrint("KmdfSharebuf: unloading");
  };
  const drv = WdfDriverCreate(DriverObject, RegistryPath, null, config);
  if (!NT_SUCCESS(drv.status) || !drv.Driver) return drv.status;

  const init = WdfControlDeviceInitAllocate(drv.Driver, SDDL_DEVOBJ_SYS_ALL_ADM_ALL);
  if (!init) return STATUS_INSUFFICIENT_RESOURCES;
  WdfDeviceInitSetIoType(init, WdfDeviceIoDirect);
  let status = WdfDeviceInitAssignName(init, "\\Device\\KmdfSharebuf");
  if (!NT_SUCCESS(status)) {
    WdfDeviceInitFree(init);
    return status;
  }
  const fileConfig = new WDF_FILEOBJECT_CONFIG();
  WDF_FILEOBJECT_CONFIG_INIT(fileConfig, null, null, SharebufEvtFileCleanup);
  WdfDeviceInitSetFileObjectConfig(init, fileConfig, null);
  const attributes = new WDF_OBJECT_ATTRIBUTES();
  WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(attributes, SharebufGetContext);
  attributes.SynchronizationScope = WdfSynchronizationScopeDevice;
  const created = WdfDeviceCreate(init, attributes);
  if (!NT_SUCCESS(created.status) || !created.Device) {
    WdfDeviceInitFree(init);
    return created.status;
  }
  const Device = created.Device;
  const ctx = SharebufGetContext(Device);
  status = WdfDeviceCreateSymbolicLink(Device, "\\DosDevices\\KmdfSharebuf");
  if (!NT_SUCCESS(status)) return status;

  const defaultConfig = new WDF_IO_QUEUE_CONFIG();
  WDF_IO_QUEUE_CONFIG_INIT_DEFAULT_QUEUE(defaultConfig, WdfIoQueueDispatchParallel);
  defaultConfig.EvtIoDeviceControl = SharebufEvtIoDeviceControl;
  const dq = WdfIoQueueCreate(Device, defaultConfig, null);
  if (!NT_SUCCESS(dq.status)) return dq.status;

  const shareConfig = new WDF_IO_QUEUE_CONFIG();
  WDF_IO_QUEUE_CONFIG_INIT(shareConfig, WdfIoQueueDispatchManual);
  shareConfig.EvtIoCanceledOnQueue = SharebufEvtIoCanceledOnQueue;
  const sq = WdfIoQueueCreate(Device, shareConfig, null);
  if (!NT_SUCCESS(sq.status)) return sq.status;
  ctx.ShareQueue = sq.Queue;

  const timerConfig = new WDF_TIMER_CONFIG();
  WDF_TIMER_CONFIG_INIT_PERIODIC(timerConfig, SharebufEvtTimerFunc, PERIOD_MS);
  const timerAttributes = new WDF_OBJECT_ATTRIBUTES();
  WDF_OBJECT_ATTRIBUTES_INIT(timerAttributes);
  timerAttributes.ParentObject = Device;
  const timer = WdfTimerCreate(timerConfig, timerAttributes);
  if (!NT_SUCCESS(timer.status)) return timer.status;
  ctx.Timer = timer.Timer;
  WdfControlFinishInitializing(Device);
  return STATUS_SUCCESS;
}
