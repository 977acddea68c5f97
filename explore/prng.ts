/**
 * A small seeded pseudo-random generator for the exploration strategies (sfc32, seeded through
 * splitmix32). Nothing in irpsim reads Math.random: a strategy's seed and a run's index decide
 * every random choice, so any run can be repeated on any machine.
 */

/** splitmix32: scrambles a 32-bit state; used to derive seeds. */
export function mix32(x: number): number {
  let z = (x + 0x9e3779b9) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
}

/** A seeded generator (sfc32: small, fast, and good enough for choosing schedules). */
export class Prng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  /** A generator for `seed`, stream `stream` (run index): distinct streams are independent. */
  constructor(seed: number, stream = 0) {
    this.a = mix32(seed >>> 0);
    this.b = mix32((this.a ^ stream) >>> 0);
    this.c = mix32((this.b + 0x6a09e667) >>> 0);
    this.d = 1;
    // Discard the first outputs, as sfc32's authors advise.
    for (let i = 0; i < 12; i++) this.next();
  }

  /** The next 32-bit unsigned value. */
  next(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = (this.b ^ (this.b >>> 9)) >>> 0;
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + t) >>> 0;
    return t;
  }

  /** A float in [0, 1). */
  float(): number {
    return this.next() / 4294967296;
  }

  /** An integer in [0, n) (n ≥ 1). */
  below(n: number): number {
    return Math.floor(this.float() * n);
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.float() < p;
  }

  /** `count` distinct integers from [0, n), in increasing order (all of them when count ≥ n). */
  distinct(count: number, n: number): number[] {
    if (count >= n) return Array.from({ length: n }, (_, i) => i);
    const chosen = new Set<number>();
    while (chosen.size < count) chosen.add(this.below(n));
    return [...chosen].sort((x, y) => x - y);
  }
}
