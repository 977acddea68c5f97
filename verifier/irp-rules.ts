/**
 * The IRP rules: who owns an IRP at each step (dispatched, forwarded, pended, completed, freed)
 * and the completion, pending, cancel and driver-allocated-IRP rules that follow from it.
 */
import { BugCheckCode } from "../kernel/bugcheck-codes.js";
import { DISPATCH_LEVEL, irqlName } from "../kernel/irql.js";
import { NT_ERROR, STATUS_ACCESS_VIOLATION, STATUS_MORE_PROCESSING_REQUIRED, STATUS_PENDING, ntStatusName, type NTSTATUS } from "../kernel/status.js";
import type { KThread } from "../kernel/thread.js";
import { IRP_BUFFERED_IO, IRP_INPUT_OPERATION, SL_PENDING_RETURNED, majorFunctionName } from "../io-manager/constants.js";
import type { DEVICE_OBJECT } from "../io-manager/device-object.js";
import type { IrpWatch } from "../io-manager/hooks.js";
import type { DRIVER_CANCEL, IO_COMPLETION_ROUTINE, IRP } from "../io-manager/irp.js";
import type { Frame, IrpRecord } from "./records.js";
import { returnSite, type ReturnSite } from "./routine-source.js";
import { driverRun } from "../kernel/source-location.js";
import type { Verifier } from "./verifier.js";

const INVALID_STATUS = 0xffffffff;

function name(routine: { readonly name: string } | null): string {
  return routine ? routine.name || "(anonymous)" : "NULL";
}

function statusText(s: NTSTATUS): string {
  return ntStatusName(s >>> 0);
}

/** "IRP_MJ_DEVICE_CONTROL 0x00222003" for the request at the IRP's current location. */
function requestText(irp: IRP): string {
  const sl = irp.Stack[irp.CurrentLocation - 1];
  if (!sl) return "a request";
  const major = majorFunctionName(sl.MajorFunction);
  return sl.MajorFunction === 0x0e || sl.MajorFunction === 0x0f ? `${major} 0x${(sl.Parameters.IoControlCode >>> 0).toString(16).toUpperCase().padStart(8, "0")}` : major;
}

/** The driver function the I/O manager is about to call for an IRP at a device (null: none, or not a function). */
function routineOf(irp: IRP, device: DEVICE_OBJECT): object | null {
  const sl = irp.Stack[irp.CurrentLocation - 1];
  const fn = sl ? device.DriverObject.MajorFunction[sl.MajorFunction] : null;
  return typeof fn === "function" ? fn : null;
}

/** " (at `return STATUS_SUCCESS;`, line 42)", or nothing when the return statement is not known. */
function returnWords(r: ReturnSite | null): string {
  if (!r) return "";
  const others = r.alternatives.length > 0 ? `, or at ${r.alternatives.map((a) => `line ${a.line}`).join(", ")}: nothing the verifier sees runs between them` : "";
  return ` (at \`${r.text}\`, line ${r.line}${others})`;
}

