/**
 * The names drivers give their I/O control codes, so reports say IOCTL_SHARE_BUFFER instead of
 * 0x00222002. A code is only a number at run time, as on Windows (where the name lives in the
 * driver's header, and WinDbg or a trace shows the number); here the names are put into the trace
 * once, when a scenario loads the driver, and every exporter reads them from there.
 *
 * The least work for a driver author: export the codes from the driver's module as `IOCTL_*`
 * constants (as a WDK header declares them) and pass the module to `loadDriver` —
 * `loadDriver(m, "Sharebuf", driver.SharebufDriverEntry, { ioctls: driver })` with
 * `import * as driver from "./driver.js"`. For codes declared elsewhere (a header shared by the
 * app and the driver, another driver's codes), {@link registerIoctlNames} names them explicitly.
 */
import type { Machine } from "../kernel/machine.js";

declare module "../kernel/trace.js" {
  interface TraceEventMap {
    /** A driver's name for an I/O control code (`driver`: whose code it is, null when not said). */
    IoctlNamed: { driver: string | null; /** The control code. */ code: number; /** The name the driver declared for it (IOCTL_SHARE_BUFFER). */ name: string };
  }
}

/** The prefixes of the constants taken for I/O control code names (WDK spellings). */
const PREFIXES = ["IOCTL_", "FSCTL_"];

/**
 * The `IOCTL_*` / `FSCTL_*` number properties of `source` (a module namespace, or any object), as
 * [name, code] pairs in the order the object lists them. Other properties are ignored, so a whole
 * driver module can be passed.
 */
export function ioctlConstants(source: object): readonly (readonly [string, number])[] {
  // A module's exports never change: read them once (a scenario loads its driver on every run).
  const isModule = (source as { [Symbol.toStringTag]?: unknown })[Symbol.toStringTag] === "Module";
  const known = isModule ? constantsOf.get(source) : undefined;
  if (known) return known;
  const out: [string, number][] = [];
  for (const name of Object.keys(source)) {
    if (!PREFIXES.some((p) => name.startsWith(p))) continue;
    const value: unknown = (source as Record<string, unknown>)[name];
    if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > 0xffff_ffff) continue;
    out.push([name, value >>> 0]);
  }
  if (isModule) constantsOf.set(source, out);
  return out;
}

/** The constants found in each module namespace already read. */
const constantsOf = new WeakMap<object, [string, number][]>();

/**
 * Names I/O control codes for the machine's reports: every `IOCTL_*` (and `FSCTL_*`) number
 * property of `names` — a module namespace (`import * as driver from "./driver.js"`) or a literal
 * (`{ IOCTL_SHARE_BUFFER }`) — is recorded in the trace as the name `driver` (when given) declared
 * for that code. Call it before the requests are sent (a report names only what it has read by
 * then); a machine nobody traces records nothing. Returns how many codes were named; throws when
 * `names` holds none, since that is always a mistake (a module passed before it exported them, say).
 */
export function registerIoctlNames(m: Machine, names: object, driver: string | null = null): number {
  const list = ioctlConstants(names);
  if (list.length === 0) throw new Error("registerIoctlNames: no IOCTL_* or FSCTL_* number constant in the object given");
  if (m.trace.on) for (const [name, code] of list) m.trace.emit("IoctlNamed", { driver, code, name });
  return list.length;
}
