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
    removeLock(op, lock, tag, status) {
      const driver = v.verifiedDriver();
      let rec = locks.get(lock);
      if (op === "initialize") {
        if (rec && driver) {
          v.bugCheck("RemoveLockReinitialized", BugCheckCode.DRIVER_VERIFIER_DETECTED_VIOLATION, [0xd7, 0, 0, 0], {
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
      const rule = op === "release" ? "RemoveLockReleaseMismatch" : "RemoveLockReleaseAndWaitMismatch";
      v.bugCheck(rule, BugCheckCode.DRIVER_VERIFIER_DETECTED_VIOLATION, [op === "release" ? 0xd5 : 0xd6, 0, 0, 0], {
        driver,
        routine: routine(),
        text: `${m.describeContext()} calls ${op === "release" ? "IoReleaseRemoveLock" : "IoReleaseRemoveLockAndWait"} on ${lock.label} with tag ${tagText(tag)}, but ${why}.`,
      });
    },
  });

  v.addKernelHooks({
    lookaside(_t, api, list, size) {
      const driver = v.verifiedDriver();
      if (!driver) return;
      const where = { driver, routine: routine() };
      if (api.startsWith("ExInitialize")) {
        if (list.L.active) {
          v.bugCheck("LookasideReinitialized", BugCheckCode.DRIVER_VERIFIER_DETECTED_VIOLATION, [0xca, 0, 0, 0], { ...where, text: `${m.describeContext()} calls ${api} on a lookaside list that is still active (initialised and not deleted).` });
        }
        if (size !== null && size < MINIMUM_LOOKASIDE_BLOCK_SIZE) {
          v.bugCheck("LookasideBlockTooSmall", BugCheckCode.DRIVER_VERIFIER_DETECTED_VIOLATION, [0xcd, 0, size, MINIMUM_LOOKASIDE_BLOCK_SIZE], { ...where, text: `${m.describeContext()} calls ${api} with a block size of ${size} bytes; the smallest a lookaside list supports is ${MINIMUM_LOOKASIDE_BLOCK_SIZE}.` });
        }
      } else if (api.startsWith("ExDelete") && !list.L.active) {
        v.bugCheck("LookasideDeleteUninitialized", BugCheckCode.DRIVER_VERIFIER_DETECTED_VIOLATION, [0xcb, 0, 0, 0], { ...where, text: `${m.describeContext()} calls ${api} on a lookaside list that was never initialised (or was already deleted).` });
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
