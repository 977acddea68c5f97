import { expect } from "chai";
import { PsGetCurrentProcess } from "../../kernel/api-ps-ob.js";
import { ExAllocatePoolWithTag, ExFreePoolWithTag, NonPagedPool } from "../../kernel/api-ex.js";
import { readU32, writeU32 } from "../../kernel/api-rtl.js";
import { KeDelayExecutionThread, KeGetCurrentIrql, KernelMode } from "../../kernel/api-ke.js";
import { injectHandleClose } from "../../io-manager/inject.js";
import type { KP_INIT } from "../../windriver/kernel-plugin.js";
import { installKernelPlugIn } from "../../windriver/machine.js";
import { PASSIVE_LEVEL } from "../../kernel/irql.js";
import { COPY_FROM_USER, COPY_TO_USER } from "../../windriver/kernel-plugin.js";
import {
  IOCTL_WD_KERNEL_PLUGIN_OPEN,
  SIZEOF_WD_KERNEL_PLUGIN,
  WD_KERNEL_PLUGIN,
  WD_INVALID_HANDLE,
  WD_INVALID_PARAMETER,
  WD_KERPLUG_FAILURE,
  WD_KernelPlugInCall,
  WD_KernelPlugInClose,
  WD_KernelPlugInOpen,
  WD_Open,
  WD_STATUS_SUCCESS,
} from "../../windriver/index.js";
import { newMachine, ok, runApp } from "../helpers.js";
import { installTestKp, kpCallStruct, openKp, rawCall, withWinDriver, zalloc } from "./kit.js";

