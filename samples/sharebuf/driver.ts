/**
 * Sharebuf: the driver of the classic "share memory between user mode and kernel mode" design.
 *
 * The app hands a buffer over with IOCTL_SHARE_BUFFER (METHOD_OUT_DIRECT, overlapped). The I/O
 * manager locks it with an MDL; this driver maps the MDL into system space, pends the IRP with a
 * cancel routine, and a periodic timer DPC writes records through the system address while the
 * app reads them at its own address. IOCTL_DONE_USING_SHARE_BUFFER completes the original IRP;
 * so do the cancel routine (the app died or cancelled) and IRP_MJ_CLEANUP (the app closed its
 * handle first).
 */
import {
  CTL_CODE,
  DbgPrint,
  DEVICE_OBJECT,
  DRIVER_OBJECT,
  FILE_ANY_ACCESS,
  FILE_DEVICE_UNKNOWN,
  IO_NO_INCREMENT,
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
  IRP,
  IRP_MJ_CLEANUP,
  IRP_MJ_CLOSE,
  IRP_MJ_CREATE,
  IRP_MJ_DEVICE_CONTROL,
  KDPC,
  KeAcquireSpinLock,
  KeAcquireSpinLockAtDpcLevel,
  KeCancelTimer,
  KeInitializeDpc,
  KeInitializeSpinLock,
  KeInitializeTimer,
  KeQueryInterruptTime,
  KeReleaseSpinLock,
  KeReleaseSpinLockFromDpcLevel,
  KeSetTimerEx,
  KSPIN_LOCK,
  KTIMER,
  METHOD_BUFFERED,
  METHOD_OUT_DIRECT,
  MdlMappingNoExecute,
  MmGetMdlByteCount,
  MmGetSystemAddressForMdlSafe,
  NormalPagePriority,
  NT_SUCCESS,
  STATUS_CANCELLED,
  STATUS_DEVICE_BUSY,
  STATUS_INSUFFICIENT_RESOURCES,
  STATUS_INVALID_DEVICE_REQUEST,
  STATUS_INVALID_DEVICE_STATE,
  STATUS_INVALID_PARAMETER,
  STATUS_PENDING,
  STATUS_SUCCESS,
  writeU32,
  type DRIVER_CANCEL,
  type DRIVER_DISPATCH,
  type KDEFERRED_ROUTINE,
  type NTSTATUS,
} from "irpsim/wdm";

/** Hands the output buffer to the driver; the request stays pending while the buffer is shared. */
export const IOCTL_SHARE_BUFFER = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_OUT_DIRECT, FILE_ANY_ACCESS);
/** Ends the sharing: the driver completes the IOCTL_SHARE_BUFFER request. */
export const IOCTL_DONE_USING_SHARE_BUFFER = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x801, METHOD_BUFFERED, FILE_ANY_ACCESS);

/** The shared buffer's layout: a header, then a ring of records. */
export const SHAREBUF_MAGIC = 0x42524853; // "SHRB"
export const HEADER_BYTES = 16;
export const RECORD_BYTES = 16;
/** Header: magic, sequence number of the newest record, record count in the ring. */
export const OFFSET_MAGIC = 0;
export const OFFSET_SEQUENCE = 4;
export const OFFSET_SLOTS = 8;
/** Records are written every this many milliseconds. */
export const SHAREBUF_PERIOD_MS = 10;

/** Per-device state (what C keeps in the device extension). */
export class SHAREBUF_EXTENSION {
  /** Guards everything below. */
  readonly Lock = new KSPIN_LOCK("SharebufLock");
  /** The pended IOCTL_SHARE_BUFFER request, while the buffer is shared. */
  SharedBufferIrp: IRP | null = null;
  /** The system address of the shared buffer (0 when nothing is shared). */
  SharedBuffer = 0;
  SharedBufferLength = 0;
  /** Records written so far. */
  Sequence = 0;
  readonly Timer = new KTIMER(false, "SharebufTimer");
  readonly Dpc = new KDPC<DEVICE_OBJECT>();
}

