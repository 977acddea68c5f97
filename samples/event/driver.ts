/**
 * Alarm: an event-notification driver after the pattern of the WDK's general/event sample
 * (written afresh). An app asks to be told when a delay it chooses has passed, one of two ways:
 *
 * - **IRP-based**: the IOCTL_ALARM_REGISTER request itself is the notification. The driver pends
 *   it, sets a timer, and the timer's DPC completes it.
 * - **Event-based**: the app passes a handle to an event of its own. The dispatch routine, running
 *   in the app's context, turns the handle into a KEVENT pointer with ObReferenceObjectByHandle
 *   (a handle means nothing in the arbitrary context a DPC runs in), completes the request at once,
 *   and the timer's DPC calls KeSetEvent on the KEVENT and drops the reference.
 *
 * Each registration is a NOTIFY_RECORD on the device's list, with its own KTIMER and KDPC. Three
 * parties can end one: the timer DPC, the IRP's cancel routine, and IRP_MJ_CLEANUP of the file it
 * was registered on. Under the device's list lock they decide as follows:
 *
 * - Whoever takes the record off the list and is not the DPC calls KeCancelTimer: TRUE means the
 *   DPC will never run for it; FALSE means the DPC is already queued or running and will still
 *   look at the record, so the record must outlive that (`DpcPending` says so).
 * - The IRP goes to whoever clears its cancel routine first (IoSetCancelRoutine(Irp, NULL) not
 *   NULL); a NULL answer means the I/O manager has called, or is about to call, the cancel
 *   routine, which then completes the IRP.
 * - The last party to let go of the record frees it and releases the remove lock it holds.
 *
 * The remove lock (IO_REMOVE_LOCK) is held by each dispatch routine while it works and by each
 * live record, so DriverUnload's IoReleaseRemoveLockAndWait waits for the last timer DPC.
 */
import {
  CTL_CODE,
  DbgPrint,
  DEVICE_OBJECT,
  DRIVER_OBJECT,
  EVENT_MODIFY_STATE,
  ExEventObjectType,
  FILE_ANY_ACCESS,
  FILE_DEVICE_UNKNOWN,
  FILE_OBJECT,
  IO_NO_INCREMENT,
  IO_REMOVE_LOCK,
  InitializeListHead,
  InsertTailList,
  IoAcquireRemoveLock,
  IoCompleteRequest,
  IoCreateDevice,
  IoCreateSymbolicLink,
  IoDeleteDevice,
  IoDeleteSymbolicLink,
  IoGetCurrentIrpStackLocation,
  IoInitializeRemoveLock,
  IoMarkIrpPending,
  IoReleaseCancelSpinLock,
  IoReleaseRemoveLock,
  IoReleaseRemoveLockAndWait,
  IoSetCancelRoutine,
  IRP,
  IRP_MJ_CLEANUP,
  IRP_MJ_CLOSE,
  IRP_MJ_CREATE,
  IRP_MJ_DEVICE_CONTROL,
  KDPC,
  KEVENT,
  KeAcquireSpinLock,
  KeAcquireSpinLockAtDpcLevel,
  KeCancelTimer,
  KeInitializeDpc,
  KeInitializeSpinLock,
  KeInitializeTimer,
  KeReleaseSpinLock,
  KeReleaseSpinLockFromDpcLevel,
  KeSetEvent,
  KeSetTimer,
  KSPIN_LOCK,
  KTIMER,
  LIST_ENTRY,
  METHOD_BUFFERED,
  NT_SUCCESS,
  ObDereferenceObject,
  ObReferenceObjectByHandle,
  readI64,
  readU32,
  RemoveEntryList,
  STATUS_CANCELLED,
  STATUS_INVALID_DEVICE_REQUEST,
  STATUS_INVALID_PARAMETER,
  STATUS_PENDING,
  STATUS_SUCCESS,
  type DRIVER_CANCEL,
  type DRIVER_DISPATCH,
  type KDEFERRED_ROUTINE,
  type NTSTATUS,
} from "irpsim/wdm";

/** Registers a notification: a REGISTER_EVENT in, nothing out. */
export const IOCTL_ALARM_REGISTER = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS);

