/**
 * The generic driver's interrupt handling: WD_CardRegister / WD_CardUnregister (interrupt and
 * bus items), WD_IntEnable / WD_IntDisable / WD_IntWait / WD_IntCount, and the driver's own ISR
 * and DPC, which route each interrupt through the Kernel PlugIn's KP_IntAtIrql and KP_IntAtDpc.
 *
 * The path of one interrupt: the card asserts its line; WdInterruptService runs at the line's
 * device IRQL and calls KP_IntAtIrql, which may ask for a DPC; WdInterruptDpc runs at
 * DISPATCH_LEVEL, takes the ISR's DPC requests under the interrupt spin lock
 * (KeSynchronizeExecution) and calls KP_IntAtDpc(dwCount), whose result is how many times
 * WD_IntWait wakes; WD_IntWait blocks the app's thread in the driver until then.
 */
import { Executive, KDPC, KEVENT, KeClearEvent, KeInitializeDpc, KeInsertQueueDpc, KeRemoveQueueDpc, KeSetEvent, KeWaitForSingleObject, NotificationEvent } from "../kernel/api-ke.js";
import { BugCheckCode } from "../kernel/bugcheck-codes.js";
import { currentMachine } from "../kernel/context.js";
import { DbgPrint } from "../kernel/debug-print.js";
import { HalGetInterruptVector, INTERFACE_TYPE, KeSynchronizeExecution, Latched, LevelSensitive, type KINTERRUPT } from "../kernel/interrupt-object.js";
import { UserMode } from "../kernel/irql.js";
import type { Machine } from "../kernel/machine.js";
import { NT_SUCCESS, STATUS_SUCCESS } from "../kernel/status.js";
import { IoConnectInterrupt, IoDisconnectInterrupt } from "../io-manager/interrupt.js";
import {
  INTERRUPT_INTERRUPTED,
  INTERRUPT_LATCHED,
  INTERRUPT_LEVEL_SENSITIVE,
  INTERRUPT_RECEIVED,
  INTERRUPT_STOPPED,
  ITEM_BUS,
  ITEM_INTERRUPT,
  ITEM_IO,
  ITEM_MEMORY,
  ITEM_NONE,
  WD_CARD_ITEMS,
  WD_DATA_MISMATCH,
  WD_FAILED_ENABLING_INTERRUPT,
  WD_INTERRUPT_NOT_ENABLED,
  WD_INVALID_HANDLE,
  WD_INVALID_PARAMETER,
  WD_IRP_CANCELED,
  WD_NOT_IMPLEMENTED,
  WD_OPERATION_ALREADY_DONE,
  WD_RESOURCE_OVERLAP,
  WD_STATUS_SUCCESS,
} from "./constants.js";
import { WdInterrupt, type WD_DEVICE_EXTENSION, type WdCard } from "./driver-state.js";
import { WD_KERNEL_PLUGIN_CALL, type Out } from "./kernel-plugin.js";
import { kpCallback } from "./kp-calls.js";
import { WD_CARD_LAYOUT, WD_CARD_REGISTER_LAYOUT, WD_INTERRUPT_LAYOUT, WD_ITEMS_LAYOUT, WD_KERNEL_PLUGIN_CALL_LAYOUT } from "./layout.js";
import { captureHandle, captureStruct, isProbeFailure, writeBack, type WdRequest } from "./user-buffer.js";

/** One interrupt item of a card being registered. */
interface InterruptItem {
  readonly index: number;
  readonly irq: number;
  readonly options: number;
  readonly notSharable: boolean;
}

/**
 * WD_CardRegister: registers the card's interrupt items (ITEM_INTERRUPT, with the IRQ in
 * dwInterrupt) and writes hCard and each item's hInterrupt back. Bus items are accepted and
 * ignored; memory and I/O items are not modelled (WD_NOT_IMPLEMENTED). An interrupt line another
 * card holds, where either asks for it unshared (fNotSharable), is WD_RESOURCE_OVERLAP.
 * fCheckLockOnly only checks: hCard is 1 when the card could be registered.
 */
