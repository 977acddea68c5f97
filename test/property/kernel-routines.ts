/**
 * The WDK routines the kernel-side hostile-call property drives, one entry per routine: its name,
 * the routine itself, the kinds of its arguments (kernel-world.ts's ARG_KINDS says how each kind
 * is generated, hostile values included) and, when it makes something, the kind a later step can
 * find it under. Adding a routine is adding a line here (and, for a new kind of argument, a line
 * in ARG_KINDS).
 */
import * as wdm from "../../wdm.js";
import type { KernelWorld } from "./kernel-world.js";

/** Gets what a call made from its result (and arguments). */
export type Made = (result: unknown, args: readonly unknown[]) => unknown;

/** One routine of the table. */
export interface KernelRoutine {
  readonly name: string;
  readonly fn: (...args: never[]) => unknown;
  /** The kinds of its arguments, in order (ARG_KINDS in kernel-world.ts). */
  readonly args: readonly string[];
  /** What it makes, by kind: kept for later steps. */
  readonly returns?: Readonly<Record<string, Made>>;
}

const itself: Made = (v) => v;
const field =
  (name: string): Made =>
  (v) =>
    v !== null && typeof v === "object" ? (v as Record<string, unknown>)[name] : null;

/** A table entry. */
function r(name: string, fn: (...args: never[]) => unknown, args: readonly string[], returns?: Readonly<Record<string, Made>>): KernelRoutine {
  return returns ? { name, fn, args, returns } : { name, fn, args };
}

// ---- What a driver's own code does (not WDK routines, but what drivers do between them) --------

/** A driver's code reading and writing an IRP's members (only when it is handed an IRP). */
function TouchIrpFields(Irp: unknown): void {
  if (!(Irp instanceof wdm.IRP)) return;
  Irp.IoStatus.Status = wdm.STATUS_SUCCESS;
  Irp.IoStatus.Information = Irp.AssociatedIrp.SystemBuffer === 0 ? 0 : 4;
  Irp.Tail.Overlay.DriverContext[0] = Irp.Cancel;
  Irp.Tail.Overlay.DriverContext[1] = [Irp.MdlAddress, Irp.UserBuffer];
}

/** A driver's code reading its current stack location's parameters. */
function TouchStackLocation(Irp: unknown): void {
  if (!(Irp instanceof wdm.IRP)) return;
  const s = wdm.IoGetCurrentIrpStackLocation(Irp);
  Irp.Tail.Overlay.DriverContext[2] = [s.Parameters.DeviceIoControl.OutputBufferLength, s.Parameters.Read.Length, s.DeviceObject, s.FileObject];
  const next = wdm.IoGetNextIrpStackLocation(Irp);
  next.MajorFunction = s.MajorFunction;
  next.Parameters.DeviceIoControl.IoControlCode = s.Parameters.DeviceIoControl.IoControlCode;
}

/** ZwCreateSection for a pagefile-backed section (FileHandle NULL: file-backed sections are not built). */
function CreatePagefileSection(DesiredAccess: number, ObjectAttributes: wdm.OBJECT_ATTRIBUTES | null, MaximumSize: wdm.ZwSectionLargeInteger, SectionPageProtection: number, AllocationAttributes: number): unknown {
  return wdm.ZwCreateSection(DesiredAccess, ObjectAttributes, MaximumSize, SectionPageProtection, AllocationAttributes, null);
}

/** A driver's ObReferenceObjectByHandle(h, 0, *MmSectionObjectType, KernelMode): the section, or null. */
function ReferenceSection(Handle: number): unknown {
  return wdm.ObReferenceObjectByHandle(Handle, 0, wdm.MmSectionObjectType, wdm.KernelMode).Object;
}

/** Another processor kills the app (its pending requests are cancelled on the way out). */
function TerminateApp(w: KernelWorld): void {
  const app = w.app;
  if (!app || app.state !== "active") return;
  const io = w.m.io;
  let pending = 0;
  if (io) for (const irp of io.liveIrps) if (irp.Thread?.process === app && !irp.completed) pending++;
  w.coverage.pendingAtKill += pending;
  w.m.terminateProcess(app, 1, "killed by the property test");
}

/**
 * A driver taking a pended request off its queue (its cancel routine cleared, as a correct driver
 * does before working on it), working on it for a while — a cancel arriving meanwhile finds no
 * routine to call — and completing it with success: the cancel races the completion and loses.
 */
async function WorkOnRequest(Irp: unknown, Interval: unknown): Promise<void> {
  if (!(Irp instanceof wdm.IRP)) return;
  if (wdm.IoSetCancelRoutine(Irp, null) === null) return;
  await wdm.KeDelayExecutionThread(wdm.KernelMode, false, typeof Interval === "number" && Interval < 0 ? Interval : -20_000);
  Irp.IoStatus.Status = wdm.STATUS_SUCCESS;
  Irp.IoStatus.Information = 0;
  wdm.IoCompleteRequest(Irp, wdm.IO_NO_INCREMENT);
}

/** A driver keeping an IRP it was handed (for later steps). */
function KeepIrp(w: KernelWorld, Irp: unknown): void {
  w.keep("irp", Irp);
}

/** A driver keeping the MDL of an IRP it was handed. */
function KeepMdlOf(w: KernelWorld, Irp: unknown): void {
  if (Irp instanceof wdm.IRP) w.keep("mdl", Irp.MdlAddress);
}

/** A cancel-safe queue over a list head, as the WDK samples write one. */
function InitializeCsq(Csq: unknown, Head: unknown, Lock: unknown): number {
  const head = Head instanceof wdm.LIST_ENTRY ? (Head as wdm.LIST_ENTRY<wdm.IRP>) : new wdm.LIST_ENTRY<wdm.IRP>();
  const lock = Lock instanceof wdm.KSPIN_LOCK ? Lock : new wdm.KSPIN_LOCK();
  wdm.InitializeListHead(head);
  return wdm.IoCsqInitialize(
    Csq as wdm.IO_CSQ,
    function PropCsqInsert(_c, Irp) {
      wdm.InsertTailList(head, Irp.Tail.Overlay.ListEntry);
    },
    function PropCsqRemove(_c, Irp) {
      wdm.RemoveEntryList(Irp.Tail.Overlay.ListEntry);
    },
    function PropCsqPeek(_c, Irp) {
      const next = Irp ? Irp.Tail.Overlay.ListEntry.Flink : head.Flink;
      return next === head ? null : (next.container ?? null);
    },
    function PropCsqAcquire() {
      return wdm.KeAcquireSpinLock(lock);
    },
    function PropCsqRelease(_c, Irql) {
      wdm.KeReleaseSpinLock(lock, Irql);
    },
    function PropCsqCompleteCanceled(_c, Irp) {
      Irp.IoStatus.Status = wdm.STATUS_CANCELLED;
      wdm.IoCompleteRequest(Irp, wdm.IO_NO_INCREMENT);
    },
  );
}

