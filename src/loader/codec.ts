/**
 * The fast codec: loader entries to and from their 128-byte wire form,
 * written straight into / read straight out of caller memory.
 *
 * Every field of every command starts on a 4-byte boundary of its entry. On a
 * little-endian host, an entry that is 4-byte aligned in memory is therefore
 * read and written as 32 int32 words (the word path); anything else goes
 * through the byte path, which is the reference and gives identical results.
 *
 * The byte path walks the field table (fields.ts). The word path is unrolled
 * by hand for speed, with the table's offsets as word indices; it checks
 * itself against the table when this module loads (see the end of the file).
 */
import { asBytes, firstDifference, littleEndianWords, readableBytes, readU32LE, writeU32LE, type ByteSource, type ReadonlyBytes } from '../bytes.js';
import { EncodeError, LoaderFormatError } from '../errors.js';
import {
  COMMAND_ADD_CHECKSUM,
  COMMAND_ADD_POINTER,
  COMMAND_ALLOCATE,
  COMMAND_WRITE_POINTER,
  ENTRY_SIZE,
  FILE_NAME_MAX_LENGTH,
  FILE_NAME_SIZE,
} from './constants.js';
import { PADDING, type LoaderCommand, type LoaderEntry } from './entry.js';
import { commandFromFields, commandSpec, fieldValue, LOADER_COMMANDS, specOfType, type FieldSpec } from './fields.js';
import { isCanonicalNameField, nameFieldWords, nameWordCache, readName, readNameWords, writeName } from './name-field.js';

const ENTRY_WORDS = ENTRY_SIZE / 4;

// Module-local names for what the word paths read: V8 reads a module's own
// constants faster than imported bindings (measured: ~7% of an entry's encode).
const wordCache = nameWordCache;
const ALLOCATE = COMMAND_ALLOCATE;
const ADD_POINTER = COMMAND_ADD_POINTER;
const ADD_CHECKSUM = COMMAND_ADD_CHECKSUM;
const WRITE_POINTER = COMMAND_WRITE_POINTER;

function rawCopy(u8: Uint8Array, o: number): Uint8Array {
  return u8.slice(o, o + ENTRY_SIZE);
}

// ---------------------------------------------------------------- decoding

function orWords(w: Int32Array, from: number, to: number): number {
  let acc = 0;
  for (let i = from; i < to; i++) acc |= w[i]!;
  return acc;
}

/** Word path: the entry at word `b` if it is exactly what QEMU writes, else undefined. */
function decodeCanonicalWords(u8: Uint8Array, w: Int32Array, b: number): LoaderEntry | undefined {
  switch (w[b]) {
    case ALLOCATE: {
      const file = readNameWords(u8, w, b + 1);
      const zoneWord = w[b + 16]!;
      if (file === undefined || (zoneWord & ~0xff) !== 0 || orWords(w, b + 17, b + ENTRY_WORDS) !== 0) break;
      return { type: 'allocate', file, align: w[b + 15]! >>> 0, zone: zoneWord };
    }
    case ADD_POINTER: {
      const destFile = readNameWords(u8, w, b + 1);
      const srcFile = readNameWords(u8, w, b + 15);
      const sizeWord = w[b + 30]!;
      if (destFile === undefined || srcFile === undefined || (sizeWord & ~0xff) !== 0 || w[b + 31] !== 0) break;
      return { type: 'addPointer', destFile, srcFile, offset: w[b + 29]! >>> 0, size: sizeWord };
    }
    case ADD_CHECKSUM: {
      const file = readNameWords(u8, w, b + 1);
      if (file === undefined || orWords(w, b + 18, b + ENTRY_WORDS) !== 0) break;
      return { type: 'addChecksum', file, offset: w[b + 15]! >>> 0, start: w[b + 16]! >>> 0, length: w[b + 17]! >>> 0 };
    }
    case WRITE_POINTER: {
      const destFile = readNameWords(u8, w, b + 1);
      const srcFile = readNameWords(u8, w, b + 15);
      const sizeWord = w[b + 31]!;
      if (destFile === undefined || srcFile === undefined || (sizeWord & ~0xff) !== 0) break;
      return { type: 'writePointer', destFile, srcFile, dstOffset: w[b + 29]! >>> 0, srcOffset: w[b + 30]! >>> 0, size: sizeWord };
    }
    case 0:
      if (orWords(w, b, b + ENTRY_WORDS) === 0) return PADDING;
      break;
    default:
      break;
  }
  return undefined;
}

