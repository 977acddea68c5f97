/**
 * Framework devices (wdfdevice.h, wdfcontrol.h): WDFDEVICE_INIT and its settings, the control
 * device (non-PnP), the PnP function device (pnp.ts drives its states), symbolic links, device
 * interfaces, request dispatching to queues, and the framework's dispatch routine — the one
 * routine in the driver's MajorFunction table, which turns each IRP into a WDFREQUEST.
 */
import { WdfHandleBrand } from "./handles.js";
import { currentMachine } from "../kernel/context.js";
import { DISPATCH_LEVEL, PASSIVE_LEVEL } from "../kernel/irql.js";
import type { MaybePromise } from "../kernel/objects.js";
import {
  NT_SUCCESS,
  STATUS_INVALID_DEVICE_REQUEST,
  STATUS_INVALID_DEVICE_STATE,
  STATUS_INVALID_HANDLE,
  STATUS_INVALID_PARAMETER,
  STATUS_OBJECT_NAME_INVALID,
  STATUS_PENDING,
  STATUS_SUCCESS,
  type NTSTATUS,
} from "../kernel/status.js";
import type { KThread } from "../kernel/thread.js";
import {
  DO_BUFFERED_IO,
  DO_DEVICE_INITIALIZING,
  DO_DIRECT_IO,
  FILE_DEVICE_SECURE_OPEN,
  FILE_DEVICE_UNKNOWN,
  IRP_MJ_CLEANUP,
  IRP_MJ_CLOSE,
  IRP_MJ_CREATE,
  IRP_MJ_DEVICE_CONTROL,
  IRP_MJ_INTERNAL_DEVICE_CONTROL,
  IRP_MJ_PNP,
  IRP_MJ_POWER,
  IRP_MJ_READ,
  IRP_MJ_SHUTDOWN,
  IRP_MJ_WRITE,
} from "../io-manager/constants.js";
import { IoCreateSymbolicLink, IoDeleteDevice, IoDeleteSymbolicLink } from "../io-manager/device.js";
import type { DEVICE_OBJECT } from "../io-manager/device-object.js";
import type { DRIVER_DISPATCH } from "../io-manager/driver-object.js";
import type { FILE_OBJECT } from "../io-manager/file-object.js";
import type { IRP } from "../io-manager/irp.js";
import { invokeCallback } from "./callback.js";
import { fxEnter, fxIrqlOk, fxMachine, verifierOn, fxViolation, type FxDriverGlobals } from "./globals.js";
import type { WDFDEVICE, WDFDRIVER, WDFQUEUE, WDFREQUEST, WDFIOTARGET } from "./handles.js";
import { FxCallbackLock } from "./lock.js";
import {
  FxObject,
  fxObject,
  fxRequired,
  WdfExecutionLevelPassive,
  WdfSynchronizationScopeDevice,
  WdfSynchronizationScopeNone,
  WdfSynchronizationScopeQueue,
  type WDF_OBJECT_ATTRIBUTES,
} from "./object.js";
import { FxFileObject, type WDF_FILEOBJECT_CONFIG } from "./file-object.js";
import { FxIoQueue, WdfIoQueueDispatchManual } from "./queue.js";
import { FxRequest, completeIrp, markPending } from "./request.js";
import { FxDriver, fxDriver } from "./driver.js";
import { attachPnpDevice, dispatchPnp, dispatchPower, type FxPnpState, type WDF_PNPPOWER_EVENT_CALLBACKS } from "./pnp.js";
import type { FxIoTarget } from "./io-target.js";
import { createDeviceObject, deviceCreated } from "./device-init.js";
import { autoForwardsFileRequests, forwardCreate, passToLower } from "./filter.js";
import { onShutdown } from "./shutdown.js";

/** WDF_DEVICE_IO_TYPE. */
export const WDF_DEVICE_IO_TYPE = { WdfDeviceIoUndefined: 0, WdfDeviceIoNeither: 1, WdfDeviceIoBuffered: 2, WdfDeviceIoDirect: 3, WdfDeviceIoBufferedOrDirect: 4 } as const;
/** A WDF_DEVICE_IO_TYPE value. */
export type WDF_DEVICE_IO_TYPE = (typeof WDF_DEVICE_IO_TYPE)[keyof typeof WDF_DEVICE_IO_TYPE];
export const { WdfDeviceIoNeither, WdfDeviceIoBuffered, WdfDeviceIoDirect, WdfDeviceIoBufferedOrDirect } = WDF_DEVICE_IO_TYPE;

