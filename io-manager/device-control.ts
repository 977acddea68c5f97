/**
 * NtDeviceIoControlFile: how each buffering method builds the IRP, as IopDeviceFsIoControl does.
 */
import { KernelMode } from "../kernel/irql.js";
import { NtStatusError } from "../kernel/nt-status-error.js";
import { STATUS_INSUFFICIENT_RESOURCES, type NTSTATUS } from "../kernel/status.js";
import type { KThread } from "../kernel/thread.js";
import {
  ACCESS_FROM_CTL_CODE,
  IRP_BUFFERED_IO,
  IRP_DEALLOCATE_BUFFER,
  IRP_INPUT_OPERATION,
  IRP_MJ_DEVICE_CONTROL,
  IoReadAccess,
  IoWriteAccess,
  METHOD_BUFFERED,
  METHOD_IN_DIRECT,
  METHOD_NEITHER,
} from "./constants.js";
import { IoAllocateMdlFor, lockForIo } from "./mdl-io.js";
import { allocateSystemBuffer, probeIoStatusBlock, probeUserBuffer, releaseRequest, startRequest, type RequestHead, type StartedRequest } from "./request.js";
import type { MaybePromise } from "../kernel/objects.js";
import { abandonIrp, performSynchronousRequest } from "./synchronous.js";

/** The parameters of NtDeviceIoControlFile after the common head. */
export interface DeviceIoControlParameters extends RequestHead {
  readonly ioControlCode: number;
  readonly inputBuffer: number;
  readonly inputBufferLength: number;
  readonly outputBuffer: number;
  readonly outputBufferLength: number;
}

/**
 * NtDeviceIoControlFile. For user-mode callers: the IO_STATUS_BLOCK and buffers are probed
 * (a bad one fails with STATUS_ACCESS_VIOLATION before anything is allocated), the control code's
 * access bits are checked against the handle (STATUS_ACCESS_DENIED before the driver runs), and a
 * null buffer means length 0. Then per method: METHOD_BUFFERED copies the input into a
 * max(in, out) system buffer; METHOD_IN/OUT_DIRECT copy the input and lock the output with an
 * MDL (read access for IN, write access for OUT; none when its length is 0); METHOD_NEITHER
 * passes the raw pointers. Returns the final status for a synchronous file, else what the
 * dispatch routine returned.
 */
export function NtDeviceIoControlFile(t: KThread, p: DeviceIoControlParameters): MaybePromise<NTSTATUS> {
  const method = p.ioControlCode & 3;
  const mode = t.previousMode;
  let inLen = p.inputBufferLength >>> 0;
  let outLen = p.outputBufferLength >>> 0;
  if (mode !== KernelMode) {
    try {
      probeIoStatusBlock(t, p.ioStatusBlock);
      if (method === METHOD_BUFFERED) {
        if (p.outputBuffer !== 0) probeUserBuffer(t, p.outputBuffer, outLen, true);
        else outLen = 0;
      }
      if (method !== METHOD_NEITHER) {
        if (p.inputBuffer !== 0) probeUserBuffer(t, p.inputBuffer, inLen, false);
        else inLen = 0;
      }
    } catch (e) {
      if (e instanceof NtStatusError) return e.status;
      throw e;
    }
  }
  // The control code's access bits (FILE_READ_ACCESS = FILE_READ_DATA, FILE_WRITE_ACCESS =
  // FILE_WRITE_DATA) must all be granted to the handle.
  const s = startRequest(t, p, { mask: ACCESS_FROM_CTL_CODE(p.ioControlCode), all: true });
  if (s instanceof Promise) return s.then((x) => (typeof x === "number" ? x : buildAndSend(t, p, x, method, inLen, outLen)));
  if (typeof s === "number") return s;
  return buildAndSend(t, p, s, method, inLen, outLen);
}

function buildAndSend(t: KThread, p: DeviceIoControlParameters, s: StartedRequest, method: number, inLen: number, outLen: number): MaybePromise<NTSTATUS> {
  const m = t.machine;
  const mode = s.mode;
  const { irp } = s;
  const sl = irp.Stack[irp.StackCount - 1];
  if (!sl) throw new RangeError(`${irp.label} has no stack location`);
  sl.MajorFunction = IRP_MJ_DEVICE_CONTROL;
  sl.FileObject = s.fo;
  const dio = sl.Parameters.DeviceIoControl;
  dio.IoControlCode = p.ioControlCode >>> 0;
  dio.InputBufferLength = inLen;
  dio.OutputBufferLength = outLen;
  try {
    if (method === METHOD_BUFFERED) {
      const len = Math.max(inLen, outLen);
      if (len > 0) {
        const sys = allocateSystemBuffer(t, len);
        if (sys === 0) throw new NtStatusError(STATUS_INSUFFICIENT_RESOURCES);
        irp.SystemBuffer = sys;
        irp.Flags = IRP_BUFFERED_IO | IRP_DEALLOCATE_BUFFER;
        if (p.inputBuffer !== 0 && inLen > 0) {
          m.mmu.copy(sys, p.inputBuffer, inLen);
          if (m.trace.on) m.trace.emit("BufferCopied", { irp: irp.label, direction: "in", bytes: inLen, from: p.inputBuffer, to: sys });
        }
        if (p.outputBuffer !== 0) {
          irp.Flags |= IRP_INPUT_OPERATION;
          irp.userBufferAddress = p.outputBuffer;
          irp.userOutputLength = outLen;
        }
      } else {
        irp.userBufferAddress = 0;
      }
    } else if (method === METHOD_NEITHER) {
      irp.userBufferAddress = p.outputBuffer;
      dio.Type3InputBuffer = p.inputBuffer;
    } else {
      if (p.inputBuffer !== 0 && inLen > 0) {
        const sys = allocateSystemBuffer(t, inLen);
        if (sys === 0) throw new NtStatusError(STATUS_INSUFFICIENT_RESOURCES);
        irp.SystemBuffer = sys;
        irp.Flags = IRP_BUFFERED_IO | IRP_DEALLOCATE_BUFFER;
        m.mmu.copy(sys, p.inputBuffer, inLen);
        if (m.trace.on) m.trace.emit("BufferCopied", { irp: irp.label, direction: "in", bytes: inLen, from: p.inputBuffer, to: sys });
      }
      // NT gives every method the caller's output address in Irp->UserBuffer; for the direct
      // methods the driver's view of it is the MDL.
      irp.userBufferAddress = p.outputBuffer;
      if (outLen !== 0) {
        const mdl = IoAllocateMdlFor(t, p.outputBuffer, outLen, irp);
        if (!mdl) throw new NtStatusError(STATUS_INSUFFICIENT_RESOURCES);
        lockForIo(t, mdl, mode, method === METHOD_IN_DIRECT ? IoReadAccess : IoWriteAccess);
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
  return performSynchronousRequest(t, s.device, irp, s.fo, mode, s.synchronous);
}

