/**
 * The framework object model (wdfobject.h): WDF_OBJECT_ATTRIBUTES, typed context areas, the
 * parent/child tree, reference counts, and deletion in the framework's order — every child's
 * EvtCleanupCallback before its parent's, then EvtDestroyCallback as each reference count reaches
 * zero (a child holds a reference on its parent, so a parent is destroyed after its children).
 */
import { activeMachine } from "../kernel/context.js";
import type { KThread } from "../kernel/thread.js";
import type { Machine } from "../kernel/machine.js";
import { NtStatusError } from "../kernel/nt-status-error.js";
import { badPointer } from "../kernel/bad-pointer.js";
import { DISPATCH_LEVEL } from "../kernel/irql.js";
import { STATUS_ACCESS_VIOLATION, STATUS_INSUFFICIENT_RESOURCES, STATUS_INVALID_HANDLE, STATUS_INVALID_PARAMETER, STATUS_OBJECT_NAME_EXISTS, STATUS_SUCCESS, type NTSTATUS } from "../kernel/status.js";
import { WdfHandleBrand, type WDF_HANDLE_TYPE, type WDFOBJECT } from "./handles.js";
import { fxEnter, fxIrqlOk, fxMachine, fxViolation, handleText, verifierOn, type FxDriverGlobals } from "./globals.js";

// ---- Synchronization scope and execution level ---------------------------------------------

/** WDF_SYNCHRONIZATION_SCOPE: which of a device's callbacks the framework serialises with one lock — none, every queue of the device (Device), each queue on its own (Queue), or the parent's choice. */
export const WDF_SYNCHRONIZATION_SCOPE = {
  WdfSynchronizationScopeInvalid: 0,
  WdfSynchronizationScopeInheritFromParent: 1,
  WdfSynchronizationScopeDevice: 2,
  WdfSynchronizationScopeQueue: 3,
  WdfSynchronizationScopeNone: 4,
} as const;
/** A WDF_SYNCHRONIZATION_SCOPE value. */
export type WDF_SYNCHRONIZATION_SCOPE = (typeof WDF_SYNCHRONIZATION_SCOPE)[keyof typeof WDF_SYNCHRONIZATION_SCOPE];
export const { WdfSynchronizationScopeInvalid, WdfSynchronizationScopeInheritFromParent, WdfSynchronizationScopeDevice, WdfSynchronizationScopeQueue, WdfSynchronizationScopeNone } = WDF_SYNCHRONIZATION_SCOPE;

/** WDF_EXECUTION_LEVEL: the highest IRQL the framework calls an object's callbacks at — PASSIVE_LEVEL (Passive; the serialization lock is then a passive-level one), DISPATCH_LEVEL (Dispatch), or the parent's. */
export const WDF_EXECUTION_LEVEL = {
  WdfExecutionLevelInvalid: 0,
  WdfExecutionLevelInheritFromParent: 1,
  WdfExecutionLevelPassive: 2,
  WdfExecutionLevelDispatch: 3,
} as const;
/** A WDF_EXECUTION_LEVEL value. */
export type WDF_EXECUTION_LEVEL = (typeof WDF_EXECUTION_LEVEL)[keyof typeof WDF_EXECUTION_LEVEL];
export const { WdfExecutionLevelInvalid, WdfExecutionLevelInheritFromParent, WdfExecutionLevelPassive, WdfExecutionLevelDispatch } = WDF_EXECUTION_LEVEL;

// ---- Attributes and contexts ----------------------------------------------------------------

/** EVT_WDF_OBJECT_CONTEXT_CLEANUP: the object is being deleted; drop your references to it. */
export type EVT_WDF_OBJECT_CONTEXT_CLEANUP = (Object: WDFOBJECT) => void;
/** EVT_WDF_OBJECT_CONTEXT_DESTROY: the object's last reference is gone; its context is still readable. */
export type EVT_WDF_OBJECT_CONTEXT_DESTROY = (Object: WDFOBJECT) => void;

