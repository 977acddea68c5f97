/**
 * Cancelling I/O (ioapiset.h): CancelIo, CancelIoEx, CancelSynchronousIo.
 */
import { UserMode } from "../kernel/irql.js";
import { KThread } from "../kernel/thread.js";
import { STATUS_INVALID_HANDLE, STATUS_OBJECT_TYPE_MISMATCH, type NTSTATUS } from "../kernel/status.js";
import { FILE_OBJECT } from "../io-manager/file-object.js";
import { NtCancelIoFile, NtCancelIoFileEx, NtCancelSynchronousIoFile } from "../io-manager/cancel-io.js";
import { boolFromStatus, caller, serviceAsync } from "./call.js";
import { overlappedAddress, type LPOVERLAPPED } from "./overlapped.js";
import { apiEnter, apiReturn } from "./trace-events.js";

function fileOf(t: KThread, h: number): FILE_OBJECT | NTSTATUS {
  const r = t.machine.ob.referenceByHandle(t.process, h, null, 0, UserMode);
  if (!r.object) return r.status;
  t.machine.ob.dereference(r.object);
  return r.object instanceof FILE_OBJECT ? r.object : STATUS_OBJECT_TYPE_MISMATCH;
}

function done(t: KThread, api: string, status: NTSTATUS): boolean {
  const ok = boolFromStatus(t, status);
  apiReturn(t, api, ok ? "TRUE" : "FALSE", ok ? 0 : t.lastError);
  return ok;
}

/**
 * CancelIo: cancels the requests the calling thread issued on the handle, and returns once they
 * have completed. A request issued by another thread is not touched.
 */
export function CancelIo(hFile: number): Promise<boolean> {
  const t = caller("CancelIo");
  apiEnter(t, "CancelIo", () => `handle ${hFile}`);
  return serviceAsync(t, async () => {
    const fo = fileOf(t, hFile);
    if (typeof fo === "number") return done(t, "CancelIo", fo);
    return done(t, "CancelIo", await NtCancelIoFile(t, fo));
  });
}

/**
 * CancelIoEx: cancels the request issued with `lpOverlapped` (or every request on the handle when
 * it is NULL) from any thread of the process. Does not wait for them. FALSE with ERROR_NOT_FOUND
 * when nothing matched (already completed, or never issued).
 */
export function CancelIoEx(hFile: number, lpOverlapped: LPOVERLAPPED | null = null): Promise<boolean> {
  const t = caller("CancelIoEx");
  const ov = overlappedAddress(lpOverlapped);
  apiEnter(t, "CancelIoEx", () => `handle ${hFile}${ov ? `, OVERLAPPED at 0x${ov.toString(16).toUpperCase()}` : ", all"}`);
  return serviceAsync(t, async () => {
    const fo = fileOf(t, hFile);
    if (typeof fo === "number") return done(t, "CancelIoEx", fo);
    return Promise.resolve(done(t, "CancelIoEx", NtCancelIoFileEx(t, fo, ov)));
  });
}

/** CancelSynchronousIo: cancels the synchronous request the thread is blocked in; ERROR_NOT_FOUND if none. */
export function CancelSynchronousIo(hThread: number): Promise<boolean> {
  const t = caller("CancelSynchronousIo");
  apiEnter(t, "CancelSynchronousIo", () => `thread handle ${hThread}`);
  return serviceAsync(t, () => {
    const r = t.machine.ob.referenceByHandle(t.process, hThread, "Thread", 0x0001, UserMode);
    if (!r.object || !(r.object instanceof KThread)) return Promise.resolve(done(t, "CancelSynchronousIo", r.object ? STATUS_OBJECT_TYPE_MISMATCH : r.status || STATUS_INVALID_HANDLE));
    t.machine.ob.dereference(r.object);
    return Promise.resolve(done(t, "CancelSynchronousIo", NtCancelSynchronousIoFile(t, r.object)));
  });
}
