/**
 * A PnP device's registry keys: IoOpenDeviceRegistryKey (the hardware key, Enum\<instance>\Device
 * Parameters, and the software key, Control\Class\{class GUID}\NNNN) and IoGetDeviceProperty for
 * the properties the PnP manager keeps there. The keys are made when first asked for, as an INF
 * install would have made them; root-enumerated devices are given the System class
 * ({4d36e97d-e325-11ce-bfc1-08002be10318}) since irpsim's devices come from no INF.
 */
import { KernelMode, PASSIVE_LEVEL } from "../kernel/irql.js";
import { BugCheckCode } from "../kernel/bugcheck-codes.js";
import { currentMachine } from "../kernel/context.js";
import { InitializeObjectAttributes, OBJ_CASE_INSENSITIVE, OBJ_KERNEL_HANDLE, OBJECT_ATTRIBUTES } from "../kernel/object-attributes.js";
import { REG_MULTI_SZ, REG_SZ, regMultiSzBytes, regSzBytes, registryOf, utf16Text, type RegistryKey } from "../kernel/registry.js";
import { openKey, storeULong, type RegBuffer, type RegULongOut } from "../kernel/reg-services.js";
import { STATUS_BUFFER_TOO_SMALL, STATUS_INVALID_DEVICE_REQUEST, STATUS_INVALID_PARAMETER, STATUS_INVALID_PARAMETER_2, STATUS_SUCCESS, type NTSTATUS } from "../kernel/status.js";
import type { KThread } from "../kernel/thread.js";
import { DEVICE_OBJECT } from "./device-object.js";
import { pnpManager, type DeviceNode } from "./pnp.js";

/** PLUGPLAY_REGKEY_DEVICE: the device's hardware key (Enum\<instance>\Device Parameters). */
export const PLUGPLAY_REGKEY_DEVICE = 1;
/** PLUGPLAY_REGKEY_DRIVER: the device's software (driver) key (Control\Class\{GUID}\NNNN). */
export const PLUGPLAY_REGKEY_DRIVER = 2;
/** PLUGPLAY_REGKEY_CURRENT_HWPROFILE: the key in the current hardware profile (not built in irpsim). */
export const PLUGPLAY_REGKEY_CURRENT_HWPROFILE = 4;

/** The class GUID root-enumerated devices get here: the System device class. */
export const SYSTEM_DEVICE_CLASS_GUID = "{4d36e97d-e325-11ce-bfc1-08002be10318}";

const ENUM = "\\Registry\\Machine\\System\\CurrentControlSet\\Enum";
const CLASS = "\\Registry\\Machine\\System\\CurrentControlSet\\Control\\Class";

/** DEVICE_REGISTRY_PROPERTY values IoGetDeviceProperty answers. */
export const DevicePropertyDeviceDescription = 0;
/** DevicePropertyHardwareID: the hardware IDs, a REG_MULTI_SZ. */
export const DevicePropertyHardwareID = 1;
/** DevicePropertyClassGuid: the device setup class GUID, a string. */
export const DevicePropertyClassGuid = 6;
/** DevicePropertyDriverKeyName: the software key's name under Control\Class ("{GUID}\0000"). */
export const DevicePropertyDriverKeyName = 7;
/** DevicePropertyPhysicalDeviceObjectName: the PDO's name ("\Device\00000001"). */
export const DevicePropertyPhysicalDeviceObjectName = 11;
/** DevicePropertyEnumeratorName: the enumerator that reported the device ("ROOT"). */
export const DevicePropertyEnumeratorName = 15;

function enter(api: string): KThread {
  const t = currentMachine(api).kernelCall(api);
  if (t.irql > PASSIVE_LEVEL) t.machine.bugCheck(BugCheckCode.IRQL_NOT_LESS_OR_EQUAL, 0, t.irql, 0, 0, { detail: `${api} at IRQL ${t.irql}: it is called at PASSIVE_LEVEL` });
  return t;
}

/** The device node whose PDO `d` is (a function or filter device object is not one). */
function nodeOfPdo(t: KThread, d: unknown): DeviceNode | null {
  if (!(d instanceof DEVICE_OBJECT)) return null;
  return pnpManager(t.machine).nodeOf(d);
}

/** The device's Enum key, with the values the PnP manager keeps there (made on first use). */
function enumKey(t: KThread, n: DeviceNode): RegistryKey {
  const hive = registryOf(t.machine);
  const k = hive.ensure(`${ENUM}\\${n.instanceId}`);
  if (!k.value("HardwareID")) {
    hive.setValue(k, "HardwareID", REG_MULTI_SZ, regMultiSzBytes([n.hardwareId]));
    hive.setValue(k, "Service", REG_SZ, regSzBytes(n.service));
    hive.setValue(k, "ClassGUID", REG_SZ, regSzBytes(SYSTEM_DEVICE_CLASS_GUID));
  }
  return k;
}

/** The device's driver key name ("{GUID}\NNNN"), allotting the next instance number under the class on first use. */
function driverKeyName(t: KThread, n: DeviceNode): string {
  const hive = registryOf(t.machine);
  const e = enumKey(t, n);
  const existing = e.value("Driver");
  if (existing) return utf16Text(existing.data);
  const cls = hive.ensure(`${CLASS}\\${SYSTEM_DEVICE_CLASS_GUID}`);
  const name = `${SYSTEM_DEVICE_CLASS_GUID}\\${cls.subkeys.size.toString().padStart(4, "0")}`;
  hive.ensure(`${CLASS}\\${name}`);
  hive.setValue(e, "Driver", REG_SZ, regSzBytes(name));
  return name;
}

