/**
 * The framework's trace events, added to the machine's one vocabulary: the framework is its own
 * participant between the I/O manager and the driver (objects, Evt callbacks, request states).
 */
export {};

declare module "../kernel/trace.js" {
  interface TraceEventMap {
    /** A framework object was created (`parent`: its parent's label, null for the driver object). */
    WdfObjectCreated: { object: string; type: string; parent: string | null; driver: string };
    /** A framework object was deleted (its cleanup ran; `destroyed` once its last reference went). */
    WdfObjectDeleted: { object: string; driver: string; destroyed: boolean };
    /**
     * The framework calls one of the driver's event callbacks (`callback` is its role,
     * "EvtIoDeviceControl"; `routine` the driver's function). WdfCallbackReturned follows.
     */
    WdfCallback: { driver: string; callback: string; routine: string; object: string; request: string | null; irp: string | null };
    WdfCallbackReturned: { driver: string; callback: string; routine: string };
    /**
     * A request changed hands: "created" (from `irp`), "queued" in `queue`, "delivered" to the
     * driver, "cancelable" / "not cancelable" (the driver marked or unmarked it), "canceled"
     * (by the I/O manager), "forwarded" to `queue`, "sent" to an I/O target, "completed" with
     * `status`.
     */
    WdfRequestState: { request: string; irp: string | null; state: string; queue: string | null; driver: string; status: number | null };
    /** A queue changed state ("started", "stopped", "purged", "draining", "drained", "deleted"). */
    WdfQueueState: { queue: string; state: string; driver: string };
    /** A PnP or power callback sequence step of a framework device ("PrepareHardware", "D0Entry", …). */
    WdfDeviceState: { device: string; state: string; driver: string };
  }
}
