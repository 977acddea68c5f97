/**
 * Locl: a driver on top of Lowr's device that asks the device below for things with IRPs of its
 * own (IoAllocateIrp, IoBuildDeviceIoControlRequest) before it answers the app, with one bug per
 * control code in how it manages those IRPs.
 */
import {
  CTL_CODE,
  DEVICE_OBJECT,
  DO_BUFFERED_IO,
  DO_DIRECT_IO,
  DRIVER_OBJECT,
  Executive,
  FILE_ANY_ACCESS,
  FILE_DEVICE_UNKNOWN,
  IO_NO_INCREMENT,
  IO_STATUS_BLOCK,
  IoAllocateIrp,
  IoAttachDeviceToDeviceStack,
  IoBuildDeviceIoControlRequest,
  IoCallDriver,
  IoCompleteRequest,
  IoCreateDevice,
  IoFreeIrp,
  IoGetCurrentIrpStackLocation,
  IoGetNextIrpStackLocation,
  IoSetCompletionRoutine,
  IoSkipCurrentIrpStackLocation,
  IRP,
  IRP_MJ_CLEANUP,
  IRP_MJ_CLOSE,
  IRP_MJ_CREATE,
  IRP_MJ_DEVICE_CONTROL,
  KernelMode,
  KEVENT,
  KeSetEvent,
  KeWaitForSingleObject,
  METHOD_BUFFERED,
  NT_SUCCESS,
  NotificationEvent,
  STATUS_INSUFFICIENT_RESOURCES,
  STATUS_INVALID_PARAMETER,
  STATUS_MORE_PROCESSING_REQUIRED,
  STATUS_NO_SUCH_DEVICE,
  STATUS_PENDING,
  STATUS_SUCCESS,
  type DRIVER_DISPATCH,
  type DRIVER_INITIALIZE,
  type IO_COMPLETION_ROUTINE,
  type NTSTATUS,
} from "irpsim/wdm";
import { IOCTL_LOWR_LATER } from "./lower.js";

const code = (fn: number): number => CTL_CODE(FILE_DEVICE_UNKNOWN, 0x980 + fn, METHOD_BUFFERED, FILE_ANY_ACCESS);
/** Queries the device with an IoAllocateIrp IRP, then finishes that IRP with IoCompleteRequest. */
export const IOCTL_LOCL_QUERY = code(0);
/** Builds a query with IoBuildDeviceIoControlRequest, then frees it on an error path. */
export const IOCTL_LOCL_BUILT_QUERY = code(1);
/** Builds a query and sends it, without waiting when it pends. */
export const IOCTL_LOCL_FIRE_AND_FORGET = code(2);
/** Sends an IoAllocateIrp IRP and frees it before the device below has finished with it. */
export const IOCTL_LOCL_ABORTED_QUERY = code(3);
/** Refuses a request by freeing it. */
export const IOCTL_LOCL_REFUSE = code(4);

/** Locl's device extension. */
export class LOCL_EXTENSION {
  LowerDevice: DEVICE_OBJECT | null = null;
}

function LoclLower(DeviceObject: DEVICE_OBJECT): DEVICE_OBJECT {
  const lower = (DeviceObject.DeviceExtension as LOCL_EXTENSION).LowerDevice;
  if (!lower) throw new Error("Locl is not attached");
  return lower;
}

/**
 * Completion routine of Locl's own IRPs: signals the waiting dispatch routine and stops
 * completion, so the IRP stays Locl's.
 *
 * @returns STATUS_MORE_PROCESSING_REQUIRED.
 */
const LoclQueryCompletion: IO_COMPLETION_ROUTINE = function LoclQueryCompletion(_DeviceObject, _Irp, Context) {
  KeSetEvent(Context as KEVENT, IO_NO_INCREMENT, false);
  return STATUS_MORE_PROCESSING_REQUIRED;
};

/** Allocates an IRP for IOCTL_LOWR_LATER to the device below, with the completion routine set. */
function LoclAllocateQuery(lower: DEVICE_OBJECT, event: KEVENT): IRP | null {
  const query = IoAllocateIrp(lower.StackSize, false);
  if (!query) return null;
  const next = IoGetNextIrpStackLocation(query);
  next.MajorFunction = IRP_MJ_DEVICE_CONTROL;
  next.Parameters.DeviceIoControl.IoControlCode = IOCTL_LOWR_LATER;
  IoSetCompletionRoutine(query, LoclQueryCompletion, event, true, true, true);
  return query;
}

/** The three-line completion of the app's request. */
function LoclComplete(Irp: IRP, status: NTSTATUS): NTSTATUS {
  Irp.IoStatus.Status = status;
  Irp.IoStatus.Information = 0;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
  return status;
}

/**
 * IOCTL_LOCL_QUERY. BUG: Locl finishes its own IRP with IoCompleteRequest instead of IoFreeIrp.
 */
async function LoclQuery(lower: DEVICE_OBJECT, Irp: IRP): Promise<NTSTATUS> {
  const event = new KEVENT(NotificationEvent, false, "LoclQueryDone");
  const query = LoclAllocateQuery(lower, event);
  if (!query) return LoclComplete(Irp, STATUS_INSUFFICIENT_RESOURCES);
  if ((await IoCallDriver(lower, query)) === STATUS_PENDING) await KeWaitForSingleObject(event, Executive, KernelMode, false, null);
  const status = query.IoStatus.Status;
  IoCompleteRequest(query, IO_NO_INCREMENT);
  return LoclComplete(Irp, status);
}

/**
 * IOCTL_LOCL_BUILT_QUERY. BUG: the error path frees an IRP from IoBuildDeviceIoControlRequest,
 * which belongs to the I/O manager (it is queued to the thread).
 */