/** The device extension of a Sharebuf device. */
export function extensionOf(DeviceObject: DEVICE_OBJECT): SHAREBUF_EXTENSION {
  return DeviceObject.DeviceExtension as SHAREBUF_EXTENSION;
}

/**
 * The routines where the cancel and cleanup races live. A variant of the driver (the buggy
 * builds in samples/sharebuf-races) replaces some of them with its own.
 */
export interface SharebufRoutines {
  /** The cancel routine of the pended IOCTL_SHARE_BUFFER request. */
  readonly CancelRoutine: DRIVER_CANCEL;
  /** The periodic timer's DPC, which writes the records. */
  readonly TimerDpc: KDEFERRED_ROUTINE<DEVICE_OBJECT>;
  /** IRP_MJ_CLEANUP. */
  readonly Cleanup: DRIVER_DISPATCH;
  /** IOCTL_SHARE_BUFFER: maps and pends; returns STATUS_PENDING, or the status to complete with. */
  readonly ShareBuffer: (DeviceObject: DEVICE_OBJECT, Irp: IRP) => NTSTATUS;
  /** IOCTL_DONE_USING_SHARE_BUFFER: completes the shared request; returns the status to complete with. */
  readonly DoneUsing: (DeviceObject: DEVICE_OBJECT, Irp: IRP) => NTSTATUS;
}

/** What the correct driver lends a variant: its routines and its helper. */
export interface SharebufKit extends SharebufRoutines {
  /** Takes the shared IRP back from the device (device lock held); null when the cancel routine owns it. */
  readonly TakeSharedIrp: (ext: SHAREBUF_EXTENSION) => IRP | null;
}

/** How much of the design a build of the driver gets right (variants for the tests). */
export interface SharebufBuild {
  /** Set a cancel routine on the pended IRP (the KB article's advice). Default true. */
  readonly cancelRoutine?: boolean;
  /** The cancel routine releases the cancel spin lock. Default true. */
  readonly releaseCancelLock?: boolean;
  /** Replaces routines with a variant's own (given the correct ones to reuse). */
  readonly variant?: (correct: SharebufKit) => Partial<SharebufRoutines>;
}

/**
 * Makes the driver's DriverEntry for a given build (the default build is correct).
 *
 * @param build which variant of the driver to build.
 * @returns the DriverEntry routine.
 */
