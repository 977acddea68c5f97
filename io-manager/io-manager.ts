/**
 * The I/O manager's per-machine state: the object namespace (\Device, \??), loaded drivers, the
 * cancel spin lock, IRP lookaside lists and the live IRPs and MDLs (for leak checks).
 */
import { LiveSet } from "../kernel/live-set.js";
import { KSPIN_LOCK } from "../kernel/spin-lock.js";
import type { Machine } from "../kernel/machine.js";
import { KernelObject } from "../kernel/objects.js";
import type { DEVICE_OBJECT } from "./device-object.js";
import type { DRIVER_OBJECT } from "./driver-object.js";
import type { IRP } from "./irp.js";
import type { MDL } from "./mdl.js";
import type { ForcePendingDecider, IoHooks, IrpWatch } from "./hooks.js";
import { cancelThreadIo } from "./cancel-io.js";

declare module "../kernel/machine.js" {
  interface Machine {
    /** The I/O manager, created the first time anything needs it. */
    io?: IoManager;
  }
}

/** A symbolic link object in the namespace (\??\Sharebuf -> \Device\Sharebuf). */
export class SymbolicLink extends KernelObject {
  readonly objectType = "SymbolicLink";
  constructor(
    name: string,
    readonly target: string,
  ) {
    super();
    this.objectName = name;
  }
}

/** A named object the namespace holds. */
export type NamedObject = DEVICE_OBJECT | SymbolicLink | DRIVER_OBJECT;

/** Lookaside lists keep IRPs up to this many stack locations. */
const LOOKASIDE_MAX_STACK = 8;
const LOOKASIDE_DEPTH = 256;

/** Decides whether an allocation at `site` fails (the verifier's fault injection). */
export type FaultInjector = (site: string) => boolean;

/**
 * Decides whether a driver's IoCallDriver of `irp` to `device` returns STATUS_PENDING whatever
 * the lower driver does (Driver Verifier's "Force Pending I/O Requests").
 */
export type ForcePendingInjector = (irp: IRP, device: DEVICE_OBJECT) => boolean;

/** The I/O manager of one machine. */
export class IoManager {
  readonly drivers = new Map<string, DRIVER_OBJECT>();
  private readonly names = new Map<string, NamedObject>();
  /** The global cancel spin lock (IoAcquireCancelSpinLock). */
  readonly cancelSpinLock = new KSPIN_LOCK("IoCancelSpinLock");
  /** IRPs allocated and not yet freed. */
  readonly liveIrps = new LiveSet<IRP>();
  /** MDLs allocated and not yet freed. */
  readonly liveMdls = new LiveSet<MDL>();
  /**
   * Locks nobody can undo: MDLs a driver freed (IoFreeMdl) while their pages were locked, and the
   * locked state of MDLs a driver described anew (MmInitializeMdl, MmBuildMdlForNonPagedPool,
   * IoBuildPartialMdl) before unlocking them. The frames stay locked, as on Windows, where the
   * process's exit then reports its locked pages; kept so the machine's accounting can name what
   * holds those locks.
   */
  readonly abandonedLocks = new Set<MDL>();
  /** Lookaside lists by stack size. */
  readonly irpLookaside: IRP[][] = [];
  /** Allocation fault injection, when a verifier or explorer installs one. */
  faultInjector: FaultInjector | null = null;
  /** Force-pending injection on drivers' IoCallDriver calls, when an explorer installs one. */
  forcePendingInjector: ForcePendingInjector | null = null;
  /** Synchronous observers (the verifier). */
  readonly hooks: IoHooks[] = [];
  /**
   * Driver Verifier's Force Pending I/O: asked at each IoCallDriver a driver makes (see
   * force-pending.ts). Null: off.
   */
  forcePending: ForcePendingDecider | null = null;
  /**
   * IRPs under Force Pending I/O: 1 while the next completion is to be held back, 2 once one was
   * (force-pending.ts finishes it later). Kept here, not in the IRP, to keep pended IRPs lean.
   */
  readonly forcedPending = new Map<IRP, 1 | 2>();
  /**
   * Freed IRPs go back to the lookaside lists for reuse. A verifier turns this off, as Driver
   * Verifier allocates IRPs from special pool, so an IRP used after it was freed stays recognisable.
   */
  recycleIrps = true;
  /** A verifier's watch, given to every IRP allocated while it is set (see newIrp). */
  irpWatch: IrpWatch | null = null;
  private irpIds = 0;
  private mdlIds = 0;
  private fileIds = 0;
  private portIds = 0;

