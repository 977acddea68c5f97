/**
 * Uart: a serial-port-like driver that serialises its writes through the I/O manager's device
 * queue and a StartIo routine, as the NT 4 serial and parallel drivers did.
 *
 * Each write (buffered I/O) is marked pending and handed to IoStartPacket with a cancel routine.
 * The device sends one write at a time: UartStartIo starts the "transmission" (a timer, one
 * millisecond per byte) and the timer's DPC finishes it — it puts the bytes on the wire, starts
 * the next packet with IoStartNextPacket and completes the write. The cancel routine handles both
 * places a write can be: still in the device queue (KeRemoveEntryDeviceQueue takes it out and the
 * routine completes it) or on the wire as DeviceObject->CurrentIrp (the routine stops the
 * transmission and lets the DPC complete it, so the current write has one completer).
 * IRP_MJ_CLEANUP completes the closing file's writes still in the queue.
 */
import {
  CONTAINING_RECORD,
  DbgPrint,
  DEVICE_OBJECT,
  DO_BUFFERED_IO,
  DRIVER_OBJECT,
  FILE_DEVICE_SERIAL_PORT,
  IO_NO_INCREMENT,
  IO_SERIAL_INCREMENT,
  IoAcquireCancelSpinLock,
  IoCompleteRequest,
  IoCreateDevice,
  IoCreateSymbolicLink,
  IoDeleteDevice,
  IoDeleteSymbolicLink,
  IoGetCurrentIrpStackLocation,
  IoMarkIrpPending,
  IoReleaseCancelSpinLock,
  IoSetCancelRoutine,
  IoStartNextPacket,
  IoStartPacket,
  IRP,
  IRP_MJ_CLEANUP,
  IRP_MJ_CLOSE,
  IRP_MJ_CREATE,
  IRP_MJ_WRITE,
  KDPC,
  KeCancelTimer,
  KeInitializeDpc,
  KeInitializeTimer,
  KeInsertQueueDpc,
  KeRemoveEntryDeviceQueue,
  KeSetTimer,
  KTIMER,
  NT_SUCCESS,
  readBytes,
  STATUS_CANCELLED,
  STATUS_PENDING,
  STATUS_SUCCESS,
  type DRIVER_CANCEL,
  type DRIVER_DISPATCH,
  type DRIVER_STARTIO,
  type KDEFERRED_ROUTINE,
  type NTSTATUS,
} from "irpsim/wdm";

/** Transmission time: one millisecond per byte (a slow line, to make queueing visible). */
export const UART_MS_PER_BYTE = 1;

/** One completed write, for the scenario's checks. */
export interface UartCompletion {
  readonly irp: string;
  readonly status: NTSTATUS;
  readonly information: number;
  /** Who completed it: the transmit DPC, the cancel routine or IRP_MJ_CLEANUP. */
  readonly by: "dpc" | "cancel" | "cleanup";
}

/** Per-device state (what C keeps in the device extension). */
export class UART_EXTENSION {
  /** The transmission of the current write: it fires when the last byte is out. */
  readonly Timer = new KTIMER(false, "UartTimer");
  /** The transmit DPC, run by the timer (or queued at once when a transmission is aborted). */
  readonly Dpc = new KDPC<DEVICE_OBJECT>();
  /** What went out on the wire, one entry per write, in order. */
  readonly Wire: string[] = [];
  /** Writes that reached the dispatch routine. */
  WritesReceived = 0;
  /** IRPs the StartIo routine was called with, in order. */
  readonly Started: string[] = [];
  /** Every completion of a write, in order. */
  readonly Completions: UartCompletion[] = [];
}

/** The device extension of a Uart device. */
export function uartExtension(DeviceObject: DEVICE_OBJECT): UART_EXTENSION {
  return DeviceObject.DeviceExtension as UART_EXTENSION;
}

/** The three lines that finish a request, plus the record the scenario checks. */
function UartComplete(ext: UART_EXTENSION, Irp: IRP, status: NTSTATUS, information: number, by: UartCompletion["by"]): void {
  ext.Completions.push({ irp: Irp.label, status, information, by });
  Irp.IoStatus.Status = status;
  Irp.IoStatus.Information = information;
  IoCompleteRequest(Irp, status === STATUS_SUCCESS ? IO_SERIAL_INCREMENT : IO_NO_INCREMENT);
}

/**
 * IRP_MJ_CREATE and IRP_MJ_CLOSE: nothing to do per open.
 *
 * @returns STATUS_SUCCESS.
 */
