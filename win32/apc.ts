/**
 * User-mode APCs (processthreadsapi.h, fileapi.h): QueueUserAPC, and ReadFileEx/WriteFileEx, whose
 * completion routines are user APCs queued to the requesting thread. Both run only while the
 * thread is in an alertable wait (SleepEx, WaitForSingleObjectEx, WaitForMultipleObjectsEx,
 * GetQueuedCompletionStatusEx, GetOverlappedResultEx with bAlertable TRUE), which then returns
 * WAIT_IO_COMPLETION.
 */
import { KAPC, OriginalApcEnvironment, initializeApc } from "../kernel/apc.js";
import { UserMode } from "../kernel/irql.js";
import { NT_ERROR, NT_WARNING, STATUS_ACCESS_VIOLATION, STATUS_OBJECT_TYPE_MISMATCH, STATUS_PENDING, STATUS_UNSUCCESSFUL, ntStatusName } from "../kernel/status.js";
import { NtStatusError } from "../kernel/nt-status-error.js";
import { THREAD_SET_CONTEXT } from "../kernel/sync-objects.js";
import { KThread } from "../kernel/thread.js";
import { ntReadWriteFile } from "../ntdll/file.js";
import { caller, service, setLastNtError } from "./call.js";
import { ERROR_INVALID_PARAMETER, RtlNtStatusToDosError } from "./errors.js";
import { OVERLAPPED, overlappedAddress, type LPOVERLAPPED } from "./overlapped.js";
import { apiEnter, apiReturn } from "./trace-events.js";

/** PAPCFUNC: a user APC routine (QueueUserAPC); `Parameter` is the dwData given. */
export type PAPCFUNC = (Parameter: number) => unknown;

/**
 * LPOVERLAPPED_COMPLETION_ROUTINE: ReadFileEx/WriteFileEx's completion routine, called in the
 * requesting thread during an alertable wait with the Win32 error of the final status, the bytes
 * transferred and the request's OVERLAPPED.
 */
export type LPOVERLAPPED_COMPLETION_ROUTINE = (dwErrorCode: number, dwNumberOfBytesTransfered: number, lpOverlapped: OVERLAPPED) => unknown;

/**
 * QueueUserAPC: queues `pfnAPC(dwData)` as a user APC to the thread (the handle needs
 * THREAD_SET_CONTEXT). It runs the next time that thread waits alertably. Returns nonzero on
 * success; 0 with the last error for a bad handle or a thread that is exiting.
 */
export function QueueUserAPC(pfnAPC: PAPCFUNC, hThread: number, dwData: number): number {
  const t = caller("QueueUserAPC");
  apiEnter(t, "QueueUserAPC", () => `${pfnAPC.name || "(anonymous)"}, thread handle ${hThread}, ${dwData}`);
  const ok = service(t, (m) => {
    const r = m.ob.referenceByHandle(t.process, hThread, "Thread", THREAD_SET_CONTEXT, UserMode);
    if (!r.object) return setLastNtError(t, r.status) === 0;
    m.ob.dereference(r.object);
    if (!(r.object instanceof KThread)) return setLastNtError(t, STATUS_OBJECT_TYPE_MISMATCH) === 0;
    const apc = new KAPC();
    initializeApc(
      apc,
      r.object,
      OriginalApcEnvironment,
      function PspQueueApcSpecialApc() {
        // Nothing to do in kernel mode: the user routine is the point.
      },
      null,
      function BaseDispatchApc(NormalContext, SystemArgument1) {
        return (NormalContext as PAPCFUNC)(SystemArgument1 as number);
      },
      UserMode,
      pfnAPC,
      pfnAPC.name || "QueueUserAPC routine",
    );
    if (!m.interrupts.queueApc(apc, dwData >>> 0, null)) return setLastNtError(t, STATUS_UNSUCCESSFUL) === 0;
    return true;
  });
  apiReturn(t, "QueueUserAPC", ok ? "TRUE" : "FALSE", ok ? 0 : t.lastError);
  return ok ? 1 : 0;
}

/**
 * kernel32's APC routine for ReadFileEx/WriteFileEx: in user mode, it reads the final status and
 * byte count from the OVERLAPPED and calls the app's completion routine.
 */
