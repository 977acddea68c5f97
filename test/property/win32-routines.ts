/**
 * The Win32 routines the user-side hostile-call property drives, one entry per routine: its name,
 * the routine, the kinds of its arguments (win32-world.ts's ARG_KINDS says how each is generated,
 * hostile values included) and what it makes, by kind. Adding a routine is adding a line here.
 */
import * as w32 from "../../win32/index.js";
import { IOCTL_DONE_USING_SHARE_BUFFER, IOCTL_SHARE_BUFFER } from "../../samples/sharebuf/driver.js";
import { IOCTL_INVERTED_NOTIFY, IOCTL_INVERTED_SIMULATE_EVENT } from "../../samples/inverted-call/driver.js";
import { IOCTL_NOTIFY_WAIT } from "../../samples/notify/driver.js";
import type { Made } from "./kernel-routines.js";
import type { Win32World } from "./win32-world.js";

/** One routine of the table. */
export interface Win32Routine {
  readonly name: string;
  readonly fn: (...args: never[]) => unknown;
  /** The kinds of its arguments, in order (ARG_KINDS in win32-world.ts). */
  readonly args: readonly string[];
  /** What it makes, by kind: kept for the process's later steps. */
  readonly returns?: Readonly<Record<string, Made>>;
}

const itself: Made = (v) => v;
/** The handle a routine returns, unless it failed (INVALID_HANDLE_VALUE or NULL). */
const handle: Made = (v) => (typeof v === "number" && v !== 0 && v !== w32.INVALID_HANDLE_VALUE ? v : null);

function r(name: string, fn: (...args: never[]) => unknown, args: readonly string[], returns?: Readonly<Record<string, Made>>): Win32Routine {
  return returns ? { name, fn, args, returns } : { name, fn, args };
}

/** A zeroed OVERLAPPED in the process heap, with a manual-reset event or none. */
function NewOverlapped(withEvent: boolean): w32.OVERLAPPED | null {
  const p = w32.HeapAlloc(w32.GetProcessHeap(), w32.HEAP_ZERO_MEMORY, w32.SIZEOF_OVERLAPPED);
  if (p === 0) return null;
  const ov = new w32.OVERLAPPED(p);
  if (withEvent) ov.hEvent = w32.CreateEvent(null, true, false, null);
  return ov;
}

/** Another thread of the process that sends a request and ends at once (its IRP is cancelled at its exit). */
function RequestThenExit(w: Win32World, h: unknown, code: unknown, buffer: unknown): number {
  return w32.CreateThread(
    null,
    0,
    async function PropRequestThread() {
      const ov = NewOverlapped(true);
      await w32.DeviceIoControl(h as number, code as number, buffer as number, 16, buffer as number, 64, 0, ov);
      w.coverage.returned++;
    },
    null,
    0,
    0,
  );
}

/** Another processor kills the other app (its pending requests are cancelled on the way out). */
function KillOtherProcess(w: Win32World): void {
  w.killOther();
}

/** A user APC routine and a completion routine that do nothing but count. */
function countApc(w: Win32World): w32.PAPCFUNC {
  return function PropUserApc() {
    w.userApcs++;
  };
}

/** The requests each sample driver holds (its pended I/O), and how the app sends them. */
const PENDING_REQUESTS: readonly { device: string; send: (h: number, buffer: number, ov: w32.OVERLAPPED) => Promise<boolean> }[] = [
  { device: "\\\\.\\Sharebuf", send: (h, b, ov) => w32.DeviceIoControl(h, IOCTL_SHARE_BUFFER, 0, 0, b, 16384, 0, ov) },
  { device: "\\\\.\\Notify", send: (h, b, ov) => w32.DeviceIoControl(h, IOCTL_NOTIFY_WAIT, 0, 0, b, 8, 0, ov) },
  { device: "\\\\.\\InvertedCall", send: (h, b, ov) => w32.DeviceIoControl(h, IOCTL_INVERTED_NOTIFY, 0, 0, b, 4, 0, ov) },
  { device: "\\\\.\\CsqReads", send: (h, b, ov) => w32.ReadFile(h, b, 4, 0, ov) },
  { device: "\\\\.\\Uart", send: (h, b, ov) => w32.WriteFile(h, b, 32, 0, ov) },
];

