/**
 * The configuration registry's hive model (the configuration manager's key and value tree): one
 * tree per machine, rooted at \REGISTRY with MACHINE and USER below it. Key and value names
 * compare case-insensitively and keep the case they were created with; a value is a type (REG_*)
 * and its bytes, stored as given (NT does not check that a REG_DWORD has four bytes). Subkeys are
 * enumerated in the hive index's order (sorted by upper-cased name), values in creation order.
 *
 * Keys are object-manager objects of type "Key" (KeyObject): each open is a new key object (as
 * NT's CM_KEY_BODY) over the shared node, so a deleted node's open handles keep working only to
 * answer STATUS_KEY_DELETED. Volatile and non-volatile keys differ only in the rule that a
 * non-volatile key cannot be created under a volatile one: a machine run is one boot, so nothing
 * is written anywhere. Not built: symbolic link keys (REG_OPTION_CREATE_LINK), security
 * descriptors per key (see kernel/api-reg.ts for the access rule that is modelled), hive loading.
 */
import type { Machine } from "./machine.js";
import { KernelObject } from "./objects.js";
import { OBJECT_TYPE, objectAs } from "./object-types.js";

// ---- Value types (winnt.h) ----------------------------------------------------------------------

/** REG_NONE: a value with no defined type. */
export const REG_NONE = 0;
/** REG_SZ: a NUL-terminated UTF-16 string. */
export const REG_SZ = 1;
/** REG_EXPAND_SZ: a NUL-terminated UTF-16 string with %VARIABLE% references left unexpanded. */
export const REG_EXPAND_SZ = 2;
/** REG_BINARY: raw bytes. */
export const REG_BINARY = 3;
/** REG_DWORD: a 32-bit number, little-endian. */
export const REG_DWORD = 4;
/** REG_DWORD_LITTLE_ENDIAN: the same as REG_DWORD. */
export const REG_DWORD_LITTLE_ENDIAN = 4;
/** REG_DWORD_BIG_ENDIAN: a 32-bit number, big-endian. */
export const REG_DWORD_BIG_ENDIAN = 5;
/** REG_LINK: a symbolic link's target (UTF-16, not NUL-terminated). */
export const REG_LINK = 6;
/** REG_MULTI_SZ: a sequence of NUL-terminated UTF-16 strings ended by an empty one. */
export const REG_MULTI_SZ = 7;
/** REG_RESOURCE_LIST: a CM_RESOURCE_LIST (hardware resources). */
export const REG_RESOURCE_LIST = 8;
/** REG_FULL_RESOURCE_DESCRIPTOR: a CM_FULL_RESOURCE_DESCRIPTOR. */
export const REG_FULL_RESOURCE_DESCRIPTOR = 9;
/** REG_RESOURCE_REQUIREMENTS_LIST: an IO_RESOURCE_REQUIREMENTS_LIST. */
export const REG_RESOURCE_REQUIREMENTS_LIST = 10;
/** REG_QWORD: a 64-bit number, little-endian. */
export const REG_QWORD = 11;
/** REG_QWORD_LITTLE_ENDIAN: the same as REG_QWORD. */
export const REG_QWORD_LITTLE_ENDIAN = 11;

// ---- Key access rights (winnt.h) --------------------------------------------------------------

/** KEY_QUERY_VALUE: read a key's values. */
export const KEY_QUERY_VALUE = 0x0001;
/** KEY_SET_VALUE: create, change and delete a key's values. */
export const KEY_SET_VALUE = 0x0002;
/** KEY_CREATE_SUB_KEY: create subkeys. */
export const KEY_CREATE_SUB_KEY = 0x0004;
/** KEY_ENUMERATE_SUB_KEYS: enumerate subkeys. */
export const KEY_ENUMERATE_SUB_KEYS = 0x0008;
/** KEY_NOTIFY: ask for change notifications. */
export const KEY_NOTIFY = 0x0010;
/** KEY_CREATE_LINK: create a symbolic link key. */
export const KEY_CREATE_LINK = 0x0020;
/** KEY_WOW64_64KEY: the 64-bit view (accepted and ignored: irpsim has one view). */
export const KEY_WOW64_64KEY = 0x0100;
/** KEY_WOW64_32KEY: the 32-bit view (accepted and ignored: irpsim has one view). */
export const KEY_WOW64_32KEY = 0x0200;
/** KEY_READ: READ_CONTROL, KEY_QUERY_VALUE, KEY_ENUMERATE_SUB_KEYS and KEY_NOTIFY. */
export const KEY_READ = 0x00020019;
/** KEY_WRITE: READ_CONTROL, KEY_SET_VALUE and KEY_CREATE_SUB_KEY. */
export const KEY_WRITE = 0x00020006;
/** KEY_EXECUTE: the same as KEY_READ. */
export const KEY_EXECUTE = 0x00020019;
/** KEY_ALL_ACCESS: every key right with the standard rights required (DELETE, READ_CONTROL, WRITE_DAC, WRITE_OWNER). */
export const KEY_ALL_ACCESS = 0x000f003f;

