/**
 * SMD, the "sample memory driver" of seed 000 ("Sharing Blocks of Memory between Kernel Mode
 * Process and the User Mode Process in Windows Embedded CE 6.0"): a kernel-mode stream driver
 * that shares 32 MB of statically mapped kernel memory (kernel address 0x81F00000) with the app
 * that calls it, without copying a byte — VirtualAllocEx reserves 32 MB in the caller's address
 * space and VirtualCopyEx maps the kernel's frames there.
 *
 * The routines follow the article's C line for line; where the article leaves something out
 * (the protection argument of VirtualCopyEx is cut off, a failed copy leaks the reservation, the
 * output buffer is not checked), the choice made here is commented.
 */
import {
  CTL_CODE,
  DEBUGMSG,
  ERROR_INVALID_PARAMETER,
  FILE_ANY_ACCESS,
  FILE_DEVICE_UNKNOWN,
  GetCallerVMProcessId,
  GetCurrentProcess,
  MEM_RELEASE,
  MEM_RESERVE,
  METHOD_BUFFERED,
  NKDbgPrintfW,
  PAGE_NOACCESS,
  PAGE_NOCACHE,
  PAGE_READWRITE,
  PAGE_SIZE,
  RETAILMSG,
  SetLastError,
  VirtualAllocEx,
  VirtualCopyEx,
  VirtualFreeEx,
  readAnsiString,
  writeAnsiString,
  writeU32,
  type CeExports,
} from "irpsim/ce6";

/** Reserves 32 MB in the caller and maps the shared memory there; returns its address. */
export const IOCTL_SMD_ALLOC_ADDRESS = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS);
/** Releases the caller's mapping. */
export const IOCTL_SMD_FREE_ADDRESS = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x801, METHOD_BUFFERED, FILE_ANY_ACCESS);
/** Writes " Hello World" at the end of the block. */
export const IOCTL_SMD_FILL_ADDRESS = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x802, METHOD_BUFFERED, FILE_ANY_ACCESS);

/** The shared block: kernel virtual address 0x81F00000 in the static mapping (physical 0x01F00000). */
export const SMD_KERNEL_ADDRESS = 0x81f00000;
/** 32 MB. */
export const SMD_SIZE = 0x02000000;
/** Where IOCTL_SMD_FILL_ADDRESS writes, from the start of the block. */
export const SMD_FILL_OFFSET = 0x1f00000;
/** What it writes. */
export const SMD_FILL_TEXT = " Hello World";

/** The driver's globals (one set per loaded copy of smd.dll). */
class SMD_GLOBALS {
  /** The caller's address of the block, while mapped. */
  gUserAddr = 0;
}

/**
 * Makes smd.dll: its exports, with globals of their own.
 *
 * @returns the DLL's export table (SMD_Init … SMD_IOControl).
 */