/**
 * What a correct app does to get a request held by a sample driver: open its device overlapped
 * (once) and send the request the driver pends, with a buffer of its own and a fresh OVERLAPPED.
 * The hostile steps that follow then meet requests in flight: cancels, closes, deaths, reuse.
 */
async function PendARequest(w: Win32World, which: number): Promise<void> {
  const r = PENDING_REQUESTS[which % PENDING_REQUESTS.length];
  if (!r) return;
  const h = await w32.CreateFile(r.device, w32.GENERIC_READ | w32.GENERIC_WRITE, 0, null, w32.OPEN_EXISTING, w32.FILE_FLAG_OVERLAPPED, 0);
  if (h === w32.INVALID_HANDLE_VALUE) return;
  w.keep("file", h);
  w.keep("handle", h);
  const buffer = w32.VirtualAlloc(0, 16384, w32.MEM_COMMIT | w32.MEM_RESERVE, w32.PAGE_READWRITE);
  w.keep("buffer", buffer);
  const ov = NewOverlapped(true);
  if (!ov) return;
  w.keep("overlapped", ov);
  w.keep("handle", ov.hEvent);
  await r.send(h, buffer, ov);
}

/** What releases the requests Sharebuf and InvertedCall hold (DONE_USING, a simulated event). */
async function ReleaseRequests(which: number): Promise<void> {
  const device = which % 2 === 0 ? "\\\\.\\Sharebuf" : "\\\\.\\InvertedCall";
  const h = await w32.CreateFile(device, w32.GENERIC_READ | w32.GENERIC_WRITE, 0, null, w32.OPEN_EXISTING, 0, 0);
  if (h === w32.INVALID_HANDLE_VALUE) return;
  await w32.DeviceIoControl(h, which % 2 === 0 ? IOCTL_DONE_USING_SHARE_BUFFER : IOCTL_INVERTED_SIMULATE_EVENT, 0, 0, 0, 0, 0, null);
  await w32.CloseHandle(h);
}

