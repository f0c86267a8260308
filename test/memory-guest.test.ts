// GuestMemory: the checked surface and the bus surface.
import test from 'ava';
import fc from 'fast-check';
import { AddressError } from '../src/memory/address.js';
import { FrozenBytes, GuestMemory, GuestMemoryError } from '../src/memory/guest-memory.js';

function q35Like(): GuestMemory {
  return new GuestMemory([
    { name: 'ram-low', start: 0, size: 0xc0000, kind: 'ram' },
    { name: 'bios-shadow', start: 0xf0000, size: 0x10000, kind: 'rom' },
    { name: 'ram', start: 0x100000, size: 0x100000, kind: 'ram' },
  ]);
}

test('regions are validated: sorted, non-overlapping, sizes and backing', (t) => {
  t.throws(() => new GuestMemory([]), { message: /at least one region/ });
  t.throws(() => new GuestMemory([{ name: 'a', start: 0x1000, size: 16, kind: 'ram' }, { name: 'b', start: 0, size: 16, kind: 'ram' }]), { message: /not sorted/ });
  t.throws(() => new GuestMemory([{ name: 'a', start: 0, size: 0x20, kind: 'ram' }, { name: 'b', start: 0x10, size: 16, kind: 'ram' }]), { message: /overlap/ });
  t.throws(() => new GuestMemory([{ name: 'a', start: 0, size: 0, kind: 'ram' }]), { message: /size 0/ });
  t.throws(() => new GuestMemory([{ name: 'a', start: 2 ** 53 - 8, size: 16, kind: 'ram' }]), { message: /past 2\^53/ });
  t.throws(() => new GuestMemory([{ name: 'a', start: 0, size: 16, kind: 'ram', bytes: new Uint8Array(8) }]), { message: /backing is 8 bytes/ });
});

test('little- and big-endian accessors of every width', (t) => {
  const m = q35Like();
  m.writeU64LE(0x100000, 0x0102030405060708n);
  t.deepEqual([...m.view(0x100000, 8)], [8, 7, 6, 5, 4, 3, 2, 1]);
  t.is(m.readU64BE(0x100000), 0x0807060504030201n);
  t.is(m.readU32LE(0x100000), 0x05060708);
  t.is(m.readU32BE(0x100004), 0x04030201);
  t.is(m.readU16LE(0x100002), 0x0506);
  t.is(m.readU16BE(0x100002), 0x0605);
  t.is(m.readU8(0x100007), 1);
  m.writeU32BE(0x100010, 0xdeadbeef);
  m.writeU16BE(0x100014, 0x1234);
  m.writeU16LE(0x100016, 0x1234);
  m.writeU8(0x100018, 0xff);
  m.writeU64BE(0x100020, -1n);
  t.deepEqual([...m.view(0x100010, 9)], [0xde, 0xad, 0xbe, 0xef, 0x12, 0x34, 0x34, 0x12, 0xff]);
  t.is(m.readU64LE(0x100020), 0xffffffffffffffffn);
});

test('views are the guest memory itself (no copy) and read-only by type; read() copies; patch() changes bytes in place', (t) => {
  const m = q35Like();
  const v = m.view(0x100100, 4);
  m.write(0x100100, Uint8Array.of(1, 2, 3, 4));
  t.deepEqual([...v], [1, 2, 3, 4], 'a view shows later writes');
  const c = m.read(0x100100, 4);
  c[0] = 9;
  t.is(m.readU8(0x100100), 1);
  const sum = m.patch(0x100100, 4, (b, at, n, add: number) => {
    for (let i = 0; i < n; i++) b[at + i] = (b[at + i]! + add) & 0xff;
    return n;
  }, 0x10);
  t.is(sum, 4);
  t.is(m.readU32LE(0x100100), 0x14131211);
  t.is(m.inspect(0x100100, 4, (b, at) => b[at]), 0x11);
  // the types keep writers out (checked by tsc, never run)
  const typeOnly = (off: import('../src/memory/address.js').RegionOffset): void => {
    // @ts-expect-error a view has no index writes
    v[0] = 1;
    // @ts-expect-error nor writers
    v.fill(0);
    // @ts-expect-error nor a way back to its buffer
    void v.buffer;
    // @ts-expect-error an offset inside a region is not a guest address
    m.readU8(off);
    m.patch(0x100100, 1, (_b, at) => {
      // @ts-expect-error and an address is not an offset
      const o: import('../src/memory/address.js').RegionOffset = 0x100100;
      return at + o;
    });
  };
  void typeOnly;
});

