/**
 * The CE 6.0 machine: the kernel core (physical memory, MMU, scheduler, handles) configured the
 * way CE lays memory out, plus what CE adds on top — nk.exe with its kernel VM and shared heap,
 * the static mapping of RAM, per-process 2 GB address spaces, the registry, the image store,
 * the device manager inside nk.exe, the user-mode driver reflector and kernel libraries.
 *
 * A CeMachine owns a {@link Machine}; build one with {@link CeMachine.create}, or attach to a
 * Machine built with {@link ceMachineOptions} (what a scenario does).
 */
import { Machine, type DecisionStrategy, type MachineOptions, type RunResult } from "../kernel/machine.js";
import { currentMachine } from "../kernel/context.js";
import { KProcess } from "../kernel/process.js";
import type { RunOptions } from "../kernel/scheduler.js";
import type { KThread, ThreadBody } from "../kernel/thread.js";
import { PAGE_SHIFT, PAGE_SIZE } from "../kernel/physical-memory.js";
import { PTE_MAPPED, PTE_OWNED } from "../kernel/pte.js";
import type { SystemSpaceLayout } from "../kernel/system-space.js";
import { CeKernelSpace, CeProcessSpace } from "./ce-address-space.js";
import type { CeVm } from "./ce-vm.js";
import { activeProcess } from "./ce-thread.js";
import { CE_CURRENT_PROCESS } from "./constants.js";
import { DeviceManager } from "./device-manager.js";
import { CeImageStore } from "./images.js";
import { KernelLibraries } from "./kernel-library.js";
import { isInSharedHeap, VM_DLL_BASE, VM_KERNEL_ALLOC_BASE, VM_KERNEL_ALLOC_END, VM_KVM_BASE, VM_NT_POOLS_BASE, VM_USER_BASE } from "./layout.js";
import { defaultOemAddressTable, installStaticMapping, type OemAddressEntry } from "./oem-address-table.js";
import { Reflector } from "./reflector.js";
import { CeRegistry } from "./registry.js";
import { CeNamedObjects } from "./named-objects.js";
import { CeInterrupts } from "./interrupts.js";
import "./trace-events.js";

/** Which CE the machine behaves as. */
export type CeVersion = "6.0" | "5.0";

/** A physical RAM range withheld from the OS (config.bib RESERVE). */
export interface ReservedRam {
  /** The reserved range's physical address. */
  readonly physicalBase: number;
  /** Its size in bytes. */
  readonly size: number;
  /** What it is for (a frame buffer, the SMD region…), for messages. */
  readonly name?: string;
}

/** How a CE machine is configured. */
export interface CeOptions {
  /**
   * "6.0" (default) follows CE 6.0; "5.0" is the compatibility mode for CE 5.0's differences:
   * VirtualCopy fails with ERROR_INVALID_PARAMETER across a 32 MB section, and the device
   * manager applies MapCallerPtr to DeviceIoControl buffers instead of the kernel checking them.
   */
  readonly version?: CeVersion;
  /** The OEMAddressTable (default: all RAM, up to 512 MB, at 0x80000000). */
  readonly oemAddressTable?: readonly OemAddressEntry[];
  /** RAM ranges the OS never allocates (the SMD region, a camera's frame buffer). */
  readonly reservedRam?: readonly ReservedRam[];
  /**
   * Whether IoBase/IoLen windows translate to memory space (true, the default: an ARM-style
   * bus where device registers are memory-mapped) or stay in I/O-port space (x86 ISA ports),
   * where the reflector will not map them.
   */
  readonly ioWindowsAreMemory?: boolean;
}

/** Options for {@link CeMachine.create}. */
export interface CeCreateOptions extends CeOptions {
  /** Emulated RAM in bytes (default 128 MB). */
  readonly memoryBytes?: number;
  /** Chooses at the machine's decision points (default: the deterministic run). */
  readonly strategy?: DecisionStrategy;
  /** How many trace events the flight recorder keeps for bug-check reports. */
  readonly flightRecorder?: number;
}

