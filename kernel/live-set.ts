/**
 * LiveSet: the set of objects of one kind that are allocated and not yet freed (IRPs, MDLs),
 * kept as an intrusive list in allocation order.
 *
 * A JavaScript Set would do, but every IOCTL adds and removes an IRP, and a Set's hash table
 * allocates as entries churn; linking the members costs four stores and no allocation.
 */

/** The link fields a member carries; each object belongs to at most one LiveSet. */
export interface LiveSetMember<T> {
  liveNext: T | null;
  livePrev: T | null;
  liveOwner: object | null;
}

/** A set of live objects with Set's add / delete / has / size / iteration, in insertion order. */
export class LiveSet<T extends LiveSetMember<T>> implements Iterable<T> {
  private head: T | null = null;
  private tail: T | null = null;
  /** Members now in the set. */
  size = 0;

  /** Adds `x` at the end (no effect if it is already a member). */
  add(x: T): this {
    if (x.liveOwner === this) return this;
    if (x.liveOwner !== null) throw new Error("LiveSet.add: the object is a member of another set");
    x.liveOwner = this;
    x.livePrev = this.tail;
    x.liveNext = null;
    if (this.tail) this.tail.liveNext = x;
    else this.head = x;
    this.tail = x;
    this.size++;
    return this;
  }

  /** Removes `x`; false if it was not a member. */
  delete(x: T): boolean {
    if (x.liveOwner !== this) return false;
    const prev = x.livePrev;
    const next = x.liveNext;
    if (prev) prev.liveNext = next;
    else this.head = next;
    if (next) next.livePrev = prev;
    else this.tail = prev;
    x.liveNext = x.livePrev = null;
    x.liveOwner = null;
    this.size--;
    return true;
  }

  /** Whether `x` is a member. */
  has(x: T): boolean {
    return x.liveOwner === this;
  }

  /** The members in insertion order, as a snapshot (so the caller may free members as it goes). */
  values(): T[] {
    const out: T[] = [];
    for (let x = this.head; x; x = x.liveNext) out.push(x);
    return out;
  }

  [Symbol.iterator](): Iterator<T> {
    return this.values()[Symbol.iterator]();
  }
}
