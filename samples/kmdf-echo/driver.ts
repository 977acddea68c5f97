/**
 * KmdfEcho: a KMDF echo driver in the style of the WDK's general/echo/kmdf sample, for a
 * root-enumerated device. A write's data is kept in the queue's context; a read returns it. Each
 * request is completed a timer period later by a periodic timer, so an app sees its requests pend
 * and can cancel them: the request is marked cancelable (WdfRequestMarkCancelableEx) while it waits
 * for the timer, and EchoEvtRequestCancel completes it if it is cancelled first.
 *
 * Two synchronisation styles, as the WDK sample discusses:
 * - "queue-scope": the queue's attributes ask for WdfSynchronizationScopeQueue, and the timer
 *   (a child of the queue, AutomaticSerialization) and EvtRequestCancel run under the same
 *   framework lock as EvtIoRead and EvtIoWrite: the driver takes no lock itself;
 * - "driver-lock": no framework synchronization; the driver guards CurrentRequest with a
 *   WDFSPINLOCK of its own and completes requests outside it.
 * Either way the timer and EvtRequestCancel agree on who completes the current request through
 * WdfRequestUnmarkCancelable's answer.
 */
import {
  ExAllocatePoolWithTag,
  ExFreePoolWithTag,
  NonPagedPool,
  NT_SUCCESS,
  STATUS_BUFFER_OVERFLOW,
  STATUS_CANCELLED,
  STATUS_INSUFFICIENT_RESOURCES,
  STATUS_SUCCESS,
  DbgPrint,
  type DRIVER_OBJECT,
  type NTSTATUS,
} from "irpsim/wdm";
import {
  WDF_DECLARE_CONTEXT_TYPE_WITH_NAME,
  WDF_DRIVER_CONFIG,
  WDF_DRIVER_CONFIG_INIT,
  WDF_IO_QUEUE_CONFIG,
  WDF_IO_QUEUE_CONFIG_INIT_DEFAULT_QUEUE,
  WDF_OBJECT_ATTRIBUTES,
  WDF_OBJECT_ATTRIBUTES_INIT,
  WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE,
  WDF_PNPPOWER_EVENT_CALLBACKS,
  WDF_PNPPOWER_EVENT_CALLBACKS_INIT,
  WDF_REL_TIMEOUT_IN_MS,
  WDF_TIMER_CONFIG,
  WDF_TIMER_CONFIG_INIT_PERIODIC,
  WdfDeviceCreate,
  WdfDeviceCreateDeviceInterface,
  WdfDeviceInitSetIoType,
  WdfDeviceInitSetPnpPowerEventCallbacks,
  WdfDeviceIoBuffered,
  WdfDriverCreate,
  WdfIoQueueCreate,
  WdfIoQueueDispatchSequential,
  WdfIoQueueGetDevice,
  WdfIoQueueStart,
  WdfIoQueueStopSynchronously,
  WdfMemoryCopyFromBuffer,
  WdfMemoryCopyToBuffer,
  WdfRequestComplete,
  WdfRequestCompleteWithInformation,
  WdfRequestGetIoQueue,
  WdfRequestMarkCancelableEx,
  WdfRequestRetrieveInputMemory,
  WdfRequestRetrieveOutputMemory,
  WdfRequestSetInformation,
  WdfRequestUnmarkCancelable,
  WdfSpinLockAcquire,
  WdfSpinLockCreate,
  WdfSpinLockRelease,
  WdfSynchronizationScopeQueue,
  WdfTimerCreate,
  WdfTimerGetParentObject,
  WdfTimerStart,
  WdfTimerStop,
  type EVT_WDF_DEVICE_D0_ENTRY,
  type EVT_WDF_DEVICE_D0_EXIT,
  type EVT_WDF_DEVICE_PREPARE_HARDWARE,
  type EVT_WDF_DEVICE_RELEASE_HARDWARE,
  type EVT_WDF_DEVICE_SELF_MANAGED_IO,
  type EVT_WDF_DEVICE_SURPRISE_REMOVAL,
  type EVT_WDF_DRIVER_DEVICE_ADD,
  type EVT_WDF_IO_QUEUE_IO_READ,
  type EVT_WDF_IO_QUEUE_IO_WRITE,
  type EVT_WDF_OBJECT_CONTEXT_CLEANUP,
  type EVT_WDF_REQUEST_CANCEL,
  type EVT_WDF_TIMER,
  type WDFDEVICE,
  type WDFQUEUE,
  type WDFREQUEST,
  type WDFSPINLOCK,
  type WDFTIMER,
} from "irpsim/wdf";