/** EVT_WDF_IO_IN_CALLER_CONTEXT: a request in the requester's thread, before any queue (METHOD_NEITHER's chance to probe). */
export type EVT_WDF_IO_IN_CALLER_CONTEXT = (Device: WDFDEVICE, Request: WDFREQUEST) => MaybePromise<void>;

/**
 * WDFDEVICE_INIT: what WdfDeviceCreate builds the device from. A control device's comes from
 * WdfControlDeviceInitAllocate; a PnP device's is the one EvtDriverDeviceAdd is given.
 */
export class WDFDEVICE_INIT {
  /** @internal */ deviceName: string | null = null;
  /** @internal */ deviceType: number = FILE_DEVICE_UNKNOWN;
  /** @internal */ characteristics: number = FILE_DEVICE_SECURE_OPEN;
  /** @internal */ exclusive = false;
  /** @internal */ ioType: WDF_DEVICE_IO_TYPE = WdfDeviceIoBuffered;
  /** @internal */ fileConfig: WDF_FILEOBJECT_CONFIG | null = null;
  /** @internal */ fileAttributes: WDF_OBJECT_ATTRIBUTES | null = null;
  /** @internal */ inCallerContext: EVT_WDF_IO_IN_CALLER_CONTEXT | null = null;
  /** @internal */ pnpPower: WDF_PNPPOWER_EVENT_CALLBACKS | null = null;
  /** @internal WdfDeviceInitSetRequestAttributes: what every request the framework makes for the device gets. */ requestAttributes: WDF_OBJECT_ATTRIBUTES | null = null;
  /** @internal WdfFdoInitSetFilter: the device is a filter (requests it does not handle go down). */ filter = false;
  /** @internal WdfDeviceInitAssignSDDLString: the device object's security descriptor. */ sddlOverride: string | null = null;
  /** @internal WdfDeviceInitSetPowerPageable / NotPageable / Inrush. */ powerPaging: "pageable" | "not pageable" | "inrush" = "pageable";
  /** @internal WdfControlDeviceInitSetShutdownNotification. */ shutdown: { callback: (Device: WDFDEVICE) => void; flags: number } | null = null;
  /** @internal */ consumed = false;
  /** @internal */ freed = false;
  constructor(
    /** @internal */ readonly globals: FxDriverGlobals,
    /** @internal */ readonly control: boolean,
    /** @internal */ readonly pdo: DEVICE_OBJECT | null,
    /** @internal */ readonly sddl: string | null,
  ) {}
}

/** A framework device. */
export class FxDevice extends FxObject {
  declare readonly [WdfHandleBrand]: "WDFDEVICE";
  /** The WDM device object (its DeviceExtension is this object). */
  deviceObject: DEVICE_OBJECT<FxDevice> | null = null;
  readonly control: boolean;
  readonly init: WDFDEVICE_INIT;
  /** The device's callback lock (device-level synchronization, WdfObjectAcquireLock). */
  lock: FxCallbackLock;
  defaultQueue: FxIoQueue | null = null;
  readonly queues: FxIoQueue[] = [];
  /** WdfDeviceConfigureRequestDispatching: the queue for each major function. */
  readonly dispatchTable = new Map<number, FxIoQueue>();
  readonly fileObjects = new Map<FILE_OBJECT, FxFileObject>();
  readonly symbolicLinks: string[] = [];
  /** PnP state (null for a control device). */
  pnp: FxPnpState | null = null;
  /** In D0 (a control device always is). */
  inD0: boolean;
  /** The next-lower device in the stack (a PnP device's default I/O target). */
  lowerDevice: DEVICE_OBJECT | null = null;
  defaultTarget: FxIoTarget | null = null;
  /** Device interface links registered for it (pnp.ts enables them at start). */
  readonly interfaces: { guid: string; reference: string | null; link: string | null }[] = [];

  constructor(init: WDFDEVICE_INIT, attributes: WDF_OBJECT_ATTRIBUTES | null, parent: FxObject | null) {
    super(init.globals, "WDFDEVICE", parent);
    this.init = init;
    this.control = init.control;
    this.inD0 = init.control;
    this.applyAttributes(attributes);
    this.lock = new FxCallbackLock(`${this.label} lock`, this.resolvedLevel() === WdfExecutionLevelPassive);
  }

  /** The synchronization scope queues inherit (the device's, else the driver's, else none). */
  resolvedScope(): number {
    if (this.scope === WdfSynchronizationScopeDevice || this.scope === WdfSynchronizationScopeQueue || this.scope === WdfSynchronizationScopeNone) return this.scope;
    const d = fxDriver(this.globals);
    const s = d ? d.scope : 0;
    return s === WdfSynchronizationScopeDevice || s === WdfSynchronizationScopeQueue ? s : WdfSynchronizationScopeNone;
  }

