// Alignment helpers: exact for every value up to 2^53, checked against a BigInt reference.
import test from 'ava';
import fc from 'fast-check';
import { AddressError, alignDown, alignUp, hostPageAlign, isAligned, MAX_GUEST_ADDRESS } from '../src/memory/address.js';

const big = (n: number) => BigInt(n);
const refDown = (x: number, a: number) => Number(big(x) - (big(x) % big(a)));
const refUp = (x: number, a: number) => {
  const r = big(x) % big(a);
  return r === 0n ? x : Number(big(x) + big(a) - r);
};

const value = fc.oneof(fc.integer({ min: 0, max: 0xffffffff }), fc.maxSafeNat(), fc.constantFrom(0, 1, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 1, 2 ** 52 + 3, MAX_GUEST_ADDRESS - 4096));
const pow2 = fc.integer({ min: 0, max: 40 }).map((e) => 2 ** e);
const anyAlign = fc.oneof(pow2, fc.integer({ min: 1, max: 1 << 20 }), fc.integer({ min: 1, max: 2 ** 40 }));

test('alignDown / alignUp / isAligned equal the BigInt reference', (t) => {
  fc.assert(
    fc.property(value, anyAlign, (x, a) => {
      t.is(alignDown(x, a), refDown(x, a));
      if (refUp(x, a) <= MAX_GUEST_ADDRESS) t.is(alignUp(x, a), refUp(x, a));
      else t.throws(() => alignUp(x, a), { instanceOf: AddressError });
      t.is(isAligned(x, a), big(x) % big(a) === 0n);
    }),
    { numRuns: 20000 },
  );
});

test('hostPageAlign equals the reference past 4 GiB (no 32-bit truncation)', (t) => {
  fc.assert(
    fc.property(value, fc.constantFrom(4096, 65536, 2 ** 21, 2 ** 32), (x, p) => {
      if (refUp(x, p) <= MAX_GUEST_ADDRESS) t.is(hostPageAlign(x, p), refUp(x, p));
    }),
    { numRuns: 20000 },
  );
  t.is(hostPageAlign(0x1_0000_0001, 4096), 0x1_0000_1000);
  t.is(hostPageAlign(20, 65536), 0x10000);
  t.is(hostPageAlign(0x2000, 4096), 0x2000);
});

test('bad values are typed errors', (t) => {
  t.throws(() => alignUp(-1, 4096), { instanceOf: AddressError, message: /-1 is not an integer in \[0, 2\^53\)/ });
  t.throws(() => alignUp(1.5, 4096), { instanceOf: AddressError });
  t.throws(() => alignDown(2 ** 53, 4096), { instanceOf: AddressError });
  t.throws(() => alignUp(4, 0), { instanceOf: AddressError, message: /alignment 0/ });
  t.throws(() => hostPageAlign(5, 3000), { instanceOf: AddressError, message: /not a power of two/ });
  t.throws(() => alignUp(MAX_GUEST_ADDRESS, 4096), { instanceOf: AddressError, message: /passes 2\^53/ });
});
