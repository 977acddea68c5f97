/**
 * The echo app (in the style of the WDK's echoapp): finds the echo device by its interface class,
 * opens it for overlapped I/O, writes a message and reads it back, then starts a read it cancels
 * with CancelIoEx, and closes the device.
 */
import {
  CM_GET_DEVICE_INTERFACE_LIST_PRESENT,
  CM_Get_Device_Interface_List,
  CM_Get_Device_Interface_List_Size,
  CR_SUCCESS,
  CancelIoEx,
  CloseHandle,
  CreateEvent,
  CreateFile,
  ERROR_IO_PENDING,
  FILE_FLAG_OVERLAPPED,
  GENERIC_READ,
  GENERIC_WRITE,
  GetLastError,
  GetOverlappedResult,
  GetProcessHeap,
  HEAP_ZERO_MEMORY,
  HeapAlloc,
  INVALID_HANDLE_VALUE,
  OPEN_EXISTING,
  OVERLAPPED,
  OutputDebugString,
  ReadFile,
  SIZEOF_OVERLAPPED,
  WriteFile,
  readAnsiString,
  readU32,
  readWideString,
  writeAnsiString,
} from "irpsim/win32";
import { GUID_DEVINTERFACE_KMDF_ECHO } from "./driver.js";

/** The message the app writes and expects back. */
export const ECHO_MESSAGE = "Hello, KMDF echo!";

/** One overlapped request's outcome. */
export interface EchoResult {
  /** The call returned FALSE with ERROR_IO_PENDING (or TRUE when it finished at once). */
  readonly pended: boolean;
  readonly ok: boolean;
  readonly error: number;
  readonly bytes: number;
}

/** What the app saw, for the scenario's checks. */
export class EchoAppReport {
  /** The interface path CM_Get_Device_Interface_List returned. */
  path = "";
  opened = false;
  write: EchoResult | null = null;
  read: EchoResult | null = null;
  /** What the read returned. */
  echoed = "";
  /** The read the app cancelled, and whether CancelIoEx found it. */
  cancelled: EchoResult | null = null;
  cancelFound: boolean | null = null;
  finished = false;
}

/**
 * Makes the app's main function.
 *
 * @param report where it writes what it saw.
 */
export function makeEchoApp(report: EchoAppReport): () => Promise<number> {
  return async function EchoAppMain(): Promise<number> {
    // The interface list: ask its size (WCHARs), then fetch it; the first path is the device.
    const heap = GetProcessHeap();
    const size = HeapAlloc(heap, HEAP_ZERO_MEMORY, 4);
    if (CM_Get_Device_Interface_List_Size(size, GUID_DEVINTERFACE_KMDF_ECHO, null, CM_GET_DEVICE_INTERFACE_LIST_PRESENT) !== CR_SUCCESS) return 2;
    const chars = readU32(size);
    const list = HeapAlloc(heap, HEAP_ZERO_MEMORY, chars * 2);
    if (CM_Get_Device_Interface_List(GUID_DEVINTERFACE_KMDF_ECHO, null, list, chars, CM_GET_DEVICE_INTERFACE_LIST_PRESENT) !== CR_SUCCESS) return 2;
    const path = readWideString(list, chars);
    if (path === "") return 2;
    report.path = path;
    const hDevice = await CreateFile(path, GENERIC_READ | GENERIC_WRITE, 0, null, OPEN_EXISTING, FILE_FLAG_OVERLAPPED, 0);
    if (hDevice === INVALID_HANDLE_VALUE) return GetLastError();
    report.opened = true;
    const bytes = HeapAlloc(heap, HEAP_ZERO_MEMORY, 4);
    const writeBuffer = HeapAlloc(heap, HEAP_ZERO_MEMORY, 64);
    const readBuffer = HeapAlloc(heap, HEAP_ZERO_MEMORY, 64);
    writeAnsiString(writeBuffer, ECHO_MESSAGE);
    const length = ECHO_MESSAGE.length + 1;

    /** Issues one overlapped request and waits for its outcome. */
    const overlapped = async (issue: (ov: OVERLAPPED) => Promise<boolean>, cancel = false): Promise<EchoResult> => {
      const ov = new OVERLAPPED(HeapAlloc(heap, HEAP_ZERO_MEMORY, SIZEOF_OVERLAPPED));
      ov.hEvent = CreateEvent(null, true, false, null);
      const done = await issue(ov);
      const pended = !done && GetLastError() === ERROR_IO_PENDING;
      if (!done && !pended) return { pended, ok: false, error: GetLastError(), bytes: 0 };
      if (cancel) report.cancelFound = await CancelIoEx(hDevice, ov);
      const ok = await GetOverlappedResult(hDevice, ov, bytes, true);
      return { pended, ok, error: ok ? 0 : GetLastError(), bytes: readU32(bytes) };
    };

    report.write = await overlapped((ov) => WriteFile(hDevice, writeBuffer, length, 0, ov));
    report.read = await overlapped((ov) => ReadFile(hDevice, readBuffer, 64, 0, ov));
    if (report.read.ok) report.echoed = readAnsiString(readBuffer, 64);
    OutputDebugString(`echoapp read back "${report.echoed}"`);
    // A read the app gives up on before the driver's timer completes it.
    report.cancelled = await overlapped((ov) => ReadFile(hDevice, readBuffer, 64, 0, ov), true);
    await CloseHandle(hDevice);
    report.finished = true;
    return 0;
  };
}
