/**
 * The 56-byte file-name fields of the loader format.
 *
 * QEMU copies at most 55 bytes of the name into a zeroed field, so a field it
 * wrote always has a NUL and only zeros after it. Names are handled here as
 * byte strings (one char per byte) so that any field decodes losslessly.
 *
 * Two speed paths: names are encoded once into a whole 14-word field image,
 * and decoding interns strings in a direct-mapped cache keyed by the field's
 * words, so a loader that names the same three files 500 times builds three
 * strings.
 */
import { interned } from '../bytes.js';
import { EncodeError } from '../errors.js';
import { FILE_NAME_MAX_LENGTH, FILE_NAME_SIZE } from './constants.js';

export const NAME_WORDS = FILE_NAME_SIZE / 4;

const encodeCache = new Map<string, Uint8Array>();
/** Name field images by name; read directly by the codec's hot path. */
export const nameWordCache = new Map<string, Int32Array>();
const wordCache = nameWordCache;
const ENCODE_CACHE_LIMIT = 4096;

/**
 * The bytes QEMU stores for `name`: at most 55 of them (longer names are
 * truncated silently, as QEMU's producer does), without the NUL.
 */
export function encodedName(name: string): Uint8Array {
  let bytes = encodeCache.get(name);
  if (bytes === undefined) {
    bytes = nameToBytes(name);
    if (encodeCache.size < ENCODE_CACHE_LIMIT) encodeCache.set(name, bytes);
  }
  return bytes;
}

/**
 * The field's words in host byte order, up to and including the word that
 * holds the NUL (at least 4 words, so callers can copy 4 unconditionally);
 * the rest of the 14-word field is zero.
 */
export function nameFieldWords(name: string): Int32Array {
  return wordCache.get(name) ?? newNameFieldWords(name);
}

function newNameFieldWords(name: string): Int32Array {
  let words = wordCache.get(name);
  if (words === undefined) {
    const bytes = encodedName(name);
    const field = new Uint8Array(FILE_NAME_SIZE);
    field.set(bytes);
    words = new Int32Array(field.buffer, 0, Math.max(4, (bytes.length >>> 2) + 1));
    if (wordCache.size < ENCODE_CACHE_LIMIT) wordCache.set(name, words);
  }
  return words;
}

function nameToBytes(name: string): Uint8Array {
  const n = Math.min(name.length, FILE_NAME_MAX_LENGTH);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const c = name.charCodeAt(i);
    if (c === 0) {
      throw new EncodeError('NAME_HAS_NUL', `file name ${JSON.stringify(name)} contains a NUL at byte ${i}; give the field as raw bytes instead`);
    }
    if (c > 0xff) {
      throw new EncodeError('NAME_NOT_BYTES', `file name ${JSON.stringify(name)} has character U+${c.toString(16).padStart(4, '0')} at ${i}: names are byte strings (0x01-0xff)`);
    }
    out[i] = c;
  }
  return out;
}

/** Writes `name` into a field that the caller has already zeroed. */
export function writeName(name: string, target: Uint8Array, at: number): void {
  const bytes = encodedName(name);
  for (let i = 0; i < bytes.length; i++) target[at + i] = bytes[i]!;
}

/** The C string in the field at `at`: bytes up to the first NUL, or all 56. */
export function readName(source: Uint8Array, at: number): string {
  let n = 0;
  while (n < FILE_NAME_SIZE && source[at + n] !== 0) n++;
  return String.fromCharCode.apply(null, source.subarray(at, at + n) as unknown as number[]);
}

// Direct-mapped cache of canonical fields for the word path: slot -> the
// field's 14 words and its string. Every slot starts as the all-zero field,
// which really is the canonical empty name, so a stale slot never lies.
const SLOT_BITS = 9;
const slotImage: Int32Array[] = Array.from({ length: 1 << SLOT_BITS }, () => new Int32Array(NAME_WORDS));
const slotString: string[] = new Array<string>(1 << SLOT_BITS).fill('');

/**
 * Word-path read of the canonical field starting at word `wi` of `w` (a
 * little-endian host's view of the same memory as `u8`): its string, or
 * undefined when the field is not canonical (the caller then keeps raw bytes).
 * A cache hit compares all 14 words, which also proves the field canonical.
 */
