/** KIRQL values (x86) and KPROCESSOR_MODE. */
export type KIRQL = number;

/** Interrupt request levels of the x86 kernel, by name (PASSIVE_LEVEL 0 to HIGH_LEVEL 31). */
export const Irql = {
  PASSIVE_LEVEL: 0,
  LOW_LEVEL: 0,
  APC_LEVEL: 1,
  DISPATCH_LEVEL: 2,
  PROFILE_LEVEL: 27,
  CLOCK1_LEVEL: 28,
  CLOCK2_LEVEL: 28,
  IPI_LEVEL: 29,
  POWER_LEVEL: 30,
  HIGH_LEVEL: 31,
} as const;

export const { PASSIVE_LEVEL, LOW_LEVEL, APC_LEVEL, DISPATCH_LEVEL, PROFILE_LEVEL, CLOCK2_LEVEL, IPI_LEVEL, POWER_LEVEL, HIGH_LEVEL } = Irql;

/** Device IRQLs sit between DISPATCH_LEVEL and PROFILE_LEVEL. */
export const DIRQL_MIN = 3;

/** KPROCESSOR_MODE. */
export type KPROCESSOR_MODE = 0 | 1;
/** The processor runs kernel code (previous mode of a kernel caller; no probing needed). */
export const KernelMode: KPROCESSOR_MODE = 0;
/** The processor runs user code (previous mode of a user caller: its buffers must be probed). */
export const UserMode: KPROCESSOR_MODE = 1;

/** "KernelMode" or "UserMode", for messages and traces. */
export function modeName(mode: KPROCESSOR_MODE): "KernelMode" | "UserMode" {
  return mode === KernelMode ? "KernelMode" : "UserMode";
}

/** The symbolic name of an IRQL. */
export function irqlName(irql: KIRQL): string {
  switch (irql) {
    case 0:
      return "PASSIVE_LEVEL";
    case 1:
      return "APC_LEVEL";
    case 2:
      return "DISPATCH_LEVEL";
    case 31:
      return "HIGH_LEVEL";
    default:
      return irql > 2 && irql < 27 ? `DIRQL(${irql})` : `IRQL ${irql}`;
  }
}
