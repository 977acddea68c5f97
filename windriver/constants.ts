/**
 * WinDriver's constants, as windrvr.h defines them: status codes and Stat2Str, the IOCTL codes
 * the user-mode library sends to the generic driver, DMA options and interrupt flags.
 *
 * Sources (read, not copied): Jungo's windrvr.h of 2008 (v8–v10, driver name "windrvr6") and of
 * 2022 (v15), as found in public repositories. Values that both agree on are used as they are;
 * anything the emulator had to choose is marked "not confirmed" where it is defined.
 */
import { CTL_CODE, FILE_ANY_ACCESS, METHOD_NEITHER } from "../io-manager/constants.js";

// ---- Status codes (WD_ERROR_CODES) ----------------------------------------------------------

/** WinDriver status codes (a DWORD every WD_ call returns). Values from windrvr.h. */
export const WdStatus = {
  WD_STATUS_SUCCESS: 0x00000000,
  WD_STATUS_INVALID_WD_HANDLE: 0xffffffff,
  WD_WINDRIVER_STATUS_ERROR: 0x20000000,
  WD_INVALID_HANDLE: 0x20000001,
  WD_INVALID_PIPE_NUMBER: 0x20000002,
  WD_READ_WRITE_CONFLICT: 0x20000003,
  WD_ZERO_PACKET_SIZE: 0x20000004,
  WD_INSUFFICIENT_RESOURCES: 0x20000005,
  WD_UNKNOWN_PIPE_TYPE: 0x20000006,
  WD_SYSTEM_INTERNAL_ERROR: 0x20000007,
  WD_DATA_MISMATCH: 0x20000008,
  WD_NO_LICENSE: 0x20000009,
  WD_NOT_IMPLEMENTED: 0x2000000a,
  WD_KERPLUG_FAILURE: 0x2000000b,
  WD_FAILED_ENABLING_INTERRUPT: 0x2000000c,
  WD_INTERRUPT_NOT_ENABLED: 0x2000000d,
  WD_RESOURCE_OVERLAP: 0x2000000e,
  WD_DEVICE_NOT_FOUND: 0x2000000f,
  WD_WRONG_UNIQUE_ID: 0x20000010,
  WD_OPERATION_ALREADY_DONE: 0x20000011,
  WD_USB_DESCRIPTOR_ERROR: 0x20000012,
  WD_SET_CONFIGURATION_FAILED: 0x20000013,
  WD_CANT_OBTAIN_PDO: 0x20000014,
  WD_TIME_OUT_EXPIRED: 0x20000015,
  WD_IRP_CANCELED: 0x20000016,
  WD_FAILED_USER_MAPPING: 0x20000017,
  WD_FAILED_KERNEL_MAPPING: 0x20000018,
  WD_NO_RESOURCES_ON_DEVICE: 0x20000019,
  WD_NO_EVENTS: 0x2000001a,
  WD_INVALID_PARAMETER: 0x2000001b,
  WD_INCORRECT_VERSION: 0x2000001c,
  WD_TRY_AGAIN: 0x2000001d,
  WD_WINDRIVER_NOT_FOUND: 0x2000001e,
  WD_INVALID_IOCTL: 0x2000001f,
  WD_OPERATION_FAILED: 0x20000020,
  WD_INVALID_32BIT_APP: 0x20000021,
  WD_TOO_MANY_HANDLES: 0x20000022,
  WD_NO_DEVICE_OBJECT: 0x20000023,
} as const;