/** Installs the IRP rules' hooks. */
export function installIrpRules(v: Verifier): void {
  const m = v.machine;
  const io = v.io;
  /** IRPs from IoBuild* not yet freed (their callers must wait for them). */
  const built = new Set<IrpRecord>();
  /** IRPs with a cancel routine set and not yet checked (IrpCancelField). */
  const unchecked = new Set<IrpRecord>();
  /** The cancel routine running on each thread, and its driver. */
  const inCancelRoutine = new Map<KThread, { driver: string | null; routine: string }>();
  /** Where the owner of a running completion routine had passed the IRP down. */
  const forwardedAt = new Map<IRP, string | null>();

  const ownerOfLocation = (irp: IRP, rec: IrpRecord): string | null => {
    const dev = irp.CurrentLocation <= irp.StackCount ? (irp.Stack[irp.CurrentLocation - 1]?.DeviceObject ?? null) : null;
    return dev ? dev.DriverObject.shortName : rec.creator;
  };

  /**
   * A driver touched an IRP it has given away (completed, passed down) or that is freed. `viaApi`
   * is true when the touch is a WDK routine's hook (the driver's call for certain).
   */
  const checkOwnership = (irp: IRP, member: string, viaApi: boolean): void => {
    const rec = v.irps.get(irp);
    if (!rec || (rec.released.size === 0 && !rec.freed)) return;
    const d = m.currentDriver();
    if (!v.verified(d)) return;
    if (!rec.freed && !rec.released.has(d)) return;
    if (!viaApi && v.calledFromEmulator()) return;
    if (!v.once("IrpUsedAfterRelease", d, rec)) return;
    const rel = rec.released.get(d);
    const what = rec.freed
      ? `after it was completed and freed`
      : rel?.how === "completed"
        ? `after completing it${rel.site ? ` at ${rel.site}` : ""}`
        : `after passing it down with IoCallDriver${rel?.site ? ` at ${rel.site}` : ""}`;
    const why = rel?.how === "forwarded" && !rec.freed ? "the lower driver may already have completed it and the I/O manager freed it" : "from then on the IRP belongs to the I/O manager, which may already have freed or reused it";
    v.finding("IrpUsedAfterRelease", {
      driver: d,
      routine: m.currentActivity()?.name ?? null,
      rec,
      text: `${d} uses ${rec.label} (${member}) ${what}: ${why}.`,
    });
  };

  const watch: IrpWatch = {
    irpAccessed(irp: IRP, member: string): void {
      if (v.peeking) return;
      const rec = v.irps.get(irp);
      if (!rec) return;
      const t = m.runningThread();
      if (t === null) return;
      if (member === "Cancel") {
        const locks = new Map<(typeof t.heldLocks)[number], number>();
        for (const l of t.heldLocks) locks.set(l, v.lockEpochs.get(l) ?? 0);
        rec.cancelReadLocks = locks;
        rec.cancelReadAt = m.now;
        const c = rec.cancelCheck;
        if (c && (c.lock === null ? c.thread === t : locks.get(c.lock) === c.epoch)) {
          rec.cancelCheck = null;
          unchecked.delete(rec);
        }
      }
      // The first touch of the request in a dispatch routine says where that routine is.
      const fs = v.frames.get(t);
      const top = fs && fs.length > 0 ? fs[fs.length - 1] : undefined;
      if (top && top.irp === irp && top.lastSite === null && !top.lookedUp) {
        top.lookedUp = true;
        top.lastSite = v.site();
      } else if (member === "IoStatus" && top && top.irp === irp && v.sourceLines && !top.forwarded && !top.completedDuring && !top.marked && m.currentActivity()?.kind === "dispatch routine") {
        // Filling in the I/O status moves the routine's last seen line (what finds its return
        // statement), while it still owes the IRP a completion, a forward or a mark; its kernel
        // calls move it too (Verifier.site). Other touches are not worth a stack each.
        const run = driverRun();
        if (run.length > 0) top.lastRun = run;
      }
      checkOwnership(irp, member, false);
    },
  };
  v.irpWatch = watch;

  const afterDispatchRules = (f: Frame, status: NTSTATUS, irqlBefore: number, t: KThread, device: DEVICE_OBJECT): void => {
    const rec = f.rec;
    const irp = f.irp;
    const who = `${f.driver}!${f.routine}`;
    const id = irp.id;
    if (t.irql !== irqlBefore) {
      const held = t.heldLocks.length > 0 ? ` still holding ${t.heldLocks.map((l) => l.label).join(", ")}` : "";
      v.bugCheck("DispatchIrqlChanged", BugCheckCode.DRIVER_VERIFIER_IOMANAGER_VIOLATION, [0x05, device.objectId, irqlBefore, t.irql], {
        driver: f.driver,
        routine: f.routine,
        rec,
        text: `${who} was called at ${irqlName(irqlBefore)} and returned at ${irqlName(t.irql)}${held}.`,
        source: f.lastRaiseSite ?? f.lastSite,
      });
    }
    if (status !== STATUS_PENDING && f.selfCompletion && status >>> 0 !== f.selfCompletion.status >>> 0) {
      v.bugCheck("StatusMismatch", BugCheckCode.DRIVER_VERIFIER_IOMANAGER_VIOLATION, [0x224, 0, id, device.objectId], {
        driver: f.driver,
        routine: f.routine,
        rec,
        text: `${who} completed ${rec.label} with ${statusText(f.selfCompletion.status)} but returned ${statusText(status)}: the caller sees one status and the I/O status block another.`,
        source: f.selfCompletion.site,
      });
    }
    // The return statement that ended the call, when the rule is about what the routine did not do before it.
    const returned = (): ReturnSite | null => (v.sourceLines && f.routineFn ? returnSite(f.routineFn, f.routine, f.lastRun, statusText(status)) : null);
    if (status !== STATUS_PENDING && !f.forwarded && !f.completedDuring && v.enabled("IrpNotHandled")) {
      const r = returned();
      v.bugCheck("IrpNotHandled", BugCheckCode.DRIVER_VERIFIER_IOMANAGER_VIOLATION, [0x226, 0, id, device.objectId], {
        driver: f.driver,
        routine: f.routine,
        rec,
        text: `${who} returned ${statusText(status)} for ${rec.label}${returnWords(r)} without completing it, passing it down or marking it pending: nobody owns the IRP now and its requester waits for ever.`,
        source: r?.source ?? f.lastSite,
      });
    }
    if (status === STATUS_PENDING && !f.marked && !f.forwarded && !f.selfCompletion && v.once("PendingWithoutMark", f.driver, rec)) {
      const r = returned();
      v.finding("PendingWithoutMark", {
        driver: f.driver,
        routine: f.routine,
        rec,
        text: `${who} returned STATUS_PENDING for ${rec.label}${returnWords(r)} without calling IoMarkIrpPending, so when the IRP completes Irp->PendingReturned is FALSE and the I/O manager treats it as finished at once: an overlapped caller may never be signalled.`,
        source: r?.source ?? f.lastSite,
      });
    }
    if (status !== STATUS_PENDING && f.marked && v.once("MarkedWithoutPending", f.driver, rec)) {
      v.finding("MarkedWithoutPending", {
        driver: f.driver,
        routine: f.routine,
        rec,
        text: `${who} marked ${rec.label} pending${f.markSite ? ` at ${f.markSite}` : ""} but returned ${statusText(status)}, not STATUS_PENDING.`,
        source: f.markSite,
      });
    }
    // Marked pending, completed, STATUS_PENDING returned is what IoMarkIrpPending's contract
    // asks for; only an unmarked IRP completed here and reported pending is wrong.
    if (status === STATUS_PENDING && f.selfCompletion && !f.marked && v.once("PendedCompletedRequest", f.driver, rec)) {
      v.finding("PendedCompletedRequest", {
        driver: f.driver,
        routine: f.routine,
        rec,
        text: `${who} completed ${rec.label} itself without marking it pending and then returned STATUS_PENDING: the I/O manager waits for a completion that already happened, and the caller may never be signalled.`,
        source: f.selfCompletion.site,
      });
    }
    const c = rec.cancelCheck;
    if (c && c.lock === null && c.thread === t && c.driver === f.driver) {
      rec.cancelCheck = null;
      unchecked.delete(rec);
      if (v.once("IrpCancelField", c.driver, rec)) {
        v.finding("IrpCancelField", {
          driver: c.driver,
          routine: f.routine,
          rec,
          text: `${who} set cancel routine ${c.routine ?? "?"} on ${rec.label} and returned without testing Irp->Cancel: if the IRP was cancelled before the routine was set, nobody will ever complete it.`,
          source: c.site,
        });
      }
    }
    for (const b of f.sentBuilt) {
      if (b.waitedFor || b.freed) continue;
      if (!v.once("IoBuildDeviceControlWait", f.driver, b)) continue;
      v.finding("IoBuildDeviceControlWait", {
        driver: f.driver,
        routine: f.routine,
        rec: b,
        text: `${who} sent ${b.label} (from ${b.origin}) with IoCallDriver, got STATUS_PENDING and returned without waiting on its event: the I/O status block and buffers it gave the IRP may be gone when the IRP completes.`,
        source: b.sentSite,
      });
    }
  };

  v.addIoHooks({
    irpAllocated(irp, t) {
      const rec = v.record(irp, t);
      if (rec.creator) {
        v.step(rec, `${rec.creator} allocates it (${irp.origin})`, rec.allocSite);
        if (irp.origin === "IoBuildDeviceIoControlRequest" || irp.origin === "IoBuildSynchronousFsdRequest") built.add(rec);
      } else if (irp.origin === "service") {
        v.step(rec, `${t ? t.label : "a thread"} issues it; the I/O manager allocates it`, rec.allocSite);
      } else {
        v.step(rec, `the I/O manager allocates it for ${irp.origin === "create" ? "IRP_MJ_CREATE" : irp.origin === "cleanup" ? "IRP_MJ_CLEANUP" : irp.origin === "close" ? "IRP_MJ_CLOSE" : irp.origin}${t ? ` on ${t.label}` : ""}`, rec.allocSite);
      }
    },

    beforeDispatch(irp, device, t) {
      const rec = v.record(irp, t);
      const caller = m.currentDriver();
      const driver = device.DriverObject.shortName;
      const routine = irp.dispatchedRoutine ?? "?";
      if (caller !== null) {
        const site = v.site();
        if (irp.CancelRoutine !== null && v.verified(caller)) {
          v.bugCheck("CallDriverWithCancelRoutine", BugCheckCode.DRIVER_VERIFIER_IOMANAGER_VIOLATION, [0x203, 0, irp.id, device.objectId], {
            driver: caller,
            routine: m.currentActivity()?.name ?? null,
            rec,
            text: `${caller} passes ${rec.label} to ${driver} with IoCallDriver while its cancel routine ${name(irp.CancelRoutine)} is still set: a cancel now would run ${caller}'s routine on an IRP ${driver} owns.`,
            source: site,
          });
        }
        rec.released.set(caller, { how: "forwarded", site });
        const up = v.frameFor(t, irp);
        if (up) up.forwarded = true;
        if (built.has(rec)) {
          const fs = v.frames.get(t);
          const outer = fs && fs.length > 0 ? fs[fs.length - 1] : undefined;
          if (outer) outer.sentBuilt.push(rec);
          rec.sentSite = site;
        }
        v.step(rec, `${caller} passes it to ${driver}!${routine} (IoCallDriver)`, site);
      } else {
        v.step(rec, `${requestText(irp)} sent to ${driver}!${routine}`);
      }
      rec.holder = driver;
      rec.holderRoutine = routine;
      // A driver that passes the IRP to another of its own devices owns it again down there.
      const suspended = rec.released.get(driver) ?? null;
      if (suspended) rec.released.delete(driver);
      v.framesOf(t).push({
        suspendedRelease: suspended,
        irp,
        rec,
        device,
        driver,
        routine,
        location: irp.CurrentLocation,
        thread: t,
        irql: t.irql,
        caller,
        marked: false,
        markSite: null,
        forwarded: false,
        completedDuring: false,
        selfCompletion: null,
        lastRaiseSite: null,
        lastSite: null,
        lookedUp: false,
        routineFn: routineOf(irp, device),
        lastRun: [],
        reads: [],
        doubleFetchReported: false,
        sentBuilt: [],
      });
    },

    afterDispatch(irp, device, status, irqlBefore, t) {
      const fs = v.frames.get(t);
      if (!fs) return;
      let k = fs.length - 1;
      while (k >= 0 && fs[k]?.irp !== irp) k--;
      const f = fs[k];
      if (!f) return;
      fs.splice(k, 1);
      if (f.suspendedRelease && !f.rec.released.has(f.driver)) f.rec.released.set(f.driver, f.suspendedRelease);
      v.step(f.rec, `${f.driver}!${f.routine} returns ${statusText(status)}`);
      if (v.verified(f.driver)) afterDispatchRules(f, status, irqlBefore, t, device);
    },

    beforeComplete(irp, t) {
      const rec = v.record(irp, t);
      const driver = m.currentDriver();
      const who = m.describeContext();
      const site = v.site();
      const status = irp.Status >>> 0;
      if (v.verified(driver)) {
        const routine = m.currentActivity()?.name ?? null;
        if (irp.CurrentLocation > irp.StackCount + 1 || !irp.allocated || io.forcedPending.get(irp) === 2) {
          const first = rec.completions[rec.completions.length - 1];
          v.bugCheck("DoubleCompletion", BugCheckCode.MULTIPLE_IRP_COMPLETE_REQUESTS, [irp.id, 0, 0, 0], {
            driver,
            routine,
            rec,
            text: `${who} completes ${rec.label}, which ${first ? `${first.by} already completed${first.site ? ` at ${first.site}` : ""} with ${statusText(first.status)}` : "was already completed"}.`,
            source: site,
          });
        }
        // IRP_MJ_POWER (0x16) IRP_MN_SET_POWER (0x02) must not fail: a driver vetoes in QUERY_POWER.
        const csl = irp.Stack[irp.CurrentLocation - 1];
        if (csl && csl.MajorFunction === 0x16 && csl.MinorFunction === 0x02 && NT_ERROR(status)) {
          v.finding("SetPowerFailed", { driver, routine, rec, text: `${who} completes ${rec.label} (IRP_MN_SET_POWER) with ${statusText(status)}; a set-power IRP must not fail.`, source: site });
        }
        if (status === STATUS_PENDING || status === INVALID_STATUS) {
          v.bugCheck("CompleteWithPendingStatus", BugCheckCode.DRIVER_VERIFIER_IOMANAGER_VIOLATION, [0x06, status, irp.id, 0], {
            driver,
            routine,
            rec,
            text: `${who} completes ${rec.label} with Irp->IoStatus.Status = ${status === STATUS_PENDING ? "STATUS_PENDING" : "-1"}, which is not a final status.`,
            source: site,
          });
        }
        if (t.irql > DISPATCH_LEVEL) {
          v.bugCheck("CompleteAboveDispatch", BugCheckCode.DRIVER_VERIFIER_IOMANAGER_VIOLATION, [0x0e, t.irql, irp.id, 0], {
            driver,
            routine,
            rec,
            text: `${who} completes ${rec.label} at ${irqlName(t.irql)}; IoCompleteRequest runs completion routines and must be called at DISPATCH_LEVEL or below.`,
            source: site,
          });
        }
        if (irp.CancelRoutine !== null) {
          v.bugCheck("CompleteWithCancelRoutine", BugCheckCode.DRIVER_VERIFIER_IOMANAGER_VIOLATION, [0x07, 0, irp.id, 0], {
            driver,
            routine,
            rec,
            text: `${who} completes ${rec.label} while its cancel routine ${name(irp.CancelRoutine)} is still set: a cancel could now call that routine on a completed (or reused) IRP.`,
            source: site,
          });
        }
        if (irp.origin === "IoAllocateIrp" && irp.CurrentLocation === irp.StackCount + 1) {
          v.bugCheck("IoAllocateComplete", BugCheckCode.KMODE_EXCEPTION_NOT_HANDLED, [STATUS_ACCESS_VIOLATION, 0, 0, 0], {
            driver,
            routine,
            rec,
            text: `${who} calls IoCompleteRequest on ${rec.label}, an IRP it allocated with IoAllocateIrp: completion would run to the top of an IRP that has no requesting thread.`,
            source: site,
            codeText: "0x1E",
          });
        }
        // A framework's presentation lock (KMDF completing a request inside a serialised callback) is not the driver's.
        if (t.heldLocks.length > 0 && t.heldLocks.some((l) => !l.heldForDriver) && v.once("SpinLockSafe", driver, rec)) {
          v.finding("SpinLockSafe", {
            driver,
            routine,
            rec,
            text: `${who} calls IoCompleteRequest on ${rec.label} while holding ${t.heldLocks.filter((l) => !l.heldForDriver).map((l) => l.label).join(", ")}: completion routines then run under that lock, and one that takes it deadlocks.`,
            source: site,
          });
        }
        if (irp.Flags & IRP_BUFFERED_IO && irp.Flags & IRP_INPUT_OPERATION && !NT_ERROR(status) && irp.Information > irp.userOutputLength && v.once("InformationTooLarge", driver, rec)) {
          v.finding("InformationTooLarge", {
            driver,
            routine,
            rec,
            text: `${who} completes ${rec.label} with IoStatus.Information = ${irp.Information}, but the caller's output buffer holds ${irp.userOutputLength} bytes: the I/O manager would copy ${irp.Information - irp.userOutputLength} bytes past its end.`,
            source: site,
          });
        }
      }
      rec.completions.push({ driver, by: who, site, status });
      for (const f of v.activeFrames(irp)) f.completedDuring = true;
      const self = v.frameFor(t, irp);
      const activity = m.currentActivity();
      if (self && self.driver === driver && activity?.kind === "dispatch routine" && activity.name === self.routine) self.selfCompletion = { status, site };
      if (rec.cancelTimer) {
        rec.cancelTimer.cancelled = true;
        rec.cancelTimer = null;
      }
      rec.cancelCheck = null;
      unchecked.delete(rec);
      rec.holder = null;
      v.step(rec, `${who} completes it with ${statusText(status)}, Information ${irp.Information}`, site);
    },

    afterCompleteRequest(irp, _t) {
      const rec = v.irps.get(irp);
      const d = m.currentDriver();
      if (!rec || d === null) return;
      const last = rec.completions[rec.completions.length - 1];
      rec.released.set(d, { how: "completed", site: last?.site ?? null });
    },

    beforeCompletionRoutine(irp, routine, device, t) {
      const rec = v.record(irp, t);
      const owner = device ? device.DriverObject.shortName : rec.creator;
      if (owner) {
        forwardedAt.set(irp, rec.released.get(owner)?.site ?? null);
        rec.released.delete(owner);
      }
      rec.holder = owner;
      v.step(rec, `completion routine ${name(routine)}${owner ? ` of ${owner}` : ""} runs (PendingReturned ${irp.PendingReturned ? "TRUE" : "FALSE"})`);
    },

    afterCompletionRoutine(irp, routine: IO_COMPLETION_ROUTINE, result, pendingReturned, _t) {
      const rec = v.irps.get(irp);
      if (!rec) return;
      const owner = ownerOfLocation(irp, rec);
      if (result === STATUS_MORE_PROCESSING_REQUIRED) {
        forwardedAt.delete(irp);
        v.step(rec, `${name(routine)} returns STATUS_MORE_PROCESSING_REQUIRED: ${owner ?? "its creator"} owns the IRP again`);
        return;
      }
      v.step(rec, `${name(routine)} returns ${statusText(result)}`);
      const forwardSite = forwardedAt.get(irp) ?? null;
      forwardedAt.delete(irp);
      if (owner) rec.released.set(owner, { how: "forwarded", site: forwardSite });
      if (!v.verified(owner) || !pendingReturned || irp.CurrentLocation > irp.StackCount) return;
      const sl = irp.Stack[irp.CurrentLocation - 1];
      if (!sl || sl.Control & SL_PENDING_RETURNED) return;
      if (!v.once("PendingReturnedNotPropagated", owner, rec)) return;
      v.finding("PendingReturnedNotPropagated", {
        driver: owner,
        routine: name(routine),
        rec,
        text: `completion routine ${name(routine)} of ${owner} saw Irp->PendingReturned set on ${rec.label} and returned ${statusText(result)} without calling IoMarkIrpPending, so the pending state stops at ${owner} and the I/O manager may never signal the requester.`,
        source: forwardSite,
      });
    },

    cancelRoutineSet(irp, routine: DRIVER_CANCEL | null, previous, t) {
      const rec = v.record(irp, t);
      const d = m.currentDriver();
      const site = v.site();
      checkOwnership(irp, "IoSetCancelRoutine", true);
      if (routine) {
        v.step(rec, `${d ?? "the I/O manager"} sets cancel routine ${name(routine)}`, site);
        if (!v.verified(d)) return;
        const lock = t.heldLocks.length > 0 ? (t.heldLocks[t.heldLocks.length - 1] ?? null) : null;
        const epoch = lock ? (v.lockEpochs.get(lock) ?? 0) : 0;
        // Irp->Cancel already tested under this same hold of the lock (the cancel-spin-lock idiom).
        if (lock && rec.cancelReadLocks?.get(lock) === epoch) return;
        rec.cancelCheck = { driver: d, routine: name(routine), site, thread: t, lock, epoch };
        unchecked.add(rec);
      } else {
        v.step(rec, `${d ?? "the I/O manager"} clears the cancel routine (it was ${name(previous)})`, site);
        rec.cancelCheck = null;
        unchecked.delete(rec);
      }
    },

    irpCancelled(irp, routine, t) {
      const rec = v.record(irp, t);
      if (rec.cancelledAt === null) rec.cancelledAt = m.now;
      v.step(rec, `cancelled (IoCancelIrp on ${m.describeContext()}); ${routine ? `cancel routine ${name(routine)} is called` : "no cancel routine is set, so nothing runs"}`);
      if (rec.cancelTimer || rec.freed || !v.enabled("CancelTimeout")) return;
      const ms = v.cancelTimeoutMs;
      const cancelledAt = m.now;
      rec.cancelTimer = m.timers.add(m.now + ms * 10_000, `Driver Verifier: ${rec.label} must complete within ${ms} ms of its cancel`, () => {
        rec.cancelTimer = null;
        if (rec.freed || !irp.allocated || rec.completions.length > 0) return;
        const holder = rec.pendedBy ?? rec.holder;
        if (!v.verified(holder)) return;
        v.bugCheck("CancelTimeout", BugCheckCode.DRIVER_VERIFIER_DETECTED_VIOLATION, [0x135, irp.id, ms, 0], {
          driver: holder,
          routine: rec.holderRoutine,
          rec,
          text: `${rec.label} was cancelled at ${(cancelledAt / 10_000).toFixed(3)} ms and ${holder}, which holds it (${holder}!${rec.holderRoutine ?? "?"}), has not completed it ${ms} ms later${irp.CancelRoutine === null && !rec.steps.some((s) => s.text.includes("cancel routine") && s.text.includes("is called")) ? ": no cancel routine was set" : ""}.`,
          source: rec.pendSite,
        });
      });
    },

    beforeCancelRoutine(irp, routine, t) {
      const rec = v.record(irp, t);
      const dev = irp.currentDevice();
      inCancelRoutine.set(t, { driver: dev ? dev.DriverObject.shortName : null, routine: name(routine) });
      v.lastSiteOn.set(t, null);
      rec.holder = dev ? dev.DriverObject.shortName : rec.holder;
    },

    afterCancelRoutine(irp, routine, t) {
      const info = inCancelRoutine.get(t);
      inCancelRoutine.delete(t);
      const driver = info?.driver ?? null;
      if (io.cancelSpinLock.owner !== t || !v.verified(driver)) return;
      const rec = v.record(irp, t);
      const setStep = [...rec.steps].reverse().find((s) => s.text.includes(`sets cancel routine ${name(routine)}`));
      v.bugCheck("ReturnedHoldingCancelLock", BugCheckCode.DRIVER_RETURNED_HOLDING_CANCEL_LOCK, [irp.id, 0, 0, 0], {
        driver,
        routine: name(routine),
        rec,
        text: `cancel routine ${name(routine)} of ${driver} returned still holding the cancel spin lock (it never called IoReleaseCancelSpinLock(Irp->CancelIrql)); the next IoAcquireCancelSpinLock on any processor would spin for ever.`,
        source: v.lastSiteOn.get(t) ?? setStep?.site ?? null,
      });
    },

    markPending(irp, t) {
      const rec = v.record(irp, t);
      const d = m.currentDriver();
      const activity = m.currentActivity();
      if (activity?.kind === "completion routine") {
        v.step(rec, `completion routine ${activity.name} marks it pending (propagating PendingReturned)`);
        return;
      }
      const site = v.site();
      checkOwnership(irp, "IoMarkIrpPending", true);
      const fs = v.frames.get(t);
      if (fs) {
        for (let i = fs.length - 1; i >= 0; i--) {
          const f = fs[i];
          if (f && f.irp === irp && f.location === irp.CurrentLocation) {
            f.marked = true;
            f.markSite = site;
            break;
          }
        }
      }
      rec.pendedBy = d;
      rec.pendSite = site;
      v.step(rec, `${d ?? "the I/O manager"} marks it pending (IoMarkIrpPending)`, site);
    },

    beforeFreeIrp(irp, t) {
      const d = m.currentDriver();
      const rec = v.record(irp, t);
      const site = v.site();
      if (!v.verified(d)) return;
      const routine = m.currentActivity()?.name ?? null;
      const isBuilt = rec.origin === "IoBuildDeviceIoControlRequest" || rec.origin === "IoBuildSynchronousFsdRequest";
      if (rec.freed || !irp.allocated) {
        if (isBuilt) {
          v.bugCheck("IoBuildDeviceControlNoFree", BugCheckCode.BAD_POOL_CALLER, [0x07, 0, irp.id, 0], {
            driver: d,
            routine,
            rec,
            text: `${d} frees ${rec.label} with IoFreeIrp, but it came from ${rec.origin} and the I/O manager already freed it when it completed.`,
            source: site,
            codeText: "0xC2/0x07",
          });
        }
        return;
      }
      if (isBuilt) {
        v.bugCheck("IoBuildDeviceControlNoFree", BugCheckCode.DRIVER_VERIFIER_IOMANAGER_VIOLATION, [0x20c, 0, irp.id, 0], {
          driver: d,
          routine,
          rec,
          text: `${d} frees ${rec.label} with IoFreeIrp, but it built the IRP with ${rec.origin}: such an IRP is queued to ${irp.Thread?.label ?? "its thread"} and the I/O manager frees it when it completes.`,
          source: site,
        });
      }
      if (rec.origin === "service" || rec.origin === "create" || rec.origin === "cleanup" || rec.origin === "close") {
        v.bugCheck("IoAllocateFree", BugCheckCode.DRIVER_VERIFIER_IOMANAGER_VIOLATION, [0x20c, 0, irp.id, 0], {
          driver: d,
          routine,
          rec,
          text: `${d} frees ${rec.label} with IoFreeIrp, but the I/O manager allocated it for ${rec.requestor?.name ?? "a requester"} and it is still queued to ${irp.Thread?.label ?? "its thread"}; a driver completes the IRPs it is sent and frees only those it allocated with IoAllocateIrp.`,
          source: site,
        });
      }
      if (irp.CurrentLocation <= irp.StackCount) {
        v.bugCheck("FreeIrpInUse", BugCheckCode.DRIVER_VERIFIER_IOMANAGER_VIOLATION, [0x20b, 0, irp.id, 0], {
          driver: d,
          routine,
          rec,
          text: `${d} frees ${rec.label} while ${rec.holder ?? "a lower driver"}${rec.holderRoutine ? `!${rec.holderRoutine}` : ""} still owns it: it was passed down and has not been completed.`,
          source: site,
        });
      }
    },

    startPacket(irp, device, queued, cancelRoutine, t) {
      const rec = v.record(irp, t);
      const d = m.currentDriver();
      const how = queued ? `queues it in ${device.label}'s device queue (IoStartPacket; the device is busy)` : `starts it on ${device.label} (IoStartPacket; the device is idle)`;
      v.step(rec, `${d ?? "the I/O manager"} ${how}${cancelRoutine ? `, cancel routine ${name(cancelRoutine)}` : ""}`, v.site());
    },

    beforeStartIo(irp, device, t) {
      const rec = v.record(irp, t);
      const driver = device.DriverObject;
      const routine = driver.DriverStartIo ? driver.routineName(driver.DriverStartIo) : "?";
      rec.holder = driver.shortName;
      rec.holderRoutine = routine;
      v.step(rec, `StartIo routine ${driver.shortName}!${routine} runs with it (it is ${device.label}'s CurrentIrp)`);
    },

    beforeStartNextPacket(device, cancelable, t) {
      const driver = m.currentDriver();
      if (!v.verified(driver) || t.heldLocks.length === 0) return;
      // Once per driver: every later call would repeat the same report.
      if (!v.once("SpinLockSafe", `${driver}:IoStartNextPacket`)) return;
      const current = device.CurrentIrp;
      const rec = current ? (v.irps.get(current) ?? null) : null;
      const locks = t.heldLocks.map((l) => l.label).join(", ");
      v.finding("SpinLockSafe", {
        driver,
        routine: m.currentActivity()?.name ?? null,
        rec,
        text: `${m.describeContext()} calls IoStartNextPacket for ${device.label} while holding ${locks}: the StartIo routine of the next packet runs inside that call, under the lock${cancelable ? ", IoStartNextPacket takes the cancel spin lock under it too" : ""}, and a StartIo (or a routine it calls) that takes the lock deadlocks.`,
      });
    },

    irpFreed(irp) {
      const rec = v.irps.get(irp);
      if (!rec) return;
      rec.freed = true;
      rec.holder = null;
      rec.cancelCheck = null;
      unchecked.delete(rec);
      built.delete(rec);
      if (rec.cancelTimer) {
        rec.cancelTimer.cancelled = true;
        rec.cancelTimer = null;
      }
      v.step(rec, "freed");
    },
  });

  v.addKernelHooks({
    spinLockAcquired(_t, lock) {
      v.lockEpochs.set(lock, ++v.epoch);
    },
    releaseSpinLock(t, lock) {
      if (unchecked.size === 0) return;
      const epoch = v.lockEpochs.get(lock) ?? 0;
      for (const rec of [...unchecked]) {
        const c = rec.cancelCheck;
        if (!c || c.lock !== lock || c.epoch !== epoch || c.thread !== t) continue;
        rec.cancelCheck = null;
        unchecked.delete(rec);
        if (!v.once("IrpCancelField", c.driver, rec)) continue;
        v.finding("IrpCancelField", {
          driver: c.driver,
          routine: m.currentActivity()?.name ?? null,
          rec,
          text: `${c.driver} set cancel routine ${c.routine ?? "?"} on ${rec.label} while holding ${lock.label} and released the lock without testing Irp->Cancel: if the IRP was cancelled before the routine was set, nobody will ever complete it.`,
          source: c.site,
        });
      }
    },
    beforeWait(_t, objects) {
      for (const rec of built) if (rec.irp.UserEvent && objects.includes(rec.irp.UserEvent)) rec.waitedFor = true;
    },
  });
}
