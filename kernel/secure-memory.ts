/**
 * MmSecureVirtualMemory and MmUnsecureVirtualMemory: a driver that keeps using a user buffer
 * after probing it secures the range, so the app cannot free it or make it more restrictive
 * underneath the driver. While a range is secured, NtFreeVirtualMemory (VirtualFree, either
 * MEM_DECOMMIT or MEM_RELEASE), NtUnmapViewOfSection of a view over it and NtProtectVirtualMemory
 * (VirtualProtect) to a protection that loses what the driver secured (a write for a read-write
 * securing, any access for a read-only one; a guard page either way) fail with
 * STATUS_INVALID_PAGE_PROTECTION (Win32 ERROR_INVALID_PARAMETER), as MiCheckSecuredVad answers.
 * The securing goes with MmUnsecureVirtualMemory or with the process.
 */
import type { UserAddressSpace } from "./address-space.js";
import { BugCheckCode } from "./bugcheck-codes.js";
import { currentMachine } from "./context.js";
import { APC_LEVEL } from "./irql.js";
import type { Machine } from "./machine.js";
import { MM_HIGHEST_USER_ADDRESS } from "./memory-constants.js";
import { PAGE_SHIFT, PAGE_SIZE } from "./physical-memory.js";
import { PAGE_EXECUTE_READ, PAGE_EXECUTE_READWRITE, PAGE_EXECUTE_WRITECOPY, PAGE_GUARD, PAGE_READONLY, PAGE_READWRITE, PAGE_WRITECOPY, PTE_MAPPED, PTE_OWNED, PTE_VALID, PTE_WRITE } from "./pte.js";
import { STATUS_INVALID_PAGE_PROTECTION, STATUS_SUCCESS, type NTSTATUS } from "./status.js";
import type { KThread } from "./thread.js";

/** One secured range of an address space. */
interface SecuredRange {
  readonly handle: number;
  readonly space: UserAddressSpace;
  readonly startVpn: number;
  readonly endVpn: number;
  readonly readOnly: boolean;
}

const rangesBySpace = new WeakMap<UserAddressSpace, SecuredRange[]>();
/** Each machine's secure handles (numbered per machine, so runs stay identical). */
const handlesByMachine = new WeakMap<Machine, { next: number; ranges: Map<number, SecuredRange> }>();

function handlesOf(m: Machine): { next: number; ranges: Map<number, SecuredRange> } {
  let h = handlesByMachine.get(m);
  if (!h) {
    h = { next: 0x5ec0, ranges: new Map() };
    handlesByMachine.set(m, h);
  }
  return h;
}

const READABLE = new Set<number>([PAGE_READONLY, PAGE_READWRITE, PAGE_WRITECOPY, PAGE_EXECUTE_READ, PAGE_EXECUTE_READWRITE, PAGE_EXECUTE_WRITECOPY]);
const WRITABLE = new Set<number>([PAGE_READWRITE, PAGE_WRITECOPY, PAGE_EXECUTE_READWRITE, PAGE_EXECUTE_WRITECOPY]);

function check(ranges: SecuredRange[], startVpn: number, endVpn: number, protect: number | null): NTSTATUS {
  for (const r of ranges) {
    if (r.startVpn >= endVpn || startVpn >= r.endVpn) continue;
    // A free or decommit of a secured page, a guard page, or a protection that loses the secured access.
    if (protect === null || protect & PAGE_GUARD) return STATUS_INVALID_PAGE_PROTECTION;
    const base = protect & 0xff;
    if (!(r.readOnly ? READABLE : WRITABLE).has(base)) return STATUS_INVALID_PAGE_PROTECTION;
  }
  return STATUS_SUCCESS;
}

function kernel(api: string): KThread {
  const t = currentMachine(api).kernelCall(api);
  if (t.irql > APC_LEVEL) {
    t.machine.bugCheck(BugCheckCode.IRQL_NOT_LESS_OR_EQUAL, 0, t.irql, 0, 0, { detail: `${api} at IRQL ${t.irql}: it is called at IRQL <= APC_LEVEL` });
  }
  return t;
}

/**
 * MmSecureVirtualMemory: secures `Size` bytes at `Address` in the current process's user space
 * for `ProbeMode` access (PAGE_READONLY or PAGE_READWRITE) and returns a handle for
 * MmUnsecureVirtualMemory — or NULL (0) when the range is not all committed, accessible memory
 * of that kind in the current process (outside user space, unmapped, read-only for PAGE_READWRITE,
 * a size of 0, another ProbeMode). IRQL <= APC_LEVEL.
 */
export function MmSecureVirtualMemory(Address: number, Size: number, ProbeMode: number): number {
  const t = kernel("MmSecureVirtualMemory");
  const space = t.currentProcess.addressSpace;
  if (!space || typeof Address !== "number" || typeof Size !== "number" || !Number.isInteger(Address) || !Number.isInteger(Size) || Size <= 0) return 0;
  if (ProbeMode !== PAGE_READONLY && ProbeMode !== PAGE_READWRITE) return 0;
  if (Address < 0 || Address + Size - 1 > MM_HIGHEST_USER_ADDRESS) return 0;
  const startVpn = Address >>> PAGE_SHIFT;
  const endVpn = Math.ceil((Address + Size) / PAGE_SIZE);
  const need = PTE_VALID | (ProbeMode === PAGE_READWRITE ? PTE_WRITE : 0);
  for (let vpn = startVpn; vpn < endVpn; vpn++) {
    const pte = space.table.get(vpn);
    if ((pte & need) !== need || !(pte & (PTE_OWNED | PTE_MAPPED))) return 0;
  }
  let ranges = rangesBySpace.get(space);
  if (!ranges) {
    const list: SecuredRange[] = [];
    ranges = list;
    rangesBySpace.set(space, list);
    space.securedCheck = (s, e, p) => check(list, s, e, p);
  }
  const handles = handlesOf(t.machine);
  const range: SecuredRange = { handle: handles.next, space, startVpn, endVpn, readOnly: ProbeMode === PAGE_READONLY };
  handles.next += 4;
  ranges.push(range);
  handles.ranges.set(range.handle, range);
  return range.handle;
}

/**
 * MmUnsecureVirtualMemory: ends a securing MmSecureVirtualMemory made. A handle that secures
 * nothing (unsecured already, or its process gone) is ignored, as Windows ignores it.
 * IRQL <= APC_LEVEL.
 */
export function MmUnsecureVirtualMemory(SecureHandle: number): void {
  const t = kernel("MmUnsecureVirtualMemory");
  if (typeof SecureHandle !== "number") return;
  const handles = handlesOf(t.machine);
  const range = handles.ranges.get(SecureHandle);
  handles.ranges.delete(SecureHandle);
  if (!range) return;
  const list = rangesBySpace.get(range.space);
  const k = list ? list.indexOf(range) : -1;
  if (list && k >= 0) list.splice(k, 1);
}
