/**
 * The registry's system services, one core per routine shared by the native API (NtCreateKey…,
 * previous mode UserMode, in ntdll/registry.ts) and the kernel-mode Zw routines (previous mode
 * KernelMode, in kernel/api-reg.ts): key opens and creates by name (absolute "\Registry\…" or
 * relative to a RootDirectory key handle), value queries that lay the KEY_VALUE_*_INFORMATION
 * structures out in the caller's buffer, enumeration, set, delete and flush.
 *
 * Buffer rule, as the configuration manager applies it: ResultLength always receives the size the
 * whole answer needs; a buffer too short for the structure's fixed part is STATUS_BUFFER_TOO_SMALL
 * and nothing is written; a buffer that holds the fixed part but not all of the name or data gets
 * what fits and STATUS_BUFFER_OVERFLOW.
 *
 * Access, as ObReferenceObjectByHandle checks it: from user mode a handle must grant the right the
 * service needs (KEY_QUERY_VALUE to query, KEY_SET_VALUE to set, DELETE to delete…), else
 * STATUS_ACCESS_DENIED; from kernel mode (a Zw call) no access check applies. The keys' security
 * is modelled by one rule: under \Registry\Machine, a user-mode caller whose token is not an
 * administrator's or LocalSystem's is granted read access only (Windows' default DACLs on HKLM's
 * keys), so asking for more there is STATUS_ACCESS_DENIED.
 */
import { DELETE, MAXIMUM_ALLOWED, WRITE_DAC, WRITE_OWNER } from "./access-rights.js";
import { handleTableOf, insertHandleFor } from "./api-ps-ob.js";
import type { InOut } from "./apc.js";
import { KernelMode, type KPROCESSOR_MODE } from "./irql.js";
import { captureObjectAttributes, type OBJECT_ATTRIBUTES } from "./object-attributes.js";
import { CmKeyObjectType, KEY_ALL_ACCESS, KEY_CREATE_LINK, KEY_CREATE_SUB_KEY, KEY_ENUMERATE_SUB_KEYS, KEY_QUERY_VALUE, KEY_READ, KEY_SET_VALUE, KEY_WOW64_32KEY, KEY_WOW64_64KEY, KeyObject, registryOf, splitPath, type RegistryKey, type RegistryValue } from "./registry.js";
import { badPointer } from "./bad-pointer.js";
import { objectAs } from "./object-types.js";
import { processToken } from "./security.js";
import {
  STATUS_ACCESS_DENIED,
  STATUS_BUFFER_OVERFLOW,
  STATUS_BUFFER_TOO_SMALL,
  STATUS_CANNOT_DELETE,
  STATUS_CHILD_MUST_BE_VOLATILE,
  STATUS_INVALID_HANDLE,
  STATUS_INVALID_PARAMETER,
  STATUS_KEY_DELETED,
  STATUS_NO_MORE_ENTRIES,
  STATUS_OBJECT_NAME_INVALID,
  STATUS_OBJECT_NAME_NOT_FOUND,
  STATUS_OBJECT_PATH_SYNTAX_BAD,
  STATUS_SUCCESS,
  type NTSTATUS,
} from "./status.js";
import type { KThread } from "./thread.js";

// ---- Constants (wdm.h) ------------------------------------------------------------------------

/** REG_OPTION_NON_VOLATILE: the key is kept across boots (the default). */
export const REG_OPTION_NON_VOLATILE = 0x0;
/** REG_OPTION_VOLATILE: the key lives until shutdown; its subkeys must be volatile too. */
export const REG_OPTION_VOLATILE = 0x1;
/** REG_OPTION_CREATE_LINK: the key is a symbolic link (not built in irpsim). */
export const REG_OPTION_CREATE_LINK = 0x2;
/** REG_OPTION_BACKUP_RESTORE: open for backup or restore (accepted; no privilege is modelled). */
export const REG_OPTION_BACKUP_RESTORE = 0x4;
/** REG_OPTION_OPEN_LINK: open a symbolic link key itself (accepted: irpsim has no link keys). */
export const REG_OPTION_OPEN_LINK = 0x8;
/** REG_CREATED_NEW_KEY: ZwCreateKey's Disposition when it created the key. */
export const REG_CREATED_NEW_KEY = 1;
/** REG_OPENED_EXISTING_KEY: ZwCreateKey's Disposition when the key existed and was opened. */
export const REG_OPENED_EXISTING_KEY = 2;

