/**
 * The app of seed 000: it opens SMD1:, asks the driver for the shared block's address, asks it
 * to fill the block, reads the text at its own address, frees the block and closes the driver.
 * Locals the C version keeps on its stack live in a page the app commits for them.
 */
import {
  CloseHandle,
  CreateFile,
  DeviceIoControl,
  GENERIC_READ,
  GENERIC_WRITE,
  GetLastError,
  INVALID_HANDLE_VALUE,
  MEM_COMMIT,
  MEM_RESERVE,
  OPEN_EXISTING,
  PAGE_READWRITE,
  PAGE_SIZE,
  Sleep,
  VirtualAlloc,
  printf,
  readAnsiString,
  readU32,
} from "irpsim/ce6";
import { IOCTL_SMD_ALLOC_ADDRESS, IOCTL_SMD_FILL_ADDRESS, IOCTL_SMD_FREE_ADDRESS, SMD_FILL_OFFSET } from "./driver.js";

/** What the app saw, for the scenario's checks. */
export class SmdAppReport {
  opened = false;
  /** The block's address in the app (0 when IOCTL_SMD_ALLOC_ADDRESS failed). */
  address = 0;
  allocOk = false;
  allocError = 0;
  fillOk = false;
  /** The text the app read at its own address. */
  text = "";
  freeOk = false;
  closed = false;
}

/**
 * Makes the app's main function.
 *
 * @param report where it writes what it saw.
 * @returns the app's main.
 */
export function makeSmdApp(report: SmdAppReport): () => Promise<number> {
  return async function SmdAppMain(): Promise<number> {
    // Open the sample memory driver
    const SMDDrv = await CreateFile("SMD1:", GENERIC_WRITE | GENERIC_READ, 0, null, OPEN_EXISTING, 0, 0);
    if (SMDDrv === INVALID_HANDLE_VALUE) {
      printf(":SMD open failed");
      return 1;
    }
    printf(":SMD open success");
    report.opened = true;

    // DWORD Address, dwBytes — the C version's locals.
    const locals = VirtualAlloc(0, PAGE_SIZE, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
    const pAddress = locals;
    const pBytes = locals + 4;

    // Get the allocated shared pointer
    report.allocOk = await DeviceIoControl(SMDDrv, IOCTL_SMD_ALLOC_ADDRESS, 0, 0, pAddress, 4, pBytes, null);
    if (!report.allocOk) {
      report.allocError = GetLastError();
      printf(`IOCTL_SMD_ALLOC_ADDRESS failed: ${report.allocError}`);
      report.closed = await CloseHandle(SMDDrv);
      return 2;
    }
    const Address = readU32(pAddress);
    report.address = Address;
    let Data = Address;

    // Request the driver to fill the data
    report.fillOk = await DeviceIoControl(SMDDrv, IOCTL_SMD_FILL_ADDRESS, 0, 0, 0, 0, pBytes, null);
    // Move the pointer to the filled data area
    Data = Data + SMD_FILL_OFFSET;
    // Just print the data for proof of concept
    report.text = readAnsiString(Data);
    printf(report.text);
    // The user looks at it for a while (the scenario checks both mappings meanwhile).
    await Sleep(10);
    // Free the memory
    report.freeOk = await DeviceIoControl(SMDDrv, IOCTL_SMD_FREE_ADDRESS, 0, 0, 0, 0, pBytes, null);
    // Close the driver handle
    report.closed = await CloseHandle(SMDDrv);
    return 0;
  };
}
