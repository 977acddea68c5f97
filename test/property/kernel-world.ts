/**
 * The kernel side of the hostile-call property: a machine with one driver ("Prop") whose device
 * an app keeps sending requests to (some pended, some completed, some cancelled, then the app
 * exits), and a worker thread of that driver that runs a program of WDK calls with hostile
 * arguments — freed IRPs and MDLs, objects of the wrong type, NULL and undefined, bad lengths,
 * addresses and IRQLs — as a driver's bugs would make them.
 *
 * Each call's arguments are chosen when it runs from what exists by then ({@link KernelWorld.pick}):
 * most often an object of the kind the routine expects (which may be freed, completed or never
 * initialised), sometimes an object of another kind, sometimes a hostile primitive. The routines
 * and the argument kinds are tables (kernel-routines.ts, {@link ARG_KINDS}): a new routine is one
 * line there.
 */
import { loadDriver } from "../../io-manager/driver.js";
import { BugCheckError } from "../../kernel/bugcheck.js";
import { Machine } from "../../kernel/machine.js";
import { invariantViolations } from "../../scenario/invariants.js";
import { attachVerifier } from "../../verifier/verifier.js";
import * as wdm from "../../wdm.js";
import * as w32 from "../../win32/index.js";
import { kernelRoutines, type KernelRoutine } from "./kernel-routines.js";
import { classifyThrow, Coverage, ofItsKind, EXCEPTION_JS, HostEscape, show, watchTrace, type Program, type Step } from "./program.js";

/** The driver's control codes: pend the request, complete it at once, pend with an output MDL. */
export const IOCTL_PROP_PEND = wdm.CTL_CODE(wdm.FILE_DEVICE_UNKNOWN, 0x800, wdm.METHOD_BUFFERED, wdm.FILE_ANY_ACCESS);
export const IOCTL_PROP_COMPLETE = wdm.CTL_CODE(wdm.FILE_DEVICE_UNKNOWN, 0x801, wdm.METHOD_BUFFERED, wdm.FILE_ANY_ACCESS);
export const IOCTL_PROP_PEND_DIRECT = wdm.CTL_CODE(wdm.FILE_DEVICE_UNKNOWN, 0x802, wdm.METHOD_OUT_DIRECT, wdm.FILE_ANY_ACCESS);

/** Hostile primitives and odd objects any argument may get. */
const HOSTILE: readonly unknown[] = [null, undefined, 0, -1, NaN, 2 ** 32, 0x80000000, 1.5, "Prop", {}, [], true, () => 0, Symbol("x"), 10n];

/** How an argument of one kind is generated: `n` chooses among the candidates. */
export type ArgGenerator = (w: KernelWorld, n: number) => unknown;

/** A value from a list. */
const oneOf =
  (values: readonly unknown[]): ArgGenerator =>
  (_w, n) =>
    values[n % values.length];

/**
 * A value from `good` (what a correct driver passes) or, as often as the program's hostility says,
 * from `bad` (what a buggy one does).
 */
const goodOrBad =
  (good: readonly unknown[], bad: readonly unknown[]): ArgGenerator =>
  (w, n) =>
    n % 8 < ([7, 6, 4, 2][w.program.hostility] ?? 4) || bad.length === 0 ? good[(n >>> 3) % good.length] : bad[(n >>> 3) % bad.length];

/** An object of `kind` made by earlier steps (or the world's setup), else `fallback`. */
const made =
  (kind: string, fallback: ArgGenerator = () => null): ArgGenerator =>
  (w, n) => {
    const pool = w.objects.get(kind);
    return pool && pool.length > 0 ? pool[n % pool.length] : fallback(w, n);
  };

/** Either an object of `kind` or one of `values`. */
const madeOr =
  (kind: string, values: readonly unknown[]): ArgGenerator =>
  (w, n) => {
    const pool = w.objects.get(kind) ?? [];
    const all = pool.length + values.length;
    const i = n % all;
    return i < pool.length ? pool[i] : values[i - pool.length];
  };

/**
 * The argument kinds: what a routine's parameter is, and how its values are generated. Objects
 * made by routines are kept under the kind their table entry names in `returns`.
 */
