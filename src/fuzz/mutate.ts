/**
 * Mutations for binary and text inputs: random ones, and ones that know the
 * loader format (command words, u32 fields at their offsets, the name
 * fields' NUL and byte 55), so most mutants get past the first check.
 */
import { ENTRY_SIZE } from '../loader/constants.js';
import type { Prng } from '../prng.js';

const INTERESTING_U32 = [0, 1, 2, 3, 4, 7, 8, 15, 16, 0x14, 0x24, 0x40, 0x7f, 0x80, 0xff, 0x100, 0xfff, 0x1000, 0x1001, 0x2000, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xfffffff0, 0xfffffffe, 0xffffffff];
const INTERESTING_U8 = [0, 1, 2, 3, 4, 5, 7, 8, 9, 16, 0x7f, 0x80, 0xff];
const U32_FIELDS = [60, 64, 68, 116, 120];
const U8_FIELDS = [64, 120, 124];

function setU32(b: Uint8Array, at: number, v: number): void {
  if (at + 4 > b.length) return;
  b[at] = v;
  b[at + 1] = v >>> 8;
  b[at + 2] = v >>> 16;
  b[at + 3] = v >>> 24;
}

/** One mutation of a loader script (whole entries). */
export function mutateLoader(r: Prng, input: Uint8Array, donors: readonly Uint8Array[]): Uint8Array {
  let b = input.slice();
  const entries = b.length / ENTRY_SIZE;
  const entry = () => r.int(Math.max(1, Math.floor(entries))) * ENTRY_SIZE;
  switch (r.int(12)) {
    case 0:
      if (b.length > 0) b[r.int(b.length)] ^= 1 << r.int(8);
      break;
    case 1:
      setU32(b, entry(), r.pick([0, 1, 2, 3, 4, 5, 0x80000001, r.int(2 ** 32)]));
      break;
    case 2:
      setU32(b, entry() + r.pick(U32_FIELDS), r.pick(INTERESTING_U32));
      break;
    case 3: {
      const at = entry() + r.pick(U8_FIELDS);
      if (at < b.length) b[at] = r.pick(INTERESTING_U8);
      break;
    }
    case 4: {
      // a name field: drop its NUL, add bytes after it, or set byte 55
      const at = entry() + r.pick([4, 60]);
      if (at + 56 > b.length) break;
      const nul = b.subarray(at, at + 56).indexOf(0);
      const how = r.int(3);
      if (how === 0 && nul >= 0) b[at + nul] = 0x41;
      else if (how === 1 && nul >= 0 && nul < 54) b[at + nul + 1 + r.int(54 - nul)] = 0x47;
      else b[at + 55] = r.pick([1, 0x41, 0xff]);
      break;
    }
    case 5: {
      // swap two entries
      if (entries < 2) break;
      const a = entry();
      const c = entry();
      const t = b.slice(a, a + ENTRY_SIZE);
      b.copyWithin(a, c, c + ENTRY_SIZE);
      b.set(t, c);
      break;
    }
    case 6: {
      // duplicate an entry
      if (entries < 1) break;
      const a = entry();
      const out = new Uint8Array(b.length + ENTRY_SIZE);
      out.set(b.subarray(0, a + ENTRY_SIZE));
      out.set(b.subarray(a, a + ENTRY_SIZE), a + ENTRY_SIZE);
      out.set(b.subarray(a + ENTRY_SIZE), a + 2 * ENTRY_SIZE);
      b = out;
      break;
    }
    case 7: {
      // drop an entry
      if (entries < 1) break;
      const a = entry();
      b = new Uint8Array([...b.subarray(0, a), ...b.subarray(a + ENTRY_SIZE)]);
      break;
    }
    case 8: {
      // splice an entry from another seed
      const d = r.pick(donors);
      if (d.length < ENTRY_SIZE || entries < 1) break;
      const from = r.int(Math.floor(d.length / ENTRY_SIZE)) * ENTRY_SIZE;
      b.set(d.subarray(from, from + ENTRY_SIZE), entry());
      break;
    }
    case 9:
      // a size that is not whole entries
      b = r.chance(0.5) ? b.subarray(0, Math.max(0, b.length - 1 - r.int(127))).slice() : new Uint8Array([...b, ...new Uint8Array(1 + r.int(127))]);
      break;
    case 10:
      b = new Uint8Array([...b, ...new Uint8Array(ENTRY_SIZE * (1 + r.int(4)))]);
      break;
    default:
      for (let k = 0; k < 1 + r.int(8); k++) if (b.length > 0) b[r.int(b.length)] = r.int(256);
  }
  return b;
}

/** One mutation of a data file: flip, overwrite, truncate or extend. */
export function mutateBytes(r: Prng, input: Uint8Array): Uint8Array {
  const b = input.slice();
  switch (r.int(5)) {
    case 0:
      if (b.length > 0) b[r.int(b.length)] ^= 1 << r.int(8);
      return b;
    case 1:
      for (let k = 0; k < 1 + r.int(16); k++) if (b.length > 0) b[r.int(b.length)] = r.int(256);
      return b;
    case 2:
      return b.subarray(0, r.int(b.length + 1)).slice();
    case 3:
      return new Uint8Array([...b, ...Array.from({ length: 1 + r.int(64) }, () => r.int(256))]);
    default:
      if (b.length >= 8) setU32(b, r.int(b.length - 3), r.pick(INTERESTING_U32));
      return b;
  }
}

/** One mutation of a text (listing, JSON). */
export function mutateText(r: Prng, input: string, vocabulary: readonly string[]): string {
  if (input.length === 0) return r.pick(vocabulary);
  const at = r.int(input.length);
  switch (r.int(6)) {
    case 0:
      return input.slice(0, at) + input.slice(at + 1 + r.int(8));
    case 1:
      return input.slice(0, at) + r.pick(vocabulary) + input.slice(at);
    case 2:
      return input.slice(0, at) + String.fromCharCode(r.int(0x80)) + input.slice(at + 1);
    case 3: {
      const lines = input.split('\n');
      const i = r.int(lines.length);
      lines.splice(r.int(lines.length), 0, lines[i]!);
      return lines.join('\n');
    }
    case 4:
      return input.slice(0, at) + String(r.pick([-1, 0, 2 ** 32, 2 ** 53, 1e308, 0.5, 'NaN'])) + input.slice(at + 1 + r.int(4));
    default:
      return input.slice(0, at) + String.fromCharCode(0x80 + r.int(0x3000)) + input.slice(at);
  }
}
