/**
 * Who asked: IoGetRequestorProcess and friends.
 */
import type { KProcess } from "../kernel/process.js";
import { FO_SYNCHRONOUS_IO, IRP_SYNCHRONOUS_API } from "./constants.js";
import { IRP } from "./irp.js";
import { checkPointer } from "../kernel/bad-pointer.js";

/** IoGetRequestorProcess: the process of the thread that issued the IRP (null for a driver's own IRP). */
export function IoGetRequestorProcess(Irp: IRP): KProcess | null {
  checkPointer("IoGetRequestorProcess", "Irp", Irp, IRP, "an IRP");
  return Irp.Tail.Overlay.Thread?.process ?? null;
}

/** IoGetRequestorProcessId: 0 when the IRP has no requesting thread. */
export function IoGetRequestorProcessId(Irp: IRP): number {
  return IoGetRequestorProcess(Irp)?.pid ?? 0;
}

/** IoIsOperationSynchronous: the request waits for its result (synchronous API or synchronous file). */
export function IoIsOperationSynchronous(Irp: IRP): boolean {
  checkPointer("IoIsOperationSynchronous", "Irp", Irp, IRP, "an IRP");
  const fo = Irp.Tail.Overlay.OriginalFileObject;
  return (Irp.Flags & IRP_SYNCHRONOUS_API) !== 0 || (fo !== null && (fo.Flags & FO_SYNCHRONOUS_IO) !== 0);
}
