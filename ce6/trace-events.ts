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
    CeMachineStarted: { version: string; kernelProcess: number; kernelName: string; ramBytes: number; staticBytes: number };
    /** The device manager loaded a stream driver and ran its Init (error 0: it is active). */
    CeDeviceActivated: { device: string; key: string; dll: string; userMode: boolean; error: number; errorName: string };
    /** A device was deactivated (its Deinit has run or will run when its last reference goes). */
    CeDeviceDeactivated: { device: string };
    /** A thread entered a driver's entry point (XXX_Open, XXX_IOControl, …). */
    CeDriverCall: { device: string; entry: string; userMode: boolean; caller: number; vm: number; detail: string };
    /** The entry point returned. */
    CeDriverReturn: { device: string; entry: string; result: string; lastError: number; lastErrorName: string };
    /** VirtualCopy/VirtualCopyEx/VirtualAllocCopyEx mapped pages: no byte is copied. */
    CeVirtualCopy: {
      dstProcess: number;
      dst: number;
      srcProcess: number;
      src: number;
      source: "physical" | "static" | "virtual";
      pages: number;
      firstFrame: number;
      protect: number;
    };
    /** A buffer was marshalled for a driver (CeOpenCallerBuffer, CeAllocAsynchronousBuffer, the reflector). */
    CeBufferMarshalled: { api: string; src: number; dst: number; bytes: number; how: "direct" | "alias" | "duplicate" | "refused"; process: number };
    /** Bytes copied between address spaces (duplicated buffers, the reflector's copy-in/copy-out). */
    CeBufferCopied: { direction: "in" | "out"; bytes: number; from: number; to: number; reason: string };
    /** The reflector served (or refused) a user-mode driver's mapping request. */
    CeReflector: { device: string; request: string; physical: number; size: number; allowed: boolean; reason: string };
    /** LoadKernelLibrary loaded a DLL into the kernel. */
    CeKernelLibraryLoaded: { library: string; module: number };
  }
}

export {};
