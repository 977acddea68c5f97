/**
 * The device manager, inside nk.exe as in CE 6.0: it loads stream drivers from their registry
 * keys (ActivateDeviceEx), names them ("SMD1:", "$device\SMD1"), opens them for CreateFile, and
 * calls their entry points on the caller's thread — which migrates into nk.exe (a kernel-mode
 * driver) or into udevice.exe through the reflector (a user-mode driver). Its rules are those of
 * CE's devcore: Init and Deinit are required; a named device also needs Open, Close and one of
 * Read/Write/Seek/IOControl; a driver with PreClose must have PreDeinit (ERROR_INVALID_FUNCTION
 * otherwise); a name already taken is ERROR_DEVICE_IN_USE; an Init returning 0 is
 * ERROR_OPEN_FAILED. Closing a handle calls XXX_PreClose, then XXX_Close once no call on the
 * handle is still running (at once when the driver has no PreClose); deactivating calls
 * XXX_PreDeinit, then XXX_Deinit once no handle and no call holds the device (at once without
 * PreDeinit).
 */
import { NtStatusError } from "../kernel/nt-status-error.js";
import { STATUS_NO_MEMORY } from "../kernel/status.js";
import type { KThread } from "../kernel/thread.js";
import type { CeMachine } from "./ce-machine.js";
import { popFrame, pushFrame } from "./ce-thread.js";
import {
  ceErrorName,
  DEVFLAGS_LOAD_AS_USERPROC,
  DEVFLAGS_NAKEDENTRIES,
  DEVLOAD_DLLNAME_VALNAME,
  DEVLOAD_FLAGS_VALNAME,
  DEVLOAD_INDEX_VALNAME,
  DEVLOAD_IOBASE_VALNAME,
  DEVLOAD_IOLEN_VALNAME,
  DEVLOAD_MEMBASE_VALNAME,
  DEVLOAD_MEMLEN_VALNAME,
  DEVLOAD_PREFIX_VALNAME,
  ERROR_DEVICE_IN_USE,
  ERROR_FILE_NOT_FOUND,
  ERROR_INVALID_FUNCTION,
  ERROR_INVALID_HANDLE,
  ERROR_INVALID_PARAMETER,
  ERROR_NOT_ENOUGH_MEMORY,
  ERROR_NOT_SUPPORTED,
  ERROR_OPEN_FAILED,
} from "./constants.js";
import { CeImageStore } from "./images.js";
import { CeDevice, CeDeviceFile, STREAM_ENTRY_NAMES, type DeviceWindow, type StreamEntryPoints } from "./stream-interface.js";

/** A pointer argument the reflector must marshal into a user-mode driver's address space. */
export interface BufferArgument {
  /** Index of the pointer in the entry point's arguments. */
  readonly arg: number;
  readonly size: number;
  readonly input: boolean;
  readonly output: boolean;
}

/** (DWORD)-1: Read/Write/Seek's failure value. */
const DWORD_FAIL = 0xffffffff;

type AnyEntry = (...args: unknown[]) => unknown;

/** The error a failed call reports for an exception: out of memory for the reflector's copies, else ERROR_INVALID_PARAMETER. */
function faultError(e: NtStatusError): number {
  return e.status === STATUS_NO_MEMORY ? ERROR_NOT_ENOUGH_MEMORY : ERROR_INVALID_PARAMETER;
}

/** True when a device being deactivated holds nothing any more (its Deinit may run). */
function releasable(device: CeDevice): boolean {
  return device.state === "deactivating" && device.files.size === 0 && device.inFlight === 0;
}

/** The device manager of one CE machine. */
export class DeviceManager {
  private readonly devices: CeDevice[] = [];
  private nextActiveId = 1;
  private nextHandle = 1;

  constructor(private readonly ce: CeMachine) {}

  /** Every device that is active or still being removed. */
  list(): readonly CeDevice[] {
    return this.devices;
  }

