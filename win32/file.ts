/**
 * Files and devices (fileapi.h, ioapiset.h): CreateFile, DeviceIoControl, ReadFile, WriteFile,
 * GetOverlappedResult, DuplicateHandle — kernel32's logic over the I/O system services.
 */
import { UserMode } from "../kernel/irql.js";
import { NtCurrentProcess } from "../kernel/object-manager.js";
import type { KProcess } from "../kernel/process.js";
import { NT_ERROR, NT_SUCCESS, STATUS_OBJECT_PATH_NOT_FOUND, STATUS_PENDING, ntStatusName, type NTSTATUS } from "../kernel/status.js";
import type { KThread } from "../kernel/thread.js";
import { CREATE_ALWAYS, FILE_FLAG_OVERLAPPED, FILE_READ_ATTRIBUTES, OPEN_ALWAYS, mapGenericFileAccess } from "../io-manager/constants.js";
import { FILE_CREATE, FILE_NON_DIRECTORY_FILE, FILE_OPEN, FILE_OPENED, FILE_OPEN_IF, FILE_OVERWRITE, FILE_OVERWRITE_IF, FILE_OVERWRITTEN, FILE_SYNCHRONOUS_IO_NONALERT } from "../io-manager/create-options.js";
import { SYNCHRONIZE } from "../kernel/sync-objects.js";
import { ntCreateFile, ntDeviceIoControlFile, ntReadWriteFile } from "../ntdll/file.js";
import { ntWaitForObjects } from "../ntdll/sync.js";
import { caller, serviceAsync, setLastNtError, boolFromStatus, putUserU32 } from "./call.js";
import { ERROR_ALREADY_EXISTS, ERROR_INVALID_PARAMETER, ERROR_IO_INCOMPLETE, RtlNtStatusToDosError, win32ErrorName } from "./errors.js";
import { overlappedAddress, type LPOVERLAPPED } from "./overlapped.js";
import { WAIT_FAILED, WaitForSingleObjectEx, INFINITE } from "./sync.js";

import { threadScratch } from "./teb.js";
import { apiEnter, apiReturn } from "./trace-events.js";

/** CreateFile's failure value. */
export const INVALID_HANDLE_VALUE = 0xffffffff;
/** DuplicateHandle options. */
export const DUPLICATE_CLOSE_SOURCE = 0x1;
/** DUPLICATE_SAME_ACCESS: DuplicateHandle gives the new handle the source's access. */
export const DUPLICATE_SAME_ACCESS = 0x2;

/** Turns a Win32 name into an NT path: \\.\Name is \??\Name. A NULL name is an empty one (no such path). */
function ntPath(name: string): string {
  if (typeof name !== "string") return "";
  if (name.startsWith("\\\\.\\") || name.startsWith("\\\\?\\")) return "\\??\\" + name.slice(4);
  if (/^[a-zA-Z]:\\/.test(name)) return "\\??\\" + name;
  return name;
}

/** CreateFile's dwCreationDisposition as NtCreateFile's CreateDisposition. */
const ntDisposition: Record<number, number> = { 1: FILE_CREATE, 2: FILE_OVERWRITE_IF, 3: FILE_OPEN, 4: FILE_OPEN_IF, 5: FILE_OVERWRITE };

/**
 * CreateFile: opens a device by its Win32 name ("\\\\.\\Sharebuf") through NtCreateFile.
 * FILE_FLAG_OVERLAPPED makes the handle asynchronous; without it kernel32 asks for
 * FILE_SYNCHRONOUS_IO_NONALERT and every request on the handle is synchronous. Returns the handle,
 * or INVALID_HANDLE_VALUE with the last error (ERROR_FILE_NOT_FOUND for a missing device).
 * As kernel32 documents, a successful CreateFile also sets the last error: ERROR_ALREADY_EXISTS
 * when OPEN_ALWAYS opened (IoStatus.Information FILE_OPENED) or CREATE_ALWAYS overwrote
 * (FILE_OVERWRITTEN) an existing file, 0 otherwise. irpsim has no file system: only device names resolve.
 */
