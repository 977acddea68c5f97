/**
 * The app of the ioctl sample: it sends each of the Methods driver's four control codes on a
 * synchronous handle and checks every answer — the bytes returned and the bytes themselves — as
 * the WDK's ioctl test app does; then two requests the driver must refuse: a METHOD_NEITHER
 * request whose output pointer is a kernel address (the driver's probe turns it into
 * ERROR_NOACCESS) and a METHOD_BUFFERED request with an output buffer too small for the answer.
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
  VirtualAlloc,
  readAnsiString,
  readBytes,
  readU32,
  writeAnsiString,
  writeBytes,
  writeU32,
} from "irpsim/win32";
import { METHODS_IOCTLS, methodsAnswer } from "./driver.js";

/** Bytes of the app's output buffer (room for every answer). */
export const METHODS_OUT_BYTES = 128;
/** The METHOD_IN_DIRECT payload: 300 bytes, across a page boundary in the app's buffer. */
export const METHODS_PAYLOAD: readonly number[] = Array.from({ length: 300 }, (_, i) => (i * 7 + 3) & 0xff);
/** A kernel-space address the app passes as METHOD_NEITHER's output buffer. */
export const METHODS_BAD_POINTER = 0x80001000;

/** The text the app sends with a method. */
export function methodsQuestion(method: string): string {
  return `App: please answer a ${method} request`;
}

/** One request as the app saw it. */
export interface MethodsAnswer {
  readonly method: string;
  /** DeviceIoControl's result and GetLastError when it failed. */
  readonly ok: boolean;
  readonly error: number;
  readonly bytesReturned: number;
  /** The answer read back from the app's own output buffer. */
  readonly text: string;
  /** Whether every check the app made of this answer passed. */
  readonly correct: boolean;
}

/** What the app saw, for the scenario's checks. */
export class MethodsAppReport {
  readonly answers: MethodsAnswer[] = [];
  /** METHOD_NEITHER with a kernel output pointer: result and error. */
  badPointer: { ok: boolean; error: number } | null = null;
  /** METHOD_BUFFERED with a 4-byte output buffer: result and error. */
  tooSmall: { ok: boolean; error: number; bytesReturned: number } | null = null;
  /** Set when the app closed the device at the end. */
  finished = false;
}

/**
 * Makes the app's main function.
 *
 * @param report where it writes what it saw.
 */
export function makeMethodsApp(report: MethodsAppReport): () => Promise<number> {
  return async function MethodsAppMain(): Promise<number> {
    const hDevice = await CreateFile("\\\\.\\Methods", GENERIC_READ | GENERIC_WRITE, 0, null, OPEN_EXISTING, 0, 0);
    if (hDevice === INVALID_HANDLE_VALUE) return GetLastError();
    // Two pages: the input and returned-bytes cell on the first, the output straddling the boundary.
    const block = VirtualAlloc(0, 3 * 4096, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
    const inBuffer = block;
    const bytesReturned = block + 0x400;
    const outBuffer = block + 4096 - 64;

    for (const [method, code] of Object.entries(METHODS_IOCTLS)) {
      const question = methodsQuestion(method);
      writeAnsiString(inBuffer, question);
      writeU32(bytesReturned, 0xffffffff);
      let ok: boolean;
      let correct: boolean;
      let text = "";
      if (method === "METHOD_IN_DIRECT") {
        // The second buffer goes to the device: the driver reads it and says how much it took.
        writeBytes(outBuffer, Uint8Array.from(METHODS_PAYLOAD));
        ok = await DeviceIoControl(hDevice, code, inBuffer, question.length + 1, outBuffer, METHODS_PAYLOAD.length, bytesReturned, null);
        const unchanged = readBytes(outBuffer, METHODS_PAYLOAD.length).every((b, i) => b === METHODS_PAYLOAD[i]);
        correct = ok && readU32(bytesReturned) === METHODS_PAYLOAD.length && unchanged;
      } else {
        writeBytes(outBuffer, new Uint8Array(METHODS_OUT_BYTES).fill(0xcc));
        ok = await DeviceIoControl(hDevice, code, inBuffer, question.length + 1, outBuffer, METHODS_OUT_BYTES, bytesReturned, null);
        const answer = methodsAnswer(method);
        text = readAnsiString(outBuffer, METHODS_OUT_BYTES);
        // The answer, its NUL, and nothing written past what the driver reported.
        const past = readBytes(outBuffer + answer.length + 1, METHODS_OUT_BYTES - answer.length - 1).every((b) => b === 0xcc);
        correct = ok && readU32(bytesReturned) === answer.length + 1 && text === answer && past;
      }
      report.answers.push({ method, ok, error: ok ? 0 : GetLastError(), bytesReturned: readU32(bytesReturned), text, correct });
    }

    // The driver must not trust a METHOD_NEITHER pointer: a kernel address fails its probe.
    const question = methodsQuestion("METHOD_NEITHER");
    writeAnsiString(inBuffer, question);
    const badOk = await DeviceIoControl(hDevice, METHODS_IOCTLS.METHOD_NEITHER, inBuffer, question.length + 1, METHODS_BAD_POINTER, METHODS_OUT_BYTES, bytesReturned, null);
    report.badPointer = { ok: badOk, error: badOk ? 0 : GetLastError() };

    // Too small for the answer: the driver says so and nothing is copied back.
    const small = methodsQuestion("METHOD_BUFFERED");
    writeAnsiString(inBuffer, small);
    writeU32(bytesReturned, 0xffffffff);
    const smallOk = await DeviceIoControl(hDevice, METHODS_IOCTLS.METHOD_BUFFERED, inBuffer, small.length + 1, outBuffer, 4, bytesReturned, null);
    report.tooSmall = { ok: smallOk, error: smallOk ? 0 : GetLastError(), bytesReturned: readU32(bytesReturned) };

    await CloseHandle(hDevice);
    report.finished = true;
    return 0;
  };
}
