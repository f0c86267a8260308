/**
 * The pieces of QEMU 7.2's qtest line protocol that are not obvious, written
 * from what the real QEMU answers (checked live, see docs/qtest.md):
 *
 * - a line is split on single spaces (two spaces make an empty word);
 * - numbers are C strtoull with base 0 (decimal, 0x/0X hex, leading-0
 *   octal, an optional sign; a minus wraps modulo 2^64) and must be consumed
 *   entirely;
 * - `write` data skips its first two characters and takes whole hex pairs
 *   only; a bad digit counts as -1, so a pair becomes (hi << 4 | lo) & 0xff;
 *   missing pairs are zero;
 * - `b64write` decodes glib-style in place over the text: complete 4-character
 *   groups only, characters outside the alphabet skipped, '=' counted as 0;
 *   the bytes written are the first SIZE bytes of that buffer (decoded bytes,
 *   then the leftover text, then its NUL).
 */

const U64 = (1n << 64n) - 1n;

/** strtoull(text, &end, 0) that must consume the whole word; undefined where QEMU would assert. */
export function parseQemuNumber(word: string | undefined): bigint | undefined {
  if (word === undefined) return undefined;
  const m = /^[ \t\n\v\f\r]*([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/.exec(word);
  if (m === null) return undefined;
  const digits = m[2]!;
  let v: bigint;
  if (/^0[xX]/.test(digits)) v = BigInt(digits.toLowerCase());
  else if (digits.length > 1 && digits[0] === '0') v = BigInt('0o' + digits.slice(1));
  else v = BigInt(digits);
  if (v > U64) return undefined; // ERANGE
  return m[1] === '-' ? (-v) & U64 : v;
}

function nibble(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  return -1;
}

/** The bytes `write ADDR SIZE DATA` stores; undefined when QEMU answers "ERR invalid argument size". */
export function writeCommandBytes(data: string, size: number): Uint8Array | undefined {
  if (data.length < 3) return undefined;
  const out = new Uint8Array(size);
  for (let i = 0; i < size && i * 2 + 4 <= data.length; i++) {
    out[i] = ((nibble(data.charCodeAt(i * 2 + 2)) << 4) | nibble(data.charCodeAt(i * 2 + 3))) & 0xff;
  }
  return out;
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const RANK = new Int16Array(256).fill(-1);
for (let i = 0; i < 64; i++) RANK[B64.charCodeAt(i)] = i;
RANK['='.charCodeAt(0)] = 0;

/**
 * The buffer glib's in-place base64 decode leaves: decoded bytes over the
 * start of the text, the rest of the text, then a NUL. Also the decoded length.
 */
export function glibDecodeInPlace(text: string): { buffer: Uint8Array; decoded: number } {
  const buf = new Uint8Array(text.length + 1);
  for (let i = 0; i < text.length; i++) buf[i] = text.charCodeAt(i) & 0xff;
  let out = 0;
  let v = 0;
  let n = 0;
  let last0 = 0;
  let last1 = 0;
  for (let i = 0; i < text.length; i++) {
    const c = buf[i]!;
    const rank = RANK[c]!;
    if (rank < 0) continue;
    last1 = last0;
    last0 = c;
    v = ((v << 6) | rank) >>> 0;
    if (++n === 4) {
      buf[out++] = (v >>> 16) & 0xff;
      if (last1 !== 0x3d) buf[out++] = (v >>> 8) & 0xff;
      if (last0 !== 0x3d) buf[out++] = v & 0xff;
      n = 0;
    }
  }
  return { buffer: buf, decoded: out };
}

export function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

export function hexBytes(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}
