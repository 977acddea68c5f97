/**
 * The native file API (ntdll's NtCreateFile, NtOpenFile, NtDeviceIoControlFile, NtReadFile,
 * NtWriteFile, NtQueryInformationFile, the NtCancelIoFile family and NtClose): each stub checks it
 * runs in user mode, enters the kernel with previous mode UserMode, and returns the NTSTATUS the
 * system service returns — STATUS_PENDING from an asynchronous handle whose driver pended, the final
 * status from a synchronous one. The IO_STATUS_BLOCK is written by completion, in the caller's
 * thread, when the request is not a failure (or was pended on an asynchronous handle).
 *
 * Each public stub has an internal form taking the calling thread (`ntXxx(t, …)`), which kernel32
 * (irpsim/win32) calls: on the fast path (a request completed in dispatch) it returns the status
 * itself rather than a Promise.
 */
import { UserMode } from "../kernel/irql.js";
import { NtStatusError } from "../kernel/nt-status-error.js";
import type { MaybePromise } from "../kernel/objects.js";
import { captureObjectAttributes, type OBJECT_ATTRIBUTES } from "../kernel/object-attributes.js";
import {
  NT_SUCCESS,
  NtStatus,
  STATUS_INFO_LENGTH_MISMATCH,
  STATUS_INVALID_PARAMETER,
  STATUS_OBJECT_NAME_INVALID,
  STATUS_OBJECT_PATH_SYNTAX_BAD,
  STATUS_OBJECT_TYPE_MISMATCH,
  STATUS_SUCCESS,
  type NTSTATUS,
} from "../kernel/status.js";
import { KThread } from "../kernel/thread.js";
import { FO_ALERTABLE_IO, FO_SYNCHRONOUS_IO } from "../io-manager/constants.js";
import { NtCancelIoFile as cancelIoFile, NtCancelIoFileEx as cancelIoFileEx, NtCancelSynchronousIoFile as cancelSynchronousIoFile } from "../io-manager/cancel-io.js";
import { openDevice } from "../io-manager/create.js";
import {
  FILE_MAXIMUM_DISPOSITION,
  FILE_OPEN,
  FILE_SYNCHRONOUS_IO_ALERT,
  FILE_SYNCHRONOUS_IO_NONALERT,
  FILE_VALID_OPTION_FLAGS,
  FileAccessInformation,
  FileAlignmentInformation,
  FileMaximumInformation,
  FileModeInformation,
  FilePositionInformation,
} from "../io-manager/create-options.js";
import { NtDeviceIoControlFile as ioDeviceIoControlFile, type DeviceIoControlParameters } from "../io-manager/device-control.js";
import { FILE_OBJECT } from "../io-manager/file-object.js";
import { NtReadWriteFile as ioReadWriteFile, type ReadWriteParameters } from "../io-manager/read-write.js";
import { probeIoStatusBlock } from "../io-manager/request.js";
import { SYNCHRONIZE, THREAD_TERMINATE } from "../kernel/sync-objects.js";
import { service, serviceAsync, serviceMaybeAsync, userCaller } from "./syscall.js";
import { probeOut, probeWrite, readLargeInteger, storeOut, writeIoStatus, type PIO_APC_ROUTINE, type PLARGE_INTEGER, type POut } from "./types.js";

/** What NtCreateFile takes after the handle's address. */
export interface CreateFileParameters {
  /** The access asked for (GENERIC_READ, FILE_READ_DATA, SYNCHRONIZE…). */
  readonly desiredAccess: number;
  /** The file's name: "\\??\\Name" or "\\Device\\Name". */
  readonly name: string;
  /** The IO_STATUS_BLOCK's address, or null when the caller (kernel32) takes the result as returned. */
  readonly ioStatusBlock: number | null;
  /** FILE_ATTRIBUTE_* for a new file. */
  readonly fileAttributes: number;
  /** FILE_SHARE_READ, FILE_SHARE_WRITE, FILE_SHARE_DELETE: what later opens may do. */
  readonly shareAccess: number;
  /** FILE_OPEN, FILE_CREATE, FILE_OPEN_IF…: what to do when the file exists or does not. */
  readonly createDisposition: number;
  /** FILE_SYNCHRONOUS_IO_NONALERT, FILE_NON_DIRECTORY_FILE…: how the handle behaves. */
  readonly createOptions: number;
}

