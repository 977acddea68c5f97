import { expect } from "chai";
import { LiveSet, type LiveSetMember } from "../../kernel/live-set.js";

class Item implements LiveSetMember<Item> {
  liveNext: Item | null = null;
  livePrev: Item | null = null;
  liveOwner: object | null = null;
  constructor(readonly n: number) {}
}

const ns = (s: LiveSet<Item>): number[] => [...s].map((i) => i.n);

describe("kernel/live-set: the list of live IRPs and MDLs", () => {
  it("keeps members in allocation order and removes any of them in place", () => {
    const s = new LiveSet<Item>();
    const items = [1, 2, 3, 4].map((n) => new Item(n));
    for (const i of items) s.add(i);
    expect(ns(s)).to.deep.equal([1, 2, 3, 4]);
    expect(s.delete(items[0] as Item)).to.equal(true);
    expect(s.delete(items[2] as Item)).to.equal(true);
    expect(s.delete(items[3] as Item)).to.equal(true);
    expect(ns(s)).to.deep.equal([2]);
    expect(s.size).to.equal(1);
    s.add(items[0] as Item);
    expect(ns(s)).to.deep.equal([2, 1]);
  });

  it("adding a member twice changes nothing; deleting a non-member returns false", () => {
    const s = new LiveSet<Item>();
    const a = new Item(1);
    s.add(a).add(a);
    expect(s.size).to.equal(1);
    expect(s.delete(new Item(2))).to.equal(false);
    expect(s.delete(a)).to.equal(true);
    expect(s.delete(a)).to.equal(false);
    expect([s.size, s.has(a), ns(s)]).to.deep.equal([0, false, []]);
  });

  it("an object belongs to one set at a time", () => {
    const a = new Item(1);
    new LiveSet<Item>().add(a);
    expect(() => new LiveSet<Item>().add(a)).to.throw(/member of another set/);
  });

  it("iteration is a snapshot, so members may be freed while walking the set", () => {
    const s = new LiveSet<Item>();
    for (let n = 1; n <= 5; n++) s.add(new Item(n));
    const seen: number[] = [];
    for (const i of s) {
      seen.push(i.n);
      s.delete(i);
    }
    expect([seen, s.size]).to.deep.equal([[1, 2, 3, 4, 5], 0]);
  });
});
