/**
 * A minimal PnP manager: root-enumerated devices (the "ROOT\\<ID>\\0000" instances an INF puts under
 * the root bus). For each, the PnP manager creates a PDO, calls the function driver's AddDevice
 * (DriverObject->DriverExtension->AddDevice) and sends IRP_MJ_PNP IRP_MN_START_DEVICE; later an
 * orderly removal (IRP_MN_QUERY_REMOVE_DEVICE, then IRP_MN_REMOVE_DEVICE — vetoed while handles
 * are open) or a surprise removal (IRP_MN_SURPRISE_REMOVAL at once, IRP_MN_REMOVE_DEVICE once the
 * last handle to the device is closed). Device interfaces (IoRegisterDeviceInterface,
 * IoSetDeviceInterfaceState) are symbolic links under \?? that apps find by interface class.
 *
 * WDM drivers use it as they would on Windows; the framework (wdf/) is one more client. Not
 * modelled: resource lists (drivers get none), bus drivers' child enumeration, stop/rebalance.
 * Power IRPs: the root bus's PDOs answer them (power.ts); the power manager is power-manager.ts.
 */
import { checkPointer } from "../kernel/bad-pointer.js";
import { KEVENT, NotificationEvent } from "../kernel/dispatcher.js";
import { currentMachine } from "../kernel/context.js";
import { KernelMode } from "../kernel/irql.js";
import type { Machine } from "../kernel/machine.js";
import { nameArgumentText, type NameArgument } from "../kernel/name-argument.js";
import type { MaybePromise } from "../kernel/objects.js";
import { createUnicodeString, UNICODE_STRING } from "../kernel/rtl-string.js";
import {
  NT_SUCCESS,
  STATUS_INSUFFICIENT_RESOURCES,
  STATUS_INVALID_DEVICE_REQUEST,
  STATUS_INVALID_PARAMETER,
  STATUS_NOT_SUPPORTED,
  STATUS_OBJECT_NAME_COLLISION,
  STATUS_OBJECT_NAME_NOT_FOUND,
  STATUS_PENDING,
  STATUS_SUCCESS,
  STATUS_UNSUCCESSFUL,
  ntStatusName,
  type NTSTATUS,
} from "../kernel/status.js";
import type { KThread } from "../kernel/thread.js";
import { callDriver, IoGetAttachedDevice } from "./call-driver.js";
import { completeRequest } from "./completion.js";
import { DO_DEVICE_INITIALIZING, FILE_DEVICE_UNKNOWN, IRP_MJ_PNP, IRP_MJ_MAXIMUM_FUNCTION, IRP_MJ_POWER } from "./constants.js";
import { IoCreateDevice, IoDeleteDevice } from "./device.js";
import type { DEVICE_OBJECT } from "./device-object.js";
import { DRIVER_OBJECT, type DRIVER_DISPATCH } from "./driver-object.js";
import { ioManager, SymbolicLink } from "./io-manager.js";
import { allocateIrp, queueIrpToThread } from "./irp-alloc.js";
import { IO_STATUS_BLOCK, type IRP } from "./irp.js";
import { PnpRootDispatchPower } from "./power.js";

// ---- Minor function codes -------------------------------------------------------------------

/** IRP_MJ_PNP minor function codes (wdm.h). */
export const IrpMinorPnp = {
  IRP_MN_START_DEVICE: 0x00,
  IRP_MN_QUERY_REMOVE_DEVICE: 0x01,
  IRP_MN_REMOVE_DEVICE: 0x02,
  IRP_MN_CANCEL_REMOVE_DEVICE: 0x03,
  IRP_MN_STOP_DEVICE: 0x04,
  IRP_MN_QUERY_STOP_DEVICE: 0x05,
  IRP_MN_CANCEL_STOP_DEVICE: 0x06,
  IRP_MN_QUERY_DEVICE_RELATIONS: 0x07,
  IRP_MN_QUERY_INTERFACE: 0x08,
  IRP_MN_QUERY_CAPABILITIES: 0x09,
  IRP_MN_QUERY_RESOURCES: 0x0a,
  IRP_MN_QUERY_RESOURCE_REQUIREMENTS: 0x0b,
  IRP_MN_QUERY_DEVICE_TEXT: 0x0c,
  IRP_MN_FILTER_RESOURCE_REQUIREMENTS: 0x0d,
  IRP_MN_QUERY_ID: 0x13,
  IRP_MN_QUERY_PNP_DEVICE_STATE: 0x14,
  IRP_MN_SURPRISE_REMOVAL: 0x17,
} as const;
export const {
  IRP_MN_START_DEVICE,
  IRP_MN_QUERY_REMOVE_DEVICE,
  IRP_MN_REMOVE_DEVICE,
  IRP_MN_CANCEL_REMOVE_DEVICE,
  IRP_MN_STOP_DEVICE,
  IRP_MN_QUERY_STOP_DEVICE,
  IRP_MN_CANCEL_STOP_DEVICE,
  IRP_MN_QUERY_DEVICE_RELATIONS,
  IRP_MN_QUERY_CAPABILITIES,
  IRP_MN_QUERY_ID,
  IRP_MN_QUERY_PNP_DEVICE_STATE,
  IRP_MN_SURPRISE_REMOVAL,
} = IrpMinorPnp;

