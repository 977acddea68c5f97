/**
 * The Win32 routines the user-side hostile-call property drives, one entry per routine: its name,
 * the routine, the kinds of its arguments (win32-world.ts's ARG_KINDS says how each is generated,
 * hostile values included) and what it makes, by kind. Adding a routine is adding a line here.
 */
import * as w32 from "../../win32/index.js";
import * as nt from "../../ntdll/index.js";
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
/** The view accesses MapViewOfFile is given (FILE_MAP_COPY, not built, left out). */
const MAP_ACCESS = [w32.FILE_MAP_READ, w32.FILE_MAP_WRITE, w32.FILE_MAP_ALL_ACCESS, 0, w32.FILE_MAP_EXECUTE, 0xffff] as const;
const handle: Made = (v) => (typeof v === "number" && v !== 0 && v !== w32.INVALID_HANDLE_VALUE ? v : null);

function r(name: string, fn: (...args: never[]) => unknown, args: readonly string[], returns?: Readonly<Record<string, Made>>): Win32Routine {
  return returns ? { name, fn, args, returns } : { name, fn, args };
}

/** The handle an Nt* call stored in its out-parameter (a local), unless it failed. */
/** The handle a call stored through its `i`th argument (an HKEY out-parameter), when it succeeded. */
const outAt =
  (i: number): Made =>
  (v, a) => {
    const out = a[i] as { value?: unknown } | null;
    return v === 0 && out !== null && typeof out === "object" && typeof out.value === "number" && out.value !== 0 ? out.value : null;
  };

