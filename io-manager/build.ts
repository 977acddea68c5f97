/**
 * IRPs a driver builds to call another driver: IoBuildDeviceIoControlRequest and the FSD
 * request builders. They are queued to the calling thread and completed by the I/O manager
 * (IO_STATUS_BLOCK written, event set, IRP freed); the caller must not free them.
 */
import { KEVENT } from "../kernel/dispatcher.js";
import { currentMachine } from "../kernel/context.js";
import { KernelMode } from "../kernel/irql.js";
import { NtStatusError } from "../kernel/nt-status-error.js";
import type { KThread } from "../kernel/thread.js";
import {
  IRP_BUFFERED_IO,
  IRP_DEALLOCATE_BUFFER,
  IRP_INPUT_OPERATION,
  IRP_MJ_DEVICE_CONTROL,
  IRP_MJ_INTERNAL_DEVICE_CONTROL,
  IRP_MJ_READ,
  IRP_MJ_WRITE,
  DO_BUFFERED_IO,
  DO_DIRECT_IO,
  IoReadAccess,
  IoWriteAccess,
  METHOD_BUFFERED,
  METHOD_IN_DIRECT,
  METHOD_NEITHER,
} from "./constants.js";
import { DEVICE_OBJECT } from "./device-object.js";
import { allocateIrp, queueIrpToThread } from "./irp-alloc.js";
import { IO_STATUS_BLOCK, type IRP } from "./irp.js";
import { IoAllocateMdlFor, lockForIo } from "./mdl-io.js";
import { allocateSystemBuffer } from "./request.js";
import { abandonIrp } from "./synchronous.js";
import { badPointer, checkNumber, checkPointer, isGiven } from "../kernel/bad-pointer.js";

function kernel(api: string): KThread {
  return currentMachine(api).kernelCall(api);
}

/**
 * IoBuildDeviceIoControlRequest: an IRP for (INTERNAL_)DEVICE_CONTROL to `DeviceObject` with the
 * buffers set up per the code's method (kernel buffers; the output locked for direct methods).
 * Returns null when it cannot be built.
 */