export function readNameWords(u8: Uint8Array, w: Int32Array, wi: number): string | undefined {
  // names share prefixes ("etc/acpi/..."): mix words 0-3
  const slot = (Math.imul(w[wi]! ^ w[wi + 2]!, 0x9e3779b1) ^ Math.imul(w[wi + 1]! ^ w[wi + 3]!, 0x85ebca6b)) >>> (32 - SLOT_BITS);
  const c = slotImage[slot]!;
  if (
    ((c[0]! ^ w[wi]!) | (c[1]! ^ w[wi + 1]!) | (c[2]! ^ w[wi + 2]!) | (c[3]! ^ w[wi + 3]!) | (c[4]! ^ w[wi + 4]!) | (c[5]! ^ w[wi + 5]!) | (c[6]! ^ w[wi + 6]!) |
      (c[7]! ^ w[wi + 7]!) | (c[8]! ^ w[wi + 8]!) | (c[9]! ^ w[wi + 9]!) | (c[10]! ^ w[wi + 10]!) | (c[11]! ^ w[wi + 11]!) | (c[12]! ^ w[wi + 12]!) |
      (c[13]! ^ w[wi + 13]!)) ===
    0
  ) {
    return slotString[slot]!;
  }
  return cacheMiss(u8, w, wi, slot);
}

function cacheMiss(u8: Uint8Array, w: Int32Array, wi: number, slot: number): string | undefined {
  const at = wi << 2;
  if (!isCanonicalNameField(u8, at)) return undefined;
  const s = interned(readName(u8, at));
  slotImage[slot] = w.slice(wi, wi + NAME_WORDS);
  slotString[slot] = s;
  return s;
}

// Direct-mapped cache of C strings for readCStringWords: per slot the string,
// its bytes with the NUL (zero-padded to words), how many words hold them and
// the mask of the last one. A slot is only ever returned after its bytes
// matched the field's, so a stale slot costs a miss, never a wrong name.
const C_SLOT_BITS = 8;
const cString: string[] = new Array<string>(1 << C_SLOT_BITS).fill('');
const cWords = new Int32Array((1 << C_SLOT_BITS) * NAME_WORDS);
const cCount = new Int32Array(1 << C_SLOT_BITS).fill(1); // '' : one word, its NUL in byte 0
const cMask = new Int32Array(1 << C_SLOT_BITS).fill(0xff);

/**
 * Word-path read of the C string in the field starting at word `wi` of `w`
 * (a little-endian view of the same memory as `u8`): the bytes up to the
 * first NUL, or all 56, as readName gives them, whatever follows the NUL (what
 * firmware compares: strcmp). Only the words up to the NUL are compared with
 * a cached name, so the usual short name costs four word compares; strings
 * come back interned.
 */
export function readCStringWords(u8: Uint8Array, w: Int32Array, wi: number): string {
  // the slot from the first 16 bytes, as readNameWords (bytes after a NUL there only cost misses)
  const slot = (Math.imul(w[wi]! ^ w[wi + 2]!, 0x9e3779b1) ^ Math.imul(w[wi + 1]! ^ w[wi + 3]!, 0x85ebca6b)) >>> (32 - C_SLOT_BITS);
  const n = cCount[slot]!;
  const base = slot * NAME_WORDS;
  let k = 0;
  while (k < n - 1 && w[wi + k] === cWords[base + k]) k++;
  if (k === n - 1 && (w[wi + k]! & cMask[slot]!) === cWords[base + k]) return cString[slot]!;
  return cStringMiss(u8, wi, slot);
}

function cStringMiss(u8: Uint8Array, wi: number, slot: number): string {
  const at = wi << 2;
  const s = interned(readName(u8, at));
  if (s.length === FILE_NAME_SIZE) return s; // no NUL in the field: not cached (the compare above relies on one)
  const n = (s.length >>> 2) + 1; // the word holding the NUL
  const base = slot * NAME_WORDS;
  for (let k = 0; k < NAME_WORDS; k++) cWords[base + k] = 0;
  const bytes = new Uint8Array(cWords.buffer, base * 4, n * 4);
  for (let i = 0; i < s.length; i++) bytes[i] = s.charCodeAt(i);
  cCount[slot] = n;
  cMask[slot] = (s.length & 3) === 3 ? -1 : (1 << (((s.length & 3) + 1) * 8)) - 1;
  cString[slot] = s;
  return s;
}

