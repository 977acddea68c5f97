/**
 * I/O targets (wdfiotarget.h) and requests a driver sends: the device's default target (the
 * next-lower device), remote targets opened by name, WdfRequestCreate, the Format routines,
 * WdfRequestSend with a completion routine, WdfRequestCancelSentRequest, and the Synchronously
 * sends. Sending is IoCallDriver with a completion routine of the framework's that returns
 * STATUS_MORE_PROCESSING_REQUIRED: the request comes back to the driver, whose completion routine
 * (or, for a request the framework delivered and no routine, the framework) finishes it.
 */
import { checkPointer } from "../kernel/bad-pointer.js";
import { WdfHandleBrand } from "./handles.js";
import { KEVENT, NotificationEvent } from "../kernel/dispatcher.js";
import { DISPATCH_LEVEL, KernelMode, PASSIVE_LEVEL } from "../kernel/irql.js";
import type { MaybePromise } from "../kernel/objects.js";
import {
  NT_SUCCESS,
  STATUS_CANCELLED,
  STATUS_INSUFFICIENT_RESOURCES,
  STATUS_INVALID_DEVICE_REQUEST,
  STATUS_INVALID_DEVICE_STATE,
  STATUS_INVALID_HANDLE,
  STATUS_INVALID_PARAMETER,
  STATUS_IO_TIMEOUT,
  STATUS_MORE_PROCESSING_REQUIRED,
  STATUS_REQUEST_NOT_ACCEPTED,
  STATUS_SUCCESS,
  type NTSTATUS,
} from "../kernel/status.js";
import type { KThread } from "../kernel/thread.js";
import { OBJ_KERNEL_HANDLE } from "../kernel/object-attributes.js";
import { KERNEL_HANDLE_BIT } from "../kernel/api-ps-ob.js";
import { IoCallDriver, IoGetAttachedDevice } from "../io-manager/call-driver.js";
import { cancelIrp } from "../io-manager/cancel.js";
import {
  DO_BUFFERED_IO,
  DO_DIRECT_IO,
  FILE_SHARE_READ,
  FILE_SHARE_WRITE,
  GENERIC_READ,
  GENERIC_WRITE,
  IRP_MJ_DEVICE_CONTROL,
  IRP_MJ_INTERNAL_DEVICE_CONTROL,
  IRP_MJ_READ,
  IRP_MJ_WRITE,
  METHOD_BUFFERED,
  METHOD_NEITHER,
  OPEN_EXISTING,
} from "../io-manager/constants.js";
import { openDevice } from "../io-manager/create.js";
import type { DEVICE_OBJECT } from "../io-manager/device-object.js";
import type { FILE_OBJECT } from "../io-manager/file-object.js";
import { allocateIrp, freeIrp } from "../io-manager/irp-alloc.js";
import { IoCopyCurrentIrpStackLocationToNext, IoGetNextIrpStackLocation, IoSetCompletionRoutine, IoSkipCurrentIrpStackLocation, type IRP } from "../io-manager/irp.js";
import { IoAllocateMdl, IoFreeMdl, MmBuildMdlForNonPagedPool, type MDL } from "../io-manager/mdl.js";
import { invokeCallback } from "./callback.js";
import { fxEnter, fxIrqlOk, fxMachine, fxViolation, verifierOn } from "./globals.js";
import type { WDFCONTEXT, WDFDEVICE, WDFIOTARGET, WDFMEMORY, WDFREQUEST } from "./handles.js";
import { FxObject, defaultParent, fxObject, fxParent, fxRequired, type WDF_OBJECT_ATTRIBUTES } from "./object.js";
import { descriptorRange, handleDescriptor, type WDF_MEMORY_DESCRIPTOR, type WDFMEMORY_OFFSET } from "./memory.js";
import { FxDriverRequest, FxRequest, completeFxRequest, fxRequest } from "./request.js";
import { fxDevice, type FxDevice } from "./device.js";

// ---- Types ----------------------------------------------------------------------------------

/** WDF_REQUEST_SEND_OPTIONS flags. */
export const WDF_REQUEST_SEND_OPTIONS_FLAGS = {
  WDF_REQUEST_SEND_OPTION_TIMEOUT: 0x1,
  WDF_REQUEST_SEND_OPTION_SYNCHRONOUS: 0x2,
  WDF_REQUEST_SEND_OPTION_IGNORE_TARGET_STATE: 0x4,
  WDF_REQUEST_SEND_OPTION_SEND_AND_FORGET: 0x8,
} as const;
export const { WDF_REQUEST_SEND_OPTION_TIMEOUT, WDF_REQUEST_SEND_OPTION_SYNCHRONOUS, WDF_REQUEST_SEND_OPTION_IGNORE_TARGET_STATE, WDF_REQUEST_SEND_OPTION_SEND_AND_FORGET } = WDF_REQUEST_SEND_OPTIONS_FLAGS;

/** WDF_REQUEST_SEND_OPTIONS: how WdfRequestSend and the synchronous send routines send a request. Initialise with WDF_REQUEST_SEND_OPTIONS_INIT. */
export class WDF_REQUEST_SEND_OPTIONS {
  /** Size: the structure's size, set by WDF_REQUEST_SEND_OPTIONS_INIT. */
  Size = 16;
  /** Flags: WDF_REQUEST_SEND_OPTION_* bits — TIMEOUT (Timeout is valid), SYNCHRONOUS (wait for completion), IGNORE_TARGET_STATE (send even to a stopped target), SEND_AND_FORGET (the framework no longer tracks the request). */
  Flags = 0;
  /** Timeout: with WDF_REQUEST_SEND_OPTION_TIMEOUT, when the framework cancels the request — NT form: negative relative, 100 ns units (WDF_REL_TIMEOUT_IN_MS). */
  Timeout = 0;
}

/** WDF_REQUEST_SEND_OPTIONS_INIT: sets the Size and the Flags, and clears the timeout. */
export function WDF_REQUEST_SEND_OPTIONS_INIT(Options: WDF_REQUEST_SEND_OPTIONS, Flags: number): void {
  Options.Size = 16;
  Options.Flags = Flags;
  Options.Timeout = 0;
}

/** WDF_REQUEST_SEND_OPTIONS_SET_TIMEOUT: sets the timeout and the flag that makes the framework honour it. */
export function WDF_REQUEST_SEND_OPTIONS_SET_TIMEOUT(Options: WDF_REQUEST_SEND_OPTIONS, Timeout: number): void {
  Options.Flags |= WDF_REQUEST_SEND_OPTION_TIMEOUT;
  Options.Timeout = Timeout;
}

