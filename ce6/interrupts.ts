/**
 * Interrupts as a CE driver sees them: a SYSINTR number the platform raises; InterruptInitialize
 * ties it to an event the driver's interrupt service thread (IST) waits on. After signalling,
 * the interrupt stays masked until the driver calls InterruptDone; a raise while masked is
 * remembered and delivered then (the line stays asserted).
 */
import type { EventObject } from "../kernel/sync-objects.js";
import type { Machine } from "../kernel/machine.js";

interface Registration {
  readonly event: EventObject;
  masked: boolean;
  pending: boolean;
}

/** The machine's SYSINTR table. */
export class CeInterrupts {
  private readonly table = new Map<number, Registration>();

  constructor(private readonly m: Machine) {}

  /** InterruptInitialize: false when the SYSINTR is already bound. */
  initialize(sysintr: number, event: EventObject): boolean {
    if (this.table.has(sysintr)) return false;
    this.table.set(sysintr, { event, masked: false, pending: false });
    return true;
  }

  /** InterruptDone: unmasks; a raise that came meanwhile is delivered now. */
  done(sysintr: number): void {
    const r = this.table.get(sysintr);
    if (!r) return;
    r.masked = false;
    if (r.pending) {
      r.pending = false;
      this.raise(sysintr);
    }
  }

  /** InterruptDisable: unbinds the SYSINTR. */
  disable(sysintr: number): void {
    this.table.delete(sysintr);
  }

  /** The hardware raises the interrupt: the bound event is signalled (false: nobody is bound). */
  raise(sysintr: number): boolean {
    const r = this.table.get(sysintr);
    if (!r) return false;
    if (r.masked) {
      r.pending = true;
      return true;
    }
    r.masked = true;
    this.m.signal(r.event.event);
    return true;
  }
}
