/**
 * The JSON form of a loader: an array with one object per 128-byte entry.
 * Field names are QEMU's struct member names; numbers are JSON numbers; byte
 * strings (`raw`) are lowercase hex. Names are byte strings: each char is one
 * byte (U+0000-U+00FF).
 */
import { fromHex, toHex } from '../bytes.js';
import { ListingSyntaxError } from '../errors.js';
import { COMMAND_NAMES, ENTRY_SIZE, FILE_NAME_MAX_LENGTH, FILE_NAME_SIZE, ZONE_NAMES } from './constants.js';
import { commandOf, nameFields, PADDING, type LoaderEntry } from './entry.js';
import { mnemonic } from './listing.js';
import { inspectNameField } from './name-field.js';
import type { Annotator } from './annotate.js';

export type EntryJson = Record<string, string | number | string[]>;

export function entryToJson(entry: LoaderEntry, index: number, annotation?: string): EntryJson {
  const o: EntryJson = { index, command: commandOf(entry), command_name: mnemonic(entry) };
  switch (entry.type) {
    case 'allocate':
      Object.assign(o, { file: entry.file, align: entry.align, zone: entry.zone });
      if (ZONE_NAMES[entry.zone] !== undefined) o['zone_name'] = ZONE_NAMES[entry.zone]!;
      break;
    case 'addPointer':
      Object.assign(o, { dest_file: entry.destFile, src_file: entry.srcFile, offset: entry.offset, size: entry.size });
      break;
    case 'addChecksum':
      Object.assign(o, { file: entry.file, offset: entry.offset, start: entry.start, length: entry.length });
      break;
    case 'writePointer':
      Object.assign(o, { dest_file: entry.destFile, src_file: entry.srcFile, dst_offset: entry.dstOffset, src_offset: entry.srcOffset, size: entry.size });
      break;
    default:
      break;
  }
  if (annotation !== undefined) o['annotation'] = annotation;
  if (entry.type !== 'padding' && entry.raw !== undefined) {
    o['raw'] = toHex(entry.raw);
    const issues: string[] = [];
    for (const f of nameFields(entry)) for (const i of inspectNameField(entry.raw, f.at)) issues.push(`${f.field}: ${i.message}`);
    if (issues.length > 0) o['name_issues'] = issues;
  }
  return o;
}

export function loaderToJson(entries: readonly LoaderEntry[], annotate?: Annotator): EntryJson[] {
  return entries.map((e, i) => entryToJson(e, i, annotate?.(e)));
}

const BY_NAME: Record<string, number> = { ALLOCATE: 1, ADD_POINTER: 2, ADD_CHECKSUM: 3, WRITE_POINTER: 4, PADDING: 0 };

/** One JSON object back into an entry; errors name the array index and field. Reported as line = index + 1. */
export function entryFromJson(value: unknown, index: number): LoaderEntry {
  const fail = (msg: string): never => {
    throw new ListingSyntaxError(index + 1, `entry ${index}: ${msg}`);
  };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail('expected an object');
  const o = value as Record<string, unknown>;
  if (o['index'] !== undefined && o['index'] !== index) fail(`index ${String(o['index'])} but this is entry ${index}`);
  let raw: Uint8Array | undefined;
  if (o['raw'] !== undefined) {
    const r = typeof o['raw'] === 'string' ? fromHex(o['raw']) : undefined;
    if (r === undefined || r.length !== ENTRY_SIZE) fail('raw must be a string of 256 hex digits');
    raw = r;
  }
  const name = o['command_name'];
  let command = o['command'];
  if (command === undefined && typeof name === 'string') command = BY_NAME[name];
  if (typeof command !== 'number' || !Number.isInteger(command) || command < 0 || command > 0xffffffff) fail('command must be a u32 (or command_name one of ALLOCATE, ADD_POINTER, ADD_CHECKSUM, WRITE_POINTER, PADDING)');
  const num = (k: string, max: number): number => {
    const v = o[k];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max) fail(`${k} must be an integer 0..${max}`);
    return v as number;
  };
  const str = (k: string): string => {
    const v = o[k];
    if (typeof v !== 'string') fail(`${k} must be a string`);
    const s = v as string;
    if (s.length > FILE_NAME_SIZE || (raw === undefined && s.length > FILE_NAME_MAX_LENGTH)) fail(`${k} is ${s.length} bytes; a name field holds at most 55 plus NUL`);
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c === 0 || c > 0xff) fail(`${k} has character U+${c.toString(16).padStart(4, '0')}; names are bytes 0x01-0xff`);
    }
    return s;
  };
  let entry: LoaderEntry;
  switch (command as number) {
    case 0:
      if (raw === undefined) return PADDING;
      return { type: 'unknown', command: 0, raw };
    case 1:
      entry = { type: 'allocate', file: str('file'), align: num('align', 0xffffffff), zone: num('zone', 0xff) };
      break;
    case 2:
      entry = { type: 'addPointer', destFile: str('dest_file'), srcFile: str('src_file'), offset: num('offset', 0xffffffff), size: num('size', 0xff) };
      break;
    case 3:
      entry = { type: 'addChecksum', file: str('file'), offset: num('offset', 0xffffffff), start: num('start', 0xffffffff), length: num('length', 0xffffffff) };
      break;
    case 4:
      entry = {
        type: 'writePointer',
        destFile: str('dest_file'),
        srcFile: str('src_file'),
        dstOffset: num('dst_offset', 0xffffffff),
        srcOffset: num('src_offset', 0xffffffff),
        size: num('size', 0xff),
      };
      break;
    default:
      if (raw === undefined) fail(`command ${String(command)} is not one of ${Object.values(COMMAND_NAMES).join(', ')}: give raw`);
      return { type: 'unknown', command: command as number, raw: raw! };
  }
  if (raw !== undefined) entry.raw = raw;
  return entry;
}

export function loaderFromJson(value: unknown): LoaderEntry[] {
  if (!Array.isArray(value)) throw new ListingSyntaxError(1, 'expected a JSON array of entries');
  return value.map((v, i) => entryFromJson(v, i));
}
