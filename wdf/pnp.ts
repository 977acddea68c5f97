/**
 * A framework PnP device's life (wdfdevice.h's PnP and power callbacks): AddDevice runs
 * EvtDriverDeviceAdd; IRP_MN_START_DEVICE runs EvtDevicePrepareHardware, EvtDeviceD0Entry,
 * EvtDeviceD0EntryPostInterruptsEnabled, enables the device interfaces, starts the power-managed
 * queues and runs EvtDeviceSelfManagedIoInit; removal undoes it in the reverse order
 * (SelfManagedIoSuspend; power-managed queues stop with EvtIoStop per driver-owned request and
 * the framework waits for them; D0ExitPreInterruptsDisabled; D0Exit(WdfPowerDeviceD3Final);
 * ReleaseHardware; SelfManagedIoCleanup; queues purged; the device deleted). Surprise removal
 * calls EvtDeviceSurpriseRemoval first. QUERY_REMOVE asks EvtDeviceQueryRemove.
 *
 * Power (system sleep and wake, S0 idle) is power.ts. Not modelled: resource lists (the callbacks
 * get none), interrupts.
 */
import { currentMachine } from "../kernel/context.js";
import { KEVENT, NotificationEvent } from "../kernel/dispatcher.js";
import { KernelMode, PASSIVE_LEVEL } from "../kernel/irql.js";
import type { MaybePromise } from "../kernel/objects.js";
import { NT_SUCCESS, STATUS_INVALID_DEVICE_REQUEST, STATUS_INVALID_HANDLE, STATUS_INVALID_PARAMETER, STATUS_MORE_PROCESSING_REQUIRED, STATUS_NOT_SUPPORTED, STATUS_PENDING, STATUS_SUCCESS, type NTSTATUS } from "../kernel/status.js";
import type { KThread } from "../kernel/thread.js";
import { IoAttachDeviceToDeviceStack, IoDeleteDevice, IoDetachDevice } from "../io-manager/device.js";
import type { DEVICE_OBJECT } from "../io-manager/device-object.js";
import type { DRIVER_OBJECT } from "../io-manager/driver-object.js";
import { IoCopyCurrentIrpStackLocationToNext, IoSetCompletionRoutine, IoSkipCurrentIrpStackLocation, type IRP } from "../io-manager/irp.js";
import { IoCallDriver } from "../io-manager/call-driver.js";
import { IRP_MN_QUERY_PNP_DEVICE_STATE, PNP_DEVICE_FAILED, PNP_DEVICE_RESOURCE_REQUIREMENTS_CHANGED } from "../io-manager/pnp.js";
import { IRP_MN_CANCEL_REMOVE_DEVICE, IRP_MN_QUERY_REMOVE_DEVICE, IRP_MN_REMOVE_DEVICE, IRP_MN_START_DEVICE, IRP_MN_SURPRISE_REMOVAL, IoRegisterDeviceInterface, IoSetDeviceInterfaceState, pnpManager } from "../io-manager/pnp.js";
import { invokeCallback } from "./callback.js";
import { fxEnter, fxIrqlOk, fxMachine } from "./globals.js";
import type { WDFDEVICE } from "./handles.js";
import type { FxDevice } from "./device.js";
import { WDFDEVICE_INIT, fxDevice } from "./device.js";
import { completeIrp } from "./request.js";
import { fxDriver } from "./driver.js";
import { createDefaultTarget } from "./io-target.js";
import { fxDispatchPower, powerIoReleased, powerStarted } from "./power.js";

/** WDF_POWER_DEVICE_STATE. */
export const WDF_POWER_DEVICE_STATE = {
  WdfPowerDeviceInvalid: 0,
  WdfPowerDeviceD0: 1,
  WdfPowerDeviceD1: 2,
  WdfPowerDeviceD2: 3,
  WdfPowerDeviceD3: 4,
  WdfPowerDeviceD3Final: 5,
  WdfPowerDevicePrepareForHibernation: 6,
  WdfPowerDeviceMaximum: 7,
} as const;
/** A WDF_POWER_DEVICE_STATE value. */
export type WDF_POWER_DEVICE_STATE = (typeof WDF_POWER_DEVICE_STATE)[keyof typeof WDF_POWER_DEVICE_STATE];
export const { WdfPowerDeviceD0, WdfPowerDeviceD3, WdfPowerDeviceD3Final } = WDF_POWER_DEVICE_STATE;

