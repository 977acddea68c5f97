/**
 * The user side of the hostile-call property: a machine with the shipped sample drivers loaded
 * (Sharebuf, CsqReads, InvertedCall, Notify, Uart) and two app processes that run a program of
 * Win32 calls with hostile arguments between them — bad and closed handles, NULL and kernel
 * buffers, wrong lengths, OVERLAPPEDs reused while in flight, requests left behind by exiting
 * threads and killed processes. Each step runs in the process its last number chooses; its
 * arguments are chosen when it runs from what that process has made by then. The routines and
 * argument kinds are tables (win32-routines.ts, {@link ARG_KINDS}).
 */
import { loadDriver } from "../../io-manager/driver.js";
import { BugCheckError } from "../../kernel/bugcheck.js";
import { Machine } from "../../kernel/machine.js";
import type { KProcess } from "../../kernel/process.js";
import { invariantViolations } from "../../scenario/invariants.js";
import { attachVerifier } from "../../verifier/verifier.js";
import * as w32 from "../../win32/index.js";
import * as nt from "../../ntdll/index.js";
import { LARGE_INTEGER } from "../../kernel/c-struct.js";
import { SharebufDriverEntry, IOCTL_SHARE_BUFFER, IOCTL_DONE_USING_SHARE_BUFFER } from "../../samples/sharebuf/driver.js";
import { CsampDriverEntry } from "../../samples/csq-reads/driver.js";
import { InvertedDriverEntry, IOCTL_INVERTED_NOTIFY, IOCTL_INVERTED_SIMULATE_EVENT } from "../../samples/inverted-call/driver.js";
import { NotifyDriverEntry, IOCTL_NOTIFY_WAIT } from "../../samples/notify/driver.js";
import { UartDriverEntry } from "../../samples/startio/driver.js";
import { win32Routines, type Win32Routine } from "./win32-routines.js";
import { classifyThrow, Coverage, EXCEPTION_JS, HostEscape, ofItsKind, PICKS, show, watchTrace, type Program, type Step } from "./program.js";

/**
 * Hostile values any argument may get: what a C program can pass in a DWORD, HANDLE or pointer
 * (NULL, all ones, kernel addresses, unaligned and out-of-range values), plus the JavaScript
 * caller's NULLs. (The kernel side also tries values no C program can form: objects, bigints.)
 */
const HOSTILE: readonly unknown[] = [null, undefined, 0, -1, 2 ** 32, 0x80000000, 1.5, 0xfffffffe, 3, NaN];

/** How an argument of one kind is generated for the current process. */
export type Win32ArgGenerator = (w: Win32World, n: number) => unknown;

const oneOf =
  (values: readonly unknown[]): Win32ArgGenerator =>
  (_w, n) =>
    values[n % values.length];

/** Something of `kind` the current process made, or one of `values`. */
const madeOr =
  (kind: string, values: readonly unknown[]): Win32ArgGenerator =>
  (w, n) => {
    const pool = w.mine(kind);
    const all = pool.length + values.length;
    const i = n % all;
    return i < pool.length ? pool[i] : values[i - pool.length];
  };

/** The devices the samples create, and a few names that are none. */
const PATHS = ["\\\\.\\Sharebuf", "\\\\.\\CsqReads", "\\\\.\\InvertedCall", "\\\\.\\Notify", "\\\\.\\Uart", "\\\\.\\Nothing", "", "C:\\file.txt"];

