/**
 * Run-down protection (EX_RUNDOWN_REF): references to an object that a driver is about to tear
 * down. ExAcquireRundownProtection succeeds until ExWaitForRundownProtectionRelease has begun the
 * run-down, which then waits until every reference taken before it is released.
 */
import { checkNumber } from "./bad-pointer.js";
import { BugCheckCode } from "./bugcheck-codes.js";
import { currentMachine } from "./context.js";
import { notTheStructure } from "./interlocked.js";
import { APC_LEVEL, DISPATCH_LEVEL } from "./irql.js";
import { SyncLock, grantWaiter, waitForGrant } from "./sync-locks.js";
import type { KThread } from "./thread.js";

/** EX_RUNDOWN_REF. Initialise with ExInitializeRundownProtection. */
export class EX_RUNDOWN_REF extends SyncLock {
  /** Which executive lock this is (what the verifier's lock rules and reports go by). */
  readonly kind = "EX_RUNDOWN_REF";
  /** References held. */
  Count = 0;
  /** The run-down has begun: no more references are granted. */
  RundownActive = false;
  /** The run-down finished (ExWaitForRundownProtectionRelease returned, or ExRundownCompleted). */
  RundownCompleted = false;
}

function kernel(api: string, r: EX_RUNDOWN_REF, maxIrql: number): KThread {
  const t = currentMachine(api).kernelCall(api);
  if (!(r instanceof EX_RUNDOWN_REF)) notTheStructure(t, api, "RunRef", r, "an EX_RUNDOWN_REF");
  const m = t.machine;
  if (m.kernelHooks.length !== 0) for (const h of m.kernelHooks) h.syncLock?.(t, api, r);
  if (t.irql > maxIrql) {
    m.bugCheck(BugCheckCode.IRQL_NOT_LESS_OR_EQUAL, 0, t.irql, 0, 0, { detail: `${api} at IRQL ${t.irql}: it may be called at IRQL <= ${maxIrql === APC_LEVEL ? "APC_LEVEL" : "DISPATCH_LEVEL"}` });
  }
  return t;
}

/** ExInitializeRundownProtection: no references, not run down. */
export function ExInitializeRundownProtection(RunRef: EX_RUNDOWN_REF): void {
  kernel("ExInitializeRundownProtection", RunRef, DISPATCH_LEVEL);
  RunRef.Count = 0;
  RunRef.RundownActive = false;
  RunRef.RundownCompleted = false;
  RunRef.waiters.length = 0;
}

/** ExReInitializeRundownProtection: makes a run-down object usable again after its run-down completed. */
export function ExReInitializeRundownProtection(RunRef: EX_RUNDOWN_REF): void {
  kernel("ExReInitializeRundownProtection", RunRef, DISPATCH_LEVEL);
  RunRef.Count = 0;
  RunRef.RundownActive = false;
  RunRef.RundownCompleted = false;
}

/** ExAcquireRundownProtectionEx: `Count` references at once; FALSE once the run-down has begun. */
export function ExAcquireRundownProtectionEx(RunRef: EX_RUNDOWN_REF, Count: number): boolean {
  kernel("ExAcquireRundownProtection", RunRef, DISPATCH_LEVEL);
  if (RunRef.RundownActive) return false;
  RunRef.Count += checkNumber("ExAcquireRundownProtectionEx", "Count", Count);
  return true;
}

/** ExAcquireRundownProtection: one reference; FALSE once the run-down has begun. */
export function ExAcquireRundownProtection(RunRef: EX_RUNDOWN_REF): boolean {
  return ExAcquireRundownProtectionEx(RunRef, 1);
}

/**
 * ExReleaseRundownProtectionEx: drops `Count` references; the last one during a run-down wakes
 * its waiter. Releasing more than were acquired is the verifier's finding (on NT it corrupts the
 * count); the count here stops at zero.
 */
export function ExReleaseRundownProtectionEx(RunRef: EX_RUNDOWN_REF, Count: number): void {
  const t = kernel("ExReleaseRundownProtection", RunRef, DISPATCH_LEVEL);
  RunRef.Count = Math.max(0, RunRef.Count - checkNumber("ExReleaseRundownProtectionEx", "Count", Count));
  if (RunRef.RundownActive && RunRef.Count === 0) for (const w of RunRef.waiters.splice(0)) grantWaiter(t, w);
}

/** ExReleaseRundownProtection: drops one reference. */
export function ExReleaseRundownProtection(RunRef: EX_RUNDOWN_REF): void {
  ExReleaseRundownProtectionEx(RunRef, 1);
}

/**
 * ExWaitForRundownProtectionRelease: begins the run-down (later acquires fail) and waits until
 * every reference is released. IRQL <= APC_LEVEL.
 */
export async function ExWaitForRundownProtectionRelease(RunRef: EX_RUNDOWN_REF): Promise<void> {
  const t = kernel("ExWaitForRundownProtectionRelease", RunRef, APC_LEVEL);
  RunRef.RundownActive = true;
  if (RunRef.Count > 0) await waitForGrant(t, RunRef, true, `ExWaitForRundownProtectionRelease waits for ${RunRef.Count} reference(s) of`);
  RunRef.RundownCompleted = true;
}

/** ExRundownCompleted: marks the run-down complete (ExReInitializeRundownProtection may follow). */
export function ExRundownCompleted(RunRef: EX_RUNDOWN_REF): void {
  kernel("ExRundownCompleted", RunRef, DISPATCH_LEVEL);
  RunRef.RundownActive = true;
  RunRef.RundownCompleted = true;
}