export function cardRegister(r: WdRequest): number {
  if (r.dwSize < WD_CARD_REGISTER_LAYOUT.size) return WD_DATA_MISMATCH;
  const items: InterruptItem[] = [];
  let checkOnly: boolean;
  try {
    const s = captureStruct(r, r.pParam, WD_CARD_REGISTER_LAYOUT.size);
    const dwItems = s.u32(WD_CARD_REGISTER_LAYOUT.Card + WD_CARD_LAYOUT.dwItems);
    if (dwItems > WD_CARD_ITEMS) return WD_INVALID_PARAMETER;
    checkOnly = s.u32(WD_CARD_REGISTER_LAYOUT.fCheckLockOnly) !== 0;
    for (let i = 0; i < dwItems; i++) {
      const base = WD_CARD_REGISTER_LAYOUT.Card + WD_CARD_LAYOUT.Item + i * WD_ITEMS_LAYOUT.size;
      const item = s.u32(base + WD_ITEMS_LAYOUT.item);
      if (item === ITEM_NONE || item === ITEM_BUS) continue;
      if (item === ITEM_MEMORY || item === ITEM_IO) {
        DbgPrint(`windrvr6: WD_CardRegister item ${i} is ${item === ITEM_MEMORY ? "ITEM_MEMORY" : "ITEM_IO"}: the emulator models only interrupt and bus items`);
        return WD_NOT_IMPLEMENTED;
      }
      if (item !== ITEM_INTERRUPT) return WD_INVALID_PARAMETER;
      const irq = s.u32(base + WD_ITEMS_LAYOUT.Int.dwInterrupt);
      if (irq > 23) return WD_INVALID_PARAMETER;
      items.push({ index: i, irq, options: s.u32(base + WD_ITEMS_LAYOUT.Int.dwOptions), notSharable: s.u32(base + WD_ITEMS_LAYOUT.fNotSharable) !== 0 });
    }
  } catch (e) {
    if (isProbeFailure(e)) return WD_INVALID_PARAMETER;
    throw e;
  }
  for (const item of items) {
    for (const other of r.ext.interrupts.values()) {
      if (other.irq === item.irq && (item.notSharable || !other.sharable)) return WD_RESOURCE_OVERLAP;
    }
  }
  const card: WdCard = { hCard: checkOnly ? 1 : r.ext.newHandle(), owner: r.file, interrupts: [] };
  const fields: [number, number][] = [[WD_CARD_REGISTER_LAYOUT.hCard, card.hCard]];
  if (!checkOnly) {
    for (const item of items) {
      const { vector, Irql } = HalGetInterruptVector(INTERFACE_TYPE.Isa, 0, item.irq, item.irq);
      const intr = new WdInterrupt(
        r.ext.newHandle(),
        card,
        item.irq,
        vector,
        Irql,
        !item.notSharable,
        (item.options & INTERRUPT_LEVEL_SENSITIVE) !== 0,
        new KDPC<WdInterrupt>(),
        new KEVENT(NotificationEvent, false, `windrvr6 interrupt (IRQ ${item.irq})`),
      );
      intr.dpc.label = `WdInterruptDpc(IRQ ${item.irq})`;
      KeInitializeDpc(intr.dpc, WdInterruptDpc, intr);
      card.interrupts.push(intr);
      fields.push([WD_CARD_REGISTER_LAYOUT.Card + WD_CARD_LAYOUT.Item + item.index * WD_ITEMS_LAYOUT.size + WD_ITEMS_LAYOUT.Int.hInterrupt, intr.hInterrupt]);
    }
  }
  try {
    writeBack(r, r.pParam, WD_CARD_REGISTER_LAYOUT.size, fields);
  } catch (e) {
    if (isProbeFailure(e)) return WD_INVALID_PARAMETER;
    throw e;
  }
  if (checkOnly) return WD_STATUS_SUCCESS;
  r.ext.cards.set(card.hCard, card);
  for (const intr of card.interrupts) r.ext.interrupts.set(intr.hInterrupt, intr);
  r.file.cards.add(card);
  return WD_STATUS_SUCCESS;
}