/** Every routine the user-side property calls. */
export const win32Routines: readonly Win32Routine[] = [
  r("CreateFile", (path: string, access: number, flags: number) => w32.CreateFile(path, access, 0, null, w32.OPEN_EXISTING, flags, 0), ["path", "access", "fileFlags"], { handle, file: handle }),
  r("CloseHandle", w32.CloseHandle, ["handle"]),
  r("DeviceIoControl", w32.DeviceIoControl, ["file", "ioctl", "buffer", "length", "buffer", "length", "bytesPtr", "overlapped"]),
  r("ReadFile", w32.ReadFile, ["file", "buffer", "length", "bytesPtr", "overlapped"]),
  r("WriteFile", w32.WriteFile, ["file", "buffer", "length", "bytesPtr", "overlapped"]),
  r("ReadFileEx", w32.ReadFileEx, ["file", "buffer", "length", "overlapped", "completionRoutine"]),
  r("WriteFileEx", w32.WriteFileEx, ["file", "buffer", "length", "overlapped", "completionRoutine"]),
  r("CancelIo", w32.CancelIo, ["file"]),
  r("CancelIoEx", w32.CancelIoEx, ["file", "overlapped"]),
  r("CancelSynchronousIo", w32.CancelSynchronousIo, ["thread"]),
  r("GetOverlappedResult", w32.GetOverlappedResult, ["file", "overlapped", "bytesPtr", "bool"]),
  r("GetOverlappedResultEx", w32.GetOverlappedResultEx, ["file", "overlapped", "bytesPtr", "timeout", "bool"]),
  r("HasOverlappedIoCompleted", w32.HasOverlappedIoCompleted, ["overlapped"]),
  r("WaitForSingleObject", w32.WaitForSingleObject, ["handle", "timeout"]),
  r("WaitForSingleObjectEx", w32.WaitForSingleObjectEx, ["handle", "timeout", "bool"]),
  r("WaitForMultipleObjects", (hs: unknown, all: boolean, ms: number) => w32.WaitForMultipleObjects(Array.isArray(hs) ? hs.length : 0, hs as number[], all, ms), ["handles", "bool", "timeout"]),
  r("SleepEx", w32.SleepEx, ["timeout", "bool"]),
  r("Sleep", w32.Sleep, ["timeout"]),
  r("CreateEvent", (manual: boolean, initial: boolean) => w32.CreateEvent(null, manual, initial, null), ["bool", "bool"], { handle }),
  r("SetEvent", w32.SetEvent, ["handle"]),
  r("ResetEvent", w32.ResetEvent, ["handle"]),
  r("PulseEvent", w32.PulseEvent, ["handle"]),
  r("CreateSemaphore", (initial: number, max: number) => w32.CreateSemaphore(null, initial, max, null), ["count", "count"], { handle }),
  r("ReleaseSemaphore", w32.ReleaseSemaphore, ["handle", "count", "bytesPtr"]),
  r("CreateMutex", (owned: boolean) => w32.CreateMutex(null, owned, null), ["bool"], { handle }),
  r("ReleaseMutex", w32.ReleaseMutex, ["handle"]),
  r("VirtualAlloc", (size: number) => w32.VirtualAlloc(0, size, w32.MEM_COMMIT | w32.MEM_RESERVE, w32.PAGE_READWRITE), ["length"], { buffer: itself }),
  r("VirtualFree", (p: number) => w32.VirtualFree(p, 0, w32.MEM_RELEASE), ["buffer"]),
  r("VirtualProtect", w32.VirtualProtect, ["buffer", "length", "protection", "bytesPtr"]),
  r("HeapAlloc", (flags: number, size: number) => w32.HeapAlloc(w32.GetProcessHeap(), flags, size), ["heapFlags", "length"], { buffer: itself }),
  r("HeapFree", (p: number) => w32.HeapFree(w32.GetProcessHeap(), 0, p), ["buffer"]),
  r("(app code) a new OVERLAPPED", NewOverlapped, ["bool"], { overlapped: itself }),
  r("CreateIoCompletionPort", w32.CreateIoCompletionPort, ["handle", "handle", "number", "count"], { handle, port: handle }),
  r("GetQueuedCompletionStatus", w32.GetQueuedCompletionStatus, ["port", "bytesPtr", "bytesPtr", "bytesPtr", "timeout"]),
  r("PostQueuedCompletionStatus", w32.PostQueuedCompletionStatus, ["port", "number", "number", "overlapped"]),
  r("QueueUserAPC", (w: Win32World, t: number, data: number) => w32.QueueUserAPC(countApc(w), t, data), ["world", "thread", "number"]),
  r("GetCurrentThread", w32.GetCurrentThread, [], { thread: itself }),
  r("CreateThread (a request, then the thread exits)", RequestThenExit, ["world", "file", "ioctl", "buffer"], { handle, thread: handle }),
  r("GetExitCodeThread", w32.GetExitCodeThread, ["thread", "bytesPtr"]),
  r("GetLastError", w32.GetLastError, []),
  r("(another processor) the other app is killed", KillOtherProcess, ["world"]),
  r("(app code) pend a request with a sample driver", PendARequest, ["world", "number"]),
  r("(app code) pend a request with a sample driver", PendARequest, ["world", "count"]),
  r("(app code) release the requests Sharebuf or InvertedCall hold", ReleaseRequests, ["number"]),
];
