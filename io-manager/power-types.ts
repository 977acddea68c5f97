/**
 * The power vocabulary of wdm.h and ntpoapi.h: IRP_MJ_POWER's minor codes, SYSTEM_POWER_STATE,
 * DEVICE_POWER_STATE, POWER_STATE_TYPE, POWER_ACTION, the POWER_STATE union and POWER_SEQUENCE.
 * A file of its own, with no imports, so that the stack location (irp.ts) can name POWER_STATE.
 */

/** IRP_MJ_POWER minor function codes (wdm.h). */
export const IrpMinorPower = {
  IRP_MN_WAIT_WAKE: 0x00,
  IRP_MN_POWER_SEQUENCE: 0x01,
  IRP_MN_SET_POWER: 0x02,
  IRP_MN_QUERY_POWER: 0x03,
} as const;
export const { IRP_MN_WAIT_WAKE, IRP_MN_POWER_SEQUENCE, IRP_MN_SET_POWER, IRP_MN_QUERY_POWER } = IrpMinorPower;

/** The name of a power minor function, for traces. */
export function powerMinorName(minor: number): string {
  for (const [k, v] of Object.entries(IrpMinorPower)) if (v === minor) return k;
  return `IRP_MN_0x${minor.toString(16)}`;
}

/** SYSTEM_POWER_STATE (ntpoapi.h): S0 is PowerSystemWorking, S3 PowerSystemSleeping3, S4 PowerSystemHibernate, S5 PowerSystemShutdown. */
export const SYSTEM_POWER_STATE = {
  PowerSystemUnspecified: 0,
  PowerSystemWorking: 1,
  PowerSystemSleeping1: 2,
  PowerSystemSleeping2: 3,
  PowerSystemSleeping3: 4,
  PowerSystemHibernate: 5,
  PowerSystemShutdown: 6,
  PowerSystemMaximum: 7,
} as const;
/** A SYSTEM_POWER_STATE value. */
export type SYSTEM_POWER_STATE = (typeof SYSTEM_POWER_STATE)[keyof typeof SYSTEM_POWER_STATE];
export const { PowerSystemUnspecified, PowerSystemWorking, PowerSystemSleeping1, PowerSystemSleeping2, PowerSystemSleeping3, PowerSystemHibernate, PowerSystemShutdown, PowerSystemMaximum } = SYSTEM_POWER_STATE;

/** DEVICE_POWER_STATE (wdm.h): D0 is fully on, D3 off. */
export const DEVICE_POWER_STATE = {
  PowerDeviceUnspecified: 0,
  PowerDeviceD0: 1,
  PowerDeviceD1: 2,
  PowerDeviceD2: 3,
  PowerDeviceD3: 4,
  PowerDeviceMaximum: 5,
} as const;
/** A DEVICE_POWER_STATE value. */
export type DEVICE_POWER_STATE = (typeof DEVICE_POWER_STATE)[keyof typeof DEVICE_POWER_STATE];
export const { PowerDeviceUnspecified, PowerDeviceD0, PowerDeviceD1, PowerDeviceD2, PowerDeviceD3, PowerDeviceMaximum } = DEVICE_POWER_STATE;

/** POWER_STATE_TYPE: whether a power IRP (Parameters.Power.Type) or PoSetPowerState is about a system or a device state. */
export const POWER_STATE_TYPE = { SystemPowerState: 0, DevicePowerState: 1 } as const;
/** A POWER_STATE_TYPE value. */
export type POWER_STATE_TYPE = (typeof POWER_STATE_TYPE)[keyof typeof POWER_STATE_TYPE];
export const { SystemPowerState, DevicePowerState } = POWER_STATE_TYPE;

/** POWER_ACTION (ntpoapi.h): why the system changes state (Parameters.Power.ShutdownType of an S-IRP). */
export const POWER_ACTION = {
  PowerActionNone: 0,
  PowerActionReserved: 1,
  PowerActionSleep: 2,
  PowerActionHibernate: 3,
  PowerActionShutdown: 4,
  PowerActionShutdownReset: 5,
  PowerActionShutdownOff: 6,
  PowerActionWarmEject: 7,
  PowerActionDisplayOff: 8,
} as const;
/** A POWER_ACTION value. */
export type POWER_ACTION = (typeof POWER_ACTION)[keyof typeof POWER_ACTION];
export const { PowerActionNone, PowerActionReserved, PowerActionSleep, PowerActionHibernate, PowerActionShutdown, PowerActionShutdownReset, PowerActionShutdownOff, PowerActionWarmEject, PowerActionDisplayOff } = POWER_ACTION;

/**
 * POWER_STATE: the union of a SYSTEM_POWER_STATE and a DEVICE_POWER_STATE in one ULONG, as in
 * wdm.h — SystemState and DeviceState are the same storage, so writing one changes the other.
 */
export class POWER_STATE {
  private value: number;
  constructor(value = 0) {
    this.value = value >>> 0;
  }
  /** The union read as a SYSTEM_POWER_STATE (for Parameters.Power.Type == SystemPowerState). */
  get SystemState(): number {
    return this.value;
  }
  /** Writes the union as a SYSTEM_POWER_STATE. */
  set SystemState(v: number) {
    this.value = v >>> 0;
  }
  /** The union read as a DEVICE_POWER_STATE (for Parameters.Power.Type == DevicePowerState). */
  get DeviceState(): number {
    return this.value;
  }
  /** Writes the union as a DEVICE_POWER_STATE. */
  set DeviceState(v: number) {
    this.value = v >>> 0;
  }
}

/** POWER_SEQUENCE (wdm.h): how many times the device has entered D1, D2 and D3, as its bus driver counts them (IRP_MN_POWER_SEQUENCE). */
export class POWER_SEQUENCE {
  /** Times the device entered D1 or a deeper state. */
  SequenceD1 = 0;
  /** Times the device entered D2 or a deeper state. */
  SequenceD2 = 0;
  /** Times the device entered D3. */
  SequenceD3 = 0;
}