export const ARG_KINDS: Record<string, ArgGenerator> = {
  irp: made("irp"),
  mdl: made("mdl"),
  address: madeOr("address", [0, 0x10000, 0x7ffeffff, 0x7fff0000, 0x80000000, 0x81000000, 0xa0000000, 0xfffffffc, 0x1000, -4, 1.5]),
  length: goodOrBad([1, 2, 4, 8, 16, 38, 64, 100, 4095, 4096], [0, 4097, 8192, 0x10000, 0x7fffffff, 0xffffffff, -1, 1.5, NaN]),
  irql: (w, n) => (n % 4 === 0 ? goodOrBad([0, 1, 2], [3, 5, 15, 31, 32, -1, 2.5])(w, n >>> 2) : made("irql", () => 0)(w, n >>> 2)),
  tag: oneOf(["Prop", "SpMd", 0x706f7250, 0, "", "toolong!", "P"]),
  poolType: goodOrBad([0, 1, 4, 5, 512], [2, 3, 7, -1, 0x10000]),
  bool: oneOf([true, false, 0, 1]),
  mode: goodOrBad([wdm.KernelMode, wdm.KernelMode, wdm.UserMode], [2, -1]),
  operation: goodOrBad([wdm.IoReadAccess, wdm.IoWriteAccess, wdm.IoModifyAccess], [3]),
  status: oneOf([wdm.STATUS_SUCCESS, wdm.STATUS_PENDING, wdm.STATUS_CANCELLED, wdm.STATUS_INVALID_PARAMETER, 0x80000005, -1, 0x40000000, wdm.STATUS_MORE_PROCESSING_REQUIRED]),
  boost: oneOf([0, 1, 2, 0x10]),
  stackSize: goodOrBad([1, 2, 3, 4, 8], [0, -1, 300, 1.5]),
  ioctl: oneOf([IOCTL_PROP_PEND, IOCTL_PROP_COMPLETE, IOCTL_PROP_PEND_DIRECT, 0, 0xdeadbeef, wdm.CTL_CODE(wdm.FILE_DEVICE_UNKNOWN, 0x803, wdm.METHOD_NEITHER, wdm.FILE_ANY_ACCESS)]),
  major: oneOf([wdm.IRP_MJ_CREATE, wdm.IRP_MJ_CLOSE, wdm.IRP_MJ_READ, wdm.IRP_MJ_WRITE, wdm.IRP_MJ_DEVICE_CONTROL, wdm.IRP_MJ_CLEANUP, wdm.IRP_MJ_FLUSH_BUFFERS, 0x1b, 0xff, -1]),
  timeout: goodOrBad([0, -1, -10_000, -100_000, -10_000, 0], [null, undefined, -10_000_000, 10_000_000, NaN, 1.5]),
  count: goodOrBad([0, 1, 2, 3], [-1, 0x7fffffff, 1.5]),
  waitReason: oneOf([0, 5, -1]),
  waitType: oneOf(["WaitAll", "WaitAny", "bogus"]),
  priority: oneOf([wdm.NormalPagePriority, wdm.HighPagePriority, wdm.LowPagePriority, -1]),
  cacheType: oneOf([wdm.MmNonCached, wdm.MmCached, wdm.MmWriteCombined, 99]),
  fill: oneOf([0, 0x41, 0x1ff, -1]),
  key: oneOf([0, 1, 5, -1, null, 2 ** 40]),
  handle: madeOr("handle", [0, -1, 0x80000004, 4, 0xffffffff, 0x80000000]),
  objectType: oneOf([null, wdm.ExEventObjectType, "Thread", "File", "bogus"]),
  access: oneOf([0, 0x1f0003, 0xffffffff, 2]),
  event: made("event"),
  timer: made("timer"),
  dpc: made("dpc"),
  spinLock: made("spinLock"),
  mutex: made("mutex"),
  semaphore: made("semaphore"),
  apc: made("apc"),
  kqueue: made("kqueue"),
  listHead: made("listHead"),
  listEntry: made("listEntry"),
  workItem: made("workItem"),
  csq: made("csq"),
  csqContext: made("csqContext"),
  deviceQueue: made("deviceQueue"),
  deviceQueueEntry: made("deviceQueueEntry"),
  lockHandle: made("lockHandle"),
  apcState: made("apcState"),
  process: made("process"),
  thread: made("thread"),
  device: made("device"),
  driver: made("driver"),
  iosb: made("iosb"),
  kobject: (w, n) => {
    const all = ["event", "timer", "mutex", "semaphore", "thread", "process", "device", "kqueue"].flatMap((k) => w.objects.get(k) ?? []);
    return all.length > 0 ? all[n % all.length] : null;
  },
  waitables: (w, n) => {
    const objs = ["event", "timer", "mutex", "semaphore", "thread"].flatMap((k) => w.objects.get(k) ?? []);
    const shapes = [[], [0], [0, 1], [0, 1, 2], [0, 0], new Array<number>(65).fill(0)];
    const shape = shapes[n % shapes.length] ?? [];
    return shape.map((k, i) => (objs.length > 0 ? objs[(n + k + i) % objs.length] : null));
  },
  context: (w, n) => w.anything(n),
  bytes: oneOf([new Uint8Array(0), new Uint8Array(4).fill(0x41), new Uint8Array(100).fill(1), new Uint8Array(5000)]),
  text: oneOf(["hello", "", "a".repeat(300)]),
  linkName: oneOf(["\\DosDevices\\PropLink", "\\DosDevices\\Prop", "\\Device\\Prop", "", "bogus", "\\??\\PropLink"]),
  deviceName: oneOf(["\\Device\\PropExtra", "\\Device\\Prop", null, "", "NoBackslash"]),
  dpcRoutine: oneOf([PropDpcComplete, PropDpcNothing]),
  cancelRoutine: oneOf([PropCancel, PropCancelKeepsLock, null]),
  completionRoutine: oneOf([PropCompletionMore, PropCompletionContinue, null]),
  workRoutine: oneOf([PropWorkComplete]),
  apcKernelRoutine: oneOf([PropApcKernel]),
  apcNormalRoutine: oneOf([PropApcNormal, null]),
  startRoutine: oneOf([PropThread]),
  serviceRoutine: oneOf([PropIsr]),
  sortKey: oneOf([0, 1, 7, -1, 2 ** 33]),
  offset: oneOf([0, 512, -1, 2 ** 40]),
  number: oneOf([0, 1, 7, -1, 0x7fffffff, 2 ** 32, NaN]),
  interrupt: made("interrupt"),
  // ---- Kinds of the routines added after the WDM merge ----
  ioWorkItem: madeOr("ioWorkItem", [0x81000000]),
  ioWorkItemStorage: (w, n) => (n % 3 === 0 ? new wdm.IO_WORKITEM() : n % 3 === 1 ? made("address", () => 0)(w, n >>> 2) : made("ioWorkItem")(w, n >>> 2)),
  ioWorkRoutine: oneOf([PropIoWork, PropIoWorkComplete, null]),
  ioWorkRoutineEx: oneOf([PropIoWorkEx, PropIoWorkExFrees, null]),
  queueType: goodOrBad([wdm.DelayedWorkQueue, wdm.CriticalWorkQueue, wdm.NormalWorkQueue, wdm.HyperCriticalWorkQueue], [wdm.MaximumWorkQueue, 99, -1, 1.5]),
  ioObject: (w, n) => (n % 3 === 0 ? made("driver")(w, n >>> 2) : made("device")(w, n >>> 2)),
  plong: (w, n) => (n % 4 === 3 ? made("address", () => 0)(w, n >>> 2) : made("plong", () => new wdm.VOLATILE(0))(w, n >>> 2)),
  singleEntry: made("singleEntry"),
  slistHeader: made("slistHeader"),
  inOut: oneOf([null, { value: 0 }, { value: 5 }]),
  largeInteger: oneOf([null, { QuadPart: 0 }]),
  lookaside: made("lookaside"),
  allocateFunction: oneOf([null, PropLookasideAllocate]),
  freeFunction: oneOf([null, PropLookasideFree]),
  allocateFunctionEx: oneOf([null, PropLookasideAllocateEx]),
  freeFunctionEx: oneOf([null, PropLookasideFreeEx]),
  removeLock: made("removeLock"),
  fastMutex: made("fastMutex"),
  guardedMutex: made("guardedMutex"),
  resource: made("resource"),
  pushLock: made("pushLock"),
  rundownRef: made("rundownRef"),
  objectAttributes: (w, n) => (n % 4 === 0 ? null : made("objectAttributes")(w, n >>> 2)),
  // ---- Kinds of the registry routines ----
  regName: oneOf(["\\Registry\\Machine\\System\\CurrentControlSet\\Services\\Prop", "\\Registry\\Machine\\Software", "Relative", "", null, "\\Registry\\\\Bad", "\\Registry\\Machine\\Missing\\Child"]),
  valueName: oneOf(["Val", "", "Other", null, 7]),
  regType: oneOf([wdm.REG_DWORD, wdm.REG_SZ, wdm.REG_BINARY, wdm.REG_MULTI_SZ, 0xffffffff, -1]),
  regClass: oneOf([0, 1, 2, 3, 4, 99, -1, 1.5]),
  regBuffer: (w, n) => (n % 3 === 0 ? new Uint8Array(64) : n % 3 === 1 ? new Uint8Array(2) : made("address", () => 0)(w, n >>> 2)),
  rtlRelative: oneOf([wdm.RTL_REGISTRY_ABSOLUTE, wdm.RTL_REGISTRY_SERVICES, wdm.RTL_REGISTRY_CONTROL, wdm.RTL_REGISTRY_SERVICES | wdm.RTL_REGISTRY_OPTIONAL, 99, -1]),
  queryTable: oneOf([[], [{ Flags: wdm.RTL_QUERY_REGISTRY_DIRECT, Name: "Val", EntryContext: { value: 0 } }], [{ Flags: wdm.RTL_QUERY_REGISTRY_DIRECT | wdm.RTL_QUERY_REGISTRY_REQUIRED, Name: "Missing", EntryContext: { value: 0 } }], null, [{ Flags: 0, Name: null, QueryRoutine: () => wdm.STATUS_SUCCESS }]]),
  objectName: oneOf(["\\BaseNamedObjects\\PropEvent", "\\KernelObjects\\PropOther", "PropEvent", "", null, { Buffer: "\\BaseNamedObjects\\PropEvent" }, { Buffer: 5 }]),
  handles: (w, n) => {
    const pool = w.objects.get("handle") ?? [];
    const shapes = [[], [0], [0, 1], [0, 1, 2], new Array<number>(65).fill(0)];
    const shape = shapes[n % shapes.length] ?? [];
    return shape.map((k, i) => (pool.length > 0 ? pool[(n + k + i) % pool.length] : 0));
  },
  processHandle: oneOf([wdm.NtCurrentProcess, wdm.NtCurrentProcess, null, 0, 4, wdm.NtCurrentThread]),
  // Sections and shared pages (memshare). Not-built features (file-backed sections, SEC_RESERVE,
  // SEC_IMAGE, copy-on-write views) say so with an Error and are left out.
  section: made("section"),
  pageProtection: oneOf([wdm.PAGE_READWRITE, wdm.PAGE_READWRITE, wdm.PAGE_READONLY, wdm.PAGE_NOACCESS, wdm.PAGE_READWRITE | wdm.PAGE_GUARD, 0x1234, -1]),
  sectionSize: oneOf([new wdm.LARGE_INTEGER(4096), new wdm.LARGE_INTEGER(0x10000), new wdm.LARGE_INTEGER(0x10001), null, new wdm.LARGE_INTEGER(0), new wdm.LARGE_INTEGER(-1), 0x1000, { QuadPart: 1 }]),
  sectionAttributes: oneOf([wdm.SEC_COMMIT, wdm.SEC_COMMIT, 0, wdm.SEC_COMMIT | wdm.SEC_RESERVE, wdm.SEC_COMMIT | wdm.SEC_NOCACHE, 0x1, -1]),
  viewInherit: oneOf([wdm.ViewUnmap, wdm.ViewShare, 0, 3]),
  clientId: (w, n) => {
    const ids = [0, 4, 8, -1, 0x7ffffffc, 1.5];
    for (const k of ["process", "thread"]) for (const o of w.objects.get(k) ?? []) if (o !== null && typeof o === "object" && "id" in o) ids.push((o as { id: number }).id);
    return ids[n % ids.length];
  },
  notifyRoutine: oneOf([PropProcessNotify, null]),
  notifyRoutineEx: oneOf([PropProcessNotifyEx, null]),
  irpStorage: (w, n) => (n % 2 === 0 ? made("address", () => 0)(w, n >>> 1) : made("irp")(w, n >>> 1)),
  fileObject: (w, n) => {
    const irps = w.objects.get("irp") ?? [];
    const irp = irps[n % Math.max(1, irps.length)];
    return irp instanceof wdm.IRP ? irp.Tail.Overlay.OriginalFileObject : null;
  },
  poolFlags: goodOrBad([wdm.POOL_FLAG_NON_PAGED, wdm.POOL_FLAG_PAGED, wdm.POOL_FLAG_NON_PAGED | wdm.POOL_FLAG_UNINITIALIZED, wdm.POOL_FLAG_NON_PAGED | wdm.POOL_FLAG_CACHE_ALIGNED, 0x40n], [0n, 0, wdm.POOL_FLAG_SESSION | wdm.POOL_FLAG_PAGED, wdm.POOL_FLAG_PAGED | wdm.POOL_FLAG_NON_PAGED, -1, 1.5, NaN, 2n ** 70n]),
  poolParameters: oneOf([null, [], [{ Type: wdm.PoolExtendedParameterPriority, Priority: wdm.NormalPoolPriority }], [{ Type: wdm.PoolExtendedParameterNumaNode, PreferredNode: 0 }], [{ Type: wdm.PoolExtendedParameterInvalidType }], [{ Type: 99 }], [null]]),
  bigint: oneOf([0n, 1n, -1n, 2n ** 64n - 1n, 2n ** 80n, 5]),
  structAddress: (w, n) => (n % 2 === 0 ? 0 : made("address", () => 0)(w, n >>> 1)),
  unicodeString: made("unicodeString"),
  ansiString: made("ansiString"),
  strSource: (w, n) => (n % 3 === 2 ? made("address", () => 0)(w, n >>> 2) : ["hello", "", "\\Device\\Prop", "a".repeat(40000), null, "ünïcödé"][n % 6]),
  format: oneOf(["%s=%d", "%wZ %Z", "%p %x %08X %lu %I64x %llu", "%c%C%%", "%S %ws %hs", "%n", "%*d %.*s", "%", "plain", "%s%s%s%s", "%-10.3f %e %g"]),
  printfArg: (w, n) => [0, 1, -1, "text", 0x81000000, 10n, null, true, 1.5, NaN][n % 10] ?? made("unicodeString")(w, n),
  sizeOut: oneOf([null, { value: 0 }, 0, 0x81000000]),
  componentId: oneOf([wdm.DPFLTR_IHVDRIVER_ID, wdm.DPFLTR_DEFAULT_ID, 0, 0x7fffffff, -1]),
  sddl: oneOf([wdm.SDDL_DEVOBJ_SYS_ALL_ADM_ALL, wdm.SDDL_DEVOBJ_KERNEL_ONLY, "D:P(A;;GA;;;SY)", "bogus", "", null, 5]),
  guid: oneOf(["{6FDE7521-1B65-48AE-B628-80BE62016026}", "{6fde7521-1b65-48ae-b628-80be62016026}", "not-a-guid", "", null, 7]),
  referenceString: oneOf([null, "ref", "", "a\\b"]),
  interfaceLink: madeOr("interfaceLink", ["\\??\\bogus", "", null, 3]),
};

