import { nextId } from "./context.js";

/** KDPC_IMPORTANCE (wdm.h). */
export const KDPC_IMPORTANCE = { LowImportance: 0, MediumImportance: 1, HighImportance: 2, MediumHighImportance: 3 } as const;
export const { LowImportance, MediumImportance, HighImportance, MediumHighImportance } = KDPC_IMPORTANCE;

/** PKDEFERRED_ROUTINE: runs at DISPATCH_LEVEL in whatever thread is current; must not wait. */
export type KDEFERRED_ROUTINE<C = unknown> = (Dpc: KDPC<C>, DeferredContext: C, SystemArgument1: unknown, SystemArgument2: unknown) => void;

/** KDPC. Initialise with KeInitializeDpc. */
export class KDPC<C = unknown> {
  /** The routine the DPC runs at DISPATCH_LEVEL (KeInitializeDpc). */
  DeferredRoutine: KDEFERRED_ROUTINE<C> | null = null;
  /** The context passed to the routine. */
  DeferredContext: C | undefined = undefined;
  /** The first argument KeInsertQueueDpc passed (a timer's DPC gets the expiry time's low part). */
  SystemArgument1: unknown = undefined;
  /** The second argument KeInsertQueueDpc passed. */
  SystemArgument2: unknown = undefined;
  /** True while queued. */
  Inserted = false;
  /** The driver whose code initialised it (KeInitializeDpc), so its routine is attributed to that driver. */
  owner: string | null = null;
  /** KDPC.Importance (KeSetImportanceDpc): HighImportance DPCs are queued at the head. */
  Importance: number = MediumImportance;
  /** KDPC.Number (KeSetTargetProcessorDpc): the processor the driver asked for. */
  Number = 0;
  private name: string | undefined;
  /** A name for traces, numbered when first needed. */
  get label(): string {
    this.name ??= `dpc#${nextId("dispatcher")}`;
    return this.name;
  }
  /** Names the DPC in traces. */
  set label(value: string) {
    this.name = value;
  }
}
