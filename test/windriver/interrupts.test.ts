import { expect } from "chai";
import { ExAllocatePoolWithTag, PagedPool } from "../../kernel/api-ex.js";
import { writeU32 } from "../../kernel/api-rtl.js";
import { interruptController, interruptIrqlForLevel } from "../../kernel/interrupt-object.js";
import { DISPATCH_LEVEL } from "../../kernel/irql.js";
import { CreateThread, Sleep, WaitForSingleObject, INFINITE } from "../../win32/index.js";
import {
  DMA_KERNEL_BUFFER_ALLOC,
  INTERRUPT_RECEIVED,
  INTERRUPT_STOPPED,
  ITEM_INTERRUPT,
  ITEM_MEMORY,
  SIZEOF_WD_CARD_REGISTER,
  SIZEOF_WD_DMA,
  WD_CARD_REGISTER,
  WD_CardRegister,
  WD_CardUnregister,
  WD_DMA,
  WD_DMALock,
  WD_FAILED_ENABLING_INTERRUPT,
  WD_INTERRUPT_NOT_ENABLED,
  WD_INVALID_HANDLE,
  WD_IntCount,
  WD_IntDisable,
  WD_IntEnable,
  WD_IntWait,
  WD_NOT_IMPLEMENTED,
  WD_OPERATION_ALREADY_DONE,
  WD_Open,
  WD_RESOURCE_OVERLAP,
  WD_STATUS_SUCCESS,
} from "../../windriver/index.js";
import { newMachine, ok, runApp } from "../helpers.js";
import { TEST_IRQ, installTestKp, interruptStruct, openKp, registerCard, withWinDriver, zalloc } from "./kit.js";

