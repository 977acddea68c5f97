/**
 * The native registry API (NtCreateKey, NtOpenKey, NtQueryKey, NtEnumerateKey, NtDeleteKey,
 * NtFlushKey, NtQueryValueKey, NtEnumerateValueKey, NtSetValueKey, NtDeleteValueKey): each stub
 * enters the kernel with previous mode UserMode, so the services probe what the app passes — a
 * buffer, a length, a name outside the app's user space is STATUS_ACCESS_VIOLATION (a misaligned
 * one STATUS_DATATYPE_MISALIGNMENT), returned as the status — and check the handle's granted
 * access (STATUS_ACCESS_DENIED to set a value through a KEY_READ handle). The work is the kernel's
 * shared services (kernel/reg-services.ts), the same ones the Zw routines use.
 */
import { ProbeForRead } from "../kernel/api-rtl.js";
import { UserMode } from "../kernel/irql.js";
import { NtStatusError } from "../kernel/nt-status-error.js";
import type { OBJECT_ATTRIBUTES } from "../kernel/object-attributes.js";
import { deleteKey, deleteValueKey, enumerateKey, enumerateValueKey, flushKey, openKey, queryKey, queryValueKey, setValueKey } from "../kernel/reg-services.js";
import { UNICODE_STRING, unicodeStringText } from "../kernel/rtl-string.js";
import { STATUS_ACCESS_VIOLATION, STATUS_INVALID_HANDLE, STATUS_INVALID_PARAMETER, STATUS_SUCCESS, type NTSTATUS } from "../kernel/status.js";
import type { KThread } from "../kernel/thread.js";
import { service, userCaller } from "./syscall.js";
import { probeOut, probeWrite, storeOut, type POut } from "./types.js";

function statusOf(e: unknown): NTSTATUS {
  if (e instanceof NtStatusError) return e.status;
  throw e;
}

/**
 * A PUNICODE_STRING from user mode: a local UNICODE_STRING or its address (header and characters
 * probed), or a string — a name the Win32 layer captured in its own memory.
 */
export type PUserUnicodeString = UNICODE_STRING | number | string;

/** A buffer an Nt query writes: an address in the app's memory (probed), or the Win32 layer's own buffer (a Uint8Array). */
export type PUserBuffer = number | Uint8Array;

/**
 * Captures a user-mode counted name (ValueName, Class): its text, or the status of the probe that
 * failed. A TypeScript string is a name advapi32 already holds in its own memory (trusted).
 */
export function captureUserName(v: unknown): string | NTSTATUS {
  if (typeof v === "string") return v;
  try {
    let us: UNICODE_STRING;
    if (typeof v === "number") {
      ProbeForRead(v, UNICODE_STRING.size, 4);
      us = UNICODE_STRING.at(v);
    } else if (v instanceof UNICODE_STRING) us = v;
    else return STATUS_ACCESS_VIOLATION;
    if (us.Length === 0) return "";
    if (us.Length % 2 !== 0 || us.Length > us.MaximumLength) return STATUS_INVALID_PARAMETER;
    ProbeForRead(us.Buffer, us.Length, 2);
    return unicodeStringText(us);
  } catch (e) {
    return statusOf(e);
  }
}

/** Probes an output buffer and a ResultLength for a query: the buffer for write (alignment 4), ResultLength as a ULONG. */
function probeQuery(t: KThread, buffer: unknown, Length: unknown, ResultLength: POut): NTSTATUS {
  try {
    probeOut(t, ResultLength);
    if (typeof Length !== "number" || !Number.isInteger(Length) || Length < 0) return STATUS_INVALID_PARAMETER;
    if (buffer instanceof Uint8Array) return Length <= buffer.length ? STATUS_SUCCESS : STATUS_INVALID_PARAMETER;
    if (Length > 0) {
      if (typeof buffer !== "number") return STATUS_ACCESS_VIOLATION;
      probeWrite(t, buffer, Length, 4);
    }
    return STATUS_SUCCESS;
  } catch (e) {
    return statusOf(e);
  }
}

