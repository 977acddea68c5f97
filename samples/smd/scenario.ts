/**
 * The smd scenario: seed 000's Windows Embedded CE 6.0 memory sharing, in four parts.
 *
 * - smd: the SMD driver maps 32 MB of statically mapped kernel memory into the app with
 *   VirtualAllocEx + VirtualCopyEx, writes " Hello World" through its kernel address, and the
 *   app reads it at its own address; then the mapping is released. (In CE 5.0 mode the 32 MB
 *   VirtualCopyEx crosses a 32 MB section and fails with ERROR_INVALID_PARAMETER.)
 * - user-app: an app calling the kernel-only mapping APIs itself gets ERROR_NOT_SUPPORTED (and
 *   ERROR_INVALID_PARAMETER from the reflector), then maps the block through a kernel library.
 * - reflector: a user-mode driver in udevice.exe maps its device registers through the
 *   reflector, only inside its registry memory window.
 * - camera: 30 frames per second of 640×480×8 bits in a 60-frame ring shared with the app; the
 *   driver stores each frame within 5 ms, the app processes each in the remaining 28 ms, on
 *   virtual time; the run reports frames processed and dropped.
 */
import { CeMachine, ceMachineOptions, pageFrameNumber, type CeVersion, type Scenario, type ScenarioContext } from "irpsim";
import { ActivateDeviceEx, DEVFLAGS_LOAD_AS_USERPROC, DeactivateDevice, ERROR_INVALID_PARAMETER, ERROR_NOT_SUPPORTED, INVALID_HANDLE_VALUE } from "irpsim/ce6";
import { PAGE_SIZE } from "irpsim/wdm";
import { makeSmdApp, SmdAppReport } from "./app.js";
import { CameraAppReport, makeCameraApp, PROCESSING_MS, type CameraAppOptions } from "./camera-app.js";
import { FRAME_BYTES, makeCameraDriver, RING_FRAMES, RING_PHYSICAL, RING_RESERVED_BYTES, STORE_MS } from "./camera-driver.js";
import { CameraSensor } from "./camera-sensor.js";
import { makeSmdDriver, SMD_FILL_TEXT, SMD_KERNEL_ADDRESS, SMD_SIZE } from "./driver.js";
import { makeSmdKernelLibrary } from "./kernel-library.js";
import { makeRegisterApp, RegisterAppReport } from "./register-app.js";
import { makeRegisterDriver, REG_CHIP_ID, REG_CHIP_ID_VALUE, REG_PHYSICAL, REG_WINDOW, RegisterDriverReport } from "./register-driver.js";
import { makeUserApp, UserAppReport } from "./user-app.js";

/** The scenario's parts. */
export type SmdPart = "smd" | "user-app" | "reflector" | "camera";

/** Physical RAM the SMD block uses (0x81F00000 in the static mapping), withheld from the OS. */
export const SMD_PHYSICAL = 0x01f00000;

/** Frames the camera part runs for: three seconds. */
export const CAMERA_FRAMES = 90;

/** A CE machine for the scenario: the SMD block and the camera ring reserved. */
function attach(ctx: ScenarioContext, version: CeVersion): CeMachine {
  return CeMachine.attach(ctx.machine, {
    version,
    reservedRam: [
      { physicalBase: SMD_PHYSICAL, size: SMD_SIZE, name: "SMD block" },
      { physicalBase: RING_PHYSICAL, size: RING_RESERVED_BYTES, name: "camera ring" },
    ],
  });
}

/** Runs `body` on a kernel thread of nk.exe (the device manager's boot work, a harness action). */
async function inKernel<T>(ctx: ScenarioContext, ce: CeMachine, name: string, body: () => Promise<T>): Promise<T> {
  const state: { value?: T; done: boolean } = { done: false };
  ce.createKernelThread(name, async () => {
    state.value = await body();
    state.done = true;
  });
  await ctx.run();
  if (!state.done) throw new Error(`${name} did not finish`);
  return state.value as T;
}

/** Loads the driver at `key`; returns its device handle. */
async function activate(ctx: ScenarioContext, ce: CeMachine, key: string): Promise<number> {
  const h = await inKernel(ctx, ce, "device manager", () => ActivateDeviceEx(key, null, 0, null));
  ctx.check(`ActivateDeviceEx(${key}) loads the driver`, h !== INVALID_HANDLE_VALUE);
  return h;
}