function statusOf(e: unknown): NTSTATUS {
  if (e instanceof NtStatusError) return e.status;
  throw e;
}

/**
 * The name an OBJECT_ATTRIBUTES gives, captured as the object manager captures any
 * (captureObjectAttributes: probed, validated); no name is STATUS_OBJECT_NAME_INVALID, a name not
 * from the root STATUS_OBJECT_PATH_SYNTAX_BAD.
 */
function capturedName(oa: OBJECT_ATTRIBUTES | number): string | NTSTATUS {
  const c = captureObjectAttributes(oa, UserMode);
  if (typeof c === "number") return c;
  if (c.name === null) return STATUS_OBJECT_NAME_INVALID;
  return c.name.startsWith("\\") ? c.name : STATUS_OBJECT_PATH_SYNTAX_BAD;
}

/**
 * NtCreateFile's work for the calling thread: IoCreateFile's checks (a disposition above
 * FILE_OVERWRITE_IF, both synchronous options, or a synchronous option without SYNCHRONIZE is
 * STATUS_INVALID_PARAMETER), then the open; on success the handle is stored and the
 * IO_STATUS_BLOCK gets the status and the Information the driver's IRP_MJ_CREATE reported.
 */
export function ntCreateFile(t: KThread, FileHandle: POut, p: CreateFileParameters): Promise<{ status: NTSTATUS; information: number }> {
  return serviceAsync(t, async () => {
    const fail = (status: NTSTATUS) => ({ status, information: 0 });
    try {
      probeOut(t, FileHandle);
      if (p.ioStatusBlock !== null) probeIoStatusBlock(t, p.ioStatusBlock);
    } catch (e) {
      return fail(statusOf(e));
    }
    const options = p.createOptions >>> 0;
    const syncAlert = (options & FILE_SYNCHRONOUS_IO_ALERT) !== 0;
    const syncNonAlert = (options & FILE_SYNCHRONOUS_IO_NONALERT) !== 0;
    if (p.createDisposition >>> 0 > FILE_MAXIMUM_DISPOSITION || (options & ~FILE_VALID_OPTION_FLAGS) !== 0) return fail(STATUS_INVALID_PARAMETER);
    if ((syncAlert && syncNonAlert) || ((syncAlert || syncNonAlert) && (p.desiredAccess & SYNCHRONIZE) === 0)) return fail(STATUS_INVALID_PARAMETER);
    const r = await openDevice(t, p.name, {
      desiredAccess: p.desiredAccess >>> 0,
      shareAccess: p.shareAccess,
      synchronous: syncAlert || syncNonAlert,
      alertable: syncAlert,
      disposition: p.createDisposition,
      createOptions: options,
      attributes: p.fileAttributes & 0xffff,
      mode: UserMode,
    });
    if (!NT_SUCCESS(r.status)) return fail(r.status);
    const information = r.information ?? 0;
    storeOut(t, FileHandle, r.handle);
    if (p.ioStatusBlock !== null) writeIoStatus(t, p.ioStatusBlock, r.status, information);
    return { status: r.status, information };
  });
}

/**
 * NtCreateFile: opens a device (irpsim has no file system: only device names resolve) and stores
 * the handle at FileHandle. ObjectAttributes names it — an OBJECT_ATTRIBUTES object or one in the
 * app's memory, whose ObjectName is "\\??\\Name" or "\\Device\\Name". STATUS_OBJECT_NAME_NOT_FOUND
 * for a name nothing answers to; STATUS_OBJECT_NAME_INVALID for an empty name,
 * STATUS_OBJECT_PATH_SYNTAX_BAD for one not starting with a backslash; STATUS_ACCESS_VIOLATION for
 * a bad FileHandle, IoStatusBlock or name pointer; the driver's status when it fails IRP_MJ_CREATE.
 * AllocationSize and the EA buffer are accepted and, as devices do, ignored.
 */
