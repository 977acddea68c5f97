/**
 * Kernel-mode file opens and I/O (ZwCreateFile, ZwOpenFile, ZwReadFile, ZwWriteFile,
 * ZwDeviceIoControlFile) and IoGetDeviceObjectPointer: how a driver opens another driver's device by
 * name and sends it requests.
 *
 * A Zw routine is the system service called from kernel mode: for its duration the previous mode
 * is KernelMode, so the I/O manager neither probes the caller's pointers (buffers and the
 * IO_STATUS_BLOCK are kernel memory) nor checks the handle's access against the request, and an
 * open is not checked against the device's security descriptor unless OBJ_FORCE_ACCESS_CHECK asks
 * for it. They run the same open and request paths as the native API (ntdll/file.ts).
 *
 * A handle from ZwCreateFile is a kernel handle (the System process's table) when ObjectAttributes
 * has OBJ_KERNEL_HANDLE; without it the handle lands in the current process — in a dispatch routine,
 * the calling app's, which the app can then use or close: the classic bug.
 *
 * Callers must be at PASSIVE_LEVEL: above it, bug check IRQL_NOT_LESS_OR_EQUAL.
 */
import { KERNEL_HANDLE_BIT } from "../kernel/api-ps-ob.js";
import { badPointer } from "../kernel/bad-pointer.js";
import { BugCheckCode } from "../kernel/bugcheck-codes.js";
import { LARGE_INTEGER, readI64 } from "../kernel/c-struct.js";
import { currentMachine } from "../kernel/context.js";
import { KernelMode, PASSIVE_LEVEL, UserMode } from "../kernel/irql.js";
import { nameArgumentText, type NameArgument } from "../kernel/name-argument.js";
import { OBJ_FORCE_ACCESS_CHECK, OBJ_KERNEL_HANDLE, OBJECT_ATTRIBUTES, captureObjectAttributes } from "../kernel/object-attributes.js";
import { NT_SUCCESS, STATUS_INVALID_PARAMETER, STATUS_OBJECT_NAME_INVALID, STATUS_OBJECT_PATH_SYNTAX_BAD, type NTSTATUS } from "../kernel/status.js";
import { ExEventObjectType } from "../kernel/object-types.js";
import { SYNCHRONIZE } from "../kernel/sync-objects.js";
import type { KThread } from "../kernel/thread.js";
import { IoGetRelatedDeviceObject } from "./call-driver.js";
import { openDevice } from "./create.js";
import { FILE_MAXIMUM_DISPOSITION, FILE_NON_DIRECTORY_FILE, FILE_OPEN, FILE_SYNCHRONOUS_IO_ALERT, FILE_SYNCHRONOUS_IO_NONALERT, FILE_VALID_OPTION_FLAGS } from "./create-options.js";
import type { DEVICE_OBJECT } from "./device-object.js";
import { NtDeviceIoControlFile } from "./device-control.js";
import type { FILE_OBJECT } from "./file-object.js";
import { IO_STATUS_BLOCK } from "./irp.js";
import { IoFileObjectType } from "./object-types.js";
import { NtReadWriteFile } from "./read-write.js";

/** The kernel IO_STATUS_BLOCK a Zw routine writes: an IO_STATUS_BLOCK object, or its address in system memory. */
export type ZwIoStatusBlock = IO_STATUS_BLOCK | number;

/** A PLARGE_INTEGER in-parameter from kernel mode: a LARGE_INTEGER, its address, or NULL. */
export type ZwLargeInteger = LARGE_INTEGER | number | null;

/** Enters a Zw routine: PASSIVE_LEVEL (else the bug check), previous mode KernelMode until `leave`. */
function zwEnter(api: string): { t: KThread; leave: () => void } {
  const t = currentMachine(api).kernelCall(api);
  if (t.irql > PASSIVE_LEVEL) {
    t.machine.bugCheck(BugCheckCode.IRQL_NOT_LESS_OR_EQUAL, 0, t.irql, 0, 0, { detail: `${api} at IRQL ${t.irql}: file system services are called at PASSIVE_LEVEL` });
  }
  const previous = t.previousMode;
  t.previousMode = KernelMode;
  return { t, leave: () => (t.previousMode = previous) };
}

