/**
 * Views of WinDriver's structures in an app's memory: each reads and writes its fields at an
 * address, as C code would through a pointer (so a WD_DMA the app allocated with HeapAlloc is
 * the very bytes the driver probes and fills). Layouts: ./layout.ts.
 */
import { readAnsiString, readU32, writeU32 } from "../kernel/api-rtl.js";
import {
  WD_CARD_LAYOUT,
  WD_CARD_REGISTER_LAYOUT,
  WD_DMA_LAYOUT,
  WD_DMA_PAGE_LAYOUT,
  WD_INTERRUPT_LAYOUT,
  WD_ITEMS_LAYOUT,
  WD_KERNEL_PLUGIN_CALL_LAYOUT,
  WD_KERNEL_PLUGIN_LAYOUT,
  WD_VERSION_LAYOUT,
} from "./layout.js";

export { SIZEOF_WD_DMA, SIZE_OF_WD_DMA } from "./layout.js";
/** sizeof(WD_KERNEL_PLUGIN). */
export const SIZEOF_WD_KERNEL_PLUGIN = WD_KERNEL_PLUGIN_LAYOUT.size;
/** sizeof(WD_KERNEL_PLUGIN_CALL). */
export const SIZEOF_WD_KERNEL_PLUGIN_CALL = WD_KERNEL_PLUGIN_CALL_LAYOUT.size;
/** sizeof(WD_INTERRUPT). */
export const SIZEOF_WD_INTERRUPT = WD_INTERRUPT_LAYOUT.size;
/** sizeof(WD_CARD_REGISTER). */
export const SIZEOF_WD_CARD_REGISTER = WD_CARD_REGISTER_LAYOUT.size;
/** sizeof(WD_VERSION). */
export const SIZEOF_WD_VERSION = WD_VERSION_LAYOUT.size;

/** A DWORD field at a fixed offset of a structure in emulated memory. */
class View {
  constructor(readonly address: number) {}
  protected get(offset: number): number {
    return readU32(this.address + offset);
  }
  protected set(offset: number, value: number): void {
    writeU32(this.address + offset, value >>> 0);
  }
}

/** WD_DMA_PAGE: one physically contiguous block of a locked buffer. */
export class WD_DMA_PAGE extends View {
  /** The block's physical address (the low 32 bits; the emulated machine has at most 4 GB). */
  get pPhysicalAddr(): number {
    return this.get(WD_DMA_PAGE_LAYOUT.pPhysicalAddr);
  }
  /** The high 32 bits of the 64-bit DMA_ADDR (0 on the emulated machine). */
  get pPhysicalAddrHigh(): number {
    return this.get(WD_DMA_PAGE_LAYOUT.pPhysicalAddrHigh);
  }
  get dwBytes(): number {
    return this.get(WD_DMA_PAGE_LAYOUT.dwBytes);
  }
}

/** WD_DMA: what WD_DMALock takes and fills. */
export class WD_DMA extends View {
  get hDma(): number {
    return this.get(WD_DMA_LAYOUT.hDma);
  }
  set hDma(v: number) {
    this.set(WD_DMA_LAYOUT.hDma, v);
  }
  get pUserAddr(): number {
    return this.get(WD_DMA_LAYOUT.pUserAddr);
  }
  set pUserAddr(v: number) {
    this.set(WD_DMA_LAYOUT.pUserAddr, v);
  }
  get pKernelAddr(): number {
    return this.get(WD_DMA_LAYOUT.pKernelAddr);
  }
  set pKernelAddr(v: number) {
    this.set(WD_DMA_LAYOUT.pKernelAddr, v);
  }
  get dwBytes(): number {
    return this.get(WD_DMA_LAYOUT.dwBytes);
  }
  set dwBytes(v: number) {
    this.set(WD_DMA_LAYOUT.dwBytes, v);
  }
  get dwOptions(): number {
    return this.get(WD_DMA_LAYOUT.dwOptions);
  }
  set dwOptions(v: number) {
    this.set(WD_DMA_LAYOUT.dwOptions, v);
  }
  get dwPages(): number {
    return this.get(WD_DMA_LAYOUT.dwPages);
  }
  set dwPages(v: number) {
    this.set(WD_DMA_LAYOUT.dwPages, v);
  }
  get hCard(): number {
    return this.get(WD_DMA_LAYOUT.hCard);
  }
  set hCard(v: number) {
    this.set(WD_DMA_LAYOUT.hCard, v);
  }
  /** Page[i]. */
  Page(i: number): WD_DMA_PAGE {
    return new WD_DMA_PAGE(this.address + WD_DMA_LAYOUT.Page + i * WD_DMA_PAGE_LAYOUT.size);
  }
}