/** CmKeyObjectType: registry keys ("Key"); the body a driver is handed is the key object itself. */
export const CmKeyObjectType: OBJECT_TYPE<KeyObject> = new OBJECT_TYPE<KeyObject>("Key", (o) => objectAs(KeyObject, o), { GenericRead: KEY_READ, GenericWrite: KEY_WRITE, GenericExecute: KEY_EXECUTE, GenericAll: KEY_ALL_ACCESS });

/** One value: its name as created, its type and its bytes. */
export interface RegistryValue {
  /** The name, case preserved ("" for the key's default value). */
  readonly name: string;
  /** REG_* type (any ULONG is stored as given). */
  type: number;
  /** The data, as the setter gave it. */
  data: Uint8Array;
}

/** A key in the tree (the hive's key node). */
export class RegistryKey {
  /** Subkeys by upper-cased name. */
  readonly subkeys = new Map<string, RegistryKey>();
  /** Values by upper-cased name, in creation order. */
  readonly values = new Map<string, RegistryValue>();
  /** Deleted (ZwDeleteKey): gone from its parent; open handles answer STATUS_KEY_DELETED. */
  deleted = false;
  /** LastWriteTime, in 100 ns units of system time. */
  lastWriteTime: number;

  constructor(
    /** The key's name, case preserved. */
    readonly name: string,
    /** The parent key (null for \REGISTRY). */
    readonly parent: RegistryKey | null,
    /** REG_OPTION_VOLATILE: the key lives until shutdown only. */
    readonly volatile: boolean,
    /** The class string given at creation ("" for none). */
    readonly className: string,
    now: number,
  ) {
    this.lastWriteTime = now;
  }

  /** The full path ("\REGISTRY\MACHINE\System\…"). */
  get path(): string {
    return this.parent === null ? `\\${this.name}` : `${this.parent.path}\\${this.name}`;
  }

  /** Subkeys in the order enumeration returns them (the index's: by upper-cased name). */
  sortedSubkeys(): RegistryKey[] {
    return [...this.subkeys.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map((e) => e[1]);
  }

  /** The named subkey, or undefined. */
  child(name: string): RegistryKey | undefined {
    return this.subkeys.get(name.toUpperCase());
  }

  /** The named value, or undefined ("" is the default value). */
  value(name: string): RegistryValue | undefined {
    return this.values.get(name.toUpperCase());
  }
}

/**
 * A key object: one open of a key node (NT's CM_KEY_BODY). Several handles and several key
 * objects may refer to one node.
 */
export class KeyObject extends KernelObject {
  /** The object type's name, "Key". */
  readonly objectType = "Key";
  constructor(
    /** The key node this object opens. */
    readonly key: RegistryKey,
  ) {
    super();
    this.objectName = key.path;
  }
}

/** One machine's registry. */
export class RegistryHive {
  /** \REGISTRY. */
  readonly root: RegistryKey;

  constructor(readonly machine: Machine) {
    this.root = new RegistryKey("REGISTRY", null, true, "", 0);
    const machineKey = this.add(this.root, "MACHINE", false);
    this.add(this.root, "USER", false);
    const system = this.add(machineKey, "SYSTEM", false);
    this.add(machineKey, "SOFTWARE", false);
    this.add(machineKey, "HARDWARE", true);
    // CurrentControlSet is a link to ControlSet001 on Windows; one tree stands for both here.
    const ccs = this.add(system, "CurrentControlSet", false);
    this.add(ccs, "Services", false);
    const control = this.add(ccs, "Control", false);
    this.add(control, "Class", false);
    this.add(ccs, "Enum", false);
  }

  private add(parent: RegistryKey, name: string, volatile: boolean): RegistryKey {
    const k = new RegistryKey(name, parent, volatile, "", 0);
    parent.subkeys.set(name.toUpperCase(), k);
    return k;
  }

  /**
   * The key a full path names ("\Registry\Machine\…", case-insensitive), or null. A trailing or
   * doubled backslash names nothing.
   */
  find(path: string): RegistryKey | null {
    const parts = splitPath(path);
    if (parts === null || parts.length === 0 || parts[0]?.toUpperCase() !== "REGISTRY") return null;
    return this.walk(this.root, parts.slice(1));
  }