  /**
   * The active device a CreateFile name refers to: "SMD1:" (legacy), "\$device\SMD1" or
   * "$device\SMD1", case-insensitive.
   */
  findByName(name: string): CeDevice | undefined {
    const n = name.toLowerCase().replace(/^\\/, "");
    return this.devices.find((d) => d.state === "active" && (d.legacyName?.toLowerCase() === n || d.deviceName?.toLowerCase() === n));
  }

  /** The device ActivateDeviceEx returned `handle` for. */
  byHandle(handle: number): CeDevice | undefined {
    return this.devices.find((d) => d.handle === handle >>> 0);
  }

  private nameTaken(legacy: string | null, device: string | null): boolean {
    return this.devices.some(
      (d) => d.state === "active" && ((legacy !== null && d.legacyName?.toLowerCase() === legacy.toLowerCase()) || (device !== null && d.deviceName?.toLowerCase() === device.toLowerCase())),
    );
  }

  /** Memory windows from a device key: MemBase/MemLen, and IoBase/IoLen (memory space when the bus translates I/O to memory). */
  private windowsOf(key: string): DeviceWindow[] {
    const reg = this.ce.registry;
    const out: DeviceWindow[] = [];
    const pairs: [string, string, "MemBase/MemLen" | "IoBase/IoLen", boolean][] = [
      [DEVLOAD_MEMBASE_VALNAME, DEVLOAD_MEMLEN_VALNAME, "MemBase/MemLen", true],
      [DEVLOAD_IOBASE_VALNAME, DEVLOAD_IOLEN_VALNAME, "IoBase/IoLen", this.ce.ioWindowsAreMemory],
    ];
    for (const [baseName, lenName, source, memorySpace] of pairs) {
      const bases = reg.numberList(key, baseName);
      const lens = reg.numberList(key, lenName);
      // Single values, or multi-string lists of equal length; anything else gives no window.
      if (!bases || !lens || bases.length !== lens.length) continue;
      bases.forEach((base, i) => {
        const length = lens[i] ?? 0;
        if (length > 0) out.push({ base, length, memorySpace, source });
      });
    }
    return out;
  }

  /** Looks up the stream entry points in a DLL's exports (prefix-decorated unless naked). */
  private entryPoints(exports: Parameters<typeof CeImageStore.procAddress>[0], prefix: string, naked: boolean): StreamEntryPoints {
    const found: Record<string, ((...args: never[]) => unknown) | undefined> = {};
    for (const e of STREAM_ENTRY_NAMES) found[e] = CeImageStore.procAddress(exports, naked || !prefix ? e : `${prefix}_${e}`);
    // The export table is untyped, as GetProcAddress's result is: the entry types are the contract.
    return found;
  }

