/**
 * IRPs and their stack locations (wdm.h's IRP and IO_STACK_LOCATION), as plain TypeScript
 * objects with the WDK's field names. An IRP's buffers are virtual addresses in the emulated
 * machine; its bookkeeping (thread, file object, user IO_STATUS_BLOCK) follows NT.
 */
import type { LiveSetMember } from "../kernel/live-set.js";
import type { KAPC } from "../kernel/apc.js";
import { KDEVICE_QUEUE_ENTRY } from "../kernel/device-queue.js";
import type { KEVENT } from "../kernel/dispatcher.js";
import type { KIRQL, KPROCESSOR_MODE } from "../kernel/irql.js";
import { LIST_ENTRY } from "../kernel/list-entry.js";
import type { KernelObject } from "../kernel/objects.js";
import type { KProcess } from "../kernel/process.js";
import type { NTSTATUS } from "../kernel/status.js";
import type { KThread } from "../kernel/thread.js";
import type { DEVICE_OBJECT } from "./device-object.js";
import type { FILE_OBJECT } from "./file-object.js";
import type { MDL } from "./mdl.js";
import type { IrpWatch } from "./hooks.js";
import { badPointer } from "../kernel/bad-pointer.js";
import { POWER_STATE, type POWER_SEQUENCE } from "./power-types.js";

/** IO_STATUS_BLOCK: the final status and the byte count (Information). */
export class IO_STATUS_BLOCK {
  /** The final status of the request (NTSTATUS). */
  Status: NTSTATUS = 0;
  /** Bytes transferred, or another request-specific value. */
  Information = 0;
}

/** PIO_COMPLETION_ROUTINE: runs during completion at the completer's IRQL (<= DISPATCH_LEVEL); must not wait. */
export type IO_COMPLETION_ROUTINE = (DeviceObject: DEVICE_OBJECT | null, Irp: IRP, Context: unknown) => NTSTATUS;

/** PDRIVER_CANCEL: runs with the cancel spin lock held, which it must release. Must not wait. */
export type DRIVER_CANCEL = (DeviceObject: DEVICE_OBJECT, Irp: IRP) => void;

/** Parameters.Create. */
export interface CreateParameters {
  SecurityContext: unknown;
  Options: number;
  FileAttributes: number;
  ShareAccess: number;
  EaLength: number;
}
/** Parameters.Read / Parameters.Write. */
export interface ReadWriteParameters {
  Length: number;
  Key: number;
  ByteOffset: number;
}
/** Parameters.DeviceIoControl. */
export interface DeviceIoControlParameters {
  OutputBufferLength: number;
  InputBufferLength: number;
  IoControlCode: number;
  Type3InputBuffer: number;
}
/** Parameters.Others. */
export interface OtherParameters {
  Argument1: unknown;
  Argument2: unknown;
  Argument3: unknown;
  Argument4: unknown;
}

/** Parameters.Power (IRP_MN_SET_POWER, IRP_MN_QUERY_POWER). */
export interface PowerParameters {
  /** SystemContext: the power manager's own value for an S-IRP (drivers pass it on untouched). */
  SystemContext: number;
  /** Type: SystemPowerState (an S-IRP) or DevicePowerState (a D-IRP). */
  Type: number;
  /** State: the SYSTEM_POWER_STATE or DEVICE_POWER_STATE asked for, in the POWER_STATE union. */
  State: POWER_STATE;
  /** ShutdownType: the POWER_ACTION behind an S-IRP (PowerActionSleep, PowerActionShutdown…). */
  ShutdownType: number;
}
/** Parameters.WaitWake (IRP_MN_WAIT_WAKE). */
export interface WaitWakeParameters {
  /** PowerState: the deepest SYSTEM_POWER_STATE from which the device may wake the system. */
  PowerState: number;
}
/** Parameters.PowerSequence (IRP_MN_POWER_SEQUENCE). */
export interface PowerSequenceParameters {
  /** PowerSequence: the POWER_SEQUENCE the bus driver fills in. */
  PowerSequence: POWER_SEQUENCE | null;
}

