/**
 * The Interlocked* routines: atomic read-modify-write of a 32-bit variable or a pointer.
 *
 * A driver's shared counter is, in C, a `volatile LONG` in its device extension that it passes by
 * address (`InterlockedIncrement(&Ext->OutstandingIo)`). Here the variable is a {@link VOLATILE}
 * cell in the extension and the driver passes the cell (`InterlockedIncrement(Ext.OutstandingIo)`):
 * the call reads as the C does with the `&` dropped, the value is typed, and the driver's other
 * code reads it as `Ext.OutstandingIo.value`. A variable that lives in emulated memory (a counter in
 * a buffer shared with an app, a field of a structure in nonpaged pool) is passed by its virtual
 * address instead, and is read and written through the page tables like any other access (the
 * access rules, IRQL checks and faults apply).
 *
 * Each routine is a kernel call, so it is a place where "another processor" may act (an injection
 * point when an explorer installed an injector; nothing happens when none is installed): two
 * interlocked operations are atomic each, not together, as on a multiprocessor.
 */
import { badPointer, checkNumber } from "./bad-pointer.js";
import { currentMachine } from "./context.js";
import type { KThread } from "./thread.js";

/**
 * A `volatile` variable a driver updates with the Interlocked* routines: `VOLATILE<number>` is a
 * `volatile LONG`, `VOLATILE<IRP | null>` a `volatile PVOID` holding an IRP pointer.
 */
export class VOLATILE<T> {
  /** A variable holding `value`. */
  constructor(
    /** The variable's current value (read it plainly, as C reads a volatile). */
    public value: T,
  ) {}
}

/** `LONG volatile *`: a cell, or the virtual address of a 32-bit variable in emulated memory. */
export type PLONG = VOLATILE<number> | number;

function kernel(api: string): KThread {
  return currentMachine(api).kernelCall(api);
}

/** C's conversion to LONG: the low 32 bits, signed. */
function toLong(value: number): number {
  return value | 0;
}

/**
 * One atomic read-modify-write on a LONG: `update` receives the old value and returns the new
 * one; returns the old value. A NULL pointer faults as the CPU would (the access to address 0).
 */
function rmw(api: string, target: PLONG, update: (old: number) => number): number {
  const t = kernel(api);
  if (typeof target === "number") {
    const mmu = t.machine.mmu;
    // A locked instruction needs the page writable: probe for the write before reading.
    mmu.touchForWrite(target);
    const old = mmu.readU32(target) | 0;
    mmu.writeU32(target, toLong(update(old)) >>> 0);
    return old;
  }
  // A NULL (or missing) pointer: the CPU's access to address 0 faults; an object that is no
  // variable is a pointer to something else.
  if (!(target instanceof VOLATILE)) return notTheStructure(t, api, "the target", target, "a LONG variable (a VOLATILE cell or an address)");
  const old = toLong(target.value);
  target.value = toLong(update(old));
  return old;
}

/**
 * The fault a NULL pointer gives a kernel-mode access (an access violation, or a bug check at
 * raised IRQL): what a routine does when a driver passes NULL where a structure is required.
 */
export function nullDereference(t: KThread): never {
  t.machine.mmu.touchForWrite(0);
  // touchForWrite faults on page 0 in every context; this line is reached only if it did not.
  throw new Error("irpsim: address 0 was writable");
}

/**
 * A structure argument that is not the structure the routine takes: NULL (or 0) faults as
 * {@link nullDereference} does; anything else is the access violation of reading garbage through
 * the pointer ({@link badPointer}), never a host error from acting on fields that are not there.
 */
export function notTheStructure(t: KThread, api: string, param: string, value: unknown, expected: string): never {
  if (value === null || value === undefined || value === 0) nullDereference(t);
  return badPointer(api, param, value, expected);
}

/** InterlockedIncrement: adds 1 and returns the new value (LONG arithmetic: 0x7FFFFFFF + 1 wraps). */
export function InterlockedIncrement(Addend: PLONG): number {
  return toLong(rmw("InterlockedIncrement", Addend, (v) => v + 1) + 1);
}

/** InterlockedDecrement: subtracts 1 and returns the new value. */
export function InterlockedDecrement(Addend: PLONG): number {
  return toLong(rmw("InterlockedDecrement", Addend, (v) => v - 1) - 1);
}

/** InterlockedExchange: stores `Value` and returns the old value. */
export function InterlockedExchange(Target: PLONG, Value: number): number {
  const value = checkNumber("InterlockedExchange", "Value", Value);
  return rmw("InterlockedExchange", Target, () => value);
}

