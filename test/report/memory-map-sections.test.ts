import { expect } from "chai";
import * as w from "../../win32/index.js";
import * as wdm from "../../wdm.js";
import { buildMemoryMap } from "../../report/memory-map.js";
import { formatTextTimeline } from "../../report/text.js";
import { newMachine } from "../helpers.js";

describe("report/memory-map: views of a section and driver-allocated pages", () => {
  it("two processes' views of one section are two ranges over the same frames, each ending when its view is unmapped", async () => {
    const m = newMachine();
    const rec = m.trace.record();
    m.createProcess("a.exe", async () => {
      const h = w.CreateFileMapping(w.INVALID_HANDLE_VALUE, null, w.PAGE_READWRITE, 0, 2 * 4096, "MapShared");
      const p = w.MapViewOfFile(h, w.FILE_MAP_ALL_ACCESS, 0, 0, 0);
      await w.Sleep(10);
      await w.UnmapViewOfFile(p);
      await w.CloseHandle(h);
    });
    m.createProcess("b.exe", async () => {
      await w.Sleep(1);
      const h = w.OpenFileMapping(w.FILE_MAP_READ, false, "MapShared");
      const p = w.MapViewOfFile(h, w.FILE_MAP_READ, 0, 0, 0);
      await w.Sleep(20);
      await w.UnmapViewOfFile(p);
      await w.CloseHandle(h);
    });
    await m.run();
    rec.stop();
    const map = buildMemoryMap(rec.events);
    const views = map.ranges.filter((r) => r.mdl === "\\BaseNamedObjects\\MapShared");
    expect(views.map((r) => [r.processName, r.space, r.role, r.length])).to.deep.equal([
      ["a.exe", "user", "mapped", 8192],
      ["b.exe", "user", "mapped", 8192],
    ]);
    expect(views[1]?.pages.map((p) => p.frame)).to.deep.equal(views[0]?.pages.map((p) => p.frame));
    expect(views.every((r) => r.to !== null)).to.equal(true);
    expect(Math.floor((views[0]?.to ?? 0) / 10_000)).to.be.below(Math.floor((views[1]?.to ?? 0) / 10_000));
    // The timeline says where each view went, in words.
    const text = formatTextTimeline(rec.events, { color: false });
    expect(text).to.include("view of \\BaseNamedObjects\\MapShared mapped into a.exe at 0x00020000");
    expect(text).to.include("view of \\BaseNamedObjects\\MapShared unmapped from 0x00020000 in b.exe");
  });

  it("MmAllocatePagesForMdl's pages and their system mapping appear as the MDL's ranges", async () => {
    const m = newMachine();
    const rec = m.trace.record();
    m.createSystemThread("driver", () => {
      const mdl = wdm.MmAllocatePagesForMdl(0, 0xffffffff, 0, 4096);
      if (!mdl) return;
      const va = wdm.MmGetSystemAddressForMdlSafe(mdl, wdm.NormalPagePriority);
      wdm.MmUnmapLockedPages(va, mdl);
      wdm.MmFreePagesFromMdl(mdl);
      wdm.ExFreePool(mdl);
    });
    await m.run();
    rec.stop();
    const map = buildMemoryMap(rec.events);
    expect(map.ranges.map((r) => [r.role, r.space, r.pages.length, r.to !== null])).to.deep.equal([
      ["locked", "system", 1, true],
      ["mapped", "system", 1, true],
    ]);
    expect(map.ranges[1]?.pages[0]?.frame).to.equal(map.ranges[0]?.pages[0]?.frame);
  });
});