export function makeSmdDriver(): CeExports {
  const g = new SMD_GLOBALS();

  /**
   * GetVirtualAddress: reserves the block's size in the caller (GetCallerVMProcessId) and
   * VirtualCopyEx's the kernel's statically mapped memory into it, page rounding as in the
   * article.
   *
   * @returns the caller's address of the block, or 0 (the failing call's error is the last error).
   */
  function GetVirtualAddress(): number {
    const sDevPhysAddr = SMD_KERNEL_ADDRESS;
    const dwSize = SMD_SIZE;
    const pvProcess = GetCallerVMProcessId();
    const SourcePhys = (sDevPhysAddr & ~(PAGE_SIZE - 1)) >>> 0;
    const SourceSize = dwSize + (sDevPhysAddr & (PAGE_SIZE - 1));
    let lpUserAddr = VirtualAllocEx(pvProcess, 0, SourceSize, MEM_RESERVE, PAGE_NOACCESS);
    if (lpUserAddr === 0) return 0;
    // The article's protection argument is cut off; shared memory a device writes is mapped uncached.
    if (!VirtualCopyEx(pvProcess, lpUserAddr, GetCurrentProcess(), SourcePhys, SourceSize, PAGE_READWRITE | PAGE_NOCACHE)) {
      // The article returns NULL and leaks the reservation; releasing it keeps the caller's space clean.
      VirtualFreeEx(pvProcess, lpUserAddr, 0, MEM_RELEASE);
      return 0;
    }
    NKDbgPrintfW(`Before round up lpUserAddr=0x${lpUserAddr.toString(16)}`);
    lpUserAddr = lpUserAddr + (sDevPhysAddr & (PAGE_SIZE - 1));
    NKDbgPrintfW(`After round up gUserAddr=0x${lpUserAddr.toString(16)}`);
    return lpUserAddr;
  }

  /**
   * SMD_Init: the device context (nothing to set up).
   *
   * @param pContext the device's active registry key.
   * @returns a non-zero device context.
   */
  function SMD_Init(pContext: string): number {
    RETAILMSG(1, `SMD_Init: ${pContext}`);
    return 1;
  }

  /**
   * SMD_Deinit.
   *
   * @returns TRUE.
   */
  function SMD_Deinit(): boolean {
    return true;
  }

  /**
   * SMD_Open: every open shares the device's block.
   *
   * @returns a non-zero open context.
   */
  function SMD_Open(): number {
    return 1;
  }

  /**
   * SMD_Close.
   *
   * @returns TRUE.
   */
  function SMD_Close(): boolean {
    return true;
  }

  /**
   * SMD_IOControl: allocates, fills and frees the shared block.
   *
   * @param dwCode the IOCTL.
   * @param pOut IOCTL_SMD_ALLOC_ADDRESS: where the caller's address of the block goes.
   * @param dwOut its size.
   * @param pdwBytesWritten where the number of bytes written to pOut goes (may be NULL).
   * @returns TRUE on success.
   */
  function SMD_IOControl(_dwOpen: number, dwCode: number, _pIn: number, _dwIn: number, pOut: number, dwOut: number, pdwBytesWritten: number): boolean {
    RETAILMSG(1, `SMD_IOControl++ dwCode: 0x${dwCode.toString(16)}`);
    switch (dwCode) {
      case IOCTL_SMD_ALLOC_ADDRESS: {
        // The article writes *pOut unchecked; a missing or short output buffer is refused.
        if (pOut === 0 || dwOut < 4) {
          SetLastError(ERROR_INVALID_PARAMETER);
          return false;
        }
        g.gUserAddr = GetVirtualAddress();
        if (g.gUserAddr === 0) return false;
        writeU32(pOut, g.gUserAddr);
        if (pdwBytesWritten) writeU32(pdwBytesWritten, 4);
        RETAILMSG(1, `SMD_IOControl: Address=0x${g.gUserAddr.toString(16)}`);
        break;
      }
      case IOCTL_SMD_FREE_ADDRESS: {
        const pvProcess = GetCallerVMProcessId();
        VirtualFreeEx(pvProcess, (g.gUserAddr & ~(PAGE_SIZE - 1)) >>> 0, 0, MEM_RELEASE);
        g.gUserAddr = 0;
        break;
      }
      case IOCTL_SMD_FILL_ADDRESS: {
        // Through the kernel's own address: the app sees the bytes at its address with none copied.
        const Temp = SMD_KERNEL_ADDRESS + SMD_FILL_OFFSET;
        writeAnsiString(Temp, SMD_FILL_TEXT);
        NKDbgPrintfW(`Written value =${readAnsiString(Temp)}`);
        break;
      }
      default:
        DEBUGMSG(1, `SMD_IOControl: unknown code ${dwCode.toString(16)}`);
        return false;
    }
    RETAILMSG(1, "SMD_IOControl Finished--");
    return true;
  }

  return { SMD_Init, SMD_Deinit, SMD_Open, SMD_Close, SMD_IOControl };
}