export const {
  WD_STATUS_SUCCESS,
  WD_STATUS_INVALID_WD_HANDLE,
  WD_WINDRIVER_STATUS_ERROR,
  WD_INVALID_HANDLE,
  WD_INSUFFICIENT_RESOURCES,
  WD_SYSTEM_INTERNAL_ERROR,
  WD_DATA_MISMATCH,
  WD_NOT_IMPLEMENTED,
  WD_KERPLUG_FAILURE,
  WD_FAILED_ENABLING_INTERRUPT,
  WD_INTERRUPT_NOT_ENABLED,
  WD_RESOURCE_OVERLAP,
  WD_DEVICE_NOT_FOUND,
  WD_OPERATION_ALREADY_DONE,
  WD_TIME_OUT_EXPIRED,
  WD_IRP_CANCELED,
  WD_FAILED_USER_MAPPING,
  WD_FAILED_KERNEL_MAPPING,
  WD_NO_RESOURCES_ON_DEVICE,
  WD_INVALID_PARAMETER,
  WD_INCORRECT_VERSION,
  WD_TRY_AGAIN,
  WD_INVALID_IOCTL,
  WD_OPERATION_FAILED,
  WD_TOO_MANY_HANDLES,
  WD_NO_DEVICE_OBJECT,
} = WdStatus;

const statusNames = new Map<number, string>(Object.entries(WdStatus).map(([k, v]) => [v, k]));

/** "WD_INVALID_PARAMETER" for 0x2000001B; a hex string for a value WinDriver does not define. */
export function wdStatusName(status: number): string {
  return statusNames.get(status >>> 0) ?? `0x${(status >>> 0).toString(16).toUpperCase().padStart(8, "0")}`;
}

/**
 * Our one-line description of each status, in the spirit of the manual's list (the wording is
 * ours, not Jungo's status_strings.c).
 */
const statusText: Record<number, string> = {
  [WdStatus.WD_STATUS_SUCCESS]: "Success",
  [WdStatus.WD_STATUS_INVALID_WD_HANDLE]: "Invalid WinDriver handle (the driver could not be opened)",
  [WdStatus.WD_WINDRIVER_STATUS_ERROR]: "WinDriver status error (the request never reached the driver)",
  [WdStatus.WD_INVALID_HANDLE]: "Invalid handle",
  [WdStatus.WD_INVALID_PIPE_NUMBER]: "Invalid pipe number",
  [WdStatus.WD_READ_WRITE_CONFLICT]: "Read/write direction conflicts with the pipe",
  [WdStatus.WD_ZERO_PACKET_SIZE]: "Maximum packet size is zero",
  [WdStatus.WD_INSUFFICIENT_RESOURCES]: "Insufficient resources",
  [WdStatus.WD_UNKNOWN_PIPE_TYPE]: "Unknown pipe type",
  [WdStatus.WD_SYSTEM_INTERNAL_ERROR]: "Internal system error",
  [WdStatus.WD_DATA_MISMATCH]: "Data mismatch (the structure size differs from the driver's)",
  [WdStatus.WD_NO_LICENSE]: "No license",
  [WdStatus.WD_NOT_IMPLEMENTED]: "Function not implemented",
  [WdStatus.WD_KERPLUG_FAILURE]: "Kernel PlugIn failure",
  [WdStatus.WD_FAILED_ENABLING_INTERRUPT]: "Failed enabling the interrupt",
  [WdStatus.WD_INTERRUPT_NOT_ENABLED]: "Interrupt not enabled",
  [WdStatus.WD_RESOURCE_OVERLAP]: "Resource overlap",
  [WdStatus.WD_DEVICE_NOT_FOUND]: "Device not found",
  [WdStatus.WD_WRONG_UNIQUE_ID]: "Wrong unique ID",
  [WdStatus.WD_OPERATION_ALREADY_DONE]: "Operation already done",
  [WdStatus.WD_USB_DESCRIPTOR_ERROR]: "USB descriptor error",
  [WdStatus.WD_SET_CONFIGURATION_FAILED]: "Set configuration failed",
  [WdStatus.WD_CANT_OBTAIN_PDO]: "Cannot obtain the PDO",
  [WdStatus.WD_TIME_OUT_EXPIRED]: "Timeout expired",
  [WdStatus.WD_IRP_CANCELED]: "Request cancelled",
  [WdStatus.WD_FAILED_USER_MAPPING]: "Failed to map memory into user space",
  [WdStatus.WD_FAILED_KERNEL_MAPPING]: "Failed to map memory into kernel space",
  [WdStatus.WD_NO_RESOURCES_ON_DEVICE]: "No resources on the device",
  [WdStatus.WD_NO_EVENTS]: "No events",
  [WdStatus.WD_INVALID_PARAMETER]: "Invalid parameter",
  [WdStatus.WD_INCORRECT_VERSION]: "Incorrect version",
  [WdStatus.WD_TRY_AGAIN]: "Try again",
  [WdStatus.WD_WINDRIVER_NOT_FOUND]: "WinDriver not found",
  [WdStatus.WD_INVALID_IOCTL]: "Invalid IOCTL",
  [WdStatus.WD_OPERATION_FAILED]: "Operation failed",
  [WdStatus.WD_INVALID_32BIT_APP]: "Invalid 32-bit application",
  [WdStatus.WD_TOO_MANY_HANDLES]: "Too many handles",
  [WdStatus.WD_NO_DEVICE_OBJECT]: "No device object",
};