/** A ResultLength sink for the services: stores through the probed out-parameter. */
function resultSink(t: KThread, ResultLength: POut): { value: number } {
  const sink = {
    set value(v: number) {
      storeOut(t, ResultLength, v);
    },
    get value(): number {
      return 0;
    },
  };
  return sink;
}

// ---- Keys -------------------------------------------------------------------------------------

/** NtCreateKey's work for `t` (kernel32's and advapi32's entry too). */
export function ntCreateKey(t: KThread, KeyHandle: POut, DesiredAccess: number, ObjectAttributes: OBJECT_ATTRIBUTES | number, TitleIndex: number, Class: PUserUnicodeString | null, CreateOptions: number, Disposition: POut | null): NTSTATUS {
  return service(t, () => {
    try {
      probeOut(t, KeyHandle);
      if (Disposition !== null && Disposition !== 0) probeOut(t, Disposition);
    } catch (e) {
      return statusOf(e);
    }
    const cls = Class === null || Class === 0 ? null : captureUserName(Class);
    if (typeof cls === "number") return cls;
    const r = openKey(t, UserMode, DesiredAccess, ObjectAttributes, { TitleIndex, Class: cls, CreateOptions });
    if (r.handle !== 0) {
      storeOut(t, KeyHandle, r.handle);
      if (Disposition !== null && Disposition !== 0) storeOut(t, Disposition, r.disposition);
    }
    return r.status;
  });
}

/**
 * NtCreateKey: opens the key ObjectAttributes names, or creates its last component
 * (REG_CREATED_NEW_KEY or REG_OPENED_EXISTING_KEY at Disposition); the handle at KeyHandle. A
 * missing parent is STATUS_OBJECT_NAME_NOT_FOUND; asking a standard user's write access under
 * \Registry\Machine is STATUS_ACCESS_DENIED.
 */
export function NtCreateKey(KeyHandle: POut, DesiredAccess: number, ObjectAttributes: OBJECT_ATTRIBUTES | number, TitleIndex: number, Class: PUserUnicodeString | null, CreateOptions: number, Disposition: POut | null): NTSTATUS {
  return ntCreateKey(userCaller("NtCreateKey"), KeyHandle, DesiredAccess, ObjectAttributes, TitleIndex, Class, CreateOptions, Disposition);
}

/** NtOpenKey's work for `t`. */
export function ntOpenKey(t: KThread, KeyHandle: POut, DesiredAccess: number, ObjectAttributes: OBJECT_ATTRIBUTES | number): NTSTATUS {
  return service(t, () => {
    try {
      probeOut(t, KeyHandle);
    } catch (e) {
      return statusOf(e);
    }
    const r = openKey(t, UserMode, DesiredAccess, ObjectAttributes, null);
    if (r.handle !== 0) storeOut(t, KeyHandle, r.handle);
    return r.status;
  });
}

/** NtOpenKey: a handle to the existing key ObjectAttributes names; STATUS_OBJECT_NAME_NOT_FOUND when there is none. */
export function NtOpenKey(KeyHandle: POut, DesiredAccess: number, ObjectAttributes: OBJECT_ATTRIBUTES | number): NTSTATUS {
  return ntOpenKey(userCaller("NtOpenKey"), KeyHandle, DesiredAccess, ObjectAttributes);
}

/** NtDeleteKey's work for `t`. */
export function ntDeleteKey(t: KThread, KeyHandle: number): NTSTATUS {
  return service(t, () => deleteKey(t, UserMode, KeyHandle));
}

/** NtDeleteKey: deletes a key with no subkeys (STATUS_CANNOT_DELETE otherwise); the handle needs DELETE. */
export function NtDeleteKey(KeyHandle: number): NTSTATUS {
  return ntDeleteKey(userCaller("NtDeleteKey"), KeyHandle);
}