/** The name of a PnP minor function, for traces. */
export function pnpMinorName(minor: number): string {
  for (const [k, v] of Object.entries(IrpMinorPnp)) if (v === minor) return k;
  return `IRP_MN_0x${minor.toString(16)}`;
}

/** PDRIVER_ADD_DEVICE: the PnP manager found one of the driver's devices; create and attach its FDO. */
export type DRIVER_ADD_DEVICE = (DriverObject: DRIVER_OBJECT, PhysicalDeviceObject: DEVICE_OBJECT) => MaybePromise<NTSTATUS>;

// ---- Device nodes ---------------------------------------------------------------------------

/** Where a device node is in its life. */
export type DeviceNodeState = "added" | "started" | "surprise-removed" | "removed" | "failed";

/** A device interface registered for a device node. */
export interface DeviceInterface {
  /** The interface class GUID, braced and in lower case ("{…}"). */
  readonly guid: string;
  /** The reference string IoRegisterDeviceInterface was given (null for none). */
  readonly reference: string | null;
  /** "\\??\\ROOT#KMDFECHO#0000#{guid}" (plus "\\reference"). */
  readonly link: string;
  /** Whether IoSetDeviceInterfaceState enabled it (only then does the link exist and the class list it). */
  enabled: boolean;
}

/** A device the PnP manager knows: its instance, PDO, function driver and state. */
export class DeviceNode {
  /** Where the node is in its life: "added" after AddDevice, "started" once IRP_MN_START_DEVICE succeeded. */
  state: DeviceNodeState = "added";
  /** The device interfaces its drivers registered, enabled or not. */
  readonly interfaces: DeviceInterface[] = [];
  /** Signalled when the last file object open on the device closes (surprise removal waits for it). */
  readonly lastClose = new KEVENT(NotificationEvent, false);
  /** PnP IRPs the node was sent, in order ("IRP_MN_START_DEVICE → STATUS_SUCCESS"), for reports and tests. */
  readonly history: string[] = [];
  /** The lower filter drivers' service names (the LowerFilters value), bottom first. */
  lowerFilters: readonly string[] = [];
  /** The upper filter drivers' service names (the UpperFilters value), bottom first. */
  upperFilters: readonly string[] = [];
  constructor(
    /** "ROOT\\KMDFECHO\\0000". */
    readonly instanceId: string,
    /** The hardware ID the device was reported with ("Root\\KmdfEcho"), which the INF matched. */
    readonly hardwareId: string,
    /** The physical device object, created by the root bus; the bottom of the stack (a new one when the PnP manager restarts a failed device). */
    public pdo: DEVICE_OBJECT,
    /** The function driver's service name, whose AddDevice built the stack. */
    readonly service: string,
  ) {}

  /** The top of the device stack (what IRPs go to). */
  get top(): DEVICE_OBJECT {
    return IoGetAttachedDevice(this.pdo);
  }
}

declare module "../kernel/machine.js" {
  interface Machine {
    /** The PnP manager, created the first time a device is reported. */
    pnp?: PnpManager;
  }
}

/** The PnP manager of one machine. */
export class PnpManager {
  readonly nodes: DeviceNode[] = [];
  /** The root bus's driver object (owner of root-enumerated PDOs). */
  readonly rootDriver: DRIVER_OBJECT;
  private pdoCount = 0;

  constructor(readonly machine: Machine) {
    this.rootDriver = new DRIVER_OBJECT("PnpManager");
    for (let i = 0; i <= IRP_MJ_MAXIMUM_FUNCTION; i++) this.rootDriver.MajorFunction[i] = PnpRootDispatch;
    this.rootDriver.MajorFunction[IRP_MJ_PNP] = PnpRootDispatchPnp;
    this.rootDriver.MajorFunction[IRP_MJ_POWER] = PnpRootDispatchPower;
  }

  nextPdoName(): string {
    this.pdoCount++;
    return `\\Device\\${this.pdoCount.toString(16).toUpperCase().padStart(8, "0")}`;
  }

  nodeOf(pdo: DEVICE_OBJECT): DeviceNode | null {
    return this.nodes.find((n) => n.pdo === pdo) ?? null;
  }

  /** The node whose stack contains `device`. */
  nodeOfStackMember(device: DEVICE_OBJECT): DeviceNode | null {
    let d: DEVICE_OBJECT = device;
    while (d.attachedTo) d = d.attachedTo;
    return this.nodeOf(d);
  }

  /** A file object on `device` was closed for good (io-manager/close.ts tells it). */
  fileClosed(device: DEVICE_OBJECT): void {
    const n = this.nodeOfStackMember(device);
    if (n && openCount(n) === 0) this.machine.signal(n.lastClose);
  }
}

