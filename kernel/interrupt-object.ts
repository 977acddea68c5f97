/**
 * Device interrupts: interrupt objects (KINTERRUPT) connected to a vector, the interrupt
 * controller that delivers a device's interrupt to them at device IRQL, and
 * KeSynchronizeExecution.
 *
 * A device (a hardware model) asserts its line; the controller runs the connected interrupt
 * service routines at once, on the current processor, in whatever thread context is current
 * (the idle context when no thread runs), at the interrupt's IRQL and holding its spin lock.
 * While the processor's IRQL is at or above the interrupt's, the interrupt stays pending and is
 * delivered when the IRQL drops below it (KeLowerIrql, releasing a spin lock, returning from
 * KeSynchronizeExecution or from another ISR). A latched (edge) interrupt asserted again while
 * pending is not counted twice. A line with nothing connected is masked: its device is told,
 * so it stops raising interrupts nobody would take.
 */
import { BugCheckCode } from "./bugcheck-codes.js";
import { currentMachine, nextId } from "./context.js";
import { DISPATCH_LEVEL, HIGH_LEVEL, KernelMode, PROFILE_LEVEL, type KIRQL } from "./irql.js";
import type { Machine } from "./machine.js";
import { KSPIN_LOCK } from "./spin-lock.js";
import type { KThread } from "./thread.js";
import { checkPointer, checkRoutine } from "./bad-pointer.js";

declare module "./trace.js" {
  interface TraceEventMap {
    /** IoConnectInterrupt connected the ISR `routine` to `vector` at device IRQL `irql`. */
    InterruptConnected: { interrupt: string; /** The interrupt vector. */ vector: number; irql: number; routine: string };
    /** IoDisconnectInterrupt disconnected the interrupt object from `vector`. */
    InterruptDisconnected: { interrupt: string; /** The interrupt vector. */ vector: number };
    /**
     * A device raised an interrupt on `vector`, and what became of it: an ISR claimed it
     * (serviced), it waits for the IRQL to drop (pending), no ISR claimed it, or it is masked.
     */
    DeviceInterrupt: { /** The interrupt vector. */ vector: number; /** The device that raised it. */ source: string; /** What became of it. */ outcome: "serviced" | "pending" | "unclaimed" | "masked" };
  }
}

/** KINTERRUPT_MODE. */
export const KINTERRUPT_MODE = { LevelSensitive: 0, Latched: 1 } as const;
export const { LevelSensitive, Latched } = KINTERRUPT_MODE;

/** INTERFACE_TYPE values HalGetInterruptVector takes (the emulator's HAL maps every bus alike). */
export const INTERFACE_TYPE = { Internal: 0, Isa: 1, Eisa: 2, PCIBus: 5 } as const;

/**
 * PKSERVICE_ROUTINE: an interrupt service routine. Runs at the interrupt's IRQL holding its spin
 * lock, in an arbitrary thread context; returns true when its device raised the interrupt. It is
 * synchronous: nothing at device IRQL may wait.
 */
export type KSERVICE_ROUTINE<C = unknown> = (Interrupt: KINTERRUPT<C>, ServiceContext: C) => boolean;

/** PKSYNCHRONIZE_ROUTINE: runs at the interrupt's SynchronizeIrql holding its spin lock. */
export type KSYNCHRONIZE_ROUTINE<C = unknown> = (SynchronizeContext: C) => boolean;

/** KINTERRUPT: an ISR connected to a vector (IoConnectInterrupt makes one). */
export class KINTERRUPT<C = unknown> {
  /** Stable id for traces. */
  readonly id = nextId("dispatcher");
  /** The spin lock the ISR and KeSynchronizeExecution hold: the caller's, or the interrupt's own. */
  readonly ActualLock: KSPIN_LOCK;
  /** Set while the interrupt is connected (IoConnectInterrupt until IoDisconnectInterrupt). */
  Connected = false;
  /** Times the ISR ran (for reports). */
  serviced = 0;
  constructor(
    /** The ISR. */
    readonly ServiceRoutine: KSERVICE_ROUTINE<C>,
    /** The context the ISR is called with. */
    readonly ServiceContext: C,
    SpinLock: KSPIN_LOCK | null,
    /** The interrupt vector (from HalGetInterruptVector). */
    readonly Vector: number,
    /** The device IRQL the ISR runs at. */
    readonly Irql: KIRQL,
    /** The IRQL KeSynchronizeExecution raises to (at least Irql). */
    readonly SynchronizeIrql: KIRQL,
    /** LevelSensitive or Latched. */
    readonly Mode: number,
    /** Whether other interrupt objects may share the vector. */
    readonly ShareVector: boolean,
    /** The driver that connected it (for bug-check reports). */
    readonly driver: string | null,
  ) {
    this.ActualLock = SpinLock ?? new KSPIN_LOCK(`interrupt#${this.id} spin lock`);
  }