/** WD_KERNEL_PLUGIN: what WD_KernelPlugInOpen takes (pcDriverName points at an ANSI string). */
export class WD_KERNEL_PLUGIN extends View {
  get hKernelPlugIn(): number {
    return this.get(WD_KERNEL_PLUGIN_LAYOUT.hKernelPlugIn);
  }
  set hKernelPlugIn(v: number) {
    this.set(WD_KERNEL_PLUGIN_LAYOUT.hKernelPlugIn, v);
  }
  get pcDriverName(): number {
    return this.get(WD_KERNEL_PLUGIN_LAYOUT.pcDriverName);
  }
  set pcDriverName(v: number) {
    this.set(WD_KERNEL_PLUGIN_LAYOUT.pcDriverName, v);
  }
  get pcDriverPath(): number {
    return this.get(WD_KERNEL_PLUGIN_LAYOUT.pcDriverPath);
  }
  set pcDriverPath(v: number) {
    this.set(WD_KERNEL_PLUGIN_LAYOUT.pcDriverPath, v);
  }
  get pOpenData(): number {
    return this.get(WD_KERNEL_PLUGIN_LAYOUT.pOpenData);
  }
  set pOpenData(v: number) {
    this.set(WD_KERNEL_PLUGIN_LAYOUT.pOpenData, v);
  }
  /** The name pcDriverName points at ("" when it is NULL). */
  get driverName(): string {
    const p = this.pcDriverName;
    return p === 0 ? "" : readAnsiString(p, 128);
  }
}

/** WD_KERNEL_PLUGIN_CALL: a message to a Kernel PlugIn (pData is passed through untouched). */
export class WD_KERNEL_PLUGIN_CALL extends View {
  get hKernelPlugIn(): number {
    return this.get(WD_KERNEL_PLUGIN_CALL_LAYOUT.hKernelPlugIn);
  }
  set hKernelPlugIn(v: number) {
    this.set(WD_KERNEL_PLUGIN_CALL_LAYOUT.hKernelPlugIn, v);
  }
  get dwMessage(): number {
    return this.get(WD_KERNEL_PLUGIN_CALL_LAYOUT.dwMessage);
  }
  set dwMessage(v: number) {
    this.set(WD_KERNEL_PLUGIN_CALL_LAYOUT.dwMessage, v);
  }
  get pData(): number {
    return this.get(WD_KERNEL_PLUGIN_CALL_LAYOUT.pData);
  }
  set pData(v: number) {
    this.set(WD_KERNEL_PLUGIN_CALL_LAYOUT.pData, v);
  }
  get dwResult(): number {
    return this.get(WD_KERNEL_PLUGIN_CALL_LAYOUT.dwResult);
  }
  set dwResult(v: number) {
    this.set(WD_KERNEL_PLUGIN_CALL_LAYOUT.dwResult, v);
  }
}

