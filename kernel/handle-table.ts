import type { KernelObject } from "./objects.js";

/** One handle: the object, the access granted when it was opened, and its attributes. */
export interface HandleEntry {
  readonly object: KernelObject;
  readonly grantedAccess: number;
  readonly inherit: boolean;
  /** Set by SetHandleInformation(HANDLE_FLAG_PROTECT_FROM_CLOSE). */
  protectFromClose: boolean;
}

/**
 * A process's handle table. Handle values are multiples of 4 from 4 up, and a closed handle's
 * value is reused first (last freed, first reused), as NT's handle table does.
 */
export class HandleTable {
  private readonly entries = new Map<number, HandleEntry>();
  private readonly freeValues: number[] = [];
  private next = 4;

  /** Number of open handles. */
  get count(): number {
    return this.entries.size;
  }

  /** Inserts a handle for `object`; the caller has already counted the reference. */
  insert(object: KernelObject, grantedAccess: number, inherit = false): number {
    const value = this.freeValues.pop() ?? this.allocateValue();
    this.entries.set(value, { object, grantedAccess, inherit, protectFromClose: false });
    return value;
  }

  private allocateValue(): number {
    const v = this.next;
    this.next += 4;
    return v;
  }

  /**
   * The entry for a handle value, or undefined when the handle is not open. The low two bits
   * of a handle are tag bits NT ignores (an OVERLAPPED's hEvent with bit 0 set is still the event).
   */
  lookup(handle: number): HandleEntry | undefined {
    return this.entries.get((handle & ~3) >>> 0);
  }

  /** Removes a handle; returns its entry. */
  remove(handle: number): HandleEntry | undefined {
    const h = (handle & ~3) >>> 0;
    const e = this.entries.get(h);
    if (!e) return undefined;
    this.entries.delete(h);
    this.freeValues.push(h);
    return e;
  }

  /** Every open handle, in ascending handle order. */
  handles(): [number, HandleEntry][] {
    return [...this.entries.entries()].sort((a, b) => a[0] - b[0]);
  }

  /** How many handles in this table refer to `object`. */
  countFor(object: KernelObject): number {
    let n = 0;
    for (const e of this.entries.values()) if (e.object === object) n++;
    return n;
  }
}
