/**
 * The pool routines beyond ExAllocatePoolWithTag: ExAllocatePool2 / ExAllocatePool3 with
 * POOL_FLAGS, ExAllocatePoolZero / ExAllocatePoolUninitialized, and the quota forms. Every one
 * allocates through ExAllocatePoolWithTag, so its IRQL rule (BAD_POOL_CALLER 0x08), the
 * verifier's and explorer's simulated low-resources failures, the per-tag accounting and any
 * special-pool placement apply exactly as they do there.
 */
import { badPointer, checkNumber, describeArgument, isGiven } from "./bad-pointer.js";
import { currentMachine } from "./context.js";
import { ExAllocatePoolWithTag } from "./api-ex.js";
import { NtStatusError } from "./nt-status-error.js";
import { PAGE_SIZE } from "./physical-memory.js";
import { poolTag, PoolType } from "./pool.js";
import { STATUS_INSUFFICIENT_RESOURCES, STATUS_INVALID_PARAMETER } from "./status.js";

/** POOL_FLAGS (a ULONG64): the low 32 bits are required, the high 32 optional. */
export type POOL_FLAGS = bigint;

/** POOL_FLAG_USE_QUOTA: charge the block against the current process's pool quota. */
export const POOL_FLAG_USE_QUOTA = 0x1n;
/** POOL_FLAG_UNINITIALIZED: ExAllocatePool2 leaves the block's contents as they are instead of zeroing it. */
export const POOL_FLAG_UNINITIALIZED = 0x2n;
/** POOL_FLAG_SESSION: session pool (this machine has no sessions, so the allocation fails). */
export const POOL_FLAG_SESSION = 0x4n;
/** POOL_FLAG_CACHE_ALIGNED: the block starts on a cache line and is rounded up to whole lines. */
export const POOL_FLAG_CACHE_ALIGNED = 0x8n;
/** POOL_FLAG_RESERVED1: reserved; a required flag Windows does not define fails the allocation. */
export const POOL_FLAG_RESERVED1 = 0x10n;
/** POOL_FLAG_RAISE_ON_FAILURE: a failed allocation raises STATUS_INSUFFICIENT_RESOURCES instead of returning NULL. */
export const POOL_FLAG_RAISE_ON_FAILURE = 0x20n;
/** POOL_FLAG_NON_PAGED: nonpaged, non-executable pool (NonPagedPoolNx); usable at any IRQL. */
export const POOL_FLAG_NON_PAGED = 0x40n;
/** POOL_FLAG_NON_PAGED_EXECUTE: nonpaged pool that may hold code (NonPagedPool). */
export const POOL_FLAG_NON_PAGED_EXECUTE = 0x80n;
/** POOL_FLAG_PAGED: paged pool; touched only at IRQL < DISPATCH_LEVEL. */
export const POOL_FLAG_PAGED = 0x100n;
/** POOL_FLAG_RESERVED2: reserved. */
export const POOL_FLAG_RESERVED2 = 0x200n;
/** POOL_FLAG_RESERVED3: reserved. */
export const POOL_FLAG_RESERVED3 = 0x400n;
/** POOL_FLAG_REQUIRED_MASK: the required flags; one this build does not know fails the allocation, where an unknown optional flag is ignored. */
export const POOL_FLAG_REQUIRED_MASK = 0xffffffffn;
/** POOL_FLAG_SPECIAL_POOL: an optional flag asking for the block from Special Pool. */
export const POOL_FLAG_SPECIAL_POOL = 0x100000000n;

/** POOL_TYPE modifiers of the quota routines (wdm.h): POOL_QUOTA_FAIL_INSTEAD_OF_RAISE, a quota allocation returns NULL instead of raising. */
export const POOL_QUOTA_FAIL_INSTEAD_OF_RAISE = 0x8;
/** POOL_RAISE_IF_ALLOCATION_FAILURE: or'd into a POOL_TYPE, a failed allocation raises instead of returning NULL. */
export const POOL_RAISE_IF_ALLOCATION_FAILURE = 0x10;

/** The required flags this pool knows (the rest fail the allocation, as the documentation says). */
const KNOWN_REQUIRED = POOL_FLAG_USE_QUOTA | POOL_FLAG_UNINITIALIZED | POOL_FLAG_SESSION | POOL_FLAG_CACHE_ALIGNED | POOL_FLAG_RAISE_ON_FAILURE | POOL_FLAG_NON_PAGED | POOL_FLAG_NON_PAGED_EXECUTE | POOL_FLAG_PAGED;
/** x86's cache line: CACHE_ALIGNED blocks start on it. */
const CACHE_LINE = 64;

function zero(address: number, bytes: number): void {
  if (address !== 0 && bytes > 0) currentMachine("ExAllocatePool2").mmu.fill(address, bytes, 0);
}

/** The size to ask the pool for so that the block starts on a cache line (blocks are carved at multiples of their size). */
function cacheAlignedSize(bytes: number): number {
  return bytes >= PAGE_SIZE ? bytes : Math.ceil(Math.max(bytes, 1) / CACHE_LINE) * CACHE_LINE;
}