/**
 * WDF_OBJECT_CONTEXT_TYPE_INFO: what WDF_DECLARE_CONTEXT_TYPE makes for a context type — its
 * name and how to make a zeroed one (the TypeScript form of the C structure's size).
 */
export class WDF_OBJECT_CONTEXT_TYPE_INFO<T = unknown> {
  constructor(
    /** ContextName: the context type's name, used in traces and in the failure of an accessor on an object without that context. */
    readonly ContextName: string,
    /** Makes the context area, as the framework zero-fills it in C. */
    readonly create: () => T,
  ) {}
}

/**
 * The accessor WDF_DECLARE_CONTEXT_TYPE_WITH_NAME declares (GetDeviceContext(Device)), with its
 * type information attached: pass the accessor itself, or `.TypeInfo`, to
 * WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE.
 */
export interface WdfContextAccessor<T> {
  (Handle: WDFOBJECT): T;
  /** TypeInfo: the context type's WDF_OBJECT_CONTEXT_TYPE_INFO, as WDF_GET_CONTEXT_TYPE_INFO gives it in C. */
  readonly TypeInfo: WDF_OBJECT_CONTEXT_TYPE_INFO<T>;
}

/**
 * WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(Type, CastFunction): declares a context type (a class with a
 * no-argument constructor) and returns its accessor, named `CastFunction` in traces. The accessor
 * returns the object's context of that type; an object created without it makes C's accessor
 * return NULL, which the driver then dereferences — here the accessor raises that access violation
 * (STATUS_ACCESS_VIOLATION at address 0), which, uncaught, is the bug check NT gives.
 */
export function WDF_DECLARE_CONTEXT_TYPE_WITH_NAME<T>(Type: new () => T, CastFunction: string): WdfContextAccessor<T> {
  const info = new WDF_OBJECT_CONTEXT_TYPE_INFO<T>(Type.name || CastFunction, () => new Type());
  const accessor = {
    [CastFunction]: (Handle: WDFOBJECT): T => {
      const o: unknown = Handle;
      const c = o instanceof FxObject ? o.getContext(info) : null;
      if (c === null) {
        throw new NtStatusError(STATUS_ACCESS_VIOLATION, `${CastFunction}(${o instanceof FxObject ? o.label : "a value that is not a framework handle"}) returned NULL: the object has no ${info.ContextName} context (give its WDF_OBJECT_ATTRIBUTES that context type when creating it), and the driver used it`, { address: 0 });
      }
      return c;
    },
  }[CastFunction] as (Handle: WDFOBJECT) => T;
  return Object.assign(accessor, { TypeInfo: info });
}

/** WDF_DECLARE_CONTEXT_TYPE(Type): the accessor is WdfObjectGet_<Type>. */
export function WDF_DECLARE_CONTEXT_TYPE<T>(Type: new () => T): WdfContextAccessor<T> {
  return WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(Type, `WdfObjectGet_${Type.name}`);
}

/** WDF_OBJECT_ATTRIBUTES. Initialise with WDF_OBJECT_ATTRIBUTES_INIT (a new one is initialised). */
export class WDF_OBJECT_ATTRIBUTES {
  /** Size: the structure's size, set by WDF_OBJECT_ATTRIBUTES_INIT. */
  Size = 56;
  /** EvtCleanupCallback: called when the object is deleted (explicitly or with its parent), before its children are gone — the place to release references the object holds. */
  EvtCleanupCallback: EVT_WDF_OBJECT_CONTEXT_CLEANUP | null = null;
  /** EvtDestroyCallback: called when the object's last reference goes, just before its memory and context are freed. */
  EvtDestroyCallback: EVT_WDF_OBJECT_CONTEXT_DESTROY | null = null;
  /** ExecutionLevel: the highest IRQL the framework calls the object's callbacks at (devices, queues, timers…). */
  ExecutionLevel: WDF_EXECUTION_LEVEL = WdfExecutionLevelInheritFromParent;
  /** SynchronizationScope: which callbacks the framework serialises (for a device or a queue). */
  SynchronizationScope: WDF_SYNCHRONIZATION_SCOPE = WdfSynchronizationScopeInheritFromParent;
  /** ParentObject: the object's parent, deleted with it; null gives the routine's default parent (the driver, or the device). */
  ParentObject: WDFOBJECT | null = null;
  /** ContextSizeOverride: in C, a context larger than its type (a variable-length tail); accepted and ignored here, where a context is an object its type's constructor makes. */
  ContextSizeOverride = 0;
  /** ContextTypeInfo: the type of context area the framework allocates with the object (WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE sets it), or null for none. */
  ContextTypeInfo: WDF_OBJECT_CONTEXT_TYPE_INFO | null = null;
}

