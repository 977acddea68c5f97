/**
 * The registry routines a driver calls (wdm.h): ZwCreateKey, ZwOpenKey, ZwQueryValueKey,
 * ZwSetValueKey, ZwDeleteValueKey, ZwDeleteKey, ZwEnumerateKey, ZwEnumerateValueKey, ZwQueryKey,
 * ZwFlushKey (ZwClose closes a key handle as any other), and the Rtl helpers over them:
 * RtlQueryRegistryValues, RtlWriteRegistryValue, RtlDeleteRegistryValue, RtlCheckRegistryKey,
 * RtlCreateRegistryKey. The work is done by the shared services in kernel/reg-services.ts, with
 * previous mode KernelMode: no probe of the caller's buffers (a bad kernel pointer faults as the
 * service's own access would) and no access check of the handle.
 *
 * All of them are documented for PASSIVE_LEVEL: above it the machine bug-checks with
 * IRQL_NOT_LESS_OR_EQUAL, as the first touch of the paged hive does on Windows.
 */
import type { InOut } from "./apc.js";
import { ExAllocatePoolWithTag, ExFreePool } from "./api-ex.js";
import { badPointer } from "./bad-pointer.js";
import { BugCheckCode } from "./bugcheck-codes.js";
import { currentMachine } from "./context.js";
import { KernelMode, PASSIVE_LEVEL } from "./irql.js";
import { nameArgumentText, type NameArgument } from "./name-argument.js";
import type { OBJECT_ATTRIBUTES } from "./object-attributes.js";
import { REG_EXPAND_SZ, REG_MULTI_SZ, REG_NONE, REG_SZ, multiSzList, regSzBytes, registryOf, splitPath, utf16Text, type RegistryKey } from "./registry.js";
import {
  deleteKey,
  deleteValueKey,
  enumerateKey,
  enumerateValueKey,
  flushKey,
  openKey,
  queryKey,
  queryValueKey,
  referenceKey,
  setValueKey,
  type RegBuffer,
  type RegULongOut,
} from "./reg-services.js";
import { UNICODE_STRING, createUnicodeString } from "./rtl-string.js";
import { NT_SUCCESS, STATUS_BUFFER_TOO_SMALL, STATUS_CHILD_MUST_BE_VOLATILE, STATUS_INSUFFICIENT_RESOURCES, STATUS_INVALID_PARAMETER, STATUS_KEY_DELETED, STATUS_OBJECT_NAME_INVALID, STATUS_OBJECT_NAME_NOT_FOUND, STATUS_OBJECT_PATH_SYNTAX_BAD, STATUS_OBJECT_TYPE_MISMATCH, STATUS_SUCCESS, type NTSTATUS } from "./status.js";
import { processToken } from "./security.js";
import type { KThread } from "./thread.js";

/** Enters a registry routine: PASSIVE_LEVEL (else the bug check), previous mode KernelMode until `leave`. */
function zwReg(api: string): { t: KThread; leave: () => void } {
  const t = currentMachine(api).kernelCall(api);
  if (t.irql > PASSIVE_LEVEL) {
    t.machine.bugCheck(BugCheckCode.IRQL_NOT_LESS_OR_EQUAL, 0, t.irql, 0, 0, { detail: `${api} at IRQL ${t.irql}: the registry routines are called at PASSIVE_LEVEL` });
  }
  const previous = t.previousMode;
  t.previousMode = KernelMode;
  return { t, leave: () => (t.previousMode = previous) };
}

function run<T>(api: string, fn: (t: KThread) => T): T {
  const { t, leave } = zwReg(api);
  try {
    return fn(t);
  } finally {
    leave();
  }
}

/** A value name: a PUNICODE_STRING or a literal; NULL is read through, as NT would (an access violation). */
function valueName(api: string, ValueName: NameArgument | null): string | NTSTATUS {
  if (ValueName === null) return badPointer(api, "ValueName", ValueName, "a UNICODE_STRING (an empty one names the default value)");
  return nameArgumentText(api, "ValueName", ValueName);
}

// ---- Keys -------------------------------------------------------------------------------------

/**
 * ZwCreateKey: opens the key ObjectAttributes names, or creates it — only its last component: a
 * missing parent is STATUS_OBJECT_NAME_NOT_FOUND. `Disposition` says which happened
 * (REG_CREATED_NEW_KEY or REG_OPENED_EXISTING_KEY). CreateOptions: REG_OPTION_VOLATILE (a
 * non-volatile key under a volatile one is STATUS_CHILD_MUST_BE_VOLATILE), REG_OPTION_NON_VOLATILE;
 * unknown bits are STATUS_INVALID_PARAMETER. OBJ_KERNEL_HANDLE makes a kernel handle (drivers set
 * it); a name relative to RootDirectory (a key handle) is allowed.
 */
