/**
 * Sharebuf whose cancel routine completes the request before it detaches the buffer from the
 * device. Completing unlocks the app's pages and unmaps their system address, but for a moment
 * the device still points at that address: a timer DPC running then on another processor writes
 * into the app's buffer after the app has died — PAGE_FAULT_IN_NONPAGED_AREA (0x50) here, memory
 * corruption on a machine where the system PTE has been reused.
 */
import {
  DbgPrint,
  IO_NO_INCREMENT,
  IoCompleteRequest,
  IoReleaseCancelSpinLock,
  KeAcquireSpinLock,
  KeCancelTimer,
  KeReleaseSpinLock,
  STATUS_CANCELLED,
  type DRIVER_CANCEL,
} from "irpsim/wdm";
import { extensionOf, type SharebufBuild } from "../sharebuf/driver.js";

/**
 * The cancel routine of the pended IOCTL_SHARE_BUFFER request, in the wrong order: complete
 * first, detach the buffer after.
 *
 * @param DeviceObject the Sharebuf device.
 * @param Irp the request being cancelled.
 */
const SharebufCancelRoutine: DRIVER_CANCEL = function SharebufCancelRoutine(DeviceObject, Irp) {
  IoReleaseCancelSpinLock(Irp.CancelIrql);
  const ext = extensionOf(DeviceObject);
  DbgPrint(`Sharebuf: cancel routine completes ${Irp.label} with STATUS_CANCELLED`);
  Irp.IoStatus.Status = STATUS_CANCELLED;
  Irp.IoStatus.Information = 0;
  // BUG: this unlocks and unmaps the shared buffer while ext.SharedBuffer still points at it.
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
  const oldIrql = KeAcquireSpinLock(ext.Lock);
  if (ext.SharedBufferIrp === Irp) {
    ext.SharedBufferIrp = null;
    ext.SharedBuffer = 0;
    ext.SharedBufferLength = 0;
  }
  KeReleaseSpinLock(ext.Lock, oldIrql);
  KeCancelTimer(ext.Timer);
};

/** The build: the cancel routine that completes before it detaches. */
export const dpcAfterDeathBuild: SharebufBuild = {
  variant: () => ({ CancelRoutine: SharebufCancelRoutine }),
};