/** WD_INTERRUPT: what WD_IntEnable / WD_IntWait / WD_IntDisable / WD_IntCount take. */
export class WD_INTERRUPT extends View {
  get hInterrupt(): number {
    return this.get(WD_INTERRUPT_LAYOUT.hInterrupt);
  }
  set hInterrupt(v: number) {
    this.set(WD_INTERRUPT_LAYOUT.hInterrupt, v);
  }
  get dwOptions(): number {
    return this.get(WD_INTERRUPT_LAYOUT.dwOptions);
  }
  set dwOptions(v: number) {
    this.set(WD_INTERRUPT_LAYOUT.dwOptions, v);
  }
  get Cmd(): number {
    return this.get(WD_INTERRUPT_LAYOUT.Cmd);
  }
  set Cmd(v: number) {
    this.set(WD_INTERRUPT_LAYOUT.Cmd, v);
  }
  get dwCmds(): number {
    return this.get(WD_INTERRUPT_LAYOUT.dwCmds);
  }
  set dwCmds(v: number) {
    this.set(WD_INTERRUPT_LAYOUT.dwCmds, v);
  }
  /** The embedded kpCall (a view at offset 16). */
  get kpCall(): WD_KERNEL_PLUGIN_CALL {
    return new WD_KERNEL_PLUGIN_CALL(this.address + WD_INTERRUPT_LAYOUT.kpCall);
  }
  get fEnableOk(): number {
    return this.get(WD_INTERRUPT_LAYOUT.fEnableOk);
  }
  get dwCounter(): number {
    return this.get(WD_INTERRUPT_LAYOUT.dwCounter);
  }
  get dwLost(): number {
    return this.get(WD_INTERRUPT_LAYOUT.dwLost);
  }
  get fStopped(): number {
    return this.get(WD_INTERRUPT_LAYOUT.fStopped);
  }
  get dwEnabledIntType(): number {
    return this.get(WD_INTERRUPT_LAYOUT.dwEnabledIntType);
  }
}

/** WD_ITEMS: one resource of a card. */
export class WD_ITEMS extends View {
  get item(): number {
    return this.get(WD_ITEMS_LAYOUT.item);
  }
  set item(v: number) {
    this.set(WD_ITEMS_LAYOUT.item, v);
  }
  get fNotSharable(): number {
    return this.get(WD_ITEMS_LAYOUT.fNotSharable);
  }
  set fNotSharable(v: number) {
    this.set(WD_ITEMS_LAYOUT.fNotSharable, v);
  }
  /** I.Int.dwInterrupt: the interrupt line (IRQ). */
  get dwInterrupt(): number {
    return this.get(WD_ITEMS_LAYOUT.Int.dwInterrupt);
  }
  set dwInterrupt(v: number) {
    this.set(WD_ITEMS_LAYOUT.Int.dwInterrupt, v);
  }
  /** I.Int.dwOptions: INTERRUPT_LATCHED or INTERRUPT_LEVEL_SENSITIVE. */
  get dwInterruptOptions(): number {
    return this.get(WD_ITEMS_LAYOUT.Int.dwOptions);
  }
  set dwInterruptOptions(v: number) {
    this.set(WD_ITEMS_LAYOUT.Int.dwOptions, v);
  }
  /** I.Int.hInterrupt: returned by WD_CardRegister. */
  get hInterrupt(): number {
    return this.get(WD_ITEMS_LAYOUT.Int.hInterrupt);
  }
}

/** WD_CARD_REGISTER: a card's resources, registered with WD_CardRegister. */
export class WD_CARD_REGISTER extends View {
  get dwItems(): number {
    return this.get(WD_CARD_REGISTER_LAYOUT.Card + WD_CARD_LAYOUT.dwItems);
  }
  set dwItems(v: number) {
    this.set(WD_CARD_REGISTER_LAYOUT.Card + WD_CARD_LAYOUT.dwItems, v);
  }
  /** Card.Item[i]. */
  Item(i: number): WD_ITEMS {
    return new WD_ITEMS(this.address + WD_CARD_REGISTER_LAYOUT.Card + WD_CARD_LAYOUT.Item + i * WD_ITEMS_LAYOUT.size);
  }
  get fCheckLockOnly(): number {
    return this.get(WD_CARD_REGISTER_LAYOUT.fCheckLockOnly);
  }
  set fCheckLockOnly(v: number) {
    this.set(WD_CARD_REGISTER_LAYOUT.fCheckLockOnly, v);
  }
  get hCard(): number {
    return this.get(WD_CARD_REGISTER_LAYOUT.hCard);
  }
  set hCard(v: number) {
    this.set(WD_CARD_REGISTER_LAYOUT.hCard, v);
  }
}

/** WD_VERSION. */
export class WD_VERSION extends View {
  get dwVer(): number {
    return this.get(WD_VERSION_LAYOUT.dwVer);
  }
  get cVer(): string {
    return readAnsiString(this.address + WD_VERSION_LAYOUT.cVer, 128);
  }
}
