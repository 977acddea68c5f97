/**
 * The windriver-kp scenario: Jungo's technical document #41 end to end on the emulated machine —
 * the generic driver windrvr6, the Kernel PlugIn KP_SMPL, a sampling card raising interrupts, and
 * an app that reads the samples the KP writes into their shared kernel buffer.
 */
import { connectedInterrupts, contiguousBuffers, installKernelPlugIn, installSamplingCard, loadDriver, pageFrameNumber, unloadDriver, WdDriverEntry, windriverState, type Scenario } from "irpsim";
import { MM_SYSTEM_RANGE_START, PAGE_SIZE } from "irpsim/wdm";
import { SHARED_BUFFER_BYTES, WindriverAppReport, makeWindriverApp, type WindriverFlow, type WindriverReader } from "./app.js";
import { KP_RESULT_OK, KP_SAMPLE_DRIVER_NAME, makeSampleKernelPlugIn } from "./kp.js";

/** The card's interrupt line. */
export const SAMPLE_IRQ = 5;
/** The card's sample interval: 4 ms nominal; 1 ms is the early arrival an explorer may choose. */
export const SAMPLE_INTERVALS_MS = [4, 1] as const;
/** The app's hold-up between two loads of a record: shorter than the interval, or longer. */
export const READ_GAPS_MS = { short: 2, long: 6 } as const;
/** Samples the app reads. */
export const SAMPLES = 12;
/** When the harness kills the app in the "killed" ending (virtual ms). */
export const KILL_AT_MS = 30;

/**
 * The scenario. Options: `flow` (how the buffer is made and how its kernel address reaches the
 * KP), `reader` (the document's unsynchronised reader, or the sequence-counter fix), `read-gap`
 * (short: the default run never tears, an early interrupt chosen by an explorer does; long: the
 * next interrupt always lands between the loads) and `ending` (the app tears down, or dies while
 * streaming).
 */
