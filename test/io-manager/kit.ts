/**
 * A small configurable driver and app-side helpers for the I/O manager tests: the driver records
 * what it was sent and what its dispatch routines saw; the app helpers allocate buffers of every
 * kind (good, read-only, unmapped, partially mapped) and snapshot the machine's resources.
 */
import { ioManager, loadDriver, type Machine } from "../../index.js";
import * as wdm from "../../wdm.js";
import * as w from "../../win32/index.js";
import { threadScratch } from "../../win32/teb.js";

/** An I/O control code of the test device: function 0x800 + `fn`. */
export function IOCTL(fn: number, method: number, access: number = wdm.FILE_ANY_ACCESS): number {
  return wdm.CTL_CODE(wdm.FILE_DEVICE_UNKNOWN, 0x800 + fn, method, access);
}

/** How to build the test driver. */
export interface KitOptions {
  /** Driver, device and link name ("IoTest": \Device\IoTest, \DosDevices\IoTest). */
  readonly name?: string;
  /** DO_BUFFERED_IO / DO_DIRECT_IO for the device. */
  readonly flags?: number;
  readonly exclusive?: boolean;
  /** Dispatch routines by major function; CREATE, CLEANUP and CLOSE succeed unless given. */
  readonly dispatch?: Partial<Record<number, wdm.DRIVER_DISPATCH>>;
  /** Major functions left unset (the I/O manager's default handles them). */
  readonly unset?: readonly number[];
}

/** One request the test driver received. */
export interface Received {
  readonly major: string;
  /** The process the dispatch routine ran in. */
  readonly process: string;
  /** Virtual time, whole ms (calls cost time: a dispatch "at 20" runs a few µs past 20 ms). */
  readonly at: number;
}

/** The loaded test driver. */
export interface Kit {
  readonly driver: wdm.DRIVER_OBJECT;
  readonly device: wdm.DEVICE_OBJECT;
  /** Every request that reached a dispatch routine, in order. */
  readonly received: Received[];
  /** The Win32 name to open ("\\\\.\\IoTest"). */
  readonly path: string;
}

const majorNames: Record<number, string> = {
  [wdm.IRP_MJ_CREATE]: "CREATE",
  [wdm.IRP_MJ_CLEANUP]: "CLEANUP",
  [wdm.IRP_MJ_CLOSE]: "CLOSE",
  [wdm.IRP_MJ_READ]: "READ",
  [wdm.IRP_MJ_WRITE]: "WRITE",
  [wdm.IRP_MJ_DEVICE_CONTROL]: "DEVICE_CONTROL",
  [wdm.IRP_MJ_INTERNAL_DEVICE_CONTROL]: "INTERNAL_DEVICE_CONTROL",
};

/** The usual three lines: status, information, IoCompleteRequest. Returns the status. */
export function complete(Irp: wdm.IRP, status: number, information = 0): number {
  Irp.IoStatus.Status = status;
  Irp.IoStatus.Information = information;
  wdm.IoCompleteRequest(Irp, wdm.IO_NO_INCREMENT);
  return status;
}

/** Completes `Irp` from a timer DPC `ms` from now (DISPATCH_LEVEL, arbitrary thread). */
export function completeFromTimerDpc(
  Irp: wdm.IRP,
  ms: number,
  status: number,
  information = 0,
  before?: (Irp: wdm.IRP) => void,
): void {
  const timer = new wdm.KTIMER();
  const dpc = new wdm.KDPC<wdm.IRP>();
  wdm.KeInitializeTimer(timer);
  wdm.KeInitializeDpc(
    dpc,
    function IoTestTimerDpc(_Dpc, Context) {
      before?.(Context);
      complete(Context, status, information);
    },
    Irp,
  );
  wdm.KeSetTimer(timer, -10_000 * ms, dpc);
}

/** Completes `Irp` from a new system thread after `ms`. */
export function completeFromSystemThread(
  Irp: wdm.IRP,
  ms: number,
  status: number,
  information = 0,
): void {
  wdm.PsCreateSystemThread(async function IoTestCompleter(Context: wdm.IRP) {
    await wdm.KeDelayExecutionThread(wdm.KernelMode, false, -10_000 * ms);
    complete(Context, status, information);
  }, Irp);
}

