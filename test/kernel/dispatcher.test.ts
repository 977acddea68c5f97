import { expect } from "chai";
import {
  KEVENT,
  KMUTANT,
  KSEMAPHORE,
  KeInitializeMutex,
  KeReleaseMutex,
  KeReleaseSemaphore,
  KeSetEvent,
  KeWaitForMultipleObjects,
  KeWaitForSingleObject,
  KernelMode,
  NotificationEvent,
  SynchronizationEvent,
} from "../../kernel/api-ke.js";
import { NtStatusError } from "../../kernel/nt-status-error.js";
import { STATUS_SEMAPHORE_LIMIT_EXCEEDED, STATUS_SUCCESS, STATUS_TIMEOUT, STATUS_WAIT_1 } from "../../kernel/status.js";
import { CloseHandle, CreateEvent, CreateMutex, CreateSemaphore, INFINITE, ReleaseMutex, ReleaseSemaphore, ResetEvent, SetEvent, WAIT_FAILED, WAIT_OBJECT_0, WAIT_TIMEOUT, WaitForMultipleObjects, WaitForSingleObject } from "../../win32/sync.js";
import { GetLastError } from "../../win32/last-error.js";
import { ERROR_INVALID_HANDLE, ERROR_NOT_OWNER } from "../../win32/errors.js";
import { GetProcessHeap, HeapAlloc, readU32 } from "../../win32/index.js";
import { newMachine, ok, runApp, runKernel } from "../helpers.js";

