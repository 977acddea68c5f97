/**
 * Stream devices from the caller's side (Learn CreateFile, DeviceIoControl, ReadFile,
 * WriteFile, SetFilePointer, ActivateDeviceEx, DeactivateDevice for CE 6.0): CreateFile("SMD1:")
 * reaches the driver's XXX_Open, DeviceIoControl its XXX_IOControl, CloseHandle its XXX_PreClose
 * and XXX_Close. In CE 6.0 the kernel checks a user-mode caller's first-level pointers (the
 * buffers and the byte count) before the driver runs — an address the caller may not pass fails
 * the call with ERROR_INVALID_PARAMETER — and a kernel-mode driver then uses them directly, the
 * caller's address space being active during the call. In CE 5.0 mode the device manager
 * applies MapCallerPtr instead: the driver receives NULL for a pointer the caller could not
 * access.
 */
import { ceCall, fail, hex, kernelServiceAsync, traceEnter, traceReturn } from "../ce-call.js";
import { activeProcess } from "../ce-thread.js";
import { ERROR_INVALID_HANDLE, ERROR_INVALID_PARAMETER, INVALID_HANDLE_VALUE, INVALID_SET_FILE_POINTER } from "../constants.js";
import { isValidUserPointer } from "../layout.js";
import { mapCallerPointer } from "../marshal-rules.js";
import { CeDeviceFile } from "../stream-interface.js";

function fileOf(api: string, h: number): CeDeviceFile | null {
  const { t } = ceCall(api);
  const entry = activeProcess(t).handleTable.lookup(h);
  return entry && entry.object instanceof CeDeviceFile ? entry.object : null;
}

/**
 * CreateFile on a device name ("SMD1:", "\$device\SMD1"): calls XXX_Open and returns a handle,
 * or INVALID_HANDLE_VALUE (ERROR_FILE_NOT_FOUND for a name no active device has). There is no
 * file system in the emulator: only device names resolve.
 */
export async function CreateFile(
  lpFileName: string,
  dwDesiredAccess: number,
  dwShareMode: number,
  _lpSecurityAttributes: null,
  dwCreationDisposition: number,
  _dwFlagsAndAttributes: number,
  _hTemplateFile: number,
): Promise<number> {
  const c = ceCall("CreateFile");
  const { t, m, ce } = c;
  traceEnter(c, "CreateFile", () => lpFileName);
  if (dwCreationDisposition < 1 || dwCreationDisposition > 5) {
    t.lastError = ERROR_INVALID_PARAMETER;
    traceReturn(c, "CreateFile", "INVALID_HANDLE_VALUE", true);
    return INVALID_HANDLE_VALUE;
  }
  const owner = activeProcess(t);
  const r = await kernelServiceAsync(c, () => ce.devices.open(t, lpFileName, dwDesiredAccess, dwShareMode, c.user));
  if (!r.file) {
    t.lastError = r.error;
    traceReturn(c, "CreateFile", "INVALID_HANDLE_VALUE", true);
    return INVALID_HANDLE_VALUE;
  }
  const h = m.ob.insertHandle(owner, r.file, dwDesiredAccess >>> 0);
  t.lastError = 0;
  traceReturn(c, "CreateFile", `handle ${h}`, false);
  return h;
}

/**
 * DeviceIoControl on a stream device handle: XXX_IOControl(hOpenContext, dwIoControlCode,
 * lpInBuf, nInBufSize, lpOutBuf, nOutBufSize, lpBytesReturned). `lpOverlapped` must be null
 * (CE's stream devices are synchronous).
 */
export async function DeviceIoControl(
  hDevice: number,
  dwIoControlCode: number,
  lpInBuf: number,
  nInBufSize: number,
  lpOutBuf: number,
  nOutBufSize: number,
  lpBytesReturned: number,
  lpOverlapped: number | null = null,
): Promise<boolean> {
  const c = ceCall("DeviceIoControl");
  const { t, ce } = c;
  traceEnter(c, "DeviceIoControl", () => `handle ${hDevice}, ${hex(dwIoControlCode)}, ${hex(lpInBuf)}, ${nInBufSize}, ${hex(lpOutBuf)}, ${nOutBufSize}`);
  const failed = (error: number): boolean => {
    t.lastError = error;
    traceReturn(c, "DeviceIoControl", "FALSE", true);
    return false;
  };
  const file = fileOf("DeviceIoControl", hDevice);
  if (!file) return failed(ERROR_INVALID_HANDLE);
  if (lpOverlapped !== null && lpOverlapped !== 0) return failed(ERROR_INVALID_PARAMETER);
  let pIn = lpInBuf >>> 0;
  let pOut = lpOutBuf >>> 0;
  let pBytes = lpBytesReturned >>> 0;
  if (c.user) {
    if (ce.version === "6.0") {
      // The kernel's argument check (FNSIG: I_PTR, O_PTR, O_PDW) against the caller.
      if ((pIn && !isValidUserPointer(pIn, nInBufSize, false)) || (pOut && !isValidUserPointer(pOut, nOutBufSize, true)) || (pBytes && !isValidUserPointer(pBytes, 4, true))) {
        return failed(ERROR_INVALID_PARAMETER);
      }
    } else {
      // CE 5.0: the device manager maps the caller's pointers; what the caller cannot access arrives as NULL.
      pIn = mapCallerPointer(pIn, nInBufSize, true);
      pOut = mapCallerPointer(pOut, nOutBufSize, true);
      pBytes = mapCallerPointer(pBytes, 4, true);
    }
  }
  const ok = await kernelServiceAsync(c, () => ce.devices.ioControl(t, file, dwIoControlCode, pIn, nInBufSize, pOut, nOutBufSize, pBytes, c.user));
  traceReturn(c, "DeviceIoControl", ok ? "TRUE" : "FALSE", !ok);
  return ok;
}

