/**
 * The buggy samples: one bug each, the rule it breaks, and the scenario that shows it. Each
 * runs with the verifier on (the default) and trips exactly its rule.
 */
import {
  CancelIoEx,
  CloseHandle,
  CreateEvent,
  CreateThread,
  DeviceIoControl,
  INFINITE,
  MEM_RESERVE,
  PAGE_READWRITE,
  Sleep,
  VirtualAlloc,
  WaitForSingleObject,
  writeU32,
} from "irpsim/win32";
import { createRootDevice, setSystemPowerState, wake, PowerSystemSleeping3, unloadDriver } from "irpsim";
import type { RuleId } from "irpsim";
import { appBuffer, newOverlapped, openSampleDevice, sampleScenario, sendOne, type BuggySample, type SampleDriver, type SampleSetup } from "./harness.js";
import { CmplDriverEntry, IOCTL_CMPL_GET_VERSION, IOCTL_CMPL_PING, IOCTL_CMPL_QUEUE, IOCTL_CMPL_START, IOCTL_CMPL_SYNC_WITH_ISR, IOCTL_CMPL_VALIDATE } from "./completion.js";
import { IOCTL_PEND_CALIBRATE, IOCTL_PEND_CONFIGURE, IOCTL_PEND_FAST_PATH, IOCTL_PEND_READ_SENSOR, IOCTL_PEND_UNKNOWN, PendDriverEntry } from "./pending.js";
import { LowrDriverEntry } from "./lower.js";
import { PwrDriverEntry } from "./power.js";
import { IOCTL_FILT_COUNTED, IOCTL_FILT_HELD, IOCTL_FILT_LOGGED, makeFiltDriver } from "./filter.js";
import { CnclDriverEntry, IOCTL_CNCL_RELEASE_ONE, IOCTL_CNCL_WAIT, IOCTL_CNCL_WAIT_DEFERRED, IOCTL_CNCL_WAIT_FOREVER, IOCTL_CNCL_WAIT_UNCHECKED } from "./cancel.js";
import { IOCTL_LOCL_ABORTED_QUERY, IOCTL_LOCL_BUILT_QUERY, IOCTL_LOCL_FIRE_AND_FORGET, IOCTL_LOCL_QUERY, IOCTL_LOCL_REFUSE, makeLoclDriver } from "./local-irps.js";
import { IOCTL_MDLS_FILL, IOCTL_MDLS_LOCKED_FILL, IOCTL_MDLS_PEEK, IOCTL_MDLS_REGISTER, IOCTL_MDLS_RELEASE_EARLY, IOCTL_MDLS_STAMP, IOCTL_MDLS_START_LOG, IOCTL_MDLS_SHARE_PAGES, MdlsDriverEntry } from "./mdl.js";
import { IOCTL_IRQL_BEGIN_CONFIG, IOCTL_IRQL_CLEAR_STATS, IOCTL_IRQL_COUNT, IOCTL_IRQL_END_CONFIG, IOCTL_IRQL_REPORT, IOCTL_IRQL_RESET, IOCTL_IRQL_SAMPLE, IOCTL_IRQL_SET_THRESHOLD, IOCTL_IRQL_SNAPSHOT, IOCTL_IRQL_WAIT_IDLE, IrqlDriverEntry } from "./irql.js";
import { CtxDriverEntry, IOCTL_CTX_COMMAND, IOCTL_CTX_POST, IOCTL_CTX_WAIT_FOR_DATA, IOCTL_CTX_WAIT_FOR_TIMER, IOCTL_CTX_WAIT_FOR_WORKER } from "./context.js";
import { makeUnldDriver, IOCTL_UNLD_WAIT, type UnldBug } from "./unload.js";
import { IOCTL_STIO_TRANSFER, StioDriverEntry } from "./start-io.js";
import { closeDroppedSetup } from "./close.js";
import { IOCTL_SPOOL_GET_MODEL, IOCTL_SPOOL_MEASURE, SpoolDriverEntry } from "./pool.js";
import { SetSpoolLabel } from "./pool-app.js";
import { IOCTL_LEAK_HANDLE, IOCTL_LEAK_IRP, IOCTL_LEAK_LOCKED_PAGES, IOCTL_LEAK_MDL, IOCTL_LEAK_POOL, IOCTL_LEAK_REFERENCE, LeakDriverEntry } from "./leaks.js";