/** Stat2Str: a status's description ("Invalid parameter"); "Unrecognized error code" for anything else. */
export function Stat2Str(dwStatus: number): string {
  return statusText[dwStatus >>> 0] ?? "Unrecognized error code";
}

// ---- The driver and its IOCTLs -------------------------------------------------------------

/** The driver's base name in the 2008 header (v6 through v11 kept it); "\\\\.\\windrvr6" from user mode. */
export const WD_DRIVER_NAME_BASE = "windrvr6";
/** WD_DEFAULT_DRIVER_NAME on Windows. */
export const WD_DRIVER_NAME = `\\\\.\\${WD_DRIVER_NAME_BASE}`;
/** WD_TYPE: the device type of every WinDriver IOCTL. */
export const WD_TYPE = 38200;

/** WD_CTL_CODE(wFuncNum): METHOD_NEITHER, FILE_ANY_ACCESS, device type 38200 (32-bit: no FUNC_MASK). */
export function WD_CTL_CODE(wFuncNum: number): number {
  return CTL_CODE(WD_TYPE, wFuncNum, METHOD_NEITHER, FILE_ANY_ACCESS);
}

/** WD_CTL_DECODE_FUNC. */
export function WD_CTL_DECODE_FUNC(IoControlCode: number): number {
  return (IoControlCode >>> 2) & 0xfff;
}

/** The IOCTL codes (function numbers from the 2008 header; the 2022 one keeps those used here). */
export const IOCTL_WD_DMA_LOCK = WD_CTL_CODE(0x9be);
export const IOCTL_WD_DMA_UNLOCK = WD_CTL_CODE(0x902);
export const IOCTL_WD_VERSION = WD_CTL_CODE(0x910);
export const IOCTL_WD_KERNEL_PLUGIN_OPEN = WD_CTL_CODE(0x91b);
export const IOCTL_WD_KERNEL_PLUGIN_CLOSE = WD_CTL_CODE(0x91c);
export const IOCTL_WD_KERNEL_PLUGIN_CALL = WD_CTL_CODE(0x91d);
export const IOCTL_WD_INT_ENABLE = WD_CTL_CODE(0x9b6);
export const IOCTL_WD_INT_DISABLE = WD_CTL_CODE(0x9bb);
export const IOCTL_WD_INT_COUNT = WD_CTL_CODE(0x9ba);
export const IOCTL_WD_INT_WAIT = WD_CTL_CODE(0x9b9);
/** IOCTL_WD_CARD_REGISTER / UNREGISTER (2008 numbers: 0x9bf and 0x92b; the 2022 header moved them). */
export const IOCTL_WD_CARD_REGISTER = WD_CTL_CODE(0x9bf);
export const IOCTL_WD_CARD_UNREGISTER = WD_CTL_CODE(0x92b);

