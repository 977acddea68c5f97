/**
 * Loading and unloading drivers: DriverEntry runs on a system thread at PASSIVE_LEVEL; its
 * devices stop initialising when it returns; DriverUnload runs when the driver is unloaded.
 */
import type { Machine } from "../kernel/machine.js";
import { NT_SUCCESS, STATUS_OBJECT_NAME_COLLISION, STATUS_SUCCESS, ntStatusName, type NTSTATUS } from "../kernel/status.js";
import { DO_DEVICE_INITIALIZING } from "./constants.js";
import { DRIVER_OBJECT, type DRIVER_INITIALIZE } from "./driver-object.js";
import { ioManager } from "./io-manager.js";
import { unloadImageIfUnused } from "./device.js";
import { registerIoctlNames } from "./ioctl-names.js";
import { installServiceKey, serviceKeyPath, type RegistryValueSeed } from "../kernel/registry.js";

/** The result of loading a driver. */
export interface LoadedDriver {
  /** What DriverEntry returned. */
  readonly status: NTSTATUS;
  /** The driver object DriverEntry was given, with its dispatch table and devices. */
  readonly DriverObject: DRIVER_OBJECT;
}

/** How to load a driver, beyond its name and entry point. */
export interface LoadDriverOptions {
  /**
   * The driver's module (`import * as driver from "./driver.js"`) or any object holding its
   * `IOCTL_*` constants: reports name the driver's control codes with them (see
   * registerIoctlNames).
   */
  readonly ioctls?: object;
  /**
   * Values to put in the driver's Parameters key (`<RegistryPath>\Parameters`) before DriverEntry
   * runs, as its INF's AddReg would: `{ MaxRequests: 8, Name: "dev" }` (a number is a REG_DWORD,
   * a string a REG_SZ; see RegistryValueSeed).
   */
  readonly parameters?: Readonly<Record<string, RegistryValueSeed>>;
}

/**
 * Loads a driver: creates its DRIVER_OBJECT ("\\Driver\\<name>") and its service key
 * (RegistryPath, "\\Registry\\Machine\\System\\CurrentControlSet\\Services\\<name>", with Type, Start,
 * ErrorControl, ImagePath and a Parameters subkey holding `options.parameters`), and runs
 * `DriverEntry(DriverObject, RegistryPath)` on a system thread, running the machine until it
 * returns. A failing DriverEntry leaves the driver unloaded.
 */
export async function loadDriver(m: Machine, name: string, DriverEntry: DRIVER_INITIALIZE, options: LoadDriverOptions = {}): Promise<LoadedDriver> {
  const io = ioManager(m);
  const driver = new DRIVER_OBJECT(name);
  if (io.drivers.has(name.toLowerCase()) || !io.insertName(driver.DriverName, driver)) {
    return { status: STATUS_OBJECT_NAME_COLLISION, DriverObject: driver };
  }
  if (options.ioctls) registerIoctlNames(m, options.ioctls, name);
  io.drivers.set(name.toLowerCase(), driver);
  // A driver loaded again under the name of one whose image was unloaded is a new image.
  m.unloadedImages.delete(name);
  let status: NTSTATUS = STATUS_SUCCESS;
  let done = false;
  let error: unknown = null;
  const registryPath = serviceKeyPath(name);
  // The service key exists before DriverEntry runs, as the service control manager's does.
  installServiceKey(m, name, options.parameters);
  m.createSystemThread(`DriverEntry(${name})`, async () => {
    const token = m.enterActivity("DriverEntry of", name, name);
    try {
      status = (await DriverEntry(driver, registryPath)) >>> 0;
    } catch (e) {
      error = e;
    } finally {
      m.leaveActivity(token);
      done = true;
    }
  });
  await m.run({ until: () => done });
  if (error !== null) m.unhandledKernelException(error, `DriverEntry of ${name}`);
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- set by the DriverEntry thread
  if (!done) throw new Error(`DriverEntry of ${name} did not return (the machine ended: ${m.halted ? m.haltedError().message : "blocked"})`);
  if (!NT_SUCCESS(status)) {
    io.drivers.delete(name.toLowerCase());
    io.removeName(driver.DriverName, driver);
  } else {
    for (let d = driver.DeviceObject; d; d = d.NextDevice) d.Flags &= ~DO_DEVICE_INITIALIZING;
  }
  if (m.trace.on) m.trace.emit("DriverLoaded", { driver: name, status });
  return { status, DriverObject: driver };
}

/**
 * Unloads a driver: runs its DriverUnload on a system thread (the machine runs until it
 * returns). Returns false when the driver has no DriverUnload (it cannot be unloaded).
 */
export async function unloadDriver(m: Machine, name: string): Promise<boolean> {
  const io = ioManager(m);
  const driver = io.drivers.get(name.toLowerCase());
  if (!driver) throw new Error(`no driver named ${name} is loaded`);
  const unload = driver.DriverUnload;
  if (!unload) return false;
  let done = false;
  let error: unknown = null;
  m.createSystemThread(`DriverUnload(${name})`, async () => {
    const token = m.enterActivity("DriverUnload of", name, name);
    try {
      await unload(driver);
      const t = m.currentThread("DriverUnload");
      for (const h of io.hooks) h.afterDriverUnload?.(driver, t);
    } catch (e) {
      error = e;
    } finally {
      m.leaveActivity(token);
      done = true;
    }
  });
  await m.run({ until: () => done });
  if (error !== null) m.unhandledKernelException(error, `DriverUnload of ${name}`);
  driver.unloaded = true;
  unloadImageIfUnused(m, driver);
  io.drivers.delete(name.toLowerCase());
  io.removeName(driver.DriverName, driver);
  if (m.trace.on) m.trace.emit("DriverUnloaded", { driver: name });
  return true;
}

export { ntStatusName };