/** KEY_INFORMATION_CLASS: KeyBasicInformation, a KEY_BASIC_INFORMATION (LastWriteTime, TitleIndex, NameLength, Name). */
export const KeyBasicInformation = 0;
/** KeyNodeInformation: a KEY_NODE_INFORMATION (the basic fields, the class's offset and length, then Name and Class). */
export const KeyNodeInformation = 1;
/** KeyFullInformation: a KEY_FULL_INFORMATION (counts and maximum lengths of subkeys and values, then Class). */
export const KeyFullInformation = 2;
/** KeyNameInformation: a KEY_NAME_INFORMATION (the key's full path). ZwQueryKey only. */
export const KeyNameInformation = 3;
/** KeyCachedInformation: a KEY_CACHED_INFORMATION (the full information's counts without the class, and the name's length). ZwQueryKey only. */
export const KeyCachedInformation = 4;

/** KEY_VALUE_INFORMATION_CLASS: KeyValueBasicInformation, a KEY_VALUE_BASIC_INFORMATION (TitleIndex, Type, NameLength, Name). */
export const KeyValueBasicInformation = 0;
/** KeyValueFullInformation: a KEY_VALUE_FULL_INFORMATION (TitleIndex, Type, DataOffset, DataLength, NameLength, Name, then the data at DataOffset). */
export const KeyValueFullInformation = 1;
/** KeyValuePartialInformation: a KEY_VALUE_PARTIAL_INFORMATION (TitleIndex, Type, DataLength, Data). */
export const KeyValuePartialInformation = 2;
/** KeyValueFullInformationAlign64: KEY_VALUE_FULL_INFORMATION with the data at an 8-byte aligned offset. */
export const KeyValueFullInformationAlign64 = 3;
/** KeyValuePartialInformationAlign64: a KEY_VALUE_PARTIAL_INFORMATION_ALIGN64 (Type, DataLength, Data at offset 8). */
export const KeyValuePartialInformationAlign64 = 4;

/** FIELD_OFFSET(KEY_VALUE_PARTIAL_INFORMATION, Data): 12. */
export const KEY_VALUE_PARTIAL_INFORMATION_DATA_OFFSET = 12;

// ---- Buffers ----------------------------------------------------------------------------------

/**
 * A PVOID buffer a registry routine reads or writes: an address in emulated memory, or (irpsim's
 * stand-in for a local array in kernel code) a Uint8Array.
 */
export type RegBuffer = number | Uint8Array;

/** A PULONG out-parameter: an address, a local `{ value }`, or NULL. */
export type RegULongOut = number | InOut<number> | null;

/** Writes `bytes` at the start of `b` (an address or a local buffer). */
function writeBuffer(t: KThread, b: RegBuffer, bytes: Uint8Array): void {
  const given: unknown = b;
  if (typeof given !== "number" && !(given instanceof Uint8Array)) badPointer("the registry service", "the information buffer", given, "an address or a Uint8Array");
  if (typeof b === "number") {
    if (bytes.length > 0) t.machine.mmu.writeBytes(b, bytes);
  } else b.set(bytes.subarray(0, Math.min(bytes.length, b.length)));
}

/** Reads `length` bytes of `b`. */
function readBuffer(t: KThread, b: RegBuffer, length: number): Uint8Array {
  const given: unknown = b;
  if (typeof given !== "number" && !(given instanceof Uint8Array)) badPointer("the registry service", "Data", given, "an address or a Uint8Array");
  if (typeof b === "number") return length === 0 ? new Uint8Array(0) : t.machine.mmu.readBytes(b, length).slice();
  return b.slice(0, length);
}

/** Stores a ULONG out-parameter (NULL is skipped). */
export function storeULong(t: KThread, out: RegULongOut, value: number): void {
  if (out === null || out === 0) return;
  if (typeof out === "number") t.machine.mmu.writeU32(out, value >>> 0);
  else out.value = value >>> 0;
}

// ---- Key references ---------------------------------------------------------------------------

/** The key a handle refers to, referenced (drop with `m.ob.dereference(r.object)`). */
interface KeyRef {
  readonly status: NTSTATUS;
  readonly object: KeyObject | null;
}

