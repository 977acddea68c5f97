/**
 * An object-name argument as the routines that take a PUNICODE_STRING name read it
 * (IoCreateDevice's DeviceName, IoCreateSymbolicLink's names, ObjectAttributes->ObjectName…):
 * a UNICODE_STRING (a local, one in emulated memory, or RTL_CONSTANT_STRING's), or — irpsim's
 * shorthand for a literal — a TypeScript string. One reader for all of them, so every routine
 * answers a bad name the same way: NT captures the name by reading the header and then Length
 * bytes at Buffer, so a Buffer at a bad address faults there (STATUS_ACCESS_VIOLATION, or the bug
 * check a kernel-mode fault on a bad system address is), and an odd Length — half a WCHAR — is
 * STATUS_OBJECT_NAME_INVALID, as ObpCaptureObjectName answers.
 */
import { badPointer } from "./bad-pointer.js";
import { UNICODE_STRING, unicodeStringText } from "./rtl-string.js";
import { STATUS_OBJECT_NAME_INVALID, type NTSTATUS } from "./status.js";

/** A name argument: a PUNICODE_STRING, or a string standing for a literal's UNICODE_STRING. */
export type NameArgument = string | UNICODE_STRING;

/**
 * The text of a name argument, or STATUS_OBJECT_NAME_INVALID for an odd Length. Anything that is
 * neither a string nor a UNICODE_STRING (NULL included: callers that accept NULL test for it
 * first) is the access violation of reading a UNICODE_STRING through that pointer.
 */
export function nameArgumentText(api: string, param: string, value: unknown): string | NTSTATUS {
  if (typeof value === "string") return value;
  if (!(value instanceof UNICODE_STRING)) return badPointer(api, param, value, "a UNICODE_STRING");
  if (value.Length % 2 !== 0) return STATUS_OBJECT_NAME_INVALID;
  return unicodeStringText(value);
}
