/**
 * The two NtSetInformationFile classes that bind a file to completion notification, handled by
 * the I/O manager itself without an IRP: FileCompletionInformation (CreateIoCompletionPort with a
 * file) and FileIoCompletionNotificationInformation (SetFileCompletionNotificationModes).
 */
import { STATUS_INVALID_PARAMETER, STATUS_OBJECT_TYPE_MISMATCH, STATUS_SUCCESS, type NTSTATUS } from "../kernel/status.js";
import type { KThread } from "../kernel/thread.js";
import { IO_COMPLETION_MODIFY_STATE, referencePort } from "./completion-port.js";
import {
  FILE_SKIP_COMPLETION_PORT_ON_SUCCESS,
  FILE_SKIP_SET_EVENT_ON_HANDLE,
  FILE_SKIP_SET_USER_EVENT_ON_FAST_IO,
  FO_SKIP_COMPLETION_PORT,
  FO_SKIP_SET_EVENT,
  FO_SKIP_SET_FAST_IO,
  FO_SYNCHRONOUS_IO,
} from "./constants.js";
import { FILE_OBJECT } from "./file-object.js";

/** References a file handle of the caller's process (no particular access needed). */
function referenceFile(t: KThread, fileHandle: number): FILE_OBJECT | NTSTATUS {
  const m = t.machine;
  const r = m.ob.referenceByHandle(t.process, fileHandle, null, 0, t.previousMode);
  if (!r.object) return r.status;
  if (!(r.object instanceof FILE_OBJECT)) {
    m.ob.dereference(r.object);
    return STATUS_OBJECT_TYPE_MISMATCH;
  }
  return r.object;
}

/**
 * NtSetInformationFile(FileCompletionInformation): binds the file to the port with a key. A file
 * opened for synchronous I/O, or already bound to a port, is STATUS_INVALID_PARAMETER. The file
 * keeps a reference to the port until it is deleted.
 */
export function setFileCompletionInformation(t: KThread, fileHandle: number, portHandle: number, key: number): NTSTATUS {
  const m = t.machine;
  const fo = referenceFile(t, fileHandle);
  if (typeof fo === "number") return fo;
  try {
    if (fo.Flags & FO_SYNCHRONOUS_IO || fo.CompletionContext) return STATUS_INVALID_PARAMETER;
    const port = referencePort(t, portHandle, IO_COMPLETION_MODIFY_STATE);
    if (typeof port === "number") return port;
    fo.CompletionContext = { Port: port, Key: key >>> 0 };
    return STATUS_SUCCESS;
  } finally {
    m.ob.dereference(fo);
  }
}

/**
 * NtSetInformationFile(FileIoCompletionNotificationInformation): adds notification modes to the
 * file (FILE_SKIP_COMPLETION_PORT_ON_SUCCESS, FILE_SKIP_SET_EVENT_ON_HANDLE,
 * FILE_SKIP_SET_USER_EVENT_ON_FAST_IO). Modes are only ever added, never removed; any other bit is
 * STATUS_INVALID_PARAMETER.
 */
export function setFileIoCompletionNotification(t: KThread, fileHandle: number, flags: number): NTSTATUS {
  const known = FILE_SKIP_COMPLETION_PORT_ON_SUCCESS | FILE_SKIP_SET_EVENT_ON_HANDLE | FILE_SKIP_SET_USER_EVENT_ON_FAST_IO;
  const fo = referenceFile(t, fileHandle);
  if (typeof fo === "number") return fo;
  try {
    if ((flags & ~known) !== 0) return STATUS_INVALID_PARAMETER;
    if (flags & FILE_SKIP_COMPLETION_PORT_ON_SUCCESS) fo.Flags |= FO_SKIP_COMPLETION_PORT;
    if (flags & FILE_SKIP_SET_EVENT_ON_HANDLE) fo.Flags |= FO_SKIP_SET_EVENT;
    // The emulator has no fast I/O path: the mode is recorded and has nothing to skip.
    if (flags & FILE_SKIP_SET_USER_EVENT_ON_FAST_IO) fo.Flags |= FO_SKIP_SET_FAST_IO;
    return STATUS_SUCCESS;
  } finally {
    t.machine.ob.dereference(fo);
  }
}
