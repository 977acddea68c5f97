/**
 * IRPs and their stack locations (wdm.h's IRP and IO_STACK_LOCATION), as plain TypeScript
 * objects with the WDK's field names. An IRP's buffers are virtual addresses in the emulated
 * machine; its bookkeeping (thread, file object, user IO_STATUS_BLOCK) follows NT.
 */
import { KAPC } from "../kernel/apc.js";
import type { KEVENT } from "../kernel/dispatcher.js";
import type { KIRQL, KPROCESSOR_MODE } from "../kernel/irql.js";
import { LIST_ENTRY } from "../kernel/list-entry.js";
import type { KernelObject } from "../kernel/objects.js";
import type { NTSTATUS } from "../kernel/status.js";
import type { KThread } from "../kernel/thread.js";
import type { DEVICE_OBJECT } from "./device-object.js";
import type { FILE_OBJECT } from "./file-object.js";
import type { MDL } from "./mdl.js";

/** IO_STATUS_BLOCK: the final status and the byte count (Information). */
export class IO_STATUS_BLOCK {
  Status: NTSTATUS = 0;
  Information = 0;
}

/** PIO_COMPLETION_ROUTINE: runs during completion at the completer's IRQL (<= DISPATCH_LEVEL); must not wait. */
export type IO_COMPLETION_ROUTINE = (DeviceObject: DEVICE_OBJECT | null, Irp: IRP, Context: unknown) => NTSTATUS;

/** PDRIVER_CANCEL: runs with the cancel spin lock held, which it must release. Must not wait. */
export type DRIVER_CANCEL = (DeviceObject: DEVICE_OBJECT, Irp: IRP) => void;

/** The IO_STACK_LOCATION.Parameters union, one member object per request type. */
export class IoStackParameters {
  readonly Create = { SecurityContext: null as unknown, Options: 0, FileAttributes: 0, ShareAccess: 0, EaLength: 0 };
  readonly Read = { Length: 0, Key: 0, ByteOffset: 0 };
  readonly Write = { Length: 0, Key: 0, ByteOffset: 0 };
  readonly DeviceIoControl = { OutputBufferLength: 0, InputBufferLength: 0, IoControlCode: 0, Type3InputBuffer: 0 };
  readonly Others = { Argument1: null as unknown, Argument2: null as unknown, Argument3: null as unknown, Argument4: null as unknown };

  /** Clears every member, as IoSetCompletionRoutine's caller expects of a fresh location. */
  clear(): void {
    const c = this.Create;
    c.SecurityContext = null;
    c.Options = c.FileAttributes = c.ShareAccess = c.EaLength = 0;
    this.Read.Length = this.Read.Key = this.Read.ByteOffset = 0;
    this.Write.Length = this.Write.Key = this.Write.ByteOffset = 0;
    const d = this.DeviceIoControl;
    d.OutputBufferLength = d.InputBufferLength = d.IoControlCode = d.Type3InputBuffer = 0;
    const o = this.Others;
    o.Argument1 = o.Argument2 = o.Argument3 = o.Argument4 = null;
  }

  /** Copies every member from another location (IoCopyCurrentIrpStackLocationToNext). */
  copyFrom(src: IoStackParameters): void {
    Object.assign(this.Create, src.Create);
    Object.assign(this.Read, src.Read);
    Object.assign(this.Write, src.Write);
    Object.assign(this.DeviceIoControl, src.DeviceIoControl);
    Object.assign(this.Others, src.Others);
  }
}

/** IO_STACK_LOCATION: one driver's view of the request. */
export class IO_STACK_LOCATION {
  MajorFunction = 0;
  MinorFunction = 0;
  Flags = 0;
  Control = 0;
  readonly Parameters = new IoStackParameters();
  DeviceObject: DEVICE_OBJECT | null = null;
  FileObject: FILE_OBJECT | null = null;
  CompletionRoutine: IO_COMPLETION_ROUTINE | null = null;
  Context: unknown = null;

  /** IopClearStackLocation. */
  clear(keepErrorReturned = false): void {
    this.MinorFunction = 0;
    this.Flags = 0;
    this.Control = keepErrorReturned ? this.Control & 0x02 : 0;
    this.CompletionRoutine = null;
    this.Context = null;
    this.FileObject = null;
  }

  /** Resets the whole location (a recycled IRP). */
  reset(): void {
    this.MajorFunction = 0;
    this.clear();
    this.Parameters.clear();
    this.DeviceObject = null;
  }
}

