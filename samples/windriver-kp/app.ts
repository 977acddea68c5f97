/**
 * The app of the WinDriver shared-buffer sample, written as the seed document's C: it gets a
 * kernel buffer mapped into its own address space (WD_DMALock with DMA_KERNEL_BUFFER_ALLOC, or
 * WDC_SharedBufferAlloc), hands the buffer's kernel address to the Kernel PlugIn (through
 * WD_KernelPlugInCall, or through WD_IntEnable's kpCall), enables the card's interrupt through the
 * KP, and after each WD_IntWait reads the newest sample at its user address.
 */
import { GetProcessHeap, HEAP_ZERO_MEMORY, HeapAlloc, HeapFree, INVALID_HANDLE_VALUE, OutputDebugString, Sleep, readU32, writeAnsiString } from "irpsim/win32";
import {
  DMA_KERNEL_BUFFER_ALLOC,
  INTERRUPT_RECEIVED,
  ITEM_INTERRUPT,
  SIZEOF_WD_CARD_REGISTER,
  SIZEOF_WD_DMA,
  SIZEOF_WD_INTERRUPT,
  SIZEOF_WD_KERNEL_PLUGIN,
  SIZEOF_WD_KERNEL_PLUGIN_CALL,
  WDC_DRV_OPEN_DEFAULT,
  WDC_DriverClose,
  WDC_DriverOpen,
  WDC_GetWDHandle,
  WDC_SharedBufferAlloc,
  WDC_SharedBufferFree,
  WD_CARD_REGISTER,
  WD_CardRegister,
  WD_CardUnregister,
  WD_Close,
  WD_DMA,
  WD_DMALock,
  WD_DMAUnlock,
  WD_INTERRUPT,
  WD_IntDisable,
  WD_IntEnable,
  WD_IntWait,
  WD_KERNEL_PLUGIN,
  WD_KERNEL_PLUGIN_CALL,
  WD_KernelPlugInCall,
  WD_KernelPlugInClose,
  WD_KernelPlugInOpen,
  WD_Open,
  WD_STATUS_SUCCESS,
  Stat2Str,
  wdStatusName,
} from "irpsim/windriver";
import {
  KP_MSG_GET_STATS,
  KP_MSG_SET_BUFFER,
  KP_RESULT_OK,
  KP_SAMPLE_DRIVER_NAME,
  OFFSET_RECORD,
  OFFSET_SEQUENCE,
  RECORD_SEQ,
  RECORD_VALUE,
  SIZEOF_KP_SAMPLE_STATS,
  sampleValue,
} from "./kp.js";

/** How the buffer is made and how its kernel address reaches the KP. */
export type WindriverFlow = "kp-call" | "int-enable" | "shared-buffer";
/** How the app reads a record: plain loads, or checking the KP's sequence counter around them. */
export type WindriverReader = "sequence-counter" | "unsynchronised";

/** The app's configuration. */
export interface WindriverAppConfig {
  readonly flow: WindriverFlow;
  readonly reader: WindriverReader;
  /** How long the app is held up between its first and second load of a record (0: not at all). */
  readonly readGapMs: number;
  /** How many samples it reads. */
  readonly samples: number;
  /** The card's interrupt line. */
  readonly irq: number;
}

/** The buffer size the seed document allocates (64 KB). */
export const SHARED_BUFFER_BYTES = 0x10000;

/** One sample as the app read it. */
export interface SampleRead {
  readonly seq: number;
  readonly value: number;
  /** The value is not the one the card produces for `seq`: half of the record is from another sample. */
  readonly torn: boolean;
  /** Reads the sequence counter made the app repeat. */
  readonly retries: number;
}

/** What the app saw, for the scenario's checks. */
export class WindriverAppReport {
  /** Every WD_/WDC_ status the app got, in order. */
  readonly statuses: { call: string; status: number }[] = [];
  pUserAddr = 0;
  pKernelAddr = 0;
  dwPages = 0;
  physical = 0;
  pageBytes = 0;
  hKernelPlugIn = 0;
  setBufferResult = -1;
  readonly samples: SampleRead[] = [];
  /** Wake-ups the app missed (sum of dwLost). */
  lost = 0;
  /** Set while the app streams samples, and once it stops. */
  streaming = false;
  streamingDone = false;
  /** The KP's counters as KP_MSG_GET_STATS copied them (interrupts, DPCs, samples). */
  stats: [number, number, number] | null = null;
  statsResult = -1;
  finished = false;
  /** Called (by the app, synchronously) the moment it stops streaming: where a harness takes its measurements. */
  onStreamingDone: (() => void) | null = null;