export function NtCreateFile(
  FileHandle: POut,
  DesiredAccess: number,
  ObjectAttributes: OBJECT_ATTRIBUTES | number,
  IoStatusBlock: number,
  _AllocationSize: PLARGE_INTEGER,
  FileAttributes: number,
  ShareAccess: number,
  CreateDisposition: number,
  CreateOptions: number,
  _EaBuffer: number,
  _EaLength: number,
): Promise<NTSTATUS> {
  const t = userCaller("NtCreateFile");
  const name = service(t, () => capturedName(ObjectAttributes));
  if (typeof name === "number") return Promise.resolve(name);
  return ntCreateFile(t, FileHandle, { desiredAccess: DesiredAccess, name, ioStatusBlock: IoStatusBlock, fileAttributes: FileAttributes, shareAccess: ShareAccess, createDisposition: CreateDisposition, createOptions: CreateOptions }).then((r) => r.status);
}

/** NtOpenFile: NtCreateFile with FILE_OPEN and no attributes. */
export function NtOpenFile(FileHandle: POut, DesiredAccess: number, ObjectAttributes: OBJECT_ATTRIBUTES | number, IoStatusBlock: number, ShareAccess: number, OpenOptions: number): Promise<NTSTATUS> {
  const t = userCaller("NtOpenFile");
  const name = service(t, () => capturedName(ObjectAttributes));
  if (typeof name === "number") return Promise.resolve(name);
  return ntCreateFile(t, FileHandle, { desiredAccess: DesiredAccess, name, ioStatusBlock: IoStatusBlock, fileAttributes: 0, shareAccess: ShareAccess, createDisposition: FILE_OPEN, createOptions: OpenOptions }).then((r) => r.status);
}

// ---- Device control, read, write ----

/** NtDeviceIoControlFile's work for the calling thread (synchronous when the driver completes at once). */
export function ntDeviceIoControlFile(t: KThread, p: DeviceIoControlParameters): MaybePromise<NTSTATUS> {
  return serviceMaybeAsync(t, () => ioDeviceIoControlFile(t, p));
}

/**
 * NtDeviceIoControlFile: sends IRP_MJ_DEVICE_CONTROL with the buffers set up as the control
 * code's method says (see the I/O manager's NtDeviceIoControlFile). On a synchronous handle the
 * call returns when the request is done, with its final status; on an asynchronous one it returns
 * what the driver returned — STATUS_PENDING when it pended — and completion later writes the
 * IO_STATUS_BLOCK, sets Event (a handle, or 0) or the file's own event, queues ApcRoutine(ApcContext,
 * IoStatusBlock, 0) as a user APC, or posts a packet to the file's completion port. A bad handle is
 * STATUS_INVALID_HANDLE; a handle that is not a file STATUS_OBJECT_TYPE_MISMATCH; access the code
 * needs and the handle lacks STATUS_ACCESS_DENIED; a bad IoStatusBlock or buffer STATUS_ACCESS_VIOLATION.
 */
export function NtDeviceIoControlFile(
  FileHandle: number,
  Event: number,
  ApcRoutine: PIO_APC_ROUTINE | null,
  ApcContext: unknown,
  IoStatusBlock: number,
  IoControlCode: number,
  InputBuffer: number,
  InputBufferLength: number,
  OutputBuffer: number,
  OutputBufferLength: number,
): Promise<NTSTATUS> {
  const t = userCaller("NtDeviceIoControlFile");
  return Promise.resolve(
    ntDeviceIoControlFile(t, {
      fileHandle: FileHandle,
      event: Event,
      apcRoutine: ApcRoutine as ((...args: unknown[]) => unknown) | null,
      apcContext: ApcContext,
      ioStatusBlock: IoStatusBlock,
      ioControlCode: IoControlCode,
      inputBuffer: InputBuffer,
      inputBufferLength: InputBufferLength,
      outputBuffer: OutputBuffer,
      outputBufferLength: OutputBufferLength,
    }),
  );
}

