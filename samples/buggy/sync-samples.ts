/**
 * The buggy samples of the synchronization rules: the Sync driver's control codes, one bug each,
 * and Ntfy's unload.
 */
import { CloseHandle, CreateEvent, DeviceIoControl, writeU32 } from "irpsim/win32";
import type { RuleId } from "irpsim";
import { appBuffer, openSampleDevice, sampleScenario, sendOne, type BuggySample, type SampleDriver, type SampleSetup } from "./harness.js";
import {
  IOCTL_SYNC_CONFIGURE,
  IOCTL_SYNC_DEFER,
  IOCTL_SYNC_MISTAGGED,
  IOCTL_SYNC_QUERY,
  IOCTL_SYNC_RECONFIGURE,
  IOCTL_SYNC_RESET,
  IOCTL_SYNC_SETUP,
  IOCTL_SYNC_SIGNAL,
  IOCTL_SYNC_UPDATE,
  IOCTL_SYNC_USE_BUFFER,
  IOCTL_SYNC_WAIT_WORKER,
  NtfyDriverEntry,
  SyncDriverEntry,
} from "./sync.js";

const sync: SampleDriver = { name: "Sync", entry: SyncDriverEntry };
const ntfy: SampleDriver = { name: "Ntfy", entry: NtfyDriverEntry };

function sample(name: string, rule: RuleId, bug: string, setup: SampleSetup): BuggySample {
  return { name, rule, bug, scenario: sampleScenario(`buggy/${name}`, bug, setup) };
}

/** Sync plus one app that sends `code` on a synchronous handle. */
function syncIoctl(code: number): SampleSetup {
  return { drivers: [sync], apps: [{ name: "app.exe", main: sendOne("BuggySync", code) }] };
}

/** Passes this app's event handle to the Sync driver. */
async function SignalMyEvent(): Promise<unknown> {
  const event = CreateEvent(null, true, false, null);
  const buffer = appBuffer();
  writeU32(buffer, event);
  const h = await openSampleDevice("BuggySync");
  await DeviceIoControl(h, IOCTL_SYNC_SIGNAL, buffer, 4, 0, 0, 0, null);
  await CloseHandle(h);
  await CloseHandle(event);
  return 0;
}

/** The synchronization samples. */
export const syncSamples: readonly BuggySample[] = [
  sample("remove-lock-mistagged", "RemoveLockMisuse", "the remove lock is acquired with the device as tag and released with the IRP", syncIoctl(IOCTL_SYNC_MISTAGGED)),
  sample("free-queued-work-item", "WorkItemInFreedPool", "a work item is queued in its context block, and the block freed at once", syncIoctl(IOCTL_SYNC_DEFER)),
  sample("lookaside-initialised-twice", "LookasideMisuse", "the context lookaside list is initialised again on every request", syncIoctl(IOCTL_SYNC_SETUP)),
  sample("fast-mutex-under-spin-lock", "FastMutexIrql", "the configuration fast mutex is taken while the statistics spin lock is held", syncIoctl(IOCTL_SYNC_CONFIGURE)),
  sample("resource-outside-critical-region", "CriticalRegionRequired", "the table's resource is acquired without KeEnterCriticalRegion", syncIoctl(IOCTL_SYNC_QUERY)),
  sample("critical-region-left-twice", "CriticalRegionMismatch", "the normal path calls KeLeaveCriticalRegion twice", syncIoctl(IOCTL_SYNC_UPDATE)),
  sample("fast-mutex-recursive", "LockSelfDeadlock", "a helper acquires the fast mutex its caller already holds", syncIoctl(IOCTL_SYNC_RECONFIGURE)),
  sample("resource-deleted-while-held", "LockMisuse", "the table's resource is deleted while the thread holds it", syncIoctl(IOCTL_SYNC_RESET)),
  sample("rundown-released-twice", "RundownReleaseWithoutAcquire", "the run-down reference on the buffer is released twice", syncIoctl(IOCTL_SYNC_USE_BUFFER)),
  sample("user-handle-as-kernel", "KernelModeUserHandle", "the caller's event handle is referenced with AccessMode KernelMode", { drivers: [sync], apps: [{ name: "app.exe", main: SignalMyEvent }] }),
  sample("null-handle-reference", "BadHandleReference", "the driver references its worker thread's handle, which is still NULL", syncIoctl(IOCTL_SYNC_WAIT_WORKER)),
  sample("unload-with-notify-routine", "UnloadWithNotifyRoutine", "DriverUnload forgets to remove the process-notify routine", { drivers: [ntfy], apps: [], unload: true }),
];
