/**
 * Name fields as firmware sees them: the C string (up to the first NUL) and
 * byte 55, which both SeaBIOS and OVMF test ("is the field terminated?").
 */
import { commandOf, type LoaderEntry } from '../loader/entry.js';
import { COMMAND_NAMES } from '../loader/constants.js';

export interface NameView {
  name: string;
  /** Byte 55 of the 56-byte field: non-zero means "not NUL-terminated" to firmware. */
  byte55: number;
}

export function nameView(entry: LoaderEntry, at: 4 | 60, name: string): NameView {
  const raw = entry.type === 'padding' ? undefined : entry.raw;
  return { name, byte55: raw === undefined ? 0 : raw[at + 55]! };
}

export function commandName(entry: LoaderEntry): string {
  if (entry.type === 'padding') return 'PADDING';
  return COMMAND_NAMES[commandOf(entry)] ?? `UNKNOWN(0x${commandOf(entry).toString(16)})`;
}

/** Little-endian unsigned value of `size` bytes. */
export function readLE(b: Uint8Array, at: number, size: number): bigint {
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