/** NtReadFile / NtWriteFile's work for the calling thread. */
export function ntReadWriteFile(t: KThread, write: boolean, p: ReadWriteParameters): MaybePromise<NTSTATUS> {
  return serviceMaybeAsync(t, () => ioReadWriteFile(t, write, p));
}

function readWrite(api: string, write: boolean, FileHandle: number, Event: number, ApcRoutine: PIO_APC_ROUTINE | null, ApcContext: unknown, IoStatusBlock: number, Buffer: number, Length: number, ByteOffset: PLARGE_INTEGER, Key: number | null): Promise<NTSTATUS> {
  const t = userCaller(api);
  let offset: number | null;
  try {
    offset = service(t, () => readLargeInteger(ByteOffset));
  } catch (e) {
    return Promise.resolve(statusOf(e));
  }
  return Promise.resolve(
    ntReadWriteFile(t, write, { fileHandle: FileHandle, event: Event, apcRoutine: ApcRoutine as ((...args: unknown[]) => unknown) | null, apcContext: ApcContext, ioStatusBlock: IoStatusBlock, buffer: Buffer, length: Length, byteOffset: offset, key: Key ?? 0 }),
  );
}

/**
 * NtReadFile: IRP_MJ_READ of Length bytes into Buffer (a system buffer for DO_BUFFERED_IO devices,
 * an MDL for DO_DIRECT_IO, the raw pointer otherwise), from ByteOffset (NULL: the file's current
 * position). Event, ApcRoutine, ApcContext and IoStatusBlock as for NtDeviceIoControlFile; the handle
 * needs FILE_READ_DATA (STATUS_ACCESS_DENIED otherwise).
 */
export function NtReadFile(FileHandle: number, Event: number, ApcRoutine: PIO_APC_ROUTINE | null, ApcContext: unknown, IoStatusBlock: number, Buffer: number, Length: number, ByteOffset: PLARGE_INTEGER, Key: number | null): Promise<NTSTATUS> {
  return readWrite("NtReadFile", false, FileHandle, Event, ApcRoutine, ApcContext, IoStatusBlock, Buffer, Length, ByteOffset, Key);
}

/** NtWriteFile: as NtReadFile, IRP_MJ_WRITE from Buffer; the handle needs FILE_WRITE_DATA. */
export function NtWriteFile(FileHandle: number, Event: number, ApcRoutine: PIO_APC_ROUTINE | null, ApcContext: unknown, IoStatusBlock: number, Buffer: number, Length: number, ByteOffset: PLARGE_INTEGER, Key: number | null): Promise<NTSTATUS> {
  return readWrite("NtWriteFile", true, FileHandle, Event, ApcRoutine, ApcContext, IoStatusBlock, Buffer, Length, ByteOffset, Key);
}

// ---- Cancel ----

/** References a file handle of the caller: the FILE_OBJECT, or the status. */
export function fileOf(t: KThread, h: number): FILE_OBJECT | NTSTATUS {
  const r = t.machine.ob.referenceByHandle(t.process, h, null, 0, UserMode);
  if (!r.object) return r.status;
  t.machine.ob.dereference(r.object);
  return r.object instanceof FILE_OBJECT ? r.object : STATUS_OBJECT_TYPE_MISMATCH;
}

/** NtCancelIoFile's work for the calling thread. */
export function ntCancelIoFile(t: KThread, FileHandle: number, IoStatusBlock: number): Promise<NTSTATUS> {
  return serviceAsync(t, async () => {
    try {
      probeIoStatusBlock(t, IoStatusBlock);
    } catch (e) {
      return statusOf(e);
    }
    const fo = fileOf(t, FileHandle);
    if (typeof fo === "number") return fo;
    const status = await cancelIoFile(t, fo);
    writeIoStatus(t, IoStatusBlock, status, 0);
    return status;
  });
}

/**
 * NtCancelIoFile (CancelIo): cancels the calling thread's requests on the file and returns once
 * they have completed; STATUS_SUCCESS (written to IoStatusBlock too) whether or not any matched.
 */
