/**
 * The object manager's namespace: one per machine, shared by every caller — a driver's
 * ZwCreateEvent or IoCreateNotificationEvent, an app's NtCreateEvent or kernel32's CreateEvent all
 * create and find named objects here, so "\BaseNamedObjects\Name" is the same object for both.
 *
 * What is modelled: the root directory and the directories objects are created in
 * (\BaseNamedObjects, \KernelObjects, \Callback); lookups are case-insensitive, as on a Windows
 * whose ObCaseInsensitive is at its default (1), with or without OBJ_CASE_INSENSITIVE; a temporary
 * object's name leaves the directory when its handle count drops to zero, a permanent one
 * (OBJ_PERMANENT) stays — the directory keeping the object alive — until ZwMakeTemporaryObject.
 * Device and driver objects and symbolic links (\Device, \Driver, \??, \GLOBAL??) are the I/O
 * manager's own tables: creating another kind of object under those directories is not built and
 * says so. Not modelled: directory objects as handles (RootDirectory), security descriptors on
 * named objects (every open is granted the access asked for), OBJ_EXCLUSIVE.
 */
import { GENERIC_ALL, MAXIMUM_ALLOWED } from "./access-rights.js";
import { insertHandleFor } from "./api-ps-ob.js";
import { KernelMode, type KPROCESSOR_MODE } from "./irql.js";
import type { Machine } from "./machine.js";
import { OBJ_OPENIF, OBJ_PERMANENT, OBJ_EXCLUSIVE, captureObjectAttributes, type OBJECT_ATTRIBUTES } from "./object-attributes.js";
import { objectTypeNamed } from "./object-types.js";
import type { KernelObject } from "./objects.js";
import { processToken } from "./security.js";
import {
  STATUS_INVALID_PARAMETER,
  STATUS_OBJECT_NAME_COLLISION,
  STATUS_OBJECT_NAME_EXISTS,
  STATUS_OBJECT_NAME_INVALID,
  STATUS_OBJECT_NAME_NOT_FOUND,
  STATUS_OBJECT_PATH_NOT_FOUND,
  STATUS_OBJECT_PATH_SYNTAX_BAD,
  STATUS_OBJECT_TYPE_MISMATCH,
  STATUS_PRIVILEGE_NOT_HELD,
  STATUS_SUCCESS,
  type NTSTATUS,
} from "./status.js";
import type { KThread } from "./thread.js";

/** The directories named objects are created in here (upper case: names compare case-insensitively). */
const OBJECT_DIRECTORIES = new Set(["\\", "\\BASENAMEDOBJECTS", "\\KERNELOBJECTS", "\\CALLBACK"]);
/** Root directories that exist on Windows but hold objects this namespace does not model. */
const OTHER_DIRECTORIES = new Set(["\\DEVICE", "\\DRIVER", "\\FILESYSTEM", "\\??", "\\GLOBAL??", "\\DOSDEVICES", "\\SESSIONS", "\\OBJECTTYPES", "\\RPC CONTROL", "\\WINDOWS", "\\KNOWNDLLS", "\\SECURITY", "\\ARCNAME"]);

/** A name in a directory. */
interface Entry {
  readonly object: KernelObject;
  /** OBJ_PERMANENT: the name stays (and the directory holds a reference) until made temporary. */
  permanent: boolean;
}

/** One machine's namespace: entries by upper-cased full path, and each named object's path. */
interface Namespace {
  readonly entries: Map<string, Entry>;
  readonly paths: Map<KernelObject, string>;
}

const namespaces = new WeakMap<Machine, Namespace>();

function namespaceOf(m: Machine): Namespace {
  let n = namespaces.get(m);
  if (!n) {
    n = { entries: new Map(), paths: new Map() };
    namespaces.set(m, n);
  }
  return n;
}

