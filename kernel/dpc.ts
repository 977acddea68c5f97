import { nextId } from "./context.js";

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
