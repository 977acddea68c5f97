/**
 * Notify whose timer DPC assembles the event in the oldest request's staging page outside the
 * queue lock (the slow part, kept out of the lock) before it takes the request. A cancel arriving
 * then runs the cancel routine, which takes the request off the queue and frees its staging page;
 * the DPC goes on writing into the freed page — a use after free, which the emulator reports as
 * the bug check a touch of unmapped pool at DISPATCH_LEVEL gives (IRQL_NOT_LESS_OR_EQUAL, 0xA).
 */
import {
  CONTAINING_RECORD,
  ExFreePoolWithTag,
  IO_NO_INCREMENT,
  IoCompleteRequest,
  IoSetCancelRoutine,
  IsListEmpty,
  KeAcquireSpinLockAtDpcLevel,
  KeQueryInterruptTime,
  KeReleaseSpinLockFromDpcLevel,
  RemoveEntryList,
  RtlCopyMemory,
  STATUS_SUCCESS,
  writeU32,
  type DEVICE_OBJECT,
  type KDEFERRED_ROUTINE,
} from "irpsim/wdm";
import { NOTIFY_EVENT_BYTES, NOTIFY_TAG, notifyExtensionOf, stagingOf, takeStaging, type NotifyBuild } from "../notify/driver.js";

/**
 * The timer DPC: fills the oldest request's staging page, then takes the request and completes it.
 */
const NotifyTimerDpc: KDEFERRED_ROUTINE<DEVICE_OBJECT> = function NotifyTimerDpc(_Dpc, DeviceObject) {
  const ext = notifyExtensionOf(DeviceObject);
  KeAcquireSpinLockAtDpcLevel(ext.Lock);
  const sequence = ++ext.Sequence;
  const Irp = IsListEmpty(ext.WaitQueue) ? null : CONTAINING_RECORD(ext.WaitQueue.Flink);
  const page = Irp ? stagingOf(Irp) : 0;
  KeReleaseSpinLockFromDpcLevel(ext.Lock);
  if (!Irp) return;
  // BUG: the request is still the cancel routine's to take, and the cancel routine frees the page.
  writeU32(page, sequence);
  writeU32(page + 4, Math.floor(KeQueryInterruptTime() / 10_000));
  KeAcquireSpinLockAtDpcLevel(ext.Lock);
  const ours = IoSetCancelRoutine(Irp, null) !== null;
  if (ours) {
    RemoveEntryList(Irp.Tail.Overlay.ListEntry);
    takeStaging(Irp);
  }
  KeReleaseSpinLockFromDpcLevel(ext.Lock);
  if (!ours) return;
  RtlCopyMemory(Irp.AssociatedIrp.SystemBuffer, page, NOTIFY_EVENT_BYTES);
  ExFreePoolWithTag(page, NOTIFY_TAG);
  Irp.IoStatus.Status = STATUS_SUCCESS;
  Irp.IoStatus.Information = NOTIFY_EVENT_BYTES;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
};

/** The build: the DPC that writes a staging page it does not own yet. */
export const cancelFreesContextBuild: NotifyBuild = { variant: () => ({ TimerDpc: NotifyTimerDpc }) };