/** Where a completed request's status goes: a user address (an OVERLAPPED) or a kernel block. */
export type UserIosb = number | IO_STATUS_BLOCK | null;

/** What allocated an IRP, which decides who may complete and free it. */
export type IrpOrigin = "service" | "IoAllocateIrp" | "IoBuildDeviceIoControlRequest" | "IoBuildSynchronousFsdRequest" | "IoBuildAsynchronousFsdRequest" | "cleanup" | "close" | "create";

/**
 * IRP: an I/O request and its stack of locations, one per driver in the device stack.
 * `CurrentLocation` counts as NT counts it: StackCount + 1 before the first IoCallDriver,
 * StackCount + 2 once completion has run through every location.
 */
export class IRP {
  readonly Type = 6;
  /** Stable id for traces ("irp#12"), renewed each time a recycled IRP is handed out. */
  id = 0;
  MdlAddress: MDL | null = null;
  Flags = 0;
  readonly AssociatedIrp = { SystemBuffer: 0, MasterIrp: null as IRP | null, IrpCount: 0 };
  /** Links the IRP into its thread's IrpList. */
  readonly ThreadListEntry: LIST_ENTRY<IRP>;
  readonly IoStatus = new IO_STATUS_BLOCK();
  RequestorMode: KPROCESSOR_MODE = 0;
  PendingReturned = false;
  StackCount: number;
  CurrentLocation: number;
  Cancel = false;
  CancelIrql: KIRQL = 0;
  ApcEnvironment = 0;
  AllocationFlags = 0;
  UserIosb: UserIosb = null;
  UserEvent: KEVENT | null = null;
  readonly Overlay = {
    AsynchronousParameters: { UserApcRoutine: null as ((...args: unknown[]) => unknown) | null, UserApcContext: null as unknown },
    AllocationSize: 0,
  };
  CancelRoutine: DRIVER_CANCEL | null = null;
  UserBuffer = 0;
  readonly Tail: {
    Overlay: {
      DriverContext: unknown[];
      ListEntry: LIST_ENTRY<IRP>;
      Thread: KThread | null;
      AuxiliaryBuffer: number;
      OriginalFileObject: FILE_OBJECT | null;
    };
    Apc: KAPC | null;
    CompletionKey: unknown;
  };
  /** The stack locations, index 0 the lowest driver's. */
  readonly Stack: IO_STACK_LOCATION[];

  // ---- Emulator bookkeeping (not in wdm.h) ----
  /** Who allocated it. */
  origin: IrpOrigin = "service";
  /** The user event's object (referenced by the service, dereferenced at completion). */
  userEventObject: KernelObject | null = null;
  /** Set while the IRP is allocated; cleared by IoFreeIrp. */
  allocated = false;
  /** Set once IoCompleteRequest has started on it. */
  completed = false;
  /** The driver that pended it (marked it pending), for reports of IRPs that never complete. */
  pendedBy: string | null = null;
  /** "Driver!Routine" it was last dispatched to, for reports. */
  get dispatchedTo(): string | null {
    return this.dispatchedDriver ? `${this.dispatchedDriver}!${this.dispatchedRoutine ?? "?"}` : null;
  }
  /** Virtual time it was issued, 100 ns ticks. */
  issuedAt = 0;
  /** Set when IoCancelIrp found a cancel routine and called it. */
  cancelRoutineRan = false;
  /** The caller's output length for METHOD_BUFFERED copy-back (never copy more). */
  userOutputLength = 0;
  /** Who completed it first (for MULTIPLE_IRP_COMPLETE_REQUESTS): thread and activity. */
  completedByThread: KThread | null = null;
  completedByKind: string | null = null;
  completedByName: string | null = null;
  /** The driver and routine it was last dispatched to. */
  dispatchedDriver: string | null = null;
  dispatchedRoutine: string | null = null;

  constructor(stackSize: number) {
    this.StackCount = stackSize;
    this.CurrentLocation = stackSize + 1;
    this.ThreadListEntry = new LIST_ENTRY<IRP>(this);
    this.Tail = {
      Overlay: { DriverContext: [null, null, null, null], ListEntry: new LIST_ENTRY<IRP>(this), Thread: null, AuxiliaryBuffer: 0, OriginalFileObject: null },
      Apc: null,
      CompletionKey: null,
    };
    this.Stack = [];
    for (let i = 0; i < stackSize; i++) this.Stack.push(new IO_STACK_LOCATION());
  }

  /** "irp#12", for traces and messages. */
  get label(): string {
    return `irp#${this.id}`;
  }