  /** The first status that was not WD_STATUS_SUCCESS, if any. */
  firstFailure(): { call: string; status: number } | undefined {
    return this.statuses.find((s) => s.status !== WD_STATUS_SUCCESS);
  }
}

/**
 * Makes the app's main function.
 *
 * @param config the flow, the reader and its timing.
 * @param report where it records what it saw.
 */
export function makeWindriverApp(config: WindriverAppConfig, report: WindriverAppReport): () => Promise<number> {
  const heap = () => GetProcessHeap();
  const alloc = (n: number) => HeapAlloc(heap(), HEAP_ZERO_MEMORY, n);
  const note = (call: string, status: number): boolean => {
    report.statuses.push({ call, status });
    if (status !== WD_STATUS_SUCCESS) OutputDebugString(`${call} failed: 0x${status.toString(16)} (${wdStatusName(status)}: ${Stat2Str(status)})`);
    return status === WD_STATUS_SUCCESS;
  };

  /** Reads the newest record with two plain loads: nothing stops the KP writing in between. */
  async function readUnsynchronised(record: number): Promise<SampleRead> {
    const seq = readU32(record + RECORD_SEQ);
    if (config.readGapMs > 0) await Sleep(config.readGapMs);
    const value = readU32(record + RECORD_VALUE);
    return { seq, value, torn: value !== sampleValue(seq), retries: 0 };
  }

  /**
   * Reads the newest record between two reads of the KP's sequence counter, and reads again when
   * the counter moved (or was odd: the KP was writing). The hold-up hits the first attempt only.
   */
  async function readWithSequenceCounter(buffer: number, record: number): Promise<SampleRead> {
    for (let attempt = 0; attempt < 1000; attempt++) {
      const before = readU32(buffer + OFFSET_SEQUENCE);
      if (before & 1) continue;
      const seq = readU32(record + RECORD_SEQ);
      if (attempt === 0 && config.readGapMs > 0) await Sleep(config.readGapMs);
      const value = readU32(record + RECORD_VALUE);
      if (readU32(buffer + OFFSET_SEQUENCE) === before) return { seq, value, torn: value !== sampleValue(seq), retries: attempt };
    }
    throw new Error("the sequence counter never stood still for 1000 reads");
  }

  return async function WindriverAppMain(): Promise<number> {
    // ---- A kernel buffer mapped into this process ----
    let hWD: number;
    let pDma = 0;
    let hBuf = 0;
    if (config.flow === "shared-buffer") {
      if (!note("WDC_DriverOpen", await WDC_DriverOpen(WDC_DRV_OPEN_DEFAULT, null))) return 1;
      hWD = WDC_GetWDHandle();
      const out = alloc(12);
      if (!note("WDC_SharedBufferAlloc", await WDC_SharedBufferAlloc(out, out + 4, SHARED_BUFFER_BYTES, 0, out + 8))) return 1;
      report.pUserAddr = readU32(out);
      report.pKernelAddr = readU32(out + 4);
      hBuf = readU32(out + 8);
      const dma = new WD_DMA(hBuf);
      report.dwPages = dma.dwPages;
      report.physical = dma.Page(0).pPhysicalAddr;
      report.pageBytes = dma.Page(0).dwBytes;
      HeapFree(heap(), 0, out);
    } else {
      hWD = await WD_Open();
      if (hWD === INVALID_HANDLE_VALUE) return 1;
      pDma = alloc(SIZEOF_WD_DMA);
      const dma = new WD_DMA(pDma);
      dma.pUserAddr = 0;
      dma.dwBytes = SHARED_BUFFER_BYTES;
      dma.dwOptions = DMA_KERNEL_BUFFER_ALLOC;
      note("WD_DMALock", await WD_DMALock(hWD, pDma));
      if (dma.hDma === 0) {
        OutputDebugString("failed allocating dma buffer");
        return 1;
      }
      report.pUserAddr = dma.pUserAddr;
      report.pKernelAddr = dma.pKernelAddr;
      report.dwPages = dma.dwPages;
      report.physical = dma.Page(0).pPhysicalAddr;
      report.pageBytes = dma.Page(0).dwBytes;
    }
    OutputDebugString(`the buffer is at user 0x${report.pUserAddr.toString(16).toUpperCase()}, kernel 0x${report.pKernelAddr.toString(16).toUpperCase()}, physical 0x${report.physical.toString(16).toUpperCase()}`);

    // ---- The Kernel PlugIn ----
    const name = alloc(16);
    writeAnsiString(name, KP_SAMPLE_DRIVER_NAME);
    const kerPlug = new WD_KERNEL_PLUGIN(alloc(SIZEOF_WD_KERNEL_PLUGIN));
    kerPlug.pcDriverName = name;
    note("WD_KernelPlugInOpen", await WD_KernelPlugInOpen(hWD, kerPlug.address));
    if (kerPlug.hKernelPlugIn === 0) {
      OutputDebugString("failed opening a handle to the Kernel PlugIn");
      return 1;
    }
    report.hKernelPlugIn = kerPlug.hKernelPlugIn;
    const kpCall = new WD_KERNEL_PLUGIN_CALL(alloc(SIZEOF_WD_KERNEL_PLUGIN_CALL));
    if (config.flow !== "int-enable") {
      // The seed document's first way: the kernel address travels in pData of a KP call.
      kpCall.hKernelPlugIn = kerPlug.hKernelPlugIn;
      kpCall.dwMessage = KP_MSG_SET_BUFFER;
      kpCall.pData = report.pKernelAddr;
      note("WD_KernelPlugInCall", await WD_KernelPlugInCall(hWD, kpCall.address));
      report.setBufferResult = kpCall.dwResult;
      if (kpCall.dwResult !== KP_RESULT_OK) return 1;
    }

    // ---- The card's interrupt, routed through the KP ----
    const cardReg = new WD_CARD_REGISTER(alloc(SIZEOF_WD_CARD_REGISTER));
    cardReg.dwItems = 1;
    cardReg.Item(0).item = ITEM_INTERRUPT;
    cardReg.Item(0).fNotSharable = 1;
    cardReg.Item(0).dwInterrupt = config.irq;
    if (!note("WD_CardRegister", await WD_CardRegister(hWD, cardReg.address))) return 1;
    const intr = new WD_INTERRUPT(alloc(SIZEOF_WD_INTERRUPT));
    intr.hInterrupt = cardReg.Item(0).hInterrupt;
    intr.kpCall.hKernelPlugIn = kerPlug.hKernelPlugIn;
    // The seed document's second way: the kernel address travels in the kpCall of WD_IntEnable.
    intr.kpCall.pData = config.flow === "int-enable" ? report.pKernelAddr : 0;
    if (!note("WD_IntEnable", await WD_IntEnable(hWD, intr.address))) return 1;

    // ---- Samples, read at the user address: the same frames the KP writes, nothing copied ----
    report.streaming = true;
    const record = report.pUserAddr + OFFSET_RECORD;
    while (report.samples.length < config.samples) {
      if (!note("WD_IntWait", await WD_IntWait(hWD, intr.address))) break;
      if (intr.fStopped !== INTERRUPT_RECEIVED) break;
      report.lost += intr.dwLost;
      const sample = config.reader === "sequence-counter" ? await readWithSequenceCounter(report.pUserAddr, record) : await readUnsynchronised(record);
      report.samples.push(sample);
      OutputDebugString(`sample ${sample.seq}: 0x${sample.value.toString(16).toUpperCase()}${sample.torn ? " TORN (half of it belongs to another sample)" : ""}${sample.retries ? ` after ${sample.retries} retr${sample.retries === 1 ? "y" : "ies"}` : ""}`);
    }
    report.streaming = false;
    report.streamingDone = true;
    report.onStreamingDone?.();

    // ---- Tear down in order ----
    note("WD_IntDisable", await WD_IntDisable(hWD, intr.address));
    const stats = alloc(SIZEOF_KP_SAMPLE_STATS);
    kpCall.hKernelPlugIn = kerPlug.hKernelPlugIn;
    kpCall.dwMessage = KP_MSG_GET_STATS;
    kpCall.pData = stats;
    note("WD_KernelPlugInCall", await WD_KernelPlugInCall(hWD, kpCall.address));
    report.statsResult = kpCall.dwResult;
    report.stats = [readU32(stats), readU32(stats + 4), readU32(stats + 8)];
    note("WD_KernelPlugInClose", await WD_KernelPlugInClose(hWD, kerPlug.address));
    note("WD_CardUnregister", await WD_CardUnregister(hWD, cardReg.address));
    if (config.flow === "shared-buffer") {
      note("WDC_SharedBufferFree", await WDC_SharedBufferFree(hBuf));
      note("WDC_DriverClose", await WDC_DriverClose());
    } else {
      note("WD_DMAUnlock", await WD_DMAUnlock(hWD, pDma));
      await WD_Close(hWD);
    }
    report.finished = true;
    return 0;
  };
}
