/**
 * Upcase: the smallest KMDF port (docs/porting-a-wdk-sample.md, "Porting a KMDF driver"). A
 * non-PnP control device, \Device\Upcase, with one METHOD_BUFFERED IOCTL that writes the input's
 * letters in upper case into the output. The framework owns the dispatch table, the queue and the
 * request's life; the driver only configures objects and handles the request it is given.
 */
import { CTL_CODE, FILE_ANY_ACCESS, FILE_DEVICE_UNKNOWN, METHOD_BUFFERED, NT_SUCCESS, STATUS_INSUFFICIENT_RESOURCES, STATUS_INVALID_DEVICE_REQUEST, STATUS_SUCCESS, readAnsiString, writeAnsiString, type DRIVER_OBJECT, type NTSTATUS } from "irpsim/wdm";
import {
  SDDL_DEVOBJ_SYS_ALL_ADM_ALL,
  WDF_DRIVER_CONFIG,
  WDF_DRIVER_CONFIG_INIT,
  WDF_IO_QUEUE_CONFIG,
  WDF_IO_QUEUE_CONFIG_INIT_DEFAULT_QUEUE,
  WdfControlDeviceInitAllocate,
  WdfControlFinishInitializing,
  WdfDeviceCreate,
  WdfDeviceCreateSymbolicLink,
  WdfDeviceInitAssignName,
  WdfDeviceInitFree,
  WdfDriverCreate,
  WdfDriverInitNonPnpDriver,
  WdfIoQueueCreate,
  WdfIoQueueDispatchSequential,
  WdfRequestComplete,
  WdfRequestCompleteWithInformation,
  WdfRequestRetrieveInputBuffer,
  WdfRequestRetrieveOutputBuffer,
  type EVT_WDF_DRIVER_UNLOAD,
  type EVT_WDF_IO_QUEUE_IO_DEVICE_CONTROL,
} from "irpsim/wdf";

/** The one control code: upper-case the input into the output. */
export const IOCTL_UPCASE = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS);

// #region evtio
/**
 * UpcaseEvtIoDeviceControl: the queue presents each IOCTL here (at most one at a time: the queue
 * is sequential). Every path completes the request exactly once.
 */
const UpcaseEvtIoDeviceControl: EVT_WDF_IO_QUEUE_IO_DEVICE_CONTROL = function UpcaseEvtIoDeviceControl(Queue, Request, OutputBufferLength, InputBufferLength, IoControlCode) {
  if (IoControlCode !== IOCTL_UPCASE) {
    WdfRequestComplete(Request, STATUS_INVALID_DEVICE_REQUEST);
    return;
  }
  // Both buffers are the one system buffer (METHOD_BUFFERED): read all the input first.
  const input = WdfRequestRetrieveInputBuffer(Request, 1);
  if (!NT_SUCCESS(input.status)) {
    WdfRequestComplete(Request, input.status);
    return;
  }
  const text = readAnsiString(input.Buffer, input.Length);
  // The reply and its NUL must fit: the framework checks the minimum for us.
  const output = WdfRequestRetrieveOutputBuffer(Request, text.length + 1);
  if (!NT_SUCCESS(output.status)) {
    WdfRequestComplete(Request, output.status); // STATUS_BUFFER_TOO_SMALL
    return;
  }
  writeAnsiString(output.Buffer, text.toUpperCase());
  // Information is what the I/O manager copies back to the app (lpBytesReturned).
  WdfRequestCompleteWithInformation(Request, STATUS_SUCCESS, text.length + 1);
};
// #endregion evtio

/** EvtDriverUnload: the framework deletes the control device with the driver object. */
const UpcaseEvtDriverUnload: EVT_WDF_DRIVER_UNLOAD = function UpcaseEvtDriverUnload() {};

// #region entry
/** DriverEntry: a non-PnP framework driver, one control device, one sequential default queue. */
export function UpcaseDriverEntry(DriverObject: DRIVER_OBJECT, RegistryPath: string): NTSTATUS {
  const config = new WDF_DRIVER_CONFIG();
  WDF_DRIVER_CONFIG_INIT(config, null); // no EvtDriverDeviceAdd: not a PnP driver
  config.DriverInitFlags |= WdfDriverInitNonPnpDriver;
  config.EvtDriverUnload = UpcaseEvtDriverUnload;
  const drv = WdfDriverCreate(DriverObject, RegistryPath, null, config);
  if (!NT_SUCCESS(drv.status) || !drv.Driver) return drv.status;

  const init = WdfControlDeviceInitAllocate(drv.Driver, SDDL_DEVOBJ_SYS_ALL_ADM_ALL);
  if (!init) return STATUS_INSUFFICIENT_RESOURCES;
  const named = WdfDeviceInitAssignName(init, "\\Device\\Upcase");
  if (!NT_SUCCESS(named)) {
    WdfDeviceInitFree(init);
    return named;
  }
  const created = WdfDeviceCreate(init, null);
  if (!NT_SUCCESS(created.status) || !created.Device) {
    WdfDeviceInitFree(init); // a control device's init is the driver's to free on failure
    return created.status;
  }
  const linked = WdfDeviceCreateSymbolicLink(created.Device, "\\DosDevices\\Upcase");
  if (!NT_SUCCESS(linked)) return linked;

  const queueConfig = new WDF_IO_QUEUE_CONFIG();
  WDF_IO_QUEUE_CONFIG_INIT_DEFAULT_QUEUE(queueConfig, WdfIoQueueDispatchSequential);
  queueConfig.EvtIoDeviceControl = UpcaseEvtIoDeviceControl;
  const queue = WdfIoQueueCreate(created.Device, queueConfig, null);
  if (!NT_SUCCESS(queue.status)) return queue.status;
  WdfControlFinishInitializing(created.Device); // opens are refused until now
  return STATUS_SUCCESS;
}
// #endregion entry