  /**
   * ActivateDeviceEx: loads the driver a registry key describes (Dll, Prefix, Index, Flags,
   * windows), checks its entry points, names it and runs its Init on the calling thread.
   */
  async activate(t: KThread, keyPath: string, lpvParam: unknown): Promise<{ handle: number; error: number }> {
    const ce = this.ce;
    const reg = ce.registry;
    const m = ce.machine;
    const failed = (error: number, device = keyPath, dll = ""): { handle: number; error: number } => {
      if (m.trace.on) m.trace.emit("CeDeviceActivated", { device, key: keyPath, dll, userMode: false, error, errorName: ceErrorName(error) });
      return { handle: 0, error };
    };
    if (!reg.hasKey(keyPath)) return failed(ERROR_FILE_NOT_FOUND);
    const dll = reg.string(keyPath, DEVLOAD_DLLNAME_VALNAME);
    if (!dll) return failed(ERROR_INVALID_PARAMETER);
    const prefix = reg.string(keyPath, DEVLOAD_PREFIX_VALNAME) ?? "";
    if (prefix !== "" && !/^[A-Za-z0-9]{3}$/.test(prefix)) return failed(ERROR_INVALID_PARAMETER, keyPath, dll);
    const flags = reg.dword(keyPath, DEVLOAD_FLAGS_VALNAME) ?? 0;
    const image = ce.images.find(dll);
    if (!image) return failed(ERROR_FILE_NOT_FOUND, keyPath, dll);

    // Names: the registry's Index, or the first free index from 1 (then 0).
    let index = reg.dword(keyPath, DEVLOAD_INDEX_VALNAME);
    const upper = prefix.toUpperCase();
    const names = (i: number): [string | null, string | null] => (prefix ? [i <= 9 ? `${upper}${i}:` : null, `$device\\${upper}${i}`] : [null, null]);
    if (prefix && index === undefined) index = [1, 2, 3, 4, 5, 6, 7, 8, 9, 0].find((i) => !this.nameTaken(...names(i)));
    if (prefix && index === undefined) return failed(ERROR_DEVICE_IN_USE, `${upper}?:`, dll);
    const idx = index ?? 0;
    const [legacyName, deviceName] = names(idx);
    const label = legacyName ?? deviceName ?? keyPath;

    const entries = this.entryPoints(image.exports, prefix, (flags & DEVFLAGS_NAKEDENTRIES) !== 0);
    const named = deviceName !== null;
    const io = entries.Read || entries.Write || entries.Seek || entries.IOControl;
    if (!entries.Init || !entries.Deinit || (named && (!entries.Open || !entries.Close || !io || (entries.PreClose && !entries.PreDeinit)))) {
      return failed(ERROR_INVALID_FUNCTION, label, dll);
    }
    if (this.nameTaken(legacyName, deviceName)) return failed(ERROR_DEVICE_IN_USE, label, dll);

    const userMode = (flags & DEVFLAGS_LOAD_AS_USERPROC) !== 0;
    const host = userMode ? ce.reflector.host() : null;
    const activeKey = `Drivers\\Active\\${String(this.nextActiveId++).padStart(2, "0")}`;
    const handle = (0xde000000 | this.nextHandle++) >>> 0;
    const device = new CeDevice(keyPath, activeKey, dll, upper, idx, legacyName, deviceName, entries, userMode, host, this.windowsOf(keyPath), handle);
    reg.setKey(activeKey, { Key: keyPath, ...(deviceName ? { Name: legacyName ?? deviceName } : {}), Hnd: handle });
    this.devices.push(device);

    let context = 0;
    let error = 0;
    try {
      context = ((await this.invoke(t, device, "Init", [activeKey, lpvParam], false, `pContext "${activeKey}"`)) as number) >>> 0;
      if (context === 0) error = ERROR_OPEN_FAILED;
    } catch (e) {
      if (!(e instanceof NtStatusError)) throw e;
      error = ERROR_INVALID_PARAMETER;
    }
    if (error) {
      this.devices.splice(this.devices.indexOf(device), 1);
      reg.deleteKey(activeKey);
      device.state = "gone";
      if (host) ce.reflector.release(device);
      return failed(error, label, dll);
    }
    device.context = context;
    if (m.trace.on) m.trace.emit("CeDeviceActivated", { device: label, key: keyPath, dll, userMode, error: 0, errorName: "" });
    return { handle, error: 0 };
  }

  /** DeactivateDevice: XXX_PreDeinit now, XXX_Deinit once nothing holds the device (at once without PreDeinit). */
  async deactivate(t: KThread, handle: number): Promise<number> {
    const device = this.byHandle(handle);
    if (!device || device.state !== "active") return ERROR_INVALID_PARAMETER;
    device.state = "deactivating";
    const m = this.ce.machine;
    if (m.trace.on) m.trace.emit("CeDeviceDeactivated", { device: device.label });
    if (device.entries.PreDeinit) {
      await this.guarded(t, device, "PreDeinit", [device.context], false);
      if (device.files.size === 0 && device.inFlight === 0) await this.deinit(t, device);
    } else {
      await this.deinit(t, device);
    }
    return 0;
  }