export async function CreateFile(
  lpFileName: string,
  dwDesiredAccess: number,
  dwShareMode: number,
  _lpSecurityAttributes: null,
  dwCreationDisposition: number,
  dwFlagsAndAttributes: number,
  _hTemplateFile: number,
): Promise<number> {
  const t = caller("CreateFile");
  const disposition = ntDisposition[dwCreationDisposition];
  if (disposition === undefined) {
    t.lastError = ERROR_INVALID_PARAMETER;
    return INVALID_HANDLE_VALUE;
  }
  const path = ntPath(lpFileName);
  apiEnter(t, "CreateFile", () => `${lpFileName}${dwFlagsAndAttributes & FILE_FLAG_OVERLAPPED ? ", FILE_FLAG_OVERLAPPED" : ""}`);
  const overlapped = (dwFlagsAndAttributes & FILE_FLAG_OVERLAPPED) !== 0;
  const handle = { value: 0 };
  // kernel32's IO_STATUS_BLOCK is a local: the result comes back from the stub directly.
  const r = path.startsWith("\\")
    ? await ntCreateFile(t, handle, {
        desiredAccess: (dwDesiredAccess | SYNCHRONIZE | FILE_READ_ATTRIBUTES) >>> 0,
        name: path,
        ioStatusBlock: null,
        fileAttributes: dwFlagsAndAttributes & 0xffff,
        shareAccess: dwShareMode,
        createDisposition: disposition,
        createOptions: FILE_NON_DIRECTORY_FILE | (overlapped ? 0 : FILE_SYNCHRONOUS_IO_NONALERT),
      })
    : { status: STATUS_OBJECT_PATH_NOT_FOUND, information: 0 };
  if (!NT_SUCCESS(r.status)) {
    setLastNtError(t, r.status);
    apiReturn(t, "CreateFile", "INVALID_HANDLE_VALUE", t.lastError);
    return INVALID_HANDLE_VALUE;
  }
  const information = r.information;
  const existed = (dwCreationDisposition === CREATE_ALWAYS && information === FILE_OVERWRITTEN) || (dwCreationDisposition === OPEN_ALWAYS && information === FILE_OPENED);
  t.lastError = existed ? ERROR_ALREADY_EXISTS : 0;
  apiReturn(t, "CreateFile", `handle ${handle.value}`, t.lastError);
  return handle.value;
}

/** Writes a DWORD the way kernel32 does: a plain user-mode store (a bad pointer faults in the app). */
function store(t: KThread, address: number, value: number): void {
  t.machine.mmu.writeU32(address, value);
}

function finishOverlapped(t: KThread, api: string, status: NTSTATUS, ov: number, lpBytes: number): boolean {
  if (!NT_ERROR(status) && lpBytes !== 0) {
    let n: number;
    try {
      n = t.machine.mmu.readU32(ov + 4);
    } catch {
      n = 0;
    }
    store(t, lpBytes, n);
  }
  if (!NT_SUCCESS(status) || status === STATUS_PENDING) {
    setLastNtError(t, status);
    apiReturn(t, api, "FALSE", t.lastError);
    return false;
  }
  apiReturn(t, api, "TRUE", 0);
  return true;
}

function finishSynchronous(t: KThread, api: string, status: NTSTATUS, iosb: number, lpBytes: number): boolean {
  const mmu = t.machine.mmu;
  if (NT_SUCCESS(status)) {
    if (lpBytes !== 0) store(t, lpBytes, mmu.readU32(iosb + 4));
    // kernel32 leaves the last error alone when a call succeeds.
    apiReturn(t, api, "TRUE", 0);
    return true;
  }
  if (!NT_ERROR(status) && lpBytes !== 0) store(t, lpBytes, mmu.readU32(iosb + 4));
  setLastNtError(t, status);
  apiReturn(t, api, "FALSE", t.lastError);
  return false;
}

/**
 * kernel32's wait on the handle itself when an asynchronous handle is used without an OVERLAPPED
 * and the driver pends: NtWaitForSingleObject on the file (its event is set on completion), then
 * the status from the IO_STATUS_BLOCK.
 */
async function waitForHandle(t: KThread, hDevice: number, iosb: number, status: NTSTATUS): Promise<NTSTATUS> {
  if (status !== STATUS_PENDING) return status;
  const w = await ntWaitForObjects(t, "NtWaitForSingleObject", [hDevice], false, false, null);
  return NT_SUCCESS(w) ? t.machine.mmu.readU32(iosb) : w;
}

/**
 * DeviceIoControl. With an OVERLAPPED (on a handle opened with FILE_FLAG_OVERLAPPED), returns
 * FALSE with ERROR_IO_PENDING when the driver pends, and the completion sets the OVERLAPPED's
 * event and fills Internal/InternalHigh. Without one, it returns when the request is done.
 * `lpBytesReturned` gets the byte count for success and warnings (a warning such as
 * STATUS_BUFFER_OVERFLOW returns FALSE with ERROR_MORE_DATA).
 */