/** WDF_REL_TIMEOUT_IN_MS: a relative timeout in NT form. */
export function WDF_REL_TIMEOUT_IN_MS(Ms: number): number {
  return -10_000 * Ms;
}

/** WDF_REQUEST_COMPLETION_PARAMS: what the completion routine learns. */
export class WDF_REQUEST_COMPLETION_PARAMS {
  /** Size: the structure's size. */
  Size = 48;
  /** Type: the completed request's WDF_REQUEST_TYPE (read, write, device control…). */
  Type = 0;
  /** IoStatus: the IRP's final IO_STATUS_BLOCK, as the target's driver completed it. */
  readonly IoStatus = {
    /** Status: the completion status. */
    Status: 0 as NTSTATUS,
    /** Information: the bytes transferred (or the request type's other meaning). */
    Information: 0,
  };
}

/** EVT_WDF_REQUEST_COMPLETION_ROUTINE: a request the driver sent came back. Runs at up to DISPATCH_LEVEL. */
export type EVT_WDF_REQUEST_COMPLETION_ROUTINE = (Request: WDFREQUEST, Target: WDFIOTARGET, Params: WDF_REQUEST_COMPLETION_PARAMS, Context: WDFCONTEXT) => void;

/** WDF_IO_TARGET_OPEN_PARAMS: how WdfIoTargetOpen opens a remote target (only opening by name is modelled). */
export class WDF_IO_TARGET_OPEN_PARAMS {
  /** Size: the structure's size. */
  Size = 64;
  /** Type: the WDF_IO_TARGET_OPEN_TYPE — 2, WdfIoTargetOpenByName, set by WDF_IO_TARGET_OPEN_PARAMS_INIT_OPEN_BY_NAME. */
  Type = 0;
  /** TargetDeviceName: the object name to open ("\\Device\\X" or "\\??\\X"), a UNICODE_STRING in the header. */
  TargetDeviceName: string | null = null;
  /** DesiredAccess: the access the open asks for (GENERIC_READ, GENERIC_WRITE…). */
  DesiredAccess = GENERIC_READ | GENERIC_WRITE;
  /** ShareAccess: the FILE_SHARE_* bits the open allows others. */
  ShareAccess = FILE_SHARE_READ | FILE_SHARE_WRITE;
}

/** WDF_IO_TARGET_OPEN_PARAMS_INIT_OPEN_BY_NAME: open by name with the given access, sharing read and write. */
export function WDF_IO_TARGET_OPEN_PARAMS_INIT_OPEN_BY_NAME(Params: WDF_IO_TARGET_OPEN_PARAMS, TargetDeviceName: string, DesiredAccess: number): void {
  Params.Type = 2;
  Params.TargetDeviceName = TargetDeviceName;
  Params.DesiredAccess = DesiredAccess;
  Params.ShareAccess = FILE_SHARE_READ | FILE_SHARE_WRITE;
}

/** What a Format routine made: a system buffer (and where its output goes back), an MDL. */
export interface FormatState {
  systemBuffer: number;
  copyBackTo: number;
  copyBackMax: number;
  mdl: MDL | null;
}

/** A send in progress or finished: what the completion needs. */
export interface SendState {
  readonly target: FxIoTarget;
  routine: EVT_WDF_REQUEST_COMPLETION_ROUTINE | null;
  context: WDFCONTEXT;
  /** A buffer the framework made for METHOD_BUFFERED / buffered I/O, and where output goes back. */
  systemBuffer: number;
  copyBackTo: number;
  copyBackMax: number;
  /** An MDL the framework built for direct I/O. */
  mdl: MDL | null;
  pending: boolean;
  timedOut: boolean;
  done: KEVENT | null;
}

// ---- The target -----------------------------------------------------------------------------

/** An I/O target. */
export class FxIoTarget extends FxObject {
  declare readonly [WdfHandleBrand]: "WDFIOTARGET";
  /** The device requests go to (null until opened). */
  device: DEVICE_OBJECT | null = null;
  fileObject: FILE_OBJECT | null = null;
  private kernelHandle = 0;
  state: "closed" | "started" | "stopped" = "closed";
  readonly sent = new Set<FxRequest>();
  /** WdfIoTargetStop callers waiting for `sent` to empty. */
  idleWaiters: KEVENT[] = [];
  /** The default target of a device (not deletable). */
  isDefault = false;

  constructor(g: FxObject["globals"], parent: FxObject | null) {
    super(g, "WDFIOTARGET", parent);
  }

  setOpened(device: DEVICE_OBJECT, fileObject: FILE_OBJECT | null, handle: number): void {
    this.device = device;
    this.fileObject = fileObject;
    this.kernelHandle = handle;
    this.state = "started";
  }

  async close(t: KThread): Promise<void> {
    for (const r of [...this.sent]) if (r.irp) cancelIrp(t, r.irp);
    const h = this.kernelHandle;
    this.kernelHandle = 0;
    this.state = "closed";
    this.device = null;
    this.fileObject = null;
    if (h !== 0) await t.machine.ob.closeHandle(t.machine.systemProcess, h);
  }

  protected override onDispose(): void {
    const t = this.machine.currentThread();
    for (const r of [...this.sent]) if (r.irp) cancelIrp(t, r.irp);
    if (this.kernelHandle !== 0) {
      const h = this.kernelHandle;
      this.kernelHandle = 0;
      this.state = "closed";
      void this.machine.ob.closeHandle(this.machine.systemProcess, h);
    }
  }
}

/** Makes a PnP device's default target (its next-lower device). */
export function createDefaultTarget(_t: KThread, dev: FxDevice): void {
  const target = new FxIoTarget(dev.globals, dev);
  target.isDefault = true;
  target.noDeleteDdi = true;
  if (dev.lowerDevice) target.setOpened(dev.lowerDevice, null, 0);
  target.traceCreated();
  dev.defaultTarget = target;
}

function fxTarget(t: KThread, h: unknown, api: string): FxIoTarget | null {
  return fxObject(t, h, FxIoTarget, "WDFIOTARGET", api);
}

/**
 * WdfIoTargetCreate: a remote I/O target (closed until WdfIoTargetOpen), a child of `Device`
 * unless the attributes name another parent. PASSIVE_LEVEL.
 *
 * @returns STATUS_SUCCESS; STATUS_INVALID_HANDLE for a device or parent that is no framework object.
 */