/**
 * References a key handle as the service does (ObReferenceObjectByHandle with CmKeyObjectType):
 * STATUS_INVALID_HANDLE, STATUS_OBJECT_TYPE_MISMATCH for a handle to another kind of object,
 * STATUS_ACCESS_DENIED from user mode without `access`; a key deleted since it was opened is
 * STATUS_KEY_DELETED.
 */
export function referenceKey(t: KThread, mode: KPROCESSOR_MODE, handle: unknown, access: number): KeyRef {
  if (typeof handle !== "number" || !Number.isInteger(handle) || handle === 0) return { status: STATUS_INVALID_HANDLE, object: null };
  const where = handleTableOf(t, handle, mode);
  if (!where) return { status: STATUS_INVALID_HANDLE, object: null };
  const r = t.machine.ob.referenceByHandle(where.process, where.value, CmKeyObjectType.Name, access, mode);
  if (!r.object) return { status: r.status, object: null };
  const k = objectAs(KeyObject, r.object);
  if (k.key.deleted) {
    t.machine.ob.dereference(k);
    return { status: STATUS_KEY_DELETED, object: null };
  }
  return { status: STATUS_SUCCESS, object: k };
}

/** Runs `fn` on the key a handle refers to, dropping the reference afterwards. */
function withKey(t: KThread, mode: KPROCESSOR_MODE, handle: unknown, access: number, fn: (k: RegistryKey) => NTSTATUS): NTSTATUS {
  const r = referenceKey(t, mode, handle, access);
  if (!r.object) return r.status;
  try {
    return fn(r.object.key);
  } finally {
    t.machine.ob.dereference(r.object);
  }
}

// ---- Open and create --------------------------------------------------------------------------

/** What a create adds to an open. */
export interface KeyCreateParameters {
  /** TitleIndex (ignored, as on Windows). */
  readonly TitleIndex: number;
  /** The class string, or null. */
  readonly Class: string | null;
  /** REG_OPTION_* flags. */
  readonly CreateOptions: number;
}

/** The result of a key open or create. */
export interface KeyOpenResult {
  /** STATUS_SUCCESS or why not. */
  readonly status: NTSTATUS;
  /** The new handle (0 on failure). */
  readonly handle: number;
  /** REG_CREATED_NEW_KEY or REG_OPENED_EXISTING_KEY (0 on failure or for an open). */
  readonly disposition: number;
}

const WRITE_RIGHTS = KEY_SET_VALUE | KEY_CREATE_SUB_KEY | KEY_CREATE_LINK | DELETE | WRITE_DAC | WRITE_OWNER;
const VALID_OPTIONS = REG_OPTION_VOLATILE | REG_OPTION_CREATE_LINK | REG_OPTION_BACKUP_RESTORE | REG_OPTION_OPEN_LINK;

/** The access granted for an open of `key`, or STATUS_ACCESS_DENIED (the HKLM rule, see the file's comment). */
function grantFor(t: KThread, mode: KPROCESSOR_MODE, key: RegistryKey, DesiredAccess: number): number | null {
  const max = (DesiredAccess & MAXIMUM_ALLOWED) !== 0;
  let access = max ? KEY_ALL_ACCESS : CmKeyObjectType.mapAccess(DesiredAccess >>> 0);
  if (mode === KernelMode) return (access & ~(MAXIMUM_ALLOWED | KEY_WOW64_64KEY | KEY_WOW64_32KEY)) >>> 0;
  const underMachine = key.path.toUpperCase().startsWith("\\REGISTRY\\MACHINE");
  const token = processToken(t.currentProcess);
  const privileged = token.user === "S-1-5-18" || token.groups.includes("S-1-5-32-544");
  if (underMachine && !privileged) {
    if (max) access = KEY_READ;
    else if (access & WRITE_RIGHTS) return null;
  }
  return (access & ~(MAXIMUM_ALLOWED | KEY_WOW64_64KEY | KEY_WOW64_32KEY)) >>> 0;
}

/**
 * NtOpenKey / NtCreateKey's work (`create` null for an open). The name is absolute
 * ("\Registry\Machine\…") or, with RootDirectory a key handle, relative to that key (an empty
 * name opens the root key again). A relative name starting with a backslash is
 * STATUS_OBJECT_PATH_SYNTAX_BAD, an empty component STATUS_OBJECT_NAME_INVALID; every key on the
 * way must exist (STATUS_OBJECT_NAME_NOT_FOUND: a create makes the last component only). A create
 * of a non-volatile key under a volatile one is STATUS_CHILD_MUST_BE_VOLATILE.
 */
