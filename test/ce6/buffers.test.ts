/**
 * Buffers across the call (Learn CeOpenCallerBuffer, CeCloseCallerBuffer,
 * CeAllocAsynchronousBuffer, CeFreeAsynchronousBuffer, IsBadReadPtr; seed 003): first-level
 * pointers are checked by the kernel and used in place; embedded pointers need
 * CeOpenCallerBuffer; use after the call needs CeAllocAsynchronousBuffer; IsBadReadPtr and
 * IsBadWritePtr in kernel mode call every kernel address good — which lets an app make a careless
 * driver write kernel memory.
 */
import { expect } from "chai";
import {
  ARG_DW,
  ARG_I_PTR,
  ARG_I_WSTR,
  ARG_IO_PTR,
  ARG_O_PTR,
  CeAllocAsynchronousBuffer,
  CeCloseCallerBuffer,
  CeFreeAsynchronousBuffer,
  CeOpenCallerBuffer,
  CloseHandle,
  CreateFile,
  CreateThread,
  DEVFLAGS_LOAD_AS_USERPROC,
  DeviceIoControl,
  E_ACCESSDENIED,
  E_INVALIDARG,
  ERROR_INVALID_PARAMETER,
  GENERIC_READ,
  GetLastError,
  IsBadReadPtr,
  IsBadWritePtr,
  MEM_COMMIT,
  MEM_RESERVE,
  OPEN_EXISTING,
  PAGE_NOACCESS,
  PAGE_READONLY,
  PAGE_READWRITE,
  S_OK,
  Sleep,
  VirtualAlloc,
  readU32,
  writeU32,
  writeWideString,
  type CeExports,
  type Out,
} from "../../ce6/coredll.js";
import type { CeMachine } from "../../ce6/index.js";
import { ceMachine, ceOk, loadDriver, runCeApp, runCeKernel } from "./helpers.js";