/** WDFCMRESLIST: the device's hardware resources (root-enumerated devices here have none). */
export interface WDFCMRESLIST {
  /** Count: the number of resource descriptors (WdfCmResourceListGetCount); always 0 here. */
  readonly Count: number;
}

/** EVT_WDF_DEVICE_PREPARE_HARDWARE: the device is starting — map its resources and get the hardware ready (PASSIVE_LEVEL); a failure status fails IRP_MN_START_DEVICE. */
export type EVT_WDF_DEVICE_PREPARE_HARDWARE = (Device: WDFDEVICE, ResourcesRaw: WDFCMRESLIST, ResourcesTranslated: WDFCMRESLIST) => MaybePromise<NTSTATUS>;
/** EVT_WDF_DEVICE_RELEASE_HARDWARE: the device is going away — unmap what EvtDevicePrepareHardware mapped (PASSIVE_LEVEL). */
export type EVT_WDF_DEVICE_RELEASE_HARDWARE = (Device: WDFDEVICE, ResourcesTranslated: WDFCMRESLIST) => MaybePromise<NTSTATUS>;
/** EVT_WDF_DEVICE_D0_ENTRY: the device entered D0 from `PreviousState`. */
export type EVT_WDF_DEVICE_D0_ENTRY = (Device: WDFDEVICE, PreviousState: WDF_POWER_DEVICE_STATE) => MaybePromise<NTSTATUS>;
/** EVT_WDF_DEVICE_D0_EXIT: the device leaves D0 for `TargetState`. */
export type EVT_WDF_DEVICE_D0_EXIT = (Device: WDFDEVICE, TargetState: WDF_POWER_DEVICE_STATE) => MaybePromise<NTSTATUS>;
/** EVT_WDF_DEVICE_SELF_MANAGED_IO_INIT (and _CLEANUP, _SUSPEND, _RESTART, _FLUSH). */
export type EVT_WDF_DEVICE_SELF_MANAGED_IO = (Device: WDFDEVICE) => MaybePromise<NTSTATUS | void>;
/** EVT_WDF_DEVICE_SURPRISE_REMOVAL: the device disappeared without asking (IRP_MN_SURPRISE_REMOVAL); the hardware is no longer there to touch. */
export type EVT_WDF_DEVICE_SURPRISE_REMOVAL = (Device: WDFDEVICE) => MaybePromise<void>;
/** EVT_WDF_DEVICE_QUERY_REMOVE: return a failure to veto the removal. */
export type EVT_WDF_DEVICE_QUERY_REMOVE = (Device: WDFDEVICE) => MaybePromise<NTSTATUS>;

