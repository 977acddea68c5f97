/**
 * WinDriver test kit: a machine with windrvr6 loaded, Kernel PlugIns and a sampling card
 * installed, small allocation helpers for app code, and a configurable test KP.
 */
import { loadDriver } from "../../io-manager/driver.js";
import type { Machine } from "../../kernel/machine.js";
import { DbgPrint } from "../../kernel/debug-print.js";
import { GetProcessHeap, HEAP_ZERO_MEMORY, HeapAlloc, writeAnsiString, DeviceIoControl, readU32, writeU32, MEM_COMMIT, MEM_RESERVE, PAGE_READWRITE, VirtualAlloc } from "../../win32/index.js";
import { type KP_OPEN_CALL, type KP_INIT, type KernelPlugIn, type Out, type WD_KERNEL_PLUGIN_CALL } from "../../windriver/kernel-plugin.js";
import { WD_VER, WD_WINDRIVER_STATUS_ERROR } from "../../windriver/constants.js";
import { WdDriverEntry, installKernelPlugIn, installSamplingCard, windriverState, type SamplingCard } from "../../windriver/machine.js";
import type { WD_DEVICE_EXTENSION } from "../../windriver/driver-state.js";
import { ITEM_INTERRUPT, SIZEOF_WD_CARD_REGISTER, SIZEOF_WD_INTERRUPT, SIZEOF_WD_KERNEL_PLUGIN, SIZEOF_WD_KERNEL_PLUGIN_CALL, WD_CARD_REGISTER, WD_CardRegister, WD_INTERRUPT, WD_KERNEL_PLUGIN, WD_KERNEL_PLUGIN_CALL as WD_KERNEL_PLUGIN_CALL_VIEW, WD_KernelPlugInOpen } from "../../windriver/index.js";

/** The test card's line. */
export const TEST_IRQ = 7;

/** Loads windrvr6 (and optionally a card on TEST_IRQ); returns its state. */
export async function withWinDriver(m: Machine, options: { card?: readonly number[] } = {}): Promise<{ state: WD_DEVICE_EXTENSION; card: SamplingCard | null }> {
  const card = options.card ? installSamplingCard(m, { name: "test card", irq: TEST_IRQ, intervalsMs: options.card }) : null;
  const loaded = await loadDriver(m, "windrvr6", WdDriverEntry);
  if (loaded.status !== 0) throw new Error(`windrvr6 did not load: 0x${loaded.status.toString(16)}`);
  const state = windriverState(loaded.DriverObject);
  if (!state) throw new Error("windrvr6 has no device");
  return { state, card };
}

/** HeapAlloc(HEAP_ZERO_MEMORY) in the app. */
export function zalloc(n: number): number {
  const p = HeapAlloc(GetProcessHeap(), HEAP_ZERO_MEMORY, n);
  if (p === 0) throw new Error("HeapAlloc failed");
  return p;
}

/** An ANSI string in the app's heap. */
export function ansi(s: string): number {
  const p = zalloc(s.length + 1);
  writeAnsiString(p, s);
  return p;
}

/**
 * One raw WD_ call as WD_FUNCTION makes it, with any code, pointer, size and status-word address:
 * for the driver's own checks. Returns the status word (WD_WINDRIVER_STATUS_ERROR when the driver
 * never wrote it) and DeviceIoControl's result.
 */