/**
 * The IO_STACK_LOCATION.Parameters union, stored as C stores it: four slots that every member
 * overlays (x86 layout). `Parameters.Read.Length`, `Parameters.DeviceIoControl.OutputBufferLength`
 * and `Parameters.Others.Argument1` are the same slot, as they are the same bytes in wdm.h; the
 * members are this one object with named accessors.
 */
export class IoStackParameters implements CreateParameters, ReadWriteParameters, DeviceIoControlParameters, OtherParameters, PowerParameters, WaitWakeParameters {
  private s0: unknown = null;
  private s1: unknown = null;
  private s2: unknown = null;
  private s3: unknown = null;
  /** Create.ShareAccess is the second USHORT of slot 2 (FileAttributes is the first). */
  private s2hi = 0;

  get Create(): CreateParameters {
    return this;
  }
  get Read(): ReadWriteParameters {
    return this;
  }
  get Write(): ReadWriteParameters {
    return this;
  }
  get DeviceIoControl(): DeviceIoControlParameters {
    return this;
  }
  get Others(): OtherParameters {
    return this;
  }

  // Slot 0.
  get SecurityContext(): unknown {
    return this.s0;
  }
  set SecurityContext(v: unknown) {
    this.s0 = v;
  }
  get Length(): number {
    return num(this.s0);
  }
  set Length(v: number) {
    this.s0 = v;
  }
  get OutputBufferLength(): number {
    return num(this.s0);
  }
  set OutputBufferLength(v: number) {
    this.s0 = v;
  }
  get Argument1(): unknown {
    return this.s0;
  }
  set Argument1(v: unknown) {
    this.s0 = v;
  }
  // Slot 1.
  get Options(): number {
    return num(this.s1);
  }
  set Options(v: number) {
    this.s1 = v;
  }
  get Key(): number {
    return num(this.s1);
  }
  set Key(v: number) {
    this.s1 = v;
  }
  get InputBufferLength(): number {
    return num(this.s1);
  }
  set InputBufferLength(v: number) {
    this.s1 = v;
  }
  get Argument2(): unknown {
    return this.s1;
  }
  set Argument2(v: unknown) {
    this.s1 = v;
  }
  // Slot 2 (and, for a 64-bit ByteOffset, slot 3).
  get FileAttributes(): number {
    return num(this.s2);
  }
  set FileAttributes(v: number) {
    this.s2 = v;
  }
  get ShareAccess(): number {
    return this.s2hi;
  }
  set ShareAccess(v: number) {
    this.s2hi = v;
  }
  get ByteOffset(): number {
    return num(this.s2);
  }
  set ByteOffset(v: number) {
    this.s2 = v;
  }
  get IoControlCode(): number {
    return num(this.s2);
  }
  set IoControlCode(v: number) {
    this.s2 = v;
  }
  get Argument3(): unknown {
    return this.s2;
  }
  set Argument3(v: unknown) {
    this.s2 = v;
  }
  // Slot 3.
  get EaLength(): number {
    return num(this.s3);
  }
  set EaLength(v: number) {
    this.s3 = v;
  }
  get Type3InputBuffer(): number {
    return num(this.s3);
  }
  set Type3InputBuffer(v: number) {
    this.s3 = v;
  }
  get Argument4(): unknown {
    return this.s3;
  }
  set Argument4(v: unknown) {
    this.s3 = v;
  }

  // ---- Parameters.Power, .WaitWake, .PowerSequence (x86: slots 0–3) ----
  get Power(): PowerParameters {
    return this;
  }
  get WaitWake(): WaitWakeParameters {
    return this;
  }
  get PowerSequence(): PowerSequenceParameters {
    // Its one member has the block's own name, so it is a view of its own over slot 0.
    const slots = this.slot0;
    return {
      get PowerSequence(): POWER_SEQUENCE | null {
        return slots.get() as POWER_SEQUENCE | null;
      },
      set PowerSequence(v: POWER_SEQUENCE | null) {
        slots.set(v);
      },
    };
  }
  private get slot0(): { get(): unknown; set(v: unknown): void } {
    return {
      get: () => this.s0,
      set: (v: unknown) => {
        this.s0 = v;
      },
    };
  }
  get SystemContext(): number {
    return num(this.s0);
  }
  set SystemContext(v: number) {
    this.s0 = v;
  }
  get PowerState(): number {
    return num(this.s0);
  }
  set PowerState(v: number) {
    this.s0 = v;
  }
  get Type(): number {
    return num(this.s1);
  }
  set Type(v: number) {
    this.s1 = v;
  }
  /** The POWER_STATE in slot 2: a view over the slot (reading it never changes the slot). */
  get State(): POWER_STATE {
    return new SlotPowerState(
      () => num(this.s2),
      (v) => {
        this.s2 = v;
      },
    );
  }
  set State(v: POWER_STATE) {
    // A union copied by value, as C assigns it.
    this.s2 = v instanceof POWER_STATE ? v.SystemState : num(v);
  }
  get ShutdownType(): number {
    return num(this.s3);
  }
  set ShutdownType(v: number) {
    this.s3 = v;
  }

