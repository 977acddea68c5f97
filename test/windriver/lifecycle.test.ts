import { expect } from "chai";
import { contiguousAllocations } from "../../kernel/api-mm.js";
import { interruptController } from "../../kernel/interrupt-object.js";
import { PAGE_SIZE } from "../../kernel/physical-memory.js";
import { ioManager } from "../../io-manager/io-manager.js";
import { invariantViolations } from "../../scenario/invariants.js";
import { teardownChecks } from "../../scenario/teardown.js";
import { CTL_CODE, CloseHandle, ERROR_INVALID_FUNCTION, ERROR_NOACCESS, FILE_ANY_ACCESS, GetLastError, METHOD_BUFFERED, MEM_COMMIT, MEM_RESERVE, PAGE_READWRITE, Sleep, VirtualAlloc, readU32, writeU32 } from "../../win32/index.js";
import type { KernelObject } from "../../kernel/objects.js";
import {
  DMA_KERNEL_BUFFER_ALLOC,
  IOCTL_WD_VERSION,
  SIZEOF_WD_DMA,
  SIZEOF_WD_VERSION,
  Stat2Str,
  WD_CTL_CODE,
  WD_DMA,
  WD_DMALock,
  WD_INVALID_IOCTL,
  WD_IntEnable,
  WD_IntWait,
  WD_Open,
  WD_STATUS_SUCCESS,
  WD_VER,
  WD_VERSION,
  WD_Version,
  WdStatus,
  wdStatusName,
} from "../../windriver/index.js";
import { newMachine, ok, runApp } from "../helpers.js";
import { installTestKp, interruptStruct, openKp, rawCall, registerCard, withWinDriver, zalloc } from "./kit.js";

function kernelDma(bytes: number): WD_DMA {
  const dma = new WD_DMA(zalloc(SIZEOF_WD_DMA));
  dma.dwBytes = bytes;
  dma.dwOptions = DMA_KERNEL_BUFFER_ALLOC;
  return dma;
}

