/**
 * FILE_OBJECT: one open instance of a device. Closing its last handle sends IRP_MJ_CLEANUP;
 * dropping its last reference sends IRP_MJ_CLOSE.
 */
import { KEVENT, NotificationEvent, type DispatcherHeader } from "../kernel/dispatcher.js";
import { KernelObject } from "../kernel/objects.js";
import type { NTSTATUS } from "../kernel/status.js";
import type { DEVICE_OBJECT } from "./device-object.js";
import { closeFileObject, deleteFileObject } from "./close.js";

/** FILE_OBJECT. */
export class FILE_OBJECT extends KernelObject {
  readonly objectType = "File";
  /** The device the file was opened on (the bottom of its stack for this open). */
  DeviceObject: DEVICE_OBJECT | null;
  FsContext: unknown = null;
  FsContext2: unknown = null;
  Flags = 0;
  CurrentByteOffset = 0;
  /** The rest of the path after the device name ("" for a plain device open). */
  FileName: string;
  /** Signalled when a request on the file completes (waits on the file handle wait on this). */
  readonly Event: KEVENT;
  /** The status of the last synchronous request. */
  FinalStatus: NTSTATUS = 0;
  /** The I/O completion port and key the file is bound to (issue: completion ports). */
  CompletionContext: { Port: unknown; Key: unknown } | null = null;
  /** Set while a synchronous request holds the file (requests on a synchronous file are serialised). */
  Busy = false;
  /** Threads waiting for the file's synchronous-I/O lock. */
  readonly lockEvent: KEVENT;
  /** Stable id for traces ("file#2"). */
  readonly fileId: number;
  /** Set when IRP_MJ_CLEANUP has been sent. */
  cleanupSent = false;
  /** Set when IRP_MJ_CLOSE has been sent. */
  closeSent = false;

  constructor(fileId: number, device: DEVICE_OBJECT, fileName: string) {
    super();
    this.fileId = fileId;
    this.DeviceObject = device;
    this.FileName = fileName;
    this.Event = new KEVENT(NotificationEvent, false, `file#${fileId}.Event`);
    this.lockEvent = new KEVENT(NotificationEvent, false, `file#${fileId}.Lock`);
  }

  override get label(): string {
    return `file#${this.fileId}`;
  }

  override waitable(): DispatcherHeader {
    return this.Event;
  }

  /** IopCloseFile: the last handle is gone, send IRP_MJ_CLEANUP. */
  override closeProcedure(info: { processHandleCount: number; systemHandleCount: number }): Promise<void> {
    return closeFileObject(this, info.systemHandleCount);
  }

  /** IopDeleteFile: the last reference is gone, send IRP_MJ_CLOSE. */
  override deleteProcedure(): Promise<void> {
    return deleteFileObject(this);
  }
}