export function DeviceIoControl(
  hDevice: number,
  dwIoControlCode: number,
  lpInBuffer: number,
  nInBufferSize: number,
  lpOutBuffer: number,
  nOutBufferSize: number,
  lpBytesReturned: number,
  lpOverlapped: LPOVERLAPPED | null = null,
): Promise<boolean> {
  const t = caller("DeviceIoControl");
  const m = t.machine;
  const ov = overlappedAddress(lpOverlapped);
  apiEnter(t, "DeviceIoControl", () => `handle ${hDevice}, 0x${(dwIoControlCode >>> 0).toString(16).toUpperCase().padStart(8, "0")}, in ${nInBufferSize}, out ${nOutBufferSize} at 0x${(lpOutBuffer >>> 0).toString(16).toUpperCase().padStart(8, "0")}${ov ? ", overlapped" : ""}`);
  if (ov !== 0) {
    // kernel32 marks the request pending in the app's OVERLAPPED before calling the kernel.
    store(t, ov, STATUS_PENDING);
    const hEvent = m.mmu.readU32(ov + 16);
    const st = ntDeviceIoControlFile(t, {
      fileHandle: hDevice,
      event: hEvent & ~1,
      apcRoutine: null,
      apcContext: hEvent & 1 ? null : ov,
      ioStatusBlock: ov,
      ioControlCode: dwIoControlCode,
      inputBuffer: lpInBuffer,
      inputBufferLength: nInBufferSize,
      outputBuffer: lpOutBuffer,
      outputBufferLength: nOutBufferSize,
    });
    if (st instanceof Promise) return st.then((s) => finishOverlapped(t, "DeviceIoControl", s, ov, lpBytesReturned));
    return Promise.resolve(finishOverlapped(t, "DeviceIoControl", st, ov, lpBytesReturned));
  }
  const iosb = threadScratch(t);
  const s = ntDeviceIoControlFile(t, {
    fileHandle: hDevice,
    event: 0,
    apcRoutine: null,
    apcContext: null,
    ioStatusBlock: iosb,
    ioControlCode: dwIoControlCode,
    inputBuffer: lpInBuffer,
    inputBufferLength: nInBufferSize,
    outputBuffer: lpOutBuffer,
    outputBufferLength: nOutBufferSize,
  });
  const st = s instanceof Promise ? s.then((x) => waitForHandle(t, hDevice, iosb, x)) : s === STATUS_PENDING ? waitForHandle(t, hDevice, iosb, s) : s;
  if (st instanceof Promise) return st.then((s) => finishSynchronous(t, "DeviceIoControl", s, iosb, lpBytesReturned));
  return Promise.resolve(finishSynchronous(t, "DeviceIoControl", st, iosb, lpBytesReturned));
}

async function readWrite(api: "ReadFile" | "WriteFile", write: boolean, hFile: number, lpBuffer: number, n: number, lpNumber: number, lpOverlapped: LPOVERLAPPED | null): Promise<boolean> {
  const t = caller(api);
  const m = t.machine;
  const ov = overlappedAddress(lpOverlapped);
  apiEnter(t, api, () => `handle ${hFile}, ${n} bytes${ov ? ", overlapped" : ""}`);
  if (ov !== 0) {
    store(t, ov, STATUS_PENDING);
    const offset = m.mmu.readU32(ov + 8) + m.mmu.readU32(ov + 12) * 2 ** 32;
    const hEvent = m.mmu.readU32(ov + 16);
    if (lpNumber !== 0) store(t, lpNumber, 0);
    const status = await ntReadWriteFile(t, write, { fileHandle: hFile, event: hEvent & ~1, apcRoutine: null, apcContext: hEvent & 1 ? null : ov, ioStatusBlock: ov, buffer: lpBuffer, length: n, byteOffset: offset, key: 0 });
    return finishOverlapped(t, api, status, ov, lpNumber);
  }
  const iosb = threadScratch(t);
  const s = ntReadWriteFile(t, write, { fileHandle: hFile, event: 0, apcRoutine: null, apcContext: null, ioStatusBlock: iosb, buffer: lpBuffer, length: n, byteOffset: null, key: 0 });
  const status = await (s instanceof Promise ? s.then((x) => waitForHandle(t, hFile, iosb, x)) : waitForHandle(t, hFile, iosb, s));
  return finishSynchronous(t, api, status, iosb, lpNumber);
}

/** ReadFile: as DeviceIoControl, through IRP_MJ_READ. */
export function ReadFile(hFile: number, lpBuffer: number, nNumberOfBytesToRead: number, lpNumberOfBytesRead: number, lpOverlapped: LPOVERLAPPED | null = null): Promise<boolean> {
  return readWrite("ReadFile", false, hFile, lpBuffer, nNumberOfBytesToRead, lpNumberOfBytesRead, lpOverlapped);
}

/** WriteFile: as DeviceIoControl, through IRP_MJ_WRITE. */
export function WriteFile(hFile: number, lpBuffer: number, nNumberOfBytesToWrite: number, lpNumberOfBytesWritten: number, lpOverlapped: LPOVERLAPPED | null = null): Promise<boolean> {
  return readWrite("WriteFile", true, hFile, lpBuffer, nNumberOfBytesToWrite, lpNumberOfBytesWritten, lpOverlapped);
}