/** Where a CE machine parks the NT pools and system PTEs it never uses: out of the static windows. */
export const CE_SYSTEM_LAYOUT: SystemSpaceLayout = {
  nonPagedPool: [VM_NT_POOLS_BASE, VM_NT_POOLS_BASE + 0x08000000],
  pagedPool: [VM_NT_POOLS_BASE + 0x08000000, VM_NT_POOLS_BASE + 0x0c000000],
  systemPtes: [VM_NT_POOLS_BASE + 0x0c000000, VM_NT_POOLS_BASE + 0x10000000],
};

/** Machine options for a CE machine: nk.exe as the kernel process and CE's system layout. */
export function ceMachineOptions(options: { memoryBytes?: number; strategy?: DecisionStrategy; flightRecorder?: number } = {}): MachineOptions {
  return {
    memoryBytes: options.memoryBytes ?? 128 * 1024 * 1024,
    systemProcessName: "nk.exe",
    systemLayout: CE_SYSTEM_LAYOUT,
    ...(options.strategy ? { strategy: options.strategy } : {}),
    ...(options.flightRecorder !== undefined ? { flightRecorder: options.flightRecorder } : {}),
  };
}

/** CE process ids have bit 30 set, so they never collide with a handle value (CE's ids are handle values in the kernel's table). */
const ID_BIT = 0x40000000;

const machines = new WeakMap<Machine, CeMachine>();

/** The CE 6.0 machine. */
export class CeMachine {
  /** The CE version the machine behaves as. */
  readonly version: CeVersion;
  /** nk.exe: the kernel process (the machine's System process). */
  readonly nk: KProcess;
  /** nk.exe's address space: kernel VM and the shared heap. */
  readonly kernel: CeKernelSpace;
  /** The OEM address table: the physical ranges the kernel maps statically. */
  readonly oemAddressTable: readonly OemAddressEntry[];
  /** Physical ranges kept out of the kernel's use (for DMA buffers and devices). */
  readonly reservedRam: readonly ReservedRam[];
  /** Whether I/O windows behave as memory (the platform's choice). */
  readonly ioWindowsAreMemory: boolean;
  /** The registry: the device manager's keys. */
  readonly registry = new CeRegistry();
  /** The DLLs and executables the machine can load, by name. */
  readonly images = new CeImageStore();
  /** The device manager: active stream drivers and their handles. */
  readonly devices: DeviceManager;
  /** The reflector that hosts user-mode drivers and checks their mapping requests. */
  readonly reflector: Reflector;
  /** Kernel libraries loaded with LoadKernelLibrary. */
  readonly kernelLibraries: KernelLibraries;
  /** Named events and other named objects, shared by name across processes. */
  readonly namedObjects = new CeNamedObjects();
  /** The SYSINTR table: hardware models raise interrupts here. */
  readonly interrupts: CeInterrupts;
  private readonly spaces = new Map<KProcess, CeProcessSpace>();

