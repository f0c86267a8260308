/**
 * Name fields as firmware sees them: the C string (up to the first NUL) and
 * byte 55, which both SeaBIOS and OVMF test ("is the field terminated?").
 */
import { FILE_NAME_MAX_LENGTH } from '../loader/constants.js';
import type { LoaderEntry } from '../loader/entry.js';
import { COMMAND_NAMES, ENTRY_NAMES, type NameFieldOffset } from '../loader/fields.js';
import { readU32LE, type ReadonlyBytes } from '../bytes.js';

export interface NameView {
  name: string;
  /** Byte 55 of the 56-byte field: non-zero means "not NUL-terminated" to firmware. */
  byte55: number;
}

/** Byte 55 (the last) of the name field starting at entry offset `at` (0 for any field QEMU could have written). */
export function byte55(entry: LoaderEntry, at: NameFieldOffset): number {
  const raw = entry.type === 'padding' ? undefined : entry.raw;
  return raw === undefined ? 0 : raw[at + FILE_NAME_MAX_LENGTH]!;
}

export function nameView(entry: LoaderEntry, at: NameFieldOffset, name: string): NameView {
  return { name, byte55: byte55(entry, at) };
}

/** The command's name; an unknown command word shows in hex. */
export function commandName(entry: LoaderEntry): string {
  if (entry.type !== 'unknown') return ENTRY_NAMES[entry.type];
  return commandWordName(entry.command);
}

/** The name of a command word: the wire name of one of the four, else the word in hex. */
export function commandWordName(command: number): string {
  return COMMAND_NAMES[command] ?? `UNKNOWN(0x${command.toString(16)})`;
}

/**
 * field += addend for a little-endian field of `size` bytes (1, 2, 4 or 8),
 * wrapping at 2^(8*size) as a u64 add then a truncating store does. `addend`
 * is a non-negative integer below 2^53. Done in two 32-bit halves with an
 * explicit carry, exact in doubles: no BigInt on the hot path.
 */
export function addLE(b: Uint8Array, at: number, size: number, addend: number): void {
  if (size !== 4 && size !== 8) return addNarrowLE(b, at, size, addend);
  // the usual pointer fields, in whole 32-bit halves (the other sizes out of line: a small
  // function is inlined whole into the executors' hot loop, rare branches included)
  // ToUint32 of an integer is the integer mod 2^32: the low half without a floating-point remainder
  const addLo = addend >>> 0;
  const sum = readU32LE(b, at) + addLo;
  const lo = sum >>> 0;
  // a store into a Uint8Array keeps the low 8 bits
  b[at] = lo;
  b[at + 1] = lo >>> 8;
  b[at + 2] = lo >>> 16;
  b[at + 3] = lo >>> 24;
  if (size === 4) return;
  const hi = (readU32LE(b, at + 4) + (addend - addLo) / 0x100000000 + (sum >= 0x100000000 ? 1 : 0)) >>> 0;
  b[at + 4] = hi;
  b[at + 5] = hi >>> 8;
  b[at + 6] = hi >>> 16;
  b[at + 7] = hi >>> 24;
}

/** addLE for the other sizes (1, 2; any other up to 8), byte by byte. */
function addNarrowLE(b: Uint8Array, at: number, size: number, addend: number): void {
  const addLo = addend >>> 0;
  const n = size < 4 ? size : 4;
  let lo = 0;
  for (let i = n - 1; i >= 0; i--) lo = lo * 256 + b[at + i]!;
  lo += addLo;
  const carry = lo >= 0x100000000 ? 1 : 0;
  lo >>>= 0; // ToUint32 of an integer below 2^34 is exact mod 2^32; narrower fields mask further below
  for (let i = 0; i < n; i++) {
    b[at + i] = lo & 0xff;
    lo >>>= 8;
  }
  if (size <= 4) return;
  let hi = 0;
  for (let i = size - 1; i >= 4; i--) hi = hi * 256 + b[at + i]!;
  hi = (hi + (addend - addLo) / 0x100000000 + carry) >>> 0;
  for (let i = 4; i < size; i++) {
    b[at + i] = hi & 0xff;
    hi >>>= 8;
  }
}

/** The low `size` bytes of a non-negative integer below 2^53, little-endian. */
export function storeLE(b: Uint8Array, at: number, size: number, value: number): void {
  let lo = value >>> 0;
  let hi = Math.floor(value / 2 ** 32);
  for (let i = 0; i < size; i++) {
    if (i < 4) {
      b[at + i] = lo & 0xff;
      lo >>>= 8;
    } else {
      b[at + i] = hi & 0xff;
      hi >>>= 8;
    }
  }
}

/** Little-endian unsigned value of `size` bytes. */
export function readLE(b: ReadonlyBytes, at: number, size: number): bigint {
  let v = 0n;
  for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[at + i]!);
  return v;
}

export function writeLE(b: Uint8Array, at: number, size: number, v: bigint): void {
  for (let i = 0; i < size; i++) {
    b[at + i] = Number(v & 0xffn);
    v >>= 8n;
  }
}
