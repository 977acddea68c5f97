/**
 * Methods: a driver that answers one IOCTL per transfer method, to show what the I/O manager
 * hands a driver for each (after the pattern of the WDK's general/ioctl sample, written afresh).
 *
 * - METHOD_BUFFERED: input and output share one system buffer; the I/O manager copied the input
 *   in and copies IoStatus.Information bytes back out at completion.
 * - METHOD_IN_DIRECT: a short command in the system buffer, and the caller's second buffer locked
 *   for reading behind Irp->MdlAddress: data going to the device, read through a system mapping.
 * - METHOD_OUT_DIRECT: the command in the system buffer, the caller's output buffer locked for
 *   writing behind Irp->MdlAddress; the driver writes through the mapping, nothing is copied.
 * - METHOD_NEITHER: raw user addresses (Parameters.DeviceIoControl.Type3InputBuffer and
 *   Irp->UserBuffer). The dispatch routine runs in the caller's context, so it may touch them —
 *   after ProbeForRead / ProbeForWrite, inside the `__try` (a try/catch of NtStatusError) that
 *   turns a bad pointer into the request's status instead of a bug check.
 */
import {
  CTL_CODE,
  DbgPrint,
  DEVICE_OBJECT,
  DRIVER_OBJECT,
  FILE_ANY_ACCESS,
  FILE_DEVICE_UNKNOWN,
  IO_NO_INCREMENT,
  IoCompleteRequest,
  IoCreateDevice,
  IoCreateSymbolicLink,
  IoDeleteDevice,
  IoDeleteSymbolicLink,
  IoGetCurrentIrpStackLocation,
  IRP,
  IRP_MJ_CLOSE,
  IRP_MJ_CREATE,
  IRP_MJ_DEVICE_CONTROL,
  METHOD_BUFFERED,
  METHOD_IN_DIRECT,
  METHOD_NEITHER,
  METHOD_OUT_DIRECT,
  MmGetMdlByteCount,
  MmGetSystemAddressForMdlSafe,
  NormalPagePriority,
  NT_SUCCESS,
  NtStatusError,
  PAGED_CODE,
  ProbeForRead,
  ProbeForWrite,
  readAnsiString,
  readBytes,
  STATUS_BUFFER_TOO_SMALL,
  STATUS_INSUFFICIENT_RESOURCES,
  STATUS_INVALID_DEVICE_REQUEST,
  STATUS_INVALID_PARAMETER,
  STATUS_SUCCESS,
  writeAnsiString,
  type DRIVER_DISPATCH,
  type NTSTATUS,
} from "irpsim/wdm";

/** The app's text in, the driver's answer out: system buffer both ways. */
export const IOCTL_METHODS_BUFFERED = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x900, METHOD_BUFFERED, FILE_ANY_ACCESS);
/** A command in the system buffer, a payload the device reads through an MDL (IoReadAccess). */
export const IOCTL_METHODS_IN_DIRECT = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x901, METHOD_IN_DIRECT, FILE_ANY_ACCESS);
/** A command in the system buffer, the answer written through an MDL (IoWriteAccess). */
export const IOCTL_METHODS_OUT_DIRECT = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x902, METHOD_OUT_DIRECT, FILE_ANY_ACCESS);
/** Raw user pointers both ways, probed by the driver. */
export const IOCTL_METHODS_NEITHER = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x903, METHOD_NEITHER, FILE_ANY_ACCESS);

/** The four codes, by method, for apps and checks. */
export const METHODS_IOCTLS = {
  METHOD_BUFFERED: IOCTL_METHODS_BUFFERED,
  METHOD_IN_DIRECT: IOCTL_METHODS_IN_DIRECT,
  METHOD_OUT_DIRECT: IOCTL_METHODS_OUT_DIRECT,
  METHOD_NEITHER: IOCTL_METHODS_NEITHER,
} as const;

/** The answer the driver writes for a method (an ANSI string; its NUL is counted in Information). */
export function methodsAnswer(method: string): string {
  return `Methods driver: your ${method} request was served`;
}

/** What the driver saw of one request, for the scenario's checks. */
export interface MethodsRequest {
  readonly method: string;
  readonly status: NTSTATUS;
  readonly information: number;
  /** The text the driver read from the input (system buffer or Type3InputBuffer). */
  readonly input: string;
  /** For METHOD_IN_DIRECT: the bytes read through the MDL's system mapping. */
  readonly payload: readonly number[];
}

