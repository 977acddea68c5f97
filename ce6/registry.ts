/**
 * The part of the CE registry the device manager and the reflector read:
 * HKEY_LOCAL_MACHINE keys with REG_DWORD, REG_SZ and REG_MULTI_SZ values. Only trusted code (the
 * platform, the harness) writes it — on CE this part of the registry is writable by privileged
 * code only, which is what makes the reflector's IoBase/IoLen and MemBase/MemLen checks mean
 * something. Key and value names are case-insensitive, as on CE.
 */

/** A registry value: REG_DWORD (number), REG_SZ (string) or REG_MULTI_SZ (string[]). */
export type RegistryValue = number | string | readonly string[];

/** One key's values. */
export type RegistryKeyValues = Readonly<Record<string, RegistryValue>>;

function norm(path: string): string {
  return path.replace(/^\\+|\\+$/g, "").replace(/\\+/g, "\\").toLowerCase();
}

/** HKEY_LOCAL_MACHINE, as far as drivers need it. */
export class CeRegistry {
  private readonly keys = new Map<string, { path: string; values: Map<string, { name: string; value: RegistryValue }> }>();

  /** Creates (or replaces the values of) a key, e.g. `Drivers\BuiltIn\SMD`. */
  setKey(path: string, values: RegistryKeyValues): void {
    const key = { path: path.replace(/^\\+|\\+$/g, ""), values: new Map<string, { name: string; value: RegistryValue }>() };
    for (const [name, value] of Object.entries(values)) key.values.set(name.toLowerCase(), { name, value });
    this.keys.set(norm(path), key);
  }

  /** Sets one value of an existing or new key. */
  setValue(path: string, name: string, value: RegistryValue): void {
    const k = norm(path);
    if (!this.keys.has(k)) this.setKey(path, {});
    this.keys.get(k)?.values.set(name.toLowerCase(), { name, value });
  }

  /** Deletes a key; false when it did not exist. */
  deleteKey(path: string): boolean {
    return this.keys.delete(norm(path));
  }

  /** True when the key exists. */
  hasKey(path: string): boolean {
    return this.keys.has(norm(path));
  }

  /** A value, or undefined. */
  value(path: string, name: string): RegistryValue | undefined {
    return this.keys.get(norm(path))?.values.get(name.toLowerCase())?.value;
  }

  /** A REG_DWORD value, or undefined (absent or another type). */
  dword(path: string, name: string): number | undefined {
    const v = this.value(path, name);
    return typeof v === "number" ? v >>> 0 : undefined;
  }

  /** A REG_SZ value, or undefined. */
  string(path: string, name: string): string | undefined {
    const v = this.value(path, name);
    return typeof v === "string" ? v : undefined;
  }

  /**
   * A value read as a list of numbers: a REG_DWORD is one, a REG_MULTI_SZ of hexadecimal or
   * decimal strings is several (the way IoBase/IoLen may list several windows). Null when the
   * value is absent or malformed.
   */
  numberList(path: string, name: string): number[] | null {
    const v = this.value(path, name);
    if (v === undefined) return null;
    if (typeof v === "number") return [v >>> 0];
    const items = typeof v === "string" ? [v] : [...v];
    const out: number[] = [];
    for (const s of items) {
      const t = s.trim();
      const n = /^0x[0-9a-f]+$/i.test(t) ? parseInt(t.slice(2), 16) : /^[0-9]+$/.test(t) ? parseInt(t, 10) : NaN;
      if (!Number.isFinite(n)) return null;
      out.push(n >>> 0);
    }
    return out;
  }

}