function failed(raise: boolean): number {
  if (raise) throw new NtStatusError(STATUS_INSUFFICIENT_RESOURCES);
  return 0;
}

/**
 * ExAllocatePool2(Flags, NumberOfBytes, Tag): the block's address, zeroed unless
 * POOL_FLAG_UNINITIALIZED. Exactly one of POOL_FLAG_NON_PAGED (no-execute nonpaged pool),
 * POOL_FLAG_NON_PAGED_EXECUTE and POOL_FLAG_PAGED must be given. It returns NULL — or, with
 * POOL_FLAG_RAISE_ON_FAILURE, raises STATUS_INSUFFICIENT_RESOURCES — when memory is short, the Tag
 * is 0, or the flags are invalid: no pool type or two, a reserved or unknown required flag, or
 * POOL_FLAG_SESSION (irpsim has no session pool, a required flag it cannot satisfy). Optional
 * flags (the high 32 bits, POOL_FLAG_SPECIAL_POOL among them) are hints the allocation succeeds
 * without. POOL_FLAG_CACHE_ALIGNED starts the block on a 64-byte line; POOL_FLAG_USE_QUOTA is
 * accepted, but irpsim keeps no per-process pool quota, so it never fails for quota.
 */
export function ExAllocatePool2(Flags: POOL_FLAGS | number, NumberOfBytes: number, Tag: number | string): number {
  currentMachine("ExAllocatePool2").kernelCall("ExAllocatePool2");
  const flags = poolFlags("ExAllocatePool2", Flags);
  const raise = (flags & POOL_FLAG_RAISE_ON_FAILURE) !== 0n;
  const required = flags & POOL_FLAG_REQUIRED_MASK;
  const types = [POOL_FLAG_NON_PAGED, POOL_FLAG_NON_PAGED_EXECUTE, POOL_FLAG_PAGED].filter((f) => (flags & f) !== 0n);
  if (poolTag(Tag) === 0 || types.length !== 1 || (required & ~KNOWN_REQUIRED) !== 0n || (flags & POOL_FLAG_SESSION) !== 0n) return failed(raise);
  const type = types[0] === POOL_FLAG_PAGED ? PoolType.PagedPool : types[0] === POOL_FLAG_NON_PAGED ? PoolType.NonPagedPoolNx : PoolType.NonPagedPool;
  const size = (flags & POOL_FLAG_CACHE_ALIGNED) !== 0n ? cacheAlignedSize(NumberOfBytes) : NumberOfBytes;
  const address = ExAllocatePoolWithTag(type, size, Tag);
  if (address === 0) return failed(raise);
  if ((flags & POOL_FLAG_UNINITIALIZED) === 0n) zero(address, size);
  return address;
}

/**
 * A POOL_FLAGS argument, a ULONG64 passed by value: a bigint or a whole number. What no C caller
 * could pass (a fraction, NaN, an object) is STATUS_INVALID_PARAMETER, raised.
 */
function poolFlags(api: string, Flags: unknown): bigint {
  if (typeof Flags === "bigint") return BigInt.asUintN(64, Flags);
  if (typeof Flags === "number" && Number.isInteger(Flags)) return BigInt.asUintN(64, BigInt(Flags));
  throw new NtStatusError(STATUS_INVALID_PARAMETER, `STATUS_INVALID_PARAMETER: ${api} was passed ${describeArgument(Flags)} as Flags, which must be a POOL_FLAGS value (a 64-bit whole number)`);
}

/** POOL_EXTENDED_PARAMETER_TYPE values: PoolExtendedParameterInvalidType, never valid in a parameter. */
export const PoolExtendedParameterInvalidType = 0;
/** PoolExtendedParameterPriority: the parameter carries an EX_POOL_PRIORITY (Priority). */
export const PoolExtendedParameterPriority = 1;
/** PoolExtendedParameterSecurePool: the parameter asks for secure pool. */
export const PoolExtendedParameterSecurePool = 2;
/** PoolExtendedParameterNumaNode: the parameter names a preferred NUMA node (PreferredNode). */
export const PoolExtendedParameterNumaNode = 3;

/** EX_POOL_PRIORITY values: LowPoolPriority, the allocation may fail when resources run low. */
export const LowPoolPriority = 0;
/** NormalPoolPriority: the allocation may fail when system resources are very low. */
export const NormalPoolPriority = 16;
/** HighPoolPriority: the allocation must not fail unless resources are exhausted. */
export const HighPoolPriority = 32;

/** POOL_EXTENDED_PARAMETER: one extended parameter of ExAllocatePool3. */
export interface POOL_EXTENDED_PARAMETER {
  /** Which parameter this is (a PoolExtendedParameter* value). */
  readonly Type: number;
  /** For PoolExtendedParameterPriority: an EX_POOL_PRIORITY. */
  readonly Priority?: number;
  /** For PoolExtendedParameterNumaNode: the preferred node. */
  readonly PreferredNode?: number;
}