  /** Clears every member. */
  clear(): void {
    this.s0 = this.s1 = this.s2 = this.s3 = null;
    this.s2hi = 0;
  }

  /** Copies every member from another location (IoCopyCurrentIrpStackLocationToNext). */
  copyFrom(src: IoStackParameters): void {
    this.s0 = src.s0;
    this.s1 = src.s1;
    this.s2 = src.s2;
    this.s3 = src.s3;
    this.s2hi = src.s2hi;
  }
}

/** Parameters.Power.State: a POWER_STATE whose storage is the stack location's slot. */
class SlotPowerState extends POWER_STATE {
  constructor(
    private readonly read: () => number,
    private readonly write: (v: number) => void,
  ) {
    super(0);
  }
  override get SystemState(): number {
    return this.read();
  }
  override set SystemState(v: number) {
    this.write(v >>> 0);
  }
  override get DeviceState(): number {
    return this.read();
  }
  override set DeviceState(v: number) {
    this.write(v >>> 0);
  }
}

/** A slot read as a number (an unset slot reads as 0, as zeroed memory does). */
function num(v: unknown): number {
  return typeof v === "number" ? v : 0;
}

/** IO_STACK_LOCATION: one driver's view of the request. */
export class IO_STACK_LOCATION {
  /** The IRP_MJ_* function this location asks of its driver. */
  MajorFunction = 0;
  /** The IRP_MN_* minor function, for majors that have them. */
  MinorFunction = 0;
  /** SL_* flags of the request (SL_OVERRIDE_VERIFY_VOLUME…). */
  Flags = 0;
  /** SL_PENDING_RETURNED and the SL_INVOKE_ON_* bits of the completion routine. */
  Control = 0;
  /**
   * The request's parameters: a union of one block per major function (Parameters.Read,
   * Parameters.DeviceIoControl…).
   */
  readonly Parameters = new IoStackParameters();
  /** The device this location is for. */
  DeviceObject: DEVICE_OBJECT | null = null;
  /** The file object the request was issued on. */
  FileObject: FILE_OBJECT | null = null;
  /** The completion routine the driver above set with IoSetCompletionRoutine. */
  CompletionRoutine: IO_COMPLETION_ROUTINE | null = null;
  /** The context passed to that completion routine. */
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

/** Irp->AssociatedIrp. */
export interface IrpAssociated {
  SystemBuffer: number;
  MasterIrp: IRP | null;
  IrpCount: number;
}

/** Irp->IoStatus, inline in the IRP (wdm.h's IO_STATUS_BLOCK member). */
export interface IrpIoStatus {
  Status: NTSTATUS;
  Information: number;
}

/** Irp->Overlay and its AsynchronousParameters member. */
export interface IrpOverlay {
  UserApcRoutine: ((...args: unknown[]) => unknown) | null;
  UserApcContext: unknown;
  AllocationSize: number;
  readonly AsynchronousParameters: IrpOverlay;
}

/** Irp->Tail.Overlay. */
export interface IrpTailOverlay {
  readonly DriverContext: unknown[];
  /**
   * The IRP's link in a device queue (IoStartPacket). As in wdm.h it shares its storage with
   * DriverContext: it lives in DriverContext[0], created when first asked for.
   */
  readonly DeviceQueueEntry: KDEVICE_QUEUE_ENTRY<IRP>;
  readonly ListEntry: LIST_ENTRY<IRP>;
  Thread: KThread | null;
  AuxiliaryBuffer: number;
  OriginalFileObject: FILE_OBJECT | null;
}

/** Irp->Tail. */
export interface IrpTail {
  readonly Overlay: IrpTailOverlay;
  /** The completion APC, part of the IRP as in NT. */
  Apc: KAPC | null;
  CompletionKey: unknown;
}

/** Where a completed request's status goes: a user address (an OVERLAPPED) or a kernel block. */
export type UserIosb = number | IO_STATUS_BLOCK | null;

/** What allocated an IRP, which decides who may complete and free it. */
export type IrpOrigin = "service" | "IoAllocateIrp" | "IoBuildDeviceIoControlRequest" | "IoBuildSynchronousFsdRequest" | "IoBuildAsynchronousFsdRequest" | "cleanup" | "close" | "create" | "IoInitializeIrp" | "IoMakeAssociatedIrp" | "PoRequestPowerIrp" | "power manager";

/**
 * IRP: an I/O request and its stack of locations, one per driver in the device stack.
 * `CurrentLocation` counts as NT counts it: StackCount + 1 before the first IoCallDriver,
 * StackCount + 2 once completion has run through every location.
 */
export class IRP implements IrpAssociated, IrpIoStatus, IrpTailOverlay, LiveSetMember<IRP> {
  /** IO_TYPE_IRP. */
  get Type(): number {
    return 6;
  }
  /** Stable id for traces ("irp#12"), renewed each time a recycled IRP is handed out. */
  id = 0;
  /**
   * A verifier's watch on this IRP's members (null on IRP.prototype). Set with `setIrpWatch`,
   * which gives the IRP a prototype whose accessors report to it; an IRP nobody watches keeps
   * accessors that cost nothing, and no field for it.
   */
  declare readonly watch: IrpWatch | null;
  private mdl: MDL | null = null;
  /** IRP_* flags the I/O manager keeps (IRP_BUFFERED_IO, IRP_INPUT_OPERATION…). */
  Flags = 0;
  /**
   * Irp->AllocationFlags: how the IRP was allocated (IRP_ALLOCATED_FIXED_SIZE and
   * IRP_LOOKASIDE_ALLOCATION for one from the I/O manager's lookaside lists, IRP_QUOTA_CHARGED when
   * IoAllocateIrp charged quota; 0 for one a driver laid out in its own memory with IoInitializeIrp).
   * IoReuseIrp keeps it; IoInitializeIrp clears it.
   */
  AllocationFlags = 0;
  /** Links the IRP into its thread's IrpList. */
  readonly ThreadListEntry: LIST_ENTRY<IRP>;
  /**
   * Whether the request came from user mode (UserMode) or kernel mode: buffers from user mode must
   * be probed.
   */
  RequestorMode: KPROCESSOR_MODE = 0;
  /**
   * Set as completion passes a location marked pending: a completion routine propagates it with
   * IoMarkIrpPending.
   */
  PendingReturned = false;
  /** The number of stack locations. */
  StackCount: number;
  /** The current stack location's number, from StackCount down to 1. */
  CurrentLocation: number;
  private cancelFlag = false;
  /** The IRQL to pass to IoReleaseCancelSpinLock in the cancel routine. */
  CancelIrql: KIRQL = 0;
  /** Where completion writes the final status for the requester (its IO_STATUS_BLOCK). */
  UserIosb: UserIosb = null;
  /** The event completion signals for the requester. */
  UserEvent: KEVENT | null = null;
  /** The cancel routine, set with IoSetCancelRoutine (never assigned directly). */
  CancelRoutine: DRIVER_CANCEL | null = null;
  private userBuffer = 0;
  /** The stack locations, index 0 the lowest driver's. */
  readonly Stack: IO_STACK_LOCATION[];

