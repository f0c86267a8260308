// The DMA engine and register over a small synthetic machine: every rule of fw-cfg.md §4 as FACTS.md §3-4 corrects it.
import test from 'ava';
import { FwCfgDevice } from '../src/fwcfg/device.js';
import { decodeDmaAccess, dmaControl, encodeDmaAccess } from '../src/fwcfg/dma.js';
import { FwCfgIoPorts } from '../src/fwcfg/io-ports.js';
import { FwCfgMmio } from '../src/fwcfg/mmio.js';
import { bswap32 } from '../src/fwcfg/registers.js';
import { AddressSpace } from '../src/memory/address-space.js';
import { GuestMemory } from '../src/memory/guest-memory.js';

const READ = 2;
const SKIP = 4;
const SELECT = 8;
const WRITE = 0x10;
const RAM_END = 0x800000;

function rig(options: { mmio?: boolean } = {}) {
  const rom = new Uint8Array(0x20000).fill(0x5b);
  const memory = new GuestMemory([
    { name: 'low', start: 0, size: 0xa0000, kind: 'ram' },
    { name: 'bios', start: 0xe0000, size: 0x20000, kind: 'rom', bytes: rom },
    { name: 'ram', start: 0x100000, size: RAM_END - 0x100000, kind: 'ram' },
  ]);
  const bus = new AddressSpace('memory', { memory });
  const dev = new FwCfgDevice();
  dev.addBytes(0, new TextEncoder().encode('QEMU'));
  dev.addI32(1, 3);
  const writes: [unknown, number, number][] = [];
  dev.addFile('etc/rw', new Uint8Array(8), { readOnly: false, writeCallback: (o, s, l) => void writes.push([o, s, l]), opaque: 'ctx' });
  dev.addFile('etc/ro', Uint8Array.of(1, 2, 3, 4));
  dev.addFile('etc/empty', new Uint8Array(0), { readOnly: false });
  // selectors are final only once every file is in (sorted inserts renumber)
  const [rw, ro, empty] = ['etc/rw', 'etc/ro', 'etc/empty'].map((n) => dev.findFile(n)!) as [number, number, number];
  const ports = new FwCfgIoPorts(dev, { bus });
  const mmio = options.mmio ? new FwCfgMmio(dev, { bus }) : undefined;
  const dma = (desc: number, control: number, length: number, address: bigint) => {
    memory.write(desc, encodeDmaAccess({ control, length, address }));
    ports.out(0x514, 4, 0);
    ports.out(0x518, 4, bswap32(desc));
    return memory.readU32BE(desc);
  };
  return { memory, bus, dev, ports, mmio, dma, writes, keys: { rw, ro, empty } };
}

test('READ: item bytes, then zeros past the end; control 0; length and address are not written back', (t) => {
  const r = rig();
  r.memory.fill(0x2000, 16, 0xaa);
  t.is(r.dma(0x1000, dmaControl(SELECT | READ, 0), 12, 0x2000n), 0);
  t.deepEqual(r.memory.read(0x2000, 16), Uint8Array.of(0x51, 0x45, 0x4d, 0x55, 0, 0, 0, 0, 0, 0, 0, 0, 0xaa, 0xaa, 0xaa, 0xaa));
  t.like(decodeDmaAccess(r.memory.read(0x1000, 16)), { control: 0, length: 12, address: 0x2000n });
  t.is(r.dev.curOffset, 4, 'the offset stops at the end');
});

test('precedence: READ over WRITE and SKIP, WRITE over SKIP; no operation means nothing; guest ERROR and unknown bits ignored', (t) => {
  const r = rig();
  t.is(r.dma(0x1000, dmaControl(SELECT | READ | WRITE | SKIP | 1 | 0xffe0, 0), 4, 0x2000n), 0);
  t.deepEqual(r.memory.read(0x2000, 4), new TextEncoder().encode('QEMU'));
  t.is(r.dma(0x1000, dmaControl(SELECT | WRITE | SKIP, 0), 4, 0x2000n), 1, 'WRITE to the read-only signature');
  r.dev.select(1);
  t.is(r.dma(0x1000, dmaControl(SELECT, 0), 0xffffffff, 0x3000n), 0);
  t.deepEqual([r.dev.curEntry, r.dev.curOffset], [0, 0], 'SELECT alone selects, length ignored');
});

test('SKIP clamps at the end; READ without SELECT continues at the current offset', (t) => {
  const r = rig();
  t.is(r.dma(0x1000, dmaControl(SELECT | SKIP, 0), 0xffffffff, 0n), 0);
  t.is(r.dev.curOffset, 4);
  r.dev.select(0);
  r.ports.in(0x511, 1);
  t.is(r.dma(0x1000, dmaControl(READ), 2, 0x2000n), 0);
  t.deepEqual(r.memory.read(0x2000, 2), Uint8Array.of(0x45, 0x4d));
});