/** The machine's PnP manager. */
export function pnpManager(m: Machine): PnpManager {
  let p = m.pnp;
  if (!p) {
    p = new PnpManager(m);
    m.pnp = p;
  }
  return p;
}

/** File objects open on any device of a node's stack. */
function openCount(n: DeviceNode): number {
  let c = 0;
  for (let d: DEVICE_OBJECT | null = n.pdo; d; d = d.AttachedDevice) c += d.openCount;
  return c;
}

/** The root bus's dispatch routine for everything but PnP: a PDO with no function driver fails it. */
const PnpRootDispatch: DRIVER_DISPATCH = function PnpRootDispatch(_DeviceObject, Irp) {
  const t = currentMachine("PnpRootDispatch").currentThread();
  Irp.Status = STATUS_INVALID_DEVICE_REQUEST;
  Irp.Information = 0;
  completeRequest(t, Irp);
  return STATUS_INVALID_DEVICE_REQUEST;
};

/**
 * The root bus's PnP dispatch for its PDOs (the bottom of each stack): start, remove and surprise
 * removal succeed; a removed PDO is deleted; what it does not handle keeps the status it was sent
 * with, as a bus driver leaves it.
 */
const PnpRootDispatchPnp: DRIVER_DISPATCH = function PnpRootDispatchPnp(DeviceObject, Irp) {
  const m = currentMachine("PnpRootDispatchPnp");
  const t = m.currentThread();
  const sl = Irp.Stack[Irp.CurrentLocation - 1];
  const minor = sl ? sl.MinorFunction : -1;
  let status = Irp.Status;
  switch (minor) {
    case IRP_MN_START_DEVICE:
    case IRP_MN_QUERY_REMOVE_DEVICE:
    case IRP_MN_CANCEL_REMOVE_DEVICE:
    case IRP_MN_SURPRISE_REMOVAL:
    case IRP_MN_QUERY_STOP_DEVICE:
    case IRP_MN_CANCEL_STOP_DEVICE:
    case IRP_MN_STOP_DEVICE:
      status = STATUS_SUCCESS;
      break;
    case IRP_MN_REMOVE_DEVICE:
      status = STATUS_SUCCESS;
      // A root-enumerated device is gone once removed: the bus deletes its PDO.
      if (!DeviceObject.deletePending) IoDeleteDevice(DeviceObject);
      break;
  }
  Irp.Status = status;
  completeRequest(t, Irp);
  return status;
};

// ---- Sending PnP IRPs -----------------------------------------------------------------------

/**
 * Sends IRP_MJ_PNP `minor` to the top of a node's stack from the current (system) thread and
 * waits for it, as the PnP manager does; the IRP starts with STATUS_NOT_SUPPORTED.
 */
export async function sendPnpIrp(t: KThread, n: DeviceNode, minor: number, information?: { value: number }): Promise<NTSTATUS> {
  const m = t.machine;
  const top = n.top;
  const irp: IRP | null = allocateIrp(m, top.StackSize, "service");
  if (!irp) return STATUS_UNSUCCESSFUL;
  const event = new KEVENT(NotificationEvent, false, `${pnpMinorName(minor)} of ${n.instanceId}`);
  const iosb = new IO_STATUS_BLOCK();
  irp.UserEvent = event;
  irp.UserIosb = iosb;
  irp.RequestorMode = KernelMode;
  irp.Status = STATUS_NOT_SUPPORTED;
  const sl = irp.Stack[irp.StackCount - 1];
  if (sl) {
    sl.MajorFunction = IRP_MJ_PNP;
    sl.MinorFunction = minor;
  }
  queueIrpToThread(irp, t);
  if (m.trace.on) m.trace.emit("PnpIrp", { device: n.instanceId, minor: pnpMinorName(minor), phase: "sent", status: null });
  const r = callDriver(t, top, irp);
  let status = r instanceof Promise ? await r : r;
  if (status === STATUS_PENDING) {
    await m.waits.waitFor([event], { waitAll: false, mode: KernelMode, alertable: false, timeout: null, reason: `the PnP manager waits for ${pnpMinorName(minor)} of ${n.instanceId}` });
    status = iosb.Status;
  }
  if (information) information.value = iosb.Information;
  n.history.push(`${pnpMinorName(minor)} → ${ntStatusName(status)}`);
  if (m.trace.on) m.trace.emit("PnpIrp", { device: n.instanceId, minor: pnpMinorName(minor), phase: "completed", status });
  return status;
}

/** Runs `body` on a new system thread and the machine until it returns (the harness's view of a PnP operation). */
export async function onPnpThread<T>(m: Machine, label: string, body: (t: KThread) => Promise<T>): Promise<T> {
  let done = false;
  let value: T | undefined;
  let error: unknown = null;
  m.createSystemThread(label, async () => {
    try {
      value = await body(m.currentThread());
    } catch (e) {
      error = e;
    } finally {
      done = true;
    }
  });
  await m.run({ until: () => done });
  if (error !== null) m.unhandledKernelException(error, label);
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- set by the thread
  if (!done) throw new Error(`${label} did not finish (the machine ended: ${m.halted ? m.haltedError().message : "blocked"})`);
  return value as T;
}

