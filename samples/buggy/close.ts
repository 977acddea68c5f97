/**
 * Clos: a driver that counts its open handles. Its IRP_MJ_CLOSE handler updates the count and
 * fills in the I/O status, then returns without IoCompleteRequest — the request is dropped.
 */
import {
  DEVICE_OBJECT,
  DRIVER_OBJECT,
  FILE_DEVICE_UNKNOWN,
  IO_NO_INCREMENT,
  IoCompleteRequest,
  IoCreateDevice,
  IoCreateSymbolicLink,
  IRP,
  IRP_MJ_CLEANUP,
  IRP_MJ_CLOSE,
  IRP_MJ_CREATE,
  KeAcquireSpinLock,
  KeInitializeSpinLock,
  KeReleaseSpinLock,
  KSPIN_LOCK,
  NT_SUCCESS,
  STATUS_SUCCESS,
  type DRIVER_DISPATCH,
  type NTSTATUS,
} from "irpsim/wdm";
import { CloseHandle } from "irpsim/win32";
import { openSampleDevice, type SampleSetup } from "./harness.js";

/** Clos's device extension. */
export class CLOS_EXTENSION {
  readonly Lock = new KSPIN_LOCK("ClosLock");
  OpenHandles = 0;
}

function ClosExtension(DeviceObject: DEVICE_OBJECT): CLOS_EXTENSION {
  return DeviceObject.DeviceExtension as CLOS_EXTENSION;
}

/** The three-line completion. */
function ClosComplete(Irp: IRP, status: NTSTATUS): NTSTATUS {
  Irp.IoStatus.Status = status;
  Irp.IoStatus.Information = 0;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
  return status;
}

/**
 * IRP_MJ_CREATE: counts the handle.
 *
 * @returns STATUS_SUCCESS.
 */
const ClosCreate: DRIVER_DISPATCH = function ClosCreate(DeviceObject, Irp) {
  const ext = ClosExtension(DeviceObject);
  const oldIrql = KeAcquireSpinLock(ext.Lock);
  ext.OpenHandles++;
  KeReleaseSpinLock(ext.Lock, oldIrql);
  return ClosComplete(Irp, STATUS_SUCCESS);
};

/**
 * IRP_MJ_CLEANUP.
 *
 * @returns STATUS_SUCCESS.
 */
const ClosCleanup: DRIVER_DISPATCH = function ClosCleanup(_DeviceObject, Irp) {
  return ClosComplete(Irp, STATUS_SUCCESS);
};

/**
 * IRP_MJ_CLOSE: the handle count goes down.
 *
 * @returns STATUS_SUCCESS.
 */
const ClosClose: DRIVER_DISPATCH = function ClosClose(DeviceObject, Irp) {
  const ext = ClosExtension(DeviceObject);
  const oldIrql = KeAcquireSpinLock(ext.Lock);
  if (ext.OpenHandles === 0) {
    KeReleaseSpinLock(ext.Lock, oldIrql);
    return ClosComplete(Irp, STATUS_SUCCESS);
  }
  ext.OpenHandles--;
  KeReleaseSpinLock(ext.Lock, oldIrql);
  Irp.IoStatus.Status = STATUS_SUCCESS;
  Irp.IoStatus.Information = 0;
  // BUG: IoCompleteRequest(Irp, IO_NO_INCREMENT) is missing: nobody ever completes the close.
  return STATUS_SUCCESS;
};

/**
 * DriverEntry: creates \Device\BuggyClose and its link.
 *
 * @param DriverObject this driver.
 * @returns STATUS_SUCCESS, or why the device could not be created.
 */
export function ClosDriverEntry(DriverObject: DRIVER_OBJECT): NTSTATUS {
  const ext = new CLOS_EXTENSION();
  const { status, DeviceObject } = IoCreateDevice(DriverObject, ext, "\\Device\\BuggyClose", FILE_DEVICE_UNKNOWN, 0, false);
  if (!NT_SUCCESS(status) || !DeviceObject) return status;
  KeInitializeSpinLock(ext.Lock);
  IoCreateSymbolicLink("\\DosDevices\\BuggyClose", "\\Device\\BuggyClose");
  DriverObject.MajorFunction[IRP_MJ_CREATE] = ClosCreate;
  DriverObject.MajorFunction[IRP_MJ_CLEANUP] = ClosCleanup;
  DriverObject.MajorFunction[IRP_MJ_CLOSE] = ClosClose;
  return STATUS_SUCCESS;
}

/** The sample: Clos and an app that opens its device and closes it. */
export const closeDroppedSetup: SampleSetup = {
  drivers: [{ name: "Clos", entry: ClosDriverEntry }],
  apps: [
    {
      name: "app.exe",
      main: async function SampleApp() {
        await CloseHandle(await openSampleDevice("BuggyClose"));
      },
    },
  ],
};