test('writes are watched and marked dirty whichever surface makes them; power-on contents reach ROM at construction only', (t) => {
  const m = new GuestMemory(
    [
      { name: 'ram', start: 0, size: 0x10000, kind: 'ram' },
      { name: 'rom', start: 0xf0000, size: 0x10000, kind: 'rom' },
    ],
    { contents: [{ address: 0xffff0, bytes: Uint8Array.of(0xea, 0x5b, 0xe0) }] },
  );
  t.deepEqual([...m.view(0xffff0, 3)], [0xea, 0x5b, 0xe0]);
  t.throws(() => m.writeU8(0xffff0, 0), { instanceOf: GuestMemoryError, message: /read-only/ });
  const seen: [number, number][] = [];
  m.watch = (a, n) => void seen.push([a, n]);
  m.write(0x10, Uint8Array.of(1, 2));
  m.fill(0x20, 3, 7);
  m.writeU32LE(0x30, 5);
  m.patch(0x40, 8, () => undefined);
  m.busWrite(0x50, Uint8Array.of(1));
  m.busFill(0xfff0, 0x20, 1); // half in RAM, half in a hole
  m.view(0x60, 4);
  m.read(0x60, 4);
  m.inspect(0x60, 4, () => 0);
  m.checkWritable(0x70, 4);
  t.deepEqual(seen, [[0x10, 2], [0x20, 3], [0x30, 4], [0x40, 8], [0x50, 1], [0xfff0, 0x10]]);
  t.throws(() => m.checkWritable(0xf0000, 1), { instanceOf: GuestMemoryError, message: /read-only/ });
  t.throws(() => new GuestMemory([{ name: 'ram', start: 0, size: 16, kind: 'ram' }], { contents: [{ address: 8, bytes: new Uint8Array(16) }] }), {
    instanceOf: GuestMemoryError,
    message: 'memory contents at 0x10 fall outside RAM and ROM',
  });
});

test('errors carry the address, the length and the region', (t) => {
  const m = q35Like();
  const unmapped = t.throws(() => m.readU32LE(0xd0000), { instanceOf: GuestMemoryError });
  t.is(unmapped?.code, 'UNMAPPED');
  t.is(unmapped?.message, '4 bytes at 0xd0000: no memory there');
  t.is(unmapped?.address, 0xd0000);
  t.is(unmapped?.length, 4);
  const past = t.throws(() => m.view(0xbfffe, 4), { instanceOf: GuestMemoryError });
  t.is(past?.message, '4 bytes at 0xbfffe run past the end of ram-low [0x0, 0xc0000)');
  t.is(past?.region, 'ram-low [0x0, 0xc0000)');
  const ro = t.throws(() => m.writeU8(0xf0000, 1), { instanceOf: GuestMemoryError });
  t.is(ro?.code, 'READ_ONLY');
  t.throws(() => m.readU8(-1), { instanceOf: AddressError });
  t.throws(() => m.readU8(2 ** 53), { instanceOf: AddressError });
  m.readU8(0); // make ram-low the cached region: the fast path must still refuse fractions
  t.throws(() => m.readU8(0.5), { instanceOf: AddressError });
  t.throws(() => m.view(0, 1.5), { instanceOf: GuestMemoryError });
  t.throws(() => m.view(0x100000, -1), { instanceOf: GuestMemoryError, message: /length -1/ });
  // a ROM made writable (BIOS shadow before POST ends) accepts writes
  m.region('bios-shadow')!.readOnly = false;
  m.writeU8(0xf0000, 7);
  t.is(m.readU8(0xf0000), 7);
});

