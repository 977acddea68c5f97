/**
 * WDFKEY (wdfregistry.h): the framework's registry key objects and the WdfRegistry* routines over
 * the kernel's registry services. A WDFKEY owns a kernel handle, closed when the object is deleted
 * (WdfRegistryClose, WdfObjectDelete, or its parent's deletion — the driver by default). All the
 * routines are PASSIVE_LEVEL; above it they fail (the verifier stops the machine with
 * WDF_VIOLATION). A wrong handle type is the framework's handle check (WDF_VIOLATION 0x5 under the
 * verifier, STATUS_INVALID_HANDLE otherwise).
 */
import type { InOut } from "../kernel/apc.js";
import { KERNEL_HANDLE_BIT } from "../kernel/api-ps-ob.js";
import { KernelMode, PASSIVE_LEVEL } from "../kernel/irql.js";
import type { NameArgument } from "../kernel/name-argument.js";
import { InitializeObjectAttributes, OBJ_CASE_INSENSITIVE, OBJ_KERNEL_HANDLE, OBJECT_ATTRIBUTES } from "../kernel/object-attributes.js";
import { REG_DWORD, REG_EXPAND_SZ, REG_MULTI_SZ, REG_SZ, multiSzList, regDwordBytes, regMultiSzBytes, regSzBytes, utf16Text } from "../kernel/registry.js";
import { deleteKey, deleteValueKey, openKey, queryValueKey, setValueKey, type RegBuffer } from "../kernel/reg-services.js";
import { UNICODE_STRING } from "../kernel/rtl-string.js";
import { NT_SUCCESS, STATUS_BUFFER_OVERFLOW, STATUS_INSUFFICIENT_RESOURCES, STATUS_INVALID_DEVICE_REQUEST, STATUS_INVALID_HANDLE, STATUS_INVALID_PARAMETER, STATUS_OBJECT_TYPE_MISMATCH, STATUS_SUCCESS, type NTSTATUS } from "../kernel/status.js";
import type { KThread } from "../kernel/thread.js";
import { KeyValuePartialInformation } from "../kernel/reg-services.js";
import { IoOpenDeviceRegistryKey } from "../io-manager/device-registry.js";
import { FxCollection } from "./collection.js";
import { fxDevice } from "./device.js";
import { FxDriver } from "./driver.js";
import { fxEnter, fxIrqlOk, fxMachine, type FxDriverGlobals } from "./globals.js";
import { WdfHandleBrand, type WDFCOLLECTION, type WDFDEVICE, type WDFDRIVER, type WDFKEY, type WDFMEMORY, type WDFSTRING } from "./handles.js";
import { FxMemory } from "./memory.js";
import { FxObject, defaultParent, fxObject, fxParent, type WDF_OBJECT_ATTRIBUTES } from "./object.js";
import { FxString, createFxString, fxName, fxString } from "./string.js";

/** A framework registry key. */
export class FxKey extends FxObject {
  declare readonly [WdfHandleBrand]: "WDFKEY";
  constructor(
    g: FxDriverGlobals,
    parent: FxObject | null,
    /** The kernel handle the key object owns (0 once closed). */
    public keyHandle: number,
  ) {
    super(g, "WDFKEY", parent);
  }

  protected override onDestroyed(): void {
    if (this.keyHandle === 0) return;
    const m = this.machine;
    // A key's close never waits (no close or delete procedure): the handle is gone at once.
    void m.ob.closeHandle(m.systemProcess, (this.keyHandle & ~KERNEL_HANDLE_BIT) >>> 0);
    this.keyHandle = 0;
  }
}

/** Entry to a registry routine: the thread, the driver's globals, and whether the IRQL is right. */
function enter(api: string): { t: KThread; g: FxDriverGlobals | null; ok: boolean } {
  const t = fxEnter(api);
  const g = fxMachine(t.machine).currentGlobals();
  return { t, g, ok: fxIrqlOk(t, g, api, PASSIVE_LEVEL) };
}

