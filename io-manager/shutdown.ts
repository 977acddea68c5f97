/**
 * System shutdown as drivers see it (IoRegisterShutdownNotification,
 * IoRegisterLastChanceShutdownNotification): when the machine shuts down, the I/O manager sends
 * IRP_MJ_SHUTDOWN to each registered device — first the shutdown notifications, then, after the
 * file systems would be flushed, the last-chance ones — each list newest registration first (the
 * I/O manager inserts at the head), each IRP to the top of the device's stack and waited for.
 *
 * The machine is not powered off afterwards: a scenario may look at what the drivers did and go
 * on (processes are not terminated and no PnP removal is sent, which Windows does before this
 * point or never).
 */
import { checkPointer } from "../kernel/bad-pointer.js";
import { currentMachine } from "../kernel/context.js";
import { KEVENT, NotificationEvent } from "../kernel/dispatcher.js";
import { KernelMode } from "../kernel/irql.js";
import type { Machine } from "../kernel/machine.js";
import { STATUS_INSUFFICIENT_RESOURCES, STATUS_PENDING, STATUS_SUCCESS, ntStatusName, type NTSTATUS } from "../kernel/status.js";
import { IoCallDriver, IoGetAttachedDevice } from "./call-driver.js";
import { IRP_MJ_SHUTDOWN } from "./constants.js";
import { DEVICE_OBJECT } from "./device-object.js";
import { IO_STATUS_BLOCK } from "./irp.js";
import { IoBuildSynchronousFsdRequest } from "./build.js";
import { onPnpThread } from "./pnp.js";

/** DO_SHUTDOWN_REGISTERED: the device is on a shutdown notification list. */
export const DO_SHUTDOWN_REGISTERED = 0x00000800;

/** The machine's two shutdown lists, newest first. */
interface ShutdownLists {
  readonly shutdown: DEVICE_OBJECT[];
  readonly lastChance: DEVICE_OBJECT[];
}

const lists = new WeakMap<Machine, ShutdownLists>();

function listsOf(m: Machine): ShutdownLists {
  let l = lists.get(m);
  if (!l) {
    l = { shutdown: [], lastChance: [] };
    lists.set(m, l);
  }
  return l;
}

function register(api: string, DeviceObject: DEVICE_OBJECT, lastChance: boolean): NTSTATUS {
  const m = currentMachine(api);
  m.kernelCall(api);
  checkPointer(api, "DeviceObject", DeviceObject, DEVICE_OBJECT, "a DEVICE_OBJECT");
  const l = listsOf(m);
  (lastChance ? l.lastChance : l.shutdown).unshift(DeviceObject);
  DeviceObject.Flags |= DO_SHUTDOWN_REGISTERED;
  return STATUS_SUCCESS;
}

/**
 * IoRegisterShutdownNotification: the device gets IRP_MJ_SHUTDOWN when the system shuts down,
 * before the file systems are flushed (PASSIVE_LEVEL). The driver's IRP_MJ_SHUTDOWN dispatch
 * routine completes it.
 *
 * @returns STATUS_SUCCESS (STATUS_INSUFFICIENT_RESOURCES on Windows when the list entry cannot be allocated).
 */
export function IoRegisterShutdownNotification(DeviceObject: DEVICE_OBJECT): NTSTATUS {
  return register("IoRegisterShutdownNotification", DeviceObject, false);
}

/** IoRegisterLastChanceShutdownNotification: IRP_MJ_SHUTDOWN after the file systems are flushed, the last thing before power-off. */
export function IoRegisterLastChanceShutdownNotification(DeviceObject: DEVICE_OBJECT): NTSTATUS {
  return register("IoRegisterLastChanceShutdownNotification", DeviceObject, true);
}

/** IoUnregisterShutdownNotification: takes the device off both lists (a driver calls it before IoDeleteDevice, or in its Unload). */
export function IoUnregisterShutdownNotification(DeviceObject: DEVICE_OBJECT): void {
  const m = currentMachine("IoUnregisterShutdownNotification");
  m.kernelCall("IoUnregisterShutdownNotification");
  checkPointer("IoUnregisterShutdownNotification", "DeviceObject", DeviceObject, DEVICE_OBJECT, "a DEVICE_OBJECT");
  const l = listsOf(m);
  for (const list of [l.shutdown, l.lastChance]) {
    for (let i = list.indexOf(DeviceObject); i >= 0; i = list.indexOf(DeviceObject)) list.splice(i, 1);
  }
  DeviceObject.Flags &= ~DO_SHUTDOWN_REGISTERED;
}

/** One IRP_MJ_SHUTDOWN the I/O manager sent. */
export interface ShutdownNotice {
  /** The registered device's label ("dev#3"). */
  readonly device: string;
  /** Whether it was on the last-chance list (IoRegisterLastChanceShutdownNotification). */
  readonly lastChance: boolean;
  /** The status its stack completed the IRP with, by name ("STATUS_SUCCESS"). */
  readonly status: string;
}

/** What shutting the machine down did, device by device. */
export interface ShutdownResult {
  /** Each IRP_MJ_SHUTDOWN sent, in order. */
  readonly notified: readonly ShutdownNotice[];
}

/**
 * Shuts the machine down as NtShutdownSystem does for drivers: IRP_MJ_SHUTDOWN (built with
 * IoBuildSynchronousFsdRequest, sent to the top of each registered device's stack and waited for)
 * to every device on the shutdown list, newest registration first, then to every device on the
 * last-chance list. A device deleted since it registered is skipped, as IoDeleteDevice takes it off
 * the list. Runs on a system thread, the machine running until it is done.
 */
export async function shutdownSystem(m: Machine): Promise<ShutdownResult> {
  const notified: ShutdownNotice[] = [];
  const l = listsOf(m);
  await onPnpThread(m, "system shutdown", async () => {
    for (const lastChance of [false, true]) {
      const list = lastChance ? l.lastChance : l.shutdown;
      for (const device of [...list]) {
        if (device.deletePending) continue;
        const top = IoGetAttachedDevice(device);
        const event = new KEVENT(NotificationEvent, false, `IRP_MJ_SHUTDOWN of ${device.label}`);
        const iosb = new IO_STATUS_BLOCK();
        let status: NTSTATUS = STATUS_INSUFFICIENT_RESOURCES;
        const irp = IoBuildSynchronousFsdRequest(IRP_MJ_SHUTDOWN, top, 0, 0, 0, event, iosb);
        if (irp) {
          const r = IoCallDriver(top, irp);
          status = r instanceof Promise ? await r : r;
          if (status === STATUS_PENDING) {
            await m.waits.waitFor([event], { waitAll: false, mode: KernelMode, alertable: false, timeout: null, reason: `the I/O manager waits for IRP_MJ_SHUTDOWN of ${device.label}` });
            status = iosb.Status;
          }
        }
        notified.push({ device: device.label, lastChance, status: ntStatusName(status) });
      }
    }
  });
  return { notified };
}
