/**
 * Guest addresses and alignment, exact for every integer up to 2^53.
 *
 * JavaScript's bitwise operators truncate to 32 bits, so `x & ~(a - 1)` is
 * wrong past 4 GiB. Dividing a double by a power of two only changes its
 * exponent, so `Math.ceil(x / a) * a` and `Math.floor(x / a) * a` are exact
 * for power-of-two alignments (and fast: no 64-bit integer emulation, no
 * fmod). Other alignments use `%`, which is exact on integers below 2^53.
 */
import { FwCfgError } from '../errors.js';

declare const regionOffset: unique symbol;

/**
 * A byte offset inside one region's backing (rust-vmm's MemoryRegionAddress):
 * only GuestMemory makes them, and hands them only to the callbacks of its
 * own `patch` and `inspect`. Zero cost: a number with a compile-time brand.
 */
export type RegionOffset = number & { readonly [regionOffset]: 'RegionOffset' };

/**
 * A guest-physical address (rust-vmm's GuestAddress): a non-negative integer
 * below 2^53, checked at every access. Never a RegionOffset: the two do not
 * convert either way without a cast. A plain number is accepted as an
 * address, because TypeScript drops brands in arithmetic and every caller
 * computes addresses (`base + offset`): a cast at each of those would prove
 * nothing that the run-time check does not.
 */
export type GuestAddress = number & { readonly [regionOffset]?: never };

export const MAX_GUEST_ADDRESS = Number.MAX_SAFE_INTEGER;

export class AddressError extends FwCfgError {}

export function isGuestAddress(v: unknown): v is GuestAddress {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

export function checkAddress(v: unknown, what = 'address'): GuestAddress {
  if (!isGuestAddress(v)) {
    throw new AddressError('BAD_ADDRESS', `${what} ${typeof v === 'bigint' ? '0x' + v.toString(16) : String(v)} is not an integer in [0, 2^53)`);
  }
  return v;
}

export function isPowerOfTwo(a: number): boolean {
  return Number.isSafeInteger(a) && a > 0 && (a <= 0x80000000 ? (a & (a - 1)) === 0 : Number.isInteger(Math.log2(a)) && 2 ** Math.log2(a) === a);
}

const isPow2 = (a: number) => a <= 0x100000000 && (a & (a - 1)) === 0;

function remainder(x: number, a: number): number {
  return isPow2(a) ? x - Math.floor(x / a) * a : x % a;
}

function checkAlign(a: number): void {
  if (!Number.isSafeInteger(a) || a <= 0) throw new AddressError('BAD_ALIGNMENT', `alignment ${String(a)} is not a positive integer`);
}

/** Largest multiple of `a` that is <= x. */
export function alignDown(x: number, a: number): number {
  checkAddress(x, 'value');
  checkAlign(a);
  return x - remainder(x, a);
}

/** Smallest multiple of `a` that is >= x; a typed error if that passes 2^53. */
export function alignUp(x: number, a: number): number {
  checkAddress(x, 'value');
  checkAlign(a);
  const r = remainder(x, a);
  if (r === 0) return x;
  const up = x + (a - r);
  if (up > MAX_GUEST_ADDRESS) throw new AddressError('ALIGN_OVERFLOW', `aligning 0x${x.toString(16)} up to 0x${a.toString(16)} passes 2^53`);
  return up;
}

export function isAligned(x: number, a: number): boolean {
  checkAddress(x, 'value');
  checkAlign(a);
  return remainder(x, a) === 0;
}

/** QEMU's HOST_PAGE_ALIGN: round up to a multiple of the host page size (a power of two up to 4 GiB). */
export function hostPageAlign(x: number, pageSize: number): number {
  const up = Math.ceil(x / pageSize) * pageSize;
  // the hot path of RAM-block sizing: every check is one comparison, the failures live elsewhere
  if (!(x >= 0 && up <= MAX_GUEST_ADDRESS && Math.floor(x) === x && pageSize > 0 && pageSize <= 0x100000000 && (pageSize & (pageSize - 1)) === 0)) {
    return hostPageAlignFailure(x, pageSize);
  }
  return up;
}

function hostPageAlignFailure(x: number, pageSize: number): never {
  checkAddress(x, 'value');
  if (!isPowerOfTwo(pageSize) || pageSize > 0x100000000) throw new AddressError('BAD_PAGE_SIZE', `host page size ${String(pageSize)} is not a power of two up to 4 GiB`);
  throw new AddressError('ALIGN_OVERFLOW', `aligning 0x${x.toString(16)} up to 0x${pageSize.toString(16)} passes 2^53`);
}