  /** IoInitializeIrp's reset of a recycled IRP. */
  reset(): void {
    this.MdlAddress = null;
    this.Flags = 0;
    this.AssociatedIrp.SystemBuffer = 0;
    this.AssociatedIrp.MasterIrp = null;
    this.AssociatedIrp.IrpCount = 0;
    this.IoStatus.Status = 0;
    this.IoStatus.Information = 0;
    this.RequestorMode = 0;
    this.PendingReturned = false;
    this.CurrentLocation = this.StackCount + 1;
    this.Cancel = false;
    this.CancelIrql = 0;
    this.UserIosb = null;
    this.UserEvent = null;
    this.Overlay.AsynchronousParameters.UserApcRoutine = null;
    this.Overlay.AsynchronousParameters.UserApcContext = null;
    this.CancelRoutine = null;
    this.UserBuffer = 0;
    const o = this.Tail.Overlay;
    o.DriverContext[0] = o.DriverContext[1] = o.DriverContext[2] = o.DriverContext[3] = null;
    o.Thread = null;
    o.AuxiliaryBuffer = 0;
    o.OriginalFileObject = null;
    this.Tail.CompletionKey = null;
    for (const s of this.Stack) s.reset();
    this.origin = "service";
    this.userEventObject = null;
    this.completed = false;
    this.pendedBy = null;
    this.userOutputLength = 0;
    this.cancelRoutineRan = false;
    this.completedByThread = null;
    this.completedByKind = null;
    this.completedByName = null;
    this.dispatchedDriver = null;
    this.dispatchedRoutine = null;
  }

  /** The device at the current location (for cancel routines and traces). */
  currentDevice(): DEVICE_OBJECT | null {
    const s = this.Stack[this.CurrentLocation - 1];
    return s ? s.DeviceObject : null;
  }
}

/** IoGetCurrentIrpStackLocation. */
export function IoGetCurrentIrpStackLocation(Irp: IRP): IO_STACK_LOCATION {
  const s = Irp.Stack[Irp.CurrentLocation - 1];
  if (!s) throw new RangeError(`IoGetCurrentIrpStackLocation: ${Irp.label} has no current stack location (CurrentLocation ${Irp.CurrentLocation} of ${Irp.StackCount})`);
  return s;
}

/** IoGetNextIrpStackLocation: the location the next-lower driver will see. */
export function IoGetNextIrpStackLocation(Irp: IRP): IO_STACK_LOCATION {
  const s = Irp.Stack[Irp.CurrentLocation - 2];
  if (!s) throw new RangeError(`IoGetNextIrpStackLocation: ${Irp.label} has no next stack location (CurrentLocation ${Irp.CurrentLocation}); allocate it with a larger StackSize`);
  return s;
}

/** IoCopyCurrentIrpStackLocationToNext: everything but the completion routine and its context. */
export function IoCopyCurrentIrpStackLocationToNext(Irp: IRP): void {
  const cur = IoGetCurrentIrpStackLocation(Irp);
  const next = IoGetNextIrpStackLocation(Irp);
  next.MajorFunction = cur.MajorFunction;
  next.MinorFunction = cur.MinorFunction;
  next.Flags = cur.Flags;
  next.Parameters.copyFrom(cur.Parameters);
  next.FileObject = cur.FileObject;
  next.CompletionRoutine = null;
  next.Context = null;
  next.Control = 0;
}

/** IoSkipCurrentIrpStackLocation: the next-lower driver reuses this location. */
export function IoSkipCurrentIrpStackLocation(Irp: IRP): void {
  Irp.CurrentLocation++;
}

/**
 * IoSetCompletionRoutine: registers `CompletionRoutine` in the next-lower location, to run when
 * the request completes with a success status (InvokeOnSuccess), an error or warning
 * (InvokeOnError: NT_SUCCESS decides), or after cancellation (InvokeOnCancel).
 */
export function IoSetCompletionRoutine(Irp: IRP, CompletionRoutine: IO_COMPLETION_ROUTINE | null, Context: unknown, InvokeOnSuccess: boolean, InvokeOnError: boolean, InvokeOnCancel: boolean): void {
  const next = IoGetNextIrpStackLocation(Irp);
  next.CompletionRoutine = CompletionRoutine;
  next.Context = Context;
  next.Control = 0;
  if (InvokeOnSuccess) next.Control |= 0x40;
  if (InvokeOnError) next.Control |= 0x80;
  if (InvokeOnCancel) next.Control |= 0x20;
}
