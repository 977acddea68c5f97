/**
 * The KMDF buggy samples: builds of the KMDF samples with one framework misuse each, and the KMDF
 * verifier rule (WDF_VIOLATION code or finding) that stops it. Some show at once; the races show
 * only when the explorer lands a cancel in their window (`irpsim explore buggy/kmdf-…`).
 */
import {
  CloseHandle,
  CreateFile,
  DeviceIoControl,
  FILE_FLAG_OVERLAPPED,
  GENERIC_READ,
  GENERIC_WRITE,
  GetProcessHeap,
  HEAP_ZERO_MEMORY,
  HeapAlloc,
  INVALID_HANDLE_VALUE,
  OPEN_EXISTING,
  OVERLAPPED,
  SIZEOF_OVERLAPPED,
} from "irpsim/win32";
import { CTL_CODE, FILE_ANY_ACCESS, FILE_DEVICE_UNKNOWN, METHOD_BUFFERED, NT_SUCCESS, STATUS_CANCELLED, STATUS_INSUFFICIENT_RESOURCES, STATUS_SUCCESS, type DRIVER_OBJECT, type NTSTATUS } from "irpsim/wdm";
import {
  SDDL_DEVOBJ_SYS_ALL_ADM_ALL,
  WDF_DRIVER_CONFIG,
  WDF_DRIVER_CONFIG_INIT,
  WDF_FILEOBJECT_CONFIG,
  WDF_FILEOBJECT_CONFIG_INIT,
  WDF_IO_QUEUE_CONFIG,
  WDF_IO_QUEUE_CONFIG_INIT_DEFAULT_QUEUE,
  WdfControlDeviceInitAllocate,
  WdfControlFinishInitializing,
  WdfDeviceCreate,
  WdfDeviceCreateSymbolicLink,
  WdfDeviceGetDefaultQueue,
  WdfDeviceInitAssignName,
  WdfDeviceInitFree,
  WdfDeviceInitSetFileObjectConfig,
  WdfDriverCreate,
  WdfDriverInitNonPnpDriver,
  WdfFileObjectGetDevice,
  WdfIoQueueCreate,
  WdfIoQueueDispatchParallel,
  WdfIoQueuePurgeSynchronously,
  WdfRequestComplete,
  WdfRequestUnmarkCancelable,
  WdfSpinLockAcquire,
  WdfSpinLockRelease,
  WdfTimerGetParentObject,
  type KmdfRuleId,
  type WDFQUEUE,
  type WDFREQUEST,
} from "irpsim/wdf";
import { loadDriver, type Scenario } from "irpsim";
import { QueueGetContext, type EchoRoutines } from "../kmdf-echo/driver.js";
import { makeEchoScenario } from "../kmdf-echo/scenario.js";

/** A KMDF sample with one bug, and the KMDF verifier rule it breaks. */
export interface KmdfBuggySample {
  /** "kmdf-echo-timer-and-cancel-complete". */
  readonly name: string;
  readonly rule: KmdfRuleId;
  /** The bug, in a sentence. */
  readonly bug: string;
  /** Whether it shows in the deterministic run ("run") or only when the explorer finds its race ("explore"). */
  readonly shows: "run" | "explore";
  readonly scenario: Scenario;
}

// ---- Echo builds ------------------------------------------------------------------------------

/**
 * The timer ignores WdfRequestUnmarkCancelable's STATUS_CANCELLED and completes the request
 * anyway: a cancel that lands while the timer runs has its EvtRequestCancel complete it a second
 * time (after the timer releases the queue's lock).
 */
function timerIgnoresCancel(): Partial<EchoRoutines> {
  return {
    EvtTimerFunc: function EchoEvtTimerFunc(Timer) {
      const Queue = WdfTimerGetParentObject(Timer) as WDFQUEUE;
      const ctx = QueueGetContext(Queue);
      const Request = ctx.CurrentRequest;
      if (Request === null) return;
      WdfRequestUnmarkCancelable(Request);
      // BUG: when the unmark returns STATUS_CANCELLED, EvtRequestCancel owns the request.
      ctx.CurrentRequest = null;
      WdfRequestComplete(Request, ctx.CurrentStatus);
    },
  };
}

