/**
 * The framework's trace events, added to the machine's one vocabulary: the framework is its own
 * participant between the I/O manager and the driver (objects, Evt callbacks, request states).
 */
export {};

declare module "../kernel/trace.js" {
  interface TraceEventMap {
    /** A framework object was created (`parent`: its parent's label, null for the driver object). */
    WdfObjectCreated: {
      /** The object's label ("WDFQUEUE#2"). */
      object: string;
      /** Its handle type ("WDFQUEUE", "WDFREQUEST"…). */
      type: string;
      /** Its parent's label, null for the driver object. */
      parent: string | null;
      /** The driver's name. */
      driver: string;
    };
    /** A framework object was deleted (its cleanup ran; `destroyed` once its last reference went). */
    WdfObjectDeleted: {
      /** The object's label. */
      object: string;
      /** The driver's name. */
      driver: string;
      /** Whether its memory went too (no references were left), or only its cleanup ran. */
      destroyed: boolean;
    };
    /**
     * The framework calls one of the driver's event callbacks (`callback` is its role,
     * "EvtIoDeviceControl"; `routine` the driver's function). WdfCallbackReturned follows.
     */
    WdfCallback: {
      /** The driver's name. */
      driver: string;
      /** The callback's role, as KMDF names the member that holds it ("EvtIoRead", "EvtDeviceD0Entry"). */
      callback: string;
      /** The driver's function's name. */
      routine: string;
      /** The label of the object the callback is for (the queue, the device, the timer…). */
      object: string;
      /** The request it presents, if any. */
      request: string | null;
      /** That request's IRP, if it has one. */
      irp: string | null;
    };
    /** The driver's event callback returned to the framework (after WdfCallback). */
    WdfCallbackReturned: {
      /** The driver's name. */
      driver: string;
      /** The callback's role, as in WdfCallback. */
      callback: string;
      /** The driver's function's name. */
      routine: string;
    };
    /**
     * A request changed hands: "created" (from `irp`), "queued" in `queue`, "delivered" to the
     * driver, "cancelable" / "not cancelable" (the driver marked or unmarked it), "canceled"
     * (by the I/O manager), "forwarded" to `queue`, "sent" to an I/O target, "completed" with
     * `status`.
     */
    WdfRequestState: {
      /** The request's label. */
      request: string;
      /** Its IRP's label (null for a request with none). */
      irp: string | null;
      /** The new state (see above). */
      state: string;
      /** The queue it is in or goes to, if any. */
      queue: string | null;
      /** The driver's name. */
      driver: string;
      /** The completion status, for "completed". */
      status: number | null;
    };
    /** A queue changed state ("started", "stopped", "purged", "draining", "drained", "deleted"). */
    WdfQueueState: {
      /** The queue's label. */
      queue: string;
      /** The new state. */
      state: string;
      /** The driver's name. */
      driver: string;
    };
    /** WdfVerifierDbgBreakPoint: where a driver asked to break into the debugger (no debugger is attached; the machine runs on). */
    WdfVerifierBreak: {
      /** The driver's name. */
      driver: string;
      /** The driver routine that called it (its Evt callback or thread), null when unknown. */
      routine: string | null;
      /** Whether the KMDF verifier is on for the driver (on Windows the break happens only then). */
      verifierOn: boolean;
    };
    /** A PnP or power callback sequence step of a framework device ("PrepareHardware", "D0Entry", …). */
    WdfDeviceState: {
      /** The device's label. */
      device: string;
      /** The callback about to run, without "EvtDevice" ("PrepareHardware", "D0Entry", "SelfManagedIoInit", "D0Exit"…), or "started" / "removed" once the sequence is done. */
      state: string;
      /** The driver's name. */
      driver: string;
    };
  }
}
