import { expect } from "chai";
import { ioManager } from "../../index.js";
import * as wdm from "../../wdm.js";
import * as w from "../../win32/index.js";
import { newMachine, ok, runApp } from "../helpers.js";
import { Finish, alloc, dequeue, doIoctl, loadPortKit, openKit, outBytes, release, repeat } from "./port-kit.js";

const KEY = 0x51;

/** A fresh port with the kit's overlapped handle bound to it (key KEY). */
async function boundHandle(path: string, concurrency = 0): Promise<{ h: number; port: number }> {
  const h = await openKit(path);
  const port = w.CreateIoCompletionPort(h, 0, KEY, concurrency);
  if (port === 0) throw new Error(`CreateIoCompletionPort failed: ${w.GetLastError()}`);
  return { h, port };
}

describe("I/O completion ports: creating, binding, posting and removing packets", () => {
  it("CreateIoCompletionPort with a file and no port creates a port and binds the file; with an existing port it returns that port", async () => {
    const m = newMachine();
    const kit = await loadPortKit(m);
    const r = await runApp(m, async () => {
      const h1 = await openKit(kit.path);
      const h2 = await openKit(kit.path);
      const port = w.CreateIoCompletionPort(h1, 0, 1, 0);
      const again = w.CreateIoCompletionPort(h2, port, 2, 0);
      const bare = w.CreateIoCompletionPort(w.INVALID_HANDLE_VALUE, 0, 0, 3);
      return { port: port !== 0, again: again === port, bare: bare !== 0 && bare !== port };
    });
    expect(ok(r)).to.deep.equal({ port: true, again: true, bare: true });
  });

  it("binding a handle opened without FILE_FLAG_OVERLAPPED, or one already bound, fails with ERROR_INVALID_PARAMETER and leaves no port behind", async () => {
    const m = newMachine();
    const kit = await loadPortKit(m);
    const r = await runApp(m, async () => {
      const sync = await openKit(kit.path, false);
      const handlesBefore = m.currentThread().process.handleTable.count;
      const a = w.CreateIoCompletionPort(sync, 0, 1, 0);
      const aError = w.GetLastError();
      const handlesAfter = m.currentThread().process.handleTable.count;
      const h = await openKit(kit.path);
      const port = w.CreateIoCompletionPort(h, 0, 1, 0);
      const other = w.CreateIoCompletionPort(w.INVALID_HANDLE_VALUE, 0, 0, 0);
      const b = w.CreateIoCompletionPort(h, other, 2, 0);
      const bError = w.GetLastError();
      const c = w.CreateIoCompletionPort(h, 0, 2, 0);
      const cError = w.GetLastError();
      return { a, aError, leftBehind: handlesAfter - handlesBefore, port: port !== 0, b, bError, c, cError };
    });
    expect(ok(r)).to.deep.equal({ a: 0, aError: w.ERROR_INVALID_PARAMETER, leftBehind: 0, port: true, b: 0, bError: w.ERROR_INVALID_PARAMETER, c: 0, cError: w.ERROR_INVALID_PARAMETER });
  });

  it("an existing port with INVALID_HANDLE_VALUE is ERROR_INVALID_PARAMETER; a port handle that is not a port is ERROR_INVALID_HANDLE", async () => {
    const m = newMachine();
    const kit = await loadPortKit(m);
    const r = await runApp(m, async () => {
      const port = w.CreateIoCompletionPort(w.INVALID_HANDLE_VALUE, 0, 0, 0);
      const a = w.CreateIoCompletionPort(w.INVALID_HANDLE_VALUE, port, 0, 0);
      const aError = w.GetLastError();
      const h = await openKit(kit.path);
      const event = w.CreateEvent(null, true, false, null);
      const b = w.CreateIoCompletionPort(h, event, 0, 0);
      const bError = w.GetLastError();
      const c = w.PostQueuedCompletionStatus(event, 0, 0, null);
      const cError = w.GetLastError();
      const d = await dequeue(event, 0);
      return { a, aError, b, bError, c, cError, d: [d.ok, d.error] };
    });
    expect(ok(r)).to.deep.equal({ a: 0, aError: w.ERROR_INVALID_PARAMETER, b: 0, bError: w.ERROR_INVALID_HANDLE, c: false, cError: w.ERROR_INVALID_HANDLE, d: [false, w.ERROR_INVALID_HANDLE] });
  });

  it("PostQueuedCompletionStatus packets come out of GetQueuedCompletionStatus first in, first out, with their key, OVERLAPPED pointer and byte count", async () => {
    const m = newMachine();
    const r = await runApp(m, async () => {
      const port = w.CreateIoCompletionPort(w.INVALID_HANDLE_VALUE, 0, 0, 0);
      for (let i = 1; i <= 3; i++) w.PostQueuedCompletionStatus(port, i * 100, i, 0x1000 * i);
      const got = [];
      for (let i = 0; i < 3; i++) got.push(await dequeue(port, w.INFINITE));
      return got.map((g) => [g.ok, g.bytes, g.key, g.overlapped]);
    });
    expect(ok(r)).to.deep.equal([
      [true, 100, 1, 0x1000],
      [true, 200, 2, 0x2000],
      [true, 300, 3, 0x3000],
    ]);
  });

  it("GetQueuedCompletionStatus times out on virtual time: FALSE with WAIT_TIMEOUT and a NULL OVERLAPPED, the key and byte count untouched", async () => {
    const m = newMachine();
    const r = await runApp(m, async () => {
      const port = w.CreateIoCompletionPort(w.INVALID_HANDLE_VALUE, 0, 0, 0);
      const poll = await dequeue(port, 0);
      const t0 = Math.floor(m.nowMs);
      const wait = await dequeue(port, 50);
      return { poll: [poll.ok, poll.error, poll.overlapped, poll.key, poll.bytes], wait: [wait.ok, wait.error], waited: Math.floor(m.nowMs) - t0 };
    });
    expect(ok(r)).to.deep.equal({ poll: [false, w.WAIT_TIMEOUT, 0, 0xdddddddd, 0xdddddddd], wait: [false, w.WAIT_TIMEOUT], waited: 50 });
  });

  it("threads waiting on a port are released last in, first out", async () => {
    const m = newMachine();
    const r = await runApp(m, async () => {
      const port = w.CreateIoCompletionPort(w.INVALID_HANDLE_VALUE, 0, 0, 3);
      const order: string[] = [];
      const worker = (name: string) => async () => {
        const d = await dequeue(port, w.INFINITE);
        order.push(`${name}:${d.key}`);
      };
      const threads = ["A", "B", "C"].map((n) => w.CreateThread(null, 0, worker(n), null, 0, 0, n));
      await w.Sleep(10);
      for (let key = 1; key <= 3; key++) {
        w.PostQueuedCompletionStatus(port, 0, key, 0);
        await w.Sleep(10);
      }
      await w.WaitForMultipleObjects(3, threads, true, w.INFINITE);
      return order;
    });
    expect(ok(r)).to.deep.equal(["C:1", "B:2", "A:3"]);
  });

  it("the concurrency value bounds how many of the port's threads run: a second packet waits until the first thread asks again or blocks elsewhere", async () => {
    const m = newMachine();
    const r = await runApp(m, async () => {
      const port = w.CreateIoCompletionPort(w.INVALID_HANDLE_VALUE, 0, 0, 1);
      const events: string[] = [];
      const worker = (name: string) => async () => {
        for (;;) {
          const d = await dequeue(port, 100);
          if (!d.ok) return;
          events.push(`${name} got ${d.key} at ${Math.floor(m.nowMs)}`);
          // Processing: 20 ms of waiting elsewhere lets another thread of the port run.
          if (d.key === 1) await w.Sleep(20);
        }
      };
      const a = w.CreateThread(null, 0, worker("A"), null, 0, 0, "A");
      await w.Sleep(1);
      const b = w.CreateThread(null, 0, worker("B"), null, 0, 0, "B");
      await w.Sleep(1);
      // Both wait; B waited last. Three packets at once: only one thread may run.
      for (let key = 1; key <= 3; key++) w.PostQueuedCompletionStatus(port, 0, key, 0);
      await w.WaitForMultipleObjects(2, [a, b], true, w.INFINITE);
      return events;
    });
    // B takes 1 and sleeps (no longer running): A is released with 2, then takes 3 itself.
    expect(ok(r)).to.deep.equal(["B got 1 at 2", "A got 2 at 2", "A got 3 at 2"]);
  });

  it("with concurrency 1 a thread that asks again takes the next packet itself while the other waiter stays blocked", async () => {
    const m = newMachine();
    const r = await runApp(m, async () => {
      const port = w.CreateIoCompletionPort(w.INVALID_HANDLE_VALUE, 0, 0, 1);
      const events: string[] = [];
      const worker = (name: string) => async () => {
        for (;;) {
          const d = await dequeue(port, 100);
          if (!d.ok) return;
          events.push(`${name}:${d.key}`);
        }
      };
      const a = w.CreateThread(null, 0, worker("A"), null, 0, 0, "A");
      await w.Sleep(1);
      const b = w.CreateThread(null, 0, worker("B"), null, 0, 0, "B");
      await w.Sleep(1);
      for (let key = 1; key <= 4; key++) w.PostQueuedCompletionStatus(port, 0, key, 0);
      await w.WaitForMultipleObjects(2, [a, b], true, w.INFINITE);
      return events;
    });
    expect(ok(r)).to.deep.equal(["B:1", "B:2", "B:3", "B:4"]);
  });

  it("GetQueuedCompletionStatusEx removes up to ulCount packets at once into OVERLAPPED_ENTRY records, each with its status in Internal", async () => {
    const m = newMachine();
    const r = await runApp(m, async () => {
      const port = w.CreateIoCompletionPort(w.INVALID_HANDLE_VALUE, 0, 0, 0);
      for (let i = 1; i <= 3; i++) w.PostQueuedCompletionStatus(port, i, 10 + i, 0x100 * i);
      const entries = alloc();
      const removed = entries + 1024;
      const first = await w.GetQueuedCompletionStatusEx(port, entries, 2, removed, 0, false);
      const n1 = w.readU32(removed);
      const read = (i: number) => {
        const e = new w.OVERLAPPED_ENTRY(entries + i * w.SIZEOF_OVERLAPPED_ENTRY);
        return [e.lpCompletionKey, e.lpOverlapped, e.Internal, e.dwNumberOfBytesTransferred];
      };
      const got1 = [read(0), read(1)];
      const second = await w.GetQueuedCompletionStatusEx(port, entries, 8, removed, 0, false);
      const n2 = w.readU32(removed);
      const got2 = read(0);
      const third = await w.GetQueuedCompletionStatusEx(port, entries, 8, removed, 0, false);
      const thirdError = w.GetLastError();
      const zero = await w.GetQueuedCompletionStatusEx(port, entries, 0, removed, 0, false);
      const zeroError = w.GetLastError();
      return { first, n1, got1, second, n2, got2, third, thirdError, zero, zeroError };
    });
    expect(ok(r)).to.deep.equal({
      first: true,
      n1: 2,
      got1: [
        [11, 0x100, 0, 1],
        [12, 0x200, 0, 2],
      ],
      second: true,
      n2: 1,
      got2: [13, 0x300, 0, 3],
      third: false,
      thirdError: w.WAIT_TIMEOUT,
      zero: false,
      zeroError: w.ERROR_INVALID_PARAMETER,
    });
  });

  it("closing the port's last handle releases a thread waiting in GetQueuedCompletionStatus with ERROR_ABANDONED_WAIT_0 and a NULL OVERLAPPED", async () => {
    const m = newMachine();
    const r = await runApp(m, async () => {
      const port = w.CreateIoCompletionPort(w.INVALID_HANDLE_VALUE, 0, 0, 0);
      let seen: unknown = null;
      const waiter = w.CreateThread(
        null,
        0,
        async () => {
          const d = await dequeue(port, w.INFINITE);
          seen = [d.ok, d.error, d.overlapped, Math.floor(m.nowMs)];
        },
        null,
        0,
        0,
        "waiter",
      );
      await w.Sleep(30);
      await w.CloseHandle(port);
      await w.WaitForSingleObject(waiter, w.INFINITE);
      return seen;
    });
    expect(ok(r)).to.deep.equal([false, w.ERROR_ABANDONED_WAIT_0, 0, 30]);
  });

  it("a thread of the port that exits frees its running slot: with concurrency 1, the other waiter then gets the queued packet", async () => {
    const m = newMachine();
    const r = await runApp(m, async () => {
      const port = w.CreateIoCompletionPort(w.INVALID_HANDLE_VALUE, 0, 0, 1);
      const events: string[] = [];
      const worker = (name: string) => async () => {
        const d = await dequeue(port, w.INFINITE);
        // A zero-timeout wait never blocks: the thread keeps its running slot while it looks.
        const stillQueued = await w.WaitForSingleObject(port, 0);
        events.push(`${name} got ${d.key}; another packet ${stillQueued === w.WAIT_OBJECT_0 ? "waits" : "does not wait"}`);
        return 0;
      };
      const other = w.CreateThread(null, 0, worker("W"), null, 0, 0, "W");
      await w.Sleep(1);
      const first = w.CreateThread(null, 0, worker("R"), null, 0, 0, "R");
      await w.Sleep(1);
      // R waited last: it gets packet 1; packet 2 must wait while R runs, and goes to W when R exits.
      w.PostQueuedCompletionStatus(port, 0, 1, 0);
      w.PostQueuedCompletionStatus(port, 0, 2, 0);
      await w.WaitForMultipleObjects(2, [other, first], true, w.INFINITE);
      return events;
    });
    expect(ok(r)).to.deep.equal(["R got 1; another packet waits", "W got 2; another packet does not wait"]);
  });

  it("a thread waiting in GetQueuedCompletionStatus when its process is terminated exits, and the process exits", async () => {
    const m = newMachine();
    const r = await runApp(m, async () => {
      const port = w.CreateIoCompletionPort(w.INVALID_HANDLE_VALUE, 0, 0, 0);
      w.CreateThread(null, 0, async () => dequeue(port, w.INFINITE), null, 0, 0, "waiter");
      await w.Sleep(10);
      await w.ExitProcess(7);
    });
    expect(r.result.outcome).to.equal("completed");
    expect(r.process.state).to.equal("exited");
    expect(r.process.exitStatus).to.equal(7);
  });

  it("packets still queued when the port's last handle closes are freed: no IRP is left allocated", async () => {
    const m = newMachine();
    const kit = await loadPortKit(m);
    const r = await runApp(m, async () => {
      const { h, port } = await boundHandle(kit.path);
      for (let i = 0; i < 3; i++) await doIoctl(h, Finish.MarkPendingDispatch, wdm.STATUS_SUCCESS);
      const queued = ioManager(m).liveIrps.size;
      await w.CloseHandle(port);
      const afterPortClose = ioManager(m).liveIrps.size;
      await w.CloseHandle(h);
      return { queued, afterPortClose };
    });
    expect(ok(r)).to.deep.equal({ queued: 3, afterPortClose: 0 });
    expect(ioManager(m).liveIrps.size).to.equal(0);
  });
});

