/**
 * A loader script read the way firmware reads it: entry by entry and field by
 * field, straight out of the bytes, with no entry objects (an executor's loop
 * then allocates nothing per entry). Every value is what decoding the entry
 * gives (codec.ts): a name is its C string (up to the first NUL, or all 56
 * bytes), u32 and u8 fields are little-endian, and byte 55 of a name field is
 * the byte firmware tests. Names come back interned, so equal names compare
 * as pointers. On a little-endian host over 4-byte-aligned bytes, u32 fields
 * and names are read as words; otherwise byte by byte, with the same results
 * (test/loader-script.test.ts holds both paths to decodeEntry).
 */
import { littleEndianWords, readableBytes, readU32LE, type ByteSource, type ReadonlyBytes } from '../bytes.js';
import { LoaderFormatError } from '../errors.js';
import { ENTRY_SIZE, FILE_NAME_MAX_LENGTH } from './constants.js';
import type { NameFieldOffset } from './fields.js';
import { fieldHasCString, readCStringWords, readName, type CStringImage } from './name-field.js';

declare const entryOffset: unique symbol;
/**
 * Where an entry starts in its script, from LoaderScript.entry (which checks
 * the index once): what the field readers take, so they need no check of
 * their own. Zero cost: a number with a compile-time brand.
 */
export type EntryOffset = number & { readonly [entryOffset]: 'EntryOffset' };

/** Made out of line: the readers below are inlined whole into executors' loops, and a message built there costs them inlining elsewhere. */
function noEntry(i: number, count: number): LoaderFormatError {
  return new LoaderFormatError('LOADER_TRUNCATED', `no entry ${i} in ${count}`);
}

export class LoaderScript {
  /** Entries in the script. */
  readonly count: number;
  readonly #u8: Uint8Array;
  readonly #w: Int32Array | undefined;

  constructor(source: ByteSource | ReadonlyBytes) {
    const u8 = readableBytes(source);
    if (u8.length % ENTRY_SIZE !== 0) {
      throw new LoaderFormatError('LOADER_SIZE', `loader is ${u8.length} bytes, not a multiple of 128: ${u8.length % ENTRY_SIZE} trailing bytes`);
    }
    this.#u8 = u8;
    this.#w = littleEndianWords(u8);
    this.count = u8.length / ENTRY_SIZE;
  }

  /** Entry `i` (a LOADER_TRUNCATED error past the end), for the readers below. */
  entry(i: number): EntryOffset {
    if (!(i >= 0 && i < this.count && Math.floor(i) === i)) throw noEntry(i, this.count);
    return (i * ENTRY_SIZE) as EntryOffset;
  }

  /** The u32 command word of the entry. */
  command(e: EntryOffset): number {
    return this.u32(e, 0);
  }

  /** Whether all 128 bytes of the entry are zero (the decoder's padding). */
  isPadding(e: EntryOffset): boolean {
    const w = this.#w;
    let any = 0;
    if (w !== undefined) for (let k = e >> 2; k < (e + ENTRY_SIZE) >> 2; k++) any |= w[k]!;
    else for (let k: number = e; k < e + ENTRY_SIZE; k++) any |= this.#u8[k]!;
    return any === 0;
  }

  /** The little-endian u32 at `field` (an offset inside the entry) of the entry. */
  u32(e: EntryOffset, field: number): number {
    const o = e + field;
    const w = this.#w;
    return w !== undefined && (o & 3) === 0 ? w[o >> 2]! >>> 0 : readU32LE(this.#u8, o);
  }

  /** The byte at `field` of the entry. */
  u8(e: EntryOffset, field: number): number {
    return this.#u8[e + field]!;
  }

  /** The C string in the name field at `field` of the entry. */
  name(e: EntryOffset, field: NameFieldOffset): string {
    const w = this.#w;
    return w !== undefined ? readCStringWords(this.#u8, w, (e + field) >> 2) : readName(this.#u8, e + field);
  }

  /** Whether the C string in the name field at `field` of the entry is `image`'s name (what name() === image.name says, without reading the name). */
  hasName(e: EntryOffset, field: NameFieldOffset, image: CStringImage): boolean {
    const w = this.#w;
    return w !== undefined ? fieldHasCString(w, (e + field) >> 2, image) : readName(this.#u8, e + field) === image.name;
  }

  /** Byte 55, the last, of the name field at `field` of the entry: non-zero means "not NUL-terminated" to firmware. */
  byte55(e: EntryOffset, field: NameFieldOffset): number {
    return this.#u8[e + field + FILE_NAME_MAX_LENGTH]!;
  }
}
