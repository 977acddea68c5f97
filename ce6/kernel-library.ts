/**
 * Kernel libraries: LoadKernelLibrary loads a DLL into the kernel (nk.exe), and
 * KernelLibIoControl calls its IOControl entry on the caller's thread, migrated into the kernel
 * with the caller's address space active. This is how an app gets code that may call
 * kernel-only APIs (VirtualCopyEx, MmMapIoSpace) to run on its behalf (seed 001's second option).
 */
import type { KThread } from "../kernel/thread.js";
import type { CeMachine } from "./ce-machine.js";
import { popFrame, pushFrame } from "./ce-thread.js";
import type { CeExports } from "./images.js";
import { CeImageStore } from "./images.js";
import { VM_KVM_BASE } from "./layout.js";

/** IOControl(hModule, dwIoControlCode, lpInBuf, nInBufSize, lpOutBuf, nOutBufSize, lpBytesReturned). */
export type KernelLibraryIOControl = (
  hModule: number,
  dwIoControlCode: number,
  lpInBuf: number,
  nInBufSize: number,
  lpOutBuf: number,
  nOutBufSize: number,
  lpBytesReturned: number,
) => boolean | Promise<boolean>;

/** DLL_PROCESS_ATTACH. */
export const DLL_PROCESS_ATTACH = 1;

/** A DLL loaded into the kernel. */
interface KernelModule {
  readonly name: string;
  readonly handle: number;
  readonly exports: CeExports;
}

/** The kernel's loaded libraries. */
export class KernelLibraries {
  private readonly modules: KernelModule[] = [];

  constructor(private readonly ce: CeMachine) {}

  /** Loads `name` into the kernel once (DllMain(DLL_PROCESS_ATTACH) runs then); returns its module handle, or 0 when no such image exists. */
  async load(t: KThread, name: string): Promise<number> {
    const loaded = this.modules.find((x) => x.name.toLowerCase() === name.toLowerCase());
    if (loaded) return loaded.handle;
    const image = this.ce.images.find(name);
    if (!image) return 0;
    // Kernel XIP DLLs sit at the start of kernel VM: module handles are addresses there.
    const handle = (VM_KVM_BASE + (this.modules.length + 1) * 0x10000) >>> 0;
    const module: KernelModule = { name: image.name, handle, exports: image.exports };
    this.modules.push(module);
    const m = this.ce.machine;
    if (m.trace.on) m.trace.emit("CeKernelLibraryLoaded", { library: image.name, module: handle });
    const main = CeImageStore.procAddress(image.exports, "DllMain") as ((h: number, reason: number, reserved: number) => unknown) | undefined;
    if (main) await this.inKernel(t, `${image.name}!DllMain`, () => main(handle, DLL_PROCESS_ATTACH, 0), false);
    return handle;
  }

  /** The module with this handle, or undefined. */
  find(handle: number): KernelModule | undefined {
    return this.modules.find((x) => x.handle === handle >>> 0);
  }

  /** Calls the module's IOControl in the kernel; undefined when it exports none. */
  async ioControl(t: KThread, module: KernelModule, args: Parameters<KernelLibraryIOControl>, fromUser: boolean): Promise<boolean | undefined> {
    const fn = CeImageStore.procAddress(module.exports, "IOControl") as KernelLibraryIOControl | undefined;
    if (!fn) return undefined;
    return (await this.inKernel(t, `${module.name}!IOControl`, () => fn(...args), fromUser)) === true;
  }

  private async inKernel(t: KThread, name: string, fn: () => unknown, fromUser: boolean): Promise<unknown> {
    const m = this.ce.machine;
    pushFrame(t, this.ce.nk, name, fromUser);
    const token = m.enterActivity("kernel library", name, name.split("!")[0] ?? name);
    try {
      return await fn();
    } finally {
      m.leaveActivity(token);
      popFrame(t);
    }
  }
}