/** The argument kinds. */
export const ARG_KINDS: Record<string, Win32ArgGenerator> = {
  path: oneOf(PATHS),
  access: oneOf([w32.GENERIC_READ | w32.GENERIC_WRITE, w32.GENERIC_READ, w32.GENERIC_WRITE, 0]),
  fileFlags: oneOf([w32.FILE_FLAG_OVERLAPPED, w32.FILE_FLAG_OVERLAPPED, 0]),
  file: madeOr("file", [w32.INVALID_HANDLE_VALUE, 0, 4, 0x12345678]),
  handle: madeOr("handle", [w32.INVALID_HANDLE_VALUE, 0, 4, 0x12345678, -2]),
  thread: madeOr("thread", [-2, 0, 4]),
  port: madeOr("port", [0, w32.INVALID_HANDLE_VALUE]),
  handles: (w, n) => {
    const pool = w.mine("handle");
    const shapes = [[], [0], [0, 1], [0, 1, 2], new Array<number>(65).fill(0)];
    const shape = shapes[n % shapes.length] ?? [];
    return shape.map((k, i) => (pool.length > 0 ? pool[(n + k + i) % pool.length] : 0));
  },
  ioctl: oneOf([IOCTL_SHARE_BUFFER, IOCTL_DONE_USING_SHARE_BUFFER, IOCTL_INVERTED_NOTIFY, IOCTL_INVERTED_SIMULATE_EVENT, IOCTL_NOTIFY_WAIT, 0, 0xdeadbeef, w32.CTL_CODE(w32.FILE_DEVICE_UNKNOWN, 0x800, w32.METHOD_NEITHER, w32.FILE_ANY_ACCESS)]),
  buffer: (w, n) => {
    const pool = w.mine("buffer");
    const fixed = [0, 0x81000000, 0x7fff0000, 0x10, 1.5, -4];
    const all = pool.length * 3 + fixed.length;
    const i = n % all;
    if (i < pool.length * 3) {
      const base = pool[Math.floor(i / 3)];
      // The buffer itself, an odd offset into it, or its last bytes.
      return typeof base === "number" ? base + [0, 3, 4096 - 8][i % 3]! : base;
    }
    return fixed[i - pool.length * 3];
  },
  length: oneOf([0, 1, 4, 8, 16, 64, 100, 4096, 16384, 0xffffffff, -1, 65536]),
  bytesPtr: (w, n) => {
    const pool = w.mine("buffer");
    return n % 3 === 0 || pool.length === 0 ? [0, 0x81000000, 0x10][n % 3] : pool[n % pool.length];
  },
  overlapped: madeOr("overlapped", [null, 0, 0x81000000]),
  timeout: oneOf([0, 1, 5, 20, 0, 2, w32.INFINITE]),
  bool: oneOf([true, false]),
  count: oneOf([0, 1, 2, 5, -1, 0x7fffffff]),
  number: oneOf([0, 1, 7, 0xffffffff]),
  heapFlags: oneOf([0, w32.HEAP_ZERO_MEMORY, 0xffff]),
  protection: oneOf([w32.PAGE_READWRITE, w32.PAGE_READONLY, w32.PAGE_NOACCESS, w32.PAGE_GUARD | w32.PAGE_READWRITE, 0x9999]),
  completionRoutine: (w) => w.completionRoutine,
  // ---- Kinds of the native API and kernel32's newer names ----
  handleOut: (w, n) => (n % 4 === 3 ? ARG_KINDS.bytesPtr!(w, n >>> 2) : n % 4 === 2 ? null : { value: 0 }),
  objectAttributes: (w, n) => {
    const names = ["\\??\\Sharebuf", "\\Device\\Notify", "\\??\\Nothing", "", "NoBackslash", "\\BaseNamedObjects\\PropEvent", null, 5];
    if (n % 5 === 4) return ARG_KINDS.bytesPtr!(w, n >>> 3);
    const oa = new nt.OBJECT_ATTRIBUTES();
    const name = names[n % names.length];
    if (typeof name === "string") {
      const us = new nt.UNICODE_STRING();
      nt.RtlInitUnicodeString(us, name);
      oa.ObjectName = us;
    } else oa.ObjectName = name as never;
    return oa;
  },
  iosb: (w, n) => (n % 4 === 3 ? oneOf([0, 0x10, 0x81000000])(w, n >>> 2) : ARG_KINDS.bytesPtr!(w, n >>> 2)),
  createOptions: oneOf([0, nt.FILE_SYNCHRONOUS_IO_NONALERT, nt.FILE_SYNCHRONOUS_IO_ALERT, 0xffffffff]),
  apcRoutine: (w, n) => (n % 2 === 0 ? null : w.ntApcRoutine),
  largeInteger: oneOf([null, null, new LARGE_INTEGER(-10_000n), new LARGE_INTEGER(0n), 0x10, new LARGE_INTEGER(-(2n ** 63n))]),
  strSource: (w, n) => (n % 2 === 0 ? ARG_KINDS.buffer!(w, n >>> 1) : ["hello", "", "a".repeat(5000), null][(n >>> 1) % 4]),
  format: oneOf(["%s=%d", "%S %ls", "%p %x %08X %lu", "%c%%", "%n", "%*d", "%", "plain", "%I64d"]),
  printfArg: oneOf([0, 1, -1, "text", 0x7fff0000, 10n, null, 1.5]),
  sizeOut: (w, n) => (n % 3 === 0 ? null : n % 3 === 1 ? { value: 0 } : ARG_KINDS.bytesPtr!(w, n)),
  guid: oneOf(["{6FDE7521-1B65-48AE-B628-80BE62016026}", "not-a-guid", "", null, 7]),
  deviceId: oneOf([null, "", "ROOT\\SAMPLE\\0000", 3]),
  // The classes irpsim answers (FileAccess, FilePosition, FileMode, FileAlignment); the others
  // need IRP_MJ_QUERY_INFORMATION, which is not built and says so.
  fileInformationClass: oneOf([8, 14, 16, 17]),
  // ---- Kinds of the registry (advapi32 Reg*, ntdll Nt*Key) ----
  hkey: madeOr("hkey", [w32.HKEY_LOCAL_MACHINE, w32.HKEY_CURRENT_USER, w32.HKEY_USERS, 0, 0x12345678, -1]),
  regSubKey: oneOf(["Software", "Software\\PropVendor", "", null, "\\Bad", "System\\CurrentControlSet\\Services", "Software\\\\Twice"]),
  valueName: oneOf(["Val", "", null, "Other"]),
  regType: oneOf([w32.REG_DWORD, w32.REG_SZ, w32.REG_BINARY, w32.REG_MULTI_SZ, w32.REG_QWORD, 0xffffffff]),
  regFlags: oneOf([w32.RRF_RT_ANY, w32.RRF_RT_REG_DWORD, w32.RRF_RT_DWORD, w32.RRF_RT_REG_SZ, w32.RRF_RT_REG_EXPAND_SZ, 0]),
  regClass: oneOf([0, 1, 2, 3, 4, 99, -1]),
};