// ---- The driver's canned routines: what a program's callbacks do -------------------------------

/** A DPC that completes its context as an IRP (whatever the context is). */
function PropDpcComplete(_Dpc: wdm.KDPC, Context: unknown): void {
  wdm.IoCompleteRequest(Context as wdm.IRP, wdm.IO_NO_INCREMENT);
}
/** A DPC that does nothing. */
function PropDpcNothing(): void {
  return undefined;
}
/** The usual cancel routine: release the cancel lock, complete with STATUS_CANCELLED. */
function PropCancel(_DeviceObject: wdm.DEVICE_OBJECT, Irp: wdm.IRP): void {
  wdm.IoReleaseCancelSpinLock(Irp.CancelIrql);
  Irp.IoStatus.Status = wdm.STATUS_CANCELLED;
  Irp.IoStatus.Information = 0;
  wdm.IoCompleteRequest(Irp, wdm.IO_NO_INCREMENT);
}
/** A cancel routine that forgets the cancel lock. */
function PropCancelKeepsLock(_DeviceObject: wdm.DEVICE_OBJECT, Irp: wdm.IRP): void {
  Irp.IoStatus.Status = wdm.STATUS_CANCELLED;
  wdm.IoCompleteRequest(Irp, wdm.IO_NO_INCREMENT);
}
/** A completion routine that keeps the IRP. */
function PropCompletionMore(): number {
  return wdm.STATUS_MORE_PROCESSING_REQUIRED;
}
/** A completion routine that lets completion go on. */
function PropCompletionContinue(_DeviceObject: wdm.DEVICE_OBJECT | null, Irp: wdm.IRP): number {
  if (Irp.PendingReturned) wdm.IoMarkIrpPending(Irp);
  return wdm.STATUS_SUCCESS;
}
/** A work item that completes its parameter as an IRP. */
function PropWorkComplete(Parameter: unknown): void {
  wdm.IoCompleteRequest(Parameter as wdm.IRP, wdm.IO_NO_INCREMENT);
}
/** An APC's kernel routine. */
function PropApcKernel(): void {
  return undefined;
}
/** An APC's normal routine. */
function PropApcNormal(): void {
  return undefined;
}
/** A system thread that waits a moment and ends. */
async function PropThread(): Promise<void> {
  await wdm.KeDelayExecutionThread(wdm.KernelMode, false, -10_000);
}
/** An interrupt service routine that claims the interrupt. */
function PropIsr(): boolean {
  return true;
}

