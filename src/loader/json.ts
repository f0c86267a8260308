/**
 * The JSON form of a loader: an array with one object per 128-byte entry.
 * Field names are QEMU's struct member names; numbers are JSON numbers; byte
 * strings (`raw`) are lowercase hex. Names are byte strings: each char is one
 * byte (U+0000-U+00FF).
 */
import { fromHex, toHex } from '../bytes.js';
import { ListingSyntaxError } from '../errors.js';
import { ENTRY_SIZE, FILE_NAME_MAX_LENGTH, FILE_NAME_SIZE, ZONE_NAMES } from './constants.js';
import { isCommand, PADDING, type LoaderEntry } from './entry.js';
import { commandOf, nameFields } from './fields.js';
import { COMMAND_NAMES, commandFromFields, commandSpec, ENTRY_NAMES, fieldValue, LOADER_COMMANDS, specOf } from './fields.js';
import { mnemonic } from './listing.js';
import { inspectNameField } from './name-field.js';
import type { Annotator } from './annotate.js';

export type EntryJson = Record<string, string | number | string[]>;

export function entryToJson(entry: LoaderEntry, index: number, annotation?: string): EntryJson {
  const o: EntryJson = { index, command: commandOf(entry), command_name: mnemonic(entry) };
  if (isCommand(entry)) {
    for (const f of specOf(entry).fields) {
      const v = fieldValue(entry, f);
      o[f.wire] = v;
      if (f.text === 'zone' && ZONE_NAMES[v as number] !== undefined) o['zone_name'] = ZONE_NAMES[v as number]!;
    }
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

const BY_NAME: Record<string, number> = { ...Object.fromEntries(LOADER_COMMANDS.map((c) => [c.name, c.command])), [ENTRY_NAMES.padding]: 0 };

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
  if (typeof command !== 'number' || !Number.isInteger(command) || command < 0 || command > 0xffffffff) fail(`command must be a u32 (or command_name one of ${Object.keys(BY_NAME).join(', ')})`);
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
  if (command === 0) return raw === undefined ? PADDING : { type: 'unknown', command: 0, raw };
  const spec = commandSpec(command as number);
  if (spec === undefined) {
    if (raw === undefined) fail(`command ${String(command)} is not one of ${Object.values(COMMAND_NAMES).join(', ')}: give raw`);
    return { type: 'unknown', command: command as number, raw: raw! };
  }
  const entry = commandFromFields(spec, (f) => (f.kind === 'name' ? str(f.wire) : num(f.wire, f.kind === 'u8' ? 0xff : 0xffffffff)));
  if (raw !== undefined) entry.raw = raw;
  return entry;
}

export function loaderFromJson(value: unknown): LoaderEntry[] {
  if (!Array.isArray(value)) throw new ListingSyntaxError(1, 'expected a JSON array of entries');
  return value.map((v, i) => entryFromJson(v, i));
}