export function IoBuildDeviceIoControlRequest(
  IoControlCode: number,
  DeviceObject: DEVICE_OBJECT,
  InputBuffer: number,
  InputBufferLength: number,
  OutputBuffer: number,
  OutputBufferLength: number,
  InternalDeviceIoControl: boolean,
  Event: KEVENT | null,
  IoStatusBlock: IO_STATUS_BLOCK,
): IRP | null {
  const t = kernel("IoBuildDeviceIoControlRequest");
  checkPointer("IoBuildDeviceIoControlRequest", "DeviceObject", DeviceObject, DEVICE_OBJECT, "a DEVICE_OBJECT");
  if (isGiven(Event)) checkPointer("IoBuildDeviceIoControlRequest", "Event", Event, KEVENT, "a KEVENT or NULL");
  checkPointer("IoBuildDeviceIoControlRequest", "IoStatusBlock", IoStatusBlock, IO_STATUS_BLOCK, "an IO_STATUS_BLOCK");
  IoControlCode = checkNumber("IoBuildDeviceIoControlRequest", "IoControlCode", IoControlCode);
  InputBufferLength = checkNumber("IoBuildDeviceIoControlRequest", "InputBufferLength", InputBufferLength);
  OutputBufferLength = checkNumber("IoBuildDeviceIoControlRequest", "OutputBufferLength", OutputBufferLength);
  if (typeof InputBuffer !== "number") badPointer("IoBuildDeviceIoControlRequest", "InputBuffer", InputBuffer, "an address or NULL");
  if (typeof OutputBuffer !== "number") badPointer("IoBuildDeviceIoControlRequest", "OutputBuffer", OutputBuffer, "an address or NULL");
  const m = t.machine;
  const irp = allocateIrp(m, DeviceObject.StackSize, "IoBuildDeviceIoControlRequest");
  if (!irp) return null;
  const sl = irp.Stack[irp.StackCount - 1];
  if (!sl) return null;
  sl.MajorFunction = InternalDeviceIoControl ? IRP_MJ_INTERNAL_DEVICE_CONTROL : IRP_MJ_DEVICE_CONTROL;
  const dio = sl.Parameters.DeviceIoControl;
  dio.IoControlCode = IoControlCode >>> 0;
  dio.InputBufferLength = InputBufferLength;
  dio.OutputBufferLength = OutputBufferLength;
  const method = IoControlCode & 3;
  try {
    if (method === METHOD_BUFFERED) {
      const len = Math.max(InputBufferLength, OutputBufferLength);
      if (len > 0) {
        const sys = allocateSystemBuffer(t, len);
        if (sys === 0) throw new NtStatusError(0xc000009a);
        irp.AssociatedIrp.SystemBuffer = sys;
        irp.Flags = IRP_BUFFERED_IO | IRP_DEALLOCATE_BUFFER;
        if (InputBuffer !== 0 && InputBufferLength > 0) m.mmu.copy(sys, InputBuffer, InputBufferLength);
        if (OutputBuffer !== 0) {
          irp.Flags |= IRP_INPUT_OPERATION;
          irp.UserBuffer = OutputBuffer;
          irp.userOutputLength = OutputBufferLength;
        }
      }
    } else if (method === METHOD_NEITHER) {
      irp.UserBuffer = OutputBuffer;
      dio.Type3InputBuffer = InputBuffer;
    } else {
      if (InputBuffer !== 0 && InputBufferLength > 0) {
        const sys = allocateSystemBuffer(t, InputBufferLength);
        if (sys === 0) throw new NtStatusError(0xc000009a);
        irp.AssociatedIrp.SystemBuffer = sys;
        irp.Flags = IRP_BUFFERED_IO | IRP_DEALLOCATE_BUFFER;
        m.mmu.copy(sys, InputBuffer, InputBufferLength);
      }
      if (OutputBuffer !== 0 && OutputBufferLength > 0) {
        const mdl = IoAllocateMdlFor(t, OutputBuffer, OutputBufferLength, irp);
        if (!mdl) throw new NtStatusError(0xc000009a);
        lockForIo(t, mdl, KernelMode, method === METHOD_IN_DIRECT ? IoReadAccess : IoWriteAccess);
      }
    }
  } catch (e) {
    if (!(e instanceof NtStatusError)) throw e;
    abandonIrp(t, irp);
    return null;
  }
  irp.UserIosb = IoStatusBlock;
  irp.UserEvent = Event;
  irp.RequestorMode = KernelMode;
  queueIrpToThread(irp, t);
  return irp;
}