/** An I/O work item's routine that does nothing. */
function PropIoWork(): void {
  return undefined;
}
/** An I/O work item's routine that completes its context as an IRP (whatever the context is). */
function PropIoWorkComplete(_DeviceObject: wdm.DEVICE_OBJECT, Context: unknown): void {
  wdm.IoCompleteRequest(Context as wdm.IRP, wdm.IO_NO_INCREMENT);
}
/** An IoQueueWorkItemEx routine that does nothing. */
function PropIoWorkEx(): void {
  return undefined;
}
/** An IoQueueWorkItemEx routine that frees its own item (allowed: the Ex form exists for it). */
function PropIoWorkExFrees(_IoObject: unknown, _Context: unknown, IoWorkItem: wdm.IO_WORKITEM): void {
  wdm.IoFreeWorkItem(IoWorkItem);
}
/** A lookaside list's allocate routine. */
function PropLookasideAllocate(PoolType: number, NumberOfBytes: number, Tag: number): number {
  return wdm.ExAllocatePoolWithTag(PoolType, NumberOfBytes, Tag);
}
/** A lookaside list's free routine. */
function PropLookasideFree(Buffer: number): void {
  wdm.ExFreePool(Buffer);
}
/** A LOOKASIDE_LIST_EX's allocate routine. */
function PropLookasideAllocateEx(PoolType: number, NumberOfBytes: number, Tag: number): number {
  return wdm.ExAllocatePoolWithTag(PoolType, NumberOfBytes, Tag);
}
/** A LOOKASIDE_LIST_EX's free routine. */
function PropLookasideFreeEx(Buffer: number): void {
  wdm.ExFreePool(Buffer);
}
/** A process-notify routine. */
function PropProcessNotify(): void {
  return undefined;
}
/** A process-notify routine (Ex) that refuses nothing. */
function PropProcessNotifyEx(): void {
  return undefined;
}

