/**
 * The 32-bit layouts of the structures a WD_ call passes by pointer, as the driver and the
 * user-mode library agree on them: byte offsets and sizes.
 *
 * Field order is windrvr.h's (2008 header, the "windrvr6" era the seed document describes:
 * WD_DMA_V80, WD_KERNEL_PLUGIN_V40, WD_KERNEL_PLUGIN_CALL_V40, WD_INTERRUPT_V91,
 * WD_CARD_REGISTER_V40, WD_VERSION_V30). Offsets are derived from that order with MSVC's default
 * x86 packing (/Zp8): DWORDs and pointers take 4 bytes, a UINT64 is aligned to 8. The one place
 * where that matters is WD_DMA_PAGE (pPhysicalAddr is a 64-bit DMA_ADDR): each entry is 16 bytes
 * (8 + 4 + 4 padding) and Page[] starts at offset 32 (28 rounded up to 8). These offsets are our
 * derivation; they were not checked against a compiled binary.
 */

/** WD_DMA_PAGE: pPhysicalAddr (UINT64), dwBytes, 4 bytes of padding. */
export const WD_DMA_PAGE_LAYOUT = { pPhysicalAddr: 0, pPhysicalAddrHigh: 4, dwBytes: 8, size: 16 } as const;

/** WD_DMA: seven DWORD-sized fields, padding, then Page[WD_DMA_PAGES] (more with DMA_LARGE_BUFFER). */
export const WD_DMA_LAYOUT = {
  hDma: 0,
  pUserAddr: 4,
  pKernelAddr: 8,
  dwBytes: 12,
  dwOptions: 16,
  dwPages: 20,
  hCard: 24,
  Page: 32,
} as const;

/** sizeof(WD_DMA) with WD_DMA_PAGES (256) page entries: 32 + 256 * 16. */
export const SIZEOF_WD_DMA = 32 + 256 * 16;

/** SIZE_OF_WD_DMA(pDma): the bytes a WD_DMA with `dwPages` entries takes (at least sizeof(WD_DMA)). */
export function SIZE_OF_WD_DMA(dwPages: number): number {
  return SIZEOF_WD_DMA + (dwPages <= 256 ? 0 : (dwPages - 256) * WD_DMA_PAGE_LAYOUT.size);
}

/** WD_KERNEL_PLUGIN: hKernelPlugIn, pcDriverName, pcDriverPath, pOpenData. */
export const WD_KERNEL_PLUGIN_LAYOUT = { hKernelPlugIn: 0, pcDriverName: 4, pcDriverPath: 8, pOpenData: 12, size: 16 } as const;

/** WD_KERNEL_PLUGIN_CALL: hKernelPlugIn, dwMessage, pData, dwResult. */
export const WD_KERNEL_PLUGIN_CALL_LAYOUT = { hKernelPlugIn: 0, dwMessage: 4, pData: 8, dwResult: 12, size: 16 } as const;

/** WD_INTERRUPT (V91): the kpCall is embedded at offset 16. */
export const WD_INTERRUPT_LAYOUT = {
  hInterrupt: 0,
  dwOptions: 4,
  Cmd: 8,
  dwCmds: 12,
  kpCall: 16,
  fEnableOk: 32,
  dwCounter: 36,
  dwLost: 40,
  fStopped: 44,
  dwLastMessage: 48,
  dwEnabledIntType: 52,
  size: 56,
} as const;

/**
 * WD_ITEMS (V30): item, fNotSharable, dwReserved, dwOptions, then a 24-byte union. For
 * ITEM_INTERRUPT the union holds dwInterrupt, dwOptions, hInterrupt.
 */
export const WD_ITEMS_LAYOUT = {
  item: 0,
  fNotSharable: 4,
  dwReserved: 8,
  dwOptions: 12,
  I: 16,
  Int: { dwInterrupt: 16, dwOptions: 20, hInterrupt: 24 },
  Bus: { dwBusType: 16, dwBusNum: 20, dwSlotFunc: 24 },
  size: 40,
} as const;

/** WD_CARD: dwItems, Item[WD_CARD_ITEMS]. */
export const WD_CARD_LAYOUT = { dwItems: 0, Item: 4, size: 4 + 20 * 40 } as const;

/** WD_CARD_REGISTER (V40): Card, fCheckLockOnly, hCard, dwOptions, cName[32], cDescription[100]. */
export const WD_CARD_REGISTER_LAYOUT = {
  Card: 0,
  fCheckLockOnly: 804,
  hCard: 808,
  dwOptions: 812,
  cName: 816,
  cDescription: 848,
  size: 948,
} as const;

/** WD_VERSION: dwVer, cVer[128]. */
export const WD_VERSION_LAYOUT = { dwVer: 0, cVer: 4, size: 132 } as const;