  // ---- The members wdm.h embeds in the IRP, stored inline here too ----
  // Irp->AssociatedIrp
  /** Irp->AssociatedIrp.SystemBuffer: the system buffer of METHOD_BUFFERED and buffered I/O. */
  SystemBuffer = 0;
  /** Irp->AssociatedIrp.MasterIrp: the master of an associated IRP. */
  MasterIrp: IRP | null = null;
  /** Irp->AssociatedIrp.IrpCount: associated IRPs not yet completed, on a master IRP. */
  IrpCount = 0;
  // Irp->IoStatus
  /** Irp->IoStatus.Status, inline. */
  Status: NTSTATUS = 0;
  /** Irp->IoStatus.Information, inline. */
  Information = 0;
  // Irp->Overlay.AsynchronousParameters
  /**
   * Irp->Overlay.AsynchronousParameters.UserApcRoutine: the APC (ReadFileEx's completion routine)
   * queued to the requester at completion.
   */
  UserApcRoutine: ((...args: unknown[]) => unknown) | null = null;
  /** The context of that APC. */
  UserApcContext: unknown = null;
  /** Irp->Overlay.AllocationSize, for create requests. */
  AllocationSize = 0;
  // Irp->Tail.Overlay and Irp->Tail
  private driverContext: unknown[] | null = null;
  /** Irp->Tail.Overlay.ListEntry: the owner's to link the IRP into a queue of its own. */
  readonly ListEntry: LIST_ENTRY<IRP>;
  /**
   * Irp->Tail.Overlay.Thread: the thread that issued the request (null for thread-agnostic and
   * driver-allocated IRPs).
   */
  Thread: KThread | null = null;
  /** Irp->Tail.Overlay.AuxiliaryBuffer. */
  AuxiliaryBuffer = 0;
  /** Irp->Tail.Overlay.OriginalFileObject: the file object the request was issued on. */
  OriginalFileObject: FILE_OBJECT | null = null;
  /** Irp->Tail.Apc: the APC that runs the second stage of completion in the requester's thread. */
  Apc: KAPC | null = null;
  /** Irp->Tail.CompletionKey: the completion key of the port the file is associated with. */
  CompletionKey: unknown = null;

