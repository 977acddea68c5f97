/**
 * The generic driver's state: its handle tables (DMA buffers, Kernel PlugIns, cards, interrupts)
 * in the device extension, and what each open of \\.\windrvr6 owns (in its FsContext), so
 * IRP_MJ_CLEANUP can release everything an app left behind.
 */
import type { KDPC, KEVENT } from "../kernel/api-ke.js";
import type { KINTERRUPT } from "../kernel/interrupt-object.js";
import type { KProcess } from "../kernel/process.js";
import type { MDL } from "../io-manager/mdl.js";
import type { KernelPlugIn, KP_INIT, KP_OPEN_CALL } from "./kernel-plugin.js";

/** One physically contiguous block reported in WD_DMA.Page[]. */
export interface DmaBlock {
  readonly physical: number;
  readonly bytes: number;
}

/** A buffer WD_DMALock locked or allocated. */
export interface WdDmaBuffer {
  readonly hDma: number;
  readonly owner: WdFileContext;
  /** The process whose user address space holds pUserAddr. */
  readonly process: KProcess;
  /** DMA_KERNEL_BUFFER_ALLOC: the driver allocated it (contiguous); otherwise the app's buffer is locked. */
  readonly kernelBuffer: boolean;
  readonly kernelVa: number;
  /** The user address: the app's own (scatter/gather), the user mapping (kernel buffer), or 0 (DMA_KERNEL_ONLY_MAP). */
  readonly userVa: number;
  /** Whether userVa is a mapping this driver made (and must unmap). */
  readonly userMapped: boolean;
  readonly bytes: number;
  readonly mdl: MDL | null;
  readonly blocks: readonly DmaBlock[];
}

/** A loaded Kernel PlugIn image (KP_Init ran once). */
export interface LoadedKernelPlugIn {
  readonly name: string;
  readonly module: KernelPlugIn;
  readonly init: KP_INIT;
}

/** An open Kernel PlugIn (WD_KernelPlugInOpen). */
export interface WdKernelPlugInHandle {
  readonly hKernelPlugIn: number;
  readonly owner: WdFileContext;
  readonly kp: LoadedKernelPlugIn;
  readonly openCall: KP_OPEN_CALL;
  readonly pDrvContext: unknown;
}

/** A card registered with WD_CardRegister (interrupt and bus items only). */
export interface WdCard {
  readonly hCard: number;
  readonly owner: WdFileContext;
  readonly interrupts: WdInterrupt[];
}

/** An interrupt resource of a registered card. */
export class WdInterrupt {
  enabled = false;
  /** The file that enabled it (cleanup of that file disables it). */
  enabledBy: WdFileContext | null = null;
  interruptObject: KINTERRUPT<WdInterrupt> | null = null;
  kp: WdKernelPlugInHandle | null = null;
  pIntContext: unknown = null;
  /** Interrupts the ISR accepted since WD_IntEnable. */
  dwCounter = 0;
  /** DPC requests the ISR made that the DPC has not taken yet (touched only under the interrupt lock). */
  dpcRequests = 0;
  /** Wake-ups KP_IntAtDpc (or the driver) granted that no WD_IntWait has taken yet. */
  notifications = 0;
  /** Notified while WD_IntWait was not waiting, summed over the interrupt's life. */
  lostTotal = 0;

  constructor(
    readonly hInterrupt: number,
    readonly card: WdCard,
    readonly irq: number,
    readonly vector: number,
    readonly irql: number,
    readonly sharable: boolean,
    readonly levelSensitive: boolean,
    readonly dpc: KDPC<WdInterrupt>,
    /** Set whenever WD_IntWait has something to return (a notification, or the interrupt stopped). */
    readonly event: KEVENT,
  ) {}
}

/** What one open of the driver owns. */
export class WdFileContext {
  readonly dma = new Set<WdDmaBuffer>();
  readonly kps = new Set<WdKernelPlugInHandle>();
  readonly cards = new Set<WdCard>();
  constructor(
    readonly fileId: number,
    readonly process: KProcess,
  ) {}
}

/** The driver's device extension: handles are DWORDs from one counter, so kinds never collide. */
export class WD_DEVICE_EXTENSION {
  private nextHandle = 1;
  readonly dma = new Map<number, WdDmaBuffer>();
  readonly kps = new Map<number, WdKernelPlugInHandle>();
  readonly cards = new Map<number, WdCard>();
  readonly interrupts = new Map<number, WdInterrupt>();
  /** Kernel PlugIn images loaded so far, by lower-case name. */
  readonly loaded = new Map<string, LoadedKernelPlugIn>();

  /** A fresh handle value. */
  newHandle(): number {
    return this.nextHandle++;
  }
}