/** The routines of a focused program ({@link Program.focus} 1). */
const REQUEST_PATH = new Set([
  "IoCompleteRequest", "IoCancelIrp", "IoSetCancelRoutine", "IoMarkIrpPending", "IoGetCurrentIrpStackLocation", "IoGetNextIrpStackLocation",
  "IoCopyCurrentIrpStackLocationToNext", "IoSkipCurrentIrpStackLocation", "IoCallDriver", "IoAllocateIrp", "IoFreeIrp", "IoSetCompletionRoutine",
  "IoAllocateMdl", "MmProbeAndLockPages", "MmUnlockPages", "MmGetSystemAddressForMdlSafe", "IoFreeMdl", "IoBuildDeviceIoControlRequest",
  "IoGetRequestorProcessId", "IoIsOperationSynchronous", "(driver code) touch the IRP's members", "(driver code) touch the stack locations",
  "(another processor) the app is killed", "(driver code) take a request off the queue, work on it, complete it", "(driver code) remember the MDL of an IRP", "KeDelayExecutionThread", "KeWaitForSingleObject",
  "KeSetTimer", "KeCancelTimer", "KeInsertQueueDpc", "KeSetEvent", "KeClearEvent", "ExAllocatePoolWithTag", "ExFreePool", "RtlCopyMemory",
]);