test('bus surface: RAM accepts, ROM and holes do not, holes read as zero, nothing throws', (t) => {
  const m = q35Like();
  const out = new Uint8Array(8).fill(0xaa);
  m.fill(0xbfffc, 4, 0x11);
  t.false(m.busRead(0xbfffc, out)); // straddles into the hole
  t.deepEqual([...out], [0x11, 0x11, 0x11, 0x11, 0, 0, 0, 0]);
  t.false(m.busWrite(0xbfffe, new Uint8Array([1, 2, 3, 4]))); // half lands
  t.deepEqual([...m.view(0xbfffc, 4)], [0x11, 0x11, 1, 2]);
  t.false(m.busWrite(0xf0000, new Uint8Array([5])));
  t.is(m.readU8(0xf0000), 0);
  t.true(m.busFill(0x100000, 16, 0x5a));
  t.is(m.readU8(0x10000f), 0x5a);
  t.false(m.busFill(2 ** 60, 16));
  t.false(m.busRead(2 ** 53 + 2, new Uint8Array(4)));
});

test('property: checked writes land where bus reads find them', (t) => {
  const m = GuestMemory.flat(1 << 16);
  fc.assert(
    fc.property(fc.integer({ min: 0, max: (1 << 16) - 8 }), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), (a, v) => {
      m.writeU64LE(a, v);
      const b = new Uint8Array(8);
      t.true(m.busRead(a, b));
      t.is(new DataView(b.buffer).getBigUint64(0, true), v);
    }),
    { numRuns: 2000 },
  );
});

test('marks: broken by any write surface that reaches a marked byte, also through an alias; reads, other bytes and unmarked marks leave them', (t) => {
  // two regions that are windows on one buffer (as a machine's aliases are), and a third of its own
  const shared = new Uint8Array(0x2000);
  const m = new GuestMemory([
    { name: 'ram', start: 0, size: 0x2000, kind: 'ram', bytes: shared },
    { name: 'alias', start: 0x10000, size: 0x2000, kind: 'ram', bytes: shared },
    { name: 'other', start: 0x20000, size: 0x2000, kind: 'ram' },
  ]);
  const surfaces: [string, (at: number) => void][] = [
    ['write', (a) => m.write(a, Uint8Array.of(1))],
    ['writeU8', (a) => m.writeU8(a, 1)],
    ['writeU32LE', (a) => m.writeU32LE(a - 3, 1)],
    ['writeU64BE', (a) => m.writeU64BE(a, 1n)],
    ['fill', (a) => m.fill(a - 0x10, 0x11, 1)],
    ['patch', (a) => m.patch(a, 1, () => undefined)],
    ['busWrite', (a) => m.busWrite(a, Uint8Array.of(1))],
    ['busFill', (a) => m.busFill(a, 1, 1)],
  ];
  for (const [name, write] of surfaces) {
    for (const via of [0, 0x10000]) {
      const mark = m.mark(0x100, 0x20);
      const elsewhere = m.mark(0x20100, 0x20); // same offsets, another buffer
      // reads, and writes just outside the marked bytes, leave it intact
      m.read(0x100, 0x20);
      m.inspect(0x10100, 0x20, () => 0);
      write(via + 0x140);
      m.writeU8(via + 0xff, 1);
      t.true(mark.intact, `${name} via 0x${via.toString(16)}: untouched`);
      write(via + 0x11f);
      t.false(mark.intact, `${name} via 0x${via.toString(16)}: broken by its last byte`);
      t.true(elsewhere.intact, `${name}: a mark in another buffer stays`);
      m.unmark([elsewhere]);
    }
  }
  // load() breaks what it may change (a zero page left alone changes nothing)
  const f = m.mark(0x20800, 0x10);
  const z = m.mark(0x21800, 0x10);
  m.load(0x20000, FrozenBytes.copyOf(Uint8Array.from({ length: 0x2000 }, (_, i) => (i < 0x1000 ? 1 : 0))));
  t.false(f.intact);
  t.true(z.intact, 'a clean page that stays zero is not written');
  // an unmarked mark no longer follows writes; release() breaks every mark still held
  const gone = m.mark(0x200, 4);
  m.unmark([gone, z]);
  m.writeU8(0x200, 7);
  t.true(gone.intact);
  const held = m.mark(0x300, 4);
  m.release();
  t.false(held.intact);
  t.throws(() => m.mark(0x300, 4), { instanceOf: GuestMemoryError });
});