/** NtFlushKey: checks the handle (nothing is written: a machine run is one boot). */
export function NtFlushKey(KeyHandle: number): NTSTATUS {
  const t = userCaller("NtFlushKey");
  return service(t, () => flushKey(t, UserMode, KeyHandle));
}

/** NtQueryKey's work for `t`. */
export function ntQueryKey(t: KThread, KeyHandle: number, KeyInformationClass: number, KeyInformation: PUserBuffer, Length: number, ResultLength: POut): NTSTATUS {
  return service(t, () => {
    const p = probeQuery(t, KeyInformation, Length, ResultLength);
    if (p !== STATUS_SUCCESS) return p;
    return queryKey(t, UserMode, KeyHandle, KeyInformationClass, KeyInformation, Length, resultSink(t, ResultLength));
  });
}

/** NtQueryKey: the key's KEY_*_INFORMATION at KeyInformation, with ZwQueryKey's buffer rule. */
export function NtQueryKey(KeyHandle: number, KeyInformationClass: number, KeyInformation: number, Length: number, ResultLength: POut): NTSTATUS {
  return ntQueryKey(userCaller("NtQueryKey"), KeyHandle, KeyInformationClass, KeyInformation, Length, ResultLength);
}

/** NtEnumerateKey's work for `t`. */
export function ntEnumerateKey(t: KThread, KeyHandle: number, Index: number, KeyInformationClass: number, KeyInformation: PUserBuffer, Length: number, ResultLength: POut): NTSTATUS {
  return service(t, () => {
    const p = probeQuery(t, KeyInformation, Length, ResultLength);
    if (p !== STATUS_SUCCESS) return p;
    return enumerateKey(t, UserMode, KeyHandle, Index, KeyInformationClass, KeyInformation, Length, resultSink(t, ResultLength));
  });
}

/** NtEnumerateKey: the subkey at Index; STATUS_NO_MORE_ENTRIES past the last. The handle needs KEY_ENUMERATE_SUB_KEYS. */
export function NtEnumerateKey(KeyHandle: number, Index: number, KeyInformationClass: number, KeyInformation: number, Length: number, ResultLength: POut): NTSTATUS {
  return ntEnumerateKey(userCaller("NtEnumerateKey"), KeyHandle, Index, KeyInformationClass, KeyInformation, Length, ResultLength);
}

// ---- Values -----------------------------------------------------------------------------------

/** NtQueryValueKey's work for `t`. */
export function ntQueryValueKey(t: KThread, KeyHandle: number, ValueName: PUserUnicodeString, KeyValueInformationClass: number, KeyValueInformation: PUserBuffer, Length: number, ResultLength: POut): NTSTATUS {
  return service(t, () => {
    const p = probeQuery(t, KeyValueInformation, Length, ResultLength);
    if (p !== STATUS_SUCCESS) return p;
    const name = captureUserName(ValueName);
    if (typeof name === "number") return name;
    return queryValueKey(t, UserMode, KeyHandle, name, KeyValueInformationClass, KeyValueInformation, Length, resultSink(t, ResultLength));
  });
}

/**
 * NtQueryValueKey: the value as a KEY_VALUE_*_INFORMATION at KeyValueInformation. ResultLength
 * always receives the size needed; STATUS_BUFFER_TOO_SMALL when the fixed part does not fit,
 * STATUS_BUFFER_OVERFLOW with the part that fits; STATUS_OBJECT_NAME_NOT_FOUND for no such value.
 * The handle needs KEY_QUERY_VALUE.
 */
export function NtQueryValueKey(KeyHandle: number, ValueName: PUserUnicodeString, KeyValueInformationClass: number, KeyValueInformation: number, Length: number, ResultLength: POut): NTSTATUS {
  return ntQueryValueKey(userCaller("NtQueryValueKey"), KeyHandle, ValueName, KeyValueInformationClass, KeyValueInformation, Length, ResultLength);
}

