import { expect } from "chai";
import type { Machine } from "../../index.js";
import * as wdm from "../../wdm.js";
import * as w from "../../win32/index.js";
import { newMachine, ok, runApp } from "../helpers.js";
import {
  IOCTL,
  KERNEL_ADDRESS,
  alloc,
  bytesAt,
  complete,
  completeFromTimerDpc,
  fillBytes,
  loadKit,
  open,
  overlapped,
  repeat,
  resources,
  see,
  type Kit,
  type Seen,
} from "./kit.js";

/** A kit whose IOCTL handler records what it saw and then runs `body`. */
async function kitWith(
  m: Machine,
  body: (Irp: wdm.IRP, seen: Seen) => number,
): Promise<{ kit: Kit; seen: Seen[] }> {
  const seen: Seen[] = [];
  const kit = await loadKit(m, {
    dispatch: {
      [wdm.IRP_MJ_DEVICE_CONTROL]: (_DeviceObject, Irp) => {
        const s = see(m, Irp);
        seen.push(s);
        return body(Irp, s);
      },
    },
  });
  return { kit, seen };
}

/** Writes `value` into every byte of the system buffer (as a driver producing output). */
function fillSystemBuffer(Irp: wdm.IRP, length: number, value: number): void {
  wdm.RtlFillMemory(Irp.AssociatedIrp.SystemBuffer, length, value);
}

/**
 * The app side of the copy-back tests: a METHOD_BUFFERED request with no input and a 16-byte
 * output buffer holding 0x11s, and lpBytesReturned holding 0x77; what DeviceIoControl returned,
 * GetLastError, the output buffer and lpBytesReturned afterwards.
 */
async function callWithOutputOnly(
  m: Machine,
  kit: Kit,
): Promise<{ ret: boolean; error: number; out: number[]; returned: number }> {
  return ok(
    await runApp(m, async () => {
      const h = await open(kit);
      const outBuf = alloc();
      fillBytes(outBuf, 16, 0x11);
      const returned = alloc(4);
      w.writeU32(returned, 0x77);
      const ret = await w.DeviceIoControl(
        h,
        IOCTL(1, wdm.METHOD_BUFFERED),
        0,
        0,
        outBuf,
        16,
        returned,
        null,
      );
      return {
        ret,
        error: w.GetLastError(),
        out: bytesAt(outBuf, 16),
        returned: w.readU32(returned),
      };
    }),
  );
}