  /** The key `parts` names below `from`, or null. */
  walk(from: RegistryKey, parts: readonly string[]): RegistryKey | null {
    let k: RegistryKey | undefined = from;
    for (const p of parts) {
      k = k.child(p);
      if (!k) return null;
    }
    return k;
  }

  /** Creates (or finds) every key on a full path: the scenario side's way to lay out keys. */
  ensure(path: string, volatile = false): RegistryKey {
    const parts = splitPath(path);
    if (parts === null || parts.length === 0 || parts[0]?.toUpperCase() !== "REGISTRY") throw new Error(`${path} is no registry path: give the full name, \\Registry\\Machine\\… or \\Registry\\User\\…`);
    let k = this.root;
    for (const p of parts.slice(1)) k = k.child(p) ?? this.createSubkey(k, p, volatile, "");
    return k;
  }

  /** Creates a subkey (the caller has checked it does not exist). */
  createSubkey(parent: RegistryKey, name: string, volatile: boolean, className: string): RegistryKey {
    const k = new RegistryKey(name, parent, volatile, className, this.machine.now);
    parent.subkeys.set(name.toUpperCase(), k);
    parent.lastWriteTime = this.machine.now;
    return k;
  }

  /** Removes a key with no subkeys from its parent and marks it deleted. */
  deleteKey(k: RegistryKey): void {
    k.parent?.subkeys.delete(k.name.toUpperCase());
    if (k.parent) k.parent.lastWriteTime = this.machine.now;
    k.deleted = true;
    k.values.clear();
  }

  /** Sets a value, replacing one of the same name (compared case-insensitively; the name keeps the case it was first created with). */
  setValue(k: RegistryKey, name: string, type: number, data: Uint8Array): void {
    const key = name.toUpperCase();
    const existing = k.values.get(key);
    if (existing) {
      existing.type = type >>> 0;
      existing.data = data.slice();
    } else k.values.set(key, { name, type: type >>> 0, data: data.slice() });
    k.lastWriteTime = this.machine.now;
  }
}

/** Splits a path on backslashes; null when a component is empty (a doubled or trailing backslash). */
export function splitPath(path: string): string[] | null {
  const body = path.startsWith("\\") ? path.slice(1) : path;
  if (body === "") return [];
  const parts = body.split("\\");
  return parts.some((p) => p.length === 0) ? null : parts;
}

const hives = new WeakMap<Machine, RegistryHive>();

/** The machine's registry (made on first use, with the standard keys). */
export function registryOf(m: Machine): RegistryHive {
  let h = hives.get(m);
  if (!h) {
    h = new RegistryHive(m);
    hives.set(m, h);
  }
  return h;
}

// ---- Value data helpers -----------------------------------------------------------------------

/** The bytes of a UTF-16LE string with its terminating NUL (REG_SZ data). */
export function regSzBytes(s: string): Uint8Array {
  const b = new Uint8Array((s.length + 1) * 2);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    b[2 * i] = c & 0xff;
    b[2 * i + 1] = c >>> 8;
  }
  return b;
}

/** The bytes of a REG_MULTI_SZ: each string NUL-terminated, then an empty string. */
export function regMultiSzBytes(list: readonly string[]): Uint8Array {
  const text = list.map((s) => `${s}\0`).join("") + "\0";
  return regSzBytes(text).subarray(0, text.length * 2);
}

/** The bytes of a DWORD (little-endian). */
export function regDwordBytes(v: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v >>> 0, true);
  return b;
}

/** The bytes of a QWORD (little-endian). */
export function regQwordBytes(v: bigint | number): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt.asUintN(64, BigInt(v)), true);
  return b;
}

/** UTF-16LE bytes as text, up to the first NUL (or the end). */
export function utf16Text(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i + 1 < b.length; i += 2) {
    const c = (b[i] ?? 0) | ((b[i + 1] ?? 0) << 8);
    if (c === 0) break;
    s += String.fromCharCode(c);
  }
  return s;
}

/** A REG_MULTI_SZ's strings (stopping at the empty string that ends the list). */
export function multiSzList(b: Uint8Array): string[] {
  const out: string[] = [];
  let cur = "";
  for (let i = 0; i + 1 < b.length; i += 2) {
    const c = (b[i] ?? 0) | ((b[i + 1] ?? 0) << 8);
    if (c !== 0) {
      cur += String.fromCharCode(c);
      continue;
    }
    if (cur === "") break;
    out.push(cur);
    cur = "";
  }
  if (cur !== "") out.push(cur);
  return out;
}