/** WDF_PNPPOWER_EVENT_CALLBACKS. Initialise with WDF_PNPPOWER_EVENT_CALLBACKS_INIT. */
export class WDF_PNPPOWER_EVENT_CALLBACKS {
  /** Size: the structure's size, set by WDF_PNPPOWER_EVENT_CALLBACKS_INIT. */
  Size = 96;
  /** EvtDeviceD0Entry: the device entered D0 (at start, and on each return to working power); a failure fails the start. */
  EvtDeviceD0Entry: EVT_WDF_DEVICE_D0_ENTRY | null = null;
  /** EvtDeviceD0EntryPostInterruptsEnabled: after D0Entry, once the device's interrupts are connected (there are none here). */
  EvtDeviceD0EntryPostInterruptsEnabled: EVT_WDF_DEVICE_D0_ENTRY | null = null;
  /** EvtDeviceD0Exit: the device leaves D0 (WdfPowerDeviceD3 for sleep or idle, WdfPowerDeviceD3Final for removal), after its power-managed queues stopped. */
  EvtDeviceD0Exit: EVT_WDF_DEVICE_D0_EXIT | null = null;
  /** EvtDeviceD0ExitPreInterruptsDisabled: before D0Exit, while interrupts are still connected. */
  EvtDeviceD0ExitPreInterruptsDisabled: EVT_WDF_DEVICE_D0_EXIT | null = null;
  /** EvtDevicePrepareHardware: first at start, before D0Entry, with the resource lists. */
  EvtDevicePrepareHardware: EVT_WDF_DEVICE_PREPARE_HARDWARE | null = null;
  /** EvtDeviceReleaseHardware: at removal, after D0Exit. */
  EvtDeviceReleaseHardware: EVT_WDF_DEVICE_RELEASE_HARDWARE | null = null;
  /** EvtDeviceSelfManagedIoCleanup: last at removal: free what self-managed I/O used. */
  EvtDeviceSelfManagedIoCleanup: EVT_WDF_DEVICE_SELF_MANAGED_IO | null = null;
  /** EvtDeviceSelfManagedIoFlush: at removal, after the queues are purged: fail any I/O the driver tracks itself. */
  EvtDeviceSelfManagedIoFlush: EVT_WDF_DEVICE_SELF_MANAGED_IO | null = null;
  /** EvtDeviceSelfManagedIoInit: last at the first start: begin I/O the framework's queues do not manage (timers, polling threads). */
  EvtDeviceSelfManagedIoInit: EVT_WDF_DEVICE_SELF_MANAGED_IO | null = null;
  /** EvtDeviceSelfManagedIoSuspend: first when the device leaves D0 (sleep, idle, removal): pause self-managed I/O. */
  EvtDeviceSelfManagedIoSuspend: EVT_WDF_DEVICE_SELF_MANAGED_IO | null = null;
  /** EvtDeviceSelfManagedIoRestart: last on a return to D0 after a suspend (system wake, S0 idle power-up). */
  EvtDeviceSelfManagedIoRestart: EVT_WDF_DEVICE_SELF_MANAGED_IO | null = null;
  /** EvtDeviceSurpriseRemoval: at IRP_MN_SURPRISE_REMOVAL, before the removal sequence. */
  EvtDeviceSurpriseRemoval: EVT_WDF_DEVICE_SURPRISE_REMOVAL | null = null;
  /** EvtDeviceQueryRemove: at IRP_MN_QUERY_REMOVE_DEVICE; a failure status vetoes the removal. */
  EvtDeviceQueryRemove: EVT_WDF_DEVICE_QUERY_REMOVE | null = null;
  /** EvtDeviceQueryStop: at IRP_MN_QUERY_STOP_DEVICE (for resource rebalancing); never called here, where the PnP manager does not stop devices. */
  EvtDeviceQueryStop: EVT_WDF_DEVICE_QUERY_REMOVE | null = null;
}

/** WDF_PNPPOWER_EVENT_CALLBACKS_INIT. */
export function WDF_PNPPOWER_EVENT_CALLBACKS_INIT(Callbacks: WDF_PNPPOWER_EVENT_CALLBACKS): void {
  Object.assign(Callbacks, new WDF_PNPPOWER_EVENT_CALLBACKS());
}

/** A PnP device's state as the framework tracks it. */
export interface FxPnpState {
  readonly pdo: DEVICE_OBJECT;
  state: "added" | "started" | "surprise-removed" | "removed";
  /** Hardware prepared (ReleaseHardware owed). */
  prepared: boolean;
  /** WdfDeviceSetFailed's WDF_DEVICE_FAILED_ACTION (device-state.ts), once the driver failed the device. */
  failedAction?: number;
}

const NO_RESOURCES: WDFCMRESLIST = { Count: 0 };

// ---- AddDevice ------------------------------------------------------------------------------

/**
 * The framework's AddDevice (DriverObject->DriverExtension->AddDevice): a WDFDEVICE_INIT for the
 * PDO, EvtDriverDeviceAdd, and DO_DEVICE_INITIALIZING cleared on the new device. A driver that
 * returns success without creating a device fails AddDevice.
 */
export async function fxAddDevice(DriverObject: DRIVER_OBJECT, PhysicalDeviceObject: DEVICE_OBJECT): Promise<NTSTATUS> {
  const m = currentMachine("FxAddDevice");
  const g = m.wdf?.drivers.get(DriverObject);
  if (!g) return STATUS_INVALID_DEVICE_REQUEST;
  const d = fxDriver(g);
  const add = d?.config.EvtDriverDeviceAdd ?? null;
  if (!d || !add) return STATUS_INVALID_DEVICE_REQUEST;
  const t = m.currentThread();
  const init = new WDFDEVICE_INIT(g, false, PhysicalDeviceObject, null);
  const before = stackTop(PhysicalDeviceObject);
  const r = invokeCallback(t, g, null, "EvtDriverDeviceAdd", add, { object: d.label, request: null, irp: null }, () => add(d, init));
  const status = (r instanceof Promise ? await r : r) >>> 0;
  if (NT_SUCCESS(status) && stackTop(PhysicalDeviceObject) === before) return STATUS_INVALID_DEVICE_REQUEST;
  return status;
}

