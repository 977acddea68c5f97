/**
 * The I/O manager's trace events, added to the machine's one vocabulary.
 */
export {};

declare module "../kernel/trace.js" {
  interface TraceEventMap {
    /**
     * DriverEntry of `driver` returned `status` (IoLoadDriver's outcome; the driver is loaded when
     * it succeeded).
     */
    DriverLoaded: { driver: string; status: number };
    /** `driver`'s DriverUnload has run and its driver object is gone. */
    DriverUnloaded: { driver: string };
    /** IoCreateDevice made the named `device` for `driver`. */
    DeviceCreated: { device: string; driver: string };
    /** IoDeleteDevice removed `device` of `driver`. */
    DeviceDeleted: { device: string; driver: string };
    /** `driver` (here and on the symbolic-link events): whose code made the call, null when unknown. */
    DeviceAttached: { device: string; /** The device it is attached to. */ target: string; driver: string | null };
    /** IoCreateSymbolicLink: `link` now names `target`. */
    SymbolicLinkCreated: { /** The symbolic link's name (\DosDevices\…). */ link: string; /** The name it points to. */ target: string; driver: string | null };
    /** IoDeleteSymbolicLink removed `link`. */
    SymbolicLinkDeleted: { /** The symbolic link's name. */ link: string; driver: string | null };
    /**
     * A create succeeded: file object `file` is open on `device` as `handle`; `synchronous` when
     * the handle was opened without FILE_FLAG_OVERLAPPED.
     */
    FileOpened: { file: string; device: string; handle: number; /** Whether the handle does synchronous I/O. */ synchronous: boolean };
    /**
     * An IRP was allocated with `stackSize` stack locations; `origin` says by whom (a system
     * service, IoAllocateIrp, IoBuild…Request).
     */
    IrpAllocated: { irp: string; /** The number of stack locations. */ stackSize: number; /** Who allocated it. */ origin: string };
    /** An IRP's memory went back to the I/O manager (after completion, or IoFreeIrp). */
    IrpFreed: { irp: string };
    /**
     * IoCallDriver handed the IRP to `driver`'s dispatch routine for major function `major`
     * (`minor`, and the control code `ioctl` for device controls).
     */
    IrpDispatched: { irp: string; /** The major function's name (IRP_MJ_DEVICE_CONTROL). */ major: string; /** The minor function. */ minor: number; device: string; driver: string; routine: string; /** The I/O control code, for device controls (0 otherwise). */ ioctl: number };
    /** A dispatch routine returned `status` for the IRP (STATUS_PENDING when it pended it). */
    IrpDispatchReturned: { irp: string; status: number; statusName: string; driver: string; routine: string };
    /** IoMarkIrpPending: `driver` will complete the IRP later (SL_PENDING_RETURNED set). */
    IrpMarkedPending: { irp: string; driver: string };
    /**
     * IoCompleteRequest by `driver`: the IRP's final `status` and `information` (bytes
     * transferred).
     */
    IrpCompleted: { irp: string; status: number; statusName: string; information: number; driver: string };
    /** A completion routine is about to run (`driver` owns it); IrpCompletionRoutine follows when it returns. */
    IrpCompletionRoutineStart: { irp: string; routine: string; driver: string };
    /**
     * A completion routine returned `result` (STATUS_MORE_PROCESSING_REQUIRED stops completion
     * there).
     */
    IrpCompletionRoutine: { irp: string; routine: string; /** What the completion routine returned. */ result: number; resultName: string };
    /**
     * The second stage of completion ran in the requester's context: the I/O status written, the
     * event set, buffered bytes copied back.
     */
    IrpStage2: { irp: string; status: number; statusName: string; /** Whether it was delivered (a request that did not pend and failed is not). */ delivered: boolean; /** Bytes copied back to the caller's buffer (METHOD_BUFFERED). */ copiedBack: number };
    /**
     * IoSetCancelRoutine: the IRP's cancel routine is now `routine` ("NULL" when cleared);
     * `previous` is what it replaced.
     */
    IrpCancelRoutineSet: { irp: string; routine: string; /** The cancel routine it replaced ("NULL": none). */ previous: string };
    /**
     * IoCancelIrp; when `called`, the cancel routine of `driver` runs next, until
     * IrpCancelRoutineReturned. `by` names another caller of the routine (IoStartPacket, for an IRP
     * cancelled before it was queued); absent for IoCancelIrp.
     */
    IrpCancel: { irp: string; routine: string; /** Whether a cancel routine was set, and so called. */ called: boolean; driver: string; /** Another caller of the cancel routine than IoCancelIrp. */ by?: string };
    /** A cancel routine returned (it must have released the cancel spin lock). */
    IrpCancelRoutineReturned: { irp: string; routine: string; driver: string };
    /**
     * The I/O manager copied `bytes` between a caller's buffer and the system buffer: `direction`
     * "in" at dispatch, "out" at completion, from address `from` to address `to`.
     */
    BufferCopied: { irp: string; /** "in" at dispatch, "out" at completion. */ direction: "in" | "out"; /** How many bytes. */ bytes: number; /** The source address. */ from: number; /** The destination address. */ to: number };
    /** IoAllocateMdl described `length` bytes at virtual address `va`. */
    MdlAllocated: { mdl: string; va: number; /** The length of the range in bytes. */ length: number };
    /**
     * MmProbeAndLockPages locked the `frames` behind `va`..`va + length` in `process` (for writing
     * when `write`).
     */
    MdlLocked: { mdl: string; va: number; /** The length of the range in bytes. */ length: number; frames: number[]; process: number; /** Whether the pages were locked for writing. */ write: boolean };
    /**
     * An MDL's `frames` were mapped at `mappedVa` in kernel space (`mode` KernelMode) or in
     * `process`'s user space (UserMode).
     */
    MdlMapped: { mdl: string; va: number; mappedVa: number; mode: "KernelMode" | "UserMode"; process: number; frames: number[] };
    /** MmUnmapLockedPages removed the mapping at `mappedVa`. */
    MdlUnmapped: { mdl: string; mappedVa: number; mode: "KernelMode" | "UserMode" };
    /** MmUnlockPages released the lock on the MDL's `frames`. */
    MdlUnlocked: { mdl: string; frames: number[] };
    /** IoFreeMdl freed the MDL. */
    MdlFreed: { mdl: string };
    /**
     * A system service (NtDeviceIoControlFile, NtClose…) was entered or returned (`phase`), with
     * its `status` on return and a one-line `detail`.
     */
    SystemService: { /** The service's name. */ service: string; /** Entered or returned. */ phase: "enter" | "return"; status: number | null; detail: string };
    /** CreateIoCompletionPort made a port, open as `handle`, with its `concurrency` value. */
    CompletionPortCreated: { port: string; handle: number; /** The number of threads the port lets run at once (0: one per processor). */ concurrency: number };
    /** The port's last handle closed; `packetsFreed` completion packets were still queued on it. */
    CompletionPortClosed: { port: string; /** Packets still queued when it closed. */ packetsFreed: number };
    /**
     * A completion packet (key, overlapped address `apcContext`, status, information) was queued to
     * the port, for `irp` or by PostQueuedCompletionStatus; `dropped` when
     * FILE_SKIP_COMPLETION_PORT_ON_SUCCESS skipped it.
     */
    CompletionPacketQueued: { port: string; /** The completion key. */ key: number; /** The OVERLAPPED's address (or PostQueuedCompletionStatus's value). */ apcContext: number; status: number; statusName: string; information: number; irp: string | null; /** Whether the packet was skipped (FILE_SKIP_COMPLETION_PORT_ON_SUCCESS). */ dropped: boolean };
    /** GetQueuedCompletionStatus(Ex) removed a completion packet from the port. */
    CompletionPacketRemoved: { port: string; /** The completion key. */ key: number; /** The OVERLAPPED's address (or PostQueuedCompletionStatus's value). */ apcContext: number; status: number; statusName: string; information: number; irp: string | null };
    /**
     * The IRP joined `file`'s list of thread-agnostic requests (cancelled when the file's last
     * handle closes).
     */
    IrpQueuedToFile: { irp: string; file: string };
    /**
     * IoStartPacket: `queued` when the device was busy (by `key` when one was given), with the
     * cancel routine it set (null: none); `cancelled` when the queued IRP was already cancelled,
     * so IoStartPacket calls that routine.
     */
    StartIoPacket: { irp: string; device: string; driver: string; /** Whether the IRP was queued (the device was busy). */ queued: boolean; /** The sort key it was queued by (null: none). */ key: number | null; /** The cancel routine IoStartPacket set (null: none). */ cancelRoutine: string | null; /** Whether the queued IRP was already cancelled. */ cancelled: boolean };
    /** IoStartNextPacket(ByKey): `next` is the IRP it starts, null when the queue was empty (the device goes idle). */
    StartIoNextPacket: { device: string; driver: string; /** The IRP it starts (null: the queue was empty). */ next: string | null; /** The key it started by (null: none). */ key: number | null };
    /** A StartIo routine is called; StartIoReturned follows when it returns. */
    StartIoStart: { irp: string; device: string; driver: string; routine: string };
    /** A StartIo routine returned. */
    StartIoReturned: { irp: string; driver: string; routine: string };
    // ---- The PnP manager (pnp.ts) ----
    /** An IRP_MJ_PNP IRP the PnP manager sends to a device's stack (`status` once completed). */
    PnpIrp: { device: string; /** The minor function's name ("IRP_MN_START_DEVICE"). */ minor: string; /** Whether the IRP was just sent or has come back. */ phase: "sent" | "completed"; status: number | null };
    /** A device node changed state ("reported", "started", "surprise-removed", "removed", an interface enabled…). */
    PnpDevice: { device: string; /** The node's new state, or what happened to one of its interfaces ("interface {guid} enabled"). */ state: string; driver: string };
    // ---- The event log (error-log.ts) ----
    /** IoWriteErrorLogEntry queued an entry to the system event log. */
    ErrorLogged: { driver: string; /** The device the entry names (null: the driver object). */ device: string | null; /** The packet's ErrorCode. */ errorCode: number; /** The packet's FinalStatus. */ finalStatus: number; /** The insertion strings. */ strings: string[] };

    // ---- Power (power.ts, power-manager.ts) ----
    /** An IRP_MJ_POWER IRP the power manager sends (an S-IRP to a stack, or a D-IRP for PoRequestPowerIrp); `status` once completed. */
    PowerIrp: { device: string; /** The minor function's name ("IRP_MN_SET_POWER"). */ minor: string; /** The state asked for ("S3", "D0", "wait-wake"). */ state: string; /** Whether the IRP was just sent or has come back. */ phase: "sent" | "completed"; status: number | null };
    /** PoSetPowerState recorded a device's new power state. */
    DevicePowerState: { device: string; driver: string; /** The new state ("D3"). */ state: string; /** The state before it. */ previous: string };
    /** The system's power state: a transition begins ("S3 requested"), is vetoed, or is reached. */
    SystemPowerState: { /** The system state concerned ("S3"). */ state: string; /** What happened: "requested", "vetoed by …", "entered". */ phase: string };
  }
}
