/**
 * A small KMDF control-device driver for the framework's tests: its queue's callbacks are set by
 * each test, and an app helper opens the device and issues requests.
 */
import { loadDriver, type Machine } from "../../index.js";
import * as wdm from "../../wdm.js";
import * as wdf from "../../wdf/index.js";

/** An IOCTL code of the test device: function 0x800 + `fn`. */
export function IOCTL(fn: number, method: number = wdm.METHOD_BUFFERED, access: number = wdm.FILE_ANY_ACCESS): number {
  return wdm.CTL_CODE(wdm.FILE_DEVICE_UNKNOWN, 0x800 + fn, method, access);
}

/** How the test driver's device and queue are built. */
export interface WdfKitOptions {
  readonly name?: string;
  readonly dispatchType?: wdf.WDF_IO_QUEUE_DISPATCH_TYPE;
  readonly queue?: (config: wdf.WDF_IO_QUEUE_CONFIG) => void;
  readonly queueAttributes?: (a: wdf.WDF_OBJECT_ATTRIBUTES) => void;
  readonly deviceAttributes?: (a: wdf.WDF_OBJECT_ATTRIBUTES) => void;
  readonly init?: (init: wdf.WDFDEVICE_INIT) => void;
  /** Called after the device and queue exist (more queues, timers…). */
  readonly setup?: (device: wdf.WDFDEVICE, queue: wdf.WDFQUEUE) => void;
  readonly ioType?: wdf.WDF_DEVICE_IO_TYPE;
  readonly unload?: (driver: wdf.WDFDRIVER) => void;
}

/** What loading the kit gave. */
export interface WdfKit {
  readonly status: number;
  device: wdf.WDFDEVICE | null;
  queue: wdf.WDFQUEUE | null;
  readonly path: string;
}

/** Loads the test KMDF driver (a control device \Device\<name>, link \DosDevices\<name>). */
export async function loadWdfKit(m: Machine, o: WdfKitOptions = {}): Promise<WdfKit> {
  const name = o.name ?? "WdfTest";
  const kit: WdfKit = { status: -1, device: null, queue: null, path: `\\\\.\\${name}` };
  const r = await loadDriver(m, name, function WdfTestDriverEntry(DriverObject, RegistryPath) {
    const config = new wdf.WDF_DRIVER_CONFIG();
    wdf.WDF_DRIVER_CONFIG_INIT(config, null);
    config.DriverInitFlags |= wdf.WdfDriverInitNonPnpDriver;
    if (o.unload) config.EvtDriverUnload = o.unload;
    const created = wdf.WdfDriverCreate(DriverObject, RegistryPath, null, config);
    if (!wdm.NT_SUCCESS(created.status) || !created.Driver) return created.status;
    const init = wdf.WdfControlDeviceInitAllocate(created.Driver, wdf.SDDL_DEVOBJ_SYS_ALL_ADM_ALL);
    if (!init) return wdm.STATUS_INSUFFICIENT_RESOURCES;
    wdf.WdfDeviceInitAssignName(init, `\\Device\\${name}`);
    if (o.ioType !== undefined) wdf.WdfDeviceInitSetIoType(init, o.ioType);
    o.init?.(init);
    const da = new wdf.WDF_OBJECT_ATTRIBUTES();
    o.deviceAttributes?.(da);
    const dev = wdf.WdfDeviceCreate(init, da);
    if (!dev.Device) {
      wdf.WdfDeviceInitFree(init);
      return dev.status;
    }
    kit.device = dev.Device;
    const st = wdf.WdfDeviceCreateSymbolicLink(dev.Device, `\\DosDevices\\${name}`);
    if (!wdm.NT_SUCCESS(st)) return st;
    const qc = new wdf.WDF_IO_QUEUE_CONFIG();
    wdf.WDF_IO_QUEUE_CONFIG_INIT_DEFAULT_QUEUE(qc, o.dispatchType ?? wdf.WdfIoQueueDispatchParallel);
    o.queue?.(qc);
    const qa = new wdf.WDF_OBJECT_ATTRIBUTES();
    o.queueAttributes?.(qa);
    const q = wdf.WdfIoQueueCreate(dev.Device, qc, qa);
    if (!q.Queue) return q.status;
    kit.queue = q.Queue;
    o.setup?.(dev.Device, q.Queue);
    wdf.WdfControlFinishInitializing(dev.Device);
    return wdm.STATUS_SUCCESS;
  });
  (kit as { status: number }).status = r.status;
  return kit;
}

