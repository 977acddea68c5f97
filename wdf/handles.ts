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
  | "WDFOBJECT";

/** WDFOBJECT: any framework object (WdfObjectCreate makes a plain one). */
export interface WDFOBJECT {
  readonly [WdfHandleBrand]: WDF_HANDLE_TYPE;
}
/** WDFDRIVER: the framework driver object (one per driver). */
export interface WDFDRIVER extends WDFOBJECT {
  readonly [WdfHandleBrand]: "WDFDRIVER";
}
/** WDFDEVICE: a framework device object (control device or PnP function device). */
export interface WDFDEVICE extends WDFOBJECT {
  readonly [WdfHandleBrand]: "WDFDEVICE";
}
/** WDFQUEUE: a framework I/O queue. */
export interface WDFQUEUE extends WDFOBJECT {
  readonly [WdfHandleBrand]: "WDFQUEUE";
}
/** WDFREQUEST: a framework request object (the IRP behind it, or one the driver created). */
export interface WDFREQUEST extends WDFOBJECT {
  readonly [WdfHandleBrand]: "WDFREQUEST";
}
/** WDFFILEOBJECT: the framework's object for a FILE_OBJECT opened on a device. */
export interface WDFFILEOBJECT extends WDFOBJECT {
  readonly [WdfHandleBrand]: "WDFFILEOBJECT";
}
/** WDFMEMORY: a framework memory object (a buffer and its length). */
export interface WDFMEMORY extends WDFOBJECT {
  readonly [WdfHandleBrand]: "WDFMEMORY";
}
/** WDFSPINLOCK. */
export interface WDFSPINLOCK extends WDFOBJECT {
  readonly [WdfHandleBrand]: "WDFSPINLOCK";
}
/** WDFWAITLOCK. */
export interface WDFWAITLOCK extends WDFOBJECT {
  readonly [WdfHandleBrand]: "WDFWAITLOCK";
}
/** WDFTIMER. */
export interface WDFTIMER extends WDFOBJECT {
  readonly [WdfHandleBrand]: "WDFTIMER";
}
/** WDFDPC. */
export interface WDFDPC extends WDFOBJECT {
  readonly [WdfHandleBrand]: "WDFDPC";
}
/** WDFWORKITEM. */
export interface WDFWORKITEM extends WDFOBJECT {
  readonly [WdfHandleBrand]: "WDFWORKITEM";
}
/** WDFCOLLECTION. */
export interface WDFCOLLECTION extends WDFOBJECT {
  readonly [WdfHandleBrand]: "WDFCOLLECTION";
}
/** WDFIOTARGET. */
export interface WDFIOTARGET extends WDFOBJECT {
  readonly [WdfHandleBrand]: "WDFIOTARGET";
}

/** WDFCONTEXT: a driver's untyped context value (what C passes as PVOID). */
export type WDFCONTEXT = unknown;