export function ZwCreateKey(
  DesiredAccess: number,
  ObjectAttributes: OBJECT_ATTRIBUTES,
  TitleIndex: number,
  Class: NameArgument | null,
  CreateOptions: number,
): { /** STATUS_SUCCESS or why not. */ status: NTSTATUS; /** The new handle (0 on failure). */ KeyHandle: number; /** REG_CREATED_NEW_KEY or REG_OPENED_EXISTING_KEY (0 on failure). */ Disposition: number } {
  return run("ZwCreateKey", (t) => {
    const cls = Class === null ? null : nameArgumentText("ZwCreateKey", "Class", Class);
    if (typeof cls === "number") return { status: cls, KeyHandle: 0, Disposition: 0 };
    const r = openKey(t, KernelMode, DesiredAccess, ObjectAttributes, { TitleIndex, Class: cls, CreateOptions });
    return { status: r.status, KeyHandle: r.handle, Disposition: r.disposition };
  });
}

/**
 * ZwOpenKey: a handle to the existing key ObjectAttributes names (absolute, "\Registry\Machine\…",
 * or relative to a RootDirectory key handle); STATUS_OBJECT_NAME_NOT_FOUND when it does not exist.
 */
export function ZwOpenKey(DesiredAccess: number, ObjectAttributes: OBJECT_ATTRIBUTES): { /** STATUS_SUCCESS or why not. */ status: NTSTATUS; /** The new handle (0 on failure). */ KeyHandle: number } {
  return run("ZwOpenKey", (t) => {
    const r = openKey(t, KernelMode, DesiredAccess, ObjectAttributes, null);
    return { status: r.status, KeyHandle: r.handle };
  });
}

/**
 * ZwDeleteKey: deletes the key (it must have no subkeys: STATUS_CANNOT_DELETE otherwise). The
 * handle stays open — close it with ZwClose — and any use of it, or of another handle to the key,
 * is STATUS_KEY_DELETED.
 */
export function ZwDeleteKey(KeyHandle: number): NTSTATUS {
  return run("ZwDeleteKey", (t) => deleteKey(t, KernelMode, KeyHandle));
}

/**
 * ZwQueryKey: the key's KEY_BASIC_INFORMATION, KEY_NODE_INFORMATION, KEY_FULL_INFORMATION (counts
 * of subkeys and values and their longest names and data), KEY_NAME_INFORMATION (the full path)
 * or KEY_CACHED_INFORMATION, written at KeyInformation. ResultLength always receives the size
 * needed: a buffer shorter than the fixed part is STATUS_BUFFER_TOO_SMALL, one that holds only
 * part of the name STATUS_BUFFER_OVERFLOW.
 */
export function ZwQueryKey(KeyHandle: number, KeyInformationClass: number, KeyInformation: RegBuffer, Length: number, ResultLength: RegULongOut): NTSTATUS {
  return run("ZwQueryKey", (t) => queryKey(t, KernelMode, KeyHandle, KeyInformationClass, KeyInformation, Length, ResultLength));
}

/** ZwEnumerateKey: the subkey at Index, as ZwQueryKey lays it out; past the last, STATUS_NO_MORE_ENTRIES. */
export function ZwEnumerateKey(KeyHandle: number, Index: number, KeyInformationClass: number, KeyInformation: RegBuffer, Length: number, ResultLength: RegULongOut): NTSTATUS {
  return run("ZwEnumerateKey", (t) => enumerateKey(t, KernelMode, KeyHandle, Index, KeyInformationClass, KeyInformation, Length, ResultLength));
}

/** ZwFlushKey: writes the key to its hive — here nothing to write; a bad or deleted key's handle is answered as on Windows. */
export function ZwFlushKey(KeyHandle: number): NTSTATUS {
  return run("ZwFlushKey", (t) => flushKey(t, KernelMode, KeyHandle));
}

// ---- Values -----------------------------------------------------------------------------------

/**
 * ZwQueryValueKey: the value ValueName (an empty name is the key's default value) as a
 * KEY_VALUE_BASIC_INFORMATION, KEY_VALUE_FULL_INFORMATION or KEY_VALUE_PARTIAL_INFORMATION (or
 * their Align64 forms) at KeyValueInformation. ResultLength always receives the size needed; a
 * buffer shorter than the fixed part is STATUS_BUFFER_TOO_SMALL (nothing written), one that holds
 * only part of the name or data gets that part and STATUS_BUFFER_OVERFLOW. A value that does not
 * exist is STATUS_OBJECT_NAME_NOT_FOUND.
 */