/** REGISTER_EVENT.Type: the request is the notification. */
export const IRP_BASED = 0;
/** REGISTER_EVENT.Type: the app's event is signalled. */
export const EVENT_BASED = 1;
/** REGISTER_EVENT: ULONG Type; HANDLE hEvent; LARGE_INTEGER DueTime (a relative time is negative, in 100 ns). */
export const REGISTER_EVENT_TYPE = 0;
export const REGISTER_EVENT_HANDLE = 4;
export const REGISTER_EVENT_DUE_TIME = 8;
export const SIZEOF_REGISTER_EVENT = 16;

/** How one registration ended, for the scenario's checks. */
export interface AlarmEnding {
  readonly record: number;
  readonly type: "irp" | "event";
  /** Who ended it: the timer DPC, the cancel routine, or IRP_MJ_CLEANUP. */
  readonly by: "dpc" | "cancel" | "cleanup";
  /** For an IRP-based record: the IRP and its status. */
  readonly irp: string | null;
  readonly status: NTSTATUS | null;
  /** For an event-based record: whether the app's event was signalled. */
  readonly signalled: boolean;
}

/** One registration (what C allocates from nonpaged pool). */
export class NOTIFY_RECORD {
  readonly ListEntry = new LIST_ENTRY<NOTIFY_RECORD>(this);
  readonly Timer = new KTIMER(false, "AlarmTimer");
  readonly Dpc = new KDPC<NOTIFY_RECORD>();
  /** Set while the record is on the device's list. */
  InList = false;
  /** Set from KeSetTimer until the DPC has run or KeCancelTimer stopped the timer. */
  DpcPending = false;
  /** The pended request (IRP-based) until someone takes it to complete it. */
  Irp: IRP | null = null;
  /** The app's event (event-based), referenced. */
  Event: KEVENT | null = null;
  constructor(
    readonly Id: number,
    readonly Type: number,
    readonly FileObject: FILE_OBJECT | null,
    readonly DeviceObject: DEVICE_OBJECT,
  ) {}
}

/** Per-device state (what C keeps in the device extension). */
export class ALARM_EXTENSION {
  /** Guards the list and every record's fields. */
  readonly ListLock = new KSPIN_LOCK("AlarmListLock");
  readonly EventQueueHead = new LIST_ENTRY<NOTIFY_RECORD>();
  readonly RemoveLock = new IO_REMOVE_LOCK("AlarmRemoveLock");
  /** Records allocated and not yet freed. */
  LiveRecords = 0;
  RecordsAllocated = 0;
  /** How every registration ended, in order. */
  readonly Endings: AlarmEnding[] = [];
}

/** The device extension of an Alarm device. */
export function alarmExtension(DeviceObject: DEVICE_OBJECT): ALARM_EXTENSION {
  return DeviceObject.DeviceExtension as ALARM_EXTENSION;
}

/** Frees a record nobody will look at again, and drops the remove lock it held. */
function AlarmFreeRecord(ext: ALARM_EXTENSION, record: NOTIFY_RECORD): void {
  if (record.Event) {
    ObDereferenceObject(record.Event);
    record.Event = null;
  }
  ext.LiveRecords--;
  IoReleaseRemoveLock(ext.RemoveLock, record);
}

/** Completes a request the caller owns. */
function AlarmComplete(Irp: IRP, status: NTSTATUS): void {
  Irp.IoStatus.Status = status;
  Irp.IoStatus.Information = 0;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
}

/**
 * Takes the record's IRP from the cancel side (list lock held). NULL when the cancel routine has
 * been or is being called: it completes the IRP then.
 */
function AlarmTakeIrp(record: NOTIFY_RECORD): IRP | null {
  const Irp = record.Irp;
  if (!Irp || IoSetCancelRoutine(Irp, null) === null) return null;
  record.Irp = null;
  Irp.Tail.Overlay.DriverContext[0] = null;
  return Irp;
}

/**
 * The timer DPC of a record: the delay has passed. Completes the request or signals the app's
 * event, unless a cancel or cleanup took the record first (then it only lets go of it).
 */