const outHandle: Made = (v, a) => {
  const out = a[0] as { value?: unknown } | null;
  return v === 0 && out !== null && typeof out === "object" && typeof out.value === "number" && out.value !== 0 ? out.value : null;
};

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
  // ---- Added after the 17 B merge: the native API (irpsim/ntdll) and kernel32's newer names ----
  r("NtCreateFile", (out: unknown, access: unknown, oa: unknown, iosb: unknown, disposition: unknown, options: unknown) => nt.NtCreateFile(out as nt.POut, access as number, oa as nt.OBJECT_ATTRIBUTES, iosb as number, null, 0, 3, disposition as number, options as number, 0, 0), ["handleOut", "access", "objectAttributes", "iosb", "number", "createOptions"], { handle: outHandle, file: outHandle }),
  r("NtOpenFile", (out: unknown, access: unknown, oa: unknown, iosb: unknown, options: unknown) => nt.NtOpenFile(out as nt.POut, access as number, oa as nt.OBJECT_ATTRIBUTES, iosb as number, 3, options as number), ["handleOut", "access", "objectAttributes", "iosb", "createOptions"], { handle: outHandle, file: outHandle }),
  r("NtDeviceIoControlFile", nt.NtDeviceIoControlFile, ["file", "handle", "apcRoutine", "number", "iosb", "ioctl", "buffer", "length", "buffer", "length"]),
  r("NtReadFile", nt.NtReadFile, ["file", "handle", "apcRoutine", "number", "iosb", "buffer", "length", "largeInteger", "number"]),
  r("NtWriteFile", nt.NtWriteFile, ["file", "handle", "apcRoutine", "number", "iosb", "buffer", "length", "largeInteger", "number"]),
  r("NtCancelIoFile", nt.NtCancelIoFile, ["file", "iosb"]),
  r("NtCancelIoFileEx", nt.NtCancelIoFileEx, ["file", "iosb", "iosb"]),
  r("NtCancelSynchronousIoFile", nt.NtCancelSynchronousIoFile, ["thread", "iosb", "iosb"]),
  r("NtClose", nt.NtClose, ["handle"]),
  r("NtQueryInformationFile", nt.NtQueryInformationFile, ["file", "iosb", "buffer", "length", "fileInformationClass"]),
  r("NtCreateEvent", (out: unknown, access: unknown, oa: unknown, type: unknown, initial: unknown) => nt.NtCreateEvent(out as nt.POut, access as number, oa as nt.OBJECT_ATTRIBUTES, type as number, initial as boolean), ["handleOut", "access", "objectAttributes", "count", "bool"], { handle: outHandle }),
  r("NtOpenEvent", (out: unknown, access: unknown, oa: unknown) => nt.NtOpenEvent(out as nt.POut, access as number, oa as nt.OBJECT_ATTRIBUTES), ["handleOut", "access", "objectAttributes"], { handle: outHandle }),
  r("NtSetEvent", nt.NtSetEvent, ["handle", "handleOut"]),
  r("NtResetEvent", nt.NtResetEvent, ["handle", "handleOut"]),
  r("NtClearEvent", nt.NtClearEvent, ["handle"]),
  r("NtPulseEvent", nt.NtPulseEvent, ["handle", "handleOut"]),
  r("NtWaitForSingleObject", nt.NtWaitForSingleObject, ["handle", "bool", "largeInteger"]),
  r("NtWaitForMultipleObjects", (hs: unknown, type: unknown, alertable: unknown, timeout: unknown) => nt.NtWaitForMultipleObjects(Array.isArray(hs) ? hs.length : 0, hs as number[], type as number, alertable as boolean, timeout as nt.PLARGE_INTEGER), ["handles", "count", "bool", "largeInteger"]),
  r("NtCreateIoCompletion", (out: unknown, access: unknown, count: unknown) => nt.NtCreateIoCompletion(out as nt.POut, access as number, null, count as number), ["handleOut", "access", "count"], { handle: outHandle, port: outHandle }),
  r("NtSetIoCompletion", nt.NtSetIoCompletion, ["port", "number", "number", "number", "number"]),
  r("NtRemoveIoCompletion", nt.NtRemoveIoCompletion, ["port", "handleOut", "handleOut", "iosb", "largeInteger"]),
  r("NtRemoveIoCompletionEx", nt.NtRemoveIoCompletionEx, ["port", "buffer", "count", "handleOut", "largeInteger", "bool"]),
  r("RtlNtStatusToDosError", nt.RtlNtStatusToDosError, ["number"]),
  r("GetTickCount", w32.GetTickCount, []),
  r("GetTickCount64", w32.GetTickCount64, []),
  r("QueryPerformanceCounter", w32.QueryPerformanceCounter, ["bytesPtr"]),
  r("QueryPerformanceFrequency", w32.QueryPerformanceFrequency, ["bytesPtr"]),
  r("GetSystemTimeAsFileTime", w32.GetSystemTimeAsFileTime, ["bytesPtr"]),
  r("SwitchToThread", w32.SwitchToThread, []),
  r("ZeroMemory", w32.ZeroMemory, ["buffer", "length"]),
  r("FillMemory", w32.FillMemory, ["buffer", "length", "number"]),
  r("CopyMemory", w32.CopyMemory, ["buffer", "buffer", "length"]),
  r("MoveMemory", w32.MoveMemory, ["buffer", "buffer", "length"]),
  r("lstrlenA", w32.lstrlenA, ["strSource"]),
  r("lstrlenW", w32.lstrlenW, ["strSource"]),
  r("lstrcpyA", w32.lstrcpyA, ["buffer", "strSource"]),
  r("lstrcpyW", w32.lstrcpyW, ["buffer", "strSource"]),
  r("lstrcatA", w32.lstrcatA, ["buffer", "strSource"]),
  r("lstrcatW", w32.lstrcatW, ["buffer", "strSource"]),
  r("StringCbCopyA", w32.StringCbCopyA, ["buffer", "length", "strSource"]),
  r("StringCchCopyW", w32.StringCchCopyW, ["buffer", "length", "strSource"]),
  r("StringCbPrintfA", w32.StringCbPrintfA, ["buffer", "length", "format", "printfArg", "printfArg"]),
  r("StringCchPrintfW", w32.StringCchPrintfW, ["buffer", "length", "format", "printfArg", "printfArg"]),
  r("StringCbLengthA", w32.StringCbLengthA, ["strSource", "length", "sizeOut"]),
  r("StringCbLengthW", w32.StringCbLengthW, ["strSource", "length", "sizeOut"]),
  r("wsprintfA", w32.wsprintfA, ["buffer", "format", "printfArg", "printfArg"]),
  r("wsprintfW", w32.wsprintfW, ["buffer", "format", "printfArg", "printfArg"]),
  r("CM_Get_Device_Interface_List_Size", w32.CM_Get_Device_Interface_List_Size, ["bytesPtr", "guid", "deviceId", "number"]),
  r("CM_Get_Device_Interface_List", w32.CM_Get_Device_Interface_List, ["guid", "deviceId", "buffer", "length", "number"]),
  // ---- The registry (advapi32 Reg*, ntdll Nt*Key) ----
  r("RegOpenKeyExW", w32.RegOpenKeyExW, ["hkey", "regSubKey", "number", "access", "handleOut"], { hkey: outAt(4) }),
  r("RegCreateKeyExW", (h: unknown, sub: unknown, access: unknown, out: unknown, disp: unknown) => w32.RegCreateKeyExW(h as number, sub as string, 0, null, 0, access as number, null, out as w32.LPDWORD, disp as w32.LPDWORD | null), ["hkey", "regSubKey", "access", "handleOut", "handleOut"], { hkey: outAt(3) }),
  r("RegQueryValueExW", w32.RegQueryValueExW, ["hkey", "valueName", "number", "handleOut", "buffer", "handleOut"]),
  r("RegQueryValueExA", w32.RegQueryValueExA, ["hkey", "valueName", "number", "handleOut", "buffer", "handleOut"]),
  r("RegGetValueW", w32.RegGetValueW, ["hkey", "regSubKey", "valueName", "regFlags", "handleOut", "buffer", "handleOut"]),
  r("RegSetValueExW", w32.RegSetValueExW, ["hkey", "valueName", "number", "regType", "buffer", "length"]),
  r("RegDeleteValueW", w32.RegDeleteValueW, ["hkey", "valueName"]),
  r("RegDeleteKeyW", w32.RegDeleteKeyW, ["hkey", "regSubKey"]),
  r("RegEnumKeyExW", w32.RegEnumKeyExW, ["hkey", "count", "buffer", "handleOut", "number", "number", "number", "bytesPtr"]),
  r("RegEnumValueW", w32.RegEnumValueW, ["hkey", "count", "buffer", "handleOut", "number", "handleOut", "buffer", "handleOut"]),
  r("RegCloseKey", w32.RegCloseKey, ["hkey"]),
  r("NtOpenKey", (out: unknown, access: unknown, oa: unknown) => nt.NtOpenKey(out as nt.POut, access as number, oa as nt.OBJECT_ATTRIBUTES), ["handleOut", "access", "objectAttributes"], { handle: outHandle, hkey: outHandle }),
  r("NtQueryValueKey", nt.NtQueryValueKey, ["hkey", "bytesPtr", "regClass", "buffer", "length", "handleOut"]),
  r("NtEnumerateKey", nt.NtEnumerateKey, ["hkey", "count", "regClass", "buffer", "length", "handleOut"]),
  r("NtEnumerateValueKey", nt.NtEnumerateValueKey, ["hkey", "count", "regClass", "buffer", "length", "handleOut"]),
  r("NtDeleteKey", nt.NtDeleteKey, ["hkey"]),
  r("(another processor) the other app is killed", KillOtherProcess, ["world"]),
  r("(app code) pend a request with a sample driver", PendARequest, ["world", "number"]),
  r("(app code) pend a request with a sample driver", PendARequest, ["world", "count"]),
  r("(app code) release the requests Sharebuf or InvertedCall hold", ReleaseRequests, ["number"]),
  // ---- File mappings and sections (memshare); FILE_MAP_COPY and file-backed mappings are not built and stay out ----
  r("CreateFileMapping", (protect: number, size: number, named: boolean) => w32.CreateFileMapping(w32.INVALID_HANDLE_VALUE, null, protect, 0, size, named ? "PropMapping" : null), ["protection", "length", "bool"], { handle }),
  r("OpenFileMapping", (access: number, inherit: boolean) => w32.OpenFileMapping(access, inherit, "PropMapping"), ["number", "bool"], { handle }),
  r("MapViewOfFile", (h: number, which: number, offset: number, size: number) => w32.MapViewOfFile(h, MAP_ACCESS[(which >>> 0) % MAP_ACCESS.length] ?? 0, 0, offset, size), ["handle", "count", "number", "length"], { buffer: itself }),
  r("UnmapViewOfFile", w32.UnmapViewOfFile, ["buffer"]),
  r("NtCreateSection", (out: unknown, access: unknown, oa: unknown, size: unknown, protect: unknown) => nt.NtCreateSection(out as nt.POut, access as number, oa as nt.OBJECT_ATTRIBUTES, size as nt.PLARGE_INTEGER, protect as number, nt.SEC_COMMIT, null), ["handleOut", "access", "objectAttributes", "largeInteger", "protection"], { handle: outHandle }),
  r("NtOpenSection", (out: unknown, access: unknown, oa: unknown) => nt.NtOpenSection(out as nt.POut, access as number, oa as nt.OBJECT_ATTRIBUTES), ["handleOut", "access", "objectAttributes"], { handle: outHandle }),
  r("NtMapViewOfSection", (h: unknown, base: unknown, offset: unknown, size: unknown, protect: unknown) => nt.NtMapViewOfSection(h as number, nt.NtCurrentProcess, base as nt.POut, 0, 0, offset as nt.PLARGE_INTEGER, size as nt.POut, nt.ViewShare, 0, protect as number), ["handle", "handleOut", "largeInteger", "handleOut", "protection"]),
  r("NtUnmapViewOfSection", (p: number) => nt.NtUnmapViewOfSection(nt.NtCurrentProcess, p), ["buffer"]),
];
