/**
 * DRIVER_OBJECT and the routine types a driver provides (DriverEntry, dispatch, unload).
 */
import { KernelObject } from "../kernel/objects.js";
import type { MaybePromise } from "../kernel/objects.js";
import type { NTSTATUS } from "../kernel/status.js";
import { IRP_MJ_MAXIMUM_FUNCTION } from "./constants.js";
import type { DEVICE_OBJECT } from "./device-object.js";
import type { IRP } from "./irp.js";

/**
 * PDRIVER_DISPATCH: handles one IRP major function. Runs at PASSIVE_LEVEL in the caller's
 * thread for top-level requests, so it may wait (return a Promise); it returns the request's
 * status, or STATUS_PENDING after IoMarkIrpPending.
 */
export type DRIVER_DISPATCH = (DeviceObject: DEVICE_OBJECT, Irp: IRP) => MaybePromise<NTSTATUS>;

/** PDRIVER_UNLOAD. */
export type DRIVER_UNLOAD = (DriverObject: DRIVER_OBJECT) => MaybePromise<void>;

/** PDRIVER_INITIALIZE: DriverEntry(DriverObject, RegistryPath). */
export type DRIVER_INITIALIZE = (DriverObject: DRIVER_OBJECT, RegistryPath: string) => MaybePromise<NTSTATUS>;

/** PDRIVER_STARTIO. */
export type DRIVER_STARTIO = (DeviceObject: DEVICE_OBJECT, Irp: IRP) => void;

/**
 * DRIVER_OBJECT. MajorFunction entries a driver leaves unset fail with
 * STATUS_INVALID_DEVICE_REQUEST, as IopInvalidDeviceRequest does.
 */
export class DRIVER_OBJECT extends KernelObject {
  /** The object manager's type name of this object. */
  readonly objectType = "Driver";
  /** "\\Driver\\Sharebuf". */
  readonly DriverName: string;
  /** The first device (devices are chained through NextDevice). */
  DeviceObject: DEVICE_OBJECT | null = null;
  /**
   * The dispatch table: the routine for each IRP_MJ_* major function (IopInvalidDeviceRequest where
   * the driver set none).
   */
  readonly MajorFunction: (DRIVER_DISPATCH | null)[] = new Array<DRIVER_DISPATCH | null>(IRP_MJ_MAXIMUM_FUNCTION + 1).fill(null);
  /** The driver's unload routine; a driver without one cannot be unloaded. */
  DriverUnload: DRIVER_UNLOAD | null = null;
  /** The driver's StartIo routine, for IoStartPacket's device queue. */
  DriverStartIo: DRIVER_STARTIO | null = null;
  /** The driver extension: its AddDevice routine and service key name. */
  readonly DriverExtension: { /** The PnP manager's AddDevice routine for the driver (null for a legacy driver). */ AddDevice: unknown; /** The driver's service name in the registry. */ ServiceKeyName: string };
  /** Set once DriverUnload has run. */
  unloaded = false;
  /** Device objects of this driver not yet deleted (each keeps the driver's image loaded, as in NT). */
  liveDevices = 0;
  /** The image is gone: DriverUnload ran and no device or reference keeps it (see unloadImageIfUnused). */
  imageUnloaded = false;
  private lastRoutine: unknown = null;
  private lastRoutineName = "";

  /** A routine's name for traces (remembered: Function.name is slow to read on a hot path). */
  routineName(routine: { readonly name: string }): string {
    if (routine !== this.lastRoutine) {
      this.lastRoutine = routine;
      this.lastRoutineName = (routine as { readonly name?: unknown } | null)?.name ? routine.name : "(anonymous)";
    }
    return this.lastRoutineName;
  }

  /** @param shortName the driver's name without "\Driver\" ("Sharebuf"), as traces print it. */
  constructor(readonly shortName: string) {
    super();
    this.DriverName = `\\Driver\\${shortName}`;
    this.objectName = this.DriverName;
    this.DriverExtension = { AddDevice: null, ServiceKeyName: shortName };
  }

  override get label(): string {
    return this.shortName;
  }
}