/** What reporting a device produced. */
export interface ReportedDevice {
  /** STATUS_SUCCESS once the stack started; otherwise AddDevice's or the start's failure, or STATUS_OBJECT_NAME_NOT_FOUND for a service that is not loaded. */
  readonly status: NTSTATUS;
  /** The device node (state "failed" when AddDevice or the start failed; null when none was made). */
  readonly node: DeviceNode | null;
}

/** How a root-enumerated device is reported (what its INF and the registry say). */
export interface RootDeviceOptions {
  /** The function driver's service name (a loaded driver). */
  service: string;
  /** The hardware ID ("Root\\KmdfEcho"), from which the instance ID is made. */
  hardwareId: string;
  /** UpperFilters: services whose AddDevice attaches above the function driver, bottom first. */
  upperFilters?: readonly string[];
  /** LowerFilters: services whose AddDevice attaches between the PDO and the function driver, bottom first. */
  lowerFilters?: readonly string[];
}

/**
 * IoReportDetectedDevice / the root enumerator finding an INF-installed device: creates the PDO
 * for `hardwareId` ("Root\\KmdfEcho"), calls AddDevice of each driver of the stack in the order
 * Windows does — the lower filters (LowerFilters, in order), the function driver (`service`),
 * the upper filters (UpperFilters, in order), each attaching above the one before — and starts the
 * stack, running the machine until it is done. A driver not loaded fails the report
 * (STATUS_OBJECT_NAME_NOT_FOUND, no node); a failed AddDevice or START, or a function driver that
 * attached no device, leaves the node "failed" (the devices attached so far get
 * IRP_MN_REMOVE_DEVICE; the PDO is deleted). A filter that attaches nothing is allowed.
 */
export async function createRootDevice(m: Machine, options: RootDeviceOptions): Promise<ReportedDevice> {
  const io = ioManager(m);
  const pnp = pnpManager(m);
  const lower = options.lowerFilters ?? [];
  const upper = options.upperFilters ?? [];
  for (const name of [...lower, options.service, ...upper]) {
    const d = io.drivers.get(name.toLowerCase());
    if (!d) return { status: STATUS_OBJECT_NAME_NOT_FOUND, node: null };
    if (typeof d.DriverExtension.AddDevice !== "function") return { status: STATUS_INVALID_DEVICE_REQUEST, node: null };
  }
  const id = options.hardwareId.replace(/^Root\\/i, "").toUpperCase();
  const index = pnp.nodes.filter((n) => n.hardwareId.toLowerCase() === options.hardwareId.toLowerCase()).length;
  const instanceId = `ROOT\\${id}\\${index.toString().padStart(4, "0")}`;
  return onPnpThread(m, `PnP manager (${instanceId})`, async (t) => {
    const token = m.enterActivity("PnP manager", instanceId, null);
    try {
      const created = IoCreateDevice(pnp.rootDriver, null, pnp.nextPdoName(), FILE_DEVICE_UNKNOWN, 0, false);
      const pdo = created.DeviceObject;
      if (!pdo) return { status: created.status, node: null };
      pdo.Flags &= ~DO_DEVICE_INITIALIZING;
      const node = new DeviceNode(instanceId, options.hardwareId, pdo, options.service);
      node.lowerFilters = [...lower];
      node.upperFilters = [...upper];
      pnp.nodes.push(node);
      if (m.trace.on) m.trace.emit("PnpDevice", { device: instanceId, state: "reported", driver: options.service });
      const status = await buildStack(t, node);
      return { status, node };
    } finally {
      m.leaveActivity(token);
    }
  });
}

/**
 * Builds and starts a node's stack on its PDO: AddDevice of the lower filters, the function
 * driver and the upper filters, then IRP_MN_START_DEVICE. The node ends "started" or "failed".
 */
