/**
 * The four loader structs as buffer-layout descriptions, built from the field
 * table (fields.ts).
 *
 * This is the slow, obviously-right reading of the wire format: the hexdump
 * pretty-printer takes its field map from it, and the tests use it as an
 * oracle beside the hand-written codec (both follow the table; the oracle
 * lays fields out by buffer-layout's own rules, and is checked against the
 * table's offsets here). Offsets inside the variant structs are relative to
 * byte 4 (after the command word).
 */
import BL, { type Layout, type Structure, type Union } from 'buffer-layout';
import { COMMAND_ADD_CHECKSUM, COMMAND_ADD_POINTER, COMMAND_ALLOCATE, COMMAND_WRITE_POINTER, ENTRY_SIZE } from './constants.js';
import { COMMAND_FIELD, COMMAND_NAMES, commandSpec, LOADER_COMMANDS, type CommandSpec, type FieldSpec } from './fields.js';

function fieldLayout(f: FieldSpec): Layout {
  switch (f.kind) {
    case 'u8':
      return BL.u8(f.wire);
    case 'u32':
      return BL.u32(f.wire);
    case 'name':
      return BL.blob(f.width, f.wire);
  }
}

function structOf(spec: CommandSpec): Structure {
  const struct = BL.struct([...spec.fields.map(fieldLayout), BL.blob(ENTRY_SIZE - spec.end, 'reserved')]);
  for (const f of spec.fields) {
    if (4 + struct.offsetOf(f.wire)! !== f.offset) throw new Error(`buffer-layout puts ${spec.name}.${f.wire} at ${4 + struct.offsetOf(f.wire)!}, the table at ${f.offset}`);
  }
  return struct;
}

const BY_COMMAND: ReadonlyMap<number, Structure> = new Map(LOADER_COMMANDS.map((c) => [c.command, structOf(c)]));

export const ALLOCATE_LAYOUT: Structure = BY_COMMAND.get(COMMAND_ALLOCATE)!;
export const ADD_POINTER_LAYOUT: Structure = BY_COMMAND.get(COMMAND_ADD_POINTER)!;
export const ADD_CHECKSUM_LAYOUT: Structure = BY_COMMAND.get(COMMAND_ADD_CHECKSUM)!;
export const WRITE_POINTER_LAYOUT: Structure = BY_COMMAND.get(COMMAND_WRITE_POINTER)!;

/** One entry: a u32 command word discriminating a 124-byte union. */
export const LOADER_ENTRY_LAYOUT: Union = BL.union(BL.u32(COMMAND_FIELD.wire), BL.blob(ENTRY_SIZE - 4, 'data'));
for (const c of LOADER_COMMANDS) LOADER_ENTRY_LAYOUT.addVariant(c.command, BY_COMMAND.get(c.command)!, c.name.toLowerCase());

export interface FieldSpan {
  name: string;
  /** Absolute offset inside the 128-byte entry. */
  offset: number;
  size: number;
  kind: 'u8' | 'u32' | 'name' | 'reserved';
}

/** The field map of a command (absolute offsets), or just the command word for unknown ones. */
export function fieldSpans(command: number): FieldSpan[] {
  const spans: FieldSpan[] = [{ name: COMMAND_FIELD.wire, offset: COMMAND_FIELD.offset, size: COMMAND_FIELD.width, kind: COMMAND_FIELD.kind }];
  const spec = commandSpec(command);
  if (spec === undefined) {
    spans.push({ name: 'data', offset: 4, size: ENTRY_SIZE - 4, kind: 'reserved' });
    return spans;
  }
  for (const f of spec.fields) spans.push({ name: f.wire, offset: f.offset, size: f.width, kind: f.kind });
  spans.push({ name: 'reserved', offset: spec.end, size: ENTRY_SIZE - spec.end, kind: 'reserved' });
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
  const layout = BY_COMMAND.get(command);
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
