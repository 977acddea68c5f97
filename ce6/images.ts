/**
 * The platform's image store: the DLLs a CE machine can load, by file name. A DLL is its export
 * table — named functions — which is all the device manager (GetProcAddress of XXX_Init,
 * XXX_IOControl…) and LoadKernelLibrary need. Names are case-insensitive, as on CE.
 */

/** A DLL's exports: entry points by name. */
export type CeExports = Readonly<Record<string, ((...args: never[]) => unknown) | undefined>>;

/** The image store. */
export class CeImageStore {
  private readonly images = new Map<string, { name: string; exports: CeExports }>();

  /** Adds (or replaces) a DLL. */
  add(name: string, exports: CeExports): void {
    this.images.set(name.toLowerCase(), { name, exports });
  }

  /** A DLL's exports, or undefined when no such file exists. */
  find(name: string): { name: string; exports: CeExports } | undefined {
    return this.images.get(name.toLowerCase());
  }

  /** GetProcAddress: an export by name, or undefined. */
  static procAddress(exports: CeExports, name: string): ((...args: never[]) => unknown) | undefined {
    const f = exports[name];
    return typeof f === "function" ? f : undefined;
  }
}