export function ZwQueryValueKey(KeyHandle: number, ValueName: NameArgument, KeyValueInformationClass: number, KeyValueInformation: RegBuffer, Length: number, ResultLength: RegULongOut): NTSTATUS {
  return run("ZwQueryValueKey", (t) => {
    const name = valueName("ZwQueryValueKey", ValueName);
    if (typeof name === "number") return name;
    return queryValueKey(t, KernelMode, KeyHandle, name, KeyValueInformationClass, KeyValueInformation, Length, ResultLength);
  });
}

/** ZwEnumerateValueKey: the value at Index (creation order), as ZwQueryValueKey lays it out; past the last, STATUS_NO_MORE_ENTRIES. */
export function ZwEnumerateValueKey(KeyHandle: number, Index: number, KeyValueInformationClass: number, KeyValueInformation: RegBuffer, Length: number, ResultLength: RegULongOut): NTSTATUS {
  return run("ZwEnumerateValueKey", (t) => enumerateValueKey(t, KernelMode, KeyHandle, Index, KeyValueInformationClass, KeyValueInformation, Length, ResultLength));
}

/**
 * ZwSetValueKey: creates or replaces the value ValueName with DataSize bytes at Data, of type Type
 * (stored as given: the registry does not check a REG_DWORD's size). `Data` is an address, or a
 * local buffer (Uint8Array).
 */
export function ZwSetValueKey(KeyHandle: number, ValueName: NameArgument, TitleIndex: number, Type: number, Data: RegBuffer | null, DataSize: number): NTSTATUS {
  return run("ZwSetValueKey", (t) => {
    const name = valueName("ZwSetValueKey", ValueName);
    if (typeof name === "number") return name;
    return setValueKey(t, KernelMode, KeyHandle, name, Type, Data, DataSize);
  });
}

/** ZwDeleteValueKey: removes the value; STATUS_OBJECT_NAME_NOT_FOUND when the key has none of that name. */
export function ZwDeleteValueKey(KeyHandle: number, ValueName: NameArgument): NTSTATUS {
  return run("ZwDeleteValueKey", (t) => {
    const name = valueName("ZwDeleteValueKey", ValueName);
    if (typeof name === "number") return name;
    return deleteValueKey(t, KernelMode, KeyHandle, name);
  });
}

// ---- Rtl registry helpers ---------------------------------------------------------------------

/** RTL_REGISTRY_ABSOLUTE: Path is a full registry path ("\Registry\Machine\…"). */
export const RTL_REGISTRY_ABSOLUTE = 0;
/** RTL_REGISTRY_SERVICES: Path is relative to \Registry\Machine\System\CurrentControlSet\Services. */
export const RTL_REGISTRY_SERVICES = 1;
/** RTL_REGISTRY_CONTROL: Path is relative to \Registry\Machine\System\CurrentControlSet\Control. */
export const RTL_REGISTRY_CONTROL = 2;
/** RTL_REGISTRY_WINDOWS_NT: Path is relative to \Registry\Machine\Software\Microsoft\Windows NT\CurrentVersion. */
export const RTL_REGISTRY_WINDOWS_NT = 3;
/** RTL_REGISTRY_DEVICEMAP: Path is relative to \Registry\Machine\Hardware\DeviceMap. */
export const RTL_REGISTRY_DEVICEMAP = 4;
/** RTL_REGISTRY_USER: Path is relative to the current user's key (\Registry\User\<the current process's user SID>). */
export const RTL_REGISTRY_USER = 5;
/** RTL_REGISTRY_HANDLE: Path is a key handle, not a name. */
export const RTL_REGISTRY_HANDLE = 0x40000000;
/** RTL_REGISTRY_OPTIONAL: the key is optional: a missing one is success with nothing queried. */
export const RTL_REGISTRY_OPTIONAL = 0x80000000;