// ---- Seeding from a scenario ------------------------------------------------------------------

/**
 * A value as a scenario gives it: a number is a REG_DWORD, a bigint a REG_QWORD, a string a
 * REG_SZ, an array of strings a REG_MULTI_SZ, a Uint8Array a REG_BINARY; `{ type, data }` says
 * the type outright (data as one of the above, or raw bytes).
 */
export type RegistryValueSeed = number | bigint | string | readonly string[] | Uint8Array | RegistryTypedSeed;

/** A seed whose type is given outright. */
export interface RegistryTypedSeed {
  /** The REG_* type to store. */
  readonly type: number;
  /** The data: a number (a DWORD, big-endian for REG_DWORD_BIG_ENDIAN, or a QWORD for REG_QWORD), a bigint (a QWORD), a string (UTF-16 with its NUL), strings (a REG_MULTI_SZ) or raw bytes. */
  readonly data: number | bigint | string | readonly string[] | Uint8Array;
}

/** The type and bytes a seed stands for. */
export function seedValue(seed: RegistryValueSeed): { type: number; data: Uint8Array } {
  const bytes = (d: number | bigint | string | readonly string[] | Uint8Array, type: number): Uint8Array => {
    if (typeof d === "number") return type === REG_QWORD ? regQwordBytes(d) : type === REG_DWORD_BIG_ENDIAN ? regDwordBytes(d).reverse() : regDwordBytes(d);
    if (typeof d === "bigint") return regQwordBytes(d);
    if (typeof d === "string") return type === REG_LINK ? regSzBytes(d).subarray(0, d.length * 2) : regSzBytes(d);
    if (d instanceof Uint8Array) return d.slice();
    return regMultiSzBytes(d);
  };
  if (typeof seed === "number") return { type: REG_DWORD, data: bytes(seed, REG_DWORD) };
  if (typeof seed === "bigint") return { type: REG_QWORD, data: bytes(seed, REG_QWORD) };
  if (typeof seed === "string") return { type: REG_SZ, data: bytes(seed, REG_SZ) };
  if (seed instanceof Uint8Array) return { type: REG_BINARY, data: seed.slice() };
  if (Array.isArray(seed)) return { type: REG_MULTI_SZ, data: regMultiSzBytes(seed as readonly string[]) };
  const typed = seed as RegistryTypedSeed;
  return { type: typed.type >>> 0, data: bytes(typed.data, typed.type >>> 0) };
}

/** The service key of a driver loaded under `name`. */
export function serviceKeyPath(name: string): string {
  return `\\Registry\\Machine\\System\\CurrentControlSet\\Services\\${name}`;
}

/** SERVICE_KERNEL_DRIVER: a service key's Type for a kernel-mode driver. */
export const SERVICE_KERNEL_DRIVER = 1;
/** SERVICE_DEMAND_START: a service key's Start for a driver loaded on demand (what loadDriver does). */
export const SERVICE_DEMAND_START = 3;
/** SERVICE_ERROR_NORMAL: a service key's ErrorControl for a driver whose failure to load is logged and boot goes on. */
export const SERVICE_ERROR_NORMAL = 1;

/**
 * Creates (or refreshes) a driver's service key as its installation would: Type, Start,
 * ErrorControl and ImagePath, and an empty Parameters subkey, then the scenario's Parameters
 * values. Values already in Parameters (seeded by the scenario before the load) are kept.
 */
export function installServiceKey(m: Machine, name: string, parameters: Readonly<Record<string, RegistryValueSeed>> = {}): RegistryKey {
  const hive = registryOf(m);
  const k = hive.ensure(serviceKeyPath(name));
  hive.setValue(k, "Type", REG_DWORD, regDwordBytes(SERVICE_KERNEL_DRIVER));
  hive.setValue(k, "Start", REG_DWORD, regDwordBytes(SERVICE_DEMAND_START));
  hive.setValue(k, "ErrorControl", REG_DWORD, regDwordBytes(SERVICE_ERROR_NORMAL));
  hive.setValue(k, "ImagePath", REG_EXPAND_SZ, regSzBytes(`\\SystemRoot\\System32\\drivers\\${name}.sys`));
  const p = k.child("Parameters") ?? hive.createSubkey(k, "Parameters", false, "");
  for (const [valueName, seed] of Object.entries(parameters)) {
    const v = seedValue(seed);
    hive.setValue(p, valueName, v.type, v.data);
  }
  return k;
}