/** WD_CardUnregister: the card's enabled interrupts are disabled, then its handles go. */
export function cardUnregister(r: WdRequest): number {
  const hCard = captureHandle(r, WD_CARD_REGISTER_LAYOUT.size, WD_CARD_REGISTER_LAYOUT.hCard);
  if (hCard === null) return WD_INVALID_PARAMETER;
  const card = r.ext.cards.get(hCard);
  if (!card || card.owner.process !== r.file.process) return WD_INVALID_HANDLE;
  unregisterCard(currentMachine("WD_CardUnregister"), r.ext, card);
  return WD_STATUS_SUCCESS;
}

/** Removes a card (WD_CardUnregister and cleanup). */
export function unregisterCard(m: Machine, ext: WD_DEVICE_EXTENSION, card: WdCard): void {
  for (const intr of card.interrupts) {
    disableInterrupt(m, intr);
    ext.interrupts.delete(intr.hInterrupt);
  }
  ext.cards.delete(card.hCard);
  card.owner.cards.delete(card);
}

function interruptOf(r: WdRequest, hInterrupt: number): WdInterrupt | null {
  const intr = r.ext.interrupts.get(hInterrupt);
  return intr && intr.card.owner.process === r.file.process ? intr : null;
}

/**
 * WD_IntEnable: with kpCall.hKernelPlugIn set, KP_IntEnable gets the kernel copy of kpCall
 * (pData as the app sent it) and returns the interrupt context; then the driver's ISR is
 * connected to the card's line. An unknown interrupt or KP handle is WD_INVALID_HANDLE; enabling
 * twice is WD_OPERATION_ALREADY_DONE; KP_IntEnable returning false, or the connection failing,
 * is WD_FAILED_ENABLING_INTERRUPT (the status for a refusing KP_IntEnable is our choice: not
 * confirmed). Transfer commands (dwCmds) are not modelled: WD_NOT_IMPLEMENTED.
 */