function decodeWords(u8: Uint8Array, w: Int32Array, b: number): LoaderEntry {
  // not what QEMU writes (odd name field, non-zero reserved bytes, unknown command): the reference path keeps raw bytes
  return decodeCanonicalWords(u8, w, b) ?? decodeBytes(u8, b << 2);
}

function zeroBytes(u8: Uint8Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (u8[i] !== 0) return false;
  return true;
}

/** The reference path: any alignment, any host byte order, field by field from the table. */
function decodeBytes(u8: Uint8Array, o: number): LoaderEntry {
  const command = readU32LE(u8, o);
  const spec = commandSpec(command);
  if (spec === undefined) {
    if (command === 0 && zeroBytes(u8, o, o + ENTRY_SIZE)) return PADDING;
    return { type: 'unknown', command, raw: rawCopy(u8, o) };
  }
  let canonical = zeroBytes(u8, o + spec.end, o + ENTRY_SIZE);
  const e = commandFromFields(spec, (f) => {
    const at = o + f.offset;
    switch (f.kind) {
      case 'name':
        if (!isCanonicalNameField(u8, at)) canonical = false;
        return readName(u8, at);
      case 'u32':
        return readU32LE(u8, at);
      case 'u8':
        return u8[at]!;
    }
  });
  if (!canonical) e.raw = rawCopy(u8, o);
  return e;
}

function decodeAt(u8: Uint8Array, w: Int32Array | undefined, o: number): LoaderEntry {
  return w !== undefined && (o & 3) === 0 ? decodeWords(u8, w, o >>> 2) : decodeBytes(u8, o);
}

/** Decodes the entry at `offset` (which must leave 128 readable bytes). */
export function decodeEntry(source: ByteSource | ReadonlyBytes, offset = 0): LoaderEntry {
  const u8 = readableBytes(source);
  if (!Number.isInteger(offset) || offset < 0 || offset + ENTRY_SIZE > u8.length) {
    throw new LoaderFormatError('LOADER_TRUNCATED', `entry at byte ${offset} needs 128 bytes, ${Math.max(0, u8.length - offset)} available`);
  }
  return decodeAt(u8, littleEndianWords(u8), offset);
}

/** Decodes a whole table-loader blob. Its size must be a multiple of 128. */
export function decodeLoader(source: ByteSource | ReadonlyBytes): LoaderEntry[] {
  const u8 = readableBytes(source);
  const rest = u8.length % ENTRY_SIZE;
  const count = (u8.length - rest) / ENTRY_SIZE;
  if (rest !== 0) {
    throw new LoaderFormatError(
      'LOADER_SIZE',
      `loader is ${u8.length} bytes, not a multiple of 128: ${rest} trailing byte${rest === 1 ? '' : 's'} after ${count} entries`,
    );
  }
  const w = littleEndianWords(u8);
  const out = new Array<LoaderEntry>(count);
  if (w !== undefined) for (let i = 0; i < count; i++) out[i] = decodeWords(u8, w, i * ENTRY_WORDS);
  else for (let i = 0; i < count; i++) out[i] = decodeBytes(u8, i * ENTRY_SIZE);
  return out;
}

// ---------------------------------------------------------------- encoding

function u32Field(index: number, field: string, v: number): number {
  if ((v >>> 0) !== v) badField(index, field, v, 'u32');
  return v;
}

function u8Field(index: number, field: string, v: number): number {
  if ((v & 0xff) !== v) badField(index, field, v, 'u8');
  return v;
}

function checkName(index: number, field: string, name: unknown): string {
  if (typeof name !== 'string') throw new EncodeError('FIELD_TYPE', `entry ${index}: ${field} must be a string`);
  return name;
}

function nameImage(index: number, field: string, name: string): Int32Array {
  if (typeof name === 'string') {
    const cached = wordCache.get(name);
    if (cached !== undefined) return cached;
  }
  return newNameImage(index, field, name);
}

function newNameImage(index: number, field: string, name: string): Int32Array {
  try {
    return nameFieldWords(checkName(index, field, name));
  } catch (err) {
    if (err instanceof EncodeError && err.code !== 'FIELD_TYPE') throw new EncodeError(err.code, `entry ${index}: ${field}: ${err.message}`);
    throw err;
  }
}