/** The world one program runs in. */
export class Win32World {
  readonly m: Machine;
  readonly coverage = new Coverage();
  escape: HostEscape | null = null;
  userApcs = 0;
  readonly apps: KProcess[] = [];
  /** Objects by process and kind. */
  private readonly objects = new Map<KProcess, Map<string, unknown[]>>();
  private readonly routines: readonly Win32Routine[];
  /** The completion routine ReadFileEx/WriteFileEx get: it counts. */
  readonly completionRoutine: w32.LPOVERLAPPED_COMPLETION_ROUTINE;
  /** Called with each step before it runs (for debugging a program). */
  log: ((line: string) => void) | null = null;
  /** The APC routine the Nt* I/O calls get: it counts. */
  readonly ntApcRoutine: nt.PIO_APC_ROUTINE = () => {
    this.userApcs++;
  };

  constructor(
    readonly program: Program,
    options: { trace?: boolean; routines?: readonly Win32Routine[] } = {},
  ) {
    this.routines = options.routines ?? win32Routines;
    this.m = new Machine({ memoryBytes: 32 * 1024 * 1024, flightRecorder: 0 });
    if (program.verified) attachVerifier(this.m, { sourceLines: false });
    if (options.trace) watchTrace(this.m, this.coverage);
    this.completionRoutine = () => {
      this.userApcs++;
    };
  }

  /** The objects of `kind` the current process made. */
  mine(kind: string): unknown[] {
    const p = this.m.runningThread()?.process;
    return (p && this.objects.get(p)?.get(kind)) ?? [];
  }

  /** Keeps an object the current process made, under its kind. */
  keep(kind: string, value: unknown): void {
    if (value === null || value === undefined) return;
    const p = this.m.runningThread()?.process;
    if (!p) return;
    let kinds = this.objects.get(p);
    if (!kinds) {
      kinds = new Map();
      this.objects.set(p, kinds);
    }
    let pool = kinds.get(kind);
    if (!pool) {
      pool = [];
      kinds.set(kind, pool);
    }
    if (pool.length < 48) pool.push(value);
    else pool[pool.length % 48] = value;
  }

  /** An argument of `kind` (see kernel-world.ts's pick: of its kind, or hostile). */
  pick(kind: string, n: number): unknown {
    if (kind === "world") return this;
    const rest = Math.floor(n / 64);
    if (ofItsKind(n, this.program.hostility)) {
      const gen = ARG_KINDS[kind];
      if (!gen) throw new Error(`no argument kind '${kind}' (add it to ARG_KINDS)`);
      return gen(this, rest);
    }
    return HOSTILE[rest % HOSTILE.length];
  }

  /** Kills the app that is not running now (as another processor's TerminateProcess would). */
  killOther(): void {
    const me = this.m.runningThread()?.process;
    const other = this.apps.find((p) => p !== me && p.state === "active");
    if (!other) return;
    const io = this.m.io;
    let pending = 0;
    if (io) for (const irp of io.liveIrps) if (irp.Thread?.process === other && !irp.completed) pending++;
    this.coverage.pendingAtKill += pending;
    this.m.terminateProcess(other, 1, "killed by the property test");
  }

