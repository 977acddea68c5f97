/**
 * Framework object handles as a driver sees them (wdftypes.h): opaque, typed values. Each handle
 * type carries a brand, so passing a WDFQUEUE where a WDFREQUEST is expected does not compile;
 * every handle converts to WDFOBJECT, as in C. At run time the framework checks the type again
 * (a handle forged with a cast, or one whose object was deleted, is WDF_VIOLATION 0x5).
 */

/**
 * The brand every handle carries. Framework objects never set it: it exists so that the handle
 * types are distinct to the compiler.
 */
export const WdfHandleBrand: unique symbol = Symbol("WdfHandle");

/** The framework's object types, by their handle names. */
export type WDF_HANDLE_TYPE =
  | "WDFDRIVER"
  | "WDFDEVICE"
  | "WDFQUEUE"
  | "WDFREQUEST"
  | "WDFFILEOBJECT"
  | "WDFMEMORY"
  | "WDFSPINLOCK"
  | "WDFWAITLOCK"
  | "WDFTIMER"
  | "WDFDPC"
  | "WDFWORKITEM"
  | "WDFCOLLECTION"
  | "WDFIOTARGET"
  | "WDFKEY"
  | "WDFSTRING"
  | "WDFOBJECT";

/** WDFOBJECT: any framework object (WdfObjectCreate makes a plain one). */
export interface WDFOBJECT {
  /** The brand: which handle type this is, to the compiler only (no object sets it). */
  readonly [WdfHandleBrand]: WDF_HANDLE_TYPE;
}
/** WDFDRIVER: the framework driver object (one per driver). */
export interface WDFDRIVER extends WDFOBJECT {
  /** The brand that makes a WDFDRIVER distinct from the other handle types (compile time only). */
  readonly [WdfHandleBrand]: "WDFDRIVER";
}
/** WDFDEVICE: a framework device object (control device or PnP function device). */
export interface WDFDEVICE extends WDFOBJECT {
  /** The brand that makes a WDFDEVICE distinct from the other handle types (compile time only). */
  readonly [WdfHandleBrand]: "WDFDEVICE";
}
/** WDFQUEUE: a framework I/O queue. */
export interface WDFQUEUE extends WDFOBJECT {
  /** The brand that makes a WDFQUEUE distinct from the other handle types (compile time only). */
  readonly [WdfHandleBrand]: "WDFQUEUE";
}
/** WDFREQUEST: a framework request object (the IRP behind it, or one the driver created). */
export interface WDFREQUEST extends WDFOBJECT {
  /** The brand that makes a WDFREQUEST distinct from the other handle types (compile time only). */
  readonly [WdfHandleBrand]: "WDFREQUEST";
}
/** WDFFILEOBJECT: the framework's object for a FILE_OBJECT opened on a device. */
export interface WDFFILEOBJECT extends WDFOBJECT {
  /** The brand that makes a WDFFILEOBJECT distinct from the other handle types (compile time only). */
  readonly [WdfHandleBrand]: "WDFFILEOBJECT";
}
/** WDFMEMORY: a framework memory object (a buffer and its length). */
export interface WDFMEMORY extends WDFOBJECT {
  /** The brand that makes a WDFMEMORY distinct from the other handle types (compile time only). */
  readonly [WdfHandleBrand]: "WDFMEMORY";
}
/** WDFSPINLOCK: a framework spin lock (WdfSpinLockCreate), a KSPIN_LOCK with the framework's checks. */
export interface WDFSPINLOCK extends WDFOBJECT {
  /** The brand that makes a WDFSPINLOCK distinct from the other handle types (compile time only). */
  readonly [WdfHandleBrand]: "WDFSPINLOCK";
}
/** WDFWAITLOCK: a framework wait lock (WdfWaitLockCreate), a synchronization event used as a passive-level lock. */
export interface WDFWAITLOCK extends WDFOBJECT {
  /** The brand that makes a WDFWAITLOCK distinct from the other handle types (compile time only). */
  readonly [WdfHandleBrand]: "WDFWAITLOCK";
}
/** WDFTIMER: a framework timer (WdfTimerCreate), one-shot or periodic. */
export interface WDFTIMER extends WDFOBJECT {
  /** The brand that makes a WDFTIMER distinct from the other handle types (compile time only). */
  readonly [WdfHandleBrand]: "WDFTIMER";
}
/** WDFDPC: a framework DPC object (WdfDpcCreate). */
export interface WDFDPC extends WDFOBJECT {
  /** The brand that makes a WDFDPC distinct from the other handle types (compile time only). */
  readonly [WdfHandleBrand]: "WDFDPC";
}
/** WDFWORKITEM: a framework work item (WdfWorkItemCreate). */
export interface WDFWORKITEM extends WDFOBJECT {
  /** The brand that makes a WDFWORKITEM distinct from the other handle types (compile time only). */
  readonly [WdfHandleBrand]: "WDFWORKITEM";
}
/** WDFCOLLECTION: a framework collection, a list of object handles (WdfCollectionCreate). */
export interface WDFCOLLECTION extends WDFOBJECT {
  /** The brand that makes a WDFCOLLECTION distinct from the other handle types (compile time only). */
  readonly [WdfHandleBrand]: "WDFCOLLECTION";
}
/** WDFIOTARGET: a framework I/O target, the device stack requests are sent to (the local lower stack or a remote one). */
export interface WDFIOTARGET extends WDFOBJECT {
  /** The brand that makes a WDFIOTARGET distinct from the other handle types (compile time only). */
  readonly [WdfHandleBrand]: "WDFIOTARGET";
}

/** WDFCONTEXT: a driver's untyped context value (what C passes as PVOID). */
export type WDFCONTEXT = unknown;

/** WDFKEY: a framework registry key object, an open registry key (WdfRegistryOpenKey, WdfDriverOpenParametersRegistryKey). */
export interface WDFKEY extends WDFOBJECT {
  /** The brand that makes a WDFKEY distinct from the other handle types (compile time only). */
  readonly [WdfHandleBrand]: "WDFKEY";
}
/** WDFSTRING: a framework string object, a UNICODE_STRING the framework owns (WdfStringCreate). */
export interface WDFSTRING extends WDFOBJECT {
  /** The brand that makes a WDFSTRING distinct from the other handle types (compile time only). */
  readonly [WdfHandleBrand]: "WDFSTRING";
}