function fxKey(t: KThread, h: unknown, api: string): FxKey | null {
  return fxObject(t, h, FxKey, "WDFKEY", api);
}

/** Runs `fn` as a kernel-mode caller of the registry services. */
function asKernel<T>(t: KThread, fn: () => T): T {
  const previous = t.previousMode;
  t.previousMode = KernelMode;
  try {
    return fn();
  } finally {
    t.previousMode = previous;
  }
}

/** Makes the key object for a handle just opened (closing the handle if the object cannot be had). */
function keyObject(t: KThread, g: FxDriverGlobals, handle: number, attributes: WDF_OBJECT_ATTRIBUTES | null, api: string): { status: NTSTATUS; Key: WDFKEY | null } {
  const parent = attributes?.ParentObject ? fxParent(t, attributes.ParentObject, api) : defaultParent(g);
  const k = new FxKey(g, parent, handle);
  if (attributes?.ParentObject && !parent) {
    k.deleteObject();
    return { status: STATUS_INVALID_HANDLE, Key: null };
  }
  k.applyAttributes(attributes);
  k.traceCreated();
  return { status: STATUS_SUCCESS, Key: k };
}

function open(t: KThread, g: FxDriverGlobals, root: number, name: string, DesiredAccess: number, create: number | null, attributes: WDF_OBJECT_ATTRIBUTES | null, api: string): { status: NTSTATUS; Key: WDFKEY | null; disposition: number } {
  const oa = new OBJECT_ATTRIBUTES();
  InitializeObjectAttributes(oa, name === "" ? null : name, OBJ_KERNEL_HANDLE | OBJ_CASE_INSENSITIVE, root, null);
  const r = asKernel(t, () => openKey(t, KernelMode, DesiredAccess, oa, create === null ? null : { TitleIndex: 0, Class: null, CreateOptions: create }));
  if (!NT_SUCCESS(r.status)) return { status: r.status, Key: null, disposition: 0 };
  return { ...keyObject(t, g, r.handle, attributes, api), disposition: r.disposition };
}

// ---- Opening keys -----------------------------------------------------------------------------

/**
 * WdfDriverOpenParametersRegistryKey: opens (creating it if needed) the driver's Parameters key,
 * `<RegistryPath>\Parameters`, as a WDFKEY with DesiredAccess.
 */
export function WdfDriverOpenParametersRegistryKey(Driver: WDFDRIVER, DesiredAccess: number, KeyAttributes: WDF_OBJECT_ATTRIBUTES | null): { /** STATUS_SUCCESS or why not. */ status: NTSTATUS; /** The key object (null on failure). */ Key: WDFKEY | null } {
  const api = "WdfDriverOpenParametersRegistryKey";
  const { t, ok } = enter(api);
  const d = fxObject(t, Driver, FxDriver, "WDFDRIVER", api);
  if (!d) return { status: STATUS_INVALID_HANDLE, Key: null };
  if (!ok) return { status: STATUS_INVALID_DEVICE_REQUEST, Key: null };
  const r = open(t, d.globals, 0, `${d.registryPath}\\Parameters`, DesiredAccess, 0, KeyAttributes, api);
  return { status: r.status, Key: r.Key };
}

/**
 * WdfDeviceOpenRegistryKey: a PnP device's hardware key (PLUGPLAY_REGKEY_DEVICE) or software key
 * (PLUGPLAY_REGKEY_DRIVER), as IoOpenDeviceRegistryKey opens them on its PDO. A control device
 * (no PDO) is STATUS_INVALID_DEVICE_REQUEST.
 */
