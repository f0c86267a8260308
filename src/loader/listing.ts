/**
 * The text listing: one line per 128-byte entry, in the format of the
 * listings that ship with the QEMU captures (`loader.txt`), extended so that
 * every entry can be written back exactly:
 *
 *   [  0] ALLOCATE      file="etc/acpi/rsdp" align=16 zone=FSEG(2)
 *   [  5] ADD_POINTER   dest="etc/acpi/tables" src="etc/acpi/tables" offset=0x27b5 size=4    ; FACP+0x24
 *   [ 40] PADDING
 *   [ 41] UNKNOWN       command=0x5 raw=0500...
 *
 * `#` starts a comment line, `;` an annotation (ignored when assembling), and
 * `raw=<256 hex digits>` carries the original bytes of an entry QEMU could not
 * have written. Names are byte strings: `"` `\` and bytes outside 0x20-0x7e
 * are escaped (`\"`, `\\`, `\xNN`).
 */
import { fromHex, toHex } from '../bytes.js';
import { ListingSyntaxError } from '../errors.js';
import { ENTRY_SIZE, FILE_NAME_MAX_LENGTH, FILE_NAME_SIZE, ZONE_NAMES } from './constants.js';
import { PADDING, type LoaderEntry } from './entry.js';
import { COMMAND_NAMES, commandFromFields, commandSpec, ENTRY_NAMES, fieldValue, LOADER_COMMANDS, specOf, type FieldSpec } from './fields.js';
import type { Annotator } from './annotate.js';

const MNEMONIC_WIDTH = 13;

export function quoteName(name: string): string {
  let s = '"';
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c === 0x22) s += '\\"';
    else if (c === 0x5c) s += '\\\\';
    else if (c >= 0x20 && c <= 0x7e) s += name[i];
    else s += '\\x' + c.toString(16).padStart(2, '0');
  }
  return s + '"';
}

const hx = (n: number) => '0x' + n.toString(16);

export function mnemonic(entry: LoaderEntry): string {
  return ENTRY_NAMES[entry.type];
}

function zoneText(zone: number): string {
  const n = ZONE_NAMES[zone];
  return n === undefined ? String(zone) : `${n}(${zone})`;
}

function valueText(field: FieldSpec, v: string | number): string {
  switch (field.text) {
    case 'name':
      return quoteName(v as string);
    case 'dec':
      return String(v);
    case 'hex':
      return hx(v as number);
    case 'zone':
      return zoneText(v as number);
  }
}

/** The fields of one entry, as `key=value` text (no index, no mnemonic). */
export function formatFields(entry: LoaderEntry): string {
  if (entry.type === 'padding') return '';
  if (entry.type === 'unknown') return `command=${hx(entry.command)} raw=${toHex(entry.raw)}`;
  let s = specOf(entry)
    .fields.map((f) => `${f.key}=${valueText(f, fieldValue(entry, f))}`)
    .join(' ');
  if (entry.raw !== undefined) s += ` raw=${toHex(entry.raw)}`;
  return s;
}

export function formatEntryLine(entry: LoaderEntry, index: number, annotation?: string, indexWidth = 3): string {
  const fields = formatFields(entry);
  let line = `[${String(index).padStart(indexWidth)}] ${fields === '' ? mnemonic(entry) : mnemonic(entry).padEnd(MNEMONIC_WIDTH) + ' ' + fields}`;
  if (annotation !== undefined) line += `    ; ${annotation}`;
  return line;
}

export interface ListingOptions {
  annotate?: Annotator;
  /** Comment lines to put first (without the leading `# `). */
  header?: string[];
}

/** The whole listing, one line per entry, ending with a newline. */
export function formatListing(entries: readonly LoaderEntry[], options: ListingOptions = {}): string {
  const lines: string[] = [];
  for (const h of options.header ?? []) lines.push(`# ${h}`);
  const width = Math.max(3, String(Math.max(0, entries.length - 1)).length);
  entries.forEach((e, i) => lines.push(formatEntryLine(e, i, options.annotate?.(e), width)));
  return lines.join('\n') + '\n';
}

