/**
 * Calling a driver's event callback the way the framework does: under the callback lock that
 * automatic synchronization asks for, with the callback's name on the thread (traces, verifier
 * reports, explanations name the driver's Evt routine), and with the KMDF verifier's check that
 * the callback returns at the IRQL it was called at.
 */
import { checkRoutine } from "../kernel/bad-pointer.js";
import { irqlName } from "../kernel/irql.js";
import type { MaybePromise } from "../kernel/objects.js";
import type { KThread } from "../kernel/thread.js";
import { fxViolation, type FxDriverGlobals } from "./globals.js";
import type { FxCallbackLock } from "./lock.js";

/** Who a callback is about, for the trace. */
export interface CallbackSubject {
  /** The object the callback is for ("WDFQUEUE#1"). */
  readonly object: string;
  readonly request: string | null;
  readonly irp: string | null;
}

/** The subject passed when the trace is off (nothing reads it then). */
export const UNTRACED: CallbackSubject = { object: "", request: null, irp: null };

/**
 * Calls `call` — the driver's callback `fn` in role `role` ("EvtIoRead") — on `t`, holding `lock`
 * when one is given and `t` does not already hold it. Returns what the callback returns (a
 * Promise when it or the lock's acquisition waits).
 */
export function invokeCallback<R>(t: KThread, g: FxDriverGlobals, lock: FxCallbackLock | null, role: string, fn: { readonly name: string }, subject: CallbackSubject, call: () => MaybePromise<R>): MaybePromise<R> {
  const take = lock !== null && lock.owner !== t;
  if (take) {
    const a = lock.acquire(t);
    if (a instanceof Promise) return a.then(() => run(t, g, lock, role, fn, subject, call));
  }
  return run(t, g, take ? lock : null, role, fn, subject, call);
}

function run<R>(t: KThread, g: FxDriverGlobals, held: FxCallbackLock | null, role: string, fn: { readonly name: string }, subject: CallbackSubject, call: () => MaybePromise<R>): MaybePromise<R> {
  const m = t.machine;
  const name = (typeof fn === "function" && fn.name) || "(anonymous)";
  if (m.trace.on) m.trace.emit("WdfCallback", { driver: g.name, callback: role, routine: name, object: subject.object, request: subject.request, irp: subject.irp });
  const token = m.enterActivity("event callback", name, g.name);
  const irql = t.irql;
  const locks = t.heldLocks.length;
  let r: MaybePromise<R>;
  try {
    // A callback pointer that is no routine faults where the framework calls it.
    checkRoutine(`the framework's call of ${role}`, role, fn);
    r = call();
  } catch (e) {
    m.leaveActivity(token);
    return m.unhandledKernelException(e, `${role} ${g.name}!${name}`);
  }
  if (r instanceof Promise) {
    return r.then(
      (value) => returned(t, g, held, role, name, token, irql, locks, value),
      (e: unknown) => {
        m.leaveActivity(token);
        return m.unhandledKernelException(e, `${role} ${g.name}!${name}`);
      },
    );
  }
  return returned(t, g, held, role, name, token, irql, locks, r);
}

/** The callback returned to the framework: the verifier's IRQL check, the lock released, deferred dispatches run. */
function returned<R>(t: KThread, g: FxDriverGlobals, held: FxCallbackLock | null, role: string, name: string, token: number, irql: number, locks: number, value: R): MaybePromise<R> {
  const m = t.machine;
  m.leaveActivity(token);
  if (g.verifierOn && (t.irql !== irql || t.heldLocks.length !== locks)) {
    fxViolation(m, g, "CallbackIrqlMismatch", `${role} ${g.name}!${name} was called at ${irqlName(irql)} and returned at ${irqlName(t.irql)}${t.heldLocks.length > locks ? ` still holding ${t.heldLocks.slice(locks).map((l) => l.label).join(", ")}` : ""}.`, { p2: irql, p3: t.irql });
  }
  if (m.trace.on) m.trace.emit("WdfCallbackReturned", { driver: g.name, callback: role, routine: name });
  if (held !== null) held.release(t);
  // Queues the callback asked to dispatch (a forward, a requeue) run now that it has returned.
  const fx = m.wdf;
  if (fx !== undefined && fx.deferred.size !== 0) {
    const list = fx.deferred.get(t);
    if (list && m.currentActivity()?.kind !== "event callback") {
      fx.deferred.delete(t);
      return runDeferred(t, list, value);
    }
  }
  return value;
}

function runDeferred<R>(t: KThread, list: { dispatch(t: KThread): unknown }[], value: R): MaybePromise<R> {
  for (let i = 0; i < list.length; i++) {
    const p = (list[i] as { dispatch(t: KThread): unknown }).dispatch(t);
    if (p instanceof Promise) return p.then(() => runDeferred(t, list.slice(i + 1), value));
  }
  return value;
}
