/**
 * I/O completion ports (iocomp.c): the IoCompletion object, a KQUEUE of completion packets, and
 * the services NtCreateIoCompletion, NtSetIoCompletion and NtRemoveIoCompletion(Ex).
 *
 * A packet is either an IRP (the I/O manager queues the request's own IRP, keyed by the file's
 * completion key) or a mini packet posted by NtSetIoCompletion (PostQueuedCompletionStatus). An
 * IRP of thread-agnostic I/O arrives with its second completion stage still to run: the thread
 * that removes the packet runs it, in the issuing process (attaching to it when the remover
 * belongs to another process), as Windows' IoRemoveIoCompletion does.
 *
 * Closing the port's last handle runs the queue down (IopCloseIoCompletion): threads waiting in
 * NtRemoveIoCompletion are released with STATUS_ABANDONED_WAIT_0, queued packets are freed, and
 * packets that arrive later are dropped.
 */
import { KQUEUE } from "../kernel/queue.js";
import type { Machine } from "../kernel/machine.js";
import { KernelObject } from "../kernel/objects.js";
import type { KProcess } from "../kernel/process.js";
import type { DispatcherHeader } from "../kernel/dispatcher.js";
import { UserMode } from "../kernel/irql.js";
import { STATUS_CANCELLED, STATUS_OBJECT_TYPE_MISMATCH, STATUS_SUCCESS, ntStatusName, type NTSTATUS } from "../kernel/status.js";
import type { KThread } from "../kernel/thread.js";
import { iopCleanupIrp, iopCompleteRequest } from "./completion.js";
import { ioManager } from "./io-manager.js";
import { freeIrp } from "./irp-alloc.js";
import type { IRP } from "./irp.js";

/** Access rights to an I/O completion object (winnt.h). */
export const IO_COMPLETION_QUERY_STATE = 0x0001;
/** IO_COMPLETION_MODIFY_STATE: the right to queue packets to a completion port. */
export const IO_COMPLETION_MODIFY_STATE = 0x0002;
/** IO_COMPLETION_ALL_ACCESS: every right to a completion port. */
export const IO_COMPLETION_ALL_ACCESS = 0x001f0003;

/** The object type name ObReferenceObjectByHandle checks against (IoCompletionObjectType). */
export const IoCompletionObjectType = "IoCompletion";

/** A completion packet: a request's IRP, or a mini packet from NtSetIoCompletion. */
export type CompletionPacket =
  | { readonly kind: "irp"; readonly irp: IRP }
  | { readonly kind: "mini"; readonly key: number; readonly apcContext: number; readonly status: NTSTATUS; readonly information: number };

/** FILE_COMPLETION_INFORMATION as kept in FILE_OBJECT.CompletionContext: the port and the key. */
export interface IO_COMPLETION_CONTEXT {
  readonly Port: IoCompletionObject;
  readonly Key: number;
}

/** What a removed packet reports (FILE_IO_COMPLETION_INFORMATION / OVERLAPPED_ENTRY). */
export interface CompletionInformation {
  readonly key: number;
  readonly apcContext: number;
  readonly status: NTSTATUS;
  readonly information: number;
}

/** A ULONG_PTR value carried through a packet (the emulator's pointers are 32-bit numbers). */
function ulongPtr(v: unknown): number {
  return typeof v === "number" ? v >>> 0 : 0;
}

/** The IoCompletion object: its body is a KQUEUE of completion packets. */
export class IoCompletionObject extends KernelObject {
  readonly objectType = IoCompletionObjectType;
  readonly Queue: KQUEUE<CompletionPacket>;
  /** Set when the last handle closed: the queue is run down and later packets are dropped. */
  closed = false;
  /** Stable id for traces ("port#1"). */
  readonly portId: number;

  constructor(
    readonly machine: Machine,
    portId: number,
    concurrency: number,
  ) {
    super();
    this.portId = portId;
    this.Queue = new KQUEUE<CompletionPacket>(concurrency, `port#${portId}`);
  }

  override get label(): string {
    return `port#${this.portId}`;
  }

  /** A port is signalled while packets are queued (a wait on it does not remove one). */
  override waitable(): DispatcherHeader {
    return this.Queue;
  }

  /** IopCloseIoCompletion: the last handle closed runs the queue down. */
  override closeProcedure(info: { systemHandleCount: number }): void {
    if (info.systemHandleCount === 0) this.runDown();
  }