const AlarmTimerDpc: KDEFERRED_ROUTINE<NOTIFY_RECORD> = function AlarmTimerDpc(_Dpc, record) {
  const ext = alarmExtension(record.DeviceObject);
  KeAcquireSpinLockAtDpcLevel(ext.ListLock);
  record.DpcPending = false;
  const mine = record.InList;
  if (mine) {
    RemoveEntryList(record.ListEntry);
    record.InList = false;
  }
  const Irp = mine ? AlarmTakeIrp(record) : null;
  // An IRP still in the record belongs to its cancel routine, which frees the record after it.
  const free = record.Irp === null;
  const Event = mine ? record.Event : null;
  KeReleaseSpinLockFromDpcLevel(ext.ListLock);
  if (Event) {
    DbgPrint(`Alarm: record ${record.Id} fires, setting the app's event`);
    KeSetEvent(Event, IO_NO_INCREMENT, false);
    ext.Endings.push({ record: record.Id, type: "event", by: "dpc", irp: null, status: null, signalled: true });
  } else if (Irp) {
    DbgPrint(`Alarm: record ${record.Id} fires, completing ${Irp.label}`);
    ext.Endings.push({ record: record.Id, type: "irp", by: "dpc", irp: Irp.label, status: STATUS_SUCCESS, signalled: false });
    AlarmComplete(Irp, STATUS_SUCCESS);
  }
  if (free) AlarmFreeRecord(ext, record);
};

/**
 * The cancel routine of a pended registration: takes the record off the list, stops its timer if
 * it can, and completes the request with STATUS_CANCELLED.
 *
 * @param DeviceObject the Alarm device.
 * @param Irp the request being cancelled.
 */
const AlarmCancelRoutine: DRIVER_CANCEL = function AlarmCancelRoutine(DeviceObject, Irp) {
  IoReleaseCancelSpinLock(Irp.CancelIrql);
  const ext = alarmExtension(DeviceObject);
  const oldIrql = KeAcquireSpinLock(ext.ListLock);
  const record = Irp.Tail.Overlay.DriverContext[0] as NOTIFY_RECORD | null;
  Irp.Tail.Overlay.DriverContext[0] = null;
  let free = false;
  if (record) {
    record.Irp = null;
    if (record.InList) {
      RemoveEntryList(record.ListEntry);
      record.InList = false;
      // FALSE: the DPC is queued and will still look at the record; it frees it then.
      if (KeCancelTimer(record.Timer)) record.DpcPending = false;
    }
    free = !record.DpcPending;
    ext.Endings.push({ record: record.Id, type: "irp", by: "cancel", irp: Irp.label, status: STATUS_CANCELLED, signalled: false });
  }
  KeReleaseSpinLock(ext.ListLock, oldIrql);
  DbgPrint(`Alarm: cancel routine completes ${Irp.label}`);
  AlarmComplete(Irp, STATUS_CANCELLED);
  if (record && free) AlarmFreeRecord(ext, record);
};

/** IRP-based: pend the request and arm its timer, unless it was cancelled on the way in. */
function AlarmRegisterIrp(ext: ALARM_EXTENSION, record: NOTIFY_RECORD, Irp: IRP, DueTime: number): NTSTATUS {
  const oldIrql = KeAcquireSpinLock(ext.ListLock);
  record.Irp = Irp;
  Irp.Tail.Overlay.DriverContext[0] = record;
  IoSetCancelRoutine(Irp, AlarmCancelRoutine);
  if (Irp.Cancel && IoSetCancelRoutine(Irp, null) !== null) {
    // Cancelled before the routine was set: nobody else knows the record; fail it here.
    record.Irp = null;
    Irp.Tail.Overlay.DriverContext[0] = null;
    KeReleaseSpinLock(ext.ListLock, oldIrql);
    ext.Endings.push({ record: record.Id, type: "irp", by: "cancel", irp: Irp.label, status: STATUS_CANCELLED, signalled: false });
    AlarmFreeRecord(ext, record);
    return STATUS_CANCELLED;
  }
  // Cancelled with the routine set: it runs when we release the lock and finds the record listed.
  IoMarkIrpPending(Irp);
  InsertTailList(ext.EventQueueHead, record.ListEntry);
  record.InList = true;
  record.DpcPending = true;
  KeSetTimer(record.Timer, DueTime, record.Dpc);
  KeReleaseSpinLock(ext.ListLock, oldIrql);
  return STATUS_PENDING;
}

