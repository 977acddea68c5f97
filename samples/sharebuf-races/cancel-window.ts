/**
 * Sharebuf with the classic cancel race, outside the device lock: the driver publishes the
 * request, then sets its cancel routine and checks Irp.Cancel — but when it sees Cancel set it
 * clears the routine without testing what IoSetCancelRoutine returned. If a cancel arrives
 * between IoSetCancelRoutine and that check, IoCancelIrp has already taken the routine, which
 * completes the request; the dispatch routine completes it a second time:
 * MULTIPLE_IRP_COMPLETE_REQUESTS (0x44).
 */
import {
  DbgPrint,
  IO_NO_INCREMENT,
  IoCompleteRequest,
  IoMarkIrpPending,
  IoSetCancelRoutine,
  KeAcquireSpinLock,
  KeReleaseSpinLock,
  KeSetTimerEx,
  MdlMappingNoExecute,
  MmGetMdlByteCount,
  MmGetSystemAddressForMdlSafe,
  NormalPagePriority,
  STATUS_CANCELLED,
  STATUS_DEVICE_BUSY,
  STATUS_INSUFFICIENT_RESOURCES,
  STATUS_INVALID_PARAMETER,
  STATUS_PENDING,
  writeU32,
  type DEVICE_OBJECT,
  type IRP,
  type NTSTATUS,
} from "irpsim/wdm";
import { HEADER_BYTES, OFFSET_MAGIC, OFFSET_SEQUENCE, OFFSET_SLOTS, RECORD_BYTES, SHAREBUF_MAGIC, SHAREBUF_PERIOD_MS, extensionOf, type SharebufBuild } from "../sharebuf/driver.js";

/** The build: IOCTL_SHARE_BUFFER with the unguarded Irp.Cancel check. */
export const cancelWindowBuild: SharebufBuild = {
  variant: ({ CancelRoutine }) => ({
    /**
     * IOCTL_SHARE_BUFFER: publishes the request under the device lock, then makes it
     * cancellable outside the lock (the cancel routine takes the lock itself).
     *
     * @returns STATUS_PENDING when the buffer is shared, otherwise the status to complete with.
     */
    ShareBuffer: function SharebufShareBuffer(DeviceObject: DEVICE_OBJECT, Irp: IRP): NTSTATUS {
      const ext = extensionOf(DeviceObject);
      const Mdl = Irp.MdlAddress;
      if (!Mdl || MmGetMdlByteCount(Mdl) < HEADER_BYTES + RECORD_BYTES) return STATUS_INVALID_PARAMETER;
      const systemVa = MmGetSystemAddressForMdlSafe(Mdl, NormalPagePriority | MdlMappingNoExecute);
      if (systemVa === 0) return STATUS_INSUFFICIENT_RESOURCES;
      writeU32(systemVa + OFFSET_MAGIC, SHAREBUF_MAGIC);
      writeU32(systemVa + OFFSET_SEQUENCE, 0);
      writeU32(systemVa + OFFSET_SLOTS, Math.floor((MmGetMdlByteCount(Mdl) - HEADER_BYTES) / RECORD_BYTES));
      const oldIrql = KeAcquireSpinLock(ext.Lock);
      if (ext.SharedBufferIrp) {
        KeReleaseSpinLock(ext.Lock, oldIrql);
        return STATUS_DEVICE_BUSY;
      }
      ext.SharedBufferIrp = Irp;
      ext.SharedBuffer = systemVa;
      ext.SharedBufferLength = MmGetMdlByteCount(Mdl);
      ext.Sequence = 0;
      KeReleaseSpinLock(ext.Lock, oldIrql);

      IoMarkIrpPending(Irp);
      IoSetCancelRoutine(Irp, CancelRoutine);
      if (Irp.Cancel) {
        // BUG: IoCancelIrp may already have taken the routine, which then completes the request.
        // The check must be `if (Irp.Cancel && IoSetCancelRoutine(Irp, NULL) != NULL)`.
        IoSetCancelRoutine(Irp, null);
        const irql = KeAcquireSpinLock(ext.Lock);
        if (ext.SharedBufferIrp === Irp) {
          ext.SharedBufferIrp = null;
          ext.SharedBuffer = 0;
          ext.SharedBufferLength = 0;
        }
        KeReleaseSpinLock(ext.Lock, irql);
        Irp.IoStatus.Status = STATUS_CANCELLED;
        Irp.IoStatus.Information = 0;
        IoCompleteRequest(Irp, IO_NO_INCREMENT);
        return STATUS_PENDING;
      }
      KeSetTimerEx(ext.Timer, -10_000 * SHAREBUF_PERIOD_MS, SHAREBUF_PERIOD_MS, ext.Dpc);
      DbgPrint(`Sharebuf: buffer shared at system address 0x${systemVa.toString(16).toUpperCase()}; ${Irp.label} pended`);
      return STATUS_PENDING;
    },
  }),
};
