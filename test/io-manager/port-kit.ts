/**
 * A test driver for completion ports, APC completion and thread-agnostic I/O. Each IOCTL_DO
 * request says in its 16-byte input how the driver finishes it: the final status and byte count,
 * and whether it completes inside dispatch, marks it pending and completes inside dispatch,
 * completes it later from a system thread, or queues it (with or without a cancel routine) until
 * IOCTL_RELEASE, IRP_MJ_CLEANUP or a cancel. Reads on the buffered device follow `ext.read`.
 * The driver fills the output with 0xAB for the bytes it reports.
 */
import { loadDriver, type Machine } from "../../index.js";
import * as wdm from "../../wdm.js";
import * as w from "../../win32/index.js";

export const IOCTL_DO = wdm.CTL_CODE(wdm.FILE_DEVICE_UNKNOWN, 0x820, wdm.METHOD_BUFFERED, wdm.FILE_ANY_ACCESS);
/** Completes every queued request with the status and byte count in its input. */
export const IOCTL_RELEASE = wdm.CTL_CODE(wdm.FILE_DEVICE_UNKNOWN, 0x821, wdm.METHOD_BUFFERED, wdm.FILE_ANY_ACCESS);

/** How the driver finishes a request. */
export const Finish = {
  /** IoCompleteRequest inside dispatch, returning the status. */
  Dispatch: 0,
  /** IoMarkIrpPending, IoCompleteRequest inside dispatch, return STATUS_PENDING. */
  MarkPendingDispatch: 1,
  /** Pend, and complete from a system thread after `delayMs`. */
  Later: 2,
  /** Pend in the queue with a cancel routine (until IOCTL_RELEASE, cleanup or a cancel). */
  Queue: 3,
  /** Pend in the queue without a cancel routine (cancelling does nothing). */
  QueueNoCancel: 4,
} as const;

/** What a read does (IRP_MJ_READ on the buffered device). */
export interface ReadBehaviour {
  finish: number;
  status: number;
  information: number;
  delayMs: number;
}

/** The driver's state, for assertions. */
export class PortKitExt {
  readonly Lock = new wdm.KSPIN_LOCK("PortKitLock");
  readonly Queue = new wdm.LIST_ENTRY<wdm.IRP>();
  /** IRP_MJ_CLEANUP completes the file's queued requests with STATUS_CANCELLED. */
  cleanupCompletes = true;
  read: ReadBehaviour = { finish: Finish.Dispatch, status: wdm.STATUS_SUCCESS, information: 4, delayMs: 0 };
  /** What happened, in order ("CLEANUP", "cancel irp#3", "complete irp#3 STATUS_SUCCESS" …). */
  readonly log: string[] = [];
}

function ext(d: wdm.DEVICE_OBJECT): PortKitExt {
  return d.DeviceExtension as PortKitExt;
}

function complete(e: PortKitExt, Irp: wdm.IRP, status: number, information: number): number {
  const length = wdm.IoGetCurrentIrpStackLocation(Irp).MajorFunction === wdm.IRP_MJ_READ ? wdm.IoGetCurrentIrpStackLocation(Irp).Parameters.Read.Length : wdm.IoGetCurrentIrpStackLocation(Irp).Parameters.DeviceIoControl.OutputBufferLength;
  if (Irp.AssociatedIrp.SystemBuffer !== 0 && length > 0) wdm.RtlFillMemory(Irp.AssociatedIrp.SystemBuffer, Math.min(information, length), 0xab);
  e.log.push(`complete ${Irp.label} ${wdm.ntStatusName(status)}`);
  Irp.IoStatus.Status = status;
  Irp.IoStatus.Information = information;
  wdm.IoCompleteRequest(Irp, wdm.IO_NO_INCREMENT);
  return status;
}

const PortKitCancel: wdm.DRIVER_CANCEL = function PortKitCancel(DeviceObject, Irp) {
  wdm.IoReleaseCancelSpinLock(Irp.CancelIrql);
  const e = ext(DeviceObject);
  const irql = wdm.KeAcquireSpinLock(e.Lock);
  wdm.RemoveEntryList(Irp.Tail.Overlay.ListEntry);
  wdm.KeReleaseSpinLock(e.Lock, irql);
  e.log.push(`cancel ${Irp.label}`);
  complete(e, Irp, wdm.STATUS_CANCELLED, 0);
};

/** Queues an IRP (with or without a cancel routine); returns STATUS_PENDING or the cancelled status. */
function queue(DeviceObject: wdm.DEVICE_OBJECT, Irp: wdm.IRP, withCancel: boolean): number {
  const e = ext(DeviceObject);
  const irql = wdm.KeAcquireSpinLock(e.Lock);
  if (withCancel) {
    wdm.IoSetCancelRoutine(Irp, PortKitCancel);
    if (Irp.Cancel && wdm.IoSetCancelRoutine(Irp, null) !== null) {
      wdm.KeReleaseSpinLock(e.Lock, irql);
      return complete(e, Irp, wdm.STATUS_CANCELLED, 0);
    }
  }
  wdm.IoMarkIrpPending(Irp);
  wdm.InsertTailList(e.Queue, Irp.Tail.Overlay.ListEntry);
  wdm.KeReleaseSpinLock(e.Lock, irql);
  return wdm.STATUS_PENDING;
}