/** WDF_OBJECT_ATTRIBUTES_INIT: no callbacks, no context, inherit scope and level from the parent. */
export function WDF_OBJECT_ATTRIBUTES_INIT(Attributes: WDF_OBJECT_ATTRIBUTES): void {
  Attributes.Size = 56;
  Attributes.EvtCleanupCallback = null;
  Attributes.EvtDestroyCallback = null;
  Attributes.ExecutionLevel = WdfExecutionLevelInheritFromParent;
  Attributes.SynchronizationScope = WdfSynchronizationScopeInheritFromParent;
  Attributes.ParentObject = null;
  Attributes.ContextSizeOverride = 0;
  Attributes.ContextTypeInfo = null;
}

/** WDF_OBJECT_ATTRIBUTES_SET_CONTEXT_TYPE: gives the attributes a context type. */
export function WDF_OBJECT_ATTRIBUTES_SET_CONTEXT_TYPE<T>(Attributes: WDF_OBJECT_ATTRIBUTES, Context: WdfContextAccessor<T> | WDF_OBJECT_CONTEXT_TYPE_INFO<T>): void {
  const info: WDF_OBJECT_CONTEXT_TYPE_INFO<T> = Context instanceof WDF_OBJECT_CONTEXT_TYPE_INFO ? Context : Context.TypeInfo;
  Attributes.ContextTypeInfo = info;
}

/** WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE: WDF_OBJECT_ATTRIBUTES_INIT, then the context type. */
export function WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE<T>(Attributes: WDF_OBJECT_ATTRIBUTES, Context: WdfContextAccessor<T> | WDF_OBJECT_CONTEXT_TYPE_INFO<T>): void {
  WDF_OBJECT_ATTRIBUTES_INIT(Attributes);
  WDF_OBJECT_ATTRIBUTES_SET_CONTEXT_TYPE(Attributes, Context);
}

/** WDF_NO_OBJECT_ATTRIBUTES. */
export const WDF_NO_OBJECT_ATTRIBUTES = null;
/** WDF_NO_HANDLE. */
export const WDF_NO_HANDLE = null;

// ---- Objects --------------------------------------------------------------------------------

/** Where an object is in its life. */
const enum Life {
  Created = 0,
  /** WdfObjectDelete (or the framework) started deleting it: cleanup has run or is running. */
  Deleting = 1,
  /** The last reference went: EvtDestroyCallback ran; the handle is stale. */
  Destroyed = 2,
}

/**
 * A framework object: the handle a driver holds. Subclasses are the object types (FxRequest,
 * FxIoQueue…); the handle is the object itself, so looking one up costs nothing.
 */