/**
 * The IO_STATUS_BLOCK argument: an object, or an address the service will write to — touched here
 * so a bad one faults as the service's store would (no probe: the caller is kernel mode).
 */
function ioStatusBlockOf(t: KThread, api: string, IoStatusBlock: unknown): ZwIoStatusBlock {
  if (IoStatusBlock instanceof IO_STATUS_BLOCK) return IoStatusBlock;
  if (typeof IoStatusBlock !== "number" || !Number.isInteger(IoStatusBlock) || IoStatusBlock === 0) return badPointer(api, "IoStatusBlock", IoStatusBlock, "an IO_STATUS_BLOCK");
  const mmu = t.machine.mmu;
  mmu.writeU32(IoStatusBlock, mmu.readU32(IoStatusBlock));
  mmu.writeU32(IoStatusBlock + 4, mmu.readU32(IoStatusBlock + 4));
  return IoStatusBlock >>> 0;
}

function writeIoStatusBlock(t: KThread, iosb: ZwIoStatusBlock, status: NTSTATUS, information: number): void {
  if (iosb instanceof IO_STATUS_BLOCK) {
    iosb.Status = status;
    iosb.Information = information;
    return;
  }
  t.machine.mmu.writeU32(iosb, status);
  t.machine.mmu.writeU32(iosb + 4, information);
}

/**
 * The name an open's OBJECT_ATTRIBUTES gives, captured by the object manager as from kernel mode
 * ({@link captureObjectAttributes}); an open needs a name (STATUS_OBJECT_NAME_INVALID without one)
 * that starts with a backslash (STATUS_OBJECT_PATH_SYNTAX_BAD otherwise).
 */
function capturedAttributes(ObjectAttributes: OBJECT_ATTRIBUTES | number): { name: string; attributes: number } | NTSTATUS {
  const c = captureObjectAttributes(ObjectAttributes, KernelMode);
  if (typeof c === "number") return c;
  if (c.name === null || c.name.length === 0) return STATUS_OBJECT_NAME_INVALID;
  return c.name.startsWith("\\") ? { name: c.name, attributes: c.attributes } : STATUS_OBJECT_PATH_SYNTAX_BAD;
}

/** What ZwCreateFile and ZwOpenFile return: the status, and the handle when it succeeded. */
export interface ZwCreateFileResult {
  readonly status: NTSTATUS;
  readonly FileHandle: number;
}

async function createFile(api: string, DesiredAccess: number, ObjectAttributes: OBJECT_ATTRIBUTES | number, IoStatusBlock: ZwIoStatusBlock, FileAttributes: number, ShareAccess: number, CreateDisposition: number, CreateOptions: number): Promise<ZwCreateFileResult> {
  const { t, leave } = zwEnter(api);
  try {
    const fail = (status: NTSTATUS): ZwCreateFileResult => ({ status, FileHandle: 0 });
    const iosb = ioStatusBlockOf(t, api, IoStatusBlock);
    const captured = capturedAttributes(ObjectAttributes);
    if (typeof captured === "number") return fail(captured);
    // IoCreateFile's parameter checks, the same for kernel-mode callers.
    const access = DesiredAccess >>> 0;
    const options = CreateOptions >>> 0;
    const syncAlert = (options & FILE_SYNCHRONOUS_IO_ALERT) !== 0;
    const syncNonAlert = (options & FILE_SYNCHRONOUS_IO_NONALERT) !== 0;
    if (CreateDisposition >>> 0 > FILE_MAXIMUM_DISPOSITION || (options & ~FILE_VALID_OPTION_FLAGS) !== 0) return fail(STATUS_INVALID_PARAMETER);
    if ((syncAlert && syncNonAlert) || ((syncAlert || syncNonAlert) && (access & SYNCHRONIZE) === 0)) return fail(STATUS_INVALID_PARAMETER);
    const r = await openDevice(t, captured.name, {
      desiredAccess: access,
      shareAccess: ShareAccess,
      synchronous: syncAlert || syncNonAlert,
      alertable: syncAlert,
      disposition: CreateDisposition,
      createOptions: options,
      attributes: FileAttributes & 0xffff,
      // OBJ_FORCE_ACCESS_CHECK: the open is checked as a user-mode caller's would be.
      mode: captured.attributes & OBJ_FORCE_ACCESS_CHECK ? UserMode : KernelMode,
      handleAttributes: captured.attributes,
    });
    if (!NT_SUCCESS(r.status)) return fail(r.status);
    writeIoStatusBlock(t, iosb, r.status, r.information ?? 0);
    return { status: r.status, FileHandle: r.handle };
  } finally {
    leave();
  }
}

