/**
 * The Win32 layer's trace events: an API call's entry and return, so a timeline can show the
 * kernel work it caused between the two.
 */
import type { KThread } from "../kernel/thread.js";
import { win32ErrorName } from "./errors.js";

declare module "../kernel/trace.js" {
  interface TraceEventMap {
    /** A Win32 API was called; `detail` shows its arguments as the timeline prints them. */
    ApiEnter: { api: string; detail: string };
    /** A Win32 API returned `result`, leaving `lastError` (GetLastError) set. */
    ApiReturn: { api: string; /** The return value, as the timeline prints it. */ result: string; /** GetLastError's value after the call. */ lastError: number; lastErrorName: string };
  }
}

/** Emits ApiEnter when anything listens (`detail` is computed only then). */
export function apiEnter(t: KThread, api: string, detail: string | (() => string)): void {
  const m = t.machine;
  if (m.trace.on) m.trace.emit("ApiEnter", { api, detail: typeof detail === "string" ? detail : detail() });
}

/** Emits ApiReturn when anything listens. */
export function apiReturn(t: KThread, api: string, result: string, lastError: number): void {
  const m = t.machine;
  if (m.trace.on) m.trace.emit("ApiReturn", { api, result, lastError, lastErrorName: lastError ? win32ErrorName(lastError) : "" });
}