export function WdfDeviceOpenRegistryKey(Device: WDFDEVICE, DeviceInstanceKeyType: number, DesiredAccess: number, KeyAttributes: WDF_OBJECT_ATTRIBUTES | null): { /** STATUS_SUCCESS or why not. */ status: NTSTATUS; /** The key object (null on failure). */ Key: WDFKEY | null } {
  const api = "WdfDeviceOpenRegistryKey";
  const { t, ok } = enter(api);
  const dev = fxDevice(t, Device, api);
  if (!dev) return { status: STATUS_INVALID_HANDLE, Key: null };
  if (!ok) return { status: STATUS_INVALID_DEVICE_REQUEST, Key: null };
  const pdo = dev.pnp?.pdo;
  if (!pdo) return { status: STATUS_INVALID_DEVICE_REQUEST, Key: null };
  const r = IoOpenDeviceRegistryKey(pdo, DeviceInstanceKeyType, DesiredAccess);
  if (!NT_SUCCESS(r.status)) return { status: r.status, Key: null };
  return keyObject(t, dev.globals, r.DeviceRegKey, KeyAttributes, api);
}

/** The parent key's handle and the name, for the open and create routines. */
function parentAndName(t: KThread, ParentKey: WDFKEY | null, KeyName: NameArgument, api: string): { root: number; name: string } | NTSTATUS {
  let root = 0;
  if (ParentKey !== null) {
    const p = fxKey(t, ParentKey, api);
    if (!p) return STATUS_INVALID_HANDLE;
    root = p.keyHandle;
  }
  const name = fxName(t, fxMachine(t.machine).currentGlobals(), KeyName, api, "KeyName");
  return typeof name === "number" ? name : { root, name };
}

/** WdfRegistryOpenKey: opens KeyName (relative to ParentKey, or a full path with ParentKey NULL); STATUS_OBJECT_NAME_NOT_FOUND when it does not exist. */
export function WdfRegistryOpenKey(ParentKey: WDFKEY | null, KeyName: NameArgument, DesiredAccess: number, KeyAttributes: WDF_OBJECT_ATTRIBUTES | null): { /** STATUS_SUCCESS or why not. */ status: NTSTATUS; /** The key object (null on failure). */ Key: WDFKEY | null } {
  const api = "WdfRegistryOpenKey";
  const { t, g, ok } = enter(api);
  const p = parentAndName(t, ParentKey, KeyName, api);
  if (typeof p === "number") return { status: p, Key: null };
  if (!ok || !g) return { status: STATUS_INVALID_DEVICE_REQUEST, Key: null };
  const r = open(t, g, p.root, p.name, DesiredAccess, null, KeyAttributes, api);
  return { status: r.status, Key: r.Key };
}

/**
 * WdfRegistryCreateKey: opens KeyName, creating it (its last component only) when missing;
 * CreateDisposition receives REG_CREATED_NEW_KEY or REG_OPENED_EXISTING_KEY. CreateOptions as
 * ZwCreateKey takes them (REG_OPTION_VOLATILE…).
 */
export function WdfRegistryCreateKey(
  ParentKey: WDFKEY | null,
  KeyName: NameArgument,
  DesiredAccess: number,
  CreateOptions: number,
  CreateDisposition: InOut<number> | null,
  KeyAttributes: WDF_OBJECT_ATTRIBUTES | null,
): { /** STATUS_SUCCESS or why not. */ status: NTSTATUS; /** The key object (null on failure). */ Key: WDFKEY | null } {
  const api = "WdfRegistryCreateKey";
  const { t, g, ok } = enter(api);
  const p = parentAndName(t, ParentKey, KeyName, api);
  if (typeof p === "number") return { status: p, Key: null };
  if (!ok || !g) return { status: STATUS_INVALID_DEVICE_REQUEST, Key: null };
  const r = open(t, g, p.root, p.name, DesiredAccess, CreateOptions, KeyAttributes, api);
  if (CreateDisposition && r.Key) CreateDisposition.value = r.disposition;
  return { status: r.status, Key: r.Key };
}

/** WdfRegistryClose: closes the key (deletes the key object and its handle). */
export function WdfRegistryClose(Key: WDFKEY): void {
  const t = fxEnter("WdfRegistryClose");
  const k = fxKey(t, Key, "WdfRegistryClose");
  if (k) k.deleteObject();
}