/** Per-device state (what C keeps in the device extension). */
export class METHODS_EXTENSION {
  /** Every request the driver answered, in order. */
  readonly Requests: MethodsRequest[] = [];
}

function extensionOf(DeviceObject: DEVICE_OBJECT): METHODS_EXTENSION {
  return DeviceObject.DeviceExtension as METHODS_EXTENSION;
}

/** Writes an answer at `address` if it fits in `capacity` bytes; returns its length with the NUL, or -1. */
function writeAnswer(address: number, capacity: number, answer: string): number {
  const length = answer.length + 1;
  if (capacity < length) return -1;
  writeAnsiString(address, answer);
  return length;
}

/** The ANSI text in a captured buffer, up to its first NUL. */
function textOf(bytes: Uint8Array): string {
  const end = bytes.indexOf(0);
  return String.fromCharCode(...(end < 0 ? bytes : bytes.subarray(0, end)));
}

/**
 * IRP_MJ_CREATE and IRP_MJ_CLOSE: nothing to do per open.
 *
 * @returns STATUS_SUCCESS.
 */
const MethodsCreateClose: DRIVER_DISPATCH = function MethodsCreateClose(_DeviceObject, Irp) {
  Irp.IoStatus.Status = STATUS_SUCCESS;
  Irp.IoStatus.Information = 0;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
  return STATUS_SUCCESS;
};

/** METHOD_BUFFERED: read the input from the system buffer, then overwrite it with the answer. */
function MethodsBuffered(Irp: IRP, inLen: number, outLen: number, record: { input: string; information: number }): NTSTATUS {
  const buffer = Irp.AssociatedIrp.SystemBuffer;
  if (inLen === 0 || buffer === 0) return STATUS_INVALID_PARAMETER;
  // Input and output are the same buffer: read everything before writing anything.
  record.input = readAnsiString(buffer, inLen);
  const n = writeAnswer(buffer, outLen, methodsAnswer("METHOD_BUFFERED"));
  if (n < 0) return STATUS_BUFFER_TOO_SMALL;
  record.information = n;
  return STATUS_SUCCESS;
}

/** METHOD_IN_DIRECT: the command in the system buffer, the payload read through the MDL. */
function MethodsInDirect(Irp: IRP, inLen: number, record: { input: string; information: number; payload: number[] }): NTSTATUS {
  if (inLen === 0 || Irp.AssociatedIrp.SystemBuffer === 0) return STATUS_INVALID_PARAMETER;
  record.input = readAnsiString(Irp.AssociatedIrp.SystemBuffer, inLen);
  const mdl = Irp.MdlAddress;
  if (!mdl) return STATUS_INVALID_PARAMETER;
  const va = MmGetSystemAddressForMdlSafe(mdl, NormalPagePriority);
  if (va === 0) return STATUS_INSUFFICIENT_RESOURCES;
  // The device consumes every byte of the caller's buffer; Information says how many.
  const length = MmGetMdlByteCount(mdl);
  record.payload = [...readBytes(va, length)];
  record.information = length;
  return STATUS_SUCCESS;
}

/** METHOD_OUT_DIRECT: the command in the system buffer, the answer written through the MDL. */
function MethodsOutDirect(Irp: IRP, inLen: number, record: { input: string; information: number }): NTSTATUS {
  if (inLen === 0 || Irp.AssociatedIrp.SystemBuffer === 0) return STATUS_INVALID_PARAMETER;
  record.input = readAnsiString(Irp.AssociatedIrp.SystemBuffer, inLen);
  const mdl = Irp.MdlAddress;
  if (!mdl) return STATUS_BUFFER_TOO_SMALL;
  const va = MmGetSystemAddressForMdlSafe(mdl, NormalPagePriority);
  if (va === 0) return STATUS_INSUFFICIENT_RESOURCES;
  const n = writeAnswer(va, MmGetMdlByteCount(mdl), methodsAnswer("METHOD_OUT_DIRECT"));
  if (n < 0) return STATUS_BUFFER_TOO_SMALL;
  record.information = n;
  return STATUS_SUCCESS;
}

/**
 * METHOD_NEITHER: the addresses are the caller's own, valid only in its context and only if it
 * says so. Probe both, then touch them inside the handler: an access violation on a page that
 * passed the probe (unmapped, say) becomes the request's status too.
 */