export abstract class FxObject implements WDFOBJECT {
  // The fields are declared, and set in the constructor in one order: every object type shares
  // this constructor, and class-field initializers there (define semantics, one site for a dozen
  // subclasses' shapes) cost more than the rest of a request's round trip.
  declare readonly [WdfHandleBrand]: WDF_HANDLE_TYPE;
  declare readonly globals: FxDriverGlobals;
  declare readonly typeName: WDF_HANDLE_TYPE;
  /** The handle value a C driver would see (for bug-check parameters and messages). */
  declare readonly handle: number;
  /** The object's number among its type's ("3" of "WDFREQUEST#3"), stable run to run. */
  declare private readonly serial: number;
  declare private labelText: string | null;
  declare parent: FxObject | null;
  declare private children: FxObject[] | null;
  /** References: the creation reference, one per child, and the driver's WdfObjectReference. */
  declare refs: number;
  declare private life: Life;
  declare private cleanup: EVT_WDF_OBJECT_CONTEXT_CLEANUP | null;
  declare private destroy: EVT_WDF_OBJECT_CONTEXT_DESTROY | null;
  declare private contextInfo: WDF_OBJECT_CONTEXT_TYPE_INFO | null;
  declare private context: unknown;
  declare private moreContexts: Map<WDF_OBJECT_CONTEXT_TYPE_INFO, unknown> | null;
  /** The scope and level the attributes asked for (resolved through parents when used). */
  declare scope: WDF_SYNCHRONIZATION_SCOPE;
  declare level: WDF_EXECUTION_LEVEL;
  /** The framework owns this object's deletion: WdfObjectDelete is refused (0x10D/0x7). */
  declare noDeleteDdi: boolean;

  constructor(globals: FxDriverGlobals, typeName: WDF_HANDLE_TYPE, parent: FxObject | null) {
    const m = globals.machine;
    const fx = fxMachine(m);
    (this as { globals: FxDriverGlobals }).globals = globals;
    (this as { typeName: WDF_HANDLE_TYPE }).typeName = typeName;
    (this as { handle: number }).handle = fx.nextHandle();
    (this as unknown as { serial: number }).serial = m.ids.next(typeName);
    this.labelText = null;
    this.parent = parent;
    this.children = null;
    this.refs = 1;
    this.life = Life.Created;
    this.cleanup = null;
    this.destroy = null;
    this.contextInfo = null;
    this.context = null;
    this.moreContexts = null;
    this.scope = WdfSynchronizationScopeInheritFromParent;
    this.level = WdfExecutionLevelInheritFromParent;
    this.noDeleteDdi = false;
    if (parent) parent.addChild(this);
    fx.live.live++;
  }

  get machine(): Machine {
    return this.globals.machine;
  }

  /** "WDFREQUEST#3", stable run to run (made when first asked for: most requests never are). */
  get label(): string {
    return (this.labelText ??= `${this.typeName}#${this.serial}`);
  }

  /** Applies WDF_OBJECT_ATTRIBUTES (callbacks, scope, level, context) given at creation. */
  applyAttributes(a: WDF_OBJECT_ATTRIBUTES | null): void {
    if (!a) return;
    this.cleanup = a.EvtCleanupCallback;
    this.destroy = a.EvtDestroyCallback;
    this.scope = a.SynchronizationScope;
    this.level = a.ExecutionLevel;
    if (a.ContextTypeInfo) this.allocateContext(a.ContextTypeInfo);
  }

  /** Emits WdfObjectCreated (after the subclass has set itself up). */
  traceCreated(): void {
    const m = this.machine;
    if (m.trace.on) m.trace.emit("WdfObjectCreated", { object: this.label, type: this.typeName, parent: this.parent?.label ?? null, driver: this.globals.name });
  }

  private addChild(c: FxObject): void {
    (this.children ??= []).push(c);
    this.refs++;
  }

  /** The object's context of a type, or null. */
  getContext<T>(info: WDF_OBJECT_CONTEXT_TYPE_INFO<T>): T | null {
    if (this.contextInfo === info) return this.context as T;
    const more = this.moreContexts;
    if (more !== null && more.has(info)) return more.get(info) as T;
    return null;
  }

  /** Adds a context area of `info`'s type; false when the object already has one of that type. */
  allocateContext(info: WDF_OBJECT_CONTEXT_TYPE_INFO): boolean {
    if (this.getContext(info) !== null) return false;
    const value = info.create();
    // The context's header names its object (WdfObjectContextGetObject).
    if ((typeof value === "object" && value !== null) || typeof value === "function") contextOwners.set(value, this);
    if (this.contextInfo === null) {
      this.contextInfo = info;
      this.context = value;
    } else {
      (this.moreContexts ??= new Map()).set(info, value);
    }
    return true;
  }

