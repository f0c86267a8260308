// Properties: no guest access sequence makes anything escape the device; every item reads back exactly through ports and through DMA.
import test from 'ava';
import fc from 'fast-check';
import { FwCfgDevice } from '../src/fwcfg/device.js';
import { dmaControl, encodeDmaAccess } from '../src/fwcfg/dma.js';
import { FwCfgIoPorts } from '../src/fwcfg/io-ports.js';
import { FwCfgMmio } from '../src/fwcfg/mmio.js';
import { AddressSpace } from '../src/memory/address-space.js';
import { GuestMemory } from '../src/memory/guest-memory.js';
import { CONFIGS, endpoint, machine, referenceCapture, sharedCapture } from './helpers/machines.js';

const hex = (n: number | bigint) => '0x' + n.toString(16);

const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
const interesting64 = fc.oneof(u64, fc.constantFrom(0n, 0x1000n, 0x7ffffff8n, 0x7ffffffen, 0xf0000n, 0x2000000000n, 0xfffffffffffffff8n, (1n << 53n) - 4n, 0x09020000n, 0x48000000n));
const port = fc.oneof(fc.integer({ min: 0x508, max: 0x520 }), fc.integer({ min: 0, max: 0xffff }));

/** A qtest line a fuzzing client could send (well-formed or not). */
const line = fc.oneof(
  fc.tuple(fc.constantFrom('inb', 'inw', 'inl'), port).map(([c, p]) => `${c} ${hex(p)}`),
  fc.tuple(fc.constantFrom('outb', 'outw', 'outl'), port, fc.integer({ min: 0, max: 0xffffffff })).map(([c, p, v]) => `${c} ${hex(p)} ${hex(v)}`),
  fc.tuple(fc.constantFrom('readb', 'readw', 'readl', 'readq'), interesting64).map(([c, a]) => `${c} ${hex(a)}`),
  fc.tuple(fc.constantFrom('writeb', 'writew', 'writel', 'writeq'), interesting64, u64).map(([c, a, v]) => `${c} ${hex(a)} ${hex(v)}`),
  fc.tuple(interesting64, fc.integer({ min: 1, max: 64 })).map(([a, n]) => `read ${hex(a)} ${hex(n)}`),
  fc.tuple(interesting64, fc.uint8Array({ maxLength: 40 })).map(([a, b]) => `write ${hex(a)} ${hex(b.length)} 0x${Buffer.from(b).toString('hex')}`),
  fc.tuple(interesting64, fc.integer({ min: 0, max: 64 }), fc.integer({ min: 0, max: 255 })).map(([a, n, v]) => `memset ${hex(a)} ${hex(n)} ${hex(v)}`),
  fc.string({ maxLength: 24 }),
);

test('property: any qtest stream is answered (OK, ERR or FAIL) and never throws, on every machine', (t) => {
  for (const config of ['q35', 'pc-i440fx-2.0', 'virt']) {
    fc.assert(
      fc.property(fc.array(line, { maxLength: 60 }), (lines) => {
        const ep = endpoint(config, 'reference');
        for (const l of lines) {
          const r = ep.handle(l.replace(/\n/g, ' '));
          if (!/^(OK|ERR|FAIL)( |$)/.test(r)) return false;
        }
        return true;
      }),
      { numRuns: 60, seed: 20241124 },
    );
  }
  t.pass();
});

/** A descriptor as hostile as it gets, run through the DMA register directly. */
const descriptor = fc.record({
  control: fc.oneof(fc.integer({ min: 0, max: 0xffffffff }), fc.tuple(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 0x1f })).map(([k, b]) => dmaControl(b, k))),
  length: fc.oneof(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 64 })),
  address: interesting64,
  at: fc.oneof(interesting64, fc.constantFrom(0x1000n, 0x7ffffff0n)),
});

test('property: hostile DMA descriptors never throw and leave the latch cleared (x86 and MMIO)', (t) => {
  for (const config of ['seed', 'virt']) {
    const m = machine(config, 'reference');
    fc.assert(
      fc.property(fc.array(descriptor, { maxLength: 8 }), (list) => {
        for (const d of list) {
          if (d.length > 0x100000 && (d.control & 2) !== 0) d.length = 0x100000; // keep zero fills small
          m.memory.write(d.at, encodeDmaAccess(d));
          // the descriptor the device will read: where `at` is flash the write was a command, not a store,
          // and the device reads whatever the flash answers; a huge transfer of that is QEMU's too, piece by
          // 4-byte piece, and only slow (minutes), so it is left out
          const seen = new Uint8Array(16);
          m.dmaMemory.read(d.at, seen);
          const view = new DataView(seen.buffer);
          if (view.getUint32(4) > 0x100000 && (view.getUint32(0) & 0x1e) !== 0 && encodeDmaAccess(d).some((b, i) => b !== seen[i])) continue;
          m.device.dmaAddress = d.at;
          m.dma!.write(0, 8, new Uint8Array(new BigUint64Array([d.at]).buffer).reverse());
          if (m.device.dmaAddress !== 0n) return false;
        }
        return true;
      }),
      { numRuns: 80, seed: 7 },
    );
  }
  t.pass();
});