export async function intEnable(r: WdRequest): Promise<number> {
  const m = currentMachine("WD_IntEnable");
  if (r.dwSize < WD_INTERRUPT_LAYOUT.size) return WD_DATA_MISMATCH;
  let hInterrupt: number;
  let dwCmds: number;
  let call: WD_KERNEL_PLUGIN_CALL;
  try {
    const s = captureStruct(r, r.pParam, WD_INTERRUPT_LAYOUT.size);
    hInterrupt = s.u32(WD_INTERRUPT_LAYOUT.hInterrupt);
    dwCmds = s.u32(WD_INTERRUPT_LAYOUT.dwCmds);
    const k = WD_INTERRUPT_LAYOUT.kpCall;
    call = new WD_KERNEL_PLUGIN_CALL(s.u32(k + WD_KERNEL_PLUGIN_CALL_LAYOUT.hKernelPlugIn), s.u32(k + WD_KERNEL_PLUGIN_CALL_LAYOUT.dwMessage), s.u32(k + WD_KERNEL_PLUGIN_CALL_LAYOUT.pData));
  } catch (e) {
    if (isProbeFailure(e)) return WD_INVALID_PARAMETER;
    throw e;
  }
  const intr = interruptOf(r, hInterrupt);
  if (!intr) return WD_INVALID_HANDLE;
  if (intr.enabled) return WD_OPERATION_ALREADY_DONE;
  if (dwCmds !== 0) {
    DbgPrint("windrvr6: WD_IntEnable with transfer commands: the emulator does not model commands run at interrupt time");
    return WD_NOT_IMPLEMENTED;
  }
  const kp = call.hKernelPlugIn !== 0 ? r.ext.kps.get(call.hKernelPlugIn) : undefined;
  if (call.hKernelPlugIn !== 0 && (!kp || kp.owner.process !== r.file.process)) return WD_INVALID_HANDLE;
  let pIntContext: unknown = null;
  const funcIntEnable = kp?.openCall.funcIntEnable;
  if (kp && funcIntEnable) {
    const ppIntContext: Out<unknown> = { value: null };
    const ok = await kpCallback(m, kp.kp.name, "KP_IntEnable", () => funcIntEnable(kp.pDrvContext, call, ppIntContext));
    if (!ok) {
      writeResultQuietly(r, call.dwResult);
      return WD_FAILED_ENABLING_INTERRUPT;
    }
    pIntContext = ppIntContext.value;
  }
  intr.kp = kp ?? null;
  intr.pIntContext = pIntContext;
  intr.dwCounter = 0;
  intr.dpcRequests = 0;
  intr.notifications = 0;
  KeClearEvent(intr.event);
  const { status, InterruptObject } = IoConnectInterrupt(WdInterruptService, intr, null, intr.vector, intr.irql, intr.irql, intr.levelSensitive ? LevelSensitive : Latched, intr.sharable, 1, false);
  if (!NT_SUCCESS(status) || !InterruptObject) {
    const funcIntDisable = kp?.openCall.funcIntDisable;
    if (kp && funcIntDisable) void kpCallback(m, kp.kp.name, "KP_IntDisable", () => { funcIntDisable(pIntContext); });
    intr.kp = null;
    intr.pIntContext = null;
    return WD_FAILED_ENABLING_INTERRUPT;
  }
  intr.interruptObject = InterruptObject;
  intr.enabled = true;
  intr.enabledBy = r.file;
  try {
    writeBack(r, r.pParam, WD_INTERRUPT_LAYOUT.size, [
      [WD_INTERRUPT_LAYOUT.fEnableOk, 1],
      [WD_INTERRUPT_LAYOUT.kpCall + WD_KERNEL_PLUGIN_CALL_LAYOUT.dwResult, call.dwResult],
      [WD_INTERRUPT_LAYOUT.dwCounter, 0],
      [WD_INTERRUPT_LAYOUT.dwLost, 0],
      [WD_INTERRUPT_LAYOUT.fStopped, 0],
      [WD_INTERRUPT_LAYOUT.dwEnabledIntType, intr.levelSensitive ? INTERRUPT_LEVEL_SENSITIVE : INTERRUPT_LATCHED],
    ]);
  } catch (e) {
    if (!isProbeFailure(e)) throw e;
    disableInterrupt(m, intr);
    return WD_INVALID_PARAMETER;
  }
  return WD_STATUS_SUCCESS;
}

function writeResultQuietly(r: WdRequest, dwResult: number): void {
  try {
    writeBack(r, r.pParam, WD_INTERRUPT_LAYOUT.size, [[WD_INTERRUPT_LAYOUT.kpCall + WD_KERNEL_PLUGIN_CALL_LAYOUT.dwResult, dwResult]]);
  } catch (e) {
    if (!isProbeFailure(e)) throw e;
  }
}

/** WD_IntDisable: the ISR is disconnected, KP_IntDisable runs, and waiters wake with fStopped. */
export function intDisable(r: WdRequest): number {
  const hInterrupt = captureHandle(r, WD_INTERRUPT_LAYOUT.size, WD_INTERRUPT_LAYOUT.hInterrupt);
  if (hInterrupt === null) return WD_INVALID_PARAMETER;
  const intr = interruptOf(r, hInterrupt);
  if (!intr || !intr.enabled) return WD_INTERRUPT_NOT_ENABLED;
  disableInterrupt(currentMachine("WD_IntDisable"), intr);
  try {
    writeBack(r, r.pParam, WD_INTERRUPT_LAYOUT.size, [
      [WD_INTERRUPT_LAYOUT.fEnableOk, 0],
      [WD_INTERRUPT_LAYOUT.dwCounter, intr.dwCounter],
    ]);
  } catch (e) {
    if (isProbeFailure(e)) return WD_INVALID_PARAMETER;
    throw e;
  }
  return WD_STATUS_SUCCESS;
}