  /** True once WdfObjectDelete (or the framework) started deleting it. */
  get deleting(): boolean {
    return this.life !== Life.Created;
  }

  /** True once the last reference went: the handle is stale. */
  get destroyed(): boolean {
    return this.life === Life.Destroyed;
  }

  /** Drops one reference; the object is destroyed at zero. */
  release(): void {
    if (--this.refs === 0) this.destroyNow();
  }

  /**
   * Deletes the object and its subtree: marks each deleting, runs cleanup bottom-up (children
   * before parents), drops each creation reference (destroying what reaches zero). Returns false
   * when it was already being deleted.
   */
  deleteObject(): boolean {
    if (this.life !== Life.Created) return false;
    const kids = this.children;
    if (kids === null || kids.length === 0) {
      // No children (every request the framework completes without buffers retrieved).
      this.life = Life.Deleting;
      this.runCleanup();
      this.release();
      return true;
    }
    const order: FxObject[] = [];
    this.collectForDelete(order);
    for (const o of order) o.runCleanup();
    // Children first: each releases its reference on its parent when it is destroyed.
    for (const o of order) {
      if (o !== this && o.parent) o.parent.removeChild(o);
    }
    for (const o of order) o.release();
    return true;
  }

  /** Post-order: children (recursively) then this; each marked deleting. */
  private collectForDelete(order: FxObject[]): void {
    this.life = Life.Deleting;
    const kids = this.children;
    if (kids) for (const c of [...kids]) if (c.life === Life.Created) c.collectForDelete(order);
    order.push(this);
  }

  private removeChild(c: FxObject): void {
    const kids = this.children;
    if (!kids) return;
    const i = kids.indexOf(c);
    if (i >= 0) kids.splice(i, 1);
  }

  /** What the type does when deleted, before the driver's EvtCleanupCallback (queues purge, timers stop…). */
  protected onDispose(): void {
    // Plain objects have nothing to do.
  }

  /** Runs the type's dispose and then the driver's EvtCleanupCallback. */
  private runCleanup(): void {
    this.onDispose();
    const cb = this.cleanup;
    this.cleanup = null;
    if (cb) invokeObjectCallback(this, "EvtCleanupCallback", cb);
    const m = this.machine;
    if (m.trace.on) m.trace.emit("WdfObjectDeleted", { object: this.label, driver: this.globals.name, destroyed: false });
  }

  private destroyNow(): void {
    if (this.life === Life.Destroyed) return;
    this.life = Life.Destroyed;
    const cb = this.destroy;
    this.destroy = null;
    if (cb) invokeObjectCallback(this, "EvtDestroyCallback", cb);
    fxMachine(this.machine).live.live--;
    const m = this.machine;
    if (m.trace.on) m.trace.emit("WdfObjectDeleted", { object: this.label, driver: this.globals.name, destroyed: true });
    this.onDestroyed();
    const p = this.parent;
    if (p) {
      p.removeChild(this);
      p.release();
    }
  }

  /** After destruction (a request frees its buffers' WDFMEMORY objects…). */
  protected onDestroyed(): void {
    // Plain objects have nothing to do.
  }

  /** The children, for enumerations (a copy). */
  childList(): FxObject[] {
    return this.children ? [...this.children] : [];
  }
}

/** Runs an object callback (cleanup or destroy) with its name on the thread, for traces and reports. */
function invokeObjectCallback(o: FxObject, role: string, cb: (Object: WDFOBJECT) => void): void {
  const m = o.machine;
  const name = cb.name || "(anonymous)";
  if (m.trace.on) m.trace.emit("WdfCallback", { driver: o.globals.name, callback: role, routine: name, object: o.label, request: null, irp: null });
  const token = m.enterActivity("event callback", name, o.globals.name);
  try {
    cb(o);
  } catch (e) {
    m.leaveActivity(token);
    m.unhandledKernelException(e, `${role} ${o.globals.name}!${name}`);
  }
  m.leaveActivity(token);
  if (m.trace.on) m.trace.emit("WdfCallbackReturned", { driver: o.globals.name, callback: role, routine: name });
}