export async function rawCall(h: number, code: number, pParam: number, dwSize: number, statusWord?: number): Promise<{ status: number; ok: boolean }> {
  const rc = statusWord ?? zalloc(8);
  const valid = statusWord === undefined;
  if (valid) writeU32(rc, WD_WINDRIVER_STATUS_ERROR);
  const scratch = VirtualAlloc(0, 4096, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
  const ok = await DeviceIoControl(h, code, pParam, dwSize, rc, 4, scratch, null);
  return { status: valid ? readU32(rc) : WD_WINDRIVER_STATUS_ERROR, ok };
}

/** Opens the KP named `name` on hWD; returns the status and handle. */
export async function openKp(hWD: number, name: string, pOpenData = 0): Promise<{ status: number; hKernelPlugIn: number }> {
  const kp = new WD_KERNEL_PLUGIN(zalloc(SIZEOF_WD_KERNEL_PLUGIN));
  kp.pcDriverName = ansi(name);
  kp.pOpenData = pOpenData;
  const status = await WD_KernelPlugInOpen(hWD, kp.address);
  return { status, hKernelPlugIn: kp.hKernelPlugIn };
}

/** A WD_KERNEL_PLUGIN_CALL in the app's heap. */
export function kpCallStruct(hKernelPlugIn: number, dwMessage: number, pData: number): WD_KERNEL_PLUGIN_CALL_VIEW {
  const c = new WD_KERNEL_PLUGIN_CALL_VIEW(zalloc(SIZEOF_WD_KERNEL_PLUGIN_CALL));
  c.hKernelPlugIn = hKernelPlugIn;
  c.dwMessage = dwMessage;
  c.pData = pData;
  return c;
}

/** Registers a card with one interrupt item on `irq`; returns the status, hCard and hInterrupt. */
export async function registerCard(hWD: number, irq = TEST_IRQ, notSharable = true): Promise<{ status: number; reg: WD_CARD_REGISTER; hInterrupt: number }> {
  const reg = new WD_CARD_REGISTER(zalloc(SIZEOF_WD_CARD_REGISTER));
  reg.dwItems = 1;
  reg.Item(0).item = ITEM_INTERRUPT;
  reg.Item(0).fNotSharable = notSharable ? 1 : 0;
  reg.Item(0).dwInterrupt = irq;
  const status = await WD_CardRegister(hWD, reg.address);
  return { status, reg, hInterrupt: reg.Item(0).hInterrupt };
}

/** A WD_INTERRUPT for hInterrupt, routed through hKernelPlugIn (0: none) with kpCall.pData. */
export function interruptStruct(hInterrupt: number, hKernelPlugIn = 0, pData = 0): WD_INTERRUPT {
  const i = new WD_INTERRUPT(zalloc(SIZEOF_WD_INTERRUPT));
  i.hInterrupt = hInterrupt;
  i.kpCall.hKernelPlugIn = hKernelPlugIn;
  i.kpCall.pData = pData;
  return i;
}

/** What the test KP did, for assertions. */
export class TestKpLog {
  readonly calls: string[] = [];
  inits = 0;
  openData: number[] = [];
  irqls: number[] = [];
  dpcCounts: number[] = [];
  lastCall: WD_KERNEL_PLUGIN_CALL | null = null;
  intEnablePData: number[] = [];
}

/** Hooks a test KP can be given; anything left out does the plain thing. */
export interface TestKpOptions {
  readonly name?: string;
  /** What KP_Init reports as its name (default: `name`). */
  readonly initName?: string;
  readonly init?: boolean;
  readonly open?: boolean;
  readonly call?: (ctx: { log: TestKpLog }, kpCall: WD_KERNEL_PLUGIN_CALL) => unknown;
  readonly intEnable?: boolean;
  /** KP_IntAtIrql's body (default: claim it and ask for a DPC). */
  readonly atIrql?: (pfIsMyInterrupt: Out<boolean>) => boolean;
  /** KP_IntAtDpc's result for a count (default: the count). */
  readonly atDpc?: (dwCount: number) => number;
  /** Leave these callbacks out of the table. */
  readonly without?: readonly ("funcCall" | "funcIntAtIrql" | "funcIntAtDpc")[];
}

/** Installs a test KP and returns its log. */
export function installTestKp(m: Machine, options: TestKpOptions = {}): TestKpLog {
  const name = options.name ?? "KP_TEST";
  const log = new TestKpLog();
  const ctx = { log };
  const module: KernelPlugIn = {
    KP_Init(kpInit: KP_INIT): boolean {
      log.inits++;
      kpInit.dwVerWD = WD_VER;
      kpInit.cDriverName = options.initName ?? name;
      kpInit.funcOpen = function KP_Open(kpOpenCall: KP_OPEN_CALL, _hWD: number, pOpenData: number, ppDrvContext: Out<unknown>): boolean {
        log.calls.push("KP_Open");
        log.openData.push(pOpenData);
        if (options.open === false) return false;
        kpOpenCall.funcClose = () => {
          log.calls.push("KP_Close");
        };
        if (!options.without?.includes("funcCall")) {
          kpOpenCall.funcCall = (_drv, kpCall) => {
            log.calls.push("KP_Call");
            log.lastCall = kpCall;
            if (options.call) options.call(ctx, kpCall);
            else kpCall.dwResult = kpCall.dwMessage + 1000;
          };
        }
        kpOpenCall.funcIntEnable = (_drv, kpCall, ppIntContext) => {
          log.calls.push("KP_IntEnable");
          log.intEnablePData.push(kpCall.pData);
          kpCall.dwResult = 77;
          ppIntContext.value = { pData: kpCall.pData };
          return options.intEnable ?? true;
        };
        kpOpenCall.funcIntDisable = () => {
          log.calls.push("KP_IntDisable");
        };
        if (!options.without?.includes("funcIntAtIrql")) {
          kpOpenCall.funcIntAtIrql = function KP_IntAtIrql(_intCtx, pfIsMyInterrupt) {
            log.irqls.push(currentIrql(m));
            if (options.atIrql) return options.atIrql(pfIsMyInterrupt);
            pfIsMyInterrupt.value = true;
            return true;
          };
        }
        if (!options.without?.includes("funcIntAtDpc")) {
          kpOpenCall.funcIntAtDpc = function KP_IntAtDpc(_intCtx, dwCount) {
            log.dpcCounts.push(dwCount);
            return options.atDpc ? options.atDpc(dwCount) : dwCount;
          };
        }
        ppDrvContext.value = ctx;
        DbgPrint(`${name}: opened`);
        return true;
      };
      return options.init ?? true;
    },
  };
  installKernelPlugIn(m, name, module);
  return log;
}

function currentIrql(m: Machine): number {
  return m.currentThread().irql;
}