export function WdfIoTargetCreate(Device: WDFDEVICE, IoTargetAttributes: WDF_OBJECT_ATTRIBUTES | null): { /** STATUS_SUCCESS, or why not (see above). */ status: NTSTATUS; /** The new target, not yet open (null on failure). */ IoTarget: WDFIOTARGET | null } {
  const t = fxEnter("WdfIoTargetCreate");
  const dev = fxDevice(t, Device, "WdfIoTargetCreate");
  if (!dev) return { status: STATUS_INVALID_HANDLE, IoTarget: null };
  if (!fxIrqlOk(t, dev.globals, "WdfIoTargetCreate", PASSIVE_LEVEL)) return { status: STATUS_INVALID_DEVICE_REQUEST, IoTarget: null };
  const parent = IoTargetAttributes?.ParentObject ? fxParent(t, IoTargetAttributes.ParentObject, "WdfIoTargetCreate") : dev;
  if (!parent) return { status: STATUS_INVALID_HANDLE, IoTarget: null };
  const target = new FxIoTarget(dev.globals, parent);
  target.applyAttributes(IoTargetAttributes);
  target.traceCreated();
  return { status: STATUS_SUCCESS, IoTarget: target };
}

/**
 * WdfIoTargetOpen: opens a remote target by name (ZwCreateFile on "\\Device\\X" or "\\??\\X"): the
 * target device's driver gets IRP_MJ_CREATE; requests then go to the top of that device's stack.
 *
 * @returns the open's status (STATUS_OBJECT_NAME_NOT_FOUND…).
 */
export async function WdfIoTargetOpen(IoTarget: WDFIOTARGET, OpenParams: WDF_IO_TARGET_OPEN_PARAMS): Promise<NTSTATUS> {
  const t = fxEnter("WdfIoTargetOpen");
  const target = fxTarget(t, IoTarget, "WdfIoTargetOpen");
  if (!target) return STATUS_INVALID_HANDLE;
  if (!fxIrqlOk(t, target.globals, "WdfIoTargetOpen", PASSIVE_LEVEL)) return STATUS_INVALID_DEVICE_REQUEST;
  if (!fxRequired(t, target.globals, OpenParams, "WdfIoTargetOpen", "OpenParams")) return STATUS_INVALID_PARAMETER;
  const name = OpenParams.TargetDeviceName;
  if (!name) return STATUS_INVALID_PARAMETER;
  if (target.state !== "closed") return STATUS_INVALID_DEVICE_STATE;
  const m = t.machine;
  // ZwCreateFile from a driver: a kernel handle in the System process.
  const prev = t.attachedProcess;
  t.attachedProcess = t.process === m.systemProcess ? null : m.systemProcess;
  let r;
  try {
    r = await openDevice(t, name, { desiredAccess: OpenParams.DesiredAccess, shareAccess: OpenParams.ShareAccess, synchronous: false, alertable: false, disposition: OPEN_EXISTING, attributes: 0, mode: KernelMode, handleAttributes: OBJ_KERNEL_HANDLE });
  } finally {
    t.attachedProcess = prev;
  }
  if (!NT_SUCCESS(r.status) || !r.fileObject || !r.fileObject.DeviceObject) return r.status;
  // The kernel handle's entry in the System process's table (where the target closes it).
  target.setOpened(IoGetAttachedDevice(r.fileObject.DeviceObject), r.fileObject, (r.handle & ~KERNEL_HANDLE_BIT) >>> 0);
  return STATUS_SUCCESS;
}

/** WdfIoTargetClose: cancels what was sent to it and closes the remote target. */
export async function WdfIoTargetClose(IoTarget: WDFIOTARGET): Promise<void> {
  const t = fxEnter("WdfIoTargetClose");
  const target = fxTarget(t, IoTarget, "WdfIoTargetClose");
  if (!target || target.isDefault) return;
  if (!fxIrqlOk(t, target.globals, "WdfIoTargetClose", PASSIVE_LEVEL)) return;
  await target.close(t);
}

/** WdfIoTargetWdmGetTargetDeviceObject: the device requests go to. */
export function WdfIoTargetWdmGetTargetDeviceObject(IoTarget: WDFIOTARGET): DEVICE_OBJECT | null {
  const t = fxEnter("WdfIoTargetWdmGetTargetDeviceObject");
  const target = fxTarget(t, IoTarget, "WdfIoTargetWdmGetTargetDeviceObject");
  return target ? target.device : null;
}

// ---- Driver-created requests ----------------------------------------------------------------

/**
 * WdfRequestCreate: a request of the driver's own (its parent the driver unless the attributes
 * name another), with an IRP deep enough for `IoTarget` (one location when no target is given).
 *
 * @returns STATUS_SUCCESS; STATUS_INSUFFICIENT_RESOURCES when no IRP can be allocated;
 * STATUS_INVALID_HANDLE for a target or parent that is no framework object.
 */
export function WdfRequestCreate(RequestAttributes: WDF_OBJECT_ATTRIBUTES | null, IoTarget: WDFIOTARGET | null): { /** STATUS_SUCCESS, or why not (see above). */ status: NTSTATUS; /** The new request, owned by the driver (null on failure). */ Request: WDFREQUEST | null } {
  const t = fxEnter("WdfRequestCreate");
  const m = t.machine;
  const g = fxMachine(m).currentGlobals();
  if (!g) return { status: STATUS_INVALID_PARAMETER, Request: null };
  if (!fxIrqlOk(t, g, "WdfRequestCreate", DISPATCH_LEVEL)) return { status: STATUS_INVALID_DEVICE_REQUEST, Request: null };
  let stack = 1;
  if (IoTarget !== null) {
    const target = fxTarget(t, IoTarget, "WdfRequestCreate");
    if (!target) return { status: STATUS_INVALID_HANDLE, Request: null };
    stack = target.device ? target.device.StackSize : 1;
  }
  const parent = RequestAttributes?.ParentObject ? fxParent(t, RequestAttributes.ParentObject, "WdfRequestCreate") : defaultParent(g);
  if (RequestAttributes?.ParentObject && !parent) return { status: STATUS_INVALID_HANDLE, Request: null };
  const irp = allocateIrp(m, stack, "IoAllocateIrp");
  if (!irp) return { status: STATUS_INSUFFICIENT_RESOURCES, Request: null };
  const r = new FxDriverRequest(g, irp, parent);
  r.owner = "driver";
  r.applyAttributes(RequestAttributes);
  r.traceCreated();
  return { status: STATUS_SUCCESS, Request: r };
}

