/**
 * The camera app of seed 000's scenario: it maps the driver's 60-frame ring into its own
 * address space once, then, each time CAM_FRAME_READY fires, processes the stored frames in
 * order at its own addresses — 28 ms each, the time left in a 33 ms frame period after the
 * driver's 5 ms store — and hands each slot back by advancing the ring's read index. No frame
 * is copied between the driver and the app.
 */
import {
  CloseHandle,
  CreateEvent,
  CreateFile,
  DeviceIoControl,
  GENERIC_READ,
  GENERIC_WRITE,
  INVALID_HANDLE_VALUE,
  MEM_COMMIT,
  MEM_RESERVE,
  OPEN_EXISTING,
  PAGE_READWRITE,
  PAGE_SIZE,
  QueryPerformanceCounter,
  Sleep,
  VirtualAlloc,
  WaitForSingleObject,
  printf,
  readBytes,
  readU32,
  writeU32,
} from "irpsim/ce6";
import {
  FRAME_BYTES,
  FRAME_READY_EVENT,
  IOCTL_CAM_MAP_RING,
  IOCTL_CAM_START,
  IOCTL_CAM_STOP,
  IOCTL_CAM_UNMAP_RING,
  RING_FRAMES,
  RING_MAGIC,
  RING_OFFSET_DROPPED,
  RING_OFFSET_MAGIC,
  RING_OFFSET_READ,
  RING_OFFSET_SLOTS,
  RING_OFFSET_WRITE,
  SLOT_ENTRY_BYTES,
  frameOffset,
} from "./camera-driver.js";

/** The app's processing time per frame: the 28 ms left after the driver's 5 ms store. */
export const PROCESSING_MS = 28;

/** How the app behaves. */
export interface CameraAppOptions {
  /** Stop when this many frames have been processed or dropped. */
  readonly frames: number;
  /** Milliseconds of processing per frame (default 28). */
  readonly processingMs?: number;
  /** A stall (the app busy elsewhere) of `ms` after processing frame `after`. */
  readonly stall?: { readonly after: number; readonly ms: number };
}

/** What the app saw, for the scenario's checks. */
export class CameraAppReport {
  ringAddress = 0;
  processed = 0;
  dropped = 0;
  /** Frames whose pixels and numbers were what the driver stored. */
  verified = 0;
  /** The longest time from a frame's arrival to the end of its processing, in 100 ns ticks. */
  maxLatencyTicks = 0;
  /** The longest store time the driver recorded, in 100 ns ticks. */
  maxStoreTicks = 0;
  /** Frame numbers in the order processed. */
  readonly frameNumbers: number[] = [];
  finished = false;
}

/**
 * Makes the app's main function.
 *
 * @param report where it writes what it saw.
 * @param options how many frames, how long each takes, and an optional stall.
 * @returns the app's main.
 */
export function makeCameraApp(report: CameraAppReport, options: CameraAppOptions): () => Promise<number> {
  const processingMs = options.processingMs ?? PROCESSING_MS;
  return async function CameraAppMain(): Promise<number> {
    const hCam = await CreateFile("CAM1:", GENERIC_READ | GENERIC_WRITE, 0, null, OPEN_EXISTING, 0, 0);
    if (hCam === INVALID_HANDLE_VALUE) return 1;
    const locals = VirtualAlloc(0, PAGE_SIZE, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
    const pRing = locals;
    const pBytes = locals + 4;
    const pNow = locals + 8;
    if (!(await DeviceIoControl(hCam, IOCTL_CAM_MAP_RING, 0, 0, pRing, 4, pBytes, null))) return 2;
    const ring = readU32(pRing);
    report.ringAddress = ring;
    if (readU32(ring + RING_OFFSET_MAGIC) !== RING_MAGIC) return 3;
    const hReady = CreateEvent(null, false, false, FRAME_READY_EVENT);
    await DeviceIoControl(hCam, IOCTL_CAM_START, 0, 0, 0, 0, pBytes, null);

    while (report.processed + report.dropped < options.frames) {
      await WaitForSingleObject(hReady, 1000);
      for (;;) {
        const write = readU32(ring + RING_OFFSET_WRITE);
        const read = readU32(ring + RING_OFFSET_READ);
        report.dropped = readU32(ring + RING_OFFSET_DROPPED);
        if (read >= write || report.processed + report.dropped >= options.frames) break;
        // The frame, at the app's own address: its header entry and its pixels.
        const entry = ring + RING_OFFSET_SLOTS + (read % RING_FRAMES) * SLOT_ENTRY_BYTES;
        const frame = readU32(entry);
        const arrival = readU32(entry + 8) * 2 ** 32 + readU32(entry + 4);
        report.maxStoreTicks = Math.max(report.maxStoreTicks, readU32(entry + 12));
        const pixels = readBytes(ring + frameOffset(read), FRAME_BYTES);
        const number = new DataView(pixels.buffer).getUint32(0, true);
        let intact = number === frame;
        for (let i = 4; intact && i < FRAME_BYTES; i += 997) intact = pixels[i] === (frame & 0xff);
        if (intact) report.verified++;
        await Sleep(processingMs);
        if (options.stall && report.processed + 1 === options.stall.after) await Sleep(options.stall.ms);
        QueryPerformanceCounter(pNow);
        const now = readU32(pNow + 4) * 2 ** 32 + readU32(pNow);
        report.maxLatencyTicks = Math.max(report.maxLatencyTicks, now - arrival);
        report.frameNumbers.push(frame);
        report.processed++;
        // Hand the slot back to the driver.
        writeU32(ring + RING_OFFSET_READ, read + 1);
      }
    }

    await DeviceIoControl(hCam, IOCTL_CAM_STOP, 0, 0, 0, 0, pBytes, null);
    await DeviceIoControl(hCam, IOCTL_CAM_UNMAP_RING, 0, 0, 0, 0, pBytes, null);
    printf(`camera: ${report.processed} frames processed, ${report.dropped} dropped`);
    await CloseHandle(hReady);
    await CloseHandle(hCam);
    report.finished = true;
    return 0;
  };
}