/**
 * Stops an interrupt (WD_IntDisable, KP close, card removal, cleanup): no ISR after this, the
 * queued DPC is dropped, KP_IntDisable runs, and a waiting WD_IntWait wakes with INTERRUPT_STOPPED.
 */
export function disableInterrupt(m: Machine, intr: WdInterrupt): void {
  if (!intr.enabled) return;
  intr.enabled = false;
  intr.enabledBy = null;
  if (intr.interruptObject) IoDisconnectInterrupt(intr.interruptObject);
  intr.interruptObject = null;
  KeRemoveQueueDpc(intr.dpc);
  const kp = intr.kp;
  const pIntContext = intr.pIntContext;
  intr.kp = null;
  intr.pIntContext = null;
  intr.dpcRequests = 0;
  intr.notifications = 0;
  const funcIntDisable = kp?.openCall.funcIntDisable;
  if (kp && funcIntDisable) {
    void kpCallback(m, kp.kp.name, "KP_IntDisable", () => {
      funcIntDisable(pIntContext);
    });
  }
  KeSetEvent(intr.event, 0, false);
}

/**
 * WD_IntWait: blocks the caller (a UserMode wait in the driver, so a dying thread is let go)
 * until KP_IntAtDpc grants a wake-up or the interrupt stops. Writes dwCounter (interrupts the
 * ISR took so far), dwLost (wake-ups granted beyond the one this call takes: the app was not
 * waiting for them) and fStopped. An unknown or disabled interrupt is WD_INTERRUPT_NOT_ENABLED.
 */
export async function intWait(r: WdRequest): Promise<number> {
  const hInterrupt = captureHandle(r, WD_INTERRUPT_LAYOUT.size, WD_INTERRUPT_LAYOUT.hInterrupt);
  if (hInterrupt === null) return WD_INVALID_PARAMETER;
  const intr = interruptOf(r, hInterrupt);
  if (!intr || !intr.enabled) return WD_INTERRUPT_NOT_ENABLED;
  const report = (lost: number, stopped: number): number => {
    try {
      writeBack(r, r.pParam, WD_INTERRUPT_LAYOUT.size, [
        [WD_INTERRUPT_LAYOUT.dwCounter, intr.dwCounter],
        [WD_INTERRUPT_LAYOUT.dwLost, lost],
        [WD_INTERRUPT_LAYOUT.fStopped, stopped],
      ]);
      return WD_STATUS_SUCCESS;
    } catch (e) {
      if (isProbeFailure(e)) return WD_INVALID_PARAMETER;
      throw e;
    }
  };
  for (;;) {
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- WD_IntDisable clears it while this thread waits
    if (!intr.enabled) return report(0, INTERRUPT_STOPPED);
    if (intr.notifications > 0) {
      const lost = intr.notifications - 1;
      intr.lostTotal += lost;
      intr.notifications = 0;
      KeClearEvent(intr.event);
      return report(lost, INTERRUPT_RECEIVED);
    }
    const st = await KeWaitForSingleObject(intr.event, Executive, UserMode, false, null);
    if (st !== STATUS_SUCCESS) {
      // The thread is being terminated: the wait ends before any interrupt came.
      report(0, INTERRUPT_INTERRUPTED);
      return WD_IRP_CANCELED;
    }
  }
}

/** WD_IntCount: the interrupts taken so far and the wake-ups granted but not yet waited for. */
export function intCount(r: WdRequest): number {
  const hInterrupt = captureHandle(r, WD_INTERRUPT_LAYOUT.size, WD_INTERRUPT_LAYOUT.hInterrupt);
  if (hInterrupt === null) return WD_INVALID_PARAMETER;
  const intr = interruptOf(r, hInterrupt);
  if (!intr) return WD_INVALID_HANDLE;
  try {
    writeBack(r, r.pParam, WD_INTERRUPT_LAYOUT.size, [
      [WD_INTERRUPT_LAYOUT.dwCounter, intr.dwCounter],
      [WD_INTERRUPT_LAYOUT.dwLost, intr.notifications],
      [WD_INTERRUPT_LAYOUT.fStopped, intr.enabled ? INTERRUPT_RECEIVED : INTERRUPT_STOPPED],
    ]);
  } catch (e) {
    if (isProbeFailure(e)) return WD_INVALID_PARAMETER;
    throw e;
  }
  return WD_STATUS_SUCCESS;
}

