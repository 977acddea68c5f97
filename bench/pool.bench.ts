/**
 * Special Pool's cost: host bytes per allocation a verified driver makes with Special Pool on,
 * against the same allocations from the normal pool (the verifier attached, Special Pool off),
 * measured in the same run; and the time of an allocate-and-free pair, both ways.
 */
import { loadDriver } from "../io-manager/driver.js";
import { Machine } from "../kernel/machine.js";
import { ExAllocatePoolWithTag, ExFreePoolWithTag, NonPagedPool } from "../kernel/api-ex.js";
import { STATUS_SUCCESS } from "../kernel/status.js";
import { attachVerifier } from "../verifier/verifier.js";
import type { Benchmark, BenchResult } from "./harness.js";
import { collectGarbage, fastest, round } from "./harness.js";

const MB = 1024 * 1024;
/** Blocks allocated (and kept) for the memory figure. */
const BLOCKS = 4000;
/** Their size: a typical small driver context. */
const BLOCK_BYTES = 64;

/** Host bytes the machine holds now: its memory's accounting plus the JS heap (after a collection). */
async function hostBytes(m: Machine): Promise<number> {
  await collectGarbage();
  return m.physical.hostBytes + m.system.table.hostBytes + process.memoryUsage().heapUsed;
}

/** Host bytes per block a verified driver allocates and keeps, with Special Pool on or off. */
async function bytesPerBlock(specialPool: boolean): Promise<number> {
  const m = new Machine({ memoryBytes: 256 * MB });
  attachVerifier(m, { specialPool, sourceLines: false });
  const kept: number[] = [];
  const m0 = await hostBytes(m);
  // A driver that allocates nothing, so the second load's cost less this is the blocks'.
  await loadDriver(m, "Empty", () => STATUS_SUCCESS);
  const m1 = await hostBytes(m);
  await loadDriver(m, "Blocks", () => {
    for (let i = 0; i < BLOCKS; i++) kept.push(ExAllocatePoolWithTag(NonPagedPool, BLOCK_BYTES, "Bnch"));
    return STATUS_SUCCESS;
  });
  const m2 = await hostBytes(m);
  if (kept.some((p) => p === 0)) throw new Error("bench allocation failed");
  const perBlock = (m2 - m1 - (m1 - m0)) / BLOCKS;
  m.physical.release();
  return perBlock;
}

/** Milliseconds for `pairs` allocate-and-free pairs in a verified driver, with Special Pool on or off. */
async function pairTime(specialPool: boolean, pairs: number): Promise<number> {
  const m = new Machine({ memoryBytes: 64 * MB });
  attachVerifier(m, { specialPool, sourceLines: false });
  let best = Infinity;
  await loadDriver(m, "Pairs", async () => {
    best = await fastest(5, () => {
      for (let i = 0; i < pairs; i++) ExFreePoolWithTag(ExAllocatePoolWithTag(NonPagedPool, BLOCK_BYTES, "Bnch"), "Bnch");
    });
    return STATUS_SUCCESS;
  });
  m.physical.release();
  return best;
}

const specialHostBytes: Benchmark = {
  name: "pool.special_host_bytes",
  async run(): Promise<BenchResult[]> {
    const normal = await bytesPerBlock(false);
    const special = await bytesPerBlock(true);
    const pairs = 20_000;
    const normalMs = await pairTime(false, pairs);
    const specialMs = await pairTime(true, pairs);
    return [
      {
        name: "pool.special_host_bytes",
        value: Math.round(special),
        unit: `host bytes per ${BLOCK_BYTES}-byte allocation in Special Pool (${BLOCKS} kept)`,
        baseline: Math.round(normal),
        ratio: round(special / normal, 1),
        goal: "report the cost against the normal pool's (the baseline: verifier on, specialPool: false); a page of emulated memory each",
        met: null,
      },
      {
        name: "pool.special_alloc_free",
        value: round((pairs / specialMs) * 1000 / 1e6, 3),
        unit: "M allocate+free pairs/s in Special Pool",
        baseline: round(normalMs),
        ratio: round(specialMs / normalMs, 2),
        goal: "report the time against the normal pool's (baseline ms for 20,000 pairs)",
        met: null,
      },
    ];
  },
};

export const poolBenchmarks: Benchmark[] = [specialHostBytes];
