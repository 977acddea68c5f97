/**
 * Reverser: a driver ported from the shape of a WDK sample, for docs/porting-a-wdk-sample.md.
 * Each region shows one C idiom in its irpsim form.
 *
 * IOCTL_REVERSE_NEITHER (METHOD_NEITHER): the input starts with a REVERSE_REQUEST header
 * { ULONG Magic; ULONG Length; } followed by Length bytes; the driver writes them reversed to the
 * output buffer. The raw user pointers are probed and read inside the app's context, under a
 * __try/__except. IOCTL_REVERSE_SLOW does the same with METHOD_BUFFERED after waiting, in its
 * dispatch routine, for the device to be "ready" (an event a timer DPC sets): an async dispatch
 * routine at PASSIVE_LEVEL.
 */
import {
  ARRAY,
  CHAR,
  CSTRUCT,
  CTL_CODE,
  CUNION,
  DbgPrint,
  DEVICE_OBJECT,
  DRIVER_OBJECT,
  ExAllocatePoolWithTag,
  ExFreePoolWithTag,
  Executive,
  FILE_ANY_ACCESS,
  FIELD_OFFSET,
  FILE_DEVICE_UNKNOWN,
  IO_NO_INCREMENT,
  IoCompleteRequest,
  IoCreateDeviceSecure,
  IoCreateSymbolicLink,
  IoDeleteDevice,
  IoDeleteSymbolicLink,
  IoGetCurrentIrpStackLocation,
  IRP,
  IRP_MJ_CLOSE,
  IRP_MJ_CREATE,
  IRP_MJ_DEVICE_CONTROL,
  KDPC,
  KernelMode,
  KEVENT,
  KeInitializeDpc,
  KeInitializeEvent,
  KeInitializeTimer,
  KeSetEvent,
  KeSetTimer,
  KeWaitForSingleObject,
  KTIMER,
  METHOD_BUFFERED,
  METHOD_NEITHER,
  NonPagedPoolNx,
  NotificationEvent,
  NT_SUCCESS,
  NtStatusError,
  ProbeForRead,
  ProbeForWrite,
  readU8,
  RtlCopyMemory,
  RtlInitUnicodeString,
  SDDL_DEVOBJ_SYS_ALL_ADM_RWX_WORLD_RW_RES_R,
  STATUS_BUFFER_TOO_SMALL,
  STATUS_INSUFFICIENT_RESOURCES,
  STATUS_INVALID_DEVICE_REQUEST,
  STATUS_INVALID_PARAMETER,
  STATUS_SUCCESS,
  UCHAR,
  ULONG,
  UNICODE_STRING,
  writeU8,
  type DRIVER_DISPATCH,
  type KDEFERRED_ROUTINE,
  type NTSTATUS,
} from "irpsim/wdm";

/** Reverses bytes from raw user pointers (METHOD_NEITHER). */
export const IOCTL_REVERSE_NEITHER = CTL_CODE(FILE_DEVICE_UNKNOWN, 0xa00, METHOD_NEITHER, FILE_ANY_ACCESS);
/** Reverses bytes through the system buffer, once the device is ready (METHOD_BUFFERED). */
export const IOCTL_REVERSE_SLOW = CTL_CODE(FILE_DEVICE_UNKNOWN, 0xa01, METHOD_BUFFERED, FILE_ANY_ACCESS);

// #region struct
/** typedef union _REVERSE_TAG { ULONG Value; CHAR Text[4]; } REVERSE_TAG; — one ULONG, or its four characters. */
export const REVERSE_TAG = CUNION("REVERSE_TAG", { Value: ULONG, Text: ARRAY(CHAR, 4) });

/** typedef struct _REVERSE_REQUEST { REVERSE_TAG Magic; ULONG Length; UCHAR Data[1]; } REVERSE_REQUEST; */
export const REVERSE_REQUEST = CSTRUCT("REVERSE_REQUEST", { Magic: REVERSE_TAG, Length: ULONG, Data: ARRAY(UCHAR, 1) });

export const REVERSE_MAGIC = 0x52455652; // 'REVR'
// #endregion struct

/** Pool tag 'Revr', as C writes it: a four-character literal, read backwards in a dump. */
const REVERSER_TAG = "Revr";

