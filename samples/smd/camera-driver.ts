/**
 * CAM, the camera driver of seed 000's scenario: 30 frames per second of 640×480×8 bits, kept
 * in a ring of 60 frames stored contiguously in reserved RAM that the app sees through a
 * VirtualCopyEx mapping — the driver stores each frame within 5 ms of its interrupt, and the app
 * processes it in the remaining 28 ms, with no byte copied between them. When the app falls so
 * far behind that the ring is full, the driver drops the new frame and counts it.
 *
 * The ring (physical 0x04000000, kernel address 0x84000000):
 *   +0     header: magic, frame size, frame count, frames stored (write index), frames
 *          consumed (read index, written by the app), frames dropped
 *   +64    a 16-byte entry per slot: frame number, arrival time (100 ns ticks, 64-bit), store time
 *   +4096  60 frames of 307200 bytes; each frame's first DWORD is its frame number, the rest of
 *          its pixels the frame number's low byte
 */
import {
  CTL_CODE,
  CloseHandle,
  CreateEvent,
  CreateThread,
  ERROR_INVALID_PARAMETER,
  FILE_ANY_ACCESS,
  FILE_DEVICE_UNKNOWN,
  FillMemory,
  GetCallerVMProcessId,
  GetCurrentProcess,
  INFINITE,
  InterruptDisable,
  InterruptDone,
  InterruptInitialize,
  MEM_COMMIT,
  MEM_RELEASE,
  MEM_RESERVE,
  METHOD_BUFFERED,
  PAGE_SIZE,
  QueryPerformanceCounter,
  VirtualAlloc,
  VirtualFree,
  MmMapIoSpace,
  MmUnmapIoSpace,
  PAGE_NOACCESS,
  PAGE_NOCACHE,
  PAGE_READWRITE,
  RETAILMSG,
  SetEvent,
  SetLastError,
  Sleep,
  VirtualAllocEx,
  VirtualCopyEx,
  VirtualFreeEx,
  WaitForSingleObject,
  readU32,
  writeU32,
  type CeExports,
} from "irpsim/ce6";
import { CAMERA_REG_ARRIVAL_HI, CAMERA_REG_ARRIVAL_LO, CAMERA_REG_FRAME_NUMBER, CAMERA_REGISTERS_PHYSICAL, SYSINTR_CAMERA } from "./camera-sensor.js";

/** Maps the ring into the caller; returns its address. */
export const IOCTL_CAM_MAP_RING = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x810, METHOD_BUFFERED, FILE_ANY_ACCESS);
/** Removes the caller's mapping of the ring. */
export const IOCTL_CAM_UNMAP_RING = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x811, METHOD_BUFFERED, FILE_ANY_ACCESS);
/** Starts storing frames. */
export const IOCTL_CAM_START = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x812, METHOD_BUFFERED, FILE_ANY_ACCESS);
/** Stops storing frames. */
export const IOCTL_CAM_STOP = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x813, METHOD_BUFFERED, FILE_ANY_ACCESS);

export const FRAME_WIDTH = 640;
export const FRAME_HEIGHT = 480;
/** 640 × 480 × 8 bits. */
export const FRAME_BYTES = FRAME_WIDTH * FRAME_HEIGHT;
/** Frames the ring keeps. */
export const RING_FRAMES = 60;
export const RING_HEADER_BYTES = 4096;
export const RING_BYTES = RING_HEADER_BYTES + RING_FRAMES * FRAME_BYTES;
/** The ring's RAM: reserved from the OS, statically mapped at 0x84000000. */
export const RING_PHYSICAL = 0x04000000;
export const RING_RESERVED_BYTES = 0x01200000;
export const RING_KERNEL_ADDRESS = 0x84000000;
/** The driver's budget for storing a frame, from its interrupt to CAM_FRAME_READY. */
export const STORE_MS = 5;
/** The sensor's DMA into the slot: the budget less a millisecond for the IST's own code, which takes time too. */
export const DMA_MS = STORE_MS - 1;
/** The named event the driver sets when a frame is stored. */
export const FRAME_READY_EVENT = "CAM_FRAME_READY";

export const RING_MAGIC = 0x524d4143; // "CAMR"
export const RING_OFFSET_MAGIC = 0;
export const RING_OFFSET_FRAME_BYTES = 4;
export const RING_OFFSET_FRAMES = 8;
export const RING_OFFSET_WRITE = 12;
export const RING_OFFSET_READ = 16;
export const RING_OFFSET_DROPPED = 20;
export const RING_OFFSET_SLOTS = 64;
export const SLOT_ENTRY_BYTES = 16;

