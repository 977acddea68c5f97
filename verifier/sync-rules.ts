/**
 * Rules for the synchronization and object routines: remove-lock tag tracking (Driver Verifier's
 * I/O Verification pairs every IoReleaseRemoveLock with an IoAcquireRemoveLock of the same tag),
 * work items in freed pool (Miscellaneous Checks).
 */
import { SyncBugCheckCode, BugCheckCode } from "../kernel/bugcheck-codes.js";
import { STATUS_SUCCESS } from "../kernel/status.js";
import type { IO_REMOVE_LOCK } from "../io-manager/remove-lock.js";
import { workItemsByAddress } from "../io-manager/work-item.js";
import { MINIMUM_LOOKASIDE_BLOCK_SIZE } from "../kernel/lookaside.js";
import { APC_LEVEL, KernelMode } from "../kernel/irql.js";
import { KERNEL_HANDLE_BIT, isKernelHandle } from "../kernel/api-ps-ob.js";
import { NtCurrentProcess, NtCurrentThread } from "../kernel/object-manager.js";
import { FAST_MUTEX, KGUARDED_MUTEX } from "../kernel/fast-mutex.js";
import { ERESOURCE } from "../kernel/eresource.js";
import { EX_PUSH_LOCK } from "../kernel/push-lock.js";
import { EX_RUNDOWN_REF } from "../kernel/rundown-ref.js";
import type { KThread } from "../kernel/thread.js";
import { processNotifyRoutines } from "../kernel/ps-notify.js";
import type { RuleId } from "./rules.js";
import type { Verifier } from "./verifier.js";

/** What the verifier knows of one remove lock. */
interface RemoveLockRecord {
  /** Tags held: tag -> number of successful acquires not yet released. */
  readonly held: Map<unknown, number>;
  /** Acquires that returned STATUS_DELETE_PENDING, by tag: where. */
  readonly refused: Map<unknown, string | null>;
  readonly initSite: string | null;
}

/** A tag as the message prints it. */
function tagText(tag: unknown): string {
  if (tag === null || tag === undefined) return "NULL";
  if (typeof tag === "number") return `0x${(tag >>> 0).toString(16).toUpperCase()}`;
  if (typeof tag === "string") return `'${tag}'`;
  const label = (tag as { label?: unknown }).label;
  return typeof label === "string" ? label : "a tag";
}

