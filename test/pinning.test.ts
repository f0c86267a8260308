// --place as one wrapper around each firmware's allocator (src/firmware/pinning.ts).
import test from 'ava';
import { placed } from '../src/firmware/pinning.js';
import { ZoneAllocator } from '../src/firmware/zone-allocator.js';

const zone = () => new ZoneAllocator('ZoneHigh', { start: 0x1000, end: 0x9000 });
const wrap = (z: ZoneAllocator, pins: Record<string, number>) => placed<number>({ name: 'ZoneHigh', allocate: (size, align) => z.allocate(size, align), claim: (s, e) => z.claim(s, e) }, new Map(Object.entries(pins)));

test('a pinned file gets its address and the zone no longer hands that space out', (t) => {
  const z = zone();
  const a = wrap(z, { pinned: 0x8000 });
  t.is(a.allocate('pinned', 0x1000, 16), 0x8000);
  t.is(a.allocate('other', 0x1000, 16), 0x7000, 'top-down first fit below the pin');
});

test('a pin outside the zone is used as given; an unpinned file is the allocator\'s', (t) => {
  const z = zone();
  const a = wrap(z, { far: 0x100000 });
  t.is(a.allocate('far', 0x1000, 16), 0x100000);
  t.is(a.allocate('near', 0x1000, 16), 0x8000);
});

test('a pin over what the firmware already allocated is a typed error naming the file and range', (t) => {
  const z = zone();
  const a = wrap(z, { late: 0x8800 });
  t.is(a.allocate('first', 0x1000, 16), 0x8000);
  t.throws(() => a.allocate('late', 0x100, 16), { code: 'PLACE_OVERLAP', message: /--place late=0x8800: \[0x8800, 0x8900\) overlaps what ZoneHigh already allocated/ });
});

test('without placements the wrapper is the allocator itself', (t) => {
  const z = zone();
  const a = placed<number>({ name: 'ZoneHigh', allocate: (size, align) => z.allocate(size, align) }, undefined);
  t.is(a.allocate('x', 0x1000, 0x1000), 0x8000);
});
