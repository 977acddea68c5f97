/**
 * The user-mode driver reflector (CE 6.0's reflector service in the device manager, and the
 * udevice.exe host): a driver loaded with DEVFLAGS_LOAD_AS_USERPROC runs in udevice.exe, in
 * user mode. The device manager's calls reach it through the reflector, which copies the
 * caller's buffers into the host's address space and back (the host cannot see the caller's
 * memory). The reflector is also the only way a user-mode driver maps hardware: VirtualCopy with
 * PAGE_PHYSICAL and MmMapIoSpace are kernel-only, so coredll sends them to the reflector, which
 * maps a range only when it lies inside one of the driver's registry memory windows
 * (MemBase/MemLen, or IoBase/IoLen that translate to memory space) — ERROR_INVALID_PARAMETER
 * otherwise, and for any caller that is not a user-mode driver in udevice.exe.
 */
import { KEVENT } from "../kernel/dispatcher.js";
import { UserMode } from "../kernel/irql.js";
import type { KProcess } from "../kernel/process.js";
import type { KThread } from "../kernel/thread.js";
import { PAGE_SIZE } from "../kernel/physical-memory.js";
import type { CeMachine } from "./ce-machine.js";
import { activeProcess, currentUserDriver, enterUserServer, leaveUserServer, setCurrentUserDriver, vmProcess } from "./ce-thread.js";
import { duplicates } from "./marshal-rules.js";
import { ARG_I_BIT, ARG_O_BIT, ERROR_INVALID_PARAMETER, MEM_RELEASE, MEM_RESERVE, PAGE_NOACCESS, PAGE_NOCACHE, PAGE_PHYSICAL, PAGE_READWRITE } from "./constants.js";
import type { BufferArgument } from "./device-manager.js";
import { isValidUserPointer } from "./layout.js";
import type { CeDevice, DeviceWindow } from "./stream-interface.js";
import { cePteBits, vmAlloc, vmCopy, vmFree } from "./vm-services.js";
import type { Mmu } from "../kernel/mmu.js";
import { NtStatusError } from "../kernel/nt-status-error.js";
import { STATUS_NO_MEMORY } from "../kernel/status.js";

/** A buffer duplicated into the host for one call. */
interface Marshalled {
  readonly spec: BufferArgument;
  readonly callerVa: number;
  readonly hostVa: number;
  readonly data: Uint8Array | null;
}

/** True when [physical, physical + size) lies in the page-aligned extent of a memory window (RefVirtualCopy's check). */
function inAlignedWindow(w: DeviceWindow, physical: number, size: number): boolean {
  const base = w.base - (w.base % PAGE_SIZE);
  const length = w.length + (w.base % PAGE_SIZE);
  return w.memorySpace && physical >= base && physical + size <= base + length;
}

/** True when [physical, physical + size) lies in the window itself (RefMmMapIoSpace's check). */
function inWindow(w: DeviceWindow, physical: number, size: number): boolean {
  return w.memorySpace && physical >= w.base && physical + size <= w.base + w.length;
}

/** The reflector of one CE machine, and its udevice.exe host. */
export class Reflector {
  private udevice: KProcess | null = null;

  constructor(private readonly ce: CeMachine) {}

  /** udevice.exe, created with the first user-mode driver; its main thread waits for work. */
  host(): KProcess {
    if (this.udevice && this.udevice.state === "active") return this.udevice;
    const ce = this.ce;
    const m = ce.machine;
    const idle = new KEVENT(0, false, "udevice.exe service event");
    this.udevice = ce.createProcess(
      "udevice.exe",
      async () => {
        await m.waits.waitFor([idle], { waitAll: false, mode: UserMode, alertable: false, timeout: null, reason: "udevice.exe waits for driver calls" });
      },
      { background: true },
    );
    return this.udevice;
  }

  /** A user-mode device is gone (nothing to free: the host stays for the next one). */
  release(_device: CeDevice): void {
    // Nothing to do: udevice.exe stays for the next user-mode driver, as CE keeps its host.
  }