async function buildStack(t: KThread, node: DeviceNode): Promise<NTSTATUS> {
  const m = t.machine;
  const io = ioManager(m);
  const pdo = node.pdo;
  const fail = async (status: NTSTATUS): Promise<NTSTATUS> => {
    node.state = "failed";
    // Drivers that attached get IRP_MN_REMOVE_DEVICE (the root bus deletes the PDO with it).
    if (node.top !== pdo) await sendPnpIrp(t, node, IRP_MN_REMOVE_DEVICE);
    else IoDeleteDevice(pdo);
    return status;
  };
  const stack: { service: string; role: string | null }[] = [...node.lowerFilters.map((s) => ({ service: s, role: "lower filter" })), { service: node.service, role: null }, ...node.upperFilters.map((s) => ({ service: s, role: "upper filter" }))];
  for (const { service, role } of stack) {
    const driver = io.drivers.get(service.toLowerCase());
    const addDevice = driver?.DriverExtension.AddDevice as DRIVER_ADD_DEVICE | null | undefined;
    if (!driver || typeof addDevice !== "function") return fail(STATUS_OBJECT_NAME_NOT_FOUND);
    const before = node.top;
    const add = m.enterActivity("AddDevice", addDevice.name || "AddDevice", driver.shortName);
    let status: NTSTATUS;
    try {
      const r = addDevice(driver, pdo);
      status = (r instanceof Promise ? await r : r) >>> 0;
    } catch (e) {
      m.leaveActivity(add);
      return m.unhandledKernelException(e, `AddDevice of ${driver.shortName}`);
    }
    m.leaveActivity(add);
    node.history.push(role === null ? `AddDevice → ${ntStatusName(status)}` : `AddDevice (${role} ${driver.shortName}) → ${ntStatusName(status)}`);
    if (!NT_SUCCESS(status)) return fail(status);
    // The function driver must attach its FDO; a filter may decline to attach.
    if (role === null && node.top === before) return fail(STATUS_INVALID_DEVICE_REQUEST);
  }
  for (let d: DEVICE_OBJECT | null = pdo.AttachedDevice; d; d = d.AttachedDevice) d.Flags &= ~DO_DEVICE_INITIALIZING;
  const st = await sendPnpIrp(t, node, IRP_MN_START_DEVICE);
  if (!NT_SUCCESS(st)) {
    node.state = "failed";
    await sendPnpIrp(t, node, IRP_MN_REMOVE_DEVICE);
    return st;
  }
  node.state = "started";
  if (m.trace.on) m.trace.emit("PnpDevice", { device: node.instanceId, state: "started", driver: node.service });
  return STATUS_SUCCESS;
}

/** Why an orderly removal was refused (PNP_VETO_TYPE). */
export type PnpVetoType = "PNP_VetoOutstandingOpen" | "PNP_VetoDevice" | null;

/**
 * An orderly removal (Device Manager's Disable, Safely Remove Hardware): refused while a handle to
 * the device is open (PNP_VetoOutstandingOpen); otherwise IRP_MN_QUERY_REMOVE_DEVICE, and if a
 * driver fails it (PNP_VetoDevice) IRP_MN_CANCEL_REMOVE_DEVICE, else IRP_MN_REMOVE_DEVICE. Must run
 * on a system thread (see {@link removeDevice} for the harness's form).
 */
export async function requestDeviceRemoval(t: KThread, n: DeviceNode): Promise<{ status: NTSTATUS; veto: PnpVetoType }> {
  if (n.state !== "started") return { status: STATUS_INVALID_DEVICE_REQUEST, veto: null };
  if (openCount(n) > 0) return { status: STATUS_UNSUCCESSFUL, veto: "PNP_VetoOutstandingOpen" };
  const q = await sendPnpIrp(t, n, IRP_MN_QUERY_REMOVE_DEVICE);
  if (!NT_SUCCESS(q)) {
    await sendPnpIrp(t, n, IRP_MN_CANCEL_REMOVE_DEVICE);
    return { status: q, veto: "PNP_VetoDevice" };
  }
  disableInterfaces(t.machine, n);
  await sendPnpIrp(t, n, IRP_MN_REMOVE_DEVICE);
  n.state = "removed";
  return { status: STATUS_SUCCESS, veto: null };
}

/**
 * An orderly removal from the harness (Device Manager's Disable, Safely Remove Hardware), run by
 * the PnP manager on a new system thread, the machine running until it is done: refused while a
 * handle to the device is open (PNP_VetoOutstandingOpen); otherwise IRP_MN_QUERY_REMOVE_DEVICE,
 * and if a driver fails it (PNP_VetoDevice) IRP_MN_CANCEL_REMOVE_DEVICE, else IRP_MN_REMOVE_DEVICE.
 */
export async function removeDevice(m: Machine, n: DeviceNode): Promise<{ /** STATUS_SUCCESS once removed; STATUS_UNSUCCESSFUL for an open handle; the query's failure status when a driver vetoed; STATUS_INVALID_DEVICE_REQUEST for a node that is not started. */ status: NTSTATUS; /** Who refused, as PNP_VETO_TYPE names it (null when removed). */ veto: PnpVetoType }> {
  return onPnpThread(m, `PnP manager (remove ${n.instanceId})`, (t) => requestDeviceRemoval(t, n));
}

/**
 * Surprise removal (the device was unplugged): its interfaces go, IRP_MN_SURPRISE_REMOVAL is sent
 * at once, and IRP_MN_REMOVE_DEVICE once the last handle to the device is closed. Starts a system
 * thread and returns; the thread runs as the machine runs.
 */