  /** "interrupt#7 (vector 0x35)". */
  get label(): string {
    return `interrupt#${this.id} (vector 0x${this.Vector.toString(16)})`;
  }
}

/** A device on an interrupt line, told when the line is unmasked (something connects) or masked. */
export interface InterruptSource {
  readonly name: string;
  lineEnabled(enabled: boolean): void;
}

/** The IRQL the emulator's HAL gives a bus interrupt level (line): PROFILE_LEVEL - 1 - line. */
export function interruptIrqlForLevel(level: number): KIRQL {
  return Math.max(DISPATCH_LEVEL + 1, PROFILE_LEVEL - 1 - level);
}

/** The vector the emulator's HAL gives a bus interrupt level (line): 0x30 + line. */
export function interruptVectorForLevel(level: number): number {
  return 0x30 + level;
}

/**
 * HalGetInterruptVector: the system vector, device IRQL and processor affinity for a bus
 * interrupt level. The emulator's HAL (one processor, one controller) maps line L to vector
 * 0x30 + L at IRQL PROFILE_LEVEL - 1 - L, whatever the bus: a model, not a real HAL's table.
 */
export function HalGetInterruptVector(
  _InterfaceType: number,
  _BusNumber: number,
  BusInterruptLevel: number,
  _BusInterruptVector: number,
): { /** The system interrupt vector for the bus interrupt. */ vector: number; /** The device IRQL of that vector. */ Irql: KIRQL; /** The processors the interrupt may be delivered to. */ Affinity: number } {
  currentMachine("HalGetInterruptVector").kernelCall("HalGetInterruptVector");
  if (!Number.isInteger(BusInterruptLevel) || BusInterruptLevel < 0 || BusInterruptLevel > 23) return { vector: 0, Irql: 0, Affinity: 0 };
  return { vector: interruptVectorForLevel(BusInterruptLevel), Irql: interruptIrqlForLevel(BusInterruptLevel), Affinity: 1 };
}

/** The machine's interrupt controller (one processor). */
export class InterruptController {
  private readonly lines = new Map<number, KINTERRUPT[]>();
  private readonly sources = new Map<number, InterruptSource[]>();
  /** Vectors asserted while masked by the IRQL, oldest first. */
  private readonly pending: number[] = [];
  /** Interrupts asserted with nothing connected, or while their line was masked. */
  unclaimed = 0;

  constructor(private readonly m: Machine) {}

  /** Interrupts waiting for the IRQL to drop. */
  get pendingCount(): number {
    return this.pending.length;
  }

  /** The interrupt objects connected to a vector. */
  connectedTo(vector: number): readonly KINTERRUPT[] {
    return this.lines.get(vector) ?? [];
  }

  /** Attaches a device to a line; it is told the line's state at once. */
  attachSource(vector: number, source: InterruptSource): void {
    const list = this.sources.get(vector) ?? [];
    list.push(source);
    this.sources.set(vector, list);
    source.lineEnabled(this.connectedTo(vector).length > 0);
  }

  /** Detaches a device from its line. */
  detachSource(vector: number, source: InterruptSource): void {
    const list = this.sources.get(vector);
    if (!list) return;
    const k = list.indexOf(source);
    if (k >= 0) list.splice(k, 1);
  }

  /**
   * KeConnectInterrupt: false when the vector is taken by an interrupt that does not share, or
   * this one does not share and the vector is in use, or the IRQLs differ from those already there.
   */
  connect<C>(interrupt: KINTERRUPT<C>): boolean {
    // The lines hold interrupts of any context type; each ISR gets back its own context.
    const k = interrupt as unknown as KINTERRUPT;
    const list = this.lines.get(k.Vector) ?? [];
    if (list.length > 0) {
      const first = list[0] as KINTERRUPT;
      if (!k.ShareVector || !first.ShareVector || first.Irql !== k.Irql || first.Mode !== k.Mode) return false;
    }
    list.push(k);
    this.lines.set(k.Vector, list);
    k.Connected = true;
    if (this.m.trace.on) this.m.trace.emit("InterruptConnected", { interrupt: k.label, vector: k.Vector, irql: k.Irql, routine: k.ServiceRoutine.name || "?" });
    if (list.length === 1) for (const s of this.sources.get(k.Vector) ?? []) s.lineEnabled(true);
    return true;
  }