  /** The execution level children inherit. */
  resolvedLevel(): number {
    if (this.level === WdfExecutionLevelPassive || this.level === 3) return this.level;
    const d = fxDriver(this.globals);
    return d && d.level === WdfExecutionLevelPassive ? WdfExecutionLevelPassive : 3;
  }

  /** The queue a request of `major` goes to. */
  queueFor(major: number): FxIoQueue | null {
    return this.dispatchTable.size === 0 ? this.defaultQueue : (this.dispatchTable.get(major) ?? this.defaultQueue);
  }

  queueDeleted(q: FxIoQueue): void {
    if (this.defaultQueue === q) this.defaultQueue = null;
    for (const [k, v] of this.dispatchTable) if (v === q) this.dispatchTable.delete(k);
    const i = this.queues.indexOf(q);
    if (i >= 0) this.queues.splice(i, 1);
  }

  /** The lock file callbacks run under: the device's, when its scope is the device and its level passive (KMDF synchronizes them only then). */
  lockForFileCallbacks(): FxCallbackLock | null {
    return this.resolvedScope() === WdfSynchronizationScopeDevice && this.lock.passive ? this.lock : null;
  }

  /** Deleting a control device removes its links and its device object. */
  protected override onDispose(): void {
    for (const link of this.symbolicLinks.splice(0)) IoDeleteSymbolicLink(link);
    const d = this.deviceObject;
    if (d && !d.deletePending) IoDeleteDevice(d);
  }
}

/** Looks a device handle up. */
export function fxDevice(t: KThread, h: unknown, api: string): FxDevice | null {
  return fxObject(t, h, FxDevice, "WDFDEVICE", api);
}

/** The framework device behind a WDM device object, if any. */
export function fxDeviceOf(d: DEVICE_OBJECT): FxDevice | null {
  const ext = d.DeviceExtension;
  return ext instanceof FxDevice ? ext : null;
}

/** The check every WDFDEVICE_INIT routine makes: a live init (WDF_VIOLATION 0x4 for NULL, 0x5 for one already used, under the verifier). */
export function initOk(t: KThread, DeviceInit: WDFDEVICE_INIT | null, api: string): DeviceInit is WDFDEVICE_INIT {
  if (!(DeviceInit instanceof WDFDEVICE_INIT)) {
    const g = fxMachine(t.machine).currentGlobals();
    fxRequired(t, g, null, api, "DeviceInit");
    return false;
  }
  if (DeviceInit.consumed || DeviceInit.freed) {
    if (verifierOn(t.machine, DeviceInit.globals)) fxViolation(t.machine, DeviceInit.globals, "InvalidHandle", `${api}: the WDFDEVICE_INIT was already ${DeviceInit.freed ? "freed" : "used by WdfDeviceCreate"}.`);
    return false;
  }
  return true;
}

// ---- WDFDEVICE_INIT routines ----------------------------------------------------------------

/**
 * WdfControlDeviceInitAllocate: a WDFDEVICE_INIT for a control device (a non-PnP device, the only
 * kind a non-PnP driver has). `SDDLString` is kept, not enforced.
 */
export function WdfControlDeviceInitAllocate(Driver: WDFDRIVER, SDDLString: string): WDFDEVICE_INIT | null {
  const t = fxEnter("WdfControlDeviceInitAllocate");
  const d = fxObject(t, Driver, FxDriver, "WDFDRIVER", "WdfControlDeviceInitAllocate");
  if (!d) return null;
  if (!fxIrqlOk(t, d.globals, "WdfControlDeviceInitAllocate", PASSIVE_LEVEL)) return null;
  if (!fxRequired(t, d.globals, SDDLString, "WdfControlDeviceInitAllocate", "SDDLString")) return null;
  return new WDFDEVICE_INIT(d.globals, true, null, SDDLString);
}

/** SDDL_DEVOBJ_SYS_ALL_ADM_ALL: the SDDL string the WDK samples give control devices. */
export const SDDL_DEVOBJ_SYS_ALL_ADM_ALL = "D:P(A;;GA;;;SY)(A;;GA;;;BA)";

/** WdfDeviceInitFree: frees a WDFDEVICE_INIT that WdfDeviceCreate did not consume (after a failure). */
export function WdfDeviceInitFree(DeviceInit: WDFDEVICE_INIT): void {
  const t = fxEnter("WdfDeviceInitFree");
  if (!initOk(t, DeviceInit, "WdfDeviceInitFree")) return;
  DeviceInit.freed = true;
}

