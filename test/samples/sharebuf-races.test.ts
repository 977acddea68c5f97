import { expect } from "chai";
import { loadDriver } from "../../io-manager/driver.js";
import type { IoHooks } from "../../io-manager/hooks.js";
import { ioManager } from "../../io-manager/io-manager.js";
import { injectCancel } from "../../io-manager/inject.js";
import type { Machine } from "../../kernel/machine.js";
import { IOCTL_DONE_USING_SHARE_BUFFER, IOCTL_SHARE_BUFFER, SharebufDriverEntry } from "../../samples/sharebuf/driver.js";
import {
  CancelIoEx,
  CloseHandle,
  CreateEvent,
  CreateFile,
  DeviceIoControl,
  ERROR_BAD_COMMAND,
  ERROR_IO_PENDING,
  ERROR_NOT_FOUND,
  ERROR_OPERATION_ABORTED,
  FILE_FLAG_OVERLAPPED,
  GENERIC_READ,
  GENERIC_WRITE,
  GetLastError,
  GetOverlappedResult,
  GetProcessHeap,
  HEAP_ZERO_MEMORY,
  HeapAlloc,
  MEM_COMMIT,
  MEM_RESERVE,
  OPEN_EXISTING,
  OVERLAPPED,
  PAGE_READWRITE,
  SIZEOF_OVERLAPPED,
  Sleep,
  VirtualAlloc,
} from "../../win32/index.js";
import { newMachine } from "../helpers.js";

/** What the app saw of the two requests. */
interface Outcome {
  cancelOk: boolean | null;
  cancelError: number;
  doneOk: boolean;
  doneError: number;
  shareOk: boolean;
  shareError: number;
}

function overlapped(): OVERLAPPED {
  const ov = new OVERLAPPED(HeapAlloc(GetProcessHeap(), HEAP_ZERO_MEMORY, SIZEOF_OVERLAPPED));
  ov.hEvent = CreateEvent(null, true, false, null);
  return ov;
}

/**
 * Shares a buffer with Sharebuf, then ends the sharing with CancelIoEx and DONE_USING in the
 * given order (or DONE_USING alone, with `cancel` null, for injected cancels).
 */
async function race(m: Machine, order: "cancel-first" | "done-first" | "done-only"): Promise<Outcome> {
  await loadDriver(m, "Sharebuf", SharebufDriverEntry);
  const out: Outcome = { cancelOk: null, cancelError: 0, doneOk: false, doneError: 0, shareOk: false, shareError: 0 };
  m.createProcess("sharebuf.exe", async () => {
    const h = await CreateFile("\\\\.\\Sharebuf", GENERIC_READ | GENERIC_WRITE, 0, null, OPEN_EXISTING, FILE_FLAG_OVERLAPPED, 0);
    const buf = VirtualAlloc(0, 16384, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
    const bytes = HeapAlloc(GetProcessHeap(), HEAP_ZERO_MEMORY, 4);
    const share = overlapped();
    if ((await DeviceIoControl(h, IOCTL_SHARE_BUFFER, 0, 0, buf, 16384, bytes, share)) || GetLastError() !== ERROR_IO_PENDING) throw new Error("not pended");
    await Sleep(30);
    const cancel = async () => {
      out.cancelOk = await CancelIoEx(h, share);
      out.cancelError = out.cancelOk ? 0 : GetLastError();
    };
    const done = async () => {
      out.doneOk = await DeviceIoControl(h, IOCTL_DONE_USING_SHARE_BUFFER, 0, 0, 0, 0, bytes, overlapped());
      out.doneError = out.doneOk ? 0 : GetLastError();
    };
    if (order === "cancel-first") {
      await cancel();
      await done();
    } else {
      await done();
      if (order === "done-first") await cancel();
    }
    out.shareOk = await GetOverlappedResult(h, share, bytes, true);
    out.shareError = out.shareOk ? 0 : GetLastError();
    await CloseHandle(h);
  });
  const r = await m.run();
  expect(r.outcome, r.bugCheck?.name ?? r.deadlock ?? "").to.equal("completed");
  expect(ioManager(m).liveIrps.size).to.equal(0);
  return out;
}

/** An I/O manager hook that calls `arm` as DONE_USING's IRP reaches the driver. */
function armOnDoneUsing(arm: () => void): IoHooks {
  return {
    beforeDispatch(irp) {
      if (irp.Stack[irp.CurrentLocation - 1]?.Parameters.DeviceIoControl.IoControlCode === IOCTL_DONE_USING_SHARE_BUFFER) arm();
    },
  };
}

describe("samples/sharebuf: CancelIoEx racing DONE_USING", () => {
  it("CancelIoEx first: the cancel routine completes the shared IRP (ERROR_OPERATION_ABORTED) and DONE_USING finds nothing to complete (STATUS_INVALID_DEVICE_STATE)", async () => {
    const out = await race(newMachine(), "cancel-first");
    expect(out).to.deep.equal({ cancelOk: true, cancelError: 0, doneOk: false, doneError: ERROR_BAD_COMMAND, shareOk: false, shareError: ERROR_OPERATION_ABORTED });
  });

  it("DONE_USING first: the shared IRP completes with success and CancelIoEx finds nothing (ERROR_NOT_FOUND)", async () => {
    const out = await race(newMachine(), "done-first");
    expect(out).to.deep.equal({ cancelOk: false, cancelError: ERROR_NOT_FOUND, doneOk: true, doneError: 0, shareOk: true, shareError: 0 });
  });

  it("a cancel landing inside DONE_USING before the driver takes its lock: the cancel routine completes the IRP once; DONE_USING sees nothing shared", async () => {
    const m = newMachine();
    let armed = false;
    m.injector = (point) => {
      // The first spin-lock acquisition inside DONE_USING's dispatch routine.
      if (armed && point === "KeAcquireSpinLock") {
        armed = false;
        const irp = [...ioManager(m).liveIrps].find((i) => i.CancelRoutine !== null);
        if (irp) injectCancel(m, irp, m.processes[1] ?? m.systemProcess, "CancelIoEx from another thread");
      }
    };
    ioManager(m).hooks.push(armOnDoneUsing(() => (armed = true)));
    const out = await race(m, "done-only");
    expect(out).to.deep.equal({ cancelOk: null, cancelError: 0, doneOk: false, doneError: ERROR_BAD_COMMAND, shareOk: false, shareError: ERROR_OPERATION_ABORTED });
  });

  it("a cancel landing inside DONE_USING after the driver cleared the cancel routine: the cancel only marks the IRP, and DONE_USING completes it with success", async () => {
    const m = newMachine();
    let armed = false;
    m.injector = (point) => {
      if (armed && point === "IoSetCancelRoutine/return") {
        armed = false;
        const irp = [...ioManager(m).liveIrps].find((i) => i.Stack[i.CurrentLocation - 1]?.Parameters.DeviceIoControl.IoControlCode === IOCTL_SHARE_BUFFER);
        if (irp) {
          injectCancel(m, irp, m.processes[1] ?? m.systemProcess, "CancelIoEx from another thread");
          cancelled = irp.Cancel;
        }
      }
    };
    let cancelled = false;
    ioManager(m).hooks.push(armOnDoneUsing(() => (armed = true)));
    const out = await race(m, "done-only");
    expect(cancelled, "the injected cancel reached the shared IRP").to.equal(true);
    expect(out).to.deep.equal({ cancelOk: null, cancelError: 0, doneOk: true, doneError: 0, shareOk: true, shareError: 0 });
  });
});
