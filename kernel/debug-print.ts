/**
 * DbgPrint (kernel mode) and OutputDebugString (user mode): text into the trace, as a debugger
 * would show it.
 */
import { currentMachine } from "./context.js";

declare module "./trace.js" {
  interface TraceEventMap {
    /** DbgPrint (kernel mode) or OutputDebugString (user mode) printed `text`. */
    DebugPrint: { /** The message. */ text: string; mode: "KernelMode" | "UserMode" };
  }
}

function print(api: string, text: string): void {
  const m = currentMachine(api);
  const t = m.currentThread(api);
  if (m.trace.on) m.trace.emit("DebugPrint", { text, mode: t.mode === 0 ? "KernelMode" : "UserMode" });
}

/** DbgPrint / KdPrint: a line of text in the trace (the caller formats it). */
export function DbgPrint(text: string): void {
  print("DbgPrint", text);
}

/** OutputDebugString (user mode). */
export function OutputDebugString(lpOutputString: string): void {
  print("OutputDebugString", lpOutputString);
}
