/**
 * The machine's own consistency: what must hold after any run, even one that found a driver
 * bug. A violation means the emulator, not the driver, went wrong.
 */
import type { Machine } from "../kernel/machine.js";
import type { KernelObject } from "../kernel/objects.js";
import { MDL_PAGES_LOCKED } from "../io-manager/constants.js";

/** Every invariant the machine breaks, in words (empty when it is consistent). */
export function invariantViolations(m: Machine): string[] {
  const out: string[] = [];
  // Every locked frame is locked by a live MDL (no lock count without an owner).
  const expected = new Map<number, number>();
  // (An MDL a driver freed or described anew while locked still holds its locks, as on Windows.)
  const holders = [...(m.io?.liveMdls ?? []), ...(m.io?.abandonedLocks ?? [])];
  for (const mdl of holders) {
    if (!(mdl.MdlFlags & MDL_PAGES_LOCKED)) continue;
    for (const f of mdl.pfns) if (f >= 0 && m.physical.isAllocated(f)) expected.set(f, (expected.get(f) ?? 0) + 1);
  }
  for (const f of m.physical.lockedFrames()) {
    const want = expected.get(f) ?? 0;
    if (m.physical.lockCount(f) !== want) out.push(`frame 0x${f.toString(16)} has ${m.physical.lockCount(f)} lock(s) but live MDLs hold ${want}`);
  }
  for (const [f, n] of expected) if (m.physical.lockCount(f) !== n) out.push(`frame 0x${f.toString(16)}: live MDLs hold ${n} lock(s), the frame has ${m.physical.lockCount(f)}`);
  // No IRP is left on a thread that has exited.
  for (const t of m.threads) if (t.state === "terminated" && t.IrpList.Flink !== t.IrpList) out.push(`${t.label} exited with IRPs on its list`);
  // Handle counts match the handle tables; every handle holds a reference.
  const handles = new Map<KernelObject, number>();
  for (const p of m.processes) for (const [, e] of p.handleTable.handles()) handles.set(e.object, (handles.get(e.object) ?? 0) + 1);
  for (const [o, n] of handles) {
    if (o.handleCount !== n) out.push(`${o.label}: handleCount ${o.handleCount}, but ${n} handle(s) are open`);
    if (o.pointerCount < n) out.push(`${o.label}: pointerCount ${o.pointerCount} is below its ${n} open handle(s)`);
  }
  // Locked-page counts of processes match their live MDLs.
  for (const p of m.processes) {
    let pages = 0;
    for (const mdl of holders) if (mdl.Process === p && mdl.MdlFlags & MDL_PAGES_LOCKED) pages += mdl.pfns.length;
    if (p.lockedPages !== pages) out.push(`${p.name}: lockedPages ${p.lockedPages}, but its live locked MDLs cover ${pages} page(s)`);
  }
  // Pool accounting: counts and per-tag bytes match the live blocks; special pool's pages match its blocks.
  out.push(...m.nonPagedPool.accountingProblems(), ...m.pagedPool.accountingProblems());
  return out;
}
