import { expect } from "chai";
import type { Machine } from "../../kernel/machine.js";
import type { KThread } from "../../kernel/thread.js";
import * as wdm from "../../wdm.js";
import * as w from "../../win32/index.js";
import { newMachine, ok, runApp, runKernel } from "../helpers.js";
import { Finish, doIoctl, loadPortKit, openKit } from "../io-manager/port-kit.js";

/** A system thread that waits on `event` (kernel mode, not alertable) and records what it saw. */
function waiter(m: Machine, event: wdm.KEVENT, log: string[]): KThread {
  return m.createSystemThread("waiter", async () => {
    const st = await wdm.KeWaitForSingleObject(event, wdm.Executive, wdm.KernelMode, false, null);
    log.push(`wait ended ${wdm.ntStatusName(st)}`);
  });
}

describe("kernel APCs: KeInitializeApc and KeInsertQueueApc", () => {
  it("a special kernel APC runs its KernelRoutine in the target thread at APC_LEVEL, interrupting its wait, which then goes on", async () => {
    const m = newMachine();
    const log: string[] = [];
    const event = new wdm.KEVENT(wdm.NotificationEvent, false, "never yet");
    const target = waiter(m, event, log);
    const r = await runKernel(m, async () => {
      await wdm.KeDelayExecutionThread(wdm.KernelMode, false, -10_000 * 5);
      const apc = new wdm.KAPC();
      wdm.KeInitializeApc(
        apc,
        target,
        wdm.OriginalApcEnvironment,
        function SpecialRoutine(Apc, _Normal, _Context, Arg1, Arg2) {
          log.push(`kernel routine on ${wdm.PsGetCurrentThread().name} at IRQL ${wdm.KeGetCurrentIrql()} with ${String(Arg1.value)}, ${String(Arg2.value)}; Inserted ${Apc.Inserted}`);
        },
        null,
        null,
        wdm.KernelMode,
        null,
      );
      const inserted = wdm.KeInsertQueueApc(apc, "one", "two", 0);
      await wdm.KeDelayExecutionThread(wdm.KernelMode, false, -10_000 * 5);
      log.push(`still waiting: ${target.state}`);
      wdm.KeSetEvent(event, 0, false);
      return inserted;
    });
    expect(ok(r)).to.equal(true);
    expect(log).to.deep.equal(["kernel routine on waiter at IRQL 1 with one, two; Inserted false", "still waiting: waiting", "wait ended STATUS_SUCCESS"]);
  });

  it("a normal kernel APC runs its KernelRoutine at APC_LEVEL, then its NormalRoutine at PASSIVE_LEVEL with (NormalContext, SystemArgument1, SystemArgument2); the NormalRoutine may wait", async () => {
    const m = newMachine();
    const log: string[] = [];
    const event = new wdm.KEVENT(wdm.NotificationEvent, false);
    const target = waiter(m, event, log);
    const r = await runKernel(m, async () => {
      await wdm.KeDelayExecutionThread(wdm.KernelMode, false, -10_000);
      const apc = new wdm.KAPC();
      wdm.KeInitializeApc(
        apc,
        target,
        wdm.OriginalApcEnvironment,
        function KernelPart() {
          log.push(`kernel routine at ${wdm.KeGetCurrentIrql()}`);
        },
        null,
        async function NormalPart(Context, Arg1, Arg2) {
          log.push(`normal routine at ${wdm.KeGetCurrentIrql()} on ${wdm.PsGetCurrentThread().name}: ${String(Context)} ${String(Arg1)} ${String(Arg2)}`);
          await wdm.KeDelayExecutionThread(wdm.KernelMode, false, -10_000 * 10);
          log.push("normal routine done waiting");
        },
        wdm.KernelMode,
        "ctx",
      );
      wdm.KeInsertQueueApc(apc, 1, 2, 0);
      await wdm.KeDelayExecutionThread(wdm.KernelMode, false, -10_000 * 20);
      wdm.KeSetEvent(event, 0, false);
    });
    ok(r);
    expect(log).to.deep.equal(["kernel routine at 1", "normal routine at 0 on waiter: ctx 1 2", "normal routine done waiting", "wait ended STATUS_SUCCESS"]);
  });

  it("the KernelRoutine can replace the normal routine's arguments, or cancel it by setting NormalRoutine to null", async () => {
    const m = newMachine();
    const log: string[] = [];
    const r = await runKernel(m, async () => {
      const me = wdm.PsGetCurrentThread();
      const normal: wdm.KNORMAL_ROUTINE = function Normal(Context, Arg1) {
        log.push(`normal ${String(Context)} ${String(Arg1)}`);
      };
      const a = new wdm.KAPC();
      wdm.KeInitializeApc(a, me, wdm.OriginalApcEnvironment, (_Apc, _Normal, Context, Arg1) => {
        Context.value = "changed";
        Arg1.value = 42;
      }, null, normal, wdm.KernelMode, "original");
      const b = new wdm.KAPC();
      wdm.KeInitializeApc(b, me, wdm.OriginalApcEnvironment, (_Apc, Normal) => {
        Normal.value = null;
        log.push("cancelled");
      }, null, normal, wdm.KernelMode, "never");
      wdm.KeInsertQueueApc(a, 1, 2, 0);
      wdm.KeInsertQueueApc(b, 1, 2, 0);
      // A normal kernel APC queued to the running thread runs at its next wait.
      log.push("before wait");
      await wdm.KeDelayExecutionThread(wdm.KernelMode, false, -10_000);
    });
    ok(r);
    expect(log).to.deep.equal(["before wait", "normal changed 42", "cancelled"]);
  });

  it("normal kernel APCs wait while the thread is in a critical region; special ones still run", async () => {
    const m = newMachine();
    const log: string[] = [];
    const r = await runKernel(m, async () => {
      const me = wdm.PsGetCurrentThread();
      wdm.KeEnterCriticalRegion();
      const normal = new wdm.KAPC();
      wdm.KeInitializeApc(normal, me, wdm.OriginalApcEnvironment, () => undefined, null, () => log.push("normal"), wdm.KernelMode, null);
      const special = new wdm.KAPC();
      wdm.KeInitializeApc(special, me, wdm.OriginalApcEnvironment, () => log.push("special"), null, null, wdm.KernelMode, null);
      wdm.KeInsertQueueApc(normal, null, null, 0);
      wdm.KeInsertQueueApc(special, null, null, 0);
      await wdm.KeDelayExecutionThread(wdm.KernelMode, false, -10_000);
      log.push(`in region, disabled ${wdm.KeAreApcsDisabled()}`);
      wdm.KeLeaveCriticalRegion();
      await wdm.KeDelayExecutionThread(wdm.KernelMode, false, -10_000);
      log.push(`out of region, disabled ${wdm.KeAreApcsDisabled()}`);
    });
    ok(r);
    expect(log).to.deep.equal(["special", "in region, disabled true", "normal", "out of region, disabled false"]);
  });

  it("a guarded region holds special kernel APCs too; they run when it ends", async () => {
    const m = newMachine();
    const log: string[] = [];
    const r = await runKernel(m, () => {
      const me = wdm.PsGetCurrentThread();
      wdm.KeEnterGuardedRegion();
      const special = new wdm.KAPC();
      wdm.KeInitializeApc(special, me, wdm.OriginalApcEnvironment, () => log.push("special"), null, null, wdm.KernelMode, null);
      wdm.KeInsertQueueApc(special, null, null, 0);
      log.push("guarded");
      wdm.KeLeaveGuardedRegion();
      log.push("left");
    });
    ok(r);
    expect(log).to.deep.equal(["guarded", "special", "left"]);
  });

  it("KeInsertQueueApc returns FALSE for an APC already queued, one never initialised, and a thread that has exited", async () => {
    const m = newMachine();
    const gone = m.createSystemThread("short-lived", () => 0);
    const r = await runKernel(m, async () => {
      await wdm.KeDelayExecutionThread(wdm.KernelMode, false, -10_000);
      const me = wdm.PsGetCurrentThread();
      const a = new wdm.KAPC();
      wdm.KeInitializeApc(a, me, wdm.OriginalApcEnvironment, () => undefined, null, () => undefined, wdm.KernelMode, null);
      wdm.KeEnterCriticalRegion();
      const first = wdm.KeInsertQueueApc(a, null, null, 0);
      const again = wdm.KeInsertQueueApc(a, null, null, 0);
      wdm.KeLeaveCriticalRegion();
      const blank = wdm.KeInsertQueueApc(new wdm.KAPC(), null, null, 0);
      const late = new wdm.KAPC();
      wdm.KeInitializeApc(late, gone, wdm.OriginalApcEnvironment, () => undefined, null, null, wdm.KernelMode, null);
      const exited = wdm.KeInsertQueueApc(late, null, null, 0);
      await wdm.KeDelayExecutionThread(wdm.KernelMode, false, -10_000);
      return { first, again, blank, exited, state: gone.state };
    });
    expect(ok(r)).to.deep.equal({ first: true, again: false, blank: false, exited: false, state: "terminated" });
  });

  it("KeInsertQueueApc above DISPATCH_LEVEL is a bug check", async () => {
    const m = newMachine();
    const r = await runKernel(m, () => {
      const apc = new wdm.KAPC();
      wdm.KeInitializeApc(apc, wdm.PsGetCurrentThread(), wdm.OriginalApcEnvironment, () => undefined, null, null, wdm.KernelMode, null);
      wdm.KeRaiseIrql(5);
      wdm.KeInsertQueueApc(apc, null, null, 0);
    });
    expect(r.result.bugCheck?.name).to.equal("IRQL_NOT_LESS_OR_EQUAL");
  });

  it("completion's second stage is a special kernel APC in the requesting thread, visible in the trace as IopCompleteRequest", async () => {
    const m = newMachine();
    const kit = await loadPortKit(m);
    const rec = m.trace.record();
    const r = await runApp(m, async () => {
      const h = await openKit(kit.path);
      const event = w.CreateEvent(null, true, false, null);
      await doIoctl(h, Finish.Later, wdm.STATUS_SUCCESS, 8, 10, event);
      await w.WaitForSingleObject(event, w.INFINITE);
      return w.GetCurrentThreadId();
    });
    rec.stop();
    const tid = ok(r);
    const queued = rec.events.filter((e) => e.kind === "ApcQueued" && e.routine === "IopCompleteRequest");
    const delivered = rec.events.filter((e) => e.kind === "ApcDelivered" && e.routine === "IopCompleteRequest");
    expect(queued.map((e) => (e.kind === "ApcQueued" ? [e.target, e.mode] : null))).to.deep.equal([[tid, "KernelMode"]]);
    // Delivered at APC_LEVEL, where KiDeliverApc runs the kernel routine.
    expect(delivered.map((e) => [e.tid, e.irql])).to.deep.equal([[tid, 1]]);
    const stage2 = rec.events.find((e) => e.kind === "IrpStage2");
    expect(stage2 ? [stage2.tid, stage2.irql] : null).to.deep.equal([tid, 1]);
  });
});

