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
  // Another processor
  r("(another processor) the app is killed", TerminateApp, ["world"]),
  r("(driver code) keep an argument's IRP", KeepIrp, ["world", "irp"]),
  r("(driver code) remember the MDL of an IRP", KeepMdlOf, ["world", "irp"]),
];
