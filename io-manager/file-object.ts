/**
 * FILE_OBJECT: one open instance of a device. Closing its last handle sends IRP_MJ_CLEANUP;
 * dropping its last reference sends IRP_MJ_CLOSE.
 */
import { KEVENT, NotificationEvent, type DispatcherHeader } from "../kernel/dispatcher.js";
import { LIST_ENTRY } from "../kernel/list-entry.js";
import { KernelObject } from "../kernel/objects.js";
import type { KProcess } from "../kernel/process.js";
import type { NTSTATUS } from "../kernel/status.js";
import type { IO_COMPLETION_CONTEXT } from "./completion-port.js";
import type { DEVICE_OBJECT } from "./device-object.js";
import type { IRP } from "./irp.js";
import { closeFileObject, deleteFileObject } from "./close.js";

/** FILE_OBJECT. */
export class FILE_OBJECT extends KernelObject {
  /** The object manager's type name of this object. */
  readonly objectType = "File";
  /** The device the file was opened on (the bottom of its stack for this open). */
  DeviceObject: DEVICE_OBJECT | null;
  /** A pointer's worth of per-open state for the driver (a file system's FCB). */
  FsContext: unknown = null;
  /** A second pointer's worth of per-open state for the driver (a file system's CCB). */
  FsContext2: unknown = null;
  /** FO_* flags (FO_SYNCHRONOUS_IO for a handle opened without FILE_FLAG_OVERLAPPED). */
  Flags = 0;
  /** The file position synchronous reads and writes use and advance. */
  CurrentByteOffset = 0;
  /** The rest of the path after the device name ("" for a plain device open). */
  FileName: string;
  /** Signalled when a request on the file completes (waits on the file handle wait on this). */
  readonly Event: KEVENT;
  /** The status of the last synchronous request. */
  FinalStatus: NTSTATUS = 0;
  /** The I/O completion port and key the file is bound to (CreateIoCompletionPort). */
  CompletionContext: IO_COMPLETION_CONTEXT | null = null;
  /** Thread-agnostic requests on the file, not yet completed (the FILE_OBJECT extension's IRP list). */
  readonly IrpList = new LIST_ENTRY<IRP>();
  /**
   * Set once a process's last handle closed and its thread-agnostic requests were cancelled:
   * later requests are queued to their threads again (IopQueueIrpToFileObject refuses).
   */
  irpListRundown = false;
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

  /**
   * IopCloseFile: a handle closed. The last handle system-wide sends IRP_MJ_CLEANUP; a process's
   * last handle cancels that process's thread-agnostic requests on the file and waits for them.
   */
  override closeProcedure(info: { processHandleCount: number; systemHandleCount: number; process: unknown }): Promise<void> {
    return closeFileObject(this, info.systemHandleCount, info.processHandleCount, info.process as KProcess);
  }

  /** IopDeleteFile: the last reference is gone, send IRP_MJ_CLOSE. */
  override deleteProcedure(): Promise<void> {
    return deleteFileObject(this);
  }
}
