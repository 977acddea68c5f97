/**
 * I/O completion ports (ioapiset.h): CreateIoCompletionPort, GetQueuedCompletionStatus(Ex),
 * PostQueuedCompletionStatus and SetFileCompletionNotificationModes — kernel32's logic over
 * NtCreateIoCompletion, NtSetInformationFile, NtRemoveIoCompletion(Ex) and NtSetIoCompletion.
 *
 * Out-parameters are user addresses, as in C: GetQueuedCompletionStatus writes the byte count,
 * the key and the OVERLAPPED pointer there (read them back with readU32).
 */
import { currentMachine } from "../kernel/context.js";
import type { KThread } from "../kernel/thread.js";
import {
  STATUS_ABANDONED_WAIT_0,
  STATUS_INVALID_PARAMETER,
  STATUS_SUCCESS,
  STATUS_TIMEOUT,
  STATUS_USER_APC,
  ntStatusName,
  type NTSTATUS,
} from "../kernel/status.js";
import { NtStatusError } from "../kernel/nt-status-error.js";
import { IO_COMPLETION_ALL_ACCESS, NtCreateIoCompletion, closeNewPortHandle } from "../io-manager/completion-port.js";
import { ntRemoveIoCompletion, ntSetIoCompletion } from "../ntdll/completion.js";
import { setFileCompletionInformation, setFileIoCompletionNotification } from "../io-manager/file-completion.js";
import { boolFromStatus, caller, probeUser, putUserU32, service, setLastNtError } from "./call.js";
import { ERROR_ABANDONED_WAIT_0, ERROR_INVALID_PARAMETER } from "./errors.js";
import { INVALID_HANDLE_VALUE } from "./file.js";
import { overlappedAddress, type LPOVERLAPPED } from "./overlapped.js";
import { INFINITE, WAIT_IO_COMPLETION, WAIT_TIMEOUT } from "./sync.js";
import { apiEnter, apiReturn } from "./trace-events.js";

export { FILE_SKIP_COMPLETION_PORT_ON_SUCCESS, FILE_SKIP_SET_EVENT_ON_HANDLE, FILE_SKIP_SET_USER_EVENT_ON_FAST_IO } from "../io-manager/constants.js";
export { IO_COMPLETION_ALL_ACCESS, IO_COMPLETION_MODIFY_STATE, IO_COMPLETION_QUERY_STATE } from "../io-manager/completion-port.js";

/** sizeof(OVERLAPPED_ENTRY) on 32-bit Windows. */
export const SIZEOF_OVERLAPPED_ENTRY = 16;

/**
 * OVERLAPPED_ENTRY at an address (what GetQueuedCompletionStatusEx fills): lpCompletionKey,
 * lpOverlapped, Internal (the NTSTATUS) and dwNumberOfBytesTransferred.
 */
export class OVERLAPPED_ENTRY {
  /** @param address the structure's address in the process's memory. */
  constructor(readonly address: number) {}
  private get mmu() {
    return currentMachine("OVERLAPPED_ENTRY").mmu;
  }
  /** The completion key of the file handle the packet is for. */
  get lpCompletionKey(): number {
    return this.mmu.readU32(this.address);
  }
  /** The OVERLAPPED the completed request was issued with. */
  get lpOverlapped(): number {
    return this.mmu.readU32(this.address + 4);
  }
  /** The request's final status (an NTSTATUS). */
  get Internal(): number {
    return this.mmu.readU32(this.address + 8);
  }
  /** The number of bytes the request transferred. */
  get dwNumberOfBytesTransferred(): number {
    return this.mmu.readU32(this.address + 12);
  }
}

function timeoutTicks(ms: number): number | null {
  const v = typeof ms === "number" ? ms >>> 0 : 0;
  return v === INFINITE ? null : v * 10_000;
}

/** Writes a DWORD the way kernel32 does: a plain user-mode store (a bad pointer faults in the app). */
function store(t: KThread, address: number, value: number): void {
  t.machine.mmu.writeU32(address, value);
}

/**
 * CreateIoCompletionPort: with ExistingCompletionPort NULL, creates a port whose concurrency is
 * NumberOfConcurrentThreads (0: one per processor); with a FileHandle other than
 * INVALID_HANDLE_VALUE, binds the file to the port (new or existing) with CompletionKey. A file
 * opened without FILE_FLAG_OVERLAPPED, or already bound to a port, fails with
 * ERROR_INVALID_PARAMETER; so does an existing port with INVALID_HANDLE_VALUE. Returns the port
 * handle (ExistingCompletionPort when one was given), or NULL with the last error.
 */