  /**
   * Irp->Tail.Overlay.DeviceQueueEntry. wdm.h overlays it on DriverContext (a driver may use
   * DriverContext only while the IRP is not in a device queue), so it is kept in DriverContext[0]
   * and made on first use: an IRP that never meets a device queue carries nothing for it.
   */
  get DeviceQueueEntry(): KDEVICE_QUEUE_ENTRY<IRP> {
    return deviceQueueEntryOf(this);
  }

  /**
   * Irp->Tail.Overlay.DriverContext: four pointers for the driver that owns the IRP, NULL until
   * it writes them. Made when first asked for: an IRP nobody asks about carries no array.
   */
  get DriverContext(): unknown[] {
    return (this.driverContext ??= [null, null, null, null]);
  }

  /** Irp->MdlAddress. */
  get MdlAddress(): MDL | null {
    return this.mdl;
  }
  /** Sets Irp->MdlAddress. */
  set MdlAddress(value: MDL | null) {
    this.mdl = value;
  }
  /**
   * Irp->MdlAddress for the I/O manager's own use: a verifier watches what drivers touch, and
   * stage 2 freeing the MDLs is not a driver's touch.
   */
  get mdlChain(): MDL | null {
    return this.mdl;
  }
  /** Sets Irp->MdlAddress, for the I/O manager. */
  set mdlChain(value: MDL | null) {
    this.mdl = value;
  }
  /** Irp->Cancel for the I/O manager's own reads (a driver's reads are the verifier's business). */
  get cancelRequested(): boolean {
    return this.cancelFlag;
  }
  /** Irp->UserBuffer for the I/O manager's own use. */
  get userBufferAddress(): number {
    return this.userBuffer;
  }
  /** Sets Irp->UserBuffer, for the I/O manager. */
  set userBufferAddress(value: number) {
    this.userBuffer = value;
  }
  /** Irp->Cancel: set once the request is being cancelled. */
  get Cancel(): boolean {
    return this.cancelFlag;
  }
  /** Sets Irp->Cancel (IoCancelIrp does). */
  set Cancel(value: boolean) {
    this.cancelFlag = value;
  }
  /** Irp->UserBuffer. */
  get UserBuffer(): number {
    return this.userBuffer;
  }
  /** Sets Irp->UserBuffer. */
  set UserBuffer(value: number) {
    this.userBuffer = value;
  }
  /** Irp->AssociatedIrp. */
  get AssociatedIrp(): IrpAssociated {
    return this;
  }
  /** Irp->IoStatus. */
  get IoStatus(): IrpIoStatus {
    return this;
  }
  /**
   * Irp->Overlay — and, since the IRP's members are stored inline, also Irp->Tail.Overlay
   * (the two hold different fields, so one object serves both).
   */
  get Overlay(): IrpOverlay & IrpTailOverlay {
    return this;
  }
  /** Irp->Overlay.AsynchronousParameters. */
  get AsynchronousParameters(): IrpOverlay {
    return this;
  }
  /** Irp->Tail. */
  get Tail(): IrpTail {
    return this;
  }

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
  /**
   * What kind of code completed it first (dispatch routine, DPC, cancel routine…), for
   * MULTIPLE_IRP_COMPLETE_REQUESTS.
   */
  completedByKind: string | null = null;
  /** The routine that completed it first. */
  completedByName: string | null = null;
  /** The driver and routine it was last dispatched to. */
  dispatchedDriver: string | null = null;
  /** The routine it was last dispatched to. */
  dispatchedRoutine: string | null = null;
  /** Links in the I/O manager's list of live IRPs. */
  liveNext: IRP | null = null;
  /** The previous IRP in the I/O manager's list of live IRPs. */
  livePrev: IRP | null = null;
  /** The list the IRP is in (null when in none). */
  liveOwner: object | null = null;
  /**
   * The process that issued a thread-agnostic request (its second stage runs there); null for
   * every other IRP.
   */
  requestorProcess: KProcess | null = null;
  /** Set while a thread-agnostic IRP waits in a port with its second stage still to run. */
  stage2Deferred = false;

