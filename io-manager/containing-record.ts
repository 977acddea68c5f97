/**
 * Where CONTAINING_RECORD finds a driver's structures: its device extensions, and the structures
 * nested in them (a device extension holding a queue context that embeds a KDPC, say).
 */
import { currentMachine } from "../kernel/context.js";
import { memberAt, registerContainerFinder } from "../kernel/list-entry.js";
import { ioManager } from "./io-manager.js";

/** How deep into a device extension's members the search goes. */
const NESTING = 3;

function search(value: unknown, address: object, Type: abstract new (...args: never[]) => unknown, Field: string, depth: number, seen: Set<object>): unknown {
  if (typeof value !== "object" || value === null || seen.has(value)) return undefined;
  seen.add(value);
  if (value instanceof Type && memberAt(value, Field) === address) return value;
  if (depth === 0 || Array.isArray(value) || ArrayBuffer.isView(value)) return undefined;
  for (const v of Object.values(value)) {
    const found = search(v, address, Type, Field, depth - 1, seen);
    if (found !== undefined) return found;
  }
  return undefined;
}

registerContainerFinder(function findInDeviceExtensions(address, Type, Field) {
  const io = ioManager(currentMachine("CONTAINING_RECORD"));
  const seen = new Set<object>();
  for (const driver of io.drivers.values()) {
    for (let d = driver.DeviceObject; d; d = d.NextDevice) {
      const found = search(d.DeviceExtension, address, Type, Field, NESTING, seen);
      if (found !== undefined) return found;
    }
  }
  return undefined;
});
