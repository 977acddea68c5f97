/**
 * The stream interface: the entry points a CE stream driver exports, named after its
 * three-letter prefix (SMD_Init, SMD_IOControl…), and the objects the device manager keeps for
 * a loaded device and for each open handle. Entry points may be async: they run at passive
 * level on the caller's thread and may wait.
 */
import type { MaybePromise } from "../kernel/objects.js";
import { KernelObject } from "../kernel/objects.js";
import type { KProcess } from "../kernel/process.js";

/** XXX_Init(pContext, lpvBusContext): the device context, 0 on failure. `pContext` is the device's active registry key. */
export type XXX_Init = (pContext: string, lpvBusContext: unknown) => MaybePromise<number>;
/** XXX_Deinit(hDeviceContext): TRUE on success. */
export type XXX_Deinit = (hDeviceContext: number) => MaybePromise<boolean>;
/** XXX_PreDeinit(hDeviceContext): the device is being removed; release waiting threads. */
export type XXX_PreDeinit = (hDeviceContext: number) => MaybePromise<boolean>;
/** XXX_Open(hDeviceContext, AccessCode, ShareMode): the open context, 0 on failure. */
export type XXX_Open = (hDeviceContext: number, AccessCode: number, ShareMode: number) => MaybePromise<number>;
/** XXX_PreClose(hOpenContext): the handle is closing; release threads blocked on it. */
export type XXX_PreClose = (hOpenContext: number) => MaybePromise<boolean>;
/** XXX_Close(hOpenContext): TRUE on success. */
export type XXX_Close = (hOpenContext: number) => MaybePromise<boolean>;
/** XXX_Read(hOpenContext, pBuffer, Count): bytes read, or (DWORD)-1. */
export type XXX_Read = (hOpenContext: number, pBuffer: number, Count: number) => MaybePromise<number>;
/** XXX_Write(hOpenContext, pBuffer, Count): bytes written, or (DWORD)-1. */
export type XXX_Write = (hOpenContext: number, pBuffer: number, Count: number) => MaybePromise<number>;
/** XXX_Seek(hOpenContext, Amount, Type): the new position, or (DWORD)-1. */
export type XXX_Seek = (hOpenContext: number, Amount: number, Type: number) => MaybePromise<number>;
/** XXX_IOControl(hOpenContext, dwCode, pBufIn, dwLenIn, pBufOut, dwLenOut, pdwActualOut): TRUE on success. */
export type XXX_IOControl = (hOpenContext: number, dwCode: number, pBufIn: number, dwLenIn: number, pBufOut: number, dwLenOut: number, pdwActualOut: number) => MaybePromise<boolean>;

/** The entry points the device manager found in a driver DLL. */
export interface StreamEntryPoints {
  readonly Init?: XXX_Init;
  readonly Deinit?: XXX_Deinit;
  readonly PreDeinit?: XXX_PreDeinit;
  readonly Open?: XXX_Open;
  readonly PreClose?: XXX_PreClose;
  readonly Close?: XXX_Close;
  readonly Read?: XXX_Read;
  readonly Write?: XXX_Write;
  readonly Seek?: XXX_Seek;
  readonly IOControl?: XXX_IOControl;
}

/** The names the device manager looks up, without the prefix. */
export const STREAM_ENTRY_NAMES = ["Init", "Deinit", "PreDeinit", "Open", "PreClose", "Close", "Read", "Write", "Seek", "IOControl"] as const;

/** A memory or I/O window from the device's registry key (MemBase/MemLen, IoBase/IoLen). */
export interface DeviceWindow {
  readonly base: number;
  readonly length: number;
  /** True when the window is in memory space (MemBase, or IoBase translated to memory). */
  readonly memorySpace: boolean;
  readonly source: "MemBase/MemLen" | "IoBase/IoLen";
}

/** A loaded stream device. */
export class CeDevice {
  /** Open handles (file objects) and calls in progress hold the device. */
  readonly files = new Set<CeDeviceFile>();
  inFlight = 0;
  state: "active" | "deactivating" | "gone" = "active";
  /** The device context XXX_Init returned. */
  context = 0;
  deinitDone = false;

  constructor(
    /** The device's registry key (Drivers\BuiltIn\SMD). */
    readonly key: string,
    /** Its active key (Drivers\Active\NN). */
    readonly activeKey: string,
    readonly dll: string,
    /** The three-letter prefix, or "" for an unnamed device. */
    readonly prefix: string,
    readonly index: number,
    /** "SMD1:" (index 0–9), or null. */
    readonly legacyName: string | null,
    /** "$device\SMD1", or null for an unnamed device. */
    readonly deviceName: string | null,
    readonly entries: StreamEntryPoints,
    /** True when the driver runs in a user-mode driver host behind the reflector. */
    readonly userMode: boolean,
    /** The udevice.exe process hosting it (user-mode drivers). */
    readonly host: KProcess | null,
    /** Memory windows from the registry (what the reflector will map for it). */
    readonly windows: readonly DeviceWindow[],
    /** The opaque handle ActivateDeviceEx returned. */
    readonly handle: number,
  ) {}

  /** The name traces use: the legacy name, else the $device name, else the key. */
  get label(): string {
    return this.legacyName ?? this.deviceName ?? this.key;
  }

  /** The entry point's exported name ("SMD_IOControl"). */
  entryName(entry: string): string {
    return this.prefix ? `${this.prefix}_${entry}` : entry;
  }
}

/** An open handle to a stream device (what CreateFile("SMD1:") returns a handle to). */
export class CeDeviceFile extends KernelObject {
  readonly objectType = "File";
  /** Calls in progress on this handle. */
  inFlight = 0;
  /** CloseHandle has run (XXX_PreClose called, XXX_Close pending or done). */
  closing = false;
  closed = false;
  /** Set when XXX_Close must run as the last call in progress returns. */
  closeDeferred = false;

  constructor(
    readonly device: CeDevice,
    /** The open context XXX_Open returned. */
    readonly openContext: number,
    readonly accessCode: number,
    readonly shareMode: number,
    /** Runs the device manager's close sequence (XXX_PreClose, XXX_Close). */
    private readonly onClose: (file: CeDeviceFile) => MaybePromise<void>,
  ) {
    super();
    this.objectName = `${device.label} open#${this.objectId}`;
  }

  override closeProcedure(info: { processHandleCount: number; systemHandleCount: number }): MaybePromise<void> {
    if (info.systemHandleCount > 0) return;
    return this.onClose(this);
  }
}