/**
 * The driver's ISR, at the card's device IRQL: KP_IntAtIrql decides whether the interrupt is the
 * card's (on a shared line) and whether a DPC is needed. Without a KP (or a KP without
 * KP_IntAtIrql), every interrupt is taken and asks for a DPC.
 *
 * @returns true when the interrupt was this card's.
 */
function WdInterruptService(_Interrupt: KINTERRUPT<WdInterrupt>, intr: WdInterrupt): boolean {
  const m = currentMachine("WdInterruptService");
  const kp = intr.kp;
  const funcIntAtIrql = kp?.openCall.funcIntAtIrql;
  let wantDpc = true;
  if (kp && funcIntAtIrql) {
    const pfIsMyInterrupt: Out<boolean> = { value: false };
    const r = kpCallback(m, kp.kp.name, "KP_IntAtIrql", () => funcIntAtIrql(intr.pIntContext, pfIsMyInterrupt)) as unknown;
    if (typeof r !== "boolean") {
      m.bugCheck(BugCheckCode.IRQL_NOT_LESS_OR_EQUAL, 0, intr.irql, 0, 0, { detail: `KP_IntAtIrql of ${kp.kp.name} did not return a BOOL synchronously: it runs at device IRQL ${intr.irql} and must not wait`, driver: kp.kp.name });
    }
    // On a line of its own, the interrupt is the card's whatever the KP says.
    if (intr.sharable && !pfIsMyInterrupt.value) return false;
    wantDpc = r === true;
  }
  intr.dwCounter++;
  if (wantDpc) {
    intr.dpcRequests++;
    KeInsertQueueDpc(intr.dpc, null, null);
  }
  return true;
}

/** The DPC requests the ISR made, taken under the interrupt spin lock. */
interface TakenRequests {
  readonly intr: WdInterrupt;
  count: number;
}

function WdTakeDpcRequests(taken: TakenRequests): boolean {
  taken.count = taken.intr.dpcRequests;
  taken.intr.dpcRequests = 0;
  return true;
}

/**
 * The driver's DPC: KP_IntAtDpc(dwCount) says how many times WD_IntWait wakes (without a KP,
 * once per interrupt); the waiting thread is released.
 */
const WdInterruptDpc = function WdInterruptDpc(_Dpc: KDPC<WdInterrupt>, intr: WdInterrupt): void {
  const io = intr.interruptObject;
  if (!io || !intr.enabled) return;
  const m = currentMachine("WdInterruptDpc");
  const taken: TakenRequests = { intr, count: 0 };
  KeSynchronizeExecution(io, WdTakeDpcRequests, taken);
  const kp = intr.kp;
  const funcIntAtDpc = kp?.openCall.funcIntAtDpc;
  let notify = taken.count;
  if (kp && funcIntAtDpc) {
    const r = kpCallback(m, kp.kp.name, "KP_IntAtDpc", () => funcIntAtDpc(intr.pIntContext, taken.count)) as unknown;
    if (typeof r !== "number" || !Number.isInteger(r) || r < 0) {
      m.bugCheck(BugCheckCode.ATTEMPTED_SWITCH_FROM_DPC, 0, 0, 0, 0, { detail: `KP_IntAtDpc of ${kp.kp.name} returned ${r instanceof Promise ? "a Promise (it runs in a DPC and must not wait)" : String(r)} instead of a DWORD count`, driver: kp.kp.name });
    }
    notify = r as number;
  }
  if (notify > 0) {
    intr.notifications += notify;
    KeSetEvent(intr.event, 0, false);
  }
};