/** The world one program runs in. */
export class KernelWorld {
  readonly m: Machine;
  /** Objects by kind, made by the setup and by earlier steps (kept after they are freed). */
  readonly objects = new Map<string, unknown[]>();
  readonly coverage = new Coverage();
  escape: HostEscape | null = null;
  app: wdm.EPROCESS | null = null;
  /** Called with each step before it runs (for debugging a program). */
  log: ((line: string) => void) | null = null;
  private readonly routines: readonly KernelRoutine[];
  /** The routines a focused program draws from (see {@link Program.focus}). */
  private readonly focused: readonly KernelRoutine[];

  constructor(
    readonly program: Program,
    options: { trace?: boolean; routines?: readonly KernelRoutine[] } = {},
  ) {
    this.routines = options.routines ?? kernelRoutines;
    // The request path: IRPs, MDLs, cancel and completion, waits, timers and DPCs, the app's
    // death; not the IRQL and lock games (nor the routines whose misuse is fatal at once) that
    // end most unfocused programs in a few steps.
    this.focused = this.routines.filter((r) => REQUEST_PATH.has(r.name));
    this.m = new Machine({ memoryBytes: 16 * 1024 * 1024, flightRecorder: 0 });
    if (program.verified) attachVerifier(this.m, { sourceLines: false });
    if (options.trace) watchTrace(this.m, this.coverage);
  }

  /** Keeps an object under its kind. */
  keep(kind: string, value: unknown): void {
    if (value === null || value === undefined) return;
    let pool = this.objects.get(kind);
    if (!pool) {
      pool = [];
      this.objects.set(kind, pool);
    }
    if (pool.length < 64) pool.push(value);
    else pool[pool.length % 64] = value;
  }

  /** Any object made so far (or a hostile primitive). */
  anything(n: number): unknown {
    const kinds = [...this.objects.keys()];
    if (kinds.length === 0) return HOSTILE[n % HOSTILE.length];
    const pool = this.objects.get(kinds[n % kinds.length] ?? "") ?? [];
    return pool[Math.floor(n / kinds.length) % Math.max(1, pool.length)];
  }

  /**
   * An argument of `kind`: usually one its generator gives (an object made earlier, possibly
   * freed), sometimes an object of another kind, sometimes a hostile primitive.
   */
  pick(kind: string, n: number): unknown {
    // The world itself is what a table entry for "another processor" acts on, never hostile.
    if (kind === "world") return this;
    const rest = Math.floor(n / 64);
    if (ofItsKind(n, this.program.hostility)) {
      const gen = ARG_KINDS[kind];
      if (!gen) throw new Error(`no argument kind '${kind}' (add it to ARG_KINDS)`);
      return gen(this, rest);
    }
    if (rest % 2 === 0) return this.anything(rest >>> 1);
    return HOSTILE[(rest >>> 1) % HOSTILE.length];
  }

  /** Builds the world: loads the driver, starts the app, then runs the program on the driver's worker thread. */
  async run(): Promise<void> {
    const m = this.m;
    const keep = (kind: string, v: unknown): void => {
      this.keep(kind, v);
    };
    const made: { device: wdm.DEVICE_OBJECT | null } = { device: null };
    await loadDriver(m, "Prop", (DriverObject) => {
      const created = wdm.IoCreateDevice(DriverObject, null, "\\Device\\Prop", wdm.FILE_DEVICE_UNKNOWN, 0, false);
      if (!created.DeviceObject) return created.status;
      made.device = created.DeviceObject;
      wdm.IoCreateSymbolicLink("\\DosDevices\\Prop", "\\Device\\Prop");
      const succeed: wdm.DRIVER_DISPATCH = function PropSucceed(_d, Irp) {
        Irp.IoStatus.Status = wdm.STATUS_SUCCESS;
        wdm.IoCompleteRequest(Irp, wdm.IO_NO_INCREMENT);
        return wdm.STATUS_SUCCESS;
      };
      for (let major = 0; major <= wdm.IRP_MJ_MAXIMUM_FUNCTION; major++) DriverObject.MajorFunction[major] = succeed;
      DriverObject.MajorFunction[wdm.IRP_MJ_DEVICE_CONTROL] = function PropDeviceControl(_d, Irp) {
        keep("irp", Irp);
        const code = wdm.IoGetCurrentIrpStackLocation(Irp).Parameters.DeviceIoControl.IoControlCode;
        if (code !== IOCTL_PROP_PEND && code !== IOCTL_PROP_PEND_DIRECT) return succeed(_d, Irp);
        if (Irp.MdlAddress) keep("mdl", Irp.MdlAddress);
        wdm.IoSetCancelRoutine(Irp, PropCancel);
        if (Irp.Cancel && wdm.IoSetCancelRoutine(Irp, null)) {
          Irp.IoStatus.Status = wdm.STATUS_CANCELLED;
          wdm.IoCompleteRequest(Irp, wdm.IO_NO_INCREMENT);
          return wdm.STATUS_CANCELLED;
        }
        wdm.IoMarkIrpPending(Irp);
        return wdm.STATUS_PENDING;
      };
      return wdm.STATUS_SUCCESS;
    });
    if (!made.device) throw new Error("the Prop driver did not load");
    this.seed(made.device);
    this.app = m.createProcess("app.exe", () => this.appMain());
    m.createSystemThread("PropWorker", async () => {
      m.enterActivity("system thread", "PropWorker", "Prop");
      this.seedInThread();
      // Let the app's first requests arrive.
      await wdm.KeDelayExecutionThread(wdm.KernelMode, false, -10_000);
      for (const step of this.program.steps) {
        if (m.halted || this.escape) return;
        await this.step(step);
      }
    });
    try {
      await m.run({ maxTimeMs: 5_000 });
    } catch (e) {
      if (!(e instanceof BugCheckError)) throw e;
    }
  }

