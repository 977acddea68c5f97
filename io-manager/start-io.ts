/**
 * The system-queued StartIo model: IoStartPacket hands a request to the driver's StartIo routine
 * at once when the device is idle, or queues it in the device's KDEVICE_QUEUE while it is busy;
 * IoStartNextPacket (or ByKey), called when the current request is done, starts the next one.
 * The I/O manager keeps DeviceObject->CurrentIrp and, for cancelable packets, guards the queue
 * and CurrentIrp with the cancel spin lock, so a cancel routine sees a consistent picture: the
 * IRP is either the current one or in the queue (KeRemoveEntryDeviceQueue finds it).
 *
 * Not modelled: IoSetStartIoAttributes (DeferredStartIo, NonCancelable) — StartIo is always
 * called directly, so a driver that starts the next packet from its StartIo routine recurses.
 */
import { BugCheckCode } from "../kernel/bugcheck-codes.js";
import { currentMachine } from "../kernel/context.js";
import { atDispatchLevel, insertByKeyDeviceQueue, insertDeviceQueue, removeByKeyDeviceQueue, removeDeviceQueue } from "../kernel/device-queue.js";
import { DISPATCH_LEVEL, type KIRQL } from "../kernel/irql.js";
import type { KThread } from "../kernel/thread.js";
import { invokeCancelRoutine } from "./cancel.js";
import { DEVICE_OBJECT } from "./device-object.js";
import { ioManager } from "./io-manager.js";
import { IRP, deviceQueueEntryOf, type DRIVER_CANCEL } from "./irp.js";
import { badPointer, checkNumber, checkPointer, checkRoutine, isGiven } from "../kernel/bad-pointer.js";

/**
 * Calls the driver's StartIo routine with `irp` (the caller has made it CurrentIrp and runs at
 * DISPATCH_LEVEL, holding no lock of the I/O manager's). A driver without one makes NT call
 * address 0 at DISPATCH_LEVEL: bug check 0xD1.
 */
function callStartIo(t: KThread, device: DEVICE_OBJECT, irp: IRP): void {
  const m = t.machine;
  const driver = device.DriverObject;
  const routine = driver.DriverStartIo;
  if (!routine) {
    m.bugCheck(BugCheckCode.DRIVER_IRQL_NOT_LESS_OR_EQUAL, 0, t.irql, 8, 0, {
      detail: `${driver.shortName} calls IoStartPacket or IoStartNextPacket but has no StartIo routine (DriverObject->DriverStartIo is NULL): NT calls address 0 at DISPATCH_LEVEL. Set DriverStartIo in DriverEntry, or queue requests yourself.`,
      irp: irp.label,
      driver: driver.shortName,
    });
    return;
  }
  const name = driver.routineName(routine);
  for (const h of ioManager(m).hooks) h.beforeStartIo?.(irp, device, t);
  const label = irp.label;
  if (m.trace.on) m.trace.emit("StartIoStart", { irp: label, device: device.label, driver: driver.shortName, routine: name });
  const token = m.enterActivity("StartIo routine", name, driver.shortName);
  try {
    // DRIVER_STARTIO returns void; an async routine returns a promise at run time.
    const r = (routine as (...args: unknown[]) => unknown)(device, irp);
    if (r instanceof Promise) {
      m.bugCheck(BugCheckCode.IRQL_NOT_LESS_OR_EQUAL, 0, DISPATCH_LEVEL, 0, 0, {
        detail: `StartIo routine ${driver.shortName}!${name} is async: StartIo runs at DISPATCH_LEVEL and must not wait`,
        irp: label,
        driver: driver.shortName,
      });
    }
  } catch (e) {
    m.leaveActivity(token);
    m.unhandledKernelException(e, `StartIo routine ${driver.shortName}!${name}`);
  }
  m.leaveActivity(token);
  if (m.trace.on) m.trace.emit("StartIoReturned", { irp: label, driver: driver.shortName, routine: name });
}

/**
 * IoStartPacket: raises to DISPATCH_LEVEL; with a cancel routine, takes the cancel spin lock and
 * sets it in the IRP; inserts the IRP in the device queue (by `*Key` when Key is given, else at
 * the tail). If the device was idle, the IRP becomes CurrentIrp and the driver's StartIo routine
 * is called with it (after the cancel lock is released). If it was queued and is already
 * cancelled (Irp->Cancel set before the routine was), the routine is cleared and called, with
 * the cancel lock held and Irp->CancelIrql set, to take it out again. Then the IRQL goes back.
 * Callers run at or below DISPATCH_LEVEL, usually in a dispatch routine that has marked the IRP
 * pending.
 */