/** Loads the test driver (before any app runs). */
export async function loadKit(m: Machine, o: KitOptions = {}): Promise<Kit> {
  const name = o.name ?? "IoTest";
  const received: Received[] = [];
  const succeed: wdm.DRIVER_DISPATCH = function IoTestSucceed(_DeviceObject, Irp) {
    return complete(Irp, wdm.STATUS_SUCCESS);
  };
  const r = await loadDriver(m, name, (DriverObject) => {
    const created = wdm.IoCreateDevice(
      DriverObject,
      null,
      `\\Device\\${name}`,
      wdm.FILE_DEVICE_UNKNOWN,
      0,
      o.exclusive ?? false,
    );
    if (!created.DeviceObject) return created.status;
    created.DeviceObject.Flags |= o.flags ?? 0;
    const status = wdm.IoCreateSymbolicLink(`\\DosDevices\\${name}`, `\\Device\\${name}`);
    if (!wdm.NT_SUCCESS(status)) return status;
    const handlers: Partial<Record<number, wdm.DRIVER_DISPATCH>> = {
      [wdm.IRP_MJ_CREATE]: succeed,
      [wdm.IRP_MJ_CLEANUP]: succeed,
      [wdm.IRP_MJ_CLOSE]: succeed,
      ...o.dispatch,
    };
    for (const [k, routine] of Object.entries(handlers)) {
      const major = Number(k);
      if (!routine || o.unset?.includes(major)) continue;
      DriverObject.MajorFunction[major] = function IoTestDispatch(DeviceObject, Irp) {
        received.push({
          major: majorNames[major] ?? `IRP_MJ_${major}`,
          process: wdm.PsGetCurrentProcess().name,
          at: Math.floor(m.nowMs),
        });
        return routine(DeviceObject, Irp);
      };
    }
    return wdm.STATUS_SUCCESS;
  });
  const device = r.DriverObject.DeviceObject;
  if (!wdm.NT_SUCCESS(r.status) || !device)
    throw new Error(`the ${name} test driver did not load: 0x${r.status.toString(16)}`);
  return { driver: r.DriverObject, device, received, path: `\\\\.\\${name}` };
}

/** The major functions a kit received, in order ("CREATE", "DEVICE_CONTROL", …). */
export function majors(kit: Kit): string[] {
  return kit.received.map((x) => x.major);
}

/** What a dispatch routine saw of a request. */
export interface Seen {
  readonly irp: number;
  readonly code: number;
  readonly inLen: number;
  readonly outLen: number;
  readonly systemBuffer: number;
  /** Size of the pool block behind SystemBuffer (null when there is none). */
  readonly systemBufferSize: number | null;
  readonly userBuffer: number;
  readonly type3: number;
  readonly mdl: {
    readonly va: number;
    readonly byteCount: number;
    readonly write: boolean;
    readonly locked: boolean;
  } | null;
  readonly process: string;
  readonly thread: string;
  readonly previousMode: number;
  readonly requestorMode: number;
  readonly irql: number;
}

/** Records, from a dispatch routine, what the request looks like to the driver. */
export function see(m: Machine, Irp: wdm.IRP): Seen {
  const sl = wdm.IoGetCurrentIrpStackLocation(Irp);
  const dio = sl.Parameters.DeviceIoControl;
  const mdl = Irp.MdlAddress;
  const sys = Irp.AssociatedIrp.SystemBuffer;
  return {
    irp: Irp.id,
    code: dio.IoControlCode,
    inLen: dio.InputBufferLength,
    outLen: dio.OutputBufferLength,
    systemBuffer: sys,
    systemBufferSize: sys === 0 ? null : (m.nonPagedPool.block(sys)?.size ?? -1),
    userBuffer: Irp.UserBuffer,
    type3: dio.Type3InputBuffer,
    mdl: mdl
      ? {
          va: wdm.MmGetMdlVirtualAddress(mdl),
          byteCount: wdm.MmGetMdlByteCount(mdl),
          write: (mdl.MdlFlags & wdm.MDL_WRITE_OPERATION) !== 0,
          locked: (mdl.MdlFlags & wdm.MDL_PAGES_LOCKED) !== 0,
        }
      : null,
    process: wdm.PsGetCurrentProcess().name,
    thread: wdm.PsGetCurrentThread().label,
    previousMode: wdm.ExGetPreviousMode(),
    requestorMode: Irp.RequestorMode,
    irql: wdm.KeGetCurrentIrql(),
  };
}

// ---- App side --------------------------------------------------------------------------------