/** The top of the stack a PDO is the bottom of (the device a new FDO or filter attaches to). */
function stackTop(pdo: DEVICE_OBJECT): DEVICE_OBJECT {
  let d = pdo;
  while (d.AttachedDevice) d = d.AttachedDevice;
  return d;
}

/** Attaches a new PnP device to its PDO's stack (WdfDeviceCreate for a PnP WDFDEVICE_INIT). */
export function attachPnpDevice(t: KThread, dev: FxDevice): NTSTATUS {
  const pdo = dev.init.pdo;
  const d = dev.deviceObject;
  if (!pdo || !d) return STATUS_INVALID_DEVICE_REQUEST;
  const lower = IoAttachDeviceToDeviceStack(d, pdo);
  if (!lower) return STATUS_INVALID_DEVICE_REQUEST;
  dev.lowerDevice = lower;
  dev.pnp = { pdo, state: "added", prepared: false };
  createDefaultTarget(t, dev);
  return STATUS_SUCCESS;
}

// ---- Device interfaces ----------------------------------------------------------------------

/**
 * WdfDeviceCreateDeviceInterface: registers an interface of class `InterfaceClassGUID` for a PnP
 * device; the framework enables it when the device starts and disables it when it is removed.
 * Apps find it by class (CM_Get_Device_Interface_List in irpsim/win32) and open it by its path.
 *
 * @returns STATUS_SUCCESS; STATUS_INVALID_DEVICE_REQUEST for a control device.
 */
export function WdfDeviceCreateDeviceInterface(Device: WDFDEVICE, InterfaceClassGUID: string, ReferenceString: string | null): NTSTATUS {
  const t = fxEnter("WdfDeviceCreateDeviceInterface");
  const dev = fxDevice(t, Device, "WdfDeviceCreateDeviceInterface");
  if (!dev) return STATUS_INVALID_HANDLE;
  if (!fxIrqlOk(t, dev.globals, "WdfDeviceCreateDeviceInterface", PASSIVE_LEVEL)) return STATUS_INVALID_DEVICE_REQUEST;
  if (!dev.pnp) return STATUS_INVALID_DEVICE_REQUEST;
  if (typeof InterfaceClassGUID !== "string") return STATUS_INVALID_PARAMETER;
  const r = IoRegisterDeviceInterface(dev.pnp.pdo, InterfaceClassGUID, ReferenceString);
  if (!NT_SUCCESS(r.status) || !r.SymbolicLinkName) return r.status;
  dev.interfaces.push({ guid: InterfaceClassGUID, reference: ReferenceString, link: r.SymbolicLinkName });
  if (dev.pnp.state === "started") IoSetDeviceInterfaceState(r.SymbolicLinkName, true);
  return STATUS_SUCCESS;
}

// ---- The PnP IRPs ---------------------------------------------------------------------------

function trace(dev: FxDevice, state: string): void {
  const m = dev.machine;
  if (m.trace.on) m.trace.emit("WdfDeviceState", { device: dev.label, state, driver: dev.globals.name });
}

function callbacks(dev: FxDevice): WDF_PNPPOWER_EVENT_CALLBACKS | null {
  return dev.init.pnpPower;
}

/** Runs one PnP/power callback if the driver has it; its NTSTATUS (success when it has none or returns nothing). */
async function step<A extends unknown[]>(t: KThread, dev: FxDevice, role: string, fn: ((Device: WDFDEVICE, ...a: A) => MaybePromise<NTSTATUS | void>) | null, ...args: A): Promise<NTSTATUS> {
  trace(dev, role.replace(/^EvtDevice/, ""));
  if (!fn) return STATUS_SUCCESS;
  const r = invokeCallback(t, dev.globals, null, role, fn, { object: dev.label, request: null, irp: null }, () => fn(dev, ...args));
  const v = r instanceof Promise ? await r : r;
  return typeof v === "number" ? v >>> 0 : STATUS_SUCCESS;
}