/** RTL_QUERY_REGISTRY_SUBKEY: the entry's Name is a subkey; the entries after it read that subkey. */
export const RTL_QUERY_REGISTRY_SUBKEY = 0x00000001;
/** RTL_QUERY_REGISTRY_TOPKEY: the entries after this one read the key Path named again. */
export const RTL_QUERY_REGISTRY_TOPKEY = 0x00000002;
/** RTL_QUERY_REGISTRY_REQUIRED: a missing value (with no default) fails the query with STATUS_OBJECT_NAME_NOT_FOUND. */
export const RTL_QUERY_REGISTRY_REQUIRED = 0x00000004;
/** RTL_QUERY_REGISTRY_NOVALUE: call QueryRoutine once, with no value. */
export const RTL_QUERY_REGISTRY_NOVALUE = 0x00000008;
/** RTL_QUERY_REGISTRY_NOEXPAND: give REG_EXPAND_SZ unexpanded and REG_MULTI_SZ whole. */
export const RTL_QUERY_REGISTRY_NOEXPAND = 0x00000010;
/** RTL_QUERY_REGISTRY_DIRECT: no QueryRoutine; the value is stored at EntryContext. */
export const RTL_QUERY_REGISTRY_DIRECT = 0x00000020;
/** RTL_QUERY_REGISTRY_DELETE: delete the value once it has been queried. */
export const RTL_QUERY_REGISTRY_DELETE = 0x00000040;
/** RTL_QUERY_REGISTRY_NOSTRING: with DIRECT, a string value is refused (STATUS_INVALID_PARAMETER). */
export const RTL_QUERY_REGISTRY_NOSTRING = 0x00000080;
/** RTL_QUERY_REGISTRY_TYPECHECK: with DIRECT, the value's type must be the one in DefaultType's top byte (STATUS_OBJECT_TYPE_MISMATCH otherwise). */
export const RTL_QUERY_REGISTRY_TYPECHECK = 0x00000100;
/** RTL_QUERY_REGISTRY_TYPECHECK_SHIFT: where the expected type sits in DefaultType. */
export const RTL_QUERY_REGISTRY_TYPECHECK_SHIFT = 24;

/**
 * PRTL_QUERY_REGISTRY_ROUTINE: called for a value RtlQueryRegistryValues found (or its default).
 * ValueData is the address of a copy of the data in paged pool, valid during the call; a failing
 * status ends the query with it.
 */
export type RTL_QUERY_REGISTRY_ROUTINE = (ValueName: string, ValueType: number, ValueData: number, ValueLength: number, Context: unknown, EntryContext: unknown) => NTSTATUS;

/**
 * Where RTL_QUERY_REGISTRY_DIRECT stores a value: for a REG_DWORD (or other data of at most four
 * bytes) a ULONG variable (`{ value }`, or its address); for a string a UNICODE_STRING (with a
 * NULL Buffer one is allocated from paged pool, freed with RtlFreeUnicodeString; else the string
 * is copied into its buffer, STATUS_BUFFER_TOO_SMALL when it does not fit); for longer data a
 * local Uint8Array large enough for it.
 */
export type RtlQueryDirectTarget = InOut<number> | number | UNICODE_STRING | Uint8Array;

/** RTL_QUERY_REGISTRY_TABLE: one entry of the query table RtlQueryRegistryValues walks. */
export interface RTL_QUERY_REGISTRY_TABLE {
  /** QueryRoutine: called with each value found (NULL with RTL_QUERY_REGISTRY_DIRECT). */
  QueryRoutine?: RTL_QUERY_REGISTRY_ROUTINE | null;
  /** Flags: RTL_QUERY_REGISTRY_*. */
  Flags: number;
  /** Name: the value's name (NULL: every value of the key, for a QueryRoutine), or a subkey's with RTL_QUERY_REGISTRY_SUBKEY. */
  Name?: string | null;
  /** EntryContext: given to QueryRoutine, or the target of RTL_QUERY_REGISTRY_DIRECT. */
  EntryContext?: unknown;
  /** DefaultType: the type of the default used when the value is missing (REG_NONE: no default); its top byte is the type RTL_QUERY_REGISTRY_TYPECHECK expects. */
  DefaultType?: number;
  /** DefaultData: the default's data — `{ value }` for a ULONG, a string for REG_SZ, a Uint8Array, or an address. */
  DefaultData?: InOut<number> | string | Uint8Array | number | null;
  /** DefaultLength: the default's length in bytes (0 for a REG_SZ default: its length is counted). */
  DefaultLength?: number;
}

