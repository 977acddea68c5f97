/**
 * A synthetic trace of any length, for the exporters' scale tests: an app that sends pended
 * METHOD_OUT_DIRECT IOCTLs over and over, each locked and mapped with an MDL, completed from a
 * DPC and delivered back — the shape of sharebuf's trace, repeated, with every IRP and MDL label
 * distinct and frames reused, so the exporters' per-IRP and per-MDL bookkeeping is exercised.
 */
import type { TraceEvent, TraceEventKind, TraceEventMap } from "../../kernel/trace.js";

const APP_PID = 12;
const APP_TID = 16;
const IOCTL = 0x00222002;

/** At least `count` events (whole request cycles), made in one array. */
export function syntheticTrace(count: number): TraceEvent[] {
  const events: TraceEvent[] = [];
  let seq = 0;
  let time = 0;
  const push = <K extends TraceEventKind>(kind: K, tid: number, pid: number, irql: number, fields: TraceEventMap[K]) => {
    events.push({ kind, seq: seq++, time, tid, pid, irql, ...fields } as unknown as TraceEvent);
  };
  push("ProcessCreated", 0, 0, 0, { process: APP_PID, name: "synth.exe", parent: 0 });
  push("ThreadCreated", 0, 0, 0, { thread: APP_TID, process: APP_PID, name: "synth.exe:main", system: false });
  push("IoctlNamed", 0, 0, 0, { driver: "Synth", code: IOCTL, name: "IOCTL_SYNTH_SHARE" });
  push("DriverLoaded", 0, 0, 0, { driver: "Synth", status: 0 });
  push("TimerSet", APP_TID, APP_PID, 0, { timer: "SynthTimer", dueMs: 1, periodMs: 1 });
  for (let i = 1; events.length < count; i++) {
    const irp = `irp#${i}`;
    const mdl = `mdl#${i}`;
    const va = 0x00110000 + (i % 16) * 0x4000;
    const frames = [0x100 + (i % 64) * 4, 0x101 + (i % 64) * 4];
    time += 10_000;
    push("ApiEnter", APP_TID, APP_PID, 0, { api: "DeviceIoControl", detail: `handle 4, 0x${IOCTL.toString(16).toUpperCase().padStart(8, "0")}, in 0, out 8192 at 0x${va.toString(16).toUpperCase().padStart(8, "0")}, overlapped` });
    push("IrpAllocated", APP_TID, APP_PID, 0, { irp, stackSize: 1, origin: "DeviceIoControl" });
    push("MdlLocked", APP_TID, APP_PID, 0, { mdl, va, length: 8192, frames, process: APP_PID, write: true });
    push("IrpDispatched", APP_TID, APP_PID, 0, { irp, major: "IRP_MJ_DEVICE_CONTROL", minor: 0, device: "\\Device\\Synth", driver: "Synth", routine: "SynthDeviceControl", ioctl: IOCTL });
    push("MdlMapped", APP_TID, APP_PID, 0, { mdl, va, mappedVa: 0xa0000000 + (i % 16) * 0x2000, mode: "KernelMode", process: APP_PID, frames });
    push("IrpCancelRoutineSet", APP_TID, APP_PID, 0, { irp, routine: "SynthCancel", previous: "NULL" });
    push("IrpMarkedPending", APP_TID, APP_PID, 0, { irp, driver: "Synth" });
    push("IrpDispatchReturned", APP_TID, APP_PID, 0, { irp, status: 0x103, statusName: "STATUS_PENDING", driver: "Synth", routine: "SynthDeviceControl" });
    push("ApiReturn", APP_TID, APP_PID, 0, { api: "DeviceIoControl", result: "FALSE", lastError: 997, lastErrorName: "ERROR_IO_PENDING" });
    push("Wait", APP_TID, APP_PID, 0, { objects: [`event#${i}`], waitAll: false, mode: "UserMode", timeoutMs: null });
    time += 5_000;
    push("DpcStart", 0, 4, 2, { dpc: "SynthDpc", routine: "SynthTimerDpc", driver: "Synth" });
    push("DebugPrint", 0, 4, 2, { mode: "KernelMode", text: `Synth: completing ${irp} (record ${i})` });
    push("IrpCancelRoutineSet", 0, 4, 2, { irp, routine: "NULL", previous: "SynthCancel" });
    push("IrpCompleted", 0, 4, 2, { irp, status: 0, statusName: "STATUS_SUCCESS", information: 8192, driver: "Synth" });
    push("MdlUnmapped", 0, 4, 2, { mdl, mappedVa: 0xa0000000 + (i % 16) * 0x2000, mode: "KernelMode" });
    push("MdlUnlocked", 0, 4, 2, { mdl, frames });
    push("DpcEnd", 0, 4, 2, { dpc: "SynthDpc", routine: "SynthTimerDpc" });
    push("IrpStage2", APP_TID, APP_PID, 1, { irp, status: 0, statusName: "STATUS_SUCCESS", delivered: true, copiedBack: 0 });
    push("IrpFreed", APP_TID, APP_PID, 1, { irp });
    push("WaitSatisfied", APP_TID, APP_PID, 0, { status: 0, statusName: "STATUS_WAIT_0" });
  }
  return events;
}