/** The echo device's interface class (apps find the device by it). */
export const GUID_DEVINTERFACE_KMDF_ECHO = "{6e2b1c3d-8f4a-4b7e-9d21-5a0c3e7f4b18}";
/** The longest write the device takes (a longer one fails with STATUS_BUFFER_OVERFLOW). */
export const MAX_WRITE_LENGTH = 40 * 1024;
/** The timer that completes the current request fires every this many milliseconds. */
export const TIMER_PERIOD_MS = 10;
/** The pool tag of the echo buffer. */
const ECHO_TAG = 0x6f686345; // "Echo"

/** How the driver synchronises its timer and cancel callback with its queue. */
export type EchoSyncStyle = "queue-scope" | "driver-lock";

/** The queue's context: the echo buffer and the request the timer will complete. */
export class QUEUE_CONTEXT {
  /** The last write's data (nonpaged pool), 0 when none. */
  Buffer = 0;
  Length = 0;
  /** The request waiting for the timer, or NULL. */
  CurrentRequest: WDFREQUEST | null = null;
  CurrentStatus: NTSTATUS = STATUS_SUCCESS;
  Timer: WDFTIMER | null = null;
  /** The driver-lock style's lock (NULL in the queue-scope style). */
  SpinLock: WDFSPINLOCK | null = null;
}
export const QueueGetContext = WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(QUEUE_CONTEXT, "QueueGetContext");

/** The device's context: the queue, and the PnP callbacks as they ran (the scenario checks their order). */
export class DEVICE_CONTEXT {
  Queue: WDFQUEUE | null = null;
  readonly PnpLog: string[] = [];
  /** Requests completed, by how ("timer", "cancel", "refused"). */
  readonly Completions: { how: string; status: NTSTATUS }[] = [];
}
export const DeviceGetContext = WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(DEVICE_CONTEXT, "DeviceGetContext");

/** What one build of the driver does (the buggy builds in samples/buggy override routines). */
export interface EchoRoutines {
  readonly EvtTimerFunc: EVT_WDF_TIMER;
  readonly EvtRequestCancel: EVT_WDF_REQUEST_CANCEL;
}

/** The context of the device a queue belongs to. */
function deviceContextOf(Queue: WDFQUEUE): DEVICE_CONTEXT {
  return DeviceGetContext(WdfIoQueueGetDevice(Queue) as WDFDEVICE);
}

/**
 * Makes the driver for a synchronisation style (and, for a buggy build, replaced routines).
 *
 * @returns the DriverEntry.
 */
