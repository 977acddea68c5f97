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
  /** @param address the structure's address in the process's memory. */
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
  /** The block's size in bytes. */
  get dwBytes(): number {
    return this.get(WD_DMA_PAGE_LAYOUT.dwBytes);
  }
}

/** WD_DMA: what WD_DMALock takes and fills. */
export class WD_DMA extends View {
  /** The DMA handle WD_DMALock returns, for WD_DMAUnlock. */
  get hDma(): number {
    return this.get(WD_DMA_LAYOUT.hDma);
  }
  /** Sets hDma: the DMA handle WD_DMALock returns, for WD_DMAUnlock. */
  set hDma(v: number) {
    this.set(WD_DMA_LAYOUT.hDma, v);
  }
  /** The buffer's address in the app's address space. */
  get pUserAddr(): number {
    return this.get(WD_DMA_LAYOUT.pUserAddr);
  }
  /** Sets pUserAddr: the buffer's address in the app's address space. */
  set pUserAddr(v: number) {
    this.set(WD_DMA_LAYOUT.pUserAddr, v);
  }
  /** The buffer's kernel address (for a Kernel PlugIn). */
  get pKernelAddr(): number {
    return this.get(WD_DMA_LAYOUT.pKernelAddr);
  }
  /** Sets pKernelAddr: the buffer's kernel address (for a Kernel PlugIn). */
  set pKernelAddr(v: number) {
    this.set(WD_DMA_LAYOUT.pKernelAddr, v);
  }
  /** The buffer's size in bytes. */
  get dwBytes(): number {
    return this.get(WD_DMA_LAYOUT.dwBytes);
  }
  /** Sets dwBytes: the buffer's size in bytes. */
  set dwBytes(v: number) {
    this.set(WD_DMA_LAYOUT.dwBytes, v);
  }
  /** DMA_* options: DMA_KERNEL_BUFFER_ALLOC for a contiguous buffer WinDriver allocates, the direction, DMA_KERNEL_ONLY_MAP… */
  get dwOptions(): number {
    return this.get(WD_DMA_LAYOUT.dwOptions);
  }
  /** Sets dwOptions: dMA_* options: DMA_KERNEL_BUFFER_ALLOC for a contiguous buffer WinDriver allocates, the direction, DMA_KERNEL_ONLY_MAP… */
  set dwOptions(v: number) {
    this.set(WD_DMA_LAYOUT.dwOptions, v);
  }
  /** How many physical blocks Page() describes. */
  get dwPages(): number {
    return this.get(WD_DMA_LAYOUT.dwPages);
  }
  /** Sets dwPages: how many physical blocks Page() describes. */
  set dwPages(v: number) {
    this.set(WD_DMA_LAYOUT.dwPages, v);
  }
  /** The card handle from WD_CardRegister. */
  get hCard(): number {
    return this.get(WD_DMA_LAYOUT.hCard);
  }
  /** Sets hCard: the card handle from WD_CardRegister. */
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
  /** The handle WD_KernelPlugInOpen returns. */
  get hKernelPlugIn(): number {
    return this.get(WD_KERNEL_PLUGIN_LAYOUT.hKernelPlugIn);
  }
  /** Sets hKernelPlugIn: the handle WD_KernelPlugInOpen returns. */
  set hKernelPlugIn(v: number) {
    this.set(WD_KERNEL_PLUGIN_LAYOUT.hKernelPlugIn, v);
  }
  /** The address of the Kernel PlugIn's name, an ANSI string. */
  get pcDriverName(): number {
    return this.get(WD_KERNEL_PLUGIN_LAYOUT.pcDriverName);
  }
  /** Sets pcDriverName: the address of the Kernel PlugIn's name, an ANSI string. */
  set pcDriverName(v: number) {
    this.set(WD_KERNEL_PLUGIN_LAYOUT.pcDriverName, v);
  }
  /** The address of the path of its file, an ANSI string. */
  get pcDriverPath(): number {
    return this.get(WD_KERNEL_PLUGIN_LAYOUT.pcDriverPath);
  }
  /** Sets pcDriverPath: the address of the path of its file, an ANSI string. */
  set pcDriverPath(v: number) {
    this.set(WD_KERNEL_PLUGIN_LAYOUT.pcDriverPath, v);
  }
  /** The data passed to its KP_Open. */
  get pOpenData(): number {
    return this.get(WD_KERNEL_PLUGIN_LAYOUT.pOpenData);
  }
  /** Sets pOpenData: the data passed to its KP_Open. */
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
  /** The Kernel PlugIn's handle. */
  get hKernelPlugIn(): number {
    return this.get(WD_KERNEL_PLUGIN_CALL_LAYOUT.hKernelPlugIn);
  }
  /** Sets hKernelPlugIn: the Kernel PlugIn's handle. */
  set hKernelPlugIn(v: number) {
    this.set(WD_KERNEL_PLUGIN_CALL_LAYOUT.hKernelPlugIn, v);
  }
  /** The message number for KP_Call. */
  get dwMessage(): number {
    return this.get(WD_KERNEL_PLUGIN_CALL_LAYOUT.dwMessage);
  }
  /** Sets dwMessage: the message number for KP_Call. */
  set dwMessage(v: number) {
    this.set(WD_KERNEL_PLUGIN_CALL_LAYOUT.dwMessage, v);
  }
  /** The data pointer for KP_Call, an address in the app. */
  get pData(): number {
    return this.get(WD_KERNEL_PLUGIN_CALL_LAYOUT.pData);
  }
  /** Sets pData: the data pointer for KP_Call, an address in the app. */
  set pData(v: number) {
    this.set(WD_KERNEL_PLUGIN_CALL_LAYOUT.pData, v);
  }
  /** The result KP_Call set. */
  get dwResult(): number {
    return this.get(WD_KERNEL_PLUGIN_CALL_LAYOUT.dwResult);
  }
  /** Sets dwResult: the result KP_Call set. */
  set dwResult(v: number) {
    this.set(WD_KERNEL_PLUGIN_CALL_LAYOUT.dwResult, v);
  }
}

