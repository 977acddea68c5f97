/**
 * Notify whose IRP_MJ_CLEANUP snapshots the closing file's waiting requests under the queue lock,
 * then takes them one by one — assuming that, the handle being closed, nobody else can take them.
 * The timer DPC can: if it fires between the snapshot and the take, it delivers its event to a
 * request still on the queue and completes it, and cleanup then completes the same request with
 * STATUS_CANCELLED: MULTIPLE_IRP_COMPLETE_REQUESTS (0x44).
 */
import {
  CONTAINING_RECORD,
  DbgPrint,
  IO_NO_INCREMENT,
  IoCompleteRequest,
  IoGetCurrentIrpStackLocation,
  IoSetCancelRoutine,
  KeAcquireSpinLock,
  KeReleaseSpinLock,
  RemoveEntryList,
  STATUS_SUCCESS,
  type DRIVER_DISPATCH,
  type IRP,
} from "irpsim/wdm";
import { NotifyCompleteCancelled, notifyExtensionOf, takeStaging, type NotifyBuild } from "../notify/driver.js";

/**
 * IRP_MJ_CLEANUP: completes the closing file's waiting requests with STATUS_CANCELLED.
 *
 * @returns STATUS_SUCCESS.
 */
const NotifyCleanup: DRIVER_DISPATCH = function NotifyCleanup(DeviceObject, Irp) {
  const ext = notifyExtensionOf(DeviceObject);
  const file = IoGetCurrentIrpStackLocation(Irp).FileObject;
  const mine: IRP[] = [];
  let oldIrql = KeAcquireSpinLock(ext.Lock);
  for (let entry = ext.WaitQueue.Flink; entry !== ext.WaitQueue; entry = entry.Flink) {
    const waiting = CONTAINING_RECORD(entry);
    if (IoGetCurrentIrpStackLocation(waiting).FileObject === file) mine.push(waiting);
  }
  KeReleaseSpinLock(ext.Lock, oldIrql);
  for (const waiting of mine) {
    // BUG: since the snapshot the DPC (or a cancel) may have taken and completed this request;
    // ownership must be taken under the lock with `IoSetCancelRoutine(waiting, NULL) != NULL`.
    oldIrql = KeAcquireSpinLock(ext.Lock);
    RemoveEntryList(waiting.Tail.Overlay.ListEntry);
    IoSetCancelRoutine(waiting, null);
    const page = takeStaging(waiting);
    KeReleaseSpinLock(ext.Lock, oldIrql);
    DbgPrint(`Notify: cleanup completes ${waiting.label} with STATUS_CANCELLED`);
    NotifyCompleteCancelled(waiting, page);
  }
  Irp.IoStatus.Status = STATUS_SUCCESS;
  Irp.IoStatus.Information = 0;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
  return STATUS_SUCCESS;
};

/** The build: the cleanup that takes requests it no longer owns. */
export const cleanupVsDpcBuild: NotifyBuild = { variant: () => ({ Cleanup: NotifyCleanup }) };