  private constructor(
    /** The NT kernel core the CE machine runs on. */
    readonly machine: Machine,
    options: CeOptions,
  ) {
    const version: string = options.version ?? "6.0";
    if (version !== "6.0" && version !== "5.0") throw new RangeError(`CE version must be "6.0" or "5.0" (got ${version})`);
    this.version = version;
    const m = machine;
    const pools = [m.nonPagedPool, m.pagedPool];
    const ptes = m.system.systemPtes;
    if (pools.some((p) => p.startVa < VM_KVM_BASE) || ptes.firstPage < VM_KVM_BASE >>> PAGE_SHIFT) {
      throw new Error("CeMachine.attach: this Machine lays out NT's system space over CE's static mapping (0x80000000–0xBFFFFFFF). Build it with new Machine(ceMachineOptions()).");
    }
    const overlapsKernelVm = pools.some((p) => p.startVa < VM_KERNEL_ALLOC_END && VM_KERNEL_ALLOC_BASE < p.endVa);
    if (overlapsKernelVm) throw new Error("CeMachine.attach: the Machine's pools overlap CE's kernel VM (0xD0000000–0xDFFFFFFF). Build it with new Machine(ceMachineOptions()).");
    this.nk = m.systemProcess;
    this.oemAddressTable = options.oemAddressTable ?? defaultOemAddressTable(m.physical.totalFrames * PAGE_SIZE);
    installStaticMapping(m.system.table, this.oemAddressTable);
    m.mmu.pteChanged();
    this.reservedRam = options.reservedRam ?? [];
    for (const r of this.reservedRam) {
      if (r.physicalBase % PAGE_SIZE !== 0 || r.size % PAGE_SIZE !== 0 || r.size <= 0) throw new RangeError(`reserved RAM ${r.name ?? ""} must be whole pages`);
      if (!m.physical.reserveRange(r.physicalBase / PAGE_SIZE, r.size / PAGE_SIZE)) {
        throw new RangeError(`reserved RAM ${r.name ?? ""} at 0x${r.physicalBase.toString(16)} (+0x${r.size.toString(16)}) is not free RAM of this machine`);
      }
    }
    this.ioWindowsAreMemory = options.ioWindowsAreMemory ?? true;
    this.kernel = new CeKernelSpace(m.physical, m.mmu, m.system.table);
    this.nk.translation = this.kernel;
    this.interrupts = new CeInterrupts(m);
    this.devices = new DeviceManager(this);
    this.reflector = new Reflector(this);
    this.kernelLibraries = new KernelLibraries(this);
    machines.set(m, this);
    // An exited process's address space is gone (Machine destroyed it): forget it.
    m.processExited.push((p) => this.spaces.delete(p));
    if (m.trace.on) {
      const staticBytes = this.oemAddressTable.reduce((n, e) => n + e.size, 0);
      m.trace.emit("CeMachineStarted", { version: this.version, kernelProcess: this.nk.pid, kernelName: this.nk.name, ramBytes: m.physical.totalFrames * PAGE_SIZE, staticBytes });
    }
  }

  /** A new CE machine on a fresh Machine. */
  static create(options: CeCreateOptions = {}): CeMachine {
    const m = new Machine(ceMachineOptions(options));
    return CeMachine.attach(m, options);
  }

  /** Makes a Machine built with {@link ceMachineOptions} a CE machine. */
  static attach(machine: Machine, options: CeOptions = {}): CeMachine {
    if (machines.has(machine)) throw new Error("CeMachine.attach: this Machine is already a CE machine");
    return new CeMachine(machine, options);
  }

  /** The CE machine a Machine belongs to, or undefined. */
  static of(machine: Machine): CeMachine | undefined {
    return machines.get(machine);
  }

  /** The CE machine of the running machine; a clear error when it is not a CE machine. */
  static current(api: string): CeMachine {
    const m = currentMachine(api);
    const ce = machines.get(m);
    if (!ce) throw new Error(`${api} is a Windows CE API, but the running machine is not a CE machine. Build it with CeMachine.create().`);
    return ce;
  }

  // ---- Processes ----------------------------------------------------------------------------

  /** Creates a CE process (its own 2 GB, the shared heap mapped in) and starts its main thread in user mode. */
  createProcess(name: string, main: ThreadBody, options: { parent?: KProcess; background?: boolean } = {}): KProcess {
    const m = this.machine;
    const space = new CeProcessSpace(m.physical, m.mmu, this.kernel, name);
    const p = m.createProcess(name, main, { translation: space, ...(options.parent ? { parent: options.parent } : {}), ...(options.background ? { background: true } : {}) });
    this.spaces.set(p, space);
    return p;
  }

  /** A kernel thread of nk.exe (the harness's, or the device manager's). */
  createKernelThread(name: string, body: ThreadBody, options: { background?: boolean } = {}): KThread {
    return this.machine.createSystemThread(name, body, options);
  }

  /** A process's CE address space (null for nk.exe and non-CE processes). */
  spaceOf(p: KProcess): CeProcessSpace | null {
    return this.spaces.get(p) ?? null;
  }

  /** The CE process id of a process (also usable as its handle, as on CE). */
  processId(p: KProcess): number {
    return (ID_BIT | p.pid) >>> 0;
  }

