/**
 * windrvr6: the generic driver a WinDriver app reaches through \\.\windrvr6.
 *
 * Every WD_ function is one METHOD_NEITHER IOCTL (device type 38200, FILE_ANY_ACCESS): the input
 * pointer is the WD_ structure in the app's memory, and the 4-byte output buffer receives the
 * WinDriver status. The I/O manager copies and probes nothing for METHOD_NEITHER, so this driver
 * probes and copies every structure itself, in the caller's context (its dispatch routine runs in
 * the app's thread), and a bad pointer gets WD_INVALID_PARAMETER instead of a crash. The IRP
 * itself completes with STATUS_SUCCESS whenever the status word could be written.
 *
 * What one open owns (DMA buffers, open Kernel PlugIns, registered cards and the interrupts it
 * enabled) is released by IRP_MJ_CLEANUP, so an app that dies leaves nothing mapped, locked or
 * connected.
 */
import {
  DEVICE_OBJECT,
  DEVICE_TYPE_FROM_CTL_CODE,
  DRIVER_OBJECT,
  FILE_DEVICE_UNKNOWN,
  IO_NO_INCREMENT,
  IRP_MJ_CLEANUP,
  IRP_MJ_CLOSE,
  IRP_MJ_CREATE,
  IRP_MJ_DEVICE_CONTROL,
  IoCompleteRequest,
  IoCreateDevice,
  IoCreateSymbolicLink,
  IoDeleteDevice,
  IoDeleteSymbolicLink,
  IoGetCurrentIrpStackLocation,
  METHOD_FROM_CTL_CODE,
  METHOD_NEITHER,
  NT_SUCCESS,
  NtStatusError,
  PsGetCurrentProcess,
  STATUS_INVALID_DEVICE_REQUEST,
  STATUS_INVALID_PARAMETER,
  STATUS_SUCCESS,
  ProbeForWrite,
  UserMode,
  writeU32,
  type DRIVER_DISPATCH,
  type IRP,
  type NTSTATUS,
} from "../wdm.js";
import { currentMachine } from "../kernel/context.js";
import type { MaybePromise } from "../kernel/objects.js";
import {
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
  WD_DRIVER_NAME_BASE,
  WD_INVALID_IOCTL,
  WD_INVALID_PARAMETER,
  WD_STATUS_SUCCESS,
  WD_TYPE,
  WD_VER,
  WD_VER_STR,
  wdFunctionNames,
  wdStatusName,
} from "./constants.js";
import { WD_DEVICE_EXTENSION, WdFileContext } from "./driver-state.js";
import { dmaLock, dmaUnlock, freeDmaBuffer } from "./dma.js";
import { cardRegister, cardUnregister, disableInterrupt, intCount, intDisable, intEnable, intWait, unregisterCard } from "./interrupts.js";
import { closeKernelPlugIn, kernelPlugInCall, kernelPlugInClose, kernelPlugInOpen } from "./kp-calls.js";
import { WD_VERSION_LAYOUT } from "./layout.js";
import { isProbeFailure, writeBack, type WdRequest } from "./user-buffer.js";

declare module "../kernel/trace.js" {
  interface TraceEventMap {
    /** A WinDriver API call (WD_*, WDC_*) returned `status`. */
    WinDriverCall: { /** The function's name. */ function: string; status: number; statusName: string };
  }
}

/** \Device\windrvr6 and its \DosDevices link. */
export const WD_DEVICE_NAME = `\\Device\\${WD_DRIVER_NAME_BASE}`;
export const WD_SYMBOLIC_LINK = `\\DosDevices\\${WD_DRIVER_NAME_BASE}`;

function extensionOf(DeviceObject: DEVICE_OBJECT): WD_DEVICE_EXTENSION {
  return DeviceObject.DeviceExtension as WD_DEVICE_EXTENSION;
}

function complete(Irp: IRP, status: NTSTATUS, information: number): NTSTATUS {
  Irp.IoStatus.Status = status;
  Irp.IoStatus.Information = information;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
  return status;
}