export function openKey(t: KThread, mode: KPROCESSOR_MODE, DesiredAccess: number, ObjectAttributes: OBJECT_ATTRIBUTES | number | null, create: KeyCreateParameters | null): KeyOpenResult {
  const fail = (status: NTSTATUS): KeyOpenResult => ({ status, handle: 0, disposition: 0 });
  if (typeof DesiredAccess !== "number" || !Number.isFinite(DesiredAccess)) return fail(STATUS_INVALID_PARAMETER);
  if (ObjectAttributes === null || ObjectAttributes === 0) return fail(STATUS_INVALID_PARAMETER);
  if (create) {
    if (typeof create.CreateOptions !== "number" || (create.CreateOptions & ~VALID_OPTIONS) !== 0) return fail(STATUS_INVALID_PARAMETER);
    if (create.CreateOptions & REG_OPTION_CREATE_LINK) throw new Error("ZwCreateKey with REG_OPTION_CREATE_LINK: symbolic link keys are not built in irpsim");
  }
  const c = captureObjectAttributes(ObjectAttributes, mode, true);
  if (typeof c === "number") return fail(c);
  const hive = registryOf(t.machine);
  let base: RegistryKey;
  let parts: string[];
  const name = c.name ?? "";
  if (c.rootDirectory) {
    const r = referenceKey(t, mode, c.rootDirectory, 0);
    if (!r.object) return fail(r.status);
    base = r.object.key;
    t.machine.ob.dereference(r.object);
    if (name.startsWith("\\")) return fail(STATUS_OBJECT_PATH_SYNTAX_BAD);
    const p = splitPath(name);
    if (p === null) return fail(STATUS_OBJECT_NAME_INVALID);
    parts = p;
  } else {
    if (name === "") return fail(STATUS_OBJECT_PATH_SYNTAX_BAD);
    if (!name.startsWith("\\")) return fail(STATUS_OBJECT_PATH_SYNTAX_BAD);
    const p = splitPath(name);
    if (p === null) return fail(STATUS_OBJECT_NAME_INVALID);
    if (p[0]?.toUpperCase() !== "REGISTRY") return fail(STATUS_OBJECT_NAME_NOT_FOUND);
    base = hive.root;
    parts = p.slice(1);
  }
  const last = parts.length > 0 ? parts[parts.length - 1] : undefined;
  const parent = parts.length > 0 ? hive.walk(base, parts.slice(0, -1)) : null;
  let key: RegistryKey | null = last === undefined ? base : parent ? (parent.child(last) ?? null) : null;
  let disposition = create ? REG_OPENED_EXISTING_KEY : 0;
  if (key === null) {
    if (!create || parent === null || last === undefined) return fail(STATUS_OBJECT_NAME_NOT_FOUND);
    const volatile = (create.CreateOptions & REG_OPTION_VOLATILE) !== 0;
    if (parent.volatile && !volatile && parent.parent !== null) return fail(STATUS_CHILD_MUST_BE_VOLATILE);
    if (grantFor(t, mode, parent, KEY_CREATE_SUB_KEY) === null) return fail(STATUS_ACCESS_DENIED);
    key = hive.createSubkey(parent, last, volatile, create.Class ?? "");
    disposition = REG_CREATED_NEW_KEY;
  }
  if (key.deleted) return fail(STATUS_KEY_DELETED);
  const access = grantFor(t, mode, key, DesiredAccess);
  if (access === null) return fail(STATUS_ACCESS_DENIED);
  const handle = insertHandleFor(t, new KeyObject(key), access, c.attributes);
  return { status: STATUS_SUCCESS, handle, disposition };
}

// ---- Information structures -------------------------------------------------------------------

function utf16(s: string): Uint8Array {
  const b = new Uint8Array(s.length * 2);
  for (let i = 0; i < s.length; i++) {
    const ch = s.charCodeAt(i);
    b[2 * i] = ch & 0xff;
    b[2 * i + 1] = ch >>> 8;
  }
  return b;
}

/** A structure being laid out: its bytes and the size of its fixed part. */
interface Layout {
  readonly bytes: Uint8Array;
  readonly fixed: number;
}