/** Each context area's object: what the context header in front of it records in KMDF. */
const contextOwners = new WeakMap<object, FxObject>();

/** The object a context area belongs to (null for a value that is no framework context). */
export function contextOwner(context: unknown): FxObject | null {
  if ((typeof context !== "object" || context === null) && typeof context !== "function") return null;
  return contextOwners.get(context) ?? null;
}

/** A plain WDFOBJECT (WdfObjectCreate). */
export class FxGenericObject extends FxObject {}

/** The constructor of an object type, for handle checks. */
export type FxClass<T extends FxObject> = abstract new (...args: never[]) => T;

/**
 * The framework's handle check (FxObjectHandleGetPtr): `h` must be a live object of `cls`. A NULL
 * handle, one of another type, or one whose object was destroyed is WDF_VIOLATION 0x5 under the
 * verifier (p2 the handle value); without it the routine fails (null is returned, and the caller
 * returns STATUS_INVALID_HANDLE or does nothing).
 */
export function fxObject<T extends FxObject>(t: KThread, h: unknown, cls: FxClass<T>, type: WDF_HANDLE_TYPE, api: string): T | null {
  if (h instanceof cls && !h.destroyed) return h;
  const m = t.machine;
  const g = h instanceof FxObject ? h.globals : null;
  if (verifierOn(m, g)) {
    const what =
      h === null || h === undefined
        ? "a NULL handle"
        : h instanceof FxObject
          ? h.destroyed
            ? `${h.label} (${handleText(h.handle)}), whose object was already deleted`
            : `${h.label} (${handleText(h.handle)}), a ${h.typeName}`
          : typeof h === "number" || typeof h === "string" || typeof h === "boolean"
            ? `the value ${String(h)}`
            : "a value that is not a framework handle";
    fxViolation(m, g, "InvalidHandle", `${api} expects a ${type} but was given ${what}.`, { p2: h instanceof FxObject ? h.handle : 0 });
  }
  return null;
}

/**
 * The framework's check of a pointer parameter it requires (FxPointerNotNull): WDF_VIOLATION 0x4
 * under the verifier; false (the caller returns STATUS_INVALID_PARAMETER) otherwise.
 */
export function fxRequired(t: KThread, g: FxDriverGlobals | null, value: unknown, api: string, parameter: string): boolean {
  if (value !== null && value !== undefined) return true;
  if (verifierOn(t.machine, g)) fxViolation(t.machine, g, "RequiredParameterIsNull", `${api} was called with ${parameter} NULL; the routine requires it.`);
  return false;
}

/** The object a parent handle names, for creation routines (null and a status when it is bad). */
export function fxParent(t: KThread, h: WDFOBJECT | null, api: string): FxObject | null {
  if (h === null) return null;
  return fxObject(t, h, FxObject, "WDFOBJECT", api);
}

// ---- The routines ---------------------------------------------------------------------------

/**
 * WdfObjectDelete: deletes an object the driver created, and its children, calling their
 * EvtCleanupCallbacks (children first) and, as each last reference goes, EvtDestroyCallback.
 * Objects the framework owns (a request it delivered, a PnP device, the driver) refuse it; under
 * the verifier that, and deleting an object twice, is WDF_VIOLATION 0x7.
 */
export function WdfObjectDelete(Object: WDFOBJECT): void {
  const t = fxEnter("WdfObjectDelete");
  const o = fxObject(t, Object, FxObject, "WDFOBJECT", "WdfObjectDelete");
  if (!o) return;
  if (!fxIrqlOk(t, o.globals, "WdfObjectDelete", DISPATCH_LEVEL)) return;
  const m = t.machine;
  if (o.noDeleteDdi) {
    if (verifierOn(m, o.globals)) fxViolation(m, o.globals, "DeleteNotAllowed", `WdfObjectDelete(${o.label}): the framework owns this ${o.typeName} and deletes it itself.`, { p2: o.handle, p3: 0 });
    return;
  }
  if (o.deleting) {
    if (verifierOn(m, o.globals)) fxViolation(m, o.globals, "DeletedTwice", `WdfObjectDelete(${o.label}) was called for an object already deleted (a reference the driver took keeps its handle alive).`, { p2: o.handle });
    return;
  }
  o.deleteObject();
}