const UartCreateClose: DRIVER_DISPATCH = function UartCreateClose(_DeviceObject, Irp) {
  Irp.IoStatus.Status = STATUS_SUCCESS;
  Irp.IoStatus.Information = 0;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
  return STATUS_SUCCESS;
};

/**
 * The cancel routine of every write. Runs with the cancel spin lock held, which the I/O manager
 * also holds while it moves writes between the device queue and CurrentIrp, so the write is
 * either the current one or still queued (or already on its way out of both).
 *
 * @param DeviceObject the Uart device.
 * @param Irp the write being cancelled.
 */
const UartCancel: DRIVER_CANCEL = function UartCancel(DeviceObject, Irp) {
  const ext = uartExtension(DeviceObject);
  if (Irp === DeviceObject.CurrentIrp) {
    // On the wire: stop the transmission (under the cancel lock, so StartIo cannot be setting it)
    // and let the transmit DPC complete the write, now instead of when the last byte is out.
    const stopped = KeCancelTimer(ext.Timer);
    IoReleaseCancelSpinLock(Irp.CancelIrql);
    if (stopped) KeInsertQueueDpc(ext.Dpc, null, null);
    // Not stopped: the DPC is already queued or running, and it sees Irp->Cancel.
    return;
  }
  if (KeRemoveEntryDeviceQueue(DeviceObject.DeviceQueue, Irp.Tail.Overlay.DeviceQueueEntry)) {
    // Still waiting in the device queue: it never reaches StartIo.
    IoReleaseCancelSpinLock(Irp.CancelIrql);
    DbgPrint(`Uart: ${Irp.label} cancelled while queued`);
    UartComplete(ext, Irp, STATUS_CANCELLED, 0, "cancel");
    return;
  }
  // Neither: whoever took it out of the queue owns it now.
  IoReleaseCancelSpinLock(Irp.CancelIrql);
};

/**
 * IRP_MJ_WRITE: queues the write for the StartIo routine (or starts it at once when the port is
 * idle). A zero-length write completes at once.
 *
 * @returns STATUS_PENDING, or STATUS_SUCCESS for a zero-length write.
 */
const UartWrite: DRIVER_DISPATCH = function UartWrite(DeviceObject, Irp) {
  const ext = uartExtension(DeviceObject);
  const stack = IoGetCurrentIrpStackLocation(Irp);
  ext.WritesReceived++;
  if (stack.Parameters.Write.Length === 0) {
    Irp.IoStatus.Status = STATUS_SUCCESS;
    Irp.IoStatus.Information = 0;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return STATUS_SUCCESS;
  }
  IoMarkIrpPending(Irp);
  IoStartPacket(DeviceObject, Irp, null, UartCancel);
  return STATUS_PENDING;
};

/**
 * StartIo: called at DISPATCH_LEVEL with the write that is now DeviceObject->CurrentIrp. Starts
 * its transmission, unless it was cancelled before it got here (a cancel that found it current
 * left it to this driver, and one that came before IoStartPacket set the cancel routine never
 * called a routine at all): then the DPC finishes it at once.
 *
 * @param DeviceObject the Uart device.
 * @param Irp the write to send.
 */
const UartStartIo: DRIVER_STARTIO = function UartStartIo(DeviceObject, Irp) {
  const ext = uartExtension(DeviceObject);
  ext.Started.push(Irp.label);
  const stack = IoGetCurrentIrpStackLocation(Irp);
  const cancelIrql = IoAcquireCancelSpinLock();
  if (Irp.Cancel) {
    IoReleaseCancelSpinLock(cancelIrql);
    KeInsertQueueDpc(ext.Dpc, null, null);
    return;
  }
  // Set under the cancel lock: a cancel routine that runs after this finds the timer to stop.
  KeSetTimer(ext.Timer, -10_000 * UART_MS_PER_BYTE * stack.Parameters.Write.Length, ext.Dpc);
  IoReleaseCancelSpinLock(cancelIrql);
};

/**
 * The transmit DPC: the current write's last byte is out (or its transmission was aborted).
 * Takes the write back from the cancel path, puts its bytes on the wire unless it was cancelled,
 * starts the next write and completes this one. Runs at DISPATCH_LEVEL in any thread: it reads
 * only the system buffer, never the app's address.
 */