async function deactivate(ctx: ScenarioContext, ce: CeMachine, handle: number, name: string): Promise<void> {
  if (ce.machine.halted || handle === INVALID_HANDLE_VALUE) return;
  const ok = await inKernel(ctx, ce, "device manager", () => DeactivateDevice(handle));
  ctx.check(`${name} is deactivated at the end`, ok);
}

async function smdPart(ctx: ScenarioContext, ce: CeMachine): Promise<void> {
  const m = ce.machine;
  ce.images.add("smd.dll", makeSmdDriver());
  ce.registry.setKey("Drivers\\BuiltIn\\SMD", { Prefix: "SMD", Dll: "smd.dll", Index: 1, Order: 10 });
  const device = await activate(ctx, ce, "Drivers\\BuiltIn\\SMD");
  ctx.note("smdapp.exe starts: it asks SMD1: for the 32 MB block, has the driver fill it, and reads it at its own address");
  const report = new SmdAppReport();
  const copiedBefore = m.bytesCopied;
  const app = ce.createProcess("smdapp.exe", makeSmdApp(report));
  await ctx.run({ until: () => report.text !== "" || app.state !== "active" });

  if (ce.version === "5.0") {
    const r = await ctx.run();
    ctx.check("the run ends cleanly", r.outcome === "completed", r.deadlock ?? r.bugCheck?.name ?? r.outcome);
    ctx.check("CE 5.0: VirtualCopyEx of 32 MB crossing a 32 MB section fails, and the IOCTL with it (ERROR_INVALID_PARAMETER)", !report.allocOk && report.allocError === ERROR_INVALID_PARAMETER, `error ${report.allocError}`);
    ctx.check("the failed mapping leaves no reservation behind in the app", (ce.spaceOf(app)?.vm.reservations().length ?? 0) <= 1);
    await deactivate(ctx, ce, device, "SMD1:");
    return;
  }

  // Both addresses map the same frames: look at every 256th page of the block.
  const space = ce.spaceOf(app);
  const same: boolean[] = [];
  if (space && report.address !== 0) {
    for (let off = 0; off < SMD_SIZE; off += 256 * PAGE_SIZE) {
      const user = pageFrameNumber(m, app, report.address + off);
      same.push(user >= 0 && user === ce.staticFrame(SMD_KERNEL_ADDRESS + off));
    }
  }
  ctx.check("IOCTL_SMD_ALLOC_ADDRESS gives the app a 32 MB block below 2 GB", report.allocOk && report.address >= 0x10000 && report.address + SMD_SIZE <= 0x40000000, `0x${report.address.toString(16)}`);
  ctx.check("the app's block and the kernel's 0x81F00000 map the same frames", same.length > 0 && same.every(Boolean), `${same.filter(Boolean).length}/${same.length} sampled pages`);
  ctx.check("the app reads \" Hello World\" at its own address + 0x1F00000", report.text === SMD_FILL_TEXT, JSON.stringify(report.text));
  ctx.note(`smdapp.exe's 0x${report.address.toString(16).toUpperCase()} and the kernel's 0x${SMD_KERNEL_ADDRESS.toString(16).toUpperCase()} map the same 8192 frames`);

  const r = await ctx.run();
  ctx.check("the run ends cleanly", r.outcome === "completed", r.deadlock ?? r.bugCheck?.name ?? r.outcome);
  ctx.check("no byte of the block is copied", m.bytesCopied === copiedBefore, `${m.bytesCopied - copiedBefore} bytes`);
  ctx.check("IOCTL_SMD_FREE_ADDRESS releases the mapping (VirtualFreeEx at the reservation's base)", report.freeOk);
  ctx.check("CloseHandle closes the device (SMD_Close)", report.closed);
  await deactivate(ctx, ce, device, "SMD1:");
}

