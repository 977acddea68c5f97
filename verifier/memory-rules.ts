/**
 * MDL and memory rules: unlocking an MDL never locked or twice, freeing or mapping it wrongly,
 * probing at the wrong IRQL, a process exiting with pages locked; and, through the MMU's
 * observer, touching a user address from another process's context, reading a user-controlled
 * location twice in one request (a double fetch), touching pageable or user memory at
 * DISPATCH_LEVEL, and using a system address after its mapping was torn down. Special Pool
 * (kernel/special-pool.ts) is switched on here for the verified drivers' allocations.
 */
import { BugCheckCode } from "../kernel/bugcheck-codes.js";
import { DISPATCH_LEVEL, KernelMode, UserMode, irqlName } from "../kernel/irql.js";
import { MM_SYSTEM_RANGE_START } from "../kernel/memory-constants.js";
import { PAGE_MASK, PAGE_SHIFT, PAGE_SIZE } from "../kernel/physical-memory.js";
import { PTE_PAGEABLE } from "../kernel/pte.js";
import { callerSite } from "../kernel/source-location.js";
import type { KThread } from "../kernel/thread.js";
import { disableSpecialPool, enableSpecialPool, type SpecialPoolPolicy, type SpecialPoolViolation } from "../kernel/special-pool.js";
import { DO_BUFFERED_IO, DO_DIRECT_IO, IRP_MJ_DEVICE_CONTROL, IRP_MJ_INTERNAL_DEVICE_CONTROL, IRP_MJ_READ, IRP_MJ_WRITE, MDL_MAPPED_TO_SYSTEM_VA, MDL_PAGES_LOCKED, MDL_PARTIAL, MDL_SOURCE_IS_NONPAGED_POOL, METHOD_BUFFERED, METHOD_NEITHER } from "../io-manager/constants.js";
import type { MDL } from "../io-manager/mdl.js";
import type { Frame, IrpRecord, MdlRecord, UserRange } from "./records.js";
import type { Verifier } from "./verifier.js";

const hex = (n: number): string => `0x${(n >>> 0).toString(16).toUpperCase().padStart(8, "0")}`;