/** The key RelativeTo and Path name, as an absolute path; or a key handle for RTL_REGISTRY_HANDLE. */
function rtlPath(t: KThread, RelativeTo: number, Path: NameArgument | number | null, api: string): { path: string } | { handle: number } | NTSTATUS {
  const rel = (RelativeTo & ~RTL_REGISTRY_OPTIONAL) >>> 0;
  if (rel === RTL_REGISTRY_HANDLE) return typeof Path === "number" ? { handle: Path } : STATUS_INVALID_PARAMETER;
  if (typeof Path === "number") return STATUS_INVALID_PARAMETER;
  const text = Path === null ? "" : nameArgumentText(api, "Path", Path);
  if (typeof text === "number") return text;
  const bases: Record<number, string> = {
    [RTL_REGISTRY_SERVICES]: "\\Registry\\Machine\\System\\CurrentControlSet\\Services",
    [RTL_REGISTRY_CONTROL]: "\\Registry\\Machine\\System\\CurrentControlSet\\Control",
    [RTL_REGISTRY_WINDOWS_NT]: "\\Registry\\Machine\\Software\\Microsoft\\Windows NT\\CurrentVersion",
    [RTL_REGISTRY_DEVICEMAP]: "\\Registry\\Machine\\Hardware\\DeviceMap",
    [RTL_REGISTRY_USER]: `\\Registry\\User\\${processToken(t.currentProcess).user}`,
  };
  if (rel === RTL_REGISTRY_ABSOLUTE) return { path: text };
  const base = bases[rel];
  if (base === undefined) return STATUS_INVALID_PARAMETER;
  return { path: text === "" ? base : text.startsWith("\\") ? text : `${base}\\${text}` };
}

/**
 * The key RelativeTo and Path name (with `create`, its last component is created when missing, as
 * ZwCreateKey would), or why not. The Rtl helpers work on the key itself rather than through a
 * handle of their own, which is what their open-query-close amounts to.
 */
function rtlKey(t: KThread, RelativeTo: number, Path: NameArgument | number | null, create: boolean, api: string): RegistryKey | NTSTATUS {
  const p = rtlPath(t, RelativeTo, Path, api);
  if (typeof p === "number") return p;
  if ("handle" in p) {
    const r = referenceKey(t, KernelMode, p.handle, 0);
    if (!r.object) return r.status;
    t.machine.ob.dereference(r.object);
    return r.object.key;
  }
  const hive = registryOf(t.machine);
  const parts = splitPath(p.path);
  if (parts === null || !p.path.startsWith("\\")) return parts === null ? STATUS_OBJECT_NAME_INVALID : STATUS_OBJECT_PATH_SYNTAX_BAD;
  const found = hive.find(p.path);
  if (found || !create) return found ?? STATUS_OBJECT_NAME_NOT_FOUND;
  const last = parts[parts.length - 1];
  const parent = hive.find(`\\${parts.slice(0, -1).join("\\")}`);
  if (!parent || last === undefined) return STATUS_OBJECT_NAME_NOT_FOUND;
  if (parent.volatile && parent.parent !== null) return STATUS_CHILD_MUST_BE_VOLATILE;
  return hive.createSubkey(parent, last, false, "");
}

/** A value as RtlQueryRegistryValues hands it on: its type and bytes. */
interface FoundValue {
  readonly name: string;
  readonly type: number;
  readonly data: Uint8Array;
}

/** A copy of a key's values (a QueryRoutine may change the key while the query walks it). */
function keyValues(k: RegistryKey): FoundValue[] | NTSTATUS {
  if (k.deleted) return STATUS_KEY_DELETED;
  return [...k.values.values()].map((v) => ({ name: v.name, type: v.type, data: v.data.slice() }));
}

/** The data of a default: DefaultData read as its type says. */
function defaultBytes(t: KThread, e: RTL_QUERY_REGISTRY_TABLE): Uint8Array {
  const d = e.DefaultData ?? null;
  const type = (e.DefaultType ?? REG_NONE) & 0xffffff;
  const length = e.DefaultLength ?? 0;
  if (d === null) return new Uint8Array(0);
  if (typeof d === "string") {
    const b = regSzBytes(d);
    return length > 0 ? b.slice(0, length) : b;
  }
  if (d instanceof Uint8Array) return d.slice(0, length > 0 ? length : d.length);
  if (typeof d === "number") {
    // An address: a string default of length 0 is counted up to its NUL.
    if ((type === REG_SZ || type === REG_EXPAND_SZ) && length === 0) return regSzBytes(t.machine.mmu.readWideString(d));
    return length === 0 ? new Uint8Array(0) : t.machine.mmu.readBytes(d, length).slice();
  }
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, d.value >>> 0, true);
  return length > 0 && length < 4 ? b.slice(0, length) : b;
}

/** REG_EXPAND_SZ expansion against the system environment (the variables a driver's paths use). */
function expand(text: string): string {
  const env: Record<string, string> = { SYSTEMROOT: "C:\\Windows", WINDIR: "C:\\Windows", SYSTEMDRIVE: "C:", PROGRAMFILES: "C:\\Program Files" };
  return text.replace(/%([^%]+)%/g, (all, name: string) => env[name.toUpperCase()] ?? all);
}

