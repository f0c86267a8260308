/**
 * The fast codec: loader entries to and from their 128-byte wire form,
 * written straight into / read straight out of caller memory.
 *
 * Every field of every command starts on a 4-byte boundary of its entry. On a
 * little-endian host, an entry that is 4-byte aligned in memory is therefore
 * read and written as 32 int32 words (the word path); anything else goes
 * through the byte path, which is the reference and gives identical results.
 */
import { asBytes, readableBytes, readU32LE, writeU32LE, type ByteSource, type ReadonlyBytes } from '../bytes.js';
import { EncodeError, LoaderFormatError } from '../errors.js';
import {
  COMMAND_ADD_CHECKSUM,
  COMMAND_ADD_POINTER,
  COMMAND_ALLOCATE,
  COMMAND_WRITE_POINTER,
  ENTRY_SIZE,
  FILE_NAME_SIZE,
} from './constants.js';
import { PADDING, type LoaderEntry } from './entry.js';
import { isCanonicalNameField, nameFieldWords, nameWordCache, readName, readNameWords, writeName } from './name-field.js';

const ENTRY_WORDS = ENTRY_SIZE / 4;
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** Int32 view of `bytes` when the word path applies to it at all. */
function wordsOf(bytes: Uint8Array): Int32Array | undefined {
  return LITTLE_ENDIAN && bytes.byteOffset % 4 === 0 ? new Int32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >>> 2) : undefined;
}

function rawCopy(u8: Uint8Array, o: number): Uint8Array {
  return u8.slice(o, o + ENTRY_SIZE);
}

// ---------------------------------------------------------------- decoding

function orWords(w: Int32Array, from: number, to: number): number {
  let acc = 0;
  for (let i = from; i < to; i++) acc |= w[i]!;
  return acc;
}