/**
 * ExAllocatePool3: ExAllocatePool2 with extended parameters. A priority (PoolExtendedParameterPriority)
 * or a preferred NUMA node is accepted (the emulated machine has one node and no priority-based
 * refusal); ExtendedParametersCount must match the array, and an invalid type fails the allocation
 * as invalid flags do. Secure pool (PoolExtendedParameterSecurePool) is not built: asking for it
 * throws an error saying so.
 */
export function ExAllocatePool3(Flags: POOL_FLAGS | number, NumberOfBytes: number, Tag: number | string, ExtendedParameters: readonly POOL_EXTENDED_PARAMETER[] | null, ExtendedParametersCount: number): number {
  const raise = (poolFlags("ExAllocatePool3", Flags) & POOL_FLAG_RAISE_ON_FAILURE) !== 0n;
  // The parameters are read through the pointer: what is no array of them faults.
  if (isGiven(ExtendedParameters) && !Array.isArray(ExtendedParameters)) badPointer("ExAllocatePool3", "ExtendedParameters", ExtendedParameters, "an array of POOL_EXTENDED_PARAMETER or NULL");
  const params = ExtendedParameters ?? [];
  if (ExtendedParametersCount !== params.length) return failed(raise);
  for (const p of params) {
    const given: unknown = p;
    if (typeof given !== "object" || given === null) badPointer("ExAllocatePool3", "ExtendedParameters", given, "a POOL_EXTENDED_PARAMETER");
    if (p.Type === PoolExtendedParameterSecurePool) throw new Error("ExAllocatePool3: secure pool (PoolExtendedParameterSecurePool) is not built in irpsim");
    if (p.Type !== PoolExtendedParameterPriority && p.Type !== PoolExtendedParameterNumaNode) return failed(raise);
  }
  return ExAllocatePool2(Flags, NumberOfBytes, Tag);
}

function poolTypeAllocate(api: string, PoolType: number, NumberOfBytes: number, Tag: number | string, zeroIt: boolean, quota: boolean): number {
  currentMachine(api).kernelCall(api);
  PoolType = checkNumber(api, "PoolType", PoolType);
  const type = PoolType & ~(POOL_QUOTA_FAIL_INSTEAD_OF_RAISE | POOL_RAISE_IF_ALLOCATION_FAILURE);
  // The quota routines raise on failure unless told not to; the others only when asked.
  const raise = quota ? (PoolType & POOL_QUOTA_FAIL_INSTEAD_OF_RAISE) === 0 : (PoolType & POOL_RAISE_IF_ALLOCATION_FAILURE) !== 0;
  const address = ExAllocatePoolWithTag(type, NumberOfBytes, Tag);
  if (address === 0) return failed(raise);
  if (zeroIt) zero(address, NumberOfBytes);
  return address;
}

/** ExAllocatePoolZero: ExAllocatePoolWithTag, with the block zeroed. */
export function ExAllocatePoolZero(PoolType: number, NumberOfBytes: number, Tag: number | string): number {
  return poolTypeAllocate("ExAllocatePoolZero", PoolType, NumberOfBytes, Tag, true, false);
}

/** ExAllocatePoolUninitialized: ExAllocatePoolWithTag by its newer name (the block is not zeroed). */
export function ExAllocatePoolUninitialized(PoolType: number, NumberOfBytes: number, Tag: number | string): number {
  return poolTypeAllocate("ExAllocatePoolUninitialized", PoolType, NumberOfBytes, Tag, false, false);
}

/**
 * ExAllocatePoolWithQuotaTag: allocates charging the current process's quota (irpsim keeps no
 * quota, so only an exhausted pool fails it) and, unlike ExAllocatePoolWithTag, raises
 * STATUS_INSUFFICIENT_RESOURCES on failure unless PoolType includes POOL_QUOTA_FAIL_INSTEAD_OF_RAISE
 * (then it returns NULL).
 */
export function ExAllocatePoolWithQuotaTag(PoolType: number, NumberOfBytes: number, Tag: number | string): number {
  return poolTypeAllocate("ExAllocatePoolWithQuotaTag", PoolType, NumberOfBytes, Tag, false, true);
}

/** ExAllocatePoolQuotaZero: ExAllocatePoolWithQuotaTag with the block zeroed. */
export function ExAllocatePoolQuotaZero(PoolType: number, NumberOfBytes: number, Tag: number | string): number {
  return poolTypeAllocate("ExAllocatePoolQuotaZero", PoolType, NumberOfBytes, Tag, true, true);
}

/** ExAllocatePoolQuotaUninitialized: ExAllocatePoolWithQuotaTag by its newer name. */
export function ExAllocatePoolQuotaUninitialized(PoolType: number, NumberOfBytes: number, Tag: number | string): number {
  return poolTypeAllocate("ExAllocatePoolQuotaUninitialized", PoolType, NumberOfBytes, Tag, false, true);
}
