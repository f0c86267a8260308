// addLE is SeaBIOS's ADD_POINTER arithmetic (u64 add, truncating store); it is checked here
// against a BigInt statement of the same rule, for every field size and addends up to 2^53.
import test from 'ava';
import fc from 'fast-check';
import { addLE } from '../src/firmware/entry-fields.js';

function reference(field: Uint8Array, addend: number): Uint8Array {
  let v = 0n;
  for (let i = field.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(field[i]!);
  v = BigInt.asUintN(64, v + BigInt(addend));
  const out = new Uint8Array(field.length);
  for (let i = 0; i < field.length; i++) out[i] = Number((v >> BigInt(8 * i)) & 0xffn);
  return out;
}

test('addLE equals a u64 add truncated to the field, for sizes 1-8', (t) => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 1, maxLength: 8 }), fc.maxSafeNat(), fc.nat(4), (field, addend, at) => {
      const b = new Uint8Array(at + field.length + 2).fill(0xa5);
      b.set(field, at);
      addLE(b, at, field.length, addend);
      t.deepEqual(b.subarray(at, at + field.length), reference(field, addend));
      // nothing outside the field
      t.true(b.subarray(0, at).every((x) => x === 0xa5) && b.subarray(at + field.length).every((x) => x === 0xa5));
    }),
    { numRuns: 5000 },
  );
});

test('addLE carries from the low word into the high word and wraps at 2^64', (t) => {
  const f = Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0x01, 0, 0, 0);
  addLE(f, 0, 8, 1);
  t.deepEqual([...f], [0, 0, 0, 0, 2, 0, 0, 0]);
  const g = new Uint8Array(8).fill(0xff);
  addLE(g, 0, 8, 0x7ffe1000);
  t.deepEqual([...g], [0xff, 0x0f, 0xfe, 0x7f, 0, 0, 0, 0]);
});
