/**
 * Filt: a filter on top of Lowr's device that counts and forwards requests, with one
 * forwarding bug per control code. Other requests pass straight down.
 */
import {
  CTL_CODE,
  DbgPrint,
  DEVICE_OBJECT,
  DO_BUFFERED_IO,
  DO_DIRECT_IO,
  DRIVER_OBJECT,
  FILE_ANY_ACCESS,
  FILE_DEVICE_UNKNOWN,
  IO_NO_INCREMENT,
  IoAttachDeviceToDeviceStack,
  IoCallDriver,
  IoCompleteRequest,
  IoCopyCurrentIrpStackLocationToNext,
  IoCreateDevice,
  IoGetCurrentIrpStackLocation,
  IoReleaseCancelSpinLock,
  IoSetCancelRoutine,
  IoSetCompletionRoutine,
  IoSkipCurrentIrpStackLocation,
  IRP_MJ_CLEANUP,
  IRP_MJ_CLOSE,
  IRP_MJ_CREATE,
  IRP_MJ_DEVICE_CONTROL,
  METHOD_BUFFERED,
  NT_SUCCESS,
  STATUS_CANCELLED,
  STATUS_NO_SUCH_DEVICE,
  STATUS_SUCCESS,
  type DRIVER_CANCEL,
  type DRIVER_DISPATCH,
  type DRIVER_INITIALIZE,
  type IO_COMPLETION_ROUTINE,
  type NTSTATUS,
} from "irpsim/wdm";
import { IOCTL_LOWR_LATER, IOCTL_LOWR_NOW } from "./lower.js";

const code = (fn: number): number => CTL_CODE(FILE_DEVICE_UNKNOWN, 0x940 + fn, METHOD_BUFFERED, FILE_ANY_ACCESS);
/** Forwarded with IoSkipCurrentIrpStackLocation, then logged from the IRP. */
export const IOCTL_FILT_LOGGED = code(0);
/** Forwarded with a completion routine that counts completions. */
export const IOCTL_FILT_COUNTED = code(1);
/** Held with a cancel routine until the lower device is ready, then forwarded. */
export const IOCTL_FILT_HELD = code(2);
/**
 * Forwarded with the counting completion routine to a request the lower driver finishes at once:
 * PendingReturned is never set, so the routine's bug stays hidden — until Force Pending I/O.
 */
export const IOCTL_FILT_COUNTED_FAST = code(3);

/** Filt's device extension. */
export class FILT_EXTENSION {
  LowerDevice: DEVICE_OBJECT | null = null;
  /** Requests that have completed below (FiltCountingCompletion). */
  Completed = 0;
  /** Whether the lower device takes requests now. */
  LowerReady = true;
}

function FiltExtension(DeviceObject: DEVICE_OBJECT): FILT_EXTENSION {
  return DeviceObject.DeviceExtension as FILT_EXTENSION;
}

function FiltLower(DeviceObject: DEVICE_OBJECT): DEVICE_OBJECT {
  const lower = FiltExtension(DeviceObject).LowerDevice;
  if (!lower) throw new Error("Filt is not attached");
  return lower;
}

/**
 * Completion routine that counts completed requests. BUG: it never propagates the pending
 * state (if (Irp->PendingReturned) IoMarkIrpPending(Irp);).
 *
 * @returns STATUS_SUCCESS: completion continues upwards.
 */
const FiltCountingCompletion: IO_COMPLETION_ROUTINE = function FiltCountingCompletion(_DeviceObject, _Irp, Context) {
  (Context as FILT_EXTENSION).Completed++;
  return STATUS_SUCCESS;
};

/**
 * Cancel routine of held requests.
 *
 * @param _DeviceObject the Filt device.
 * @param Irp the request being cancelled.
 */
const FiltCancelRoutine: DRIVER_CANCEL = function FiltCancelRoutine(_DeviceObject, Irp) {
  IoReleaseCancelSpinLock(Irp.CancelIrql);
  Irp.IoStatus.Status = STATUS_CANCELLED;
  Irp.IoStatus.Information = 0;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
};

/**
 * Passes any request straight down.
 *
 * @returns what the lower driver returns.
 */