  /** KeDisconnectInterrupt: the last object on a vector masks the line (and drops what is pending on it). */
  disconnect<C>(interrupt: KINTERRUPT<C>): void {
    const k = interrupt as unknown as KINTERRUPT;
    const list = this.lines.get(k.Vector);
    const i = list ? list.indexOf(k) : -1;
    if (!list || i < 0) return;
    list.splice(i, 1);
    k.Connected = false;
    if (this.m.trace.on) this.m.trace.emit("InterruptDisconnected", { interrupt: k.label, vector: k.Vector });
    if (list.length === 0) {
      this.lines.delete(k.Vector);
      for (let p = this.pending.indexOf(k.Vector); p >= 0; p = this.pending.indexOf(k.Vector)) this.pending.splice(p, 1);
      for (const s of this.sources.get(k.Vector) ?? []) s.lineEnabled(false);
    }
  }

  /**
   * A device asserts its line. The connected ISRs run now, in the current context (the idle
   * context when no thread runs), unless the IRQL masks them: then the interrupt waits.
   */
  assert(vector: number, source: string): void {
    const m = this.m;
    if (m.halted) return;
    const list = this.lines.get(vector);
    if (!list || list.length === 0) {
      this.unclaimed++;
      if (m.trace.on) m.trace.emit("DeviceInterrupt", { vector, source, outcome: "masked" });
      return;
    }
    const idle = m.runningThread() === null;
    if (idle) m.setCurrent(m.idleThread);
    try {
      const t = m.currentThread();
      if (t.irql >= this.irqlOf(list)) {
        if (!this.pending.includes(vector)) this.pending.push(vector);
        if (m.trace.on) m.trace.emit("DeviceInterrupt", { vector, source, outcome: "pending" });
        return;
      }
      this.dispatch(t, vector, list, source);
    } finally {
      if (idle) m.setCurrent(null);
    }
  }

  /** Delivers pending interrupts the current IRQL no longer masks, highest IRQL first. */
  deliverPending(t: KThread): void {
    while (this.pending.length > 0 && !this.m.halted) {
      let best = -1;
      let bestIrql = t.irql;
      for (let i = 0; i < this.pending.length; i++) {
        const irql = this.irqlOf(this.lines.get(this.pending[i] as number) ?? []);
        if (irql > bestIrql) {
          best = i;
          bestIrql = irql;
        }
      }
      if (best < 0) return;
      const [vector] = this.pending.splice(best, 1);
      const list = this.lines.get(vector as number);
      if (list && list.length > 0) this.dispatch(t, vector as number, list, "pending");
    }
  }

  private irqlOf(list: readonly KINTERRUPT[]): KIRQL {
    let irql = 0;
    for (const k of list) irql = Math.max(irql, k.Irql);
    return irql;
  }

