/**
 * Notify whose timer DPC takes the oldest request off the queue and clears its cancel routine
 * without testing what IoSetCancelRoutine returned. If a cancel took the routine a moment before
 * (while the DPC held the queue lock), the routine runs once the lock is released and completes the
 * request with STATUS_CANCELLED, and the DPC delivers its event and completes it again:
 * MULTIPLE_IRP_COMPLETE_REQUESTS (0x44).
 */
import {
  CONTAINING_RECORD,
  IoSetCancelRoutine,
  IsListEmpty,
  KeAcquireSpinLockAtDpcLevel,
  KeReleaseSpinLockFromDpcLevel,
  RemoveHeadList,
  type DEVICE_OBJECT,
  type IRP,
  type KDEFERRED_ROUTINE,
} from "irpsim/wdm";
import { NotifyDeliver, notifyExtensionOf, takeStaging, type NotifyBuild } from "../notify/driver.js";

/**
 * The timer DPC: delivers the event to the oldest waiting request.
 */
const NotifyTimerDpc: KDEFERRED_ROUTINE<DEVICE_OBJECT> = function NotifyTimerDpc(_Dpc, DeviceObject) {
  const ext = notifyExtensionOf(DeviceObject);
  KeAcquireSpinLockAtDpcLevel(ext.Lock);
  const sequence = ++ext.Sequence;
  let Irp: IRP | null = null;
  let page = 0;
  if (!IsListEmpty(ext.WaitQueue)) {
    Irp = CONTAINING_RECORD(RemoveHeadList(ext.WaitQueue));
    // BUG: NULL here means the cancel routine already owns the request; it must be left to it.
    IoSetCancelRoutine(Irp, null);
    page = takeStaging(Irp);
  }
  KeReleaseSpinLockFromDpcLevel(ext.Lock);
  if (Irp) NotifyDeliver(Irp, page, sequence);
};

/** The build: the DPC that ignores IoSetCancelRoutine's result when it removes a request. */
export const queueRemoveBuild: NotifyBuild = { variant: () => ({ TimerDpc: NotifyTimerDpc }) };