function layout(fixed: number, total: number, fill: (v: DataView, b: Uint8Array) => void): Layout {
  const bytes = new Uint8Array(total);
  fill(new DataView(bytes.buffer), bytes);
  return { bytes, fixed };
}

const align = (n: number, a: number): number => Math.ceil(n / a) * a;

/** A KEY_VALUE_*_INFORMATION for `v`, or null for a class the routine does not define. */
function valueInformation(v: RegistryValue, cls: number): Layout | null {
  const name = utf16(v.name);
  const data = v.data;
  switch (cls) {
    case KeyValueBasicInformation:
      return layout(12, 12 + name.length, (d, b) => {
        d.setUint32(4, v.type, true);
        d.setUint32(8, name.length, true);
        b.set(name, 12);
      });
    case KeyValueFullInformation:
    case KeyValueFullInformationAlign64: {
      const offset = align(20 + name.length, cls === KeyValueFullInformation ? 4 : 8);
      return layout(20, offset + data.length, (d, b) => {
        d.setUint32(4, v.type, true);
        d.setUint32(8, offset, true);
        d.setUint32(12, data.length, true);
        d.setUint32(16, name.length, true);
        b.set(name, 20);
        b.set(data, offset);
      });
    }
    case KeyValuePartialInformation:
      return layout(12, 12 + data.length, (d, b) => {
        d.setUint32(4, v.type, true);
        d.setUint32(8, data.length, true);
        b.set(data, 12);
      });
    case KeyValuePartialInformationAlign64:
      return layout(8, 8 + data.length, (d, b) => {
        d.setUint32(0, v.type, true);
        d.setUint32(4, data.length, true);
        b.set(data, 8);
      });
    default:
      return null;
  }
}

/** The longest of `xs` (0 for none). */
const longest = (xs: Iterable<number>): number => {
  let n = 0;
  for (const x of xs) n = Math.max(n, x);
  return n;
};

/** A KEY_*_INFORMATION for `k`, or null for a class not defined for the routine. */
function keyInformation(k: RegistryKey, cls: number, query: boolean): Layout | null {
  const name = utf16(k.name);
  const klass = utf16(k.className);
  const time = (d: DataView): void => {
    d.setBigUint64(0, BigInt(Math.floor(k.lastWriteTime)), true);
  };
  const subs = [...k.subkeys.values()];
  const vals = [...k.values.values()];
  switch (cls) {
    case KeyBasicInformation:
      return layout(16, 16 + name.length, (d, b) => {
        time(d);
        d.setUint32(12, name.length, true);
        b.set(name, 16);
      });
    case KeyNodeInformation: {
      const classOffset = klass.length > 0 ? align(24 + name.length, 4) : 0xffffffff;
      return layout(24, klass.length > 0 ? classOffset + klass.length : 24 + name.length, (d, b) => {
        time(d);
        d.setUint32(12, classOffset, true);
        d.setUint32(16, klass.length, true);
        d.setUint32(20, name.length, true);
        b.set(name, 24);
        if (klass.length > 0) b.set(klass, classOffset);
      });
    }
    case KeyFullInformation:
      return layout(44, 44 + klass.length, (d, b) => {
        time(d);
        d.setUint32(12, klass.length > 0 ? 44 : 0xffffffff, true);
        d.setUint32(16, klass.length, true);
        d.setUint32(20, subs.length, true);
        d.setUint32(24, longest(subs.map((s) => s.name.length * 2)), true);
        d.setUint32(28, longest(subs.map((s) => s.className.length * 2)), true);
        d.setUint32(32, vals.length, true);
        d.setUint32(36, longest(vals.map((v) => v.name.length * 2)), true);
        d.setUint32(40, longest(vals.map((v) => v.data.length)), true);
        b.set(klass, 44);
      });
    case KeyNameInformation: {
      if (!query) return null;
      const path = utf16(k.path);
      return layout(4, 4 + path.length, (d, b) => {
        d.setUint32(0, path.length, true);
        b.set(path, 4);
      });
    }
    case KeyCachedInformation:
      if (!query) return null;
      return layout(36, 36, (d) => {
        time(d);
        d.setUint32(12, subs.length, true);
        d.setUint32(16, longest(subs.map((s) => s.name.length * 2)), true);
        d.setUint32(20, vals.length, true);
        d.setUint32(24, longest(vals.map((v) => v.name.length * 2)), true);
        d.setUint32(28, longest(vals.map((v) => v.data.length)), true);
        d.setUint32(32, name.length, true);
      });
    case 5:
    case 6:
    case 7:
    case 8:
    case 9:
      throw new Error(`KEY_INFORMATION_CLASS ${cls} (KeyFlagsInformation and later) is not built in irpsim; KeyBasicInformation, KeyNodeInformation, KeyFullInformation, KeyNameInformation and KeyCachedInformation are`);
    default:
      return null;
  }
}