/** The WD_ function each IOCTL stands for, for traces. */
export const wdFunctionNames = new Map<number, string>([
  [IOCTL_WD_DMA_LOCK, "WD_DMALock"],
  [IOCTL_WD_DMA_UNLOCK, "WD_DMAUnlock"],
  [IOCTL_WD_VERSION, "WD_Version"],
  [IOCTL_WD_KERNEL_PLUGIN_OPEN, "WD_KernelPlugInOpen"],
  [IOCTL_WD_KERNEL_PLUGIN_CLOSE, "WD_KernelPlugInClose"],
  [IOCTL_WD_KERNEL_PLUGIN_CALL, "WD_KernelPlugInCall"],
  [IOCTL_WD_INT_ENABLE, "WD_IntEnable"],
  [IOCTL_WD_INT_DISABLE, "WD_IntDisable"],
  [IOCTL_WD_INT_COUNT, "WD_IntCount"],
  [IOCTL_WD_INT_WAIT, "WD_IntWait"],
  [IOCTL_WD_CARD_REGISTER, "WD_CardRegister"],
  [IOCTL_WD_CARD_UNREGISTER, "WD_CardUnregister"],
]);

/**
 * The version the emulated driver reports (WD_VERSION.dwVer). Chosen: a v10.21-era driver still
 * named windrvr6; not a value read from a real driver.
 */
export const WD_VER = 1021;
export const WD_VER_STR = "WinDriver V10.21 (irpsim model of the generic driver)";

// ---- DMA ------------------------------------------------------------------------------------

/** WD_DMA_PAGES: Page[] entries in a WD_DMA without DMA_LARGE_BUFFER. */
export const WD_DMA_PAGES = 256;

/** WD_DMA_OPTIONS (windrvr.h). */
export const WdDmaOptions = {
  DMA_KERNEL_BUFFER_ALLOC: 0x1,
  DMA_KBUF_BELOW_16M: 0x2,
  DMA_LARGE_BUFFER: 0x4,
  DMA_ALLOW_CACHE: 0x8,
  DMA_KERNEL_ONLY_MAP: 0x10,
  DMA_FROM_DEVICE: 0x20,
  DMA_TO_DEVICE: 0x40,
  DMA_TO_FROM_DEVICE: 0x60,
  DMA_ALLOW_64BIT_ADDRESS: 0x80,
  DMA_ALLOW_NO_HCARD: 0x100,
} as const;
export const {
  DMA_KERNEL_BUFFER_ALLOC,
  DMA_KBUF_BELOW_16M,
  DMA_LARGE_BUFFER,
  DMA_ALLOW_CACHE,
  DMA_KERNEL_ONLY_MAP,
  DMA_FROM_DEVICE,
  DMA_TO_DEVICE,
  DMA_TO_FROM_DEVICE,
  DMA_ALLOW_64BIT_ADDRESS,
  DMA_ALLOW_NO_HCARD,
} = WdDmaOptions;

// ---- Interrupts and cards -------------------------------------------------------------------

/** WD_INTERRUPT.dwOptions / ITEM_INTERRUPT options. */
export const INTERRUPT_LATCHED = 0x00;
export const INTERRUPT_LEVEL_SENSITIVE = 0x01;
export const INTERRUPT_CMD_COPY = 0x02;

/** WD_INTERRUPT_WAIT_RESULT (WD_INTERRUPT.fStopped after WD_IntWait). */
export const INTERRUPT_RECEIVED = 0;
export const INTERRUPT_STOPPED = 1;
export const INTERRUPT_INTERRUPTED = 2;

/** ITEM_TYPE for WD_ITEMS.item. */
export const ITEM_NONE = 0;
export const ITEM_INTERRUPT = 1;
export const ITEM_MEMORY = 2;
export const ITEM_IO = 3;
export const ITEM_BUS = 5;

/** WD_CARD_ITEMS: items in a WD_CARD (2008 header: 20). */
export const WD_CARD_ITEMS = 20;

/** WD_MAX_KP_NAME_LENGTH: the longest Kernel PlugIn name the driver reads. */
export const WD_MAX_KP_NAME_LENGTH = 128;