export function CreateIoCompletionPort(FileHandle: number, ExistingCompletionPort: number, CompletionKey: number, NumberOfConcurrentThreads: number): number {
  const t = caller("CreateIoCompletionPort");
  const file = FileHandle >>> 0 !== INVALID_HANDLE_VALUE;
  apiEnter(t, "CreateIoCompletionPort", () => `${file ? `handle ${FileHandle}` : "INVALID_HANDLE_VALUE"}, port ${ExistingCompletionPort}, key ${CompletionKey}, ${NumberOfConcurrentThreads} thread(s)`);
  const result = service(t, () => {
    if (ExistingCompletionPort !== 0 && !file) {
      t.lastError = ERROR_INVALID_PARAMETER;
      return 0;
    }
    const port = ExistingCompletionPort !== 0 ? ExistingCompletionPort : NtCreateIoCompletion(t, IO_COMPLETION_ALL_ACCESS, NumberOfConcurrentThreads >>> 0);
    if (file) {
      const st = setFileCompletionInformation(t, FileHandle, port, CompletionKey);
      if (st !== STATUS_SUCCESS) {
        // kernel32 closes the port it made for a file it could not bind.
        if (ExistingCompletionPort === 0) closeNewPortHandle(t, port);
        setLastNtError(t, st);
        return 0;
      }
    }
    return port;
  });
  apiReturn(t, "CreateIoCompletionPort", result === 0 ? "NULL" : `port handle ${result}`, result === 0 ? t.lastError : 0);
  return result;
}

/**
 * GetQueuedCompletionStatus: removes one packet, waiting up to dwMilliseconds (INFINITE: forever;
 * not alertable). Writes the byte count, key and OVERLAPPED pointer at the three addresses. TRUE
 * for a packet whose status is a success or information code; FALSE with the status's Win32 error
 * (and the outputs written) for a warning or error; FALSE with WAIT_TIMEOUT and a NULL OVERLAPPED
 * when nothing arrived in time; FALSE with ERROR_ABANDONED_WAIT_0 when the port's last handle was
 * closed during the wait.
 */
export async function GetQueuedCompletionStatus(
  CompletionPort: number,
  lpNumberOfBytesTransferred: number,
  lpCompletionKey: number,
  lpOverlapped: number,
  dwMilliseconds: number,
): Promise<boolean> {
  const t = caller("GetQueuedCompletionStatus");
  apiEnter(t, "GetQueuedCompletionStatus", () => `port ${CompletionPort}${dwMilliseconds >>> 0 === INFINITE ? ", INFINITE" : `, ${dwMilliseconds} ms`}`);
  store(t, lpOverlapped, 0);
  const r = await (async () => {
    const probed = service(t, () => {
      try {
        probeUser(lpCompletionKey, 4);
        probeUser(lpOverlapped, 4);
        return STATUS_SUCCESS;
      } catch (e) {
        if (e instanceof NtStatusError) return e.status;
        throw e;
      }
    });
    if (probed !== STATUS_SUCCESS) return { status: probed, packet: null };
    const removed = await ntRemoveIoCompletion(t, CompletionPort, 1, { ticks: timeoutTicks(dwMilliseconds) }, false);
    const packet = removed.packets[0] ?? null;
    if (removed.status !== STATUS_SUCCESS || !packet) return { status: removed.status, packet: null };
    return service(t, (m) => {
      try {
        putUserU32(m, lpCompletionKey, packet.key);
        putUserU32(m, lpOverlapped, packet.apcContext);
      } catch (e) {
        if (e instanceof NtStatusError) return { status: e.status, packet: null };
        throw e;
      }
      return { status: STATUS_SUCCESS, packet };
    });
  })();
  if (r.status === STATUS_SUCCESS && r.packet) {
    store(t, lpNumberOfBytesTransferred, r.packet.information);
    // Success and information statuses are TRUE; warnings and errors report their Win32 error.
    if ((r.packet.status | 0) >= 0) {
      apiReturn(t, "GetQueuedCompletionStatus", `TRUE (key 0x${r.packet.key.toString(16)}, OVERLAPPED 0x${r.packet.apcContext.toString(16).toUpperCase()}, ${r.packet.information} bytes)`, 0);
      return true;
    }
    setLastNtError(t, r.packet.status);
    apiReturn(t, "GetQueuedCompletionStatus", `FALSE (packet ${ntStatusName(r.packet.status)}, ${r.packet.information} bytes)`, t.lastError);
    return false;
  }
  failure(t, r.status);
  apiReturn(t, "GetQueuedCompletionStatus", "FALSE", t.lastError);
  return false;
}

/** kernel32's mapping of a failed removal to the last error. */
function failure(t: KThread, status: NTSTATUS): void {
  if (status === STATUS_TIMEOUT) t.lastError = WAIT_TIMEOUT;
  else if (status === STATUS_USER_APC) t.lastError = WAIT_IO_COMPLETION;
  else if (status === STATUS_ABANDONED_WAIT_0) t.lastError = ERROR_ABANDONED_WAIT_0;
  else setLastNtError(t, status);
}