/** Stores a value at a DIRECT entry's EntryContext. */
function storeDirect(t: KThread, e: RTL_QUERY_REGISTRY_TABLE, type: number, data: Uint8Array): NTSTATUS {
  const target = e.EntryContext;
  const isString = type === REG_SZ || type === REG_EXPAND_SZ || type === REG_MULTI_SZ;
  if (isString) {
    if (e.Flags & RTL_QUERY_REGISTRY_NOSTRING) return STATUS_INVALID_PARAMETER;
    if (!(target instanceof UNICODE_STRING)) return badPointer("RtlQueryRegistryValues", "EntryContext", target, "a UNICODE_STRING for a string value");
    let text: string;
    if (type === REG_MULTI_SZ) text = multiSzList(data).map((s) => `${s}\0`).join("");
    else text = type === REG_EXPAND_SZ && !(e.Flags & RTL_QUERY_REGISTRY_NOEXPAND) ? expand(utf16Text(data)) : utf16Text(data);
    if (target.Buffer === 0) return createUnicodeString(t, target, text) ? STATUS_SUCCESS : STATUS_INSUFFICIENT_RESOURCES;
    if (text.length * 2 + 2 > target.MaximumLength) return STATUS_BUFFER_TOO_SMALL;
    t.machine.mmu.writeWideString(target.Buffer, text);
    target.Length = text.length * 2;
    return STATUS_SUCCESS;
  }
  if (target instanceof Uint8Array) {
    if (target.length < data.length) return STATUS_BUFFER_TOO_SMALL;
    target.set(data);
    return STATUS_SUCCESS;
  }
  if (data.length > 4) {
    if (typeof target === "number") {
      // The C convention for data longer than a ULONG: the buffer's first LONG holds minus its size.
      const room = -(t.machine.mmu.readU32(target) | 0);
      if (room < data.length) return STATUS_BUFFER_TOO_SMALL;
      t.machine.mmu.writeBytes(target, data);
      return STATUS_SUCCESS;
    }
    return STATUS_BUFFER_TOO_SMALL;
  }
  const padded = new Uint8Array(4);
  padded.set(data);
  const v = new DataView(padded.buffer).getUint32(0, true);
  if (typeof target === "number") t.machine.mmu.writeU32(target, v);
  else if (typeof target === "object" && target !== null && "value" in target) (target as InOut<number>).value = v;
  else return badPointer("RtlQueryRegistryValues", "EntryContext", target, "a ULONG variable ({ value }) or its address");
  return STATUS_SUCCESS;
}

/** Calls an entry's QueryRoutine with a pool copy of the data (REG_MULTI_SZ split and REG_EXPAND_SZ expanded unless NOEXPAND). */
function callRoutine(t: KThread, e: RTL_QUERY_REGISTRY_TABLE, name: string, type: number, data: Uint8Array, Context: unknown): NTSTATUS {
  const routine = e.QueryRoutine;
  if (typeof routine !== "function") return STATUS_INVALID_PARAMETER;
  const pieces: { type: number; data: Uint8Array }[] = [];
  if (!(e.Flags & RTL_QUERY_REGISTRY_NOEXPAND) && type === REG_MULTI_SZ) for (const s of multiSzList(data)) pieces.push({ type: REG_SZ, data: regSzBytes(s) });
  else if (!(e.Flags & RTL_QUERY_REGISTRY_NOEXPAND) && type === REG_EXPAND_SZ) pieces.push({ type: REG_SZ, data: regSzBytes(expand(utf16Text(data))) });
  else pieces.push({ type, data });
  for (const p of pieces) {
    const at = p.data.length === 0 ? 0 : ExAllocatePoolWithTag(1, p.data.length, "RtlQ");
    if (p.data.length !== 0 && at === 0) return STATUS_INSUFFICIENT_RESOURCES;
    try {
      if (at !== 0) t.machine.mmu.writeBytes(at, p.data);
      const s = routine(name, p.type, at, p.data.length, Context, e.EntryContext) >>> 0;
      if (!NT_SUCCESS(s)) return s;
    } finally {
      if (at !== 0) ExFreePool(at);
    }
  }
  return STATUS_SUCCESS;
}