export function makeEchoDriver(style: EchoSyncStyle, variant?: (correct: EchoRoutines) => Partial<EchoRoutines>): (DriverObject: DRIVER_OBJECT, RegistryPath: string) => NTSTATUS {
  const locked = style === "driver-lock";

  /** Takes the context's lock in the driver-lock style (the framework's lock is held otherwise). */
  const lock = (ctx: QUEUE_CONTEXT): void => {
    if (ctx.SpinLock) WdfSpinLockAcquire(ctx.SpinLock);
  };
  const unlock = (ctx: QUEUE_CONTEXT): void => {
    if (ctx.SpinLock) WdfSpinLockRelease(ctx.SpinLock);
  };

  /**
   * EchoEvtRequestCancel: the current request was cancelled before the timer took it. It is this
   * routine's to complete; the timer's WdfRequestUnmarkCancelable returns STATUS_CANCELLED.
   */
  const EchoEvtRequestCancel: EVT_WDF_REQUEST_CANCEL = function EchoEvtRequestCancel(Request) {
    const Queue = WdfRequestGetIoQueue(Request) as WDFQUEUE;
    const ctx = QueueGetContext(Queue);
    lock(ctx);
    if (ctx.CurrentRequest === Request) ctx.CurrentRequest = null;
    unlock(ctx);
    deviceContextOf(Queue).Completions.push({ how: "cancel", status: STATUS_CANCELLED });
    WdfRequestCompleteWithInformation(Request, STATUS_CANCELLED, 0);
  };

  /**
   * EchoEvtTimerFunc: completes the current request, unless EvtRequestCancel owns it (then
   * WdfRequestUnmarkCancelable returns STATUS_CANCELLED and the timer leaves it alone).
   */
  const EchoEvtTimerFunc: EVT_WDF_TIMER = function EchoEvtTimerFunc(Timer) {
    const Queue = WdfTimerGetParentObject(Timer) as WDFQUEUE;
    const ctx = QueueGetContext(Queue);
    lock(ctx);
    const Request = ctx.CurrentRequest;
    if (Request === null) {
      unlock(ctx);
      return;
    }
    const status = WdfRequestUnmarkCancelable(Request);
    if (status === STATUS_CANCELLED) {
      // EvtRequestCancel runs (or already ran) for it: that routine completes it.
      unlock(ctx);
      return;
    }
    ctx.CurrentRequest = null;
    const completion = ctx.CurrentStatus;
    unlock(ctx);
    deviceContextOf(Queue).Completions.push({ how: "timer", status: completion });
    WdfRequestComplete(Request, completion);
  };

  const correct: EchoRoutines = { EvtTimerFunc: EchoEvtTimerFunc, EvtRequestCancel: EchoEvtRequestCancel };
  const r: EchoRoutines = { ...correct, ...(variant ? variant(correct) : {}) };

  /** Hands the request to the timer: cancelable until it fires. */
  const EchoSetCurrentRequest = function EchoSetCurrentRequest(Request: WDFREQUEST, Queue: WDFQUEUE): void {
    const ctx = QueueGetContext(Queue);
    lock(ctx);
    const status = WdfRequestMarkCancelableEx(Request, r.EvtRequestCancel);
    if (NT_SUCCESS(status)) {
      ctx.CurrentRequest = Request;
      ctx.CurrentStatus = STATUS_SUCCESS;
      unlock(ctx);
      return;
    }
    // Cancelled before it could be marked: complete it now.
    unlock(ctx);
    deviceContextOf(Queue).Completions.push({ how: "refused", status });
    WdfRequestCompleteWithInformation(Request, status, 0);
  };

  /**
   * EchoEvtIoWrite: keeps a copy of the data (replacing the last write's) and leaves the request
   * for the timer to complete with every byte written.
   */
  const EchoEvtIoWrite: EVT_WDF_IO_QUEUE_IO_WRITE = function EchoEvtIoWrite(Queue, Request, Length) {
    const ctx = QueueGetContext(Queue);
    if (Length > MAX_WRITE_LENGTH) {
      WdfRequestCompleteWithInformation(Request, STATUS_BUFFER_OVERFLOW, 0);
      return;
    }
    const input = WdfRequestRetrieveInputMemory(Request);
    if (!NT_SUCCESS(input.status) || !input.Memory) {
      WdfRequestComplete(Request, input.status);
      return;
    }
    const buffer = ExAllocatePoolWithTag(NonPagedPool, Length, ECHO_TAG);
    if (buffer === 0) {
      WdfRequestComplete(Request, STATUS_INSUFFICIENT_RESOURCES);
      return;
    }
    const st = WdfMemoryCopyToBuffer(input.Memory, 0, buffer, Length);
    if (!NT_SUCCESS(st)) {
      ExFreePoolWithTag(buffer, ECHO_TAG);
      WdfRequestComplete(Request, st);
      return;
    }
    lock(ctx);
    const old = ctx.Buffer;
    ctx.Buffer = buffer;
    ctx.Length = Length;
    unlock(ctx);
    if (old !== 0) ExFreePoolWithTag(old, ECHO_TAG);
    WdfRequestSetInformation(Request, Length);
    EchoSetCurrentRequest(Request, Queue);
  };

  /**
   * EchoEvtIoRead: returns as much of the last write as fits (nothing when there was none, at
   * once), the timer completing it.
   */
  const EchoEvtIoRead: EVT_WDF_IO_QUEUE_IO_READ = function EchoEvtIoRead(Queue, Request, Length) {
    const ctx = QueueGetContext(Queue);
    lock(ctx);
    const buffer = ctx.Buffer;
    const available = ctx.Length;
    unlock(ctx);
    if (buffer === 0) {
      WdfRequestCompleteWithInformation(Request, STATUS_SUCCESS, 0);
      return;
    }
    const n = Math.min(Length, available);
    const output = WdfRequestRetrieveOutputMemory(Request);
    if (!NT_SUCCESS(output.status) || !output.Memory) {
      WdfRequestComplete(Request, output.status);
      return;
    }
    const st = WdfMemoryCopyFromBuffer(output.Memory, 0, buffer, n);
    if (!NT_SUCCESS(st)) {
      WdfRequestComplete(Request, st);
      return;
    }
    WdfRequestSetInformation(Request, n);
    EchoSetCurrentRequest(Request, Queue);
  };

  /** The queue's cleanup: the echo buffer goes with it. */
  const EchoEvtIoQueueContextCleanup: EVT_WDF_OBJECT_CONTEXT_CLEANUP = function EchoEvtIoQueueContextCleanup(Object) {
    const ctx = QueueGetContext(Object);
    if (ctx.Buffer !== 0) ExFreePoolWithTag(ctx.Buffer, ECHO_TAG);
    ctx.Buffer = 0;
  };

  /** The PnP callbacks only log: the echo device has no hardware. */
  const logged = (name: string) => (Device: WDFDEVICE): NTSTATUS => {
    DeviceGetContext(Device).PnpLog.push(name);
    return STATUS_SUCCESS;
  };
  const EchoEvtDevicePrepareHardware: EVT_WDF_DEVICE_PREPARE_HARDWARE = function EchoEvtDevicePrepareHardware(Device) {
    return logged("PrepareHardware")(Device);
  };
  const EchoEvtDeviceReleaseHardware: EVT_WDF_DEVICE_RELEASE_HARDWARE = function EchoEvtDeviceReleaseHardware(Device) {
    return logged("ReleaseHardware")(Device);
  };
  const EchoEvtDeviceD0Entry: EVT_WDF_DEVICE_D0_ENTRY = function EchoEvtDeviceD0Entry(Device) {
    return logged("D0Entry")(Device);
  };
  const EchoEvtDeviceD0Exit: EVT_WDF_DEVICE_D0_EXIT = function EchoEvtDeviceD0Exit(Device) {
    return logged("D0Exit")(Device);
  };
  const EchoEvtDeviceSurpriseRemoval: EVT_WDF_DEVICE_SURPRISE_REMOVAL = function EchoEvtDeviceSurpriseRemoval(Device) {
    logged("SurpriseRemoval")(Device);
  };

  /** EchoEvtDeviceSelfManagedIoStart: starts the queue and the timer. */
  const EchoEvtDeviceSelfManagedIoStart: EVT_WDF_DEVICE_SELF_MANAGED_IO = function EchoEvtDeviceSelfManagedIoStart(Device) {
    const ctx = DeviceGetContext(Device);
    ctx.PnpLog.push("SelfManagedIoInit");
    const Queue = ctx.Queue as WDFQUEUE;
    WdfIoQueueStart(Queue);
    WdfTimerStart(QueueGetContext(Queue).Timer as WDFTIMER, WDF_REL_TIMEOUT_IN_MS(TIMER_PERIOD_MS));
    return STATUS_SUCCESS;
  };

  /**
   * EchoEvtDeviceSelfManagedIoSuspend: stops the queue (waiting for the current request, which the
   * timer still completes) and then the timer.
   */
  const EchoEvtDeviceSelfManagedIoSuspend: EVT_WDF_DEVICE_SELF_MANAGED_IO = async function EchoEvtDeviceSelfManagedIoSuspend(Device) {
    const ctx = DeviceGetContext(Device);
    ctx.PnpLog.push("SelfManagedIoSuspend");
    const Queue = ctx.Queue as WDFQUEUE;
    await WdfIoQueueStopSynchronously(Queue);
    await WdfTimerStop(QueueGetContext(Queue).Timer as WDFTIMER, true);
    return STATUS_SUCCESS;
  };

  const EchoEvtDeviceSelfManagedIoCleanup: EVT_WDF_DEVICE_SELF_MANAGED_IO = function EchoEvtDeviceSelfManagedIoCleanup(Device) {
    DeviceGetContext(Device).PnpLog.push("SelfManagedIoCleanup");
  };

  /**
   * EchoQueueInitialize: the default queue (sequential: one request at a time reaches the driver)
   * with its context, and the timer (a child of the queue).
   */
  const EchoQueueInitialize = function EchoQueueInitialize(Device: WDFDEVICE): NTSTATUS {
    const config = new WDF_IO_QUEUE_CONFIG();
    WDF_IO_QUEUE_CONFIG_INIT_DEFAULT_QUEUE(config, WdfIoQueueDispatchSequential);
    config.EvtIoRead = EchoEvtIoRead;
    config.EvtIoWrite = EchoEvtIoWrite;
    const attributes = new WDF_OBJECT_ATTRIBUTES();
    WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(attributes, QueueGetContext);
    if (!locked) attributes.SynchronizationScope = WdfSynchronizationScopeQueue;
    attributes.EvtCleanupCallback = EchoEvtIoQueueContextCleanup;
    const q = WdfIoQueueCreate(Device, config, attributes);
    if (!NT_SUCCESS(q.status) || !q.Queue) return q.status;
    const Queue = q.Queue;
    const ctx = QueueGetContext(Queue);
    DeviceGetContext(Device).Queue = Queue;

    if (locked) {
      const sl = WdfSpinLockCreate(null);
      if (!NT_SUCCESS(sl.status)) return sl.status;
      ctx.SpinLock = sl.SpinLock;
    }
    const timerConfig = new WDF_TIMER_CONFIG();
    WDF_TIMER_CONFIG_INIT_PERIODIC(timerConfig, r.EvtTimerFunc, TIMER_PERIOD_MS);
    // Queue scope: the timer runs under the queue's lock. Driver lock: it takes the driver's.
    timerConfig.AutomaticSerialization = !locked;
    const timerAttributes = new WDF_OBJECT_ATTRIBUTES();
    WDF_OBJECT_ATTRIBUTES_INIT(timerAttributes);
    timerAttributes.ParentObject = Queue;
    const timer = WdfTimerCreate(timerConfig, timerAttributes);
    if (!NT_SUCCESS(timer.status)) return timer.status;
    ctx.Timer = timer.Timer;
    return STATUS_SUCCESS;
  };

  /**
   * EchoEvtDeviceAdd: the device (buffered I/O, its PnP callbacks), its interface, its queue.
   */
  const EchoEvtDeviceAdd: EVT_WDF_DRIVER_DEVICE_ADD = function EchoEvtDeviceAdd(_Driver, DeviceInit) {
    const pnp = new WDF_PNPPOWER_EVENT_CALLBACKS();
    WDF_PNPPOWER_EVENT_CALLBACKS_INIT(pnp);
    pnp.EvtDevicePrepareHardware = EchoEvtDevicePrepareHardware;
    pnp.EvtDeviceReleaseHardware = EchoEvtDeviceReleaseHardware;
    pnp.EvtDeviceD0Entry = EchoEvtDeviceD0Entry;
    pnp.EvtDeviceD0Exit = EchoEvtDeviceD0Exit;
    pnp.EvtDeviceSelfManagedIoInit = EchoEvtDeviceSelfManagedIoStart;
    pnp.EvtDeviceSelfManagedIoSuspend = EchoEvtDeviceSelfManagedIoSuspend;
    pnp.EvtDeviceSelfManagedIoRestart = EchoEvtDeviceSelfManagedIoStart;
    pnp.EvtDeviceSelfManagedIoCleanup = EchoEvtDeviceSelfManagedIoCleanup;
    pnp.EvtDeviceSurpriseRemoval = EchoEvtDeviceSurpriseRemoval;
    WdfDeviceInitSetPnpPowerEventCallbacks(DeviceInit, pnp);
    WdfDeviceInitSetIoType(DeviceInit, WdfDeviceIoBuffered);
    const attributes = new WDF_OBJECT_ATTRIBUTES();
    WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(attributes, DeviceGetContext);
    const created = WdfDeviceCreate(DeviceInit, attributes);
    if (!NT_SUCCESS(created.status) || !created.Device) return created.status;
    const Device = created.Device;
    const st = WdfDeviceCreateDeviceInterface(Device, GUID_DEVINTERFACE_KMDF_ECHO, null);
    if (!NT_SUCCESS(st)) return st;
    DbgPrint(`KmdfEcho: device added (${style})`);
    return EchoQueueInitialize(Device);
  };

  /**
   * DriverEntry: the framework driver object, with EchoEvtDeviceAdd for the devices the PnP
   * manager finds.
   */
  return function KmdfEchoDriverEntry(DriverObject, RegistryPath) {
    const config = new WDF_DRIVER_CONFIG();
    WDF_DRIVER_CONFIG_INIT(config, EchoEvtDeviceAdd);
    return WdfDriverCreate(DriverObject, RegistryPath, null, config).status;
  };
}