/**
 * ZwCreateFile: opens a device by name (irpsim has no file system: only device names resolve,
 * "\\Device\\X" or "\\??\\X", through symbolic links) and returns its handle; the device's driver
 * gets IRP_MJ_CREATE. FILE_SYNCHRONOUS_IO_NONALERT (with SYNCHRONIZE) makes later requests on the
 * handle wait for completion; without it they return STATUS_PENDING when the driver pends, and the
 * caller waits on an event of its own. The handle is a kernel handle with OBJ_KERNEL_HANDLE, else
 * one of the current process. STATUS_OBJECT_NAME_NOT_FOUND for a name nothing answers to; the
 * driver's status when it fails the create; STATUS_INVALID_PARAMETER for a bad disposition,
 * options or attributes. IoStatusBlock (an IO_STATUS_BLOCK, or its address) gets the status and
 * the Information the driver completed the create with. AllocationSize and the EA buffer are
 * accepted and, as devices do, ignored. Close the handle with ZwClose.
 */
export function ZwCreateFile(
  DesiredAccess: number,
  ObjectAttributes: OBJECT_ATTRIBUTES | number,
  IoStatusBlock: ZwIoStatusBlock,
  _AllocationSize: ZwLargeInteger,
  FileAttributes: number,
  ShareAccess: number,
  CreateDisposition: number,
  CreateOptions: number,
  _EaBuffer: number | null,
  _EaLength: number,
): Promise<ZwCreateFileResult> {
  return createFile("ZwCreateFile", DesiredAccess, ObjectAttributes, IoStatusBlock, FileAttributes, ShareAccess, CreateDisposition, CreateOptions);
}

/** ZwOpenFile: ZwCreateFile with FILE_OPEN and no file attributes. */
export function ZwOpenFile(DesiredAccess: number, ObjectAttributes: OBJECT_ATTRIBUTES | number, IoStatusBlock: ZwIoStatusBlock, ShareAccess: number, OpenOptions: number): Promise<ZwCreateFileResult> {
  return createFile("ZwOpenFile", DesiredAccess, ObjectAttributes, IoStatusBlock, 0, ShareAccess, FILE_OPEN, OpenOptions);
}

/**
 * The service references FileHandle (and Event) with previous mode KernelMode, on the driver's
 * behalf: Driver Verifier's handle checks see that reference (a user handle referenced as
 * KernelMode is 0xC4/0xF6, the consequence of opening without OBJ_KERNEL_HANDLE).
 */
function handlesReferenced(t: KThread, FileHandle: number, Event: number): void {
  const hooks = t.machine.kernelHooks;
  if (hooks.length === 0) return;
  for (const h of hooks) {
    h.referenceByHandle?.(t, FileHandle >>> 0, IoFileObjectType, KernelMode);
    if (Event !== 0) h.referenceByHandle?.(t, Event >>> 0, ExEventObjectType, KernelMode);
  }
}

