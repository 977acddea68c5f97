/**
 * The options that change what the machine does, as Driver Verifier's do: Force Pending I/O
 * Requests and systematic low-resources simulation. Both are deterministic: each choice is a
 * machine decision point (the first option is the verifier's, the second leaves the machine
 * alone), so the default strategy always applies them and an explorer can search around them.
 */
import type { Verifier } from "./verifier.js";

/** Decision kinds the verifier adds (see Machine.decide). */
export const FORCE_PENDING_DECISION = "verifier.force-pending";
/**
 * The decision kind of the verifier's fault injection: whether an allocation at a given call site
 * fails.
 */
export const FAULT_INJECTION_DECISION = "verifier.fault-injection";

/** True while the current thread runs a DriverEntry (loadDriver marks it as that activity). */
function inDriverEntry(m: Verifier["machine"]): boolean {
  const t = m.runningThread();
  if (!t) return false;
  for (let i = 0; i < t.activityDepth; i++) if (t.activities[i]?.kind === "DriverEntry of") return true;
  return false;
}

/** Installs Force Pending I/O and low-resources simulation when the options ask for them. */
export function installResourceOptions(v: Verifier): void {
  const m = v.machine;
  const io = v.io;

  if (v.options.faultInjection) {
    /** Call sites already offered a failure ("ExAllocatePoolWithTag at driver.ts:40:12"). */
    const decided = new Set<string>();
    const sparesDriverEntry = v.options.faultInjectionInDriverEntry !== true;
    const inject = (api: string): boolean => {
      const driver = v.verifiedDriver();
      if (!driver || m.runningThread() === null) return false;
      if (sparesDriverEntry && inDriverEntry(m)) return false;
      const where = v.callSite() ?? `${driver} (no source line)`;
      const key = `${api} at ${where}`;
      if (decided.has(key)) return false;
      decided.add(key);
      const fail = m.decide(FAULT_INJECTION_DECISION, 2, () => [`fail ${key}`, `let ${key} succeed`]) === 0;
      if (fail) {
        // A failed allocation disturbs the story: the scenario's undisturbed checks no longer apply.
        const words = `${api} fails for ${driver} at ${where} (Driver Verifier's low resources simulation)`;
        m.injected.push(words);
        if (m.trace.on) m.trace.emit("Injection", { action: "fault", detail: words, at: m.describeContext() });
      }
      return fail;
    };
    const previous = io.faultInjector;
    io.faultInjector = (api) => (previous !== null && previous(api)) || inject(api);
    v.addKernelHooks({ failAllocation: (_t, api) => inject(api) });
    v.onDetach(() => {
      io.faultInjector = previous;
    });
  }

  if (v.options.forcePending) {
    const previous = io.forcePending;
    io.forcePending = (irp, device, t) => {
      if (previous !== null && previous(irp, device, t)) return true;
      const caller = v.verifiedDriver();
      if (!caller) return false;
      const force = m.decide(FORCE_PENDING_DECISION, 2, () => [`force STATUS_PENDING on ${caller}'s IoCallDriver of ${irp.label} to ${device.DriverObject.shortName}`, "pass the call through"]) === 0;
      if (force) {
        const rec = v.record(irp, t);
        v.step(rec, `Driver Verifier forces this IoCallDriver to return STATUS_PENDING (the lower driver's completion is held back)`);
      }
      return force;
    };
    v.onDetach(() => {
      io.forcePending = previous;
    });
  }
}