function putName(w: Int32Array, at: number, image: Int32Array): void {
  // images are at least 4 words: the common short names need no loop
  w[at] = image[0]!;
  w[at + 1] = image[1]!;
  w[at + 2] = image[2]!;
  w[at + 3] = image[3]!;
  for (let i = 4; i < image.length; i++) w[at + i] = image[i]!;
}

function badField(index: number, field: string, v: unknown, kind: string): never {
  throw new EncodeError('FIELD_RANGE', `entry ${index}: ${field} ${String(v)} is not a ${kind}`);
}

const EMPTY_NAME_IMAGE = nameFieldWords('');

/**
 * Word path for entries [first, end), the first at word `b`, over words that
 * are already zero: only the non-zero words are stored (the command, each
 * name up to its NUL, the numeric fields). This is the hot loop: range checks
 * are inline, and the last image of each name field (first, second) is
 * kept, since runs of entries name the same blobs: most names cost a string
 * compare instead of a Map lookup. Entries with a raw base, unknown ones and
 * anything malformed take the reference path.
 */
function encodeWords(entries: readonly LoaderEntry[], first: number, end: number, u8: Uint8Array, w: Int32Array, b: number): void {
  let name = '';
  let image = EMPTY_NAME_IMAGE;
  let src = '';
  let srcImage = EMPTY_NAME_IMAGE;
  for (let i = first; i < end; i++, b += ENTRY_WORDS) {
    const e = entries[i]!;
    switch (e.type) {
      case 'allocate': {
        if (e.raw !== undefined) break;
        const { align, zone } = e;
        if (align >>> 0 !== align) badField(i, 'align', align, 'u32');
        if ((zone & 0xff) !== zone) badField(i, 'zone', zone, 'u8');
        w[b] = ALLOCATE;
        if (e.file !== name) image = nameImage(i, 'file', (name = e.file));
        putName(w, b + 1, image);
        w[b + 15] = align;
        w[b + 16] = zone;
        continue;
      }
      case 'addPointer': {
        if (e.raw !== undefined) break;
        const { offset, size } = e;
        if (offset >>> 0 !== offset) badField(i, 'offset', offset, 'u32');
        if ((size & 0xff) !== size) badField(i, 'size', size, 'u8');
        w[b] = ADD_POINTER;
        if (e.destFile !== name) image = nameImage(i, 'dest_file', (name = e.destFile));
        putName(w, b + 1, image);
        if (e.srcFile !== src) srcImage = nameImage(i, 'src_file', (src = e.srcFile));
        putName(w, b + 15, srcImage);
        w[b + 29] = offset;
        w[b + 30] = size;
        continue;
      }
      case 'addChecksum': {
        if (e.raw !== undefined) break;
        const { offset, start, length } = e;
        if (offset >>> 0 !== offset) badField(i, 'offset', offset, 'u32');
        if (start >>> 0 !== start) badField(i, 'start', start, 'u32');
        if (length >>> 0 !== length) badField(i, 'length', length, 'u32');
        w[b] = ADD_CHECKSUM;
        if (e.file !== name) image = nameImage(i, 'file', (name = e.file));
        putName(w, b + 1, image);
        w[b + 15] = offset;
        w[b + 16] = start;
        w[b + 17] = length;
        continue;
      }
      case 'writePointer': {
        if (e.raw !== undefined) break;
        const { dstOffset, srcOffset, size } = e;
        if (dstOffset >>> 0 !== dstOffset) badField(i, 'dst_offset', dstOffset, 'u32');
        if (srcOffset >>> 0 !== srcOffset) badField(i, 'src_offset', srcOffset, 'u32');
        if ((size & 0xff) !== size) badField(i, 'size', size, 'u8');
        w[b] = WRITE_POINTER;
        if (e.destFile !== name) image = nameImage(i, 'dest_file', (name = e.destFile));
        putName(w, b + 1, image);
        if (e.srcFile !== src) srcImage = nameImage(i, 'src_file', (src = e.srcFile));
        putName(w, b + 15, srcImage);
        w[b + 29] = dstOffset;
        w[b + 30] = srcOffset;
        w[b + 31] = size;
        continue;
      }
      case 'padding':
        continue;
      default:
        break;
    }
    encodeBytes(e, u8, b << 2, i);
  }
}