export function surpriseRemoveDevice(m: Machine, n: DeviceNode): boolean {
  if (n.state !== "started") return false;
  n.state = "surprise-removed";
  if (m.trace.on) m.trace.emit("PnpDevice", { device: n.instanceId, state: "surprise-removed", driver: n.service });
  m.createSystemThread(`PnP manager (surprise removal of ${n.instanceId})`, async () => {
    const t = m.currentThread();
    disableInterfaces(m, n);
    await sendPnpIrp(t, n, IRP_MN_SURPRISE_REMOVAL);
    if (openCount(n) > 0) {
      await m.waits.waitFor([n.lastClose], { waitAll: false, mode: KernelMode, alertable: false, timeout: null, reason: `the PnP manager waits for the last handle to ${n.instanceId} to close before IRP_MN_REMOVE_DEVICE` });
    }
    await sendPnpIrp(t, n, IRP_MN_REMOVE_DEVICE);
    n.state = "removed";
    if (m.trace.on) m.trace.emit("PnpDevice", { device: n.instanceId, state: "removed", driver: n.service });
  });
  return true;
}

// ---- A device that reports itself failed (IoInvalidateDeviceState) ---------------------------

/** PNP_DEVICE_STATE bits a driver reports in IRP_MN_QUERY_PNP_DEVICE_STATE's Information (wdm.h). */
export const PNP_DEVICE_STATE_FLAGS = {
  PNP_DEVICE_DISABLED: 0x1,
  PNP_DEVICE_DONT_DISPLAY_IN_UI: 0x2,
  PNP_DEVICE_FAILED: 0x4,
  PNP_DEVICE_REMOVED: 0x8,
  PNP_DEVICE_RESOURCE_REQUIREMENTS_CHANGED: 0x10,
  PNP_DEVICE_NOT_DISABLEABLE: 0x20,
} as const;
export const { PNP_DEVICE_DISABLED, PNP_DEVICE_DONT_DISPLAY_IN_UI, PNP_DEVICE_FAILED, PNP_DEVICE_REMOVED, PNP_DEVICE_RESOURCE_REQUIREMENTS_CHANGED, PNP_DEVICE_NOT_DISABLEABLE } = PNP_DEVICE_STATE_FLAGS;

/**
 * IoInvalidateDeviceState: a driver of the stack says the device's PnP state changed. The PnP
 * manager, on a system thread of its own, sends IRP_MN_QUERY_PNP_DEVICE_STATE; when the answer has
 * PNP_DEVICE_FAILED (or PNP_DEVICE_REMOVED) it tears the stack down as for a device that is gone —
 * interfaces disabled, IRP_MN_SURPRISE_REMOVAL, IRP_MN_REMOVE_DEVICE once the last handle closes —
 * and the node stays "failed". With PNP_DEVICE_RESOURCE_REQUIREMENTS_CHANGED as well, it then
 * re-enumerates the device: a new PDO, every AddDevice and IRP_MN_START_DEVICE again (the restart
 * KMDF asks for with WdfDeviceFailedAttemptRestart). Callable at IRQL <= DISPATCH_LEVEL; a device
 * object that is no started PnP PDO is ignored.
 */
export function IoInvalidateDeviceState(PhysicalDeviceObject: DEVICE_OBJECT): void {
  const m = currentMachine("IoInvalidateDeviceState");
  m.kernelCall("IoInvalidateDeviceState");
  const n = pnpManager(m).nodeOf(PhysicalDeviceObject);
  if (!n || n.state !== "started") return;
  m.createSystemThread(`PnP manager (device state of ${n.instanceId})`, async () => {
    const t = m.currentThread();
    if (n.state !== "started") return;
    const state = await queryDeviceState(t, n);
    if ((state & (PNP_DEVICE_FAILED | PNP_DEVICE_REMOVED)) === 0) return;
    n.state = "surprise-removed";
    if (m.trace.on) m.trace.emit("PnpDevice", { device: n.instanceId, state: "failed", driver: n.service });
    disableInterfaces(m, n);
    await sendPnpIrp(t, n, IRP_MN_SURPRISE_REMOVAL);
    if (openCount(n) > 0) {
      await m.waits.waitFor([n.lastClose], { waitAll: false, mode: KernelMode, alertable: false, timeout: null, reason: `the PnP manager waits for the last handle to the failed ${n.instanceId} to close before IRP_MN_REMOVE_DEVICE` });
    }
    await sendPnpIrp(t, n, IRP_MN_REMOVE_DEVICE);
    n.state = "failed";
    if ((state & PNP_DEVICE_RESOURCE_REQUIREMENTS_CHANGED) === 0 || (state & PNP_DEVICE_REMOVED) !== 0) return;
    // Re-enumeration: the bus reports the device again; its drivers build a new stack.
    const pnp = pnpManager(m);
    const created = IoCreateDevice(pnp.rootDriver, null, pnp.nextPdoName(), FILE_DEVICE_UNKNOWN, 0, false);
    if (!created.DeviceObject) return;
    created.DeviceObject.Flags &= ~DO_DEVICE_INITIALIZING;
    n.pdo = created.DeviceObject;
    n.lastClose.SignalState = 0;
    if (m.trace.on) m.trace.emit("PnpDevice", { device: n.instanceId, state: "restarting", driver: n.service });
    await buildStack(t, n);
  });
}