/** Takes the queued IRPs (of one file object, or all) whose cancel routine has not started. */
function takeQueued(e: PortKitExt, fileObject: wdm.FILE_OBJECT | null): wdm.IRP[] {
  const out: wdm.IRP[] = [];
  const irql = wdm.KeAcquireSpinLock(e.Lock);
  for (let entry = e.Queue.Flink; entry !== e.Queue; ) {
    const next = entry.Flink;
    const irp = wdm.CONTAINING_RECORD(entry);
    if (fileObject === null || wdm.IoGetCurrentIrpStackLocation(irp).FileObject === fileObject) {
      if (wdm.IoSetCancelRoutine(irp, null) !== null || !irp.Cancel) {
        wdm.RemoveEntryList(entry);
        out.push(irp);
      }
    }
    entry = next;
  }
  wdm.KeReleaseSpinLock(e.Lock, irql);
  return out;
}

/** Finishes a request as told. */
function finish(DeviceObject: wdm.DEVICE_OBJECT, Irp: wdm.IRP, how: number, status: number, information: number, delayMs: number): number {
  const e = ext(DeviceObject);
  switch (how) {
    case Finish.Dispatch:
      return complete(e, Irp, status, information);
    case Finish.MarkPendingDispatch:
      wdm.IoMarkIrpPending(Irp);
      complete(e, Irp, status, information);
      return wdm.STATUS_PENDING;
    case Finish.Later:
      wdm.IoMarkIrpPending(Irp);
      wdm.PsCreateSystemThread(async function PortKitCompleter(Context: wdm.IRP) {
        await wdm.KeDelayExecutionThread(wdm.KernelMode, false, -10_000 * delayMs);
        complete(e, Context, status, information);
      }, Irp);
      return wdm.STATUS_PENDING;
    case Finish.Queue:
      return queue(DeviceObject, Irp, true);
    case Finish.QueueNoCancel:
      return queue(DeviceObject, Irp, false);
    default:
      return complete(e, Irp, wdm.STATUS_INVALID_PARAMETER, 0);
  }
}

/** Loads the driver as \Device\<name> (buffered I/O) and returns its state. */
export async function loadPortKit(m: Machine, name = "PortKit"): Promise<{ ext: PortKitExt; path: string }> {
  const made: { ext?: PortKitExt } = {};
  const r = await loadDriver(m, name, (DriverObject) => {
    const e = new PortKitExt();
    made.ext = e;
    wdm.InitializeListHead(e.Queue);
    const created = wdm.IoCreateDevice(DriverObject, e, `\\Device\\${name}`, wdm.FILE_DEVICE_UNKNOWN, 0, false);
    if (!created.DeviceObject) return created.status;
    created.DeviceObject.Flags |= wdm.DO_BUFFERED_IO;
    wdm.IoCreateSymbolicLink(`\\DosDevices\\${name}`, `\\Device\\${name}`);
    const succeed: wdm.DRIVER_DISPATCH = function PortKitCreateClose(_d, Irp) {
      Irp.IoStatus.Status = wdm.STATUS_SUCCESS;
      Irp.IoStatus.Information = 0;
      wdm.IoCompleteRequest(Irp, wdm.IO_NO_INCREMENT);
      return wdm.STATUS_SUCCESS;
    };
    DriverObject.MajorFunction[wdm.IRP_MJ_CREATE] = succeed;
    DriverObject.MajorFunction[wdm.IRP_MJ_CLOSE] = succeed;
    DriverObject.MajorFunction[wdm.IRP_MJ_CLEANUP] = function PortKitCleanup(d, Irp) {
      const x = ext(d);
      x.log.push("CLEANUP");
      if (x.cleanupCompletes) for (const irp of takeQueued(x, wdm.IoGetCurrentIrpStackLocation(Irp).FileObject)) complete(x, irp, wdm.STATUS_CANCELLED, 0);
      return succeed(d, Irp);
    };
    DriverObject.MajorFunction[wdm.IRP_MJ_READ] = function PortKitRead(d, Irp) {
      const b = ext(d).read;
      return finish(d, Irp, b.finish, b.status, b.information, b.delayMs);
    };
    DriverObject.MajorFunction[wdm.IRP_MJ_WRITE] = function PortKitWrite(d, Irp) {
      const b = ext(d).read;
      const length = wdm.IoGetCurrentIrpStackLocation(Irp).Parameters.Write.Length;
      ext(d).log.push(`write ${Array.from(wdm.readBytes(Irp.AssociatedIrp.SystemBuffer, length)).join(",")}`);
      return finish(d, Irp, b.finish, b.status, b.information, b.delayMs);
    };
    DriverObject.MajorFunction[wdm.IRP_MJ_DEVICE_CONTROL] = function PortKitDeviceControl(d, Irp) {
      const sl = wdm.IoGetCurrentIrpStackLocation(Irp);
      const sys = Irp.AssociatedIrp.SystemBuffer;
      const arg = (i: number): number => (sl.Parameters.DeviceIoControl.InputBufferLength >= 4 * (i + 1) ? wdm.readU32(sys + 4 * i) : 0);
      switch (sl.Parameters.DeviceIoControl.IoControlCode) {
        case IOCTL_DO:
          return finish(d, Irp, arg(0), arg(1), arg(2), arg(3));
        case IOCTL_RELEASE: {
          const x = ext(d);
          const status = arg(1);
          const information = arg(2);
          const taken = takeQueued(x, null);
          for (const irp of taken) complete(x, irp, status, information);
          return complete(x, Irp, wdm.STATUS_SUCCESS, 0);
        }
        default:
          return complete(ext(d), Irp, wdm.STATUS_INVALID_DEVICE_REQUEST, 0);
      }
    };
    return wdm.STATUS_SUCCESS;
  });
  if (!made.ext || r.status !== 0) throw new Error(`the ${name} test driver did not load`);
  return { ext: made.ext, path: `\\\\.\\${name}` };
}