function MethodsNeither(Irp: IRP, inLen: number, outLen: number, record: { input: string; information: number }): NTSTATUS {
  const input = IoGetCurrentIrpStackLocation(Irp).Parameters.DeviceIoControl.Type3InputBuffer;
  const output = Irp.UserBuffer;
  if (inLen === 0 || outLen === 0 || input === 0 || output === 0) return STATUS_INVALID_PARAMETER;
  try {
    ProbeForRead(input, inLen, 1);
    ProbeForWrite(output, outLen, 1);
    // Fetch the caller's bytes once: the app may change them while we look (a double fetch).
    record.input = textOf(readBytes(input, inLen));
    const n = writeAnswer(output, outLen, methodsAnswer("METHOD_NEITHER"));
    if (n < 0) return STATUS_BUFFER_TOO_SMALL;
    record.information = n;
    return STATUS_SUCCESS;
  } catch (e) {
    // __except (EXCEPTION_EXECUTE_HANDLER): the exception code is the answer.
    if (!(e instanceof NtStatusError)) throw e;
    DbgPrint(`Methods: METHOD_NEITHER buffer faulted: ${e.message}`);
    return e.status;
  }
}

/**
 * IRP_MJ_DEVICE_CONTROL: answers each of the four codes and completes the request at once.
 *
 * @returns the request's final status.
 */
const MethodsDeviceControl: DRIVER_DISPATCH = function MethodsDeviceControl(DeviceObject, Irp) {
  PAGED_CODE();
  const ext = extensionOf(DeviceObject);
  const dio = IoGetCurrentIrpStackLocation(Irp).Parameters.DeviceIoControl;
  const inLen = dio.InputBufferLength;
  const outLen = dio.OutputBufferLength;
  const record = { input: "", information: 0, payload: [] as number[] };
  let method: string;
  let status: NTSTATUS;
  switch (dio.IoControlCode) {
    case IOCTL_METHODS_BUFFERED:
      method = "METHOD_BUFFERED";
      status = MethodsBuffered(Irp, inLen, outLen, record);
      break;
    case IOCTL_METHODS_IN_DIRECT:
      method = "METHOD_IN_DIRECT";
      status = MethodsInDirect(Irp, inLen, record);
      break;
    case IOCTL_METHODS_OUT_DIRECT:
      method = "METHOD_OUT_DIRECT";
      status = MethodsOutDirect(Irp, inLen, record);
      break;
    case IOCTL_METHODS_NEITHER:
      method = "METHOD_NEITHER";
      status = MethodsNeither(Irp, inLen, outLen, record);
      break;
    default:
      method = `0x${dio.IoControlCode.toString(16)}`;
      status = STATUS_INVALID_DEVICE_REQUEST;
  }
  const information = NT_SUCCESS(status) ? record.information : 0;
  ext.Requests.push({ method, status, information, input: record.input, payload: record.payload });
  DbgPrint(`Methods: ${method} "${record.input}" -> 0x${status.toString(16)}, ${information} bytes`);
  Irp.IoStatus.Status = status;
  Irp.IoStatus.Information = information;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
  return status;
};

/**
 * DriverUnload: removes the link and the device.
 *
 * @param DriverObject this driver.
 */
function MethodsUnload(DriverObject: DRIVER_OBJECT): void {
  IoDeleteSymbolicLink("\\DosDevices\\Methods");
  if (DriverObject.DeviceObject) IoDeleteDevice(DriverObject.DeviceObject);
}

/**
 * DriverEntry: creates \Device\Methods (no DO_BUFFERED_IO / DO_DIRECT_IO: those flags govern
 * reads and writes; each IOCTL's method is in its code) and \DosDevices\Methods.
 *
 * @param DriverObject this driver.
 * @returns STATUS_SUCCESS, or why the device could not be created.
 */
export function MethodsDriverEntry(DriverObject: DRIVER_OBJECT): NTSTATUS {
  const ext = new METHODS_EXTENSION();
  const { status, DeviceObject } = IoCreateDevice(DriverObject, ext, "\\Device\\Methods", FILE_DEVICE_UNKNOWN, 0, false);
  if (!NT_SUCCESS(status) || !DeviceObject) return status;
  const linked = IoCreateSymbolicLink("\\DosDevices\\Methods", "\\Device\\Methods");
  if (!NT_SUCCESS(linked)) {
    IoDeleteDevice(DeviceObject);
    return linked;
  }
  DriverObject.MajorFunction[IRP_MJ_CREATE] = MethodsCreateClose;
  DriverObject.MajorFunction[IRP_MJ_CLOSE] = MethodsCreateClose;
  DriverObject.MajorFunction[IRP_MJ_DEVICE_CONTROL] = MethodsDeviceControl;
  DriverObject.DriverUnload = MethodsUnload;
  return STATUS_SUCCESS;
}
