// state-experiments.json: what the guest cannot see (cur_entry, cur_offset, dma_addr), after the same operations, on the emulator.
import test from 'ava';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { endpoint, referenceCapture, SHARED_DIR } from './helpers/machines.js';

const experiments = JSON.parse(readFileSync(join(SHARED_DIR, 'state-experiments.json'), 'utf8')) as Record<string, Record<string, unknown>>;

const hex = (n: number | bigint) => '0x' + n.toString(16);

/** The operations behind each named state, as qtest lines (FACTS.md names them). */
const OPS: Record<string, string[]> = {
  after_start: [],
  select_0x19_read_3: ['outw 0x510 0x19', 'inb 0x511', 'inb 0x511', 'inb 0x511'],
  select_0x4019_read_3: ['outw 0x510 0x4019', 'inb 0x511', 'inb 0x511', 'inb 0x511'],
  select_empty_0x0006_read_3: ['outw 0x510 0x6', 'inb 0x511', 'inb 0x511', 'inb 0x511'],
  select_0x0040: ['outw 0x510 0x40'],
  select_0xffff: ['outw 0x510 0xffff'],
  select_0xc019: ['outw 0x510 0xc019'],
  signature_read_10_bytes: ['outw 0x510 0x0', ...Array<string>(10).fill('inb 0x511')],
  dma_write_2_to_signature: ['write 0x200000 0x2 0x1111', 'write 0x100000 0x10 0x00000018000000020000000000200000', 'outl 0x514 0x0', 'outl 0x518 0x00001000'],
  dma_high_only_0x12345678: ['outl 0x514 0x78563412'],
  after_dma_transfer: ['write 0x100000 0x10 0x0019000a000000080000000000200000', 'outl 0x514 0x0', 'outl 0x518 0x00001000'],
};

for (const [name, ops] of Object.entries(OPS)) {
  test(`${name}: ${JSON.stringify(experiments[name])}`, (t) => {
    const ep = endpoint('q35');
    for (const l of ops) t.regex(ep.handle(l), /^OK/);
    const s = ep.machine.device.state();
    t.deepEqual({ cur_entry: hex(s.curEntry), cur_offset: hex(s.curOffset), dma_addr: hex(s.dmaAddress) }, experiments[name]);
  });
}

test('system_reset keeps the latched high half, clears the selection (dma_high_then_system_reset, system_reset_after_select_0x19)', (t) => {
  const ep = endpoint('q35');
  ep.handle('outl 0x514 0x78563412');
  ep.machine.device.reset();
  const s = ep.machine.device.state();
  t.deepEqual({ cur_entry: hex(s.curEntry), cur_offset: hex(s.curOffset), dma_addr: hex(s.dmaAddress) }, experiments['dma_high_then_system_reset']);
  const ep2 = endpoint('q35');
  ep2.handle('outw 0x510 0x19');
  ep2.handle('inb 0x511');
  ep2.machine.device.reset();
  const s2 = ep2.machine.device.state();
  t.deepEqual({ cur_entry: hex(s2.curEntry), cur_offset: hex(s2.curOffset), dma_addr: hex(s2.dmaAddress) }, experiments['system_reset_after_select_0x19']);
  t.is(ep2.handle('inb 0x511'), 'OK 0x0051', 'the first inb after reset gives Q');
});

test('low_only_transfer_after_high_then_reset: the transfer goes to (high << 32 | low) and nothing visible happens', (t) => {
  const ep = endpoint('q35');
  ep.handle('write 0x200000 0x4 0xaaaaaaaa');
  ep.handle('write 0x100000 0x10 0x0019000a000000040000000000200000');
  ep.handle('outl 0x514 0x78563412');
  ep.machine.device.reset();
  ep.handle('outl 0x518 0x00001000');
  const want = experiments['low_only_transfer_after_high_then_reset'] as Record<string, string>;
  t.is(ep.handle('read 0x100000 0x10'), want['descriptor_after']);
  t.is(ep.handle('read 0x200000 0x4'), want['buffer']);
});

test('acpi_resize on seed, reproduced by fwcfg capture --rebuild on the real QEMU: loader 0x1000 -> 0x2000, RAMBlock used 0x2000 of 0x10000', (t) => {
  const want = (experiments['acpi_resize'] as Record<string, Record<string, unknown>>)['reset_then_first_select_etc/table-loader']!;
  const rebuild = referenceCapture('seed').json.rebuild!;
  const sizes = Object.fromEntries(rebuild.directory_after.filter((r) => ['etc/table-loader', 'etc/acpi/tables', 'etc/acpi/rsdp'].includes(r.name)).map((r) => [r.name, r.size]));
  t.deepEqual(sizes, want['sizes_after_PCIEXBAR_on_and_select_loader']);
  const before = Object.fromEntries(rebuild.directory_before!.filter((r) => r.name in sizes).map((r) => [r.name, r.size]));
  t.deepEqual(before, want['sizes_initial']);
  const rom = rebuild.ramblock_after!.filter((r) => r.name.startsWith('/rom@'));
  t.deepEqual(rom, want['ramblock_after_grow']);
  const loader = referenceCapture('seed').rebuilt!.find((r) => r.name === 'etc/table-loader')!.bytes;
  let entries = 0;
  for (let i = 0; i < loader.length; i += 128) if (loader.subarray(i, i + 128).some((b) => b !== 0)) entries++;
  t.is(entries, (want['loader_after_grow'] as { nonzero_entries: number }).nonzero_entries);
});
