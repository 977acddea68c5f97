import { expect } from "chai";
import type { TraceEvent, TraceEventKind, TraceEventMap } from "../../kernel/trace.js";
import { buildMemoryMap, type LockStep } from "../../report/memory-map.js";
import { renderLockChartSvg, renderMemoryMapSvg } from "../../report/svg-memory-map.js";
import { sharebufRuns } from "./runs.js";

/** A trace event made by hand, for shapes the shipped scenarios do not produce. */
function ev<K extends TraceEventKind>(seq: number, timeMs: number, kind: K, fields: TraceEventMap[K]): TraceEvent {
  return { kind, seq, time: timeMs * 10_000, tid: 16, pid: 12, irql: 0, ...fields } as unknown as TraceEvent;
}

/** A frame's lock steps as time and count. */
function timesAndCounts(steps: readonly LockStep[] | undefined): { time: number; count: number }[] {
  return (steps ?? []).map(({ time, count }) => ({ time, count }));
}

describe("report/memory-map: the user range, its frames and the system range over them", () => {
  it("sharebuf's user buffer and its system mapping are two ranges over the same four frames, locked from 0 to 150 ms", async () => {
    const [done] = await sharebufRuns();
    const map = buildMemoryMap(done?.events ?? []);
    const user = map.ranges.find((r) => r.space === "user");
    const system = map.ranges.find((r) => r.space === "system");
    // Times at millisecond granularity: the calls before the lock and the unlock cost a few µs.
    const msOf = (t: number | null | undefined) => Math.floor((t ?? -1) / 10_000);
    expect(user).to.include({ mdl: "mdl#1", role: "locked", processName: "sharebuf.exe", va: 0x110000, length: 16384 });
    expect(system).to.include({ mdl: "mdl#1", role: "mapped", va: 0xa0000000 });
    expect([user, system].map((r) => [msOf(r?.from), msOf(r?.to)])).to.deep.equal([[0, 150], [0, 150]]);
    expect(user?.pages.map((p) => p.frame)).to.deep.equal([0x100, 0x101, 0x102, 0x103]);
    expect(system?.pages.map((p) => p.frame)).to.deep.equal(user?.pages.map((p) => p.frame));
    expect(system?.pages.map((p) => p.va)).to.deep.equal([0xa0000000, 0xa0001000, 0xa0002000, 0xa0003000]);
    expect(map.frames).to.deep.equal([0x100, 0x101, 0x102, 0x103]);
    expect(map.locks.get(0x100)?.map((s) => ({ ms: msOf(s.time), count: s.count }))).to.deep.equal([{ ms: 0, count: 0 }, { ms: 0, count: 1 }, { ms: 150, count: 0 }]);
  });

  it("when the app dies, the lock ends at the death (120 ms), with the cancel routine's completion", async () => {
    const [, killed] = await sharebufRuns();
    const map = buildMemoryMap(killed?.events ?? []);
    expect(map.ranges.map((r) => Math.floor((r.to ?? 0) / 10_000))).to.deep.equal([120, 120]);
  });

  it("a frame locked by two MDLs at once counts two locks until both are unlocked", () => {
    const map = buildMemoryMap([
      ev(0, 0, "MdlLocked", { mdl: "mdl#1", va: 0x10000, length: 8192, frames: [5, 6], process: 12, write: true }),
      ev(1, 1, "MdlLocked", { mdl: "mdl#2", va: 0x11000, length: 4096, frames: [6], process: 12, write: false }),
      ev(2, 2, "MdlUnlocked", { mdl: "mdl#1", frames: [5, 6] }),
      ev(3, 3, "MdlUnlocked", { mdl: "mdl#2", frames: [6] }),
    ]);
    const t = (ms: number) => ms * 10_000;
    expect(timesAndCounts(map.locks.get(6))).to.deep.equal([{ time: 0, count: 1 }, { time: t(1), count: 2 }, { time: t(2), count: 1 }, { time: t(3), count: 0 }]);
    expect(timesAndCounts(map.locks.get(5))).to.deep.equal([{ time: 0, count: 1 }, { time: t(2), count: 0 }]);
    // Each step also says at which trace event it happened.
    expect(map.locks.get(6)?.map((s) => s.seq)).to.deep.equal([0, 1, 2, 3]);
  });

  it("a nonpaged buffer mapped into a process is drawn as its system range and the user mapping over the same frames", () => {
    const map = buildMemoryMap([
      ev(0, 0, "ProcessCreated", { process: 12, name: "wd.exe", parent: 0 }),
      ev(1, 0, "MdlMapped", { mdl: "mdl#3", va: 0x81000000, mappedVa: 0x00200000, mode: "UserMode", process: 12, frames: [0x50, 0x51] }),
      ev(2, 5, "MdlUnmapped", { mdl: "mdl#3", mappedVa: 0x00200000, mode: "UserMode" }),
    ]);
    expect(map.ranges.map((r) => `${r.role} ${r.space} ${r.processName} ${r.va.toString(16)} ${r.to === null ? "open" : r.to}`)).to.deep.equal(["source system system space 81000000 open", "mapped user wd.exe 200000 50000"]);
  });

  it("the SVG draws every page, every frame and a line from each page to its frame", async () => {
    const [done] = await sharebufRuns();
    const map = buildMemoryMap(done?.events ?? []);
    const svg = renderMemoryMapSvg(map);
    expect(svg.match(/<rect class="page"/g)).to.have.length(8);
    expect(svg.match(/<g class="frame"/g)).to.have.length(4);
    expect(svg.match(/<path class="link" data-space="user"/g)).to.have.length(4);
    expect(svg.match(/<path class="link" data-space="system"/g)).to.have.length(4);
    const chart = renderLockChartSvg(map);
    expect(chart.match(/<g class="locks count-1"/g)).to.have.length(4);
    expect(chart).to.include("150 ms");
  });

  it("a huge range is drawn up to a limit and says how many pages it leaves out", () => {
    const frames = Array.from({ length: 100 }, (_, i) => 0x1000 + i);
    const map = buildMemoryMap([ev(0, 0, "MdlLocked", { mdl: "mdl#1", va: 0x10000, length: 100 * 4096, frames, process: 12, write: true })]);
    const svg = renderMemoryMapSvg(map);
    expect(svg.match(/<rect class="page"/g)).to.have.length(16);
    expect(svg).to.include("… 84 more pages");
  });
});