/** Event-based: reference the app's event in its own context, then arm the timer. */
function AlarmRegisterEvent(ext: ALARM_EXTENSION, record: NOTIFY_RECORD, Irp: IRP, hEvent: number, DueTime: number): NTSTATUS {
  // The handle is the app's: resolve it now, in its context, checking its rights (UserMode).
  const ref = ObReferenceObjectByHandle(hEvent, EVENT_MODIFY_STATE, ExEventObjectType, Irp.RequestorMode);
  if (!NT_SUCCESS(ref.status) || !ref.Object) {
    AlarmFreeRecord(ext, record);
    return ref.status;
  }
  record.Event = ref.Object;
  const oldIrql = KeAcquireSpinLock(ext.ListLock);
  InsertTailList(ext.EventQueueHead, record.ListEntry);
  record.InList = true;
  record.DpcPending = true;
  KeSetTimer(record.Timer, DueTime, record.Dpc);
  KeReleaseSpinLock(ext.ListLock, oldIrql);
  return STATUS_SUCCESS;
}

/**
 * IRP_MJ_DEVICE_CONTROL: IOCTL_ALARM_REGISTER with a REGISTER_EVENT.
 *
 * @returns STATUS_PENDING (IRP-based), STATUS_SUCCESS (event-based), or why it was refused.
 */
const AlarmDeviceControl: DRIVER_DISPATCH = function AlarmDeviceControl(DeviceObject, Irp) {
  const ext = alarmExtension(DeviceObject);
  const stack = IoGetCurrentIrpStackLocation(Irp);
  let status = IoAcquireRemoveLock(ext.RemoveLock, Irp);
  if (!NT_SUCCESS(status)) {
    AlarmComplete(Irp, status);
    return status;
  }
  const dio = stack.Parameters.DeviceIoControl;
  if (dio.IoControlCode !== IOCTL_ALARM_REGISTER) {
    status = STATUS_INVALID_DEVICE_REQUEST;
  } else if (dio.InputBufferLength < SIZEOF_REGISTER_EVENT) {
    status = STATUS_INVALID_PARAMETER;
  } else {
    const input = Irp.AssociatedIrp.SystemBuffer;
    const type = readU32(input + REGISTER_EVENT_TYPE);
    const hEvent = readU32(input + REGISTER_EVENT_HANDLE);
    const DueTime = Number(readI64(input + REGISTER_EVENT_DUE_TIME));
    if ((type !== IRP_BASED && type !== EVENT_BASED) || DueTime >= 0) {
      status = STATUS_INVALID_PARAMETER;
    } else {
      const record = new NOTIFY_RECORD(++ext.RecordsAllocated, type, stack.FileObject, DeviceObject);
      KeInitializeTimer(record.Timer);
      KeInitializeDpc(record.Dpc, AlarmTimerDpc, record);
      // The record holds the device until it is freed (IoAcquireRemoveLock cannot fail here: we hold it).
      IoAcquireRemoveLock(ext.RemoveLock, record);
      ext.LiveRecords++;
      DbgPrint(`Alarm: record ${record.Id}, ${type === IRP_BASED ? "IRP-based" : "event-based"}, in ${-DueTime / 10_000} ms`);
      status = type === IRP_BASED ? AlarmRegisterIrp(ext, record, Irp, DueTime) : AlarmRegisterEvent(ext, record, Irp, hEvent, DueTime);
      if (status === STATUS_PENDING) {
        IoReleaseRemoveLock(ext.RemoveLock, Irp);
        return STATUS_PENDING;
      }
    }
  }
  AlarmComplete(Irp, status);
  IoReleaseRemoveLock(ext.RemoveLock, Irp);
  return status;
};

/**
 * IRP_MJ_CLEANUP: the file's last handle closed. Its registrations end now: pended requests
 * complete with STATUS_CANCELLED, event-based ones are dropped without signalling.
 *
 * @returns STATUS_SUCCESS.
 */