  /** What the app does: requests the driver pends, completes and has cancelled; then it exits. */
  private async appMain(): Promise<void> {
    const h = await w32.CreateFile("\\\\.\\Prop", w32.GENERIC_READ | w32.GENERIC_WRITE, 0, null, w32.OPEN_EXISTING, w32.FILE_FLAG_OVERLAPPED, 0);
    if (h === w32.INVALID_HANDLE_VALUE) return;
    const buffer = w32.VirtualAlloc(0, 8192, w32.MEM_COMMIT | w32.MEM_RESERVE, w32.PAGE_READWRITE);
    const heap = w32.GetProcessHeap();
    const send = async (code: number, out: number): Promise<w32.OVERLAPPED> => {
      const ov = new w32.OVERLAPPED(w32.HeapAlloc(heap, w32.HEAP_ZERO_MEMORY, w32.SIZEOF_OVERLAPPED));
      ov.hEvent = w32.CreateEvent(null, true, false, null);
      await w32.DeviceIoControl(h, code, buffer, 16, buffer + out, 64, 0, ov);
      return ov;
    };
    const pended = [await send(IOCTL_PROP_PEND, 100), await send(IOCTL_PROP_PEND_DIRECT, 4096), await send(IOCTL_PROP_COMPLETE, 200), await send(IOCTL_PROP_PEND, 300)];
    await w32.WaitForSingleObject(pended[0]?.hEvent ?? 0, 2);
    await w32.CancelIoEx(h, pended[3] ?? null);
    await w32.Sleep(3);
    await send(IOCTL_PROP_PEND, 400);
    await w32.WaitForSingleObject(pended[1]?.hEvent ?? 0, 5);
  }

  /** The objects every program starts with. */
  private seed(device: wdm.DEVICE_OBJECT): void {
    const m = this.m;
    this.keep("device", device);
    this.keep("driver", device.DriverObject);
    this.keep("process", m.systemProcess);
    // Initialised timers and DPCs too, so a focused program can fire them.
    const readyTimer = new wdm.KTIMER();
    wdm.KeInitializeTimer(readyTimer);
    this.keep("timer", readyTimer);
    const readyDpc = new wdm.KDPC();
    wdm.KeInitializeDpc(readyDpc, PropDpcComplete, null);
    this.keep("dpc", readyDpc);
    const ev = new wdm.KEVENT();
    wdm.KeInitializeEvent(ev, wdm.EVENT_TYPE.NotificationEvent, false);
    this.keep("event", ev);
    this.keep("event", new wdm.KEVENT());
    const timer = new wdm.KTIMER();
    this.keep("timer", timer);
    this.keep("dpc", new wdm.KDPC());
    const lock = new wdm.KSPIN_LOCK();
    this.keep("spinLock", lock);
    this.keep("spinLock", new wdm.KSPIN_LOCK());
    this.keep("mutex", new wdm.KMUTANT());
    this.keep("semaphore", new wdm.KSEMAPHORE());
    this.keep("apc", new wdm.KAPC());
    this.keep("kqueue", new wdm.KQUEUE());
    const head = new wdm.LIST_ENTRY<null>();
    this.keep("listHead", head);
    this.keep("listEntry", new wdm.LIST_ENTRY<null>());
    this.keep("workItem", new wdm.WORK_QUEUE_ITEM());
    this.keep("csq", new wdm.IO_CSQ());
    this.keep("csqContext", new wdm.IO_CSQ_IRP_CONTEXT());
    this.keep("deviceQueue", new wdm.KDEVICE_QUEUE());
    this.keep("lockHandle", new wdm.KLOCK_QUEUE_HANDLE());
    this.keep("apcState", new wdm.KAPC_STATE());
    this.keep("iosb", new wdm.IO_STATUS_BLOCK());
    this.keep("address", m.nonPagedPool.allocate(64, 0x706f7250, 0, null));
  }