  constructor(stackSize: number) {
    this.StackCount = stackSize;
    this.CurrentLocation = stackSize + 1;
    this.ThreadListEntry = new LIST_ENTRY<IRP>(this);
    this.ListEntry = new LIST_ENTRY<IRP>(this);
    const stack = new Array<IO_STACK_LOCATION>(stackSize);
    for (let i = 0; i < stackSize; i++) stack[i] = new IO_STACK_LOCATION();
    this.Stack = stack;
  }

  /**
   * Thread-agnostic I/O: an asynchronous request on a file bound to a completion port, queued to
   * the file object instead of its thread (it survives the thread's exit).
   */
  get threadAgnostic(): boolean {
    return this.requestorProcess !== null;
  }

  /** "irp#12", for traces and messages. */
  get label(): string {
    return `irp#${this.id}`;
  }

  /** IoInitializeIrp's reset of a recycled IRP. */
  reset(): void {
    this.mdl = null;
    this.Flags = 0;
    this.SystemBuffer = 0;
    this.MasterIrp = null;
    this.IrpCount = 0;
    this.Status = 0;
    this.Information = 0;
    this.RequestorMode = 0;
    this.PendingReturned = false;
    this.CurrentLocation = this.StackCount + 1;
    this.cancelFlag = false;
    this.CancelIrql = 0;
    this.UserIosb = null;
    this.UserEvent = null;
    this.UserApcRoutine = null;
    this.UserApcContext = null;
    this.CancelRoutine = null;
    this.userBuffer = 0;
    const dc = this.driverContext;
    if (dc !== null) dc[0] = dc[1] = dc[2] = dc[3] = null;
    this.Thread = null;
    this.AuxiliaryBuffer = 0;
    this.OriginalFileObject = null;
    this.CompletionKey = null;
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
    this.requestorProcess = null;
    this.stage2Deferred = false;
  }

  /** The device at the current location (for cancel routines and traces). */
  currentDevice(): DEVICE_OBJECT | null {
    const s = this.Stack[this.CurrentLocation - 1];
    return s ? s.DeviceObject : null;
  }
}

/**
 * The accessors of an IRP a verifier watches: the same members, each also reported to the watch.
 * A separate prototype (see {@link setIrpWatch}), so the IRPs of an unverified machine keep the
 * plain accessors and nothing on their hot path tests for a watch.
 */
class WatchedIrp extends IRP {
  /** The watch, in a field of the IRP's own (defined, not assigned: IRP.prototype's is read-only). */
  override watch: IrpWatch | null = null;

  constructor(stackSize: number, watch: IrpWatch) {
    super(stackSize);
    this.watch = watch;
  }