function BasepIoCompletion(ApcContext: unknown, IoStatusBlock: unknown): unknown {
  const ov = new OVERLAPPED(IoStatusBlock as number);
  const routine = ApcContext as LPOVERLAPPED_COMPLETION_ROUTINE;
  // A completion routine that is no routine (NULL): the call through it faults in the app.
  if (typeof routine !== "function") throw new NtStatusError(STATUS_ACCESS_VIOLATION, "STATUS_ACCESS_VIOLATION: the completion routine given to ReadFileEx/WriteFileEx is NULL; kernel32's call through it faults", { address: 0, write: false });
  return routine(RtlNtStatusToDosError(ov.Internal), ov.InternalHigh, ov);
}

async function readWriteEx(api: "ReadFileEx" | "WriteFileEx", write: boolean, hFile: number, lpBuffer: number, n: number, lpOverlapped: LPOVERLAPPED | null, lpCompletionRoutine: LPOVERLAPPED_COMPLETION_ROUTINE): Promise<boolean> {
  const t = caller(api);
  const m = t.machine;
  const ov = overlappedAddress(lpOverlapped);
  apiEnter(t, api, () => `handle ${hFile}, ${n} bytes, completion routine ${typeof lpCompletionRoutine === "function" ? lpCompletionRoutine.name || "(anonymous)" : "NULL"}`);
  if (ov === 0) {
    t.lastError = ERROR_INVALID_PARAMETER;
    apiReturn(t, api, "FALSE", t.lastError);
    return false;
  }
  // kernel32 marks the request pending in the app's OVERLAPPED; hEvent is the app's to use.
  m.mmu.writeU32(ov, STATUS_PENDING);
  m.mmu.writeU32(ov + 4, 0);
  const offset = m.mmu.readU32(ov + 8) + m.mmu.readU32(ov + 12) * 2 ** 32;
  const status = await ntReadWriteFile(t, write, { fileHandle: hFile, event: 0, apcRoutine: BasepIoCompletion, apcContext: lpCompletionRoutine, ioStatusBlock: ov, buffer: lpBuffer, length: n, byteOffset: offset, key: 0 });
  // Only an error means no completion routine will run; anything else (pending, success, a
  // warning) will be reported to the routine.
  if (NT_ERROR(status)) {
    setLastNtError(t, status);
    apiReturn(t, api, `FALSE (${ntStatusName(status)})`, t.lastError);
    return false;
  }
  // Windows documents that ReadFileEx/WriteFileEx set the last error on success too: a warning's
  // error (ERROR_MORE_DATA for STATUS_BUFFER_OVERFLOW), else ERROR_SUCCESS.
  t.lastError = NT_WARNING(status) ? RtlNtStatusToDosError(status) : 0;
  apiReturn(t, api, status === STATUS_PENDING ? "TRUE (pending)" : `TRUE (${ntStatusName(status)})`, t.lastError);
  return true;
}

/**
 * ReadFileEx: an overlapped read whose completion is reported only by `lpCompletionRoutine`, a user
 * APC queued to this thread and run in its next alertable wait. TRUE when the request was
 * accepted (pending, or completed with a success or warning status: the routine runs either way);
 * FALSE with the last error when it failed at once (no routine runs). The OVERLAPPED is required;
 * its hEvent is not used. A handle bound to an I/O completion port gives ERROR_INVALID_PARAMETER.
 */
export function ReadFileEx(hFile: number, lpBuffer: number, nNumberOfBytesToRead: number, lpOverlapped: LPOVERLAPPED | null, lpCompletionRoutine: LPOVERLAPPED_COMPLETION_ROUTINE): Promise<boolean> {
  return readWriteEx("ReadFileEx", false, hFile, lpBuffer, nNumberOfBytesToRead, lpOverlapped, lpCompletionRoutine);
}

/** WriteFileEx: as ReadFileEx, through IRP_MJ_WRITE. */
export function WriteFileEx(hFile: number, lpBuffer: number, nNumberOfBytesToWrite: number, lpOverlapped: LPOVERLAPPED | null, lpCompletionRoutine: LPOVERLAPPED_COMPLETION_ROUTINE): Promise<boolean> {
  return readWriteEx("WriteFileEx", true, hFile, lpBuffer, nNumberOfBytesToWrite, lpOverlapped, lpCompletionRoutine);
}