/** WD_INTERRUPT: what WD_IntEnable / WD_IntWait / WD_IntDisable / WD_IntCount take. */
export class WD_INTERRUPT extends View {
  /** The interrupt handle from WD_CardRegister. */
  get hInterrupt(): number {
    return this.get(WD_INTERRUPT_LAYOUT.hInterrupt);
  }
  /** Sets hInterrupt: the interrupt handle from WD_CardRegister. */
  set hInterrupt(v: number) {
    this.set(WD_INTERRUPT_LAYOUT.hInterrupt, v);
  }
  /** INTERRUPT_* options (level-sensitive, Kernel PlugIn handling…). */
  get dwOptions(): number {
    return this.get(WD_INTERRUPT_LAYOUT.dwOptions);
  }
  /** Sets dwOptions: iNTERRUPT_* options (level-sensitive, Kernel PlugIn handling…). */
  set dwOptions(v: number) {
    this.set(WD_INTERRUPT_LAYOUT.dwOptions, v);
  }
  /** The address of the transfer commands WinDriver runs at interrupt time. */
  get Cmd(): number {
    return this.get(WD_INTERRUPT_LAYOUT.Cmd);
  }
  /** Sets Cmd: the address of the transfer commands WinDriver runs at interrupt time. */
  set Cmd(v: number) {
    this.set(WD_INTERRUPT_LAYOUT.Cmd, v);
  }
  /** How many transfer commands there are. */
  get dwCmds(): number {
    return this.get(WD_INTERRUPT_LAYOUT.dwCmds);
  }
  /** Sets dwCmds: how many transfer commands there are. */
  set dwCmds(v: number) {
    this.set(WD_INTERRUPT_LAYOUT.dwCmds, v);
  }
  /** The embedded kpCall (a view at offset 16). */
  get kpCall(): WD_KERNEL_PLUGIN_CALL {
    return new WD_KERNEL_PLUGIN_CALL(this.address + WD_INTERRUPT_LAYOUT.kpCall);
  }
  /** Set when WD_IntEnable succeeded. */
  get fEnableOk(): number {
    return this.get(WD_INTERRUPT_LAYOUT.fEnableOk);
  }
  /** Interrupts received so far. */
  get dwCounter(): number {
    return this.get(WD_INTERRUPT_LAYOUT.dwCounter);
  }
  /** Interrupts that arrived while no thread waited in WD_IntWait. */
  get dwLost(): number {
    return this.get(WD_INTERRUPT_LAYOUT.dwLost);
  }
  /** Set when the interrupt was disabled: WD_IntWait returns for good. */
  get fStopped(): number {
    return this.get(WD_INTERRUPT_LAYOUT.fStopped);
  }
  /** The kind of interrupt enabled (level-sensitive or edge-triggered). */
  get dwEnabledIntType(): number {
    return this.get(WD_INTERRUPT_LAYOUT.dwEnabledIntType);
  }
}