  override get MdlAddress(): MDL | null {
    this.watch?.irpAccessed(this, "MdlAddress");
    return super.MdlAddress;
  }
  override set MdlAddress(value: MDL | null) {
    this.watch?.irpAccessed(this, "MdlAddress");
    super.MdlAddress = value;
  }
  override get Cancel(): boolean {
    this.watch?.irpAccessed(this, "Cancel");
    return super.Cancel;
  }
  override set Cancel(value: boolean) {
    super.Cancel = value;
  }
  override get UserBuffer(): number {
    this.watch?.irpAccessed(this, "UserBuffer");
    return super.UserBuffer;
  }
  override set UserBuffer(value: number) {
    this.watch?.irpAccessed(this, "UserBuffer");
    super.UserBuffer = value;
  }
  override get AssociatedIrp(): IrpAssociated {
    this.watch?.irpAccessed(this, "AssociatedIrp");
    return this;
  }
  override get IoStatus(): IrpIoStatus {
    this.watch?.irpAccessed(this, "IoStatus");
    return this;
  }
  override get Overlay(): IrpOverlay & IrpTailOverlay {
    this.watch?.irpAccessed(this, "Overlay");
    return this;
  }
  override get Tail(): IrpTail {
    this.watch?.irpAccessed(this, "Tail");
    return this;
  }
}

Object.defineProperty(IRP.prototype, "watch", { value: null, writable: false });

/**
 * A new IRP of `stackSize` locations, watched from the start when a verifier watches the machine's
 * IRPs: built as a WatchedIrp, it has that class's hidden class from birth, where giving a plain
 * IRP the watched prototype afterwards costs a prototype change and a property definition each.
 */
export function newIrp(stackSize: number, watch: IrpWatch | null): IRP {
  return watch ? new WatchedIrp(stackSize, watch) : new IRP(stackSize);
}

/**
 * Installs (or, with null, removes) a verifier's watch on an IRP's members. Every watched IRP
 * shares WatchedIrp's prototype and holds its watch in a field of its own: a prototype per watch
 * would give each verified machine's IRPs a new hidden class, and the I/O manager's code that
 * reads IRPs would turn megamorphic over a search of thousands of machines. An IRP that already
 * has the field (built watched, or watched before) only has it changed; removing a watch leaves
 * the watched accessors, which then report to nobody.
 */
export function setIrpWatch(irp: IRP, watch: IrpWatch | null): void {
  if (Object.hasOwn(irp, "watch")) {
    (irp as { watch: IrpWatch | null }).watch = watch;
    return;
  }
  if (!watch) return;
  Object.setPrototypeOf(irp, WatchedIrp.prototype);
  Object.defineProperty(irp, "watch", { value: watch, writable: true, configurable: true, enumerable: false });
}

/**
 * An IRP's device-queue entry (Irp->Tail.Overlay.DeviceQueueEntry), kept in DriverContext[0] as
 * wdm.h's union keeps it; a driver's own value there (written while the IRP was not queued) is
 * replaced by a fresh, not-inserted entry, as the union's bytes would be rewritten.
 */
export function deviceQueueEntryOf(irp: IRP): KDEVICE_QUEUE_ENTRY<IRP> {
  const dc = irp.DriverContext;
  const v = dc[0];
  if (v instanceof KDEVICE_QUEUE_ENTRY && v.container === irp) return v as KDEVICE_QUEUE_ENTRY<IRP>;
  const entry = new KDEVICE_QUEUE_ENTRY<IRP>(irp);
  dc[0] = entry;
  return entry;
}

/**
 * The stack locations an IRP's CurrentLocation can name outside its stack: past the last one
 * (index StackCount and beyond: the IRP was completed, or skipped too far) or before the first
 * (index -1: the "next" location of a request at the bottom of its stack). Kept aside, not in the
 * IRP, so an IRP that never goes there carries nothing for them.
 */
const outsideStack = new WeakMap<IRP, { past: IO_STACK_LOCATION; before: IO_STACK_LOCATION }>();

/**
 * The location at `index` when it lies outside the IRP's stack. Windows computes the location from
 * CurrentLocation without checking it: after IoCompleteRequest (CurrentLocation = StackCount + 2)
 * IoGetCurrentIrpStackLocation points past the IRP's last location, at whatever memory follows the
 * IRP, and the next location of a bottom-of-stack request points into the IRP's own header. A
 * driver reading there gets garbage and writing there corrupts that memory. irpsim gives one
 * location of its own for each side, zeroed as fresh memory reads (0 and NULL), whose writes change
 * nothing else (kept when the IRP is recycled, as the memory past a reused IRP keeps its bytes):
 * the driver's bug reads wrong values, as on Windows, and the verifier reports the
 * touch of a completed IRP (IrpUsedAfterRelease) when the driver is verified. IoCallDriver refuses
 * such a location (see call-driver.ts).
 */
export function stackLocationAt(irp: IRP, index: number): IO_STACK_LOCATION {
  const s = irp.Stack[index];
  if (s) return s;
  let o = outsideStack.get(irp);
  if (!o) {
    o = { past: new IO_STACK_LOCATION(), before: new IO_STACK_LOCATION() };
    outsideStack.set(irp, o);
  }
  return index < 0 ? o.before : o.past;
}

/**
 * IoGetCurrentIrpStackLocation: the location of the driver the IRP is at. Before the IRP is sent,
 * in the completion routine its creator set (completion has passed the top location by then) and on
 * a completed IRP, NT's answer is the location one past the end of the stack: memory the IRP's
 * locations do not own. irpsim gives the zeroed location `stackLocationAt` keeps for that place.
 */
export function IoGetCurrentIrpStackLocation(Irp: IRP): IO_STACK_LOCATION {
  if (!(Irp instanceof IRP)) badPointer("IoGetCurrentIrpStackLocation", "Irp", Irp, "an IRP");
  if (Irp.watch !== null) Irp.watch.irpAccessed(Irp, "IoGetCurrentIrpStackLocation");
  return Irp.Stack[Irp.CurrentLocation - 1] ?? stackLocationAt(Irp, Irp.CurrentLocation - 1);
}

/**
 * IoGetNextIrpStackLocation: the location the next-lower driver will see. An IRP allocated with too
 * small a StackSize has none: the location before its stack (`stackLocationAt`), and
 * IoCallDriver then bug-checks NO_MORE_IRP_STACK_LOCATIONS.
 */
export function IoGetNextIrpStackLocation(Irp: IRP): IO_STACK_LOCATION {
  if (!(Irp instanceof IRP)) badPointer("IoGetNextIrpStackLocation", "Irp", Irp, "an IRP");
  if (Irp.watch !== null) Irp.watch.irpAccessed(Irp, "IoGetNextIrpStackLocation");
  return Irp.Stack[Irp.CurrentLocation - 2] ?? stackLocationAt(Irp, Irp.CurrentLocation - 2);
}

/** IoCopyCurrentIrpStackLocationToNext: everything but the completion routine and its context. */
export function IoCopyCurrentIrpStackLocationToNext(Irp: IRP): void {
  if (!(Irp instanceof IRP)) badPointer("IoCopyCurrentIrpStackLocationToNext", "Irp", Irp, "an IRP");
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
  if (!(Irp instanceof IRP)) badPointer("IoSkipCurrentIrpStackLocation", "Irp", Irp, "an IRP");
  if (Irp.watch !== null) Irp.watch.irpAccessed(Irp, "IoSkipCurrentIrpStackLocation");
  Irp.CurrentLocation++;
}

/**
 * IoSetCompletionRoutine: registers `CompletionRoutine` in the next-lower location, to run when
 * the request completes with a success status (InvokeOnSuccess), an error or warning
 * (InvokeOnError: NT_SUCCESS decides), or after cancellation (InvokeOnCancel).
 */
export function IoSetCompletionRoutine(Irp: IRP, CompletionRoutine: IO_COMPLETION_ROUTINE | null, Context: unknown, InvokeOnSuccess: boolean, InvokeOnError: boolean, InvokeOnCancel: boolean): void {
  if (!(Irp instanceof IRP)) badPointer("IoSetCompletionRoutine", "Irp", Irp, "an IRP");
  const next = IoGetNextIrpStackLocation(Irp);
  next.CompletionRoutine = CompletionRoutine;
  next.Context = Context;
  next.Control = 0;
  if (InvokeOnSuccess) next.Control |= 0x40;
  if (InvokeOnError) next.Control |= 0x80;
  if (InvokeOnCancel) next.Control |= 0x20;
}