import * as w from "../../win32/index.js";

/** App side: a scratch area and helpers for overlapped requests on an open handle. */
export class AppIo {
  readonly buf: number;
  private next = 0;
  constructor(readonly h: number) {
    this.buf = w.VirtualAlloc(0, 64 * 1024, w.MEM_COMMIT | w.MEM_RESERVE, w.PAGE_READWRITE);
  }

  /** Opens the kit's device (overlapped unless `sync`). */
  static async open(path: string, sync = false): Promise<AppIo> {
    const h = await w.CreateFile(path, w.GENERIC_READ | w.GENERIC_WRITE, 0, null, w.OPEN_EXISTING, sync ? 0 : w.FILE_FLAG_OVERLAPPED, 0);
    if (h === w.INVALID_HANDLE_VALUE) throw new Error(`CreateFile(${path}) failed: ${w.GetLastError()}`);
    return new AppIo(h);
  }

  /** A fresh 1 KB slot in the scratch area. */
  slot(): number {
    const a = this.buf + this.next * 1024;
    this.next = (this.next + 1) % 64;
    return a;
  }

  /** Issues an overlapped IOCTL; returns its OVERLAPPED and whether it went pending. */
  async ioctl(code: number, inLen: number, outLen: number): Promise<{ ov: number; pending: boolean; ok: boolean; out: number }> {
    const ov = this.slot();
    const data = this.slot();
    const ok = await w.DeviceIoControl(this.h, code, inLen ? data : 0, inLen, outLen ? data + 512 : 0, outLen, 0, ov);
    return { ov, ok, pending: !ok && w.GetLastError() === w.ERROR_IO_PENDING, out: data + 512 };
  }

  /** Issues an overlapped read of `len` bytes. */
  async read(len: number): Promise<{ ov: number; pending: boolean; ok: boolean; data: number }> {
    const ov = this.slot();
    const data = this.slot();
    const ok = await w.ReadFile(this.h, data, len, 0, ov);
    return { ov, ok, pending: !ok && w.GetLastError() === w.ERROR_IO_PENDING, data };
  }

  /** Waits for an overlapped request: its Win32 error (0 for success) and byte count. */
  async result(ov: number): Promise<{ error: number; bytes: number }> {
    const n = this.slot();
    const ok = await w.GetOverlappedResult(this.h, ov, n, true);
    return { error: ok ? 0 : w.GetLastError(), bytes: w.readU32(n) };
  }

  /** The NTSTATUS an overlapped request completed with (OVERLAPPED.Internal). */
  status(ov: number): number {
    return w.readU32(ov);
  }

  async close(): Promise<void> {
    await w.CloseHandle(this.h);
  }
}

/**
 * Runs `fn` as the kit driver's code on a system thread after `ms` of virtual time (what a
 * driver's own thread or timer would do while an app waits).
 */
export function driverLater(m: Machine, ms: number, fn: () => void, driver = "WdfTest"): void {
  m.createSystemThread(`${driver} later`, async () => {
    await wdm.KeDelayExecutionThread(wdm.KernelMode, false, -10_000 * ms);
    const token = m.enterActivity("driver thread", `${driver}Later`, driver);
    try {
      fn();
    } finally {
      m.leaveActivity(token);
    }
  });
}