const FiltPassThrough: DRIVER_DISPATCH = function FiltPassThrough(DeviceObject, Irp) {
  IoSkipCurrentIrpStackLocation(Irp);
  return IoCallDriver(FiltLower(DeviceObject), Irp);
};

/**
 * IRP_MJ_DEVICE_CONTROL: Filt's control codes become IOCTL_LOWR_LATER requests below.
 *
 * @returns what the lower driver returns.
 */
const FiltDeviceControl: DRIVER_DISPATCH = function FiltDeviceControl(DeviceObject, Irp) {
  const ext = FiltExtension(DeviceObject);
  const lower = FiltLower(DeviceObject);
  const stack = IoGetCurrentIrpStackLocation(Irp);
  switch (stack.Parameters.DeviceIoControl.IoControlCode) {
    case IOCTL_FILT_LOGGED: {
      stack.Parameters.DeviceIoControl.IoControlCode = IOCTL_LOWR_LATER;
      IoSkipCurrentIrpStackLocation(Irp);
      const status: NTSTATUS = IoCallDriver(lower, Irp) as NTSTATUS;
      // BUG: the IRP is the lower driver's now; it may already be completed and freed.
      DbgPrint(`Filt: forwarded, lower returned 0x${status.toString(16)}, Information ${Irp.IoStatus.Information}`);
      return status;
    }
    case IOCTL_FILT_COUNTED:
    case IOCTL_FILT_COUNTED_FAST:
      stack.Parameters.DeviceIoControl.IoControlCode = stack.Parameters.DeviceIoControl.IoControlCode === IOCTL_FILT_COUNTED ? IOCTL_LOWR_LATER : IOCTL_LOWR_NOW;
      IoCopyCurrentIrpStackLocationToNext(Irp);
      IoSetCompletionRoutine(Irp, FiltCountingCompletion, ext, true, true, true);
      return IoCallDriver(lower, Irp);
    case IOCTL_FILT_HELD:
      IoSetCancelRoutine(Irp, FiltCancelRoutine);
      if (Irp.Cancel && IoSetCancelRoutine(Irp, null) !== null) {
        Irp.IoStatus.Status = STATUS_CANCELLED;
        IoCompleteRequest(Irp, IO_NO_INCREMENT);
        return STATUS_CANCELLED;
      }
      if (ext.LowerReady) {
        // BUG: forwarded with Filt's cancel routine still set (missing IoSetCancelRoutine(Irp, NULL)).
        stack.Parameters.DeviceIoControl.IoControlCode = IOCTL_LOWR_LATER;
        IoSkipCurrentIrpStackLocation(Irp);
        return IoCallDriver(lower, Irp);
      }
      return STATUS_SUCCESS;
    default:
      return FiltPassThrough(DeviceObject, Irp);
  }
};

/**
 * Makes Filt's DriverEntry for the device it filters (what AddDevice gets as the PDO).
 *
 * @param target the device to attach to.
 * @returns the DriverEntry routine.
 */
export function makeFiltDriver(target: DEVICE_OBJECT): DRIVER_INITIALIZE {
  return function FiltDriverEntry(DriverObject: DRIVER_OBJECT): NTSTATUS {
    const ext = new FILT_EXTENSION();
    const { status, DeviceObject } = IoCreateDevice(DriverObject, ext, null, FILE_DEVICE_UNKNOWN, 0, false);
    if (!NT_SUCCESS(status) || !DeviceObject) return status;
    ext.LowerDevice = IoAttachDeviceToDeviceStack(DeviceObject, target);
    if (!ext.LowerDevice) return STATUS_NO_SUCH_DEVICE;
    DeviceObject.Flags |= ext.LowerDevice.Flags & (DO_BUFFERED_IO | DO_DIRECT_IO);
    DriverObject.MajorFunction[IRP_MJ_CREATE] = FiltPassThrough;
    DriverObject.MajorFunction[IRP_MJ_CLEANUP] = FiltPassThrough;
    DriverObject.MajorFunction[IRP_MJ_CLOSE] = FiltPassThrough;
    DriverObject.MajorFunction[IRP_MJ_DEVICE_CONTROL] = FiltDeviceControl;
    return STATUS_SUCCESS;
  };
}