/** Copies a laid-out structure under the buffer rule (see the file's comment). */
function deliver(t: KThread, l: Layout, buffer: RegBuffer, Length: number, ResultLength: RegULongOut): NTSTATUS {
  const length = Length >>> 0;
  storeULong(t, ResultLength, l.bytes.length);
  if (length < l.fixed) return STATUS_BUFFER_TOO_SMALL;
  const n = Math.min(length, l.bytes.length);
  writeBuffer(t, buffer, l.bytes.subarray(0, n));
  return n < l.bytes.length ? STATUS_BUFFER_OVERFLOW : STATUS_SUCCESS;
}

function checkLength(Length: unknown): Length is number {
  return typeof Length === "number" && Number.isInteger(Length) && Length >= 0 && Length <= 0xffffffff;
}

/** The KEY_VALUE_INFORMATION_CLASS values the services answer; any other is refused before the key is looked at. */
const VALUE_CLASSES = new Set([KeyValueBasicInformation, KeyValueFullInformation, KeyValuePartialInformation, KeyValueFullInformationAlign64, KeyValuePartialInformationAlign64]);

// ---- Values -----------------------------------------------------------------------------------

/**
 * NtQueryValueKey's work: the value `ValueName` ("" is the key's default value) laid out as
 * KeyValueInformationClass says; a value that does not exist is STATUS_OBJECT_NAME_NOT_FOUND
 * (ResultLength 0); an undefined class STATUS_INVALID_PARAMETER. Needs KEY_QUERY_VALUE.
 */
export function queryValueKey(t: KThread, mode: KPROCESSOR_MODE, KeyHandle: unknown, ValueName: string, cls: number, buffer: RegBuffer, Length: number, ResultLength: RegULongOut): NTSTATUS {
  if (!checkLength(Length) || !VALUE_CLASSES.has(cls)) return STATUS_INVALID_PARAMETER;
  return withKey(t, mode, KeyHandle, KEY_QUERY_VALUE, (k) => {
    const v = k.value(ValueName);
    if (!v) {
      storeULong(t, ResultLength, 0);
      return STATUS_OBJECT_NAME_NOT_FOUND;
    }
    const l = valueInformation(v, cls);
    if (!l) return STATUS_INVALID_PARAMETER;
    return deliver(t, l, buffer, Length, ResultLength);
  });
}

/** NtEnumerateValueKey's work: the value at `Index` (creation order); past the last, STATUS_NO_MORE_ENTRIES. */
export function enumerateValueKey(t: KThread, mode: KPROCESSOR_MODE, KeyHandle: unknown, Index: number, cls: number, buffer: RegBuffer, Length: number, ResultLength: RegULongOut): NTSTATUS {
  if (!checkLength(Length) || typeof Index !== "number" || !Number.isInteger(Index) || !VALUE_CLASSES.has(cls)) return STATUS_INVALID_PARAMETER;
  return withKey(t, mode, KeyHandle, KEY_QUERY_VALUE, (k) => {
    const v = Index >= 0 ? [...k.values.values()][Index] : undefined;
    if (!v) return STATUS_NO_MORE_ENTRIES;
    const l = valueInformation(v, cls);
    if (!l) return STATUS_INVALID_PARAMETER;
    return deliver(t, l, buffer, Length, ResultLength);
  });
}

/**
 * NtSetValueKey's work: creates or replaces the value `ValueName` with `DataSize` bytes of `Data`
 * and type `Type` (stored as given). Needs KEY_SET_VALUE.
 */
