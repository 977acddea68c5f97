/**
 * KP_SMPL: the Kernel PlugIn of the WinDriver shared-buffer sample (Jungo's technical document
 * #41). The app hands it the kernel address of a buffer the generic driver allocated (through
 * WD_KernelPlugInCall, or through WD_IntEnable's kpCall); at each interrupt of the sampling card
 * its KP_IntAtIrql writes the newest sample into that buffer at the kernel address, and the app
 * reads it at its own user address: the same frames, no byte copied.
 *
 * The document warns that WinDriver does not synchronise access to the buffer. The build without
 * a sequence counter shows why (an app preempted between two loads of one record reads half an
 * old record and half a new one); the build with one publishes each record between two
 * increments of a counter, so a reader can tell a record that changed under it.
 */
import { DbgPrint, ExAllocatePoolWithTag, ExFreePoolWithTag, KeQueryInterruptTime, NonPagedPool, NtStatusError, readU32, writeU32 } from "irpsim/wdm";
import {
  COPY_TO_USER,
  KP_OPEN_CALL,
  WD_VER,
  type KP_FUNC_CALL,
  type KP_FUNC_CLOSE,
  type KP_FUNC_INT_AT_DPC,
  type KP_FUNC_INT_AT_IRQL,
  type KP_FUNC_INT_DISABLE,
  type KP_FUNC_INT_ENABLE,
  type KP_FUNC_OPEN,
  type KP_INIT,
  type KernelPlugIn,
  type Out,
  type WD_KERNEL_PLUGIN_CALL,
} from "irpsim/windriver/kp";

/** The KP's driver name: what KP_Init reports and the app opens (at most 12 characters, as KP_INIT once allowed). */
export const KP_SAMPLE_DRIVER_NAME = "KP_SMPL";

/** Messages KP_Call understands. */
export const KP_MSG_SET_BUFFER = 1; // pData: the kernel address of the shared buffer (the value itself)
export const KP_MSG_GET_STATS = 2; // pData: a user pointer to KP_SAMPLE_STATS, filled with COPY_TO_USER

/** KP_Call results (kpCall.dwResult). */
export const KP_RESULT_OK = 0;
export const KP_RESULT_NO_BUFFER = 1;
export const KP_RESULT_BAD_POINTER = 2;
export const KP_RESULT_UNKNOWN_MESSAGE = 3;

/** The shared buffer: a header, then the newest record. */
export const SAMPLE_MAGIC = 0x504b4457; // "WDKP"
export const OFFSET_MAGIC = 0;
/** The sequence counter: odd while the KP writes the record, even when the record is whole. */
export const OFFSET_SEQUENCE = 4;
/** Samples written so far. */
export const OFFSET_WRITTEN = 8;
/** The newest record: its sample number, time (µs) and value. */
export const OFFSET_RECORD = 16;
export const RECORD_SEQ = 0;
export const RECORD_TIME_US = 4;
export const RECORD_VALUE = 8;

/** KP_SAMPLE_STATS (what KP_MSG_GET_STATS copies out): interrupts, DPCs, samples written. */
export const SIZEOF_KP_SAMPLE_STATS = 12;

/** The card's signal: sample n's value, so a reader can tell whether a record is whole. */
export function sampleValue(seq: number): number {
  return Math.imul(seq >>> 0, 0x9e3779b1) >>> 0;
}

/** How the KP is built. */
export interface SampleKpBuild {
  /** Publish each record between two increments of the sequence counter (the fix). */
  readonly sequenceCounter: boolean;
}

/** The KP's driver context (what C keeps in the block KP_Open allocates). */
export interface KP_SAMPLE_DRV_CONTEXT {
  /** The shared buffer's kernel address, once the app has sent it (0 before). */
  Buffer: number;
  /** A nonpaged-pool block the statistics are staged in before COPY_TO_USER. */
  readonly Stats: number;
  Interrupts: number;
  Dpcs: number;
  Samples: number;
}

/** The KP's interrupt context (KP_IntEnable's). */
export interface KP_SAMPLE_INT_CONTEXT {
  readonly Drv: KP_SAMPLE_DRV_CONTEXT;
  readonly Buffer: number;
}

/** What the harness can see of the KP (a debugger's view, not part of the KP interface). */
export class SampleKpObservations {
  /** How the kernel address reached the KP: "KP_Call", "KP_IntEnable", or null. */
  bufferFrom: "KP_Call" | "KP_IntEnable" | null = null;
  buffer = 0;
  opens = 0;
  closes = 0;
  intEnables = 0;
  intDisables = 0;
  interrupts = 0;
  dpcs = 0;
}

