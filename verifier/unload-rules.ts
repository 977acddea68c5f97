/**
 * Unload and teardown rules. A driver's DriverUnload must leave nothing that would run or point
 * into its code and data: no timer set or DPC queued (0xC7), no IRP it holds (0xCE), no pool
 * block (0xC4/0x62), no device or symbolic link. At the end of a scenario, every IRP, MDL, locked
 * page, pool block, kernel handle or object reference still there is a leak, reported with the
 * place it was allocated.
 */
import { BugCheckCode } from "../kernel/bugcheck-codes.js";
import { poolTagText } from "../kernel/pool.js";
import { SymbolicLink } from "../io-manager/io-manager.js";
import { MDL_PAGES_LOCKED } from "../io-manager/constants.js";
import type { Verifier } from "./verifier.js";
import { FREED_POOL_KEPT } from "./records.js";
import { routineSource } from "./routine-source.js";

const hex = (n: number): string => `0x${(n >>> 0).toString(16).toUpperCase().padStart(8, "0")}`;
/** The I/O manager's tag for the system buffers it allocates ('Irp '). */
const IO_MANAGER_TAG = 0x20707249;

/** Installs the unload rules' hooks and the bookkeeping the teardown report needs. */
export function installUnloadRules(v: Verifier): void {
  const m = v.machine;
  const io = v.io;

  /** Where each device was created, for a device left behind. */
  const deviceSites = new Map<string, string | null>();
  v.addIoHooks({
    deviceCreated(device) {
      deviceSites.set(device.label, v.site());
    },
    symbolicLink(link, created) {
      if (!created) {
        v.links.delete(link.toLowerCase());
        return;
      }
      const d = m.currentDriver();
      if (d) v.links.set(link.toLowerCase(), { driver: d, site: v.site() });
    },
  });

  v.addKernelHooks({
    handleCreated(_process, handle, object) {
      const d = m.currentDriver();
      if (d) v.handles.set(`${handle}:${object.label}`, { driver: d, site: v.site(), object: object.label });
    },
    poolAllocated(_t, address, size, tag) {
      // The range is live again: no longer a freed block's.
      for (let i = v.freedPool.length - 1; i >= 0; i--) {
        const b = v.freedPool[i];
        if (b && b.address < address + size && address < b.address + b.size) v.freedPool.splice(i, 1);
      }
      const d = m.currentDriver();
      if (d) v.pool.set(address, { driver: d, site: v.site(), size, duringDriverEntry: m.currentActivity()?.kind === "DriverEntry of", tag });
    },
    freePool(_t, address) {
      const b = v.pool.get(address);
      v.pool.delete(address);
      if (!b) return;
      if (v.freedPool.length >= FREED_POOL_KEPT) v.freedPool.shift();
      v.freedPool.push({ address, size: b.size, tag: poolTagText(b.tag), driver: b.driver, allocSite: b.site, freedBy: m.describeContext(), freeSite: v.site(), time: m.now });
    },
    timerSet(_t, timer) {
      const d = m.currentDriver();
      if (d) v.timers.set(timer, { driver: d, site: v.site() });
    },
    dpcQueued(_t, dpc) {
      const d = m.currentDriver() ?? dpc.owner;
      if (d) v.dpcs.set(dpc, { driver: d, site: v.site() });
    },
    objectReferenced(_t, object) {
      const d = m.currentDriver();
      if (!d) return;
      const list = v.references.get(object) ?? [];
      list.push({ driver: d, site: v.site() });
      v.references.set(object, list);
    },
    objectDereferenced(_t, object) {
      const d = m.currentDriver();
      const list = v.references.get(object);
      if (!list || !d) return;
      const k = list.findIndex((r) => r.driver === d);
      if (k >= 0) list.splice(k, 1);
      if (list.length === 0) v.references.delete(object);
    },
  });

  v.addIoHooks({
    afterDriverUnload(driver, _t) {
      const name = driver.shortName;
      v.unloaded.add(name.toLowerCase());
      if (!v.verified(name)) return;
      // The DriverUnload that returned leaving something behind: the guilty routine, by name and place.
      const unload = driver.DriverUnload;
      const unloadName = unload ? driver.routineName(unload) : "DriverUnload";
      const unloadAt = v.sourceLines && unload ? routineSource(unload, unloadName) : null;
      const unloadWords = `${name}'s DriverUnload, ${unloadName}${unloadAt ? ` (${unloadAt.replace(/ \(.*\)$/, "")})` : ""},`;
      for (const [timer, info] of v.timers) {
        if (info.driver !== name || !timer.Inserted) continue;
        v.bugCheck("UnloadWithTimerOrDpc", BugCheckCode.TIMER_OR_DPC_INVALID, [0x0, 0, 0, 0], {
          driver: name,
          routine: unloadName,
          text: `${unloadWords} returned without KeCancelTimer(${timer.label}): the timer is still set${info.site ? ` (set at ${info.site})` : ""}, and when it expires its DPC runs code that is no longer loaded.`,
          source: unloadAt ?? info.site,
        });
      }
      for (const dpc of m.interrupts.queuedDpcs) {
        const info = v.dpcs.get(dpc);
        const owner = info?.driver ?? dpc.owner;
        if (owner !== name) continue;
        v.bugCheck("UnloadWithTimerOrDpc", BugCheckCode.TIMER_OR_DPC_INVALID, [0x1, 0, 0, 0], {
          driver: name,
          routine: unloadName,
          text: `${unloadWords} returned with DPC ${dpc.label} still queued${info?.site ? ` (queued at ${info.site})` : ""} (no KeRemoveQueueDpc or KeFlushQueuedDpcs): it would run code that is no longer loaded.`,
          source: unloadAt ?? info?.site ?? null,
        });
      }
      for (const irp of io.liveIrps) {
        const rec = v.irps.get(irp);
        if (!rec || irp.completed) continue;
        const holder = rec.pendedBy ?? rec.holder;
        if (holder !== name) continue;
        v.bugCheck("UnloadWithPendingIrps", BugCheckCode.DRIVER_UNLOADED_WITHOUT_CANCELLING_PENDING_OPERATIONS, [irp.id, 0, 0, 0], {
          driver: name,
          routine: unloadName,
          rec,
          text: `${unloadWords} returned while ${name} still holds ${rec.label}${rec.holderRoutine ? ` (from ${name}!${rec.holderRoutine}${rec.pendSite ? `, pended at ${rec.pendSite}` : ""})` : ""}: its cancel routine or its completion would run code that is no longer loaded.`,
          source: unloadAt ?? rec.pendSite,
        });
      }
      const blocks = [...v.pool.entries()].filter(([, b]) => b.driver === name);
      if (blocks.length > 0) {
        const list = blocks.map(([a, b]) => `${hex(a)} (${b.size} bytes${b.site ? `, allocated at ${b.site}` : ""})`).join(", ");
        v.bugCheck("UnloadWithPool", BugCheckCode.DRIVER_VERIFIER_DETECTED_VIOLATION, [0x62, 0, 0, blocks.length], {
          driver: name,
          routine: unloadName,
          text: `${unloadWords} returned without freeing ${blocks.length} pool block(s): ${list}.`,
          source: unloadAt ?? blocks[0]?.[1].site ?? null,
        });
      }
      for (let d = driver.DeviceObject; d; d = d.NextDevice) {
        if (!v.once("UnloadLeftDevice", `${name}:${d.label}`)) continue;
        v.finding("UnloadLeftDevice", {
          driver: name,
          routine: "DriverUnload",
          text: `${name}'s DriverUnload returned leaving device ${d.label}${deviceSites.get(d.label) ? ` (created at ${deviceSites.get(d.label) ?? ""})` : ""}: the device object and its extension stay allocated and its name stays in the namespace.`,
          source: deviceSites.get(d.label) ?? null,
        });
      }
      for (const [link, info] of v.links) {
        if (info.driver !== name || !(io.lookupName(link) instanceof SymbolicLink)) continue;
        if (!v.once("UnloadLeftSymbolicLink", `${name}:${link}`)) continue;
        v.finding("UnloadLeftSymbolicLink", {
          driver: name,
          routine: "DriverUnload",
          text: `${name}'s DriverUnload returned leaving symbolic link ${(io.lookupName(link) as SymbolicLink).objectName ?? link}: apps can still open a name whose driver is gone.`,
          source: info.site,
        });
      }
    },
  });
}