/**
 * WdfRequestReuse: makes a driver-created request (or one the framework delivered, to send again)
 * ready for another send, with `Status` as its status (IoReuseIrp).
 */
export function WdfRequestReuse(Request: WDFREQUEST, Status: NTSTATUS): NTSTATUS {
  const t = fxEnter("WdfRequestReuse");
  const r = fxRequest(t, Request, "WdfRequestReuse");
  if (!r || !r.irp) return STATUS_INVALID_HANDLE;
  if (r.fromIo || r.owner !== "driver") return STATUS_INVALID_DEVICE_REQUEST;
  const irp = r.irp;
  irp.CurrentLocation = irp.StackCount + 1;
  irp.Status = Status >>> 0;
  irp.Information = 0;
  irp.Cancel = false;
  irp.PendingReturned = false;
  for (const s of irp.Stack) s.reset();
  r.send = null;
  r.completed = false;
  return STATUS_SUCCESS;
}

// ---- Formatting -----------------------------------------------------------------------------

/** WdfRequestFormatRequestUsingCurrentType: the next location is a copy of the current one (forwarding as is). */
export function WdfRequestFormatRequestUsingCurrentType(Request: WDFREQUEST): void {
  const t = fxEnter("WdfRequestFormatRequestUsingCurrentType");
  const r = fxRequest(t, Request, "WdfRequestFormatRequestUsingCurrentType");
  if (!r?.irp) return;
  // An IRP with no location below the current one cannot be formatted; WdfRequestSend then
  // refuses it (STATUS_REQUEST_NOT_ACCEPTED) instead of writing past the stack.
  if (r.irp.CurrentLocation <= 1) return;
  IoCopyCurrentIrpStackLocationToNext(r.irp);
  r.formatted = true;
}

/**
 * WdfIoTargetFormatRequestForIoctl (and ForInternalIoctl): formats the request's next location
 * for `IoctlCode` with the input and output buffers (WDFMEMORY and offsets), building a system
 * buffer (METHOD_BUFFERED, input of the direct methods) or an MDL (output of METHOD_IN/OUT_DIRECT)
 * as the I/O manager would.
 */
export function WdfIoTargetFormatRequestForIoctl(IoTarget: WDFIOTARGET, Request: WDFREQUEST, IoctlCode: number, InputBuffer: WDFMEMORY | null, InputBufferOffset: WDFMEMORY_OFFSET | null, OutputBuffer: WDFMEMORY | null, OutputBufferOffset: WDFMEMORY_OFFSET | null): NTSTATUS {
  return formatIoctl("WdfIoTargetFormatRequestForIoctl", IRP_MJ_DEVICE_CONTROL, IoTarget, Request, IoctlCode, handleDescriptor(InputBuffer, InputBufferOffset), handleDescriptor(OutputBuffer, OutputBufferOffset));
}

/** WdfIoTargetFormatRequestForInternalIoctl. */
export function WdfIoTargetFormatRequestForInternalIoctl(IoTarget: WDFIOTARGET, Request: WDFREQUEST, IoctlCode: number, InputBuffer: WDFMEMORY | null, InputBufferOffset: WDFMEMORY_OFFSET | null, OutputBuffer: WDFMEMORY | null, OutputBufferOffset: WDFMEMORY_OFFSET | null): NTSTATUS {
  return formatIoctl("WdfIoTargetFormatRequestForInternalIoctl", IRP_MJ_INTERNAL_DEVICE_CONTROL, IoTarget, Request, IoctlCode, handleDescriptor(InputBuffer, InputBufferOffset), handleDescriptor(OutputBuffer, OutputBufferOffset));
}

function formatIoctl(api: string, major: number, IoTarget: WDFIOTARGET, Request: WDFREQUEST, code: number, input: WDF_MEMORY_DESCRIPTOR | null, output: WDF_MEMORY_DESCRIPTOR | null): NTSTATUS {
  const t = fxEnter(api);
  const target = fxTarget(t, IoTarget, api);
  if (!target) return STATUS_INVALID_HANDLE;
  const r = fxRequest(t, Request, api);
  if (!r?.irp) return STATUS_INVALID_HANDLE;
  if (!fxIrqlOk(t, r.globals, api, DISPATCH_LEVEL)) return STATUS_INVALID_DEVICE_REQUEST;
  const inR = descriptorRange(t, input, api);
  const outR = descriptorRange(t, output, api);
  if (!inR || !outR) return STATUS_INVALID_PARAMETER;
  return formatIoctlRanges(t, target, r, major, code, inR, outR);
}

/**
 * The framework's check that a request's IRP has a stack location for every driver in the
 * target's stack: an IRP the driver made with WdfRequestCreate (and has not sent) is replaced by
 * a deep enough one; any other is refused with STATUS_REQUEST_NOT_ACCEPTED.
 */
function fitTarget(t: KThread, r: FxRequest, target: FxIoTarget): NTSTATUS {
  const irp = r.irp;
  if (!irp) return STATUS_INVALID_HANDLE;
  if (!target.device) return STATUS_INVALID_DEVICE_STATE;
  const need = target.device.StackSize;
  if (irp.CurrentLocation - 1 >= need) return STATUS_SUCCESS;
  if (r instanceof FxDriverRequest && r.owner === "driver" && irp.CurrentLocation > irp.StackCount) {
    const fresh = allocateIrp(t.machine, need, "IoAllocateIrp");
    if (!fresh) return STATUS_INSUFFICIENT_RESOURCES;
    freeIrp(t.machine, irp);
    r.irp = fresh;
    return STATUS_SUCCESS;
  }
  return STATUS_REQUEST_NOT_ACCEPTED;
}