/**
 * Checks a full object name as ObpLookupObjectName walks it: a name not starting at the root (no
 * RootDirectory is built) is STATUS_OBJECT_PATH_SYNTAX_BAD; an empty component ("\\A\\\\B", a
 * trailing "\\") STATUS_OBJECT_NAME_INVALID; a directory on the way that does not exist
 * STATUS_OBJECT_PATH_NOT_FOUND. Returns the path's key (upper case).
 */
function resolvePath(name: string): string | NTSTATUS {
  if (!name.startsWith("\\")) return STATUS_OBJECT_PATH_SYNTAX_BAD;
  if (name === "\\") return "\\";
  const parts = name.slice(1).split("\\");
  if (parts.some((p) => p.length === 0)) return STATUS_OBJECT_NAME_INVALID;
  const key = name.toUpperCase();
  const parent = parts.length === 1 ? "\\" : key.slice(0, key.lastIndexOf("\\"));
  if (OBJECT_DIRECTORIES.has(parent)) return key;
  if (OTHER_DIRECTORIES.has(parent)) {
    throw new Error(`the object name ${name} is in ${name.slice(0, parent.length)}, which holds the I/O manager's objects (devices, drivers, symbolic links) or sessions: creating or opening other objects there is not built in irpsim; name the object in \\BaseNamedObjects, \\KernelObjects or \\Callback`);
  }
  return STATUS_OBJECT_PATH_NOT_FOUND;
}

/** The object named by `key`, "directory" for a directory, or null. */
function lookup(m: Machine, key: string): KernelObject | "directory" | null {
  if (OBJECT_DIRECTORIES.has(key) || OTHER_DIRECTORIES.has(key)) return "directory";
  return namespaceOf(m).entries.get(key)?.object ?? null;
}

/**
 * The handle count of `object` has dropped to zero (ObpDecrementHandleCount): a temporary named
 * object leaves its directory now, so the name can be created afresh while stale pointers to
 * the old object remain. A permanent one keeps its name.
 */
export function removeTemporaryName(m: Machine, object: KernelObject): void {
  const n = namespaces.get(m);
  const key = n?.paths.get(object);
  if (n === undefined || key === undefined) return;
  if (n.entries.get(key)?.permanent) return;
  n.entries.delete(key);
  n.paths.delete(object);
}

/**
 * Makes a permanent object temporary (ZwMakeTemporaryObject's work): the directory's reference
 * goes, and the name goes too once no handle remains.
 */
export function makeTemporary(m: Machine, object: KernelObject): void {
  const n = namespaces.get(m);
  const key = n?.paths.get(object);
  if (n === undefined || key === undefined) return;
  const e = n.entries.get(key);
  if (!e?.permanent) return;
  e.permanent = false;
  if (object.handleCount === 0) removeTemporaryName(m, object);
  m.ob.dereference(object);
}

/** The result of a create or open by name: the status, the handle (0 on failure) and the object. */
export interface NamedObjectResult {
  readonly status: NTSTATUS;
  readonly handle: number;
  readonly object: KernelObject | null;
}

const failed = (status: NTSTATUS): NamedObjectResult => ({ status, handle: 0, object: null });

/** The access a handle is granted: generic rights mapped by the type; MAXIMUM_ALLOWED is all (no security descriptors here). */
function grantedAccess(objectType: string, DesiredAccess: number): number {
  const type = objectTypeNamed(objectType);
  return DesiredAccess & MAXIMUM_ALLOWED ? type.mapAccess(GENERIC_ALL) : type.mapAccess(DesiredAccess >>> 0);
}

function refuseExclusive(attributes: number): void {
  if (attributes & OBJ_EXCLUSIVE) throw new Error("OBJ_EXCLUSIVE (an object only its creating process may open) is not built in irpsim");
}

/**
 * Creates a named or unnamed object and a handle to it, as ObInsertObject does after the type's
 * create routine (NtCreateEvent, NtCreateMutant, NtCreateSemaphore and their Zw forms). A name
 * already in use is STATUS_OBJECT_NAME_COLLISION, unless OBJ_OPENIF is set: then an object of the
 * same type is opened (STATUS_OBJECT_NAME_EXISTS, a success) and one of another type is
 * STATUS_OBJECT_TYPE_MISMATCH. OBJ_PERMANENT from user mode needs SeCreatePermanentPrivilege,
 * which only LocalSystem holds (STATUS_PRIVILEGE_NOT_HELD otherwise). `mode` is the previous mode;
 * `make` builds the new object, given its name.
 */