/** WdfRegistryWdmGetHandle: the kernel handle behind a WDFKEY, for the Zw routines. */
export function WdfRegistryWdmGetHandle(Key: WDFKEY): number {
  const t = fxEnter("WdfRegistryWdmGetHandle");
  return fxKey(t, Key, "WdfRegistryWdmGetHandle")?.keyHandle ?? 0;
}

/** WdfRegistryRemoveKey: deletes the key from the registry (it must have no subkeys: STATUS_CANNOT_DELETE) and, when that succeeds, the key object too. */
export function WdfRegistryRemoveKey(Key: WDFKEY): NTSTATUS {
  const api = "WdfRegistryRemoveKey";
  const { t, ok } = enter(api);
  const k = fxKey(t, Key, api);
  if (!k) return STATUS_INVALID_HANDLE;
  if (!ok) return STATUS_INVALID_DEVICE_REQUEST;
  const s = asKernel(t, () => deleteKey(t, KernelMode, k.keyHandle));
  if (NT_SUCCESS(s)) k.deleteObject();
  return s;
}

// ---- Values -----------------------------------------------------------------------------------

/** Reads a value of the key: its type and bytes, or the failing status. */
function read(t: KThread, k: FxKey, name: string): { status: NTSTATUS; type: number; data: Uint8Array } {
  return asKernel(t, () => {
    const len = { value: 0 };
    let buf = new Uint8Array(64);
    let s = queryValueKey(t, KernelMode, k.keyHandle, name, KeyValuePartialInformation, buf, buf.length, len);
    if (s === STATUS_BUFFER_OVERFLOW) {
      buf = new Uint8Array(len.value);
      s = queryValueKey(t, KernelMode, k.keyHandle, name, KeyValuePartialInformation, buf, buf.length, len);
    }
    if (!NT_SUCCESS(s)) return { status: s, type: 0, data: new Uint8Array(0) };
    const v = new DataView(buf.buffer);
    return { status: s, type: v.getUint32(4, true), data: buf.slice(12, 12 + v.getUint32(8, true)) };
  });
}

/** The routine's key and value name, or the status to return. */
function keyAndValue(api: string, Key: WDFKEY, ValueName: NameArgument): { t: KThread; k: FxKey; name: string } | NTSTATUS {
  const { t, ok } = enter(api);
  const k = fxKey(t, Key, api);
  if (!k) return STATUS_INVALID_HANDLE;
  if (!ok) return STATUS_INVALID_DEVICE_REQUEST;
  const name = fxName(t, k.globals, ValueName, api, "ValueName");
  if (typeof name === "number") return name;
  return { t, k, name };
}

/**
 * WdfRegistryQueryValue: the value's data into Value (ValueLength bytes of room; an address or a
 * local buffer), its size at ValueLengthQueried and type at ValueType. A buffer too small (or NULL)
 * is STATUS_BUFFER_OVERFLOW with the size needed at ValueLengthQueried; no such value
 * STATUS_OBJECT_NAME_NOT_FOUND.
 */
export function WdfRegistryQueryValue(Key: WDFKEY, ValueName: NameArgument, ValueLength: number, Value: RegBuffer | null, ValueLengthQueried: InOut<number> | null, ValueType: InOut<number> | null): NTSTATUS {
  const c = keyAndValue("WdfRegistryQueryValue", Key, ValueName);
  if (typeof c === "number") return c;
  const r = read(c.t, c.k, c.name);
  if (!NT_SUCCESS(r.status)) return r.status;
  if (ValueLengthQueried) ValueLengthQueried.value = r.data.length;
  if (ValueType) ValueType.value = r.type;
  const given: unknown = Value;
  if (given !== null && typeof given !== "number" && !(given instanceof Uint8Array)) return STATUS_INVALID_PARAMETER;
  if (Value === null || Value === 0 || typeof ValueLength !== "number" || ValueLength < r.data.length) return STATUS_BUFFER_OVERFLOW;
  if (typeof Value === "number") c.t.machine.mmu.writeBytes(Value, r.data);
  else Value.set(r.data.subarray(0, Math.min(r.data.length, Value.length)));
  return STATUS_SUCCESS;
}