const AlarmCleanup: DRIVER_DISPATCH = function AlarmCleanup(DeviceObject, Irp) {
  const ext = alarmExtension(DeviceObject);
  const file = IoGetCurrentIrpStackLocation(Irp).FileObject;
  const held = IoAcquireRemoveLock(ext.RemoveLock, Irp);
  const done: { record: NOTIFY_RECORD; Irp: IRP | null; free: boolean }[] = [];
  const oldIrql = KeAcquireSpinLock(ext.ListLock);
  for (let entry = ext.EventQueueHead.Flink; entry !== ext.EventQueueHead; ) {
    const next = entry.Flink;
    const record = entry.container;
    if (record && record.FileObject === file) {
      RemoveEntryList(entry);
      record.InList = false;
      if (KeCancelTimer(record.Timer)) record.DpcPending = false;
      // NULL: the cancel routine is on its way and completes the IRP (and frees the record).
      const taken = AlarmTakeIrp(record);
      done.push({ record, Irp: taken, free: !record.DpcPending && record.Irp === null });
    }
    entry = next;
  }
  KeReleaseSpinLock(ext.ListLock, oldIrql);
  for (const d of done) {
    if (d.Irp) {
      DbgPrint(`Alarm: cleanup completes ${d.Irp.label}`);
      ext.Endings.push({ record: d.record.Id, type: "irp", by: "cleanup", irp: d.Irp.label, status: STATUS_CANCELLED, signalled: false });
      AlarmComplete(d.Irp, STATUS_CANCELLED);
    } else if (d.record.Type === EVENT_BASED) {
      ext.Endings.push({ record: d.record.Id, type: "event", by: "cleanup", irp: null, status: null, signalled: false });
    }
    if (d.free) AlarmFreeRecord(ext, d.record);
  }
  Irp.IoStatus.Status = STATUS_SUCCESS;
  Irp.IoStatus.Information = 0;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
  if (NT_SUCCESS(held)) IoReleaseRemoveLock(ext.RemoveLock, Irp);
  return STATUS_SUCCESS;
};

/**
 * IRP_MJ_CREATE and IRP_MJ_CLOSE: nothing to do per open.
 *
 * @returns STATUS_SUCCESS.
 */
const AlarmCreateClose: DRIVER_DISPATCH = function AlarmCreateClose(_DeviceObject, Irp) {
  Irp.IoStatus.Status = STATUS_SUCCESS;
  Irp.IoStatus.Information = 0;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
  return STATUS_SUCCESS;
};

/**
 * DriverUnload: waits until every record has let go of the device (a timer DPC may still be on
 * its way for a registration cleanup could not stop), then removes the link and the device.
 *
 * @param DriverObject this driver.
 */
async function AlarmUnload(DriverObject: DRIVER_OBJECT): Promise<void> {
  const DeviceObject = DriverObject.DeviceObject;
  IoDeleteSymbolicLink("\\DosDevices\\Alarm");
  if (!DeviceObject) return;
  const ext = alarmExtension(DeviceObject);
  if (NT_SUCCESS(IoAcquireRemoveLock(ext.RemoveLock, DriverObject))) await IoReleaseRemoveLockAndWait(ext.RemoveLock, DriverObject);
  IoDeleteDevice(DeviceObject);
}

/**
 * DriverEntry: creates \Device\Alarm (buffered I/O) and \DosDevices\Alarm.
 *
 * @param DriverObject this driver.
 * @returns STATUS_SUCCESS, or why the device could not be created.
 */
export function AlarmDriverEntry(DriverObject: DRIVER_OBJECT): NTSTATUS {
  const ext = new ALARM_EXTENSION();
  const { status, DeviceObject } = IoCreateDevice(DriverObject, ext, "\\Device\\Alarm", FILE_DEVICE_UNKNOWN, 0, false);
  if (!NT_SUCCESS(status) || !DeviceObject) return status;
  KeInitializeSpinLock(ext.ListLock);
  InitializeListHead(ext.EventQueueHead);
  IoInitializeRemoveLock(ext.RemoveLock, "Alrm", 0, 0);
  const linked = IoCreateSymbolicLink("\\DosDevices\\Alarm", "\\Device\\Alarm");
  if (!NT_SUCCESS(linked)) {
    IoDeleteDevice(DeviceObject);
    return linked;
  }
  DriverObject.MajorFunction[IRP_MJ_CREATE] = AlarmCreateClose;
  DriverObject.MajorFunction[IRP_MJ_CLOSE] = AlarmCreateClose;
  DriverObject.MajorFunction[IRP_MJ_CLEANUP] = AlarmCleanup;
  DriverObject.MajorFunction[IRP_MJ_DEVICE_CONTROL] = AlarmDeviceControl;
  DriverObject.DriverUnload = AlarmUnload;
  return STATUS_SUCCESS;
}