export function NtCancelIoFile(FileHandle: number, IoStatusBlock: number): Promise<NTSTATUS> {
  return ntCancelIoFile(userCaller("NtCancelIoFile"), FileHandle, IoStatusBlock);
}

/** NtCancelIoFileEx's work for the calling thread. */
export function ntCancelIoFileEx(t: KThread, FileHandle: number, IoRequestToCancel: number, IoStatusBlock: number): NTSTATUS {
  return service(t, () => {
    try {
      probeIoStatusBlock(t, IoStatusBlock);
    } catch (e) {
      return statusOf(e);
    }
    const fo = fileOf(t, FileHandle);
    if (typeof fo === "number") return fo;
    const status = cancelIoFileEx(t, fo, IoRequestToCancel);
    if (NT_SUCCESS(status)) writeIoStatus(t, IoStatusBlock, status, 0);
    return status;
  });
}

/**
 * NtCancelIoFileEx (CancelIoEx): cancels the request on the file whose IO_STATUS_BLOCK is
 * IoRequestToCancel (every request of the process on the file when it is 0), from any thread of
 * the process, without waiting. STATUS_NOT_FOUND when nothing matched.
 */
export function NtCancelIoFileEx(FileHandle: number, IoRequestToCancel: number, IoStatusBlock: number): Promise<NTSTATUS> {
  return Promise.resolve(ntCancelIoFileEx(userCaller("NtCancelIoFileEx"), FileHandle, IoRequestToCancel, IoStatusBlock));
}

/** NtCancelSynchronousIoFile's work for the calling thread. */
export function ntCancelSynchronousIoFile(t: KThread, ThreadHandle: number, _IoRequestToCancel: number, IoStatusBlock: number): NTSTATUS {
  return service(t, (m) => {
    try {
      probeIoStatusBlock(t, IoStatusBlock);
    } catch (e) {
      return statusOf(e);
    }
    const r = m.ob.referenceByHandle(t.process, ThreadHandle, "Thread", THREAD_TERMINATE, UserMode);
    if (!r.object) return r.status;
    m.ob.dereference(r.object);
    if (!(r.object instanceof KThread)) return STATUS_OBJECT_TYPE_MISMATCH;
    const status = cancelSynchronousIoFile(t, r.object);
    if (NT_SUCCESS(status)) writeIoStatus(t, IoStatusBlock, status, 0);
    return status;
  });
}

/**
 * NtCancelSynchronousIoFile (CancelSynchronousIo): cancels the synchronous request the thread is
 * waiting in (the handle needs THREAD_TERMINATE); STATUS_NOT_FOUND when it waits in none.
 */
export function NtCancelSynchronousIoFile(ThreadHandle: number, IoRequestToCancel: number, IoStatusBlock: number): Promise<NTSTATUS> {
  return Promise.resolve(ntCancelSynchronousIoFile(userCaller("NtCancelSynchronousIoFile"), ThreadHandle, IoRequestToCancel, IoStatusBlock));
}

// ---- Close ----

/** NtClose's work for the calling thread. */
export function ntClose(t: KThread, Handle: number): Promise<NTSTATUS> {
  // The pseudo-handles (NtCurrentProcess, NtCurrentThread and the other values -1 to -6) are no
  // table entries: closing one does nothing and succeeds, as GetCurrentProcess documents.
  if (typeof Handle === "number" && (Handle | 0) >= -6 && (Handle | 0) <= -1) return serviceAsync(t, () => Promise.resolve(STATUS_SUCCESS));
  return serviceAsync(t, (m) => m.ob.closeHandle(t.process, Handle));
}

/**
 * NtClose: closes any handle; closing a file's last handle sends IRP_MJ_CLEANUP (and IRP_MJ_CLOSE
 * with its last reference), so it may wait for a driver. STATUS_INVALID_HANDLE for a handle that
 * is not open; STATUS_HANDLE_NOT_CLOSABLE for one protected from close; a pseudo-handle
 * (NtCurrentProcess, NtCurrentThread) closes as a no-op, STATUS_SUCCESS.
 */