/** WdfRegistryQueryULong: a REG_DWORD value into Value; a value of another type is STATUS_OBJECT_TYPE_MISMATCH, none STATUS_OBJECT_NAME_NOT_FOUND. */
export function WdfRegistryQueryULong(Key: WDFKEY, ValueName: NameArgument, Value: InOut<number>): NTSTATUS {
  const c = keyAndValue("WdfRegistryQueryULong", Key, ValueName);
  if (typeof c === "number") return c;
  if (typeof Value !== "object" || (Value as unknown) === null) return STATUS_INVALID_PARAMETER;
  const r = read(c.t, c.k, c.name);
  if (!NT_SUCCESS(r.status)) return r.status;
  if (r.type !== REG_DWORD || r.data.length !== 4) return STATUS_OBJECT_TYPE_MISMATCH;
  Value.value = new DataView(r.data.buffer).getUint32(0, true);
  return STATUS_SUCCESS;
}

/** A REG_SZ or REG_EXPAND_SZ value's text, or the status (another type is STATUS_OBJECT_TYPE_MISMATCH). */
function readString(c: { t: KThread; k: FxKey; name: string }): string | NTSTATUS {
  const r = read(c.t, c.k, c.name);
  if (!NT_SUCCESS(r.status)) return r.status;
  if (r.type !== REG_SZ && r.type !== REG_EXPAND_SZ) return STATUS_OBJECT_TYPE_MISMATCH;
  return utf16Text(r.data);
}

/**
 * WdfRegistryQueryUnicodeString: a string value into the caller's UNICODE_STRING (its Buffer and
 * MaximumLength), ValueByteLength the bytes the string needs. With Value NULL, or too little
 * room, STATUS_BUFFER_OVERFLOW with the size in ValueByteLength.
 */
export function WdfRegistryQueryUnicodeString(Key: WDFKEY, ValueName: NameArgument, ValueByteLength: InOut<number> | null, Value: UNICODE_STRING | null): NTSTATUS {
  const c = keyAndValue("WdfRegistryQueryUnicodeString", Key, ValueName);
  if (typeof c === "number") return c;
  const text = readString(c);
  if (typeof text === "number") return text;
  const bytes = text.length * 2;
  if (ValueByteLength) ValueByteLength.value = bytes;
  if (Value === null) return STATUS_BUFFER_OVERFLOW;
  if (!((Value as unknown) instanceof UNICODE_STRING)) return STATUS_INVALID_PARAMETER;
  if (Value.MaximumLength < bytes) return STATUS_BUFFER_OVERFLOW;
  if (bytes > 0) c.t.machine.mmu.writeBytes(Value.Buffer, regSzBytes(text).subarray(0, bytes));
  Value.Length = bytes;
  return STATUS_SUCCESS;
}

/** WdfRegistryQueryString: a string value into a WDFSTRING. */
export function WdfRegistryQueryString(Key: WDFKEY, ValueName: NameArgument, String: WDFSTRING): NTSTATUS {
  const c = keyAndValue("WdfRegistryQueryString", Key, ValueName);
  if (typeof c === "number") return c;
  const s = fxString(c.t, String, "WdfRegistryQueryString");
  if (!s) return STATUS_INVALID_HANDLE;
  const text = readString(c);
  if (typeof text === "number") return text;
  return s.assign(text) ? STATUS_SUCCESS : STATUS_INSUFFICIENT_RESOURCES;
}

/**
 * WdfRegistryQueryMultiString: a REG_MULTI_SZ value as WDFSTRING objects added to Collection
 * (their parent the collection unless StringsAttributes names one). Another type is
 * STATUS_OBJECT_TYPE_MISMATCH.
 */