function formatIoctlRanges(t: KThread, target: FxIoTarget, r: FxRequest, major: number, code: number, inR: { va: number; length: number }, outR: { va: number; length: number }): NTSTATUS {
  releaseFormat(t, r);
  const fits = fitTarget(t, r, target);
  if (!NT_SUCCESS(fits)) return fits;
  const irp = r.irp as IRP;
  const next = IoGetNextIrpStackLocation(irp);
  next.MajorFunction = major;
  next.MinorFunction = 0;
  next.FileObject = target.fileObject;
  const p = next.Parameters.DeviceIoControl;
  p.IoControlCode = code >>> 0;
  p.InputBufferLength = inR.length;
  p.OutputBufferLength = outR.length;
  p.Type3InputBuffer = 0;
  const method = code & 3;
  const fs: FormatState = { systemBuffer: 0, copyBackTo: 0, copyBackMax: 0, mdl: null };
  const m = t.machine;
  if (method === METHOD_NEITHER) {
    p.Type3InputBuffer = inR.va;
    irp.UserBuffer = outR.va;
  } else {
    const len = method === METHOD_BUFFERED ? Math.max(inR.length, outR.length) : inR.length;
    if (len > 0) {
      const sys = m.nonPagedPool.allocate(len, 0x46786457, 4, null);
      if (sys === 0) return STATUS_INSUFFICIENT_RESOURCES;
      if (inR.length > 0) m.mmu.copy(sys, inR.va, inR.length);
      fs.systemBuffer = sys;
      irp.AssociatedIrp.SystemBuffer = sys;
      if (method === METHOD_BUFFERED && outR.length > 0) {
        fs.copyBackTo = outR.va;
        fs.copyBackMax = outR.length;
      }
    } else {
      irp.AssociatedIrp.SystemBuffer = 0;
    }
    if (method !== METHOD_BUFFERED && outR.length > 0) {
      const mdl = IoAllocateMdl(outR.va, outR.length, false, false, null);
      if (!mdl) return STATUS_INSUFFICIENT_RESOURCES;
      MmBuildMdlForNonPagedPool(mdl);
      irp.MdlAddress = mdl;
      fs.mdl = mdl;
    }
  }
  r.formatState = fs;
  r.formatted = true;
  return STATUS_SUCCESS;
}

function formatReadWrite(api: string, write: boolean, IoTarget: WDFIOTARGET, Request: WDFREQUEST, Buffer: WDFMEMORY | null, Offset: WDFMEMORY_OFFSET | null, DeviceOffset: number | null): NTSTATUS {
  const t = fxEnter(api);
  const target = fxTarget(t, IoTarget, api);
  if (!target) return STATUS_INVALID_HANDLE;
  const r = fxRequest(t, Request, api);
  if (!r?.irp) return STATUS_INVALID_HANDLE;
  if (!fxIrqlOk(t, r.globals, api, DISPATCH_LEVEL)) return STATUS_INVALID_DEVICE_REQUEST;
  const range = descriptorRange(t, handleDescriptor(Buffer, Offset), api);
  if (!range) return STATUS_INVALID_PARAMETER;
  releaseFormat(t, r);
  const fits = fitTarget(t, r, target);
  if (!NT_SUCCESS(fits)) return fits;
  const irp = r.irp;
  const next = IoGetNextIrpStackLocation(irp);
  next.MajorFunction = write ? IRP_MJ_WRITE : IRP_MJ_READ;
  next.MinorFunction = 0;
  next.FileObject = target.fileObject;
  next.Parameters.Length = range.length;
  next.Parameters.Key = 0;
  next.Parameters.ByteOffset = DeviceOffset ?? 0;
  const fs: FormatState = { systemBuffer: 0, copyBackTo: 0, copyBackMax: 0, mdl: null };
  const dev = target.device;
  const m = t.machine;
  if (dev && dev.Flags & DO_BUFFERED_IO && range.length > 0) {
    const sys = m.nonPagedPool.allocate(range.length, 0x46786457, 4, null);
    if (sys === 0) return STATUS_INSUFFICIENT_RESOURCES;
    if (write) m.mmu.copy(sys, range.va, range.length);
    else {
      fs.copyBackTo = range.va;
      fs.copyBackMax = range.length;
    }
    fs.systemBuffer = sys;
    irp.AssociatedIrp.SystemBuffer = sys;
  } else if (dev && dev.Flags & DO_DIRECT_IO && range.length > 0) {
    const mdl = IoAllocateMdl(range.va, range.length, false, false, null);
    if (!mdl) return STATUS_INSUFFICIENT_RESOURCES;
    MmBuildMdlForNonPagedPool(mdl);
    irp.MdlAddress = mdl;
    fs.mdl = mdl;
  } else {
    irp.UserBuffer = range.va;
  }
  r.formatState = fs;
  r.formatted = true;
  return STATUS_SUCCESS;
}

/** WdfIoTargetFormatRequestForRead: a read into `OutputBuffer` (buffered, direct or neither as the target device asks). */
export function WdfIoTargetFormatRequestForRead(IoTarget: WDFIOTARGET, Request: WDFREQUEST, OutputBuffer: WDFMEMORY | null, OutputBufferOffset: WDFMEMORY_OFFSET | null, DeviceOffset: number | null): NTSTATUS {
  return formatReadWrite("WdfIoTargetFormatRequestForRead", false, IoTarget, Request, OutputBuffer, OutputBufferOffset, DeviceOffset);
}

/** WdfIoTargetFormatRequestForWrite. */
export function WdfIoTargetFormatRequestForWrite(IoTarget: WDFIOTARGET, Request: WDFREQUEST, InputBuffer: WDFMEMORY | null, InputBufferOffset: WDFMEMORY_OFFSET | null, DeviceOffset: number | null): NTSTATUS {
  return formatReadWrite("WdfIoTargetFormatRequestForWrite", true, IoTarget, Request, InputBuffer, InputBufferOffset, DeviceOffset);
}

/** Frees what a Format routine made (a new format, a completed send). */
function releaseFormat(t: KThread, r: FxRequest, information = 0, succeeded = false): void {
  const fs = r.formatState;
  if (!fs) return;
  r.formatState = null;
  const m = t.machine;
  const irp = r.irp;
  if (fs.systemBuffer !== 0) {
    if (succeeded && fs.copyBackTo !== 0 && information > 0) m.mmu.copy(fs.copyBackTo, fs.systemBuffer, Math.min(information, fs.copyBackMax));
    m.nonPagedPool.free(fs.systemBuffer, null);
    if (irp && irp.SystemBuffer === fs.systemBuffer) irp.SystemBuffer = 0;
  }
  if (fs.mdl) {
    if (irp && irp.mdlChain === fs.mdl) irp.mdlChain = null;
    IoFreeMdl(fs.mdl);
  }
}

// ---- Sending --------------------------------------------------------------------------------