  private async deinit(t: KThread, device: CeDevice): Promise<void> {
    if (device.deinitDone) return;
    device.deinitDone = true;
    await this.guarded(t, device, "Deinit", [device.context], false);
    device.state = "gone";
    this.devices.splice(this.devices.indexOf(device), 1);
    this.ce.registry.deleteKey(device.activeKey);
    if (device.userMode) this.ce.reflector.release(device);
  }

  /** Runs an entry point whose failure the device manager only notes (PreDeinit, Deinit, PreClose, Close). */
  private async guarded(t: KThread, device: CeDevice, entry: keyof StreamEntryPoints, args: unknown[], fromUser: boolean): Promise<void> {
    try {
      await this.invoke(t, device, entry, args, fromUser, "");
    } catch (e) {
      if (!(e instanceof NtStatusError)) throw e;
    }
  }

  /** CreateFile on a device name: XXX_Open, then a handle in the caller's process. */
  async open(t: KThread, name: string, access: number, share: number, fromUser: boolean): Promise<{ file: CeDeviceFile | null; error: number }> {
    const device = this.findByName(name);
    if (!device) return { file: null, error: ERROR_FILE_NOT_FOUND };
    const before = t.lastError;
    t.lastError = 0;
    let context: number;
    try {
      context = ((await this.invoke(t, device, "Open", [device.context, access >>> 0, share >>> 0], fromUser, `AccessCode 0x${(access >>> 0).toString(16)}`)) as number) >>> 0;
    } catch (e) {
      if (!(e instanceof NtStatusError)) throw e;
      return { file: null, error: ERROR_INVALID_PARAMETER };
    }
    if (context === 0) {
      const error = t.lastError || ERROR_OPEN_FAILED;
      t.lastError = before;
      return { file: null, error };
    }
    t.lastError = before;
    const file = new CeDeviceFile(device, context, access >>> 0, share >>> 0, (f) => this.closeFile(f));
    device.files.add(file);
    return { file, error: 0 };
  }

  /** Closing the last handle: XXX_PreClose, then XXX_Close once no call on the handle runs (at once without PreClose). */
  private async closeFile(file: CeDeviceFile): Promise<void> {
    if (file.closing) return;
    file.closing = true;
    const device = file.device;
    if (device.state === "gone") return;
    const t = this.ce.machine.currentThread("CloseHandle");
    if (device.entries.PreClose) {
      await this.guarded(t, device, "PreClose", [file.openContext], false);
      if (file.inFlight > 0) {
        file.closeDeferred = true;
        return;
      }
    }
    await this.finishClose(t, file);
  }

  private async finishClose(t: KThread, file: CeDeviceFile): Promise<void> {
    if (file.closed) return;
    file.closed = true;
    const device = file.device;
    await this.guarded(t, device, "Close", [file.openContext], false);
    device.files.delete(file);
    if (releasable(device)) await this.deinit(t, device);
  }

  /** Runs a call on an open handle, with the handle held for its duration. */
  private async onFile<T>(t: KThread, file: CeDeviceFile, fn: () => Promise<T>, failed: T): Promise<T> {
    const device = file.device;
    if (file.closing || device.state !== "active") {
      t.lastError = ERROR_INVALID_HANDLE;
      return failed;
    }
    file.inFlight++;
    try {
      return await fn();
    } finally {
      file.inFlight--;
      if (file.inFlight === 0 && file.closeDeferred) await this.finishClose(t, file);
      else if (releasable(device)) await this.deinit(t, device);
    }
  }

  /** DeviceIoControl: XXX_IOControl with the caller's buffers (marshalled for a user-mode driver). */
  ioControl(t: KThread, file: CeDeviceFile, code: number, pIn: number, nIn: number, pOut: number, nOut: number, pBytes: number, fromUser: boolean): Promise<boolean> {
    return this.onFile(
      t,
      file,
      async () => {
        const device = file.device;
        if (!device.entries.IOControl) {
          t.lastError = ERROR_NOT_SUPPORTED;
          return false;
        }
        const buffers: BufferArgument[] = [
          { arg: 2, size: nIn, input: true, output: false },
          { arg: 4, size: nOut, input: false, output: true },
          { arg: 6, size: 4, input: false, output: true },
        ];
        try {
          const r = await this.invoke(t, device, "IOControl", [file.openContext, code >>> 0, pIn, nIn, pOut, nOut, pBytes], fromUser, `dwCode 0x${(code >>> 0).toString(16).toUpperCase()}`, buffers);
          return r === true;
        } catch (e) {
          if (!(e instanceof NtStatusError)) throw e;
          // The device manager's __except: a fault in the driver fails the call.
          t.lastError = faultError(e);
          return false;
        }
      },
      false,
    );
  }