describe("windriver: Kernel PlugIns (WD_KernelPlugInOpen, Call, Close)", () => {
  it("WD_KernelPlugInOpen loads the KP by name (KP_Init once per image), calls KP_Open with pOpenData, and returns a handle", async () => {
    const m = newMachine();
    const { state } = await withWinDriver(m);
    const log = installTestKp(m, { name: "KP_TEST" });
    const ran = await runApp(m, async () => {
      const h = await WD_Open();
      const a = await openKp(h, "kp_test", 0x1234);
      const b = await openKp(h, "KP_TEST", 0x5678);
      return { a, b, open: state.kps.size };
    });
    const x = ok(ran);
    expect([x.a.status, x.b.status]).to.deep.equal([WD_STATUS_SUCCESS, WD_STATUS_SUCCESS]);
    expect(x.a.hKernelPlugIn).to.not.equal(0);
    expect(x.b.hKernelPlugIn).to.not.equal(x.a.hKernelPlugIn);
    expect(x.open).to.equal(2);
    expect(log.inits).to.equal(1);
    expect(log.openData).to.deep.equal([0x1234, 0x5678]);
    // The app exited with both open: cleanup closed them.
    expect(log.calls.filter((c) => c === "KP_Close")).to.have.length(2);
    expect(state.kps.size).to.equal(0);
  });

  it("a KP that is not installed, that names itself differently, whose KP_Init refuses, or whose KP_Open returns FALSE gives WD_KERPLUG_FAILURE", async () => {
    const m = newMachine();
    await withWinDriver(m);
    installTestKp(m, { name: "KP_MISNAMED", initName: "KP_OTHER" });
    installTestKp(m, { name: "KP_NOINIT", init: false });
    const refusing = installTestKp(m, { name: "KP_NOOPEN", open: false });
    const ran = await runApp(m, async () => {
      const h = await WD_Open();
      const statuses: number[] = [];
      for (const n of ["KP_MISSING", "KP_MISNAMED", "KP_NOINIT", "KP_NOOPEN", ""]) statuses.push((await openKp(h, n)).status);
      return statuses;
    });
    expect(ok(ran)).to.deep.equal([WD_KERPLUG_FAILURE, WD_KERPLUG_FAILURE, WD_KERPLUG_FAILURE, WD_KERPLUG_FAILURE, WD_KERPLUG_FAILURE]);
    expect(refusing.calls).to.deep.equal(["KP_Open"]);
  });

  it("a NULL or bad pcDriverName, or a WD_KERNEL_PLUGIN in system space, is WD_INVALID_PARAMETER: the driver probes before it reads", async () => {
    const m = newMachine();
    await withWinDriver(m);
    installTestKp(m);
    const ran = await runApp(m, async () => {
      const h = await WD_Open();
      const nullName = new WD_KERNEL_PLUGIN(zalloc(SIZEOF_WD_KERNEL_PLUGIN));
      const badName = new WD_KERNEL_PLUGIN(zalloc(SIZEOF_WD_KERNEL_PLUGIN));
      badName.pcDriverName = 0x80000000;
      return [await WD_KernelPlugInOpen(h, nullName.address), await WD_KernelPlugInOpen(h, badName.address), (await rawCall(h, IOCTL_WD_KERNEL_PLUGIN_OPEN, 0xc0000000, SIZEOF_WD_KERNEL_PLUGIN)).status];
    });
    expect(ok(ran)).to.deep.equal([WD_INVALID_PARAMETER, WD_INVALID_PARAMETER, WD_INVALID_PARAMETER]);
  });

  it("WD_KernelPlugInCall runs KP_Call synchronously, at PASSIVE_LEVEL in the caller's process, with dwMessage and pData as sent; dwResult comes back", async () => {
    const m = newMachine();
    await withWinDriver(m);
    const seen: { irql: number; process: string; message: number; pData: number }[] = [];
    installTestKp(m, {
      call(_ctx, kpCall) {
        seen.push({ irql: KeGetCurrentIrql(), process: PsGetCurrentProcess().name, message: kpCall.dwMessage, pData: kpCall.pData });
        kpCall.dwResult = 0xabcd0000 + kpCall.dwMessage;
      },
    });
    const ran = await runApp(m, async () => {
      const h = await WD_Open();
      const { hKernelPlugIn } = await openKp(h, "KP_TEST");
      const call = kpCallStruct(hKernelPlugIn, 7, 0xa0001234);
      const status = await WD_KernelPlugInCall(h, call.address);
      return { status, result: call.dwResult };
    }, "caller.exe");
    expect(ok(ran)).to.deep.equal({ status: WD_STATUS_SUCCESS, result: 0xabcd0007 });
    expect(seen).to.deep.equal([{ irql: PASSIVE_LEVEL, process: "caller.exe", message: 7, pData: 0xa0001234 }]);
  });

  it("pData as a user pointer: the KP copies it in with COPY_FROM_USER and out with COPY_TO_USER, valid because KP_Call runs in the caller's context", async () => {
    const m = newMachine();
    await withWinDriver(m);
    installTestKp(m, {
      call(_ctx, kpCall) {
        const staging = ExAllocatePoolWithTag(NonPagedPool, 8, "KpTs");
        COPY_FROM_USER(staging, kpCall.pData, 8);
        writeU32(staging + 4, readU32(staging) * 2);
        COPY_TO_USER(kpCall.pData, staging, 8);
        ExFreePoolWithTag(staging, "KpTs");
        kpCall.dwResult = 1;
      },
    });
    const ran = await runApp(m, async () => {
      const h = await WD_Open();
      const { hKernelPlugIn } = await openKp(h, "KP_TEST");
      const data = zalloc(8);
      writeU32(data, 21);
      const call = kpCallStruct(hKernelPlugIn, 1, data);
      await WD_KernelPlugInCall(h, call.address);
      return [readU32(data), readU32(data + 4), call.dwResult];
    });
    expect(ok(ran)).to.deep.equal([21, 42, 1]);
    expect(m.bytesCopied).to.equal(16);
  });

  it("COPY_FROM_USER is a plain memcpy: a bad user pointer raises STATUS_ACCESS_VIOLATION in the KP, and a KP that does not catch it bug-checks the machine, naming the KP", async () => {
    const m = newMachine();
    await withWinDriver(m);
    installTestKp(m, {
      call(_ctx, kpCall) {
        const staging = ExAllocatePoolWithTag(NonPagedPool, 8, "KpTs");
        COPY_FROM_USER(staging, kpCall.pData, 8);
      },
    });
    const ran = await runApp(m, async () => {
      const h = await WD_Open();
      const { hKernelPlugIn } = await openKp(h, "KP_TEST");
      await WD_KernelPlugInCall(h, kpCallStruct(hKernelPlugIn, 1, 0x00000010).address);
    });
    const bc = ran.result.bugCheck;
    expect(bc?.name).to.equal("KMODE_EXCEPTION_NOT_HANDLED");
    expect(bc?.parameters[0]).to.equal(0xc0000005);
    expect(bc?.driver).to.equal("KP_TEST");
    expect(bc?.thread).to.include("Kernel PlugIn KP_Call");
  });

  it("an unknown KP handle is WD_INVALID_HANDLE for a call and for a close; a KP without KP_Call gives WD_KERPLUG_FAILURE", async () => {
    const m = newMachine();
    await withWinDriver(m);
    installTestKp(m, { name: "KP_NOCALL", without: ["funcCall"] });
    const ran = await runApp(m, async () => {
      const h = await WD_Open();
      const { hKernelPlugIn } = await openKp(h, "KP_NOCALL");
      const bogusCall = await WD_KernelPlugInCall(h, kpCallStruct(9999, 1, 0).address);
      const noCall = await WD_KernelPlugInCall(h, kpCallStruct(hKernelPlugIn, 1, 0).address);
      const bogus = new WD_KERNEL_PLUGIN(zalloc(SIZEOF_WD_KERNEL_PLUGIN));
      bogus.hKernelPlugIn = 9999;
      const bogusClose = await WD_KernelPlugInClose(h, bogus.address);
      return [bogusCall, noCall, bogusClose];
    });
    expect(ok(ran)).to.deep.equal([WD_INVALID_HANDLE, WD_KERPLUG_FAILURE, WD_INVALID_HANDLE]);
  });

  it("WD_KernelPlugInClose runs KP_Close once; the handle is unknown afterwards", async () => {
    const m = newMachine();
    const { state } = await withWinDriver(m);
    const log = installTestKp(m);
    const ran = await runApp(m, async () => {
      const h = await WD_Open();
      const kp = new WD_KERNEL_PLUGIN(zalloc(SIZEOF_WD_KERNEL_PLUGIN));
      const { hKernelPlugIn } = await openKp(h, "KP_TEST");
      kp.hKernelPlugIn = hKernelPlugIn;
      const first = await WD_KernelPlugInClose(h, kp.address);
      const again = await WD_KernelPlugInClose(h, kp.address);
      const call = await WD_KernelPlugInCall(h, kpCallStruct(hKernelPlugIn, 1, 0).address);
      return [first, again, call, state.kps.size];
    });
    expect(ok(ran)).to.deep.equal([WD_STATUS_SUCCESS, WD_INVALID_HANDLE, WD_INVALID_HANDLE, 0]);
    expect(log.calls).to.deep.equal(["KP_Open", "KP_Close"]);
  });

  it("a KP opened while another thread closes the handle (IRP_MJ_CLEANUP runs while KP_Open waits) is closed when the open's last reference goes (IRP_MJ_CLOSE)", async () => {
    const m = newMachine();
    const { state } = await withWinDriver(m);
    const calls: string[] = [];
    installKernelPlugIn(m, "KP_SLOW", {
      KP_Init(kpInit: KP_INIT): boolean {
        kpInit.cDriverName = "KP_SLOW";
        kpInit.funcOpen = async (kpOpenCall, _h, _d, pp) => {
          calls.push("KP_Open starts");
          await KeDelayExecutionThread(KernelMode, false, -5 * 10_000);
          kpOpenCall.funcClose = () => {
            calls.push("KP_Close");
          };
          pp.value = null;
          calls.push("KP_Open returns");
          return true;
        };
        return true;
      },
    });
    const ran = await runApp(m, async () => {
      const h = await WD_Open();
      const process = m.currentThread().process;
      m.after(1, "another thread closes the handle", () => {
        injectHandleClose(m, process, h);
      });
      return (await openKp(h, "KP_SLOW")).status;
    });
    expect(ok(ran)).to.equal(WD_STATUS_SUCCESS);
    expect(calls).to.deep.equal(["KP_Open starts", "KP_Open returns", "KP_Close"]);
    expect(state.kps.size).to.equal(0);
  });

  it("a KP callback that returns at a raised IRQL is IRQL_UNEXPECTED_VALUE, naming the KP", async () => {
    const m = newMachine();
    await withWinDriver(m);
    installTestKp(m, {
      call() {
        // Raised and never lowered: a KP bug the driver must not carry back to user mode.
        m.interrupts.raise(m.currentThread(), 2);
      },
    });
    const ran = await runApp(m, async () => {
      const h = await WD_Open();
      const { hKernelPlugIn } = await openKp(h, "KP_TEST");
      await WD_KernelPlugInCall(h, kpCallStruct(hKernelPlugIn, 1, 0).address);
    });
    expect(ran.result.bugCheck?.name).to.equal("IRQL_UNEXPECTED_VALUE");
    expect(ran.result.bugCheck?.driver).to.equal("KP_TEST");
  });
});
