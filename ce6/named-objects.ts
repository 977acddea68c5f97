/**
 * CE's named kernel objects: one global namespace (CE has no sessions or object directories),
 * so an event a driver creates as "CAM_FRAME_READY" is the event an app opens by that name.
 */
import type { KernelObject } from "../kernel/objects.js";

/** The global namespace of named events, mutexes and semaphores. */
export class CeNamedObjects {
  private readonly byName = new Map<string, KernelObject>();

  /** The live object of that name, or undefined (a name whose object was deleted is free again). */
  find(name: string): KernelObject | undefined {
    const o = this.byName.get(name);
    if (o && o.deleted) {
      this.byName.delete(name);
      return undefined;
    }
    return o;
  }

  /** Records a new named object. */
  add(name: string, object: KernelObject): void {
    this.byName.set(name, object);
  }
}