/** IRP_MN_QUERY_PNP_DEVICE_STATE: the PNP_DEVICE_STATE bits the stack reports (0 when it fails the IRP). */
async function queryDeviceState(t: KThread, n: DeviceNode): Promise<number> {
  const info = { value: 0 };
  const st = await sendPnpIrp(t, n, IRP_MN_QUERY_PNP_DEVICE_STATE, info);
  return NT_SUCCESS(st) ? info.value : 0;
}

/** Whether an app's request to the node's stack is in flight (dispatched, not completed). */
export function requestsInFlight(m: Machine, n: DeviceNode): boolean {
  const io = m.io;
  if (!io || io.liveIrps.size === 0) return false;
  for (const irp of io.liveIrps) {
    if (irp.completed || irp.CurrentLocation > irp.StackCount || irp.OriginalFileObject === null) continue;
    const fo = irp.OriginalFileObject;
    if (fo.DeviceObject && pnpManager(m).nodeOfStackMember(fo.DeviceObject) === n) return true;
  }
  return false;
}

/** Injects a surprise removal of a started device (the explorer's "surpriseRemove"), recorded as an injection. */
export function injectSurpriseRemoval(m: Machine, n: DeviceNode): void {
  m.injected.push(`${n.instanceId} is surprise-removed`);
  if (m.trace.on) m.trace.emit("Injection", { action: "surpriseRemove", detail: `${n.instanceId} is unplugged (surprise removal)`, at: m.describeContext() });
  surpriseRemoveDevice(m, n);
}

function disableInterfaces(m: Machine, n: DeviceNode): void {
  for (const i of n.interfaces) if (i.enabled) setInterfaceState(m, i, false);
}

// ---- Device interfaces ----------------------------------------------------------------------

function linkName(n: DeviceNode, guid: string, reference: string | null): string {
  const g = guid.startsWith("{") ? guid : `{${guid}}`;
  return `\\??\\${n.instanceId.replace(/\\/g, "#")}#${g.toLowerCase()}${reference ? `\\${reference}` : ""}`;
}

function setInterfaceState(m: Machine, i: DeviceInterface, enable: boolean): NTSTATUS {
  const io = ioManager(m);
  const pnp = pnpManager(m);
  const node = pnp.nodes.find((n) => n.interfaces.includes(i));
  if (!node) return STATUS_OBJECT_NAME_NOT_FOUND;
  if (enable === i.enabled) return STATUS_SUCCESS;
  const base = i.reference ? i.link.slice(0, i.link.length - i.reference.length - 1) : i.link;
  if (enable) {
    const target = node.pdo.objectName ?? "";
    if (!io.insertName(base, new SymbolicLink(base, target))) return STATUS_OBJECT_NAME_COLLISION;
  } else {
    io.removeName(base);
  }
  i.enabled = enable;
  if (m.trace.on) m.trace.emit("PnpDevice", { device: node.instanceId, state: enable ? `interface ${i.guid} enabled` : `interface ${i.guid} disabled`, driver: node.service });
  return STATUS_SUCCESS;
}

/** What IoRegisterDeviceInterface returns when called without the out-parameter. */
export interface DeviceInterfaceRegistration {
  /** STATUS_SUCCESS (also for an interface already registered); STATUS_INVALID_DEVICE_REQUEST for a device object that is no PnP PDO; STATUS_INVALID_PARAMETER for a malformed GUID. */
  status: NTSTATUS;
  /** The interface's symbolic link name, "\\??\\…#{guid}" (null on failure). */
  SymbolicLinkName: string | null;
}

/**
 * IoRegisterDeviceInterface: registers an interface of class `InterfaceClassGuid` (and an optional
 * reference string: a UNICODE_STRING, a string or NULL) for the device whose PDO is given. It is
 * off until IoSetDeviceInterfaceState enables it.
 *
 * With the fourth argument, as in wdm.h: the link name is returned in that UNICODE_STRING, in a
 * buffer from paged pool the driver frees with RtlFreeUnicodeString, and the result is the
 * NTSTATUS (STATUS_INSUFFICIENT_RESOURCES when the buffer cannot be had). Without it, the status
 * and the link name as text.
 */
