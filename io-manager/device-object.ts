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
  readonly objectType = "Device";
  readonly DriverObject: DRIVER_OBJECT;
  NextDevice: DEVICE_OBJECT | null = null;
  /** The device attached above this one (a filter), if any. */
  AttachedDevice: DEVICE_OBJECT | null = null;
  /** The device this one is attached to (its lower device), if any. */
  attachedTo: DEVICE_OBJECT | null = null;
  /** The request the StartIo routine is processing (maintained by IoStartPacket and IoStartNextPacket). */
  CurrentIrp: IRP | null = null;
  /** The device queue IoStartPacket queues requests in while the device is busy. */
  readonly DeviceQueue = new KDEVICE_QUEUE<IRP>();
  Flags: number;
  Characteristics: number;
  DeviceExtension: Ext;
  DeviceType: number;
  StackSize = 1;
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