export function NtClose(Handle: number): Promise<NTSTATUS> {
  return ntClose(userCaller("NtClose"), Handle);
}

// ---- Query information ----

/**
 * NtQueryInformationFile for the classes the I/O manager answers without the driver:
 * FileModeInformation (a ULONG: FILE_SYNCHRONOUS_IO_ALERT / _NONALERT for a synchronous handle, 0
 * otherwise), FileAccessInformation (the handle's granted access), FilePositionInformation (the
 * current byte offset, a LARGE_INTEGER) and FileAlignmentInformation (the device's
 * AlignmentRequirement). A buffer shorter than the class needs is STATUS_INFO_LENGTH_MISMATCH; a
 * class number Windows does not define STATUS_INVALID_INFO_CLASS. The other classes are answered
 * by the driver through IRP_MJ_QUERY_INFORMATION on Windows, which irpsim does not build yet: asking
 * for one throws an error saying so.
 */
export function NtQueryInformationFile(FileHandle: number, IoStatusBlock: number, FileInformation: number, Length: number, FileInformationClass: number): Promise<NTSTATUS> {
  const t = userCaller("NtQueryInformationFile");
  return Promise.resolve(
    service(t, (m) => {
      if (typeof FileInformationClass !== "number" || !Number.isInteger(FileInformationClass)) return NtStatus.STATUS_INVALID_INFO_CLASS;
      const cls = FileInformationClass >>> 0;
      // 1-3 are the directory classes, for NtQueryDirectoryFile only: the query refuses them.
      if (cls <= 3 || cls >= FileMaximumInformation) return NtStatus.STATUS_INVALID_INFO_CLASS;
      const size = cls === FilePositionInformation ? 8 : 4;
      const known = cls === FileModeInformation || cls === FileAccessInformation || cls === FilePositionInformation || cls === FileAlignmentInformation;
      if (!known) {
        throw new Error(
          `NtQueryInformationFile: FileInformationClass ${cls} is answered by the driver through IRP_MJ_QUERY_INFORMATION on Windows, which irpsim does not build; ` +
            "FileModeInformation, FileAccessInformation, FilePositionInformation and FileAlignmentInformation are supported",
        );
      }
      if (Length >>> 0 < size) return STATUS_INFO_LENGTH_MISMATCH;
      try {
        probeIoStatusBlock(t, IoStatusBlock);
        probeWrite(t, FileInformation, Length >>> 0, size === 8 ? 8 : 4);
      } catch (e) {
        return statusOf(e);
      }
      const r = m.ob.referenceByHandle(t.process, FileHandle, null, 0, UserMode);
      if (!r.object) return r.status;
      const fo = r.object;
      m.ob.dereference(fo);
      if (!(fo instanceof FILE_OBJECT)) return STATUS_OBJECT_TYPE_MISMATCH;
      let value: number;
      if (cls === FileModeInformation) {
        value = fo.Flags & FO_SYNCHRONOUS_IO ? (fo.Flags & FO_ALERTABLE_IO ? FILE_SYNCHRONOUS_IO_ALERT : FILE_SYNCHRONOUS_IO_NONALERT) : 0;
      } else if (cls === FileAccessInformation) value = r.grantedAccess;
      else if (cls === FileAlignmentInformation) value = fo.DeviceObject?.AlignmentRequirement ?? 0;
      else {
        const pos = fo.CurrentByteOffset;
        m.mmu.writeU32(FileInformation, pos >>> 0);
        m.mmu.writeU32(FileInformation + 4, Math.floor(pos / 2 ** 32) >>> 0);
        writeIoStatus(t, IoStatusBlock, STATUS_SUCCESS, 8);
        return STATUS_SUCCESS;
      }
      m.mmu.writeU32(FileInformation, value >>> 0);
      writeIoStatus(t, IoStatusBlock, STATUS_SUCCESS, size);
      return STATUS_SUCCESS;
    }),
  );
}
