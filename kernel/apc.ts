import { nextId } from "./context.js";
import { KernelMode, UserMode, type KPROCESSOR_MODE } from "./irql.js";
import type { KThread } from "./thread.js";

/** What kind of APC: special kernel (runs at APC_LEVEL, even in a wait), normal kernel, or user. */
export type ApcKind = "special" | "normal" | "user";

/** An in/out parameter of an APC's kernel routine (C passes a pointer the routine may write through). */
export interface InOut<T> {
  /** The value, read and written by the callee. */
  value: T;
}

/**
 * PKNORMAL_ROUTINE: the normal routine of a normal kernel APC (PASSIVE_LEVEL, may wait) or of a
 * user APC (user mode, in an alertable wait).
 */
export type KNORMAL_ROUTINE = (NormalContext: unknown, SystemArgument1: unknown, SystemArgument2: unknown) => unknown;

/**
 * PKKERNEL_ROUTINE: runs first, at APC_LEVEL in kernel mode. Through its in/out parameters it may
 * change the normal routine and its arguments, or set the routine to null so none runs.
 */
export type KKERNEL_ROUTINE = (
  Apc: KAPC,
  NormalRoutine: InOut<KNORMAL_ROUTINE | null>,
  NormalContext: InOut<unknown>,
  SystemArgument1: InOut<unknown>,
  SystemArgument2: InOut<unknown>,
) => void;

/** PKRUNDOWN_ROUTINE: runs instead of the APC when its thread exits before delivering it. */
export type KRUNDOWN_ROUTINE = (Apc: KAPC) => void;

/** KAPC_ENVIRONMENT (the emulator keeps one APC state per thread: see KeInitializeApc). */
export const KAPC_ENVIRONMENT = { OriginalApcEnvironment: 0, AttachedApcEnvironment: 1, CurrentApcEnvironment: 2, InsertApcEnvironment: 3 } as const;
export const { OriginalApcEnvironment, AttachedApcEnvironment, CurrentApcEnvironment, InsertApcEnvironment } = KAPC_ENVIRONMENT;

/**
 * KAPC: a routine queued to run in one thread's context, initialised as KeInitializeApc does.
 * A kernel-mode APC without a normal routine is a special kernel APC (completion's second stage
 * is one); with a normal routine it is a normal kernel APC; a user-mode APC (ReadFileEx
 * completion routines, QueueUserAPC) runs its normal routine in user mode during an alertable
 * wait. Initialise with KeInitializeApc before KeInsertQueueApc.
 */
export class KAPC {
  /** Stable id for traces. */
  readonly id = nextId("dispatcher");
  /** Set while the APC is in its thread's queue. */
  Inserted = false;
  /** The target thread (null until KeInitializeApc). */
  Thread: KThread | null = null;
  /**
   * Which APC environment the APC was initialised for (OriginalApcEnvironment,
   * AttachedApcEnvironment…).
   */
  ApcStateIndex: number = OriginalApcEnvironment;
  /**
   * The routine that runs at APC_LEVEL when the APC is delivered (it may cancel the normal
   * routine).
   */
  KernelRoutine: KKERNEL_ROUTINE | null = null;
  /** The routine that runs instead when the APC is discarded because its thread exits. */
  RundownRoutine: KRUNDOWN_ROUTINE | null = null;
  /**
   * The routine that runs at PASSIVE_LEVEL after the kernel routine (null for a special kernel
   * APC).
   */
  NormalRoutine: KNORMAL_ROUTINE | null = null;
  /** KernelMode or UserMode: a user APC runs only when its thread waits alertably. */
  ApcMode: KPROCESSOR_MODE = KernelMode;
  /** The context passed to the normal routine. */
  NormalContext: unknown = null;
  /** The first argument KeInsertQueueApc passed to the routines. */
  SystemArgument1: unknown = null;
  /** The second argument KeInsertQueueApc passed to the routines. */
  SystemArgument2: unknown = null;
  /** A name for traces ("IopCompleteRequest", "ReadFileEx completion"). */
  routineName = "";
  /**
   * The structure the APC is embedded in, when it is (the IRP, for Irp->Tail.Apc): what
   * CONTAINING_RECORD recovers in C, so one kernel routine serves every IRP.
   */
  container: unknown = null;

  /** Special kernel, normal kernel or user, from the mode and the normal routine (KeInitializeApc's rule). */
  get kind(): ApcKind {
    if (this.ApcMode === UserMode) return "user";
    return this.NormalRoutine === null ? "special" : "normal";
  }

  /** A name for traces ("apc#4"). */
  get label(): string {
    return `apc#${this.id}`;
  }
}

/**
 * KeInitializeApc's work: fills the APC. A user-mode APC must have a normal routine; a
 * kernel-mode APC without one is special.
 */
export function initializeApc(
  apc: KAPC,
  thread: KThread,
  environment: number,
  kernelRoutine: KKERNEL_ROUTINE,
  rundownRoutine: KRUNDOWN_ROUTINE | null,
  normalRoutine: KNORMAL_ROUTINE | null,
  mode: KPROCESSOR_MODE,
  normalContext: unknown,
  name?: string,
): void {
  apc.Thread = thread;
  apc.ApcStateIndex = environment;
  apc.KernelRoutine = kernelRoutine;
  apc.RundownRoutine = rundownRoutine;
  apc.NormalRoutine = normalRoutine;
  // NT: an APC without a normal routine is always a kernel-mode (special) APC.
  apc.ApcMode = normalRoutine ? mode : KernelMode;
  apc.NormalContext = normalRoutine ? normalContext : null;
  apc.Inserted = false;
  apc.routineName = name ?? (normalRoutine?.name || kernelRoutine.name || "(anonymous)");
}