/** The device extension. */
export class REVERSER_EXTENSION {
  /** Set once the (emulated) hardware is ready; IOCTL_REVERSE_SLOW waits for it. */
  readonly Ready = new KEVENT(NotificationEvent, false, "ReverserReady");
  readonly ReadyTimer = new KTIMER(false, "ReverserReadyTimer");
  readonly ReadyDpc = new KDPC<REVERSER_EXTENSION>();
}

// #region reverse
/**
 * Copies `Length` bytes at `Source` reversed to `Destination`, through a pool buffer. Either
 * address may be a user address: the caller probes them and catches the fault.
 *
 * @returns STATUS_SUCCESS, or STATUS_INSUFFICIENT_RESOURCES when the pool is exhausted.
 */
function ReverserCopyReversed(Destination: number, Source: number, Length: number): NTSTATUS {
  let status: NTSTATUS = STATUS_SUCCESS;
  const buffer = ExAllocatePoolWithTag(NonPagedPoolNx, Math.max(Length, 1), REVERSER_TAG);
  // C: if (buffer == NULL) { status = STATUS_INSUFFICIENT_RESOURCES; goto Cleanup; }
  Cleanup: {
    if (buffer === 0) {
      status = STATUS_INSUFFICIENT_RESOURCES;
      break Cleanup;
    }
    RtlCopyMemory(buffer, Source, Length);
    for (let i = 0; i < Length; i++) writeU8(Destination + i, readU8(buffer + Length - 1 - i));
  }
  // Cleanup:
  if (buffer !== 0) ExFreePoolWithTag(buffer, REVERSER_TAG);
  return status;
}
// #endregion reverse

// #region neither
/**
 * IOCTL_REVERSE_NEITHER: the buffers are the app's own addresses, valid only in its context and
 * only if the app did not lie: probe them, and catch the access violation a bad one raises.
 */
function ReverserNeither(Irp: IRP): { status: NTSTATUS; information: number } {
  const stack = IoGetCurrentIrpStackLocation(Irp);
  const input = stack.Parameters.DeviceIoControl.Type3InputBuffer;
  const inputLength = stack.Parameters.DeviceIoControl.InputBufferLength;
  const output = Irp.UserBuffer;
  const outputLength = stack.Parameters.DeviceIoControl.OutputBufferLength;
  const header = FIELD_OFFSET(REVERSE_REQUEST, "Data");
  if (inputLength < header) return { status: STATUS_BUFFER_TOO_SMALL, information: 0 };
  // The app may change its memory at any moment: capture the header once, then use the copy.
  const captured = ExAllocatePoolWithTag(NonPagedPoolNx, header, REVERSER_TAG);
  if (captured === 0) return { status: STATUS_INSUFFICIENT_RESOURCES, information: 0 };
  try {
    ProbeForRead(input, inputLength, 4);
    RtlCopyMemory(captured, input, header);
    // PREVERSE_REQUEST request = (PREVERSE_REQUEST)captured;
    const request = REVERSE_REQUEST.at(captured);
    const length = request.Length;
    if (request.Magic.Value !== REVERSE_MAGIC) {
      const text = request.Magic.Text;
      DbgPrint("Reverser: bad magic %08X ('%c%c%c%c')\n", request.Magic.Value, text.get(0), text.get(1), text.get(2), text.get(3));
      return { status: STATUS_INVALID_PARAMETER, information: 0 };
    }
    if (length > inputLength - header) return { status: STATUS_INVALID_PARAMETER, information: 0 };
    if (outputLength < length) return { status: STATUS_BUFFER_TOO_SMALL, information: 0 };
    ProbeForWrite(output, length, 1);
    const status = ReverserCopyReversed(output, input + header, length);
    return { status, information: NT_SUCCESS(status) ? length : 0 };
  } catch (e) {
    // __except (EXCEPTION_EXECUTE_HANDLER) { status = GetExceptionCode(); }
    if (e instanceof NtStatusError) return { status: e.status, information: 0 };
    throw e; // not an NT exception: let it through, as an unhandled one would be
  } finally {
    ExFreePoolWithTag(captured, REVERSER_TAG);
  }
}
// #endregion neither

// #region slow
/**
 * IOCTL_REVERSE_SLOW: a dispatch routine runs at PASSIVE_LEVEL in the caller's thread, so it may
 * wait; in irpsim it is an async function and the wait is awaited.
 */