/** Name into field `at` by bytes: keeps a raw base's bytes when it already holds this C string. */
function nameBytes(u8: Uint8Array, at: number, name: string, hasRaw: boolean, index: number, field: string): void {
  checkName(index, field, name);
  if (hasRaw) {
    if (readName(u8, at) === name) return;
  }
  u8.fill(0, at, at + FILE_NAME_SIZE);
  try {
    writeName(name, u8, at);
  } catch (err) {
    if (err instanceof EncodeError) throw new EncodeError(err.code, `entry ${index}: ${field}: ${err.message}`);
    throw err;
  }
}

function rawBase(raw: Uint8Array, index: number): Uint8Array {
  if (!(raw instanceof Uint8Array) || raw.length !== ENTRY_SIZE) {
    throw new EncodeError('RAW_SIZE', `entry ${index}: raw bytes must be exactly 128, got ${raw instanceof Uint8Array ? raw.length : typeof raw}`);
  }
  return raw;
}

/** The reference path: any alignment, and entries carrying a raw base; field by field from the table. */
function encodeBytes(e: LoaderEntry, u8: Uint8Array, o: number, index: number): void {
  if (e.type === 'padding') return;
  const raw = e.raw;
  if (raw !== undefined) u8.set(rawBase(raw, index), o);
  if (e.type === 'unknown') {
    // the raw bytes hold everything; the command word is authoritative
    writeU32LE(u8, o, u32Field(index, 'command', e.command));
    return;
  }
  const spec = specOfType(e.type);
  if (spec === undefined) throw new EncodeError('ENTRY_TYPE', `entry ${index}: unknown entry type ${JSON.stringify((e as { type: unknown }).type)}`);
  writeU32LE(u8, o, spec.command);
  for (const f of spec.fields) {
    const at = o + f.offset;
    const v = fieldValue(e, f);
    switch (f.kind) {
      case 'name':
        nameBytes(u8, at, v as string, raw !== undefined, index, f.wire);
        break;
      case 'u32':
        writeU32LE(u8, at, u32Field(index, f.wire, v as number));
        break;
      case 'u8':
        u8[at] = u8Field(index, f.wire, v as number);
        break;
    }
  }
}

/** Writes one entry (all 128 bytes) into `target` at `offset`. */
export function encodeEntry(entry: LoaderEntry, target: ByteSource, offset = 0): void {
  const u8 = asBytes(target);
  if (!Number.isInteger(offset) || offset < 0 || offset + ENTRY_SIZE > u8.length) {
    throw new EncodeError('TARGET_TOO_SMALL', `no room for a 128-byte entry at byte ${offset} of a ${u8.length}-byte target`);
  }
  u8.fill(0, offset, offset + ENTRY_SIZE);
  const w = littleEndianWords(u8);
  if (w !== undefined && (offset & 3) === 0) encodeWords([entry], 0, 1, u8, w, offset >>> 2);
  else encodeBytes(entry, u8, offset, 0);
}

/** Bytes a stream of `count` entries occupies, padded to a multiple of `padTo` if given. */
export function encodedLength(count: number, padTo = 0): number {
  const n = count * ENTRY_SIZE;
  if (padTo <= 0) return n;
  return Math.ceil(n / padTo) * padTo;
}

export interface EncodeOptions {
  /** Pad with zero bytes to a multiple of this size (QEMU i386: 4096). */
  padTo?: number;
}

/**
 * Writes `entries` into `target` at `offset` (plus zero padding when asked).
 * Returns the number of bytes written.
 */
export function encodeLoaderInto(entries: readonly LoaderEntry[], target: ByteSource, offset = 0, options: EncodeOptions = {}): number {
  const u8 = asBytes(target);
  const padTo = options.padTo ?? 0;
  if (padTo !== 0 && (!Number.isInteger(padTo) || padTo < 0 || padTo % ENTRY_SIZE !== 0)) {
    throw new EncodeError('PAD_SIZE', `padding size ${padTo} must be a positive multiple of 128`);
  }
  const total = encodedLength(entries.length, padTo);
  if (!Number.isInteger(offset) || offset < 0 || offset + total > u8.length) {
    throw new EncodeError('TARGET_TOO_SMALL', `${total} bytes of loader do not fit at byte ${offset} of a ${u8.length}-byte target`);
  }
  // one memset, then only the non-zero words of each entry (this is the hot path)
  u8.fill(0, offset, offset + total);
  const w = littleEndianWords(u8);
  if (w !== undefined && (offset & 3) === 0) encodeWords(entries, 0, entries.length, u8, w, offset >>> 2);
  else for (let i = 0, o = offset; i < entries.length; i++, o += ENTRY_SIZE) encodeBytes(entries[i]!, u8, o, i);
  return total;
}