/** WD_Version: the driver's version number and string. */
function version(r: WdRequest): number {
  try {
    const bytes = new TextEncoder().encode(WD_VER_STR.slice(0, 127));
    writeBack(r, r.pParam, WD_VERSION_LAYOUT.size, [[WD_VERSION_LAYOUT.dwVer, WD_VER]]);
    for (let i = 0; i <= bytes.length; i += 4) {
      let word = 0;
      for (let k = 0; k < 4; k++) word |= (bytes[i + k] ?? 0) << (8 * k);
      writeU32(r.pParam + WD_VERSION_LAYOUT.cVer + i, word);
    }
    return WD_STATUS_SUCCESS;
  } catch (e) {
    if (isProbeFailure(e)) return WD_INVALID_PARAMETER;
    throw e;
  }
}

/** The WD_ function behind an IOCTL code. */
function serve(code: number, r: WdRequest): MaybePromise<number> {
  switch (code) {
    case IOCTL_WD_VERSION:
      return version(r);
    case IOCTL_WD_DMA_LOCK:
      return dmaLock(r);
    case IOCTL_WD_DMA_UNLOCK:
      return dmaUnlock(r);
    case IOCTL_WD_KERNEL_PLUGIN_OPEN:
      return kernelPlugInOpen(r);
    case IOCTL_WD_KERNEL_PLUGIN_CALL:
      return kernelPlugInCall(r);
    case IOCTL_WD_KERNEL_PLUGIN_CLOSE:
      return kernelPlugInClose(r);
    case IOCTL_WD_CARD_REGISTER:
      return cardRegister(r);
    case IOCTL_WD_CARD_UNREGISTER:
      return cardUnregister(r);
    case IOCTL_WD_INT_ENABLE:
      return intEnable(r);
    case IOCTL_WD_INT_DISABLE:
      return intDisable(r);
    case IOCTL_WD_INT_WAIT:
      return intWait(r);
    case IOCTL_WD_INT_COUNT:
      return intCount(r);
    default:
      return WD_INVALID_IOCTL;
  }
}

/**
 * IRP_MJ_DEVICE_CONTROL: checks the code is a WinDriver METHOD_NEITHER IOCTL and that the
 * status word can be written (probed in the caller's context), serves the WD_ function, writes
 * its status and completes the IRP with STATUS_SUCCESS.
 *
 * @returns STATUS_SUCCESS, or the status that kept the request from reaching the function.
 */
const WdDeviceControl: DRIVER_DISPATCH = function WdDeviceControl(DeviceObject, Irp) {
  const stack = IoGetCurrentIrpStackLocation(Irp);
  const params = stack.Parameters.DeviceIoControl;
  const code = params.IoControlCode;
  if (DEVICE_TYPE_FROM_CTL_CODE(code) !== WD_TYPE || METHOD_FROM_CTL_CODE(code) !== METHOD_NEITHER) return complete(Irp, STATUS_INVALID_DEVICE_REQUEST, 0);
  const statusWord = Irp.UserBuffer;
  if (statusWord === 0 || params.OutputBufferLength < 4) return complete(Irp, STATUS_INVALID_PARAMETER, 0);
  try {
    if (Irp.RequestorMode === UserMode) ProbeForWrite(statusWord, 4, 4);
  } catch (e) {
    if (e instanceof NtStatusError) return complete(Irp, e.status, 0);
    throw e;
  }
  const file = stack.FileObject?.FsContext;
  if (!(file instanceof WdFileContext)) return complete(Irp, STATUS_INVALID_DEVICE_REQUEST, 0);
  const r: WdRequest = { device: DeviceObject, ext: extensionOf(DeviceObject), file, pParam: params.Type3InputBuffer, dwSize: params.InputBufferLength, mode: Irp.RequestorMode };
  const finish = (wdStatus: number): NTSTATUS => {
    const m = currentMachine("WdDeviceControl");
    if (m.trace.on) m.trace.emit("WinDriverCall", { function: wdFunctionNames.get(code) ?? `IOCTL 0x${code.toString(16)}`, status: wdStatus >>> 0, statusName: wdStatusName(wdStatus) });
    try {
      writeU32(statusWord, wdStatus >>> 0);
    } catch (e) {
      // The app freed or protected its status word while the call ran.
      if (e instanceof NtStatusError) return complete(Irp, e.status, 0);
      throw e;
    }
    return complete(Irp, STATUS_SUCCESS, 4);
  };
  const served = serve(code, r);
  return served instanceof Promise ? served.then(finish) : finish(served);
};

/**
 * IRP_MJ_CREATE: a new open gets the context that records what it will own.
 *
 * @returns STATUS_SUCCESS.
 */