export function makeSharebufDriver(build: SharebufBuild = {}): (DriverObject: DRIVER_OBJECT, RegistryPath: string) => NTSTATUS {
  const useCancelRoutine = build.cancelRoutine ?? true;
  const releaseCancelLock = build.releaseCancelLock ?? true;

  /**
   * Takes the shared IRP back from the device, if it is still there and its cancel routine has
   * not started. Called with the device lock held.
   *
   * @returns the IRP, now the caller's to complete, or null.
   */
  function SharebufTakeSharedIrp(ext: SHAREBUF_EXTENSION): IRP | null {
    const Irp = ext.SharedBufferIrp;
    if (!Irp) return null;
    // If the cancel routine was already taken (it is running or about to), it owns the IRP.
    if (useCancelRoutine && IoSetCancelRoutine(Irp, null) === null) return null;
    ext.SharedBufferIrp = null;
    ext.SharedBuffer = 0;
    ext.SharedBufferLength = 0;
    return Irp;
  }

  /**
   * The cancel routine of the pended IOCTL_SHARE_BUFFER request: the app cancelled it, or its
   * thread is exiting. Runs with the cancel spin lock held.
   *
   * @param DeviceObject the Sharebuf device.
   * @param Irp the request being cancelled.
   */
  let SharebufCancelRoutine: DRIVER_CANCEL = function SharebufCancelRoutine(DeviceObject, Irp) {
    if (releaseCancelLock) IoReleaseCancelSpinLock(Irp.CancelIrql);
    const ext = extensionOf(DeviceObject);
    const oldIrql = KeAcquireSpinLock(ext.Lock);
    if (ext.SharedBufferIrp === Irp) {
      ext.SharedBufferIrp = null;
      ext.SharedBuffer = 0;
      ext.SharedBufferLength = 0;
    }
    KeReleaseSpinLock(ext.Lock, oldIrql);
    KeCancelTimer(ext.Timer);
    DbgPrint(`Sharebuf: cancel routine completes ${Irp.label} with STATUS_CANCELLED`);
    Irp.IoStatus.Status = STATUS_CANCELLED;
    Irp.IoStatus.Information = 0;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
  };

  /**
   * The timer DPC: writes the next record into the shared buffer through its system address.
   * Runs at DISPATCH_LEVEL in whatever thread is current, which is why it may only touch the
   * system mapping, never the app's address.
   */
  let SharebufTimerDpc: KDEFERRED_ROUTINE<DEVICE_OBJECT> = function SharebufTimerDpc(_Dpc, DeviceObject) {
    const ext = extensionOf(DeviceObject);
    KeAcquireSpinLockAtDpcLevel(ext.Lock);
    if (ext.SharedBuffer !== 0) {
      const slots = Math.floor((ext.SharedBufferLength - HEADER_BYTES) / RECORD_BYTES);
      ext.Sequence++;
      const record = ext.SharedBuffer + HEADER_BYTES + ((ext.Sequence - 1) % slots) * RECORD_BYTES;
      writeU32(record, ext.Sequence);
      writeU32(record + 4, Math.floor(KeQueryInterruptTime() / 10_000));
      writeU32(record + 8, ext.Sequence * ext.Sequence);
      writeU32(ext.SharedBuffer + OFFSET_SEQUENCE, ext.Sequence);
      DbgPrint(`Sharebuf: DPC writes record ${ext.Sequence} at system address 0x${record.toString(16).toUpperCase()}`);
    }
    KeReleaseSpinLockFromDpcLevel(ext.Lock);
  };

  /**
   * IRP_MJ_CREATE and IRP_MJ_CLOSE: nothing to do per open.
   *
   * @returns STATUS_SUCCESS.
   */
  const SharebufCreateClose: DRIVER_DISPATCH = function SharebufCreateClose(_DeviceObject, Irp) {
    Irp.IoStatus.Status = STATUS_SUCCESS;
    Irp.IoStatus.Information = 0;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return STATUS_SUCCESS;
  };

  /**
   * IRP_MJ_CLEANUP: the last handle of a file object closed. The shared request on that file
   * object must not outlive it, so it completes with STATUS_CANCELLED.
   *
   * @returns STATUS_SUCCESS.
   */
  let SharebufCleanup: DRIVER_DISPATCH = function SharebufCleanup(DeviceObject, Irp) {
    const ext = extensionOf(DeviceObject);
    const stack = IoGetCurrentIrpStackLocation(Irp);
    // Synchronise with a cancel routine that may be running on another processor.
    const cancelIrql = IoAcquireCancelSpinLock();
    const oldIrql = KeAcquireSpinLock(ext.Lock);
    let shared: IRP | null = null;
    if (ext.SharedBufferIrp && IoGetCurrentIrpStackLocation(ext.SharedBufferIrp).FileObject === stack.FileObject) {
      shared = SharebufTakeSharedIrp(ext);
    }
    KeReleaseSpinLock(ext.Lock, oldIrql);
    IoReleaseCancelSpinLock(cancelIrql);
    if (shared) {
      KeCancelTimer(ext.Timer);
      DbgPrint(`Sharebuf: cleanup completes ${shared.label} with STATUS_CANCELLED`);
      shared.IoStatus.Status = STATUS_CANCELLED;
      shared.IoStatus.Information = 0;
      IoCompleteRequest(shared, IO_NO_INCREMENT);
    }
    Irp.IoStatus.Status = STATUS_SUCCESS;
    Irp.IoStatus.Information = 0;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return STATUS_SUCCESS;
  };

  /**
   * IOCTL_SHARE_BUFFER: maps the locked output buffer into system space, makes the request
   * cancellable under the device lock, and pends it while the timer writes records.
   *
   * @returns STATUS_PENDING when the buffer is shared, otherwise the status to complete with.
   */
  let SharebufShareBuffer = function SharebufShareBuffer(DeviceObject: DEVICE_OBJECT, Irp: IRP): NTSTATUS {
    const ext = extensionOf(DeviceObject);
    const Mdl = Irp.MdlAddress;
    if (!Mdl || MmGetMdlByteCount(Mdl) < HEADER_BYTES + RECORD_BYTES) return STATUS_INVALID_PARAMETER;
    const systemVa = MmGetSystemAddressForMdlSafe(Mdl, NormalPagePriority | MdlMappingNoExecute);
    if (systemVa === 0) return STATUS_INSUFFICIENT_RESOURCES;
    writeU32(systemVa + OFFSET_MAGIC, SHAREBUF_MAGIC);
    writeU32(systemVa + OFFSET_SEQUENCE, 0);
    writeU32(systemVa + OFFSET_SLOTS, Math.floor((MmGetMdlByteCount(Mdl) - HEADER_BYTES) / RECORD_BYTES));
    const oldIrql = KeAcquireSpinLock(ext.Lock);
    if (ext.SharedBufferIrp) {
      KeReleaseSpinLock(ext.Lock, oldIrql);
      return STATUS_DEVICE_BUSY;
    }
    if (useCancelRoutine) {
      IoSetCancelRoutine(Irp, SharebufCancelRoutine);
      // The request may have been cancelled before the routine was set: take it back.
      if (Irp.Cancel && IoSetCancelRoutine(Irp, null) !== null) {
        KeReleaseSpinLock(ext.Lock, oldIrql);
        return STATUS_CANCELLED;
      }
    }
    IoMarkIrpPending(Irp);
    ext.SharedBufferIrp = Irp;
    ext.SharedBuffer = systemVa;
    ext.SharedBufferLength = MmGetMdlByteCount(Mdl);
    ext.Sequence = 0;
    KeReleaseSpinLock(ext.Lock, oldIrql);
    KeSetTimerEx(ext.Timer, -10_000 * SHAREBUF_PERIOD_MS, SHAREBUF_PERIOD_MS, ext.Dpc);
    DbgPrint(`Sharebuf: buffer shared at system address 0x${systemVa.toString(16).toUpperCase()}; ${Irp.label} pended`);
    return STATUS_PENDING;
  };

  /**
   * IOCTL_DONE_USING_SHARE_BUFFER: takes the shared request back from the device (unless its
   * cancel routine already owns it) and completes it with STATUS_SUCCESS.
   *
   * @returns the status to complete the DONE_USING request with.
   */
  let SharebufDoneUsing = function SharebufDoneUsing(DeviceObject: DEVICE_OBJECT, _Irp: IRP): NTSTATUS {
    const ext = extensionOf(DeviceObject);
    const oldIrql = KeAcquireSpinLock(ext.Lock);
    const shared = SharebufTakeSharedIrp(ext);
    const written = ext.Sequence;
    KeReleaseSpinLock(ext.Lock, oldIrql);
    if (!shared) return STATUS_INVALID_DEVICE_STATE;
    KeCancelTimer(ext.Timer);
    DbgPrint(`Sharebuf: done using the buffer; completing ${shared.label} after ${written} records`);
    shared.IoStatus.Status = STATUS_SUCCESS;
    shared.IoStatus.Information = 0;
    IoCompleteRequest(shared, IO_NO_INCREMENT);
    return STATUS_SUCCESS;
  };

  // A variant replaces the routines its bug lives in; the rest stay the correct driver's.
  const replaced = build.variant?.({
    CancelRoutine: SharebufCancelRoutine,
    TimerDpc: SharebufTimerDpc,
    Cleanup: SharebufCleanup,
    ShareBuffer: SharebufShareBuffer,
    DoneUsing: SharebufDoneUsing,
    TakeSharedIrp: SharebufTakeSharedIrp,
  });
  SharebufCancelRoutine = replaced?.CancelRoutine ?? SharebufCancelRoutine;
  SharebufTimerDpc = replaced?.TimerDpc ?? SharebufTimerDpc;
  SharebufCleanup = replaced?.Cleanup ?? SharebufCleanup;
  SharebufShareBuffer = replaced?.ShareBuffer ?? SharebufShareBuffer;
  SharebufDoneUsing = replaced?.DoneUsing ?? SharebufDoneUsing;

  /**
   * IRP_MJ_DEVICE_CONTROL: IOCTL_SHARE_BUFFER maps and pends; IOCTL_DONE_USING_SHARE_BUFFER
   * completes the shared request.
   *
   * @returns STATUS_PENDING for a shared buffer, otherwise the request's final status.
   */
  const SharebufDeviceControl: DRIVER_DISPATCH = function SharebufDeviceControl(DeviceObject, Irp) {
    const stack = IoGetCurrentIrpStackLocation(Irp);
    let status: NTSTATUS;
    switch (stack.Parameters.DeviceIoControl.IoControlCode) {
      case IOCTL_SHARE_BUFFER:
        status = SharebufShareBuffer(DeviceObject, Irp);
        if (status === STATUS_PENDING) return STATUS_PENDING;
        break;
      case IOCTL_DONE_USING_SHARE_BUFFER:
        status = SharebufDoneUsing(DeviceObject, Irp);
        break;
      default:
        status = STATUS_INVALID_DEVICE_REQUEST;
    }
    Irp.IoStatus.Status = status;
    Irp.IoStatus.Information = 0;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return status;
  };

  /**
   * DriverUnload: removes the symbolic link and the device.
   *
   * @param DriverObject this driver.
   */
  function SharebufUnload(DriverObject: DRIVER_OBJECT): void {
    IoDeleteSymbolicLink("\\DosDevices\\Sharebuf");
    if (DriverObject.DeviceObject) {
      KeCancelTimer(extensionOf(DriverObject.DeviceObject).Timer);
      IoDeleteDevice(DriverObject.DeviceObject);
    }
  }

  /**
   * DriverEntry: creates \Device\Sharebuf and \DosDevices\Sharebuf, and sets the dispatch table.
   *
   * @param DriverObject this driver.
   * @returns STATUS_SUCCESS, or why the device could not be created.
   */
  return function SharebufDriverEntry(DriverObject: DRIVER_OBJECT): NTSTATUS {
    const ext = new SHAREBUF_EXTENSION();
    const { status, DeviceObject } = IoCreateDevice(DriverObject, ext, "\\Device\\Sharebuf", FILE_DEVICE_UNKNOWN, 0, false);
    if (!NT_SUCCESS(status) || !DeviceObject) return status;
    KeInitializeSpinLock(ext.Lock);
    KeInitializeTimer(ext.Timer);
    KeInitializeDpc(ext.Dpc, SharebufTimerDpc, DeviceObject as DEVICE_OBJECT);
    const linked = IoCreateSymbolicLink("\\DosDevices\\Sharebuf", "\\Device\\Sharebuf");
    if (!NT_SUCCESS(linked)) {
      IoDeleteDevice(DeviceObject);
      return linked;
    }
    DriverObject.MajorFunction[IRP_MJ_CREATE] = SharebufCreateClose;
    DriverObject.MajorFunction[IRP_MJ_CLOSE] = SharebufCreateClose;
    DriverObject.MajorFunction[IRP_MJ_CLEANUP] = SharebufCleanup;
    DriverObject.MajorFunction[IRP_MJ_DEVICE_CONTROL] = SharebufDeviceControl;
    DriverObject.DriverUnload = SharebufUnload;
    return STATUS_SUCCESS;
  };
}

/** The correct driver. */
export const SharebufDriverEntry = makeSharebufDriver();
