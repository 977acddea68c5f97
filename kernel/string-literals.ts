/**
 * String literals: where `L"\\Device\\Foo"` lives when TypeScript code passes a string where C
 * passes a literal's address (RtlInitUnicodeString(&Name, L"...")). As an image's .rdata section,
 * each distinct literal is stored once, NUL-terminated, in read-only memory that lasts as long as
 * its owner: system space for kernel-mode callers (a driver's image), the process's address space
 * for user-mode callers (an app's image). Writing to a literal faults, as it does in C.
 */
import type { Machine } from "./machine.js";
import { KernelMode } from "./irql.js";
import { MEM_COMMIT, MEM_RESERVE } from "./memory-constants.js";
import { PAGE_SIZE } from "./physical-memory.js";
import { PAGE_READONLY, PAGE_READWRITE } from "./pte.js";
import type { KProcess } from "./process.js";
import type { KThread } from "./thread.js";

/** One owner's literals: interned addresses, and the page being filled. */
interface LiteralStore {
  readonly interned: Map<string, number>;
  page: number;
  used: number;
}

const systemStores = new WeakMap<Machine, LiteralStore>();

function encode(s: string, wide: boolean): Uint8Array {
  if (wide) {
    const bytes = new Uint8Array(2 * s.length + 2);
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      bytes[2 * i] = c & 0xff;
      bytes[2 * i + 1] = c >>> 8;
    }
    return bytes;
  }
  const bytes = new Uint8Array(s.length + 1);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    bytes[i] = c < 0x100 ? c : 0x3f;
  }
  return bytes;
}

/** Room for `size` bytes (2-aligned) in a store, a fresh read-only page run when the current one is full. */
function place(store: LiteralStore, size: number, newPages: (pages: number) => number): number {
  const need = (size + 1) & ~1;
  if (store.page === 0 || store.used + need > PAGE_SIZE) {
    const pages = Math.ceil(need / PAGE_SIZE);
    const base = newPages(pages);
    if (pages > 1) return base;
    store.page = base;
    store.used = 0;
  }
  const at = store.page + store.used;
  store.used += need;
  return at;
}

function systemLiteral(m: Machine, bytes: Uint8Array, key: string): number {
  let store = systemStores.get(m);
  if (!store) {
    store = { interned: new Map(), page: 0, used: 0 };
    systemStores.set(m, store);
  }
  const hit = store.interned.get(key);
  if (hit !== undefined) return hit;
  const frames: number[] = [];
  const at = place(store, bytes.length, (pages) => {
    const f = m.physical.allocateFrames(pages);
    if (!f) throw new Error(`no physical memory left for a ${bytes.length}-byte string literal`);
    for (const x of f) frames.push(x);
    const base = m.system.mapFrames(f, { owned: true, writable: false });
    if (base === 0) throw new Error("no system PTEs left for a string literal");
    return base;
  });
  // The image's bytes are there before anything runs: written to the frames, not through the
  // read-only mapping.
  for (let i = 0; i < bytes.length; i++) {
    const va = at + i;
    const pte = m.system.table.get(va >>> 12);
    const b = m.physical.backing(pte >>> 12);
    b.bytes[b.offset + (va & 0xfff)] = bytes[i] ?? 0;
  }
  store.interned.set(key, at);
  return at;
}

function userLiteral(t: KThread, p: KProcess, bytes: Uint8Array, key: string): number {
  let store = p.slots.get("rtl.literals") as LiteralStore | undefined;
  if (!store) {
    store = { interned: new Map(), page: 0, used: 0 };
    p.slots.set("rtl.literals", store);
  }
  const hit = store.interned.get(key);
  if (hit !== undefined) return hit;
  const space = p.addressSpace;
  if (!space) throw new Error(`${p.name} has no NT address space to hold a string literal: pass the string's address instead`);
  let region = 0;
  const at = place(store, bytes.length, (pages) => {
    const r = space.allocate(0, pages * PAGE_SIZE, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE, "string literals");
    if (r.status !== 0) throw new Error(`no room in ${p.name} for a string literal`);
    region = r.base;
    return r.base;
  });
  const page = at - (at % PAGE_SIZE);
  // Reopen the page for writing while the literal is placed, then seal it again.
  if (region === 0) space.protect(page, PAGE_SIZE, PAGE_READWRITE);
  t.machine.mmu.writeBytes(at, bytes);
  const size = Math.ceil((at - page + bytes.length) / PAGE_SIZE) * PAGE_SIZE;
  space.protect(page, size, PAGE_READONLY);
  store.interned.set(key, at);
  return at;
}

/**
 * The address of a NUL-terminated copy of `s` (UTF-16 when `wide`, else 8-bit: characters above
 * 0xFF become '?', as the ANSI code page's best fit would) in read-only memory of the current
 * thread's image: system space in kernel mode, the process in user mode.
 */
export function stringLiteral(t: KThread, s: string, wide: boolean): number {
  const bytes = encode(s, wide);
  const key = (wide ? "W:" : "A:") + s;
  return t.mode === KernelMode ? systemLiteral(t.machine, bytes, key) : userLiteral(t, t.process, bytes, key);
}
