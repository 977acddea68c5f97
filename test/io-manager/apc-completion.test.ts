import { expect } from "chai";
import { ioManager } from "../../index.js";
import * as wdm from "../../wdm.js";
import * as w from "../../win32/index.js";
import { newMachine, ok, runApp } from "../helpers.js";
import { Finish, alloc, loadPortKit, openKit } from "./port-kit.js";

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

describe("ReadFileEx and WriteFileEx: completion routines are user APCs", () => {
  for (const s of statuses) {
    for (const f of finishes) {
      const error = wdm.NT_ERROR(s.status);
      const runs = !error || f.pended;
      const title =
        `${s.what}, ${f.name}: ReadFileEx returns ${error && !f.pended ? `FALSE with error ${s.win32}` : "TRUE"}` +
        (runs ? `, and the completion routine runs in the next alertable wait with (RtlNtStatusToDosError(status) = ${w.RtlNtStatusToDosError(s.status)}, 4, the OVERLAPPED)` : ", and no completion routine runs") +
        (error ? "; the buffer is left alone" : "; the data is copied to the buffer");
      it(title, async () => {
        const m = newMachine();
        const kit = await loadPortKit(m);
        kit.ext.read = { finish: f.how, status: s.status, information: 4, delayMs: 10 };
        const r = await runApp(m, async () => {
          const h = await openKit(kit.path);
          const buf = alloc();
          const ov = new w.OVERLAPPED(buf);
          const data = buf + 64;
          w.writeU32(data, 0x11111111);
          const calls: unknown[] = [];
          w.SetLastError(0);
          const ret = await w.ReadFileEx(h, data, 4, ov, (dwErrorCode, dwNumberOfBytesTransfered, lpOverlapped) => {
            calls.push([dwErrorCode, dwNumberOfBytesTransfered, lpOverlapped.address === ov.address, w.GetCurrentThreadId()]);
          });
          const error = ret ? 0 : w.GetLastError();
          // A non-alertable wait never runs it.
          await w.Sleep(20);
          const beforeAlertable = calls.length;
          const woke = await w.SleepEx(100, true);
          return { ret, error, beforeAlertable, woke, calls, data: w.readU32(data), tid: w.GetCurrentThreadId() };
        });
        const v = ok(r);
        expect({ ret: v.ret, error: v.error, beforeAlertable: v.beforeAlertable, woke: v.woke, calls: v.calls, data: v.data }).to.deep.equal({
          ret: !(error && !f.pended),
          error: error && !f.pended ? s.win32 : 0,
          beforeAlertable: 0,
          woke: runs ? w.WAIT_IO_COMPLETION : 0,
          calls: runs ? [[w.RtlNtStatusToDosError(s.status), 4, true, v.tid]] : [],
          data: error ? 0x11111111 : 0xabababab,
        });
        expect(ioManager(m).liveIrps.size).to.equal(0);
      });
    }
  }

  it("the completion routine runs in the requesting thread only: another thread's alertable wait does not run it", async () => {
    const m = newMachine();
    const kit = await loadPortKit(m);
    kit.ext.read = { finish: Finish.Later, status: wdm.STATUS_SUCCESS, information: 4, delayMs: 10 };
    const r = await runApp(m, async () => {
      const h = await openKit(kit.path);
      const buf = alloc();
      const ran: number[] = [];
      let otherWoke = -1;
      const other = w.CreateThread(
        null,
        0,
        async () => {
          otherWoke = await w.SleepEx(50, true);
        },
        null,
        0,
        0,
        "other",
      );
      await w.ReadFileEx(h, buf + 64, 4, new w.OVERLAPPED(buf), () => ran.push(w.GetCurrentThreadId()));
      await w.WaitForSingleObject(other, w.INFINITE);
      const before = ran.length;
      await w.SleepEx(0, true);
      return { otherWoke, before, ran, me: w.GetCurrentThreadId() };
    });
    const v = ok(r);
    expect(v).to.deep.equal({ otherWoke: 0, before: 0, ran: [v.me], me: v.me });
  });

  it("WriteFileEx: the driver gets the data and the routine reports the bytes written", async () => {
    const m = newMachine();
    const kit = await loadPortKit(m);
    kit.ext.read = { finish: Finish.Later, status: wdm.STATUS_SUCCESS, information: 6, delayMs: 5 };
    const r = await runApp(m, async () => {
      const h = await openKit(kit.path);
      const buf = alloc();
      w.writeBytes(buf + 64, new Uint8Array([1, 2, 3, 4, 5, 6]));
      const calls: number[][] = [];
      const ret = await w.WriteFileEx(h, buf + 64, 6, new w.OVERLAPPED(buf), (e, n) => calls.push([e, n]));
      const woke = await w.SleepEx(w.INFINITE, true);
      return { ret, woke, calls, seen: kit.ext.log[0] };
    });
    expect(ok(r)).to.deep.equal({ ret: true, woke: w.WAIT_IO_COMPLETION, calls: [[0, 6]], seen: "write 1,2,3,4,5,6" });
  });

  it("CancelIoEx of a ReadFileEx request: the routine runs with ERROR_OPERATION_ABORTED and 0 bytes", async () => {
    const m = newMachine();
    const kit = await loadPortKit(m);
    kit.ext.read = { finish: Finish.Queue, status: wdm.STATUS_SUCCESS, information: 4, delayMs: 0 };
    const r = await runApp(m, async () => {
      const h = await openKit(kit.path);
      const buf = alloc();
      const ov = new w.OVERLAPPED(buf);
      const calls: number[][] = [];
      await w.ReadFileEx(h, buf + 64, 4, ov, (e, n) => calls.push([e, n]));
      const cancelled = await w.CancelIoEx(h, ov);
      const woke = await w.SleepEx(w.INFINITE, true);
      return { cancelled, woke, calls };
    });
    expect(ok(r)).to.deep.equal({ cancelled: true, woke: w.WAIT_IO_COMPLETION, calls: [[w.ERROR_OPERATION_ABORTED, 0]] });
  });

  it("ReadFileEx without an OVERLAPPED fails with ERROR_INVALID_PARAMETER before anything is sent", async () => {
    const m = newMachine();
    const kit = await loadPortKit(m);
    const r = await runApp(m, async () => {
      const h = await openKit(kit.path);
      const ret = await w.ReadFileEx(h, alloc(), 4, null, () => 0);
      return { ret, error: w.GetLastError(), seen: kit.ext.log.length };
    });
    expect(ok(r)).to.deep.equal({ ret: false, error: w.ERROR_INVALID_PARAMETER, seen: 0 });
  });

  it("a completion routine still queued when its thread exits is run down: the routine never runs and the IRP is freed", async () => {
    const m = newMachine();
    const kit = await loadPortKit(m);
    kit.ext.read = { finish: Finish.Dispatch, status: wdm.STATUS_SUCCESS, information: 4, delayMs: 0 };
    const rec = m.trace.record();
    const r = await runApp(m, async () => {
      const h = await openKit(kit.path);
      const ran: number[] = [];
      const t = w.CreateThread(
        null,
        0,
        async () => {
          const buf = alloc();
          await w.ReadFileEx(h, buf + 64, 4, new w.OVERLAPPED(buf), () => ran.push(1));
          // Exits without an alertable wait.
          return 0;
        },
        null,
        0,
        0,
        "reader",
      );
      await w.WaitForSingleObject(t, w.INFINITE);
      return { ran, irps: ioManager(m).liveIrps.size };
    });
    rec.stop();
    expect(ok(r)).to.deep.equal({ ran: [], irps: 0 });
    expect(rec.events.filter((e) => e.kind === "ApcRundown" && e.routine === "I/O completion APC")).to.have.length(1);
  });

  it("each completion routine runs once, in issue order, when several requests complete before one alertable wait", async () => {
    const m = newMachine();
    const kit = await loadPortKit(m);
    kit.ext.read = { finish: Finish.Dispatch, status: wdm.STATUS_SUCCESS, information: 4, delayMs: 0 };
    const r = await runApp(m, async () => {
      const h = await openKit(kit.path);
      const order: number[] = [];
      for (let i = 0; i < 3; i++) {
        const buf = alloc();
        await w.ReadFileEx(h, buf + 64, 4, new w.OVERLAPPED(buf), () => order.push(i));
      }
      const woke = await w.SleepEx(0, true);
      const again = await w.SleepEx(0, true);
      return { order, woke, again };
    });
    expect(ok(r)).to.deep.equal({ order: [0, 1, 2], woke: w.WAIT_IO_COMPLETION, again: 0 });
  });
});