async function userAppPart(ctx: ScenarioContext, ce: CeMachine): Promise<void> {
  ce.images.add("smdklib.dll", makeSmdKernelLibrary());
  ctx.note("userapp.exe (user mode) tries the kernel-only mapping calls itself, then uses a kernel library");
  const report = new UserAppReport();
  ce.createProcess("userapp.exe", makeUserApp(report));
  const r = await ctx.run();
  ctx.check("the run ends cleanly", r.outcome === "completed", r.deadlock ?? r.bugCheck?.name ?? r.outcome);
  ctx.check("VirtualCopyEx from user mode fails with ERROR_NOT_SUPPORTED", !report.virtualCopyEx.ok && report.virtualCopyEx.error === ERROR_NOT_SUPPORTED, `error ${report.virtualCopyEx.error}`);
  ctx.check("VirtualAllocCopyEx from user mode fails with ERROR_NOT_SUPPORTED", report.virtualAllocCopyEx.address === 0 && report.virtualAllocCopyEx.error === ERROR_NOT_SUPPORTED, `error ${report.virtualAllocCopyEx.error}`);
  ctx.check("VirtualCopy without PAGE_PHYSICAL from user mode fails with ERROR_NOT_SUPPORTED", !report.virtualCopy.ok && report.virtualCopy.error === ERROR_NOT_SUPPORTED, `error ${report.virtualCopy.error}`);
  ctx.check("VirtualCopy with PAGE_PHYSICAL from an app is refused by the reflector (ERROR_INVALID_PARAMETER)", !report.virtualCopyPhysical.ok && report.virtualCopyPhysical.error === ERROR_INVALID_PARAMETER, `error ${report.virtualCopyPhysical.error}`);
  ctx.check("MmMapIoSpace from an app is refused by the reflector (ERROR_INVALID_PARAMETER)", report.mmMapIoSpace.address === 0 && report.mmMapIoSpace.error === ERROR_INVALID_PARAMETER, `error ${report.mmMapIoSpace.error}`);
  ctx.check("a kernel library maps the block for the app (LoadKernelLibrary + KernelLibIoControl)", report.kernelLibMapped && report.kernelLibText === "mapped by smdklib.dll", JSON.stringify(report.kernelLibText));
  ctx.check("the kernel library removes its mapping", report.kernelLibUnmapped);
}

async function reflectorPart(ctx: ScenarioContext, ce: CeMachine): Promise<void> {
  const driverReport = new RegisterDriverReport();
  ce.images.add("reg.dll", makeRegisterDriver(driverReport));
  // The device's registers: the chip id the hardware reports.
  const id = new Uint8Array(4);
  new DataView(id.buffer).setUint32(0, REG_CHIP_ID_VALUE, true);
  ce.writePhysical(REG_PHYSICAL + REG_CHIP_ID, id);
  ce.registry.setKey("Drivers\\BuiltIn\\REG", {
    Prefix: "REG",
    Dll: "reg.dll",
    Index: 1,
    Flags: DEVFLAGS_LOAD_AS_USERPROC,
    MemBase: REG_PHYSICAL,
    MemLen: REG_WINDOW,
  });
  const device = await activate(ctx, ce, "Drivers\\BuiltIn\\REG");
  const report = new RegisterAppReport();
  ce.createProcess("regapp.exe", makeRegisterApp(report));
  const copiedBefore = ce.machine.bytesCopied;
  const r = await ctx.run();
  ctx.check("the run ends cleanly", r.outcome === "completed", r.deadlock ?? r.bugCheck?.name ?? r.outcome);
  ctx.check("the driver runs in udevice.exe", ce.devices.byHandle(device)?.host?.name === "udevice.exe");
  ctx.check("the reflector maps the driver's registry window (VirtualCopy with PAGE_PHYSICAL)", driverReport.windowMapped);
  ctx.check("the reflector refuses a page outside the window (ERROR_INVALID_PARAMETER)", !driverReport.outsideMapped && driverReport.outsideError === ERROR_INVALID_PARAMETER, `error ${driverReport.outsideError}`);
  ctx.check("MmMapIoSpace inside the window works through the reflector", driverReport.ioSpaceAddress !== 0 && driverReport.chipIdAtInit === REG_CHIP_ID_VALUE, `0x${driverReport.chipIdAtInit.toString(16)}`);
  ctx.check("the app reads the chip id through DeviceIoControl", report.readOk && report.chipId === REG_CHIP_ID_VALUE && report.bytesReturned === 4, `0x${report.chipId.toString(16)}`);
  ctx.check("the reflector copies the output buffer back (user-mode drivers cannot see the app's memory)", ce.machine.bytesCopied - copiedBefore >= 8, `${ce.machine.bytesCopied - copiedBefore} bytes copied`);
  await deactivate(ctx, ce, device, "REG1:");
}

