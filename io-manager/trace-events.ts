/**
 * The I/O manager's trace events, added to the machine's one vocabulary.
 */
export {};

declare module "../kernel/trace.js" {
  interface TraceEventMap {
    DriverLoaded: { driver: string; status: number };
    DriverUnloaded: { driver: string };
    DeviceCreated: { device: string; driver: string };
    DeviceDeleted: { device: string; driver: string };
    /** `driver` (here and on the symbolic-link events): whose code made the call, null when unknown. */
    DeviceAttached: { device: string; target: string; driver: string | null };
    SymbolicLinkCreated: { link: string; target: string; driver: string | null };
    SymbolicLinkDeleted: { link: string; driver: string | null };
    FileOpened: { file: string; device: string; handle: number; synchronous: boolean };
    IrpAllocated: { irp: string; stackSize: number; origin: string };
    IrpFreed: { irp: string };
    IrpDispatched: { irp: string; major: string; minor: number; device: string; driver: string; routine: string; ioctl: number };
    IrpDispatchReturned: { irp: string; status: number; statusName: string; driver: string; routine: string };
    IrpMarkedPending: { irp: string; driver: string };
    IrpCompleted: { irp: string; status: number; statusName: string; information: number; driver: string };
    /** A completion routine is about to run (`driver` owns it); IrpCompletionRoutine follows when it returns. */
    IrpCompletionRoutineStart: { irp: string; routine: string; driver: string };
    IrpCompletionRoutine: { irp: string; routine: string; result: number; resultName: string };
    IrpStage2: { irp: string; status: number; statusName: string; delivered: boolean; copiedBack: number };
    IrpCancelRoutineSet: { irp: string; routine: string; previous: string };
    /**
     * IoCancelIrp; when `called`, the cancel routine of `driver` runs next, until
     * IrpCancelRoutineReturned. `by` names another caller of the routine (IoStartPacket, for an IRP
     * cancelled before it was queued); absent for IoCancelIrp.
     */
    IrpCancel: { irp: string; routine: string; called: boolean; driver: string; by?: string };
    IrpCancelRoutineReturned: { irp: string; routine: string; driver: string };
    BufferCopied: { irp: string; direction: "in" | "out"; bytes: number; from: number; to: number };
    MdlAllocated: { mdl: string; va: number; length: number };
    MdlLocked: { mdl: string; va: number; length: number; frames: number[]; process: number; write: boolean };
    MdlMapped: { mdl: string; va: number; mappedVa: number; mode: "KernelMode" | "UserMode"; process: number; frames: number[] };
    MdlUnmapped: { mdl: string; mappedVa: number; mode: "KernelMode" | "UserMode" };
    MdlUnlocked: { mdl: string; frames: number[] };
    MdlFreed: { mdl: string };
    SystemService: { service: string; phase: "enter" | "return"; status: number | null; detail: string };
    CompletionPortCreated: { port: string; handle: number; concurrency: number };
    CompletionPortClosed: { port: string; packetsFreed: number };
    CompletionPacketQueued: { port: string; key: number; apcContext: number; status: number; statusName: string; information: number; irp: string | null; dropped: boolean };
    CompletionPacketRemoved: { port: string; key: number; apcContext: number; status: number; statusName: string; information: number; irp: string | null };
    IrpQueuedToFile: { irp: string; file: string };
    /**
     * IoStartPacket: `queued` when the device was busy (by `key` when one was given), with the
     * cancel routine it set (null: none); `cancelled` when the queued IRP was already cancelled,
     * so IoStartPacket calls that routine.
     */
    StartIoPacket: { irp: string; device: string; driver: string; queued: boolean; key: number | null; cancelRoutine: string | null; cancelled: boolean };
    /** IoStartNextPacket(ByKey): `next` is the IRP it starts, null when the queue was empty (the device goes idle). */
    StartIoNextPacket: { device: string; driver: string; next: string | null; key: number | null };
    /** A StartIo routine is called; StartIoReturned follows when it returns. */
    StartIoStart: { irp: string; device: string; driver: string; routine: string };
    StartIoReturned: { irp: string; driver: string; routine: string };
    // ---- The PnP manager (pnp.ts) ----
    /** An IRP_MJ_PNP IRP the PnP manager sends to a device's stack (`status` once completed). */
    PnpIrp: { device: string; minor: string; phase: "sent" | "completed"; status: number | null };
    /** A device node changed state ("reported", "started", "surprise-removed", "removed", an interface enabled…). */
    PnpDevice: { device: string; state: string; driver: string };
  }
}
