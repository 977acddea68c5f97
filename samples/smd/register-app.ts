/**
 * The app of the reflector part: it reads the REG device's chip id through DeviceIoControl. The
 * driver runs in udevice.exe, so the reflector copies the app's output buffer there and back.
 */
import { CloseHandle, CreateFile, DeviceIoControl, GENERIC_READ, GetLastError, INVALID_HANDLE_VALUE, MEM_COMMIT, MEM_RESERVE, OPEN_EXISTING, PAGE_READWRITE, PAGE_SIZE, VirtualAlloc, printf, readU32 } from "irpsim/ce6";
import { IOCTL_REG_READ_ID } from "./register-driver.js";

/** What the app saw. */
export class RegisterAppReport {
  opened = false;
  readOk = false;
  error = 0;
  chipId = 0;
  bytesReturned = 0;
}

/**
 * Makes the app's main function.
 *
 * @param report where it writes what it saw.
 * @returns the app's main.
 */
export function makeRegisterApp(report: RegisterAppReport): () => Promise<number> {
  return async function RegisterAppMain(): Promise<number> {
    const h = await CreateFile("REG1:", GENERIC_READ, 0, null, OPEN_EXISTING, 0, 0);
    if (h === INVALID_HANDLE_VALUE) return 1;
    report.opened = true;
    const locals = VirtualAlloc(0, PAGE_SIZE, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
    report.readOk = await DeviceIoControl(h, IOCTL_REG_READ_ID, 0, 0, locals, 4, locals + 4, null);
    report.error = report.readOk ? 0 : GetLastError();
    report.chipId = readU32(locals);
    report.bytesReturned = readU32(locals + 4);
    printf(`REG1: chip id 0x${report.chipId.toString(16)}`);
    await CloseHandle(h);
    return 0;
  };
}
