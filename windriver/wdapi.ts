/**
 * The user-mode WinDriver library (what wdapi.dll and windrvr.h's WD_FUNCTION give an app): each
 * WD_ function is one DeviceIoControl on a handle to \\.\windrvr6, sending the structure's
 * address and size and receiving the 4-byte WinDriver status; the WDC_ functions are the
 * convenience layer over them. Everything runs in the app's thread, through the Win32 API.
 */
import { CloseHandle, CreateFile, DeviceIoControl, FILE_FLAG_OVERLAPPED, FILE_SHARE_READ, FILE_SHARE_WRITE, GENERIC_READ, GetProcessHeap, HEAP_ZERO_MEMORY, HeapAlloc, HeapFree, INVALID_HANDLE_VALUE, MEM_COMMIT, MEM_RESERVE, OPEN_EXISTING, PAGE_READWRITE, VirtualAlloc, readU32, writeU32 } from "../win32/index.js";
import { caller } from "../win32/call.js";
import { apiEnter, apiReturn } from "../win32/trace-events.js";
import type { KThread } from "../kernel/thread.js";
import {
  DMA_ALLOW_CACHE,
  DMA_ALLOW_NO_HCARD,
  DMA_KERNEL_BUFFER_ALLOC,
  IOCTL_WD_CARD_REGISTER,
  IOCTL_WD_CARD_UNREGISTER,
  IOCTL_WD_DMA_LOCK,
  IOCTL_WD_DMA_UNLOCK,
  IOCTL_WD_INT_COUNT,
  IOCTL_WD_INT_DISABLE,
  IOCTL_WD_INT_ENABLE,
  IOCTL_WD_INT_WAIT,
  IOCTL_WD_KERNEL_PLUGIN_CALL,
  IOCTL_WD_KERNEL_PLUGIN_CLOSE,
  IOCTL_WD_KERNEL_PLUGIN_OPEN,
  IOCTL_WD_VERSION,
  WD_DRIVER_NAME,
  WD_INCORRECT_VERSION,
  WD_INSUFFICIENT_RESOURCES,
  WD_INVALID_HANDLE,
  WD_INVALID_PARAMETER,
  WD_OPERATION_ALREADY_DONE,
  WD_STATUS_INVALID_WD_HANDLE,
  WD_STATUS_SUCCESS,
  WD_VER,
  WD_WINDRIVER_STATUS_ERROR,
  wdStatusName,
} from "./constants.js";
import { SIZEOF_WD_DMA, SIZE_OF_WD_DMA, WD_CARD_REGISTER_LAYOUT, WD_DMA_LAYOUT, WD_INTERRUPT_LAYOUT, WD_KERNEL_PLUGIN_CALL_LAYOUT, WD_KERNEL_PLUGIN_LAYOUT, WD_VERSION_LAYOUT } from "./layout.js";

