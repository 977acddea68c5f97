import { expect } from "chai";
import { ioManager } from "../../index.js";
import { IoCompletionObject } from "../../io-manager/completion-port.js";
import type { KProcess } from "../../kernel/process.js";
import * as wdm from "../../wdm.js";
import * as w from "../../win32/index.js";
import { newMachine, ok, runApp } from "../helpers.js";
import { Finish, alloc, dequeue, doIoctl, loadPortKit, openKit, outBytes, repeat, type Req } from "./port-kit.js";

const COPIED = [...repeat(0xab, 8), ...repeat(0x11, 8)];

describe("Thread-agnostic I/O: requests on a handle bound to a completion port", () => {
  it("a request on a bound handle survives the exit of the thread that issued it; its packet arrives after that thread has gone, with the output copied back", async () => {
    const m = newMachine();
    const kit = await loadPortKit(m);
    const r = await runApp(m, async () => {
      const h = await openKit(kit.path);
      const port = w.CreateIoCompletionPort(h, 0, 7, 0);
      let req: Req | null = null;
      const poster = w.CreateThread(
        null,
        0,
        async () => {
          req = await doIoctl(h, Finish.Later, wdm.STATUS_SUCCESS, 8, 50);
          return 0;
        },
        null,
        0,
        0,
        "poster",
      );
      await w.WaitForSingleObject(poster, w.INFINITE);
      const exitedAt = Math.floor(m.nowMs);
      const d = await dequeue(port, w.INFINITE);
      const posted = req as Req | null;
      if (!posted) throw new Error("the poster did not post");
      return { pending: posted.error, exitedAt, packet: [d.ok, d.key, d.overlapped === posted.ov.address, d.bytes, Math.floor(m.nowMs)], out: outBytes(posted), cancelled: kit.ext.log.filter((l) => l.startsWith("cancel")) };
    });
    expect(ok(r)).to.deep.equal({ pending: w.ERROR_IO_PENDING, exitedAt: 0, packet: [true, 7, true, 8, 50], out: COPIED, cancelled: [] });
  });

  it("a request on a bound handle whose OVERLAPPED has an event stays on its thread: the thread's exit cancels it", async () => {
    const m = newMachine();
    const kit = await loadPortKit(m);
    const r = await runApp(m, async () => {
      const h = await openKit(kit.path);
      const port = w.CreateIoCompletionPort(h, 0, 7, 0);
      const event = w.CreateEvent(null, true, false, null);
      const poster = w.CreateThread(null, 0, async () => (await doIoctl(h, Finish.Queue, wdm.STATUS_SUCCESS, 8, 0, event)).error, null, 0, 0, "poster");
      await w.WaitForSingleObject(poster, w.INFINITE);
      const d = await dequeue(port, 0);
      return { packet: [d.ok, d.error, d.bytes], cancelled: kit.ext.log.filter((l) => l.startsWith("cancel")).length };
    });
    expect(ok(r)).to.deep.equal({ packet: [false, w.ERROR_OPERATION_ABORTED, 0], cancelled: 1 });
  });

  it("a request whose hEvent has its low bit set (no packet to report it) stays on its thread and is cancelled when the thread exits", async () => {
    const m = newMachine();
    const kit = await loadPortKit(m);
    const r = await runApp(m, async () => {
      const h = await openKit(kit.path);
      w.CreateIoCompletionPort(h, 0, 7, 0);
      const event = w.CreateEvent(null, true, false, null);
      let ov = 0;
      const poster = w.CreateThread(
        null,
        0,
        async () => {
          ov = (await doIoctl(h, Finish.Queue, wdm.STATUS_SUCCESS, 8, 0, event | 1)).ov.address;
        },
        null,
        0,
        0,
        "poster",
      );
      await w.WaitForSingleObject(poster, w.INFINITE);
      return { fired: await w.WaitForSingleObject(event, 0), status: new w.OVERLAPPED(ov).Internal };
    });
    expect(ok(r)).to.deep.equal({ fired: w.WAIT_OBJECT_0, status: wdm.STATUS_CANCELLED });
  });

  it("closing the process's last handle cancels its thread-agnostic requests after IRP_MJ_CLEANUP, and the close waits until they have completed", async () => {
    const m = newMachine();
    const kit = await loadPortKit(m);
    // A driver whose cleanup leaves queued requests alone: only the I/O manager's cancel ends them.
    kit.ext.cleanupCompletes = false;
    const r = await runApp(m, async () => {
      const h = await openKit(kit.path);
      const port = w.CreateIoCompletionPort(h, 0, 7, 0);
      const reqs: Req[] = [];
      for (let i = 0; i < 2; i++) reqs.push(await doIoctl(h, Finish.Queue, wdm.STATUS_SUCCESS));
      await w.CloseHandle(h);
      const log = [...kit.ext.log];
      const a = await dequeue(port, 0);
      const b = await dequeue(port, 0);
      return { log, packets: [a, b].map((d) => [d.ok, d.error, d.bytes]) };
    });
    const v = ok(r);
    expect(v.log[0]).to.equal("CLEANUP");
    expect(v.log.filter((l) => l.startsWith("cancel"))).to.have.length(2);
    expect(v.packets).to.deep.equal([
      [false, w.ERROR_OPERATION_ABORTED, 0],
      [false, w.ERROR_OPERATION_ABORTED, 0],
    ]);
  });

  it("when another process still holds a handle to the file, a process's last close cancels only that process's thread-agnostic requests, before any IRP_MJ_CLEANUP", async () => {
    const m = newMachine();
    const kit = await loadPortKit(m);
    kit.ext.cleanupCompletes = false;
    // The second process exists only to hold a handle for a while.
    const other = m.createProcess("other.exe", async () => {
      await w.Sleep(100);
      return 0;
    });
    const r = await runApp(m, async () => {
      const h = await openKit(kit.path);
      w.CreateIoCompletionPort(h, 0, 7, 0);
      await doIoctl(h, Finish.Queue, wdm.STATUS_SUCCESS);
      // The other process gets a handle to the same file object (as DuplicateHandle would give it).
      const entry = m.currentThread().process.handleTable.lookup(h);
      if (!entry) throw new Error("no handle");
      m.ob.insertHandle(other, entry.object, entry.grantedAccess);
      await w.CloseHandle(h);
      return [...kit.ext.log];
    });
    const log = ok(r);
    expect(log.filter((l) => l === "CLEANUP")).to.deep.equal([]);
    expect(log.filter((l) => l.startsWith("cancel"))).to.have.length(1);
    // The other process's exit closes the last handle: IRP_MJ_CLEANUP then.
    expect(kit.ext.log.filter((l) => l === "CLEANUP")).to.have.length(1);
  });

  it("a driver that never completes a thread-agnostic request leaves the process unable to exit: IO_DRIVER_CANCEL_TIMEOUT after five minutes, and a zombie", async () => {
    const m = newMachine();
    const kit = await loadPortKit(m);
    kit.ext.cleanupCompletes = false;
    const r = await runApp(m, async () => {
      const h = await openKit(kit.path);
      w.CreateIoCompletionPort(h, 0, 7, 0);
      await doIoctl(h, Finish.QueueNoCancel, wdm.STATUS_SUCCESS);
      return 0;
    });
    expect(r.result.zombies).to.deep.equal(["app.exe"]);
    const f = r.result.findings[0];
    expect(f?.rule).to.equal("IO_DRIVER_CANCEL_TIMEOUT");
    expect(f?.message).to.include("is thread-agnostic (the file is bound to an I/O completion port), so its thread's exit did not cancel it");
    expect(f?.message).to.include("without a cancel routine");
    expect(Math.floor(r.result.timeMs)).to.be.greaterThanOrEqual(300_000);
    expect(r.process.state).to.equal("zombie");
    // The IRP is still the driver's.
    expect(ioManager(m).liveIrps.size).to.equal(1);
  });

  it("CancelIo cancels the calling thread's thread-agnostic requests on the handle and waits for them; another thread's are left alone", async () => {
    const m = newMachine();
    const kit = await loadPortKit(m);
    const r = await runApp(m, async () => {
      const h = await openKit(kit.path);
      const port = w.CreateIoCompletionPort(h, 0, 7, 0);
      const mine = await doIoctl(h, Finish.Queue, wdm.STATUS_SUCCESS);
      let theirs: Req | null = null;
      const other = w.CreateThread(
        null,
        0,
        async () => {
          theirs = await doIoctl(h, Finish.Queue, wdm.STATUS_SUCCESS);
        },
        null,
        0,
        0,
        "other",
      );
      await w.WaitForSingleObject(other, w.INFINITE);
      const cancelled = await w.CancelIo(h);
      const d = await dequeue(port, 0);
      const more = await dequeue(port, 0);
      const t = theirs as Req | null;
      if (!t) throw new Error("no request from the other thread");
      const ex = await w.CancelIoEx(h, t.ov);
      const last = await dequeue(port, 0);
      return { cancelled, first: [d.overlapped === mine.ov.address, d.error], more: more.error, ex, last: [last.overlapped === t.ov.address, last.error] };
    });
    expect(ok(r)).to.deep.equal({ cancelled: true, first: [true, w.ERROR_OPERATION_ABORTED], more: w.WAIT_TIMEOUT, ex: true, last: [true, w.ERROR_OPERATION_ABORTED] });
  });

  it("the second stage of a thread-agnostic request runs in the thread that removes its packet", async () => {
    const m = newMachine();
    const kit = await loadPortKit(m);
    const rec = m.trace.record();
    const r = await runApp(m, async () => {
      const h = await openKit(kit.path);
      const port = w.CreateIoCompletionPort(h, 0, 7, 0);
      await doIoctl(h, Finish.Later, wdm.STATUS_SUCCESS, 8, 10);
      let remover = 0;
      const t = w.CreateThread(
        null,
        0,
        async () => {
          remover = w.GetCurrentThreadId();
          await dequeue(port, w.INFINITE);
        },
        null,
        0,
        0,
        "remover",
      );
      await w.WaitForSingleObject(t, w.INFINITE);
      return remover;
    });
    rec.stop();
    const remover = ok(r);
    const stage2 = rec.events.filter((e) => e.kind === "IrpStage2" && e.delivered);
    expect(stage2.map((e) => e.tid)).to.deep.equal([remover]);
    const queued = rec.events.find((e) => e.kind === "CompletionPacketQueued");
    expect(queued?.tid).to.not.equal(remover);
  });

  it("a packet removed by another process runs its second stage attached to the issuing process; if that process has exited the IRP is dropped and the packet reports STATUS_CANCELLED", async () => {
    const m = newMachine();
    const kit = await loadPortKit(m);
    let portObject: IoCompletionObject | null = null;
    let ovAddress = 0;
    const seen: { phase: string; packet: number[] }[] = [];
    // The issuing app: two requests on its bound handle, then it waits to be told to exit.
    const exitEvent = { set: false };
    const issuer = m.createProcess("issuer.exe", async () => {
      const h = await openKit(kit.path);
      const port = w.CreateIoCompletionPort(h, 0, 9, 0);
      const entry = m.currentThread().process.handleTable.lookup(port);
      portObject = entry?.object instanceof IoCompletionObject ? entry.object : null;
      const first = await doIoctl(h, Finish.Later, wdm.STATUS_SUCCESS, 8, 10);
      ovAddress = first.ov.address;
      await doIoctl(h, Finish.Queue, wdm.STATUS_SUCCESS);
      while (!exitEvent.set) await w.Sleep(5);
      // Leaving ends the issuer: its last close cancels the queued request.
      return 0;
    });
    await m.run({ until: () => portObject !== null && ovAddress !== 0 });
    const port = portObject as IoCompletionObject | null;
    if (!port) throw new Error("the issuer did not start");
    const issuerProcess: KProcess = issuer;
    // A second process holds the port too (as a duplicated handle would).
    const remover = m.createProcess("remover.exe", async () => {
      const self = m.currentThread().process;
      const h = m.ob.insertHandle(self, port, w.IO_COMPLETION_ALL_ACCESS);
      const a = await dequeue(h, w.INFINITE);
      seen.push({ phase: "issuer alive", packet: [a.ok ? 1 : 0, a.overlapped, a.bytes] });
      exitEvent.set = true;
      const b = await dequeue(h, w.INFINITE);
      seen.push({ phase: "issuer gone", packet: [b.ok ? 1 : 0, b.error, b.bytes, issuerProcess.state === "exited" ? 1 : 0] });
      return 0;
    });
    const res = await m.run();
    expect(res.outcome).to.equal("completed");
    expect(remover.state).to.equal("exited");
    expect(seen).to.deep.equal([
      { phase: "issuer alive", packet: [1, ovAddress, 8] },
      { phase: "issuer gone", packet: [0, w.ERROR_OPERATION_ABORTED, 0, 1] },
    ]);
    expect(ioManager(m).liveIrps.size).to.equal(0);
  });

  it("a thread-agnostic request's OVERLAPPED is written in the issuing process's memory even when another process removes the packet", async () => {
    const m = newMachine();
    const kit = await loadPortKit(m);
    let portObject: IoCompletionObject | null = null;
    let ov = 0;
    let done = false;
    let status: number[] = [];
    m.createProcess("issuer.exe", async () => {
      const h = await openKit(kit.path);
      const port = w.CreateIoCompletionPort(h, 0, 9, 0);
      const entry = m.currentThread().process.handleTable.lookup(port);
      portObject = entry?.object instanceof IoCompletionObject ? entry.object : null;
      const req = await doIoctl(h, Finish.Later, wdm.STATUS_SUCCESS, 8, 10);
      ov = req.ov.address;
      while (!done) await w.Sleep(5);
      status = [req.ov.Internal, req.ov.InternalHigh, ...outBytes(req).slice(0, 1)];
      await w.CloseHandle(h);
      return 0;
    });
    await m.run({ until: () => portObject !== null && ov !== 0 });
    const port = portObject as IoCompletionObject | null;
    if (!port) throw new Error("no port");
    let removerSaw: number[] = [];
    m.createProcess("remover.exe", async () => {
      const h = m.ob.insertHandle(m.currentThread().process, port, w.IO_COMPLETION_ALL_ACCESS);
      // The remover has memory at the very address of the issuer's OVERLAPPED: it must stay untouched.
      const mine = alloc();
      w.writeU32(mine, 0x12345678);
      await dequeue(h, w.INFINITE);
      done = true;
      removerSaw = [mine === ov ? 1 : 0, w.readU32(mine)];
      return 0;
    });
    const res = await m.run();
    expect(res.outcome).to.equal("completed");
    expect(status).to.deep.equal([0, 8, 0xab]);
    expect(removerSaw).to.deep.equal([1, 0x12345678]);
  });
});