  /** IopDeleteIoCompletion: the last reference went (the queue is run down if it was not). */
  override deleteProcedure(): void {
    this.runDown();
  }

  /** Releases the waiters, frees the packets still queued, and drops any that arrive later. */
  runDown(): void {
    if (this.closed) return;
    this.closed = true;
    const m = this.machine;
    const left = this.Queue.runDown(m);
    if (m.trace.on) m.trace.emit("CompletionPortClosed", { port: this.label, packetsFreed: left.length });
    for (const p of left) freePacket(m, p);
  }
}

/** Frees a packet nobody will remove: an IRP whose second stage never ran is dropped undelivered. */
function freePacket(m: Machine, p: CompletionPacket): void {
  if (p.kind !== "irp") return;
  const irp = p.irp;
  if (irp.stage2Deferred) iopCleanupIrp(m, irp);
  else freeIrp(m, irp);
}

/**
 * Queues a request's IRP to its file's port (the I/O manager's KeInsertQueue of Irp->Tail.Overlay
 * .ListEntry with Irp->Tail.CompletionKey set). A closed port drops it.
 */
export function queueIrpToPort(m: Machine, context: IO_COMPLETION_CONTEXT, irp: IRP): void {
  const port = context.Port;
  irp.Tail.CompletionKey = context.Key;
  if (m.trace.on) {
    m.trace.emit("CompletionPacketQueued", {
      port: port.label,
      key: context.Key,
      apcContext: ulongPtr(irp.Overlay.AsynchronousParameters.UserApcContext),
      status: irp.IoStatus.Status,
      statusName: ntStatusName(irp.IoStatus.Status),
      information: irp.IoStatus.Information,
      irp: irp.label,
      dropped: port.closed,
    });
  }
  if (port.closed) {
    freePacket(m, { kind: "irp", irp });
    return;
  }
  port.Queue.insert(m, { kind: "irp", irp });
}

/** NtCreateIoCompletion: a new port in the caller's process; `count` 0 means one per processor. */
export function NtCreateIoCompletion(t: KThread, desiredAccess: number, count: number): number {
  const m = t.machine;
  const port = new IoCompletionObject(m, ioManager(m).nextId("port"), count);
  const handle = m.ob.insertHandle(t.process, port, desiredAccess === 0 ? IO_COMPLETION_ALL_ACCESS : desiredAccess);
  if (m.trace.on) m.trace.emit("CompletionPortCreated", { port: port.label, handle, concurrency: port.Queue.MaximumCount });
  return handle;
}

/**
 * Closes a port handle kernel32 has just made when binding the file to it then failed (nothing
 * else refers to the port yet, so its close and delete procedures run at once).
 */
export function closeNewPortHandle(t: KThread, handle: number): void {
  const m = t.machine;
  const entry = t.process.handleTable.remove(handle);
  if (!entry || !(entry.object instanceof IoCompletionObject)) throw new Error(`handle ${handle} is not a new completion port`);
  const port = entry.object;
  port.handleCount--;
  if (m.trace.on) m.trace.emit("HandleClosed", { handle, object: port.label });
  port.closeProcedure({ systemHandleCount: port.handleCount });
  // The handle's reference goes; the close procedure has already run the queue down, so the
  // delete procedure would have nothing left to free.
  port.pointerCount--;
  if (port.pointerCount === 0) port.deleted = true;
}

/** References a port handle of the caller's process for `access`: the port, or the failure status. */
export function referencePort(t: KThread, handle: number, access: number): IoCompletionObject | NTSTATUS {
  const r = t.machine.ob.referenceByHandle(t.process, handle, IoCompletionObjectType, access, t.previousMode);
  if (!r.object) return r.status;
  if (!(r.object instanceof IoCompletionObject)) {
    t.machine.ob.dereference(r.object);
    return STATUS_OBJECT_TYPE_MISMATCH;
  }
  return r.object;
}