// ---- App side --------------------------------------------------------------------------------

/** Zeroed read-write app memory. */
export function alloc(size = 4096): number {
  const p = w.VirtualAlloc(0, size, w.MEM_COMMIT | w.MEM_RESERVE, w.PAGE_READWRITE);
  if (p === 0) throw new Error(`VirtualAlloc failed: ${w.GetLastError()}`);
  return p;
}

/** Opens the kit's device (overlapped unless told otherwise). */
export async function openKit(path: string, overlapped = true): Promise<number> {
  const h = await w.CreateFile(path, w.GENERIC_READ | w.GENERIC_WRITE, 0, null, w.OPEN_EXISTING, overlapped ? w.FILE_FLAG_OVERLAPPED : 0, 0);
  if (h === w.INVALID_HANDLE_VALUE) throw new Error(`CreateFile(${path}) failed: ${w.GetLastError()}`);
  return h;
}

/** A request in flight: its OVERLAPPED, output buffer and byte-count out-parameter. */
export interface Req {
  readonly ov: w.OVERLAPPED;
  readonly out: number;
  readonly bytes: number;
  readonly ret: boolean;
  readonly error: number;
}

/**
 * Sends IOCTL_DO on `h` with a fresh OVERLAPPED (hEvent as given; 0 for none) and a 16-byte
 * output buffer filled with 0x11; returns what DeviceIoControl said.
 */
export async function doIoctl(h: number, finishHow: number, status: number, information = 8, delayMs = 10, hEvent = 0): Promise<Req> {
  const buf = alloc();
  const ov = new w.OVERLAPPED(buf);
  ov.hEvent = hEvent;
  const input = buf + 64;
  w.writeU32(input, finishHow);
  w.writeU32(input + 4, status);
  w.writeU32(input + 8, information);
  w.writeU32(input + 12, delayMs);
  const out = buf + 128;
  w.writeBytes(out, new Uint8Array(16).fill(0x11));
  const bytes = buf + 256;
  w.writeU32(bytes, 0xdddddddd);
  w.SetLastError(0);
  const ret = await w.DeviceIoControl(h, IOCTL_DO, input, 16, out, 16, bytes, ov);
  return { ov, out, bytes, ret, error: w.GetLastError() };
}

/** Releases every queued request with `status` and `information`. */
export async function release(h: number, status: number, information: number): Promise<void> {
  const buf = alloc();
  const ov = new w.OVERLAPPED(buf);
  ov.hEvent = w.CreateEvent(null, true, false, null) | 1;
  w.writeU32(buf + 68, status);
  w.writeU32(buf + 72, information);
  await w.DeviceIoControl(h, IOCTL_RELEASE, buf + 64, 16, 0, 0, 0, ov);
}

/** What GetQueuedCompletionStatus returned. */
export interface Dequeued {
  readonly ok: boolean;
  readonly error: number;
  readonly bytes: number;
  readonly key: number;
  readonly overlapped: number;
}

/** GetQueuedCompletionStatus with its three out-parameters in app memory. */
export async function dequeue(port: number, ms: number): Promise<Dequeued> {
  const out = alloc(4096);
  w.writeU32(out, 0xdddddddd);
  w.writeU32(out + 4, 0xdddddddd);
  w.writeU32(out + 8, 0xdddddddd);
  w.SetLastError(0);
  const ok = await w.GetQueuedCompletionStatus(port, out, out + 4, out + 8, ms);
  return { ok, error: w.GetLastError(), bytes: w.readU32(out), key: w.readU32(out + 4), overlapped: w.readU32(out + 8) };
}

/** The output buffer's first 16 bytes. */
export function outBytes(r: Req): number[] {
  return Array.from(w.readBytes(r.out, 16));
}

/** `n` copies of `value`. */
export function repeat(value: number, n: number): number[] {
  return new Array<number>(n).fill(value);
}