/** Installs the MDL and memory rules' hooks and the memory observer. */
export function installMemoryRules(v: Verifier): void {
  const m = v.machine;
  const io = v.io;
  /** System-space mappings of MDLs, live: MDL -> range, and whether the pages are a process's. */
  const mapped = new Map<MDL, { start: number; end: number; user: boolean }>();
  /** The MDL completion is unlocking right now (its unmapping is the I/O manager's). */
  let completionUnlock: MDL | null = null;

  const mdlRecord = (label: string): MdlRecord => {
    let r = v.mdls.get(label);
    if (!r) {
      r = { label, allocSite: null, allocDriver: null, duringDriverEntry: false, lockedBy: null, lockSite: null, everLocked: false, unlockedBy: null, unlockSite: null, irp: null, mdl: null };
      v.mdls.set(label, r);
    }
    return r;
  };
  /** The IRP whose MDL chain holds `mdl`, if it is still live. */
  const irpOf = (mdl: MDL): IrpRecord | null => {
    for (const irp of io.liveIrps) {
      for (let x = v.peek(irp, () => irp.MdlAddress); x; x = x.Next) if (x === mdl) return v.record(irp, null);
    }
    return null;
  };

  v.addIoHooks({
    mdlAllocated(mdl) {
      const r = mdlRecord(mdl.label);
      const driver = m.currentDriver();
      const activity = m.currentActivity();
      Object.assign(r, { allocSite: v.site(), allocDriver: driver, duringDriverEntry: driver !== null && activity?.kind === "DriverEntry of" });
    },
    mdlLocked(mdl) {
      const r = mdlRecord(mdl.label);
      r.lockedBy = m.currentDriver() ?? "the I/O manager";
      r.lockSite = v.site();
      r.everLocked = true;
    },
    mdlMapped(mdl, mappedVa, mode, process) {
      const pages = mdl.pfns.length;
      if (mode === KernelMode) {
        const start = mappedVa - (mappedVa & PAGE_MASK);
        const end = start + pages * PAGE_SIZE;
        mapped.set(mdl, { start, end, user: mdl.Process !== null });
        // A new mapping over an old one's addresses makes them valid again.
        for (let i = v.stale.length - 1; i >= 0; i--) {
          const s = v.stale[i];
          if (s && s.start < end && start < s.end) v.stale.splice(i, 1);
        }
      } else if (process) {
        v.userRanges.push({ start: mappedVa, end: mappedVa + pages * PAGE_SIZE, process, what: `the user-space mapping of ${mdl.label}` });
      }
    },
    mdlUnmapped(mdl, _mappedVa, mode) {
      if (mode !== KernelMode) return;
      const range = mapped.get(mdl);
      mapped.delete(mdl);
      if (range) {
        // Where the mapping went: the driver's line that completed the IRP or unmapped it.
        const site = v.sourceLines ? callerSite() : null;
        const at = site ? ` at ${site}` : "";
        const why = completionUnlock === mdl ? `IoCompleteRequest${at} unlocked it (${m.describeContext()} completed its IRP)` : `${m.describeContext()} unmapped it${at}`;
        v.stale.push({ start: range.start, end: range.end, mdl: mdl.label, why, time: m.now });
      }
    },
  });

  v.addIoHooks({
    beforeDispatch(irp, device, t) {
      // A request from user mode hands its user buffers to the driver: they are its process's.
      if (irp.RequestorMode !== UserMode || m.currentDriver() !== null) return;
      const rec = v.record(irp, t);
      const p = rec.requestor;
      const sl = irp.Stack[irp.CurrentLocation - 1];
      if (!p || !sl) return;
      const add = (start: number, length: number, what: string): void => {
        if (start === 0 || length <= 0 || start >= MM_SYSTEM_RANGE_START) return;
        const r: UserRange = { start, end: start + length, process: p, what: `${rec.label}'s ${what}` };
        rec.userRanges.push(r);
        v.userRanges.push(r);
      };
      const userBuffer = v.peek(irp, () => irp.UserBuffer);
      if (sl.MajorFunction === IRP_MJ_DEVICE_CONTROL || sl.MajorFunction === IRP_MJ_INTERNAL_DEVICE_CONTROL) {
        const dio = sl.Parameters.DeviceIoControl;
        const method = dio.IoControlCode & 3;
        if (method === METHOD_NEITHER) {
          add(dio.Type3InputBuffer, dio.InputBufferLength, "Type3InputBuffer");
          add(userBuffer, dio.OutputBufferLength, "UserBuffer");
        } else if (method === METHOD_BUFFERED) {
          add(userBuffer, irp.userOutputLength, "UserBuffer");
        }
      } else if ((sl.MajorFunction === IRP_MJ_READ || sl.MajorFunction === IRP_MJ_WRITE) && !(device.Flags & (DO_BUFFERED_IO | DO_DIRECT_IO))) {
        add(userBuffer, sl.Parameters.Read.Length, "UserBuffer");
      }
      for (let x = v.peek(irp, () => irp.MdlAddress); x; x = x.Next) mdlRecord(x.label).irp = rec.label;
    },

    beforeProbeAndLock(mdl, mode, _operation, t) {
      const driver = v.verifiedDriver();
      if (!driver) return;
      const va = mdl.StartVa + mdl.ByteOffset;
      if (t.irql > DISPATCH_LEVEL) {
        v.bugCheck("ProbeAtWrongIrql", BugCheckCode.DRIVER_VERIFIER_DETECTED_VIOLATION, [0x70, t.irql, mdl.id, mode], {
          driver,
          routine: m.currentActivity()?.name ?? null,
          text: `${m.describeContext()} calls MmProbeAndLockPages for ${mdl.label} at ${irqlName(t.irql)}; probing may fault pages in and needs IRQL <= DISPATCH_LEVEL (<= APC_LEVEL for pageable or user memory).`,
        });
      }
      if (t.irql === DISPATCH_LEVEL && (va < MM_SYSTEM_RANGE_START || pageable(va))) {
        v.bugCheck("ProbeAtWrongIrql", BugCheckCode.DRIVER_IRQL_NOT_LESS_OR_EQUAL, [va, t.irql, 0, 0], {
          driver,
          routine: m.currentActivity()?.name ?? null,
          text: `${m.describeContext()} calls MmProbeAndLockPages for ${mdl.label} (${va < MM_SYSTEM_RANGE_START ? "a user buffer" : "paged memory"} at ${hex(va)}) at DISPATCH_LEVEL; the probe touches pageable memory, which cannot be paged in at that level${va < MM_SYSTEM_RANGE_START ? `, and ${t.currentProcess.name} is only the current process by chance` : ""}.`,
          codeText: "0xD1",
        });
      }
    },

    beforeUnlockPages(mdl, t) {
      const r = mdlRecord(mdl.label);
      r.mdl = mdl;
      const locked = (mdl.MdlFlags & MDL_PAGES_LOCKED) !== 0;
      if (!locked) {
        if (r.everLocked) {
          const driver = t ? m.currentDriver() : r.unlockedBy;
          if (v.verified(driver)) {
            const frame = mdl.pfns[0] ?? 0;
            const rec = irpOf(mdl);
            v.bugCheck("UnlockTwice", BugCheckCode.PFN_LIST_CORRUPT, [0x07, frame, m.physical.refCount(frame), 0], {
              driver,
              routine: t ? (m.currentActivity()?.name ?? null) : null,
              rec,
              text: t
                ? `${m.describeContext()} unlocks ${mdl.label} again: ${r.unlockedBy ?? "someone"} already unlocked it${r.unlockSite ? ` at ${r.unlockSite}` : ""}, so its frames would be unlocked more times than they were locked.`
                : `IoCompleteRequest unlocks ${mdl.label}, the MDL the I/O manager built for ${r.irp ?? "the IRP"}, but ${r.unlockedBy ?? "a driver"} already unlocked it${r.unlockSite ? ` at ${r.unlockSite}` : ""}: the I/O manager's MDL is the I/O manager's to unlock.`,
              source: t ? v.site() : r.unlockSite,
            });
          }
        } else if (t && !(mdl.MdlFlags & (MDL_SOURCE_IS_NONPAGED_POOL | MDL_PARTIAL))) {
          const driver = v.verifiedDriver();
          if (driver) {
            v.bugCheck("UnlockNeverLocked", BugCheckCode.DRIVER_VERIFIER_DETECTED_VIOLATION, [0x7c, mdl.id, mdl.MdlFlags, 0], {
              driver,
              routine: m.currentActivity()?.name ?? null,
              text: `${m.describeContext()} calls MmUnlockPages for ${mdl.label}, whose pages were never locked${r.allocSite ? ` (it was allocated at ${r.allocSite})` : ""}.`,
            });
          }
        }
        return;
      }
      if (t === null) completionUnlock = mdl;
      r.unlockedBy = t ? (m.currentDriver() ?? "the I/O manager") : "the I/O manager (completing its IRP)";
      r.unlockSite = t ? v.site() : null;
      if (t) {
        const rec = irpOf(mdl);
        if (rec) v.step(rec, `${r.unlockedBy} unlocks ${mdl.label} (MmUnlockPages)`, r.unlockSite);
      }
    },

    beforeMapLockedPages(mdl, mode, _t) {
      const driver = v.verifiedDriver();
      if (!driver) return;
      if (mdl.MdlFlags & (MDL_PAGES_LOCKED | MDL_SOURCE_IS_NONPAGED_POOL | MDL_PARTIAL)) {
        const rec = irpOf(mdl);
        if (rec) v.step(rec, `${driver} maps ${mdl.label} into ${mode === KernelMode ? "system space" : "the current process"}`, v.site());
        return;
      }
      const r = v.mdls.get(mdl.label);
      v.bugCheck("MapUnlockedPages", BugCheckCode.DRIVER_VERIFIER_DETECTED_VIOLATION, [0x85, mdl.id, mdl.pageCount, mdl.pfns[0] ?? 0], {
        driver,
        routine: m.currentActivity()?.name ?? null,
        rec: irpOf(mdl),
        text: `${m.describeContext()} maps ${mdl.label}, whose pages are not locked${r?.everLocked ? ` any more: ${r.unlockedBy ?? "someone"} unlocked them${r.unlockSite ? ` at ${r.unlockSite}` : ""}` : ""}; the mapping would point at frames that can be reused.`,
      });
    },

    beforeFreePagesFromMdl(mdl, _t) {
      // Pages freed under a live mapping: the app (or a system address) would reach frames the
      // memory manager hands to someone else next. Unmap first (MmUnmapLockedPages in the process
      // the user mapping was made in), then MmFreePagesFromMdl, then ExFreePool the MDL.
      const driver = v.verifiedDriver();
      if (!driver) return;
      const users = mdl.userMappings ?? [];
      if (mdl.MdlFlags & MDL_MAPPED_TO_SYSTEM_VA || users.length > 0) {
        const where = mdl.MdlFlags & MDL_MAPPED_TO_SYSTEM_VA ? `at system address ${hex(mdl.MappedSystemVa)}` : `into ${users.map((u) => `${u.process.name} at ${hex(u.base + mdl.ByteOffset)}`).join(", ")}`;
        v.bugCheck("FreePagesStillMapped", BugCheckCode.DRIVER_VERIFIER_DETECTED_VIOLATION, [0x8a, mdl.id, mdl.MdlFlags, users.length], {
          driver,
          routine: m.currentActivity()?.name ?? null,
          text: `${m.describeContext()} calls MmFreePagesFromMdl for ${mdl.label} while its pages are still mapped ${where}: unmap them first (MmUnmapLockedPages), or the mapping reaches freed frames.`,
        });
      }
    },

    beforeFreeMdl(mdl, _t) {
      const driver = v.verifiedDriver();
      if (!driver) return;
      if (mdl.MdlFlags & MDL_MAPPED_TO_SYSTEM_VA || (mdl.userMappings?.length ?? 0) > 0) {
        v.bugCheck("FreeMdlStillMapped", BugCheckCode.DRIVER_VERIFIER_DETECTED_VIOLATION, [0xb8, mdl.id, mdl.MdlFlags, 0], {
          driver,
          routine: m.currentActivity()?.name ?? null,
          text: `${m.describeContext()} frees ${mdl.label} with IoFreeMdl while it is still mapped${mdl.MdlFlags & MDL_MAPPED_TO_SYSTEM_VA ? ` at system address ${hex(mdl.MappedSystemVa)}` : " into a process"}.`,
        });
      }
    },
  });

  v.addKernelHooks({
    processRundown(p) {
      if (p.lockedPages <= 0 || !v.lockedPageTracking) return;
      for (const mdl of io.liveMdls) {
        if (mdl.Process !== p || !(mdl.MdlFlags & MDL_PAGES_LOCKED)) continue;
        const r = mdlRecord(mdl.label);
        const rec = irpOf(mdl);
        const byIoManager = r.lockedBy === null || r.lockedBy === "the I/O manager";
        const driver = byIoManager ? (rec?.pendedBy ?? rec?.holder ?? rec?.irp.dispatchedDriver ?? null) : r.lockedBy;
        if (!v.verified(driver)) continue;
        v.bugCheck("ProcessExitWithLockedPages", BugCheckCode.DRIVER_LEFT_LOCKED_PAGES_IN_PROCESS, [0, 0, mdl.id, p.lockedPages], {
          driver,
          routine: byIoManager ? (rec?.holderRoutine ?? null) : null,
          rec,
          text: byIoManager
            ? `${p.name} exits with ${p.lockedPages} page(s) still locked: ${mdl.label} is the buffer of ${rec?.label ?? "an IRP"}, which ${driver} still holds, so the I/O manager never unlocked it.`
            : `${p.name} exits with ${p.lockedPages} page(s) still locked: ${driver} locked ${mdl.label}${r.lockSite ? ` at ${r.lockSite}` : ""} and never unlocked it.`,
          source: byIoManager ? (rec?.pendSite ?? null) : r.lockSite,
        });
      }
    },
  });

  installSpecialPool(v);

  // ---- The memory observer -------------------------------------------------------------------

  const pageable = (va: number): boolean => {
    const pte = m.system.table.get(va >>> PAGE_SHIFT);
    return (pte & PTE_PAGEABLE) !== 0 && m.physical.lockCount(pte >>> PAGE_SHIFT) === 0;
  };

  /** The request frame whose own code runs now on `t`, if the innermost activity is its dispatch routine. */
  const requestFrame = (t: KThread): Frame | null => {
    const fs = v.frames.get(t);
    const top = fs && fs.length > 0 ? fs[fs.length - 1] : undefined;
    const a = m.currentActivity();
    return top && a?.kind === "dispatch routine" && a.name === top.routine ? top : null;
  };

  const inRanges = (ranges: readonly UserRange[], va: number): UserRange | null => {
    for (const r of ranges) if (va >= r.start && va < r.end) return r;
    return null;
  };

  const contextCheck = (t: KThread, va: number, driver: string): void => {
    const cur = t.currentProcess;
    const vpn = va >>> PAGE_SHIFT;
    let other: UserRange | null = null;
    let mine = false;
    for (const r of v.userRanges) {
      if (va < r.start || va >= r.end) continue;
      if (r.process === cur) mine = true;
      else other ??= r;
    }
    const frame = requestFrame(t);
    const inOwnRequest = frame !== null && frame.rec.requestor === cur;
    const learned = v.learnedPages.get(vpn);
    if (inOwnRequest) {
      if (learned) learned.add(cur);
      else v.learnedPages.set(vpn, new Set([cur]));
    }
    if (mine || (other === null && (inOwnRequest || !learned || learned.has(cur)))) return;
    const owner = other ? other.process : [...(learned ?? [])][0];
    if (!owner || owner === cur) return;
    if (!v.once("CrossProcessUserAccess", `${driver}:${owner.pid}:${cur.pid}:${vpn}`)) return;
    const valid = cur.addressSpace ? m.mmu.frameOf(cur.addressSpace.table, va) >= 0 : false;
    const irpRec = other ? [...v.irps.values()].find((r) => r.userRanges.includes(other)) : undefined;
    v.finding("CrossProcessUserAccess", {
      driver,
      routine: m.currentActivity()?.name ?? null,
      rec: irpRec ?? null,
      text: `${m.describeContext()} touches user address ${hex(va)}, which is ${owner.name}'s (pid ${owner.pid}${other ? `, ${other.what}` : ""}), while ${cur.name} (pid ${cur.pid}) is the current process: ${valid ? `the address is valid in ${cur.name} too, so the access reaches ${cur.name}'s memory instead` : `the address means nothing in ${cur.name}`}.`,
    });
  };

  const doubleFetch = (t: KThread, va: number, length: number, write: boolean, user: boolean, driver: string): void => {
    const f = requestFrame(t);
    if (!f) return;
    const end = va + Math.max(1, length);
    if (write) {
      for (let i = f.reads.length - 1; i >= 0; i--) {
        const r = f.reads[i];
        if (r && r.start < end && va < r.end) f.reads.splice(i, 1);
      }
      return;
    }
    let tracked = false;
    if (user) tracked = inRanges(f.rec.userRanges, va) !== null;
    else for (const r of mapped.values()) if (r.user && va >= r.start && va < r.end) tracked = true;
    if (!tracked) return;
    const site = v.site();
    if (!f.doubleFetchReported) {
      for (const r of f.reads) {
        if (r.start < end && va < r.end) {
          f.doubleFetchReported = true;
          if (!v.once("DoubleFetch", `${driver}:${f.rec.label}`, f.rec)) break;
          v.finding("DoubleFetch", {
            driver,
            routine: f.routine,
            rec: f.rec,
            text: `${driver}!${f.routine} reads ${user ? "user" : "shared (user-mapped)"} memory at ${hex(va)} twice while handling ${f.rec.label} (first at ${r.site ?? "?"}): the app can change it in between, so the value checked is not the value used.`,
            source: site,
          });
          break;
        }
      }
    }
    f.reads.push({ start: va, end, site });
  };

  const observe = (va: number, length: number, write: boolean): void => {
    const t = m.runningThread();
    if (t === null || t.mode !== KernelMode || t.inApc) return;
    const driver = m.currentDriver();
    if (!v.verified(driver)) return;
    const user = va < MM_SYSTEM_RANGE_START;
    if (user) {
      contextCheck(t, va, driver);
      if (t.irql >= DISPATCH_LEVEL) {
        v.bugCheck("PageableAtDispatch", BugCheckCode.DRIVER_IRQL_NOT_LESS_OR_EQUAL, [va, t.irql, write ? 1 : 0, 0], {
          driver,
          routine: m.currentActivity()?.name ?? null,
          text: `${m.describeContext()} ${write ? "writes" : "reads"} user address ${hex(va)} at ${irqlName(t.irql)}: user memory is pageable and belongs to whichever process is current (${t.currentProcess.name} now).`,
        });
      }
    } else {
      for (const s of v.stale) {
        if (va < s.start || va >= s.end || m.mmu.frameOf(null, va) >= 0) continue;
        const r = v.mdls.get(s.mdl);
        const rec = r?.irp ? [...v.irps.values()].find((x) => x.label === r.irp) : undefined;
        v.bugCheck("StaleSystemAddress", BugCheckCode.PAGE_FAULT_IN_NONPAGED_AREA, [va, write ? 1 : 0, 0, 0], {
          driver,
          routine: m.currentActivity()?.name ?? null,
          rec: rec ?? null,
          text: `${m.describeContext()} ${write ? "writes" : "reads"} ${hex(va)}, which was ${s.mdl}'s system-space mapping until ${(s.time / 10_000).toFixed(3)} ms, when ${s.why}; the address now maps nothing.`,
        });
      }
      if (t.irql >= DISPATCH_LEVEL && pageable(va)) {
        v.bugCheck("PageableAtDispatch", BugCheckCode.DRIVER_IRQL_NOT_LESS_OR_EQUAL, [va, t.irql, write ? 1 : 0, 0], {
          driver,
          routine: m.currentActivity()?.name ?? null,
          text: `${m.describeContext()} ${write ? "writes" : "reads"} paged memory at ${hex(va)} at ${irqlName(t.irql)}; paged pool can be paged out, and a page fault cannot be serviced at that level.`,
        });
      }
    }
    if (v.enabled("DoubleFetch")) doubleFetch(t, va, length, write, user, driver);
  };

  if (v.enabled("CrossProcessUserAccess") || v.enabled("DoubleFetch") || v.enabled("PageableAtDispatch") || v.enabled("StaleSystemAddress")) {
    const previous = m.mmu.observer;
    m.mmu.setObserver((va, length, write) => {
      previous?.(va, length, write);
      observe(va, length, write);
    });
    v.onDetach(() => {
      m.mmu.setObserver(previous);
    });
  }
}