/** WdfRequestSetCompletionRoutine: the routine that runs when the request comes back from a target. */
export function WdfRequestSetCompletionRoutine(Request: WDFREQUEST, CompletionRoutine: EVT_WDF_REQUEST_COMPLETION_ROUTINE | null, CompletionContext: WDFCONTEXT): void {
  const t = fxEnter("WdfRequestSetCompletionRoutine");
  const r = fxRequest(t, Request, "WdfRequestSetCompletionRoutine");
  if (!r) return;
  r.pendingCompletion = { routine: CompletionRoutine, context: CompletionContext };
}

/**
 * WdfRequestSend: sends a formatted request to `Target` (IoCallDriver). Returns TRUE when it was
 * sent (its completion routine, or WdfRequestGetStatus after a synchronous send, tells the
 * outcome), FALSE when it could not be (WdfRequestGetStatus says why). With
 * WDF_REQUEST_SEND_OPTION_SYNCHRONOUS it waits (PASSIVE_LEVEL) and returns a Promise; with
 * _TIMEOUT the framework cancels it when the time passes; with _SEND_AND_FORGET a request the
 * framework delivered is passed down and is no longer the driver's.
 */
export function WdfRequestSend(Request: WDFREQUEST, Target: WDFIOTARGET, Options: WDF_REQUEST_SEND_OPTIONS | null): MaybePromise<boolean> {
  const t = fxEnter("WdfRequestSend");
  const r = fxRequest(t, Request, "WdfRequestSend");
  if (!r) return false;
  const target = fxTarget(t, Target, "WdfRequestSend");
  if (!target) return false;
  const flags = Options?.Flags ?? 0;
  const sync = (flags & WDF_REQUEST_SEND_OPTION_SYNCHRONOUS) !== 0;
  if (!fxIrqlOk(t, r.globals, "WdfRequestSend", sync ? PASSIVE_LEVEL : DISPATCH_LEVEL)) return false;
  const res = send(t, r, target, flags, Options?.Timeout ?? 0, sync);
  return res;
}

function send(t: KThread, r: FxRequest, target: FxIoTarget, flags: number, timeout: number, sync: boolean): MaybePromise<boolean> {
  const m = t.machine;
  const irp = r.irp;
  const fail = (status: NTSTATUS): boolean => {
    if (irp) irp.Status = status;
    return false;
  };
  if (!irp) return fail(STATUS_INVALID_DEVICE_REQUEST);
  if (r.owner === "target" || r.send?.pending) {
    if (verifierOn(m, r.globals)) fxViolation(m, r.globals, "RequestAlreadySent", `WdfRequestSend(${r.label}): the request is already pending on ${r.send?.target.label ?? "an I/O target"}.`, { p2: 0x3, p3: r.handle, irp: irp.label });
    return fail(STATUS_INVALID_DEVICE_STATE);
  }
  if (r.fromIo && r.owner !== "driver") return fail(STATUS_INVALID_DEVICE_REQUEST);
  if (r.cancelable) return fail(STATUS_INVALID_DEVICE_REQUEST);
  const dev = target.device;
  if (!dev || (target.state !== "started" && (flags & WDF_REQUEST_SEND_OPTION_IGNORE_TARGET_STATE) === 0)) return fail(STATUS_INVALID_DEVICE_STATE);
  // Not enough stack locations for the target's stack (FxIoTarget::HasEnoughStackLocations): the
  // target device's own StackSize — the next-lower device for the local target (the filter above
  // it is not sent to), the top of the remote stack as it was opened.
  if (irp.CurrentLocation - 1 < dev.StackSize) return fail(STATUS_REQUEST_NOT_ACCEPTED);
  if (flags & WDF_REQUEST_SEND_OPTION_SEND_AND_FORGET) {
    if (!r.fromIo) return fail(STATUS_INVALID_DEVICE_REQUEST);
    sendAndForget(t, r, irp, dev, "sent and forgotten");
    return true;
  }
  if (!r.formatted) {
    if (!r.fromIo) return fail(STATUS_INVALID_DEVICE_REQUEST);
    IoCopyCurrentIrpStackLocationToNext(irp);
  }
  const fs = r.formatState ?? null;
  const pc = r.pendingCompletion ?? null;
  const state: SendState = {
    target,
    routine: pc?.routine ?? null,
    context: pc?.context ?? null,
    systemBuffer: fs?.systemBuffer ?? 0,
    copyBackTo: fs?.copyBackTo ?? 0,
    copyBackMax: fs?.copyBackMax ?? 0,
    mdl: fs?.mdl ?? null,
    pending: true,
    timedOut: false,
    done: sync ? new KEVENT(NotificationEvent, false, `${r.label} sent synchronously`) : null,
  };
  r.send = state;
  r.owner = "target";
  target.sent.add(r);
  r.traceState("sent", r.queue);
  IoSetCompletionRoutine(irp, FxRequestSendCompletion, r, true, true, true);
  let timer: { cancelled: boolean } | null = null;
  if (flags & WDF_REQUEST_SEND_OPTION_TIMEOUT && timeout !== 0) {
    const due = timeout < 0 ? m.now - timeout : Math.max(timeout, m.now);
    timer = m.timers.add(due, `${r.label} send timeout`, () => {
      if (!state.pending || !irp.allocated) return;
      state.timedOut = true;
      const cpu = m.otherProcessor(m.systemProcess, `CPU0 (${r.label} timeout)`);
      m.onOtherProcessor(cpu, () => cancelIrp(cpu, irp));
    });
  }
  const p = IoCallDriver(dev, irp);
  if (!sync) {
    if (p instanceof Promise) p.catch(() => undefined);
    return true;
  }
  return (async () => {
    if (p instanceof Promise) await p;
    if (state.pending && state.done) {
      await m.waits.waitFor([state.done], { waitAll: false, mode: KernelMode, alertable: false, timeout: null, reason: `WdfRequestSend(${r.label}) waits synchronously for ${target.label}` });
    }
    if (timer) timer.cancelled = true;
    return true;
  })();
}

/**
 * A request the framework delivered goes down to `dev` and is no longer tracked: the request
 * object is deleted (its cleanup runs) and the IRP is the lower driver's to complete
 * (WDF_REQUEST_SEND_OPTION_SEND_AND_FORGET, and a filter's request it has no handler for).
 */