export function IoStartPacket(DeviceObject: DEVICE_OBJECT, Irp: IRP, Key: number | null, CancelFunction: DRIVER_CANCEL | null): void {
  const t = currentMachine("IoStartPacket").kernelCall("IoStartPacket");
  checkPointer("IoStartPacket", "DeviceObject", DeviceObject, DEVICE_OBJECT, "a DEVICE_OBJECT");
  checkPointer("IoStartPacket", "Irp", Irp, IRP, "an IRP");
  if (isGiven(CancelFunction)) checkRoutine("IoStartPacket", "CancelFunction", CancelFunction);
  // Key points at a ULONG, or is NULL.
  if (!isGiven(Key)) Key = null;
  if (Key !== null && typeof Key !== "number") badPointer("IoStartPacket", "Key", Key, "a ULONG sort key or NULL");
  const m = t.machine;
  const io = ioManager(m);
  const oldIrql = m.interrupts.raise(t, DISPATCH_LEVEL);
  let cancelIrql: KIRQL = DISPATCH_LEVEL;
  if (CancelFunction) {
    cancelIrql = m.interrupts.acquireSpinLock(io.cancelSpinLock, true);
    Irp.CancelRoutine = CancelFunction;
  }
  const entry = deviceQueueEntryOf(Irp);
  const queue = DeviceObject.DeviceQueue;
  const queued = Key === null ? insertDeviceQueue(queue, entry) : insertByKeyDeviceQueue(queue, entry, Key);
  const cancelled = queued && CancelFunction !== null && Irp.Cancel;
  if (m.trace.on) {
    const routine = CancelFunction ? CancelFunction.name || "(anonymous)" : null;
    m.trace.emit("StartIoPacket", { irp: Irp.label, device: DeviceObject.label, driver: DeviceObject.DriverObject.shortName, queued, key: Key === null ? null : Key >>> 0, cancelRoutine: routine, cancelled });
  }
  for (const h of io.hooks) h.startPacket?.(Irp, DeviceObject, queued, CancelFunction, t);
  if (!queued) {
    DeviceObject.CurrentIrp = Irp;
    if (CancelFunction) m.interrupts.releaseSpinLock(io.cancelSpinLock, cancelIrql);
    callStartIo(t, DeviceObject, Irp);
  } else if (CancelFunction) {
    if (cancelled) {
      // Cancelled before it was cancelable: nobody else will call the routine now.
      Irp.CancelIrql = cancelIrql;
      Irp.CancelRoutine = null;
      invokeCancelRoutine(t, Irp, CancelFunction, DeviceObject, "IoStartPacket");
    } else {
      m.interrupts.releaseSpinLock(io.cancelSpinLock, cancelIrql);
    }
  }
  m.interrupts.lower(t, oldIrql);
}

/**
 * IoStartNextPacket and IoStartNextPacketByKey's work: with `cancelable`, the cancel spin lock is
 * held while CurrentIrp is cleared and the next IRP removed (FIFO, or by `key`); when there is
 * one it becomes CurrentIrp and StartIo is called with it after the lock is released; when the
 * queue is empty the device becomes idle.
 */
function startNextPacket(api: string, device: DEVICE_OBJECT, cancelable: boolean, key: number | null): void {
  const m = currentMachine(api);
  const running = m.runningThread();
  // The hook sees the call before anything else (the verifier's SpinLockSafe rule).
  if (running) for (const h of ioManager(m).hooks) h.beforeStartNextPacket?.(device, cancelable, running);
  const t = atDispatchLevel(api);
  const io = ioManager(m);
  let cancelIrql: KIRQL = DISPATCH_LEVEL;
  if (cancelable) cancelIrql = m.interrupts.acquireSpinLock(io.cancelSpinLock, true);
  device.CurrentIrp = null;
  const queue = device.DeviceQueue;
  const entry = key === null ? removeDeviceQueue(queue) : removeByKeyDeviceQueue(queue, key);
  const irp = entry ? (entry.container ?? null) : null;
  if (irp) device.CurrentIrp = irp;
  if (cancelable) m.interrupts.releaseSpinLock(io.cancelSpinLock, cancelIrql);
  if (m.trace.on) m.trace.emit("StartIoNextPacket", { device: device.label, driver: device.DriverObject.shortName, next: irp ? irp.label : null, key: key === null ? null : key >>> 0 });
  if (irp) callStartIo(t, device, irp);
}

/**
 * IoStartNextPacket: the driver is done with CurrentIrp; the next IRP in the device queue, if
 * any, becomes CurrentIrp and goes to the StartIo routine, otherwise the device becomes idle.
 * `Cancelable` must be TRUE when the packets were started with a cancel routine: the cancel spin
 * lock then guards the queue and CurrentIrp. Callers run at DISPATCH_LEVEL (a DpcForIsr or
 * CustomDpc routine, usually) and must hold no spin lock: StartIo runs inside this call.
 */
export function IoStartNextPacket(DeviceObject: DEVICE_OBJECT, Cancelable: boolean): void {
  checkPointer("IoStartNextPacket", "DeviceObject", DeviceObject, DEVICE_OBJECT, "a DEVICE_OBJECT");
  startNextPacket("IoStartNextPacket", DeviceObject, Cancelable, null);
}

/**
 * IoStartNextPacketByKey: as IoStartNextPacket, but the next IRP is the first queued one whose
 * sort key is greater than or equal to `Key`, or the first queued one when none is
 * (KeRemoveByKeyDeviceQueue's choice).
 */
export function IoStartNextPacketByKey(DeviceObject: DEVICE_OBJECT, Cancelable: boolean, Key: number): void {
  checkPointer("IoStartNextPacketByKey", "DeviceObject", DeviceObject, DEVICE_OBJECT, "a DEVICE_OBJECT");
  Key = checkNumber("IoStartNextPacketByKey", "Key", Key);
  startNextPacket("IoStartNextPacketByKey", DeviceObject, Cancelable, Key);
}