const WdCreate: DRIVER_DISPATCH = function WdCreate(_DeviceObject, Irp) {
  const stack = IoGetCurrentIrpStackLocation(Irp);
  const fo = stack.FileObject;
  if (fo) fo.FsContext = new WdFileContext(fo.fileId, PsGetCurrentProcess());
  return complete(Irp, STATUS_SUCCESS, 0);
};

/**
 * IRP_MJ_CLEANUP: the app's last handle to this open is closed (or the app died): its interrupts
 * stop, its Kernel PlugIns close, its DMA buffers are unmapped and freed or unlocked, and its
 * cards are unregistered — in the closing thread's context, where the user mappings still exist.
 *
 * @returns STATUS_SUCCESS.
 */
const WdCleanup: DRIVER_DISPATCH = async function WdCleanup(DeviceObject, Irp) {
  const file = IoGetCurrentIrpStackLocation(Irp).FileObject?.FsContext;
  if (file instanceof WdFileContext) await releaseFile(extensionOf(DeviceObject), file);
  return complete(Irp, STATUS_SUCCESS, 0);
};

/** Releases everything an open owns: interrupts it enabled, its KPs, DMA buffers and cards. */
async function releaseFile(ext: WD_DEVICE_EXTENSION, file: WdFileContext): Promise<void> {
  const m = currentMachine("WdCleanup");
  for (const intr of ext.interrupts.values()) if (intr.enabledBy === file) disableInterrupt(m, intr);
  for (const kp of [...file.kps]) await closeKernelPlugIn(m, ext, kp);
  for (const buffer of [...file.dma]) freeDmaBuffer(m, ext, buffer);
  for (const card of [...file.cards]) unregisterCard(m, ext, card);
}

/**
 * IRP_MJ_CLOSE: the open's last reference is gone. A request still running when IRP_MJ_CLEANUP
 * came (another thread closed the handle meanwhile) may have added to what the open owns: that
 * is released here.
 *
 * @returns STATUS_SUCCESS.
 */
const WdClose: DRIVER_DISPATCH = async function WdClose(DeviceObject, Irp) {
  const fo = IoGetCurrentIrpStackLocation(Irp).FileObject;
  const file = fo?.FsContext;
  if (file instanceof WdFileContext) await releaseFile(extensionOf(DeviceObject), file);
  if (fo) fo.FsContext = null;
  return complete(Irp, STATUS_SUCCESS, 0);
};

/**
 * DriverUnload: removes the link and the device (every open has been cleaned up by then).
 *
 * @param DriverObject this driver.
 */
function WdUnload(DriverObject: DRIVER_OBJECT): void {
  IoDeleteSymbolicLink(WD_SYMBOLIC_LINK);
  if (DriverObject.DeviceObject) IoDeleteDevice(DriverObject.DeviceObject);
}

/**
 * DriverEntry: creates \Device\windrvr6 and \DosDevices\windrvr6 and sets the dispatch table.
 *
 * @param DriverObject this driver.
 * @returns STATUS_SUCCESS, or why the device could not be created.
 */
export function WdDriverEntry(DriverObject: DRIVER_OBJECT): NTSTATUS {
  const ext = new WD_DEVICE_EXTENSION();
  const { status, DeviceObject } = IoCreateDevice(DriverObject, ext, WD_DEVICE_NAME, FILE_DEVICE_UNKNOWN, 0, false);
  if (!NT_SUCCESS(status) || !DeviceObject) return status;
  const linked = IoCreateSymbolicLink(WD_SYMBOLIC_LINK, WD_DEVICE_NAME);
  if (!NT_SUCCESS(linked)) {
    IoDeleteDevice(DeviceObject);
    return linked;
  }
  DriverObject.MajorFunction[IRP_MJ_CREATE] = WdCreate;
  DriverObject.MajorFunction[IRP_MJ_CLOSE] = WdClose;
  DriverObject.MajorFunction[IRP_MJ_CLEANUP] = WdCleanup;
  DriverObject.MajorFunction[IRP_MJ_DEVICE_CONTROL] = WdDeviceControl;
  DriverObject.DriverUnload = WdUnload;
  return STATUS_SUCCESS;
}

/** The device extension of a loaded windrvr6 (for tests and reports). */
export function windriverState(DriverObject: DRIVER_OBJECT): WD_DEVICE_EXTENSION | null {
  const d = DriverObject.DeviceObject;
  return d ? extensionOf(d) : null;
}
