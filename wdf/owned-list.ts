/**
 * The requests a queue has delivered to its driver, as a list threaded through the requests
 * themselves (as KMDF links them with a LIST_ENTRY): adding and removing cost no hashing, which a
 * Set of fresh objects does on every round trip. Iterates in delivery order.
 */

/** What a member carries: the list it is in and its neighbours. */
export interface OwnedLink<T extends OwnedLink<T>> {
  ownedIn: OwnedList<T> | null;
  ownedPrev: T | null;
  ownedNext: T | null;
}

/** An intrusive list with Set's add/delete/has/size and insertion-order iteration. */
export class OwnedList<T extends OwnedLink<T>> implements Iterable<T> {
  private head: T | null = null;
  private tail: T | null = null;
  size = 0;

  has(x: T): boolean {
    return x.ownedIn === this;
  }

  /** Appends `x` (taking it out of another list first); nothing when it is here already. */
  add(x: T): void {
    if (x.ownedIn === this) return;
    if (x.ownedIn !== null) x.ownedIn.delete(x);
    x.ownedIn = this;
    x.ownedPrev = this.tail;
    x.ownedNext = null;
    if (this.tail !== null) this.tail.ownedNext = x;
    else this.head = x;
    this.tail = x;
    this.size++;
  }

  /** Removes `x`; false when it was not here. */
  delete(x: T): boolean {
    if (x.ownedIn !== this) return false;
    const p = x.ownedPrev;
    const n = x.ownedNext;
    if (p !== null) p.ownedNext = n;
    else this.head = n;
    if (n !== null) n.ownedPrev = p;
    else this.tail = p;
    x.ownedIn = null;
    x.ownedPrev = null;
    x.ownedNext = null;
    this.size--;
    return true;
  }

  *[Symbol.iterator](): Iterator<T> {
    for (let x = this.head; x !== null; ) {
      const next = x.ownedNext;
      yield x;
      x = next;
    }
  }
}
