/**
 * Debug output: RETAILMSG / DEBUGMSG / NKDbgPrintfW from drivers, printf from apps — text in the
 * trace, as the debug serial port would show it. The caller formats the text.
 */
import { KernelMode } from "../../kernel/irql.js";
import { ceCall } from "../ce-call.js";

function print(api: string, text: string): void {
  const { t, m } = ceCall(api);
  if (m.trace.on) m.trace.emit("DebugPrint", { text, mode: t.mode === KernelMode ? "KernelMode" : "UserMode" });
}

/** RETAILMSG(cond, text): printed in every build when `cond` is true. */
export function RETAILMSG(cond: boolean | number, text: string): void {
  if (cond) print("RETAILMSG", text);
}

/** DEBUGMSG(cond, text): printed (debug builds) when `cond` is true. */
export function DEBUGMSG(cond: boolean | number, text: string): void {
  if (cond) print("DEBUGMSG", text);
}

/** NKDbgPrintfW: the kernel's debug print. */
export function NKDbgPrintfW(text: string): void {
  print("NKDbgPrintfW", text);
}

/** printf: an app's console output. */
export function printf(text: string): void {
  print("printf", text);
}