/**
 * IoOpenDeviceRegistryKey: a kernel handle (with DesiredAccess) to a PnP device's hardware key
 * (PLUGPLAY_REGKEY_DEVICE: Enum\<instance>\Device Parameters) or software key
 * (PLUGPLAY_REGKEY_DRIVER: Control\Class\{GUID}\NNNN). DeviceObject must be the PDO:
 * STATUS_INVALID_DEVICE_REQUEST for any other device object. Close the handle with ZwClose.
 */
export function IoOpenDeviceRegistryKey(DeviceObject: DEVICE_OBJECT, DevInstKeyType: number, DesiredAccess: number): { /** STATUS_SUCCESS or why not. */ status: NTSTATUS; /** The key handle (0 on failure). */ DeviceRegKey: number } {
  const t = enter("IoOpenDeviceRegistryKey");
  const n = nodeOfPdo(t, DeviceObject);
  if (!n) return { status: STATUS_INVALID_DEVICE_REQUEST, DeviceRegKey: 0 };
  if (DevInstKeyType & PLUGPLAY_REGKEY_CURRENT_HWPROFILE) throw new Error("IoOpenDeviceRegistryKey with PLUGPLAY_REGKEY_CURRENT_HWPROFILE: hardware profiles are not built in irpsim");
  let path: string;
  if (DevInstKeyType === PLUGPLAY_REGKEY_DEVICE) {
    path = `${ENUM}\\${n.instanceId}\\Device Parameters`;
    enumKey(t, n);
    registryOf(t.machine).ensure(path);
  } else if (DevInstKeyType === PLUGPLAY_REGKEY_DRIVER) path = `${CLASS}\\${driverKeyName(t, n)}`;
  else return { status: STATUS_INVALID_PARAMETER, DeviceRegKey: 0 };
  const oa = new OBJECT_ATTRIBUTES();
  InitializeObjectAttributes(oa, path, OBJ_KERNEL_HANDLE | OBJ_CASE_INSENSITIVE, null, null);
  const previous = t.previousMode;
  t.previousMode = KernelMode;
  try {
    const r = openKey(t, KernelMode, DesiredAccess, oa, null);
    return { status: r.status, DeviceRegKey: r.handle };
  } finally {
    t.previousMode = previous;
  }
}

/**
 * IoGetDeviceProperty: a PnP device's property into PropertyBuffer (an address or a local
 * buffer), ResultLength the size it needs: DevicePropertyHardwareID (REG_MULTI_SZ),
 * DevicePropertyDriverKeyName, DevicePropertyClassGuid, DevicePropertyPhysicalDeviceObjectName,
 * DevicePropertyEnumeratorName (NUL-terminated strings). A buffer too short is
 * STATUS_BUFFER_TOO_SMALL; a device object that is not a PDO STATUS_INVALID_DEVICE_REQUEST; a
 * property the enumeration does not define STATUS_INVALID_PARAMETER_2. The other properties are
 * not built and say so.
 */
export function IoGetDeviceProperty(DeviceObject: DEVICE_OBJECT, DeviceProperty: number, BufferLength: number, PropertyBuffer: RegBuffer | null, ResultLength: RegULongOut): NTSTATUS {
  const t = enter("IoGetDeviceProperty");
  const n = nodeOfPdo(t, DeviceObject);
  if (!n) return STATUS_INVALID_DEVICE_REQUEST;
  let data: Uint8Array;
  switch (DeviceProperty) {
    case DevicePropertyHardwareID:
      data = regMultiSzBytes([n.hardwareId]);
      break;
    case DevicePropertyDriverKeyName:
      data = regSzBytes(driverKeyName(t, n));
      break;
    case DevicePropertyClassGuid:
      data = regSzBytes(SYSTEM_DEVICE_CLASS_GUID);
      break;
    case DevicePropertyPhysicalDeviceObjectName:
      data = regSzBytes(n.pdo.objectName ?? "");
      break;
    case DevicePropertyEnumeratorName:
      data = regSzBytes(n.instanceId.split("\\")[0] ?? "ROOT");
      break;
    default:
      if (typeof DeviceProperty !== "number" || !Number.isInteger(DeviceProperty) || DeviceProperty < 0 || DeviceProperty > 0x20) return STATUS_INVALID_PARAMETER_2;
      throw new Error(`IoGetDeviceProperty: DEVICE_REGISTRY_PROPERTY ${DeviceProperty} is not built in irpsim; DevicePropertyHardwareID, DevicePropertyClassGuid, DevicePropertyDriverKeyName, DevicePropertyPhysicalDeviceObjectName and DevicePropertyEnumeratorName are`);
  }
  storeULong(t, ResultLength, data.length);
  if (typeof BufferLength !== "number" || BufferLength >>> 0 < data.length) return STATUS_BUFFER_TOO_SMALL;
  if (PropertyBuffer === null || PropertyBuffer === 0) return STATUS_INVALID_PARAMETER;
  if (typeof PropertyBuffer === "number") t.machine.mmu.writeBytes(PropertyBuffer, data);
  else PropertyBuffer.set(data.subarray(0, Math.min(data.length, PropertyBuffer.length)));
  return STATUS_SUCCESS;
}