export function setValueKey(t: KThread, mode: KPROCESSOR_MODE, KeyHandle: unknown, ValueName: string, Type: number, Data: RegBuffer | null, DataSize: number): NTSTATUS {
  if (!checkLength(DataSize) || typeof Type !== "number" || !Number.isFinite(Type)) return STATUS_INVALID_PARAMETER;
  if ((Data === null || Data === 0) && DataSize !== 0) return STATUS_INVALID_PARAMETER;
  if (Data instanceof Uint8Array && Data.length < DataSize) return STATUS_INVALID_PARAMETER;
  return withKey(t, mode, KeyHandle, KEY_SET_VALUE, (k) => {
    const bytes = Data === null || DataSize === 0 ? new Uint8Array(0) : readBuffer(t, Data, DataSize);
    registryOf(t.machine).setValue(k, ValueName, Type, bytes);
    return STATUS_SUCCESS;
  });
}

/** NtDeleteValueKey's work: removes the value; STATUS_OBJECT_NAME_NOT_FOUND when there is none. Needs KEY_SET_VALUE. */
export function deleteValueKey(t: KThread, mode: KPROCESSOR_MODE, KeyHandle: unknown, ValueName: string): NTSTATUS {
  return withKey(t, mode, KeyHandle, KEY_SET_VALUE, (k) => {
    if (!k.values.delete(ValueName.toUpperCase())) return STATUS_OBJECT_NAME_NOT_FOUND;
    k.lastWriteTime = t.machine.now;
    return STATUS_SUCCESS;
  });
}

// ---- Keys -------------------------------------------------------------------------------------

/** NtQueryKey's work: the key itself, laid out as KeyInformationClass says. Needs KEY_QUERY_VALUE except for KeyNameInformation. */
export function queryKey(t: KThread, mode: KPROCESSOR_MODE, KeyHandle: unknown, cls: number, buffer: RegBuffer, Length: number, ResultLength: RegULongOut): NTSTATUS {
  if (!checkLength(Length)) return STATUS_INVALID_PARAMETER;
  return withKey(t, mode, KeyHandle, cls === KeyNameInformation ? 0 : KEY_QUERY_VALUE, (k) => {
    const l = keyInformation(k, cls, true);
    if (!l) return STATUS_INVALID_PARAMETER;
    return deliver(t, l, buffer, Length, ResultLength);
  });
}

/** NtEnumerateKey's work: the subkey at `Index` (the index's order); past the last, STATUS_NO_MORE_ENTRIES. Needs KEY_ENUMERATE_SUB_KEYS. */
export function enumerateKey(t: KThread, mode: KPROCESSOR_MODE, KeyHandle: unknown, Index: number, cls: number, buffer: RegBuffer, Length: number, ResultLength: RegULongOut): NTSTATUS {
  if (!checkLength(Length) || typeof Index !== "number" || !Number.isInteger(Index)) return STATUS_INVALID_PARAMETER;
  return withKey(t, mode, KeyHandle, KEY_ENUMERATE_SUB_KEYS, (k) => {
    const sub = Index >= 0 ? k.sortedSubkeys()[Index] : undefined;
    if (!sub) return STATUS_NO_MORE_ENTRIES;
    const l = keyInformation(sub, cls, false);
    if (!l) return STATUS_INVALID_PARAMETER;
    return deliver(t, l, buffer, Length, ResultLength);
  });
}

/**
 * NtDeleteKey's work: deletes the key the handle refers to. A key with subkeys, or one of the
 * hive roots (\Registry, \Registry\Machine and the keys right below it), is STATUS_CANNOT_DELETE.
 * Open handles to it stay open and answer STATUS_KEY_DELETED. Needs DELETE.
 */
export function deleteKey(t: KThread, mode: KPROCESSOR_MODE, KeyHandle: unknown): NTSTATUS {
  return withKey(t, mode, KeyHandle, DELETE, (k) => {
    if (k.subkeys.size > 0) return STATUS_CANNOT_DELETE;
    const depth = splitPath(k.path)?.length ?? 0;
    if (depth <= 3) return STATUS_CANNOT_DELETE;
    registryOf(t.machine).deleteKey(k);
    return STATUS_SUCCESS;
  });
}

/** NtFlushKey's work: nothing to write (one boot), but the handle is checked as Windows checks it. */
export function flushKey(t: KThread, mode: KPROCESSOR_MODE, KeyHandle: unknown): NTSTATUS {
  return withKey(t, mode, KeyHandle, 0, () => STATUS_SUCCESS);
}
