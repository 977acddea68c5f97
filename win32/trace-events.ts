/**
 * The Win32 layer's trace event: one per API call an app makes that matters to a timeline.
 */
import type { KThread } from "../kernel/thread.js";
import { win32ErrorName } from "./errors.js";

declare module "../kernel/trace.js" {
  interface TraceEventMap {
    ApiCall: { api: string; detail: string; result: string; lastError: number; lastErrorName: string };
  }
}

/** Emits an ApiCall event when anything listens (`detail` is computed only then). */
export function traceApi(t: KThread, api: string, detail: string | (() => string), result: string, lastError: number): void {
  const m = t.machine;
  if (m.trace.on) {
    m.trace.emit("ApiCall", { api, detail: typeof detail === "string" ? detail : detail(), result, lastError, lastErrorName: lastError ? win32ErrorName(lastError) : "" });
  }
}