export function WdfRegistryQueryMultiString(Key: WDFKEY, ValueName: NameArgument, StringsAttributes: WDF_OBJECT_ATTRIBUTES | null, Collection: WDFCOLLECTION): NTSTATUS {
  const api = "WdfRegistryQueryMultiString";
  const c = keyAndValue(api, Key, ValueName);
  if (typeof c === "number") return c;
  const coll = fxObject(c.t, Collection, FxCollection, "WDFCOLLECTION", api);
  if (!coll) return STATUS_INVALID_HANDLE;
  const r = read(c.t, c.k, c.name);
  if (!NT_SUCCESS(r.status)) return r.status;
  if (r.type !== REG_MULTI_SZ) return STATUS_OBJECT_TYPE_MISMATCH;
  const parent = StringsAttributes?.ParentObject ? fxParent(c.t, StringsAttributes.ParentObject, api) : coll;
  if (!parent) return STATUS_INVALID_HANDLE;
  for (const text of multiSzList(r.data)) {
    const s = createFxString(c.k.globals, parent, StringsAttributes, text);
    if (!s) return STATUS_INSUFFICIENT_RESOURCES;
    s.refs++;
    coll.items.push(s);
  }
  return STATUS_SUCCESS;
}

/**
 * WdfRegistryQueryMemory: the value's data in a new WDFMEMORY from PoolType (its parent the driver
 * unless MemoryAttributes names one), and its type.
 */
export function WdfRegistryQueryMemory(Key: WDFKEY, ValueName: NameArgument, PoolType: number, MemoryAttributes: WDF_OBJECT_ATTRIBUTES | null): { /** STATUS_SUCCESS or why not. */ status: NTSTATUS; /** The memory object holding the data (null on failure). */ Memory: WDFMEMORY | null; /** The value's REG_* type. */ ValueType: number } {
  const api = "WdfRegistryQueryMemory";
  const c = keyAndValue(api, Key, ValueName);
  if (typeof c === "number") return { status: c, Memory: null, ValueType: 0 };
  const r = read(c.t, c.k, c.name);
  if (!NT_SUCCESS(r.status)) return { status: r.status, Memory: null, ValueType: 0 };
  const m = c.t.machine;
  const paged = (PoolType & 1) === 1;
  const size = Math.max(r.data.length, 1);
  const va = (paged ? m.pagedPool : m.nonPagedPool).allocate(size, 0x4d666457, 8, null);
  if (va === 0) return { status: STATUS_INSUFFICIENT_RESOURCES, Memory: null, ValueType: 0 };
  m.mmu.writeBytes(va, r.data);
  const parent = MemoryAttributes?.ParentObject ? fxParent(c.t, MemoryAttributes.ParentObject, api) : defaultParent(c.k.globals);
  const mem = new FxMemory(c.k.globals, parent, va, r.data.length);
  mem.own(va, paged);
  mem.applyAttributes(MemoryAttributes);
  mem.traceCreated();
  return { status: STATUS_SUCCESS, Memory: mem, ValueType: r.type };
}

/** Sets a value of the key (`data` null: the value argument was no value, STATUS_INVALID_PARAMETER once the key and name are checked). */
function assign(api: string, Key: WDFKEY, ValueName: NameArgument, type: number, data: RegBuffer | null, length: number): NTSTATUS {
  const c = keyAndValue(api, Key, ValueName);
  if (typeof c === "number") return c;
  if (data === null) return STATUS_INVALID_PARAMETER;
  return asKernel(c.t, () => setValueKey(c.t, KernelMode, c.k.keyHandle, c.name, type, data, length));
}

/** WdfRegistryAssignValue: sets a value of ValueType to ValueLength bytes at Value (an address or a local buffer). */
export function WdfRegistryAssignValue(Key: WDFKEY, ValueName: NameArgument, ValueType: number, ValueLength: number, Value: RegBuffer): NTSTATUS {
  const given: unknown = Value;
  return assign("WdfRegistryAssignValue", Key, ValueName, ValueType, typeof given === "number" || given instanceof Uint8Array ? Value : null, ValueLength);
}

