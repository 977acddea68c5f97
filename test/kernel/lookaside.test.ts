import { expect } from "chai";
import { attachVerifier, type Machine } from "../../index.js";
import * as wdm from "../../wdm.js";
import { newMachine, ok, runKernel } from "../helpers.js";

function asDriver(m: Machine, driver: string, body: () => unknown): void {
  m.createSystemThread("driver", async () => {
    m.enterActivity("dispatch routine", `${driver}Dispatch`, driver);
    await body();
  });
}

describe("kernel: lookaside lists", () => {
  it("blocks come from the pool under the list's tag; a freed block is cached and handed out again", async () => {
    const m = newMachine();
    const r = await runKernel(m, () => {
      const list = new wdm.NPAGED_LOOKASIDE_LIST();
      wdm.ExInitializeNPagedLookasideList(list, null, null, 0, 48, "LkAs", 0);
      const a = wdm.ExAllocateFromNPagedLookasideList(list);
      const block = m.nonPagedPool.block(a);
      wdm.ExFreeToNPagedLookasideList(list, a);
      const cachedStillAllocated = m.nonPagedPool.block(a) !== undefined;
      const b = wdm.ExAllocateFromNPagedLookasideList(list);
      const counters = [list.L.TotalAllocates, list.L.AllocateMisses, list.L.TotalFrees, list.L.FreeMisses];
      wdm.ExFreeToNPagedLookasideList(list, b);
      wdm.ExDeleteNPagedLookasideList(list);
      return { size: block?.size, tag: block && wdm.poolTagText(block.tag), cachedStillAllocated, same: a === b, counters, left: m.nonPagedPool.liveBlocks().length };
    });
    expect(ok(r)).to.deep.equal({ size: 48, tag: "LkAs", cachedStillAllocated: true, same: true, counters: [2, 1, 1, 0], left: 0 });
  });

  it("the list keeps at most Depth blocks (it starts at the minimum, 4); the rest go back through Free", async () => {
    const m = newMachine();
    const freed: number[] = [];
    const r = await runKernel(m, () => {
      const list = new wdm.NPAGED_LOOKASIDE_LIST();
      wdm.ExInitializeNPagedLookasideList(
        list,
        (PoolType, Bytes, Tag) => wdm.ExAllocatePoolWithTag(PoolType, Bytes, Tag),
        (Buffer) => {
          freed.push(Buffer);
          wdm.ExFreePool(Buffer);
        },
        0,
        32,
        "LkDp",
      );
      const blocks = Array.from({ length: 6 }, () => wdm.ExAllocateFromNPagedLookasideList(list));
      for (const b of blocks) wdm.ExFreeToNPagedLookasideList(list, b);
      const depth = list.L.Depth;
      const cached = list.L.ListHead.length;
      wdm.ExDeleteNPagedLookasideList(list);
      return [depth, cached, list.L.FreeMisses];
    });
    expect(ok(r)).to.deep.equal([wdm.MINIMUM_LOOKASIDE_DEPTH, 4, 2]);
    expect(freed.length).to.equal(6);
  });

  it("a cached block's first four bytes hold the link to the next cached block, as NT writes it", async () => {
    const m = newMachine();
    const r = await runKernel(m, () => {
      const list = new wdm.NPAGED_LOOKASIDE_LIST();
      wdm.ExInitializeNPagedLookasideList(list, null, null, 0, 16, "LkLn");
      const a = wdm.ExAllocateFromNPagedLookasideList(list);
      const b = wdm.ExAllocateFromNPagedLookasideList(list);
      wdm.writeU32(a, 0x11111111);
      wdm.writeU32(b, 0x22222222);
      wdm.ExFreeToNPagedLookasideList(list, a);
      wdm.ExFreeToNPagedLookasideList(list, b);
      const links = [wdm.readU32(a), wdm.readU32(b) === a];
      wdm.ExDeleteNPagedLookasideList(list);
      return links;
    });
    expect(ok(r)).to.deep.equal([0, true]);
  });

  it("the depth grows when a busy list misses, retuned once per second of virtual time", async () => {
    const m = newMachine();
    const r = await runKernel(m, async () => {
      const list = new wdm.NPAGED_LOOKASIDE_LIST();
      wdm.ExInitializeNPagedLookasideList(list, null, null, 0, 16, "LkTn");
      for (let round = 0; round < 2; round++) {
        const held = Array.from({ length: 100 }, () => wdm.ExAllocateFromNPagedLookasideList(list));
        for (const b of held) wdm.ExFreeToNPagedLookasideList(list, b);
        await wdm.KeDelayExecutionThread(wdm.KernelMode, false, -10_000 * 1001);
      }
      wdm.ExAllocateFromNPagedLookasideList(list);
      const depth = list.L.Depth;
      return depth;
    });
    expect(r.error).to.equal(null);
    expect(r.value).to.be.greaterThan(wdm.MINIMUM_LOOKASIDE_DEPTH);
  });

  it("a paged lookaside list used at DISPATCH_LEVEL is IRQL_NOT_LESS_OR_EQUAL", async () => {
    const m = newMachine();
    const r = await runKernel(m, () => {
      const list = new wdm.PAGED_LOOKASIDE_LIST();
      wdm.ExInitializePagedLookasideList(list, null, null, 0, 16, "LkPg");
      wdm.KeRaiseIrqlToDpcLevel();
      wdm.ExAllocateFromPagedLookasideList(list);
    });
    expect(r.result.bugCheck?.name).to.equal("IRQL_NOT_LESS_OR_EQUAL");
  });

  it("ExAllocateFrom... returns NULL when the pool fails, and raises STATUS_INSUFFICIENT_RESOURCES with POOL_RAISE_IF_ALLOCATION_FAILURE", async () => {
    const m = newMachine();
    const r = await runKernel(m, () => {
      const quiet = new wdm.NPAGED_LOOKASIDE_LIST();
      const loud = new wdm.NPAGED_LOOKASIDE_LIST();
      wdm.ExInitializeNPagedLookasideList(quiet, null, null, 0, 16, "LkQt");
      wdm.ExInitializeNPagedLookasideList(loud, null, null, wdm.POOL_RAISE_IF_ALLOCATION_FAILURE, 16, "LkLd");
      m.allocationFailure = () => true;
      const nothing = wdm.ExAllocateFromNPagedLookasideList(quiet);
      let raised = 0;
      try {
        wdm.ExAllocateFromNPagedLookasideList(loud);
      } catch (e) {
        raised = (e as wdm.NtStatusError).status;
      }
      m.allocationFailure = null;
      return [nothing, raised];
    });
    expect(ok(r)).to.deep.equal([0, wdm.STATUS_INSUFFICIENT_RESOURCES]);
  });

  it("LOOKASIDE_LIST_EX calls its callbacks with the list, and rejects conflicting flags with STATUS_INVALID_PARAMETER_5", async () => {
    const m = newMachine();
    const calls: string[] = [];
    const r = await runKernel(m, () => {
      const list = new wdm.LOOKASIDE_LIST_EX();
      const bad = wdm.ExInitializeLookasideListEx(list, null, null, wdm.NonPagedPool, wdm.EX_LOOKASIDE_LIST_EX_FLAG_RAISE_ON_FAIL | wdm.EX_LOOKASIDE_LIST_EX_FLAG_FAIL_NO_RAISE, 24, "LkEx");
      const good = wdm.ExInitializeLookasideListEx(
        list,
        (PoolType, Bytes, Tag, Lookaside) => {
          calls.push(`allocate ${Bytes} ${Lookaside === list}`);
          return wdm.ExAllocatePoolWithTag(PoolType, Bytes, Tag);
        },
        (Buffer, Lookaside) => {
          calls.push(`free ${Lookaside === list}`);
          wdm.ExFreePool(Buffer);
        },
        wdm.PagedPool,
        0,
        24,
        "LkEx",
      );
      const a = wdm.ExAllocateFromLookasideListEx(list);
      wdm.ExFreeToLookasideListEx(list, a);
      wdm.ExDeleteLookasideListEx(list);
      return [bad, good];
    });
    expect(ok(r)).to.deep.equal([wdm.STATUS_INVALID_PARAMETER_5, wdm.STATUS_SUCCESS]);
    expect(calls).to.deep.equal(["allocate 24 true", "free true"]);
  });

  it("a driver that unloads without deleting its list leaves the cached blocks as its pool: the verifier's unload rule sees them", async () => {
    const m = newMachine();
    attachVerifier(m);
    const list = new wdm.NPAGED_LOOKASIDE_LIST();
    asDriver(m, "LkLeak", () => {
      wdm.ExInitializeNPagedLookasideList(list, null, null, 0, 16, "LkLk");
      wdm.ExFreeToNPagedLookasideList(list, wdm.ExAllocateFromNPagedLookasideList(list));
    });
    await m.run();
    expect(m.nonPagedPool.liveBlocks().map((b) => wdm.poolTagText(b.tag))).to.deep.equal(["LkLk"]);
    // Clean up for the machine's invariant check.
    m.createSystemThread("cleanup", () => {
      wdm.ExDeleteNPagedLookasideList(list);
    });
    await m.run();
  });

  describe("under the verifier", () => {
    const cases: [string, () => void, number][] = [
      [
        "initialising an active list again",
        () => {
          const list = new wdm.NPAGED_LOOKASIDE_LIST();
          wdm.ExInitializeNPagedLookasideList(list, null, null, 0, 16, "LkRe");
          wdm.ExInitializeNPagedLookasideList(list, null, null, 0, 16, "LkRe");
        },
        0xca,
      ],
      ["deleting a list that was never initialised", () => {
          wdm.ExDeleteNPagedLookasideList(new wdm.NPAGED_LOOKASIDE_LIST());
        }, 0xcb],
      [
        "a block size too small for the list's link",
        () => {
          wdm.ExInitializePagedLookasideList(new wdm.PAGED_LOOKASIDE_LIST(), null, null, 0, 2, "LkSm");
        },
        0xcd,
      ],
    ];
    for (const [what, act, sub] of cases) {
      it(`${what} is bug check 0xC4/0x${sub.toString(16).toUpperCase()}`, async () => {
        const m = newMachine();
        attachVerifier(m);
        asDriver(m, "LkDrv", act);
        const r = await m.run();
        expect([r.bugCheck?.code, r.bugCheck?.parameters[0]]).to.deep.equal([0xc4, sub]);
      });
    }
  });
});