/** The camera part, with the app's behaviour as a parameter (the tests vary it). */
export async function cameraPart(ctx: ScenarioContext, ce: CeMachine, options: CameraAppOptions = { frames: CAMERA_FRAMES }): Promise<CameraAppReport> {
  const m = ce.machine;
  const driver = makeCameraDriver();
  ce.images.add("cam.dll", driver.exports);
  ce.registry.setKey("Drivers\\BuiltIn\\CAM", { Prefix: "CAM", Dll: "cam.dll", Index: 1, Order: 20 });
  const sensor = new CameraSensor(ce);
  sensor.start();
  const device = await activate(ctx, ce, "Drivers\\BuiltIn\\CAM");
  const report = new CameraAppReport();
  ctx.note(`camapp.exe starts: ${options.frames} frames at 30 fps, ${options.processingMs ?? PROCESSING_MS} ms of processing each${options.stall ? `, a ${options.stall.ms} ms stall after frame ${options.stall.after}` : ""}`);
  ce.createProcess("camapp.exe", makeCameraApp(report, options));
  const copiedBefore = m.bytesCopied;
  const r = await ctx.run();
  sensor.stop();
  const ms = (ticks: number) => (ticks / 10_000).toFixed(3);
  ctx.check("the run ends cleanly", r.outcome === "completed", r.deadlock ?? r.bugCheck?.name ?? r.outcome);
  ctx.check("the app maps the 60-frame ring once and processes frames at its own address", report.finished && report.ringAddress !== 0);
  ctx.check(`every frame is accounted for: ${report.processed} processed + ${report.dropped} dropped = ${options.frames}`, report.processed + report.dropped === options.frames);
  ctx.check("every processed frame holds what the driver stored", report.verified === report.processed, `${report.verified}/${report.processed}`);
  ctx.check(`the driver stores each frame within ${STORE_MS} ms`, report.maxStoreTicks <= STORE_MS * 10_000, `${ms(report.maxStoreTicks)} ms`);
  ctx.check("no frame byte is copied between driver and app", m.bytesCopied === copiedBefore, `${m.bytesCopied - copiedBefore} bytes`);
  if (!options.stall && (options.processingMs ?? PROCESSING_MS) <= PROCESSING_MS) {
    ctx.check("at 5 ms + 28 ms per frame the app keeps up: no frame is dropped", report.dropped === 0, `${report.dropped} dropped`);
    ctx.check("each frame is processed within its 33.3 ms period", report.maxLatencyTicks <= Math.ceil(1e7 / 30), `${ms(report.maxLatencyTicks)} ms`);
  }
  ctx.note(`camera: ${report.processed} frames processed, ${report.dropped} dropped (ring of ${RING_FRAMES} × ${FRAME_BYTES} bytes); longest store ${ms(report.maxStoreTicks)} ms, longest arrival-to-processed ${ms(report.maxLatencyTicks)} ms`);
  await deactivate(ctx, ce, device, "CAM1:");
  return report;
}

/** The scenario (the tests build variants). */
export function makeSmdScenario(name = "smd"): Scenario {
  return {
    name,
    summary: "Windows CE 6.0: a stream driver shares 32 MB of kernel memory with an app (VirtualAllocEx + VirtualCopyEx), kernel-only mapping, the reflector, and a 30 fps camera",
    machineOptions: ceMachineOptions(),
    options: [
      {
        name: "part",
        values: ["smd", "user-app", "reflector", "camera"],
        default: "smd",
        description: "smd: the article's driver and app; user-app: kernel-only calls from an app; reflector: a user-mode driver maps its registers; camera: 30 fps through a shared 60-frame ring",
      },
      { name: "ce", values: ["6.0", "5.0"], default: "6.0", description: "6.0, or the CE 5.0 compatibility mode" },
    ],
    async run(ctx) {
      const part = (ctx.options.part ?? "smd") as SmdPart;
      const ce = attach(ctx, (ctx.options.ce ?? "6.0") as CeVersion);
      if (part === "smd") await smdPart(ctx, ce);
      else if (part === "user-app") await userAppPart(ctx, ce);
      else if (part === "reflector") await reflectorPart(ctx, ce);
      else await cameraPart(ctx, ce);
    },
  };
}

/** The scenario `irpsim run smd` runs. */
export const smdScenario = makeSmdScenario();
