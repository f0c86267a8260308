// GuestMemory.load leaves alone the whole pages it would only fill with zeros already there: every
// surface must see exactly what write() gives, the watch the same calls, and a release must leave
// the backing zeroed.
import test from 'ava';
import fc from 'fast-check';
import { allocateBacking } from '../src/memory/backing.js';
import { FrozenBytes, GuestMemory } from '../src/memory/guest-memory.js';

const SIZE = 0x6000 + 123; // an odd last page
const BASE = 0x10000;

type Op =
  | { kind: 'load'; at: number; source: number; from: number; length: number }
  | { kind: 'write'; at: number; bytes: Uint8Array }
  | { kind: 'fill'; at: number; length: number; value: number }
  | { kind: 'patch'; at: number; length: number; add: number }
  | { kind: 'read'; at: number; length: number }
  | { kind: 'view'; at: number; length: number }
  | { kind: 'busRead'; at: number; length: number }
  | { kind: 'busWrite'; at: number; bytes: Uint8Array }
  | { kind: 'u32'; at: number };

// all zeros; zeros with islands (page-crossing, chunk-crossing, a lone byte); no zeros at all
const island = (i: number) => (i < 100 || (i >= 0x1ff0 && i < 0x2050) || i === 0x3abc ? (i % 250) + 1 : 0);
const sources = [() => 0, island, (i: number) => (i % 251) + 1].map((f) => FrozenBytes.copyOf(Uint8Array.from({ length: 0x5000 }, (_, i) => f(i))));
const at = fc.integer({ min: 0, max: SIZE - 1 });
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('load' as const), at, source: fc.integer({ min: 0, max: 2 }), from: fc.integer({ min: 0, max: 0x4fff }), length: fc.integer({ min: 0, max: 0x5000 }) }) },
  fc.record({ kind: fc.constant('write' as const), at, bytes: fc.uint8Array({ maxLength: 64 }) }),
  fc.record({ kind: fc.constant('fill' as const), at, length: fc.integer({ min: 0, max: 0x2000 }), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('patch' as const), at, length: fc.integer({ min: 0, max: 8 }), add: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ kind: fc.constant('read' as const), at, length: fc.integer({ min: 0, max: 0x2000 }) }),
  fc.record({ kind: fc.constant('view' as const), at, length: fc.integer({ min: 0, max: 0x2000 }) }),
  fc.record({ kind: fc.constant('busRead' as const), at, length: fc.integer({ min: 0, max: 0x3000 }) }),
  fc.record({ kind: fc.constant('busWrite' as const), at, bytes: fc.uint8Array({ maxLength: 64 }) }),
  fc.record({ kind: fc.constant('u32' as const), at }),
);

test('property: load() gives exactly what write() gives, to every surface, views and the watch included', (t) => {
  fc.assert(
    fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
      const m = new GuestMemory([{ name: 'ram', start: BASE, size: SIZE, kind: 'ram' }]);
      const ref = new Uint8Array(SIZE);
      const watched: [number, number][] = [];
      const expected: [number, number][] = [];
      m.watch = (a, n) => void watched.push([a, n]);
      const views: { at: number; bytes: ReturnType<GuestMemory['view']> }[] = [];
      for (const o of ops) {
        const a = BASE + o.at;
        const fits = (n: number) => o.at + n <= SIZE;
        switch (o.kind) {
          case 'load': {
            const n = Math.min(o.length, 0x5000 - o.from);
            if (!fits(n)) {
              t.throws(() => m.load(a, sources[o.source]!, o.from, n));
              break;
            }
            m.load(a, sources[o.source]!, o.from, n);
            ref.set(sources[o.source]!.view().subarray(o.from, o.from + n) as Uint8Array, o.at);
            expected.push([a, n]);
            break;
          }
          case 'write':
            if (!fits(o.bytes.length)) break;
            m.write(a, o.bytes);
            ref.set(o.bytes, o.at);
            expected.push([a, o.bytes.length]);
            break;
          case 'fill':
            if (!fits(o.length)) break;
            m.fill(a, o.length, o.value);
            ref.fill(o.value, o.at, o.at + o.length);
            expected.push([a, o.length]);
            break;
          case 'patch':
            if (!fits(o.length)) break;
            m.patch(a, o.length, (b, p, n, add: number) => {
              for (let i = 0; i < n; i++) b[p + i] = (b[p + i]! + add) & 0xff;
            }, o.add);
            for (let i = 0; i < o.length; i++) ref[o.at + i] = (ref[o.at + i]! + o.add) & 0xff;
            expected.push([a, o.length]);
            break;
          case 'read':
            if (!fits(o.length)) break;
            t.deepEqual(m.read(a, o.length), ref.slice(o.at, o.at + o.length));
            break;
          case 'view':
            if (!fits(o.length)) break;
            views.push({ at: o.at, bytes: m.view(a, o.length) });
            break;
          case 'busRead': {
            const out = new Uint8Array(o.length);
            const ok = m.busRead(a, out);
            t.is(ok, fits(o.length));
            const n = Math.min(o.length, SIZE - o.at);
            t.deepEqual(out.subarray(0, n), ref.subarray(o.at, o.at + n));
            break;
          }
          case 'busWrite': {
            const n = Math.min(o.bytes.length, SIZE - o.at);
            m.busWrite(a, o.bytes);
            ref.set(o.bytes.subarray(0, n), o.at);
            expected.push([a, n]);
            break;
          }
          case 'u32':
            if (!fits(4)) break;
            t.is(m.readU32LE(a), new DataView(ref.buffer).getUint32(o.at, true));
            break;
        }
      }
      // views show every later change, loads included
      for (const v of views) t.deepEqual(Uint8Array.from(v.bytes), ref.slice(v.at, v.at + v.bytes.length));
      t.deepEqual(m.read(BASE, SIZE), ref);
      t.deepEqual(watched, expected);
    }),
    { numRuns: 400, seed: 13 },
  );
});