  /** ReadFile / WriteFile: XXX_Read / XXX_Write; (DWORD)-1 is failure. */
  transfer(t: KThread, file: CeDeviceFile, entry: "Read" | "Write", pBuffer: number, count: number, fromUser: boolean): Promise<number> {
    return this.onFile(
      t,
      file,
      async () => {
        const device = file.device;
        if (!device.entries[entry]) {
          t.lastError = ERROR_NOT_SUPPORTED;
          return DWORD_FAIL;
        }
        const buffers: BufferArgument[] = [{ arg: 1, size: count, input: entry === "Write", output: entry === "Read" }];
        try {
          return ((await this.invoke(t, device, entry, [file.openContext, pBuffer, count], fromUser, `${count} bytes`, buffers)) as number) >>> 0;
        } catch (e) {
          if (!(e instanceof NtStatusError)) throw e;
          t.lastError = faultError(e);
          return DWORD_FAIL;
        }
      },
      DWORD_FAIL,
    );
  }

  /** SetFilePointer: XXX_Seek. */
  seek(t: KThread, file: CeDeviceFile, amount: number, type: number, fromUser: boolean): Promise<number> {
    return this.onFile(
      t,
      file,
      async () => {
        const device = file.device;
        if (!device.entries.Seek) {
          t.lastError = ERROR_NOT_SUPPORTED;
          return DWORD_FAIL;
        }
        return ((await this.invoke(t, device, "Seek", [file.openContext, amount | 0, type >>> 0], fromUser, `${amount}, ${type}`)) as number) >>> 0;
      },
      DWORD_FAIL,
    );
  }

  /**
   * Calls an entry point on the calling thread: a kernel-mode driver runs in nk.exe with the
   * caller's address space active; a user-mode driver runs in udevice.exe through the reflector.
   */
  private async invoke(t: KThread, device: CeDevice, entry: keyof StreamEntryPoints, args: unknown[], fromUser: boolean, detail: string, buffers: readonly BufferArgument[] = []): Promise<unknown> {
    const fn = device.entries[entry] as AnyEntry | undefined;
    if (!fn) return undefined;
    const ce = this.ce;
    const m = ce.machine;
    const name = device.entryName(entry);
    if (m.trace.on) m.trace.emit("CeDriverCall", { device: device.label, entry: name, userMode: device.userMode, caller: t.process.pid, vm: t.currentProcess.pid, detail });
    device.inFlight++;
    let result: unknown;
    try {
      if (device.userMode) {
        result = await ce.reflector.invoke(t, device, name, fn, args, fromUser, buffers);
      } else {
        pushFrame(t, ce.nk, name, fromUser);
        const token = m.enterActivity("stream driver entry", name, device.dll);
        try {
          result = await fn(...args);
        } finally {
          m.leaveActivity(token);
          popFrame(t);
        }
      }
    } finally {
      device.inFlight--;
    }
    if (m.trace.on) {
      const shown = typeof result === "boolean" ? (result ? "TRUE" : "FALSE") : typeof result === "number" ? `0x${(result >>> 0).toString(16).toUpperCase()}` : "";
      const failed = result === false || result === 0 || result === DWORD_FAIL;
      m.trace.emit("CeDriverReturn", { device: device.label, entry: name, result: shown, lastError: failed ? t.lastError : 0, lastErrorName: failed && t.lastError ? ceErrorName(t.lastError) : "" });
    }
    return result;
  }
}
