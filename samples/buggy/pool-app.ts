/**
 * The app side of the Spool samples (pool.ts): what a caller of its control codes sends.
 */
import { CloseHandle, DeviceIoControl, writeAnsiString } from "irpsim/win32";
import { appBuffer, openSampleDevice } from "./harness.js";
import { IOCTL_SPOOL_SET_LABEL } from "./pool.js";

/** Sets Spool's label to "calibrate" (nine characters and their NUL). */
export async function SetSpoolLabel(): Promise<unknown> {
  const buffer = appBuffer();
  writeAnsiString(buffer, "calibrate");
  const h = await openSampleDevice("BuggySpool");
  await DeviceIoControl(h, IOCTL_SPOOL_SET_LABEL, buffer, 10, 0, 0, 0, null);
  await CloseHandle(h);
  return 0;
}
