/**
 * KmdfIoctl: a non-PnP KMDF driver in the style of the WDK's general/ioctl/kmdf sample. A control
 * device (\Device\KmdfIoctl, \DosDevices\KmdfIoctl) serves one IOCTL per buffering method:
 * METHOD_BUFFERED, METHOD_IN_DIRECT, METHOD_OUT_DIRECT and METHOD_NEITHER. Each reads the app's
 * input and writes a reply into its output. METHOD_NEITHER's raw user addresses are only usable in
 * the requester's context, so EvtIoInCallerContext probes and locks them there
 * (WdfRequestProbeAndLockUserBufferForRead/Write), keeps the memory objects in the request's
 * context, and enqueues the request; the queue's EvtIoDeviceControl then uses only the locked
 * system mappings.
 */
import {
  CTL_CODE,
  DbgPrint,
  FILE_ANY_ACCESS,
  FILE_DEVICE_UNKNOWN,
  METHOD_BUFFERED,
  METHOD_IN_DIRECT,
  METHOD_NEITHER,
  METHOD_OUT_DIRECT,
  NT_SUCCESS,
  STATUS_INSUFFICIENT_RESOURCES,
  STATUS_INVALID_DEVICE_REQUEST,
  STATUS_SUCCESS,
  readAnsiString,
  writeAnsiString,
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
  WDF_IO_QUEUE_CONFIG_INIT_DEFAULT_QUEUE,
  WDF_OBJECT_ATTRIBUTES,
  WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE,
  WDF_REQUEST_PARAMETERS,
  WDF_REQUEST_PARAMETERS_INIT,
  WdfControlDeviceInitAllocate,
  WdfControlFinishInitializing,
  WdfDeviceCreate,
  WdfDeviceCreateSymbolicLink,
  WdfDeviceEnqueueRequest,
  WdfDeviceInitAssignName,
  WdfDeviceInitFree,
  WdfDeviceInitSetExclusive,
  WdfDeviceInitSetFileObjectConfig,
  WdfDeviceInitSetIoInCallerContextCallback,
  WdfDeviceInitSetIoType,
  WdfDeviceIoBuffered,
  WdfDriverCreate,
  WdfDriverInitNonPnpDriver,
  WdfIoQueueCreate,
  WdfIoQueueDispatchSequential,
  WdfMemoryGetBuffer,
  WdfObjectAllocateContext,
  WdfRequestComplete,
  WdfRequestCompleteWithInformation,
  WdfRequestGetParameters,
  WdfRequestGetRequestorMode,
  WdfRequestProbeAndLockUserBufferForRead,
  WdfRequestProbeAndLockUserBufferForWrite,
  WdfRequestRetrieveInputBuffer,
  WdfRequestRetrieveOutputBuffer,
  WdfRequestRetrieveUnsafeUserInputBuffer,
  WdfRequestRetrieveUnsafeUserOutputBuffer,
  WdfFileObjectGetDevice,
  WdfIoQueueGetDevice,
  type EVT_WDF_DEVICE_FILE_CREATE,
  type EVT_WDF_DRIVER_UNLOAD,
  type EVT_WDF_FILE_CLOSE,
  type EVT_WDF_IO_IN_CALLER_CONTEXT,
  type EVT_WDF_IO_QUEUE_IO_DEVICE_CONTROL,
  type WDFDEVICE,
  type WDFMEMORY,
} from "irpsim/wdf";

/** The sample's control codes, one per buffering method. */
export const IOCTL_KMDF_METHOD_BUFFERED = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x900, METHOD_BUFFERED, FILE_ANY_ACCESS);
export const IOCTL_KMDF_METHOD_IN_DIRECT = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x901, METHOD_IN_DIRECT, FILE_ANY_ACCESS);
export const IOCTL_KMDF_METHOD_OUT_DIRECT = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x902, METHOD_OUT_DIRECT, FILE_ANY_ACCESS);
export const IOCTL_KMDF_METHOD_NEITHER = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x903, METHOD_NEITHER, FILE_ANY_ACCESS);

/** What the driver writes back (the method's name is appended). */
export const DRIVER_REPLY = "This string is from the KMDF driver";

/** The request context of a METHOD_NEITHER request: the buffers locked in the caller's context. */
export class REQUEST_CONTEXT {
  InputMemory: WDFMEMORY | null = null;
  OutputMemory: WDFMEMORY | null = null;
}
export const GetRequestContext = WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(REQUEST_CONTEXT, "GetRequestContext");

/** What the driver saw, for the scenario's checks (one entry per IOCTL). */
export class CONTROL_DEVICE_CONTEXT {
  readonly Received: { code: number; input: string; mode: number }[] = [];
  Opens = 0;
  Closes = 0;
}
export const ControlGetContext = WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(CONTROL_DEVICE_CONTEXT, "ControlGetContext");

