/**
 * NtReadFile and NtWriteFile: buffered or direct I/O as the device's flags say.
 */
import { KernelMode } from "../kernel/irql.js";
import { NtStatusError } from "../kernel/nt-status-error.js";
import { STATUS_INSUFFICIENT_RESOURCES, type NTSTATUS } from "../kernel/status.js";
import type { KThread } from "../kernel/thread.js";
import {
  DO_BUFFERED_IO,
  DO_DIRECT_IO,
  FILE_WRITE_DATA,
  IRP_BUFFERED_IO,
  IRP_DEALLOCATE_BUFFER,
  IRP_INPUT_OPERATION,
  IRP_MJ_READ,
  IRP_MJ_WRITE,
  IRP_READ_OPERATION,
  IRP_WRITE_OPERATION,
  IoReadAccess,
  IoWriteAccess,
  FILE_READ_DATA,
} from "./constants.js";
import { IoAllocateMdlFor, lockForIo } from "./mdl-io.js";
import { allocateSystemBuffer, probeIoStatusBlock, probeUserBuffer, releaseRequest, startRequest, type RequestHead, type StartedRequest } from "./request.js";
import type { MaybePromise } from "../kernel/objects.js";
import { abandonIrp, performSynchronousRequest } from "./synchronous.js";

/** The parameters of NtReadFile / NtWriteFile after the common head. */
export interface ReadWriteParameters extends RequestHead {
  readonly buffer: number;
  readonly length: number;
  /** Byte offset, or null to use the file's current position. */
  readonly byteOffset: number | null;
  readonly key: number;
}

/**
 * NtReadFile (`write` false) / NtWriteFile (`write` true). The handle must grant FILE_READ_DATA
 * (or FILE_WRITE_DATA); a user buffer is probed first. DO_BUFFERED_IO devices get a system
 * buffer (copied back on read completion), DO_DIRECT_IO devices an MDL of the caller's buffer,
 * others the raw pointer.
 */
export function NtReadWriteFile(t: KThread, write: boolean, p: ReadWriteParameters): MaybePromise<NTSTATUS> {
  const mode = t.previousMode;
  const length = p.length >>> 0;
  if (mode !== KernelMode) {
    try {
      probeIoStatusBlock(t, p.ioStatusBlock);
      probeUserBuffer(t, p.buffer, length, !write);
    } catch (e) {
      if (e instanceof NtStatusError) return e.status;
      throw e;
    }
  }
  const needed = write ? FILE_WRITE_DATA : FILE_READ_DATA;
  const s = startRequest(t, p, { mask: needed, all: false });
  if (s instanceof Promise) return s.then((x) => (typeof x === "number" ? x : buildAndSend(t, write, p, x, length)));
  if (typeof s === "number") return s;
  return buildAndSend(t, write, p, s, length);
}

function buildAndSend(t: KThread, write: boolean, p: ReadWriteParameters, s: StartedRequest, length: number): MaybePromise<NTSTATUS> {
  const m = t.machine;
  const mode = s.mode;
  const { irp, device } = s;
  const sl = irp.Stack[irp.StackCount - 1];
  if (!sl) throw new RangeError(`${irp.label} has no stack location`);
  sl.MajorFunction = write ? IRP_MJ_WRITE : IRP_MJ_READ;
  sl.FileObject = s.fo;
  const params = write ? sl.Parameters.Write : sl.Parameters.Read;
  params.Length = length;
  params.Key = p.key;
  params.ByteOffset = p.byteOffset ?? s.fo.CurrentByteOffset;
  irp.Flags |= write ? IRP_WRITE_OPERATION : IRP_READ_OPERATION;
  try {
    if (length > 0) {
      if (device.Flags & DO_BUFFERED_IO) {
        const sys = allocateSystemBuffer(t, length);
        if (sys === 0) throw new NtStatusError(STATUS_INSUFFICIENT_RESOURCES);
        irp.SystemBuffer = sys;
        irp.Flags |= IRP_BUFFERED_IO | IRP_DEALLOCATE_BUFFER;
        if (write) {
          m.mmu.copy(sys, p.buffer, length);
          if (m.trace.on) m.trace.emit("BufferCopied", { irp: irp.label, direction: "in", bytes: length, from: p.buffer, to: sys });
        } else {
          irp.Flags |= IRP_INPUT_OPERATION;
          irp.userBufferAddress = p.buffer;
          irp.userOutputLength = length;
        }
      } else if (device.Flags & DO_DIRECT_IO) {
        const mdl = IoAllocateMdlFor(t, p.buffer, length, irp);
        if (!mdl) throw new NtStatusError(STATUS_INSUFFICIENT_RESOURCES);
        lockForIo(t, mdl, mode, write ? IoReadAccess : IoWriteAccess);
      } else {
        irp.userBufferAddress = p.buffer;
      }
    }
  } catch (e) {
    if (!(e instanceof NtStatusError)) throw e;
    const eventObject = irp.userEventObject;
    irp.userEventObject = null;
    abandonIrp(t, irp);
    releaseRequest(t, s, eventObject);
    return e.status;
  }
  return performSynchronousRequest(t, device, irp, s.fo, mode, s.synchronous);
}