test('WRITE: read-only fails but still moves the offset; past the end fails whole; a fitting write calls the callback', (t) => {
  const r = rig();
  r.memory.write(0x2000, Uint8Array.of(9, 9, 9, 9, 9, 9, 9, 9));
  t.is(r.dma(0x1000, dmaControl(SELECT | WRITE, r.keys.ro), 2, 0x2000n), 1);
  t.is(r.dev.curOffset, 2);
  t.is(r.ports.in(0x511, 1), 3);
  t.is(r.dma(0x1000, dmaControl(SELECT | SKIP, r.keys.rw), 4, 0n), 0);
  t.is(r.dma(0x1000, dmaControl(WRITE), 8, 0x2000n), 1, 'runs past the end');
  t.deepEqual(r.dev.fileItem('etc/rw')!.data, new Uint8Array(8));
  t.deepEqual(r.writes, []);
  t.is(r.dma(0x1000, dmaControl(SELECT | SKIP, r.keys.rw), 4, 0n), 0);
  t.is(r.dma(0x1000, dmaControl(WRITE), 4, 0x2000n), 0);
  t.deepEqual(r.dev.fileItem('etc/rw')!.data, Uint8Array.of(0, 0, 0, 0, 9, 9, 9, 9));
  t.deepEqual(r.writes, [['ctx', 4, 4]]);
  t.is(r.dma(0x1000, dmaControl(SELECT | WRITE, r.keys.empty), 1, 0x2000n), 1, 'an empty item cannot be written');
  t.is(r.dma(0x1000, dmaControl(SELECT | WRITE, 0x40), 1, 0x2000n), 1, 'nor an unknown key');
  t.is(r.dma(0x1000, dmaControl(SELECT | READ, 0x40), 8, 0x2000n), 0, 'reading an unknown key zero-fills');
  t.deepEqual(r.memory.read(0x2000, 8), new Uint8Array(8));
});

test('WRITE from a buffer partly outside RAM: the in-RAM bytes and zeros reach the item, with ERROR (QEMU reads straight into it)', (t) => {
  const r = rig();
  r.memory.write(RAM_END - 4, Uint8Array.of(0x11, 0x22, 0x33, 0x44));
  t.is(r.dma(0x1000, dmaControl(SELECT | WRITE, r.keys.rw), 8, BigInt(RAM_END - 4)), 1);
  t.deepEqual(r.dev.fileItem('etc/rw')!.data, Uint8Array.of(0x11, 0x22, 0x33, 0x44, 0, 0, 0, 0));
  t.deepEqual(r.writes, [], 'no callback on error');
});

test('READ targets: ROM refuses (ROM unchanged), straddling the end of RAM writes the RAM part, beyond RAM fails, a fill wraps past 2^64', (t) => {
  const r = rig();
  t.is(r.dma(0x1000, dmaControl(SELECT | READ, 0), 4, 0xf0000n), 1);
  t.deepEqual(r.memory.read(0xf0000, 4), Uint8Array.of(0x5b, 0x5b, 0x5b, 0x5b));
  r.memory.fill(RAM_END - 8, 8, 0x5a);
  t.is(r.dma(0x1000, dmaControl(SELECT | READ, 0), 4, BigInt(RAM_END - 2)), 1);
  t.deepEqual(r.memory.read(RAM_END - 4, 4), Uint8Array.of(0x5a, 0x5a, 0x51, 0x45));
  t.is(r.dma(0x1000, dmaControl(SELECT | READ, 0), 4, 0x2000000000n), 1);
  r.memory.fill(0, 16, 0x3c);
  t.is(r.dma(0x1000, dmaControl(SELECT | READ, 0x40), 16, 0xfffffffffffffff8n), 1);
  t.deepEqual(r.memory.read(0, 16), Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0x3c, 0x3c, 0x3c, 0x3c, 0x3c, 0x3c, 0x3c, 0x3c));
  t.is(r.dma(0x1000, dmaControl(SELECT | READ, 0), 4, (1n << 53n) - 2n), 1, 'past 2^53: unassigned, no exception');
});

test('descriptors: unaligned works; one straddling the end of RAM fails and the status bytes that fit in RAM are stored; one beyond RAM does nothing', (t) => {
  const r = rig();
  t.is(r.dma(0x1003, dmaControl(SELECT | READ, 0), 4, 0x2000n), 0);
  r.memory.write(RAM_END - 8, Uint8Array.of(0, 0, 0, 0x0a, 0, 0, 0, 4));
  r.ports.out(0x518, 4, bswap32(RAM_END - 8));
  t.deepEqual(r.memory.read(RAM_END - 8, 8), Uint8Array.of(0, 0, 0, 1, 0, 0, 0, 4));
  r.memory.fill(RAM_END - 4, 4, 0xee);
  r.ports.out(0x518, 4, bswap32(RAM_END - 2));
  t.deepEqual(r.memory.read(RAM_END - 4, 4), Uint8Array.of(0xee, 0xee, 0, 0), 'the first two bytes of 00 00 00 01');
  r.ports.out(0x514, 4, bswap32(0x20));
  r.ports.out(0x518, 4, bswap32(0x1000));
  t.is(r.dev.dmaAddress, 0n, 'the latch is cleared even so');
});

