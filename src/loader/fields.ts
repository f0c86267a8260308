/**
 * The loader's four commands as one table: for each, its command word, its
 * name on the wire, its model type, and its fields in order with their byte
 * offset inside the 128-byte entry, width, kind and names (QEMU's member
 * name, the listing's key, the model's property).
 *
 * This is the spec the rest of `loader/` follows: the codec's reference path
 * reads it, its unrolled word path checks itself against it at import, the
 * buffer-layout structs, the listing and the JSON form are built from it.
 * The command word occupies bytes 0-3; the fields run contiguously from byte
 * 4 to the command's `end`; bytes [end, 128) are reserved and zero in
 * anything QEMU writes.
 */
import {
  COMMAND_ADD_CHECKSUM,
  COMMAND_ADD_POINTER,
  COMMAND_ALLOCATE,
  COMMAND_WRITE_POINTER,
  ENTRY_SIZE,
  FILE_NAME_SIZE,
} from './constants.js';
import type { AddChecksum, AddPointer, Allocate, LoaderCommand, LoaderEntry, LoaderEntryType, WritePointer } from './entry.js';
import { isCommand } from './entry.js';

/** Little-endian unsigned integers, or a 56-byte NUL-padded name. */
export type FieldKind = 'u8' | 'u32' | 'name';
/** How the text listing writes the value: quoted name, decimal, hex, or zone name. */
export type FieldText = 'name' | 'dec' | 'hex' | 'zone';

export interface FieldSpec {
  /** QEMU's struct member name: the JSON key and the buffer-layout property. */
  readonly wire: string;
  /** The key in the text listing. */
  readonly key: string;
  /** The property of the typed model (entry.ts). */
  readonly property: string;
  /** Byte offset inside the 128-byte entry. */
  readonly offset: number;
  readonly width: number;
  readonly kind: FieldKind;
  readonly text: FieldText;
}

export interface CommandSpec {
  /** The u32 command word. */
  readonly command: number;
  /** As the listing and the JSON `command_name` spell it. */
  readonly name: string;
  readonly type: LoaderCommand['type'];
  readonly fields: readonly FieldSpec[];
  /** First byte after the last field: the reserved tail is [end, 128). */
  readonly end: number;
}

const WIDTH: Readonly<Record<FieldKind, number>> = { u8: 1, u32: 4, name: FILE_NAME_SIZE };

/** The model's properties of T whose values are V (the table may name no other). */
type PropertyOf<T, V> = { [K in keyof T]-?: K extends 'type' | 'raw' ? never : T[K] extends V ? K : never }[keyof T] & string;

/** wire name, listing key, model property, offset, kind, listing text. */
type Row<T> =
  | readonly [wire: string, key: string, property: PropertyOf<T, string>, offset: number, kind: 'name', text: 'name']
  | readonly [wire: string, key: string, property: PropertyOf<T, number>, offset: number, kind: 'u8' | 'u32', text: 'dec' | 'hex' | 'zone'];

function command<T extends LoaderCommand>(word: number, name: string, type: T['type'], rows: readonly Row<T>[]): CommandSpec {
  let end = 4;
  const fields = rows.map(([wire, key, property, offset, kind, text]): FieldSpec => {
    // contiguous and inside the entry, or the layout structs and reserved tails would be wrong
    if (offset !== end) throw new Error(`loader field table: ${name}.${wire} at ${offset}, expected ${end}`);
    end = offset + WIDTH[kind];
    return Object.freeze({ wire, key, property, offset, width: WIDTH[kind], kind, text });
  });
  if (end > ENTRY_SIZE) throw new Error(`loader field table: ${name} ends at ${end}, past ${ENTRY_SIZE}`);
  return Object.freeze({ command: word, name, type, fields: Object.freeze(fields), end });
}

export const LOADER_COMMANDS: readonly CommandSpec[] = Object.freeze([
  command<Allocate>(COMMAND_ALLOCATE, 'ALLOCATE', 'allocate', [
    // wire         listing        model       offset  kind    listing text
    ['file',        'file',        'file',         4,  'name', 'name'],
    ['align',       'align',       'align',       60,  'u32',  'dec'],
    ['zone',        'zone',        'zone',        64,  'u8',   'zone'],
  ]),
  command<AddPointer>(COMMAND_ADD_POINTER, 'ADD_POINTER', 'addPointer', [
    ['dest_file',   'dest',        'destFile',     4,  'name', 'name'],
    ['src_file',    'src',         'srcFile',     60,  'name', 'name'],
    ['offset',      'offset',      'offset',     116,  'u32',  'hex'],
    ['size',        'size',        'size',       120,  'u8',   'dec'],
  ]),
  command<AddChecksum>(COMMAND_ADD_CHECKSUM, 'ADD_CHECKSUM', 'addChecksum', [
    ['file',        'file',        'file',         4,  'name', 'name'],
    ['offset',      'offset',      'offset',      60,  'u32',  'hex'],
    ['start',       'start',       'start',       64,  'u32',  'hex'],
    ['length',      'length',      'length',      68,  'u32',  'hex'],
  ]),
  command<WritePointer>(COMMAND_WRITE_POINTER, 'WRITE_POINTER', 'writePointer', [
    ['dest_file',   'dest',        'destFile',     4,  'name', 'name'],
    ['src_file',    'src',         'srcFile',     60,  'name', 'name'],
    ['dst_offset',  'dst_offset',  'dstOffset',  116,  'u32',  'hex'],
    ['src_offset',  'src_offset',  'srcOffset',  120,  'u32',  'hex'],
    ['size',        'size',        'size',       124,  'u8',   'dec'],
  ]),
]);