/** Summary header: size, entry counts and command counts. */
export function listingHeader(entries: readonly LoaderEntry[]): string[] {
  let padding = 0;
  const counts = new Map<string, number>();
  for (const e of entries) {
    if (e.type === 'padding') padding++;
    else counts.set(mnemonic(e), (counts.get(mnemonic(e)) ?? 0) + 1);
  }
  const commands = entries.length - padding;
  const countText = [...counts].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => `${k}=${v}`).join(', ');
  return [
    `${entries.length * ENTRY_SIZE} bytes = ${entries.length} entries of 128 bytes: ${commands} commands, ${padding} zero padding entries`,
    `counts: ${countText || 'none'}`,
  ];
}

// ------------------------------------------------------------------ parsing

interface Token {
  key: string;
  value: string;
  quoted: boolean;
}

/** Splits `key=value key="quoted"` pairs; stops at an unquoted `;`. */
function tokenize(text: string, line: number): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const n = text.length;
  while (i < n) {
    while (i < n && (text[i] === ' ' || text[i] === '\t')) i++;
    if (i >= n || text[i] === ';') break;
    const eq = text.indexOf('=', i);
    const keyEnd = eq < 0 ? n : eq;
    const key = text.slice(i, keyEnd);
    if (eq < 0 || !/^[a-z_]+$/.test(key)) throw new ListingSyntaxError(line, `expected key=value, found ${JSON.stringify(text.slice(i).split(/\s/)[0])}`);
    i = eq + 1;
    if (text[i] === '"') {
      i++;
      let value = '';
      for (;;) {
        if (i >= n) throw new ListingSyntaxError(line, `unterminated string for ${key}`);
        const c = text[i]!;
        if (c === '"') {
          i++;
          break;
        }
        if (c === '\\') {
          const e = text[i + 1];
          if (e === '"' || e === '\\') {
            value += e;
            i += 2;
          } else if (e === 'x' && /^[0-9a-fA-F]{2}$/.test(text.slice(i + 2, i + 4))) {
            value += String.fromCharCode(parseInt(text.slice(i + 2, i + 4), 16));
            i += 4;
          } else {
            throw new ListingSyntaxError(line, `bad escape in ${key}: use \\" \\\\ or \\xNN`);
          }
          continue;
        }
        const code = c.charCodeAt(0);
        if (code > 0xff) throw new ListingSyntaxError(line, `${key} has character U+${code.toString(16).padStart(4, '0')}; names are bytes: write \\xNN`);
        value += c;
        i++;
      }
      tokens.push({ key, value, quoted: true });
    } else {
      let j = i;
      while (j < n && text[j] !== ' ' && text[j] !== '\t' && text[j] !== ';') j++;
      tokens.push({ key, value: text.slice(i, j), quoted: false });
      i = j;
    }
  }
  return tokens;
}

function parseNumber(t: Token, line: number, max: number): number {
  if (t.quoted) throw new ListingSyntaxError(line, `${t.key} must be a number, not a string`);
  const m = /^(?:0x([0-9a-fA-F]+)|([0-9]+))$/.exec(t.value);
  if (m === null) throw new ListingSyntaxError(line, `${t.key}=${t.value} is not a number (decimal or 0x hex)`);
  const v = m[1] !== undefined ? parseInt(m[1], 16) : parseInt(m[2]!, 10);
  if (!Number.isSafeInteger(v) || v > max) throw new ListingSyntaxError(line, `${t.key}=${t.value} does not fit in ${max === 0xff ? 'a u8' : 'a u32'}`);
  return v;
}

function parseZone(t: Token, line: number): number {
  const m = /^(?:HIGH|FSEG)\((\d+)\)$/i.exec(t.value);
  if (m !== null) return parseNumber({ ...t, value: m[1]! }, line, 0xff);
  if (/^high$/i.test(t.value)) return 1;
  if (/^fseg$/i.test(t.value)) return 2;
  return parseNumber(t, line, 0xff);
}