/** NtEnumerateValueKey's work for `t`. */
export function ntEnumerateValueKey(t: KThread, KeyHandle: number, Index: number, KeyValueInformationClass: number, KeyValueInformation: PUserBuffer, Length: number, ResultLength: POut): NTSTATUS {
  return service(t, () => {
    const p = probeQuery(t, KeyValueInformation, Length, ResultLength);
    if (p !== STATUS_SUCCESS) return p;
    return enumerateValueKey(t, UserMode, KeyHandle, Index, KeyValueInformationClass, KeyValueInformation, Length, resultSink(t, ResultLength));
  });
}

/** NtEnumerateValueKey: the value at Index (creation order); STATUS_NO_MORE_ENTRIES past the last. */
export function NtEnumerateValueKey(KeyHandle: number, Index: number, KeyValueInformationClass: number, KeyValueInformation: number, Length: number, ResultLength: POut): NTSTATUS {
  return ntEnumerateValueKey(userCaller("NtEnumerateValueKey"), KeyHandle, Index, KeyValueInformationClass, KeyValueInformation, Length, ResultLength);
}

/** NtSetValueKey's work for `t`. */
export function ntSetValueKey(t: KThread, KeyHandle: number, ValueName: PUserUnicodeString, _TitleIndex: number, Type: number, Data: PUserBuffer, DataSize: number): NTSTATUS {
  return service(t, () => {
    const name = captureUserName(ValueName);
    if (typeof name === "number") return name;
    if (typeof DataSize !== "number" || !Number.isInteger(DataSize) || DataSize < 0) return STATUS_INVALID_PARAMETER;
    try {
      if (Data instanceof Uint8Array) {
        if (Data.length < DataSize) return STATUS_INVALID_PARAMETER;
      } else if (DataSize > 0) {
        if (typeof Data !== "number") return STATUS_ACCESS_VIOLATION;
        ProbeForRead(Data, DataSize, 1);
      }
    } catch (e) {
      return statusOf(e);
    }
    return setValueKey(t, UserMode, KeyHandle, name, Type, DataSize > 0 ? Data : null, DataSize);
  });
}

/** NtSetValueKey: creates or replaces a value with DataSize bytes at Data (probed for read). The handle needs KEY_SET_VALUE: STATUS_ACCESS_DENIED through a KEY_READ handle. */
export function NtSetValueKey(KeyHandle: number, ValueName: PUserUnicodeString, TitleIndex: number, Type: number, Data: number, DataSize: number): NTSTATUS {
  return ntSetValueKey(userCaller("NtSetValueKey"), KeyHandle, ValueName, TitleIndex, Type, Data, DataSize);
}

/** NtDeleteValueKey's work for `t`. */
export function ntDeleteValueKey(t: KThread, KeyHandle: number, ValueName: PUserUnicodeString): NTSTATUS {
  return service(t, () => {
    const name = captureUserName(ValueName);
    if (typeof name === "number") return name;
    return deleteValueKey(t, UserMode, KeyHandle, name);
  });
}

/** NtDeleteValueKey: removes a value; STATUS_OBJECT_NAME_NOT_FOUND when there is none. The handle needs KEY_SET_VALUE. */
export function NtDeleteValueKey(KeyHandle: number, ValueName: PUserUnicodeString): NTSTATUS {
  return ntDeleteValueKey(userCaller("NtDeleteValueKey"), KeyHandle, ValueName);
}

/**
 * Closes a key handle advapi32 opened for its own use (the intermediate keys of RegCreateKeyEx, a
 * subkey RegGetValue read): NtClose's work, done at once — a key has no close or delete procedure
 * that could wait, so nothing is left for later.
 */
export function ntCloseKeyHandle(t: KThread, KeyHandle: number): NTSTATUS {
  return service(t, (m) => {
    const entry = t.currentProcess.handleTable.lookup(KeyHandle);
    if (!entry) return STATUS_INVALID_HANDLE;
    void m.ob.closeHandle(t.currentProcess, KeyHandle);
    return STATUS_SUCCESS;
  });
}
