/**
 * The camera of seed 000's scenario, as hardware: a sensor that delivers a frame every 1/30 s
 * on the machine's virtual clock. Each frame raises its SYSINTR and updates two registers the
 * driver maps with MmMapIoSpace: the frame number and the arrival time (100 ns ticks). Frame k
 * arrives at exactly start + k/30 s (rounded to the tick), so the schedule never drifts.
 */
import type { CeMachine } from "irpsim";

/** Frames per second. */
export const CAMERA_FPS = 30;
/** The SYSINTR the sensor raises. */
export const SYSINTR_CAMERA = 0x20;
/** Physical address of the sensor's registers (above RAM: device space). */
export const CAMERA_REGISTERS_PHYSICAL = 0x48100000;
/** Register offsets. */
export const CAMERA_REG_FRAME_NUMBER = 0x00;
export const CAMERA_REG_ARRIVAL_LO = 0x04;
export const CAMERA_REG_ARRIVAL_HI = 0x08;

const TICKS_PER_SECOND = 10_000_000;

/** The sensor. */
export class CameraSensor {
  private running = false;
  private frame = 0;
  private startTick = 0;
  /** Frames the sensor has delivered. */
  delivered = 0;

  constructor(private readonly ce: CeMachine) {}

  /** Powers the sensor on: frame 1 arrives 1/30 s from now. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.startTick = this.ce.machine.now;
    this.frame = 0;
    this.schedule();
  }

  /** Powers it off: no further frame arrives. */
  stop(): void {
    this.running = false;
  }

  private schedule(): void {
    const m = this.ce.machine;
    const next = this.frame + 1;
    const deadline = this.startTick + Math.round((next * TICKS_PER_SECOND) / CAMERA_FPS);
    m.scheduleDeviceEvent(deadline, `camera frame ${next}`, () => {
      if (!this.running) return;
      this.frame = next;
      this.delivered++;
      const regs = new Uint8Array(12);
      const view = new DataView(regs.buffer);
      view.setUint32(CAMERA_REG_FRAME_NUMBER, next, true);
      view.setUint32(CAMERA_REG_ARRIVAL_LO, m.now % 2 ** 32, true);
      view.setUint32(CAMERA_REG_ARRIVAL_HI, Math.floor(m.now / 2 ** 32), true);
      this.ce.writePhysical(CAMERA_REGISTERS_PHYSICAL, regs);
      this.ce.interrupts.raise(SYSINTR_CAMERA);
      this.schedule();
    });
  }
}