function buildFsd(api: string, origin: "IoBuildSynchronousFsdRequest" | "IoBuildAsynchronousFsdRequest", MajorFunction: number, DeviceObject: DEVICE_OBJECT, Buffer: number, Length: number, StartingOffset: number, Event: KEVENT | null, IoStatusBlock: IO_STATUS_BLOCK): IRP | null {
  checkPointer(api, "DeviceObject", DeviceObject, DEVICE_OBJECT, "a DEVICE_OBJECT");
  if (isGiven(Event)) checkPointer(api, "Event", Event, KEVENT, "a KEVENT or NULL");
  checkPointer(api, "IoStatusBlock", IoStatusBlock, IO_STATUS_BLOCK, "an IO_STATUS_BLOCK");
  MajorFunction = checkNumber(api, "MajorFunction", MajorFunction);
  Length = checkNumber(api, "Length", Length);
  StartingOffset = checkNumber(api, "StartingOffset", StartingOffset);
  if (typeof Buffer !== "number") badPointer(api, "Buffer", Buffer, "an address or NULL");
  const t = kernel(api);
  const m = t.machine;
  const irp = allocateIrp(m, DeviceObject.StackSize, origin);
  if (!irp) return null;
  const sl = irp.Stack[irp.StackCount - 1];
  if (!sl) return null;
  sl.MajorFunction = MajorFunction;
  const readWrite = MajorFunction === IRP_MJ_READ || MajorFunction === IRP_MJ_WRITE;
  if (readWrite) {
    const params = MajorFunction === IRP_MJ_WRITE ? sl.Parameters.Write : sl.Parameters.Read;
    params.Length = Length;
    params.ByteOffset = StartingOffset;
    try {
      if (Length > 0 && DeviceObject.Flags & DO_BUFFERED_IO) {
        const sys = allocateSystemBuffer(t, Length);
        if (sys === 0) throw new NtStatusError(0xc000009a);
        irp.AssociatedIrp.SystemBuffer = sys;
        irp.Flags = IRP_BUFFERED_IO | IRP_DEALLOCATE_BUFFER;
        if (MajorFunction === IRP_MJ_WRITE) m.mmu.copy(sys, Buffer, Length);
        else {
          irp.Flags |= IRP_INPUT_OPERATION;
          irp.UserBuffer = Buffer;
          irp.userOutputLength = Length;
        }
      } else if (Length > 0 && DeviceObject.Flags & DO_DIRECT_IO) {
        const mdl = IoAllocateMdlFor(t, Buffer, Length, irp);
        if (!mdl) throw new NtStatusError(0xc000009a);
        lockForIo(t, mdl, KernelMode, MajorFunction === IRP_MJ_READ ? IoWriteAccess : IoReadAccess);
      } else {
        irp.UserBuffer = Buffer;
      }
    } catch (e) {
      if (!(e instanceof NtStatusError)) throw e;
      abandonIrp(t, irp);
      return null;
    }
  }
  irp.UserIosb = IoStatusBlock;
  irp.UserEvent = Event;
  irp.RequestorMode = KernelMode;
  // Synchronous requests are queued to the calling thread. Asynchronous ones only name it
  // (Tail.Overlay.Thread, as NT sets it): their completion runs in that thread — the
  // IO_STATUS_BLOCK written and the IRP freed when no completion routine stops it — but the
  // thread's exit does not cancel them.
  if (origin === "IoBuildSynchronousFsdRequest") queueIrpToThread(irp, t);
  else irp.Thread = t;
  return irp;
}

/** IoBuildSynchronousFsdRequest: READ, WRITE, FLUSH_BUFFERS or SHUTDOWN with an event to wait on. */
export function IoBuildSynchronousFsdRequest(MajorFunction: number, DeviceObject: DEVICE_OBJECT, Buffer: number, Length: number, StartingOffset: number, Event: KEVENT, IoStatusBlock: IO_STATUS_BLOCK): IRP | null {
  return buildFsd("IoBuildSynchronousFsdRequest", "IoBuildSynchronousFsdRequest", MajorFunction, DeviceObject, Buffer, Length, StartingOffset, Event, IoStatusBlock);
}

/**
 * IoBuildAsynchronousFsdRequest: like the synchronous form, without an event, and not queued to the
 * thread. Its Tail.Overlay.Thread is the caller: completing it with no completion routine that
 * returns STATUS_MORE_PROCESSING_REQUIRED writes the caller's IO_STATUS_BLOCK and frees the IRP
 * (and its MDL) in that thread; the usual pattern frees it from such a routine instead.
 */
export function IoBuildAsynchronousFsdRequest(MajorFunction: number, DeviceObject: DEVICE_OBJECT, Buffer: number, Length: number, StartingOffset: number, IoStatusBlock: IO_STATUS_BLOCK): IRP | null {
  return buildFsd("IoBuildAsynchronousFsdRequest", "IoBuildAsynchronousFsdRequest", MajorFunction, DeviceObject, Buffer, Length, StartingOffset, null, IoStatusBlock);
}
