/**
 * The object manager's namespace for named objects (events, mutexes, semaphores, ports): a name
 * such as "\BaseNamedObjects\MyEvent" leads to the object while it exists. As NT's temporary
 * objects do, a name goes away when its object is deleted (its last handle and reference gone).
 * Names compare case-insensitively (ObCaseInsensitive is on by default on Windows).
 */
import type { Machine } from "./machine.js";
import type { KernelObject } from "./objects.js";

const directories = new WeakMap<Machine, Map<string, KernelObject>>();

function directory(m: Machine): Map<string, KernelObject> {
  let d = directories.get(m);
  if (!d) {
    d = new Map();
    directories.set(m, d);
  }
  return d;
}

/** The live object with this name, or null (a deleted object's name is dropped here). */
export function lookupNamedObject(m: Machine, name: string): KernelObject | null {
  const d = directory(m);
  const key = name.toUpperCase();
  const o = d.get(key);
  if (!o) return null;
  if (o.deleted || (o.pointerCount === 0 && o.handleCount === 0)) {
    d.delete(key);
    return null;
  }
  return o;
}

/** Enters `object` under `name` (the caller has checked that the name is free). */
export function insertNamedObject(m: Machine, name: string, object: KernelObject): void {
  directory(m).set(name.toUpperCase(), object);
}