/** A kernel caller's APC routine: what irpsim does not deliver. */
function noApcRoutine(api: string, ApcRoutine: unknown): void {
  if (ApcRoutine !== null && ApcRoutine !== undefined) {
    throw new Error(`${api}: an ApcRoutine from a kernel-mode caller is not built in irpsim; pass NULL and wait on Event (or use a synchronous handle)`);
  }
}

function byteOffsetOf(ByteOffset: ZwLargeInteger): number | null {
  if (ByteOffset === null || ByteOffset === 0) return null;
  if (ByteOffset instanceof LARGE_INTEGER) return Number(ByteOffset.QuadPart);
  if (typeof ByteOffset !== "number" || !Number.isInteger(ByteOffset)) return badPointer("ZwReadFile/ZwWriteFile", "ByteOffset", ByteOffset, "a LARGE_INTEGER");
  return Number(readI64(ByteOffset >>> 0));
}

async function readWrite(api: string, write: boolean, FileHandle: number, Event: number, ApcRoutine: unknown, ApcContext: unknown, IoStatusBlock: ZwIoStatusBlock, Buffer: number, Length: number, ByteOffset: ZwLargeInteger, Key: number | null): Promise<NTSTATUS> {
  const { t, leave } = zwEnter(api);
  try {
    noApcRoutine(api, ApcRoutine);
    handlesReferenced(t, FileHandle, Event);
    const iosb = ioStatusBlockOf(t, api, IoStatusBlock);
    const byteOffset = byteOffsetOf(ByteOffset);
    return await NtReadWriteFile(t, write, { fileHandle: FileHandle >>> 0, event: Event >>> 0, apcRoutine: null, apcContext: ApcContext, ioStatusBlock: iosb, buffer: Buffer >>> 0, length: Length, byteOffset, key: Key ?? 0 });
  } finally {
    leave();
  }
}

/**
 * ZwReadFile: IRP_MJ_READ of Length bytes into Buffer (kernel memory: no probe), from ByteOffset
 * (NULL: the file's current position). The device's flags choose the buffering, as for a user's
 * read. On a synchronous handle the call returns when the read is done, with its final status; on
 * an asynchronous one it returns what the driver returned — STATUS_PENDING when it pended — and
 * completion later writes IoStatusBlock and sets Event (a handle, or 0 for the file object's own).
 * A bad handle is STATUS_INVALID_HANDLE; one that is not a file STATUS_OBJECT_TYPE_MISMATCH.
 */
export function ZwReadFile(FileHandle: number, Event: number, ApcRoutine: null, ApcContext: unknown, IoStatusBlock: ZwIoStatusBlock, Buffer: number, Length: number, ByteOffset: ZwLargeInteger, Key: number | null): Promise<NTSTATUS> {
  return readWrite("ZwReadFile", false, FileHandle, Event, ApcRoutine, ApcContext, IoStatusBlock, Buffer, Length, ByteOffset, Key);
}

/** ZwWriteFile: as ZwReadFile, IRP_MJ_WRITE of Length bytes from Buffer. */
export function ZwWriteFile(FileHandle: number, Event: number, ApcRoutine: null, ApcContext: unknown, IoStatusBlock: ZwIoStatusBlock, Buffer: number, Length: number, ByteOffset: ZwLargeInteger, Key: number | null): Promise<NTSTATUS> {
  return readWrite("ZwWriteFile", true, FileHandle, Event, ApcRoutine, ApcContext, IoStatusBlock, Buffer, Length, ByteOffset, Key);
}

/**
 * ZwDeviceIoControlFile: IRP_MJ_DEVICE_CONTROL with the buffers set up as the control code's
 * method says, from kernel buffers (no probe, and the code's access bits are not checked against
 * the handle: the caller is kernel mode). Synchronous and asynchronous handles, Event and
 * IoStatusBlock as for ZwReadFile.
 */
