/**
 * WdfVerifierDbgBreakPoint (wdfverifier.h): a driver's own "break here" for its debug builds. On
 * Windows it breaks into the kernel debugger when the framework's verifier is on and a debugger is
 * attached, and does nothing otherwise. irpsim has no debugger: the call is recorded as a trace
 * event (WdfVerifierBreak: the driver, the routine that called it, whether its verifier is on)
 * that the timeline shows, and the machine runs on.
 */
import { fxEnter, fxMachine, verifierOn } from "./globals.js";

/** WdfVerifierDbgBreakPoint: records a break request in the trace (there is no debugger to break into); never halts. */
export function WdfVerifierDbgBreakPoint(): void {
  const t = fxEnter("WdfVerifierDbgBreakPoint");
  const m = t.machine;
  const g = fxMachine(m).currentGlobals();
  const driver = g?.name ?? m.currentDriver() ?? "(unknown)";
  if (m.trace.on) m.trace.emit("WdfVerifierBreak", { driver, routine: m.currentActivity()?.name ?? null, verifierOn: verifierOn(m, g) });
}