/** Reports what a scenario left behind (see the module's comment). */
export function teardownFindings(v: Verifier): void {
  const m = v.machine;
  const io = v.io;
  /** Resources a still-loaded driver made in its DriverEntry are its state, not leaks. */
  const driverState = (driver: string | null, duringDriverEntry: boolean): boolean => driver !== null && duringDriverEntry && !v.unloaded.has(driver.toLowerCase());

  for (const irp of io.liveIrps) {
    const rec = v.record(irp, null);
    if (driverState(rec.creator, rec.duringDriverEntry)) continue;
    const holder = rec.pendedBy ?? rec.holder ?? rec.creator;
    if (!v.once("LeakedIrp", "teardown", rec)) continue;
    // The statement that dropped it: the last step of its timeline that driver code took.
    const last = rec.steps.length > 1 ? [...rec.steps.slice(1)].reverse().find((s) => s.site !== null) : undefined;
    v.finding("LeakedIrp", {
      driver: holder,
      routine: rec.holderRoutine,
      rec,
      text: `${rec.label} (${rec.origin === "service" ? `issued by ${rec.requestor?.name ?? "an app"}` : rec.origin}) is still allocated when the scenario ends${holder ? `: ${holder}${rec.holderRoutine ? `!${rec.holderRoutine}` : ""} holds it` : ""}${last ? `; the last thing driver code did with it: ${last.text} (at ${last.site ?? ""})` : ""}.`,
      source: last?.site ?? rec.allocSite,
    });
  }
  for (const mdl of io.liveMdls) {
    const r = v.mdls.get(mdl.label);
    if (driverState(r?.allocDriver ?? null, r?.duringDriverEntry ?? false)) continue;
    // A locked MDL left behind is reported once, as the locked pages it holds.
    if (mdl.MdlFlags & MDL_PAGES_LOCKED) {
      if (!v.once("LeakedLockedPages", mdl.label)) continue;
      v.finding("LeakedLockedPages", {
        driver: r?.lockedBy ?? null,
        text: `${mdl.label} still locks ${mdl.pfns.length} page(s)${mdl.Process ? ` of ${mdl.Process.name}` : ""} when the scenario ends: locked by ${r?.lockedBy ?? "?"}${r?.lockSite ? ` at ${r.lockSite}` : ""}, never unlocked or freed.`,
        source: r?.lockSite ?? null,
      });
      continue;
    }
    if (!v.once("LeakedMdl", mdl.label)) continue;
    v.finding("LeakedMdl", {
      driver: r?.allocDriver ?? null,
      text: `${mdl.label} (${mdl.ByteCount} bytes at ${hex(mdl.StartVa + mdl.ByteOffset)}, allocated by ${r?.allocDriver ?? "the I/O manager"}) is still allocated when the scenario ends.`,
      source: r?.allocSite ?? null,
    });
  }
  for (const pool of [m.nonPagedPool, m.pagedPool]) {
    for (const b of pool.liveBlocks()) {
      const owner = v.pool.get(b.address);
      if (owner && driverState(owner.driver, owner.duringDriverEntry)) continue;
      const who = owner?.driver ?? (b.tag === IO_MANAGER_TAG ? "the I/O manager" : "an unknown caller");
      if (!v.once("LeakedPool", hex(b.address))) continue;
      v.finding("LeakedPool", {
        driver: owner?.driver ?? null,
        text: `pool block ${hex(b.address)} (${b.size} bytes, tag '${poolTagText(b.tag)}', ${pool === m.pagedPool ? "paged" : "nonpaged"}) allocated by ${who} is never freed.`,
        source: v.sourceLines ? (owner?.site ?? b.site) : null,
      });
    }
  }
  for (const [h, e] of m.systemProcess.handleTable.handles()) {
    const info = v.handles.get(`${h}:${e.object.label}`);
    if (!info) continue;
    if (!v.once("LeakedHandle", `${h}`)) continue;
    v.finding("LeakedHandle", {
      driver: info.driver,
      text: `kernel handle ${hex(h | 0x80000000)} to ${info.object}, opened by ${info.driver}, is never closed.`,
      source: info.site,
    });
  }
  for (const [object, refs] of v.references) {
    for (const r of refs) {
      if (!v.once("LeakedReference", `${object.label}:${r.driver}:${r.site ?? ""}`)) continue;
      v.finding("LeakedReference", {
        driver: r.driver,
        text: `${r.driver} took a reference to ${object.label} and never dropped it (no matching ObDereferenceObject).`,
        source: r.site,
      });
    }
  }
}
