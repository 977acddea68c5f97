import { expect } from "chai";
import { Prng } from "../../explore/prng.js";
import { decodeReplay, encodeReplay, formatBudget, parseBudget, ReplayStringError } from "../../explore/replay-string.js";

describe("explore: seeded randomness and replay strings", () => {
  it("a seeded generator gives the same sequence for the same seed and stream, and another for another stream", () => {
    const take = (g: Prng) => Array.from({ length: 8 }, () => g.next());
    expect(take(new Prng(42, 7))).to.deep.equal(take(new Prng(42, 7)));
    expect(take(new Prng(42, 7))).to.not.deep.equal(take(new Prng(42, 8)));
    expect(take(new Prng(42, 7))).to.not.deep.equal(take(new Prng(43, 7)));
    const g = new Prng(1, 0);
    for (let i = 0; i < 1000; i++) {
      const x = g.below(5);
      expect(x).to.be.within(0, 4);
    }
    expect(new Prng(3).distinct(3, 10)).to.have.length(3);
    expect(new Prng(3).distinct(12, 4)).to.deep.equal([0, 1, 2, 3]);
  });

  it("a replay string round-trips its scenario, options, budget, origin and decisions, in characters a shell leaves alone", () => {
    const spec = {
      scenario: "sharebuf-cancel-window",
      options: { ending: "done-using", "odd key": "a:b c" },
      budget: { cancel: 1, death: 1, timer: 2 },
      origin: "pct.d2.s1.r17",
      decisions: 57,
      choices: [
        { ordinal: 12, choice: 2, of: 3 },
        { ordinal: 40, choice: 1, of: 2 },
      ],
    };
    const text = encodeReplay(spec);
    expect(text).to.match(/^irp1:sharebuf-cancel-window:/);
    expect(text).to.match(/^[A-Za-z0-9._%,:=/-]+$/);
    expect(decodeReplay(text)).to.deep.equal(spec);
  });

  it("the budget has a compact form and a long form", () => {
    expect(formatBudget({ cancel: 1, death: 1 })).to.equal("c1d1");
    expect(parseBudget("c1d1")).to.deep.equal({ cancel: 1, death: 1 });
    expect(parseBudget("cancel=2,forcePending=1")).to.deep.equal({ cancel: 2, forcePending: 1 });
    expect(parseBudget("-")).to.deep.equal({});
    expect(() => parseBudget("x1")).to.throw(ReplayStringError, /letters/);
    expect(() => parseBudget("bogus=1")).to.throw(ReplayStringError, /kinds/);
  });

  it("a string that is not a replay string is refused with what is wrong with it", () => {
    expect(() => decodeReplay("hello")).to.throw(ReplayStringError, /starts with 'irp1:'/);
    expect(() => decodeReplay("irp1:a:b")).to.throw(ReplayStringError, /7 fields/);
    expect(() => decodeReplay("irp1:s:-:c1:x:5:3.3/3")).to.throw(ReplayStringError, /option 3 of 3/);
    expect(() => decodeReplay("irp1:s:-:c1:x:5:4.1/2,3.1/2")).to.throw(ReplayStringError, /increasing/);
    expect(() => decodeReplay("irp1:s:-:c1:x:five:-")).to.throw(ReplayStringError, /decision count/);
  });
});
