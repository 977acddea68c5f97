/**
 * IRP_MJ_CLEANUP and IRP_MJ_CLOSE: what closing a file's last handle and dropping its last
 * reference send, in the context of whoever does it, waiting (in kernel mode) for the driver.
 */
import { KEVENT, SynchronizationEvent } from "../kernel/dispatcher.js";
import { currentMachine } from "../kernel/context.js";
import { KernelMode, PASSIVE_LEVEL } from "../kernel/irql.js";
import { STATUS_PENDING, STATUS_SUCCESS } from "../kernel/status.js";
import { IRP_CLOSE_OPERATION, IRP_MJ_CLEANUP, IRP_MJ_CLOSE, IRP_SYNCHRONOUS_API, FO_CLEANUP_COMPLETE, FO_SYNCHRONOUS_IO, majorFunctionName } from "./constants.js";
import { callDriver, IoGetAttachedDevice } from "./call-driver.js";
import type { FILE_OBJECT } from "./file-object.js";
import { allocateIrp, freeIrp, queueIrpToThread, unqueueIrpFromThread } from "./irp-alloc.js";
import { IO_STATUS_BLOCK } from "./irp.js";
import { finishDeviceDeletion } from "./device.js";
import { lockFileObject, unlockFileObject } from "./synchronous.js";
import { cleanupProcessResources } from "./thread-agnostic.js";
import type { KProcess } from "../kernel/process.js";

/** Sends IRP_MJ_CLEANUP or IRP_MJ_CLOSE for a file object and waits for the driver. */
async function sendFileRequest(fo: FILE_OBJECT, major: number): Promise<void> {
  const m = currentMachine("IopCloseFile");
  const t = m.currentThread("IopCloseFile");
  const device0 = fo.DeviceObject;
  if (!device0) return;
  const device = IoGetAttachedDevice(device0);
  fo.Event.SignalState = 0;
  // IopAllocateIrpMustSucceed: these requests are not subject to fault injection.
  const saved = m.io?.faultInjector ?? null;
  const savedMachine = m.allocationFailure;
  if (m.io) m.io.faultInjector = null;
  m.allocationFailure = null;
  const irp = allocateIrp(m, device.StackSize, major === IRP_MJ_CLEANUP ? "cleanup" : "close");
  if (m.io) m.io.faultInjector = saved;
  m.allocationFailure = savedMachine;
  if (!irp) throw new Error(`cannot allocate the ${majorFunctionName(major)} IRP`);
  const event = new KEVENT(SynchronizationEvent, false, `${majorFunctionName(major)} of ${fo.label}`);
  irp.UserEvent = event;
  irp.UserIosb = new IO_STATUS_BLOCK();
  irp.Flags = IRP_CLOSE_OPERATION | IRP_SYNCHRONOUS_API;
  irp.RequestorMode = KernelMode;
  irp.OriginalFileObject = fo;
  const sl = irp.Stack[irp.StackCount - 1];
  if (sl) {
    sl.MajorFunction = major;
    sl.FileObject = fo;
  }
  queueIrpToThread(irp, t);
  const oldMode = t.mode;
  t.mode = KernelMode;
  try {
    const r = callDriver(t, device, irp);
    const status = r instanceof Promise ? await r : r;
    if (status === STATUS_PENDING) {
      await m.waits.waitFor([event], {
        waitAll: false,
        mode: KernelMode,
        alertable: false,
        timeout: null,
        reason: `${majorFunctionName(major)} of ${fo.label} waits for ${device.DriverObject.shortName} to complete ${irp.label}`,
      });
    }
  } finally {
    t.mode = oldMode;
    if (oldMode !== KernelMode) m.mmu.gen++;
  }
  unqueueIrpFromThread(irp);
  freeIrp(m, irp);
}

/**
 * IopCloseFile: when the last handle to a file object (in any process) is closed, the driver
 * gets IRP_MJ_CLEANUP in the closing thread's context. On a synchronous file the close first
 * takes the file's lock, so a synchronous request still in progress (another thread's) finishes
 * before IRP_MJ_CLEANUP is sent. When a process closes its last handle to a file bound to a
 * completion port, its thread-agnostic requests on the file are cancelled and waited for: after
 * IRP_MJ_CLEANUP when that was the last handle anywhere, before otherwise (IopCleanupProcessResources).
 */
export async function closeFileObject(fo: FILE_OBJECT, systemHandleCount: number, processHandleCount = 1, process: KProcess | null = null): Promise<void> {
  const t = currentMachine("IopCloseFile").currentThread("IopCloseFile");
  const processResources = processHandleCount === 0 && process !== null && fo.CompletionContext !== null;
  if (systemHandleCount !== 0 || fo.cleanupSent || !fo.DeviceObject) {
    if (processResources) await cleanupProcessResources(t, fo, process);
    return;
  }
  fo.cleanupSent = true;
  const locked = (fo.Flags & FO_SYNCHRONOUS_IO) !== 0 && (await lockFileObject(t, fo, KernelMode)) === STATUS_SUCCESS;
  try {
    await sendFileRequest(fo, IRP_MJ_CLEANUP);
  } finally {
    if (locked) unlockFileObject(t, fo);
  }
  fo.Flags |= FO_CLEANUP_COMPLETE;
  if (processResources) await cleanupProcessResources(t, fo, process);
}

/**
 * IopDeleteFile: when the last reference to a file object goes (every handle closed and every
 * IRP on it finished), the driver gets IRP_MJ_CLOSE, and the device loses the file's reference.
 */
export async function deleteFileObject(fo: FILE_OBJECT): Promise<void> {
  const device = fo.DeviceObject;
  if (!device) return;
  const m = currentMachine("IopDeleteFile");
  const t = m.currentThread("IopDeleteFile");
  if (t.irql !== PASSIVE_LEVEL) throw new Error(`IRP_MJ_CLOSE for ${fo.label} must be sent at PASSIVE_LEVEL`);
  if (!fo.cleanupSent) {
    fo.cleanupSent = true;
    await sendFileRequest(fo, IRP_MJ_CLEANUP);
  }
  fo.closeSent = true;
  await sendFileRequest(fo, IRP_MJ_CLOSE);
  // The file's reference to its completion port goes with it.
  const completion = fo.CompletionContext;
  if (completion) {
    fo.CompletionContext = null;
    m.ob.dereference(completion.Port);
  }
  fo.DeviceObject = null;
  device.openCount--;
  device.pointerCount--;
  if (device.deletePending && device.pointerCount <= 0) finishDeviceDeletion(m, device);
  // The PnP manager waits for a surprise-removed device's last handle (pnp.ts).
  m.pnp?.fileClosed(device);
}
