/**
 * The generic driver's side of Kernel PlugIns: loading a KP image by name (KP_Init), opening it
 * (KP_Open), calling it (KP_Call) and closing it (KP_Close) for WD_KernelPlugInOpen / Call /
 * Close, in the caller's context at PASSIVE_LEVEL.
 */
import { currentMachine } from "../kernel/context.js";
import { ProbeForRead, readAnsiString } from "../kernel/api-rtl.js";
import { BugCheckCode } from "../kernel/bugcheck-codes.js";
import { KernelMode } from "../kernel/irql.js";
import type { Machine } from "../kernel/machine.js";
import type { MaybePromise } from "../kernel/objects.js";
import { DbgPrint } from "../kernel/debug-print.js";
import { WD_INVALID_HANDLE, WD_INVALID_PARAMETER, WD_KERPLUG_FAILURE, WD_MAX_KP_NAME_LENGTH, WD_STATUS_SUCCESS } from "./constants.js";
import type { LoadedKernelPlugIn, WD_DEVICE_EXTENSION, WdKernelPlugInHandle } from "./driver-state.js";
import { KP_INIT, KP_OPEN_CALL, WD_KERNEL_PLUGIN_CALL, type Out } from "./kernel-plugin.js";
import { installedKernelPlugIn } from "./kp-registry.js";
import { WD_KERNEL_PLUGIN_CALL_LAYOUT, WD_KERNEL_PLUGIN_LAYOUT } from "./layout.js";
import { captureHandle, captureStruct, isProbeFailure, writeBack, type WdRequest } from "./user-buffer.js";
import { disableInterrupt } from "./interrupts.js";

/**
 * Runs a Kernel PlugIn callback as the KP's own kernel code: its name is on the thread (a bug
 * check names the KP), and an exception escaping it is unhandled kernel-mode code — a bug check,
 * as on Windows, where the KP runs inside the generic driver with no handler around it.
 */
export function kpCallback<T>(m: Machine, kpName: string, routine: string, fn: () => MaybePromise<T>): MaybePromise<T> {
  const t = m.currentThread(routine);
  const irql = t.irql;
  const locks = t.heldLocks.length;
  const token = m.enterActivity("Kernel PlugIn", routine, kpName);
  const done = (v: T): T => {
    if (t.irql !== irql || t.heldLocks.length !== locks) {
      m.bugCheck(BugCheckCode.IRQL_UNEXPECTED_VALUE, t.irql, irql, 0, 0, {
        detail: `${routine} of Kernel PlugIn ${kpName} returned at IRQL ${t.irql}${t.heldLocks.length !== locks ? " holding a spin lock it acquired" : ""} (it was called at ${irql})`,
        driver: kpName,
      });
    }
    m.leaveActivity(token);
    return v;
  };
  let r: MaybePromise<T>;
  try {
    r = fn();
  } catch (e) {
    // Still inside the KP's activity, so the bug check names the KP and the callback.
    return m.unhandledKernelException(e, `${routine} of Kernel PlugIn ${kpName}`);
  }
  if (r instanceof Promise) {
    return r.then(done, (e: unknown) => m.unhandledKernelException(e, `${routine} of Kernel PlugIn ${kpName}`));
  }
  return done(r);
}

/** Loads a KP image (KP_Init runs once per image); null when it is missing, refuses, or misnames itself. */
function loadKernelPlugIn(m: Machine, ext: WD_DEVICE_EXTENSION, name: string): LoadedKernelPlugIn | null | Promise<LoadedKernelPlugIn | null> {
  const key = name.toLowerCase();
  const loaded = ext.loaded.get(key);
  if (loaded) return loaded;
  const image = installedKernelPlugIn(m, name);
  if (!image) {
    DbgPrint(`windrvr6: no Kernel PlugIn named ${name} is installed`);
    return null;
  }
  const init = new KP_INIT();
  const ok = kpCallback(m, image.name, "KP_Init", () => image.module.KP_Init(init));
  if (ok !== true) {
    DbgPrint(`windrvr6: KP_Init of ${image.name} refused to load`);
    return null;
  }
  if (init.cDriverName.toLowerCase() !== key || !init.funcOpen) {
    DbgPrint(`windrvr6: the Kernel PlugIn installed as ${image.name} calls itself "${init.cDriverName}"${init.funcOpen ? "" : " and gives no KP_Open"}: it cannot be opened under that name`);
    return null;
  }
  const kp: LoadedKernelPlugIn = { name: image.name, module: image.module, init };
  ext.loaded.set(key, kp);
  return kp;
}

/**
 * WD_KernelPlugInOpen: reads the KP name the app points at, loads the image, calls KP_Open with
 * pOpenData, and writes hKernelPlugIn back. A missing or misnamed KP, or KP_Open returning false,
 * is WD_KERPLUG_FAILURE; a bad structure or name pointer is WD_INVALID_PARAMETER.
 */
