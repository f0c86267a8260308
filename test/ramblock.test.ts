// RamBlock and RamList: qemu_ram_resize's paths and texts, in-place storage, QEMU's list order.
import test from 'ava';
import { RamBlock, RamBlockError } from '../src/memory/ram-block.js';
import { RamList } from '../src/memory/ram-list.js';

const msg = (fn: () => void) => t_err(fn)?.message;
function t_err(fn: () => void): RamBlockError | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof RamBlockError) return err;
    throw err;
  }
  return undefined;
}

test('sizes are host-page aligned; the unaligned size is kept separately', (t) => {
  const b = new RamBlock({ idstr: '/rom@etc/acpi/rsdp', size: 20, maxSize: 0x1000 });
  t.is(b.usedLength, 0x1000);
  t.is(b.maxLength, 0x1000);
  t.is(b.unalignedSize, 20);
  const big = new RamBlock({ idstr: '/rom@etc/acpi/rsdp', size: 20, maxSize: 0x1000, hostPageSize: 0x10000 });
  t.is(big.usedLength, 0x10000);
  t.is(big.maxLength, 0x10000);
});

test('resize within max: in place, same buffer, callback with the unaligned size', (t) => {
  const calls: [string, number][] = [];
  const b = new RamBlock({ idstr: '/rom@etc/table-loader', size: 0x1000, maxSize: 0x10000, resized: (id, n) => void calls.push([id, n]) });
  const storage = b.storage;
  b.bytes()[0] = 0x42;
  b.resize(0x2000);
  t.is(b.usedLength, 0x2000);
  t.is(b.storage, storage, 'no reallocation');
  t.is(b.bytes()[0], 0x42, 'nothing lost, nothing copied');
  b.resize(0x1000);
  t.is(b.usedLength, 0x1000);
  t.deepEqual(calls, [
    ['/rom@etc/table-loader', 0x2000],
    ['/rom@etc/table-loader', 0x1000],
  ]);
});

test('bytes past a shrink survive a regrow, as in QEMU\'s reserved host memory', (t) => {
  const b = new RamBlock({ idstr: 'x', size: 0x2000, maxSize: 0x10000 });
  b.bytes()[0x1800] = 0x5a;
  b.resize(0x1000);
  t.is(b.bytes().length, 0x1000);
  b.resize(0x2000);
  t.is(b.bytes()[0x1800], 0x5a);
});

test('same aligned size: only the unaligned size changes (QEMU >= 5.0 notifies, earlier did nothing)', (t) => {
  const calls: number[] = [];
  const b = new RamBlock({ idstr: 'x', size: 20, maxSize: 0x1000, resized: (_i, n) => void calls.push(n) });
  b.resize(36);
  b.resize(36);
  t.deepEqual(calls, [36]);
  t.is(b.unalignedSize, 36);
  t.is(b.usedLength, 0x1000);
  const old = new RamBlock({ idstr: 'x', size: 20, maxSize: 0x1000, notifyUnalignedResize: false, resized: () => t.fail() });
  old.resize(36);
  t.is(old.unalignedSize, 20);
});

test("errors: QEMU >= 5.2 wording and earlier wording, byte for byte, with ': Invalid argument'", (t) => {
  const loader = new RamBlock({ idstr: '/rom@etc/table-loader', size: 0x1000, maxSize: 0x1000 });
  t.is(msg(() => loader.resize(0x2000)), 'Size too large: /rom@etc/table-loader: 0x2000 > 0x1000: Invalid argument');
  t.is(t_err(() => loader.resize(0x2000))?.code, 'SIZE_TOO_LARGE');
  const fixed = new RamBlock({ idstr: 'pc.ram', size: 0x80000000 });
  t.is(msg(() => fixed.resize(0x40000000)), 'Size mismatch: pc.ram: 0x40000000 != 0x80000000: Invalid argument');
  const oldLoader = new RamBlock({ idstr: '/rom@etc/table-loader', size: 0x1000, maxSize: 0x1000, messages: 'length' });
  t.is(msg(() => oldLoader.resize(0x1001)), 'Length too large: /rom@etc/table-loader: 0x2000 > 0x1000: Invalid argument');
  const oldFixed = new RamBlock({ idstr: 'pc.ram', size: 0x1000, messages: 'length' });
  t.is(msg(() => oldFixed.resize(0x2000)), 'Length mismatch: pc.ram: 0x2000 in != 0x1000: Invalid argument');
  t.is(loader.usedLength, 0x1000, 'a failed resize changes nothing');
});

test('a fixed 2 GiB block costs nothing until its bytes are used', (t) => {
  const ram = new RamBlock({ idstr: 'pc.ram', size: 2 ** 31 });
  t.is(ram.usedLength, 2 ** 31);
  ram.resize(2 ** 31);
  t.pass();
});

test('RamList keeps max_length descending, creation order among equals', (t) => {
  const l = new RamList();
  for (const [id, max] of [['a', 0x1000], ['big', 0x200000], ['b', 0x1000], ['mid', 0x10000]] as const) l.add(new RamBlock({ idstr: id, size: 0x1000, maxSize: max }));
  t.deepEqual(l.rows().map((r) => r.name), ['big', 'mid', 'a', 'b']);
  t.throws(() => l.add(new RamBlock({ idstr: 'a', size: 1 })), { message: 'RAMBlock "a" already registered, abort!' });
});
