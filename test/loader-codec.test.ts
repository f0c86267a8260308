// Codec edge cases: the spec's worked examples, entries no QEMU could write, typed errors, and properties.
import test from 'ava';
import fc from 'fast-check';
import { fromHex } from '../src/bytes.js';
import { EncodeError, LoaderFormatError } from '../src/errors.js';
import { decodeEntry, decodeLoader, encodeEntry, encodeLoader, encodeLoaderInto } from '../src/loader/codec.js';
import type { LoaderEntry } from '../src/loader/entry.js';
import { validateLoaderBytes } from '../src/loader/validate.js';
import { loaderStages } from './helpers/paths.js';

const dump = (rows: string) => fromHex(rows.replace(/^[0-9a-f]{4}  /gm, '').replace(/\s+/g, ''))!;

test('spec §9 worked examples are written byte for byte', (t) => {
  const out = new Uint8Array(128);
  encodeEntry({ type: 'allocate', file: 'etc/acpi/rsdp', align: 16, zone: 2 }, out);
  t.deepEqual(out.subarray(0, 0x50), dump(`
0000  01 00 00 00 65 74 63 2f 61 63 70 69 2f 72 73 64
0010  70 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
0020  00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
0030  00 00 00 00 00 00 00 00 00 00 00 00 10 00 00 00
0040  02 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00`));
  t.true(out.subarray(0x50).every((b) => b === 0));
  encodeEntry({ type: 'writePointer', destFile: 'etc/vmgenid_addr', srcFile: 'etc/vmgenid_guid', dstOffset: 0, srcOffset: 40, size: 8 }, out);
  t.deepEqual(out.subarray(0x30), dump(`
0030  00 00 00 00 00 00 00 00 00 00 00 00 65 74 63 2f
0040  76 6d 67 65 6e 69 64 5f 67 75 69 64 00 00 00 00
0050  00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
0060  00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
0070  00 00 00 00 00 00 00 00 28 00 00 00 08 00 00 00`));
  encodeEntry({ type: 'addChecksum', file: 'etc/acpi/rsdp', offset: 8, start: 0, length: 20 }, out);
  t.deepEqual(out.subarray(0x30, 0x50), dump(`
0030  00 00 00 00 00 00 00 00 00 00 00 00 08 00 00 00
0040  00 00 00 00 14 00 00 00 00 00 00 00 00 00 00 00`));
});

function entryBytes(fill: (b: Uint8Array) => void): Uint8Array {
  const b = new Uint8Array(128);
  fill(b);
  return b;
}

test('a name with bytes after its NUL is kept raw, reported, and survives edits', (t) => {
  const b = entryBytes((b) => {
    encodeEntry({ type: 'addChecksum', file: 'etc/fwconf/probe', offset: 80, start: 64, length: 16 }, b);
    b.set([0x47, 0x41, 0x52, 0x42], 4 + 17); // "GARB" after the NUL
  });
  const e = decodeEntry(b);
  t.is(e.type, 'addChecksum');
  if (e.type !== 'addChecksum') return;
  t.is(e.file, 'etc/fwconf/probe');
  t.truthy(e.raw);
  t.deepEqual(encodeLoader([e]), b);
  const issues = validateLoaderBytes(b);
  t.deepEqual(issues.map((i) => i.code), ['NAME_BYTES_AFTER_NUL']);
  t.regex(issues[0]!.message, /file: non-zero byte after the NUL at field offset 17/);
  // change a number: the garbage stays, the number changes
  e.length = 32;
  const edited = encodeLoader([e]);
  t.deepEqual(edited.subarray(4, 60), b.subarray(4, 60));
  t.is(edited[68], 32);
  // change the name: the field is rewritten the way QEMU writes it
  e.file = 'etc/other';
  const renamed = encodeLoader([e]);
  t.deepEqual(decodeEntry(renamed), { type: 'addChecksum', file: 'etc/other', offset: 80, start: 64, length: 32 });
  t.true(renamed.subarray(4 + 10, 60).every((x) => x === 0));
});

test('a name field with no NUL decodes to 56 bytes and round-trips', (t) => {
  const b = entryBytes((b) => {
    b[0] = 1;
    b.fill(0x41, 4, 60);
    b[60] = 16;
    b[64] = 1;
  });
  const e = decodeEntry(b) as Extract<LoaderEntry, { type: 'allocate' }>;
  t.is(e.file.length, 56);
  t.deepEqual(encodeLoader([e]), b);
  t.deepEqual(validateLoaderBytes(b).map((i) => i.code), ['NAME_NO_NUL']);
  // without its raw bytes the encoder does what QEMU does with a long name: 55 bytes + NUL
  const { raw: _raw, ...plain } = e;
  const q = encodeLoader([plain as LoaderEntry]);
  t.is(q[4 + 54], 0x41);
  t.is(q[4 + 55], 0);
});