  /** Loads the sample drivers, starts the two apps on their halves of the program, and runs. */
  async run(): Promise<void> {
    const m = this.m;
    for (const [name, entry] of [
      ["Sharebuf", SharebufDriverEntry],
      ["CsqReads", CsampDriverEntry],
      ["InvertedCall", InvertedDriverEntry],
      ["Notify", NotifyDriverEntry],
      ["Uart", UartDriverEntry],
    ] as const) {
      const r = await loadDriver(m, name, entry);
      if (r.status !== 0) throw new Error(`${name} did not load: 0x${r.status.toString(16)}`);
    }
    for (const index of [0, 1]) {
      const steps = this.program.steps.filter((s) => (s.picks[PICKS - 1] ?? 0) % 2 === index);
      this.apps.push(m.createProcess(`app${index}.exe`, () => this.appMain(steps)));
    }
    try {
      await m.run({ maxTimeMs: 2_000 });
    } catch (e) {
      if (!(e instanceof BugCheckError)) throw e;
    }
  }

  /** One app: a buffer and an OVERLAPPED to start with, then its steps. */
  private async appMain(steps: readonly Step[]): Promise<void> {
    this.keep("buffer", w32.VirtualAlloc(0, 16384, w32.MEM_COMMIT | w32.MEM_RESERVE, w32.PAGE_READWRITE));
    const p = w32.HeapAlloc(w32.GetProcessHeap(), w32.HEAP_ZERO_MEMORY, w32.SIZEOF_OVERLAPPED);
    const ov = new w32.OVERLAPPED(p);
    ov.hEvent = w32.CreateEvent(null, true, false, null);
    this.keep("overlapped", ov);
    this.keep("handle", ov.hEvent);
    for (const step of steps) {
      if (this.m.halted || this.escape) return;
      await this.step(step);
    }
  }

  private async step(step: Step): Promise<void> {
    const r = this.routines[step.routine % this.routines.length];
    if (!r) return;
    const args = r.args.map((kind, i) => this.pick(kind, step.picks[i] ?? 0));
    if (this.log) this.log(`${this.m.runningThread()?.process.name ?? "?"}: ${r.name}(${args.map(show).join(", ")})`);
    const c = this.coverage;
    c.calls++;
    c.byRoutine.set(r.name, (c.byRoutine.get(r.name) ?? 0) + 1);
    if (r.name === "CancelIoEx") {
      // A cancel aimed at a request that is completing (stage 1 done, stage 2 to come) races it.
      const io = this.m.io;
      if (io) for (const irp of io.liveIrps) if (irp.completed && irp.Thread?.process === this.m.runningThread()?.process) c.cancelRacedCompletion++;
    }
    try {
      const v: unknown = Reflect.apply(r.fn, undefined, args);
      const value: unknown = v instanceof Promise ? await (v as Promise<unknown>) : v;
      c.returned++;
      if (r.returns) for (const [kind, get] of Object.entries(r.returns)) this.keep(kind, get(value, args));
      const status = w32.GetLastError();
      if (status !== 0) c.statuses.set(w32.win32ErrorName(status), (c.statuses.get(w32.win32ErrorName(status)) ?? 0) + 1);
    } catch (e) {
      try {
        const outcome = classifyThrow(r.name, args, e);
        if (outcome === "ntstatus") c.ntStatus++;
        else if (outcome === "notBuilt") c.notBuilt++;
      } catch (escape) {
        if (escape instanceof HostEscape) this.escape = escape;
        else throw escape;
      }
    }
  }

  /** What the property checks (as KernelWorld.problems). */
  problems(): string[] {
    const m = this.m;
    const out: string[] = [];
    if (this.escape) out.push(this.escape.message);
    for (const e of m.errors) out.push(`a thread's host error: ${e.thread}: ${e.error instanceof Error ? `${e.error.name}: ${e.error.message}\n${e.error.stack ?? ""}` : String(e.error)}`);
    const h = m.halted;
    if (h?.kind === "bugcheck" && h.bugCheck.record.parameters[0] === EXCEPTION_JS) out.push(`a host exception became bug check 0x${h.bugCheck.record.code.toString(16)}: ${h.bugCheck.record.detail ?? ""}`);
    out.push(...invariantViolations(m));
    return out;
  }

  /** Adds this run's outcome to the coverage counters. */
  tally(): Coverage {
    const c = this.coverage;
    const m = this.m;
    c.runs++;
    c.apcsDelivered += this.userApcs;
    if (m.halted) c.haltedRuns++;
    if (m.halted?.kind === "deadlock") c.deadlocks++;
    if (m.halted?.kind === "bugcheck") {
      const r = m.halted.bugCheck.record;
      const key = `0x${r.code.toString(16).toUpperCase()} ${r.name}`;
      c.bugChecks.set(key, (c.bugChecks.get(key) ?? 0) + 1);
    }
    for (const f of m.findings) c.findings.set(f.rule, (c.findings.get(f.rule) ?? 0) + 1);
    return c;
  }
}

/** Runs one program in a fresh world and returns it. */
export async function runWin32Program(program: Program, options: { trace?: boolean } = {}): Promise<Win32World> {
  const w = new Win32World(program, options);
  await w.run();
  return w;
}