/**
 * GetQueuedCompletionStatusEx: removes up to ulCount packets into the OVERLAPPED_ENTRY array at
 * lpCompletionPortEntries (16 bytes each) and writes how many at ulNumEntriesRemoved; TRUE whatever
 * the packets' statuses (each entry's Internal holds its status). An alertable call waiting for a
 * packet runs the thread's queued APCs and returns FALSE with WAIT_IO_COMPLETION. FALSE with
 * WAIT_TIMEOUT, ERROR_ABANDONED_WAIT_0, or ERROR_INVALID_PARAMETER for ulCount 0.
 */
export async function GetQueuedCompletionStatusEx(
  CompletionPort: number,
  lpCompletionPortEntries: number,
  ulCount: number,
  ulNumEntriesRemoved: number,
  dwMilliseconds: number,
  fAlertable: boolean,
): Promise<boolean> {
  const t = caller("GetQueuedCompletionStatusEx");
  apiEnter(t, "GetQueuedCompletionStatusEx", () => `port ${CompletionPort}, ${ulCount} entries${dwMilliseconds >>> 0 === INFINITE ? ", INFINITE" : `, ${dwMilliseconds} ms`}${fAlertable ? ", alertable" : ""}`);
  const status = await (async () => {
    const count = ulCount >>> 0;
    if (count === 0) return STATUS_INVALID_PARAMETER;
    const probed = service(t, () => {
      try {
        probeUser(lpCompletionPortEntries, count * SIZEOF_OVERLAPPED_ENTRY);
        probeUser(ulNumEntriesRemoved, 4);
        return STATUS_SUCCESS;
      } catch (e) {
        if (e instanceof NtStatusError) return e.status;
        throw e;
      }
    });
    if (probed !== STATUS_SUCCESS) return probed;
    const removed = await ntRemoveIoCompletion(t, CompletionPort, count, { ticks: timeoutTicks(dwMilliseconds) }, fAlertable);
    if (removed.status !== STATUS_SUCCESS) return removed.status;
    return service(t, (m) => {
      try {
        removed.packets.forEach((p, i) => {
          const at = lpCompletionPortEntries + i * SIZEOF_OVERLAPPED_ENTRY;
          putUserU32(m, at, p.key);
          putUserU32(m, at + 4, p.apcContext);
          putUserU32(m, at + 8, p.status);
          putUserU32(m, at + 12, p.information);
        });
        putUserU32(m, ulNumEntriesRemoved, removed.packets.length);
      } catch (e) {
        if (e instanceof NtStatusError) return e.status;
        throw e;
      }
      return STATUS_SUCCESS;
    });
  })();
  if (status === STATUS_SUCCESS) {
    apiReturn(t, "GetQueuedCompletionStatusEx", "TRUE", 0);
    return true;
  }
  if (status === STATUS_INVALID_PARAMETER) t.lastError = ERROR_INVALID_PARAMETER;
  else failure(t, status);
  apiReturn(t, "GetQueuedCompletionStatusEx", "FALSE", t.lastError);
  return false;
}

/**
 * PostQueuedCompletionStatus: posts a packet {dwCompletionKey, lpOverlapped, STATUS_SUCCESS,
 * dwNumberOfBytesTransferred} to the port, as if an I/O had completed.
 */
export function PostQueuedCompletionStatus(CompletionPort: number, dwNumberOfBytesTransferred: number, dwCompletionKey: number, lpOverlapped: LPOVERLAPPED | null): boolean {
  const t = caller("PostQueuedCompletionStatus");
  apiEnter(t, "PostQueuedCompletionStatus", () => `port ${CompletionPort}, key ${dwCompletionKey}, ${dwNumberOfBytesTransferred} bytes`);
  const ok = boolFromStatus(t, ntSetIoCompletion(t, CompletionPort, dwCompletionKey, overlappedAddress(lpOverlapped), STATUS_SUCCESS, dwNumberOfBytesTransferred));
  apiReturn(t, "PostQueuedCompletionStatus", ok ? "TRUE" : "FALSE", ok ? 0 : t.lastError);
  return ok;
}

/**
 * SetFileCompletionNotificationModes: FILE_SKIP_COMPLETION_PORT_ON_SUCCESS (no packet for a request
 * that succeeds without pending; warnings still post), FILE_SKIP_SET_EVENT_ON_HANDLE (completion
 * leaves the file handle's event alone). Modes cannot be removed once set.
 */
export function SetFileCompletionNotificationModes(FileHandle: number, Flags: number): boolean {
  const t = caller("SetFileCompletionNotificationModes");
  apiEnter(t, "SetFileCompletionNotificationModes", () => `handle ${FileHandle}, 0x${Flags.toString(16)}`);
  const ok = service(t, () => boolFromStatus(t, setFileIoCompletionNotification(t, FileHandle, Flags & 0xff)));
  apiReturn(t, "SetFileCompletionNotificationModes", ok ? "TRUE" : "FALSE", ok ? 0 : t.lastError);
  return ok;
}
