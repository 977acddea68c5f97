/**
 * The world of the KMDF hostile-call property (hostile-wdf.test.ts). The KMDF side of "no JavaScript error ever escapes a routine": random sequences of Wdf* calls
 * made from inside a KMDF driver's callbacks (EvtIoDefault, with the request in hand) and from a
 * system thread of the driver, with hostile handles — deleted objects, handles of the wrong type,
 * NULL, numbers, a request completed already, the queue of another device — with the KMDF
 * verifier on and off. Every outcome must be a returned value, an NT exception, a bug check
 * (WDF_VIOLATION under the verifier) or a finding; no host exception may escape a routine, a
 * thread, or be wrapped into a bug check. Fixed seeds.
 */
import { BugCheckError } from "../../kernel/bugcheck.js";
import { Machine } from "../../kernel/machine.js";
import { attachVerifier } from "../../verifier/verifier.js";
import * as wdm from "../../wdm.js";
import * as wdf from "../../wdf/index.js";
import * as w from "../../win32/index.js";
import { AppIo, IOCTL, loadWdfKit } from "../wdf/kit.js";
import { classifyThrow, EXCEPTION_JS, HostEscape, type Program, type Step } from "./program.js";

/** Every Wdf routine the entry exports, by name (the table is the framework's own export list). */
const ROUTINES = Object.entries(wdf).filter((e): e is [string, (...a: unknown[]) => unknown] => e[0].startsWith("Wdf") && typeof e[1] === "function");

/** Hostile values any argument may get. */
const HOSTILE: readonly unknown[] = [null, undefined, 0, 0x1234, -1, NaN, 1.5, "WdfTest", {}, [], true, Symbol("x"), 10n, () => 0];

/** Plain values for the parameters that are no handles (statuses, lengths, flags, timeouts). */
const VALUES: readonly unknown[] = [wdm.STATUS_SUCCESS, wdm.STATUS_CANCELLED, wdm.STATUS_PENDING, 0, 1, 16, 4096, -10_000, null, false, true];

export class WdfWorld {
  readonly m = new Machine({ memoryBytes: 32 * 1024 * 1024, flightRecorder: 0 });
  /** Handles met so far (live, completed, deleted: they are never removed). */
  readonly handles: unknown[] = [];
  escape: HostEscape | null = null;
  calls = 0;
  private next = 0;

  constructor(readonly program: Program) {
    if (program.verified) attachVerifier(this.m, { sourceLines: false });
  }

  private keep(v: unknown): void {
    if (v === null || v === undefined || typeof v !== "object") return;
    if (this.handles.length < 64) this.handles.push(v);
  }

  /** Keeps what a call returned: a handle, or the handles of a { status, Handle } result. */
  private keepResult(v: unknown): void {
    if (v === null || typeof v !== "object") return;
    if (Object.getPrototypeOf(v) === Object.prototype) for (const x of Object.values(v as Record<string, unknown>)) this.keep(x);
    else this.keep(v);
  }

  private pick(n: number): unknown {
    const r = n % 16;
    if (r < 9 && this.handles.length > 0) return this.handles[(n >>> 4) % this.handles.length];
    if (r < 13) return VALUES[(n >>> 4) % VALUES.length];
    return HOSTILE[(n >>> 4) % HOSTILE.length];
  }

  /** Runs the program's next `count` steps (in a callback, or on the driver's thread). */
  async steps(count: number): Promise<void> {
    for (let i = 0; i < count && this.next < this.program.steps.length; i++) {
      if (this.m.halted || this.escape) return;
      await this.step(this.program.steps[this.next++] as Step);
    }
  }

  private async step(step: Step): Promise<void> {
    const entry = ROUTINES[step.routine % ROUTINES.length];
    if (!entry) return;
    const [name, fn] = entry;
    const args = Array.from({ length: Math.max(fn.length, 1) }, (_x, i) => this.pick(step.picks[i] ?? 0));
    this.calls++;
    try {
      const v = Reflect.apply(fn, undefined, args);
      this.keepResult(v instanceof Promise ? await (v as Promise<unknown>) : v);
    } catch (e) {
      try {
        classifyThrow(name, args, e);
      } catch (escape) {
        if (escape instanceof HostEscape) this.escape = escape;
        else throw escape;
      }
    }
  }

  async run(): Promise<void> {
    const m = this.m;
    // A second device whose queue the program may hand the first driver's routines.
    const other = await loadWdfKit(m, { name: "WdfOther" });
    const kit = await loadWdfKit(m, {
      queue: (c) => {
        c.EvtIoDefault = async (Queue, Request) => {
          this.keep(Request);
          // Some steps run inside the callback, the request in hand; then it is completed (maybe
          // again, by a step) or left pending for later steps.
          await this.steps(3);
          if ((this.next & 1) === 0) wdf.WdfRequestComplete(Request, wdm.STATUS_SUCCESS);
          this.keep(Queue);
        };
      },
    });
    for (const h of [kit.device, kit.queue, other.device, other.queue]) this.keep(h);
    m.createProcess("app.exe", async () => {
      const io = await AppIo.open(kit.path);
      for (let i = 0; i < 4; i++) await io.ioctl(IOCTL(i), 16, 16);
      await w.SleepEx(5, true);
      await io.close();
    });
    m.createSystemThread("WdfTest worker", async () => {
      const token = m.enterActivity("driver thread", "PropWorker", "WdfTest");
      try {
        await wdm.KeDelayExecutionThread(wdm.KernelMode, false, -20_000);
        await this.steps(this.program.steps.length);
      } finally {
        m.leaveActivity(token);
      }
    });
    try {
      await m.run({ maxTimeMs: 2_000 });
    } catch (e) {
      if (!(e instanceof BugCheckError)) throw e;
    }
  }

  problems(): string[] {
    const out: string[] = [];
    if (this.escape) out.push(this.escape.message);
    for (const e of this.m.errors) out.push(`a thread's host error: ${e.thread}: ${e.error instanceof Error ? `${e.error.name}: ${e.error.message}\n${e.error.stack ?? ""}` : String(e.error)}`);
    const h = this.m.halted;
    if (h?.kind === "bugcheck" && h.bugCheck.record.parameters[0] === EXCEPTION_JS) out.push(`a host exception became bug check 0x${h.bugCheck.record.code.toString(16)}: ${h.bugCheck.record.detail ?? ""}`);
    return out;
  }
}

