import { nextId } from "./context.js";
import type { KPROCESSOR_MODE } from "./irql.js";
import type { KThread } from "./thread.js";

/** What kind of APC: special kernel (runs at APC_LEVEL, even in a wait), normal kernel, or user. */
export type ApcKind = "special" | "normal" | "user";

/**
 * KAPC: a routine queued to run in one thread's context. Completion's second stage is a
 * special kernel APC; ReadFileEx completion routines are user APCs.
 */
export class KAPC {
  readonly id = nextId("dispatcher");
  Inserted = false;
  /** What the routine works on (the IRP, for completion's APC): NormalContext in wdm.h. */
  NormalContext: unknown = null;

  constructor(
    /** The target thread (reassigned when an IRP's embedded APC is reused). */
    public Thread: KThread,
    readonly kind: ApcKind,
    /** Runs in the target thread's context, given this APC. User APCs may be async (they run user code). */
    public routine: (apc: KAPC) => unknown,
    /** A name for traces ("IopCompleteRequest", "ReadFileEx completion"). */
    readonly routineName: string,
  ) {}

  get ApcMode(): KPROCESSOR_MODE {
    return this.kind === "user" ? 1 : 0;
  }

  get label(): string {
    return `apc#${this.id}`;
  }
}