export async function ZwDeviceIoControlFile(
  FileHandle: number,
  Event: number,
  ApcRoutine: null,
  ApcContext: unknown,
  IoStatusBlock: ZwIoStatusBlock,
  IoControlCode: number,
  InputBuffer: number,
  InputBufferLength: number,
  OutputBuffer: number,
  OutputBufferLength: number,
): Promise<NTSTATUS> {
  const { t, leave } = zwEnter("ZwDeviceIoControlFile");
  try {
    noApcRoutine("ZwDeviceIoControlFile", ApcRoutine);
    handlesReferenced(t, FileHandle, Event);
    const iosb = ioStatusBlockOf(t, "ZwDeviceIoControlFile", IoStatusBlock);
    return await NtDeviceIoControlFile(t, {
      fileHandle: FileHandle >>> 0,
      event: Event >>> 0,
      apcRoutine: null,
      apcContext: ApcContext,
      ioStatusBlock: iosb,
      ioControlCode: IoControlCode >>> 0,
      inputBuffer: InputBuffer >>> 0,
      inputBufferLength: InputBufferLength >>> 0,
      outputBuffer: OutputBuffer >>> 0,
      outputBufferLength: OutputBufferLength >>> 0,
    });
  } finally {
    leave();
  }
}

/** What IoGetDeviceObjectPointer returns. */
export interface DeviceObjectPointer {
  readonly status: NTSTATUS;
  /** The referenced file object (drop it with ObDereferenceObject), or null. */
  readonly FileObject: FILE_OBJECT | null;
  /** The top of the named device's stack (IoGetRelatedDeviceObject), not referenced; or null. */
  readonly DeviceObject: DEVICE_OBJECT | null;
}

/**
 * IoGetDeviceObjectPointer: opens the named device (ObjectName: a UNICODE_STRING or a string) with
 * DesiredAccess, as ZwOpenFile with a kernel handle does — the device's driver gets IRP_MJ_CREATE —
 * references the file object, and closes the handle, so the driver gets IRP_MJ_CLEANUP before this
 * returns. Returns the file object, which keeps the device open until the caller's
 * ObDereferenceObject(FileObject) drops the last reference (IRP_MJ_CLOSE then), and the device
 * object at the top of the named device's stack, to which requests go; that pointer is not
 * referenced (the file object's reference keeps the stack). A missing name is
 * STATUS_OBJECT_NAME_NOT_FOUND; the driver's status when it fails the create. PASSIVE_LEVEL.
 */
export async function IoGetDeviceObjectPointer(ObjectName: NameArgument, DesiredAccess: number): Promise<DeviceObjectPointer> {
  const { t, leave } = zwEnter("IoGetDeviceObjectPointer");
  try {
    const fail = (status: NTSTATUS): DeviceObjectPointer => ({ status, FileObject: null, DeviceObject: null });
    const name = nameArgumentText("IoGetDeviceObjectPointer", "ObjectName", ObjectName);
    if (typeof name === "number") return fail(name);
    if (name.length === 0) return fail(STATUS_OBJECT_NAME_INVALID);
    if (!name.startsWith("\\")) return fail(STATUS_OBJECT_PATH_SYNTAX_BAD);
    const r = await openDevice(t, name, {
      desiredAccess: DesiredAccess >>> 0,
      shareAccess: 0,
      synchronous: false,
      alertable: false,
      disposition: FILE_OPEN,
      createOptions: FILE_NON_DIRECTORY_FILE,
      attributes: 0,
      mode: KernelMode,
      handleAttributes: OBJ_KERNEL_HANDLE,
    });
    const fo = r.fileObject;
    if (!NT_SUCCESS(r.status) || !fo) return fail(r.status);
    const m = t.machine;
    m.ob.reference(fo);
    const DeviceObject = IoGetRelatedDeviceObject(fo);
    await m.ob.closeHandle(m.systemProcess, (r.handle & ~KERNEL_HANDLE_BIT) >>> 0);
    return { status: r.status, FileObject: fo, DeviceObject };
  } finally {
    leave();
  }
}