/**
 * WdfDeviceInitAssignName: the device's name ("\\Device\\Echo"); a name that is not an NT path is
 * STATUS_OBJECT_NAME_INVALID.
 */
export function WdfDeviceInitAssignName(DeviceInit: WDFDEVICE_INIT, DeviceName: string | null): NTSTATUS {
  const t = fxEnter("WdfDeviceInitAssignName");
  if (!initOk(t, DeviceInit, "WdfDeviceInitAssignName")) return STATUS_INVALID_PARAMETER;
  if (DeviceName !== null && !DeviceName.startsWith("\\")) return STATUS_OBJECT_NAME_INVALID;
  DeviceInit.deviceName = DeviceName;
  return STATUS_SUCCESS;
}

/** WdfDeviceInitSetIoType: buffered (the default), direct or neither for reads and writes. */
export function WdfDeviceInitSetIoType(DeviceInit: WDFDEVICE_INIT, IoType: WDF_DEVICE_IO_TYPE): void {
  const t = fxEnter("WdfDeviceInitSetIoType");
  if (!initOk(t, DeviceInit, "WdfDeviceInitSetIoType")) return;
  DeviceInit.ioType = IoType;
}

/** WdfDeviceInitSetExclusive: one open file object at a time (a second open is ERROR_ACCESS_DENIED). */
export function WdfDeviceInitSetExclusive(DeviceInit: WDFDEVICE_INIT, IsExclusive: boolean): void {
  const t = fxEnter("WdfDeviceInitSetExclusive");
  if (!initOk(t, DeviceInit, "WdfDeviceInitSetExclusive")) return;
  DeviceInit.exclusive = IsExclusive;
}

/** WdfDeviceInitSetDeviceType: the DEVICE_TYPE (FILE_DEVICE_UNKNOWN by default). */
export function WdfDeviceInitSetDeviceType(DeviceInit: WDFDEVICE_INIT, DeviceType: number): void {
  const t = fxEnter("WdfDeviceInitSetDeviceType");
  if (!initOk(t, DeviceInit, "WdfDeviceInitSetDeviceType")) return;
  DeviceInit.deviceType = DeviceType;
}

/** WdfDeviceInitSetCharacteristics: the device characteristics, ORed in or replacing them. */
export function WdfDeviceInitSetCharacteristics(DeviceInit: WDFDEVICE_INIT, DeviceCharacteristics: number, OrInValues: boolean): void {
  const t = fxEnter("WdfDeviceInitSetCharacteristics");
  if (!initOk(t, DeviceInit, "WdfDeviceInitSetCharacteristics")) return;
  DeviceInit.characteristics = OrInValues ? DeviceInit.characteristics | DeviceCharacteristics : DeviceCharacteristics;
}

/**
 * WdfDeviceInitSetFileObjectConfig: the driver's file callbacks (EvtDeviceFileCreate,
 * EvtFileClose, EvtFileCleanup) and the WDFFILEOBJECT attributes (its context type).
 */
export function WdfDeviceInitSetFileObjectConfig(DeviceInit: WDFDEVICE_INIT, FileObjectConfig: WDF_FILEOBJECT_CONFIG, FileObjectAttributes: WDF_OBJECT_ATTRIBUTES | null): void {
  const t = fxEnter("WdfDeviceInitSetFileObjectConfig");
  if (!initOk(t, DeviceInit, "WdfDeviceInitSetFileObjectConfig")) return;
  if (!fxRequired(t, DeviceInit.globals, FileObjectConfig, "WdfDeviceInitSetFileObjectConfig", "FileObjectConfig")) return;
  DeviceInit.fileConfig = FileObjectConfig;
  DeviceInit.fileAttributes = FileObjectAttributes;
}

/** WdfDeviceInitSetIoInCallerContextCallback: every request first goes to EvtIoInCallerContext, in the requester's thread. */
export function WdfDeviceInitSetIoInCallerContextCallback(DeviceInit: WDFDEVICE_INIT, EvtIoInCallerContext: EVT_WDF_IO_IN_CALLER_CONTEXT): void {
  const t = fxEnter("WdfDeviceInitSetIoInCallerContextCallback");
  if (!initOk(t, DeviceInit, "WdfDeviceInitSetIoInCallerContextCallback")) return;
  DeviceInit.inCallerContext = EvtIoInCallerContext;
}