test('non-ASCII names are bytes: lossless, no raw copy, reported as a warning', (t) => {
  const e: LoaderEntry = { type: 'allocate', file: 'etc/\xe9t\xe9', align: 64, zone: 1 };
  const b = encodeLoader([e]);
  t.is(b[8], 0xe9);
  t.deepEqual(decodeLoader(b), [e]);
  t.deepEqual(validateLoaderBytes(b).map((i) => [i.code, i.severity]), [['NAME_NON_ASCII', 'warning']]);
});

test('padding, unknown commands and command 0 with data', (t) => {
  const zero = new Uint8Array(128);
  t.deepEqual(decodeEntry(zero), { type: 'padding' });
  const five = entryBytes((b) => {
    b[0] = 5;
    b[100] = 7;
  });
  t.deepEqual(decodeEntry(five), { type: 'unknown', command: 5, raw: five });
  const dirty0 = entryBytes((b) => (b[127] = 1));
  t.deepEqual(decodeEntry(dirty0), { type: 'unknown', command: 0, raw: dirty0 });
  const big = entryBytes((b) => b.set([0x01, 0, 0, 0x80]));
  t.is((decodeEntry(big) as { command: number }).command, 0x80000001);
  const all = new Uint8Array([...zero, ...five, ...dirty0, ...big]);
  t.deepEqual(encodeLoader(decodeLoader(all)), all);
  t.deepEqual(validateLoaderBytes(all).map((i) => `${i.index}:${i.code}`), ['1:UNKNOWN_COMMAND', '2:NONZERO_PADDING', '3:UNKNOWN_COMMAND']);
});

test('non-zero reserved bytes are kept and reported', (t) => {
  const b = entryBytes((b) => {
    encodeEntry({ type: 'addPointer', destFile: 'a', srcFile: 'b', offset: 4, size: 4 }, b);
    b[125] = 0xaa;
  });
  const e = decodeEntry(b);
  t.truthy((e as { raw?: Uint8Array }).raw);
  t.deepEqual(encodeLoader([e]), b);
  t.deepEqual(validateLoaderBytes(b).map((i) => i.code), ['RESERVED_NONZERO']);
});

test('a blob that is not a multiple of 128 names its trailing bytes', (t) => {
  const err = t.throws(() => decodeLoader(new Uint8Array(1930)), { instanceOf: LoaderFormatError });
  t.is(err?.message, 'loader is 1930 bytes, not a multiple of 128: 10 trailing bytes after 15 entries');
  t.is(err?.code, 'LOADER_SIZE');
  t.throws(() => decodeEntry(new Uint8Array(200), 100), { instanceOf: LoaderFormatError, message: /needs 128 bytes, 100 available/ });
  t.deepEqual(validateLoaderBytes(new Uint8Array(129)).map((i) => i.code), ['SIZE_NOT_MULTIPLE']);
});

test('values the wire format cannot hold are typed errors naming the entry and field', (t) => {
  const ok: LoaderEntry = { type: 'allocate', file: 'x', align: 16, zone: 1 };
  t.throws(() => encodeLoader([ok, { ...ok, align: 2 ** 32 }]), { instanceOf: EncodeError, message: 'entry 1: align 4294967296 is not a u32' });
  t.throws(() => encodeLoader([{ type: 'addPointer', destFile: 'a', srcFile: 'b', offset: 0, size: 256 }]), { instanceOf: EncodeError, message: /size 256 is not a u8/ });
  t.throws(() => encodeLoader([{ ...ok, align: 1.5 }]), { instanceOf: EncodeError });
  t.throws(() => encodeLoader([{ ...ok, file: 'caf\u20ac' }]), { instanceOf: EncodeError, message: /entry 0: file: .*U\+20ac/ });
  t.throws(() => encodeLoader([{ ...ok, file: 'a\0b' }]), { instanceOf: EncodeError, message: /NUL at byte 1/ });
  t.throws(() => encodeLoader([{ type: 'unknown', command: 9, raw: new Uint8Array(3) }]), { instanceOf: EncodeError, message: /raw bytes must be exactly 128/ });
  t.throws(() => encodeLoader([{ type: 'bogus' } as unknown as LoaderEntry]), { instanceOf: EncodeError });
  t.throws(() => encodeLoaderInto([ok, ok], new Uint8Array(255)), { instanceOf: EncodeError, message: /256 bytes of loader do not fit at byte 0 of a 255-byte target/ });
});

