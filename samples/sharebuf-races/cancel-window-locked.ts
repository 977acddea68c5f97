/**
 * Sharebuf with the cancel race inside the device lock: the driver sets the cancel routine and
 * checks Irp.Cancel while it holds its lock, but clears the routine without testing what
 * IoSetCancelRoutine returned. A cancel arriving between the two finds the routine set, takes it,
 * and — once the driver drops its lock, as a second processor spinning on it would — runs it,
 * completing the request; the dispatch routine completes it too: MULTIPLE_IRP_COMPLETE_REQUESTS.
 */
import {
  DbgPrint,
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

/** The build: IOCTL_SHARE_BUFFER that ignores IoSetCancelRoutine's result under its lock. */
export const cancelWindowLockedBuild: SharebufBuild = {
  variant: ({ CancelRoutine }) => ({
    /**
     * IOCTL_SHARE_BUFFER: makes the request cancellable and publishes it, all under the device lock.
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
      IoSetCancelRoutine(Irp, CancelRoutine);
      if (Irp.Cancel) {
        // BUG: the cancel routine may already be taken; it will run once the lock is released and
        // complete the request too. Test: `if (Irp.Cancel && IoSetCancelRoutine(Irp, NULL) != NULL)`.
        IoSetCancelRoutine(Irp, null);
        KeReleaseSpinLock(ext.Lock, oldIrql);
        return STATUS_CANCELLED;
      }
      IoMarkIrpPending(Irp);
      ext.SharedBufferIrp = Irp;
      ext.SharedBuffer = systemVa;
      ext.SharedBufferLength = MmGetMdlByteCount(Mdl);
      ext.Sequence = 0;
      KeReleaseSpinLock(ext.Lock, oldIrql);
      KeSetTimerEx(ext.Timer, -10_000 * SHAREBUF_PERIOD_MS, SHAREBUF_PERIOD_MS, ext.Dpc);
      DbgPrint(`Sharebuf: buffer shared at system address 0x${systemVa.toString(16).toUpperCase()}; ${Irp.label} pended`);
      return STATUS_PENDING;
    },
  }),
};