/** A cancel-safe queue whose insert routine may refuse (IoCsqInitializeEx), as drivers that bound their queue write one. */
function InitializeCsqEx(Csq: unknown, Head: unknown, Lock: unknown): number {
  const head = Head instanceof wdm.LIST_ENTRY ? (Head as wdm.LIST_ENTRY<wdm.IRP>) : new wdm.LIST_ENTRY<wdm.IRP>();
  const lock = Lock instanceof wdm.KSPIN_LOCK ? Lock : new wdm.KSPIN_LOCK();
  wdm.InitializeListHead(head);
  return wdm.IoCsqInitializeEx(
    Csq as wdm.IO_CSQ,
    function PropCsqInsertEx(_c, Irp, InsertContext) {
      if (InsertContext === 1) return wdm.STATUS_DEVICE_BUSY;
      wdm.InsertTailList(head, Irp.Tail.Overlay.ListEntry);
      return wdm.STATUS_SUCCESS;
    },
    function PropCsqRemove(_c, Irp) {
      wdm.RemoveEntryList(Irp.Tail.Overlay.ListEntry);
    },
    function PropCsqPeek(_c, Irp) {
      const next = Irp ? Irp.Tail.Overlay.ListEntry.Flink : head.Flink;
      return next === head ? null : (next.container ?? null);
    },
    function PropCsqAcquire() {
      return wdm.KeAcquireSpinLock(lock);
    },
    function PropCsqRelease(_c, Irql) {
      wdm.KeReleaseSpinLock(lock, Irql);
    },
    function PropCsqCompleteCanceled(_c, Irp) {
      Irp.IoStatus.Status = wdm.STATUS_CANCELLED;
      wdm.IoCompleteRequest(Irp, wdm.IO_NO_INCREMENT);
    },
  );
}

/** A driver's C structure read over memory it was handed (CSTRUCT): a header of two ULONGs and a USHORT. */
const PROP_HEADER = wdm.CSTRUCT("PROP_HEADER", { Size: wdm.ULONG, Flags: wdm.ULONG, Kind: wdm.USHORT });

/** A driver's code reading a structure at an address (a user buffer, pool, garbage). */
function ReadStruct(Address: unknown): number {
  const h = PROP_HEADER.at(Address as number);
  return h.Size + h.Flags + h.Kind;
}

/** A driver's code writing a structure at an address. */
function WriteStruct(Address: unknown, Value: unknown): void {
  const h = PROP_HEADER.at(Address as number);
  h.Size = Value as number;
  h.Kind = 1;
}