/** WD_ITEMS: one resource of a card. */
export class WD_ITEMS extends View {
  /** The resource's kind: ITEM_INTERRUPT, ITEM_MEMORY or ITEM_IO. */
  get item(): number {
    return this.get(WD_ITEMS_LAYOUT.item);
  }
  /** Sets item: the resource's kind: ITEM_INTERRUPT, ITEM_MEMORY or ITEM_IO. */
  set item(v: number) {
    this.set(WD_ITEMS_LAYOUT.item, v);
  }
  /** Whether the resource may not be shared with other cards. */
  get fNotSharable(): number {
    return this.get(WD_ITEMS_LAYOUT.fNotSharable);
  }
  /** Sets fNotSharable: whether the resource may not be shared with other cards. */
  set fNotSharable(v: number) {
    this.set(WD_ITEMS_LAYOUT.fNotSharable, v);
  }
  /** I.Int.dwInterrupt: the interrupt line (IRQ). */
  get dwInterrupt(): number {
    return this.get(WD_ITEMS_LAYOUT.Int.dwInterrupt);
  }
  /** Sets dwInterrupt: the interrupt line, for ITEM_INTERRUPT. */
  set dwInterrupt(v: number) {
    this.set(WD_ITEMS_LAYOUT.Int.dwInterrupt, v);
  }
  /** I.Int.dwOptions: INTERRUPT_LATCHED or INTERRUPT_LEVEL_SENSITIVE. */
  get dwInterruptOptions(): number {
    return this.get(WD_ITEMS_LAYOUT.Int.dwOptions);
  }
  /** Sets dwInterruptOptions: iNTERRUPT_* options, for ITEM_INTERRUPT. */
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
  /** How many resources Item() describes. */
  get dwItems(): number {
    return this.get(WD_CARD_REGISTER_LAYOUT.Card + WD_CARD_LAYOUT.dwItems);
  }
  /** Sets dwItems: how many resources Item() describes. */
  set dwItems(v: number) {
    this.set(WD_CARD_REGISTER_LAYOUT.Card + WD_CARD_LAYOUT.dwItems, v);
  }
  /** Card.Item[i]. */
  Item(i: number): WD_ITEMS {
    return new WD_ITEMS(this.address + WD_CARD_REGISTER_LAYOUT.Card + WD_CARD_LAYOUT.Item + i * WD_ITEMS_LAYOUT.size);
  }
  /** Only check whether the resources are free, without registering them. */
  get fCheckLockOnly(): number {
    return this.get(WD_CARD_REGISTER_LAYOUT.fCheckLockOnly);
  }
  /** Sets fCheckLockOnly: only check whether the resources are free, without registering them. */
  set fCheckLockOnly(v: number) {
    this.set(WD_CARD_REGISTER_LAYOUT.fCheckLockOnly, v);
  }
  /** The card handle WD_CardRegister returns. */
  get hCard(): number {
    return this.get(WD_CARD_REGISTER_LAYOUT.hCard);
  }
  /** Sets hCard: the card handle WD_CardRegister returns. */
  set hCard(v: number) {
    this.set(WD_CARD_REGISTER_LAYOUT.hCard, v);
  }
}

/** WD_VERSION. */
export class WD_VERSION extends View {
  /** The version as a number (1020 for 10.2.0). */
  get dwVer(): number {
    return this.get(WD_VERSION_LAYOUT.dwVer);
  }
  /** The version as text. */
  get cVer(): string {
    return readAnsiString(this.address + WD_VERSION_LAYOUT.cVer, 128);
  }
}
