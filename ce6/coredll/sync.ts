/**
 * Events, waits, Sleep and CloseHandle for CE code — apps and drivers alike. Named events live
 * in CE's one global namespace. Waits in kernel-mode code are kernel-mode waits (a terminating
 * app's thread inside a driver finishes the driver's code first); an app's waits are user-mode
 * waits, which termination interrupts.
 */
import { KEVENT, NotificationEvent } from "../../kernel/dispatcher.js";
import { KernelMode, UserMode } from "../../kernel/irql.js";
import { STATUS_TIMEOUT, STATUS_USER_APC, STATUS_WAIT_0 } from "../../kernel/status.js";
import { EVENT_ALL_ACCESS, EventObject } from "../../kernel/sync-objects.js";
import { ceCall, fail, kernelServiceAsync, traceEnter, traceReturn } from "../ce-call.js";
import { activeProcess } from "../ce-thread.js";
import { ERROR_ALREADY_EXISTS, ERROR_INVALID_HANDLE, INFINITE, WAIT_FAILED, WAIT_OBJECT_0, WAIT_TIMEOUT } from "../constants.js";

/** CreateEvent: a manual- or auto-reset event; a name opens the existing event of that name (ERROR_ALREADY_EXISTS). */
export function CreateEvent(_lpEventAttributes: null, bManualReset: boolean, bInitialState: boolean, lpName: string | null = null): number {
  const { t, m, ce } = ceCall("CreateEvent");
  const owner = activeProcess(t);
  if (lpName) {
    const existing = ce.namedObjects.find(lpName);
    if (existing) {
      if (!(existing instanceof EventObject)) return fail(t, ERROR_INVALID_HANDLE, 0);
      const h = m.ob.insertHandle(owner, existing, EVENT_ALL_ACCESS);
      t.lastError = ERROR_ALREADY_EXISTS;
      return h;
    }
  }
  const e = new EventObject(bManualReset, bInitialState, lpName);
  if (lpName) ce.namedObjects.add(lpName, e);
  t.lastError = 0;
  return m.ob.insertHandle(owner, e, EVENT_ALL_ACCESS);
}

function eventOf(api: string, hEvent: number): { ok: true; e: EventObject } | { ok: false } {
  const { t } = ceCall(api);
  const entry = activeProcess(t).handleTable.lookup(hEvent);
  if (!entry || !(entry.object instanceof EventObject)) {
    t.lastError = ERROR_INVALID_HANDLE;
    return { ok: false };
  }
  return { ok: true, e: entry.object };
}

/** SetEvent. */
export function SetEvent(hEvent: number): boolean {
  const r = eventOf("SetEvent", hEvent);
  if (!r.ok) return false;
  ceCall("SetEvent").m.signal(r.e.event);
  return true;
}

/** ResetEvent. */
export function ResetEvent(hEvent: number): boolean {
  const r = eventOf("ResetEvent", hEvent);
  if (!r.ok) return false;
  r.e.event.SignalState = 0;
  return true;
}

function toTimeout(ms: number): number | null {
  return ms >>> 0 === INFINITE ? null : Math.max(0, ms) * 10_000;
}

/** WaitForSingleObject: WAIT_OBJECT_0, WAIT_TIMEOUT or WAIT_FAILED (ERROR_INVALID_HANDLE). */
export async function WaitForSingleObject(hHandle: number, dwMilliseconds: number): Promise<number> {
  const c = ceCall("WaitForSingleObject");
  const { t, m } = c;
  const entry = activeProcess(t).handleTable.lookup(hHandle);
  const header = entry?.object.waitable();
  if (!entry || !header) return fail(t, ERROR_INVALID_HANDLE, WAIT_FAILED);
  const mode = c.user ? UserMode : KernelMode;
  m.ob.reference(entry.object);
  try {
    return await kernelServiceAsync(c, async () => {
      const status = await m.waits.waitFor([header], { waitAll: false, mode, alertable: false, timeout: toTimeout(dwMilliseconds), reason: `WaitForSingleObject in ${t.label}` });
      if (status === STATUS_WAIT_0) return WAIT_OBJECT_0;
      if (status === STATUS_TIMEOUT) return WAIT_TIMEOUT;
      // A terminating thread's user-mode wait ends here; it exits on its way back to user mode.
      if (status === STATUS_USER_APC) return WAIT_FAILED;
      return fail(t, ERROR_INVALID_HANDLE, WAIT_FAILED);
    });
  } finally {
    m.ob.dereference(entry.object);
  }
}

/** Sleep: suspends the thread for `dwMilliseconds` of virtual time. */
export async function Sleep(dwMilliseconds: number): Promise<void> {
  const c = ceCall("Sleep");
  const { t, m } = c;
  const mode = c.user ? UserMode : KernelMode;
  await kernelServiceAsync(c, async () => {
    await m.waits.waitFor([new KEVENT(NotificationEvent, false, "Sleep")], { waitAll: false, mode, alertable: false, timeout: toTimeout(dwMilliseconds), reason: `Sleep(${dwMilliseconds}) in ${t.label}` });
  });
}

/**
 * CloseHandle: closes a handle of the active process. Closing the last handle of a stream
 * device runs XXX_PreClose and XXX_Close on this thread, so this may wait for a driver.
 */
export async function CloseHandle(hObject: number): Promise<boolean> {
  const c = ceCall("CloseHandle");
  const { t, m } = c;
  traceEnter(c, "CloseHandle", () => `handle ${hObject}`);
  const owner = activeProcess(t);
  const ok = await kernelServiceAsync(c, async () => (await m.ob.closeHandle(owner, hObject)) === 0);
  if (!ok) t.lastError = ERROR_INVALID_HANDLE;
  traceReturn(c, "CloseHandle", ok ? "TRUE" : "FALSE", !ok);
  return ok;
}