/** Encodes `entries` into a new buffer. */
export function encodeLoader(entries: readonly LoaderEntry[], options: EncodeOptions = {}): Uint8Array {
  const out = new Uint8Array(encodedLength(entries.length, options.padTo ?? 0));
  encodeLoaderInto(entries, out, 0, options);
  return out;
}

// ------------------------------------------------- agreement with the table

/**
 * A value for field `i` that no other field of the command holds, every byte
 * non-zero. Numbers stay below 2^30 so that V8 keeps small-integer fields in
 * the entry objects' shapes, as real loaders do.
 */
function probeValue(f: FieldSpec, i: number): string | number {
  if (f.kind === 'name') {
    let s = '';
    for (let j = 0; j < FILE_NAME_MAX_LENGTH; j++) s += String.fromCharCode(0x21 + ((i * 29 + j) % 90));
    return s;
  }
  if (f.kind === 'u8') return (i << 4) | 0x9;
  return ((i + 1) << 24) | (((i << 4) | 3) << 16) | (((i << 4) | 2) << 8) | ((i << 4) | 1);
}

/** Where to put one non-zero byte so that a wrong start or end of a reserved-tail check shows. */
function reservedProbes(end: number): number[] {
  const probes: number[] = [];
  for (let p = end; p <= ((end + 3) & ~3) && p < ENTRY_SIZE; p++) probes.push(p);
  if (ENTRY_SIZE - 1 > probes[probes.length - 1]!) probes.push(ENTRY_SIZE - 1);
  return probes;
}

/**
 * The word path above spells the table's offsets as word indices (byte 4k is
 * word k) and its reserved tails as word ranges. Rather than trust that by
 * eye, the codec proves it when it loads: for each command it builds an entry
 * from the table alone, with a distinct value in every field, and requires
 * the word path to decode it to exactly those values, to encode them back to
 * the same 128 bytes, and to see a non-zero byte at either end of the reserved
 * tail. Edit one side without the other and importing the codec throws. (The
 * byte path reads the table itself.)
 */
function checkAgainstTable(): void {
  const image = new Uint8Array(ENTRY_SIZE);
  const w = littleEndianWords(image);
  if (w === undefined) return; // big-endian host: only the byte path runs
  for (const spec of LOADER_COMMANDS) {
    const fail = (what: string): never => {
      throw new Error(`loader codec's word path disagrees with the field table (fields.ts): ${spec.name}: ${what}`);
    };
    image.fill(0);
    writeU32LE(image, 0, spec.command);
    const values = spec.fields.map(probeValue);
    spec.fields.forEach((f, i) => {
      const v = values[i]!;
      if (typeof v === 'string') for (let j = 0; j < v.length; j++) image[f.offset + j] = v.charCodeAt(j);
      else if (f.kind === 'u32') writeU32LE(image, f.offset, v);
      else image[f.offset] = v;
    });
    const e = decodeCanonicalWords(image, w, 0);
    if (e?.type !== spec.type) fail(`does not decode the table's image as ${spec.type}`);
    const keys = Object.keys(e!).join();
    if (keys !== ['type', ...spec.fields.map((f) => f.property)].join()) fail(`decodes properties ${keys}`);
    spec.fields.forEach((f, i) => {
      if (fieldValue(e as LoaderCommand, f) !== values[i]) fail(`reads ${f.wire} from elsewhere than byte ${f.offset}`);
    });
    const out = new Uint8Array(ENTRY_SIZE);
    encodeWords([e!], 0, 1, out, littleEndianWords(out)!, 0);
    const d = firstDifference(out, image);
    if (d >= 0) fail(`writes byte ${d} as 0x${out[d]!.toString(16)}, the table says 0x${image[d]!.toString(16)}`);
    for (const p of reservedProbes(spec.end)) {
      image[p] = 0x80;
      if (decodeCanonicalWords(image, w, 0) !== undefined) fail(`does not see reserved byte ${p}`);
      image[p] = 0;
    }
  }
}

checkAgainstTable();