/**
 * GetOverlappedResultEx: while the request is pending, fails with ERROR_IO_INCOMPLETE (timeout 0)
 * or waits on the OVERLAPPED's event (or the file handle when it has none). Then reports the byte
 * count and returns TRUE only for STATUS_SUCCESS (any other status, warnings included, is FALSE
 * with its Win32 error).
 */
export async function GetOverlappedResultEx(hFile: number, lpOverlapped: LPOVERLAPPED, lpNumberOfBytesTransferred: number, dwMilliseconds: number, bAlertable: boolean): Promise<boolean> {
  const t = caller("GetOverlappedResultEx");
  const m = t.machine;
  const ov = overlappedAddress(lpOverlapped);
  apiEnter(t, "GetOverlappedResult", () => `handle ${hFile}${dwMilliseconds === 0 ? "" : ", wait"}`);
  let status = m.mmu.readU32(ov);
  if (status === STATUS_PENDING) {
    if (dwMilliseconds === 0) {
      t.lastError = ERROR_IO_INCOMPLETE;
      apiReturn(t, "GetOverlappedResult", "FALSE", ERROR_IO_INCOMPLETE);
      return false;
    }
    const hEvent = m.mmu.readU32(ov + 16);
    const w = await WaitForSingleObjectEx(hEvent !== 0 ? hEvent : hFile, dwMilliseconds, bAlertable);
    if (w === WAIT_FAILED) {
      apiReturn(t, "GetOverlappedResult", "FALSE", t.lastError);
      return false;
    }
    if (w !== 0) {
      t.lastError = w;
      apiReturn(t, "GetOverlappedResult", "FALSE", w);
      return false;
    }
    status = m.mmu.readU32(ov);
    if (status === STATUS_PENDING) status = 0;
  }
  store(t, lpNumberOfBytesTransferred, m.mmu.readU32(ov + 4));
  if (status !== 0) {
    t.lastError = RtlNtStatusToDosError(status);
    apiReturn(t, "GetOverlappedResult", `FALSE (${ntStatusName(status)})`, t.lastError);
    return false;
  }
  apiReturn(t, "GetOverlappedResult", "TRUE", 0);
  return true;
}

/** GetOverlappedResult: GetOverlappedResultEx waiting forever (bWait) or not at all. */
export function GetOverlappedResult(hFile: number, lpOverlapped: LPOVERLAPPED, lpNumberOfBytesTransferred: number, bWait: boolean): Promise<boolean> {
  return GetOverlappedResultEx(hFile, lpOverlapped, lpNumberOfBytesTransferred, bWait ? INFINITE : 0, false);
}

function processFor(t: KThread, h: number): KProcess | null {
  if (h >>> 0 === NtCurrentProcess) return t.process;
  const r = t.machine.ob.referenceByHandle<KProcess>(t.process, h, "Process", 0x40, UserMode);
  if (!r.object) return null;
  t.machine.ob.dereference(r.object);
  return r.object;
}

/**
 * DuplicateHandle: another handle to the same object (no new IRP_MJ_CREATE for a file), with the
 * same access (DUPLICATE_SAME_ACCESS) or a subset; DUPLICATE_CLOSE_SOURCE closes the source.
 * Writes the new handle at `lpTargetHandle`.
 */
export async function DuplicateHandle(
  hSourceProcessHandle: number,
  hSourceHandle: number,
  hTargetProcessHandle: number,
  lpTargetHandle: number,
  dwDesiredAccess: number,
  _bInheritHandle: boolean,
  dwOptions: number,
): Promise<boolean> {
  const t = caller("DuplicateHandle");
  apiEnter(t, "DuplicateHandle", () => `handle ${hSourceHandle}`);
  return serviceAsync(t, async (m) => {
    const source = processFor(t, hSourceProcessHandle);
    const target = processFor(t, hTargetProcessHandle);
    if (!source || !target) return boolFromStatus(t, 0xc0000008);
    const entry = source.handleTable.lookup(hSourceHandle);
    if (!entry) return boolFromStatus(t, 0xc0000008);
    const access = dwOptions & DUPLICATE_SAME_ACCESS ? entry.grantedAccess : mapGenericFileAccess(dwDesiredAccess);
    if ((access & ~entry.grantedAccess) !== 0) return boolFromStatus(t, 0xc0000022);
    const h = m.ob.insertHandle(target, entry.object, access);
    if (lpTargetHandle !== 0) putUserU32(m, lpTargetHandle, h);
    if (dwOptions & DUPLICATE_CLOSE_SOURCE) await m.ob.closeHandle(source, hSourceHandle);
    apiReturn(t, "DuplicateHandle", `handle ${h}`, 0);
    return true;
  });
}

export { win32ErrorName };