/** WdfRegistryAssignULong: sets a REG_DWORD. */
export function WdfRegistryAssignULong(Key: WDFKEY, ValueName: NameArgument, Value: number): NTSTATUS {
  return assign("WdfRegistryAssignULong", Key, ValueName, REG_DWORD, typeof Value === "number" ? regDwordBytes(Value) : null, 4);
}

/** WdfRegistryAssignUnicodeString: sets a REG_SZ to the string (its NUL added). */
export function WdfRegistryAssignUnicodeString(Key: WDFKEY, ValueName: NameArgument, Value: NameArgument): NTSTATUS {
  const api = "WdfRegistryAssignUnicodeString";
  const c = keyAndValue(api, Key, ValueName);
  if (typeof c === "number") return c;
  const text = fxName(c.t, c.k.globals, Value, api, "Value");
  if (typeof text === "number") return text;
  const data = regSzBytes(text);
  return asKernel(c.t, () => setValueKey(c.t, KernelMode, c.k.keyHandle, c.name, REG_SZ, data, data.length));
}

/** WdfRegistryAssignString: sets a REG_SZ to a WDFSTRING's text. */
export function WdfRegistryAssignString(Key: WDFKEY, ValueName: NameArgument, String: WDFSTRING): NTSTATUS {
  const t = fxEnter("WdfRegistryAssignString");
  const s = fxString(t, String, "WdfRegistryAssignString");
  if (!s) return STATUS_INVALID_HANDLE;
  const data = regSzBytes(s.text);
  return assign("WdfRegistryAssignString", Key, ValueName, REG_SZ, data, data.length);
}

/** WdfRegistryAssignMultiString: sets a REG_MULTI_SZ to the texts of a collection of WDFSTRINGs (anything else in it is STATUS_INVALID_PARAMETER). */
export function WdfRegistryAssignMultiString(Key: WDFKEY, ValueName: NameArgument, StringsCollection: WDFCOLLECTION): NTSTATUS {
  const api = "WdfRegistryAssignMultiString";
  const t = fxEnter(api);
  const coll = fxObject(t, StringsCollection, FxCollection, "WDFCOLLECTION", api);
  if (!coll) return STATUS_INVALID_HANDLE;
  const texts: string[] = [];
  for (const o of coll.items) {
    if (!(o instanceof FxString)) return STATUS_INVALID_PARAMETER;
    if (o.text === "") return STATUS_INVALID_PARAMETER;
    texts.push(o.text);
  }
  const data = regMultiSzBytes(texts);
  return assign(api, Key, ValueName, REG_MULTI_SZ, data, data.length);
}

/** WdfRegistryAssignMemory: sets a value of ValueType to a WDFMEMORY's bytes (or the range MemoryOffsets gives). */
export function WdfRegistryAssignMemory(Key: WDFKEY, ValueName: NameArgument, ValueType: number, Memory: WDFMEMORY, MemoryOffsets: { BufferOffset: number; BufferLength: number } | null): NTSTATUS {
  const api = "WdfRegistryAssignMemory";
  const t = fxEnter(api);
  const mem = fxObject(t, Memory, FxMemory, "WDFMEMORY", api);
  if (!mem) return STATUS_INVALID_HANDLE;
  const offset = MemoryOffsets?.BufferOffset ?? 0;
  const length = MemoryOffsets?.BufferLength ?? mem.length - offset;
  if (offset < 0 || length < 0 || offset + length > mem.length) return STATUS_INVALID_PARAMETER;
  return assign(api, Key, ValueName, ValueType, mem.buffer + offset, length);
}

/** WdfRegistryRemoveValue: deletes a value; STATUS_OBJECT_NAME_NOT_FOUND when there is none. */
export function WdfRegistryRemoveValue(Key: WDFKEY, ValueName: NameArgument): NTSTATUS {
  const c = keyAndValue("WdfRegistryRemoveValue", Key, ValueName);
  if (typeof c === "number") return c;
  return asKernel(c.t, () => deleteValueKey(c.t, KernelMode, c.k.keyHandle, c.name));
}

export type { WDFKEY };
