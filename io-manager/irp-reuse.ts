/**
 * IRPs a driver lays out, reuses and associates: IoSizeOfIrp, IoInitializeIrp, IoReuseIrp and
 * IoMakeAssociatedIrp (the master IRP completes when the last of its associated IRPs does).
 */
import { checkNumber, checkPointer } from "../kernel/bad-pointer.js";
import { BugCheckCode } from "../kernel/bugcheck-codes.js";
import { currentMachine } from "../kernel/context.js";
import { STATUS_ASSERTION_FAILURE, type NTSTATUS } from "../kernel/status.js";
import type { KThread } from "../kernel/thread.js";
import { IRP_ASSOCIATED_IRP } from "./constants.js";
import { ioManager } from "./io-manager.js";
import { allocateIrp, driverMemory } from "./irp-alloc.js";
import { IRP, newIrp } from "./irp.js";

/** sizeof(IRP) on x86. */
const SIZEOF_IRP = 0x70;
/** sizeof(IO_STACK_LOCATION) on x86. */
const SIZEOF_IO_STACK_LOCATION = 0x24;

function kernel(api: string): KThread {
  return currentMachine(api).kernelCall(api);
}

/** IoSizeOfIrp(StackSize): the bytes an IRP with that many stack locations takes (x86: 0x70 + 0x24 per location). */
export function IoSizeOfIrp(StackSize: number): number {
  return SIZEOF_IRP + SIZEOF_IO_STACK_LOCATION * (checkNumber("IoSizeOfIrp", "StackSize", StackSize) & 0xff);
}

/** A checked build's ASSERT in the I/O manager: stops the machine as a failed NT_ASSERT does. */
function assertion(t: KThread, api: string, irp: IRP, text: string): never {
  return t.machine.bugCheck(BugCheckCode.KMODE_EXCEPTION_NOT_HANDLED, STATUS_ASSERTION_FAILURE, 0, 0, 0, { detail: `${api}: ${text}`, irp: irp.label });
}

/**
 * IoInitializeIrp(Irp, PacketSize, StackSize): lays out an IRP of StackSize locations in
 * PacketSize bytes. Irp is the driver's own memory (a pool block's address), zeroed here; because
 * TypeScript cannot turn an address into an object, the IRP living there is returned — use it as
 * C uses the pointer. Given an IRP object instead, it is initialized again in place (the pre-XP
 * way of reusing an IRP; IoReuseIrp is the right one: this clears AllocationFlags). The driver owns
 * such an IRP: it stops completion with STATUS_MORE_PROCESSING_REQUIRED and frees the memory
 * (ExFreePool, or IoFreeIrp, which frees an IRP with no allocation flags to pool as NT does).
 * A PacketSize smaller than IoSizeOfIrp(StackSize) puts the stack locations past the end of the
 * driver's block: the pool corruption that follows is reported at once, as bug check 0x19
 * (BAD_POOL_HEADER).
 */
export function IoInitializeIrp(Irp: IRP | number, PacketSize: number, StackSize: number): IRP {
  const t = kernel("IoInitializeIrp");
  const m = t.machine;
  const io = ioManager(m);
  const stack = checkNumber("IoInitializeIrp", "StackSize", StackSize) & 0xff;
  checkNumber("IoInitializeIrp", "PacketSize", PacketSize);
  if (PacketSize < IoSizeOfIrp(stack) || stack < 1) {
    m.bugCheck(0x19, 0x20, typeof Irp === "number" ? Irp : 0, PacketSize, IoSizeOfIrp(stack), {
      detail: `IoInitializeIrp with PacketSize ${PacketSize} for ${stack} stack location(s), which need IoSizeOfIrp(${stack}) = ${IoSizeOfIrp(stack)} bytes: the stack locations overrun the block (BAD_POOL_HEADER)`,
    });
  }
  if (typeof Irp !== "number") {
    // Laid out through the pointer: what is no IRP (nor an address) faults.
    checkPointer("IoInitializeIrp", "Irp", Irp, IRP, "an IRP or the address of IoSizeOfIrp(StackSize) bytes");
    if (stack > Irp.StackCount) assertion(t, "IoInitializeIrp", Irp, `${Irp.label} has ${Irp.StackCount} stack locations; it cannot be laid out with ${stack}`);
    const { id, origin } = Irp;
    Irp.reset();
    Irp.id = id;
    Irp.origin = origin;
    Irp.AllocationFlags = 0;
    return Irp;
  }
  // The packet's bytes are zeroed as RtlZeroMemory would (a bad address faults here).
  m.mmu.fill(Irp, PacketSize, 0);
  const irp = newIrp(stack, io.irpWatch);
  irp.id = io.nextId("irp");
  irp.allocated = true;
  irp.origin = "IoInitializeIrp";
  irp.AllocationFlags = 0;
  irp.issuedAt = m.now;
  driverMemory.set(irp, Irp);
  if (m.trace.on) m.trace.emit("IrpAllocated", { irp: irp.label, stackSize: stack, origin: "IoInitializeIrp" });
  return irp;
}

