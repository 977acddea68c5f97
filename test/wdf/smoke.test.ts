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
});