function sample(name: string, rule: RuleId, bug: string, setup: SampleSetup): BuggySample {
  return { name, rule, bug, scenario: sampleScenario(`buggy/${name}`, bug, setup) };
}

// ---- The drivers ------------------------------------------------------------------------------

const cmpl: SampleDriver = { name: "Cmpl", entry: CmplDriverEntry };
const pend: SampleDriver = { name: "Pend", entry: PendDriverEntry };
const lowr: SampleDriver = { name: "Lowr", entry: LowrDriverEntry };
const filt: SampleDriver = { name: "Filt", attach: makeFiltDriver };
const cncl: SampleDriver = { name: "Cncl", entry: CnclDriverEntry };
const locl: SampleDriver = { name: "Locl", attach: makeLoclDriver };
const mdls: SampleDriver = { name: "Mdls", entry: MdlsDriverEntry };
const irql: SampleDriver = { name: "Irql", entry: IrqlDriverEntry };
const ctx: SampleDriver = { name: "Ctx", entry: CtxDriverEntry };
const leak: SampleDriver = { name: "Leak", entry: LeakDriverEntry };
const stio: SampleDriver = { name: "Stio", entry: StioDriverEntry };

// ---- The apps ---------------------------------------------------------------------------------

/** Drivers plus one app that sends one control code on a synchronous handle. */
function oneIoctl(drivers: readonly SampleDriver[], device: string, code: number, inputBytes = 0, outputBytes = 0): SampleSetup {
  return { drivers, apps: [{ name: "app.exe", main: sendOne(device, code, inputBytes, outputBytes) }] };
}

/** Sends several control codes, one after the other, on one synchronous handle. */
function inTurn(device: string, codes: readonly number[]): () => Promise<unknown> {
  return async function SampleApp() {
    const h = await openSampleDevice(device);
    for (const code of codes) await DeviceIoControl(h, code, 0, 0, 0, 0, 0, null);
    await CloseHandle(h);
  };
}

/** Sends a METHOD_NEITHER or direct-I/O code with a 4 KB output buffer at `buffer()`. */
function withOutput(device: string, code: number, buffer: () => number = appBuffer): () => Promise<unknown> {
  return async function SampleApp() {
    const h = await openSampleDevice(device);
    await DeviceIoControl(h, code, 0, 0, buffer(), 4096, 0, null);
    await CloseHandle(h);
  };
}

/** Pends `code` on an overlapped handle, cancels it with CancelIoEx and waits for it. */
function pendThenCancel(device: string, code: number): () => Promise<unknown> {
  return async function SampleApp() {
    const h = await openSampleDevice(device, true);
    const ov = newOverlapped();
    await DeviceIoControl(h, code, 0, 0, 0, 0, 0, ov);
    await CancelIoEx(h, ov);
    await WaitForSingleObject(ov.hEvent, INFINITE);
    await CloseHandle(h);
  };
}

/** Pends `code`, then sends `release`, then waits for the pended request. */
function pendThenRelease(device: string, code: number, release: number): () => Promise<unknown> {
  return async function SampleApp() {
    const h = await openSampleDevice(device, true);
    const waiting = newOverlapped();
    await DeviceIoControl(h, code, 0, 0, 0, 0, 0, waiting);
    const other = newOverlapped();
    await DeviceIoControl(h, release, 0, 0, 0, 0, 0, other);
    await WaitForSingleObject(waiting.hEvent, INFINITE);
    await CloseHandle(h);
  };
}

/** A reserved, never committed user address: a buffer whose probe fails. */
function unmappedBuffer(): number {
  return VirtualAlloc(0, 8192, MEM_RESERVE, PAGE_READWRITE) + 0x100;
}

