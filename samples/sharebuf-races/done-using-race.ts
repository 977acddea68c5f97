/**
 * Sharebuf whose IOCTL_DONE_USING_SHARE_BUFFER races the cancel routine: under the device lock it
 * takes the shared request and clears its cancel routine, but does not test what
 * IoSetCancelRoutine returned. If a cancel took the routine just before, the routine runs as soon
 * as the lock is released and completes the request with STATUS_CANCELLED, and DONE_USING
 * completes it again with STATUS_SUCCESS: MULTIPLE_IRP_COMPLETE_REQUESTS (0x44).
 */
import {
  DbgPrint,
  IO_NO_INCREMENT,
  IoCompleteRequest,
  IoSetCancelRoutine,
  KeAcquireSpinLock,
  KeCancelTimer,
  KeReleaseSpinLock,
  STATUS_INVALID_DEVICE_STATE,
  STATUS_SUCCESS,
  type DEVICE_OBJECT,
  type IRP,
  type NTSTATUS,
} from "irpsim/wdm";
import { extensionOf, type SharebufBuild } from "../sharebuf/driver.js";

/** The build: DONE_USING that assumes the shared request is still its own. */
export const doneUsingRaceBuild: SharebufBuild = {
  variant: () => ({
    /**
     * IOCTL_DONE_USING_SHARE_BUFFER: takes the shared request from the device and completes it.
     *
     * @returns the status to complete the DONE_USING request with.
     */
    DoneUsing: function SharebufDoneUsing(DeviceObject: DEVICE_OBJECT, _Irp: IRP): NTSTATUS {
      const ext = extensionOf(DeviceObject);
      const oldIrql = KeAcquireSpinLock(ext.Lock);
      const shared = ext.SharedBufferIrp;
      if (shared) {
        ext.SharedBufferIrp = null;
        ext.SharedBuffer = 0;
        ext.SharedBufferLength = 0;
        // BUG: if this returns NULL the cancel routine already owns the request and will complete it.
        IoSetCancelRoutine(shared, null);
      }
      KeReleaseSpinLock(ext.Lock, oldIrql);
      if (!shared) return STATUS_INVALID_DEVICE_STATE;
      KeCancelTimer(ext.Timer);
      DbgPrint(`Sharebuf: done using the buffer; completing ${shared.label}`);
      shared.IoStatus.Status = STATUS_SUCCESS;
      shared.IoStatus.Information = 0;
      IoCompleteRequest(shared, IO_NO_INCREMENT);
      return STATUS_SUCCESS;
    },
  }),
};
