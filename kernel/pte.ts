/**
 * Page table entries: frame number in bits 12–31, hardware-like and software bits below.
 *
 * A committed page owns its frame (PTE_OWNED) even when it is inaccessible (PAGE_NOACCESS or a
 * guard page: PTE_VALID clear); a mapping of someone else's frames (an MDL mapped to system
 * space or to user space, I/O space) has PTE_MAPPED instead, and does not hold the frame.
 * A zero PTE inside a reservation is a reserved page; outside one, a free page.
 */

export const PTE_VALID = 0x001;
export const PTE_WRITE = 0x002;
export const PTE_USER = 0x004;
export const PTE_OWNED = 0x008;
export const PTE_PAGEABLE = 0x010;
export const PTE_GUARD = 0x020;
export const PTE_NOCACHE = 0x040;
export const PTE_WRITECOMBINE = 0x080;
export const PTE_PROT_SHIFT = 8;
export const PTE_PROT_MASK = 0x700;
export const PTE_MAPPED = 0x800;

/** PAGE_* protection constants (winnt.h). */
export const PageProtection = {
  PAGE_NOACCESS: 0x01,
  PAGE_READONLY: 0x02,
  PAGE_READWRITE: 0x04,
  PAGE_WRITECOPY: 0x08,
  PAGE_EXECUTE: 0x10,
  PAGE_EXECUTE_READ: 0x20,
  PAGE_EXECUTE_READWRITE: 0x40,
  PAGE_EXECUTE_WRITECOPY: 0x80,
  PAGE_GUARD: 0x100,
  PAGE_NOCACHE: 0x200,
  PAGE_WRITECOMBINE: 0x400,
} as const;

export const {
  PAGE_NOACCESS,
  PAGE_READONLY,
  PAGE_READWRITE,
  PAGE_WRITECOPY,
  PAGE_EXECUTE,
  PAGE_EXECUTE_READ,
  PAGE_EXECUTE_READWRITE,
  PAGE_EXECUTE_WRITECOPY,
  PAGE_GUARD,
  PAGE_NOCACHE,
  PAGE_WRITECOMBINE,
} = PageProtection;

const baseProtections = [
  PAGE_NOACCESS,
  PAGE_READONLY,
  PAGE_READWRITE,
  PAGE_WRITECOPY,
  PAGE_EXECUTE,
  PAGE_EXECUTE_READ,
  PAGE_EXECUTE_READWRITE,
  PAGE_EXECUTE_WRITECOPY,
] as const;

/**
 * Validates a PAGE_* value the way NtAllocateVirtualMemory does: exactly one base protection,
 * optionally one of NOCACHE / WRITECOMBINE, optionally GUARD (not with NOACCESS).
 * Returns the PTE bits for it, or null when the value is invalid.
 */
export function protectionToPteBits(protect: number): number | null {
  const base = protect & 0xff;
  const index = baseProtections.indexOf(base as (typeof baseProtections)[number]);
  if (index < 0) return null;
  if (protect & ~0x7ff) return null;
  const guard = (protect & PAGE_GUARD) !== 0;
  const nocache = (protect & PAGE_NOCACHE) !== 0;
  const wc = (protect & PAGE_WRITECOMBINE) !== 0;
  if (nocache && wc) return null;
  if (guard && base === PAGE_NOACCESS) return null;
  if ((guard || nocache || wc) && base === PAGE_NOACCESS) return null;
  let bits = index << PTE_PROT_SHIFT;
  if (guard) bits |= PTE_GUARD;
  if (nocache) bits |= PTE_NOCACHE;
  if (wc) bits |= PTE_WRITECOMBINE;
  if (!guard && base !== PAGE_NOACCESS) bits |= PTE_VALID;
  if (base === PAGE_READWRITE || base === PAGE_WRITECOPY || base === PAGE_EXECUTE_READWRITE || base === PAGE_EXECUTE_WRITECOPY) {
    bits |= PTE_WRITE;
  }
  return bits;
}

/** The PAGE_* value a PTE's protection bits stand for. */
export function pteToProtection(pte: number): number {
  let p: number = baseProtections[(pte & PTE_PROT_MASK) >>> PTE_PROT_SHIFT] ?? PAGE_NOACCESS;
  if (pte & PTE_GUARD) p |= PAGE_GUARD;
  if (pte & PTE_NOCACHE) p |= PAGE_NOCACHE;
  if (pte & PTE_WRITECOMBINE) p |= PAGE_WRITECOMBINE;
  return p;
}

/** After a guard page fires once, it becomes an ordinary page of its base protection. */
export function clearGuard(pte: number): number {
  const base = (pte & PTE_PROT_MASK) >>> PTE_PROT_SHIFT;
  let next = pte & ~PTE_GUARD;
  if (base !== 0) next |= PTE_VALID;
  return next;
}

/** The frame a PTE points at. */
export function pteFrame(pte: number): number {
  return pte >>> 12;
}

/** True when the PTE holds or maps a frame. */
export function pteHasFrame(pte: number): boolean {
  return (pte & (PTE_OWNED | PTE_MAPPED)) !== 0;
}
