/**
 * WDFCOLLECTION (wdfcollection.h): an ordered list of framework objects. Adding an object takes a
 * reference on it (it stays valid while in the collection); removing it, or deleting the
 * collection, drops that reference.
 */
import { WdfHandleBrand } from "./handles.js";
import { DISPATCH_LEVEL } from "../kernel/irql.js";
import { STATUS_INSUFFICIENT_RESOURCES, STATUS_INVALID_DEVICE_REQUEST, STATUS_INVALID_HANDLE, STATUS_INVALID_PARAMETER, STATUS_SUCCESS, type NTSTATUS } from "../kernel/status.js";
import { fxEnter, fxIrqlOk, fxMachine } from "./globals.js";
import type { WDFCOLLECTION, WDFOBJECT } from "./handles.js";
import { FxObject, defaultParent, fxObject, fxParent, type WDF_OBJECT_ATTRIBUTES } from "./object.js";
import type { FxDriverGlobals } from "./globals.js";

/** A framework collection. */
export class FxCollection extends FxObject {
  declare readonly [WdfHandleBrand]: "WDFCOLLECTION";
  readonly items: FxObject[] = [];
  constructor(g: FxDriverGlobals, parent: FxObject | null) {
    super(g, "WDFCOLLECTION", parent);
  }
  protected override onDispose(): void {
    for (const o of this.items.splice(0)) o.release();
  }
}

function fxCollection(h: unknown, api: string): FxCollection | null {
  return fxObject(fxEnter(api), h, FxCollection, "WDFCOLLECTION", api);
}

/** WdfCollectionCreate: an empty collection (its parent the driver unless the attributes say). */
export function WdfCollectionCreate(CollectionAttributes: WDF_OBJECT_ATTRIBUTES | null): { /** STATUS_SUCCESS; STATUS_INVALID_HANDLE for a parent that is no framework object. */ status: NTSTATUS; /** The new, empty collection (null on failure). */ Collection: WDFCOLLECTION | null } {
  const t = fxEnter("WdfCollectionCreate");
  const g = fxMachine(t.machine).currentGlobals();
  if (!g) return { status: STATUS_INVALID_PARAMETER, Collection: null };
  if (!fxIrqlOk(t, g, "WdfCollectionCreate", DISPATCH_LEVEL)) return { status: STATUS_INVALID_DEVICE_REQUEST, Collection: null };
  const parent = CollectionAttributes?.ParentObject ? fxParent(t, CollectionAttributes.ParentObject, "WdfCollectionCreate") : defaultParent(g);
  if (CollectionAttributes?.ParentObject && !parent) return { status: STATUS_INVALID_HANDLE, Collection: null };
  const c = new FxCollection(g, parent);
  c.applyAttributes(CollectionAttributes);
  c.traceCreated();
  return { status: STATUS_SUCCESS, Collection: c };
}

/** WdfCollectionAdd: appends an object (taking a reference on it). */
export function WdfCollectionAdd(Collection: WDFCOLLECTION, Object: WDFOBJECT): NTSTATUS {
  const t = fxEnter("WdfCollectionAdd");
  const c = fxObject(t, Collection, FxCollection, "WDFCOLLECTION", "WdfCollectionAdd");
  if (!c) return STATUS_INVALID_HANDLE;
  const o = fxObject(t, Object, FxObject, "WDFOBJECT", "WdfCollectionAdd");
  if (!o) return STATUS_INVALID_HANDLE;
  if (c.deleting) return STATUS_INSUFFICIENT_RESOURCES;
  o.refs++;
  c.items.push(o);
  return STATUS_SUCCESS;
}

/** WdfCollectionRemove: removes an object (dropping the collection's reference). */
export function WdfCollectionRemove(Collection: WDFCOLLECTION, Item: WDFOBJECT): void {
  const c = fxCollection(Collection, "WdfCollectionRemove");
  if (!c) return;
  const i = c.items.indexOf(Item as unknown as FxObject);
  if (i < 0) return;
  const [o] = c.items.splice(i, 1);
  o?.release();
}

/** WdfCollectionRemoveItem: removes the object at `Index`. */
export function WdfCollectionRemoveItem(Collection: WDFCOLLECTION, Index: number): void {
  const c = fxCollection(Collection, "WdfCollectionRemoveItem");
  if (!c || !Number.isInteger(Index) || Index < 0 || Index >= c.items.length) return;
  const [o] = c.items.splice(Index, 1);
  o?.release();
}

/** WdfCollectionGetCount. */
export function WdfCollectionGetCount(Collection: WDFCOLLECTION): number {
  const c = fxCollection(Collection, "WdfCollectionGetCount");
  return c ? c.items.length : 0;
}

/** WdfCollectionGetItem: the object at `Index`, or NULL past the end. */
export function WdfCollectionGetItem(Collection: WDFCOLLECTION, Index: number): WDFOBJECT | null {
  const c = fxCollection(Collection, "WdfCollectionGetItem");
  if (!c || !Number.isInteger(Index)) return null;
  return c.items[Index] ?? null;
}

/** WdfCollectionGetFirstItem. */
export function WdfCollectionGetFirstItem(Collection: WDFCOLLECTION): WDFOBJECT | null {
  const c = fxCollection(Collection, "WdfCollectionGetFirstItem");
  return c ? (c.items[0] ?? null) : null;
}

/** WdfCollectionGetLastItem. */
export function WdfCollectionGetLastItem(Collection: WDFCOLLECTION): WDFOBJECT | null {
  const c = fxCollection(Collection, "WdfCollectionGetLastItem");
  return c ? (c.items[c.items.length - 1] ?? null) : null;
}