/**
 * RtlQueryRegistryValues: reads the values a query table names from the key RelativeTo and Path
 * give (RTL_REGISTRY_ABSOLUTE, _SERVICES, _CONTROL, _WINDOWS_NT, _DEVICEMAP, _USER, _HANDLE; with
 * RTL_REGISTRY_OPTIONAL a missing key is success). For each entry, until the one whose
 * QueryRoutine and Name are both NULL (or the end of the array): RTL_QUERY_REGISTRY_SUBKEY moves
 * to a subkey, TOPKEY back; a DIRECT entry stores the value at EntryContext (see
 * RtlQueryDirectTarget; RTL_QUERY_REGISTRY_TYPECHECK makes a value of another type
 * STATUS_OBJECT_TYPE_MISMATCH); otherwise QueryRoutine is called with the value (for a NULL Name,
 * with every value of the key). A missing value uses the entry's default (DefaultType not
 * REG_NONE), else is STATUS_OBJECT_NAME_NOT_FOUND with RTL_QUERY_REGISTRY_REQUIRED and skipped
 * without it. RTL_QUERY_REGISTRY_DELETE deletes the value afterwards. A missing key is
 * STATUS_OBJECT_NAME_NOT_FOUND. Environment (for expanding REG_EXPAND_SZ) is ignored: the system's
 * variables (%SystemRoot%, %windir%…) are used.
 */
export function RtlQueryRegistryValues(RelativeTo: number, Path: NameArgument | number | null, QueryTable: readonly RTL_QUERY_REGISTRY_TABLE[], Context: unknown, _Environment: unknown): NTSTATUS {
  return run("RtlQueryRegistryValues", (t) => {
    const table: unknown = QueryTable;
    if (!Array.isArray(table)) return badPointer("RtlQueryRegistryValues", "QueryTable", table, "an array of RTL_QUERY_REGISTRY_TABLE entries");
    if (typeof RelativeTo !== "number") return STATUS_INVALID_PARAMETER;
    const top = rtlKey(t, RelativeTo, Path, false, "RtlQueryRegistryValues");
    if (typeof top === "number") return top === STATUS_OBJECT_NAME_NOT_FOUND && RelativeTo & RTL_REGISTRY_OPTIONAL ? STATUS_SUCCESS : top;
    const hive = registryOf(t.machine);
    let current = top;
    let status: NTSTATUS = STATUS_SUCCESS;
    for (const entry of table as unknown[]) {
      if (typeof entry !== "object" || entry === null) return badPointer("RtlQueryRegistryValues", "QueryTable", entry, "RTL_QUERY_REGISTRY_TABLE entries");
      const e = entry as RTL_QUERY_REGISTRY_TABLE;
      const flags = typeof e.Flags === "number" ? e.Flags >>> 0 : 0;
      const name = e.Name ?? null;
      if (name !== null && typeof name !== "string") return badPointer("RtlQueryRegistryValues", "Name", name, "a string or NULL");
      if (!e.QueryRoutine && name === null && !(flags & (RTL_QUERY_REGISTRY_SUBKEY | RTL_QUERY_REGISTRY_TOPKEY))) break;
      if (flags & (RTL_QUERY_REGISTRY_TOPKEY | RTL_QUERY_REGISTRY_SUBKEY)) current = top;
      if (flags & RTL_QUERY_REGISTRY_SUBKEY) {
        if (name === null) return STATUS_INVALID_PARAMETER;
        const parts = splitPath(name);
        const sub = parts === null ? null : hive.walk(top, parts);
        if (!sub) return STATUS_OBJECT_NAME_NOT_FOUND;
        current = sub;
        if (!e.QueryRoutine) continue;
      }
      if (flags & RTL_QUERY_REGISTRY_NOVALUE) {
        status = callRoutine(t, { ...e, Flags: flags | RTL_QUERY_REGISTRY_NOEXPAND }, name ?? "", REG_NONE, new Uint8Array(0), Context);
        if (!NT_SUCCESS(status)) return status;
        continue;
      }
      const values = keyValues(current);
      if (typeof values === "number") return values;
      const direct = (flags & RTL_QUERY_REGISTRY_DIRECT) !== 0;
      if (name === null || (flags & RTL_QUERY_REGISTRY_SUBKEY && !direct)) {
        if (direct) return STATUS_INVALID_PARAMETER;
        for (const v of values) {
          status = callRoutine(t, e, v.name, v.type, v.data, Context);
          if (!NT_SUCCESS(status)) return status;
        }
        continue;
      }
      const found = values.find((v) => v.name.toUpperCase() === name.toUpperCase());
      let type: number;
      let data: Uint8Array;
      if (found) {
        type = found.type;
        data = found.data;
      } else {
        const defaultType = (e.DefaultType ?? REG_NONE) & 0xffffff;
        if (defaultType === REG_NONE) {
          if (flags & RTL_QUERY_REGISTRY_REQUIRED) return STATUS_OBJECT_NAME_NOT_FOUND;
          continue;
        }
        type = defaultType;
        data = defaultBytes(t, e);
      }
      if (direct) {
        if (flags & RTL_QUERY_REGISTRY_TYPECHECK && found) {
          const expected = (e.DefaultType ?? 0) >>> RTL_QUERY_REGISTRY_TYPECHECK_SHIFT;
          if (expected !== type) return STATUS_OBJECT_TYPE_MISMATCH;
        }
        status = storeDirect(t, e, type, data);
      } else status = callRoutine(t, e, name, type, data, Context);
      if (!NT_SUCCESS(status)) return status;
      if (flags & RTL_QUERY_REGISTRY_DELETE && found) current.values.delete(name.toUpperCase());
    }
    return status;
  });
}