/** The timer completes the current request without unmarking it cancelable first. */
function timerNeverUnmarks(): Partial<EchoRoutines> {
  return {
    EvtTimerFunc: function EchoEvtTimerFunc(Timer) {
      const Queue = WdfTimerGetParentObject(Timer) as WDFQUEUE;
      const ctx = QueueGetContext(Queue);
      const Request = ctx.CurrentRequest;
      if (Request === null) return;
      ctx.CurrentRequest = null;
      // BUG: still cancelable: a cancel can complete it too.
      WdfRequestComplete(Request, ctx.CurrentStatus);
    },
  };
}

/**
 * The driver-lock timer releases its spin lock before WdfRequestUnmarkCancelable: a cancel
 * landing in between runs EvtRequestCancel (which completes the request) before the unmark, and
 * the unmark then touches a completed request.
 */
function lockReleasedTooEarly(): Partial<EchoRoutines> {
  return {
    EvtTimerFunc: function EchoEvtTimerFunc(Timer) {
      const Queue = WdfTimerGetParentObject(Timer) as WDFQUEUE;
      const ctx = QueueGetContext(Queue);
      WdfSpinLockAcquire(ctx.SpinLock as NonNullable<typeof ctx.SpinLock>);
      const Request = ctx.CurrentRequest;
      // BUG: the lock no longer keeps EvtRequestCancel out while the request is unmarked.
      WdfSpinLockRelease(ctx.SpinLock as NonNullable<typeof ctx.SpinLock>);
      if (Request === null) return;
      const status = WdfRequestUnmarkCancelable(Request);
      if (status === STATUS_CANCELLED) return;
      WdfSpinLockAcquire(ctx.SpinLock as NonNullable<typeof ctx.SpinLock>);
      ctx.CurrentRequest = null;
      WdfSpinLockRelease(ctx.SpinLock as NonNullable<typeof ctx.SpinLock>);
      WdfRequestComplete(Request, ctx.CurrentStatus);
    },
  };
}

// ---- Flush: a purge that waits for a request the driver keeps -------------------------------

/** IOCTL_FLSH_WAIT: pends until data arrives (it never does in this sample). */
export const IOCTL_FLSH_WAIT = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x900, METHOD_BUFFERED, FILE_ANY_ACCESS);

/**
 * KmdfFlush: keeps IOCTL_FLSH_WAIT requests in a list until data arrives, neither cancelable nor
 * in a queue; EvtFileCleanup "flushes" by purging the default queue synchronously — which waits
 * for the requests the driver owns, and the driver never completes them.
 */
function KmdfFlushDriverEntry(DriverObject: DRIVER_OBJECT, RegistryPath: string): NTSTATUS {
  const waiting: WDFREQUEST[] = [];
  const config = new WDF_DRIVER_CONFIG();
  WDF_DRIVER_CONFIG_INIT(config, null);
  config.DriverInitFlags |= WdfDriverInitNonPnpDriver;
  config.EvtDriverUnload = function FlshEvtDriverUnload() {
    for (const r of waiting.splice(0)) WdfRequestComplete(r, STATUS_CANCELLED);
  };
  const drv = WdfDriverCreate(DriverObject, RegistryPath, null, config);
  if (!NT_SUCCESS(drv.status) || !drv.Driver) return drv.status;
  const init = WdfControlDeviceInitAllocate(drv.Driver, SDDL_DEVOBJ_SYS_ALL_ADM_ALL);
  if (!init) return STATUS_INSUFFICIENT_RESOURCES;
  WdfDeviceInitAssignName(init, "\\Device\\KmdfFlush");
  const fc = new WDF_FILEOBJECT_CONFIG();
  WDF_FILEOBJECT_CONFIG_INIT(fc, null, null, async function FlshEvtFileCleanup(FileObject) {
    // BUG: the purge waits for the driver's own requests, which nobody completes.
    await WdfIoQueuePurgeSynchronously(WdfDeviceGetDefaultQueue(WdfFileObjectGetDevice(FileObject) as NonNullable<ReturnType<typeof WdfFileObjectGetDevice>>) as WDFQUEUE);
  });
  WdfDeviceInitSetFileObjectConfig(init, fc, null);
  const dev = WdfDeviceCreate(init, null);
  if (!dev.Device) {
    WdfDeviceInitFree(init);
    return dev.status;
  }
  const st = WdfDeviceCreateSymbolicLink(dev.Device, "\\DosDevices\\KmdfFlush");
  if (!NT_SUCCESS(st)) return st;
  const qc = new WDF_IO_QUEUE_CONFIG();
  WDF_IO_QUEUE_CONFIG_INIT_DEFAULT_QUEUE(qc, WdfIoQueueDispatchParallel);
  qc.EvtIoDeviceControl = function FlshEvtIoDeviceControl(_Queue, Request, _Out, _In, IoControlCode) {
    if (IoControlCode === IOCTL_FLSH_WAIT) {
      waiting.push(Request);
      return;
    }
    WdfRequestComplete(Request, STATUS_SUCCESS);
  };
  const q = WdfIoQueueCreate(dev.Device, qc, null);
  if (!NT_SUCCESS(q.status)) return q.status;
  WdfControlFinishInitializing(dev.Device);
  return STATUS_SUCCESS;
}