export function createNamedObject(t: KThread, mode: KPROCESSOR_MODE, ObjectAttributes: OBJECT_ATTRIBUTES | number | null, objectType: string, DesiredAccess: number, make: (name: string | null) => KernelObject): NamedObjectResult {
  const m = t.machine;
  // ACCESS_MASK is a ULONG passed by value: anything else is no value a caller could pass.
  if (typeof DesiredAccess !== "number" || !Number.isFinite(DesiredAccess)) return failed(STATUS_INVALID_PARAMETER);
  const c = captureObjectAttributes(ObjectAttributes, mode);
  if (typeof c === "number") return failed(c);
  refuseExclusive(c.attributes);
  const access = grantedAccess(objectType, DesiredAccess);
  const permanent = (c.attributes & OBJ_PERMANENT) !== 0;
  if (permanent && mode !== KernelMode && processToken(t.process).user !== "S-1-5-18") return failed(STATUS_PRIVILEGE_NOT_HELD);
  let key: string | null = null;
  if (c.name !== null) {
    const resolved = resolvePath(c.name);
    if (typeof resolved === "number") return failed(resolved);
    key = resolved;
    const existing = lookup(m, key);
    if (existing !== null) {
      if ((c.attributes & OBJ_OPENIF) === 0) return failed(STATUS_OBJECT_NAME_COLLISION);
      if (existing === "directory" || existing.objectType !== objectType) return failed(STATUS_OBJECT_TYPE_MISMATCH);
      return { status: STATUS_OBJECT_NAME_EXISTS, handle: insertHandleFor(t, existing, access, c.attributes), object: existing };
    }
  }
  const object = make(c.name);
  const handle = insertHandleFor(t, object, access, c.attributes);
  if (key !== null) {
    const n = namespaceOf(m);
    n.entries.set(key, { object, permanent });
    n.paths.set(object, key);
    if (permanent) m.ob.reference(object);
  }
  return { status: STATUS_SUCCESS, handle, object };
}

/**
 * Opens a named object of `objectType` (ObOpenObjectByName, as NtOpenEvent and its kin use it): a
 * NULL ObjectAttributes is STATUS_INVALID_PARAMETER, no name STATUS_OBJECT_NAME_INVALID, a name
 * nobody holds STATUS_OBJECT_NAME_NOT_FOUND (Win32 ERROR_FILE_NOT_FOUND), one held by another
 * type of object STATUS_OBJECT_TYPE_MISMATCH; path errors as for a create.
 */
export function openNamedObject(t: KThread, mode: KPROCESSOR_MODE, ObjectAttributes: OBJECT_ATTRIBUTES | number | null, objectType: string, DesiredAccess: number): NamedObjectResult {
  if (ObjectAttributes === null || ObjectAttributes === 0) return failed(STATUS_INVALID_PARAMETER);
  if (typeof DesiredAccess !== "number" || !Number.isFinite(DesiredAccess)) return failed(STATUS_INVALID_PARAMETER);
  const c = captureObjectAttributes(ObjectAttributes, mode);
  if (typeof c === "number") return failed(c);
  refuseExclusive(c.attributes);
  if (c.name === null) return failed(STATUS_OBJECT_NAME_INVALID);
  const key = resolvePath(c.name);
  if (typeof key === "number") return failed(key);
  const o = lookup(t.machine, key);
  if (o === null) return failed(STATUS_OBJECT_NAME_NOT_FOUND);
  if (o === "directory" || o.objectType !== objectType) return failed(STATUS_OBJECT_TYPE_MISMATCH);
  return { status: STATUS_SUCCESS, handle: insertHandleFor(t, o, grantedAccess(objectType, DesiredAccess), c.attributes), object: o };
}