/**
 * Sends `irp` to the device below `dev` and waits for it to come back (a completion routine that
 * returns STATUS_MORE_PROCESSING_REQUIRED), as the framework does for PnP, power and forwarded
 * creates; the caller then completes it. `what` names the IRP in the wait's reason. Without a lower
 * device, STATUS_SUCCESS and nothing is sent.
 */
export async function forwardAndWait(t: KThread, dev: FxDevice, irp: IRP, what = "PnP"): Promise<NTSTATUS> {
  const lower = dev.lowerDevice;
  if (!lower) return STATUS_SUCCESS;
  const m = t.machine;
  const event = new KEVENT(NotificationEvent, false, `${dev.label} ${what} forward`);
  IoCopyCurrentIrpStackLocationToNext(irp);
  IoSetCompletionRoutine(
    irp,
    function FxForwardCompletion() {
      m.signal(event);
      return STATUS_MORE_PROCESSING_REQUIRED;
    },
    null,
    true,
    true,
    true,
  );
  const r = IoCallDriver(lower, irp);
  const st = r instanceof Promise ? await r : r;
  if (st === STATUS_PENDING || event.SignalState === 0) {
    await m.waits.waitFor([event], { waitAll: false, mode: KernelMode, alertable: false, timeout: null, reason: `${dev.label} waits for the lower driver's ${what} ${irp.label}` });
  }
  return irp.Status;
}

function passDown(t: KThread, dev: FxDevice, irp: IRP): MaybePromise<NTSTATUS> {
  const lower = dev.lowerDevice;
  if (!lower) {
    completeIrp(t, irp, 0);
    return irp.Status;
  }
  IoSkipCurrentIrpStackLocation(irp);
  return IoCallDriver(lower, irp);
}

/** IRP_MJ_PNP for a framework device. */
export async function dispatchPnp(t: KThread, dev: FxDevice, irp: IRP): Promise<NTSTATUS> {
  const pnp = dev.pnp;
  const sl = irp.Stack[irp.CurrentLocation - 1];
  if (!pnp || !sl) {
    irp.Status = STATUS_INVALID_DEVICE_REQUEST;
    completeIrp(t, irp, 0);
    return STATUS_INVALID_DEVICE_REQUEST;
  }
  switch (sl.MinorFunction) {
    case IRP_MN_START_DEVICE: {
      let st = await forwardAndWait(t, dev, irp);
      if (NT_SUCCESS(st)) st = await startSequence(t, dev);
      irp.Status = st;
      completeIrp(t, irp, 0);
      return st;
    }
    case IRP_MN_QUERY_REMOVE_DEVICE: {
      const st = await step(t, dev, "EvtDeviceQueryRemove", callbacks(dev)?.EvtDeviceQueryRemove ?? null);
      if (!NT_SUCCESS(st)) {
        irp.Status = st;
        completeIrp(t, irp, 0);
        return st;
      }
      irp.Status = STATUS_SUCCESS;
      return passDown(t, dev, irp);
    }
    case IRP_MN_CANCEL_REMOVE_DEVICE:
      irp.Status = STATUS_SUCCESS;
      return passDown(t, dev, irp);
    case IRP_MN_SURPRISE_REMOVAL: {
      pnp.state = "surprise-removed";
      // A device its driver failed was powered down already and is not unplugged: no EvtDeviceSurpriseRemoval.
      if (pnp.failedAction === undefined) await step(t, dev, "EvtDeviceSurpriseRemoval", callbacks(dev)?.EvtDeviceSurpriseRemoval ?? null);
      await powerDownSequence(t, dev);
      irp.Status = STATUS_SUCCESS;
      return passDown(t, dev, irp);
    }
    case IRP_MN_REMOVE_DEVICE: {
      if (pnp.state === "started") await powerDownSequence(t, dev);
      pnp.state = "removed";
      await removeSequence(t, dev);
      irp.Status = STATUS_SUCCESS;
      const lower = dev.lowerDevice;
      const d = dev.deviceObject;
      const r = passDown(t, dev, irp);
      const st = r instanceof Promise ? await r : r;
      if (lower) IoDetachDevice(lower);
      if (d && !d.deletePending) IoDeleteDevice(d);
      return st;
    }
    case IRP_MN_QUERY_PNP_DEVICE_STATE: {
      // Down first; on the way up the framework adds what it knows (a device its driver failed).
      let st = await forwardAndWait(t, dev, irp);
      if (st === STATUS_NOT_SUPPORTED && pnp.failedAction !== undefined) st = STATUS_SUCCESS;
      if (NT_SUCCESS(st)) irp.Information = (irp.Information | failedDeviceState(pnp)) >>> 0;
      irp.Status = st;
      completeIrp(t, irp, 0);
      return st;
    }
    default:
      return passDown(t, dev, irp);
  }
}