test('writes into caller memory at any offset, padding as QEMU does, without touching neighbours', (t) => {
  const guest = new Uint8Array(4096 + 8).fill(0xcc);
  const e: LoaderEntry[] = [
    { type: 'allocate', file: 'etc/acpi/tables', align: 64, zone: 1 },
    { type: 'addChecksum', file: 'etc/acpi/tables', offset: 9, start: 0, length: 36 },
  ];
  // odd offset: the byte path, not the word path
  const n = encodeLoaderInto(e, guest, 3, { padTo: 4096 });
  t.is(n, 4096);
  t.is(guest[2], 0xcc);
  t.is(guest[3 + 4096], 0xcc);
  t.deepEqual(guest.subarray(3, 3 + 256), encodeLoader(e));
  t.true(guest.subarray(3 + 256, 3 + 4096).every((b) => b === 0));
  // DataView and ArrayBuffer sources decode without copying the input
  const dv = new DataView(guest.buffer, 3, 256);
  t.deepEqual(decodeLoader(dv), e);
  t.deepEqual(decodeLoader(encodeLoader(e).buffer), e);
});

test('property: any bytes that are whole entries survive decode → encode', (t) => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 0, maxLength: 16 }).chain((n) => fc.uint8Array({ minLength: n.length * 128, maxLength: n.length * 128 })), (bytes) => {
      t.deepEqual(encodeLoader(decodeLoader(bytes)), bytes);
    }),
    { numRuns: 300 },
  );
});

const realEntries = loaderStages().flatMap(({ vector, stage }) => {
  const b = vector.romBytes(stage, 'etc/table-loader');
  return Array.from({ length: b.length / 128 }, (_, i) => b.slice(i * 128, i * 128 + 128));
});

test('property: real entries with random bytes flipped survive decode → encode', (t) => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: realEntries.length - 1 }),
      fc.array(fc.tuple(fc.integer({ min: 0, max: 127 }), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
      (which, flips) => {
        const b = realEntries[which]!.slice();
        for (const [at, v] of flips) b[at] = v;
        t.deepEqual(encodeLoader(decodeLoader(b)), b);
      },
    ),
    { numRuns: 2000 },
  );
});

const nameArb = fc.string({ unit: fc.integer({ min: 1, max: 255 }).map((c) => String.fromCharCode(c)), minLength: 0, maxLength: 55 });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const u8 = fc.integer({ min: 0, max: 255 });
const entryArb: fc.Arbitrary<LoaderEntry> = fc.oneof(
  fc.record({ type: fc.constant('allocate' as const), file: nameArb, align: u32, zone: u8 }),
  fc.record({ type: fc.constant('addPointer' as const), destFile: nameArb, srcFile: nameArb, offset: u32, size: u8 }),
  fc.record({ type: fc.constant('addChecksum' as const), file: nameArb, offset: u32, start: u32, length: u32 }),
  fc.record({ type: fc.constant('writePointer' as const), destFile: nameArb, srcFile: nameArb, dstOffset: u32, srcOffset: u32, size: u8 }),
  fc.constant({ type: 'padding' as const }),
);

test('property: any well-formed entry model survives encode → decode', (t) => {
  fc.assert(
    fc.property(fc.array(entryArb, { maxLength: 20 }), (entries) => {
      t.deepEqual(decodeLoader(encodeLoader(entries)), entries);
    }),
    { numRuns: 500 },
  );
});

test('property: the word path (aligned) and the byte path (unaligned) agree, decoding and encoding', (t) => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: realEntries.length - 1 }),
      fc.array(fc.tuple(fc.integer({ min: 0, max: 127 }), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
      (which, flips) => {
        const b = realEntries[which]!.slice();
        for (const [at, v] of flips) b[at] = v;
        const aligned = new Uint8Array(256);
        aligned.set(b, 128);
        const odd = new Uint8Array(257);
        odd.set(b, 129);
        const viaWords = decodeEntry(aligned, 128);
        const viaBytes = decodeEntry(odd, 129);
        t.deepEqual(viaWords, viaBytes);
        const outW = new Uint8Array(256).fill(0xee);
        const outB = new Uint8Array(257).fill(0xee);
        encodeLoaderInto([viaWords], outW, 128);
        encodeLoaderInto([viaWords], outB, 129);
        t.deepEqual(outW.subarray(128), b);
        t.deepEqual(outB.subarray(129), b);
        t.is(outW[127], 0xee);
      },
    ),
    { numRuns: 3000 },
  );
});
