/**
 * What a kernel routine does with a pointer argument that is NULL, or that points at something
 * other than the structure it takes. On Windows the routine reads the structure through the
 * pointer: NULL (and the low addresses of a structure's fields) is never mapped, so the read faults
 * and raises STATUS_ACCESS_VIOLATION, which a driver's __try/__except can catch and which, when
 * nothing does, becomes bug check 0x1E KMODE_EXCEPTION_NOT_HANDLED (0x7E in a system thread). A
 * pointer to a structure of another type, or to freed memory that was reused, reads that memory's
 * bytes as the structure's: the routine then acts on garbage. irpsim raises the same access
 * violation for both — it does not act on fields that are not there — and its message names the
 * routine, the argument and what was passed, so the driver's line is found at once.
 */
import { NtStatusError } from "./nt-status-error.js";
import { STATUS_ACCESS_VIOLATION, STATUS_INVALID_PARAMETER } from "./status.js";

/** "NULL", "undefined", "the number 0x10", "a KEVENT", "a string". */
export function describeArgument(value: unknown): string {
  if (value === null) return "NULL";
  if (value === undefined) return "undefined (nothing was passed)";
  switch (typeof value) {
    case "number":
      return Number.isInteger(value) ? `the number 0x${(value >>> 0).toString(16).toUpperCase()}` : `the number ${String(value)}`;
    case "bigint":
      return `the bigint ${value.toString()}`;
    case "string":
      return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
    case "boolean":
      return String(value);
    case "function":
      return `a function (${value.name || "anonymous"})`;
    case "symbol":
      return "a symbol";
    default: {
      const label = (value as { label?: unknown }).label;
      const ctor = (value as { constructor?: { name?: unknown } }).constructor;
      const type = typeof ctor?.name === "string" && ctor.name !== "" ? ctor.name : "object";
      return typeof label === "string" ? `${label} (a ${type})` : Array.isArray(value) ? "an array" : `a ${type}`;
    }
  }
}

/**
 * Raises the access violation a routine's read through a bad pointer argument raises (see the
 * module's comment). `expected` names the structure ("an IRP", "an MDL").
 */
export function badPointer(api: string, param: string, value: unknown, expected: string): never {
  const address = typeof value === "number" && Number.isInteger(value) ? value >>> 0 : 0;
  throw new NtStatusError(
    STATUS_ACCESS_VIOLATION,
    `STATUS_ACCESS_VIOLATION: ${api} was passed ${describeArgument(value)} as ${param}, which must be ${expected}; reading it through the pointer faults`,
    { address, write: false },
  );
}

/** A class (for instanceof), abstract or not. */
type Structure<T> = abstract new (...args: never[]) => T;

/**
 * Checks that a pointer argument points at the structure the routine takes; raises {@link badPointer} otherwise.
 * One `instanceof` site for every class goes megamorphic: routines on the IOCTL round trip test
 * `instanceof` at their own call site and call badPointer themselves.
 */
export function checkPointer<T>(api: string, param: string, value: unknown, type: Structure<T>, expected: string): void {
  if (!(value instanceof type)) badPointer(api, param, value, expected);
}

/**
 * Checks a routine argument that must be a function (a callback the routine will call): NULL or
 * anything else is the access violation of a call through that pointer, raised when the routine
 * would make the call.
 */
export function checkRoutine(api: string, param: string, value: unknown): void {
  if (typeof value !== "function") {
    throw new NtStatusError(
      STATUS_ACCESS_VIOLATION,
      `STATUS_ACCESS_VIOLATION: ${api} calls ${param}, which is ${describeArgument(value)}, not a routine; the call through it faults`,
      { address: typeof value === "number" && Number.isInteger(value) ? value >>> 0 : 0, write: false },
    );
  }
}

/**
 * A timeout passed by pointer (PLARGE_INTEGER; null or undefined: none): its value, a whole
 * number. Anything else is a pointer the routine cannot read through: the access violation.
 */
export function checkTimeout(api: string, param: string, value: unknown): number | null {
  if (value === null || value === undefined) return null;
  if (typeof value === "number" && Number.isFinite(value)) return Math.trunc(value);
  return badPointer(api, param, value, "a LARGE_INTEGER (a whole number of 100 ns units) or NULL");
}

/**
 * A number passed by value (a length, a period, a count): no C caller can pass NaN, an infinity
 * or an object there. irpsim answers such a value with STATUS_INVALID_PARAMETER, raised, since
 * the routine has no status to return it in.
 */
export function checkNumber(api: string, param: string, value: unknown): number {
  if (typeof value === "number" && Number.isFinite(value)) return value;
  throw new NtStatusError(STATUS_INVALID_PARAMETER, `STATUS_INVALID_PARAMETER: ${api} was passed ${describeArgument(value)} as ${param}, which must be a finite number`);
}

/** Whether an optional pointer argument was given (not NULL); what a caller passes may not match its declared type. */
export function isGiven(value: unknown): boolean {
  return value !== null && value !== undefined;
}

/**
 * An object name a routine reads through its pointer (a literal, or a name with a string Buffer):
 * its text. Anything else is the access violation of reading it ({@link badPointer}).
 */
export function checkObjectName(api: string, param: string, value: unknown): string {
  if (typeof value === "string") return value;
  const buffer = typeof value === "object" && value !== null ? (value as { Buffer?: unknown }).Buffer : undefined;
  if (typeof buffer === "string") return buffer;
  return badPointer(api, param, value, "an object name (a UNICODE_STRING)");
}
