/**
 * Where a request came from (wdfrequest.h): WdfRequestIsFromUserModeDriver. The requestor mode
 * itself is WdfRequestGetRequestorMode (request.ts).
 */
import { fxEnter } from "./globals.js";
import type { WDFREQUEST } from "./handles.js";
import { fxRequest } from "./request.js";

/**
 * WdfRequestIsFromUserModeDriver: whether the request came from a UMDF driver (through the
 * reflector) rather than an application or a kernel-mode driver. irpsim has no UMDF: every
 * request is from an app or a kernel driver, so the answer is FALSE — for a bad handle too, after
 * the framework's handle check (WDF_VIOLATION 0x5 under the verifier).
 */
export function WdfRequestIsFromUserModeDriver(Request: WDFREQUEST): boolean {
  const t = fxEnter("WdfRequestIsFromUserModeDriver");
  fxRequest(t, Request, "WdfRequestIsFromUserModeDriver");
  return false;
}