test('every window over the edges of a non-zero island is copied exactly (the zero index and its ends)', (t) => {
  const m = new GuestMemory([{ name: 'ram', start: 0, size: 0x4000, kind: 'ram' }]);
  for (const base of [0x0f00, 0x1f00, 0x2a00]) {
    for (let s = base; s < base + 0x200; s++) {
      m.load(0x1000, sources[1]!, s, 0x1000);
      const want = sources[1]!.view().subarray(s, s + 0x1000);
      if (!m.read(0x1000, 0x1000).every((x, i) => x === want[i])) return t.fail(`window at 0x${s.toString(16)}`);
      m.fill(0x1000, 0x1000, 0); // back to zeros; the page stays dirty, so also try a fresh memory below
    }
  }
  for (let s = 0x2000; s < 0x2060; s++) {
    const fresh = new GuestMemory([{ name: 'ram', start: 0, size: 0x4000, kind: 'ram' }]);
    fresh.load(0x1000, sources[1]!, s, 0x1000);
    t.deepEqual(fresh.read(0x1000, 0x1000), sources[1]!.view().subarray(s, s + 0x1000) as Uint8Array, `fresh window at 0x${s.toString(16)}`);
    fresh.release();
  }
});

test('zeros loaded over written pages land; a region over caller bytes gets every byte', (t) => {
  const m = new GuestMemory([{ name: 'ram', start: 0, size: 0x10000, kind: 'ram' }]);
  m.fill(0, 0x10000, 0xee);
  m.load(0x800, sources[0]!, 0, 0x4000);
  t.true(m.read(0x800, 0x4000).every((x) => x === 0));
  t.is(m.readU8(0x7ff), 0xee);
  t.is(m.readU8(0x4800), 0xee);
  m.load(0x1000, sources[1]!);
  t.deepEqual(m.read(0x1000, 0x5000), sources[1]!.view());
  const own = new Uint8Array(0x6000).fill(0x11);
  const m2 = new GuestMemory([{ name: 'ram', start: 0, size: 0x6000, kind: 'ram', bytes: own }]);
  m2.load(0x1000, sources[1]!);
  t.deepEqual(own.subarray(0x1000), sources[1]!.view());
  t.is(own[0xfff], 0x11);
});

test('release after loads and writes hands back zeroed memory', (t) => {
  const size = 0x20000;
  const m = new GuestMemory([{ name: 'ram', start: 0, size, kind: 'ram' }]);
  const src = FrozenBytes.copyOf(Uint8Array.from({ length: size }, (_, i) => (i >= 0x8000 && i < 0x9000 ? 0 : 0xa5)));
  m.load(0, src);
  m.writeU8(0x8100, 1);
  m.load(0x10000, sources[1]!);
  m.release();
  // the pool gives the same WebAssembly memory back: it must be zero
  const again = allocateBacking(size);
  t.true(again.every((x) => x === 0));
});

test('FrozenBytes copies: changing the original afterwards changes nothing loaded (a Buffer too, whose slice() is a view)', (t) => {
  for (const original of [new Uint8Array(0x3000).fill(7), Buffer.alloc(0x3000, 7)]) {
    const frozen = FrozenBytes.copyOf(original);
    original.fill(9);
    const m = GuestMemory.flat(0x10000);
    m.load(0x1000, frozen);
    t.is(m.readU8(0x2000), 7);
    t.false(frozen.view() instanceof Buffer);
    t.throws(() => m.load(0, frozen, 0x2000, 0x2000), { message: /outside the 12288 source bytes/ });
  }
});