/** Two threads: this one begins a configuration, another ends it. */
async function BeginEndOnTwoThreads(): Promise<unknown> {
  const h = await openSampleDevice("BuggyIrql");
  await DeviceIoControl(h, IOCTL_IRQL_BEGIN_CONFIG, 0, 0, 0, 0, 0, null);
  const worker = CreateThread(null, 0, async () => DeviceIoControl(h, IOCTL_IRQL_END_CONFIG, 0, 0, 0, 0, 0, null), null, 0, 0);
  await WaitForSingleObject(worker, INFINITE);
  await CloseHandle(h);
  return 0;
}

/** The reader: waits for data with its own buffer. */
async function ContextReader(): Promise<unknown> {
  return waitForAnswer(IOCTL_CTX_WAIT_FOR_DATA);
}

/** Waits (overlapped) with `code` for a 4-byte answer in the app's own buffer. */
async function waitForAnswer(code: number): Promise<unknown> {
  const buffer = appBuffer();
  const h = await openSampleDevice("BuggyContext", true);
  const ov = newOverlapped();
  await DeviceIoControl(h, code, 0, 0, buffer, 4, 0, ov);
  await WaitForSingleObject(ov.hEvent, INFINITE);
  await CloseHandle(h);
  return 0;
}

/** Waits for the answer a work item writes. */
export async function WorkerReader(): Promise<unknown> {
  return waitForAnswer(IOCTL_CTX_WAIT_FOR_WORKER);
}

/** Waits for the answer a timer DPC writes. */
export async function TimerReader(): Promise<unknown> {
  return waitForAnswer(IOCTL_CTX_WAIT_FOR_TIMER);
}

/** The writer, another process: posts a value (its own buffer sits at the reader's address). */
async function ContextWriter(): Promise<unknown> {
  const buffer = appBuffer();
  writeU32(buffer, 0x1234);
  const h = await openSampleDevice("BuggyContext");
  await DeviceIoControl(h, IOCTL_CTX_POST, buffer, 4, 0, 0, 0, null);
  await CloseHandle(h);
  return 0;
}

/** Sends a command of 8 bytes: the length field (8), then the payload. */
async function ContextCommand(): Promise<unknown> {
  const buffer = appBuffer();
  writeU32(buffer, 8);
  const h = await openSampleDevice("BuggyContext");
  await DeviceIoControl(h, IOCTL_CTX_COMMAND, buffer, 12, 0, 0, 0, null);
  await CloseHandle(h);
  return 0;
}

/** Asks the driver to keep a reference to this app's event. */
async function ReferenceMyEvent(): Promise<unknown> {
  const event = CreateEvent(null, true, false, null);
  const buffer = appBuffer();
  writeU32(buffer, event);
  const h = await openSampleDevice("BuggyLeak");
  await DeviceIoControl(h, IOCTL_LEAK_REFERENCE, buffer, 4, 0, 0, 0, null);
  await CloseHandle(h);
  await CloseHandle(event);
  return 0;
}

/** Pends a wait on Unld and stays around (the harness unloads the driver meanwhile). */
async function WaitOnUnld(): Promise<unknown> {
  const h = await openSampleDevice("BuggyUnload", true);
  const ov = newOverlapped();
  await DeviceIoControl(h, IOCTL_UNLD_WAIT, 0, 0, 0, 0, 0, ov);
  await WaitForSingleObject(ov.hEvent, INFINITE);
  return 0;
}

/** Loads Unld (built with `bug`), runs briefly, then unloads it. */
function unloadSample(bug: UnldBug): SampleSetup {
  const driver: SampleDriver = { name: "Unld", entry: makeUnldDriver(bug) };
  if (bug !== "pending-request") return { drivers: [driver], apps: [], unload: true };
  return {
    drivers: [driver],
    apps: [{ name: "waiter.exe", main: WaitOnUnld }],
    // The harness unloads the driver while the app's request is still outstanding.
    async then(ctx) {
      await ctx.run({ maxTimeMs: 20 });
      await unloadDriver(ctx.machine, "Unld");
    },
  };
}

