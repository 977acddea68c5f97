import { expect } from "chai";
import { newMachine, runApp } from "../helpers.js";
import * as w from "../../win32/index.js";
import * as wdm from "../../wdm.js";
import * as wdf from "../../wdf/index.js";
import { IOCTL, loadWdfKit } from "./kit.js";

describe("wdf smoke", () => {
  it("a buffered IOCTL through a parallel default queue completes in EvtIoDeviceControl", async () => {
    const m = newMachine();
    const kit = await loadWdfKit(m, {
      queue: (c) => {
        c.EvtIoDeviceControl = function SmokeEvtIoDeviceControl(_q, Request, Out, In) {
          const inb = wdf.WdfRequestRetrieveInputBuffer(Request, 4);
          const outb = wdf.WdfRequestRetrieveOutputBuffer(Request, 4);
          wdm.RtlCopyMemory(outb.Buffer, inb.Buffer, Math.min(In, Out));
          wdf.WdfRequestCompleteWithInformation(Request, wdm.STATUS_SUCCESS, Math.min(In, Out));
        };
      },
    });
    expect(kit.status).to.equal(0);
    const ran = await runApp(m, async () => {
      const h = await w.CreateFile(kit.path, w.GENERIC_READ | w.GENERIC_WRITE, 0, null, w.OPEN_EXISTING, 0, 0);
      const buf = w.VirtualAlloc(0, 4096, w.MEM_COMMIT | w.MEM_RESERVE, w.PAGE_READWRITE);
      w.writeU32(buf, 0x12345678);
      const ok = await w.DeviceIoControl(h, IOCTL(1), buf, 8, buf + 64, 8, buf + 128, null);
      const got = w.readU32(buf + 64);
      const n = w.readU32(buf + 128);
      await w.CloseHandle(h);
      return { ok, got, n };
    });
    expect(ran.error).to.equal(null);
    expect(ran.result.bugCheck).to.equal(null);
    expect(ran.value).to.deep.equal({ ok: true, got: 0x12345678, n: 8 });
  });
  it("a Status, Information, length or pool type no C caller could pass (a symbol, a bigint) gets STATUS_INVALID_PARAMETER (raised, or returned by routines that return a status), never a JavaScript error, and the request stays the driver's to complete", async () => {
    const m = newMachine();
    const seen: string[] = [];
    const kit = await loadWdfKit(m, {
      queue: (c) => {
        c.EvtIoDeviceControl = function HostileEvtIoDeviceControl(_q, Request) {
          const tries: (() => unknown)[] = [
            () => { wdf.WdfRequestComplete(Request, Symbol("s") as never); },
            () => { wdf.WdfRequestCompleteWithInformation(Request, wdm.STATUS_SUCCESS, 5n as never); },
            () => wdf.WdfRequestRetrieveInputBuffer(Request, Symbol("n") as never).status,
            () => wdf.WdfMemoryCreate(null, Symbol("p") as never, 0x74736554, 16).status,
          ];
          for (const f of tries) {
            try {
              const v = f();
              seen.push(typeof v === "number" ? wdm.ntStatusName(v) : "returned");
            } catch (e) {
              seen.push(e instanceof wdm.NtStatusError ? `raised ${wdm.ntStatusName(e.status)}` : `host ${String(e)}`);
            }
          }
          wdf.WdfRequestComplete(Request, wdm.STATUS_SUCCESS);
        };
      },
    });
    const ran = await runApp(m, async () => {
      const h = await w.CreateFile(kit.path, w.GENERIC_READ | w.GENERIC_WRITE, 0, null, w.OPEN_EXISTING, 0, 0);
      const ok = await w.DeviceIoControl(h, IOCTL(1), 0, 0, 0, 0, 0, null);
      await w.CloseHandle(h);
      return ok;
    });
    expect(ran.error).to.equal(null);
    expect(ran.value).to.equal(true);
    expect(seen).to.deep.equal(["raised STATUS_INVALID_PARAMETER", "raised STATUS_INVALID_PARAMETER", "raised STATUS_INVALID_PARAMETER", "STATUS_INVALID_PARAMETER"]);
  });
});