const UartTransmitDpc: KDEFERRED_ROUTINE<DEVICE_OBJECT> = function UartTransmitDpc(_Dpc, DeviceObject) {
  const ext = uartExtension(DeviceObject);
  const Irp = DeviceObject.CurrentIrp;
  if (!Irp) return;
  const length = IoGetCurrentIrpStackLocation(Irp).Parameters.Write.Length;
  const cancelIrql = IoAcquireCancelSpinLock();
  // From here on no cancel routine runs for it: it is ours to complete.
  IoSetCancelRoutine(Irp, null);
  const cancelled = Irp.Cancel;
  IoReleaseCancelSpinLock(cancelIrql);
  if (!cancelled) {
    const bytes = readBytes(Irp.AssociatedIrp.SystemBuffer, length);
    ext.Wire.push(String.fromCharCode(...bytes));
  }
  // Keep the port busy: the next write starts before this one's completion runs.
  IoStartNextPacket(DeviceObject, true);
  if (cancelled) {
    DbgPrint(`Uart: ${Irp.label} cancelled on the wire`);
    UartComplete(ext, Irp, STATUS_CANCELLED, 0, "dpc");
  } else {
    UartComplete(ext, Irp, STATUS_SUCCESS, length, "dpc");
  }
};

/**
 * IRP_MJ_CLEANUP: the closing file's writes still in the device queue are completed with
 * STATUS_CANCELLED (the one on the wire finishes its transmission). The cancel spin lock keeps
 * the queue still while it is walked.
 *
 * @returns STATUS_SUCCESS.
 */
const UartCleanup: DRIVER_DISPATCH = function UartCleanup(DeviceObject, Irp) {
  const ext = uartExtension(DeviceObject);
  const fileObject = IoGetCurrentIrpStackLocation(Irp).FileObject;
  const queue = DeviceObject.DeviceQueue;
  const drained: IRP[] = [];
  const cancelIrql = IoAcquireCancelSpinLock();
  for (let e = queue.DeviceListHead.Flink; e !== queue.DeviceListHead; ) {
    const next = e.Flink;
    const queued = CONTAINING_RECORD(CONTAINING_RECORD(e));
    if (IoGetCurrentIrpStackLocation(queued).FileObject === fileObject && KeRemoveEntryDeviceQueue(queue, queued.Tail.Overlay.DeviceQueueEntry)) {
      IoSetCancelRoutine(queued, null);
      drained.push(queued);
    }
    e = next;
  }
  IoReleaseCancelSpinLock(cancelIrql);
  for (const queued of drained) UartComplete(ext, queued, STATUS_CANCELLED, 0, "cleanup");
  Irp.IoStatus.Status = STATUS_SUCCESS;
  Irp.IoStatus.Information = 0;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
  return STATUS_SUCCESS;
};

/**
 * DriverUnload: stops a transmission still running and removes the link and the device.
 *
 * @param DriverObject this driver.
 */
function UartUnload(DriverObject: DRIVER_OBJECT): void {
  IoDeleteSymbolicLink("\\DosDevices\\Uart");
  const DeviceObject = DriverObject.DeviceObject;
  if (DeviceObject) {
    KeCancelTimer(uartExtension(DeviceObject).Timer);
    IoDeleteDevice(DeviceObject);
  }
}

/**
 * DriverEntry: creates \Device\Uart (buffered I/O) and \DosDevices\Uart, and sets the dispatch
 * table and the StartIo routine.
 *
 * @param DriverObject this driver.
 * @returns STATUS_SUCCESS, or why the device could not be created.
 */
export function UartDriverEntry(DriverObject: DRIVER_OBJECT): NTSTATUS {
  const ext = new UART_EXTENSION();
  const { status, DeviceObject } = IoCreateDevice(DriverObject, ext, "\\Device\\Uart", FILE_DEVICE_SERIAL_PORT, 0, false);
  if (!NT_SUCCESS(status) || !DeviceObject) return status;
  DeviceObject.Flags |= DO_BUFFERED_IO;
  KeInitializeTimer(ext.Timer);
  KeInitializeDpc(ext.Dpc, UartTransmitDpc, DeviceObject as DEVICE_OBJECT);
  const linked = IoCreateSymbolicLink("\\DosDevices\\Uart", "\\Device\\Uart");
  if (!NT_SUCCESS(linked)) {
    IoDeleteDevice(DeviceObject);
    return linked;
  }
  DriverObject.MajorFunction[IRP_MJ_CREATE] = UartCreateClose;
  DriverObject.MajorFunction[IRP_MJ_CLOSE] = UartCreateClose;
  DriverObject.MajorFunction[IRP_MJ_CLEANUP] = UartCleanup;
  DriverObject.MajorFunction[IRP_MJ_WRITE] = UartWrite;
  DriverObject.DriverStartIo = UartStartIo;
  DriverObject.DriverUnload = UartUnload;
  return STATUS_SUCCESS;
}
