/**
 * What the buggy samples share: how a sample is described (the one rule it breaks), the
 * scenario that loads its drivers and runs its apps, and the few Win32 steps every app takes.
 */
import {
  CloseHandle,
  CreateEvent,
  CreateFile,
  DeviceIoControl,
  FILE_FLAG_OVERLAPPED,
  GENERIC_READ,
  GENERIC_WRITE,
  GetLastError,
  GetProcessHeap,
  HEAP_ZERO_MEMORY,
  HeapAlloc,
  INVALID_HANDLE_VALUE,
  MEM_COMMIT,
  MEM_RESERVE,
  OPEN_EXISTING,
  OVERLAPPED,
  PAGE_READWRITE,
  SIZEOF_OVERLAPPED,
  VirtualAlloc,
} from "irpsim/win32";
import type { DEVICE_OBJECT, DRIVER_INITIALIZE } from "irpsim/wdm";
import type { KProcess } from "irpsim";
import { loadDriver, unloadDriver } from "irpsim";
import type { Scenario, ScenarioContext } from "irpsim";
import type { RuleId } from "irpsim";

/** A sample driver with one bug, and the rule that bug breaks. */
export interface BuggySample {
  /** "complete-twice". */
  readonly name: string;
  /** The one rule it trips. */
  readonly rule: RuleId;
  /** The bug, in a sentence. */
  readonly bug: string;
  readonly scenario: Scenario;
}

/**
 * A driver a sample loads (in order): its DriverEntry, or — for a filter — a function that gets
 * the device it attaches to (the previous driver's first device), as PnP hands AddDevice the PDO.
 */
export type SampleDriver =
  | { readonly name: string; readonly entry: DRIVER_INITIALIZE }
  | { readonly name: string; readonly attach: (lower: DEVICE_OBJECT) => DRIVER_INITIALIZE };

/** What a sample's scenario does. */
export interface SampleSetup {
  readonly drivers: readonly SampleDriver[];
  /** App processes: name and main function. */
  readonly apps: readonly { readonly name: string; readonly main: () => Promise<unknown> }[];
  /** Run after the apps are started (the default runs the machine until it is quiet). */
  readonly then?: (ctx: ScenarioContext, apps: readonly KProcess[]) => Promise<void>;
  /** Unload the drivers (last loaded first) once the apps are done. */
  readonly unload?: boolean;
}

/** The scenario of a buggy sample. */
export function sampleScenario(name: string, summary: string, setup: SampleSetup): Scenario {
  return {
    name,
    summary,
    async run(ctx) {
      const m = ctx.machine;
      let below: DEVICE_OBJECT | null = null;
      for (const d of setup.drivers) {
        let entry: DRIVER_INITIALIZE;
        if ("entry" in d) entry = d.entry;
        else if (below) entry = d.attach(below);
        else throw new Error(`${d.name} is a filter, but no driver was loaded before it`);
        const loaded = await loadDriver(m, d.name, entry);
        ctx.check(`${d.name} loads`, loaded.status === 0, `status 0x${loaded.status.toString(16)}`);
        below = loaded.DriverObject.DeviceObject ?? below;
      }
      const apps = setup.apps.map((a) => m.createProcess(a.name, a.main));
      if (setup.then) await setup.then(ctx, apps);
      else await ctx.run();
      if (setup.unload && !m.halted) {
        for (const d of [...setup.drivers].reverse()) await unloadDriver(m, d.name);
      }
    },
  };
}

/** Opens `\\.\<name>` for reading and writing; overlapped if asked. Throws when it cannot. */
export async function openSampleDevice(name: string, overlapped = false): Promise<number> {
  const h = await CreateFile(`\\\\.\\${name}`, GENERIC_READ | GENERIC_WRITE, 0, null, OPEN_EXISTING, overlapped ? FILE_FLAG_OVERLAPPED : 0, 0);
  if (h === INVALID_HANDLE_VALUE) throw new Error(`CreateFile(\\\\.\\${name}) failed: ${GetLastError()}`);
  return h;
}

/** Committed read-write memory for the app's buffers. */
export function appBuffer(bytes = 4096): number {
  return VirtualAlloc(0, bytes, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
}

/** A zeroed OVERLAPPED with a manual-reset event, in the app's heap. */
export function newOverlapped(): OVERLAPPED {
  const ov = new OVERLAPPED(HeapAlloc(GetProcessHeap(), HEAP_ZERO_MEMORY, SIZEOF_OVERLAPPED));
  ov.hEvent = CreateEvent(null, true, false, null);
  return ov;
}

/** Sends one control code on a synchronous handle and closes it: the simplest app. */
export function sendOne(device: string, code: number, inputBytes = 0, outputBytes = 0): () => Promise<unknown> {
  return async function SampleApp() {
    const h = await openSampleDevice(device);
    const buffer = appBuffer();
    const returned = buffer + 2048;
    await DeviceIoControl(h, code, inputBytes > 0 ? buffer : 0, inputBytes, outputBytes > 0 ? buffer + 1024 : 0, outputBytes, returned, null);
    await CloseHandle(h);
  };
}
