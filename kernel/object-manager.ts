import { UserMode, type KPROCESSOR_MODE } from "./irql.js";
import type { KernelObject } from "./objects.js";
import {
  STATUS_ACCESS_DENIED,
  STATUS_HANDLE_NOT_CLOSABLE,
  STATUS_INVALID_HANDLE,
  STATUS_OBJECT_TYPE_MISMATCH,
  STATUS_SUCCESS,
  type NTSTATUS,
} from "./status.js";
import type { KProcess } from "./process.js";
import { removeTemporaryName } from "./object-directory.js";
import type { Machine } from "./machine.js";

/** NtCurrentProcess() / GetCurrentProcess(): the pseudo-handle (HANDLE)-1. */
export const NtCurrentProcess = 0xffffffff;
/** NtCurrentThread() / GetCurrentThread(): the pseudo-handle (HANDLE)-2. */
export const NtCurrentThread = 0xfffffffe;

/** Result of ObReferenceObjectByHandle. */
export interface HandleReference<T extends KernelObject = KernelObject> {
  status: NTSTATUS;
  object: T | null;
  grantedAccess: number;
}

/**
 * The object manager's handle and reference-count rules: a handle holds a reference; closing the
 * last handle runs the type's close procedure (IRP_MJ_CLEANUP for files); dropping the last
 * reference runs its delete procedure (IRP_MJ_CLOSE for files), inline on the paths that may
 * wait and on a system worker thread otherwise, as NT defers deletion at raised IRQL.
 */
export class ObjectManager {
  constructor(private readonly m: Machine) {}

  /** Creates a handle to `object` in `process` (the handle's reference is taken here). */
  insertHandle(process: KProcess, object: KernelObject, grantedAccess: number, inherit = false): number {
    object.handleCount++;
    object.pointerCount++;
    const h = process.handleTable.insert(object, grantedAccess, inherit);
    if (this.m.trace.on) this.m.trace.emit("HandleCreated", { handle: h, object: object.label, access: grantedAccess });
    const hooks = this.m.kernelHooks;
    if (hooks.length !== 0) for (const k of hooks) k.handleCreated?.(process, h, object);
    return h;
  }

  /**
   * ObReferenceObjectByHandle: resolves a handle of `process` to its object and takes a
   * reference. User-mode callers must hold every right they ask for.
   */
  referenceByHandle<T extends KernelObject = KernelObject>(
    process: KProcess,
    handle: number,
    objectType: string | null,
    desiredAccess: number,
    mode: KPROCESSOR_MODE,
  ): HandleReference<T> {
    const h = handle >>> 0;
    let object: KernelObject | undefined;
    let granted = 0x1fffff;
    if (h === NtCurrentProcess && handle !== 0) {
      object = process;
    } else if (h === NtCurrentThread) {
      object = this.m.currentThread();
    } else {
      const entry = process.handleTable.lookup(h);
      if (!entry) return { status: STATUS_INVALID_HANDLE, object: null, grantedAccess: 0 };
      object = entry.object;
      granted = entry.grantedAccess;
    }
    if (objectType !== null && object.objectType !== objectType) {
      return { status: STATUS_OBJECT_TYPE_MISMATCH, object: null, grantedAccess: 0 };
    }
    if (mode === UserMode && (desiredAccess & ~granted) !== 0) {
      return { status: STATUS_ACCESS_DENIED, object: null, grantedAccess: 0 };
    }
    object.pointerCount++;
    return { status: STATUS_SUCCESS, object: object as T, grantedAccess: granted };
  }

  /** ObReferenceObject. */
  reference(object: KernelObject): void {
    object.pointerCount++;
  }

  private drop(object: KernelObject): boolean {
    object.pointerCount--;
    if (object.pointerCount < 0) {
      this.m.bugCheck(0x18, 0, object.objectId, object.handleCount, object.pointerCount, {
        detail: `REFERENCE_BY_POINTER: ${object.label} was dereferenced more times than it was referenced`,
      });
    }
    if (object.pointerCount > 0) return false;
    object.deleted = true;
    return true;
  }

  /** ObDereferenceObject from a context that cannot wait: deletion goes to a worker thread. */
  dereference(object: KernelObject): void {
    if (!this.drop(object)) return;
    if (object.deleteProcedure) this.m.queueWorkItem(`delete ${object.label}`, () => object.deleteProcedure?.());
  }

  /** ObDereferenceObject on a path that may wait: deletion runs inline. */
  async dereferenceInline(object: KernelObject): Promise<void> {
    if (!this.drop(object)) return;
    if (object.deleteProcedure) await object.deleteProcedure();
  }

  /**
   * NtClose: removes the handle, runs the type's close procedure with the remaining handle
   * counts, then drops the handle's reference.
   */
  async closeHandle(process: KProcess, handle: number): Promise<NTSTATUS> {
    const h = handle >>> 0;
    const entry = process.handleTable.lookup(h);
    if (!entry) return STATUS_INVALID_HANDLE;
    if (entry.protectFromClose) return STATUS_HANDLE_NOT_CLOSABLE;
    process.handleTable.remove(h);
    const object = entry.object;
    object.handleCount--;
    // NT takes a temporary object's name out of its directory when its last handle closes.
    if (object.handleCount === 0 && object.objectName !== null) removeTemporaryName(this.m, object);
    if (this.m.trace.on) this.m.trace.emit("HandleClosed", { handle: h, object: object.label });
    if (object.closeProcedure) {
      await object.closeProcedure({
        processHandleCount: process.handleTable.countFor(object),
        systemHandleCount: object.handleCount,
        process,
      });
    }
    await this.dereferenceInline(object);
    return STATUS_SUCCESS;
  }

  /** ObKillProcess: closes every handle of a dying process, lowest value first. */
  async killProcess(process: KProcess): Promise<void> {
    for (const [h, entry] of process.handleTable.handles()) {
      entry.protectFromClose = false;
      await this.closeHandle(process, h);
    }
  }
}