/** Bytes 0-3 of every entry. */
export const COMMAND_FIELD = Object.freeze({ wire: 'command', offset: 0, width: 4, kind: 'u32' as const });

/** Entry offsets where name fields start (the table test holds this to the table). */
export type NameFieldOffset = 4 | 60;

const BY_COMMAND = new Map<number, CommandSpec>(LOADER_COMMANDS.map((c) => [c.command, c]));
const BY_TYPE = new Map<string, CommandSpec>(LOADER_COMMANDS.map((c) => [c.type, c]));

/** The command with this u32 command word, if it is one of the four. */
export function commandSpec(command: number): CommandSpec | undefined {
  return BY_COMMAND.get(command);
}

/** The table row of a command entry. */
export function specOf(entry: LoaderCommand): CommandSpec {
  return BY_TYPE.get(entry.type)!;
}

/** The table row for a model type, if it is one of the four (for objects not yet known to be entries). */
export function specOfType(type: unknown): CommandSpec | undefined {
  return typeof type === 'string' ? BY_TYPE.get(type) : undefined;
}

/** The model properties of a command type that are wire fields. */
export type FieldProperty<K extends LoaderCommand['type']> = Exclude<keyof Extract<LoaderCommand, { type: K }>, 'type' | 'raw'> & string;

function fieldOf<K extends LoaderCommand['type']>(type: K, property: FieldProperty<K>): FieldSpec {
  const f = BY_TYPE.get(type)!.fields.find((x) => x.property === property);
  if (f === undefined) throw new Error(`loader field table: ${type} has no field ${property}`);
  return f;
}

/** Where a command's numeric field sits in its entry (for readers that go field by field: loader/script.ts). */
export function fieldOffset<K extends LoaderCommand['type']>(type: K, property: FieldProperty<K>): number {
  return fieldOf(type, property).offset;
}

/** Where a command's name field sits in its entry. */
export function nameFieldOffset<K extends LoaderCommand['type']>(type: K, property: FieldProperty<K>): NameFieldOffset {
  const f = fieldOf(type, property);
  if (f.kind !== 'name' || (f.offset !== 4 && f.offset !== 60)) throw new Error(`loader field table: ${type}.${property} is not a name field at 4 or 60`);
  return f.offset;
}

/** Wire names by command word. */
export const COMMAND_NAMES: Readonly<Record<number, string>> = Object.freeze(Object.fromEntries(LOADER_COMMANDS.map((c) => [c.command, c.name])));

/** End of the meaningful bytes of each command; everything after is zero when QEMU emits it. */
export const FIELDS_END: Readonly<Record<number, number>> = Object.freeze(Object.fromEntries(LOADER_COMMANDS.map((c) => [c.command, c.end])));

/** What every entry type is called in listings and reports. */
export const ENTRY_NAMES: Readonly<Record<LoaderEntryType, string>> = Object.freeze(
  // no prototype: a made-up type has no name, not Object's "constructor"
  Object.assign(Object.create(null) as Record<LoaderEntryType, string>, {
    ...(Object.fromEntries(LOADER_COMMANDS.map((c) => [c.type, c.name])) as Record<LoaderCommand['type'], string>),
    padding: 'PADDING',
    unknown: 'UNKNOWN',
  }),
);

/** The model value of one field of a command entry. */
export function fieldValue(entry: LoaderCommand, field: FieldSpec): string | number {
  return (entry as unknown as Record<string, string | number>)[field.property]!;
}

/**
 * A command entry from its field values, read in table order (so the first
 * bad field is the one reported) and keyed in table order.
 */
export function commandFromFields(spec: CommandSpec, value: (field: FieldSpec) => string | number): LoaderCommand {
  const entry: Record<string, string | number> = { type: spec.type };
  for (const f of spec.fields) entry[f.property] = value(f);
  return entry as unknown as LoaderCommand;
}

/** The u32 command word the entry is written with. */
export function commandOf(entry: LoaderEntry): number {
  if (entry.type === 'padding') return 0;
  if (entry.type === 'unknown') return entry.command;
  return specOf(entry).command;
}

/** The file-name fields an entry refers to, with their entry offsets. */
export function nameFields(entry: LoaderEntry): { field: string; name: string; at: number }[] {
  if (!isCommand(entry)) return [];
  const out: { field: string; name: string; at: number }[] = [];
  for (const f of specOf(entry).fields) if (f.kind === 'name') out.push({ field: f.wire, name: fieldValue(entry, f) as string, at: f.offset });
  return out;
}