/** Committed read-write (or `protect`) memory of `size` bytes, zeroed. */
export function alloc(size = 4096, protect: number = w.PAGE_READWRITE): number {
  const p = w.VirtualAlloc(0, size, w.MEM_COMMIT | w.MEM_RESERVE, protect);
  if (p === 0) throw new Error(`VirtualAlloc(${size}) failed: ${w.GetLastError()}`);
  return p;
}

/** A read-only page whose bytes are `fill`. */
export function readOnly(fill: number): number {
  const p = alloc(4096);
  fillBytes(p, 4096, fill);
  const old = alloc(4);
  if (!w.VirtualProtect(p, 4096, w.PAGE_READONLY, old)) throw new Error("VirtualProtect failed");
  return p;
}

/** A user address with nothing mapped at it (reserved and never committed, so nothing else lands there). */
export function unmapped(): number {
  const p = w.VirtualAlloc(0, 8192, w.MEM_RESERVE, w.PAGE_READWRITE);
  if (p === 0) throw new Error("VirtualAlloc(MEM_RESERVE) failed");
  return p + 0x100;
}

/** A buffer of which the first 16 bytes are committed and the rest is only reserved. */
export function partiallyMapped(): number {
  const base = w.VirtualAlloc(0, 8192, w.MEM_RESERVE, w.PAGE_READWRITE);
  if (w.VirtualAlloc(base, 4096, w.MEM_COMMIT, w.PAGE_READWRITE) !== base)
    throw new Error("commit failed");
  return base + 4096 - 16;
}

/** An address in system space (which user-mode callers may not pass). */
export const KERNEL_ADDRESS = 0x81000000;

/** Fills app memory. */
export function fillBytes(address: number, length: number, value: number): void {
  w.writeBytes(address, new Uint8Array(length).fill(value));
}

/** Reads app memory as a plain array. */
export function bytesAt(address: number, length: number): number[] {
  return Array.from(w.readBytes(address, length));
}

/** `length` copies of `value` (for comparing buffers). */
export function repeat(value: number, length: number): number[] {
  return new Array<number>(length).fill(value);
}

/** Opens the kit's device; synchronous unless `overlapped`. Throws when it fails. */
export async function open(
  kit: Kit,
  overlapped = false,
  access: number = w.GENERIC_READ | w.GENERIC_WRITE,
): Promise<number> {
  const h = await w.CreateFile(
    kit.path,
    access,
    0,
    null,
    w.OPEN_EXISTING,
    overlapped ? w.FILE_FLAG_OVERLAPPED : 0,
    0,
  );
  if (h === w.INVALID_HANDLE_VALUE)
    throw new Error(`CreateFile(${kit.path}) failed: ${w.GetLastError()}`);
  return h;
}

/** A zeroed OVERLAPPED with `hEvent` in app memory. */
export function overlapped(hEvent: number): w.OVERLAPPED {
  const ov = new w.OVERLAPPED(alloc(w.SIZEOF_OVERLAPPED));
  ov.hEvent = hEvent;
  return ov;
}

/**
 * The IO_STATUS_BLOCK kernel32 passes for a call without an OVERLAPPED (a local on the calling
 * thread's stack), filled with a marker so a test can tell whether the kernel wrote it.
 */
export function markedKernel32Iosb(m: Machine): { status(): number; information(): number } {
  const iosb = threadScratch(m.currentThread());
  w.writeU32(iosb, MARK);
  w.writeU32(iosb + 4, MARK);
  return { status: () => w.readU32(iosb), information: () => w.readU32(iosb + 4) };
}

/** The marker test code writes where it checks that nothing was written. */
export const MARK = 0xdddddddd;

/** Counts of what a request may allocate or lock. */
export interface Resources {
  readonly poolBytes: number;
  readonly poolBlocks: number;
  readonly irps: number;
  readonly mdls: number;
  readonly lockedPages: number;
}

/** What is allocated and locked right now (from the current app thread). */
export function resources(m: Machine): Resources {
  const io = ioManager(m);
  return {
    poolBytes: m.nonPagedPool.inUse,
    poolBlocks: m.nonPagedPool.liveBlockCount,
    irps: io.liveIrps.size,
    mdls: io.liveMdls.size,
    lockedPages: m.currentThread().process.lockedPages,
  };
}

/** Whether an event (or any waitable handle) is signalled, without waiting. */
export async function signalled(h: number): Promise<boolean> {
  return (await w.WaitForSingleObject(h, 0)) === w.WAIT_OBJECT_0;
}