/** NtSetIoCompletion: posts a mini packet {key, apcContext, status, information} to the port. */
export function NtSetIoCompletion(t: KThread, portHandle: number, key: number, apcContext: number, status: NTSTATUS, information: number): NTSTATUS {
  const port = referencePort(t, portHandle, IO_COMPLETION_MODIFY_STATE);
  if (typeof port === "number") return port;
  const m = t.machine;
  try {
    const packet: CompletionPacket = { kind: "mini", key: key >>> 0, apcContext: apcContext >>> 0, status: status >>> 0, information: information >>> 0 };
    if (m.trace.on) {
      m.trace.emit("CompletionPacketQueued", { port: port.label, key: packet.key, apcContext: packet.apcContext, status: packet.status, statusName: ntStatusName(packet.status), information: packet.information, irp: null, dropped: port.closed });
    }
    if (!port.closed) port.Queue.insert(m, packet);
    return STATUS_SUCCESS;
  } finally {
    m.ob.dereference(port);
  }
}

/**
 * What a removed packet reports. An IRP of thread-agnostic I/O first runs its second completion
 * stage here, in the remover's thread, attached to the issuing process; if that process is gone
 * the IRP is dropped and the packet reports STATUS_CANCELLED with no bytes.
 */
function takePacket(t: KThread, port: IoCompletionObject, p: CompletionPacket): CompletionInformation {
  const m = t.machine;
  let info: CompletionInformation;
  if (p.kind === "mini") {
    info = { key: p.key, apcContext: p.apcContext, status: p.status, information: p.information };
  } else {
    const irp = p.irp;
    const key = ulongPtr(irp.Tail.CompletionKey);
    const apcContext = ulongPtr(irp.Overlay.AsynchronousParameters.UserApcContext);
    const label = irp.label;
    if (irp.stage2Deferred) {
      const owner = irp.requestorProcess;
      if (owner && owner !== t.currentProcess && owner.state === "exited") {
        iopCleanupIrp(m, irp);
        info = { key, apcContext, status: STATUS_CANCELLED, information: 0 };
      } else {
        const done = runStage2In(t, owner, irp);
        info = { key, apcContext, status: done.status, information: done.information };
      }
    } else {
      info = { key, apcContext, status: irp.IoStatus.Status, information: irp.IoStatus.Information };
      freeIrp(m, irp);
    }
    if (m.trace.on) m.trace.emit("CompletionPacketRemoved", { port: port.label, key, apcContext, status: info.status, statusName: ntStatusName(info.status), information: info.information, irp: label });
    return info;
  }
  if (m.trace.on) m.trace.emit("CompletionPacketRemoved", { port: port.label, key: info.key, apcContext: info.apcContext, status: info.status, statusName: ntStatusName(info.status), information: info.information, irp: null });
  return info;
}

/** Runs IopCompleteRequest for a dequeued IRP in its issuing process's address space. */
function runStage2In(t: KThread, owner: KProcess | null, irp: IRP): { status: NTSTATUS; information: number } {
  const m = t.machine;
  const result = { status: 0, information: 0 };
  if (!owner || owner === t.currentProcess) {
    iopCompleteRequest(m, irp, result);
    return result;
  }
  const saved = t.attachedProcess;
  t.attachedProcess = owner === t.process ? null : owner;
  m.mmu.gen++;
  try {
    iopCompleteRequest(m, irp, result);
  } finally {
    t.attachedProcess = saved;
    m.mmu.gen++;
  }
  return result;
}

/** The result of NtRemoveIoCompletion(Ex). */
export interface RemovedPackets {
  /** STATUS_SUCCESS, STATUS_TIMEOUT, STATUS_USER_APC, STATUS_ABANDONED_WAIT_0 or a handle failure. */
  readonly status: NTSTATUS;
  readonly packets: CompletionInformation[];
}

/**
 * NtRemoveIoCompletion / NtRemoveIoCompletionEx: removes up to `count` packets from the port,
 * waiting in user mode (alertable only for the Ex form when asked) up to `timeout` 100 ns ticks
 * (null: forever) until one is there and the port's concurrency lets this thread run.
 */
export async function NtRemoveIoCompletion(t: KThread, portHandle: number, count: number, timeout: number | null, alertable: boolean): Promise<RemovedPackets> {
  const port = referencePort(t, portHandle, IO_COMPLETION_MODIFY_STATE);
  if (typeof port === "number") return { status: port, packets: [] };
  const m = t.machine;
  try {
    const r = await port.Queue.remove(m, UserMode, alertable, timeout, count, `${t.label} waits for a completion packet on ${port.label}`);
    if (r.status !== STATUS_SUCCESS) return { status: r.status, packets: [] };
    return { status: STATUS_SUCCESS, packets: r.entries.map((p) => takePacket(t, port, p)) };
  } finally {
    m.ob.dereference(port);
  }
}