/** The method's name, for the reply. */
function methodName(code: number): string {
  return ["METHOD_BUFFERED", "METHOD_IN_DIRECT", "METHOD_OUT_DIRECT", "METHOD_NEITHER"][code & 3] ?? "?";
}

/**
 * IoctlEvtIoInCallerContext: in the requester's thread, before any queue. For METHOD_NEITHER the
 * raw input and output addresses are probed and locked here, in the app's address space; every
 * other request goes straight to the queue.
 */
const IoctlEvtIoInCallerContext: EVT_WDF_IO_IN_CALLER_CONTEXT = function IoctlEvtIoInCallerContext(Device, Request) {
  const params = new WDF_REQUEST_PARAMETERS();
  WDF_REQUEST_PARAMETERS_INIT(params);
  WdfRequestGetParameters(Request, params);
  if (params.Parameters.DeviceIoControl.IoControlCode === IOCTL_KMDF_METHOD_NEITHER) {
    const attributes = new WDF_OBJECT_ATTRIBUTES();
    WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(attributes, GetRequestContext);
    const allocated = WdfObjectAllocateContext(Request, attributes);
    if (!NT_SUCCESS(allocated.status)) {
      WdfRequestComplete(Request, allocated.status);
      return;
    }
    const ctx = GetRequestContext(Request);
    const input = WdfRequestRetrieveUnsafeUserInputBuffer(Request, 0);
    if (NT_SUCCESS(input.status)) {
      const locked = WdfRequestProbeAndLockUserBufferForRead(Request, input.InputBuffer, input.Length);
      if (!NT_SUCCESS(locked.status)) {
        WdfRequestComplete(Request, locked.status);
        return;
      }
      ctx.InputMemory = locked.MemoryObject;
    }
    const output = WdfRequestRetrieveUnsafeUserOutputBuffer(Request, 0);
    if (NT_SUCCESS(output.status)) {
      const locked = WdfRequestProbeAndLockUserBufferForWrite(Request, output.OutputBuffer, output.Length);
      if (!NT_SUCCESS(locked.status)) {
        WdfRequestComplete(Request, locked.status);
        return;
      }
      ctx.OutputMemory = locked.MemoryObject;
    }
  }
  const status = WdfDeviceEnqueueRequest(Device, Request);
  if (!NT_SUCCESS(status)) WdfRequestComplete(Request, status);
};

/**
 * IoctlEvtIoDeviceControl: reads the input (as a string) and writes the reply, each method's
 * buffers retrieved the way that method allows.
 *
 * @returns nothing; the request is completed with the bytes written.
 */
const IoctlEvtIoDeviceControl: EVT_WDF_IO_QUEUE_IO_DEVICE_CONTROL = function IoctlEvtIoDeviceControl(Queue, Request, OutputBufferLength, InputBufferLength, IoControlCode) {
  let inBuffer = 0;
  let outBuffer: number;
  let outLength: number;
  switch (IoControlCode) {
    case IOCTL_KMDF_METHOD_BUFFERED:
    case IOCTL_KMDF_METHOD_IN_DIRECT:
    case IOCTL_KMDF_METHOD_OUT_DIRECT: {
      // The input is in the system buffer for all three; the output is the system buffer
      // (buffered) or the locked user pages mapped to system space (direct).
      if (InputBufferLength > 0) {
        const input = WdfRequestRetrieveInputBuffer(Request, 1);
        if (!NT_SUCCESS(input.status)) {
          WdfRequestComplete(Request, input.status);
          return;
        }
        inBuffer = input.Buffer;
      }
      const output = WdfRequestRetrieveOutputBuffer(Request, 1);
      if (!NT_SUCCESS(output.status)) {
        WdfRequestComplete(Request, output.status);
        return;
      }
      outBuffer = output.Buffer;
      outLength = output.Length;
      break;
    }
    case IOCTL_KMDF_METHOD_NEITHER: {
      // Only the mappings locked in EvtIoInCallerContext: the raw addresses mean nothing here.
      const ctx = GetRequestContext(Request);
      if (ctx.InputMemory) inBuffer = WdfMemoryGetBuffer(ctx.InputMemory).Buffer;
      if (!ctx.OutputMemory) {
        WdfRequestComplete(Request, STATUS_INVALID_DEVICE_REQUEST);
        return;
      }
      const out = WdfMemoryGetBuffer(ctx.OutputMemory);
      outBuffer = out.Buffer;
      outLength = out.BufferSize;
      break;
    }
    default:
      WdfRequestComplete(Request, STATUS_INVALID_DEVICE_REQUEST);
      return;
  }
  const dev = ControlGetContext(WdfIoQueueGetDevice(Queue) as WDFDEVICE);
  const input = inBuffer !== 0 ? readAnsiString(inBuffer, InputBufferLength) : "";
  dev.Received.push({ code: IoControlCode, input, mode: WdfRequestGetRequestorMode(Request) });
  DbgPrint(`KmdfIoctl: ${methodName(IoControlCode)} got "${input}"`);
  const reply = `${DRIVER_REPLY} (${methodName(IoControlCode)})`;
  const n = Math.min(reply.length + 1, outLength, OutputBufferLength);
  if (n <= 0) {
    WdfRequestComplete(Request, STATUS_SUCCESS);
    return;
  }
  writeAnsiString(outBuffer, reply.slice(0, n - 1));
  WdfRequestCompleteWithInformation(Request, STATUS_SUCCESS, n);
};


