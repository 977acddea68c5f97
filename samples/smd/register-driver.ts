/**
 * REG, a user-mode stream driver (DEVFLAGS_LOAD_AS_USERPROC: it runs in udevice.exe) for a
 * device whose registers sit at physical 0x48000000. User mode cannot map physical memory, so
 * its VirtualCopy(PAGE_PHYSICAL) and MmMapIoSpace go to the reflector, which maps only what lies
 * inside the driver's registry memory window (MemBase/MemLen, or IoBase/IoLen that translate to
 * memory). REG_Init maps its register window, then tries a page just outside it to show the
 * refusal; the app reads the chip id through IOCTL_REG_READ_ID.
 */
import {
  CTL_CODE,
  ERROR_INVALID_PARAMETER,
  FILE_ANY_ACCESS,
  FILE_DEVICE_UNKNOWN,
  GetLastError,
  MEM_RELEASE,
  MEM_RESERVE,
  METHOD_BUFFERED,
  MmMapIoSpace,
  MmUnmapIoSpace,
  PAGE_NOACCESS,
  PAGE_NOCACHE,
  PAGE_PHYSICAL,
  PAGE_READWRITE,
  PAGE_SIZE,
  RETAILMSG,
  SetLastError,
  VirtualAlloc,
  VirtualCopy,
  VirtualFree,
  readU32,
  writeU32,
  type CeExports,
} from "irpsim/ce6";

/** Reads the device's chip-id register into the output buffer. */
export const IOCTL_REG_READ_ID = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x820, METHOD_BUFFERED, FILE_ANY_ACCESS);

/** The device's register window (what the registry's MemBase/MemLen grant). */
export const REG_PHYSICAL = 0x48000000;
export const REG_WINDOW = 0x1000;
/** The chip-id register's offset, and the id the hardware model puts there. */
export const REG_CHIP_ID = 0x10;
export const REG_CHIP_ID_VALUE = 0x0ce60001;

/** What REG_Init found, for the scenario's checks. */
export class RegisterDriverReport {
  /** VirtualCopy of the window itself (through the reflector). */
  windowMapped = false;
  windowAddress = 0;
  /** VirtualCopy of the page after the window: refused. */
  outsideMapped = true;
  outsideError = 0;
  /** MmMapIoSpace of the chip-id register (through the reflector). */
  ioSpaceAddress = 0;
  chipIdAtInit = 0;
}

/**
 * Makes reg.dll.
 *
 * @param report where REG_Init writes what it found.
 * @returns the DLL's export table.
 */
export function makeRegisterDriver(report: RegisterDriverReport): CeExports {
  let registers = 0;
  let chipIdRegister = 0;

  /**
   * REG_Init: maps the register window with VirtualAlloc + VirtualCopy(PAGE_PHYSICAL) and the
   * chip-id register with MmMapIoSpace; a mapping outside the window is refused.
   *
   * @returns the device context, or 0.
   */
  function REG_Init(pContext: string): number {
    RETAILMSG(1, `REG_Init: ${pContext} (user mode, in udevice.exe)`);
    registers = VirtualAlloc(0, REG_WINDOW, MEM_RESERVE, PAGE_NOACCESS);
    if (registers === 0) return 0;
    report.windowMapped = VirtualCopy(registers, REG_PHYSICAL / 256, REG_WINDOW, PAGE_PHYSICAL | PAGE_READWRITE | PAGE_NOCACHE);
    report.windowAddress = registers;
    if (!report.windowMapped) return 0;
    // One page past the window: the reflector must refuse it.
    const probe = VirtualAlloc(0, PAGE_SIZE, MEM_RESERVE, PAGE_NOACCESS);
    report.outsideMapped = VirtualCopy(probe, (REG_PHYSICAL + REG_WINDOW) / 256, PAGE_SIZE, PAGE_PHYSICAL | PAGE_READWRITE | PAGE_NOCACHE);
    report.outsideError = report.outsideMapped ? 0 : GetLastError();
    VirtualFree(probe, 0, MEM_RELEASE);
    chipIdRegister = MmMapIoSpace(REG_PHYSICAL + REG_CHIP_ID, 4, false);
    report.ioSpaceAddress = chipIdRegister;
    report.chipIdAtInit = chipIdRegister ? readU32(chipIdRegister) : 0;
    return 1;
  }

  /** REG_Deinit: unmaps the registers. @returns TRUE. */
  function REG_Deinit(): boolean {
    if (chipIdRegister) MmUnmapIoSpace(chipIdRegister, 4);
    if (registers) VirtualFree(registers, 0, MEM_RELEASE);
    registers = 0;
    chipIdRegister = 0;
    return true;
  }

  /** REG_Open. @returns a non-zero open context. */
  function REG_Open(): number {
    return 1;
  }

  /** REG_Close. @returns TRUE. */
  function REG_Close(): boolean {
    return true;
  }

  /**
   * REG_IOControl: IOCTL_REG_READ_ID reads the chip id through the mapped window into the
   * output buffer (the reflector's copy, written back to the app).
   *
   * @returns TRUE on success.
   */
  function REG_IOControl(_hOpen: number, dwCode: number, _pIn: number, _dwIn: number, pOut: number, dwOut: number, pdwActualOut: number): boolean {
    if (dwCode !== IOCTL_REG_READ_ID || pOut === 0 || dwOut < 4 || registers === 0) {
      SetLastError(ERROR_INVALID_PARAMETER);
      return false;
    }
    writeU32(pOut, readU32(registers + REG_CHIP_ID));
    if (pdwActualOut) writeU32(pdwActualOut, 4);
    return true;
  }

  return { REG_Init, REG_Deinit, REG_Open, REG_Close, REG_IOControl };
}