  /** The CE thread id of a thread. */
  threadId(t: KThread): number {
    return (ID_BIT | t.tid) >>> 0;
  }

  /** The live process with a CE process id, or undefined. */
  processById(id: number): KProcess | undefined {
    if (((id >>> 0) & ID_BIT) === 0) return undefined;
    const pid = (id >>> 0) & ~ID_BIT;
    return this.machine.processes.find((p) => p.pid === pid && p.state !== "exited");
  }

  /**
   * A process handle as CE's kernel resolves it: GetCurrentProcess()'s pseudo handle is the
   * thread's active process; a handle in the active process's table to a process; or a
   * process id (ids are accepted where handles are expected). Undefined: invalid.
   */
  resolveProcess(t: KThread, h: number): KProcess | undefined {
    const handle = h >>> 0;
    const active = activeProcess(t);
    if (handle === CE_CURRENT_PROCESS) return active;
    const entry = active.handleTable.lookup(handle);
    if (entry) return entry.object instanceof KProcess ? entry.object : undefined;
    return this.processById(handle);
  }

  /**
   * The VM region that holds `va` for process `p`: the kernel's VM or the shared heap (for any
   * process), or `p`'s own VirtualAlloc space. Null: nothing can be reserved there (the first
   * 64 KB, DLL and mapping regions, the static mapping, or nk.exe's empty lower half).
   */
  vmFor(p: KProcess, va: number): CeVm | null {
    if (!Number.isInteger(va) || va < 0 || va > 0xffffffff) return null;
    if (isInSharedHeap(va)) return this.kernel.sharedHeap;
    if (va >= VM_KERNEL_ALLOC_BASE && va < VM_KERNEL_ALLOC_END) return this.kernel.kernelVm;
    if (va >= VM_USER_BASE && va < VM_DLL_BASE) return this.spaces.get(p)?.vm ?? null;
    return null;
  }

  /** The VM region where a reservation with base 0 goes for process `p` (nk.exe: kernel VM). */
  allocationVm(p: KProcess): CeVm | null {
    return p === this.nk ? this.kernel.kernelVm : (this.spaces.get(p)?.vm ?? null);
  }

  /** The frame a static kernel address maps (system table), or -1. */
  staticFrame(va: number): number {
    const pte = this.machine.system.table.get(va >>> PAGE_SHIFT);
    return pte & (PTE_MAPPED | PTE_OWNED) ? pte >>> PAGE_SHIFT : -1;
  }

  // ---- Hardware models -----------------------------------------------------------------------

  /**
   * Writes bytes at a physical address, as a device would (DMA into RAM, a register file the
   * device updates). Device register windows above RAM behave as plain memory: the emulator has
   * no bus model behind them beyond what a sample's hardware model writes here.
   */
  writePhysical(physicalAddress: number, bytes: Uint8Array): void {
    for (let done = 0; done < bytes.length; ) {
      const pa = physicalAddress + done;
      const b = this.machine.physical.backing(Math.floor(pa / PAGE_SIZE));
      const n = Math.min(PAGE_SIZE - (pa % PAGE_SIZE), bytes.length - done);
      b.bytes.set(bytes.subarray(done, done + n), b.offset + (pa % PAGE_SIZE));
      done += n;
    }
  }

  /** Reads bytes at a physical address (a device reading RAM or its own registers). */
  readPhysical(physicalAddress: number, length: number): Uint8Array {
    const out = new Uint8Array(length);
    for (let done = 0; done < length; ) {
      const pa = physicalAddress + done;
      const b = this.machine.physical.backing(Math.floor(pa / PAGE_SIZE));
      const n = Math.min(PAGE_SIZE - (pa % PAGE_SIZE), length - done);
      out.set(b.bytes.subarray(b.offset + (pa % PAGE_SIZE), b.offset + (pa % PAGE_SIZE) + n), done);
      done += n;
    }
    return out;
  }

  // ---- Running ------------------------------------------------------------------------------

  /** Runs the machine (Machine.run). */
  run(options: RunOptions = {}): Promise<RunResult> {
    return this.machine.run(options);
  }
}