/** EvtDeviceFileCreate: every open succeeds (the device is exclusive: one app at a time). */
const IoctlEvtDeviceFileCreate: EVT_WDF_DEVICE_FILE_CREATE = function IoctlEvtDeviceFileCreate(Device, Request) {
  ControlGetContext(Device).Opens++;
  WdfRequestComplete(Request, STATUS_SUCCESS);
};

/** EvtFileClose. */
const IoctlEvtFileClose: EVT_WDF_FILE_CLOSE = function IoctlEvtFileClose(FileObject) {
  ControlGetContext(WdfFileObjectGetDevice(FileObject) as WDFDEVICE).Closes++;
};

/** EvtDriverUnload: the framework deletes the control device with the driver object. */
const IoctlEvtDriverUnload: EVT_WDF_DRIVER_UNLOAD = function IoctlEvtDriverUnload() {
  DbgPrint("KmdfIoctl: unloading");
};

/**
 * DriverEntry: a non-PnP framework driver with one control device (buffered I/O, exclusive,
 * file callbacks, EvtIoInCallerContext) and a sequential default queue.
 */
export function KmdfIoctlDriverEntry(DriverObject: DRIVER_OBJECT, RegistryPath: string): NTSTATUS {
  const config = new WDF_DRIVER_CONFIG();
  WDF_DRIVER_CONFIG_INIT(config, null);
  config.DriverInitFlags |= WdfDriverInitNonPnpDriver;
  config.EvtDriverUnload = IoctlEvtDriverUnload;
  const drv = WdfDriverCreate(DriverObject, RegistryPath, null, config);
  if (!NT_SUCCESS(drv.status) || !drv.Driver) return drv.status;

  const init = WdfControlDeviceInitAllocate(drv.Driver, SDDL_DEVOBJ_SYS_ALL_ADM_ALL);
  if (!init) return STATUS_INSUFFICIENT_RESOURCES;
  WdfDeviceInitSetExclusive(init, true);
  WdfDeviceInitSetIoType(init, WdfDeviceIoBuffered);
  let status = WdfDeviceInitAssignName(init, "\\Device\\KmdfIoctl");
  if (!NT_SUCCESS(status)) {
    WdfDeviceInitFree(init);
    return status;
  }
  const fileConfig = new WDF_FILEOBJECT_CONFIG();
  WDF_FILEOBJECT_CONFIG_INIT(fileConfig, IoctlEvtDeviceFileCreate, IoctlEvtFileClose, null);
  WdfDeviceInitSetFileObjectConfig(init, fileConfig, null);
  WdfDeviceInitSetIoInCallerContextCallback(init, IoctlEvtIoInCallerContext);
  const attributes = new WDF_OBJECT_ATTRIBUTES();
  WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(attributes, ControlGetContext);
  const created = WdfDeviceCreate(init, attributes);
  if (!NT_SUCCESS(created.status) || !created.Device) {
    WdfDeviceInitFree(init);
    return created.status;
  }
  const Device = created.Device;
  status = WdfDeviceCreateSymbolicLink(Device, "\\DosDevices\\KmdfIoctl");
  if (!NT_SUCCESS(status)) return status;

  const queueConfig = new WDF_IO_QUEUE_CONFIG();
  WDF_IO_QUEUE_CONFIG_INIT_DEFAULT_QUEUE(queueConfig, WdfIoQueueDispatchSequential);
  queueConfig.EvtIoDeviceControl = IoctlEvtIoDeviceControl;
  const q = WdfIoQueueCreate(Device, queueConfig, null);
  if (!NT_SUCCESS(q.status)) return q.status;
  // Opens are refused until the device is ready.
  WdfControlFinishInitializing(Device);
  return STATUS_SUCCESS;
}
