/**
 * The four loader structs described declaratively with buffer-layout.
 *
 * This is the slow, obviously-right description of the wire format: the
 * hexdump pretty-printer takes its field map from it, and the tests use it as
 * an oracle independent of the hand-written codec. Offsets inside the variant
 * structs are relative to byte 4 (after the command word).
 */
import BL, { type Layout, type Structure, type Union } from 'buffer-layout';
import {
  COMMAND_ADD_CHECKSUM,
  COMMAND_ADD_POINTER,
  COMMAND_ALLOCATE,
  COMMAND_WRITE_POINTER,
  COMMAND_NAMES,
  ENTRY_SIZE,
  FILE_NAME_SIZE,
} from './constants.js';

const name = (property: string) => BL.blob(FILE_NAME_SIZE, property);

export const ALLOCATE_LAYOUT: Structure = BL.struct([name('file'), BL.u32('align'), BL.u8('zone'), BL.blob(63, 'reserved')]);
export const ADD_POINTER_LAYOUT: Structure = BL.struct([
  name('dest_file'),
  name('src_file'),
  BL.u32('offset'),
  BL.u8('size'),
  BL.blob(7, 'reserved'),
]);
export const ADD_CHECKSUM_LAYOUT: Structure = BL.struct([
  name('file'),
  BL.u32('offset'),
  BL.u32('start'),
  BL.u32('length'),
  BL.blob(56, 'reserved'),
]);
export const WRITE_POINTER_LAYOUT: Structure = BL.struct([
  name('dest_file'),
  name('src_file'),
  BL.u32('dst_offset'),
  BL.u32('src_offset'),
  BL.u8('size'),
  BL.blob(3, 'reserved'),
]);

/** One entry: a u32 command word discriminating a 124-byte union. */
export const LOADER_ENTRY_LAYOUT: Union = BL.union(BL.u32('command'), BL.blob(ENTRY_SIZE - 4, 'data'));
LOADER_ENTRY_LAYOUT.addVariant(COMMAND_ALLOCATE, ALLOCATE_LAYOUT, 'allocate');
LOADER_ENTRY_LAYOUT.addVariant(COMMAND_ADD_POINTER, ADD_POINTER_LAYOUT, 'add_pointer');
LOADER_ENTRY_LAYOUT.addVariant(COMMAND_ADD_CHECKSUM, ADD_CHECKSUM_LAYOUT, 'add_checksum');
LOADER_ENTRY_LAYOUT.addVariant(COMMAND_WRITE_POINTER, WRITE_POINTER_LAYOUT, 'write_pointer');

const BY_COMMAND: Readonly<Record<number, Structure>> = {
  [COMMAND_ALLOCATE]: ALLOCATE_LAYOUT,
  [COMMAND_ADD_POINTER]: ADD_POINTER_LAYOUT,
  [COMMAND_ADD_CHECKSUM]: ADD_CHECKSUM_LAYOUT,
  [COMMAND_WRITE_POINTER]: WRITE_POINTER_LAYOUT,
};

export interface FieldSpan {
  name: string;
  /** Absolute offset inside the 128-byte entry. */
  offset: number;
  size: number;
  kind: 'u8' | 'u32' | 'name' | 'reserved';
}

/** The field map of a command (absolute offsets), or just the command word for unknown ones. */
export function fieldSpans(command: number): FieldSpan[] {
  const spans: FieldSpan[] = [{ name: 'command', offset: 0, size: 4, kind: 'u32' }];
  const layout = BY_COMMAND[command];
  if (layout === undefined) {
    spans.push({ name: 'data', offset: 4, size: ENTRY_SIZE - 4, kind: 'reserved' });
    return spans;
  }
  for (const f of layout.fields as Layout[]) {
    const property = f.property!;
    const size = f.span;
    const kind: FieldSpan['kind'] = property === 'reserved' ? 'reserved' : size === FILE_NAME_SIZE ? 'name' : size === 1 ? 'u8' : 'u32';
    spans.push({ name: property, offset: 4 + layout.offsetOf(property)!, size, kind });
  }
  return spans;
}

/** A decoded entry as buffer-layout sees it: command name plus raw fields. */
export interface LayoutEntry {
  command: number;
  commandName: string | undefined;
  fields: Record<string, number | Buffer>;
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Decodes one entry with the declarative description. */
export function decodeWithLayout(bytes: Uint8Array, offset = 0): LayoutEntry {
  const buf = asBuffer(bytes);
  const decoded = LOADER_ENTRY_LAYOUT.decode(buf, offset) as Record<string, unknown>;
  const command = buf.readUInt32LE(offset);
  const variantKey = Object.keys(decoded).find((k) => k !== 'command' && k !== 'data');
  const fields = (variantKey !== undefined ? decoded[variantKey] : { data: decoded['data'] }) as Record<string, number | Buffer>;
  return { command, commandName: COMMAND_NAMES[command], fields };
}

/** Encodes one entry with the declarative description into a zeroed 128-byte buffer. */
export function encodeWithLayout(command: number, fields: Record<string, number | Uint8Array>): Uint8Array {
  const out = Buffer.alloc(ENTRY_SIZE); // buffer-layout leaves unset bytes alone: start from zeros
  out.writeUInt32LE(command, 0);
  const layout = BY_COMMAND[command];
  if (layout === undefined) throw new RangeError(`no layout for command ${command}`);
  const full: Record<string, unknown> = {};
  for (const f of layout.fields) {
    const v = fields[f.property!];
    if (f.span === 1 || f.span === 4) full[f.property!] = v ?? 0;
    else {
      const b = Buffer.alloc(f.span);
      if (v instanceof Uint8Array) b.set(v.subarray(0, f.span));
      full[f.property!] = b;
    }
  }
  layout.encode(full as Record<string, unknown>, out, 4);
  return new Uint8Array(out.buffer, out.byteOffset, ENTRY_SIZE);
}