/** WdfDeviceInitSetPnpPowerEventCallbacks: a PnP device's PnP and power callbacks. */
export function WdfDeviceInitSetPnpPowerEventCallbacks(DeviceInit: WDFDEVICE_INIT, PnpPowerEventCallbacks: WDF_PNPPOWER_EVENT_CALLBACKS): void {
  const t = fxEnter("WdfDeviceInitSetPnpPowerEventCallbacks");
  if (!initOk(t, DeviceInit, "WdfDeviceInitSetPnpPowerEventCallbacks")) return;
  DeviceInit.pnpPower = PnpPowerEventCallbacks;
}

// ---- Creating devices -----------------------------------------------------------------------

/**
 * WdfDeviceCreate: the framework device (and its WDM device object) from `DeviceInit`, which is
 * consumed. A control device is named as WdfDeviceInitAssignName said and stays initialising
 * until WdfControlFinishInitializing; a PnP device is attached to the PDO's stack.
 *
 * @returns STATUS_SUCCESS and the device; IoCreateDevice's failure (STATUS_OBJECT_NAME_COLLISION…).
 */
export function WdfDeviceCreate(DeviceInit: WDFDEVICE_INIT, DeviceAttributes: WDF_OBJECT_ATTRIBUTES | null): { /** STATUS_SUCCESS, or why not (see above). */ status: NTSTATUS; /** The new framework device (null on failure). */ Device: WDFDEVICE | null } {
  const t = fxEnter("WdfDeviceCreate");
  if (!initOk(t, DeviceInit, "WdfDeviceCreate")) return { status: STATUS_INVALID_PARAMETER, Device: null };
  const g = DeviceInit.globals;
  if (!fxIrqlOk(t, g, "WdfDeviceCreate", PASSIVE_LEVEL)) return { status: STATUS_INVALID_DEVICE_STATE, Device: null };
  const drv = fxDriver(g);
  if (!drv) return { status: STATUS_INVALID_DEVICE_STATE, Device: null };
  const dev = new FxDevice(DeviceInit, DeviceAttributes, drv);
  const created = createDeviceObject(t, dev, DeviceInit);
  if (!NT_SUCCESS(created.status) || !created.DeviceObject) {
    dev.deleteObject();
    return { status: created.status, Device: null };
  }
  const d = created.DeviceObject;
  dev.deviceObject = d;
  if (DeviceInit.ioType === WdfDeviceIoBuffered || DeviceInit.ioType === WdfDeviceIoBufferedOrDirect) d.Flags |= DO_BUFFERED_IO;
  else if (DeviceInit.ioType === WdfDeviceIoDirect) d.Flags |= DO_DIRECT_IO;
  DeviceInit.consumed = true;
  if (!DeviceInit.control) {
    dev.noDeleteDdi = true;
    const st = attachPnpDevice(t, dev);
    if (!NT_SUCCESS(st)) {
      IoDeleteDevice(d);
      dev.deleteObject();
      return { status: st, Device: null };
    }
  }
  deviceCreated(t, dev, d);
  dev.traceCreated();
  return { status: STATUS_SUCCESS, Device: dev };
}

/** WdfControlFinishInitializing: the control device may be opened now (DO_DEVICE_INITIALIZING cleared). */
export function WdfControlFinishInitializing(Device: WDFDEVICE): void {
  const t = fxEnter("WdfControlFinishInitializing");
  const dev = fxDevice(t, Device, "WdfControlFinishInitializing");
  if (!dev || !dev.deviceObject) return;
  if (!dev.control) return;
  dev.deviceObject.Flags &= ~DO_DEVICE_INITIALIZING;
}

/**
 * WdfDeviceCreateSymbolicLink: a link ("\\DosDevices\\Echo") to the device's name; the framework
 * deletes it with the device.
 *
 * @returns IoCreateSymbolicLink's status; STATUS_INVALID_DEVICE_STATE for an unnamed device.
 */
export function WdfDeviceCreateSymbolicLink(Device: WDFDEVICE, SymbolicLinkName: string): NTSTATUS {
  const t = fxEnter("WdfDeviceCreateSymbolicLink");
  const dev = fxDevice(t, Device, "WdfDeviceCreateSymbolicLink");
  if (!dev) return STATUS_INVALID_HANDLE;
  if (!fxIrqlOk(t, dev.globals, "WdfDeviceCreateSymbolicLink", PASSIVE_LEVEL)) return STATUS_INVALID_DEVICE_REQUEST;
  if (!fxRequired(t, dev.globals, SymbolicLinkName, "WdfDeviceCreateSymbolicLink", "SymbolicLinkName")) return STATUS_INVALID_PARAMETER;
  const name = dev.deviceObject?.objectName ?? null;
  if (name === null) return STATUS_INVALID_DEVICE_STATE;
  const st = IoCreateSymbolicLink(SymbolicLinkName, name);
  if (NT_SUCCESS(st)) dev.symbolicLinks.push(SymbolicLinkName);
  return st;
}

