/**
 * The native I/O completion port API: NtCreateIoCompletion, NtSetIoCompletion,
 * NtRemoveIoCompletion and NtRemoveIoCompletionEx — what kernel32's CreateIoCompletionPort,
 * PostQueuedCompletionStatus and GetQueuedCompletionStatus(Ex) call.
 */
import { NtStatusError } from "../kernel/nt-status-error.js";
import type { OBJECT_ATTRIBUTES } from "../kernel/object-attributes.js";
import { STATUS_INVALID_PARAMETER, STATUS_SUCCESS, type NTSTATUS } from "../kernel/status.js";
import type { KThread } from "../kernel/thread.js";
import { IO_COMPLETION_ALL_ACCESS, NtCreateIoCompletion as createPort, NtRemoveIoCompletion as removePackets, NtSetIoCompletion as setPacket, type RemovedPackets } from "../io-manager/completion-port.js";
import { service, serviceAsync, userCaller } from "./syscall.js";
import { relativeTicks } from "./sync.js";
import { probeOut, probeWrite, storeOut, writeIoStatus, type PLARGE_INTEGER, type POut } from "./types.js";

/** sizeof(FILE_IO_COMPLETION_INFORMATION) on x86: KeyContext, ApcContext, IoStatusBlock. */
export const SIZEOF_FILE_IO_COMPLETION_INFORMATION = 16;

function statusOf(e: unknown): NTSTATUS {
  if (e instanceof NtStatusError) return e.status;
  throw e;
}

/**
 * NtCreateIoCompletion: a new port whose concurrency is Count (0: one thread per processor);
 * the handle goes to IoCompletionHandle. Named ports are not built (an ObjectAttributes with a
 * name is refused with an error saying so).
 */
export function NtCreateIoCompletion(IoCompletionHandle: POut, DesiredAccess: number, ObjectAttributes: OBJECT_ATTRIBUTES | number | null, Count: number): NTSTATUS {
  const t = userCaller("NtCreateIoCompletion");
  return service(t, () => {
    try {
      probeOut(t, IoCompletionHandle);
    } catch (e) {
      return statusOf(e);
    }
    if (ObjectAttributes !== null && ObjectAttributes !== 0 && typeof ObjectAttributes !== "number" && ObjectAttributes.ObjectName !== null) {
      throw new Error("NtCreateIoCompletion: named completion ports are not built in irpsim");
    }
    storeOut(t, IoCompletionHandle, createPort(t, DesiredAccess >>> 0 || IO_COMPLETION_ALL_ACCESS, Count >>> 0));
    return STATUS_SUCCESS;
  });
}

/** NtSetIoCompletion's work for the calling thread. */
export function ntSetIoCompletion(t: KThread, IoCompletionHandle: number, KeyContext: number, ApcContext: number, IoStatus: NTSTATUS, IoStatusInformation: number): NTSTATUS {
  return service(t, () => setPacket(t, IoCompletionHandle, KeyContext, ApcContext, IoStatus, IoStatusInformation));
}

/**
 * NtSetIoCompletion (PostQueuedCompletionStatus): queues the packet {KeyContext, ApcContext,
 * IoStatus, IoStatusInformation} to the port as if an I/O had completed. The handle needs
 * IO_COMPLETION_MODIFY_STATE.
 */
export function NtSetIoCompletion(IoCompletionHandle: number, KeyContext: number, ApcContext: number, IoStatus: NTSTATUS, IoStatusInformation: number): NTSTATUS {
  return ntSetIoCompletion(userCaller("NtSetIoCompletion"), IoCompletionHandle, KeyContext, ApcContext, IoStatus, IoStatusInformation);
}

/** NtRemoveIoCompletion(Ex)'s work for the calling thread: up to `count` packets. */
export function ntRemoveIoCompletion(t: KThread, IoCompletionHandle: number, count: number, Timeout: PLARGE_INTEGER | { ticks: number | null }, alertable: boolean): Promise<RemovedPackets> {
  return serviceAsync(t, async () => {
    let timeout: number | null;
    try {
      timeout = Timeout !== null && typeof Timeout === "object" && "ticks" in Timeout ? Timeout.ticks : relativeTicks(t, Timeout);
    } catch (e) {
      return { status: statusOf(e), packets: [] };
    }
    return removePackets(t, IoCompletionHandle, count, timeout, alertable);
  });
}

/**
 * NtRemoveIoCompletion: waits (not alertably) up to Timeout (100 ns units, negative relative, NULL
 * forever) for a packet and stores its key at KeyContext, its APC context (the OVERLAPPED of an
 * I/O) at ApcContext, and its status and byte count in the IO_STATUS_BLOCK at IoStatusBlock.
 * STATUS_SUCCESS when a packet was removed (its own status is in the block); STATUS_TIMEOUT;
 * STATUS_ABANDONED_WAIT_0 when the port's last handle closed during the wait.
 */
export async function NtRemoveIoCompletion(IoCompletionHandle: number, KeyContext: POut, ApcContext: POut, IoStatusBlock: number, Timeout: PLARGE_INTEGER): Promise<NTSTATUS> {
  const t = userCaller("NtRemoveIoCompletion");
  try {
    service(t, () => {
      probeOut(t, KeyContext);
      probeOut(t, ApcContext);
      probeWrite(t, IoStatusBlock, 8, 4);
    });
  } catch (e) {
    return statusOf(e);
  }
  const r = await ntRemoveIoCompletion(t, IoCompletionHandle, 1, Timeout, false);
  const p = r.packets[0];
  if (r.status !== STATUS_SUCCESS || !p) return r.status;
  storeOut(t, KeyContext, p.key);
  storeOut(t, ApcContext, p.apcContext);
  writeIoStatus(t, IoStatusBlock, p.status, p.information);
  return STATUS_SUCCESS;
}

/**
 * NtRemoveIoCompletionEx: removes up to Count packets into the FILE_IO_COMPLETION_INFORMATION
 * array at CompletionInformation (KeyContext, ApcContext, Status, Information: 16 bytes each) and
 * stores how many at NumEntriesRemoved; Alertable waits return STATUS_USER_APC when an APC ran.
 */
export async function NtRemoveIoCompletionEx(IoCompletionHandle: number, CompletionInformation: number, Count: number, NumEntriesRemoved: POut, Timeout: PLARGE_INTEGER, Alertable: boolean): Promise<NTSTATUS> {
  const t = userCaller("NtRemoveIoCompletionEx");
  const count = Count >>> 0;
  if (count === 0) return STATUS_INVALID_PARAMETER;
  try {
    service(t, () => {
      probeWrite(t, CompletionInformation, count * SIZEOF_FILE_IO_COMPLETION_INFORMATION, 4);
      probeOut(t, NumEntriesRemoved);
    });
  } catch (e) {
    return statusOf(e);
  }
  const r = await ntRemoveIoCompletion(t, IoCompletionHandle, count, Timeout, Alertable);
  if (r.status !== STATUS_SUCCESS) return r.status;
  const mmu = t.machine.mmu;
  r.packets.forEach((p, i) => {
    const at = CompletionInformation + i * SIZEOF_FILE_IO_COMPLETION_INFORMATION;
    mmu.writeU32(at, p.key);
    mmu.writeU32(at + 4, p.apcContext);
    mmu.writeU32(at + 8, p.status);
    mmu.writeU32(at + 12, p.information);
  });
  storeOut(t, NumEntriesRemoved, r.packets.length);
  return STATUS_SUCCESS;
}