describe("windriver: cards and interrupts (WD_CardRegister, WD_IntEnable, WD_IntWait, WD_IntDisable)", () => {
  it("WD_CardRegister writes hCard and the interrupt item's hInterrupt; fCheckLockOnly only checks (hCard 1); a line held unshared is WD_RESOURCE_OVERLAP; memory items are not modelled (WD_NOT_IMPLEMENTED)", async () => {
    const m = newMachine();
    const { state } = await withWinDriver(m);
    const ran = await runApp(m, async () => {
      const h = await WD_Open();
      const check = new WD_CARD_REGISTER(zalloc(SIZEOF_WD_CARD_REGISTER));
      check.dwItems = 1;
      check.Item(0).item = ITEM_INTERRUPT;
      check.Item(0).dwInterrupt = TEST_IRQ;
      check.fCheckLockOnly = 1;
      const checked = await WD_CardRegister(h, check.address);
      const a = await registerCard(h);
      const b = await registerCard(h, TEST_IRQ, false);
      const mem = new WD_CARD_REGISTER(zalloc(SIZEOF_WD_CARD_REGISTER));
      mem.dwItems = 1;
      mem.Item(0).item = ITEM_MEMORY;
      const memory = await WD_CardRegister(h, mem.address);
      const cards = state.cards.size;
      const un = await WD_CardUnregister(h, a.reg.address);
      const unAgain = await WD_CardUnregister(h, a.reg.address);
      return { checked, checkHCard: check.hCard, a: [a.status, a.reg.hCard !== 0, a.hInterrupt !== 0], b: b.status, memory, cards, un, unAgain };
    });
    expect(ok(ran)).to.deep.equal({ checked: WD_STATUS_SUCCESS, checkHCard: 1, a: [WD_STATUS_SUCCESS, true, true], b: WD_RESOURCE_OVERLAP, memory: WD_NOT_IMPLEMENTED, cards: 1, un: WD_STATUS_SUCCESS, unAgain: WD_INVALID_HANDLE });
  });

  it("WD_IntEnable with a kpCall calls KP_IntEnable with the kernel copy of kpCall (pData as sent), connects the ISR and writes fEnableOk and dwResult; enabling twice is WD_OPERATION_ALREADY_DONE", async () => {
    const m = newMachine();
    await withWinDriver(m, { card: [1] });
    const log = installTestKp(m);
    const ran = await runApp(m, async () => {
      const h = await WD_Open();
      const { hKernelPlugIn } = await openKp(h, "KP_TEST");
      const { hInterrupt } = await registerCard(h);
      const intr = interruptStruct(hInterrupt, hKernelPlugIn, 0xa0002000);
      const first = await WD_IntEnable(h, intr.address);
      const fEnableOk = intr.fEnableOk;
      const connected = interruptController(m).connectedTo(0x30 + TEST_IRQ).length;
      const again = await WD_IntEnable(h, intr.address);
      const disabled = await WD_IntDisable(h, intr.address);
      const disabledAgain = await WD_IntDisable(h, intr.address);
      return { first, fEnableOk, dwResult: intr.kpCall.dwResult, connected, again, disabled, disabledAgain, after: interruptController(m).connectedTo(0x30 + TEST_IRQ).length };
    });
    expect(ok(ran)).to.deep.equal({ first: WD_STATUS_SUCCESS, fEnableOk: 1, dwResult: 77, connected: 1, again: WD_OPERATION_ALREADY_DONE, disabled: WD_STATUS_SUCCESS, disabledAgain: WD_INTERRUPT_NOT_ENABLED, after: 0 });
    expect(log.intEnablePData).to.deep.equal([0xa0002000]);
    expect(log.calls.filter((c) => c.startsWith("KP_Int"))).to.deep.equal(["KP_IntEnable", "KP_IntDisable"]);
  });

  it("WD_IntEnable refusals: an unknown interrupt or KP handle (WD_INVALID_HANDLE), transfer commands (WD_NOT_IMPLEMENTED), KP_IntEnable returning FALSE (WD_FAILED_ENABLING_INTERRUPT)", async () => {
    const m = newMachine();
    await withWinDriver(m);
    installTestKp(m, { name: "KP_REFUSE", intEnable: false });
    const ran = await runApp(m, async () => {
      const h = await WD_Open();
      const { hKernelPlugIn } = await openKp(h, "KP_REFUSE");
      const { hInterrupt } = await registerCard(h);
      const unknownInterrupt = await WD_IntEnable(h, interruptStruct(9999).address);
      const unknownKp = await WD_IntEnable(h, interruptStruct(hInterrupt, 9999).address);
      const withCmds = interruptStruct(hInterrupt);
      withCmds.dwCmds = 2;
      const commands = await WD_IntEnable(h, withCmds.address);
      const refused = interruptStruct(hInterrupt, hKernelPlugIn);
      const refusedStatus = await WD_IntEnable(h, refused.address);
      return [unknownInterrupt, unknownKp, commands, refusedStatus, refused.kpCall.dwResult, interruptController(m).connectedTo(0x30 + TEST_IRQ).length];
    });
    expect(ok(ran)).to.deep.equal([WD_INVALID_HANDLE, WD_INVALID_HANDLE, WD_NOT_IMPLEMENTED, WD_FAILED_ENABLING_INTERRUPT, 77, 0]);
  });

  it("each interrupt runs KP_IntAtIrql at the card's device IRQL; KP_IntAtDpc gets the count of DPC requests and its result is how many times WD_IntWait wakes", async () => {
    const m = newMachine();
    await withWinDriver(m, { card: [2] });
    // Two wake-ups for every DPC: the app gets each interrupt twice.
    const log = installTestKp(m, { atDpc: (n) => 2 * n });
    const ran = await runApp(m, async () => {
      const h = await WD_Open();
      const { hKernelPlugIn } = await openKp(h, "KP_TEST");
      const { hInterrupt } = await registerCard(h);
      const intr = interruptStruct(hInterrupt, hKernelPlugIn);
      await WD_IntEnable(h, intr.address);
      const seen: [number, number, number, number][] = [];
      for (let i = 0; i < 4; i++) {
        const status = await WD_IntWait(h, intr.address);
        seen.push([status, intr.dwCounter, intr.dwLost, intr.fStopped]);
      }
      await WD_IntDisable(h, intr.address);
      return seen;
    });
    // The first wait takes one of the two wake-ups the DPC granted and reports the other as lost.
    expect(ok(ran)).to.deep.equal([
      [WD_STATUS_SUCCESS, 1, 1, INTERRUPT_RECEIVED],
      [WD_STATUS_SUCCESS, 2, 1, INTERRUPT_RECEIVED],
      [WD_STATUS_SUCCESS, 3, 1, INTERRUPT_RECEIVED],
      [WD_STATUS_SUCCESS, 4, 1, INTERRUPT_RECEIVED],
    ]);
    expect(log.irqls.every((x) => x === interruptIrqlForLevel(TEST_IRQ) && x > DISPATCH_LEVEL)).to.equal(true);
    expect(log.dpcCounts).to.deep.equal([1, 1, 1, 1]);
  });

  it("KP_IntAtIrql returning FALSE asks for no DPC: WD_IntWait does not wake, though dwCounter counts the interrupt", async () => {
    const m = newMachine();
    await withWinDriver(m, { card: [1] });
    // Only every third interrupt needs the DPC.
    let n = 0;
    const log = installTestKp(m, { atIrql: (mine) => ((mine.value = true), ++n % 3 === 0) });
    const ran = await runApp(m, async () => {
      const h = await WD_Open();
      const { hKernelPlugIn } = await openKp(h, "KP_TEST");
      const { hInterrupt } = await registerCard(h);
      const intr = interruptStruct(hInterrupt, hKernelPlugIn);
      await WD_IntEnable(h, intr.address);
      await WD_IntWait(h, intr.address);
      const first = intr.dwCounter;
      await WD_IntWait(h, intr.address);
      await WD_IntDisable(h, intr.address);
      return [first, intr.dwCounter, Math.floor(m.nowMs)];
    });
    expect(ok(ran)).to.deep.equal([3, 6, 6]);
    expect(log.dpcCounts).to.deep.equal([1, 1]);
  });

  it("without a Kernel PlugIn every interrupt wakes WD_IntWait once", async () => {
    const m = newMachine();
    await withWinDriver(m, { card: [3] });
    const ran = await runApp(m, async () => {
      const h = await WD_Open();
      const { hInterrupt } = await registerCard(h);
      const intr = interruptStruct(hInterrupt);
      await WD_IntEnable(h, intr.address);
      const at: number[] = [];
      for (let i = 0; i < 3; i++) {
        await WD_IntWait(h, intr.address);
        at.push(Math.floor(m.nowMs));
      }
      await WD_IntDisable(h, intr.address);
      return at;
    });
    expect(ok(ran)).to.deep.equal([3, 6, 9]);
  });

  it("WD_IntWait on an interrupt that is not enabled is WD_INTERRUPT_NOT_ENABLED; WD_IntDisable from another thread wakes a waiting WD_IntWait with fStopped = INTERRUPT_STOPPED", async () => {
    const m = newMachine();
    await withWinDriver(m, { card: [100] });
    installTestKp(m);
    const ran = await runApp(m, async () => {
      const h = await WD_Open();
      const { hKernelPlugIn } = await openKp(h, "KP_TEST");
      const { hInterrupt } = await registerCard(h);
      const intr = interruptStruct(hInterrupt, hKernelPlugIn);
      const notEnabled = await WD_IntWait(h, intr.address);
      await WD_IntEnable(h, intr.address);
      const stopper = CreateThread(null, 0, async () => {
        await Sleep(10);
        await WD_IntDisable(h, interruptStruct(hInterrupt).address);
      }, null, 0, 0, "stopper");
      const waited = await WD_IntWait(h, intr.address);
      const when = Math.floor(m.nowMs);
      await WaitForSingleObject(stopper, INFINITE);
      const count = interruptStruct(hInterrupt);
      const counted = await WD_IntCount(h, count.address);
      return { notEnabled, waited, fStopped: intr.fStopped, when, counted, countStopped: count.fStopped };
    });
    expect(ok(ran)).to.deep.equal({ notEnabled: WD_INTERRUPT_NOT_ENABLED, waited: WD_STATUS_SUCCESS, fStopped: INTERRUPT_STOPPED, when: 10, counted: WD_STATUS_SUCCESS, countStopped: INTERRUPT_STOPPED });
  });

  it("a KP_IntAtIrql that touches pageable memory bug-checks (IRQL_NOT_LESS_OR_EQUAL at the card's IRQL), naming the KP", async () => {
    const m = newMachine();
    await withWinDriver(m, { card: [1] });
    let paged = 0;
    installTestKp(m, {
      atIrql: (mine) => {
        mine.value = true;
        writeU32(paged, 1);
        return true;
      },
    });
    const ran = await runApp(m, async () => {
      const h = await WD_Open();
      m.enterKernel(m.currentThread());
      paged = ExAllocatePoolWithTag(PagedPool, 16, "Test");
      m.leaveKernel(m.currentThread());
      const { hKernelPlugIn } = await openKp(h, "KP_TEST");
      const { hInterrupt } = await registerCard(h);
      await WD_IntEnable(h, interruptStruct(hInterrupt, hKernelPlugIn).address);
      await WD_IntWait(h, interruptStruct(hInterrupt).address);
    });
    const bc = ran.result.bugCheck;
    expect(bc?.name).to.equal("IRQL_NOT_LESS_OR_EQUAL");
    expect(bc?.parameters[1]).to.equal(interruptIrqlForLevel(TEST_IRQ));
    expect(bc?.driver).to.equal("KP_TEST");
    expect(bc?.thread).to.include("Kernel PlugIn KP_IntAtIrql");
  });

  it("a KP_IntAtIrql that writes through the app's user address instead of the kernel one bug-checks when the interrupt finds another context", async () => {
    const m = newMachine();
    await withWinDriver(m, { card: [1] });
    let user = 0;
    installTestKp(m, {
      atIrql: (mine) => {
        mine.value = true;
        writeU32(user, 1);
        return true;
      },
    });
    const ran = await runApp(m, async () => {
      const h = await WD_Open();
      const dma = new WD_DMA(zalloc(SIZEOF_WD_DMA));
      dma.dwBytes = 4096;
      dma.dwOptions = DMA_KERNEL_BUFFER_ALLOC;
      await WD_DMALock(h, dma.address);
      user = dma.pUserAddr;
      const { hKernelPlugIn } = await openKp(h, "KP_TEST");
      const { hInterrupt } = await registerCard(h);
      await WD_IntEnable(h, interruptStruct(hInterrupt, hKernelPlugIn).address);
      await WD_IntWait(h, interruptStruct(hInterrupt).address);
    });
    const bc = ran.result.bugCheck;
    expect(bc?.name).to.equal("IRQL_NOT_LESS_OR_EQUAL");
    expect(bc?.parameters[0]).to.equal(user);
    // The interrupt arrived while every thread waited: the idle context, where the user address means nothing.
    expect(bc?.process).to.include("System");
  });
});
