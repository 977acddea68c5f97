/**
 * CE's trace events, added to the machine's one vocabulary. CE scenarios also emit the events
 * the NT side defines where they mean the same thing: ApiEnter/ApiReturn around coredll calls,
 * VirtualAllocated/VirtualFreed, HandleCreated/HandleClosed, DebugPrint, process and thread
 * events, waits.
 */
import "../win32/trace-events.js";

declare module "../kernel/trace.js" {
  interface TraceEventMap {
    /** A machine became a CE machine: names its kernel process for reports. */
    CeMachineStarted: { /** The CE version the machine behaves as ("6.0", or "5.0" compatibility). */ version: string; /** The id of the kernel process (nk.exe). */ kernelProcess: number; /** The kernel process's name. */ kernelName: string; /** The RAM the OEM address table maps. */ ramBytes: number; /** The part of it mapped statically into kernel space. */ staticBytes: number };
    /** The device manager loaded a stream driver and ran its Init (error 0: it is active). */
    CeDeviceActivated: { device: string; /** The driver's registry key. */ key: string; /** The driver's DLL. */ dll: string; /** Whether it was loaded in the user-mode driver host (through the reflector). */ userMode: boolean; /** The Win32 error of the activation (0: active). */ error: number; errorName: string };
    /** A device was deactivated (its Deinit has run or will run when its last reference goes). */
    CeDeviceDeactivated: { device: string };
    /** A thread entered a driver's entry point (XXX_Open, XXX_IOControl, …). */
    CeDriverCall: { device: string; /** The entry point ("XXX_IOControl"). */ entry: string; /** Whether the driver runs in user mode. */ userMode: boolean; /** The id of the process that called it. */ caller: number; /** The id of the process whose address space is current during the call. */ vm: number; detail: string };
    /** The entry point returned. */
    CeDriverReturn: { device: string; /** The entry point. */ entry: string; /** What it returned. */ result: string; /** The error it left set. */ lastError: number; lastErrorName: string };
    /** VirtualCopy/VirtualCopyEx/VirtualAllocCopyEx mapped pages: no byte is copied. */
    CeVirtualCopy: {
      /** The process the pages are mapped into. */
      dstProcess: number;
      /** The address they are mapped at. */
      dst: number;
      /** The process the source address belongs to (virtual sources). */
      srcProcess: number;
      /**
       * The source: a virtual address, or a physical address shifted right by 8 (PAGE_PHYSICAL).
       */
      src: number;
      /**
       * What the source is: physical memory, the static kernel mapping, or another virtual range.
       */
      source: "physical" | "static" | "virtual";
      /** How many pages were mapped. */
      pages: number;
      /** The first physical frame mapped. */
      firstFrame: number;
      /** The protection given to the mapping. */
      protect: number;
    };
    /** A buffer was marshalled for a driver (CeOpenCallerBuffer, CeAllocAsynchronousBuffer, the reflector). */
    CeBufferMarshalled: { api: string; /** The caller's address. */ src: number; /** The address the driver gets. */ dst: number; /** The buffer's size. */ bytes: number; /** Accessed directly, aliased (mapped, no copy), duplicated (copied), or refused. */ how: "direct" | "alias" | "duplicate" | "refused"; process: number };
    /** Bytes copied between address spaces (duplicated buffers, the reflector's copy-in/copy-out). */
    CeBufferCopied: { /** "in" to the driver's copy, "out" back to the caller. */ direction: "in" | "out"; /** How many bytes. */ bytes: number; /** The source address. */ from: number; /** The destination address. */ to: number; /** Why the bytes were copied. */ reason: string };
    /** The reflector served (or refused) a user-mode driver's mapping request. */
    CeReflector: { device: string; /** What the user-mode driver asked for (VirtualCopy, MmMapIoSpace…). */ request: string; /** The physical address asked for. */ physical: number; /** The size asked for. */ size: number; /** Whether the registry allowed it. */ allowed: boolean; /** Why it was allowed or refused. */ reason: string };
    /** LoadKernelLibrary loaded a DLL into the kernel. */
    CeKernelLibraryLoaded: { /** The DLL's name. */ library: string; /** The handle of the loaded module. */ module: number };
  }
}

export {};