/** Every routine the kernel-side property calls. */
export const kernelRoutines: readonly KernelRoutine[] = [
  // Pool
  r("ExAllocatePoolWithTag", wdm.ExAllocatePoolWithTag, ["poolType", "length", "tag"], { address: itself }),
  r("ExAllocatePool", wdm.ExAllocatePool, ["poolType", "length"], { address: itself }),
  r("ExFreePoolWithTag", wdm.ExFreePoolWithTag, ["address", "tag"]),
  r("ExFreePool", wdm.ExFreePool, ["address"]),
  // Memory
  r("RtlCopyMemory", wdm.RtlCopyMemory, ["address", "address", "length"]),
  r("RtlMoveMemory", wdm.RtlMoveMemory, ["address", "address", "length"]),
  r("RtlZeroMemory", wdm.RtlZeroMemory, ["address", "length"]),
  r("RtlFillMemory", wdm.RtlFillMemory, ["address", "length", "fill"]),
  r("RtlCompareMemory", wdm.RtlCompareMemory, ["address", "address", "length"]),
  r("RtlEqualMemory", wdm.RtlEqualMemory, ["address", "address", "length"]),
  r("readU8", wdm.readU8, ["address"]),
  r("readU16", wdm.readU16, ["address"]),
  r("readU32", wdm.readU32, ["address"]),
  r("writeU8", wdm.writeU8, ["address", "number"]),
  r("writeU16", wdm.writeU16, ["address", "number"]),
  r("writeU32", wdm.writeU32, ["address", "number"]),
  r("readBytes", wdm.readBytes, ["address", "length"]),
  r("writeBytes", wdm.writeBytes, ["address", "bytes"]),
  r("readAnsiString", wdm.readAnsiString, ["address", "length"]),
  r("writeAnsiString", wdm.writeAnsiString, ["address", "text"]),
  r("readWideString", wdm.readWideString, ["address", "length"]),
  r("writeWideString", wdm.writeWideString, ["address", "text"]),
  r("ProbeForRead", wdm.ProbeForRead, ["address", "length", "count"]),
  r("ProbeForWrite", wdm.ProbeForWrite, ["address", "length", "count"]),
  r("MmGetPhysicalAddress", wdm.MmGetPhysicalAddress, ["address"]),
  r("MmAllocateContiguousMemory", wdm.MmAllocateContiguousMemory, ["length", "address"], { address: itself }),
  r("MmFreeContiguousMemory", wdm.MmFreeContiguousMemory, ["address"]),
  // IRPs
  r("IoAllocateIrp", wdm.IoAllocateIrp, ["stackSize", "bool"], { irp: itself }),
  r("IoFreeIrp", wdm.IoFreeIrp, ["irp"]),
  r("IoCallDriver", wdm.IoCallDriver, ["device", "irp"]),
  r("IoCompleteRequest", wdm.IoCompleteRequest, ["irp", "boost"]),
  r("IoMarkIrpPending", wdm.IoMarkIrpPending, ["irp"]),
  r("IoGetCurrentIrpStackLocation", wdm.IoGetCurrentIrpStackLocation, ["irp"]),
  r("IoGetNextIrpStackLocation", wdm.IoGetNextIrpStackLocation, ["irp"]),
  r("IoCopyCurrentIrpStackLocationToNext", wdm.IoCopyCurrentIrpStackLocationToNext, ["irp"]),
  r("IoSkipCurrentIrpStackLocation", wdm.IoSkipCurrentIrpStackLocation, ["irp"]),
  r("IoSetCompletionRoutine", wdm.IoSetCompletionRoutine, ["irp", "completionRoutine", "context", "bool", "bool", "bool"]),
  r("IoSetCancelRoutine", wdm.IoSetCancelRoutine, ["irp", "cancelRoutine"]),
  r("IoCancelIrp", wdm.IoCancelIrp, ["irp"]),
  r("IoAcquireCancelSpinLock", wdm.IoAcquireCancelSpinLock, [], { irql: itself }),
  r("IoReleaseCancelSpinLock", wdm.IoReleaseCancelSpinLock, ["irql"]),
  r("IoBuildDeviceIoControlRequest", wdm.IoBuildDeviceIoControlRequest, ["ioctl", "device", "address", "length", "address", "length", "bool", "event", "iosb"], { irp: itself }),
  r("IoBuildSynchronousFsdRequest", wdm.IoBuildSynchronousFsdRequest, ["major", "device", "address", "length", "offset", "event", "iosb"], { irp: itself }),
  r("IoBuildAsynchronousFsdRequest", wdm.IoBuildAsynchronousFsdRequest, ["major", "device", "address", "length", "offset", "iosb"], { irp: itself }),
  r("IoGetRequestorProcess", wdm.IoGetRequestorProcess, ["irp"], { process: itself }),
  r("IoGetRequestorProcessId", wdm.IoGetRequestorProcessId, ["irp"]),
  r("IoIsOperationSynchronous", wdm.IoIsOperationSynchronous, ["irp"]),
  r("IoStartPacket", wdm.IoStartPacket, ["device", "irp", "key", "cancelRoutine"]),
  r("IoStartNextPacket", wdm.IoStartNextPacket, ["device", "bool"]),
  r("IoStartNextPacketByKey", wdm.IoStartNextPacketByKey, ["device", "bool", "key"]),
  r("(driver code) touch the IRP's members", TouchIrpFields, ["irp"]),
  r("(driver code) touch the stack locations", TouchStackLocation, ["irp"]),
  r("(driver code) take a request off the queue, work on it, complete it", WorkOnRequest, ["irp", "timeout"]),
  // MDLs
  r("IoAllocateMdl", wdm.IoAllocateMdl, ["address", "length", "bool", "bool", "irp"], { mdl: itself }),
  r("IoFreeMdl", wdm.IoFreeMdl, ["mdl"]),
  r("MmProbeAndLockPages", wdm.MmProbeAndLockPages, ["mdl", "mode", "operation"]),
  r("MmUnlockPages", wdm.MmUnlockPages, ["mdl"]),
  r("MmMapLockedPagesSpecifyCache", wdm.MmMapLockedPagesSpecifyCache, ["mdl", "mode", "cacheType", "address", "bool", "priority"], { address: itself }),
  r("MmGetSystemAddressForMdlSafe", wdm.MmGetSystemAddressForMdlSafe, ["mdl", "priority"], { address: itself }),
  r("MmUnmapLockedPages", wdm.MmUnmapLockedPages, ["address", "mdl"]),
  r("MmBuildMdlForNonPagedPool", wdm.MmBuildMdlForNonPagedPool, ["mdl"]),
  r("IoBuildPartialMdl", wdm.IoBuildPartialMdl, ["mdl", "mdl", "address", "length"]),
  r("MmGetMdlVirtualAddress", wdm.MmGetMdlVirtualAddress, ["mdl"], { address: itself }),
  r("MmGetMdlByteCount", wdm.MmGetMdlByteCount, ["mdl"]),
  r("MmGetMdlByteOffset", wdm.MmGetMdlByteOffset, ["mdl"]),
  r("MmGetMdlPfnArray", wdm.MmGetMdlPfnArray, ["mdl"]),
  r("MmInitializeMdl", wdm.MmInitializeMdl, ["mdl", "address", "length"]),
  // IRQL and spin locks
  r("KeRaiseIrql", wdm.KeRaiseIrql, ["irql"], { irql: itself }),
  r("KeLowerIrql", wdm.KeLowerIrql, ["irql"]),
  r("KeRaiseIrqlToDpcLevel", wdm.KeRaiseIrqlToDpcLevel, [], { irql: itself }),
  r("KeGetCurrentIrql", wdm.KeGetCurrentIrql, [], { irql: itself }),
  r("KeInitializeSpinLock", wdm.KeInitializeSpinLock, ["spinLock"]),
  r("KeAcquireSpinLock", wdm.KeAcquireSpinLock, ["spinLock"], { irql: itself }),
  r("KeReleaseSpinLock", wdm.KeReleaseSpinLock, ["spinLock", "irql"]),
  r("KeAcquireSpinLockAtDpcLevel", wdm.KeAcquireSpinLockAtDpcLevel, ["spinLock"]),
  r("KeReleaseSpinLockFromDpcLevel", wdm.KeReleaseSpinLockFromDpcLevel, ["spinLock"]),
  r("KeAcquireInStackQueuedSpinLock", wdm.KeAcquireInStackQueuedSpinLock, ["spinLock", "lockHandle"]),
  r("KeReleaseInStackQueuedSpinLock", wdm.KeReleaseInStackQueuedSpinLock, ["lockHandle"]),
  r("new KSPIN_LOCK", () => new wdm.KSPIN_LOCK(), [], { spinLock: itself }),
  // Dispatcher objects and waits
  r("new KEVENT", () => new wdm.KEVENT(), [], { event: itself }),
  r("KeInitializeEvent", wdm.KeInitializeEvent, ["event", "count", "bool"]),
  r("KeSetEvent", wdm.KeSetEvent, ["event", "boost", "bool"]),
  r("KeResetEvent", wdm.KeResetEvent, ["event"]),
  r("KeClearEvent", wdm.KeClearEvent, ["event"]),
  r("KeReadStateEvent", wdm.KeReadStateEvent, ["event"]),
  r("KePulseEvent", wdm.KePulseEvent, ["event", "boost", "bool"]),
  r("KeInitializeSemaphore", wdm.KeInitializeSemaphore, ["semaphore", "count", "count"]),
  r("KeReleaseSemaphore", wdm.KeReleaseSemaphore, ["semaphore", "boost", "count", "bool"]),
  r("KeInitializeMutex", wdm.KeInitializeMutex, ["mutex", "number"]),
  r("KeReleaseMutex", wdm.KeReleaseMutex, ["mutex", "bool"]),
  r("KeWaitForSingleObject", wdm.KeWaitForSingleObject, ["kobject", "waitReason", "mode", "bool", "timeout"]),
  r("KeWaitForMultipleObjects", wdm.KeWaitForMultipleObjects, ["waitables", "waitType", "waitReason", "mode", "bool", "timeout"]),
  r("KeDelayExecutionThread", wdm.KeDelayExecutionThread, ["mode", "bool", "timeout"]),
  // Timers and DPCs
  r("new KTIMER", () => new wdm.KTIMER(), [], { timer: itself }),
  r("KeInitializeTimer", wdm.KeInitializeTimer, ["timer"]),
  r("KeInitializeTimerEx", wdm.KeInitializeTimerEx, ["timer", "count"]),
  r("KeSetTimer", wdm.KeSetTimer, ["timer", "timeout", "dpc"]),
  r("KeSetTimerEx", wdm.KeSetTimerEx, ["timer", "timeout", "count", "dpc"]),
  r("KeCancelTimer", wdm.KeCancelTimer, ["timer"]),
  r("KeReadStateTimer", wdm.KeReadStateTimer, ["timer"]),
  r("new KDPC", () => new wdm.KDPC(), [], { dpc: itself }),
  r("KeInitializeDpc", wdm.KeInitializeDpc, ["dpc", "dpcRoutine", "context"]),
  r("KeInsertQueueDpc", wdm.KeInsertQueueDpc, ["dpc", "context", "context"]),
  r("KeRemoveQueueDpc", wdm.KeRemoveQueueDpc, ["dpc"]),
  r("KeQuerySystemTime", wdm.KeQuerySystemTime, []),
  r("KeQueryTickCount", wdm.KeQueryTickCount, []),
  r("KeQueryInterruptTime", wdm.KeQueryInterruptTime, []),
  // Regions, attach, APCs, queues
  r("KeEnterCriticalRegion", wdm.KeEnterCriticalRegion, []),
  r("KeLeaveCriticalRegion", wdm.KeLeaveCriticalRegion, []),
  r("KeEnterGuardedRegion", wdm.KeEnterGuardedRegion, []),
  r("KeLeaveGuardedRegion", wdm.KeLeaveGuardedRegion, []),
  r("KeAreApcsDisabled", wdm.KeAreApcsDisabled, []),
  r("KeStackAttachProcess", wdm.KeStackAttachProcess, ["process", "apcState"]),
  r("KeUnstackDetachProcess", wdm.KeUnstackDetachProcess, ["apcState"]),
  r("new KAPC", () => new wdm.KAPC(), [], { apc: itself }),
  r("KeInitializeApc", wdm.KeInitializeApc, ["apc", "thread", "count", "apcKernelRoutine", "context", "apcNormalRoutine", "mode", "context"]),
  r("KeInsertQueueApc", wdm.KeInsertQueueApc, ["apc", "context", "context", "boost"]),
  r("KeInitializeQueue", wdm.KeInitializeQueue, ["kqueue", "count"]),
  r("KeInsertQueue", wdm.KeInsertQueue, ["kqueue", "context"]),
  r("KeInsertHeadQueue", wdm.KeInsertHeadQueue, ["kqueue", "context"]),
  r("KeReadStateQueue", wdm.KeReadStateQueue, ["kqueue"]),
  r("KeRemoveQueue", wdm.KeRemoveQueue, ["kqueue", "mode", "timeout"]),
  r("KeRundownQueue", wdm.KeRundownQueue, ["kqueue"]),
  r("KeInitializeDeviceQueue", wdm.KeInitializeDeviceQueue, ["deviceQueue"]),
  r("new KDEVICE_QUEUE_ENTRY", (container: unknown) => new wdm.KDEVICE_QUEUE_ENTRY(container), ["context"], { deviceQueueEntry: itself }),
  r("KeInsertDeviceQueue", wdm.KeInsertDeviceQueue, ["deviceQueue", "deviceQueueEntry"]),
  r("KeInsertByKeyDeviceQueue", wdm.KeInsertByKeyDeviceQueue, ["deviceQueue", "deviceQueueEntry", "sortKey"]),
  r("KeRemoveDeviceQueue", wdm.KeRemoveDeviceQueue, ["deviceQueue"], { deviceQueueEntry: itself }),
  r("KeRemoveByKeyDeviceQueue", wdm.KeRemoveByKeyDeviceQueue, ["deviceQueue", "sortKey"], { deviceQueueEntry: itself }),
  r("KeRemoveEntryDeviceQueue", wdm.KeRemoveEntryDeviceQueue, ["deviceQueue", "deviceQueueEntry"]),
  // Lists
  r("new LIST_ENTRY", (container: unknown) => new wdm.LIST_ENTRY(container), ["context"], { listEntry: itself }),
  r("InitializeListHead", wdm.InitializeListHead, ["listHead"]),
  r("InsertTailList", wdm.InsertTailList, ["listHead", "listEntry"]),
  r("InsertHeadList", wdm.InsertHeadList, ["listHead", "listEntry"]),
  r("RemoveEntryList", wdm.RemoveEntryList, ["listEntry"]),
  r("RemoveHeadList", wdm.RemoveHeadList, ["listHead"], { listEntry: itself }),
  r("RemoveTailList", wdm.RemoveTailList, ["listHead"], { listEntry: itself }),
  r("IsListEmpty", wdm.IsListEmpty, ["listHead"]),
  // Executive, processes, objects
  r("ExInitializeWorkItem", wdm.ExInitializeWorkItem, ["workItem", "workRoutine", "context"]),
  r("ExQueueWorkItem", wdm.ExQueueWorkItem, ["workItem", "count"]),
  r("ExGetPreviousMode", wdm.ExGetPreviousMode, []),
  r("ExRaiseStatus", wdm.ExRaiseStatus, ["status"]),
  r("PsCreateSystemThread", wdm.PsCreateSystemThread, ["startRoutine", "context"], { handle: field("ThreadHandle") }),
  r("PsGetCurrentProcess", wdm.PsGetCurrentProcess, [], { process: itself }),
  r("PsGetCurrentThread", wdm.PsGetCurrentThread, [], { thread: itself }),
  r("PsGetCurrentProcessId", wdm.PsGetCurrentProcessId, []),
  r("PsGetProcessId", wdm.PsGetProcessId, ["process"]),
  r("PsIsSystemThread", wdm.PsIsSystemThread, ["thread"]),
  r("ObReferenceObjectByHandle", wdm.ObReferenceObjectByHandle, ["handle", "access", "objectType", "mode"], { thread: field("Object") }),
  r("ObReferenceObject", wdm.ObReferenceObject, ["kobject"]),
  r("ObDereferenceObject", wdm.ObDereferenceObject, ["kobject"]),
  r("ZwClose", wdm.ZwClose, ["handle"]),
  // Devices, links, cancel-safe queues, interrupts
  r("IoCreateDevice", wdm.IoCreateDevice, ["driver", "context", "deviceName", "number", "number", "bool"], { device: field("DeviceObject") }),
  r("IoDeleteDevice", wdm.IoDeleteDevice, ["device"]),
  r("IoCreateSymbolicLink", wdm.IoCreateSymbolicLink, ["linkName", "deviceName"]),
  r("IoDeleteSymbolicLink", wdm.IoDeleteSymbolicLink, ["linkName"]),
  r("IoAttachDeviceToDeviceStack", wdm.IoAttachDeviceToDeviceStack, ["device", "device"], { device: itself }),
  r("IoDetachDevice", wdm.IoDetachDevice, ["device"]),
  r("IoGetAttachedDevice", wdm.IoGetAttachedDevice, ["device"], { device: itself }),
  r("(driver code) initialise a cancel-safe queue", InitializeCsq, ["csq", "listHead", "spinLock"]),
  r("IoCsqInsertIrp", wdm.IoCsqInsertIrp, ["csq", "irp", "csqContext"]),
  r("IoCsqRemoveIrp", wdm.IoCsqRemoveIrp, ["csq", "csqContext"], { irp: itself }),
  r("IoCsqRemoveNextIrp", wdm.IoCsqRemoveNextIrp, ["csq", "context"], { irp: itself }),
  r("new IO_CSQ_IRP_CONTEXT", () => new wdm.IO_CSQ_IRP_CONTEXT(), [], { csqContext: itself }),
  r("IoConnectInterrupt", wdm.IoConnectInterrupt, ["serviceRoutine", "context", "spinLock", "number", "irql", "irql", "count", "bool", "count", "bool"], { interrupt: field("InterruptObject") }),
  r("IoDisconnectInterrupt", wdm.IoDisconnectInterrupt, ["interrupt"]),
  r("KeSynchronizeExecution", wdm.KeSynchronizeExecution, ["interrupt", "serviceRoutine", "context"]),
  r("DbgPrint", wdm.DbgPrint, ["text"]),
  // ---- Added after the WDM merge (issue 17 A): work items, interlocked ops and lists, DPC control,
  // lookaside lists, remove locks, executive locks, kernel handles, Ob/Ps, IRP reuse, pool flags,
  // structures over memory, counted strings, ntstrsafe, DbgPrintEx, secure devices, PnP interfaces.
  // I/O work items
  r("IoAllocateWorkItem", wdm.IoAllocateWorkItem, ["device"], { ioWorkItem: itself }),
  r("IoFreeWorkItem", wdm.IoFreeWorkItem, ["ioWorkItem"]),
  r("IoQueueWorkItem", wdm.IoQueueWorkItem, ["ioWorkItem", "ioWorkRoutine", "queueType", "context"]),
  r("IoQueueWorkItemEx", wdm.IoQueueWorkItemEx, ["ioWorkItem", "ioWorkRoutineEx", "queueType", "context"]),
  r("IoSizeofWorkItem", wdm.IoSizeofWorkItem, []),
  r("IoInitializeWorkItem", wdm.IoInitializeWorkItem, ["ioObject", "ioWorkItemStorage"], { ioWorkItem: (_v, a) => a[1] }),
  r("IoUninitializeWorkItem", wdm.IoUninitializeWorkItem, ["ioWorkItem"]),
  // Interlocked operations and lists
  r("InterlockedIncrement", wdm.InterlockedIncrement, ["plong"]),
  r("InterlockedDecrement", wdm.InterlockedDecrement, ["plong"]),
  r("InterlockedExchange", wdm.InterlockedExchange, ["plong", "number"]),
  r("InterlockedExchangeAdd", wdm.InterlockedExchangeAdd, ["plong", "number"]),
  r("InterlockedAdd", wdm.InterlockedAdd, ["plong", "number"]),
  r("InterlockedCompareExchange", wdm.InterlockedCompareExchange, ["plong", "number", "number"]),
  r("InterlockedOr", wdm.InterlockedOr, ["plong", "number"]),
  r("InterlockedAnd", wdm.InterlockedAnd, ["plong", "number"]),
  r("InterlockedXor", wdm.InterlockedXor, ["plong", "number"]),
  r("InterlockedExchangePointer", wdm.InterlockedExchangePointer, ["plong", "context"]),
  r("InterlockedCompareExchangePointer", wdm.InterlockedCompareExchangePointer, ["plong", "context", "context"]),
  r("new SINGLE_LIST_ENTRY", (container: unknown) => new wdm.SINGLE_LIST_ENTRY(container), ["context"], { singleEntry: itself }),
  r("PushEntryList", wdm.PushEntryList, ["singleEntry", "singleEntry"]),
  r("PopEntryList", wdm.PopEntryList, ["singleEntry"], { singleEntry: itself }),
  r("InitializeSListHead", wdm.InitializeSListHead, ["slistHeader"]),
  r("QueryDepthSList", wdm.QueryDepthSList, ["slistHeader"]),
  r("ExQueryDepthSList", wdm.ExQueryDepthSList, ["slistHeader"]),
  r("InterlockedPushEntrySList", wdm.InterlockedPushEntrySList, ["slistHeader", "singleEntry"], { singleEntry: itself }),
  r("InterlockedPopEntrySList", wdm.InterlockedPopEntrySList, ["slistHeader"], { singleEntry: itself }),
  r("InterlockedFlushSList", wdm.InterlockedFlushSList, ["slistHeader"], { singleEntry: itself }),
  r("ExInterlockedPushEntrySList", wdm.ExInterlockedPushEntrySList, ["slistHeader", "singleEntry", "spinLock"]),
  r("ExInterlockedPopEntrySList", wdm.ExInterlockedPopEntrySList, ["slistHeader", "spinLock"], { singleEntry: itself }),
  r("ExInterlockedFlushSList", wdm.ExInterlockedFlushSList, ["slistHeader"]),
  r("ExInterlockedInsertHeadList", wdm.ExInterlockedInsertHeadList, ["listHead", "listEntry", "spinLock"]),
  r("ExInterlockedInsertTailList", wdm.ExInterlockedInsertTailList, ["listHead", "listEntry", "spinLock"]),
  r("ExInterlockedRemoveHeadList", wdm.ExInterlockedRemoveHeadList, ["listHead", "spinLock"], { listEntry: itself }),
  r("ExInterlockedPushEntryList", wdm.ExInterlockedPushEntryList, ["singleEntry", "singleEntry", "spinLock"]),
  r("ExInterlockedPopEntryList", wdm.ExInterlockedPopEntryList, ["singleEntry", "spinLock"], { singleEntry: itself }),
  // DPC control, processors, threads, time
  r("KeFlushQueuedDpcs", wdm.KeFlushQueuedDpcs, []),
  r("KeSetImportanceDpc", wdm.KeSetImportanceDpc, ["dpc", "number"]),
  r("KeSetTargetProcessorDpc", wdm.KeSetTargetProcessorDpc, ["dpc", "number"]),
  r("KeGetCurrentProcessorNumber", wdm.KeGetCurrentProcessorNumber, []),
  r("KeQueryActiveProcessorCount", wdm.KeQueryActiveProcessorCount, ["inOut"]),
  r("KeGetCurrentThread", wdm.KeGetCurrentThread, [], { thread: itself }),
  r("KeAcquireSpinLockRaiseToDpc", wdm.KeAcquireSpinLockRaiseToDpc, ["spinLock"], { irql: itself }),
  r("KeSetPriorityThread", wdm.KeSetPriorityThread, ["thread", "number"]),
  r("KeQueryPriorityThread", wdm.KeQueryPriorityThread, ["thread"]),
  r("KeStallExecutionProcessor", wdm.KeStallExecutionProcessor, ["number"]),
  r("KeQueryPerformanceCounter", wdm.KeQueryPerformanceCounter, ["largeInteger"]),
  r("KeQueryTimeIncrement", wdm.KeQueryTimeIncrement, []),
  r("KeQuerySystemTimePrecise", wdm.KeQuerySystemTimePrecise, []),
  r("KeQueryInterruptTimePrecise", wdm.KeQueryInterruptTimePrecise, ["inOut"]),
  // Lookaside lists
  r("new NPAGED_LOOKASIDE_LIST", () => new wdm.NPAGED_LOOKASIDE_LIST(), [], { lookaside: itself }),
  r("new PAGED_LOOKASIDE_LIST", () => new wdm.PAGED_LOOKASIDE_LIST(), [], { lookaside: itself }),
  r("new LOOKASIDE_LIST_EX", () => new wdm.LOOKASIDE_LIST_EX(), [], { lookaside: itself }),
  r("ExInitializeNPagedLookasideList", wdm.ExInitializeNPagedLookasideList, ["lookaside", "allocateFunction", "freeFunction", "number", "length", "tag", "count"]),
  r("ExAllocateFromNPagedLookasideList", wdm.ExAllocateFromNPagedLookasideList, ["lookaside"], { address: itself }),
  r("ExFreeToNPagedLookasideList", wdm.ExFreeToNPagedLookasideList, ["lookaside", "address"]),
  r("ExDeleteNPagedLookasideList", wdm.ExDeleteNPagedLookasideList, ["lookaside"]),
  r("ExInitializePagedLookasideList", wdm.ExInitializePagedLookasideList, ["lookaside", "allocateFunction", "freeFunction", "number", "length", "tag", "count"]),
  r("ExAllocateFromPagedLookasideList", wdm.ExAllocateFromPagedLookasideList, ["lookaside"], { address: itself }),
  r("ExFreeToPagedLookasideList", wdm.ExFreeToPagedLookasideList, ["lookaside", "address"]),
  r("ExDeletePagedLookasideList", wdm.ExDeletePagedLookasideList, ["lookaside"]),
  r("ExInitializeLookasideListEx", wdm.ExInitializeLookasideListEx, ["lookaside", "allocateFunctionEx", "freeFunctionEx", "poolType", "number", "length", "tag", "count"]),
  r("ExAllocateFromLookasideListEx", wdm.ExAllocateFromLookasideListEx, ["lookaside"], { address: itself }),
  r("ExFreeToLookasideListEx", wdm.ExFreeToLookasideListEx, ["lookaside", "address"]),
  r("ExFlushLookasideListEx", wdm.ExFlushLookasideListEx, ["lookaside"]),
  r("ExDeleteLookasideListEx", wdm.ExDeleteLookasideListEx, ["lookaside"]),
  // Remove locks
  r("new IO_REMOVE_LOCK", () => new wdm.IO_REMOVE_LOCK(), [], { removeLock: itself }),
  r("IoInitializeRemoveLock", wdm.IoInitializeRemoveLock, ["removeLock", "tag", "number", "number"]),
  r("IoAcquireRemoveLock", wdm.IoAcquireRemoveLock, ["removeLock", "context"]),
  r("IoReleaseRemoveLock", wdm.IoReleaseRemoveLock, ["removeLock", "context"]),
  r("IoReleaseRemoveLockAndWait", wdm.IoReleaseRemoveLockAndWait, ["removeLock", "context"]),
  // Fast and guarded mutexes, resources, push locks, run-down protection
  r("new FAST_MUTEX", () => new wdm.FAST_MUTEX(), [], { fastMutex: itself }),
  r("ExInitializeFastMutex", wdm.ExInitializeFastMutex, ["fastMutex"]),
  r("ExAcquireFastMutex", wdm.ExAcquireFastMutex, ["fastMutex"]),
  r("ExTryToAcquireFastMutex", wdm.ExTryToAcquireFastMutex, ["fastMutex"]),
  r("ExReleaseFastMutex", wdm.ExReleaseFastMutex, ["fastMutex"]),
  r("ExAcquireFastMutexUnsafe", wdm.ExAcquireFastMutexUnsafe, ["fastMutex"]),
  r("ExReleaseFastMutexUnsafe", wdm.ExReleaseFastMutexUnsafe, ["fastMutex"]),
  r("new KGUARDED_MUTEX", () => new wdm.KGUARDED_MUTEX(), [], { guardedMutex: itself }),
  r("KeInitializeGuardedMutex", wdm.KeInitializeGuardedMutex, ["guardedMutex"]),
  r("KeAcquireGuardedMutex", wdm.KeAcquireGuardedMutex, ["guardedMutex"]),
  r("KeTryToAcquireGuardedMutex", wdm.KeTryToAcquireGuardedMutex, ["guardedMutex"]),
  r("KeReleaseGuardedMutex", wdm.KeReleaseGuardedMutex, ["guardedMutex"]),
  r("KeAcquireGuardedMutexUnsafe", wdm.KeAcquireGuardedMutexUnsafe, ["guardedMutex"]),
  r("KeReleaseGuardedMutexUnsafe", wdm.KeReleaseGuardedMutexUnsafe, ["guardedMutex"]),
  r("new ERESOURCE", () => new wdm.ERESOURCE(), [], { resource: itself }),
  r("ExInitializeResourceLite", wdm.ExInitializeResourceLite, ["resource"]),
  r("ExReinitializeResourceLite", wdm.ExReinitializeResourceLite, ["resource"]),
  r("ExDeleteResourceLite", wdm.ExDeleteResourceLite, ["resource"]),
  r("ExAcquireResourceExclusiveLite", wdm.ExAcquireResourceExclusiveLite, ["resource", "bool"]),
  r("ExAcquireResourceSharedLite", wdm.ExAcquireResourceSharedLite, ["resource", "bool"]),
  r("ExAcquireSharedStarveExclusive", wdm.ExAcquireSharedStarveExclusive, ["resource", "bool"]),
  r("ExEnterCriticalRegionAndAcquireResourceExclusive", wdm.ExEnterCriticalRegionAndAcquireResourceExclusive, ["resource"]),
  r("ExReleaseResourceLite", wdm.ExReleaseResourceLite, ["resource"]),
  r("ExReleaseResourceForThreadLite", wdm.ExReleaseResourceForThreadLite, ["resource", "thread"]),
  r("ExReleaseResourceAndLeaveCriticalRegion", wdm.ExReleaseResourceAndLeaveCriticalRegion, ["resource"]),
  r("ExGetCurrentResourceThread", wdm.ExGetCurrentResourceThread, [], { thread: itself }),
  r("ExConvertExclusiveToSharedLite", wdm.ExConvertExclusiveToSharedLite, ["resource"]),
  r("ExIsResourceAcquiredExclusiveLite", wdm.ExIsResourceAcquiredExclusiveLite, ["resource"]),
  r("ExIsResourceAcquiredSharedLite", wdm.ExIsResourceAcquiredSharedLite, ["resource"]),
  r("ExIsResourceAcquiredLite", wdm.ExIsResourceAcquiredLite, ["resource"]),
  r("ExGetExclusiveWaiterCount", wdm.ExGetExclusiveWaiterCount, ["resource"]),
  r("ExGetSharedWaiterCount", wdm.ExGetSharedWaiterCount, ["resource"]),
  r("new EX_PUSH_LOCK", () => new wdm.EX_PUSH_LOCK(), [], { pushLock: itself }),
  r("ExInitializePushLock", wdm.ExInitializePushLock, ["pushLock"]),
  r("ExAcquirePushLockExclusive", wdm.ExAcquirePushLockExclusive, ["pushLock"]),
  r("ExAcquirePushLockSharedEx", wdm.ExAcquirePushLockSharedEx, ["pushLock", "number"]),
  r("ExReleasePushLockExclusive", wdm.ExReleasePushLockExclusive, ["pushLock"]),
  r("ExReleasePushLockSharedEx", wdm.ExReleasePushLockSharedEx, ["pushLock", "number"]),
  r("ExReleasePushLock", wdm.ExReleasePushLock, ["pushLock"]),
  r("new EX_RUNDOWN_REF", () => new wdm.EX_RUNDOWN_REF(), [], { rundownRef: itself }),
  r("ExInitializeRundownProtection", wdm.ExInitializeRundownProtection, ["rundownRef"]),
  r("ExReInitializeRundownProtection", wdm.ExReInitializeRundownProtection, ["rundownRef"]),
  r("ExAcquireRundownProtection", wdm.ExAcquireRundownProtection, ["rundownRef"]),
  r("ExAcquireRundownProtectionEx", wdm.ExAcquireRundownProtectionEx, ["rundownRef", "count"]),
  r("ExReleaseRundownProtection", wdm.ExReleaseRundownProtection, ["rundownRef"]),
  r("ExReleaseRundownProtectionEx", wdm.ExReleaseRundownProtectionEx, ["rundownRef", "count"]),
  r("ExWaitForRundownProtectionRelease", wdm.ExWaitForRundownProtectionRelease, ["rundownRef"]),
  r("ExRundownCompleted", wdm.ExRundownCompleted, ["rundownRef"]),
  // Kernel handles: Zw*, OBJECT_ATTRIBUTES
  r("new OBJECT_ATTRIBUTES", () => new wdm.OBJECT_ATTRIBUTES(), [], { objectAttributes: itself }),
  r("InitializeObjectAttributes", wdm.InitializeObjectAttributes, ["objectAttributes", "objectName", "number", "handle", "context"]),
  r("ZwCreateEvent", wdm.ZwCreateEvent, ["access", "objectAttributes", "count", "bool"], { handle: field("EventHandle") }),
  r("ZwOpenEvent", wdm.ZwOpenEvent, ["access", "objectAttributes"], { handle: field("EventHandle") }),
  r("ZwSetEvent", wdm.ZwSetEvent, ["handle", "inOut"]),
  r("ZwClearEvent", wdm.ZwClearEvent, ["handle"]),
  r("ZwResetEvent", wdm.ZwResetEvent, ["handle", "inOut"]),
  r("ZwWaitForSingleObject", wdm.ZwWaitForSingleObject, ["handle", "bool", "timeout"]),
  r("ZwWaitForMultipleObjects", wdm.ZwWaitForMultipleObjects, ["count", "handles", "count", "bool", "timeout"]),
  r("ZwDuplicateObject", wdm.ZwDuplicateObject, ["processHandle", "handle", "processHandle", "access", "number", "number"], { handle: field("TargetHandle") }),
  r("IoCreateNotificationEvent", wdm.IoCreateNotificationEvent, ["objectName"], { event: field("Event"), handle: field("EventHandle") }),
  r("IoCreateSynchronizationEvent", wdm.IoCreateSynchronizationEvent, ["objectName"], { event: field("Event"), handle: field("EventHandle") }),
  // Ob and Ps
  r("ObReferenceObjectWithTag", wdm.ObReferenceObjectWithTag, ["kobject", "tag"]),
  r("ObDereferenceObjectWithTag", wdm.ObDereferenceObjectWithTag, ["kobject", "tag"]),
  r("ObReferenceObjectByPointer", wdm.ObReferenceObjectByPointer, ["kobject", "access", "objectType", "mode"]),
  r("ObOpenObjectByPointer", wdm.ObOpenObjectByPointer, ["kobject", "number", "context", "access", "objectType", "mode"], { handle: field("Handle") }),
  r("ObGetObjectType", wdm.ObGetObjectType, ["kobject"]),
  r("PsGetCurrentThreadId", wdm.PsGetCurrentThreadId, []),
  r("PsGetThreadId", wdm.PsGetThreadId, ["thread"]),
  r("PsGetThreadProcessId", wdm.PsGetThreadProcessId, ["thread"]),
  r("PsGetThreadProcess", wdm.PsGetThreadProcess, ["thread"], { process: itself }),
  r("PsLookupProcessByProcessId", wdm.PsLookupProcessByProcessId, ["clientId"], { process: field("Process") }),
  r("PsLookupThreadByThreadId", wdm.PsLookupThreadByThreadId, ["clientId"], { thread: field("Thread") }),
  r("PsSetCreateProcessNotifyRoutine", wdm.PsSetCreateProcessNotifyRoutine, ["notifyRoutine", "bool"]),
  r("PsSetCreateProcessNotifyRoutineEx", wdm.PsSetCreateProcessNotifyRoutineEx, ["notifyRoutineEx", "bool"]),
  // IRP reuse and association
  r("IoSizeOfIrp", wdm.IoSizeOfIrp, ["stackSize"]),
  r("IoInitializeIrp", wdm.IoInitializeIrp, ["irpStorage", "length", "stackSize"], { irp: itself }),
  r("IoReuseIrp", wdm.IoReuseIrp, ["irp", "status"]),
  r("IoMakeAssociatedIrp", wdm.IoMakeAssociatedIrp, ["irp", "stackSize"], { irp: itself }),
  r("IoGetRelatedDeviceObject", wdm.IoGetRelatedDeviceObject, ["fileObject"], { device: itself }),
  // Pool flags
  r("ExAllocatePool2", wdm.ExAllocatePool2, ["poolFlags", "length", "tag"], { address: itself }),
  r("ExAllocatePool3", wdm.ExAllocatePool3, ["poolFlags", "length", "tag", "poolParameters", "count"], { address: itself }),
  r("ExAllocatePoolZero", wdm.ExAllocatePoolZero, ["poolType", "length", "tag"], { address: itself }),
  r("ExAllocatePoolUninitialized", wdm.ExAllocatePoolUninitialized, ["poolType", "length", "tag"], { address: itself }),
  r("ExAllocatePoolWithQuotaTag", wdm.ExAllocatePoolWithQuotaTag, ["poolType", "length", "tag"], { address: itself }),
  r("ExAllocatePoolQuotaZero", wdm.ExAllocatePoolQuotaZero, ["poolType", "length", "tag"], { address: itself }),
  r("ExAllocatePoolQuotaUninitialized", wdm.ExAllocatePoolQuotaUninitialized, ["poolType", "length", "tag"], { address: itself }),
  r("MmAllocateContiguousMemorySpecifyCache", wdm.MmAllocateContiguousMemorySpecifyCache, ["length", "address", "address", "address", "cacheType"], { address: itself }),
  r("MmFreeContiguousMemorySpecifyCache", wdm.MmFreeContiguousMemorySpecifyCache, ["address", "length", "cacheType"]),
  r("MmMapLockedPages", wdm.MmMapLockedPages, ["mdl", "mode"], { address: itself }),
  // Structures over memory, 64-bit values
  r("(driver code) read a CSTRUCT over memory", ReadStruct, ["address"]),
  r("(driver code) write a CSTRUCT over memory", WriteStruct, ["address", "number"]),
  r("readU64", wdm.readU64, ["address"]),
  r("readI64", wdm.readI64, ["address"]),
  r("writeU64", wdm.writeU64, ["address", "bigint"]),
  r("writeI64", wdm.writeI64, ["address", "bigint"]),
  r("RtlCopyBytes", wdm.RtlCopyBytes, ["address", "address", "length"]),
  r("RtlFillBytes", wdm.RtlFillBytes, ["address", "length", "fill"]),
  r("RtlZeroBytes", wdm.RtlZeroBytes, ["address", "length"]),
  // Counted strings
  r("new UNICODE_STRING (a local, or one in memory)", (address: unknown) => (typeof address === "number" && address !== 0 ? wdm.UNICODE_STRING.at(address) : new wdm.UNICODE_STRING()), ["structAddress"], { unicodeString: itself }),
  r("new ANSI_STRING (a local, or one in memory)", (address: unknown) => (typeof address === "number" && address !== 0 ? wdm.ANSI_STRING.at(address) : new wdm.ANSI_STRING()), ["structAddress"], { ansiString: itself }),
  r("RtlInitUnicodeString", wdm.RtlInitUnicodeString, ["unicodeString", "strSource"]),
  r("RtlInitAnsiString", wdm.RtlInitAnsiString, ["ansiString", "strSource"]),
  r("RtlInitString", wdm.RtlInitString, ["ansiString", "strSource"]),
  r("RtlInitEmptyUnicodeString", wdm.RtlInitEmptyUnicodeString, ["unicodeString", "address", "length"]),
  r("RtlInitEmptyAnsiString", wdm.RtlInitEmptyAnsiString, ["ansiString", "address", "length"]),
  r("RtlCopyUnicodeString", wdm.RtlCopyUnicodeString, ["unicodeString", "unicodeString"]),
  r("RtlCopyString", wdm.RtlCopyString, ["ansiString", "ansiString"]),
  r("RtlCompareUnicodeString", wdm.RtlCompareUnicodeString, ["unicodeString", "unicodeString", "bool"]),
  r("RtlEqualUnicodeString", wdm.RtlEqualUnicodeString, ["unicodeString", "unicodeString", "bool"]),
  r("RtlCompareString", wdm.RtlCompareString, ["ansiString", "ansiString", "bool"]),
  r("RtlEqualString", wdm.RtlEqualString, ["ansiString", "ansiString", "bool"]),
  r("RtlPrefixUnicodeString", wdm.RtlPrefixUnicodeString, ["unicodeString", "unicodeString", "bool"]),
  r("RtlUpcaseUnicodeChar", wdm.RtlUpcaseUnicodeChar, ["number"]),
  r("RtlAppendUnicodeToString", wdm.RtlAppendUnicodeToString, ["unicodeString", "strSource"]),
  r("RtlAppendUnicodeStringToString", wdm.RtlAppendUnicodeStringToString, ["unicodeString", "unicodeString"]),
  r("RtlUnicodeStringToAnsiString", wdm.RtlUnicodeStringToAnsiString, ["ansiString", "unicodeString", "bool"]),
  r("RtlAnsiStringToUnicodeString", wdm.RtlAnsiStringToUnicodeString, ["unicodeString", "ansiString", "bool"]),
  r("RtlUnicodeStringToAnsiSize", wdm.RtlUnicodeStringToAnsiSize, ["unicodeString"]),
  r("RtlAnsiStringToUnicodeSize", wdm.RtlAnsiStringToUnicodeSize, ["ansiString"]),
  r("RtlFreeUnicodeString", wdm.RtlFreeUnicodeString, ["unicodeString"]),
  r("RtlFreeAnsiString", wdm.RtlFreeAnsiString, ["ansiString"]),
  r("unicodeStringText", wdm.unicodeStringText, ["unicodeString"]),
  r("ansiStringText", wdm.ansiStringText, ["ansiString"]),
  // ntstrsafe
  r("RtlStringCbCopyW", wdm.RtlStringCbCopyW, ["address", "length", "strSource"]),
  r("RtlStringCbCopyA", wdm.RtlStringCbCopyA, ["address", "length", "strSource"]),
  r("RtlStringCchCopyW", wdm.RtlStringCchCopyW, ["address", "length", "strSource"]),
  r("RtlStringCchCopyA", wdm.RtlStringCchCopyA, ["address", "length", "strSource"]),
  r("RtlStringCbPrintfW", wdm.RtlStringCbPrintfW, ["address", "length", "format", "printfArg", "printfArg"]),
  r("RtlStringCbPrintfA", wdm.RtlStringCbPrintfA, ["address", "length", "format", "printfArg", "printfArg"]),
  r("RtlStringCchPrintfW", wdm.RtlStringCchPrintfW, ["address", "length", "format", "printfArg", "printfArg"]),
  r("RtlStringCchPrintfA", wdm.RtlStringCchPrintfA, ["address", "length", "format", "printfArg", "printfArg"]),
  r("RtlStringCbLengthW", wdm.RtlStringCbLengthW, ["strSource", "length", "sizeOut"]),
  r("RtlStringCbLengthA", wdm.RtlStringCbLengthA, ["strSource", "length", "sizeOut"]),
  r("RtlStringCchLengthW", wdm.RtlStringCchLengthW, ["strSource", "length", "sizeOut"]),
  r("RtlStringCchLengthA", wdm.RtlStringCchLengthA, ["strSource", "length", "sizeOut"]),
  r("RtlUnicodeStringPrintf", wdm.RtlUnicodeStringPrintf, ["unicodeString", "format", "printfArg", "printfArg"]),
  // The event log
  r("IoAllocateErrorLogEntry", wdm.IoAllocateErrorLogEntry, ["device", "length"], { address: itself }),
  r("IoWriteErrorLogEntry", wdm.IoWriteErrorLogEntry, ["address"]),
  r("IoFreeErrorLogEntry", wdm.IoFreeErrorLogEntry, ["address"]),
  r("IoSetCompletionRoutineEx", wdm.IoSetCompletionRoutineEx, ["device", "irp", "completionRoutine", "context", "bool", "bool", "bool"]),
  r("IoGetAttachedDeviceReference", wdm.IoGetAttachedDeviceReference, ["device"]),
  r("KeGetCurrentProcessorNumberEx", wdm.KeGetCurrentProcessorNumberEx, ["address"]),
  // Number conversions, case, ntstrsafe's counted copies (and the allocating RtlCreateUnicodeString)
  r("RtlCreateUnicodeString", wdm.RtlCreateUnicodeString, ["unicodeString", "strSource"]),
  r("RtlIntegerToUnicodeString", wdm.RtlIntegerToUnicodeString, ["number", "number", "unicodeString"]),
  r("RtlInt64ToUnicodeString", wdm.RtlInt64ToUnicodeString, ["number", "number", "unicodeString"]),
  r("RtlUnicodeStringToInteger", wdm.RtlUnicodeStringToInteger, ["unicodeString", "number", "sizeOut"]),
  r("RtlCharToInteger", wdm.RtlCharToInteger, ["strSource", "number", "sizeOut"]),
  r("RtlUpcaseUnicodeString", wdm.RtlUpcaseUnicodeString, ["unicodeString", "unicodeString", "bool"]),
  r("RtlDowncaseUnicodeString", wdm.RtlDowncaseUnicodeString, ["unicodeString", "unicodeString", "bool"]),
  r("RtlUnicodeStringCopy", wdm.RtlUnicodeStringCopy, ["unicodeString", "unicodeString"]),
  r("RtlUnicodeStringCat", wdm.RtlUnicodeStringCat, ["unicodeString", "unicodeString"]),
  // Debug output
  r("DbgPrint (a format)", wdm.DbgPrint, ["format", "printfArg", "printfArg"]),
  r("DbgPrintEx", wdm.DbgPrintEx, ["componentId", "number", "format", "printfArg", "printfArg"]),
  r("DbgSetDebugFilterState", wdm.DbgSetDebugFilterState, ["componentId", "number", "bool"]),
  r("DbgQueryDebugFilterState", wdm.DbgQueryDebugFilterState, ["componentId", "number"]),
  // Secure devices, PnP device interfaces
  r("IoCreateDeviceSecure", wdm.IoCreateDeviceSecure, ["driver", "context", "deviceName", "number", "number", "bool", "sddl", "guid"], { device: field("DeviceObject") }),
  r("IoRegisterDeviceInterface", wdm.IoRegisterDeviceInterface, ["device", "guid", "referenceString"], { interfaceLink: field("SymbolicLinkName") }),
  r("IoSetDeviceInterfaceState", wdm.IoSetDeviceInterfaceState, ["interfaceLink", "bool"]),
  r("IoGetDeviceInterfaces", wdm.IoGetDeviceInterfaces, ["guid"]),
  r("(driver code) initialise a cancel-safe queue (Ex)", InitializeCsqEx, ["csq", "listHead", "spinLock"]),
  r("IoCsqInsertIrpEx", wdm.IoCsqInsertIrpEx, ["csq", "irp", "csqContext", "context"]),
  // Sharing memory: driver-allocated pages, sections and views, secured ranges (memshare)
  r("MmAllocatePagesForMdl", wdm.MmAllocatePagesForMdl, ["address", "address", "address", "length"], { mdl: itself }),
  r("MmAllocatePagesForMdlEx", wdm.MmAllocatePagesForMdlEx, ["address", "address", "address", "length", "cacheType", "count"], { mdl: itself }),
  r("MmFreePagesFromMdl", wdm.MmFreePagesFromMdl, ["mdl"]),
  r("ZwCreateSection", CreatePagefileSection, ["access", "objectAttributes", "sectionSize", "pageProtection", "sectionAttributes"], { handle: field("SectionHandle") }),
  r("ZwOpenSection", wdm.ZwOpenSection, ["access", "objectAttributes"], { handle: field("SectionHandle") }),
  r("(driver code) reference a section by handle", ReferenceSection, ["handle"], { section: itself }),
  r("ZwMapViewOfSection", wdm.ZwMapViewOfSection, ["handle", "processHandle", "inOut", "count", "number", "largeInteger", "inOut", "viewInherit", "count", "pageProtection"]),
  r("ZwUnmapViewOfSection", wdm.ZwUnmapViewOfSection, ["processHandle", "address"]),
  r("MmMapViewInSystemSpace", wdm.MmMapViewInSystemSpace, ["section", "inOut", "inOut"]),
  r("MmUnmapViewInSystemSpace", wdm.MmUnmapViewInSystemSpace, ["address"]),
  r("MmSecureVirtualMemory", wdm.MmSecureVirtualMemory, ["address", "length", "pageProtection"]),
  r("MmUnsecureVirtualMemory", wdm.MmUnsecureVirtualMemory, ["number"]),
  r("MmIsAddressValid", wdm.MmIsAddressValid, ["address"]),
  r("MmAllocateNonCachedMemory", wdm.MmAllocateNonCachedMemory, ["length"], { address: itself }),
  r("MmFreeNonCachedMemory", wdm.MmFreeNonCachedMemory, ["address", "length"]),
  // The registry
  r("InitializeObjectAttributes (a registry name)", wdm.InitializeObjectAttributes, ["objectAttributes", "regName", "number", "handle", "context"]),
  r("ZwCreateKey", wdm.ZwCreateKey, ["access", "objectAttributes", "number", "valueName", "number"], { handle: field("KeyHandle") }),
  r("ZwOpenKey", wdm.ZwOpenKey, ["access", "objectAttributes"], { handle: field("KeyHandle") }),
  r("ZwQueryValueKey", wdm.ZwQueryValueKey, ["handle", "valueName", "regClass", "regBuffer", "length", "inOut"]),
  r("ZwEnumerateValueKey", wdm.ZwEnumerateValueKey, ["handle", "count", "regClass", "regBuffer", "length", "inOut"]),
  r("ZwEnumerateKey", wdm.ZwEnumerateKey, ["handle", "count", "regClass", "regBuffer", "length", "inOut"]),
  r("ZwQueryKey", wdm.ZwQueryKey, ["handle", "regClass", "regBuffer", "length", "inOut"]),
  r("ZwSetValueKey", wdm.ZwSetValueKey, ["handle", "valueName", "number", "regType", "regBuffer", "length"]),
  r("ZwDeleteValueKey", wdm.ZwDeleteValueKey, ["handle", "valueName"]),
  r("ZwDeleteKey", wdm.ZwDeleteKey, ["handle"]),
  r("ZwFlushKey", wdm.ZwFlushKey, ["handle"]),
  r("RtlQueryRegistryValues", wdm.RtlQueryRegistryValues, ["rtlRelative", "regName", "queryTable", "context", "context"]),
  r("RtlWriteRegistryValue", wdm.RtlWriteRegistryValue, ["rtlRelative", "regName", "valueName", "regType", "regBuffer", "length"]),
  r("RtlCheckRegistryKey", wdm.RtlCheckRegistryKey, ["rtlRelative", "regName"]),
  r("IoOpenDeviceRegistryKey", wdm.IoOpenDeviceRegistryKey, ["device", "regClass", "access"], { handle: field("DeviceRegKey") }),
  // Another processor
  r("(another processor) the app is killed", TerminateApp, ["world"]),
  r("(driver code) keep an argument's IRP", KeepIrp, ["world", "irp"]),
  r("(driver code) remember the MDL of an IRP", KeepMdlOf, ["world", "irp"]),
];