function decodeWords(u8: Uint8Array, w: Int32Array, b: number): LoaderEntry {
  switch (w[b]) {
    case COMMAND_ALLOCATE: {
      const file = readNameWords(u8, w, b + 1);
      const zoneWord = w[b + 16]!;
      if (file === undefined || (zoneWord & ~0xff) !== 0 || orWords(w, b + 17, b + ENTRY_WORDS) !== 0) break;
      return { type: 'allocate', file, align: w[b + 15]! >>> 0, zone: zoneWord };
    }
    case COMMAND_ADD_POINTER: {
      const destFile = readNameWords(u8, w, b + 1);
      const srcFile = readNameWords(u8, w, b + 15);
      const sizeWord = w[b + 30]!;
      if (destFile === undefined || srcFile === undefined || (sizeWord & ~0xff) !== 0 || w[b + 31] !== 0) break;
      return { type: 'addPointer', destFile, srcFile, offset: w[b + 29]! >>> 0, size: sizeWord };
    }
    case COMMAND_ADD_CHECKSUM: {
      const file = readNameWords(u8, w, b + 1);
      if (file === undefined || orWords(w, b + 18, b + ENTRY_WORDS) !== 0) break;
      return { type: 'addChecksum', file, offset: w[b + 15]! >>> 0, start: w[b + 16]! >>> 0, length: w[b + 17]! >>> 0 };
    }
    case COMMAND_WRITE_POINTER: {
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
  // not what QEMU writes (odd name field, non-zero reserved bytes, unknown command): the reference path keeps raw bytes
  return decodeBytes(u8, b << 2);
}

function zeroBytes(u8: Uint8Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (u8[i] !== 0) return false;
  return true;
}

/** The reference path: any alignment, any host byte order. */
function decodeBytes(u8: Uint8Array, o: number): LoaderEntry {
  const command = readU32LE(u8, o);
  switch (command) {
    case COMMAND_ALLOCATE: {
      const e: LoaderEntry = { type: 'allocate', file: readName(u8, o + 4), align: readU32LE(u8, o + 60), zone: u8[o + 64]! };
      if (!isCanonicalNameField(u8, o + 4) || !zeroBytes(u8, o + 65, o + ENTRY_SIZE)) e.raw = rawCopy(u8, o);
      return e;
    }
    case COMMAND_ADD_POINTER: {
      const e: LoaderEntry = { type: 'addPointer', destFile: readName(u8, o + 4), srcFile: readName(u8, o + 60), offset: readU32LE(u8, o + 116), size: u8[o + 120]! };
      if (!isCanonicalNameField(u8, o + 4) || !isCanonicalNameField(u8, o + 60) || !zeroBytes(u8, o + 121, o + ENTRY_SIZE)) e.raw = rawCopy(u8, o);
      return e;
    }
    case COMMAND_ADD_CHECKSUM: {
      const e: LoaderEntry = { type: 'addChecksum', file: readName(u8, o + 4), offset: readU32LE(u8, o + 60), start: readU32LE(u8, o + 64), length: readU32LE(u8, o + 68) };
      if (!isCanonicalNameField(u8, o + 4) || !zeroBytes(u8, o + 72, o + ENTRY_SIZE)) e.raw = rawCopy(u8, o);
      return e;
    }
    case COMMAND_WRITE_POINTER: {
      const e: LoaderEntry = {
        type: 'writePointer',
        destFile: readName(u8, o + 4),
        srcFile: readName(u8, o + 60),
        dstOffset: readU32LE(u8, o + 116),
        srcOffset: readU32LE(u8, o + 120),
        size: u8[o + 124]!,
      };
      if (!isCanonicalNameField(u8, o + 4) || !isCanonicalNameField(u8, o + 60) || !zeroBytes(u8, o + 125, o + ENTRY_SIZE)) e.raw = rawCopy(u8, o);
      return e;
    }
    default:
      if (command === 0 && zeroBytes(u8, o, o + ENTRY_SIZE)) return PADDING;
      return { type: 'unknown', command, raw: rawCopy(u8, o) };
  }
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
  return decodeAt(u8, wordsOf(u8), offset);
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
  const w = wordsOf(u8);
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
    const cached = nameWordCache.get(name);
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

/**
 * Word path for a canonical entry (no raw base) over words that are already
 * zero: only the non-zero words are stored (the command, each name up to its
 * NUL, the numeric fields). Range checks are inline: this is the hot loop.
 */
function encodeWords(e: LoaderEntry, u8: Uint8Array, w: Int32Array, b: number, index: number): void {
  switch (e.type) {
    case 'allocate': {
      if (e.raw !== undefined) break;
      const { align, zone } = e;
      if (align >>> 0 !== align) badField(index, 'align', align, 'u32');
      if ((zone & 0xff) !== zone) badField(index, 'zone', zone, 'u8');
      w[b] = COMMAND_ALLOCATE;
      putName(w, b + 1, nameImage(index, 'file', e.file));
      w[b + 15] = align;
      w[b + 16] = zone;
      return;
    }
    case 'addPointer': {
      if (e.raw !== undefined) break;
      const { offset, size } = e;
      if (offset >>> 0 !== offset) badField(index, 'offset', offset, 'u32');
      if ((size & 0xff) !== size) badField(index, 'size', size, 'u8');
      w[b] = COMMAND_ADD_POINTER;
      const dest = nameImage(index, 'dest_file', e.destFile);
      putName(w, b + 1, dest);
      // most pointers are table-to-table: same name, same image
      putName(w, b + 15, e.srcFile === e.destFile ? dest : nameImage(index, 'src_file', e.srcFile));
      w[b + 29] = offset;
      w[b + 30] = size;
      return;
    }
    case 'addChecksum': {
      if (e.raw !== undefined) break;
      const { offset, start, length } = e;
      if (offset >>> 0 !== offset) badField(index, 'offset', offset, 'u32');
      if (start >>> 0 !== start) badField(index, 'start', start, 'u32');
      if (length >>> 0 !== length) badField(index, 'length', length, 'u32');
      w[b] = COMMAND_ADD_CHECKSUM;
      putName(w, b + 1, nameImage(index, 'file', e.file));
      w[b + 15] = offset;
      w[b + 16] = start;
      w[b + 17] = length;
      return;
    }
    case 'writePointer': {
      if (e.raw !== undefined) break;
      const { dstOffset, srcOffset, size } = e;
      if (dstOffset >>> 0 !== dstOffset) badField(index, 'dst_offset', dstOffset, 'u32');
      if (srcOffset >>> 0 !== srcOffset) badField(index, 'src_offset', srcOffset, 'u32');
      if ((size & 0xff) !== size) badField(index, 'size', size, 'u8');
      w[b] = COMMAND_WRITE_POINTER;
      putName(w, b + 1, nameImage(index, 'dest_file', e.destFile));
      putName(w, b + 15, nameImage(index, 'src_file', e.srcFile));
      w[b + 29] = dstOffset;
      w[b + 30] = srcOffset;
      w[b + 31] = size;
      return;
    }
    case 'padding':
      return;
    default:
      break;
  }
  // raw-based and unknown entries (and anything malformed) take the reference path
  encodeBytes(e, u8, b << 2, index);
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

/** The reference path: any alignment, and entries carrying a raw base. */
function encodeBytes(e: LoaderEntry, u8: Uint8Array, o: number, index: number): void {
  if (e.type === 'padding') return;
  const raw = e.raw;
  if (raw !== undefined) u8.set(rawBase(raw, index), o);
  const hasRaw = raw !== undefined;
  switch (e.type) {
    case 'allocate':
      writeU32LE(u8, o, COMMAND_ALLOCATE);
      nameBytes(u8, o + 4, e.file, hasRaw, index, 'file');
      writeU32LE(u8, o + 60, u32Field(index, 'align', e.align));
      u8[o + 64] = u8Field(index, 'zone', e.zone);
      return;
    case 'addPointer':
      writeU32LE(u8, o, COMMAND_ADD_POINTER);
      nameBytes(u8, o + 4, e.destFile, hasRaw, index, 'dest_file');
      nameBytes(u8, o + 60, e.srcFile, hasRaw, index, 'src_file');
      writeU32LE(u8, o + 116, u32Field(index, 'offset', e.offset));
      u8[o + 120] = u8Field(index, 'size', e.size);
      return;
    case 'addChecksum':
      writeU32LE(u8, o, COMMAND_ADD_CHECKSUM);
      nameBytes(u8, o + 4, e.file, hasRaw, index, 'file');
      writeU32LE(u8, o + 60, u32Field(index, 'offset', e.offset));
      writeU32LE(u8, o + 64, u32Field(index, 'start', e.start));
      writeU32LE(u8, o + 68, u32Field(index, 'length', e.length));
      return;
    case 'writePointer':
      writeU32LE(u8, o, COMMAND_WRITE_POINTER);
      nameBytes(u8, o + 4, e.destFile, hasRaw, index, 'dest_file');
      nameBytes(u8, o + 60, e.srcFile, hasRaw, index, 'src_file');
      writeU32LE(u8, o + 116, u32Field(index, 'dst_offset', e.dstOffset));
      writeU32LE(u8, o + 120, u32Field(index, 'src_offset', e.srcOffset));
      u8[o + 124] = u8Field(index, 'size', e.size);
      return;
    case 'unknown':
      // the raw bytes hold everything; the command word is authoritative
      writeU32LE(u8, o, u32Field(index, 'command', e.command));
      return;
    default:
      throw new EncodeError('ENTRY_TYPE', `entry ${index}: unknown entry type ${JSON.stringify((e as { type: unknown }).type)}`);
  }
}

/** Encodes into bytes [o, o+128) that the caller has zeroed. */
function encodeAt(e: LoaderEntry, u8: Uint8Array, w: Int32Array | undefined, o: number, index: number): void {
  if (w !== undefined && (o & 3) === 0) encodeWords(e, u8, w, o >>> 2, index);
  else encodeBytes(e, u8, o, index);
}

/** Writes one entry (all 128 bytes) into `target` at `offset`. */
export function encodeEntry(entry: LoaderEntry, target: ByteSource, offset = 0): void {
  const u8 = asBytes(target);
  if (!Number.isInteger(offset) || offset < 0 || offset + ENTRY_SIZE > u8.length) {
    throw new EncodeError('TARGET_TOO_SMALL', `no room for a 128-byte entry at byte ${offset} of a ${u8.length}-byte target`);
  }
  u8.fill(0, offset, offset + ENTRY_SIZE);
  encodeAt(entry, u8, wordsOf(u8), offset, 0);
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
  const w = wordsOf(u8);
  if (w !== undefined && (offset & 3) === 0) for (let i = 0, b = offset >>> 2; i < entries.length; i++, b += ENTRY_WORDS) encodeWords(entries[i]!, u8, w, b, i);
  else for (let i = 0, o = offset; i < entries.length; i++, o += ENTRY_SIZE) encodeBytes(entries[i]!, u8, o, i);
  return total;
}

/** Encodes `entries` into a new buffer. */
export function encodeLoader(entries: readonly LoaderEntry[], options: EncodeOptions = {}): Uint8Array {
  const out = new Uint8Array(encodedLength(entries.length, options.padTo ?? 0));
  encodeLoaderInto(entries, out, 0, options);
  return out;
}

/**
 * Entry-by-entry decoding of one buffer, the way firmware walks the script:
 * the word view is made once, each entry is decoded when asked for.
 */
export class LoaderCursor {
  readonly count: number;
  private readonly u8: Uint8Array;
  private readonly w: Int32Array | undefined;

  constructor(source: ByteSource | ReadonlyBytes) {
    this.u8 = readableBytes(source);
    if (this.u8.length % ENTRY_SIZE !== 0) {
      throw new LoaderFormatError('LOADER_SIZE', `loader is ${this.u8.length} bytes, not a multiple of 128: ${this.u8.length % ENTRY_SIZE} trailing bytes`);
    }
    this.count = this.u8.length / ENTRY_SIZE;
    this.w = wordsOf(this.u8);
  }

  /** The entry at index `i` as its bytes are now. */
  at(i: number): LoaderEntry {
    if (!Number.isInteger(i) || i < 0 || i >= this.count) throw new LoaderFormatError('LOADER_TRUNCATED', `no entry ${i} in ${this.count}`);
    return this.w !== undefined ? decodeWords(this.u8, this.w, i * ENTRY_WORDS) : decodeBytes(this.u8, i * ENTRY_SIZE);
  }
}