describe("kernel: dispatcher objects and waits", () => {
  it("setting a notification event releases every waiter and the event stays signalled", async () => {
    const m = newMachine();
    const ev = new KEVENT(NotificationEvent, false);
    const woke: string[] = [];
    for (const n of ["A", "B", "C"]) {
      m.createSystemThread(n, async () => {
        await KeWaitForSingleObject(ev, 0, KernelMode, false);
        woke.push(n);
      });
    }
    m.createSystemThread("setter", () => KeSetEvent(ev));
    await m.run();
    expect(woke).to.deep.equal(["A", "B", "C"]);
    expect(ev.SignalState).to.equal(1);
  });

  it("setting a synchronization event releases exactly one waiter, first come first served, and resets it", async () => {
    const m = newMachine();
    const ev = new KEVENT(SynchronizationEvent, false);
    const woke: string[] = [];
    for (const n of ["A", "B"]) {
      m.createSystemThread(n, async () => {
        const st = await KeWaitForSingleObject(ev, 0, KernelMode, false, -10_000 * 100);
        woke.push(`${n}:${st === STATUS_TIMEOUT ? "timeout" : "signalled"}`);
      });
    }
    m.createSystemThread("setter", () => KeSetEvent(ev));
    await m.run();
    expect(woke).to.deep.equal(["A:signalled", "B:timeout"]);
    expect(ev.SignalState).to.equal(0);
  });

  it("a wait with a timeout returns STATUS_TIMEOUT when it passes, and a zero timeout only polls", async () => {
    const m = newMachine();
    const ev = new KEVENT(NotificationEvent, false);
    const r = await runKernel(m, async () => [await KeWaitForSingleObject(ev, 0, KernelMode, false, 0), Math.floor(m.nowMs), await KeWaitForSingleObject(ev, 0, KernelMode, false, -10_000 * 40), Math.floor(m.nowMs)]);
    expect(ok(r)).to.deep.equal([STATUS_TIMEOUT, 0, STATUS_TIMEOUT, 40]);
  });

  it("a wait-any returns STATUS_WAIT_0 plus the index of the first signalled object", async () => {
    const m = newMachine();
    const a = new KEVENT(NotificationEvent, false);
    const b = new KEVENT(NotificationEvent, true);
    const r = await runKernel(m, () => KeWaitForMultipleObjects([a, b], "WaitAny", 0, KernelMode, false));
    expect(ok(r)).to.equal(STATUS_WAIT_1);
  });

  it("a wait-all is satisfied only when every object is signalled at once, and consumes them all", async () => {
    const m = newMachine();
    const a = new KEVENT(SynchronizationEvent, false);
    const b = new KEVENT(SynchronizationEvent, false);
    let status = -1;
    let at = -1;
    m.createSystemThread("waiter", async () => {
      status = await KeWaitForMultipleObjects([a, b], "WaitAll", 0, KernelMode, false);
      at = Math.floor(m.nowMs);
    });
    m.after(5, "set a", () => KeSetEvent(a));
    m.after(9, "set b", () => KeSetEvent(b));
    await m.run();
    expect(status).to.equal(STATUS_SUCCESS);
    expect(at).to.equal(9);
    expect([a.SignalState, b.SignalState]).to.deep.equal([0, 0]);
  });

  it("a semaphore releases as many waiters as its count, and passing its limit raises STATUS_SEMAPHORE_LIMIT_EXCEEDED", async () => {
    const m = newMachine();
    const s = new KSEMAPHORE(0, 2);
    const woke: string[] = [];
    for (const n of ["A", "B", "C"]) {
      m.createSystemThread(n, async () => {
        const st = await KeWaitForSingleObject(s, 0, KernelMode, false, -10_000 * 10);
        if (st === STATUS_SUCCESS) woke.push(n);
      });
    }
    let raised: unknown = null;
    m.createSystemThread("releaser", () => {
      KeReleaseSemaphore(s, 0, 2);
      try {
        KeReleaseSemaphore(s, 0, 3);
      } catch (e) {
        raised = e;
      }
    });
    await m.run();
    expect(woke).to.deep.equal(["A", "B"]);
    expect(raised).to.be.instanceOf(NtStatusError);
    expect((raised as NtStatusError).status).to.equal(STATUS_SEMAPHORE_LIMIT_EXCEEDED);
  });

  it("a mutex is owned recursively by one thread and only its owner may release it", async () => {
    const m = newMachine();
    const mu = new KMUTANT();
    const r = await runKernel(m, async () => {
      KeInitializeMutex(mu, 0);
      await KeWaitForSingleObject(mu, 0, KernelMode, false);
      await KeWaitForSingleObject(mu, 0, KernelMode, false);
      const owned = mu.OwnerThread !== null;
      KeReleaseMutex(mu);
      const stillOwned = mu.OwnerThread !== null;
      KeReleaseMutex(mu);
      return [owned, stillOwned, mu.OwnerThread === null];
    });
    expect(ok(r)).to.deep.equal([true, true, true]);
  });

  it("Win32 events, waits and timeouts: WAIT_OBJECT_0, WAIT_TIMEOUT, and WAIT_FAILED with ERROR_INVALID_HANDLE", async () => {
    const m = newMachine();
    const r = await runApp(m, async () => {
      const manual = CreateEvent(null, true, false, null);
      const results: number[] = [];
      results.push(await WaitForSingleObject(manual, 10));
      SetEvent(manual);
      results.push(await WaitForSingleObject(manual, INFINITE));
      results.push(await WaitForSingleObject(manual, 0));
      ResetEvent(manual);
      results.push(await WaitForSingleObject(manual, 0));
      results.push(await WaitForSingleObject(0x1234, 0));
      results.push(GetLastError());
      await CloseHandle(manual);
      return [results, Math.floor(m.nowMs)];
    });
    expect(ok(r)).to.deep.equal([[WAIT_TIMEOUT, WAIT_OBJECT_0, WAIT_OBJECT_0, WAIT_TIMEOUT, WAIT_FAILED, ERROR_INVALID_HANDLE], 10]);
  });

  it("WaitForMultipleObjects with bWaitAll waits for both; without it returns the first signalled index", async () => {
    const m = newMachine();
    const r = await runApp(m, async () => {
      const a = CreateEvent(null, true, false, null);
      const b = CreateEvent(null, true, true, null);
      const any = await WaitForMultipleObjects(2, [a, b], false, INFINITE);
      const allTimeout = await WaitForMultipleObjects(2, [a, b], true, 5);
      SetEvent(a);
      const all = await WaitForMultipleObjects(2, [a, b], true, INFINITE);
      return [any, allTimeout, all];
    });
    expect(ok(r)).to.deep.equal([1, WAIT_TIMEOUT, 0]);
  });

  it("Win32 semaphores and mutexes: ReleaseSemaphore reports the previous count, ReleaseMutex by a non-owner fails with ERROR_NOT_OWNER", async () => {
    const m = newMachine();
    const r = await runApp(m, async () => {
      const prev = HeapAlloc(GetProcessHeap(), 8, 4);
      const s = CreateSemaphore(null, 1, 3, null);
      ReleaseSemaphore(s, 2, prev);
      const previous = readU32(prev);
      const tooMany = ReleaseSemaphore(s, 1, 0);
      const mu = CreateMutex(null, false, null);
      const notOwner = ReleaseMutex(mu);
      const err = GetLastError();
      await WaitForSingleObject(mu, INFINITE);
      const owner = ReleaseMutex(mu);
      return [previous, tooMany, notOwner, err, owner];
    });
    expect(ok(r)).to.deep.equal([1, false, false, ERROR_NOT_OWNER, true]);
  });
});
