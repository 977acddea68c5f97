/**
 * The WDK's checking macros and DriverEntry's runtime setup: PAGED_CODE, ASSERT / NT_ASSERT and
 * their message forms, NT_VERIFY, and ExInitializeDriverRuntime.
 *
 * irpsim's drivers are checked (DBG) builds, so assertions are live. A failed assertion stops the
 * machine at its line, as a kernel debugger would stop there: NT_ASSERT raises
 * STATUS_ASSERTION_FAILURE, which with no debugger attached is bug check
 * KMODE_EXCEPTION_NOT_HANDLED (0x1E) with that status as parameter 1 — what Windows does — and the
 * report names the driver's source line and the assertion's text. ASSERT behaves the same here (on
 * Windows a checked build's RtlAssert prompts in the debugger; stopping is what an engineer
 * running tests expects).
 */
import { BugCheckCode } from "./bugcheck-codes.js";
import { currentMachine } from "./context.js";
import { APC_LEVEL } from "./irql.js";
import { STATUS_ASSERTION_FAILURE } from "./status.js";

function assertionFailed(api: string, text: string | undefined, message: string | undefined): never {
  const m = currentMachine(api);
  const what = [message, text].filter((x) => x !== undefined && x !== "").join(": ");
  return m.bugCheck(BugCheckCode.KMODE_EXCEPTION_NOT_HANDLED, STATUS_ASSERTION_FAILURE, 0, 0, 0, {
    detail: `${api} failed${what ? ` (${what})` : ""}: STATUS_ASSERTION_FAILURE, which with no kernel debugger attached is this bug check. A debugger would have stopped at this line.`,
  });
}

/** ASSERT(Expression): a failed assertion stops the machine at its line (see the module comment). `Text` stands for C's stringized expression. */
export function ASSERT(Expression: unknown, Text?: string): void {
  if (!Expression) assertionFailed("ASSERT", Text, undefined);
}

/** NT_ASSERT(Expression): raises STATUS_ASSERTION_FAILURE when false — bug check 0x1E with no debugger. */
export function NT_ASSERT(Expression: unknown, Text?: string): void {
  if (!Expression) assertionFailed("NT_ASSERT", Text, undefined);
}

/** ASSERTMSG(Message, Expression). */
export function ASSERTMSG(Message: string, Expression: unknown): void {
  if (!Expression) assertionFailed("ASSERTMSG", undefined, Message);
}

/** NT_ASSERTMSG(Message, Expression). */
export function NT_ASSERTMSG(Message: string, Expression: unknown): void {
  if (!Expression) assertionFailed("NT_ASSERTMSG", undefined, Message);
}

/** NT_VERIFY(Expression): evaluated in every build, asserted in checked ones; returns the expression. */
export function NT_VERIFY<T>(Expression: T, Text?: string): T {
  if (!Expression) assertionFailed("NT_VERIFY", Text, undefined);
  return Expression;
}

/**
 * PAGED_CODE(): marks code that may be paged out, so must not run above APC_LEVEL. Under the
 * verifier, running it at DISPATCH_LEVEL or above is a finding (PagedCodeAtRaisedIrql) at the
 * caller's line; with no verifier it checks nothing (the pageable code happens to be resident).
 */
export function PAGED_CODE(): void {
  const m = currentMachine("PAGED_CODE");
  const t = m.currentThread("PAGED_CODE");
  if (t.irql > APC_LEVEL && m.kernelHooks.length !== 0) for (const h of m.kernelHooks) h.pagedCodeAtRaisedIrql?.(t, t.irql);
}

/** DrvRtPoolNxOptIn: nonpaged pool defaults to no-execute for this driver. */
export const DrvRtPoolNxOptIn = 0x00000001;

/**
 * ExInitializeDriverRuntime(RuntimeFlags): called from DriverEntry to opt in to runtime behaviour.
 * DrvRtPoolNxOptIn makes NonPagedPool mean NonPagedPoolNx for the driver; irpsim's memory has no
 * execute permission, so the two pools are one and the call changes nothing else.
 */
export function ExInitializeDriverRuntime(_RuntimeFlags: number): void {
  currentMachine("ExInitializeDriverRuntime").kernelCall("ExInitializeDriverRuntime");
}
