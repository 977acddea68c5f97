/**
 * CEDDK's mapping of device memory (Learn MmMapIoSpace, MmUnmapIoSpace for CE 6.0): a wrapper
 * for VirtualAlloc + VirtualCopy(PAGE_PHYSICAL), so the same rules apply. In kernel mode the
 * mapping goes in kernel VM; in a user-mode driver the call goes to the reflector, which maps
 * only inside the driver's registry memory windows; for an app it fails.
 */
import { ceCall, hex, kernelService, traceEnter, traceReturn } from "../ce-call.js";
import { activeProcess } from "../ce-thread.js";
import { ERROR_INVALID_PARAMETER, MEM_RELEASE, MEM_RESERVE, PAGE_NOACCESS, PAGE_NOCACHE, PAGE_PHYSICAL, PAGE_READWRITE, PAGE_SIZE } from "../constants.js";
import { vmAlloc, vmCopy, vmFree } from "../vm-services.js";

/**
 * MmMapIoSpace(PhysicalAddress, NumberOfBytes, CacheEnable): a virtual address for the physical
 * range (its page offset kept), uncached unless `CacheEnable`; NULL (0) on failure.
 */
export function MmMapIoSpace(PhysicalAddress: number, NumberOfBytes: number, CacheEnable: boolean): number {
  const c = ceCall("MmMapIoSpace");
  const { t, ce } = c;
  traceEnter(c, "MmMapIoSpace", () => `${hex(PhysicalAddress)}, ${hex(NumberOfBytes)}, ${CacheEnable ? "TRUE" : "FALSE"}`);
  const done = (address: number, error: number): number => {
    if (error) t.lastError = error;
    traceReturn(c, "MmMapIoSpace", error ? "NULL" : hex(address), error !== 0);
    return error ? 0 : address;
  };
  if (!Number.isInteger(PhysicalAddress) || PhysicalAddress < 0 || !Number.isInteger(NumberOfBytes) || NumberOfBytes <= 0) return done(0, ERROR_INVALID_PARAMETER);
  if (c.user) {
    const r = kernelService(c, () => ce.reflector.mmMapIoSpace(t, PhysicalAddress, NumberOfBytes, CacheEnable));
    return done(r.address, r.error);
  }
  const target = activeProcess(t);
  const offset = PhysicalAddress % PAGE_SIZE;
  const size = NumberOfBytes + offset;
  const r = vmAlloc(ce, t, target, 0, size, MEM_RESERVE, PAGE_NOACCESS, false, "MmMapIoSpace");
  if (r.error) return done(0, r.error);
  const e = vmCopy(ce, t, target, r.address, ce.nk, (PhysicalAddress - offset) / 256, size, PAGE_PHYSICAL | PAGE_READWRITE | (CacheEnable ? 0 : PAGE_NOCACHE));
  if (e) {
    vmFree(ce, t, target, r.address, 0, MEM_RELEASE, false);
    return done(0, e);
  }
  return done(r.address + offset, 0);
}

/** MmUnmapIoSpace: releases a mapping MmMapIoSpace made (VirtualFree of its page-aligned base). */
export function MmUnmapIoSpace(BaseAddress: number, NumberOfBytes: number): void {
  const c = ceCall("MmUnmapIoSpace");
  const { t, ce } = c;
  traceEnter(c, "MmUnmapIoSpace", () => `${hex(BaseAddress)}, ${hex(NumberOfBytes)}`);
  const base = BaseAddress - (BaseAddress % PAGE_SIZE);
  const e = kernelService(c, () => vmFree(ce, t, activeProcess(t), base, 0, MEM_RELEASE, false));
  if (e) t.lastError = e;
  traceReturn(c, "MmUnmapIoSpace", e ? "failed" : "done", e !== 0);
}