  /**
   * Calls a user-mode driver's entry point: the caller's buffers are copied into the host,
   * the thread migrates into udevice.exe (user mode, the host's VM), and the output buffers are
   * copied back to the caller afterwards.
   */
  async invoke(t: KThread, device: CeDevice, name: string, fn: (...args: unknown[]) => unknown, args: unknown[], fromUser: boolean, buffers: readonly BufferArgument[]): Promise<unknown> {
    const ce = this.ce;
    const m = ce.machine;
    const host = device.host ?? this.host();
    const space = ce.spaceOf(host);
    if (!space) throw new Error("the user-mode driver host has no CE address space");
    const caller = activeProcess(t);
    // Copy-in happens in the caller's context, before migrating: a bad caller pointer faults here.
    const marshalled: Marshalled[] = [];
    const callArgs = [...args];
    const dups = duplicates(ce);
    try {
      for (const spec of buffers) {
        const ptr = args[spec.arg];
        if (typeof ptr !== "number" || ptr === 0 || spec.size <= 0) continue;
        const r = space.vm.reserve(0, spec.size, PAGE_READWRITE, `reflector buffer for ${name}`);
        if (r.error || space.vm.commit(r.base, spec.size, cePteBits(PAGE_READWRITE) ?? 0)) {
          if (!r.error) space.vm.release(r.base);
          // The call fails as CE fails it when the server has no memory for the copy.
          throw new NtStatusError(STATUS_NO_MEMORY, `udevice.exe has no room for a ${spec.size}-byte copy of ${name}'s buffer`);
        }
        const data = spec.input ? m.mmu.readBytes(ptr, spec.size) : null;
        marshalled.push({ spec, callerVa: ptr, hostVa: r.base, data });
        callArgs[spec.arg] = r.base;
        // CeAllocAsynchronousBuffer in the driver finds where a marshalled buffer came from.
        dups.add(r.base, { serverVm: host, sourceVm: t.currentProcess, source: ptr, size: spec.size, descriptor: (spec.input ? ARG_I_BIT : 0) | (spec.output ? ARG_O_BIT : 0), kind: "open", reservation: r.base });
      }
    } catch (e) {
      for (const b of marshalled) {
        space.vm.release(b.hostVa);
        dups.remove(host, b.hostVa);
      }
      throw e;
    }
    const saved = enterUserServer(t, host, name, caller, fromUser);
    const previousDriver = setCurrentUserDriver(t, device);
    const token = m.enterActivity("user-mode driver entry", name, device.dll);
    let result: unknown;
    const outputs: [Marshalled, Uint8Array][] = [];
    try {
      for (const b of marshalled) if (b.data) this.copied(b.data, b.callerVa, b.hostVa, "in", `${name} input`, m.mmu);
      result = await fn(...callArgs);
      for (const b of marshalled) if (b.spec.output) outputs.push([b, m.mmu.readBytes(b.hostVa, b.spec.size)]);
    } finally {
      m.leaveActivity(token);
      setCurrentUserDriver(t, previousDriver);
      leaveUserServer(t, saved);
    }
    try {
      for (const [b, bytes] of outputs) this.copied(bytes, b.hostVa, b.callerVa, "out", `${name} output`, m.mmu);
    } finally {
      for (const b of marshalled) {
        space.vm.release(b.hostVa);
        dups.remove(host, b.hostVa);
      }
    }
    return result;
  }

  /** Writes `bytes` at `to` in the current context and accounts for the copy. */
  private copied(bytes: Uint8Array, from: number, to: number, direction: "in" | "out", reason: string, mmu: Mmu): void {
    mmu.writeBytes(to, bytes);
    mmu.bytesCopied += bytes.length;
    const m = this.ce.machine;
    if (m.trace.on) m.trace.emit("CeBufferCopied", { direction, bytes: bytes.length, from, to, reason });
  }

  /** The user-mode driver the calling thread runs, when it runs in its udevice.exe host. */
  private callingDriver(t: KThread): CeDevice | undefined {
    const device = currentUserDriver(t);
    return device && device.host === activeProcess(t) ? device : undefined;
  }