  constructor(readonly machine: Machine) {
    for (let i = 0; i <= LOOKASIDE_MAX_STACK; i++) this.irpLookaside.push([]);
    // An exiting thread cancels and waits for its IRPs before its process may run down.
    machine.threadRundown.push((t) => cancelThreadIo(t));
  }

  /** A fresh id for IRPs ("irp"), MDLs ("mdl"), files ("file") and completion ports ("port"). */
  nextId(kind: "irp" | "mdl" | "file" | "port"): number {
    if (kind === "port") return ++this.portIds;
    return kind === "irp" ? ++this.irpIds : kind === "mdl" ? ++this.mdlIds : ++this.fileIds;
  }

  /** True when the fault injector (this I/O manager's, or the machine's) fails this allocation. */
  injectFailure(site: string): boolean {
    return (this.faultInjector !== null && this.faultInjector(site)) || (this.machine.allocationFailure?.(site) ?? false);
  }

  /** Takes a recycled IRP of this stack size, if the lookaside list has one. */
  takeIrp(stackSize: number): IRP | undefined {
    return stackSize <= LOOKASIDE_MAX_STACK ? this.irpLookaside[stackSize]?.pop() : undefined;
  }

  /**
   * Returns a freed IRP to its lookaside list, reset as IoInitializeIrp would set it up; an IRP
   * the list does not keep (too deep, the list full, or recycling off under the verifier) is left
   * as it was for the collector.
   */
  recycleIrp(irp: IRP): void {
    // An IRP a driver laid out in its own memory (IoInitializeIrp) is not the I/O manager's to keep.
    if (irp.StackCount > LOOKASIDE_MAX_STACK || !this.recycleIrps || irp.origin === "IoInitializeIrp") return;
    const list = this.irpLookaside[irp.StackCount];
    if (list && list.length < LOOKASIDE_DEPTH) {
      irp.reset();
      list.push(irp);
    }
  }

  // ---- Namespace ----------------------------------------------------------------------------

  /** Canonical key: NT names are case-insensitive; \DosDevices and \GLOBAL?? are \??. */
  static canonical(name: string): string {
    let n = name.replace(/\//g, "\\");
    const lower = n.toLowerCase();
    if (lower.startsWith("\\dosdevices\\")) n = "\\??\\" + n.slice("\\dosdevices\\".length);
    else if (lower.startsWith("\\global??\\")) n = "\\??\\" + n.slice("\\global??\\".length);
    return n.toLowerCase();
  }

  /** Inserts a named object; false when the name is taken. */
  insertName(name: string, object: NamedObject): boolean {
    const key = IoManager.canonical(name);
    if (this.names.has(key)) return false;
    this.names.set(key, object);
    return true;
  }

  /** Removes a name (when it names `object`, if given). */
  removeName(name: string, object?: NamedObject): boolean {
    const key = IoManager.canonical(name);
    const cur = this.names.get(key);
    if (!cur || (object && cur !== object)) return false;
    this.names.delete(key);
    return true;
  }

  /** Looks up a name exactly. */
  lookupName(name: string): NamedObject | undefined {
    return this.names.get(IoManager.canonical(name));
  }

  /**
   * Resolves an NT path to a device, following symbolic links (at most 32 hops): the device and
   * the rest of the path after the device's name (the file name the driver sees).
   */
  resolveDevice(path: string): { device: DEVICE_OBJECT; remainder: string } | "not-found" | "path-not-found" {
    let p = path;
    for (let hop = 0; hop < 32; hop++) {
      const key = IoManager.canonical(p);
      // Longest prefix that names an object; what follows is the remainder.
      let cut = key.length;
      let hit: NamedObject | undefined;
      for (;;) {
        hit = this.names.get(key.slice(0, cut));
        if (hit || cut <= 1) break;
        const back = key.lastIndexOf("\\", cut - 1);
        if (back <= 0) break;
        cut = back;
      }
      if (!hit) return key.split("\\").length > 3 ? "path-not-found" : "not-found";
      const remainder = p.slice(cut);
      if (hit instanceof SymbolicLink) {
        p = hit.target + remainder;
        continue;
      }
      if (hit.objectType !== "Device") return "not-found";
      return { device: hit, remainder };
    }
    return "not-found";
  }
}

/** The machine's I/O manager. */
export function ioManager(m: Machine): IoManager {
  let io = m.io;
  if (!io) {
    io = new IoManager(m);
    m.io = io;
  }
  return io;
}