export async function kernelPlugInOpen(r: WdRequest): Promise<number> {
  const m = currentMachine("WD_KernelPlugInOpen");
  let name: string;
  let pOpenData: number;
  try {
    const s = captureStruct(r, r.pParam, WD_KERNEL_PLUGIN_LAYOUT.size);
    const pcDriverName = s.u32(WD_KERNEL_PLUGIN_LAYOUT.pcDriverName);
    pOpenData = s.u32(WD_KERNEL_PLUGIN_LAYOUT.pOpenData);
    if (pcDriverName === 0) return WD_INVALID_PARAMETER;
    if (r.mode !== KernelMode) ProbeForRead(pcDriverName, 1, 1);
    name = readAnsiString(pcDriverName, WD_MAX_KP_NAME_LENGTH);
  } catch (e) {
    if (isProbeFailure(e)) return WD_INVALID_PARAMETER;
    throw e;
  }
  if (name.length === 0) return WD_KERPLUG_FAILURE;
  const kp = await loadKernelPlugIn(m, r.ext, name);
  if (!kp) return WD_KERPLUG_FAILURE;
  const funcOpen = kp.init.funcOpen;
  if (!funcOpen) return WD_KERPLUG_FAILURE;
  const openCall = new KP_OPEN_CALL();
  const ppDrvContext: Out<unknown> = { value: null };
  // hWD: the kernel's handle for this open (WD_ calls from inside a KP are not modelled).
  const opened = await kpCallback(m, kp.name, "KP_Open", () => funcOpen(openCall, r.file.fileId, pOpenData, ppDrvContext));
  if (!opened) {
    DbgPrint(`windrvr6: KP_Open of ${kp.name} returned FALSE`);
    return WD_KERPLUG_FAILURE;
  }
  const handle: WdKernelPlugInHandle = { hKernelPlugIn: r.ext.newHandle(), owner: r.file, kp, openCall, pDrvContext: ppDrvContext.value };
  try {
    writeBack(r, r.pParam, WD_KERNEL_PLUGIN_LAYOUT.size, [[WD_KERNEL_PLUGIN_LAYOUT.hKernelPlugIn, handle.hKernelPlugIn]]);
  } catch (e) {
    if (!isProbeFailure(e)) throw e;
    // The app cannot learn the handle: undo the open.
    await closeKernelPlugIn(m, r.ext, handle);
    return WD_INVALID_PARAMETER;
  }
  r.ext.kps.set(handle.hKernelPlugIn, handle);
  r.file.kps.add(handle);
  return WD_STATUS_SUCCESS;
}

/**
 * WD_KernelPlugInCall: the KP's KP_Call runs synchronously, in the caller's context, on a kernel
 * copy of the WD_KERNEL_PLUGIN_CALL; its dwResult is written back. An unknown handle is
 * WD_INVALID_HANDLE; a KP without KP_Call is WD_KERPLUG_FAILURE.
 */
export async function kernelPlugInCall(r: WdRequest): Promise<number> {
  const m = currentMachine("WD_KernelPlugInCall");
  let call: WD_KERNEL_PLUGIN_CALL;
  try {
    const s = captureStruct(r, r.pParam, WD_KERNEL_PLUGIN_CALL_LAYOUT.size);
    call = new WD_KERNEL_PLUGIN_CALL(s.u32(WD_KERNEL_PLUGIN_CALL_LAYOUT.hKernelPlugIn), s.u32(WD_KERNEL_PLUGIN_CALL_LAYOUT.dwMessage), s.u32(WD_KERNEL_PLUGIN_CALL_LAYOUT.pData));
  } catch (e) {
    if (isProbeFailure(e)) return WD_INVALID_PARAMETER;
    throw e;
  }
  const handle = r.ext.kps.get(call.hKernelPlugIn);
  if (!handle || handle.owner.process !== r.file.process) return WD_INVALID_HANDLE;
  const funcCall = handle.openCall.funcCall;
  if (!funcCall) return WD_KERPLUG_FAILURE;
  await kpCallback(m, handle.kp.name, "KP_Call", () => funcCall(handle.pDrvContext, call));
  try {
    writeBack(r, r.pParam, WD_KERNEL_PLUGIN_CALL_LAYOUT.size, [[WD_KERNEL_PLUGIN_CALL_LAYOUT.dwResult, call.dwResult]]);
  } catch (e) {
    if (isProbeFailure(e)) return WD_INVALID_PARAMETER;
    throw e;
  }
  return WD_STATUS_SUCCESS;
}

/** WD_KernelPlugInClose: interrupts routed to the KP are disabled first, then KP_Close runs. */
export async function kernelPlugInClose(r: WdRequest): Promise<number> {
  const m = currentMachine("WD_KernelPlugInClose");
  const h = captureHandle(r, WD_KERNEL_PLUGIN_LAYOUT.size, WD_KERNEL_PLUGIN_LAYOUT.hKernelPlugIn);
  if (h === null) return WD_INVALID_PARAMETER;
  const handle = r.ext.kps.get(h);
  if (!handle || handle.owner.process !== r.file.process) return WD_INVALID_HANDLE;
  await closeKernelPlugIn(m, r.ext, handle);
  return WD_STATUS_SUCCESS;
}

/** Closes an open KP (WD_KernelPlugInClose and cleanup): its interrupts stop first, then KP_Close. */
export async function closeKernelPlugIn(m: Machine, ext: WD_DEVICE_EXTENSION, handle: WdKernelPlugInHandle): Promise<void> {
  for (const intr of ext.interrupts.values()) if (intr.enabled && intr.kp === handle) disableInterrupt(m, intr);
  ext.kps.delete(handle.hKernelPlugIn);
  handle.owner.kps.delete(handle);
  const funcClose = handle.openCall.funcClose;
  if (funcClose) await kpCallback(m, handle.kp.name, "KP_Close", () => funcClose(handle.pDrvContext));
}
