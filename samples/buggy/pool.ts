/**
 * Spool: a driver that keeps its model name in a pool string and a small record per request,
 * with the three pool bugs Driver Verifier's Special Pool exists for — reading past the end of a
 * block, using a block after freeing it, and writing just past the end of one (a string's NUL).
 */
import {
  CTL_CODE,
  DEVICE_OBJECT,
  DRIVER_OBJECT,
  DbgPrint,
  ExAllocatePoolWithTag,
  ExFreePoolWithTag,
  FILE_ANY_ACCESS,
  FILE_DEVICE_UNKNOWN,
  IO_NO_INCREMENT,
  IoCompleteRequest,
  IoCreateDevice,
  IoCreateSymbolicLink,
  IoGetCurrentIrpStackLocation,
  IRP,
  IRP_MJ_CLEANUP,
  IRP_MJ_CLOSE,
  IRP_MJ_CREATE,
  IRP_MJ_DEVICE_CONTROL,
  METHOD_BUFFERED,
  NonPagedPool,
  NT_SUCCESS,
  readAnsiString,
  readU32,
  RtlCopyMemory,
  STATUS_INSUFFICIENT_RESOURCES,
  STATUS_INVALID_DEVICE_REQUEST,
  STATUS_INVALID_PARAMETER,
  STATUS_SUCCESS,
  writeAnsiString,
  writeU32,
  type DRIVER_DISPATCH,
  type NTSTATUS,
} from "irpsim/wdm";

const code = (fn: number): number => CTL_CODE(FILE_DEVICE_UNKNOWN, 0xa40 + fn, METHOD_BUFFERED, FILE_ANY_ACCESS);
/** Returns the device's model name in the output buffer. */
export const IOCTL_SPOOL_GET_MODEL = code(0);
/** Starts a measurement whose settings are the input (a 32-bit mode); 0 is refused. */
export const IOCTL_SPOOL_MEASURE = code(1);
/** Sets the label the device prints in its log (an ANSI string, the input). */
export const IOCTL_SPOOL_SET_LABEL = code(2);

/** The model name kept in pool: 37 characters and their NUL, 38 bytes. */
export const SPOOL_MODEL = "Spool Thermal Sensor rev. B (Contoso)";

/** Spool's device extension. */
export class SPOOL_EXTENSION {
  /** The model name, an ANSI string in nonpaged pool (DriverEntry allocates it). */
  Model = 0;
  Measurements = 0;
}

function SpoolExtension(DeviceObject: DEVICE_OBJECT): SPOOL_EXTENSION {
  return DeviceObject.DeviceExtension as SPOOL_EXTENSION;
}

/** The three-line completion. */
function SpoolComplete(Irp: IRP, status: NTSTATUS, information = 0): NTSTATUS {
  Irp.IoStatus.Status = status;
  Irp.IoStatus.Information = information;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
  return status;
}

/**
 * IRP_MJ_DEVICE_CONTROL.
 *
 * @returns the request's final status.
 */
const SpoolDeviceControl: DRIVER_DISPATCH = function SpoolDeviceControl(DeviceObject, Irp) {
  const ext = SpoolExtension(DeviceObject);
  const dio = IoGetCurrentIrpStackLocation(Irp).Parameters.DeviceIoControl;
  const buffer = Irp.AssociatedIrp.SystemBuffer;
  switch (dio.IoControlCode) {
    case IOCTL_SPOOL_GET_MODEL: {
      // BUG: copies the caller's whole output length, not the 38 bytes the model name has.
      RtlCopyMemory(buffer, ext.Model, dio.OutputBufferLength);
      return SpoolComplete(Irp, STATUS_SUCCESS, dio.OutputBufferLength);
    }
    case IOCTL_SPOOL_MEASURE: {
      if (dio.InputBufferLength < 4) return SpoolComplete(Irp, STATUS_INVALID_PARAMETER);
      const record = ExAllocatePoolWithTag(NonPagedPool, 16, "SpMs");
      if (record === 0) return SpoolComplete(Irp, STATUS_INSUFFICIENT_RESOURCES);
      writeU32(record, readU32(buffer));
      writeU32(record + 4, ++ext.Measurements);
      let status: NTSTATUS = STATUS_SUCCESS;
      if (readU32(record) === 0) {
        status = STATUS_INVALID_PARAMETER;
        ExFreePoolWithTag(record, "SpMs");
      }
      // BUG: the error path freed the record above, and this logs from it anyway.
      DbgPrint(`Spool: measurement ${readU32(record + 4)} done`);
      if (NT_SUCCESS(status)) ExFreePoolWithTag(record, "SpMs");
      return SpoolComplete(Irp, status);
    }
    case IOCTL_SPOOL_SET_LABEL: {
      const text = readAnsiString(buffer, dio.InputBufferLength);
      // BUG: no room for the NUL that writeAnsiString stores after the characters.
      const label = ExAllocatePoolWithTag(NonPagedPool, text.length, "SpLb");
      if (label === 0) return SpoolComplete(Irp, STATUS_INSUFFICIENT_RESOURCES);
      writeAnsiString(label, text);
      DbgPrint(`Spool: label ${readAnsiString(label, text.length)}`);
      ExFreePoolWithTag(label, "SpLb");
      return SpoolComplete(Irp, STATUS_SUCCESS);
    }
    default:
      return SpoolComplete(Irp, STATUS_INVALID_DEVICE_REQUEST);
  }
};

/**
 * IRP_MJ_CREATE, IRP_MJ_CLEANUP, IRP_MJ_CLOSE.
 *
 * @returns STATUS_SUCCESS.
 */
const SpoolCreateClose: DRIVER_DISPATCH = function SpoolCreateClose(_DeviceObject, Irp) {
  return SpoolComplete(Irp, STATUS_SUCCESS);
};

/**
 * DriverEntry: creates \Device\BuggySpool and its link, and the model name in pool.
 *
 * @param DriverObject this driver.
 * @returns STATUS_SUCCESS, or why it could not start.
 */
export function SpoolDriverEntry(DriverObject: DRIVER_OBJECT): NTSTATUS {
  const ext = new SPOOL_EXTENSION();
  const { status, DeviceObject } = IoCreateDevice(DriverObject, ext, "\\Device\\BuggySpool", FILE_DEVICE_UNKNOWN, 0, false);
  if (!NT_SUCCESS(status) || !DeviceObject) return status;
  ext.Model = ExAllocatePoolWithTag(NonPagedPool, SPOOL_MODEL.length + 1, "SpMd");
  if (ext.Model === 0) return STATUS_INSUFFICIENT_RESOURCES;
  writeAnsiString(ext.Model, SPOOL_MODEL);
  IoCreateSymbolicLink("\\DosDevices\\BuggySpool", "\\Device\\BuggySpool");
  DriverObject.MajorFunction[IRP_MJ_CREATE] = SpoolCreateClose;
  DriverObject.MajorFunction[IRP_MJ_CLEANUP] = SpoolCreateClose;
  DriverObject.MajorFunction[IRP_MJ_CLOSE] = SpoolCreateClose;
  DriverObject.MajorFunction[IRP_MJ_DEVICE_CONTROL] = SpoolDeviceControl;
  return STATUS_SUCCESS;
}