/** WdfDeviceWdmGetDeviceObject: the WDM device object. */
export function WdfDeviceWdmGetDeviceObject(Device: WDFDEVICE): DEVICE_OBJECT | null {
  const t = fxEnter("WdfDeviceWdmGetDeviceObject");
  const dev = fxDevice(t, Device, "WdfDeviceWdmGetDeviceObject");
  return dev ? dev.deviceObject : null;
}

/** WdfDeviceGetDefaultQueue: the device's default queue, or null. */
export function WdfDeviceGetDefaultQueue(Device: WDFDEVICE): WDFQUEUE | null {
  const t = fxEnter("WdfDeviceGetDefaultQueue");
  const dev = fxDevice(t, Device, "WdfDeviceGetDefaultQueue");
  return dev ? dev.defaultQueue : null;
}

/** WdfDeviceGetDriver: the driver the device belongs to. */
export function WdfDeviceGetDriver(Device: WDFDEVICE): WDFDRIVER | null {
  const t = fxEnter("WdfDeviceGetDriver");
  const dev = fxDevice(t, Device, "WdfDeviceGetDriver");
  return dev ? fxDriver(dev.globals) : null;
}

/**
 * WdfWdmDeviceGetWdfDeviceHandle: the framework device of a WDM device object, or null (a device
 * the framework did not create). A pure look-up: a scenario may call it between runs, too.
 */
export function WdfWdmDeviceGetWdfDeviceHandle(DeviceObject: DEVICE_OBJECT | null): WDFDEVICE | null {
  return DeviceObject ? fxDeviceOf(DeviceObject) : null;
}

/**
 * WdfDeviceConfigureRequestDispatching: requests of `RequestType` (WdfRequestTypeRead, Write,
 * DeviceControl, DeviceControlInternal or Create) go to `Queue` instead of the default queue.
 *
 * @returns STATUS_SUCCESS; STATUS_INVALID_PARAMETER for another type or a queue of another
 * device; STATUS_INVALID_DEVICE_REQUEST when the type is configured already or the queue has no
 * handler for it.
 */
export function WdfDeviceConfigureRequestDispatching(Device: WDFDEVICE, Queue: WDFQUEUE, RequestType: number): NTSTATUS {
  const t = fxEnter("WdfDeviceConfigureRequestDispatching");
  const dev = fxDevice(t, Device, "WdfDeviceConfigureRequestDispatching");
  if (!dev) return STATUS_INVALID_HANDLE;
  const q = fxObject(t, Queue, FxIoQueue, "WDFQUEUE", "WdfDeviceConfigureRequestDispatching");
  if (!q) return STATUS_INVALID_HANDLE;
  if (!fxIrqlOk(t, dev.globals, "WdfDeviceConfigureRequestDispatching", DISPATCH_LEVEL)) return STATUS_INVALID_DEVICE_REQUEST;
  const allowed: number[] = [IRP_MJ_CREATE, IRP_MJ_READ, IRP_MJ_WRITE, IRP_MJ_DEVICE_CONTROL, IRP_MJ_INTERNAL_DEVICE_CONTROL];
  if (!allowed.includes(RequestType) || q.device !== dev) return STATUS_INVALID_PARAMETER;
  if (dev.dispatchTable.has(RequestType)) return STATUS_INVALID_DEVICE_REQUEST;
  if (q.dispatchType !== WdfIoQueueDispatchManual && !q.handlerFor(RequestType)) return STATUS_INVALID_DEVICE_REQUEST;
  dev.dispatchTable.set(RequestType, q);
  return STATUS_SUCCESS;
}

/**
 * WdfDeviceEnqueueRequest: from EvtIoInCallerContext, hands the request to the queue configured for
 * its type (the driver no longer owns it).
 *
 * @returns STATUS_SUCCESS, or STATUS_INVALID_DEVICE_REQUEST when no queue takes it (the driver still owns it).
 */
export function WdfDeviceEnqueueRequest(Device: WDFDEVICE, Request: WDFREQUEST): NTSTATUS {
  const t = fxEnter("WdfDeviceEnqueueRequest");
  const dev = fxDevice(t, Device, "WdfDeviceEnqueueRequest");
  if (!dev) return STATUS_INVALID_HANDLE;
  const r = fxObject(t, Request, FxRequest, "WDFREQUEST", "WdfDeviceEnqueueRequest");
  if (!r) return STATUS_INVALID_HANDLE;
  if (!r.inCallerContext || r.owner !== "driver") return STATUS_INVALID_DEVICE_REQUEST;
  const q = dev.queueFor(r.major);
  if (!q) return STATUS_INVALID_DEVICE_REQUEST;
  // Out of the requester's context from here on: the unsafe buffers are no longer reachable.
  r.inCallerContext = false;
  r.owner = "queue";
  void q.queueRequest(t, r, false, true);
  return STATUS_SUCCESS;
}