describe("windriver: the app's death, several apps, and the IOCTL contract", () => {
  it("an app that dies with a kernel buffer allocated, a KP open and its interrupt enabled (blocked in WD_IntWait) leaves nothing behind: cleanup disables the interrupt, closes the KP, unmaps and frees the buffer", async () => {
    const m = newMachine();
    const { state, card } = await withWinDriver(m, { card: [2] });
    const log = installTestKp(m);
    let kernel = 0;
    let waits = 0;
    const app = m.createProcess("dying.exe", async () => {
      const h = await WD_Open();
      const dma = kernelDma(8 * PAGE_SIZE);
      await WD_DMALock(h, dma.address);
      kernel = dma.pKernelAddr;
      const { hKernelPlugIn } = await openKp(h, "KP_TEST");
      const { hInterrupt } = await registerCard(h);
      const intr = interruptStruct(hInterrupt, hKernelPlugIn, dma.pKernelAddr);
      await WD_IntEnable(h, intr.address);
      for (;;) {
        await WD_IntWait(h, intr.address);
        waits++;
      }
    });
    m.after(7, "dying.exe is killed", () => {
      app.kill(3);
    });
    const r = await m.run();
    expect(r.outcome).to.equal("completed");
    expect(app.state).to.equal("exited");
    expect(app.exitStatus).to.equal(3);
    expect(waits).to.equal(3);
    expect(log.calls).to.deep.equal(["KP_Open", "KP_IntEnable", "KP_IntDisable", "KP_Close"]);
    expect(contiguousAllocations(m).size).to.equal(0);
    expect(m.mmu.frameOf(null, kernel)).to.equal(-1);
    expect(interruptController(m).connectedTo(card?.vector ?? 0).length).to.equal(0);
    expect(state.dma.size + state.kps.size + state.cards.size + state.interrupts.size).to.equal(0);
    expect(teardownChecks(m).filter((c) => !c.passed)).to.deep.equal([]);
    expect(invariantViolations(m)).to.deep.equal([]);
    // The card stops raising interrupts once its line is masked.
    const raised = card?.raised ?? 0;
    await m.run({ maxTimeMs: 50 });
    expect(card?.raised).to.equal(raised);
  });

  it("an app that dies with the app's own buffer locked for scatter/gather gets it unlocked by cleanup before its process runs down (no PROCESS_HAS_LOCKED_PAGES)", async () => {
    const m = newMachine();
    await withWinDriver(m);
    const app = m.createProcess("sg.exe", async () => {
      const h = await WD_Open();
      const buffer = VirtualAlloc(0, 16 * PAGE_SIZE, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
      const dma = new WD_DMA(zalloc(SIZEOF_WD_DMA));
      dma.pUserAddr = buffer;
      dma.dwBytes = 16 * PAGE_SIZE;
      await WD_DMALock(h, dma.address);
      await Sleep(1000);
    });
    m.after(5, "sg.exe is killed", () => {
      app.kill(1);
    });
    const r = await m.run();
    expect(r.bugCheck).to.equal(null);
    expect(app.state).to.equal("exited");
    expect(app.lockedPages).to.equal(0);
    expect(m.physical.lockedFrames()).to.deep.equal([]);
    expect(ioManager(m).liveMdls.size).to.equal(0);
  });

  it("two apps each get their own buffer: different frames, each app sees only its own data, and one app's death leaves the other's buffer working", async () => {
    const m = newMachine();
    const { state } = await withWinDriver(m);
    const seen: Record<string, number[]> = { "a.exe": [], "b.exe": [] };
    const kernels: Record<string, number> = {};
    const mk = (name: string, tag: number, dieAt: number | null) =>
      m.createProcess(name, async () => {
        const h = await WD_Open();
        const dma = kernelDma(2 * PAGE_SIZE);
        await WD_DMALock(h, dma.address);
        kernels[name] = dma.pKernelAddr;
        writeU32(dma.pUserAddr, tag);
        for (let i = 0; i < 4; i++) {
          await Sleep(5);
          seen[name]?.push(readU32(dma.pUserAddr));
        }
        if (dieAt !== null) await Sleep(1000);
      });
    const a = mk("a.exe", 0xaaaa, 12);
    mk("b.exe", 0xbbbb, null);
    m.after(12, "a.exe is killed", () => {
      a.kill(1);
    });
    // While both live: two buffers, distinct frames.
    await m.run({ until: () => Object.keys(kernels).length === 2 });
    const frameA = m.mmu.frameOf(null, kernels["a.exe"] ?? 0);
    const frameB = m.mmu.frameOf(null, kernels["b.exe"] ?? 0);
    expect(frameA).to.not.equal(frameB);
    expect(state.dma.size).to.equal(2);
    const r = await m.run();
    expect(r.outcome).to.equal("completed");
    expect(seen["a.exe"]).to.deep.equal([0xaaaa, 0xaaaa]);
    expect(seen["b.exe"]).to.deep.equal([0xbbbb, 0xbbbb, 0xbbbb, 0xbbbb]);
    expect(contiguousAllocations(m).size).to.equal(0);
  });

  it("when another process holds the last handle, its cleanup removes the user mapping in the owner's address space (attached to it), and the owner keeps running", async () => {
    const m = newMachine();
    await withWinDriver(m);
    let user = 0;
    let handle = 0;
    let fileObject: KernelObject | null = null;
    const owner = m.createProcess("owner.exe", async () => {
      handle = await WD_Open();
      const dma = kernelDma(2 * PAGE_SIZE);
      await WD_DMALock(handle, dma.address);
      user = dma.pUserAddr;
      fileObject = m.currentThread().process.handleTable.lookup(handle)?.object ?? null;
      await Sleep(5);
      // The other process now holds a handle too: closing this one sends no IRP_MJ_CLEANUP.
      await CloseHandle(handle);
      await Sleep(20);
      readU32(user);
    });
    let otherHandle = 0;
    const other = m.createProcess("other.exe", async () => {
      await Sleep(2);
      otherHandle = m.ob.insertHandle(m.currentThread().process, fileObject as unknown as KernelObject, 0x120089);
      await Sleep(8);
      await CloseHandle(otherHandle);
    });
    const r = await m.run();
    // The owner's last read faulted: the mapping was gone from its address space.
    expect(r.bugCheck).to.equal(null);
    expect(owner.exitStatus).to.equal(0xc0000005);
    expect(other.exitStatus).to.equal(0);
    expect(contiguousAllocations(m).size).to.equal(0);
    expect(user).to.not.equal(0);
  });

  it("a status word the driver cannot write fails the IOCTL itself (ERROR_NOACCESS); a code that is not a WinDriver METHOD_NEITHER IOCTL is ERROR_INVALID_FUNCTION; an unknown WD_ function is WD_INVALID_IOCTL", async () => {
    const m = newMachine();
    await withWinDriver(m);
    const ran = await runApp(m, async () => {
      const h = await WD_Open();
      const ver = zalloc(SIZEOF_WD_VERSION);
      const badWord = await rawCall(h, IOCTL_WD_VERSION, ver, SIZEOF_WD_VERSION, 0x80000000);
      const e1 = GetLastError();
      const foreign = await rawCall(h, CTL_CODE(0x22, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS), ver, SIZEOF_WD_VERSION);
      const e2 = GetLastError();
      const unknown = await rawCall(h, WD_CTL_CODE(0x123), ver, SIZEOF_WD_VERSION);
      return { badWord: badWord.ok, e1, foreign: foreign.ok, e2, unknown: unknown.status };
    });
    expect(ok(ran)).to.deep.equal({ badWord: false, e1: ERROR_NOACCESS, foreign: false, e2: ERROR_INVALID_FUNCTION, unknown: WD_INVALID_IOCTL });
  });

  it("WD_Version reports the driver's version number and string", async () => {
    const m = newMachine();
    await withWinDriver(m);
    const ran = await runApp(m, async () => {
      const h = await WD_Open();
      const ver = new WD_VERSION(zalloc(SIZEOF_WD_VERSION));
      return { status: await WD_Version(h, ver.address), dwVer: ver.dwVer, cVer: ver.cVer };
    });
    const x = ok(ran);
    expect(x.status).to.equal(WD_STATUS_SUCCESS);
    expect(x.dwVer).to.equal(WD_VER);
    expect(x.cVer).to.match(/^WinDriver V10\.21/);
  });

  it("WinDriver's status codes have windrvr.h's values, and Stat2Str describes each", () => {
    expect(WdStatus.WD_STATUS_SUCCESS).to.equal(0);
    expect(WdStatus.WD_STATUS_INVALID_WD_HANDLE).to.equal(0xffffffff);
    expect(WdStatus.WD_WINDRIVER_STATUS_ERROR).to.equal(0x20000000);
    expect(WdStatus.WD_INVALID_HANDLE).to.equal(0x20000001);
    expect(WdStatus.WD_INSUFFICIENT_RESOURCES).to.equal(0x20000005);
    expect(WdStatus.WD_KERPLUG_FAILURE).to.equal(0x2000000b);
    expect(WdStatus.WD_INTERRUPT_NOT_ENABLED).to.equal(0x2000000d);
    expect(WdStatus.WD_OPERATION_ALREADY_DONE).to.equal(0x20000011);
    expect(WdStatus.WD_FAILED_USER_MAPPING).to.equal(0x20000017);
    expect(WdStatus.WD_FAILED_KERNEL_MAPPING).to.equal(0x20000018);
    expect(WdStatus.WD_INVALID_PARAMETER).to.equal(0x2000001b);
    expect(WdStatus.WD_NO_DEVICE_OBJECT).to.equal(0x20000023);
    for (const [name, value] of Object.entries(WdStatus)) {
      expect(wdStatusName(value), name).to.equal(name);
      expect(Stat2Str(value), name).to.not.equal("Unrecognized error code");
    }
    expect(Stat2Str(0x2000001b)).to.equal("Invalid parameter");
    expect(Stat2Str(0x12345678)).to.equal("Unrecognized error code");
    // Every WD_ IOCTL is device type 38200, METHOD_NEITHER, FILE_ANY_ACCESS.
    expect(IOCTL_WD_VERSION >>> 16).to.equal(38200);
    expect(IOCTL_WD_VERSION & 3).to.equal(3);
    expect((IOCTL_WD_VERSION >>> 14) & 3).to.equal(0);
  });
});
