/**
 * IoSetCompletionRoutineEx and IoGetAttachedDeviceReference: the unload-safe variants a driver
 * uses when its completion routine or the device it found could outlive its own image.
 */
import { checkPointer, checkRoutine } from "../kernel/bad-pointer.js";
import { currentMachine } from "../kernel/context.js";
import { STATUS_INSUFFICIENT_RESOURCES, STATUS_SUCCESS, type NTSTATUS } from "../kernel/status.js";
import { IoGetAttachedDevice } from "./call-driver.js";
import { DEVICE_OBJECT } from "./device-object.js";
import { ioManager } from "./io-manager.js";
import { IoSetCompletionRoutine, IRP, type IO_COMPLETION_ROUTINE } from "./irp.js";

/**
 * IoSetCompletionRoutineEx: IoSetCompletionRoutine that also holds a reference on `DeviceObject`
 * until the routine has returned, so the driver that owns the routine cannot unload while it is
 * still to run. STATUS_INSUFFICIENT_RESOURCES (nothing set) when the context it needs cannot be
 * allocated, as under low-resources simulation.
 */
export function IoSetCompletionRoutineEx(DeviceObject: DEVICE_OBJECT, Irp: IRP, CompletionRoutine: IO_COMPLETION_ROUTINE, Context: unknown, InvokeOnSuccess: boolean, InvokeOnError: boolean, InvokeOnCancel: boolean): NTSTATUS {
  const t = currentMachine("IoSetCompletionRoutineEx").kernelCall("IoSetCompletionRoutineEx");
  checkPointer("IoSetCompletionRoutineEx", "DeviceObject", DeviceObject, DEVICE_OBJECT, "a DEVICE_OBJECT");
  checkPointer("IoSetCompletionRoutineEx", "Irp", Irp, IRP, "an IRP");
  checkRoutine("IoSetCompletionRoutineEx", "CompletionRoutine", CompletionRoutine);
  const m = t.machine;
  if (ioManager(m).injectFailure("IoSetCompletionRoutineEx")) return STATUS_INSUFFICIENT_RESOURCES;
  m.ob.reference(DeviceObject);
  // The I/O manager's own routine calls the driver's, then drops the reference (as
  // IopUnloadSafeCompletion does); it carries the driver's routine's name for traces and reports.
  const routine: IO_COMPLETION_ROUTINE = (dev, irp, context) => {
    try {
      return CompletionRoutine(dev, irp, context);
    } finally {
      m.ob.dereference(DeviceObject);
    }
  };
  Object.defineProperty(routine, "name", { value: CompletionRoutine.name });
  IoSetCompletionRoutine(Irp, routine, Context, InvokeOnSuccess, InvokeOnError, InvokeOnCancel);
  return STATUS_SUCCESS;
}

/**
 * IoGetAttachedDeviceReference: the top of the device stack above `DeviceObject`, with a
 * reference the caller drops with ObDereferenceObject.
 */
export function IoGetAttachedDeviceReference(DeviceObject: DEVICE_OBJECT): DEVICE_OBJECT {
  const t = currentMachine("IoGetAttachedDeviceReference").kernelCall("IoGetAttachedDeviceReference");
  const top = IoGetAttachedDevice(DeviceObject);
  t.machine.ob.reference(top);
  return top;
}