/** The rule each special-pool violation is reported under. */
const SPECIAL_POOL_RULES = { "beyond-end": "SpecialPoolBeyondEnd", freed: "SpecialPoolFreedAccess", corruption: "SpecialPoolCorruption" } as const;

/**
 * Special Pool for the verified drivers' allocations (unless the options turn it off, or none of
 * its rules is checked): the kernel places the blocks and finds the faults; the verifier chooses
 * whose allocations go there and reports what the kernel finds under its rules.
 */
function installSpecialPool(v: Verifier): void {
  const option = v.options.specialPool ?? true;
  if (option === false || !Object.values(SPECIAL_POOL_RULES).some((r) => v.enabled(r))) return;
  const m = v.machine;
  const policy: SpecialPoolPolicy = {
    choose: () => (m.runningThread() === null ? null : v.verifiedDriver()),
    site: () => v.site(),
    report(x: SpecialPoolViolation) {
      v.bugCheck(SPECIAL_POOL_RULES[x.kind], x.code, x.parameters, {
        driver: m.currentDriver(),
        routine: m.currentActivity()?.name ?? null,
        text: x.text,
      });
    },
  };
  enableSpecialPool(m, policy, option === true ? {} : option);
  v.onDetach(() => {
    disableSpecialPool(m, policy);
  });
}
