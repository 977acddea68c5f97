/**
 * Memory figures: bulk copies and single reads through virtual addresses, and host memory per
 * byte touched on a 4 GB machine.
 */
import { Machine } from "../kernel/machine.js";
import { MEM_COMMIT, MEM_RESERVE } from "../kernel/memory-constants.js";
import { PAGE_READWRITE } from "../kernel/pte.js";
import type { Benchmark, BenchResult } from "./harness.js";
import { collectGarbage, fastest, round } from "./harness.js";

const MB = 1024 * 1024;

/** Runs `fn` on a thread of a fresh app process of `m` and waits for it. */
async function inApp(m: Machine, fn: (base: number) => Promise<void>, bytes: number): Promise<void> {
  let error: unknown = null;
  m.createProcess("bench.exe", async () => {
    const p = m.currentThread().process;
    const r = p.addressSpace?.allocate(0, bytes, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    if (!r || r.status !== 0) throw new Error("bench allocation failed");
    try {
      await fn(r.base);
    } catch (e) {
      error = e;
    }
  });
  await m.run();
  if (error) throw error instanceof Error ? error : new Error(`bench thread threw a non-Error (${typeof error})`);
}

const bulk: Benchmark = {
  name: "va.bulk_write_32mb",
  async run(): Promise<BenchResult[]> {
    const n = 32 * MB;
    const src = new Uint8Array(n);
    for (let i = 0; i < n; i += 4096) src[i] = i & 0xff;
    const plain = new Uint8Array(n);
    const baseline = await fastest(5, () => {
      plain.set(src);
      const back = new Uint8Array(n);
      back.set(plain);
    });
    let emulated = Infinity;
    const m = new Machine({ memoryBytes: 256 * MB });
    await inApp(
      m,
      async (base) => {
        emulated = await fastest(5, () => {
          m.mmu.writeBytes(base, src);
          m.mmu.readBytes(base, n);
        });
      },
      n,
    );
    const gbps = (2 * n) / (emulated / 1000) / 1e9;
    const ratio = emulated / baseline;
    return [{ name: "va.bulk_write_32mb", value: round(gbps), unit: "GB/s", baseline: round(baseline), ratio: round(ratio), goal: "ratio <= 1.25 (write + read back of 32 MB vs Uint8Array.set)", met: ratio <= 1.25 }];
  },
};

const readU32: Benchmark = {
  name: "va.read_u32",
  async run(): Promise<BenchResult[]> {
    const count = 1_000_000;
    const span = 4 * MB;
    const buf = new ArrayBuffer(span);
    const view = new DataView(buf);
    let sink = 0;
    const baseline = await fastest(5, () => {
      let s = 0;
      for (let i = 0; i < count; i++) s = (s + view.getUint32((i * 4) % span, true)) | 0;
      sink ^= s;
    });
    let emulated = Infinity;
    const m = new Machine({ memoryBytes: 64 * MB });
    await inApp(
      m,
      async (base) => {
        const mmu = m.mmu;
        emulated = await fastest(5, () => {
          let s = 0;
          for (let i = 0; i < count; i++) s = (s + mmu.readU32(base + ((i * 4) % span))) | 0;
          sink ^= s;
        });
      },
      span,
    );
    if (sink === 0x7fffffff) console.log("");
    return [{ name: "va.read_u32", value: round(count / (emulated / 1000) / 1e6, 2), unit: "M reads/s", baseline: round(baseline), ratio: round(emulated / baseline, 2), goal: "report the ratio to a plain DataView", met: null }];
  },
};

const hostBytes: Benchmark = {
  name: "machine.host_bytes_per_touched",
  async run(): Promise<BenchResult[]> {
    await collectGarbage();
    const before = process.memoryUsage();
    const touched = 32 * MB;
    const m = new Machine({ memoryBytes: 4 * 1024 * MB });
    await inApp(
      m,
      async (base) => {
        const page = new Uint8Array(4096).fill(0x5a);
        for (let off = 0; off < touched; off += 4096) m.mmu.writeBytes(base + off, page);
        await Promise.resolve();
      },
      touched,
    );
    await collectGarbage();
    const after = process.memoryUsage();
    const accounted = m.physical.hostBytes + m.system.table.hostBytes + m.processes.reduce((n, p) => n + (p.addressSpace?.table.hostBytes ?? 0), 0);
    const measured = after.arrayBuffers - before.arrayBuffers + Math.max(0, after.heapUsed - before.heapUsed);
    const ratio = accounted / touched;
    return [
      { name: "machine.host_bytes_per_touched", value: round(ratio), unit: "host bytes / byte touched (machine's accounting)", baseline: touched, ratio: round(ratio), goal: "<= 1.2 on a 4 GB machine with 32 MB touched", met: ratio <= 1.2 },
      { name: "machine.host_bytes_per_touched.measured", value: round(measured / touched), unit: "host bytes / byte touched (process.memoryUsage delta)", baseline: touched, ratio: round(measured / touched), goal: "cross-check of the accounting", met: null },
    ];
  },
};

export const memoryBenchmarks: Benchmark[] = [hostBytes, bulk, readU32];