/** Installs the synchronization rules' hooks. */
export function installSyncRules(v: Verifier): void {
  const m = v.machine;
  const locks = new WeakMap<IO_REMOVE_LOCK, RemoveLockRecord>();
  const routine = (): string | null => m.currentActivity()?.name ?? null;

  v.addIoHooks({
    afterDriverUnload(driver) {
      const name = driver.shortName;
      if (!v.verified(name)) return;
      for (const r of processNotifyRoutines(m)) {
        if (r.driver !== name) continue;
        v.bugCheck("UnloadWithNotifyRoutine", BugCheckCode.DRIVER_UNLOADED_WITHOUT_CANCELLING_PENDING_OPERATIONS, [0, 0, 0, 0], {
          driver: name,
          routine: "DriverUnload",
          text: `${name} unloads with process-notify routine ${r.routine.name || "(anonymous)"} still registered${r.site ? ` (registered at ${r.site})` : ""}: the next process creation or exit would call code that is no longer loaded.`,
          source: v.sourceLines ? r.site : null,
        });
      }
    },
    removeLock(op, lock, tag, status) {
      const driver = v.verifiedDriver();
      let rec = locks.get(lock);
      if (op === "initialize") {
        if (rec && driver) {
          v.bugCheck("RemoveLockMisuse", BugCheckCode.DRIVER_VERIFIER_DETECTED_VIOLATION, [0xd7, 0, 0, 0], {
            codeText: "0xC4/0xD7",
            driver,
            routine: routine(),
            text: `${m.describeContext()} initialises ${lock.label} again${rec.initSite ? ` (first initialised at ${rec.initSite})` : ""}: other threads may be using it.`,
          });
        }
        locks.set(lock, { held: new Map(), refused: new Map(), initSite: v.site() });
        return;
      }
      if (!rec) {
        rec = { held: new Map(), refused: new Map(), initSite: null };
        locks.set(lock, rec);
      }
      if (op === "acquire") {
        if (status === STATUS_SUCCESS) {
          rec.held.set(tag, (rec.held.get(tag) ?? 0) + 1);
          rec.refused.delete(tag);
        } else {
          rec.refused.set(tag, v.site());
        }
        return;
      }
      const n = rec.held.get(tag) ?? 0;
      if (n > 0) {
        if (n === 1) rec.held.delete(tag);
        else rec.held.set(tag, n - 1);
        return;
      }
      if (!driver) return;
      const refused = rec.refused.has(tag) ? rec.refused.get(tag) : undefined;
      const why =
        refused !== undefined
          ? `its IoAcquireRemoveLock with that tag${refused ? ` at ${refused}` : ""} returned STATUS_DELETE_PENDING, so nothing was held`
          : rec.held.size === 0
            ? "no reference is held at all (a release without an acquire)"
            : `that tag was never acquired (held: ${[...rec.held.keys()].map(tagText).join(", ")})`;
      const sub = op === "release" ? 0xd5 : 0xd6;
      v.bugCheck("RemoveLockMisuse", BugCheckCode.DRIVER_VERIFIER_DETECTED_VIOLATION, [sub, 0, 0, 0], {
        codeText: `0xC4/0x${sub.toString(16).toUpperCase()}`,
        driver,
        routine: routine(),
        text: `${m.describeContext()} calls ${op === "release" ? "IoReleaseRemoveLock" : "IoReleaseRemoveLockAndWait"} on ${lock.label} with tag ${tagText(tag)}, but ${why}.`,
      });
    },
  });

  /** Normal kernel APCs are off: a critical or guarded region, or APC_LEVEL and above. */
  const apcsDisabled = (t: KThread): boolean => t.kernelApcDisable > 0 || t.specialApcDisable > 0 || t.irql >= APC_LEVEL;
  const hex = (n: number): string => `0x${n.toString(16).toUpperCase()}`;
  const violation = (rule: RuleId, sub: number, p: readonly [number, number, number], text: string): void => {
    const driver = v.verifiedDriver();
    if (!driver) return;
    v.bugCheck(rule, BugCheckCode.DRIVER_VERIFIER_DETECTED_VIOLATION, [sub, p[0], p[1], p[2]], { driver, routine: routine(), codeText: `0xC4/${hex(sub)}`, text: `${m.describeContext()} ${text}` });
  };
  const isAcquire = (api: string): boolean => /Acquire|TryTo/.test(api);
  const isRelease = (api: string): boolean => /Release/.test(api);

  v.addKernelHooks({
    syncLock(t, api, lock) {
      if (!v.verifiedDriver()) return;
      if (lock instanceof FAST_MUTEX || lock instanceof KGUARDED_MUTEX) {
        const unsafe = api.endsWith("Unsafe");
        if (lock instanceof FAST_MUTEX && isAcquire(api) && !unsafe && t.irql > APC_LEVEL) violation("FastMutexIrql", 0x33, [t.irql, 0, 0], `calls ${api} at IRQL ${t.irql}: a fast mutex is acquired at IRQL <= APC_LEVEL.`);
        if (lock instanceof FAST_MUTEX && isRelease(api) && !unsafe && t.irql !== APC_LEVEL) violation("FastMutexIrql", 0x34, [t.irql, 0, 0], `calls ${api} at IRQL ${t.irql}: the release must happen at the APC_LEVEL ExAcquireFastMutex left the thread at.`);
        if (lock instanceof FAST_MUTEX && unsafe && t.irql !== APC_LEVEL && t.kernelApcDisable <= 0 && t.specialApcDisable <= 0) {
          violation("FastMutexIrql", isAcquire(api) ? 0x39 : 0x3a, [t.irql, t.kernelApcDisable, 0], `calls ${api} at IRQL ${t.irql} outside a critical region.`);
        }
        if (isAcquire(api) && !api.includes("TryTo") && lock.Owner === t) violation("LockSelfDeadlock", 0x1000, [0, 0, 0], `calls ${api} on ${lock.label}, which it already owns: it is not recursive, so the thread waits for itself for ever.`);
        if (isRelease(api) && lock.Owner !== t) {
          if (lock.Owner === null) violation("LockMisuse", 0x1007, [0, 0, 0], `calls ${api} on ${lock.label}, which nobody holds.`);
          else if (v.enabled("WrongThreadRelease")) {
            const driver = v.verifiedDriver() ?? "";
            v.bugCheck("WrongThreadRelease", BugCheckCode.DRIVER_VERIFIER_DETECTED_VIOLATION, [0x1004, 0, lock.Owner.tid, t.tid], { driver, routine: routine(), text: `${m.describeContext()} releases ${lock.label}, which ${lock.Owner.label} acquired.` });
          }
        }
        return;
      }
      if (lock instanceof ERESOURCE) {
        if (api === "ExInitializeResourceLite" && lock.initialized) violation("LockMisuse", 0xd0, [0, 0, 0], `initialises ${lock.label} again while it is in use.`);
        if (api === "ExDeleteResourceLite") {
          if (!lock.initialized) violation("LockMisuse", 0xd1, [0, 0, 0], `deletes ${lock.label}, which was never initialised (or was already deleted).`);
          else if (lock.ActiveCount > 0) violation("LockMisuse", 0x100b, [lock.ExclusiveOwner?.tid ?? 0, 0, 0], `deletes ${lock.label} while ${lock.ExclusiveOwner ? lock.ExclusiveOwner.label : [...lock.SharedOwners.keys()].map((x) => x.label).join(", ")} still holds it.`);
        }
        const acquiring = api.startsWith("ExAcquire") || api === "ExEnterCriticalRegionAndAcquireResourceExclusive";
        const releasing = api.startsWith("ExRelease");
        if ((acquiring || releasing) && !lock.initialized) violation("LockMisuse", 0x1002, [0, 0, 0], `calls ${api} on ${lock.label}, which was never initialised with ExInitializeResourceLite.`);
        if ((acquiring || releasing) && !apcsDisabled(t)) {
          violation("CriticalRegionRequired", acquiring ? 0x37 : 0x38, [t.irql, t.kernelApcDisable, 0], `calls ${api} on ${lock.label} with normal kernel APCs enabled (not in a critical region): a suspend APC could stop the thread while it holds the resource.`);
        }
        if (api.includes("Exclusive") && acquiring && lock.SharedOwners.has(t) && lock.ExclusiveOwner !== t) {
          violation("LockSelfDeadlock", 0x1000, [0, 0, 0], `asks for ${lock.label} exclusive while it holds it shared: it waits for itself for ever.`);
        }
        return;
      }
      if (lock instanceof EX_PUSH_LOCK) {
        const acquiring = api.startsWith("ExAcquire");
        if ((acquiring || isRelease(api)) && !apcsDisabled(t)) {
          violation("CriticalRegionRequired", acquiring ? 0xea : 0xeb, [t.irql, t.kernelApcDisable, 0], `calls ${api} on ${lock.label} with normal kernel APCs enabled (not in a critical region).`);
        }
        if (acquiring && (lock.Exclusive === t || lock.Shared.has(t))) violation("LockSelfDeadlock", 0x1000, [0, 0, 0], `calls ${api} on ${lock.label}, which it already holds: push locks are not recursive.`);
        if (isRelease(api) && lock.Exclusive !== t && !lock.Shared.has(t)) violation("LockMisuse", 0x1007, [0, 0, 0], `calls ${api} on ${lock.label}, which it does not hold.`);
        return;
      }
      if (lock instanceof EX_RUNDOWN_REF && isRelease(api) && lock.Count === 0) {
        const driver = v.verifiedDriver();
        if (driver && v.once("RundownReleaseWithoutAcquire", `${lock.label}:${driver}`)) {
          v.finding("RundownReleaseWithoutAcquire", { driver, routine: routine(), text: `${m.describeContext()} calls ExReleaseRundownProtection on ${lock.label}, which holds no reference: a release without a successful acquire.` });
        }
      }
    },
    referenceByHandle(t, handle, type, mode) {
      const driver = v.verifiedDriver();
      if (!driver) return;
      const typeName = type ? type.Name : "any type";
      const pseudo = handle === NtCurrentProcess || handle === NtCurrentThread;
      const kernelHandle = isKernelHandle(handle);
      if (mode === KernelMode) {
        if (handle === 0) violation("BadHandleReference", 0xf5, [0, 0, 0], `calls ObReferenceObjectByHandle with a NULL handle (${typeName}).`);
        else if (!kernelHandle && !pseudo && t.currentProcess !== m.systemProcess) {
          violation("KernelModeUserHandle", 0xf6, [handle, t.currentProcess.pid, 0], `references handle 0x${handle.toString(16).toUpperCase()} of ${t.currentProcess.name} (a user-mode handle) with AccessMode KernelMode: no type or access check protects it, and the app can close or replace it.`);
        } else if (kernelHandle && !m.systemProcess.handleTable.lookup(handle & ~KERNEL_HANDLE_BIT)) {
          violation("BadHandleReference", 0x3c, [handle, 0, 0], `calls ObReferenceObjectByHandle with kernel handle 0x${handle.toString(16).toUpperCase()}, which is not open (${typeName}).`);
        }
      } else if (kernelHandle && t.currentProcess === m.systemProcess) {
        violation("BadHandleReference", 0xf7, [handle, 0, mode], `references kernel handle 0x${handle.toString(16).toUpperCase()} with AccessMode UserMode in the System process: a kernel handle is only valid for KernelMode references.`);
      }
    },
    criticalRegion(t, enter) {
      if (t.irql > APC_LEVEL) violation("CriticalRegionMismatch", enter ? 0x11a : 0x11b, [t.irql, 0, 0], `calls ${enter ? "KeEnterCriticalRegion" : "KeLeaveCriticalRegion"} at IRQL ${t.irql}: critical regions are entered and left at IRQL <= APC_LEVEL.`);
      if (!enter && t.kernelApcDisable <= 0) violation("CriticalRegionMismatch", 0x3e, [0, 0, 0], "calls KeLeaveCriticalRegion outside a critical region (no KeEnterCriticalRegion to match it).");
    },
    lookaside(_t, api, list, size) {
      const driver = v.verifiedDriver();
      if (!driver) return;
      const where = { driver, routine: routine() };
      if (api.startsWith("ExInitialize")) {
        if (list.L.active) {
          v.bugCheck("LookasideMisuse", BugCheckCode.DRIVER_VERIFIER_DETECTED_VIOLATION, [0xca, 0, 0, 0], { ...where, codeText: "0xC4/0xCA", text: `${m.describeContext()} calls ${api} on a lookaside list that is still active (initialised and not deleted).` });
        }
        if (size !== null && size < MINIMUM_LOOKASIDE_BLOCK_SIZE) {
          v.bugCheck("LookasideMisuse", BugCheckCode.DRIVER_VERIFIER_DETECTED_VIOLATION, [0xcd, 0, size, MINIMUM_LOOKASIDE_BLOCK_SIZE], { ...where, codeText: "0xC4/0xCD", text: `${m.describeContext()} calls ${api} with a block size of ${size} bytes; the smallest a lookaside list supports is ${MINIMUM_LOOKASIDE_BLOCK_SIZE}.` });
        }
      } else if (api.startsWith("ExDelete") && !list.L.active) {
        v.bugCheck("LookasideMisuse", BugCheckCode.DRIVER_VERIFIER_DETECTED_VIOLATION, [0xcb, 0, 0, 0], { ...where, codeText: "0xC4/0xCB", text: `${m.describeContext()} calls ${api} on a lookaside list that was never initialised (or was already deleted).` });
      }
    },
    freePool(_t, address) {
      const driver = v.verifiedDriver();
      if (!driver) return;
      const block = m.nonPagedPool.block(address) ?? m.pagedPool.block(address);
      if (!block) return;
      for (const [at, item] of workItemsByAddress(m)) {
        if (!item.queued || at < block.address || at >= block.address + block.size) continue;
        v.bugCheck("WorkItemInFreedPool", SyncBugCheckCode.WORKER_INVALID, [0x0, at, block.address, block.address + block.size], {
          driver,
          routine: routine(),
          text: `${m.describeContext()} frees the pool block at 0x${block.address.toString(16).toUpperCase()}, which holds ${item.label}, still queued: the worker thread would run from freed memory.`,
        });
      }
    },
  });
}