/** Opens \\.\KmdfFlush, pends IOCTL_FLSH_WAIT (overlapped) and closes the handle. */
async function FlushApp(): Promise<number> {
  const h = await CreateFile("\\\\.\\KmdfFlush", GENERIC_READ | GENERIC_WRITE, 0, null, OPEN_EXISTING, FILE_FLAG_OVERLAPPED, 0);
  if (h === INVALID_HANDLE_VALUE) return 1;
  const ov = new OVERLAPPED(HeapAlloc(GetProcessHeap(), HEAP_ZERO_MEMORY, SIZEOF_OVERLAPPED));
  await DeviceIoControl(h, IOCTL_FLSH_WAIT, 0, 0, 0, 0, 0, ov);
  await CloseHandle(h);
  return 0;
}

const flushScenario: Scenario = {
  name: "buggy/kmdf-flush-purge-waits",
  summary: "EvtFileCleanup purges the queue synchronously while the driver keeps a request it never completes: the purge never finishes",
  async run(ctx) {
    const m = ctx.machine;
    const loaded = await loadDriver(m, "KmdfFlush", KmdfFlushDriverEntry);
    ctx.check("DriverEntry succeeds", loaded.status === 0);
    m.createProcess("flush.exe", FlushApp);
    const r = await ctx.run();
    ctx.check("the run ends cleanly", r.outcome === "completed", r.deadlock ?? r.outcome);
  },
};

// ---- The list -----------------------------------------------------------------------------

/** Every KMDF buggy sample. */
export const kmdfBuggySamples: readonly KmdfBuggySample[] = [
  {
    name: "kmdf-echo-timer-and-cancel-complete",
    rule: "InvalidHandle",
    bug: "the echo timer completes the current request even when WdfRequestUnmarkCancelable says STATUS_CANCELLED, so EvtRequestCancel then works on a completed request",
    shows: "explore",
    scenario: makeEchoScenario("queue-scope", "buggy/kmdf-echo-timer-and-cancel-complete", timerIgnoresCancel, "KMDF echo: the timer completes a request WdfRequestUnmarkCancelable said was cancelled, so EvtRequestCancel completes it again (explore finds the race)"),
  },
  {
    name: "kmdf-echo-complete-cancelable",
    rule: "CompleteCancelable",
    bug: "the echo timer completes the current request without WdfRequestUnmarkCancelable",
    shows: "run",
    scenario: makeEchoScenario("queue-scope", "buggy/kmdf-echo-complete-cancelable", timerNeverUnmarks, "KMDF echo: the timer completes a request still marked cancelable (WDF_VIOLATION 0x10D)"),
  },
  {
    name: "kmdf-echo-driver-lock-race",
    rule: "InvalidHandle",
    bug: "the driver-lock echo timer releases its spin lock before WdfRequestUnmarkCancelable, so a cancel in between completes the request under it",
    shows: "explore",
    scenario: makeEchoScenario("driver-lock", "buggy/kmdf-echo-driver-lock-race", lockReleasedTooEarly, "KMDF echo (its own spin lock): the timer releases its lock before WdfRequestUnmarkCancelable, so a cancel in between completes the request under it (explore finds the race)"),
  },
  {
    name: "kmdf-flush-purge-waits",
    rule: "RequestLeftAtPurge",
    bug: "EvtFileCleanup purges the default queue synchronously while the driver keeps a request it never completes",
    shows: "run",
    scenario: flushScenario,
  },
];