/**
 * IoReuseIrp(Irp, Iostatus): makes a completed IRP the driver allocated (IoAllocateIrp,
 * IoInitializeIrp, IoMakeAssociatedIrp) ready to send again: every field as IoInitializeIrp sets it,
 * AllocationFlags kept, IoStatus.Status set to Iostatus. As NT's checked build asserts, the IRP must
 * have no cancel routine, must not be queued to a thread and must not be in a driver's hands
 * (dispatched and not completed); irpsim also refuses an IRP the I/O manager built for a request.
 * A failed check stops the machine as a failed assertion does.
 */
export function IoReuseIrp(Irp: IRP, Iostatus: NTSTATUS): void {
  const t = kernel("IoReuseIrp");
  checkPointer("IoReuseIrp", "Irp", Irp, IRP, "an IRP");
  if (!Irp.allocated) assertion(t, "IoReuseIrp", Irp, `${Irp.label} has been freed`);
  if (Irp.origin !== "IoAllocateIrp" && Irp.origin !== "IoInitializeIrp" && Irp.origin !== "IoMakeAssociatedIrp") {
    assertion(t, "IoReuseIrp", Irp, `${Irp.label} was built by the I/O manager (${Irp.origin}), not allocated by the driver`);
  }
  if (Irp.CancelRoutine !== null) assertion(t, "IoReuseIrp", Irp, `${Irp.label} still has a cancel routine (Irp->CancelRoutine == NULL)`);
  if (Irp.ThreadListEntry.Flink !== Irp.ThreadListEntry) assertion(t, "IoReuseIrp", Irp, `${Irp.label} is still queued to a thread (IsListEmpty(&Irp->ThreadListEntry))`);
  if (Irp.CurrentLocation <= Irp.StackCount) assertion(t, "IoReuseIrp", Irp, `${Irp.label} is still in ${Irp.dispatchedTo ?? "a driver"}'s hands (dispatched, not completed)`);
  const { id, origin, AllocationFlags } = Irp;
  Irp.reset();
  Irp.id = id;
  Irp.origin = origin;
  Irp.AllocationFlags = AllocationFlags;
  Irp.allocated = true;
  Irp.IoStatus.Status = Iostatus >>> 0;
}

/**
 * IoMakeAssociatedIrp(Irp, StackSize): an IRP associated with the master Irp (Flags has
 * IRP_ASSOCIATED_IRP, AssociatedIrp.MasterIrp is the master; it shares the master's thread, file
 * object and requestor mode), or NULL. The driver sets the master's AssociatedIrp.IrpCount to the
 * number it sends. When an associated IRP completes, the I/O manager frees its MDLs (as NT does,
 * without unlocking them: use partial MDLs of the master's) and the IRP, decrements the master's
 * count, and completes the master when the count reaches zero — with whatever IoStatus the driver
 * has put in the master. A completion routine that returns STATUS_MORE_PROCESSING_REQUIRED keeps
 * the associated IRP, and the count, the driver's to manage.
 */
export function IoMakeAssociatedIrp(Irp: IRP, StackSize: number): IRP | null {
  const t = kernel("IoMakeAssociatedIrp");
  checkPointer("IoMakeAssociatedIrp", "Irp", Irp, IRP, "an IRP (the master)");
  const irp = allocateIrp(t.machine, StackSize, "IoMakeAssociatedIrp");
  if (!irp) return null;
  irp.Flags = IRP_ASSOCIATED_IRP;
  irp.MasterIrp = Irp;
  irp.Thread = Irp.Thread;
  irp.OriginalFileObject = Irp.OriginalFileObject;
  irp.RequestorMode = Irp.RequestorMode;
  return irp;
}
