/**
 * Opening a device (IopParseDevice): resolve the name through \?? links, check the device can be
 * opened, create the file object, send IRP_MJ_CREATE once, and make the handle.
 */
import { insertHandleFor } from "../kernel/api-ps-ob.js";
import { KernelMode, type KPROCESSOR_MODE } from "../kernel/irql.js";
import {
  NT_SUCCESS,
  STATUS_ACCESS_DENIED,
  STATUS_INSUFFICIENT_RESOURCES,
  STATUS_NO_SUCH_DEVICE,
  STATUS_OBJECT_NAME_NOT_FOUND,
  STATUS_OBJECT_PATH_NOT_FOUND,
  STATUS_PENDING,
  type NTSTATUS,
} from "../kernel/status.js";
import type { KThread } from "../kernel/thread.js";
import { accessCheck, processToken } from "../kernel/security.js";
import { deviceSecurity } from "./device-secure.js";
import { DO_DEVICE_INITIALIZING, FILE_DEVICE_SECURE_OPEN, FO_ALERTABLE_IO, FO_HANDLE_CREATED, FO_SYNCHRONOUS_IO, IRP_MJ_CREATE, mapGenericFileAccess } from "./constants.js";
import { callDriver, IoGetAttachedDevice } from "./call-driver.js";
import { FILE_OBJECT } from "./file-object.js";
import { ioManager } from "./io-manager.js";
import { allocateIrp, freeIrp, queueIrpToThread, unqueueIrpFromThread } from "./irp-alloc.js";
import { IO_STATUS_BLOCK } from "./irp.js";

/** How to open. */
export interface OpenOptions {
  readonly desiredAccess: number;
  readonly shareAccess: number;
  /** FILE_SYNCHRONOUS_IO_(NON)ALERT: requests are synchronous (no FILE_FLAG_OVERLAPPED). */
  readonly synchronous: boolean;
  readonly alertable: boolean;
  /** NtCreateFile's CreateDisposition (FILE_OPEN, FILE_OPEN_IF …), given to the driver in Options' high byte. */
  readonly disposition: number;
  /** NtCreateFile's CreateOptions (the low 24 bits of Parameters.Create.Options). */
  readonly createOptions?: number;
  readonly attributes: number;
  readonly mode: KPROCESSOR_MODE;
  /**
   * OBJECT_ATTRIBUTES.Attributes of a Zw caller: with OBJ_KERNEL_HANDLE the handle is a kernel
   * handle, else one of the current process. Absent: a handle of the calling thread's process.
   */
  readonly handleAttributes?: number;
}

/** The result of an open. */
export interface OpenResult {
  readonly status: NTSTATUS;
  readonly handle: number;
  readonly fileObject: FILE_OBJECT | null;
  /** IoStatus.Information the driver completed IRP_MJ_CREATE with (FILE_OPENED, FILE_CREATED …). */
  readonly information?: number;
}

/**
 * Opens `path` (an NT path: "\\??\\Sharebuf", "\\Device\\Sharebuf") for the current process.
 * A missing name is STATUS_OBJECT_NAME_NOT_FOUND; a deleted or initialising device
 * STATUS_NO_SUCH_DEVICE; a second open of an exclusive device STATUS_ACCESS_DENIED; a driver
 * that fails IRP_MJ_CREATE gets no IRP_MJ_CLOSE.
 */
export async function openDevice(t: KThread, path: string, o: OpenOptions): Promise<OpenResult> {
  const m = t.machine;
  const io = ioManager(m);
  const fail = (status: NTSTATUS): OpenResult => ({ status, handle: 0, fileObject: null });
  const r = io.resolveDevice(path);
  if (r === "not-found") return fail(STATUS_OBJECT_NAME_NOT_FOUND);
  if (r === "path-not-found") return fail(STATUS_OBJECT_PATH_NOT_FOUND);
  const device = r.device;
  if (device.deletePending || device.DriverObject.unloaded || device.Flags & DO_DEVICE_INITIALIZING) return fail(STATUS_NO_SUCH_DEVICE);
  if (device.Exclusive && device.openCount > 0) return fail(STATUS_ACCESS_DENIED);
  // The device's security descriptor (IoCreateDeviceSecure) governs user-mode opens of the device
  // itself, and of names under it when the device asks for FILE_DEVICE_SECURE_OPEN.
  const sd = deviceSecurity(device);
  if (sd && o.mode !== KernelMode && (r.remainder === "" || (device.Characteristics & FILE_DEVICE_SECURE_OPEN) !== 0)) {
    if (accessCheck(processToken(t.process), sd, o.desiredAccess) === null) return fail(STATUS_ACCESS_DENIED);
  }

  const granted = mapGenericFileAccess(o.desiredAccess);
  const fo = new FILE_OBJECT(io.nextId("file"), device, r.remainder);
  if (o.synchronous) fo.Flags |= FO_SYNCHRONOUS_IO;
  if (o.synchronous && o.alertable) fo.Flags |= FO_ALERTABLE_IO;
  device.openCount++;
  device.pointerCount++;

  const top = IoGetAttachedDevice(device);
  const irp = allocateIrp(m, top.StackSize, "create");
  if (!irp) {
    fo.DeviceObject = null;
    device.openCount--;
    device.pointerCount--;
    return fail(STATUS_INSUFFICIENT_RESOURCES);
  }
  // As IopParseDevice does, the create's event is the file object's own: completing the create
  // signals it, so a newly opened file handle is signalled until its first request clears it.
  const iosb = new IO_STATUS_BLOCK();
  irp.UserEvent = fo.Event;
  irp.UserIosb = iosb;
  irp.RequestorMode = o.mode;
  irp.OriginalFileObject = fo;
  const sl = irp.Stack[irp.StackCount - 1];
  if (sl) {
    sl.MajorFunction = IRP_MJ_CREATE;
    sl.FileObject = fo;
    sl.Parameters.Create.Options = (((o.disposition & 0xff) << 24) | ((o.createOptions ?? (o.synchronous ? (o.alertable ? 0x10 : 0x20) : 0)) & 0xffffff)) >>> 0;
    sl.Parameters.Create.ShareAccess = o.shareAccess;
    sl.Parameters.Create.FileAttributes = o.attributes;
    sl.Parameters.Create.SecurityContext = { DesiredAccess: granted };
  }
  queueIrpToThread(irp, t);
  const res = callDriver(t, top, irp);
  let status = res instanceof Promise ? await res : res;
  if (status === STATUS_PENDING) {
    await m.waits.waitFor([fo.Event], { waitAll: false, mode: KernelMode, alertable: false, timeout: null, reason: `IRP_MJ_CREATE of ${fo.label} waits for ${top.DriverObject.shortName}` });
    status = iosb.Status;
  }
  unqueueIrpFromThread(irp);
  freeIrp(m, irp);
  if (!NT_SUCCESS(status)) {
    // A failed create: the file object goes without IRP_MJ_CLOSE.
    fo.DeviceObject = null;
    device.openCount--;
    device.pointerCount--;
    return fail(status);
  }
  const handle = o.handleAttributes === undefined ? m.ob.insertHandle(t.process, fo, granted) : insertHandleFor(t, fo, granted, o.handleAttributes);
  fo.Flags |= FO_HANDLE_CREATED;
  if (m.trace.on) m.trace.emit("FileOpened", { file: fo.label, device: device.label, handle, synchronous: o.synchronous });
  return { status, handle, fileObject: fo, information: iosb.Information };
}
