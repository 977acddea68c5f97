/**
 * DEVICE_OBJECT: a device a driver creates, with its typed extension and place in a stack.
 */
import { KDEVICE_QUEUE } from "../kernel/device-queue.js";
import { KernelObject } from "../kernel/objects.js";
import type { DRIVER_OBJECT } from "./driver-object.js";
import type { IRP } from "./irp.js";

/**
 * DEVICE_OBJECT<Ext>. `DeviceExtension` is the driver's per-device state, typed by the driver
 * (a dispatch routine receives a DEVICE_OBJECT and casts its extension, as C code does).
 */
export class DEVICE_OBJECT<Ext = unknown> extends KernelObject {
  /** The object manager's type name of this object. */
  readonly objectType = "Device";
  /** The driver that created the device. */
  readonly DriverObject: DRIVER_OBJECT;
  /** The next device the same driver created (DriverObject.DeviceObject heads the chain). */
  NextDevice: DEVICE_OBJECT | null = null;
  /** The device attached above this one (a filter), if any. */
  AttachedDevice: DEVICE_OBJECT | null = null;
  /** The device this one is attached to (its lower device), if any. */
  attachedTo: DEVICE_OBJECT | null = null;
  /** The request the StartIo routine is processing (maintained by IoStartPacket and IoStartNextPacket). */
  CurrentIrp: IRP | null = null;
  /** The device queue IoStartPacket queues requests in while the device is busy. */
  readonly DeviceQueue = new KDEVICE_QUEUE<IRP>();
  /**
   * DO_* flags: DO_BUFFERED_IO or DO_DIRECT_IO for reads and writes, DO_EXCLUSIVE,
   * DO_DEVICE_INITIALIZING…
   */
  Flags: number;
  /** FILE_DEVICE_SECURE_OPEN and the other device characteristics given to IoCreateDevice. */
  Characteristics: number;
  /**
   * The driver's per-device state, given to IoCreateDevice (C: the DeviceExtensionSize bytes after
   * the object).
   */
  DeviceExtension: Ext;
  /** FILE_DEVICE_* type given to IoCreateDevice. */
  DeviceType: number;
  /**
   * How many stack locations an IRP sent to this device needs: one more than the device it is
   * attached to.
   */
  StackSize = 1;
  /** The buffer alignment the device requires, minus one (FILE_BYTE_ALIGNMENT is 0). */
  AlignmentRequirement = 0;
  /** Opens are refused while another file object is open on an exclusive device. */
  readonly Exclusive: boolean;
  /** IoDeleteDevice was called; the object goes when its last reference does. */
  deletePending = false;
  /** File objects open on this device (its ReferenceCount for opens). */
  openCount = 0;

  constructor(driver: DRIVER_OBJECT, extension: Ext, name: string | null, deviceType: number, characteristics: number, exclusive: boolean, flags: number) {
    super();
    this.DriverObject = driver;
    this.DeviceExtension = extension;
    this.objectName = name;
    this.DeviceType = deviceType;
    this.Characteristics = characteristics;
    this.Exclusive = exclusive;
    this.Flags = flags;
  }

  override get label(): string {
    return this.objectName ?? `${this.DriverObject.shortName} device#${this.objectId}`;
  }
}