/** An app that opens BUF1: and sends one IOCTL whose input holds `fill`'s values. */
async function call(ce: CeMachine, code: number, fill: (input: number, scratch: number) => void, nOut = 0): Promise<{ ok: boolean; error: number; out: number; scratch: number }> {
  return ceOk(
    await runCeApp(ce, async () => {
      const h = await CreateFile("BUF1:", GENERIC_READ, 0, null, OPEN_EXISTING, 0, 0);
      const mem = VirtualAlloc(0, 0x4000, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
      fill(mem, mem + 0x1000);
      const ok = await DeviceIoControl(h, code, mem, 16, nOut ? mem + 0x2000 : 0, nOut, 0, null);
      const error = ok ? 0 : GetLastError();
      await Sleep(50);
      const result = { ok, error, out: readU32(mem + 0x2000), scratch: readU32(mem + 0x1000) };
      await CloseHandle(h);
      return result;
    }),
  );
}

/** The attack's victim: kernel memory holding a value the driver was never meant to write. */
const SECRET_KERNEL_ADDRESS = 0x80500000;

/**
 * BUF's IOControl: code 1 writes the result through an embedded pointer it "validated" with
 * IsBadWritePtr (the mistake); code 2 does it right, with CeOpenCallerBuffer; code 3 keeps the
 * embedded buffer for after the call with CeAllocAsynchronousBuffer and writes it from another
 * thread; code 4 duplicates it (ForceDuplicate) and writes the copy.
 */
function bufDriver(record: { hr: number[]; marshalled: number[] }): CeExports {
  return {
    BUF_Init: () => 1,
    BUF_Deinit: () => true,
    BUF_Open: () => 1,
    BUF_Close: () => true,
    BUF_IOControl: (_h: number, code: number, pIn: number) => {
      const embedded = readU32(pIn);
      if (code === 1) {
        if (IsBadWritePtr(embedded, 4)) return false;
        writeU32(embedded, 0xbad);
        return true;
      }
      const marshalled: Out<number> = { value: 0 };
      if (code === 2 || code === 4) {
        const hr = CeOpenCallerBuffer(marshalled, embedded, 4, ARG_O_PTR, code === 4);
        record.hr.push(hr);
        record.marshalled.push(marshalled.value);
        if (hr !== S_OK) return false;
        writeU32(marshalled.value, 0x600d);
        record.hr.push(CeCloseCallerBuffer(marshalled.value, embedded, 4, ARG_O_PTR));
        return true;
      }
      if (code === 3) {
        // The documented sequence: marshal for the call, re-marshal for after it, close the first.
        let hr = CeOpenCallerBuffer(marshalled, embedded, 4, ARG_IO_PTR, false);
        record.hr.push(hr);
        if (hr !== S_OK) return false;
        const sync = marshalled.value;
        const asyncBuffer: Out<number> = { value: 0 };
        hr = CeAllocAsynchronousBuffer(asyncBuffer, sync, 4, ARG_IO_PTR);
        record.hr.push(hr);
        record.marshalled.push(asyncBuffer.value);
        record.hr.push(CeCloseCallerBuffer(sync, embedded, 4, ARG_IO_PTR));
        if (hr !== S_OK) return false;
        const asyncAddress = asyncBuffer.value;
        // After this call returns, another thread (in no call, with no app VM) completes it.
        CreateThread(
          null,
          0,
          async () => {
            await Sleep(10);
            writeU32(asyncAddress, 0xa5c);
            record.hr.push(CeFreeAsynchronousBuffer(asyncAddress, embedded, 4, ARG_IO_PTR));
          },
          null,
          0,
          0,
          "completer",
        );
        return true;
      }
      return false;
    },
  };
}

async function bufMachine(userMode = false): Promise<{ ce: CeMachine; record: { hr: number[]; marshalled: number[] } }> {
  const ce = ceMachine();
  const record = { hr: [] as number[], marshalled: [] as number[] };
  const r = await loadDriver(ce, "buf.dll", bufDriver(record), { Prefix: "BUF", Index: 1, ...(userMode ? { Flags: DEVFLAGS_LOAD_AS_USERPROC } : {}) });
  expect(r.error).to.equal(0);
  return { ce, record };
}

describe("CE 6.0 buffers: first-level, embedded and asynchronous", () => {
  it("first-level DeviceIoControl pointers are checked against the caller: a kernel address from an app fails with ERROR_INVALID_PARAMETER before the driver runs", async () => {
    const ce = ceMachine();
    let called = 0;
    await loadDriver(ce, "x.dll", { XXX_Init: () => 1, XXX_Deinit: () => true, XXX_Open: () => 1, XXX_Close: () => true, XXX_IOControl: () => (called++, true) }, { Prefix: "XXX", Index: 1 });
    const r = ceOk(
      await runCeApp(ce, async () => {
        const h = await CreateFile("XXX1:", GENERIC_READ, 0, null, OPEN_EXISTING, 0, 0);
        const results: number[] = [];
        for (const [pIn, nIn, pOut, nOut] of [
          [0x80100000, 4, 0, 0],
          [0, 0, 0x7ffff000, 4],
          [0x6ffffff0, 0x20, 0, 0],
          [0, 0, 0x0000f000, 4],
        ] as const) {
          results.push((await DeviceIoControl(h, 1, pIn, nIn, pOut, nOut, 0, null)) ? 0 : GetLastError());
        }
        // Input may come from the shared heap (readable); output may not go there.
        results.push((await DeviceIoControl(h, 1, 0x70000000, 4, 0, 0, 0, null)) ? 0 : GetLastError());
        results.push((await DeviceIoControl(h, 1, 0, 0, 0x70000000, 4, 0, null)) ? 0 : GetLastError());
        return results;
      }),
    );
    expect(r).to.deep.equal([ERROR_INVALID_PARAMETER, ERROR_INVALID_PARAMETER, 0, ERROR_INVALID_PARAMETER, 0, ERROR_INVALID_PARAMETER]);
    expect(called).to.equal(2);
  });

  it("a kernel-mode driver uses first-level buffers in place: it writes the app's output buffer with no byte copied", async () => {
    const ce = ceMachine();
    await loadDriver(ce, "x.dll", { XXX_Init: () => 1, XXX_Deinit: () => true, XXX_Open: () => 1, XXX_Close: () => true, XXX_IOControl: (_h: number, _c: number, pIn: number, _n: number, pOut: number) => (writeU32(pOut, readU32(pIn) + 1), true) }, { Prefix: "XXX", Index: 1 });
    const r = ceOk(
      await runCeApp(ce, async () => {
        const h = await CreateFile("XXX1:", GENERIC_READ, 0, null, OPEN_EXISTING, 0, 0);
        const mem = VirtualAlloc(0, 4096, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
        writeU32(mem, 41);
        await DeviceIoControl(h, 1, mem, 4, mem + 8, 4, 0, null);
        return readU32(mem + 8);
      }),
    );
    expect(r).to.equal(42);
    expect(ce.machine.bytesCopied).to.equal(0);
  });

  it("an embedded pointer opened with CeOpenCallerBuffer is used in place in a kernel-mode driver", async () => {
    const { ce, record } = await bufMachine();
    const r = await call(ce, 2, (input, scratch) => { writeU32(input, scratch); });
    expect(r).to.include({ ok: true, scratch: 0x600d });
    expect(record.hr).to.deep.equal([S_OK, S_OK]);
    expect(ce.machine.bytesCopied).to.equal(0);
  });

  it("CeOpenCallerBuffer refuses an embedded kernel address from an app with E_ACCESSDENIED", async () => {
    const { ce, record } = await bufMachine();
    const r = await call(ce, 2, (input) => { writeU32(input, SECRET_KERNEL_ADDRESS); });
    expect(r.ok).to.equal(false);
    expect(record.hr).to.deep.equal([E_ACCESSDENIED]);
  });

  it("ForceDuplicate gives a kernel copy, written back to the caller by CeCloseCallerBuffer", async () => {
    const { ce, record } = await bufMachine();
    const r = await call(ce, 4, (input, scratch) => { writeU32(input, scratch); });
    expect(r).to.include({ ok: true, scratch: 0x600d });
    expect(record.marshalled[0]).to.be.within(0xd0000000, 0xdfffffff);
    expect(ce.machine.bytesCopied).to.equal(4);
  });

  it("CeOpenCallerBuffer: NULL, ARG_DW or a size of 0 is E_INVALIDARG; a string's size may be 0 (it is measured)", async () => {
    const ce = ceMachine();
    const r = ceOk(
      await runCeKernel(ce, () => {
        const out: Out<number> = { value: 0 };
        const s = VirtualAlloc(0, 4096, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
        writeWideString(s, "name");
        return [CeOpenCallerBuffer(out, 0, 4, ARG_I_PTR, false), CeOpenCallerBuffer(out, s, 4, ARG_DW, false), CeOpenCallerBuffer(out, s, 0, ARG_I_PTR, false), CeOpenCallerBuffer(out, s, 0, ARG_I_WSTR, true)];
      }),
    );
    expect(r).to.deep.equal([E_INVALIDARG, E_INVALIDARG, E_INVALIDARG, S_OK]);
    expect(ce.machine.bytesCopied).to.equal(10);
  });

  it("CeAllocAsynchronousBuffer in the kernel is an alias of the caller's pages, usable from another thread after the call, with no byte copied", async () => {
    const { ce, record } = await bufMachine();
    const r = await call(ce, 3, (input, scratch) => { writeU32(input, scratch); });
    expect(r).to.include({ ok: true, scratch: 0xa5c });
    expect(record.hr).to.deep.equal([S_OK, S_OK, S_OK, S_OK]);
    expect(record.marshalled[0]).to.be.within(0xd0000000, 0xdfffffff);
    expect(ce.machine.bytesCopied).to.equal(0);
    // CeFreeAsynchronousBuffer removed the alias.
    expect(ce.kernel.kernelVm.reservationOf((record.marshalled[0] ?? 0) >>> 12)).to.equal(undefined);
  });

  it("in a user-mode driver CeOpenCallerBuffer duplicates (the caller's memory is not mapped in udevice.exe) and CeAllocAsynchronousBuffer writes back on free", async () => {
    const { ce, record } = await bufMachine(true);
    const open = await call(ce, 2, (input, scratch) => { writeU32(input, scratch); });
    expect(open).to.include({ ok: true, scratch: 0x600d });
    const asyncCall = await call(ce, 3, (input, scratch) => { writeU32(input, scratch); });
    expect(asyncCall).to.include({ ok: true, scratch: 0xa5c });
    expect(record.hr).to.deep.equal([S_OK, S_OK, S_OK, S_OK, S_OK, S_OK]);
    expect(record.marshalled.every((a) => a >= 0x10000 && a < 0x40000000)).to.equal(true);
  });

  it("IsBadReadPtr and IsBadWritePtr in kernel mode report every kernel address as valid", async () => {
    const ce = ceMachine();
    const r = ceOk(await runCeKernel(ce, () => [IsBadReadPtr(0x80000000, 4), IsBadWritePtr(0xd7000000, 4), IsBadReadPtr(0xfffff000, 0x1000), IsBadWritePtr(0x00400000, 4)]));
    // Kernel VM at 0xD7000000 is not even mapped: still "good".
    expect(r).to.deep.equal([false, false, false, true]);
  });

  it("IsBadReadPtr and IsBadWritePtr in user mode see kernel addresses, unmapped and read-only pages as bad", async () => {
    const ce = ceMachine();
    const r = ceOk(
      await runCeApp(ce, () => {
        const rw = VirtualAlloc(0, 4096, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
        const ro = VirtualAlloc(0, 4096, MEM_COMMIT | MEM_RESERVE, PAGE_READONLY);
        const reserved = VirtualAlloc(0, 4096, MEM_RESERVE, PAGE_NOACCESS);
        return [IsBadReadPtr(0x80000000, 4), IsBadWritePtr(rw, 4), IsBadReadPtr(ro, 4), IsBadWritePtr(ro, 4), IsBadReadPtr(reserved, 4), IsBadReadPtr(rw, 0)];
      }),
    );
    expect(r).to.deep.equal([true, false, false, true, true, false]);
  });

  it("the attack IsBadWritePtr allows: an app passes a kernel address as an embedded pointer and a driver that checks it with IsBadWritePtr writes kernel memory", async () => {
    const { ce } = await bufMachine();
    ceOk(await runCeKernel(ce, () => { writeU32(SECRET_KERNEL_ADDRESS, 0x5ec7e7); }));
    const attack = await call(ce, 1, (input) => { writeU32(input, SECRET_KERNEL_ADDRESS); });
    expect(attack.ok).to.equal(true);
    // The app, which cannot touch kernel memory itself, had the driver overwrite it.
    const after = ceOk(await runCeKernel(ce, () => readU32(SECRET_KERNEL_ADDRESS)));
    expect(after).to.equal(0xbad);
    // The same pointer through CeOpenCallerBuffer is refused and kernel memory stays intact.
    ceOk(await runCeKernel(ce, () => { writeU32(SECRET_KERNEL_ADDRESS, 0x5ec7e7); }));
    const safe = await call(ce, 2, (input) => { writeU32(input, SECRET_KERNEL_ADDRESS); });
    expect(safe.ok).to.equal(false);
    expect(ceOk(await runCeKernel(ce, () => readU32(SECRET_KERNEL_ADDRESS)))).to.equal(0x5ec7e7);
  });
});