/** The address of slot `i`'s pixels, from the ring's base. */
export function frameOffset(i: number): number {
  return RING_HEADER_BYTES + (i % RING_FRAMES) * FRAME_BYTES;
}

/** The driver's device state (C's device context structure). */
class CAM_DEVICE {
  /** The sensor's registers, mapped with MmMapIoSpace. */
  registers = 0;
  /** A page of kernel memory for the locals C keeps on its stack (a LARGE_INTEGER). */
  locals = 0;
  hInterrupt = 0;
  hFrameReady = 0;
  hIst = 0;
  capturing = false;
  stopping = false;
  /** The longest store, in 100 ns ticks (for the scenario's report). */
  maxStoreTicks = 0;
  /** The caller's mapping of the ring. */
  mappedProcess = 0;
  mappedAddress = 0;
}

/**
 * Makes cam.dll: its exports, with a device state of their own.
 *
 * @returns the DLL's export table, and the device state for the scenario's report.
 */
export function makeCameraDriver(): { exports: CeExports; device: () => CAM_DEVICE | null } {
  let dev: CAM_DEVICE | null = null;

  /**
   * CAM_IST: the interrupt service thread. For each frame interrupt it stores the frame in the
   * next slot (within STORE_MS), publishes it and sets CAM_FRAME_READY — or drops it when the
   * app has not consumed the slot it would overwrite.
   *
   * @param d the device.
   * @returns 0 when the device is deinitialized.
   */
  async function CAM_IST(d: CAM_DEVICE): Promise<number> {
    const ring = RING_KERNEL_ADDRESS;
    for (;;) {
      await WaitForSingleObject(d.hInterrupt, INFINITE);
      if (d.stopping) break;
      const frame = readU32(d.registers + CAMERA_REG_FRAME_NUMBER);
      const arrivalLo = readU32(d.registers + CAMERA_REG_ARRIVAL_LO);
      const arrivalHi = readU32(d.registers + CAMERA_REG_ARRIVAL_HI);
      if (!d.capturing) {
        InterruptDone(SYSINTR_CAMERA);
        continue;
      }
      const write = readU32(ring + RING_OFFSET_WRITE);
      const read = readU32(ring + RING_OFFSET_READ);
      if (write - read >= RING_FRAMES) {
        // The ring is full: the app still needs the oldest frame, so this one is lost.
        writeU32(ring + RING_OFFSET_DROPPED, readU32(ring + RING_OFFSET_DROPPED) + 1);
        InterruptDone(SYSINTR_CAMERA);
        continue;
      }
      // The sensor's DMA into the slot takes DMA_MS; the code around it fills the rest of STORE_MS.
      await Sleep(DMA_MS);
      const pixels = ring + frameOffset(write);
      FillMemory(pixels, FRAME_BYTES, frame & 0xff);
      writeU32(pixels, frame);
      const entry = ring + RING_OFFSET_SLOTS + (write % RING_FRAMES) * SLOT_ENTRY_BYTES;
      writeU32(entry, frame);
      writeU32(entry + 4, arrivalLo);
      writeU32(entry + 8, arrivalHi);
      QueryPerformanceCounter(d.locals);
      const now = readU32(d.locals + 4) * 2 ** 32 + readU32(d.locals);
      const storeTicks = now - (arrivalHi * 2 ** 32 + arrivalLo);
      writeU32(entry + 12, storeTicks);
      d.maxStoreTicks = Math.max(d.maxStoreTicks, storeTicks);
      writeU32(ring + RING_OFFSET_WRITE, write + 1);
      SetEvent(d.hFrameReady);
      InterruptDone(SYSINTR_CAMERA);
    }
    return 0;
  }

  /**
   * CAM_Init: maps the sensor's registers, lays out the ring header, and starts the IST on the
   * camera's SYSINTR.
   *
   * @returns the device context, or 0.
   */
  function CAM_Init(pContext: string): number {
    const d = new CAM_DEVICE();
    d.registers = MmMapIoSpace(CAMERA_REGISTERS_PHYSICAL, 0x1000, false);
    if (d.registers === 0) return 0;
    d.locals = VirtualAlloc(0, PAGE_SIZE, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
    if (d.locals === 0) return 0;
    const ring = RING_KERNEL_ADDRESS;
    writeU32(ring + RING_OFFSET_MAGIC, RING_MAGIC);
    writeU32(ring + RING_OFFSET_FRAME_BYTES, FRAME_BYTES);
    writeU32(ring + RING_OFFSET_FRAMES, RING_FRAMES);
    writeU32(ring + RING_OFFSET_WRITE, 0);
    writeU32(ring + RING_OFFSET_READ, 0);
    writeU32(ring + RING_OFFSET_DROPPED, 0);
    d.hInterrupt = CreateEvent(null, false, false, null);
    d.hFrameReady = CreateEvent(null, false, false, FRAME_READY_EVENT);
    if (!InterruptInitialize(SYSINTR_CAMERA, d.hInterrupt, 0, 0)) return 0;
    d.hIst = CreateThread(null, 0, CAM_IST, d, 0, 0, "CAM_IST");
    dev = d;
    RETAILMSG(1, `CAM_Init: ${pContext}, ring of ${RING_FRAMES} frames at 0x${ring.toString(16)}`);
    return 1;
  }

  /**
   * CAM_Deinit: stops the IST and releases what Init took.
   *
   * @returns TRUE.
   */
  async function CAM_Deinit(): Promise<boolean> {
    const d = dev;
    if (!d) return false;
    d.stopping = true;
    SetEvent(d.hInterrupt);
    await WaitForSingleObject(d.hIst, INFINITE);
    InterruptDisable(SYSINTR_CAMERA);
    await CloseHandle(d.hIst);
    await CloseHandle(d.hInterrupt);
    await CloseHandle(d.hFrameReady);
    MmUnmapIoSpace(d.registers, 0x1000);
    VirtualFree(d.locals, 0, MEM_RELEASE);
    dev = null;
    return true;
  }

  /** CAM_Open. @returns a non-zero open context. */
  function CAM_Open(): number {
    return 1;
  }

  /**
   * CAM_Close: stops capturing and removes a mapping the app left behind.
   *
   * @returns TRUE.
   */
  function CAM_Close(): boolean {
    const d = dev;
    if (d) {
      d.capturing = false;
      if (d.mappedAddress) VirtualFreeEx(d.mappedProcess, d.mappedAddress, 0, MEM_RELEASE);
      d.mappedAddress = 0;
    }
    return true;
  }

  /**
   * CAM_IOControl: maps and unmaps the ring in the caller, starts and stops capture.
   *
   * @returns TRUE on success.
   */
  function CAM_IOControl(_hOpen: number, dwCode: number, _pIn: number, _dwIn: number, pOut: number, dwOut: number, pdwActualOut: number): boolean {
    const d = dev;
    if (!d) return false;
    switch (dwCode) {
      case IOCTL_CAM_MAP_RING: {
        if (pOut === 0 || dwOut < 4 || d.mappedAddress !== 0) {
          SetLastError(ERROR_INVALID_PARAMETER);
          return false;
        }
        const pvProcess = GetCallerVMProcessId();
        const va = VirtualAllocEx(pvProcess, 0, RING_BYTES, MEM_RESERVE, PAGE_NOACCESS);
        if (va === 0) return false;
        if (!VirtualCopyEx(pvProcess, va, GetCurrentProcess(), RING_KERNEL_ADDRESS, RING_BYTES, PAGE_READWRITE | PAGE_NOCACHE)) {
          VirtualFreeEx(pvProcess, va, 0, MEM_RELEASE);
          return false;
        }
        d.mappedProcess = pvProcess;
        d.mappedAddress = va;
        writeU32(pOut, va);
        if (pdwActualOut) writeU32(pdwActualOut, 4);
        return true;
      }
      case IOCTL_CAM_UNMAP_RING: {
        if (d.mappedAddress === 0 || !VirtualFreeEx(d.mappedProcess, d.mappedAddress, 0, MEM_RELEASE)) return false;
        d.mappedAddress = 0;
        return true;
      }
      case IOCTL_CAM_START:
        d.capturing = true;
        return true;
      case IOCTL_CAM_STOP:
        d.capturing = false;
        return true;
      default:
        SetLastError(ERROR_INVALID_PARAMETER);
        return false;
    }
  }

  return {
    exports: { CAM_Init, CAM_Deinit, CAM_Open, CAM_Close, CAM_IOControl },
    device: () => dev,
  };
}