async function ReverserSlow(DeviceObject: DEVICE_OBJECT, Irp: IRP): Promise<{ status: NTSTATUS; information: number }> {
  const ext = DeviceObject.DeviceExtension as REVERSER_EXTENSION;
  await KeWaitForSingleObject(ext.Ready, Executive, KernelMode, false, null);
  const stack = IoGetCurrentIrpStackLocation(Irp);
  const buffer = Irp.AssociatedIrp.SystemBuffer;
  const length = stack.Parameters.DeviceIoControl.InputBufferLength;
  if (stack.Parameters.DeviceIoControl.OutputBufferLength < length) return { status: STATUS_BUFFER_TOO_SMALL, information: 0 };
  // METHOD_BUFFERED: input and output share the system buffer; reverse in place.
  const status = ReverserCopyReversed(buffer, buffer, length);
  return { status, information: NT_SUCCESS(status) ? length : 0 };
}
// #endregion slow

// #region dispatch
const ReverserDeviceControl: DRIVER_DISPATCH = async function ReverserDeviceControl(DeviceObject, Irp) {
  const code = IoGetCurrentIrpStackLocation(Irp).Parameters.DeviceIoControl.IoControlCode;
  const { status, information } =
    code === IOCTL_REVERSE_NEITHER ? ReverserNeither(Irp)
    : code === IOCTL_REVERSE_SLOW ? await ReverserSlow(DeviceObject, Irp)
    : { status: STATUS_INVALID_DEVICE_REQUEST, information: 0 };
  DbgPrint("Reverser: IOCTL %08X completes with %08X, %lu bytes\n", code, status, information);
  Irp.IoStatus.Status = status;
  Irp.IoStatus.Information = information;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
  return status;
};
// #endregion dispatch

const ReverserCreateClose: DRIVER_DISPATCH = function ReverserCreateClose(_DeviceObject, Irp) {
  Irp.IoStatus.Status = STATUS_SUCCESS;
  Irp.IoStatus.Information = 0;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
  return STATUS_SUCCESS;
};

// #region ready-dpc
/** The "hardware ready" DPC: a DPC runs at DISPATCH_LEVEL, so it is a plain function: no await. */
const ReverserReadyDpc: KDEFERRED_ROUTINE<REVERSER_EXTENSION> = function ReverserReadyDpc(_Dpc, ext) {
  KeSetEvent(ext.Ready, IO_NO_INCREMENT, false);
};
// #endregion ready-dpc

function ReverserUnload(DriverObject: DRIVER_OBJECT): void {
  IoDeleteSymbolicLink("\\DosDevices\\Reverser");
  if (DriverObject.DeviceObject) IoDeleteDevice(DriverObject.DeviceObject);
}

// #region entry
/** DriverEntry: the device, its link, the dispatch table; the device is ready 5 ms later. */
export function ReverserDriverEntry(DriverObject: DRIVER_OBJECT, _RegistryPath: string): NTSTATUS {
  const ext = new REVERSER_EXTENSION();
  // UNICODE_STRING DeviceName; RtlInitUnicodeString(&DeviceName, L"\\Device\\Reverser");
  const DeviceName = new UNICODE_STRING();
  RtlInitUnicodeString(DeviceName, "\\Device\\Reverser");
  DbgPrint("Reverser: creating %wZ (%u bytes)\n", DeviceName, DeviceName.Length);
  const { status, DeviceObject } = IoCreateDeviceSecure(DriverObject, ext, DeviceName, FILE_DEVICE_UNKNOWN, 0, false, SDDL_DEVOBJ_SYS_ALL_ADM_RWX_WORLD_RW_RES_R, null);
  if (!NT_SUCCESS(status) || !DeviceObject) return status;
  KeInitializeEvent(ext.Ready, NotificationEvent, false);
  KeInitializeTimer(ext.ReadyTimer);
  KeInitializeDpc(ext.ReadyDpc, ReverserReadyDpc, ext);
  const linked = IoCreateSymbolicLink("\\DosDevices\\Reverser", "\\Device\\Reverser");
  if (!NT_SUCCESS(linked)) {
    IoDeleteDevice(DeviceObject);
    return linked;
  }
  DriverObject.MajorFunction[IRP_MJ_CREATE] = ReverserCreateClose;
  DriverObject.MajorFunction[IRP_MJ_CLOSE] = ReverserCreateClose;
  DriverObject.MajorFunction[IRP_MJ_DEVICE_CONTROL] = ReverserDeviceControl;
  DriverObject.DriverUnload = ReverserUnload;
  KeSetTimer(ext.ReadyTimer, -10_000 * 5, ext.ReadyDpc);
  return STATUS_SUCCESS;
}
// #endregion entry