export function sendAndForget(t: KThread, r: FxRequest, irp: IRP, dev: DEVICE_OBJECT, how: string): void {
  const q = r.queue;
  r.owner = "done";
  r.completed = true;
  r.queue = null;
  irp.DriverContext[3] = null;
  r.traceState(how, q);
  r.refs++;
  r.deleteObject();
  IoSkipCurrentIrpStackLocation(irp);
  const p = IoCallDriver(dev, irp);
  if (q) q.released(t, r);
  r.release();
  if (p instanceof Promise) p.catch(() => undefined);
}

/**
 * The framework's completion routine for a sent request: takes the request back (returning
 * STATUS_MORE_PROCESSING_REQUIRED), undoes what formatting made (copying a buffered read's data
 * back), then calls the driver's completion routine — or, for a request the framework delivered
 * and no routine, completes it with the lower driver's status.
 */
function FxRequestSendCompletion(_DeviceObject: DEVICE_OBJECT | null, Irp: IRP, Context: unknown): NTSTATUS {
  const r = Context as FxRequest;
  const state = r.send;
  const m = r.machine;
  const t = m.currentThread();
  if (!state) return STATUS_MORE_PROCESSING_REQUIRED;
  state.pending = false;
  state.target.sent.delete(r);
  r.owner = "driver";
  r.formatted = false;
  releaseFormat(t, r, Irp.Information, NT_SUCCESS(Irp.Status));
  if (state.timedOut && Irp.Status === STATUS_CANCELLED) Irp.Status = STATUS_IO_TIMEOUT;
  r.traceState("returned from target", r.queue, Irp.Status);
  const params = new WDF_REQUEST_COMPLETION_PARAMS();
  params.Type = r.major;
  params.IoStatus.Status = Irp.Status;
  params.IoStatus.Information = Irp.Information;
  r.completionParams = params;
  if (state.done) m.signal(state.done);
  const routine = state.routine;
  if (routine) {
    const res = invokeCallback(t, r.globals, null, "EvtRequestCompletionRoutine", routine, { object: state.target.label, request: r.label, irp: Irp.label }, () => {
      routine(r, state.target, params, state.context);
    });
    if (res instanceof Promise) res.catch(() => undefined);
  } else if (r.fromIo && !state.done) {
    completeFxRequest(t, r, Irp.Status, Irp.Information, true);
  }
  // WdfIoTargetStop(…WaitForSentIoToComplete / CancelSentIo) waits until here.
  if (state.target.sent.size === 0) for (const e of state.target.idleWaiters.splice(0)) m.signal(e);
  return STATUS_MORE_PROCESSING_REQUIRED;
}

/**
 * WdfRequestCancelSentRequest: cancels a request the driver sent (IoCancelIrp on its IRP).
 *
 * @returns TRUE when the lower driver's cancel routine was called.
 */
export function WdfRequestCancelSentRequest(Request: WDFREQUEST): boolean {
  const t = fxEnter("WdfRequestCancelSentRequest");
  const r = fxRequest(t, Request, "WdfRequestCancelSentRequest");
  if (!r || !r.irp) return false;
  if (!fxIrqlOk(t, r.globals, "WdfRequestCancelSentRequest", DISPATCH_LEVEL)) return false;
  if (r.owner !== "target") return false;
  return cancelIrp(t, r.irp);
}

/**
 * WdfRequestGetCompletionParams: what the lower driver reported for the request's last send
 * (Type, IoStatus), copied into `Params`; zeroes when it was never sent.
 */
export function WdfRequestGetCompletionParams(Request: WDFREQUEST, Params: WDF_REQUEST_COMPLETION_PARAMS): void {
  const t = fxEnter("WdfRequestGetCompletionParams");
  const r = fxRequest(t, Request, "WdfRequestGetCompletionParams");
  if (!r || !fxRequired(t, r.globals, Params, "WdfRequestGetCompletionParams", "Params")) return;
  // Written through the pointer: what is no WDF_REQUEST_COMPLETION_PARAMS faults.
  checkPointer("WdfRequestGetCompletionParams", "Params", Params, WDF_REQUEST_COMPLETION_PARAMS, "a WDF_REQUEST_COMPLETION_PARAMS");
  const p = r.completionParams;
  Params.Type = p?.Type ?? 0;
  Params.IoStatus.Status = p?.IoStatus.Status ?? 0;
  Params.IoStatus.Information = p?.IoStatus.Information ?? 0;
}

/** WDF_IO_TARGET_SENT_IO_ACTION: what WdfIoTargetStop does with requests already sent. */
export const WDF_IO_TARGET_SENT_IO_ACTION = { WdfIoTargetSentIoUndefined: 0, WdfIoTargetCancelSentIo: 1, WdfIoTargetWaitForSentIoToComplete: 2, WdfIoTargetLeaveSentIoPending: 3 } as const;
export const { WdfIoTargetCancelSentIo, WdfIoTargetWaitForSentIoToComplete, WdfIoTargetLeaveSentIoPending } = WDF_IO_TARGET_SENT_IO_ACTION;

/** WDF_IO_TARGET_STATE values (WdfIoTargetGetState). */
export const WDF_IO_TARGET_STATE = { WdfIoTargetStateUndefined: 0, WdfIoTargetStarted: 1, WdfIoTargetStopped: 2, WdfIoTargetClosedForQueryRemove: 3, WdfIoTargetClosed: 4, WdfIoTargetDeleted: 5 } as const;
export const { WdfIoTargetStarted, WdfIoTargetStopped, WdfIoTargetClosed } = WDF_IO_TARGET_STATE;

/** WdfIoTargetGetState: started, stopped or closed. */
export function WdfIoTargetGetState(IoTarget: WDFIOTARGET): number {
  const t = fxEnter("WdfIoTargetGetState");
  const target = fxTarget(t, IoTarget, "WdfIoTargetGetState");
  if (!target) return WDF_IO_TARGET_STATE.WdfIoTargetStateUndefined;
  return target.state === "started" ? WdfIoTargetStarted : target.state === "stopped" ? WdfIoTargetStopped : WdfIoTargetClosed;
}

/**
 * WdfIoTargetStart: a stopped target accepts requests again.
 *
 * @returns STATUS_SUCCESS; STATUS_INVALID_DEVICE_STATE for a closed target.
 */
export function WdfIoTargetStart(IoTarget: WDFIOTARGET): NTSTATUS {
  const t = fxEnter("WdfIoTargetStart");
  const target = fxTarget(t, IoTarget, "WdfIoTargetStart");
  if (!target) return STATUS_INVALID_HANDLE;
  if (!fxIrqlOk(t, target.globals, "WdfIoTargetStart", PASSIVE_LEVEL)) return STATUS_INVALID_DEVICE_REQUEST;
  if (target.state === "closed" || !target.device) return STATUS_INVALID_DEVICE_STATE;
  target.state = "started";
  return STATUS_SUCCESS;
}

