/**
 * Installed Kernel PlugIn images, per machine: what copying a KP driver into the system's
 * drivers directory (and registering it) does, so the generic driver can load it by name.
 */
import type { Machine } from "../kernel/machine.js";
import type { KernelPlugIn } from "./kernel-plugin.js";

const registries = new WeakMap<Machine, Map<string, { name: string; module: KernelPlugIn }>>();

function registry(m: Machine): Map<string, { name: string; module: KernelPlugIn }> {
  let r = registries.get(m);
  if (!r) {
    r = new Map();
    registries.set(m, r);
  }
  return r;
}

/**
 * Installs a Kernel PlugIn image under its driver file name (without extension, as
 * WD_KERNEL_PLUGIN.pcDriverName gives it; names are case-insensitive). A second image under the
 * same name replaces the first, as copying a new .sys over the old one would.
 */
export function installKernelPlugIn(m: Machine, name: string, module: KernelPlugIn): void {
  if (name.length === 0 || name.length > 128) throw new RangeError(`a Kernel PlugIn name must have 1 to 128 characters (got ${name.length})`);
  registry(m).set(name.toLowerCase(), { name, module });
}

/** The image installed under `name`, if any. */
export function installedKernelPlugIn(m: Machine, name: string): { name: string; module: KernelPlugIn } | undefined {
  return registry(m).get(name.toLowerCase());
}