/** The stack locals WD_FUNCTION keeps (the status word and the byte count), one page per thread. */
function locals(t: KThread): number {
  let base = t.slots.get("windriver.locals") as number | undefined;
  if (base === undefined) {
    base = VirtualAlloc(0, 4096, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
    if (base === 0) throw new Error(`cannot allocate the WinDriver library's locals for ${t.label}`);
    t.slots.set("windriver.locals", base);
  }
  return base;
}

/**
 * WD_FUNCTION: one WD_ call. The status word starts as WD_WINDRIVER_STATUS_ERROR, so a request
 * that never reaches the driver (a bad handle) reports that. With `fWait` the call is made on a
 * handle of its own, opened and closed around it (how WD_IntWait blocks without holding up other
 * calls on the app's handle).
 */
async function WD_FUNCTION(api: string, code: number, h: number, pParam: number, dwSize: number, fWait: boolean): Promise<number> {
  const t = caller(api);
  apiEnter(t, api, () => `handle ${h >>> 0}, structure at 0x${(pParam >>> 0).toString(16).toUpperCase().padStart(8, "0")}, ${dwSize} bytes`);
  let hWD = h;
  if (fWait) {
    hWD = await WD_OpenLocal();
    if (hWD === INVALID_HANDLE_VALUE) {
      apiReturn(t, api, wdStatusName(WD_STATUS_INVALID_WD_HANDLE), 0);
      return WD_STATUS_INVALID_WD_HANDLE;
    }
  }
  const base = locals(t);
  const rc = base;
  const dwTmp = base + 4;
  writeU32(rc, WD_WINDRIVER_STATUS_ERROR);
  await DeviceIoControl(hWD, code, pParam, dwSize, rc, 4, dwTmp, null);
  const status = readU32(rc);
  if (fWait) await CloseHandle(hWD);
  apiReturn(t, api, wdStatusName(status), 0);
  return status;
}

function WD_OpenLocal(): Promise<number> {
  return CreateFile(WD_DRIVER_NAME, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE, null, OPEN_EXISTING, FILE_FLAG_OVERLAPPED, 0);
}

// ---- WD_ functions --------------------------------------------------------------------------

/** WD_Open: a handle to \\.\windrvr6 (overlapped, as the library opens it), or INVALID_HANDLE_VALUE. */
export function WD_Open(): Promise<number> {
  caller("WD_Open");
  return WD_OpenLocal();
}

/** WD_Close: closes the handle; the driver's cleanup releases whatever was left on it. */
export async function WD_Close(hWD: number): Promise<void> {
  await CloseHandle(hWD);
}

/** WD_Version: fills a WD_VERSION. */
export function WD_Version(hWD: number, pVerInfo: number): Promise<number> {
  return WD_FUNCTION("WD_Version", IOCTL_WD_VERSION, hWD, pVerInfo, WD_VERSION_LAYOUT.size, false);
}

/** WD_DMALock: allocates (DMA_KERNEL_BUFFER_ALLOC) or locks a DMA buffer described by a WD_DMA. */
export function WD_DMALock(hWD: number, pDma: number): Promise<number> {
  return WD_FUNCTION("WD_DMALock", IOCTL_WD_DMA_LOCK, hWD, pDma, SIZE_OF_WD_DMA(dwPagesOf(pDma)), false);
}

/** WD_DMAUnlock: frees or unlocks the buffer pDma->hDma names. */
export function WD_DMAUnlock(hWD: number, pDma: number): Promise<number> {
  return WD_FUNCTION("WD_DMAUnlock", IOCTL_WD_DMA_UNLOCK, hWD, pDma, SIZE_OF_WD_DMA(dwPagesOf(pDma)), false);
}

/** SIZE_OF_WD_DMA reads pDma->dwPages: a NULL pointer faults in the app, as the C macro would. */
function dwPagesOf(pDma: number): number {
  return readU32(pDma + WD_DMA_LAYOUT.dwPages);
}

/** WD_KernelPlugInOpen: opens the Kernel PlugIn pKernelPlugIn->pcDriverName names; fills hKernelPlugIn. */
export function WD_KernelPlugInOpen(hWD: number, pKernelPlugIn: number): Promise<number> {
  return WD_FUNCTION("WD_KernelPlugInOpen", IOCTL_WD_KERNEL_PLUGIN_OPEN, hWD, pKernelPlugIn, WD_KERNEL_PLUGIN_LAYOUT.size, false);
}

/** WD_KernelPlugInClose. */
export function WD_KernelPlugInClose(hWD: number, pKernelPlugIn: number): Promise<number> {
  return WD_FUNCTION("WD_KernelPlugInClose", IOCTL_WD_KERNEL_PLUGIN_CLOSE, hWD, pKernelPlugIn, WD_KERNEL_PLUGIN_LAYOUT.size, false);
}

/** WD_KernelPlugInCall: runs the KP's KP_Call synchronously; dwResult comes back in the structure. */
export function WD_KernelPlugInCall(hWD: number, pKernelPlugInCall: number): Promise<number> {
  return WD_FUNCTION("WD_KernelPlugInCall", IOCTL_WD_KERNEL_PLUGIN_CALL, hWD, pKernelPlugInCall, WD_KERNEL_PLUGIN_CALL_LAYOUT.size, false);
}

/** WD_CardRegister: registers a card's resources; fills hCard and each interrupt item's hInterrupt. */
export function WD_CardRegister(hWD: number, pCard: number): Promise<number> {
  return WD_FUNCTION("WD_CardRegister", IOCTL_WD_CARD_REGISTER, hWD, pCard, WD_CARD_REGISTER_LAYOUT.size, false);
}

/** WD_CardUnregister. */
export function WD_CardUnregister(hWD: number, pCard: number): Promise<number> {
  return WD_FUNCTION("WD_CardUnregister", IOCTL_WD_CARD_UNREGISTER, hWD, pCard, WD_CARD_REGISTER_LAYOUT.size, false);
}

/** WD_IntEnable: enables the interrupt (through the Kernel PlugIn in kpCall, when set). */
export function WD_IntEnable(hWD: number, pInterrupt: number): Promise<number> {
  return WD_FUNCTION("WD_IntEnable", IOCTL_WD_INT_ENABLE, hWD, pInterrupt, WD_INTERRUPT_LAYOUT.size, false);
}

/** WD_IntDisable. */
export function WD_IntDisable(hWD: number, pInterrupt: number): Promise<number> {
  return WD_FUNCTION("WD_IntDisable", IOCTL_WD_INT_DISABLE, hWD, pInterrupt, WD_INTERRUPT_LAYOUT.size, false);
}

/** WD_IntCount: dwCounter and dwLost so far. */
export function WD_IntCount(hWD: number, pInterrupt: number): Promise<number> {
  return WD_FUNCTION("WD_IntCount", IOCTL_WD_INT_COUNT, hWD, pInterrupt, WD_INTERRUPT_LAYOUT.size, false);
}

/** WD_IntWait: blocks until the next interrupt wake-up (or the interrupt stops: fStopped). */
export function WD_IntWait(hWD: number, pInterrupt: number): Promise<number> {
  return WD_FUNCTION("WD_IntWait", IOCTL_WD_INT_WAIT, hWD, pInterrupt, WD_INTERRUPT_LAYOUT.size, true);
}

// ---- WDC_ functions -------------------------------------------------------------------------

/** WDC_DriverOpen options. */
export const WDC_DRV_OPEN_BASIC = 0x0;
/** WDC_DRV_OPEN_CHECK_VER: check that the WinDriver version matches. */
export const WDC_DRV_OPEN_CHECK_VER = 0x1;
/** WDC_DRV_OPEN_REG_LIC: register the license. */
export const WDC_DRV_OPEN_REG_LIC = 0x2;
/** WDC_DRV_OPEN_ALL: both checks. */
export const WDC_DRV_OPEN_ALL = WDC_DRV_OPEN_CHECK_VER | WDC_DRV_OPEN_REG_LIC;
/** WDC_DRV_OPEN_DEFAULT: WDC_DRV_OPEN_ALL. */
export const WDC_DRV_OPEN_DEFAULT = WDC_DRV_OPEN_ALL;
/** WDC_DRV_OPEN_KP: the options a Kernel PlugIn opens with (no checks). */
export const WDC_DRV_OPEN_KP = WDC_DRV_OPEN_BASIC;

function wdcHandle(t: KThread): number {
  return (t.process.slots.get("windriver.wdc") as number | undefined) ?? INVALID_HANDLE_VALUE;
}

/** WDC_GetWDHandle: the handle WDC_DriverOpen opened (INVALID_HANDLE_VALUE before it). */
export function WDC_GetWDHandle(): number {
  return wdcHandle(caller("WDC_GetWDHandle"));
}

/**
 * WDC_DriverOpen: opens the library's handle to WinDriver (once per process:
 * WD_OPERATION_ALREADY_DONE after that); with WDC_DRV_OPEN_CHECK_VER the driver's version must be
 * at least the library's (WD_INCORRECT_VERSION). License registration (WDC_DRV_OPEN_REG_LIC) is
 * not modelled: the flag is accepted and nothing is registered.
 */
export async function WDC_DriverOpen(openOptions: number, _sLicense: string | null): Promise<number> {
  const t = caller("WDC_DriverOpen");
  if (wdcHandle(t) !== INVALID_HANDLE_VALUE) return WD_OPERATION_ALREADY_DONE;
  const h = await WD_Open();
  if (h === INVALID_HANDLE_VALUE) return WD_INVALID_HANDLE;
  t.process.slots.set("windriver.wdc", h);
  if (openOptions & WDC_DRV_OPEN_CHECK_VER) {
    const ver = HeapAlloc(GetProcessHeap(), HEAP_ZERO_MEMORY, WD_VERSION_LAYOUT.size);
    const status = ver === 0 ? WD_INSUFFICIENT_RESOURCES : await WD_Version(h, ver);
    const dwVer = ver === 0 ? 0 : readU32(ver + WD_VERSION_LAYOUT.dwVer);
    if (ver !== 0) HeapFree(GetProcessHeap(), 0, ver);
    if (status !== WD_STATUS_SUCCESS || dwVer < WD_VER) {
      await WDC_DriverClose();
      return status !== WD_STATUS_SUCCESS ? status : WD_INCORRECT_VERSION;
    }
  }
  return WD_STATUS_SUCCESS;
}

/** WDC_DriverClose: closes the library's handle. */
export async function WDC_DriverClose(): Promise<number> {
  const t = caller("WDC_DriverClose");
  const h = wdcHandle(t);
  if (h !== INVALID_HANDLE_VALUE) {
    t.process.slots.delete("windriver.wdc");
    await WD_Close(h);
  }
  return WD_STATUS_SUCCESS;
}

/**
 * WDC_SharedBufferAlloc(&pUser, &pKernel, size, options, &hBuf): a contiguous kernel buffer
 * (WD_DMALock with DMA_KERNEL_BUFFER_ALLOC | DMA_ALLOW_CACHE | DMA_ALLOW_NO_HCARD added to
 * `dwOptions`, no card) shared by the app (*ppUserAddr) and a Kernel PlugIn (*ppKernelAddr).
 * The handle is the library's WD_DMA. A NULL ppKernelAddr (or ppUserAddr or phBuf) is
 * WD_INVALID_PARAMETER; without WDC_DriverOpen the request never reaches the driver
 * (WD_WINDRIVER_STATUS_ERROR).
 */
export async function WDC_SharedBufferAlloc(ppUserAddr: number, ppKernelAddr: number, dwBufSize: number, dwOptions: number, phBuf: number): Promise<number> {
  const t = caller("WDC_SharedBufferAlloc");
  apiEnter(t, "WDC_SharedBufferAlloc", () => `${dwBufSize} bytes`);
  const done = (status: number): number => {
    apiReturn(t, "WDC_SharedBufferAlloc", wdStatusName(status), 0);
    return status;
  };
  if (ppKernelAddr === 0 || ppUserAddr === 0 || phBuf === 0) return done(WD_INVALID_PARAMETER);
  const pDma = HeapAlloc(GetProcessHeap(), HEAP_ZERO_MEMORY, SIZEOF_WD_DMA);
  if (pDma === 0) return done(WD_INSUFFICIENT_RESOURCES);
  writeU32(pDma + WD_DMA_LAYOUT.dwBytes, dwBufSize);
  writeU32(pDma + WD_DMA_LAYOUT.dwOptions, dwOptions | DMA_KERNEL_BUFFER_ALLOC | DMA_ALLOW_CACHE | DMA_ALLOW_NO_HCARD);
  const status = await WD_DMALock(wdcHandle(t), pDma);
  if (status !== WD_STATUS_SUCCESS) {
    HeapFree(GetProcessHeap(), 0, pDma);
    return done(status);
  }
  writeU32(ppUserAddr, readU32(pDma + WD_DMA_LAYOUT.pUserAddr));
  writeU32(phBuf, pDma);
  writeU32(ppKernelAddr, readU32(pDma + WD_DMA_LAYOUT.pKernelAddr));
  return done(WD_STATUS_SUCCESS);
}

/** WDC_SharedBufferFree(hBuf) = WDC_DMABufUnlock: WD_DMAUnlock, then the library's WD_DMA goes. NULL is WD_INVALID_PARAMETER. */
export async function WDC_SharedBufferFree(hBuf: number): Promise<number> {
  const t = caller("WDC_SharedBufferFree");
  if (hBuf === 0) return WD_INVALID_PARAMETER;
  let status: number = WD_STATUS_SUCCESS;
  if (readU32(hBuf + WD_DMA_LAYOUT.hDma) !== 0) status = await WD_DMAUnlock(wdcHandle(t), hBuf);
  HeapFree(GetProcessHeap(), 0, hBuf);
  return status;
}

export { Stat2Str } from "./constants.js";