  private refuse(device: CeDevice | undefined, request: string, physical: number, size: number, reason: string): number {
    const m = this.ce.machine;
    if (m.trace.on) m.trace.emit("CeReflector", { device: device?.label ?? "(none)", request, physical, size, allowed: false, reason });
    return ERROR_INVALID_PARAMETER;
  }

  /**
   * IOCTL_REF_VIRTUAL_COPY (a user-mode driver's VirtualCopy with PAGE_PHYSICAL): the
   * destination must be a user pointer and [lpvSrc << 8, + cbSize) must lie in one of the
   * driver's memory windows; then the kernel VirtualCopyEx's into the driver's host.
   */
  virtualCopy(t: KThread, lpvDest: number, lpvSrc: number, cbSize: number, fdwProtect: number): number {
    const device = this.callingDriver(t);
    const physical = lpvSrc * 256;
    if (!device) return this.refuse(device, "VirtualCopy", physical, cbSize, "the caller is not a user-mode driver hosted in udevice.exe");
    if (!(fdwProtect & PAGE_PHYSICAL) || !isValidUserPointer(lpvDest, cbSize, true)) return this.refuse(device, "VirtualCopy", physical, cbSize, "the destination is not a user address");
    const window = device.windows.find((w) => inAlignedWindow(w, physical, cbSize));
    if (!window) return this.refuse(device, "VirtualCopy", physical, cbSize, "the range is outside the driver's registry memory windows");
    const m = this.ce.machine;
    if (m.trace.on) m.trace.emit("CeReflector", { device: device.label, request: "VirtualCopy", physical, size: cbSize, allowed: true, reason: `inside ${window.source} 0x${window.base.toString(16).toUpperCase()} +0x${window.length.toString(16).toUpperCase()}` });
    return vmCopy(this.ce, t, vmProcess(t), lpvDest, this.ce.nk, lpvSrc, cbSize, fdwProtect);
  }

  /**
   * IOCTL_REF_MNMAPIOSPACE (a user-mode driver's MmMapIoSpace): the range must lie in one of
   * the driver's memory windows; the reflector reserves space in the host and VirtualCopy's the
   * physical pages there. Returns the address (page offset kept), or 0 and the error.
   */
  mmMapIoSpace(t: KThread, physicalAddress: number, numberOfBytes: number, cacheEnable: boolean): { address: number; error: number } {
    const device = this.callingDriver(t);
    if (!device) return { address: 0, error: this.refuse(device, "MmMapIoSpace", physicalAddress, numberOfBytes, "the caller is not a user-mode driver hosted in udevice.exe") };
    const window = device.windows.find((w) => inWindow(w, physicalAddress, numberOfBytes));
    if (!window || numberOfBytes <= 0) return { address: 0, error: this.refuse(device, "MmMapIoSpace", physicalAddress, numberOfBytes, "the range is outside the driver's registry memory windows") };
    const m = this.ce.machine;
    if (m.trace.on) m.trace.emit("CeReflector", { device: device.label, request: "MmMapIoSpace", physical: physicalAddress, size: numberOfBytes, allowed: true, reason: `inside ${window.source} 0x${window.base.toString(16).toUpperCase()} +0x${window.length.toString(16).toUpperCase()}` });
    const offset = physicalAddress % PAGE_SIZE;
    const sourceSize = numberOfBytes + offset;
    const target = vmProcess(t);
    const r = vmAlloc(this.ce, t, target, 0, sourceSize, MEM_RESERVE, PAGE_NOACCESS, false, "MmMapIoSpace");
    if (r.error) return { address: 0, error: r.error };
    const e = vmCopy(this.ce, t, target, r.address, this.ce.nk, (physicalAddress - offset) / 256, sourceSize, PAGE_PHYSICAL | PAGE_READWRITE | (cacheEnable ? 0 : PAGE_NOCACHE));
    if (e) {
      vmFree(this.ce, t, target, r.address, 0, MEM_RELEASE, false);
      return { address: 0, error: e };
    }
    return { address: r.address + offset, error: 0 };
  }
}