/** How a driver finishes the request in the matrix. */
const finishes = [
  { name: "completed in dispatch", how: Finish.Dispatch, pended: false },
  { name: "marked pending and completed in dispatch", how: Finish.MarkPendingDispatch, pended: true },
  { name: "pended and completed later by a driver thread", how: Finish.Later, pended: true },
] as const;

const statuses = [
  { status: wdm.STATUS_SUCCESS, what: "STATUS_SUCCESS", win32: 0 },
  { status: wdm.STATUS_OBJECT_NAME_EXISTS, what: "an information status", win32: 0 },
  { status: wdm.STATUS_BUFFER_OVERFLOW, what: "a warning (STATUS_BUFFER_OVERFLOW)", win32: w.ERROR_MORE_DATA },
  { status: wdm.STATUS_INVALID_PARAMETER, what: "an error (STATUS_INVALID_PARAMETER)", win32: w.ERROR_INVALID_PARAMETER },
] as const;

const COPIED = [...repeat(0xab, 8), ...repeat(0x11, 8)];
const UNTOUCHED = repeat(0x11, 16);

describe("I/O completion ports: what a request on a bound handle returns, posts and writes, for each status", () => {
  for (const skip of [false, true]) {
    for (const s of statuses) {
      for (const f of finishes) {
        const error = wdm.NT_ERROR(s.status);
        const warning = !error && !wdm.NT_SUCCESS(s.status);
        const success = wdm.NT_SUCCESS(s.status);
        const posted = f.pended || warning || (success && !skip);
        const pending = f.pended || warning;
        const title =
          `${skip ? "with FILE_SKIP_COMPLETION_PORT_ON_SUCCESS, " : ""}${s.what}, ${f.name}: ` +
          (pending ? "DeviceIoControl returns FALSE with ERROR_IO_PENDING" : error ? `returns FALSE with error ${s.win32}` : "returns TRUE") +
          (posted ? `, a packet is posted (GetQueuedCompletionStatus ${s.status >= 0x80000000 ? `FALSE with error ${s.win32}` : "TRUE"}) and the OVERLAPPED ends with the status and byte count` : ", no packet is posted") +
          (error && !f.pended ? " and the OVERLAPPED and output are left alone" : "");
        it(title, async () => {
          const m = newMachine();
          const kit = await loadPortKit(m);
          const r = await runApp(m, async () => {
            const { h, port } = await boundHandle(kit.path);
            if (skip && !w.SetFileCompletionNotificationModes(h, w.FILE_SKIP_COMPLETION_PORT_ON_SUCCESS)) throw new Error("SetFileCompletionNotificationModes failed");
            const req = await doIoctl(h, f.how, s.status, 8, 10);
            const d = await dequeue(port, 100);
            const after = await dequeue(port, 0);
            return {
              ret: req.ret,
              error: req.ret ? 0 : req.error,
              packet: d.ok || d.error !== w.WAIT_TIMEOUT ? [d.ok, d.ok ? 0 : d.error, d.key, d.overlapped === req.ov.address, d.bytes] : null,
              more: after.error,
              iosb: [req.ov.Internal, req.ov.InternalHigh],
              out: outBytes(req),
            };
          });
          expect(ok(r)).to.deep.equal({
            ret: !pending && success,
            error: pending ? w.ERROR_IO_PENDING : s.win32,
            packet: posted ? [s.status < 0x80000000, s.status < 0x80000000 ? 0 : s.win32, KEY, true, 8] : null,
            more: w.WAIT_TIMEOUT,
            iosb: error && !f.pended ? [wdm.STATUS_PENDING, 0] : [s.status, 8],
            out: error ? UNTOUCHED : COPIED,
          });
        });
      }
    }
  }

  it("an OVERLAPPED whose hEvent has its low bit set posts no packet; its event is still set and its IO_STATUS_BLOCK written", async () => {
    const m = newMachine();
    const kit = await loadPortKit(m);
    const r = await runApp(m, async () => {
      const { h, port } = await boundHandle(kit.path);
      const event = w.CreateEvent(null, true, false, null);
      const req = await doIoctl(h, Finish.Later, wdm.STATUS_SUCCESS, 8, 10, event | 1);
      const fired = await w.WaitForSingleObject(event, w.INFINITE);
      const d = await dequeue(port, 50);
      return { pending: !req.ret && req.error === w.ERROR_IO_PENDING, fired, packet: d.error, iosb: [req.ov.Internal, req.ov.InternalHigh], out: outBytes(req) };
    });
    expect(ok(r)).to.deep.equal({ pending: true, fired: w.WAIT_OBJECT_0, packet: w.WAIT_TIMEOUT, iosb: [0, 8], out: COPIED });
  });

  it("a request with an event in its OVERLAPPED on a bound handle sets the event and also posts a packet", async () => {
    const m = newMachine();
    const kit = await loadPortKit(m);
    const r = await runApp(m, async () => {
      const { h, port } = await boundHandle(kit.path);
      const event = w.CreateEvent(null, true, false, null);
      const req = await doIoctl(h, Finish.Later, wdm.STATUS_SUCCESS, 8, 10, event);
      const fired = await w.WaitForSingleObject(event, w.INFINITE);
      const iosb = [req.ov.Internal, req.ov.InternalHigh];
      const d = await dequeue(port, 0);
      return { fired, iosb, packet: [d.ok, d.overlapped === req.ov.address, d.bytes] };
    });
    expect(ok(r)).to.deep.equal({ fired: w.WAIT_OBJECT_0, iosb: [0, 8], packet: [true, true, 8] });
  });

  it("a request completed inside dispatch on a bound handle returns TRUE at once, but its OVERLAPPED and output are written only when its packet is removed (the second stage of thread-agnostic I/O runs in the remover)", async () => {
    const m = newMachine();
    const kit = await loadPortKit(m);
    const r = await runApp(m, async () => {
      const { h, port } = await boundHandle(kit.path);
      const req = await doIoctl(h, Finish.Dispatch, wdm.STATUS_SUCCESS, 8);
      const before = { iosb: [req.ov.Internal, req.ov.InternalHigh], out: outBytes(req), completed: w.HasOverlappedIoCompleted(req.ov) };
      const d = await dequeue(port, 0);
      const after = { iosb: [req.ov.Internal, req.ov.InternalHigh], out: outBytes(req), completed: w.HasOverlappedIoCompleted(req.ov) };
      return { ret: req.ret, before, packet: d.ok, after };
    });
    expect(ok(r)).to.deep.equal({
      ret: true,
      before: { iosb: [wdm.STATUS_PENDING, 0], out: UNTOUCHED, completed: false },
      packet: true,
      after: { iosb: [0, 8], out: COPIED, completed: true },
    });
  });

  it("SetFileCompletionNotificationModes refuses unknown flags with ERROR_INVALID_PARAMETER, and a mode once set cannot be removed", async () => {
    const m = newMachine();
    const kit = await loadPortKit(m);
    const r = await runApp(m, async () => {
      const { h, port } = await boundHandle(kit.path);
      const bad = w.SetFileCompletionNotificationModes(h, 0x8);
      const badError = w.GetLastError();
      const set = w.SetFileCompletionNotificationModes(h, w.FILE_SKIP_COMPLETION_PORT_ON_SUCCESS);
      const cleared = w.SetFileCompletionNotificationModes(h, 0);
      await doIoctl(h, Finish.Dispatch, wdm.STATUS_SUCCESS);
      const d = await dequeue(port, 0);
      return { bad, badError, set, cleared, packet: d.error };
    });
    expect(ok(r)).to.deep.equal({ bad: false, badError: w.ERROR_INVALID_PARAMETER, set: true, cleared: true, packet: w.WAIT_TIMEOUT });
  });

  it("FILE_SKIP_SET_EVENT_ON_HANDLE: a request completing on the handle leaves the file handle's event alone", async () => {
    const m = newMachine();
    const kit = await loadPortKit(m);
    const r = await runApp(m, async () => {
      const results: number[] = [];
      for (const skipEvent of [false, true]) {
        const { h, port } = await boundHandle(kit.path);
        if (skipEvent) w.SetFileCompletionNotificationModes(h, w.FILE_SKIP_SET_EVENT_ON_HANDLE);
        await doIoctl(h, Finish.Later, wdm.STATUS_SUCCESS, 8, 5);
        await dequeue(port, w.INFINITE);
        results.push(await w.WaitForSingleObject(h, 0));
      }
      return results;
    });
    expect(ok(r)).to.deep.equal([w.WAIT_OBJECT_0, w.WAIT_TIMEOUT]);
  });

  it("a handle bound to a port cannot take an APC routine: ReadFileEx fails with ERROR_INVALID_PARAMETER and the driver never sees the read", async () => {
    const m = newMachine();
    const kit = await loadPortKit(m);
    const r = await runApp(m, async () => {
      const { h } = await boundHandle(kit.path);
      const buf = alloc();
      let ran = false;
      const ok1 = await w.ReadFileEx(h, buf + 64, 4, new w.OVERLAPPED(buf), () => {
        ran = true;
      });
      const error = w.GetLastError();
      await w.SleepEx(10, true);
      return { ok1, error, ran, log: kit.ext.log.length };
    });
    expect(ok(r)).to.deep.equal({ ok1: false, error: w.ERROR_INVALID_PARAMETER, ran: false, log: 0 });
  });

  it("CancelIoEx on a pended request of a bound handle: the packet reports ERROR_OPERATION_ABORTED with no bytes", async () => {
    const m = newMachine();
    const kit = await loadPortKit(m);
    const r = await runApp(m, async () => {
      const { h, port } = await boundHandle(kit.path);
      const req = await doIoctl(h, Finish.Queue, wdm.STATUS_SUCCESS);
      const cancelled = await w.CancelIoEx(h, req.ov);
      const d = await dequeue(port, 0);
      return { cancelled, packet: [d.ok, d.error, d.bytes, d.overlapped === req.ov.address], iosb: req.ov.Internal };
    });
    expect(ok(r)).to.deep.equal({ cancelled: true, packet: [false, w.ERROR_OPERATION_ABORTED, 0, true], iosb: wdm.STATUS_CANCELLED });
  });

  it("requests completed together post one packet each, in the order they completed", async () => {
    const m = newMachine();
    const kit = await loadPortKit(m);
    const r = await runApp(m, async () => {
      const { h, port } = await boundHandle(kit.path);
      const reqs = [];
      for (let i = 0; i < 3; i++) reqs.push(await doIoctl(h, Finish.Queue, 0));
      await release(h, wdm.STATUS_SUCCESS, 4);
      const got = [];
      for (let i = 0; i < 3; i++) {
        const d = await dequeue(port, 0);
        got.push(reqs.findIndex((q) => q.ov.address === d.overlapped));
      }
      return got;
    });
    expect(ok(r)).to.deep.equal([0, 1, 2]);
  });
});
