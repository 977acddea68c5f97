/**
 * Cancelling I/O (ioapiset.h): CancelIo, CancelIoEx, CancelSynchronousIo — kernel32's logic over
 * NtCancelIoFile, NtCancelIoFileEx and NtCancelSynchronousIoFile.
 */
import { ntCancelIoFile, ntCancelIoFileEx, ntCancelSynchronousIoFile } from "../ntdll/file.js";
import type { NTSTATUS } from "../kernel/status.js";
import type { KThread } from "../kernel/thread.js";
import { boolFromStatus, caller } from "./call.js";
import { overlappedAddress, type LPOVERLAPPED } from "./overlapped.js";
import { threadScratch } from "./teb.js";
import { apiEnter, apiReturn } from "./trace-events.js";

function done(t: KThread, api: string, status: NTSTATUS): boolean {
  const ok = boolFromStatus(t, status);
  apiReturn(t, api, ok ? "TRUE" : "FALSE", ok ? 0 : t.lastError);
  return ok;
}

/**
 * CancelIo: cancels the requests the calling thread issued on the handle, and returns once they
 * have completed. A request issued by another thread is not touched.
 */
export async function CancelIo(hFile: number): Promise<boolean> {
  const t = caller("CancelIo");
  apiEnter(t, "CancelIo", () => `handle ${hFile}`);
  return done(t, "CancelIo", await ntCancelIoFile(t, hFile, threadScratch(t)));
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
  return Promise.resolve(done(t, "CancelIoEx", ntCancelIoFileEx(t, hFile, ov, threadScratch(t))));
}

/** CancelSynchronousIo: cancels the synchronous request the thread is blocked in; ERROR_NOT_FOUND if none. */
export function CancelSynchronousIo(hThread: number): Promise<boolean> {
  const t = caller("CancelSynchronousIo");
  apiEnter(t, "CancelSynchronousIo", () => `thread handle ${hThread}`);
  return Promise.resolve(done(t, "CancelSynchronousIo", ntCancelSynchronousIoFile(t, hThread, 0, threadScratch(t))));
}