/**
 * A C string as the words of a name field that holds it: the words up to
 * the one with the NUL, and the mask of that word's bytes up to the NUL
 * (what follows a NUL is no part of the string). For comparing a field with
 * a known name without reading the field into a string (LoaderScript.hasName).
 */
export interface CStringImage {
  readonly name: string;
  readonly words: Int32Array;
  /** How many words hold the string and its NUL. */
  readonly count: number;
  readonly lastMask: number;
}

const imageCache = new Map<string, CStringImage>();

/** The image of `name` (a string of at most 55 byte-sized characters, no NUL: a name a field held), made once per name. */
export function cStringImage(name: string): CStringImage {
  let image = imageCache.get(name);
  if (image === undefined) {
    // a longer one has no NUL in the field, and its image would run past the field's 14 words
    if (name.length > FILE_NAME_MAX_LENGTH) throw new RangeError(`cStringImage: ${name.length} characters, a field's C string has at most ${FILE_NAME_MAX_LENGTH}`);
    const count = (name.length >>> 2) + 1;
    const words = new Int32Array(NAME_WORDS);
    const bytes = new Uint8Array(words.buffer);
    for (let i = 0; i < name.length; i++) bytes[i] = name.charCodeAt(i);
    const lastMask = (name.length & 3) === 3 ? -1 : (1 << (((name.length & 3) + 1) * 8)) - 1;
    image = { name, words, count, lastMask };
    if (imageCache.size < ENCODE_CACHE_LIMIT) imageCache.set(name, image);
  }
  return image;
}

/** Whether the field starting at word `wi` of `w` holds the C string of `image` (the word path of LoaderScript.hasName). */
export function fieldHasCString(w: Int32Array, wi: number, image: CStringImage): boolean {
  const words = image.words;
  const last = image.count - 1;
  for (let k = 0; k < last; k++) if (w[wi + k] !== words[k]) return false;
  return (w[wi + last]! & image.lastMask) === words[last];
}

/** True when the field is exactly what QEMU would write for its C string. */
export function isCanonicalNameField(source: Uint8Array, at: number): boolean {
  let i = 0;
  while (i < FILE_NAME_SIZE && source[at + i] !== 0) i++;
  if (i === FILE_NAME_SIZE) return false;
  for (; i < FILE_NAME_SIZE; i++) if (source[at + i] !== 0) return false;
  return true;
}

export type NameFieldIssueKind = 'no-nul' | 'bytes-after-nul' | 'non-ascii' | 'control-char' | 'empty';

export interface NameFieldIssue {
  kind: NameFieldIssueKind;
  /** Offset inside the 56-byte field where the problem starts. */
  at: number;
  message: string;
}

/** What is wrong with a name field, from the point of view of a QEMU producer. */
export function inspectNameField(source: Uint8Array, at: number): NameFieldIssue[] {
  const issues: NameFieldIssue[] = [];
  let nul = -1;
  for (let i = 0; i < FILE_NAME_SIZE; i++) {
    if (source[at + i] === 0) {
      nul = i;
      break;
    }
  }
  const end = nul < 0 ? FILE_NAME_SIZE : nul;
  if (nul < 0) {
    issues.push({ kind: 'no-nul', at: FILE_NAME_MAX_LENGTH, message: 'no NUL in 56 bytes (byte 55 is non-zero)' });
  } else {
    for (let i = nul + 1; i < FILE_NAME_SIZE; i++) {
      if (source[at + i] !== 0) {
        issues.push({ kind: 'bytes-after-nul', at: i, message: `non-zero byte after the NUL at field offset ${i}${source[at + FILE_NAME_MAX_LENGTH] !== 0 ? ' (byte 55 non-zero)' : ''}` });
        break;
      }
    }
  }
  if (end === 0) issues.push({ kind: 'empty', at: 0, message: 'empty name' });
  for (let i = 0; i < end; i++) {
    const c = source[at + i]!;
    if (c >= 0x80) {
      issues.push({ kind: 'non-ascii', at: i, message: `non-ASCII byte 0x${c.toString(16)} at field offset ${i}` });
      break;
    }
    if (c < 0x20 || c === 0x7f) {
      issues.push({ kind: 'control-char', at: i, message: `control byte 0x${c.toString(16)} at field offset ${i}` });
      break;
    }
  }
  return issues;
}