/** Sends `code` twice on an overlapped handle (the second waits behind the first) and waits for both. */
function twoAtOnce(device: string, code: number): () => Promise<unknown> {
  return async function SampleApp() {
    const h = await openSampleDevice(device, true);
    const first = newOverlapped();
    const second = newOverlapped();
    await DeviceIoControl(h, code, 0, 0, 0, 0, 0, first);
    await DeviceIoControl(h, code, 0, 0, 0, 0, 0, second);
    await WaitForSingleObject(first.hEvent, INFINITE);
    await WaitForSingleObject(second.hEvent, INFINITE);
    await CloseHandle(h);
  };
}

// ---- The samples ------------------------------------------------------------------------------

/** Every buggy sample. */
// The WDK-macro sample (kept here, below the others, so their line numbers stay put).
import { IOCTL_PAGD_RECORD, PagdDriverEntry } from "./paged.js";
const pagd: SampleDriver = { name: "Pagd", entry: PagdDriverEntry };

export const buggySamples: readonly BuggySample[] = [
  // Completion
  sample("complete-twice", "DoubleCompletion", "an error path completes the IRP and falls through to the common completion", oneIoctl([cmpl], "BuggyCompletion", IOCTL_CMPL_VALIDATE)),
  sample("complete-with-pending-status", "CompleteWithPendingStatus", "the driver completes the IRP with the STATUS_PENDING its transfer routine returned", oneIoctl([cmpl], "BuggyCompletion", IOCTL_CMPL_START)),
  sample("complete-with-cancel-routine", "CompleteWithCancelRoutine", "a busy device fails the request without taking back its cancel routine", oneIoctl([cmpl], "BuggyCompletion", IOCTL_CMPL_QUEUE)),
  sample("complete-at-device-irql", "CompleteAboveDispatch", "the request is completed while the IRQL is raised to synchronise with the ISR", oneIoctl([cmpl], "BuggyCompletion", IOCTL_CMPL_SYNC_WITH_ISR)),
  sample("information-too-large", "InformationTooLarge", "the driver reports the size of its whole record, not what fit in the caller's buffer", oneIoctl([cmpl], "BuggyCompletion", IOCTL_CMPL_GET_VERSION, 0, 16)),
  sample("status-after-complete", "IrpUsedAfterRelease", "the dispatch routine returns Irp->IoStatus.Status after IoCompleteRequest", oneIoctl([cmpl], "BuggyCompletion", IOCTL_CMPL_PING)),
  sample("log-after-forward", "IrpUsedAfterRelease", "a filter reads the IRP's IoStatus after passing it down", oneIoctl([lowr, filt], "BuggyLower", IOCTL_FILT_LOGGED)),
  // Pending
  sample("set-power-failed", "SetPowerFailed", "the driver refuses a system sleep by failing IRP_MN_SET_POWER instead of vetoing IRP_MN_QUERY_POWER", {
    drivers: [{ name: "Pwr", entry: PwrDriverEntry }],
    apps: [],
    async then(ctx) {
      const m = ctx.machine;
      const reported = await createRootDevice(m, { service: "Pwr", hardwareId: "Root\\Pwr" });
      ctx.check("the device starts", reported.status === 0, `status 0x${reported.status.toString(16)}`);
      await setSystemPowerState(m, PowerSystemSleeping3);
      await wake(m);
    },
  }),
  sample("pending-without-mark", "PendingWithoutMark", "the request is queued and STATUS_PENDING returned without IoMarkIrpPending", oneIoctl([pend], "BuggyPending", IOCTL_PEND_READ_SENSOR)),
  sample("marked-without-pending", "MarkedWithoutPending", "the request is marked pending, finished on the fast path, and its status returned", oneIoctl([pend], "BuggyPending", IOCTL_PEND_FAST_PATH)),
  sample("pending-after-complete", "PendedCompletedRequest", "the request is completed, then STATUS_PENDING returned", oneIoctl([pend], "BuggyPending", IOCTL_PEND_CALIBRATE)),
  sample("status-mismatch", "StatusMismatch", "the IRP is completed with the validation's failure but STATUS_SUCCESS is returned", oneIoctl([pend], "BuggyPending", IOCTL_PEND_CONFIGURE)),
  sample("request-dropped", "IrpNotHandled", "an unknown control code is refused without completing the IRP", oneIoctl([pend], "BuggyPending", IOCTL_PEND_UNKNOWN)),
  sample("close-dropped", "IrpNotHandled", "the IRP_MJ_CLOSE handler fills in the I/O status and returns without completing the IRP", closeDroppedSetup),
  sample("pending-not-propagated", "PendingReturnedNotPropagated", "a filter's completion routine does not propagate PendingReturned", oneIoctl([lowr, filt], "BuggyLower", IOCTL_FILT_COUNTED)),
  // Cancel
  sample("forward-with-cancel-routine", "CallDriverWithCancelRoutine", "a filter forwards a held request with its cancel routine still set", oneIoctl([lowr, filt], "BuggyLower", IOCTL_FILT_HELD)),
  sample("cancel-field-unchecked", "IrpCancelField", "a cancel routine is set under the queue lock and Irp->Cancel never tested", { drivers: [cncl], apps: [{ name: "app.exe", main: pendThenCancel("BuggyCancel", IOCTL_CNCL_WAIT_UNCHECKED) }] }),
  sample("cancel-routine-keeps-lock", "ReturnedHoldingCancelLock", "a cancel routine hands the IRP to a DPC and forgets IoReleaseCancelSpinLock", { drivers: [cncl], apps: [{ name: "app.exe", main: pendThenCancel("BuggyCancel", IOCTL_CNCL_WAIT_DEFERRED) }] }),
  sample("complete-under-spin-lock", "SpinLockSafe", "the oldest request is completed while the queue's spin lock is held", { drivers: [cncl], apps: [{ name: "app.exe", main: pendThenRelease("BuggyCancel", IOCTL_CNCL_WAIT, IOCTL_CNCL_RELEASE_ONE) }] }),
  sample("start-next-under-spin-lock", "SpinLockSafe", "the transfer DPC starts the next packet while holding the device's spin lock", { drivers: [stio], apps: [{ name: "app.exe", main: twoAtOnce("BuggyStartIo", IOCTL_STIO_TRANSFER) }] }),
  sample("cancel-never-completes", "CancelTimeout", "a request is queued without a cancel routine, so cancelling it does nothing", { drivers: [cncl], apps: [{ name: "app.exe", main: pendThenCancel("BuggyCancel", IOCTL_CNCL_WAIT_FOREVER) }] }),
  // IRPs the driver allocates
  sample("complete-own-irp", "IoAllocateComplete", "a driver finishes its IoAllocateIrp IRP with IoCompleteRequest", oneIoctl([lowr, locl], "BuggyLower", IOCTL_LOCL_QUERY)),
  sample("free-built-irp", "IoBuildDeviceControlNoFree", "an error path frees an IRP from IoBuildDeviceIoControlRequest", oneIoctl([lowr, locl], "BuggyLower", IOCTL_LOCL_BUILT_QUERY)),
  sample("built-irp-not-waited", "IoBuildDeviceControlWait", "a driver sends an IoBuildDeviceIoControlRequest IRP and does not wait when it pends", oneIoctl([lowr, locl], "BuggyLower", IOCTL_LOCL_FIRE_AND_FORGET)),
  sample("free-irp-in-use", "FreeIrpInUse", "a driver frees its IoAllocateIrp IRP while the device below still holds it", oneIoctl([lowr, locl], "BuggyLower", IOCTL_LOCL_ABORTED_QUERY)),
  sample("free-irp-it-was-sent", "IoAllocateFree", "a driver refuses a request by freeing the IRP instead of completing it", oneIoctl([lowr, locl], "BuggyLower", IOCTL_LOCL_REFUSE)),
  // MDLs and memory
  sample("unlock-never-locked", "UnlockNeverLocked", "the common exit unlocks an MDL whose probe failed", { drivers: [mdls], apps: [{ name: "app.exe", main: withOutput("BuggyMdl", IOCTL_MDLS_FILL, unmappedBuffer) }] }),
  sample("unlock-twice", "UnlockTwice", "the driver unlocks the I/O manager's MDL itself before completing", { drivers: [mdls], apps: [{ name: "app.exe", main: withOutput("BuggyMdl", IOCTL_MDLS_RELEASE_EARLY) }] }),
  sample("free-mapped-mdl", "FreeMdlStillMapped", "the driver frees a locked, mapped MDL with IoFreeMdl", { drivers: [mdls], apps: [{ name: "app.exe", main: withOutput("BuggyMdl", IOCTL_MDLS_STAMP) }] }),
  sample("free-shared-pages-mapped", "FreePagesStillMapped", "the driver frees pages it mapped into the app while the app's mapping remains", { drivers: [mdls], apps: [{ name: "app.exe", main: withOutput("BuggyMdl", IOCTL_MDLS_SHARE_PAGES) }] }),
  sample("map-unlocked-mdl", "MapUnlockedPages", "the driver maps an MDL it never locked", { drivers: [mdls], apps: [{ name: "app.exe", main: withOutput("BuggyMdl", IOCTL_MDLS_PEEK) }] }),
  sample("probe-under-spin-lock", "ProbeAtWrongIrql", "the driver probes and locks a user buffer while holding a spin lock", { drivers: [mdls], apps: [{ name: "app.exe", main: withOutput("BuggyMdl", IOCTL_MDLS_LOCKED_FILL) }] }),
  sample("exit-with-locked-pages", "ProcessExitWithLockedPages", "the driver keeps the app's buffer locked and the app exits", { drivers: [mdls], apps: [{ name: "app.exe", main: withOutput("BuggyMdl", IOCTL_MDLS_REGISTER) }] }),
  sample("stale-system-address", "StaleSystemAddress", "a DPC writes through the system address of a buffer whose IRP was completed", {
    drivers: [mdls],
    apps: [
      {
        name: "app.exe",
        async main() {
          await withOutput("BuggyMdl", IOCTL_MDLS_START_LOG)();
          await Sleep(20);
        },
      },
    ],
  }),
  // Special pool
  sample("copy-past-pool-string", "SpecialPoolBeyondEnd", "a METHOD_BUFFERED handler copies the caller's 100-byte output length out of a 38-byte pool string", oneIoctl([{ name: "Spool", entry: SpoolDriverEntry }], "BuggySpool", IOCTL_SPOOL_GET_MODEL, 0, 100)),
  sample("use-freed-record", "SpecialPoolFreedAccess", "an error path frees the request's record and the common path logs from it", oneIoctl([{ name: "Spool", entry: SpoolDriverEntry }], "BuggySpool", IOCTL_SPOOL_MEASURE, 4, 0)),
  sample("string-without-nul-room", "SpecialPoolCorruption", "a label is copied into a block sized for its characters, not its NUL", { drivers: [{ name: "Spool", entry: SpoolDriverEntry }], apps: [{ name: "app.exe", main: SetSpoolLabel }] }),
  // IRQL and locks
  sample("raise-irql-down", "RaiseIrqlLower", "KeRaiseIrql to APC_LEVEL while holding a spin lock", oneIoctl([irql], "BuggyIrql", IOCTL_IRQL_SNAPSHOT)),
  sample("lower-irql-up", "LowerIrqlHigher", "KeLowerIrql to DISPATCH_LEVEL from PASSIVE_LEVEL", oneIoctl([irql], "BuggyIrql", IOCTL_IRQL_RESET)),
  sample("release-spin-lock-twice", "SpinLockReleaseWrong", "an early path releases the spin lock and falls through to the common release", oneIoctl([irql], "BuggyIrql", IOCTL_IRQL_CLEAR_STATS)),
  sample("wait-under-spin-lock", "WaitAtDispatch", "the driver waits on an event while holding a spin lock", oneIoctl([irql], "BuggyIrql", IOCTL_IRQL_WAIT_IDLE)),
  sample("user-memory-at-dispatch", "PageableAtDispatch", "the driver reads the caller's METHOD_NEITHER buffer while holding a spin lock", { drivers: [irql], apps: [{ name: "app.exe", main: sendOne("BuggyIrql", IOCTL_IRQL_SET_THRESHOLD, 4, 0) }] }),
  sample("return-holding-spin-lock", "DispatchIrqlChanged", "an early return leaves the statistics spin lock held", oneIoctl([irql], "BuggyIrql", IOCTL_IRQL_COUNT)),
  sample("lock-order", "LockOrder", "two control codes take the same two spin locks in opposite orders", { drivers: [irql], apps: [{ name: "app.exe", main: inTurn("BuggyIrql", [IOCTL_IRQL_SAMPLE, IOCTL_IRQL_REPORT]) }] }),
  sample("mutex-released-by-other-thread", "WrongThreadRelease", "one thread acquires the configuration mutex and another releases it", { drivers: [irql], apps: [{ name: "app.exe", main: BeginEndOnTwoThreads }] }),
  // Context and shared buffers
  sample("write-other-process", "CrossProcessUserAccess", "a post from one process writes the waiting reader's buffer, in the writer's address space", { drivers: [ctx], apps: [{ name: "reader.exe", main: ContextReader }, { name: "writer.exe", main: ContextWriter }] }),
  sample("answer-from-work-item", "CrossProcessUserAccess", "a work item writes the waiting reader's buffer from the System process", { drivers: [ctx], apps: [{ name: "reader.exe", main: WorkerReader }] }),
  sample("double-fetch", "DoubleFetch", "the driver validates a length it reads from the caller's buffer, then reads it again to copy", { drivers: [ctx], apps: [{ name: "app.exe", main: ContextCommand }] }),
  // Unload
  sample("unload-with-timer", "UnloadWithTimerOrDpc", "DriverUnload forgets to cancel the heartbeat timer", unloadSample("timer")),
  sample("unload-with-pending-request", "UnloadWithPendingIrps", "DriverUnload does not complete the request it holds", unloadSample("pending-request")),
  sample("unload-with-pool", "UnloadWithPool", "DriverUnload forgets to free the history buffer", unloadSample("pool")),
  sample("unload-leaves-device", "UnloadLeftDevice", "DriverUnload forgets IoDeleteDevice", unloadSample("device")),
  sample("unload-leaves-link", "UnloadLeftSymbolicLink", "DriverUnload forgets IoDeleteSymbolicLink", unloadSample("symbolic-link")),
  // Teardown
  sample("leak-pool", "LeakedPool", "a per-request context is never freed", oneIoctl([leak], "BuggyLeak", IOCTL_LEAK_POOL)),
  sample("leak-irp", "LeakedIrp", "an IRP allocated for a query is neither sent nor freed", oneIoctl([leak], "BuggyLeak", IOCTL_LEAK_IRP)),
  sample("leak-mdl", "LeakedMdl", "an MDL describing the driver's buffer is never freed", oneIoctl([leak], "BuggyLeak", IOCTL_LEAK_MDL)),
  sample("leak-locked-pages", "LeakedLockedPages", "the driver locks its paged buffer for a transfer and never unlocks it", oneIoctl([leak], "BuggyLeak", IOCTL_LEAK_LOCKED_PAGES)),
  sample("leak-handle", "LeakedHandle", "the handle PsCreateSystemThread returns is never closed", oneIoctl([leak], "BuggyLeak", IOCTL_LEAK_HANDLE)),
  sample("leak-reference", "LeakedReference", "the driver references the caller's event and never dereferences it", { drivers: [leak], apps: [{ name: "app.exe", main: ReferenceMyEvent }] }),
  // Synchronization, work items, lookaside lists, handles, notify routines (sync-samples.ts)
  ...syncSamples,
  // WDK macros
  sample("paged-code-under-spin-lock", "PagedCodeAtRaisedIrql", "a helper marked PAGED_CODE is called while the driver holds a spin lock", oneIoctl([pagd], "BuggyPagd", IOCTL_PAGD_RECORD)),
];

/** A buggy sample by name. */
export function findBuggySample(name: string): BuggySample | undefined {
  return buggySamples.find((s) => s.name === name);
}

// Imported last, so that the samples above keep the line numbers the tutorial's findings quote.
import { syncSamples } from "./sync-samples.js";