async function LoclBuiltQuery(lower: DEVICE_OBJECT, Irp: IRP): Promise<NTSTATUS> {
  const stack = IoGetCurrentIrpStackLocation(Irp);
  const event = new KEVENT(NotificationEvent, false, "LoclBuiltQueryDone");
  const iosb = new IO_STATUS_BLOCK();
  const query = IoBuildDeviceIoControlRequest(IOCTL_LOWR_LATER, lower, 0, 0, 0, 0, false, event, iosb);
  if (!query) return LoclComplete(Irp, STATUS_INSUFFICIENT_RESOURCES);
  if (stack.Parameters.DeviceIoControl.InputBufferLength < 4) {
    IoFreeIrp(query);
    return LoclComplete(Irp, STATUS_INVALID_PARAMETER);
  }
  if ((await IoCallDriver(lower, query)) === STATUS_PENDING) await KeWaitForSingleObject(event, Executive, KernelMode, false, null);
  return LoclComplete(Irp, iosb.Status);
}

/**
 * IOCTL_LOCL_FIRE_AND_FORGET. BUG: when the query pends, the routine returns without waiting
 * for it; in C its event and IO_STATUS_BLOCK live on the stack that is now gone.
 */
function LoclFireAndForget(lower: DEVICE_OBJECT, Irp: IRP): NTSTATUS {
  const event = new KEVENT(NotificationEvent, false, "LoclNotifyDone");
  const iosb = new IO_STATUS_BLOCK();
  const query = IoBuildDeviceIoControlRequest(IOCTL_LOWR_LATER, lower, 0, 0, 0, 0, false, event, iosb);
  if (!query) return LoclComplete(Irp, STATUS_INSUFFICIENT_RESOURCES);
  void IoCallDriver(lower, query);
  return LoclComplete(Irp, STATUS_SUCCESS);
}

/**
 * IOCTL_LOCL_ABORTED_QUERY. BUG: gives up on the query at once and frees it, while the device
 * below still holds it.
 */
function LoclAbortedQuery(lower: DEVICE_OBJECT, Irp: IRP): NTSTATUS {
  const event = new KEVENT(NotificationEvent, false, "LoclAbortedQueryDone");
  const query = LoclAllocateQuery(lower, event);
  if (!query) return LoclComplete(Irp, STATUS_INSUFFICIENT_RESOURCES);
  if (IoCallDriver(lower, query) === STATUS_PENDING) {
    IoFreeIrp(query);
    return LoclComplete(Irp, STATUS_SUCCESS);
  }
  IoFreeIrp(query);
  return LoclComplete(Irp, STATUS_SUCCESS);
}

/**
 * IRP_MJ_DEVICE_CONTROL.
 *
 * @returns the request's final status.
 */
const LoclDeviceControl: DRIVER_DISPATCH = function LoclDeviceControl(DeviceObject, Irp) {
  const lower = LoclLower(DeviceObject);
  switch (IoGetCurrentIrpStackLocation(Irp).Parameters.DeviceIoControl.IoControlCode) {
    case IOCTL_LOCL_QUERY:
      return LoclQuery(lower, Irp);
    case IOCTL_LOCL_BUILT_QUERY:
      return LoclBuiltQuery(lower, Irp);
    case IOCTL_LOCL_FIRE_AND_FORGET:
      return LoclFireAndForget(lower, Irp);
    case IOCTL_LOCL_ABORTED_QUERY:
      return LoclAbortedQuery(lower, Irp);
    case IOCTL_LOCL_REFUSE:
      // BUG: a driver completes the IRPs it is sent; it must not free them.
      IoFreeIrp(Irp);
      return STATUS_INVALID_PARAMETER;
    default:
      IoSkipCurrentIrpStackLocation(Irp);
      return IoCallDriver(lower, Irp);
  }
};

/**
 * Passes create, cleanup and close straight down.
 *
 * @returns what the lower driver returns.
 */
const LoclPassThrough: DRIVER_DISPATCH = function LoclPassThrough(DeviceObject, Irp) {
  IoSkipCurrentIrpStackLocation(Irp);
  return IoCallDriver(LoclLower(DeviceObject), Irp);
};

/**
 * Makes Locl's DriverEntry for the device it sits on.
 *
 * @param target the device to attach to.
 * @returns the DriverEntry routine.
 */
export function makeLoclDriver(target: DEVICE_OBJECT): DRIVER_INITIALIZE {
  return function LoclDriverEntry(DriverObject: DRIVER_OBJECT): NTSTATUS {
    const ext = new LOCL_EXTENSION();
    const { status, DeviceObject } = IoCreateDevice(DriverObject, ext, null, FILE_DEVICE_UNKNOWN, 0, false);
    if (!NT_SUCCESS(status) || !DeviceObject) return status;
    ext.LowerDevice = IoAttachDeviceToDeviceStack(DeviceObject, target);
    if (!ext.LowerDevice) return STATUS_NO_SUCH_DEVICE;
    DeviceObject.Flags |= ext.LowerDevice.Flags & (DO_BUFFERED_IO | DO_DIRECT_IO);
    DriverObject.MajorFunction[IRP_MJ_CREATE] = LoclPassThrough;
    DriverObject.MajorFunction[IRP_MJ_CLEANUP] = LoclPassThrough;
    DriverObject.MajorFunction[IRP_MJ_CLOSE] = LoclPassThrough;
    DriverObject.MajorFunction[IRP_MJ_DEVICE_CONTROL] = LoclDeviceControl;
    return STATUS_SUCCESS;
  };
}
