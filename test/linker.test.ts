// BiosLinker: each QEMU assertion is a typed error; ordering and prefill as QEMU does them.
import test from 'ava';
import { LinkerError } from '../src/errors.js';
import { BiosLinker } from '../src/loader/linker.js';
import { decodeLoader } from '../src/loader/codec.js';

function linker() {
  const l = new BiosLinker();
  l.allocate('tables', new Uint8Array(100), 64, false);
  l.allocate('rsdp', new Uint8Array(20), 16, true);
  return l;
}

const code = (fn: () => void) => {
  try {
    fn();
  } catch (err) {
    if (err instanceof LinkerError) return `${err.code}: ${err.message}`;
    throw err;
  }
  return 'no error';
};

test('allocate: power-of-two alignment (0 passes), no duplicates; ALLOCATEs are prepended', (t) => {
  const l = new BiosLinker();
  t.regex(code(() => l.allocate('a', new Uint8Array(1), 3, false)), /^BAD_ALIGNMENT: allocate "a": alignment 3 is not a power of two/);
  l.allocate('a', new Uint8Array(1), 0, false);
  l.allocate('b', new Uint8Array(1), 4096, false);
  l.allocate('c', new Uint8Array(1), 16, true);
  t.regex(code(() => l.allocate('b', new Uint8Array(1), 16, false)), /^FILE_EXISTS: allocate: "b" is already allocated/);
  t.regex(code(() => l.allocate('d', new Uint8Array(1), -1, false)), /^ARGUMENT_RANGE/);
  t.deepEqual(
    l.entries().map((e) => (e.type === 'allocate' ? [e.file, e.align, e.zone] : null)),
    [
      ['c', 16, 2],
      ['b', 4096, 1],
      ['a', 0, 1],
    ],
  );
});

test('add_checksum: bounds and range assertions; zeroes the checksum byte', (t) => {
  const l = linker();
  t.regex(code(() => l.addChecksum('nope', 0, 1, 0)), /^UNKNOWN_FILE: add_checksum: file "nope" was never allocated/);
  t.regex(code(() => l.addChecksum('tables', 100, 0, 100)), /^OUT_OF_BOUNDS: .*start 0x64 is not inside the 100-byte blob/);
  t.regex(code(() => l.addChecksum('tables', 90, 11, 95)), /^OUT_OF_BOUNDS: .*runs past the end/);
  t.regex(code(() => l.addChecksum('tables', 10, 20, 9)), /^CHECKSUM_OUTSIDE_RANGE: .*0x9 is outside the summed range \[0xa, 0x1e\)/);
  t.regex(code(() => l.addChecksum('tables', 10, 20, 30)), /^CHECKSUM_OUTSIDE_RANGE/);
  const blob = l.blob('tables');
  blob[39] = 0x5a;
  l.addChecksum('tables', 30, 36, 39);
  t.is(blob[39], 0);
  t.deepEqual(l.entries().at(-1), { type: 'addChecksum', file: 'tables', offset: 39, start: 30, length: 36 });
});

test('add_pointer: both files known, field and source offset in bounds, size 1/2/4/8; prefill LE truncated', (t) => {
  const l = linker();
  t.regex(code(() => l.addPointer('nope', 0, 4, 'tables', 0)), /^UNKNOWN_FILE: add_pointer: destination "nope"/);
  t.regex(code(() => l.addPointer('rsdp', 0, 4, 'nope', 0)), /^UNKNOWN_FILE: add_pointer: source "nope"/);
  t.regex(code(() => l.addPointer('rsdp', 16, 3, 'tables', 0)), /^BAD_POINTER_SIZE: .*pointer size 3 is not 1, 2, 4 or 8/);
  t.regex(code(() => l.addPointer('rsdp', 20, 1, 'tables', 0)), /^OUT_OF_BOUNDS: .*offset 0x14 is not inside the 20-byte blob/);
  t.regex(code(() => l.addPointer('rsdp', 17, 4, 'tables', 0)), /^OUT_OF_BOUNDS: .*4-byte field at 0x11 runs past the end/);
  t.regex(code(() => l.addPointer('rsdp', 16, 4, 'tables', 100)), /^OUT_OF_BOUNDS: .*source offset 0x64 is not inside "tables" \(100 bytes\)/);
  const rsdp = l.blob('rsdp');
  rsdp.fill(0xee);
  l.addPointer('rsdp', 16, 4, 'tables', 0x5a);
  t.deepEqual([...rsdp.subarray(16, 20)], [0x5a, 0, 0, 0]);
  const tables = l.blob('tables');
  tables.fill(0xee);
  l.addPointer('tables', 0, 8, 'tables', 0x63);
  t.deepEqual([...tables.subarray(0, 9)], [0x63, 0, 0, 0, 0, 0, 0, 0, 0xee]);
  l.addPointer('tables', 10, 1, 'tables', 0x61);
  t.is(tables[10], 0x61);
  const big = new BiosLinker();
  big.allocate('big', new Uint8Array(0x20000), 64, false);
  big.addPointer('big', 0, 1, 'big', 0x1234); // a 1-byte field keeps the low byte, as memcpy of LE does
  t.is(big.blob('big')[0], 0x34);
  big.addPointer('big', 4, 2, 'big', 0x12345);
  t.deepEqual([...big.blob('big').subarray(4, 6)], [0x45, 0x23]);
});

test('write_pointer: only the source is checked; no blob is modified', (t) => {
  const l = linker();
  t.regex(code(() => l.writePointer('etc/vmgenid_addr', 0, 8, 'nope', 0)), /^UNKNOWN_FILE: write_pointer: source "nope"/);
  t.regex(code(() => l.writePointer('etc/vmgenid_addr', 0, 8, 'tables', 100)), /^OUT_OF_BOUNDS/);
  t.regex(code(() => l.writePointer('etc/vmgenid_addr', 0, 16, 'tables', 0)), /^BAD_POINTER_SIZE/);
  const before = l.blob('tables').slice();
  l.writePointer('never/allocated', 0xffffffff, 8, 'tables', 40);
  t.deepEqual(l.blob('tables'), before);
  t.deepEqual(l.entries().at(-1), { type: 'writePointer', destFile: 'never/allocated', srcFile: 'tables', dstOffset: 0xffffffff, srcOffset: 40, size: 8 });
});

test('offsets are checked against the blob length at the time of the call (growing blobs)', (t) => {
  const buffer = new ArrayBuffer(64, { maxByteLength: 4096 });
  const l = new BiosLinker();
  l.allocate('tables', buffer, 64, false);
  t.regex(code(() => l.addChecksum('tables', 64, 36, 73)), /^OUT_OF_BOUNDS/);
  buffer.resize(100);
  l.addChecksum('tables', 64, 36, 73);
  t.is(l.entries().length, 2);
});

test('encode pads the stream with zero entries like i386 QEMU', (t) => {
  const l = linker();
  l.addChecksum('rsdp', 0, 20, 8);
  const bytes = l.encode({ padTo: 4096 });
  t.is(bytes.length, 4096);
  t.is(decodeLoader(bytes).filter((e) => e.type === 'padding').length, 29);
  t.is(l.encode().length, 384);
  // names longer than 55 bytes are registered whole, written truncated (QEMU does not assert)
  const long = 'x'.repeat(70);
  const m = new BiosLinker();
  m.allocate(long, new Uint8Array(4), 16, false);
  t.is((decodeLoader(m.encode())[0] as { file: string }).file, 'x'.repeat(55));
});
