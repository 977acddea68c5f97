/**
 * Thread migration, CE's process model for calls (Learn "Process ID Functions", "Drivers and
 * Process Address Spaces"): a thread that calls an API served elsewhere keeps its owner
 * process, changes its *active* process to the server's (nk.exe for the kernel and every
 * kernel-mode driver, udevice.exe for a user-mode driver) and keeps the caller's address space
 * active — except in a user-mode server, whose own VM becomes active. A stack of call frames on
 * the thread records who called whom, which is what GetCurrentProcessId,
 * GetDirectCallerProcessId, GetCallerVMProcessId and GetOwnerProcess report.
 */
import { KernelMode, UserMode, type KPROCESSOR_MODE } from "../kernel/irql.js";
import type { KProcess } from "../kernel/process.js";
import type { KThread } from "../kernel/thread.js";
import type { CeDevice } from "./stream-interface.js";

/** One call the thread is inside. */
export interface CeCallFrame {
  /** The process the thread runs in during the call (its active process). */
  readonly active: KProcess;
  /** The process that made the call (the active process before it, or the app a reflector serves). */
  readonly caller: KProcess;
  /** The address space that was active when the call was made (the caller's buffers live there). */
  readonly callerVm: KProcess;
  /** True when the call came from user mode (its pointers must be checked against the caller). */
  readonly fromUserMode: boolean;
  /** What was called ("DeviceIoControl", "SMD_IOControl"). */
  readonly api: string;
}

const FRAMES = "ce.frames";
const DRIVER = "ce.userDriver";

/** The thread's call frames, innermost last. */
export function callFrames(t: KThread): CeCallFrame[] {
  let f = t.slots.get(FRAMES) as CeCallFrame[] | undefined;
  if (!f) {
    f = [];
    t.slots.set(FRAMES, f);
  }
  return f;
}

/** The innermost call frame, or undefined when the thread runs in its own process. */
export function currentFrame(t: KThread): CeCallFrame | undefined {
  const f = t.slots.get(FRAMES) as CeCallFrame[] | undefined;
  return f && f.length > 0 ? f[f.length - 1] : undefined;
}

/** The process the thread runs in now: the innermost call's server, else its owner. */
export function activeProcess(t: KThread): KProcess {
  return currentFrame(t)?.active ?? t.process;
}

/** The process whose address space is active (GetCallerVMProcessId's answer). */
export function vmProcess(t: KThread): KProcess {
  return t.currentProcess;
}

/** The direct caller of the innermost call, or null when the thread is in no call. */
export function directCaller(t: KThread): KProcess | null {
  return currentFrame(t)?.caller ?? null;
}

/** Saved state of a migration into a user-mode server, to undo it. */
export interface SavedState {
  readonly attached: KProcess | null;
  readonly mode: KPROCESSOR_MODE;
  readonly previousMode: KPROCESSOR_MODE;
}

/** Pushes a call frame: from now on the thread's active process is `active`. */
export function pushFrame(t: KThread, active: KProcess, api: string, fromUserMode: boolean, caller: KProcess = activeProcess(t), callerVm: KProcess = t.currentProcess): void {
  callFrames(t).push({ active, caller, callerVm, fromUserMode, api });
}

/** Pops the innermost call frame. */
export function popFrame(t: KThread): void {
  callFrames(t).pop();
}

/**
 * Migrates the thread into a user-mode server (udevice.exe): its VM and active process become
 * the server's and it runs in user mode. Returns what {@link leaveUserServer} needs.
 */
export function enterUserServer(t: KThread, server: KProcess, api: string, caller: KProcess, fromUserMode: boolean): SavedState {
  const saved: SavedState = { attached: t.attachedProcess, mode: t.mode, previousMode: t.previousMode };
  pushFrame(t, server, api, fromUserMode, caller, t.currentProcess);
  t.attachedProcess = server === t.process ? null : server;
  t.mode = UserMode;
  t.previousMode = UserMode;
  t.machine.mmu.gen++;
  return saved;
}

/** Returns from a user-mode server to the kernel code that called it. */
export function leaveUserServer(t: KThread, saved: SavedState): void {
  popFrame(t);
  t.attachedProcess = saved.attached;
  t.mode = saved.mode === UserMode ? UserMode : KernelMode;
  t.previousMode = saved.previousMode;
  t.machine.mmu.gen++;
}

/** The user-mode driver whose code the thread runs (in udevice.exe), if any. */
export function currentUserDriver(t: KThread): CeDevice | undefined {
  return t.slots.get(DRIVER) as CeDevice | undefined;
}

/** Records (or clears) the user-mode driver whose code the thread runs; returns the previous one. */
export function setCurrentUserDriver(t: KThread, driver: CeDevice | undefined): CeDevice | undefined {
  const prev = t.slots.get(DRIVER) as CeDevice | undefined;
  if (driver === undefined) t.slots.delete(DRIVER);
  else t.slots.set(DRIVER, driver);
  return prev;
}