/** WdfDeviceGetIoTarget: the device's default I/O target (the next-lower device of a PnP device). */
export function WdfDeviceGetIoTarget(Device: WDFDEVICE): WDFIOTARGET | null {
  const t = fxEnter("WdfDeviceGetIoTarget");
  const dev = fxDevice(t, Device, "WdfDeviceGetIoTarget");
  return dev ? dev.defaultTarget : null;
}

// ---- The dispatch routine -------------------------------------------------------------------

/**
 * The framework's dispatch routine, the driver's every MajorFunction entry: each IRP becomes a
 * WDFREQUEST. Create, cleanup and close go to the file callbacks; reads, writes and IOCTLs to
 * EvtIoInCallerContext or their queue (marked pending first: the framework returns
 * STATUS_PENDING for every request it queues); PnP and power IRPs to the PnP state machine.
 */
export const FxDeviceDispatch: DRIVER_DISPATCH = function FxDeviceDispatch(DeviceObject: DEVICE_OBJECT, Irp: IRP): MaybePromise<NTSTATUS> {
  const t = currentMachine("FxDeviceDispatch").currentThread();
  const dev = fxDeviceOf(DeviceObject);
  const sl = Irp.Stack[Irp.CurrentLocation - 1];
  if (!dev || !sl) return completeNow(t, Irp, STATUS_INVALID_DEVICE_REQUEST);
  const major = sl.MajorFunction;
  switch (major) {
    case IRP_MJ_CREATE:
      return onCreate(t, dev, Irp);
    case IRP_MJ_CLEANUP:
      return onCleanup(t, dev, Irp);
    case IRP_MJ_CLOSE:
      return onClose(t, dev, Irp);
    case IRP_MJ_READ:
    case IRP_MJ_WRITE:
    case IRP_MJ_DEVICE_CONTROL:
    case IRP_MJ_INTERNAL_DEVICE_CONTROL:
      return onIo(t, dev, Irp, major);
    case IRP_MJ_PNP:
      return dispatchPnp(t, dev, Irp);
    case IRP_MJ_POWER:
      return dispatchPower(t, dev, Irp);
    case IRP_MJ_SHUTDOWN:
      if (dev.init.shutdown !== null) return onShutdown(t, dev, Irp);
      return dev.init.filter ? passToLower(t, dev, Irp) : completeNow(t, Irp, STATUS_INVALID_DEVICE_REQUEST);
    default:
      // What the framework does not handle: a filter passes it down, a function driver fails it.
      return dev.init.filter ? passToLower(t, dev, Irp) : completeNow(t, Irp, STATUS_INVALID_DEVICE_REQUEST);
  }
};

function completeNow(t: KThread, irp: IRP, status: NTSTATUS): NTSTATUS {
  irp.Status = status;
  irp.Information = 0;
  completeIrp(t, irp, 0);
  return status;
}

function onIo(t: KThread, dev: FxDevice, irp: IRP, major: number): MaybePromise<NTSTATUS> {
  const inCaller = dev.init.inCallerContext;
  const q = inCaller ? null : dev.queueFor(major);
  // A filter passes down what it has no queue for (FxPkgIo's dispatch for a filter device).
  if (!inCaller && !q) return dev.init.filter ? passToLower(t, dev, irp) : completeNow(t, irp, STATUS_INVALID_DEVICE_REQUEST);
  const r = new FxRequest(dev.globals, dev, irp, true, null);
  const ra = dev.init.requestAttributes;
  if (ra !== null) r.applyAttributes(ra);
  const fo = irp.Stack[irp.CurrentLocation - 1]?.FileObject ?? null;
  if (fo !== null && dev.fileObjects.size !== 0) r.fxFileObject = dev.fileObjects.get(fo) ?? null;
  if (t.machine.trace.on) {
    r.traceCreated();
    r.traceState("created", null);
  }
  markPending(t, irp);
  if (inCaller) {
    r.owner = "driver";
    r.inCallerContext = true;
    const res = invokeCallback(t, dev.globals, null, "EvtIoInCallerContext", inCaller, { object: dev.label, request: r.label, irp: irp.label }, () => inCaller(dev, r));
    if (res instanceof Promise) {
      return res.then(() => {
        r.inCallerContext = false;
        return STATUS_PENDING;
      });
    }
    r.inCallerContext = false;
    return STATUS_PENDING;
  }
  const res = (q as FxIoQueue).queueRequest(t, r);
  if (res instanceof Promise) return res.then(() => STATUS_PENDING);
  return STATUS_PENDING;
}