/** WdfObjectReference: takes a reference (the object is not destroyed until it is dropped). */
export function WdfObjectReference(Handle: WDFOBJECT): void {
  const t = fxEnter("WdfObjectReference");
  const o = fxObject(t, Handle, FxObject, "WDFOBJECT", "WdfObjectReference");
  if (!o) return;
  o.refs++;
}

/**
 * WdfObjectDereference: drops a reference the driver took. Dropping the framework's own creation
 * reference (deleting the object by dereference) is WDF_VIOLATION 0x7 under the verifier.
 */
export function WdfObjectDereference(Handle: WDFOBJECT): void {
  const t = fxEnter("WdfObjectDereference");
  const o = fxObject(t, Handle, FxObject, "WDFOBJECT", "WdfObjectDereference");
  if (!o) return;
  const m = t.machine;
  if (o.refs <= 1 && !o.deleting) {
    if (verifierOn(m, o.globals)) fxViolation(m, o.globals, "DereferenceDeletes", `WdfObjectDereference(${o.label}) drops its last reference, which belongs to the framework: the object would be deleted without WdfObjectDelete.`, { p2: o.handle });
    // Unverified, as the free build does: the object goes.
    o.deleteObject();
    return;
  }
  o.release();
}

/**
 * WdfObjectCreate: a plain framework object (a parent for others, a holder of a context).
 *
 * @returns STATUS_SUCCESS and the object; STATUS_INVALID_HANDLE for a parent that is no framework
 * object.
 */
export function WdfObjectCreate(Attributes: WDF_OBJECT_ATTRIBUTES | null): { /** STATUS_SUCCESS, or why not (see above). */ status: NTSTATUS; /** The new object, a child of the given parent or else of the driver (null on failure). */ Object: WDFOBJECT | null } {
  const t = fxEnter("WdfObjectCreate");
  const m = t.machine;
  const g = fxMachine(m).currentGlobals();
  if (!g) return { status: STATUS_INVALID_PARAMETER, Object: null };
  if (!fxIrqlOk(t, g, "WdfObjectCreate", DISPATCH_LEVEL)) return { status: STATUS_INVALID_PARAMETER, Object: null };
  const parent = Attributes?.ParentObject ? fxParent(t, Attributes.ParentObject, "WdfObjectCreate") : null;
  if (Attributes?.ParentObject && !parent) return { status: STATUS_INVALID_HANDLE, Object: null };
  const o = new FxGenericObject(g, "WDFOBJECT", parent ?? defaultParent(g));
  o.applyAttributes(Attributes);
  o.traceCreated();
  return { status: STATUS_SUCCESS, Object: o };
}

/** The default parent of an object created without one: the driver object. */
export function defaultParent(g: FxDriverGlobals): FxObject | null {
  const d = g.driverObject;
  return d instanceof FxObject ? d : null;
}

/**
 * WdfObjectAllocateContext: adds a context area of another type to an existing object.
 *
 * @returns STATUS_SUCCESS and the context, STATUS_OBJECT_NAME_EXISTS (with the existing context)
 * when the object already has one of that type, STATUS_INVALID_PARAMETER without a type.
 */