export const windriverKpScenario: Scenario = {
  name: "windriver-kp",
  summary: "share a kernel DMA buffer between an app and a WinDriver Kernel PlugIn that fills it from the card's interrupt (Jungo's technical document #41)",
  options: [
    {
      name: "flow",
      values: ["kp-call", "int-enable", "shared-buffer"],
      default: "kp-call",
      description: "kp-call: WD_DMALock, then the kernel address in WD_KernelPlugInCall; int-enable: in WD_IntEnable's kpCall; shared-buffer: WDC_SharedBufferAlloc",
    },
    {
      name: "reader",
      values: ["sequence-counter", "unsynchronised"],
      default: "sequence-counter",
      description: "unsynchronised: plain loads, as the document warns (a record can tear); sequence-counter: the KP publishes a counter and the app re-reads when it moved",
    },
    {
      name: "read-gap",
      values: ["short", "long"],
      default: "short",
      description: `how long the app is held up between two loads of a record: short (${READ_GAPS_MS.short} ms, less than the ${SAMPLE_INTERVALS_MS[0]} ms interval) or long (${READ_GAPS_MS.long} ms: the next interrupt lands in between)`,
    },
    {
      name: "ending",
      values: ["done", "killed"],
      default: "done",
      description: `done: the app disables the interrupt, closes the KP and frees the buffer; killed: the app dies at ${KILL_AT_MS} ms and windrvr6's cleanup frees everything`,
    },
  ],
  async run(ctx) {
    const m = ctx.machine;
    const flow = (ctx.options.flow ?? "kp-call") as WindriverFlow;
    const reader = (ctx.options.reader ?? "sequence-counter") as WindriverReader;
    const gap = ctx.options["read-gap"] === "long" ? READ_GAPS_MS.long : READ_GAPS_MS.short;
    const ending = ctx.options.ending ?? "done";

    const card = installSamplingCard(m, { name: "sampling card", irq: SAMPLE_IRQ, intervalsMs: SAMPLE_INTERVALS_MS });
    const kp = makeSampleKernelPlugIn({ sequenceCounter: reader === "sequence-counter" });
    installKernelPlugIn(m, KP_SAMPLE_DRIVER_NAME, kp);
    const loaded = await loadDriver(m, "windrvr6", WdDriverEntry);
    ctx.check("windrvr6 loads", loaded.status === 0, `status 0x${loaded.status.toString(16)}`);
    const report = new WindriverAppReport();
    ctx.note(`wdkp_app.exe starts: ${flow}, ${reader} reader, ${gap} ms between loads, ending ${ending}`);
    const app = m.createProcess("wdkp_app.exe", makeWindriverApp({ flow, reader, readGapMs: gap, samples: SAMPLES, irq: SAMPLE_IRQ }, report));

    // ---- Once streaming starts: the two views of the buffer ----
    await ctx.run({ until: () => report.streaming || report.finished || app.state !== "active" });
    const refused = report.firstFailure();
    if (refused && !report.streaming && !ctx.undisturbed()) {
      // An allocation failed on purpose (low resources simulation): the app is told, and nothing leaks.
      const r = await ctx.run();
      ctx.check("the run ends cleanly", r.outcome === "completed", r.deadlock ?? r.bugCheck?.name ?? r.outcome);
      ctx.check(`the app is told ${refused.call} failed, and exits`, refused.status !== 0 && app.state === "exited", `0x${refused.status.toString(16)}, process ${app.state}`);
      ctx.check("no contiguous buffer is left allocated", contiguousBuffers(m).length === 0, contiguousBuffers(m).map((b) => `0x${b.address.toString(16)} (${b.size} bytes)`).join(", "));
      const held = windriverState(loaded.DriverObject);
      const left = held ? held.dma.size + held.kps.size + held.cards.size + held.interrupts.size : 0;
      ctx.check("windrvr6 holds no handle after the app is gone", left === 0, `${left} handle(s)`);
      if (!m.halted && r.outcome === "completed") await unloadDriver(m, "windrvr6");
      card.remove();
      return;
    }
    const first = report.statuses[0]?.call ?? "?";
    ctx.check(`${first} gives a contiguous kernel buffer`, report.pUserAddr !== 0 && report.pKernelAddr >= MM_SYSTEM_RANGE_START && report.pUserAddr < MM_SYSTEM_RANGE_START, `user 0x${report.pUserAddr.toString(16)}, kernel 0x${report.pKernelAddr.toString(16)}${report.firstFailure() ? `; ${report.firstFailure()?.call} failed with 0x${report.firstFailure()?.status.toString(16)}` : ""}`);
    const pages = SHARED_BUFFER_BYTES / PAGE_SIZE;
    const userFrames: number[] = [];
    const kernelFrames: number[] = [];
    for (let i = 0; i < pages && app.addressSpace && report.pUserAddr !== 0; i++) {
      userFrames.push(pageFrameNumber(m, app, report.pUserAddr + i * PAGE_SIZE));
      kernelFrames.push(pageFrameNumber(m, null, report.pKernelAddr + i * PAGE_SIZE));
    }
    ctx.check("the user and kernel addresses map the same frames", userFrames.length === pages && userFrames.every((f, i) => f >= 0 && f === kernelFrames[i]), `${pages} pages`);
    const contiguous = kernelFrames.every((f, i) => f === (kernelFrames[0] ?? -1) + i);
    ctx.check("the frames are physically contiguous and Page[0] reports them as one block", contiguous && report.dwPages === 1 && report.physical === (kernelFrames[0] ?? -1) * PAGE_SIZE && report.pageBytes === SHARED_BUFFER_BYTES, `dwPages ${report.dwPages}, Page[0] 0x${report.physical.toString(16)} +${report.pageBytes}`);
    ctx.check(
      flow === "int-enable" ? "the kernel address reaches the KP through WD_IntEnable's kpCall" : "the kernel address reaches the KP through WD_KernelPlugInCall",
      kp.observed.bufferFrom === (flow === "int-enable" ? "KP_IntEnable" : "KP_Call") && kp.observed.buffer === report.pKernelAddr,
      `KP got 0x${kp.observed.buffer.toString(16)} from ${kp.observed.bufferFrom ?? "nowhere"}`,
    );
    ctx.note(`user 0x${report.pUserAddr.toString(16).toUpperCase()} and kernel 0x${report.pKernelAddr.toString(16).toUpperCase()} map the same ${pages} contiguous frames from physical 0x${report.physical.toString(16).toUpperCase()}`);

    // ---- Streaming: nothing copied ----
    const copiedBefore = m.bytesCopied;
    let copied = -1;
    report.onStreamingDone = () => {
      copied = m.bytesCopied - copiedBefore;
    };
    if (ending === "killed") {
      m.after(Math.max(0, KILL_AT_MS - m.nowMs), "wdkp_app.exe dies", () => {
        app.kill(1);
      });
    }
    const r = await ctx.run();
    // A killed app never stops streaming by itself: count up to its death.
    if (copied < 0) copied = m.bytesCopied - copiedBefore;
    ctx.check("the run ends cleanly", r.outcome === "completed", r.deadlock ?? r.bugCheck?.name ?? r.outcome);

    const torn = report.samples.filter((s) => s.torn);
    ctx.check("the app reads the KP's samples at its user address", report.samples.length >= (ending === "killed" ? 3 : SAMPLES), `${report.samples.length} sample(s)`);
    ctx.check("no byte of the samples is copied", copied === 0, `${copied} byte(s) copied while streaming`);
    ctx.check("the app never observes a half-written record", torn.length === 0, torn.map((s) => `sample ${s.seq} read with value 0x${s.value.toString(16)}`).join("; "));
    // Each read takes the newest record; one read too late can see the same sample twice, never an older one.
    ctx.check("the samples never go back in time", report.samples.every((s, i, all) => i === 0 || s.seq >= (all[i - 1]?.seq ?? 0)), report.samples.map((s) => s.seq).join(", "));
    ctx.check("every interrupt went through KP_IntAtIrql and KP_IntAtDpc", kp.observed.interrupts === card.raised && kp.observed.dpcs > 0 && kp.observed.dpcs <= kp.observed.interrupts, `${card.raised} raised, ${kp.observed.interrupts} at IRQL, ${kp.observed.dpcs} DPCs`);

    if (ending === "done") {
      const failed = report.firstFailure();
      ctx.check("every WD_ and WDC_ call succeeds", failed === undefined && report.finished, failed ? `${failed.call}: 0x${failed.status.toString(16)}` : report.finished ? "" : "the app did not finish");
      ctx.check("KP_MSG_GET_STATS copies the KP's counters to the app (COPY_TO_USER)", report.statsResult === KP_RESULT_OK && report.stats?.[0] === kp.observed.interrupts && report.stats[2] === kp.observed.interrupts, JSON.stringify(report.stats));
    } else {
      ctx.check("the app dies while streaming", app.state === "exited" && !report.finished && app.exitStatus === 1, `process ${app.state}, exit status ${app.exitStatus}`);
    }
    ctx.check("KP_Close ran for the KP's one open", kp.observed.opens === 1 && kp.observed.closes === 1, `${kp.observed.opens} open(s), ${kp.observed.closes} close(s)`);
    ctx.check("KP_IntDisable ran and the card's line is masked again", kp.observed.intDisables === kp.observed.intEnables && connectedInterrupts(m, card.vector) === 0, `${kp.observed.intEnables} enable(s), ${kp.observed.intDisables} disable(s)`);
    ctx.check("no contiguous buffer is left allocated", contiguousBuffers(m).length === 0, contiguousBuffers(m).map((b) => `0x${b.address.toString(16)} (${b.size} bytes)`).join(", "));
    const state = windriverState(loaded.DriverObject);
    const left = state ? state.dma.size + state.kps.size + state.cards.size + state.interrupts.size : 0;
    ctx.check("windrvr6 holds no handle after the app is gone", left === 0, state ? `${state.dma.size} DMA, ${state.kps.size} KP, ${state.cards.size} card, ${state.interrupts.size} interrupt handle(s)` : "");
    if (!m.halted && r.outcome === "completed") await unloadDriver(m, "windrvr6");
    card.remove();
  },
};
