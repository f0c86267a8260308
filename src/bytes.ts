/** Small byte helpers shared by every room. */
import { FwCfgError } from './errors.js';

export type ByteSource = ArrayBuffer | SharedArrayBuffer | ArrayBufferView;

/**
 * Bytes a reader may look at but not change: a Uint8Array without its
 * writers, its `buffer` (a way back to writable memory) or a writable
 * `subarray`. What GuestMemory.view hands out; any Uint8Array is one.
 */
export interface ReadonlyBytes extends Omit<Readonly<Uint8Array>, 'set' | 'fill' | 'copyWithin' | 'reverse' | 'sort' | 'buffer' | 'subarray'> {
  subarray(begin?: number, end?: number): ReadonlyBytes;
}

/**
 * For readers only (decoders, checksums): the Uint8Array behind `source`,
 * which the caller promises not to write through. At run time a
 * ReadonlyBytes is a Uint8Array; the type is what keeps writers away.
 */
export function readableBytes(source: ByteSource | ReadonlyBytes): Uint8Array {
  return asBytes(source as ByteSource);
}

/** A Uint8Array over the same memory as `source`, never a copy. */
export function asBytes(source: ByteSource): Uint8Array {
  if (source instanceof Uint8Array) return source;
  if (ArrayBuffer.isView(source)) return new Uint8Array(source.buffer, source.byteOffset, source.byteLength);
  if (source instanceof ArrayBuffer || (typeof SharedArrayBuffer !== 'undefined' && source instanceof SharedArrayBuffer)) {
    return new Uint8Array(source);
  }
  throw new FwCfgError('NOT_BYTES', 'expected an ArrayBuffer or a typed-array view');
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** Lowercase hex, two digits per byte, no separators. */
export function toHex(bytes: ReadonlyBytes): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += HEX[bytes[i]!];
  return s;
}

/** Parses lowercase or uppercase hex; returns undefined if it is not an even run of hex digits. */
export function fromHex(text: string): Uint8Array | undefined {
  if (text.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(text)) return undefined;
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.substr(i * 2, 2), 16);
  return out;
}

/** Hex as QEMU prints sizes and addresses: `0x2000`, lowercase, unpadded. */
export function hex(n: number | bigint): string {
  return '0x' + n.toString(16);
}

export function readU32LE(b: ReadonlyBytes, at: number): number {
  return (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
}

export function writeU32LE(b: Uint8Array, at: number, v: number): void {
  b[at] = v;
  b[at + 1] = v >>> 8;
  b[at + 2] = v >>> 16;
  b[at + 3] = v >>> 24;
}

/**
 * The one V8 string with this content (an object key is interned), so later
 * compares of equal byte strings, names or signatures, are pointer tests.
 */
export function interned(s: string): string {
  return Object.keys({ [s]: 0 })[0]!;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * An Int32Array over the same memory as `bytes` (whole words only) when host
 * words are little-endian and `bytes` starts on a 4-byte boundary, so that
 * word k holds bytes 4k..4k+3 as the wire's u32 fields do; else undefined.
 */
export function littleEndianWords(bytes: Uint8Array): Int32Array | undefined {
  return LITTLE_ENDIAN && bytes.byteOffset % 4 === 0 ? new Int32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >>> 2) : undefined;
}

export function bytesEqual(a: ReadonlyBytes, b: ReadonlyBytes): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Index of the first differing byte, or -1. */
export function firstDifference(a: ReadonlyBytes, b: ReadonlyBytes): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}