export function IoRegisterDeviceInterface(PhysicalDeviceObject: DEVICE_OBJECT, InterfaceClassGuid: string, ReferenceString: NameArgument | null, SymbolicLinkName: UNICODE_STRING): NTSTATUS;
export function IoRegisterDeviceInterface(PhysicalDeviceObject: DEVICE_OBJECT, InterfaceClassGuid: string, ReferenceString: NameArgument | null): DeviceInterfaceRegistration;
export function IoRegisterDeviceInterface(PhysicalDeviceObject: DEVICE_OBJECT, InterfaceClassGuid: string, ReferenceString: NameArgument | null, SymbolicLinkName?: UNICODE_STRING): NTSTATUS | DeviceInterfaceRegistration {
  const t = currentMachine("IoRegisterDeviceInterface").kernelCall("IoRegisterDeviceInterface");
  if (SymbolicLinkName === undefined) return registerInterface(t, PhysicalDeviceObject, InterfaceClassGuid, ReferenceString);
  checkPointer("IoRegisterDeviceInterface", "SymbolicLinkName", SymbolicLinkName, UNICODE_STRING, "a UNICODE_STRING");
  const r = registerInterface(t, PhysicalDeviceObject, InterfaceClassGuid, ReferenceString);
  if (!NT_SUCCESS(r.status) || r.SymbolicLinkName === null) return r.status;
  return createUnicodeString(t, SymbolicLinkName, r.SymbolicLinkName) ? r.status : STATUS_INSUFFICIENT_RESOURCES;
}

function registerInterface(t: KThread, PhysicalDeviceObject: DEVICE_OBJECT, InterfaceClassGuid: string, ReferenceString: NameArgument | null): DeviceInterfaceRegistration {
  const pnp = pnpManager(t.machine);
  const n = pnp.nodeOf(PhysicalDeviceObject);
  if (!n) return { status: STATUS_INVALID_DEVICE_REQUEST, SymbolicLinkName: null };
  if (typeof InterfaceClassGuid !== "string") return { status: STATUS_INVALID_PARAMETER, SymbolicLinkName: null };
  const reference = ReferenceString === null ? null : nameArgumentText("IoRegisterDeviceInterface", "ReferenceString", ReferenceString);
  if (typeof reference === "number") return { status: reference, SymbolicLinkName: null };
  if (!/^\{?[0-9a-fA-F-]{36}\}?$/.test(InterfaceClassGuid)) return { status: STATUS_INVALID_PARAMETER, SymbolicLinkName: null };
  const guid = (InterfaceClassGuid.startsWith("{") ? InterfaceClassGuid : `{${InterfaceClassGuid}}`).toLowerCase();
  const existing = n.interfaces.find((i) => i.guid === guid && i.reference === reference);
  if (existing) return { status: STATUS_SUCCESS, SymbolicLinkName: existing.link };
  const i: DeviceInterface = { guid, reference, link: linkName(n, guid, reference), enabled: false };
  n.interfaces.push(i);
  return { status: STATUS_SUCCESS, SymbolicLinkName: i.link };
}

/**
 * IoSetDeviceInterfaceState: enables (the link appears) or disables a registered interface, named by
 * the link IoRegisterDeviceInterface returned (a UNICODE_STRING or a string).
 */
export function IoSetDeviceInterfaceState(SymbolicLinkName: NameArgument, Enable: boolean): NTSTATUS {
  const t = currentMachine("IoSetDeviceInterfaceState").kernelCall("IoSetDeviceInterfaceState");
  const name = nameArgumentText("IoSetDeviceInterfaceState", "SymbolicLinkName", SymbolicLinkName);
  if (typeof name === "number") return name;
  const pnp = pnpManager(t.machine);
  for (const n of pnp.nodes) {
    const i = n.interfaces.find((x) => x.link.toLowerCase() === name.toLowerCase());
    if (i) {
      if (Enable && n.state !== "started" && n.state !== "added") return STATUS_INVALID_DEVICE_REQUEST;
      return setInterfaceState(t.machine, i, Enable);
    }
  }
  return STATUS_OBJECT_NAME_NOT_FOUND;
}

/**
 * The enabled interfaces of a class (what IoGetDeviceInterfaces and the user-mode
 * CM_Get_Device_Interface_List return), as "\\??\\…" names.
 */
export function enabledInterfaces(m: Machine, guid: string): string[] {
  const g = (guid.startsWith("{") ? guid : `{${guid}}`).toLowerCase();
  const out: string[] = [];
  for (const n of pnpManager(m).nodes) for (const i of n.interfaces) if (i.enabled && i.guid === g) out.push(i.link);
  return out;
}

/** IoGetDeviceInterfaces: the enabled interfaces of a class. */
export function IoGetDeviceInterfaces(InterfaceClassGuid: string): { /** STATUS_SUCCESS, or STATUS_INVALID_PARAMETER for a malformed GUID. */ status: NTSTATUS; /** The enabled interfaces' symbolic link names (Windows gives a MULTI_SZ list the caller frees). */ SymbolicLinkList: string[] } {
  const t = currentMachine("IoGetDeviceInterfaces").kernelCall("IoGetDeviceInterfaces");
  if (typeof InterfaceClassGuid !== "string" || !/^\{?[0-9a-fA-F-]{36}\}?$/.test(InterfaceClassGuid)) return { status: STATUS_INVALID_PARAMETER, SymbolicLinkList: [] };
  return { status: STATUS_SUCCESS, SymbolicLinkList: enabledInterfaces(t.machine, InterfaceClassGuid) };
}
