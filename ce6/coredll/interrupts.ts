/**
 * InterruptInitialize / InterruptDone / InterruptDisable (kernel mode; a user-mode driver would
 * go through the reflector, which the emulator does not model for interrupts: it fails there
 * with ERROR_NOT_SUPPORTED).
 */
import { EventObject } from "../../kernel/sync-objects.js";
import { ceCall, fail } from "../ce-call.js";
import { activeProcess } from "../ce-thread.js";
import { ERROR_INVALID_HANDLE, ERROR_INVALID_PARAMETER, ERROR_NOT_SUPPORTED } from "../constants.js";

/** InterruptInitialize(idInt, hEvent, pvData, cbData): binds the SYSINTR to the event. */
export function InterruptInitialize(idInt: number, hEvent: number, _pvData: number, _cbData: number): boolean {
  const c = ceCall("InterruptInitialize");
  const { t, ce } = c;
  if (c.user) return fail(t, ERROR_NOT_SUPPORTED, false);
  const entry = activeProcess(t).handleTable.lookup(hEvent);
  if (!entry || !(entry.object instanceof EventObject)) return fail(t, ERROR_INVALID_HANDLE, false);
  return ce.interrupts.initialize(idInt >>> 0, entry.object) ? true : fail(t, ERROR_INVALID_PARAMETER, false);
}

/** InterruptDone: the IST has handled the interrupt; it may be delivered again. */
export function InterruptDone(idInt: number): void {
  const c = ceCall("InterruptDone");
  if (!c.user) c.ce.interrupts.done(idInt >>> 0);
}

/** InterruptDisable: unbinds the SYSINTR. */
export function InterruptDisable(idInt: number): void {
  const c = ceCall("InterruptDisable");
  if (!c.user) c.ce.interrupts.disable(idInt >>> 0);
}