function parseName(t: Token, line: number, hasRaw: boolean): string {
  if (!t.quoted) throw new ListingSyntaxError(line, `${t.key} must be a quoted name`);
  if (t.value.length > FILE_NAME_SIZE || (!hasRaw && t.value.length > FILE_NAME_MAX_LENGTH)) {
    throw new ListingSyntaxError(line, `${t.key} is ${t.value.length} bytes; a name field holds at most 55 plus NUL (give raw= for a field without NUL)`);
  }
  return t.value;
}

const REQUIRED: Record<string, string[]> = {
  ...Object.fromEntries(LOADER_COMMANDS.map((c) => [c.name, c.fields.map((f) => f.key)])),
  [ENTRY_NAMES.unknown]: ['command', 'raw'],
  [ENTRY_NAMES.padding]: [],
};
const BY_NAME = new Map(LOADER_COMMANDS.map((c) => [c.name, c]));

/** Parses one non-comment line into an entry. `position` is the entry's index in the stream. */
export function parseEntryLine(text: string, line: number, position: number): LoaderEntry {
  let rest = text.trim();
  const idx = /^\[\s*(\d+)\]\s*/.exec(rest);
  if (idx !== null) {
    const n = parseInt(idx[1]!, 10);
    if (n !== position) throw new ListingSyntaxError(line, `index [${n}] but this is entry ${position}`);
    rest = rest.slice(idx[0].length);
  }
  const m = /^([A-Za-z_]+)(?=\s|;|$)/.exec(rest);
  if (m === null) throw new ListingSyntaxError(line, `expected a command name, found ${JSON.stringify(rest.slice(0, 20))}`);
  const op = m[1]!.toUpperCase();
  const required = REQUIRED[op];
  if (required === undefined) {
    throw new ListingSyntaxError(line, `unknown command ${JSON.stringify(m[1])} (${Object.values(ENTRY_NAMES).join(', ')})`);
  }
  const fields = new Map<string, Token>();
  for (const t of tokenize(rest.slice(m[0].length), line)) {
    if (fields.has(t.key)) throw new ListingSyntaxError(line, `${t.key} given twice`);
    if (!required.includes(t.key) && t.key !== 'raw') throw new ListingSyntaxError(line, `${op} has no field ${t.key}`);
    fields.set(t.key, t);
  }
  for (const k of required) if (!fields.has(k)) throw new ListingSyntaxError(line, `${op} needs ${k}=`);
  let raw: Uint8Array | undefined;
  const rawTok = fields.get('raw');
  if (rawTok !== undefined) {
    raw = fromHex(rawTok.value);
    if (raw === undefined || raw.length !== ENTRY_SIZE) throw new ListingSyntaxError(line, 'raw= must be 256 hex digits (128 bytes)');
    if (op === 'PADDING') throw new ListingSyntaxError(line, 'PADDING takes no raw=; an entry with data is UNKNOWN');
  }
  const f = (k: string) => fields.get(k)!;
  const spec = BY_NAME.get(op);
  if (spec !== undefined) {
    const entry = commandFromFields(spec, (field) => {
      const t = f(field.key);
      if (field.kind === 'name') return parseName(t, line, raw !== undefined);
      if (field.text === 'zone') return parseZone(t, line);
      return parseNumber(t, line, field.kind === 'u8' ? 0xff : 0xffffffff);
    });
    if (raw !== undefined) entry.raw = raw;
    return entry;
  }
  if (op === ENTRY_NAMES.padding) return PADDING;
  const command = parseNumber(f('command'), line, 0xffffffff);
  if (commandSpec(command) !== undefined) throw new ListingSyntaxError(line, `UNKNOWN with command=${command}: that is ${COMMAND_NAMES[command]}`);
  return { type: 'unknown', command, raw: raw! };
}

/** Parses a whole listing. Comment and blank lines are skipped. */
export function parseListing(text: string): LoaderEntry[] {
  const entries: LoaderEntry[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const t = lines[i]!.trim();
    if (t === '' || t.startsWith('#') || t.startsWith(';')) continue;
    entries.push(parseEntryLine(t, i + 1, entries.length));
  }
  return entries;
}