/**
 * WdfIoTargetStop: the target refuses new sends (WdfRequestSend fails with
 * STATUS_INVALID_DEVICE_STATE unless WDF_REQUEST_SEND_OPTION_IGNORE_TARGET_STATE) and, as
 * `Action` says, cancels the requests already sent, waits for them, or leaves them pending.
 * Waiting needs PASSIVE_LEVEL.
 */
export async function WdfIoTargetStop(IoTarget: WDFIOTARGET, Action: number): Promise<void> {
  const t = fxEnter("WdfIoTargetStop");
  const target = fxTarget(t, IoTarget, "WdfIoTargetStop");
  if (!target) return;
  const wait = Action !== WdfIoTargetLeaveSentIoPending;
  if (!fxIrqlOk(t, target.globals, "WdfIoTargetStop", wait ? PASSIVE_LEVEL : DISPATCH_LEVEL)) return;
  if (target.state === "started") target.state = "stopped";
  if (Action === WdfIoTargetCancelSentIo) for (const r of [...target.sent]) if (r.irp) cancelIrp(t, r.irp);
  if (!wait) return;
  const m = t.machine;
  while (target.sent.size > 0) {
    const idle = new KEVENT(NotificationEvent, false, `${target.label} has nothing sent`);
    target.idleWaiters.push(idle);
    await m.waits.waitFor([idle], { waitAll: false, mode: KernelMode, alertable: false, timeout: null, reason: `WdfIoTargetStop(${target.label}) waits for the requests sent to it` });
  }
}

/**
 * WdfIoTargetSendIoctlSynchronously: builds (or reuses `Request`), formats and sends an IOCTL and
 * waits for it (PASSIVE_LEVEL).
 *
 * @returns the request's final status (STATUS_IO_TIMEOUT when the timeout cancelled it) and the
 * bytes returned (Information).
 */
export async function WdfIoTargetSendIoctlSynchronously(IoTarget: WDFIOTARGET, Request: WDFREQUEST | null, IoctlCode: number, InputBuffer: WDF_MEMORY_DESCRIPTOR | null, OutputBuffer: WDF_MEMORY_DESCRIPTOR | null, RequestOptions: WDF_REQUEST_SEND_OPTIONS | null): Promise<{ /** The request's final status, or why it was not sent (STATUS_INVALID_PARAMETER for a bad buffer descriptor). */ status: NTSTATUS; /** The bytes the target returned (IoStatus.Information; 0 when not sent). */ BytesReturned: number }> {
  return sendSynchronously("WdfIoTargetSendIoctlSynchronously", IRP_MJ_DEVICE_CONTROL, IoTarget, Request, IoctlCode, InputBuffer, OutputBuffer, RequestOptions);
}

/** WdfIoTargetSendInternalIoctlSynchronously: the same for an internal device control (IRP_MJ_INTERNAL_DEVICE_CONTROL), the driver-to-driver IOCTL. */
export async function WdfIoTargetSendInternalIoctlSynchronously(IoTarget: WDFIOTARGET, Request: WDFREQUEST | null, IoctlCode: number, InputBuffer: WDF_MEMORY_DESCRIPTOR | null, OutputBuffer: WDF_MEMORY_DESCRIPTOR | null, RequestOptions: WDF_REQUEST_SEND_OPTIONS | null): Promise<{ /** The request's final status, or why it was not sent (STATUS_INVALID_PARAMETER for a bad buffer descriptor). */ status: NTSTATUS; /** The bytes the target returned (IoStatus.Information; 0 when not sent). */ BytesReturned: number }> {
  return sendSynchronously("WdfIoTargetSendInternalIoctlSynchronously", IRP_MJ_INTERNAL_DEVICE_CONTROL, IoTarget, Request, IoctlCode, InputBuffer, OutputBuffer, RequestOptions);
}

async function sendSynchronously(api: string, major: number, IoTarget: WDFIOTARGET, Request: WDFREQUEST | null, IoctlCode: number, InputBuffer: WDF_MEMORY_DESCRIPTOR | null, OutputBuffer: WDF_MEMORY_DESCRIPTOR | null, RequestOptions: WDF_REQUEST_SEND_OPTIONS | null): Promise<{ status: NTSTATUS; BytesReturned: number }> {
  const t = fxEnter(api);
  const target = fxTarget(t, IoTarget, api);
  if (!target) return { status: STATUS_INVALID_HANDLE, BytesReturned: 0 };
  if (!fxIrqlOk(t, target.globals, api, PASSIVE_LEVEL)) return { status: STATUS_INVALID_DEVICE_REQUEST, BytesReturned: 0 };
  const inR = descriptorRange(t, InputBuffer, api);
  const outR = descriptorRange(t, OutputBuffer, api);
  if (!inR || !outR) return { status: STATUS_INVALID_PARAMETER, BytesReturned: 0 };
  let r: FxRequest | null;
  let own = false;
  if (Request !== null) {
    r = fxRequest(t, Request, api);
    if (!r) return { status: STATUS_INVALID_HANDLE, BytesReturned: 0 };
  } else {
    const dev = target.device;
    if (!dev) return { status: STATUS_INVALID_DEVICE_STATE, BytesReturned: 0 };
    const irp = allocateIrp(t.machine, dev.StackSize, "IoAllocateIrp");
    if (!irp) return { status: STATUS_INSUFFICIENT_RESOURCES, BytesReturned: 0 };
    r = new FxDriverRequest(target.globals, irp, null);
    r.owner = "driver";
    own = true;
  }
  const st = formatIoctlRanges(t, target, r, major, IoctlCode, inR, outR);
  if (!NT_SUCCESS(st)) {
    if (own) r.deleteObject();
    return { status: st, BytesReturned: 0 };
  }
  r.pendingCompletion = null;
  const flags = (RequestOptions?.Flags ?? 0) | WDF_REQUEST_SEND_OPTION_SYNCHRONOUS;
  const sent = await send(t, r, target, flags, RequestOptions?.Timeout ?? 0, true);
  const irp = r.irp as IRP;
  const status = irp.Status;
  const info = sent ? irp.Information : 0;
  if (own) r.deleteObject();
  return { status, BytesReturned: info };
}