/** Reads a PVOID value argument: an address, a local buffer, a `{ value }` ULONG, or a string (its UTF-16 characters and NUL). */
function valueData(ValueData: RegBuffer | InOut<number> | string | null): RegBuffer | null {
  if (ValueData === null || typeof ValueData === "number" || ValueData instanceof Uint8Array) return ValueData;
  if (typeof ValueData === "string") return regSzBytes(ValueData);
  if (typeof ValueData === "object" && "value" in ValueData) {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, ValueData.value >>> 0, true);
    return b;
  }
  return badPointer("RtlWriteRegistryValue", "ValueData", ValueData, "a buffer");
}

/**
 * RtlWriteRegistryValue: sets ValueName in the key RelativeTo and Path name (created if it does not
 * exist; its parent must) to ValueLength bytes of ValueData — an address, a Uint8Array, a
 * `{ value }` ULONG (C's &ulong) or a string (C's L"…", its NUL included).
 */
export function RtlWriteRegistryValue(RelativeTo: number, Path: NameArgument | number, ValueName: NameArgument, ValueType: number, ValueData: RegBuffer | InOut<number> | string | null, ValueLength: number): NTSTATUS {
  return run("RtlWriteRegistryValue", (t) => {
    const name = valueName("RtlWriteRegistryValue", ValueName);
    if (typeof name === "number") return name;
    const data = valueData(ValueData);
    if (typeof ValueType !== "number" || typeof ValueLength !== "number" || !Number.isInteger(ValueLength) || ValueLength < 0) return STATUS_INVALID_PARAMETER;
    if (data instanceof Uint8Array && data.length < ValueLength) return STATUS_INVALID_PARAMETER;
    if ((data === null || data === 0) && ValueLength !== 0) return STATUS_INVALID_PARAMETER;
    const k = rtlKey(t, RelativeTo, Path, true, "RtlWriteRegistryValue");
    if (typeof k === "number") return k;
    const bytes = data === null || ValueLength === 0 ? new Uint8Array(0) : typeof data === "number" ? t.machine.mmu.readBytes(data, ValueLength).slice() : data.slice(0, ValueLength);
    registryOf(t.machine).setValue(k, name, ValueType, bytes);
    return STATUS_SUCCESS;
  });
}

/** RtlDeleteRegistryValue: deletes ValueName from the key RelativeTo and Path name; STATUS_OBJECT_NAME_NOT_FOUND for a missing key or value. */
export function RtlDeleteRegistryValue(RelativeTo: number, Path: NameArgument | number, ValueName: NameArgument): NTSTATUS {
  return run("RtlDeleteRegistryValue", (t) => {
    const name = valueName("RtlDeleteRegistryValue", ValueName);
    if (typeof name === "number") return name;
    const k = rtlKey(t, RelativeTo, Path, false, "RtlDeleteRegistryValue");
    if (typeof k === "number") return k;
    if (!k.values.delete(name.toUpperCase())) return STATUS_OBJECT_NAME_NOT_FOUND;
    k.lastWriteTime = t.machine.now;
    return STATUS_SUCCESS;
  });
}

/** RtlCheckRegistryKey: STATUS_SUCCESS when the key RelativeTo and Path name exists, STATUS_OBJECT_NAME_NOT_FOUND when not. */
export function RtlCheckRegistryKey(RelativeTo: number, Path: NameArgument | number): NTSTATUS {
  return run("RtlCheckRegistryKey", (t) => {
    const k = rtlKey(t, RelativeTo, Path, false, "RtlCheckRegistryKey");
    return typeof k === "number" ? k : STATUS_SUCCESS;
  });
}

/** RtlCreateRegistryKey: creates the key RelativeTo and Path name (its parent must exist); success when it exists already. */
export function RtlCreateRegistryKey(RelativeTo: number, Path: NameArgument): NTSTATUS {
  return run("RtlCreateRegistryKey", (t) => {
    const k = rtlKey(t, RelativeTo, Path, true, "RtlCreateRegistryKey");
    return typeof k === "number" ? k : STATUS_SUCCESS;
  });
}
