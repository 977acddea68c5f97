/**
 * GetLastError / SetLastError: the calling thread's last error.
 */
import { ceCall } from "../ce-call.js";

/** GetLastError. */
export function GetLastError(): number {
  return ceCall("GetLastError").t.lastError;
}

/** SetLastError. */
export function SetLastError(dwErrCode: number): void {
  ceCall("SetLastError").t.lastError = dwErrCode >>> 0;
}