  /** Runs the ISRs of a vector at its IRQL until one claims the interrupt. */
  private dispatch(t: KThread, vector: number, list: readonly KINTERRUPT[], source: string): void {
    const m = this.m;
    const irql = this.irqlOf(list);
    // An interrupt enters the kernel whatever the processor was running (app code included).
    const mode = t.mode;
    if (mode !== KernelMode) {
      t.mode = KernelMode;
      m.mmu.gen++;
    }
    const old = m.interrupts.raise(t, irql);
    let claimed = false;
    // A copy: an ISR may not disconnect, but a bug in one must not corrupt the walk.
    for (const k of [...list]) {
      if (!k.Connected || m.halted) continue;
      const routine = k.ServiceRoutine;
      const token = m.enterActivity("ISR", routine.name || k.label, k.driver);
      const locks = t.heldLocks.length;
      m.interrupts.acquireSpinLock(k.ActualLock, false);
      let r: unknown;
      try {
        const call = routine as (...args: unknown[]) => unknown;
        r = call(k, k.ServiceContext);
      } catch (e) {
        m.leaveActivity(token);
        m.unhandledKernelException(e, `interrupt service routine ${routine.name || k.label}`);
      }
      if (r instanceof Promise) {
        m.bugCheck(BugCheckCode.IRQL_NOT_LESS_OR_EQUAL, 0, irql, 0, 0, { detail: `interrupt service routine ${routine.name} is async: ISRs run at device IRQL ${irql} and must not wait` });
      }
      if (k.ActualLock.owner === t) m.interrupts.releaseSpinLock(k.ActualLock, null);
      m.leaveActivity(token);
      if (t.irql !== irql || t.heldLocks.length !== locks) {
        m.bugCheck(BugCheckCode.IRQL_UNEXPECTED_VALUE, t.irql, irql, 0, 0, {
          detail: `interrupt service routine ${routine.name} returned at IRQL ${t.irql}${t.heldLocks.length !== locks ? " holding a spin lock it acquired" : ""} (it was called at ${irql})`,
        });
      }
      k.serviced++;
      if (r === true) {
        claimed = true;
        break;
      }
    }
    if (!claimed) this.unclaimed++;
    if (m.trace.on) m.trace.emit("DeviceInterrupt", { vector, source, outcome: claimed ? "serviced" : "unclaimed" });
    // Lowering back delivers what arrived meanwhile, then the DPCs the ISRs queued.
    m.interrupts.lower(t, old);
    if (mode !== KernelMode) {
      t.mode = mode;
      m.mmu.gen++;
    }
  }
}

const controllers = new WeakMap<Machine, InterruptController>();

/** The machine's interrupt controller if anything has used one, without creating it (for inspection). */
export function existingInterruptController(m: Machine): InterruptController | null {
  return controllers.get(m) ?? null;
}

/** The machine's interrupt controller, created (and hooked into IRQL lowering) on first use. */
export function interruptController(m: Machine): InterruptController {
  let c = controllers.get(m);
  if (!c) {
    c = new InterruptController(m);
    controllers.set(m, c);
    m.interrupts.deviceInterrupts = c;
  }
  return c;
}

/**
 * KeSynchronizeExecution: runs `SynchronizeRoutine(SynchronizeContext)` at the interrupt's
 * SynchronizeIrql holding its spin lock, so it cannot run while the ISR does; returns what the
 * routine returns. Called above SynchronizeIrql it is IRQL_NOT_GREATER_OR_EQUAL. An interrupt
 * that arrives meanwhile is delivered when it returns.
 */
export function KeSynchronizeExecution<C, S = unknown>(Interrupt: KINTERRUPT<S>, SynchronizeRoutine: KSYNCHRONIZE_ROUTINE<C>, SynchronizeContext: C): boolean {
  const t = currentMachine("KeSynchronizeExecution").kernelCall("KeSynchronizeExecution");
  checkPointer("KeSynchronizeExecution", "Interrupt", Interrupt, KINTERRUPT, "a KINTERRUPT");
  checkRoutine("KeSynchronizeExecution", "SynchronizeRoutine", SynchronizeRoutine);
  const m = t.machine;
  if (!Number.isInteger(Interrupt.SynchronizeIrql) || Interrupt.SynchronizeIrql > HIGH_LEVEL) {
    m.bugCheck(BugCheckCode.IRQL_NOT_GREATER_OR_EQUAL, t.irql, Interrupt.SynchronizeIrql, 0, 0, { detail: `KeSynchronizeExecution with SynchronizeIrql ${Interrupt.SynchronizeIrql}` });
  }
  const old = m.interrupts.raise(t, Interrupt.SynchronizeIrql);
  m.interrupts.acquireSpinLock(Interrupt.ActualLock, false);
  let r: unknown;
  try {
    const call = SynchronizeRoutine as (context: unknown) => unknown;
    r = call(SynchronizeContext);
    if (r instanceof Promise) {
      m.bugCheck(BugCheckCode.IRQL_NOT_LESS_OR_EQUAL, 0, Interrupt.SynchronizeIrql, 0, 0, { detail: `synchronize routine ${SynchronizeRoutine.name} is async: it runs at IRQL ${Interrupt.SynchronizeIrql} and must not wait` });
    }
  } finally {
    if (!m.halted) {
      if (Interrupt.ActualLock.owner === t) m.interrupts.releaseSpinLock(Interrupt.ActualLock, null);
      m.interrupts.lower(t, old);
    }
  }
  return r === true;
}
