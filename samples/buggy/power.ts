/**
 * Pwr: a WDM function driver for a root-enumerated device that refuses a system sleep in the wrong
 * place — it fails IRP_MN_SET_POWER for the sleep state, where it should have vetoed in
 * IRP_MN_QUERY_POWER (a set-power IRP must not fail).
 */
import {
  DEVICE_OBJECT,
  DO_DEVICE_INITIALIZING,
  DRIVER_OBJECT,
  FILE_DEVICE_UNKNOWN,
  IO_NO_INCREMENT,
  IRP,
  IRP_MJ_PNP,
  IRP_MJ_POWER,
  IRP_MN_SET_POWER,
  IoAttachDeviceToDeviceStack,
  IoCallDriver,
  IoCompleteRequest,
  IoCreateDevice,
  IoGetCurrentIrpStackLocation,
  IoSkipCurrentIrpStackLocation,
  PoCallDriver,
  PoStartNextPowerIrp,
  PowerSystemWorking,
  STATUS_SUCCESS,
  STATUS_UNSUCCESSFUL,
  SystemPowerState,
  type NTSTATUS,
} from "irpsim/wdm";

/** The device extension: the device below ours in the stack. */
class PWR_EXTENSION {
  Lower: DEVICE_OBJECT | null = null;
}

function lowerOf(DeviceObject: DEVICE_OBJECT): DEVICE_OBJECT {
  return (DeviceObject.DeviceExtension as PWR_EXTENSION).Lower as DEVICE_OBJECT;
}

/** AddDevice: an FDO attached to the PDO. */
function PwrAddDevice(DriverObject: DRIVER_OBJECT, Pdo: DEVICE_OBJECT): NTSTATUS {
  const created = IoCreateDevice(DriverObject, new PWR_EXTENSION(), null, FILE_DEVICE_UNKNOWN, 0, false);
  const fdo = created.DeviceObject;
  if (!fdo) return created.status;
  (fdo.DeviceExtension).Lower = IoAttachDeviceToDeviceStack(fdo, Pdo);
  fdo.Flags &= ~DO_DEVICE_INITIALIZING;
  return STATUS_SUCCESS;
}

/** IRP_MJ_PNP: the bus driver does the work; pass everything down. */
function PwrDispatchPnp(DeviceObject: DEVICE_OBJECT, Irp: IRP): NTSTATUS | Promise<NTSTATUS> {
  IoSkipCurrentIrpStackLocation(Irp);
  return IoCallDriver(lowerOf(DeviceObject), Irp);
}

/** IRP_MJ_POWER. BUG: a sleep is refused in SET_POWER (it must be vetoed in QUERY_POWER, or accepted). */
function PwrDispatchPower(DeviceObject: DEVICE_OBJECT, Irp: IRP): NTSTATUS | Promise<NTSTATUS> {
  const sl = IoGetCurrentIrpStackLocation(Irp);
  PoStartNextPowerIrp(Irp);
  if (sl.MinorFunction === IRP_MN_SET_POWER && sl.Parameters.Power.Type === SystemPowerState && sl.Parameters.Power.State.SystemState !== PowerSystemWorking) {
    Irp.IoStatus.Status = STATUS_UNSUCCESSFUL;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return STATUS_UNSUCCESSFUL;
  }
  IoSkipCurrentIrpStackLocation(Irp);
  return PoCallDriver(lowerOf(DeviceObject), Irp);
}

/** DriverEntry: a PnP driver with PnP and power dispatch routines. */
export function PwrDriverEntry(DriverObject: DRIVER_OBJECT): NTSTATUS {
  DriverObject.DriverExtension.AddDevice = PwrAddDevice;
  DriverObject.MajorFunction[IRP_MJ_PNP] = PwrDispatchPnp;
  DriverObject.MajorFunction[IRP_MJ_POWER] = PwrDispatchPower;
  return STATUS_SUCCESS;
}
