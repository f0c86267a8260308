// The checksum kernel: SIMD (in guest memory) and portable paths equal a byte loop on any range.
import test from 'ava';
import fc from 'fast-check';
import { checksumByte, sum8, sum8Portable } from '../src/acpi/checksum.js';
import { allocateBacking } from '../src/memory/backing.js';
import { GuestMemory } from '../src/memory/guest-memory.js';

const ref = (b: Uint8Array) => b.reduce((s, x) => (s + x) & 0xff, 0);

test('property: both kernels equal the byte loop for any offset and length', (t) => {
  const guest = allocateBacking(70000);
  const plain = new Uint8Array(70000);
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 69999 }), fc.integer({ min: 0, max: 70000 }), fc.integer({ min: 0, max: 2 ** 31 }), (start, len, seed) => {
      let s = seed;
      for (let i = 0; i < guest.length; i += 97) {
        s = (Math.imul(s, 1103515245) + 12345) >>> 0;
        guest[i] = s >>> 24;
        plain[i] = s >>> 24;
      }
      const end = Math.min(guest.length, start + len);
      const g = guest.subarray(start, end);
      const p = plain.subarray(start, end);
      t.is(sum8(g), ref(g));
      t.is(sum8Portable(p), ref(p));
      t.is(sum8(p), ref(p));
    }),
    { numRuns: 300 },
  );
});

test('all-0xff blocks (every lane wraps many times), both paths, across the 16- and 64-byte step boundaries', (t) => {
  for (const n of [0, 1, 15, 16, 17, 63, 64, 65, 79, 80, 127, 128, 129, 2047, 2048, 2049, 4096 * 65, 2 << 20]) {
    const g = allocateBacking(n).fill(0xff);
    const p = new Uint8Array(n).fill(0xff);
    t.is(sum8(g), (n * 255) & 0xff, `simd ${n}`);
    t.is(sum8Portable(p), (n * 255) & 0xff, `portable ${n}`);
  }
});

test('guest memory regions are wasm-backed: checksums run in place', (t) => {
  const m = GuestMemory.flat(1 << 20);
  m.write(0x1000, Uint8Array.of(0x52, 0x53, 0x44, 0x54, 36, 0, 0, 0, 1));
  m.writeU8(0x1009, checksumByte(m.view(0x1000, 36)));
  t.is(sum8(m.view(0x1000, 36)), 0);
  t.is(m.inspect(0x1000, 36, sum8), 0, 'the same kernel on the bytes in place');
});

test('property: sum8 over (array, from, length) equals sum8 of that subarray, on both paths', (t) => {
  const guest = allocateBacking(4096);
  const plain = new Uint8Array(4096);
  for (let i = 0; i < 4096; i++) guest[i] = plain[i] = (i * 131 + 7) & 0xff;
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 4096 }), fc.integer({ min: 0, max: 4096 }), (from, len) => {
      const length = Math.min(len, 4096 - from);
      const want = ref(plain.subarray(from, from + length));
      t.is(sum8(guest, from, length), want);
      t.is(sum8(plain, from, length), want);
    }),
    { numRuns: 2000 },
  );
});

test('sum8 refuses a range outside its array instead of reading past it', (t) => {
  const guest = allocateBacking(64);
  t.throws(() => sum8(guest, 60, 8), { instanceOf: RangeError });
  t.throws(() => sum8(guest, -1, 4), { instanceOf: RangeError });
  t.is(sum8(guest, 64, 0), 0);
});

test('sum8 on arrays that take turns (two guest backings and a plain array, different bytes): each its own kernel', (t) => {
  const arrays = [allocateBacking(4096), allocateBacking(4096), new Uint8Array(4096)];
  arrays.forEach((a, k) => {
    for (let i = 0; i < a.length; i++) a[i] = (i * (k + 3) + k * 17) & 0xff;
  });
  for (const order of [[0, 1, 2], [0, 1, 0, 2, 1, 2, 2, 0], [2, 0, 2, 1, 1, 0]]) {
    for (const k of order) {
      const a = arrays[k]!;
      t.is(sum8(a, 5, 3000), ref(a.subarray(5, 3005)), `array ${k} in ${order.join(',')}`);
    }
  }
});