/** IRP_MJ_POWER: the framework's power policy and power callbacks (power.ts). */
export function dispatchPower(t: KThread, dev: FxDevice, irp: IRP): MaybePromise<NTSTATUS> {
  return fxDispatchPower(t, dev, irp);
}

/** START: PrepareHardware, D0Entry, D0EntryPostInterruptsEnabled, interfaces, queues, SelfManagedIoInit. */
async function startSequence(t: KThread, dev: FxDevice): Promise<NTSTATUS> {
  const pnp = dev.pnp as FxPnpState;
  const cb = callbacks(dev);
  let st = await step(t, dev, "EvtDevicePrepareHardware", cb?.EvtDevicePrepareHardware ?? null, NO_RESOURCES, NO_RESOURCES);
  if (!NT_SUCCESS(st)) return st;
  pnp.prepared = true;
  st = await step(t, dev, "EvtDeviceD0Entry", cb?.EvtDeviceD0Entry ?? null, WdfPowerDeviceD3Final);
  if (!NT_SUCCESS(st)) {
    await step(t, dev, "EvtDeviceReleaseHardware", cb?.EvtDeviceReleaseHardware ?? null, NO_RESOURCES);
    pnp.prepared = false;
    return st;
  }
  st = await step(t, dev, "EvtDeviceD0EntryPostInterruptsEnabled", cb?.EvtDeviceD0EntryPostInterruptsEnabled ?? null, WdfPowerDeviceD3Final);
  if (!NT_SUCCESS(st)) {
    await step(t, dev, "EvtDeviceD0Exit", cb?.EvtDeviceD0Exit ?? null, WdfPowerDeviceD3Final);
    await step(t, dev, "EvtDeviceReleaseHardware", cb?.EvtDeviceReleaseHardware ?? null, NO_RESOURCES);
    pnp.prepared = false;
    return st;
  }
  dev.inD0 = true;
  pnp.state = "started";
  for (const i of dev.interfaces) if (i.link) IoSetDeviceInterfaceState(i.link, true);
  for (const q of [...dev.queues]) {
    const r = q.powerUp(t);
    if (r instanceof Promise) await r;
  }
  st = await step(t, dev, "EvtDeviceSelfManagedIoInit", cb?.EvtDeviceSelfManagedIoInit ?? null);
  trace(dev, "started");
  powerStarted(dev);
  return NT_SUCCESS(st) ? STATUS_SUCCESS : st;
}

/**
 * Leaving D0 for good (removal or surprise removal): SelfManagedIoSuspend; the power-managed
 * queues stop, EvtIoStop(WdfRequestStopActionPurge) for each request the driver owns, and the
 * framework waits until each is completed, requeued or acknowledged; D0ExitPreInterruptsDisabled;
 * D0Exit(WdfPowerDeviceD3Final).
 */
async function powerDownSequence(t: KThread, dev: FxDevice): Promise<void> {
  if (!dev.inD0) return;
  const cb = callbacks(dev);
  await step(t, dev, "EvtDeviceSelfManagedIoSuspend", cb?.EvtDeviceSelfManagedIoSuspend ?? null);
  for (const i of dev.interfaces) if (i.link) IoSetDeviceInterfaceState(i.link, false);
  for (const q of [...dev.queues]) if (q.powerManaged) q.powerDown(t, true);
  await waitForDriverRequests(t, dev, (q) => q.powerManaged, "stop");
  await step(t, dev, "EvtDeviceD0ExitPreInterruptsDisabled", cb?.EvtDeviceD0ExitPreInterruptsDisabled ?? null, WdfPowerDeviceD3Final);
  await step(t, dev, "EvtDeviceD0Exit", cb?.EvtDeviceD0Exit ?? null, WdfPowerDeviceD3Final);
  dev.inD0 = false;
}