test('property: a bare device on a port bus and an MMIO bus survives any access of any width', (t) => {
  const memory = GuestMemory.flat(0x10000);
  const dev = new FwCfgDevice();
  dev.addBytes(0, Uint8Array.of(0x51, 0x45, 0x4d, 0x55));
  dev.addFile('f', Uint8Array.of(1, 2, 3));
  const bus = new AddressSpace('memory', { memory });
  const ports = new FwCfgIoPorts(dev, { bus });
  const mmio = new FwCfgMmio(dev, { bus });
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0x500, max: 0x520 }), fc.constantFrom(1, 2, 4) as fc.Arbitrary<1 | 2 | 4>, fc.integer({ min: 0, max: 0xffffffff }), fc.boolean()), { maxLength: 100 }),
      (ops) => {
        for (const [write, p, size, v, onMmio] of ops) {
          if (onMmio) {
            const a = 0x09020000n + BigInt(p - 0x500);
            if (write) mmio.store(a, size, BigInt(v));
            else mmio.load(a, size);
          } else if (write) ports.out(p, size, v);
          else ports.in(p, size);
        }
        return dev.curOffset <= 4 || dev.curEntry !== 0;
      },
    ),
    { numRuns: 200, seed: 3 },
  );
  t.pass();
});

for (const config of CONFIGS) {
  test(`${config}: every item through the data register (qtest inb / readq) and through DMA into guest RAM equals the capture, zeros past the end`, (t) => {
    const cap = sharedCapture(config);
    const ep = endpoint(config);
    const io = cap.json.layout === 'io';
    const dma = (cap.json.id & 2) !== 0;
    const buf = io ? 0x200000n : 0x48010000n;
    const desc = io ? 0x100000n : 0x48000000n;
    for (const it of cap.items) {
      const n = Math.min(it.size, 300);
      t.is(ep.handle(io ? `outw 0x510 ${hex(it.key)}` : `writew 0x9020008 ${hex(((it.key & 0xff) << 8) | (it.key >> 8))}`), 'OK');
      const got: number[] = [];
      while (got.length < n + 4) {
        const r = ep.handle(io ? 'inb 0x511' : 'readq 0x9020000');
        const v = BigInt(r.slice(3));
        for (let i = 0; i < (io ? 1 : 8); i++) got.push(Number((v >> BigInt(8 * i)) & 0xffn));
      }
      if (it.size <= 300) t.deepEqual(Uint8Array.from(got.slice(0, it.size + 4)), Uint8Array.from([...it.bytes, 0, 0, 0, 0]), `${it.name} by port`);
      else t.deepEqual(Uint8Array.from(got.slice(0, n)), it.bytes.subarray(0, n), `${it.name} by port`);
      if (!dma) continue;
      const d = encodeDmaAccess({ control: dmaControl(0x0a, it.key), length: it.size + 4, address: buf });
      ep.handle(`memset ${hex(buf)} ${hex(it.size + 4)} 0xaa`);
      ep.handle(`write ${hex(desc)} 0x10 0x${Buffer.from(d).toString('hex')}`);
      if (io) {
        ep.handle('outl 0x514 0x0');
        ep.handle(`outl 0x518 ${hex(Number(((desc & 0xffn) << 24n) | ((desc & 0xff00n) << 8n) | ((desc >> 8n) & 0xff00n) | (desc >> 24n)))}`);
      } else ep.handle(`writeq 0x9020010 0x${Buffer.from(new BigUint64Array([desc]).buffer).toString("hex")}`);
      t.is(ep.handle(`read ${hex(desc)} 0x4`), 'OK 0x00000000');
      const back = Buffer.from(ep.handle(`b64read ${hex(buf)} ${hex(it.size + 4)}`).slice(3), 'base64');
      t.deepEqual(new Uint8Array(back), Uint8Array.from([...it.bytes, 0, 0, 0, 0]), `${it.name} by DMA`);
    }
    t.true(referenceCapture(config).items.length === cap.items.length);
  });
}
