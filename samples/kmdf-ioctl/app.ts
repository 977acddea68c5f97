/**
 * The app of the KMDF IOCTL sample (in the style of the WDK's nonpnpapp): opens the control
 * device, sends each of the four IOCTLs with a message and reads the driver's reply, checks that
 * the device is exclusive, and sends METHOD_NEITHER a bad input address.
 */
import {
  CloseHandle,
  CreateFile,
  DeviceIoControl,
  GENERIC_READ,
  GENERIC_WRITE,
  GetLastError,
  GetProcessHeap,
  HEAP_ZERO_MEMORY,
  HeapAlloc,
  INVALID_HANDLE_VALUE,
  OPEN_EXISTING,
  OutputDebugString,
  readAnsiString,
  readU32,
  writeAnsiString,
} from "irpsim/win32";
import { IOCTL_KMDF_METHOD_BUFFERED, IOCTL_KMDF_METHOD_IN_DIRECT, IOCTL_KMDF_METHOD_NEITHER, IOCTL_KMDF_METHOD_OUT_DIRECT } from "./driver.js";

/** The four control codes, in the order the app sends them. */
export const IOCTLS: readonly { readonly name: string; readonly code: number }[] = [
  { name: "METHOD_BUFFERED", code: IOCTL_KMDF_METHOD_BUFFERED },
  { name: "METHOD_IN_DIRECT", code: IOCTL_KMDF_METHOD_IN_DIRECT },
  { name: "METHOD_OUT_DIRECT", code: IOCTL_KMDF_METHOD_OUT_DIRECT },
  { name: "METHOD_NEITHER", code: IOCTL_KMDF_METHOD_NEITHER },
];

/** An address the app never allocated (METHOD_NEITHER's probe must reject it). */
export const BAD_ADDRESS = 0x00dead00;

/** What the app saw. */
export class IoctlAppReport {
  /** Per IOCTL: DeviceIoControl's result, the bytes returned and the reply. */
  readonly replies: { name: string; ok: boolean; bytes: number; reply: string; error: number }[] = [];
  /** The error of a second open while the first is open (the device is exclusive). */
  secondOpenError = 0;
  /** METHOD_NEITHER with a bad input address. */
  badNeither: { ok: boolean; error: number } | null = null;
  finished = false;
}

/** The message the app sends with a method's IOCTL. */
export function appMessage(method: string): string {
  return `This string is from the user application, using ${method}`;
}

/**
 * Makes the app's main function.
 *
 * @param report where it writes what it saw.
 */
export function makeIoctlApp(report: IoctlAppReport): () => Promise<number> {
  return async function IoctlAppMain(): Promise<number> {
    const hDevice = await CreateFile("\\\\.\\KmdfIoctl", GENERIC_READ | GENERIC_WRITE, 0, null, OPEN_EXISTING, 0, 0);
    if (hDevice === INVALID_HANDLE_VALUE) return GetLastError();
    const second = await CreateFile("\\\\.\\KmdfIoctl", GENERIC_READ | GENERIC_WRITE, 0, null, OPEN_EXISTING, 0, 0);
    report.secondOpenError = second === INVALID_HANDLE_VALUE ? GetLastError() : 0;
    if (second !== INVALID_HANDLE_VALUE) await CloseHandle(second);

    const heap = GetProcessHeap();
    const input = HeapAlloc(heap, HEAP_ZERO_MEMORY, 128);
    const output = HeapAlloc(heap, HEAP_ZERO_MEMORY, 128);
    const bytes = HeapAlloc(heap, HEAP_ZERO_MEMORY, 4);
    for (const { name, code } of IOCTLS) {
      const message = appMessage(name);
      writeAnsiString(input, message);
      const ok = await DeviceIoControl(hDevice, code, input, message.length + 1, output, 128, bytes, null);
      const error = ok ? 0 : GetLastError();
      const reply = ok ? readAnsiString(output, 128) : "";
      report.replies.push({ name, ok, bytes: readU32(bytes), reply, error });
      OutputDebugString(`app: ${name} returned "${reply}"`);
    }
    const bad = await DeviceIoControl(hDevice, IOCTL_KMDF_METHOD_NEITHER, BAD_ADDRESS, 16, output, 128, bytes, null);
    report.badNeither = { ok: bad, error: bad ? 0 : GetLastError() };
    await CloseHandle(hDevice);
    report.finished = true;
    return 0;
  };
}