export function WdfObjectAllocateContext(Handle: WDFOBJECT, ContextAttributes: WDF_OBJECT_ATTRIBUTES): { /** STATUS_SUCCESS, or why not (see above). */ status: NTSTATUS; /** The context (the existing one for STATUS_OBJECT_NAME_EXISTS; null on failure). */ Context: unknown } {
  const t = fxEnter("WdfObjectAllocateContext");
  const o = fxObject(t, Handle, FxObject, "WDFOBJECT", "WdfObjectAllocateContext");
  if (!o) return { status: STATUS_INVALID_HANDLE, Context: null };
  if (!fxRequired(t, o.globals, ContextAttributes, "WdfObjectAllocateContext", "ContextAttributes")) return { status: STATUS_INVALID_PARAMETER, Context: null };
  const info = ContextAttributes.ContextTypeInfo;
  if (!info) return { status: STATUS_INVALID_PARAMETER, Context: null };
  if (o.deleting) return { status: STATUS_INSUFFICIENT_RESOURCES, Context: null };
  const existing = o.getContext(info);
  if (existing !== null) return { status: STATUS_OBJECT_NAME_EXISTS, Context: existing };
  o.allocateContext(info);
  return { status: STATUS_SUCCESS, Context: o.getContext(info) };
}

/**
 * WdfObjectGetTypedContextWorker (what the accessors call): the object's context of a type, or
 * null when it has none.
 */
export function WdfObjectGetTypedContext<T>(Handle: WDFOBJECT, TypeInfo: WDF_OBJECT_CONTEXT_TYPE_INFO<T> | WdfContextAccessor<T>): T | null {
  const o = Handle as unknown as FxObject;
  if (!(o instanceof FxObject) || o.destroyed) {
    // A look-up callable between runs too; inside one, the verifier checks the handle (0x5).
    const m = activeMachine();
    if (m !== null) fxObject(m.currentThread(), Handle, FxObject, "WDFOBJECT", "WdfObjectGetTypedContext");
    return null;
  }
  // The type information is read through its pointer: what is none faults.
  const given: unknown = TypeInfo;
  const info: unknown = given instanceof WDF_OBJECT_CONTEXT_TYPE_INFO ? given : (typeof given === "object" && given !== null) || typeof given === "function" ? (given as { TypeInfo?: unknown }).TypeInfo : undefined;
  if (!(info instanceof WDF_OBJECT_CONTEXT_TYPE_INFO)) return badPointer("WdfObjectGetTypedContext", "TypeInfo", given, "a WDF_OBJECT_CONTEXT_TYPE_INFO (or a context accessor)");
  return o.getContext(info as WDF_OBJECT_CONTEXT_TYPE_INFO<T>);
}

/**
 * WdfObjectGetTypedContextWorker: the routine WDF_DECLARE_CONTEXT_TYPE's accessors call (a driver
 * may call it directly, as some do): the same as {@link WdfObjectGetTypedContext}.
 */
export function WdfObjectGetTypedContextWorker<T>(Handle: WDFOBJECT, TypeInfo: WDF_OBJECT_CONTEXT_TYPE_INFO<T> | WdfContextAccessor<T>): T | null {
  return WdfObjectGetTypedContext(Handle, TypeInfo);
}

/**
 * WdfObjectContextGetObject: the object a context area belongs to (the context's header names
 * it), from a context a driver got through an accessor — a request's context in a completion
 * routine, a device's context in a DPC. KMDF reads the header in front of the pointer without a
 * check; irpsim looks the context up, and a value that is no framework context (NULL, a handle, a
 * copy of a context) is WDF_VIOLATION under the verifier (0x4 for NULL, 0x3 otherwise) and NULL
 * without it, where Windows would read whatever lies before the pointer.
 */
export function WdfObjectContextGetObject(ContextPointer: unknown): WDFOBJECT | null {
  const t = fxEnter("WdfObjectContextGetObject");
  const o = contextOwner(ContextPointer);
  if (o !== null && !o.destroyed) return o;
  const m = t.machine;
  const g = fxMachine(m).currentGlobals();
  if (ContextPointer === null || ContextPointer === undefined) {
    fxRequired(t, g, ContextPointer, "WdfObjectContextGetObject", "ContextPointer");
    return null;
  }
  if (verifierOn(m, g)) {
    fxViolation(m, g, "NotAContext", `WdfObjectContextGetObject was given ${o !== null ? `the context of ${o.label}, whose object was already deleted` : ContextPointer instanceof FxObject ? `${ContextPointer.label}, a handle, not a context` : "a value that is no framework object's context"}.`, { p2: o?.handle ?? 0 });
  }
  return null;
}