/** KP_SMPL as a module object: KP_Init and the callbacks KP_Open puts in the table. */
export interface SampleKernelPlugIn extends KernelPlugIn {
  readonly KP_Open: KP_FUNC_OPEN;
  readonly KP_Close: KP_FUNC_CLOSE;
  readonly KP_Call: KP_FUNC_CALL;
  readonly KP_IntEnable: KP_FUNC_INT_ENABLE;
  readonly KP_IntDisable: KP_FUNC_INT_DISABLE;
  readonly KP_IntAtIrql: KP_FUNC_INT_AT_IRQL;
  readonly KP_IntAtDpc: KP_FUNC_INT_AT_DPC;
  /** What the harness can see (not part of the KP interface). */
  readonly observed: SampleKpObservations;
}

const STATS_TAG = "KpSm";

/**
 * Builds KP_SMPL.
 *
 * @param build with or without the sequence counter.
 * @returns the KP module.
 */
export function makeSampleKernelPlugIn(build: SampleKpBuild): SampleKernelPlugIn {
  const observed = new SampleKpObservations();

  /**
   * KP_Open: allocates the driver context and fills the callback table.
   *
   * @returns false when the context cannot be allocated (the open fails).
   */
  function KP_Open(kpOpenCall: KP_OPEN_CALL, _hWD: number, _pOpenData: number, ppDrvContext: Out<unknown>): boolean {
    const stats = ExAllocatePoolWithTag(NonPagedPool, SIZEOF_KP_SAMPLE_STATS, STATS_TAG);
    if (stats === 0) return false;
    const ctx: KP_SAMPLE_DRV_CONTEXT = { Buffer: 0, Stats: stats, Interrupts: 0, Dpcs: 0, Samples: 0 };
    kpOpenCall.funcClose = KP_Close;
    kpOpenCall.funcCall = KP_Call;
    kpOpenCall.funcIntEnable = KP_IntEnable;
    kpOpenCall.funcIntDisable = KP_IntDisable;
    kpOpenCall.funcIntAtIrql = KP_IntAtIrql;
    kpOpenCall.funcIntAtDpc = KP_IntAtDpc;
    ppDrvContext.value = ctx;
    observed.opens++;
    DbgPrint(`${KP_SAMPLE_DRIVER_NAME}: KP_Open`);
    return true;
  }

  /** KP_Close: frees the driver context. */
  function KP_Close(pDrvContext: unknown): void {
    const ctx = pDrvContext as KP_SAMPLE_DRV_CONTEXT;
    ExFreePoolWithTag(ctx.Stats, STATS_TAG);
    observed.closes++;
    DbgPrint(`${KP_SAMPLE_DRIVER_NAME}: KP_Close after ${ctx.Samples} samples`);
  }

  /**
   * KP_Call: KP_MSG_SET_BUFFER keeps the kernel address pData carries (the seed document's first
   * way); KP_MSG_GET_STATS copies the counters to the user structure pData points at.
   */
  function KP_Call(pDrvContext: unknown, kpCall: WD_KERNEL_PLUGIN_CALL): void {
    const ctx = pDrvContext as KP_SAMPLE_DRV_CONTEXT;
    switch (kpCall.dwMessage) {
      case KP_MSG_SET_BUFFER:
        if (kpCall.pData === 0) {
          kpCall.dwResult = KP_RESULT_NO_BUFFER;
          return;
        }
        ctx.Buffer = kpCall.pData;
        observed.bufferFrom = "KP_Call";
        observed.buffer = ctx.Buffer;
        DbgPrint(`${KP_SAMPLE_DRIVER_NAME}: KP_Call keeps the shared buffer's kernel address 0x${ctx.Buffer.toString(16).toUpperCase()}`);
        kpCall.dwResult = KP_RESULT_OK;
        return;
      case KP_MSG_GET_STATS:
        writeU32(ctx.Stats, ctx.Interrupts);
        writeU32(ctx.Stats + 4, ctx.Dpcs);
        writeU32(ctx.Stats + 8, ctx.Samples);
        try {
          // pData is the app's pointer, valid here because KP_Call runs in the app's context.
          COPY_TO_USER(kpCall.pData, ctx.Stats, SIZEOF_KP_SAMPLE_STATS);
          kpCall.dwResult = KP_RESULT_OK;
        } catch (e) {
          if (!(e instanceof NtStatusError)) throw e;
          kpCall.dwResult = KP_RESULT_BAD_POINTER;
        }
        return;
      default:
        kpCall.dwResult = KP_RESULT_UNKNOWN_MESSAGE;
    }
  }

  /**
   * KP_IntEnable: takes the buffer from kpCall.pData (the seed document's second way) or from an
   * earlier KP_MSG_SET_BUFFER, and makes the interrupt context.
   *
   * @returns false when no buffer is known (the interrupt is not enabled).
   */
  function KP_IntEnable(pDrvContext: unknown, kpCall: WD_KERNEL_PLUGIN_CALL, ppIntContext: Out<unknown>): boolean {
    const drv = pDrvContext as KP_SAMPLE_DRV_CONTEXT;
    if (kpCall.pData !== 0) {
      drv.Buffer = kpCall.pData;
      observed.bufferFrom = "KP_IntEnable";
      observed.buffer = drv.Buffer;
      DbgPrint(`${KP_SAMPLE_DRIVER_NAME}: KP_IntEnable keeps the shared buffer's kernel address 0x${drv.Buffer.toString(16).toUpperCase()}`);
    }
    if (drv.Buffer === 0) {
      kpCall.dwResult = KP_RESULT_NO_BUFFER;
      return false;
    }
    writeU32(drv.Buffer + OFFSET_MAGIC, SAMPLE_MAGIC);
    writeU32(drv.Buffer + OFFSET_SEQUENCE, 0);
    writeU32(drv.Buffer + OFFSET_WRITTEN, 0);
    const ctx: KP_SAMPLE_INT_CONTEXT = { Drv: drv, Buffer: drv.Buffer };
    ppIntContext.value = ctx;
    kpCall.dwResult = KP_RESULT_OK;
    observed.intEnables++;
    return true;
  }

  /** KP_IntDisable: the interrupt context goes (it holds nothing of its own). */
  function KP_IntDisable(pIntContext: unknown): void {
    const ctx = pIntContext as KP_SAMPLE_INT_CONTEXT;
    observed.intDisables++;
    DbgPrint(`${KP_SAMPLE_DRIVER_NAME}: KP_IntDisable after ${ctx.Drv.Samples} samples`);
  }

  /**
   * KP_IntAtIrql, at the card's IRQL: writes the next sample at the buffer's kernel address (the
   * only address valid here: the app's user address means nothing in an arbitrary context, and
   * pageable memory cannot be touched at this IRQL).
   *
   * @returns true: a DPC is wanted.
   */
  function KP_IntAtIrql(pIntContext: unknown, pfIsMyInterrupt: Out<boolean>): boolean {
    const ctx = pIntContext as KP_SAMPLE_INT_CONTEXT;
    pfIsMyInterrupt.value = true;
    const drv = ctx.Drv;
    const seq = drv.Samples + 1;
    const record = ctx.Buffer + OFFSET_RECORD;
    const counter = build.sequenceCounter ? readU32(ctx.Buffer + OFFSET_SEQUENCE) : 0;
    if (build.sequenceCounter) writeU32(ctx.Buffer + OFFSET_SEQUENCE, counter + 1);
    writeU32(record + RECORD_SEQ, seq);
    writeU32(record + RECORD_TIME_US, Math.floor(KeQueryInterruptTime() / 10));
    writeU32(record + RECORD_VALUE, sampleValue(seq));
    if (build.sequenceCounter) writeU32(ctx.Buffer + OFFSET_SEQUENCE, counter + 2);
    writeU32(ctx.Buffer + OFFSET_WRITTEN, seq);
    drv.Samples = seq;
    drv.Interrupts++;
    DbgPrint(`${KP_SAMPLE_DRIVER_NAME}: KP_IntAtIrql writes sample ${seq} at kernel address 0x${record.toString(16).toUpperCase()}`);
    observed.interrupts++;
    return true;
  }

  /**
   * KP_IntAtDpc: one WD_IntWait wake-up per sample written since the last DPC.
   *
   * @returns dwCount.
   */
  function KP_IntAtDpc(pIntContext: unknown, dwCount: number): number {
    const ctx = pIntContext as KP_SAMPLE_INT_CONTEXT;
    ctx.Drv.Dpcs++;
    observed.dpcs++;
    return dwCount;
  }

  return {
    observed,
    KP_Open,
    KP_Close,
    KP_Call,
    KP_IntEnable,
    KP_IntDisable,
    KP_IntAtIrql,
    KP_IntAtDpc,
    /**
     * KP_Init: the KP's name, the WinDriver version it was built for, and its KP_Open.
     *
     * @returns true.
     */
    KP_Init(kpInit: KP_INIT): boolean {
      kpInit.dwVerWD = WD_VER;
      kpInit.cDriverName = KP_SAMPLE_DRIVER_NAME;
      kpInit.funcOpen = KP_Open;
      return true;
    },
  };
}