/** REMOVE: ReleaseHardware, every queue purged (and waited for), SelfManagedIoFlush, SelfManagedIoCleanup, the device deleted. */
async function removeSequence(t: KThread, dev: FxDevice): Promise<void> {
  const pnp = dev.pnp as FxPnpState;
  const cb = callbacks(dev);
  if (pnp.prepared) {
    await step(t, dev, "EvtDeviceReleaseHardware", cb?.EvtDeviceReleaseHardware ?? null, NO_RESOURCES);
    pnp.prepared = false;
  }
  // The queues are purged before the device's self-managed I/O is flushed and cleaned up.
  for (const q of [...dev.queues]) q.purge(t);
  await waitForDriverRequests(t, dev, () => true, "purge");
  await step(t, dev, "EvtDeviceSelfManagedIoFlush", cb?.EvtDeviceSelfManagedIoFlush ?? null);
  await step(t, dev, "EvtDeviceSelfManagedIoCleanup", cb?.EvtDeviceSelfManagedIoCleanup ?? null);
  trace(dev, "removed");
  dev.deleteObject();
}

/**
 * Waits until the driver owns no request of the device's queues that `which` selects (requests
 * acknowledged with WdfRequestStopAcknowledge(FALSE) count as done for a stop). A request the
 * driver never finishes keeps the PnP thread waiting: the run ends blocked, with a KMDF finding.
 */
export async function waitForDriverRequests(t: KThread, dev: FxDevice, which: (q: FxDevice["queues"][number]) => boolean, why: "stop" | "purge"): Promise<void> {
  const m = t.machine;
  const pending = (): string[] => {
    const out: string[] = [];
    for (const q of dev.queues) if (which(q)) for (const r of q.driverOwned) if (!(why === "stop" && r.stopAcknowledgedInPlace)) out.push(`${r.label} (${q.label})`);
    return out;
  };
  const fx = fxMachine(m);
  let reported = false;
  while (pending().length > 0) {
    const event = new KEVENT(NotificationEvent, false, `${dev.label} ${why}`);
    fx.pnpWaiters.set(dev, () => {
      m.signal(event);
    });
    if (!reported && dev.globals.verifierOn) {
      reported = true;
      fx.leftAtPurge.set(dev, { what: pending(), why: why === "stop" ? "power-down" : "removal" });
    }
    await m.waits.waitFor([event], { waitAll: false, mode: KernelMode, alertable: false, timeout: null, reason: `the framework's ${why === "stop" ? "power-down" : "removal"} of ${dev.label} waits for the driver to complete ${pending().join(", ")}` });
    fx.pnpWaiters.delete(dev);
  }
  fx.leftAtPurge.delete(dev);
}

/** A driver-owned request of `dev` was released: a waiting power-down or removal looks again. */
export function pnpRequestReleased(dev: FxDevice): void {
  dev.machine.wdf?.pnpWaiters.get(dev)?.();
  powerIoReleased(dev);
}

export { pnpManager };

// ---- A device its driver failed (WdfDeviceSetFailed, device-state.ts) -------------------------

/** The PNP_DEVICE_STATE bits a failed device reports: FAILED, and RESOURCE_REQUIREMENTS_CHANGED to have it restarted (WdfDeviceFailedAttemptRestart). */
function failedDeviceState(pnp: FxPnpState): number {
  if (pnp.failedAction === undefined) return 0;
  return pnp.failedAction === 1 ? PNP_DEVICE_FAILED | PNP_DEVICE_RESOURCE_REQUIREMENTS_CHANGED : PNP_DEVICE_FAILED;
}

/**
 * The framework's own teardown of a device its driver failed, before it tells the PnP manager:
 * the power-down (SelfManagedIoSuspend, power-managed queues stopped with EvtIoStop, D0Exit to
 * D3Final) and EvtDeviceReleaseHardware. The removal IRPs that follow find it powered down.
 */
export async function failedPowerDown(t: KThread, dev: FxDevice): Promise<void> {
  const pnp = dev.pnp;
  if (!pnp) return;
  await powerDownSequence(t, dev);
  if (pnp.prepared) {
    await step(t, dev, "EvtDeviceReleaseHardware", callbacks(dev)?.EvtDeviceReleaseHardware ?? null, NO_RESOURCES);
    pnp.prepared = false;
  }
  trace(dev, "failed");
}
