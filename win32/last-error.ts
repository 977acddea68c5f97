import { caller } from "./call.js";

/** GetLastError: the calling thread's last error (TEB.LastErrorValue). */
export function GetLastError(): number {
  return caller("GetLastError").lastError;
}

/** SetLastError. */
export function SetLastError(dwErrCode: number): void {
  caller("SetLastError").lastError = dwErrCode >>> 0;
}
