/**
 * The registry from a scenario's side: laying out keys and values before a driver loads (what an
 * INF's AddReg or an administrator's regedit would have done) and reading them afterwards, without
 * going through a driver's or an app's handles. Paths are full registry paths
 * ("\\Registry\\Machine\\System\\CurrentControlSet\\Services\\MyDriver\\Parameters"); names compare
 * case-insensitively, as the registry compares them.
 */
import type { Machine } from "../kernel/machine.js";
import {
  REG_BINARY,
  REG_DWORD,
  REG_DWORD_BIG_ENDIAN,
  REG_EXPAND_SZ,
  REG_LINK,
  REG_MULTI_SZ,
  REG_QWORD,
  REG_SZ,
  multiSzList,
  registryOf,
  seedValue,
  serviceKeyPath,
  utf16Text,
  type RegistryValueSeed,
} from "../kernel/registry.js";

/** A value read from the registry: its type, its bytes, and the bytes decoded as the type says. */
export interface RegistryValueInfo {
  /** REG_* type. */
  readonly type: number;
  /** The data as stored. */
  readonly data: Uint8Array;
  /**
   * The data decoded: a number for REG_DWORD / REG_DWORD_BIG_ENDIAN (four bytes or more), a
   * bigint for REG_QWORD (eight), a string for REG_SZ / REG_EXPAND_SZ / REG_LINK, an array of
   * strings for REG_MULTI_SZ, and the bytes for anything else.
   */
  readonly value: number | bigint | string | string[] | Uint8Array;
}

/**
 * Sets a value, creating every key on `keyPath` that does not exist yet. `data` is given as
 * RegistryValueSeed's data forms: a number for a REG_DWORD, a string for a REG_SZ, an array of
 * strings for a REG_MULTI_SZ, a bigint for a REG_QWORD, bytes for anything.
 */
export function setRegistryValue(m: Machine, keyPath: string, valueName: string, type: number, data: number | bigint | string | readonly string[] | Uint8Array): void {
  const hive = registryOf(m);
  const k = hive.ensure(keyPath);
  const v = seedValue({ type, data });
  hive.setValue(k, valueName, v.type, v.data);
}

/** Creates every key on `keyPath` that does not exist yet (REG_OPTION_VOLATILE with `volatile`). */
export function createRegistryKey(m: Machine, keyPath: string, options: { readonly volatile?: boolean } = {}): void {
  registryOf(m).ensure(keyPath, options.volatile ?? false);
}

/** The value `valueName` of the key `keyPath` ("" for the default value), or null when the key or the value does not exist. */
export function registryValue(m: Machine, keyPath: string, valueName: string): RegistryValueInfo | null {
  const v = registryOf(m).find(keyPath)?.value(valueName);
  if (!v) return null;
  const data = v.data.slice();
  const view = new DataView(data.buffer);
  let value: RegistryValueInfo["value"] = data;
  if (v.type === REG_DWORD && data.length >= 4) value = view.getUint32(0, true);
  else if (v.type === REG_DWORD_BIG_ENDIAN && data.length >= 4) value = view.getUint32(0, false);
  else if (v.type === REG_QWORD && data.length >= 8) value = view.getBigUint64(0, true);
  else if (v.type === REG_SZ || v.type === REG_EXPAND_SZ || v.type === REG_LINK) value = utf16Text(data);
  else if (v.type === REG_MULTI_SZ) value = multiSzList(data);
  else if (v.type === REG_BINARY) value = data;
  return { type: v.type, data, value };
}

/** Whether the key `keyPath` exists. */
export function registryKeyExists(m: Machine, keyPath: string): boolean {
  return registryOf(m).find(keyPath) !== null;
}

/** The names of the key's subkeys in enumeration order, or null when the key does not exist. */
export function registrySubkeys(m: Machine, keyPath: string): string[] | null {
  return registryOf(m).find(keyPath)?.sortedSubkeys().map((k) => k.name) ?? null;
}

/** The names of the key's values in enumeration order, or null when the key does not exist. */
export function registryValueNames(m: Machine, keyPath: string): string[] | null {
  const k = registryOf(m).find(keyPath);
  return k ? [...k.values.values()].map((v) => v.name) : null;
}

/**
 * Seeds a driver's Parameters key (`<service key>\\Parameters`) before it loads, value by value;
 * the same as loadDriver's `parameters` option, for a scenario that lays the registry out first.
 */
export function setDriverParameters(m: Machine, service: string, parameters: Readonly<Record<string, RegistryValueSeed>>): void {
  const hive = registryOf(m);
  const k = hive.ensure(`${serviceKeyPath(service)}\\Parameters`);
  for (const [name, seed] of Object.entries(parameters)) {
    const v = seedValue(seed);
    hive.setValue(k, name, v.type, v.data);
  }
}
