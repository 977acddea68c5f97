/**
 * The Kernel PlugIn interface (wd_kp.h and kpstdlib.h): what a KP module provides and what the
 * generic driver calls, with the contexts and IRQLs each callback runs at.
 *
 * A KP module is an object whose KP_Init fills a KP_INIT (its name, the version it was built
 * for, its KP_Open). KP_Open fills the KP_OPEN_CALL table with the rest and returns the KP's
 * driver context through an out-parameter. Out-parameters are `{ value }` boxes: `*ppDrvContext
 * = ctx` in C is `ppDrvContext.value = ctx` here.
 *
 * Where each callback runs:
 * - KP_Init, KP_Open, KP_Close, KP_Call, KP_IntEnable, KP_IntDisable: PASSIVE_LEVEL, in the
 *   context of the thread that made the WD_ call (so a user pointer in kpCall.pData is valid
 *   there). They may be async (they may wait).
 * - KP_IntAtIrql: at the device's IRQL, inside the interrupt, in whatever context the interrupt
 *   found: synchronous, and it must touch only nonpaged memory (a system address such as the
 *   pKernelAddr of a kernel DMA buffer) — pageable or user memory is a bug check there.
 * - KP_IntAtDpc: at DISPATCH_LEVEL in a DPC, same restrictions except for the IRQL.
 */
import { currentMachine } from "../kernel/context.js";
import type { MaybePromise } from "../kernel/objects.js";

/** An out-parameter (`PVOID *`, `BOOL *`): the callee sets `value`. */
export interface Out<T> {
  /** The value, set by the callee. */
  value: T;
}

/** KP_FUNC_OPEN: WD_KernelPlugInOpen. Fills the table; false fails the open (WD_KERPLUG_FAILURE). */
export type KP_FUNC_OPEN = (kpOpenCall: KP_OPEN_CALL, hWD: number, pOpenData: number, ppDrvContext: Out<unknown>) => MaybePromise<boolean>;
/** KP_FUNC_CLOSE: WD_KernelPlugInClose (or the app's handle closing). */
export type KP_FUNC_CLOSE = (pDrvContext: unknown) => MaybePromise<void>;
/** KP_FUNC_CALL: WD_KernelPlugInCall; sets kpCall.dwResult. */
export type KP_FUNC_CALL = (pDrvContext: unknown, kpCall: WD_KERNEL_PLUGIN_CALL) => MaybePromise<void>;
/** KP_FUNC_INT_ENABLE: WD_IntEnable with a kpCall; returns the interrupt context through ppIntContext; false refuses. */
export type KP_FUNC_INT_ENABLE = (pDrvContext: unknown, kpCall: WD_KERNEL_PLUGIN_CALL, ppIntContext: Out<unknown>) => MaybePromise<boolean>;
/** KP_FUNC_INT_DISABLE: WD_IntDisable (or cleanup); the interrupt no longer arrives. */
export type KP_FUNC_INT_DISABLE = (pIntContext: unknown) => void;
/** KP_FUNC_INT_AT_IRQL: at device IRQL; sets *pfIsMyInterrupt; returns true to ask for a DPC. */
export type KP_FUNC_INT_AT_IRQL = (pIntContext: unknown, pfIsMyInterrupt: Out<boolean>) => boolean;
/** KP_FUNC_INT_AT_DPC: at DISPATCH_LEVEL; dwCount DPC requests since the last one; returns how many times WD_IntWait wakes. */
export type KP_FUNC_INT_AT_DPC = (pIntContext: unknown, dwCount: number) => number;

/** KP_OPEN_CALL: the callback table KP_Open fills (funcEvent, for Plug-and-Play events, is not modelled). */
export class KP_OPEN_CALL {
  /** Called when the app closes the Kernel PlugIn. */
  funcClose: KP_FUNC_CLOSE | null = null;
  /** Called for WD_KernelPlugInCall: the app's messages. */
  funcCall: KP_FUNC_CALL | null = null;
  /** Called when the app enables the interrupt through the Kernel PlugIn. */
  funcIntEnable: KP_FUNC_INT_ENABLE | null = null;
  /** Called when the interrupt is disabled. */
  funcIntDisable: KP_FUNC_INT_DISABLE | null = null;
  /** The interrupt handler, at device IRQL. */
  funcIntAtIrql: KP_FUNC_INT_AT_IRQL | null = null;
  /** The deferred handler, at DISPATCH_LEVEL. */
  funcIntAtDpc: KP_FUNC_INT_AT_DPC | null = null;
}

/** KP_INIT: what KP_Init reports: the version it was built for, its driver name, its KP_Open. */
export class KP_INIT {
  /** The WinDriver version the Kernel PlugIn was built for. */
  dwVerWD = 0;
  /** Must match the name the app opens (case-insensitively), or the open fails. */
  cDriverName = "";
  /** KP_Open, called when the app opens the Kernel PlugIn. */
  funcOpen: KP_FUNC_OPEN | null = null;
}

/**
 * The kernel's copy of a WD_KERNEL_PLUGIN_CALL: the driver captured the app's structure, the KP
 * sees this copy, and dwResult is copied back when the KP returns. pData is passed as the app
 * gave it: a user address (valid only in the caller's context), or whatever value the app chose
 * to send (the kernel address of a shared buffer, in the seed document).
 */
export class WD_KERNEL_PLUGIN_CALL {
  constructor(
    /** The Kernel PlugIn's handle. */
    readonly hKernelPlugIn: number,
    /** The message number the app sent. */
    readonly dwMessage: number,
    /** The data pointer the app sent (a user address, to copy with COPY_FROM_USER). */
    readonly pData: number,
    /** The result KP_Call sets for the app. */
    public dwResult = 0,
  ) {}
}

/** A Kernel PlugIn module: the image the generic driver loads by name. */
export interface KernelPlugIn {
  /** KP_Init: fills kpInit; false refuses to load (WD_KERPLUG_FAILURE). */
  KP_Init(kpInit: KP_INIT): boolean;
}

/**
 * COPY_FROM_USER(dst, src, n): copies n bytes from a user address into kernel memory. On Windows
 * it is a plain memcpy (KP_Call runs in the caller's context), so a bad user pointer raises
 * STATUS_ACCESS_VIOLATION in the KP, which the KP must catch (try/catch of NtStatusError) or
 * the machine bug-checks.
 */
export function COPY_FROM_USER(dst: number, src: number, n: number): void {
  currentMachine("COPY_FROM_USER").kernelCall("COPY_FROM_USER").machine.mmu.copy(dst, src, n);
}

/** COPY_TO_USER(dst, src, n): copies n bytes from kernel memory to a user address (a memcpy on Windows). */
export function COPY_TO_USER(dst: number, src: number, n: number): void {
  currentMachine("COPY_TO_USER").kernelCall("COPY_TO_USER").machine.mmu.copy(dst, src, n);
}