function onCreate(t: KThread, dev: FxDevice, irp: IRP): MaybePromise<NTSTATUS> {
  const sl = irp.Stack[irp.CurrentLocation - 1];
  const fo = sl?.FileObject ?? null;
  if (!fo) return completeNow(t, irp, STATUS_INVALID_DEVICE_REQUEST);
  const fxfo = new FxFileObject(dev, fo);
  fxfo.applyAttributes(dev.init.fileAttributes);
  fxfo.traceCreated();
  dev.fileObjects.set(fo, fxfo);
  const cb = dev.init.fileConfig?.EvtDeviceFileCreate ?? null;
  const q = dev.dispatchTable.get(IRP_MJ_CREATE) ?? null;
  if (!cb && !q) return autoForwardsFileRequests(dev) ? forwardCreate(t, dev, irp, fo) : completeNow(t, irp, STATUS_SUCCESS);
  const r = new FxRequest(dev.globals, dev, irp, true, null);
  const ra = dev.init.requestAttributes;
  if (ra !== null) r.applyAttributes(ra);
  r.fxFileObject = fxfo;
  r.traceCreated();
  markPending(t, irp);
  if (cb) {
    r.owner = "driver";
    r.presented = true;
    const res = invokeCallback(t, dev.globals, dev.lockForFileCallbacks(), "EvtDeviceFileCreate", cb, { object: dev.label, request: r.label, irp: irp.label }, () => cb(dev, r, fxfo));
    if (res instanceof Promise) return res.then(() => STATUS_PENDING);
    return STATUS_PENDING;
  }
  const res = (q as FxIoQueue).queueRequest(t, r);
  if (res instanceof Promise) return res.then(() => STATUS_PENDING);
  return STATUS_PENDING;
}

function onCleanup(t: KThread, dev: FxDevice, irp: IRP): MaybePromise<NTSTATUS> {
  const fo = irp.Stack[irp.CurrentLocation - 1]?.FileObject ?? null;
  const fxfo = fo ? (dev.fileObjects.get(fo) ?? null) : null;
  const cb = dev.init.fileConfig?.EvtFileCleanup ?? null;
  const finish = (): MaybePromise<NTSTATUS> => {
    // Requests of this file object still waiting in the device's queues are cancelled; the ones
    // the driver holds are its own to complete (it just had EvtFileCleanup to do so).
    if (fo) for (const q of [...dev.queues]) q.purge(t, fo);
    return autoForwardsFileRequests(dev) ? passToLower(t, dev, irp) : completeNow(t, irp, STATUS_SUCCESS);
  };
  if (cb && fxfo) {
    const res = invokeCallback(t, dev.globals, dev.lockForFileCallbacks(), "EvtFileCleanup", cb, { object: fxfo.label, request: null, irp: irp.label }, () => cb(fxfo));
    if (res instanceof Promise) return res.then(finish);
  }
  return finish();
}

function onClose(t: KThread, dev: FxDevice, irp: IRP): MaybePromise<NTSTATUS> {
  const fo = irp.Stack[irp.CurrentLocation - 1]?.FileObject ?? null;
  const fxfo = fo ? (dev.fileObjects.get(fo) ?? null) : null;
  const cb = dev.init.fileConfig?.EvtFileClose ?? null;
  const finish = (): MaybePromise<NTSTATUS> => {
    if (fo && fxfo) {
      dev.fileObjects.delete(fo);
      fxfo.deleteObject();
    }
    return autoForwardsFileRequests(dev) ? passToLower(t, dev, irp) : completeNow(t, irp, STATUS_SUCCESS);
  };
  if (cb && fxfo) {
    const res = invokeCallback(t, dev.globals, dev.lockForFileCallbacks(), "EvtFileClose", cb, { object: fxfo.label, request: null, irp: irp.label }, () => cb(fxfo));
    if (res instanceof Promise) return res.then(finish);
  }
  return finish();
}

/** A create the driver failed: the framework file object goes (no IRP_MJ_CLOSE will come). */
export function createCompleted(dev: FxDevice, fo: FILE_OBJECT | null, status: NTSTATUS): void {
  if (NT_SUCCESS(status) || !fo) return;
  const fxfo = dev.fileObjects.get(fo);
  if (!fxfo) return;
  dev.fileObjects.delete(fo);
  fxfo.deleteObject();
}