async function transfer(api: "ReadFile" | "WriteFile", hFile: number, lpBuffer: number, nBytes: number, lpDone: number): Promise<boolean> {
  const c = ceCall(api);
  const { t, m, ce } = c;
  traceEnter(c, api, () => `handle ${hFile}, ${hex(lpBuffer)}, ${nBytes}`);
  const file = fileOf(api, hFile);
  const failed = (error: number): boolean => {
    t.lastError = error;
    traceReturn(c, api, "FALSE", true);
    return false;
  };
  if (!file) return failed(ERROR_INVALID_HANDLE);
  if (c.user && ce.version === "6.0" && ((lpBuffer && !isValidUserPointer(lpBuffer, nBytes, api === "ReadFile")) || (lpDone && !isValidUserPointer(lpDone, 4, true)))) {
    return failed(ERROR_INVALID_PARAMETER);
  }
  const buffer = c.user && ce.version === "5.0" ? mapCallerPointer(lpBuffer >>> 0, nBytes, true) : lpBuffer >>> 0;
  const n = await kernelServiceAsync(c, () => ce.devices.transfer(t, file, api === "ReadFile" ? "Read" : "Write", buffer, nBytes, c.user));
  if (n === 0xffffffff) {
    traceReturn(c, api, "FALSE", true);
    return false;
  }
  if (lpDone) m.mmu.writeU32(lpDone, n);
  traceReturn(c, api, `TRUE (${n} bytes)`, false);
  return true;
}

/** ReadFile on a stream device: XXX_Read; the count goes to `lpNumberOfBytesRead`. */
export function ReadFile(hFile: number, lpBuffer: number, nNumberOfBytesToRead: number, lpNumberOfBytesRead: number, _lpOverlapped: null = null): Promise<boolean> {
  return transfer("ReadFile", hFile, lpBuffer, nNumberOfBytesToRead, lpNumberOfBytesRead);
}

/** WriteFile on a stream device: XXX_Write. */
export function WriteFile(hFile: number, lpBuffer: number, nNumberOfBytesToWrite: number, lpNumberOfBytesWritten: number, _lpOverlapped: null = null): Promise<boolean> {
  return transfer("WriteFile", hFile, lpBuffer, nNumberOfBytesToWrite, lpNumberOfBytesWritten);
}

/** SetFilePointer on a stream device: XXX_Seek; INVALID_SET_FILE_POINTER on failure. */
export async function SetFilePointer(hFile: number, lDistanceToMove: number, _lpDistanceToMoveHigh: number, dwMoveMethod: number): Promise<number> {
  const c = ceCall("SetFilePointer");
  const { t, ce } = c;
  const file = fileOf("SetFilePointer", hFile);
  if (!file) return fail(t, ERROR_INVALID_HANDLE, INVALID_SET_FILE_POINTER);
  return kernelServiceAsync(c, () => ce.devices.seek(t, file, lDistanceToMove, dwMoveMethod, c.user));
}

/**
 * ActivateDeviceEx: loads the stream driver a registry key (Drivers\BuiltIn\SMD) describes and
 * runs its XXX_Init with `lpvParam`; returns the device handle for DeactivateDevice, or
 * INVALID_HANDLE_VALUE (ERROR_INVALID_FUNCTION for a bad entry-point set, ERROR_DEVICE_IN_USE for
 * a name already taken, ERROR_OPEN_FAILED when Init returns 0). Registry initializers
 * (`lpRegEnts`) are not supported: pass null and 0.
 */
export async function ActivateDeviceEx(lpszDevKey: string, lpRegEnts: number | null, cRegEnts: number, lpvParam: unknown): Promise<number> {
  const c = ceCall("ActivateDeviceEx");
  const { t, ce } = c;
  traceEnter(c, "ActivateDeviceEx", () => lpszDevKey);
  if ((lpRegEnts !== null && lpRegEnts !== 0) || cRegEnts !== 0) {
    t.lastError = ERROR_INVALID_PARAMETER;
    traceReturn(c, "ActivateDeviceEx", "INVALID_HANDLE_VALUE", true);
    return INVALID_HANDLE_VALUE;
  }
  const r = await kernelServiceAsync(c, () => ce.devices.activate(t, lpszDevKey, lpvParam));
  if (r.error) {
    t.lastError = r.error;
    traceReturn(c, "ActivateDeviceEx", "INVALID_HANDLE_VALUE", true);
    return INVALID_HANDLE_VALUE;
  }
  traceReturn(c, "ActivateDeviceEx", hex(r.handle), false);
  return r.handle;
}

/** DeactivateDevice: XXX_PreDeinit, then XXX_Deinit once no handle or call holds the device. */
export async function DeactivateDevice(hDevice: number): Promise<boolean> {
  const c = ceCall("DeactivateDevice");
  const { t, ce } = c;
  traceEnter(c, "DeactivateDevice", () => hex(hDevice));
  const e = await kernelServiceAsync(c, () => ce.devices.deactivate(t, hDevice));
  if (e) t.lastError = e;
  traceReturn(c, "DeactivateDevice", e ? "FALSE" : "TRUE", e !== 0);
  return e === 0;
}