describe("user APCs: QueueUserAPC and alertable waits", () => {
  it("a user APC runs only in an alertable wait: a non-alertable wait times out with the APC still queued; SleepEx(…, TRUE) runs it and returns WAIT_IO_COMPLETION", async () => {
    const m = newMachine();
    const r = await runApp(m, async () => {
      const log: string[] = [];
      const queued = w.QueueUserAPC((p) => log.push(`apc ${p} on ${w.GetCurrentThreadId()}`), w.GetCurrentThread(), 7);
      const event = w.CreateEvent(null, true, false, null);
      const plain = await w.WaitForSingleObject(event, 20);
      log.push(`plain wait ${plain}`);
      const sleep = await w.SleepEx(1000, true);
      log.push(`SleepEx ${sleep} at ${Math.floor(m.nowMs)}`);
      return { queued, log, tid: w.GetCurrentThreadId() };
    });
    const v = ok(r);
    expect(v.queued).to.not.equal(0);
    expect(v.log).to.deep.equal([`plain wait ${w.WAIT_TIMEOUT}`, `apc 7 on ${v.tid}`, `SleepEx ${w.WAIT_IO_COMPLETION} at 20`]);
  });

  for (const form of ["SleepEx", "WaitForSingleObjectEx", "WaitForMultipleObjectsEx", "GetQueuedCompletionStatusEx", "GetOverlappedResultEx"] as const) {
    it(`an APC queued to a thread blocked in an alertable ${form} wakes it at once, runs in it, and the call reports WAIT_IO_COMPLETION`, async () => {
      const m = newMachine();
      const r = await runApp(m, async () => {
        const event = w.CreateEvent(null, true, false, null);
        const port = w.CreateIoCompletionPort(w.INVALID_HANDLE_VALUE, 0, 0, 0);
        const buf = w.VirtualAlloc(0, 4096, w.MEM_COMMIT | w.MEM_RESERVE, w.PAGE_READWRITE);
        const ov = new w.OVERLAPPED(buf);
        ov.Internal = wdm.STATUS_PENDING;
        ov.hEvent = event;
        const ran: number[] = [];
        let result: unknown = null;
        const sleeper = w.CreateThread(
          null,
          0,
          async () => {
            switch (form) {
              case "SleepEx":
                result = await w.SleepEx(w.INFINITE, true);
                break;
              case "WaitForSingleObjectEx":
                result = await w.WaitForSingleObjectEx(event, w.INFINITE, true);
                break;
              case "WaitForMultipleObjectsEx":
                result = await w.WaitForMultipleObjectsEx(2, [event, port], false, w.INFINITE, true);
                break;
              case "GetQueuedCompletionStatusEx":
                result = [await w.GetQueuedCompletionStatusEx(port, buf + 64, 1, buf + 128, w.INFINITE, true), w.GetLastError()];
                break;
              case "GetOverlappedResultEx":
                result = [await w.GetOverlappedResultEx(0, ov, buf + 128, w.INFINITE, true), w.GetLastError()];
                break;
            }
            return 0;
          },
          null,
          0,
          0,
          "sleeper",
        );
        await w.Sleep(10);
        const sleeperId = m.threads.find((t) => t.name === "sleeper")?.tid ?? 0;
        w.QueueUserAPC((p) => ran.push(p, w.GetCurrentThreadId()), sleeper, 5);
        await w.WaitForSingleObject(sleeper, w.INFINITE);
        return { result, ran, sleeperId, at: Math.floor(m.nowMs) };
      });
      const v = ok(r);
      const expected = form === "GetQueuedCompletionStatusEx" || form === "GetOverlappedResultEx" ? [false, w.WAIT_IO_COMPLETION] : w.WAIT_IO_COMPLETION;
      expect(v.result).to.deep.equal(expected);
      expect(v.ran).to.deep.equal([5, v.sleeperId]);
      expect(v.at).to.equal(10);
    });
  }

  it("an alertable wait on an object that is already signalled returns WAIT_OBJECT_0 and leaves the APC queued for the next alertable wait", async () => {
    const m = newMachine();
    const r = await runApp(m, async () => {
      const ran: number[] = [];
      w.QueueUserAPC((p) => ran.push(p), w.GetCurrentThread(), 1);
      const event = w.CreateEvent(null, true, true, null);
      const first = await w.WaitForSingleObjectEx(event, 0, true);
      const ranAfterFirst = ran.length;
      const second = await w.SleepEx(0, true);
      return { first, ranAfterFirst, second, ran };
    });
    expect(ok(r)).to.deep.equal({ first: w.WAIT_OBJECT_0, ranAfterFirst: 0, second: w.WAIT_IO_COMPLETION, ran: [1] });
  });

  it("an alertable GetQueuedCompletionStatusEx with a packet waiting returns the packet and leaves the APC queued", async () => {
    const m = newMachine();
    const r = await runApp(m, async () => {
      const ran: number[] = [];
      const port = w.CreateIoCompletionPort(w.INVALID_HANDLE_VALUE, 0, 0, 0);
      w.PostQueuedCompletionStatus(port, 3, 4, 0);
      w.QueueUserAPC((p) => ran.push(p), w.GetCurrentThread(), 1);
      const buf = w.VirtualAlloc(0, 4096, w.MEM_COMMIT | w.MEM_RESERVE, w.PAGE_READWRITE);
      const got = await w.GetQueuedCompletionStatusEx(port, buf, 4, buf + 128, w.INFINITE, true);
      const n = w.readU32(buf + 128);
      const again = await w.GetQueuedCompletionStatusEx(port, buf, 4, buf + 128, w.INFINITE, true);
      return { got, n, again, error: w.GetLastError(), ran };
    });
    expect(ok(r)).to.deep.equal({ got: true, n: 1, again: false, error: w.WAIT_IO_COMPLETION, ran: [1] });
  });

  it("a non-alertable GetQueuedCompletionStatus(Ex) never runs APCs: it times out with the APC still queued", async () => {
    const m = newMachine();
    const r = await runApp(m, async () => {
      const ran: number[] = [];
      const port = w.CreateIoCompletionPort(w.INVALID_HANDLE_VALUE, 0, 0, 0);
      w.QueueUserAPC((p) => ran.push(p), w.GetCurrentThread(), 1);
      const buf = w.VirtualAlloc(0, 4096, w.MEM_COMMIT | w.MEM_RESERVE, w.PAGE_READWRITE);
      const ex = await w.GetQueuedCompletionStatusEx(port, buf, 1, buf + 128, 10, false);
      const exError = w.GetLastError();
      const plain = await w.GetQueuedCompletionStatus(port, buf, buf + 4, buf + 8, 10);
      const plainError = w.GetLastError();
      const ranBefore = ran.length;
      await w.SleepEx(0, true);
      return { ex, exError, plain, plainError, ranBefore, ran };
    });
    expect(ok(r)).to.deep.equal({ ex: false, exError: w.WAIT_TIMEOUT, plain: false, plainError: w.WAIT_TIMEOUT, ranBefore: 0, ran: [1] });
  });

  it("QueueUserAPC needs a thread handle with THREAD_SET_CONTEXT: a bad handle or an event fails with ERROR_INVALID_HANDLE, an exited thread with ERROR_GEN_FAILURE", async () => {
    const m = newMachine();
    const r = await runApp(m, async () => {
      const bad = w.QueueUserAPC(() => 0, 0x1234, 0);
      const badError = w.GetLastError();
      const event = w.CreateEvent(null, true, false, null);
      const wrong = w.QueueUserAPC(() => 0, event, 0);
      const wrongError = w.GetLastError();
      const t = w.CreateThread(null, 0, () => 0, null, 0, 0, "quick");
      await w.WaitForSingleObject(t, w.INFINITE);
      const exited = w.QueueUserAPC(() => 0, t, 0);
      const exitedError = w.GetLastError();
      return { bad, badError, wrong, wrongError, exited, exitedError };
    });
    expect(ok(r)).to.deep.equal({ bad: 0, badError: w.ERROR_INVALID_HANDLE, wrong: 0, wrongError: w.ERROR_INVALID_HANDLE, exited: 0, exitedError: w.ERROR_GEN_FAILURE });
  });

  it("user APCs still queued when their thread exits are run down, not run", async () => {
    const m = newMachine();
    const rec = m.trace.record();
    const r = await runApp(m, async () => {
      const ran: number[] = [];
      const t = w.CreateThread(
        null,
        0,
        async () => {
          await w.Sleep(20);
          return 0;
        },
        null,
        0,
        0,
        "busy",
      );
      await w.Sleep(5);
      w.QueueUserAPC((p) => ran.push(p), t, 9);
      await w.WaitForSingleObject(t, w.INFINITE);
      return ran;
    });
    rec.stop();
    expect(ok(r)).to.deep.equal([]);
    expect(rec.events.filter((e) => e.kind === "ApcRundown").length).to.equal(1);
  });
});