/** InterlockedExchangeAdd: adds `Value` and returns the old value. */
export function InterlockedExchangeAdd(Addend: PLONG, Value: number): number {
  const value = checkNumber("InterlockedExchangeAdd", "Value", Value);
  return rmw("InterlockedExchangeAdd", Addend, (v) => v + value);
}

/** InterlockedAdd: adds `Value` and returns the new value. */
export function InterlockedAdd(Addend: PLONG, Value: number): number {
  const value = checkNumber("InterlockedAdd", "Value", Value);
  return toLong(rmw("InterlockedAdd", Addend, (v) => v + value) + value);
}

/**
 * InterlockedCompareExchange: stores `ExChange` only if the variable equals `Comparand`; returns
 * the old value either way (the caller compares it with `Comparand` to know whether it stored).
 */
export function InterlockedCompareExchange(Destination: PLONG, ExChange: number, Comparand: number): number {
  const exchange = checkNumber("InterlockedCompareExchange", "ExChange", ExChange);
  const comparand = toLong(checkNumber("InterlockedCompareExchange", "Comparand", Comparand));
  return rmw("InterlockedCompareExchange", Destination, (v) => (v === comparand ? exchange : v));
}

/** InterlockedOr: ORs `Value` in and returns the old value. */
export function InterlockedOr(Destination: PLONG, Value: number): number {
  const value = checkNumber("InterlockedOr", "Value", Value);
  return rmw("InterlockedOr", Destination, (v) => v | value);
}

/** InterlockedAnd: ANDs `Value` in and returns the old value. */
export function InterlockedAnd(Destination: PLONG, Value: number): number {
  const value = checkNumber("InterlockedAnd", "Value", Value);
  return rmw("InterlockedAnd", Destination, (v) => v & value);
}

/** InterlockedXor: XORs `Value` in and returns the old value. */
export function InterlockedXor(Destination: PLONG, Value: number): number {
  const value = checkNumber("InterlockedXor", "Value", Value);
  return rmw("InterlockedXor", Destination, (v) => v ^ value);
}

/**
 * InterlockedExchangePointer: stores `Value` and returns the old pointer. A pointer variable in
 * emulated memory (a 32-bit address) is passed by its address, with a number as the value.
 */
export function InterlockedExchangePointer<T>(Target: VOLATILE<T>, Value: T): T;
export function InterlockedExchangePointer(Target: number, Value: number): number;
export function InterlockedExchangePointer<T>(Target: VOLATILE<T> | number, Value: T | number): T | number {
  if (typeof Target === "number") {
    // A pointer variable in memory holds an address: the value stored is a number.
    const value = checkNumber("InterlockedExchangePointer", "Value", Value);
    return rmw("InterlockedExchangePointer", Target, () => value) >>> 0;
  }
  const t = kernel("InterlockedExchangePointer");
  if (!(Target instanceof VOLATILE)) return notTheStructure(t, "InterlockedExchangePointer", "Target", Target, "a pointer variable (a VOLATILE cell or an address)");
  const old = Target.value;
  Target.value = Value as T;
  return old;
}

/**
 * InterlockedCompareExchangePointer: stores `Exchange` only if the pointer is `Comparand`
 * (compared by identity, as pointers are); returns the old pointer.
 */
export function InterlockedCompareExchangePointer<T>(Destination: VOLATILE<T>, Exchange: T, Comparand: T): T;
export function InterlockedCompareExchangePointer(Destination: number, Exchange: number, Comparand: number): number;
export function InterlockedCompareExchangePointer<T>(Destination: VOLATILE<T> | number, Exchange: T | number, Comparand: T | number): T | number {
  if (typeof Destination === "number") {
    const exchange = checkNumber("InterlockedCompareExchangePointer", "Exchange", Exchange);
    const comparand = checkNumber("InterlockedCompareExchangePointer", "Comparand", Comparand) >>> 0;
    return rmw("InterlockedCompareExchangePointer", Destination, (v) => (v >>> 0 === comparand ? exchange : v)) >>> 0;
  }
  const t = kernel("InterlockedCompareExchangePointer");
  if (!(Destination instanceof VOLATILE)) return notTheStructure(t, "InterlockedCompareExchangePointer", "Destination", Destination, "a pointer variable (a VOLATILE cell or an address)");
  const old = Destination.value;
  if (old === Comparand) Destination.value = Exchange as T;
  return old;
}