test('the address latch: high half alone waits, low half ORs and runs, every transfer clears it; invalid widths do nothing', (t) => {
  const r = rig();
  r.memory.write(0x1000, encodeDmaAccess({ control: dmaControl(SELECT | READ, 0), length: 4, address: 0x2000n }));
  r.ports.out(0x514, 4, bswap32(0x12345678));
  t.is(r.dev.dmaAddress, 0x1234567800000000n);
  r.ports.out(0x514, 4, 0);
  t.is(r.dev.dmaAddress, 0n, 'a second high write replaces the first');
  for (const [port, size] of [[0x518, 2], [0x518, 1], [0x516, 4], [0x514, 2]] as const) r.ports.out(port, size, 0x10);
  t.is(r.memory.readU32BE(0x1000), dmaControl(SELECT | READ, 0), 'no transfer');
  r.ports.out(0x514, 4, bswap32(0x20));
  r.dev.reset();
  t.is(r.dev.dmaAddress, 0x2000000000n, 'device reset keeps the latch');
  r.ports.out(0x518, 4, bswap32(0x1000));
  t.is(r.memory.readU32BE(0x1000), dmaControl(SELECT | READ, 0), 'went to 0x20_00001000: nothing');
  r.ports.out(0x518, 4, bswap32(0x1000));
  t.is(r.memory.readU32BE(0x1000), 0, 'latch cleared by the failed transfer; high = 0 now');
});

test('the register reads "QEMU CFG" at every width and offset, whatever is latched', (t) => {
  const r = rig({ mmio: true });
  r.ports.out(0x514, 4, bswap32(0x12345678));
  t.is(r.ports.in(0x514, 4), 0x554d4551);
  t.is(r.ports.in(0x518, 4), 0x47464320);
  t.is(r.ports.in(0x516, 2), 0x554d);
  t.is(r.ports.in(0x516, 4), 0x4320554d);
  t.is(r.ports.in(0x51a, 4), 0xffff4746);
  t.is(r.ports.in(0x51b, 1), 0x47);
  t.deepEqual(r.mmio!.readDmaRegister(), new TextEncoder().encode('QEMU CFG'));
  t.is(r.mmio!.load(0x09020014n, 4), 0x47464320n);
});

test('MMIO: one 64-bit store starts a transfer; so do the two halves, and a lone low half', (t) => {
  const r = rig({ mmio: true });
  const m = r.mmio!;
  const desc = (key: number) => r.memory.write(0x1000, encodeDmaAccess({ control: dmaControl(SELECT | READ, key), length: 4, address: 0x2000n }));
  desc(0);
  m.writeDma64(0x1000n);
  t.is(r.memory.readU32BE(0x1000), 0);
  desc(1);
  m.writeDmaHigh(0);
  m.writeDmaLow(0x1000);
  t.is(r.memory.readU32LE(0x2000), 3);
  desc(0);
  m.store(0x09020014n, 4, BigInt(bswap32(0x1000)));
  t.is(r.memory.readU32BE(0x1000), 0);
  desc(0);
  m.store(0x09020014n, 8, BigInt(bswap32(0x1000)));
  t.is(r.memory.readU32BE(0x1000), 0, 'a writeq at +20 is a valid low-half write plus 4 unassigned bytes');
});

test('DMA SELECT runs select callbacks and keeps the write-channel bit in cur_entry', (t) => {
  const r = rig();
  let calls = 0;
  r.dev.fileItem('etc/ro')!.selectCallback = () => void calls++;
  r.dma(0x1000, dmaControl(SELECT | READ, r.keys.ro | 0x4000), 2, 0x2000n);
  t.is(calls, 1);
  t.deepEqual([r.dev.curEntry, r.dev.curOffset], [r.keys.ro | 0x4000, 2]);
  t.deepEqual(r.memory.read(0x2000, 2), Uint8Array.of(1, 2));
});

test('a transfer of 2 MiB lands in one copy, beyond RAM nothing leaks, and a zero-length transfer touches nothing', (t) => {
  const r = rig();
  const big = Uint8Array.from({ length: 2 << 20 }, (_, i) => i * 7);
  const key = r.dev.addFile('big', big);
  t.is(r.dma(0x1000, dmaControl(SELECT | READ, key), big.length, 0x200000n), 0);
  t.deepEqual(r.memory.view(0x200000, big.length), big);
  r.memory.fill(0x2000, 4, 0xaa);
  t.is(r.dma(0x1000, dmaControl(SELECT | READ, 0), 0, 0x2000n), 0);
  t.is(r.memory.readU32BE(0x2000), 0xaaaaaaaa);
});