  /** The objects that are initialised by kernel routines, made on the worker thread before its steps. */
  private seedInThread(): void {
    // What the routines added after the WDM merge start with: initialised and uninitialised.
    this.keep("plong", new wdm.VOLATILE(0));
    const sh = new wdm.SLIST_HEADER();
    wdm.InitializeSListHead(sh);
    this.keep("slistHeader", sh);
    this.keep("slistHeader", new wdm.SLIST_HEADER());
    this.keep("singleEntry", new wdm.SINGLE_LIST_ENTRY());
    this.keep("singleEntry", new wdm.SINGLE_LIST_ENTRY());
    const npl = new wdm.NPAGED_LOOKASIDE_LIST();
    wdm.ExInitializeNPagedLookasideList(npl, null, null, 0, 64, "PrLk", 0);
    this.keep("lookaside", npl);
    this.keep("lookaside", new wdm.LOOKASIDE_LIST_EX());
    const rl = new wdm.IO_REMOVE_LOCK();
    wdm.IoInitializeRemoveLock(rl, "PrRl", 0, 0);
    this.keep("removeLock", rl);
    this.keep("removeLock", new wdm.IO_REMOVE_LOCK());
    const fm = new wdm.FAST_MUTEX();
    wdm.ExInitializeFastMutex(fm);
    this.keep("fastMutex", fm);
    const gm = new wdm.KGUARDED_MUTEX();
    wdm.KeInitializeGuardedMutex(gm);
    this.keep("guardedMutex", gm);
    const res = new wdm.ERESOURCE();
    wdm.ExInitializeResourceLite(res);
    this.keep("resource", res);
    this.keep("resource", new wdm.ERESOURCE());
    const pl = new wdm.EX_PUSH_LOCK();
    wdm.ExInitializePushLock(pl);
    this.keep("pushLock", pl);
    const rr = new wdm.EX_RUNDOWN_REF();
    wdm.ExInitializeRundownProtection(rr);
    this.keep("rundownRef", rr);
    const oa = new wdm.OBJECT_ATTRIBUTES();
    wdm.InitializeObjectAttributes(oa, "\\BaseNamedObjects\\PropEvent", 0x240, 0, null);
    this.keep("objectAttributes", oa);
    const us = new wdm.UNICODE_STRING();
    wdm.RtlInitUnicodeString(us, "\\Device\\Prop");
    this.keep("unicodeString", us);
    this.keep("unicodeString", new wdm.UNICODE_STRING());
    const as = new wdm.ANSI_STRING();
    wdm.RtlInitAnsiString(as, "Prop");
    this.keep("ansiString", as);
    this.keep("ansiString", new wdm.ANSI_STRING());
  }

  /** Runs one step: a routine with arguments chosen now. */
  private async step(step: Step): Promise<void> {
    const table = this.program.focus === 1 ? this.focused : this.routines;
    const r = table[step.routine % table.length];
    if (!r) return;
    const args = r.args.map((kind, i) => this.pick(kind, step.picks[i] ?? 0));
    if (this.log) this.log(`${r.name}(${args.map(show).join(", ")})`);
    const c = this.coverage;
    c.calls++;
    c.byRoutine.set(r.name, (c.byRoutine.get(r.name) ?? 0) + 1);
    if (r.name === "IoCancelIrp" && args[0] instanceof wdm.IRP && args[0].completed && args[0].allocated) c.cancelRacedCompletion++;
    try {
      const v: unknown = Reflect.apply(r.fn, undefined, args);
      const value: unknown = v instanceof Promise ? await (v as Promise<unknown>) : v;
      c.returned++;
      if (r.returns) for (const [kind, get] of Object.entries(r.returns)) this.keep(kind, get(value, args));
    } catch (e) {
      try {
        const outcome = classifyThrow(r.name, args, e);
        if (outcome === "ntstatus") c.ntStatus++;
        else if (outcome === "notBuilt") c.notBuilt++;
      } catch (escape) {
        if (escape instanceof HostEscape) this.escape = escape;
        else throw escape;
      }
    }
  }

  /**
   * What the property checks after a run: no host exception escaped a routine (nor any thread,
   * nor was one wrapped into a bug check), and the machine is consistent (halted or not).
   */
  problems(): string[] {
    const m = this.m;
    const out: string[] = [];
    if (this.escape) out.push(this.escape.message);
    for (const e of m.errors) out.push(`a thread's host error: ${e.thread}: ${e.error instanceof Error ? `${e.error.name}: ${e.error.message}\n${e.error.stack ?? ""}` : String(e.error)}`);
    const h = m.halted;
    if (h?.kind === "bugcheck") {
      const r = h.bugCheck.record;
      if (r.parameters[0] === EXCEPTION_JS) out.push(`a host exception became bug check 0x${r.code.toString(16)}: ${r.detail ?? ""}\n${h.bugCheck.cause instanceof Error ? (h.bugCheck.cause.stack ?? "") : ""}`);
    }
    // The machine's accounting holds even after a bug check (the test hooks check every machine).
    out.push(...invariantViolations(m));
    return out;
  }

  /** Adds this run's outcome to the coverage counters. */
  tally(): Coverage {
    const c = this.coverage;
    const m = this.m;
    c.runs++;
    if (m.halted) c.haltedRuns++;
    if (m.halted?.kind === "deadlock") c.deadlocks++;
    if (m.halted?.kind === "bugcheck") {
      const r = m.halted.bugCheck.record;
      const key = `0x${r.code.toString(16).toUpperCase()} ${r.name}`;
      c.bugChecks.set(key, (c.bugChecks.get(key) ?? 0) + 1);
    }
    for (const f of m.findings) c.findings.set(f.rule, (c.findings.get(f.rule) ?? 0) + 1);
    return c;
  }
}

/** Runs one program in a fresh world and returns it. */
export async function runKernelProgram(program: Program, options: { trace?: boolean } = {}): Promise<KernelWorld> {
  const w = new KernelWorld(program, options);
  await w.run();
  return w;
}

export { show };
