// SeaBIOS's zone allocator (src/firmware/zone-allocator.ts) held to a byte map of the zone: top-down first fit
// over the free runs, highest run first, and free() merging a block back with the free space around it.
import test from 'ava';
import fc from 'fast-check';
import { ZoneAllocator } from '../src/firmware/zone-allocator.js';

const START = 0x1000;
const SIZE = 0x200;

/** The reference: one flag per byte; the free runs, highest first, are the gaps. */
class ByteMap {
  readonly used = new Uint8Array(SIZE);
  runs(): { start: number; end: number }[] {
    const out: { start: number; end: number }[] = [];
    for (let i = SIZE; i > 0; ) {
      if (this.used[i - 1]) {
        i--;
        continue;
      }
      const end = i;
      while (i > 0 && !this.used[i - 1]) i--;
      out.push({ start: START + i, end: START + end });
    }
    return out;
  }
  allocate(size: number, align: number): number | undefined {
    for (const g of this.runs()) {
      const at = Math.floor((g.end - size) / align) * align;
      if (at >= g.start && at + size <= g.end) {
        this.used.fill(1, at - START, at - START + size);
        return at;
      }
    }
    return undefined;
  }
  release(start: number, end: number): void {
    this.used.fill(0, start - START, end - START);
  }
}

test('property: allocations, pins and frees agree with a byte map of the zone', (t) => {
  const op = fc.oneof(
    fc.record({ kind: fc.constant('allocate' as const), size: fc.integer({ min: 1, max: 0x60 }), align: fc.constantFrom(1, 2, 8, 16, 64, 0x100) }),
    fc.record({ kind: fc.constant('free' as const), pick: fc.nat() }),
    fc.record({ kind: fc.constant('claim' as const), at: fc.integer({ min: 0, max: SIZE - 1 }), size: fc.integer({ min: 1, max: 0x40 }) }),
  );
  fc.assert(
    fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
      const zone = new ZoneAllocator('ZoneTest', { start: START, end: START + SIZE });
      const ref = new ByteMap();
      const blocks: [number, number][] = [];
      for (const o of ops) {
        if (o.kind === 'allocate') {
          const a = zone.allocate(o.size, o.align);
          t.is(a, ref.allocate(o.size, o.align));
          if (a !== undefined) blocks.push([a, a + o.size]);
        } else if (o.kind === 'free') {
          if (blocks.length === 0) continue;
          const [start, end] = blocks.splice(o.pick % blocks.length, 1)[0]!;
          zone.release(start, end);
          ref.release(start, end);
        } else {
          const start = START + o.at;
          const end = Math.min(START + SIZE, start + o.size);
          const free = !ref.used.subarray(start - START, end - START).some((x) => x !== 0);
          t.is(zone.claim(start, end), free ? 'taken' : 'overlap');
          if (free) {
            ref.used.fill(1, start - START, end - START);
            blocks.push([start, end]);
          }
        }
        t.deepEqual(zone.free(), ref.runs());
      }
    }),
    { numRuns: 300 },
  );
});