describe("I/O manager: how DeviceIoControl builds the IRP for each buffering method", () => {
  describe("METHOD_BUFFERED", () => {
    it("gives the driver one system buffer of max(input, output) bytes holding a copy of the input", async () => {
      const m = newMachine();
      const inputs: number[][] = [];
      const { kit, seen } = await kitWith(m, (Irp, s) => {
        inputs.push(Array.from(wdm.readBytes(Irp.AssociatedIrp.SystemBuffer, s.inLen)));
        return complete(Irp, wdm.STATUS_SUCCESS);
      });
      const code = IOCTL(1, wdm.METHOD_BUFFERED);
      const r = await runApp(m, async () => {
        const h = await open(kit);
        const inBuf = alloc();
        const outBuf = alloc();
        fillBytes(inBuf, 64, 0x5a);
        const a = await w.DeviceIoControl(h, code, inBuf, 16, outBuf, 64, 0, null);
        const b = await w.DeviceIoControl(h, code, inBuf, 64, outBuf, 16, 0, null);
        return { a, b, inBuf, outBuf };
      });
      const { a, b, outBuf } = ok(r);
      expect([a, b]).to.deep.equal([true, true]);
      expect(
        seen.map((s) => [s.inLen, s.outLen, s.systemBufferSize, s.userBuffer, s.type3, s.mdl]),
      ).to.deep.equal([
        [16, 64, 64, outBuf, 0, null],
        [64, 16, 64, outBuf, 0, null],
      ]);
      expect(inputs).to.deep.equal([repeat(0x5a, 16), repeat(0x5a, 64)]);
      expect(seen[0]?.systemBuffer).to.be.at.least(wdm.MM_SYSTEM_RANGE_START);
    });

    it("with input and output lengths of zero allocates no system buffer and passes no user buffer, whatever the pointers", async () => {
      const m = newMachine();
      let poolInDispatch = -1;
      const { kit, seen } = await kitWith(m, (Irp) => {
        poolInDispatch = m.nonPagedPool.inUse;
        return complete(Irp, wdm.STATUS_SUCCESS);
      });
      const r = await runApp(m, async () => {
        const h = await open(kit);
        const buf = alloc();
        const before = m.nonPagedPool.inUse;
        const ret = await w.DeviceIoControl(
          h,
          IOCTL(1, wdm.METHOD_BUFFERED),
          buf,
          0,
          buf + 64,
          0,
          0,
          null,
        );
        return { ret, before };
      });
      const { ret, before } = ok(r);
      expect(ret).to.equal(true);
      expect(seen.map((s) => [s.inLen, s.outLen, s.systemBuffer, s.userBuffer])).to.deep.equal([
        [0, 0, 0, 0],
      ]);
      expect(poolInDispatch).to.equal(before);
    });

    it("copies back IoStatus.Information bytes on success, not the whole output length", async () => {
      const m = newMachine();
      const { kit } = await kitWith(m, (Irp, s) => {
        fillSystemBuffer(Irp, Math.max(s.inLen, s.outLen), 0xab);
        return complete(Irp, wdm.STATUS_SUCCESS, 8);
      });
      const r = await runApp(m, async () => {
        const h = await open(kit);
        const inBuf = alloc();
        const outBuf = alloc();
        fillBytes(outBuf, 32, 0x11);
        const returned = alloc(4);
        const ret = await w.DeviceIoControl(
          h,
          IOCTL(1, wdm.METHOD_BUFFERED),
          inBuf,
          64,
          outBuf,
          32,
          returned,
          null,
        );
        return { ret, out: bytesAt(outBuf, 32), returned: w.readU32(returned) };
      });
      const { ret, out, returned } = ok(r);
      expect(ret).to.equal(true);
      expect(returned).to.equal(8);
      expect(out).to.deep.equal([...repeat(0xab, 8), ...repeat(0x11, 24)]);
    });

    it("never copies back more than the output buffer, even when Information claims more", async () => {
      const m = newMachine();
      const { kit } = await kitWith(m, (Irp, s) => {
        fillSystemBuffer(Irp, Math.max(s.inLen, s.outLen), 0xab);
        return complete(Irp, wdm.STATUS_SUCCESS, 64);
      });
      const r = await runApp(m, async () => {
        const h = await open(kit);
        const inBuf = alloc();
        const outBuf = alloc();
        fillBytes(outBuf, 64, 0x22);
        await w.DeviceIoControl(h, IOCTL(1, wdm.METHOD_BUFFERED), inBuf, 64, outBuf, 16, 0, null);
        return bytesAt(outBuf, 64);
      });
      expect(ok(r)).to.deep.equal([...repeat(0xab, 16), ...repeat(0x22, 48)]);
    });

    it("copies nothing back when the status is an error (NT_ERROR), even with Information set", async () => {
      const m = newMachine();
      const { kit } = await kitWith(m, (Irp, s) => {
        fillSystemBuffer(Irp, s.outLen, 0xab);
        return complete(Irp, wdm.STATUS_INVALID_PARAMETER, 8);
      });
      expect(await callWithOutputOnly(m, kit)).to.deep.equal({
        ret: false,
        error: w.ERROR_INVALID_PARAMETER,
        out: repeat(0x11, 16),
        returned: 0x77,
      });
    });

    it("copies back on a warning: STATUS_BUFFER_OVERFLOW delivers Information bytes and fails with ERROR_MORE_DATA", async () => {
      const m = newMachine();
      const { kit } = await kitWith(m, (Irp, s) => {
        fillSystemBuffer(Irp, s.outLen, 0xab);
        return complete(Irp, wdm.STATUS_BUFFER_OVERFLOW, 12);
      });
      expect(await callWithOutputOnly(m, kit)).to.deep.equal({
        ret: false,
        error: w.ERROR_MORE_DATA,
        out: [...repeat(0xab, 12), ...repeat(0x11, 4)],
        returned: 12,
      });
    });

    it("copies nothing back for STATUS_VERIFY_REQUIRED, the one warning excluded, which fails with ERROR_MEDIA_CHANGED", async () => {
      const m = newMachine();
      const { kit } = await kitWith(m, (Irp, s) => {
        fillSystemBuffer(Irp, s.outLen, 0xab);
        return complete(Irp, wdm.STATUS_VERIFY_REQUIRED, 8);
      });
      expect(await callWithOutputOnly(m, kit)).to.deep.equal({
        ret: false,
        error: w.ERROR_MEDIA_CHANGED,
        out: repeat(0x11, 16),
        returned: 8,
      });
    });

    it("copies back on an informational status, and DeviceIoControl succeeds (NT_SUCCESS)", async () => {
      const m = newMachine();
      const { kit } = await kitWith(m, (Irp, s) => {
        fillSystemBuffer(Irp, s.outLen, 0xab);
        return complete(Irp, wdm.STATUS_OBJECT_NAME_EXISTS, 4);
      });
      const r = await runApp(m, async () => {
        const h = await open(kit);
        const outBuf = alloc();
        const returned = alloc(4);
        const ret = await w.DeviceIoControl(
          h,
          IOCTL(1, wdm.METHOD_BUFFERED),
          0,
          0,
          outBuf,
          8,
          returned,
          null,
        );
        return { ret, out: bytesAt(outBuf, 8), returned: w.readU32(returned) };
      });
      expect(ok(r)).to.deep.equal({
        ret: true,
        out: [...repeat(0xab, 4), 0, 0, 0, 0],
        returned: 4,
      });
    });

    it("with only an input buffer, nothing is copied back and the app's input is never written", async () => {
      const m = newMachine();
      const { kit, seen } = await kitWith(m, (Irp, s) => {
        fillSystemBuffer(Irp, s.inLen, 0xee);
        return complete(Irp, wdm.STATUS_SUCCESS, s.inLen);
      });
      const r = await runApp(m, async () => {
        const h = await open(kit);
        const inBuf = alloc();
        fillBytes(inBuf, 32, 0x33);
        const ret = await w.DeviceIoControl(
          h,
          IOCTL(1, wdm.METHOD_BUFFERED),
          inBuf,
          32,
          0,
          0,
          0,
          null,
        );
        return { ret, input: bytesAt(inBuf, 32) };
      });
      expect(ok(r)).to.deep.equal({ ret: true, input: repeat(0x33, 32) });
      expect(seen.map((s) => [s.inLen, s.outLen, s.systemBufferSize, s.userBuffer])).to.deep.equal([
        [32, 0, 32, 0],
      ]);
    });

    it("an output buffer the app frees while the request is pended is not written: the copy-back faults and the request completes with STATUS_ACCESS_VIOLATION", async () => {
      const m = newMachine();
      const { kit } = await kitWith(m, (Irp, s) => {
        fillSystemBuffer(Irp, s.outLen, 0xab);
        wdm.IoMarkIrpPending(Irp);
        completeFromTimerDpc(Irp, 10, wdm.STATUS_SUCCESS, s.outLen);
        return wdm.STATUS_PENDING;
      });
      const r = await runApp(m, async () => {
        const h = await open(kit, true);
        const outBuf = w.VirtualAlloc(0, 4096, w.MEM_COMMIT | w.MEM_RESERVE, w.PAGE_READWRITE);
        const ev = w.CreateEvent(null, true, false, null);
        const ov = overlapped(ev);
        const before = resources(m);
        await w.DeviceIoControl(h, IOCTL(1, wdm.METHOD_BUFFERED), 0, 0, outBuf, 16, 0, ov);
        w.VirtualFree(outBuf, 0, w.MEM_RELEASE);
        await w.WaitForSingleObject(ev, w.INFINITE);
        const bytes = alloc(4);
        const res = await w.GetOverlappedResult(h, ov, bytes, false);
        return {
          internal: ov.Internal,
          res,
          error: w.GetLastError(),
          same: JSON.stringify(resources(m)) === JSON.stringify(before),
        };
      });
      expect(ok(r)).to.deep.equal({
        internal: wdm.STATUS_ACCESS_VIOLATION,
        res: false,
        error: w.ERROR_NOACCESS,
        same: true,
      });
    });

    it("frees the system buffer at completion whatever the status", async () => {
      const m = newMachine();
      const statuses = [wdm.STATUS_SUCCESS, wdm.STATUS_BUFFER_OVERFLOW, wdm.STATUS_UNSUCCESSFUL];
      let k = 0;
      const { kit } = await kitWith(m, (Irp) => complete(Irp, statuses[k++] ?? 0, 4));
      const r = await runApp(m, async () => {
        const h = await open(kit);
        const buf = alloc();
        const before = resources(m);
        for (let i = 0; i < statuses.length; i++)
          await w.DeviceIoControl(
            h,
            IOCTL(1, wdm.METHOD_BUFFERED),
            buf,
            100,
            buf + 512,
            200,
            0,
            null,
          );
        return [before, resources(m)];
      });
      const [before, after] = ok(r);
      expect(after).to.deep.equal(before);
    });
  });

  describe("METHOD_IN_DIRECT and METHOD_OUT_DIRECT", () => {
    for (const [method, name, write] of [
      [wdm.METHOD_IN_DIRECT, "METHOD_IN_DIRECT", false],
      [wdm.METHOD_OUT_DIRECT, "METHOD_OUT_DIRECT", true],
    ] as const) {
      it(`${name} puts the input in a system buffer of exactly its length and locks the output with an MDL for ${write ? "write" : "read"} access until completion`, async () => {
        const m = newMachine();
        const inputs: number[][] = [];
        let lockedInDispatch = -1;
        const { kit, seen } = await kitWith(m, (Irp, s) => {
          inputs.push(Array.from(wdm.readBytes(Irp.AssociatedIrp.SystemBuffer, s.inLen)));
          lockedInDispatch = m.currentThread().process.lockedPages;
          return complete(Irp, wdm.STATUS_SUCCESS);
        });
        const r = await runApp(m, async () => {
          const h = await open(kit);
          const inBuf = alloc();
          fillBytes(inBuf, 24, 0x5a);
          // 0x2000 bytes starting half-way into a page: three pages.
          const outBuf = alloc(0x4000) + 0x800;
          const before = resources(m);
          const ret = await w.DeviceIoControl(
            h,
            IOCTL(1, method),
            inBuf,
            24,
            outBuf,
            0x2000,
            0,
            null,
          );
          return { ret, outBuf, before, after: resources(m) };
        });
        const { ret, outBuf, before, after } = ok(r);
        expect(ret).to.equal(true);
        expect(seen.map((s) => [s.inLen, s.outLen, s.systemBufferSize, s.mdl])).to.deep.equal([
          [24, 0x2000, 24, { va: outBuf, byteCount: 0x2000, write, locked: true }],
        ]);
        expect(inputs).to.deep.equal([repeat(0x5a, 24)]);
        expect(lockedInDispatch).to.equal(before.lockedPages + 3);
        expect(after).to.deep.equal(before);
      });
    }

    it("METHOD_OUT_DIRECT: the driver's writes through the MDL's system address reach the app's buffer with no copy", async () => {
      const m = newMachine();
      const { kit } = await kitWith(m, (Irp) => {
        const mdl = Irp.MdlAddress;
        if (!mdl) return complete(Irp, wdm.STATUS_INVALID_PARAMETER);
        const va = wdm.MmGetSystemAddressForMdlSafe(mdl, wdm.NormalPagePriority);
        wdm.RtlFillMemory(va, wdm.MmGetMdlByteCount(mdl), 0xc3);
        return complete(Irp, wdm.STATUS_SUCCESS, 0);
      });
      const r = await runApp(m, async () => {
        const h = await open(kit);
        const outBuf = alloc();
        const copiedBefore = m.bytesCopied;
        const ret = await w.DeviceIoControl(
          h,
          IOCTL(1, wdm.METHOD_OUT_DIRECT),
          0,
          0,
          outBuf,
          100,
          0,
          null,
        );
        return { ret, out: bytesAt(outBuf, 104), copied: m.bytesCopied - copiedBefore };
      });
      expect(ok(r)).to.deep.equal({
        ret: true,
        out: [...repeat(0xc3, 100), 0, 0, 0, 0],
        copied: 0,
      });
    });

    it("METHOD_OUT_DIRECT: writes through the MDL stand whatever the final status, even an error", async () => {
      const m = newMachine();
      const { kit } = await kitWith(m, (Irp) => {
        const mdl = Irp.MdlAddress;
        if (mdl)
          wdm.RtlFillMemory(
            wdm.MmGetSystemAddressForMdlSafe(mdl, wdm.NormalPagePriority),
            16,
            0xc3,
          );
        return complete(Irp, wdm.STATUS_DEVICE_NOT_READY, 16);
      });
      const r = await runApp(m, async () => {
        const h = await open(kit);
        const outBuf = alloc();
        const ret = await w.DeviceIoControl(
          h,
          IOCTL(1, wdm.METHOD_OUT_DIRECT),
          0,
          0,
          outBuf,
          16,
          0,
          null,
        );
        return { ret, error: w.GetLastError(), out: bytesAt(outBuf, 16) };
      });
      expect(ok(r)).to.deep.equal({ ret: false, error: w.ERROR_NOT_READY, out: repeat(0xc3, 16) });
    });

    it("an output length of 0 builds no MDL even with an output pointer, and no input gives no system buffer", async () => {
      const m = newMachine();
      const { kit, seen } = await kitWith(m, (Irp) => complete(Irp, wdm.STATUS_SUCCESS));
      const r = await runApp(m, async () => {
        const h = await open(kit);
        const buf = alloc();
        const results: boolean[] = [];
        for (const method of [wdm.METHOD_IN_DIRECT, wdm.METHOD_OUT_DIRECT]) {
          results.push(await w.DeviceIoControl(h, IOCTL(1, method), buf, 0, buf + 64, 0, 0, null));
          results.push(await w.DeviceIoControl(h, IOCTL(1, method), 0, 32, buf + 64, 0, 0, null));
        }
        return results;
      });
      expect(ok(r)).to.deep.equal([true, true, true, true]);
      expect(seen.map((s) => [s.inLen, s.outLen, s.systemBuffer, s.mdl])).to.deep.equal(
        repeat(0, 4).map(() => [0, 0, 0, null]),
      );
    });

    it("a pended direct request keeps the output pages locked until the driver completes it", async () => {
      const m = newMachine();
      const { kit } = await kitWith(m, (Irp) => {
        wdm.IoMarkIrpPending(Irp);
        completeFromTimerDpc(Irp, 10, wdm.STATUS_SUCCESS, 0);
        return wdm.STATUS_PENDING;
      });
      const r = await runApp(m, async () => {
        const h = await open(kit, true);
        const ev = w.CreateEvent(null, true, false, null);
        const ov = overlapped(ev);
        const outBuf = alloc(8192);
        const before = resources(m);
        const ret = await w.DeviceIoControl(
          h,
          IOCTL(1, wdm.METHOD_OUT_DIRECT),
          0,
          0,
          outBuf,
          8192,
          0,
          ov,
        );
        const pending = resources(m);
        await w.WaitForSingleObject(ev, w.INFINITE);
        return { ret, error: w.GetLastError(), before, pending, after: resources(m), at: Math.floor(m.nowMs) };
      });
      const { ret, error, before, pending, after, at } = ok(r);
      expect([ret, error, at]).to.deep.equal([false, w.ERROR_IO_PENDING, 10]);
      expect([
        pending.lockedPages - before.lockedPages,
        pending.mdls - before.mdls,
        pending.irps - before.irps,
      ]).to.deep.equal([2, 1, 1]);
      expect(after).to.deep.equal(before);
    });
  });

  describe("METHOD_NEITHER", () => {
    it("passes the raw user pointers in Type3InputBuffer and UserBuffer, with no system buffer and no MDL", async () => {
      const m = newMachine();
      const { kit, seen } = await kitWith(m, (Irp) => complete(Irp, wdm.STATUS_SUCCESS));
      const r = await runApp(m, async () => {
        const h = await open(kit);
        const inBuf = alloc();
        const outBuf = alloc();
        const before = resources(m).poolBytes;
        await w.DeviceIoControl(h, IOCTL(1, wdm.METHOD_NEITHER), inBuf, 40, outBuf, 80, 0, null);
        return { inBuf, outBuf, pool: resources(m).poolBytes - before };
      });
      const { inBuf, outBuf, pool } = ok(r);
      expect(
        seen.map((s) => [s.type3, s.inLen, s.userBuffer, s.outLen, s.systemBuffer, s.mdl]),
      ).to.deep.equal([[inBuf, 40, outBuf, 80, 0, null]]);
      expect(pool).to.equal(0);
    });

    it("runs the dispatch routine in the caller's process, where the driver can use the user pointers itself", async () => {
      const m = newMachine();
      const { kit, seen } = await kitWith(m, (Irp, s) => {
        try {
          wdm.ProbeForRead(s.type3, s.inLen, 1);
          wdm.ProbeForWrite(Irp.UserBuffer, s.outLen, 1);
          const input = wdm.readBytes(s.type3, s.inLen);
          wdm.writeBytes(
            Irp.UserBuffer,
            input.map((b) => b ^ 0xff),
          );
          return complete(Irp, wdm.STATUS_SUCCESS, s.inLen);
        } catch (e) {
          if (e instanceof wdm.NtStatusError) return complete(Irp, e.status);
          throw e;
        }
      });
      const r = await runApp(m, async () => {
        const h = await open(kit);
        const inBuf = alloc();
        const outBuf = alloc();
        fillBytes(inBuf, 8, 0x0f);
        const returned = alloc(4);
        const ret = await w.DeviceIoControl(
          h,
          IOCTL(1, wdm.METHOD_NEITHER),
          inBuf,
          8,
          outBuf,
          8,
          returned,
          null,
        );
        return { ret, out: bytesAt(outBuf, 8), returned: w.readU32(returned) };
      });
      expect(ok(r)).to.deep.equal({ ret: true, out: repeat(0xf0, 8), returned: 8 });
      expect(seen.map((s) => [s.process, s.thread])).to.deep.equal([["app.exe", "app.exe:main"]]);
    });

    it("probes nothing: a system-space pointer reaches the driver, and the driver's own probe raises STATUS_ACCESS_VIOLATION", async () => {
      const m = newMachine();
      const probes: number[] = [];
      const { kit, seen } = await kitWith(m, (Irp, s) => {
        try {
          wdm.ProbeForRead(s.type3, s.inLen, 1);
          return complete(Irp, wdm.STATUS_SUCCESS);
        } catch (e) {
          if (!(e instanceof wdm.NtStatusError)) throw e;
          probes.push(e.status);
          return complete(Irp, e.status);
        }
      });
      const r = await runApp(m, async () => {
        const h = await open(kit);
        const ret = await w.DeviceIoControl(
          h,
          IOCTL(1, wdm.METHOD_NEITHER),
          KERNEL_ADDRESS,
          16,
          KERNEL_ADDRESS,
          16,
          0,
          null,
        );
        return { ret, error: w.GetLastError() };
      });
      expect(ok(r)).to.deep.equal({ ret: false, error: w.ERROR_NOACCESS });
      expect(seen.map((s) => [s.type3, s.userBuffer])).to.deep.equal([
        [KERNEL_ADDRESS, KERNEL_ADDRESS],
      ]);
      expect(probes).to.deep.equal([wdm.STATUS_ACCESS_VIOLATION]);
    });
  });

  it("every method's dispatch routine runs synchronously in the calling thread, at PASSIVE_LEVEL, with previous mode UserMode", async () => {
    const m = newMachine();
    const { kit, seen } = await kitWith(m, (Irp) => complete(Irp, wdm.STATUS_SUCCESS));
    const order: string[] = [];
    const r = await runApp(m, async () => {
      const h = await open(kit);
      const buf = alloc();
      for (const method of [
        wdm.METHOD_BUFFERED,
        wdm.METHOD_IN_DIRECT,
        wdm.METHOD_OUT_DIRECT,
        wdm.METHOD_NEITHER,
      ]) {
        const n = seen.length;
        const p = w.DeviceIoControl(h, IOCTL(1, method), buf, 8, buf + 64, 8, 0, null);
        // The driver has already run when the call hands back its promise.
        order.push(`${method}:${seen.length - n}`);
        await p;
      }
    });
    ok(r);
    expect(order).to.deep.equal(["0:1", "1:1", "2:1", "3:1"]);
    expect(
      seen.map((s) => [s.process, s.thread, s.irql, s.previousMode, s.requestorMode]),
    ).to.deep.equal(
      repeat(0, 4).map(() => [
        "app.exe",
        "app.exe:main",
        wdm.PASSIVE_LEVEL,
        wdm.UserMode,
        wdm.UserMode,
      ]),
    );
  });
});
