// FwCfgDriver: the SeaBIOS and OVMF idioms over every captured machine, through the guest-visible registers only.
import test from 'ava';
import { FwCfgDevice } from '../src/fwcfg/device.js';
import { FwCfgDriver, FwCfgDriverError, type FwCfgDriverStyle } from '../src/fwcfg/driver.js';
import { FwCfgIoPorts } from '../src/fwcfg/io-ports.js';
import { FW_CFG_FILE_DIR } from '../src/fwcfg/keys.js';
import { AddressSpace } from '../src/memory/address-space.js';
import { GuestMemory } from '../src/memory/guest-memory.js';
import { machineRegisters, type EmulatedMachine } from '../src/qemu/emulated-machine.js';
import { CONFIGS, machine, referenceCapture } from './helpers/machines.js';

function scratchOf(m: EmulatedMachine): number {
  return m.layout === 'io' ? 0x200000 : 0x48000000;
}

function driverFor(config: string, style: FwCfgDriverStyle): { m: EmulatedMachine; d: FwCfgDriver } {
  const m = machine(config, 'reference');
  const d = new FwCfgDriver(machineRegisters(m), m.guestMemory, { style, scratch: scratchOf(m), bounceSize: 0x10000 });
  return { m, d };
}

for (const config of CONFIGS) {
  for (const style of ['seabios', 'ovmf'] as const) {
    if (style === 'seabios' && config === 'virt') continue;
    test(`${config} / ${style}: detects the device and reads every item and file exactly as captured`, (t) => {
      const cap = referenceCapture(config);
      const { d } = driverFor(config, style);
      t.true(d.detect());
      t.is(d.id, cap.json.id);
      t.is(d.dma, (cap.json.id & 2) !== 0);
      const files = cap.items.filter((i) => i.kind === 'file');
      t.deepEqual(
        d.files().map((f) => [f.name, f.select, f.size]),
        files.map((f) => [f.name, f.key, f.size]),
      );
      for (const f of files) t.deepEqual(d.readFile(f.name), f.bytes, f.name);
      for (const it of cap.items.filter((i) => i.kind !== 'file')) t.deepEqual(d.read(it.key, 0, it.size), it.bytes, it.name);
      t.is(d.findFile('no/such/file'), undefined);
    });
  }
}

test('reads at an offset, past the end, and straight into guest memory', (t) => {
  const cap = referenceCapture('q35');
  const tables = cap.items.find((i) => i.name === 'etc/acpi/tables')!;
  for (const style of ['seabios', 'ovmf'] as const) {
    const { m, d } = driverFor('q35', style);
    d.detect();
    t.deepEqual(d.read(tables.key, 0x100, 40), tables.bytes.subarray(0x100, 0x128));
    t.deepEqual(d.read(0x0000, 2, 6), Uint8Array.of(0x4d, 0x55, 0, 0, 0, 0), 'zeros past the end');
    d.readInto(tables.key, 0, tables.size, 0x1000000);
    t.deepEqual(m.guestMemory.view(0x1000000, tables.size), tables.bytes);
  }
});

test('SeaBIOS: a whole read is one DMA with SELECT in the descriptor; OVMF selects by port first', (t) => {
  const sea = driverFor('q35', 'seabios').d;
  const ovmf = driverFor('q35', 'ovmf').d;
  sea.detect();
  ovmf.detect();
  for (const d of [sea, ovmf]) Object.assign(d.stats, { selects: 0, dmaTransfers: 0, dataBytes: 0 });
  sea.read(0x19, 0, 4);
  ovmf.read(0x19, 0, 4);
  t.deepEqual(sea.stats, { selects: 0, dmaTransfers: 1, dataBytes: 0 });
  t.deepEqual(ovmf.stats, { selects: 1, dmaTransfers: 1, dataBytes: 0 });
});

test('SeaBIOS reads the directory once; OVMF re-reads it on every lookup', (t) => {
  for (const [style, second] of [['seabios', 0], ['ovmf', 1]] as const) {
    const { d } = driverFor('q35', style);
    d.detect();
    d.findFile('etc/e820');
    const before = d.stats.dmaTransfers;
    d.findFile('etc/e820');
    t.is(d.stats.dmaTransfers - before > 0 ? 1 : 0, second, style);
  }
});

test('duplicate directory names: SeaBIOS takes the last record, OVMF the first', (t) => {
  const { m } = driverFor('q35', 'ovmf');
  // make record 1 carry the name of record 0 (QEMU itself refuses duplicates; other producers may not)
  const dir = m.device.item(FW_CFG_FILE_DIR)!.data!;
  dir.copyWithin(4 + 64 + 8, 4 + 8, 4 + 64);
  const name = m.device.fileRecords()[0]!.name;
  for (const [style, key] of [['seabios', 0x21], ['ovmf', 0x20]] as const) {
    const d = new FwCfgDriver(machineRegisters(m), m.guestMemory, { style, scratch: 0x200000 });
    d.detect();
    t.is(d.findFile(name)!.select, key, style);
  }
});

test('WRITE_POINTER path: vmgenid_addr written at offset 0 and at an offset, by both idioms', (t) => {
  for (const style of ['seabios', 'ovmf'] as const) {
    const { m, d } = driverFor('seed', style);
    d.detect();
    t.true(d.writeFile('etc/vmgenid_addr', 0, Uint8Array.of(0, 0x10, 0x20, 0, 0, 0, 0, 0)));
    t.true(d.writeFile('etc/vmgenid_addr', 4, Uint8Array.of(1, 0, 0, 0)));
    t.deepEqual(m.device.fileItem('etc/vmgenid_addr')!.data, Uint8Array.of(0, 0x10, 0x20, 0, 1, 0, 0, 0));
    t.false(d.writeFile('etc/nothing', 0, Uint8Array.of(1)));
  }
});

test('writes to read-only items: SeaBIOS never notices the error, OVMF asserts', (t) => {
  const sea = driverFor('q35', 'seabios');
  sea.d.detect();
  sea.d.writeFile('etc/boot-fail-wait', 0, Uint8Array.of(1, 2, 3, 4));
  t.deepEqual(sea.m.device.fileItem('etc/boot-fail-wait')!.data, referenceCapture('q35').items.find((i) => i.name === 'etc/boot-fail-wait')!.bytes);
  const ovmf = driverFor('q35', 'ovmf');
  ovmf.d.detect();
  t.throws(() => ovmf.d.writeFile('etc/boot-fail-wait', 0, Uint8Array.of(1)), { instanceOf: FwCfgDriverError, code: 'DMA_ERROR' });
});

test('SMI feature negotiation through the driver, as OVMF does it', (t) => {
  const { d } = driverFor('q35', 'ovmf');
  d.detect();
  t.deepEqual(d.readFile('etc/smi/supported-features'), Uint8Array.of(7, 0, 0, 0, 0, 0, 0, 0));
  // selecting features-ok runs the negotiation before the byte is read: an empty request is valid and locks
  t.deepEqual(d.readFile('etc/smi/features-ok'), Uint8Array.of(1));
  const fresh = driverFor('q35', 'ovmf');
  fresh.d.detect();
  fresh.d.writeFile('etc/smi/requested-features', 0, Uint8Array.of(8, 0, 0, 0, 0, 0, 0, 0));
  t.deepEqual(fresh.d.readFile('etc/smi/features-ok'), Uint8Array.of(0), 'bit 3 is not supported');
  fresh.d.writeFile('etc/smi/requested-features', 0, Uint8Array.of(2, 0, 0, 0, 0, 0, 0, 0));
  t.deepEqual(fresh.d.readFile('etc/smi/features-ok'), Uint8Array.of(0), 'CPU hotplug needs broadcast');
  fresh.d.writeFile('etc/smi/requested-features', 0, Uint8Array.of(3, 0, 0, 0, 0, 0, 0, 0));
  t.deepEqual(fresh.d.readFile('etc/smi/features-ok'), Uint8Array.of(1));
  t.is(fresh.m.behaviours.smi!.negotiated, 3n);
  fresh.d.writeFile('etc/smi/requested-features', 0, Uint8Array.of(8, 0, 0, 0, 0, 0, 0, 0));
  t.deepEqual(fresh.d.readFile('etc/smi/features-ok'), Uint8Array.of(1), 'locked');
});

test('no DMA (pc-i440fx-2.0): reads by port; SeaBIOS cannot write, OVMF writes bytes QEMU ignores', (t) => {
  const sea = driverFor('pc-i440fx-2.0', 'seabios');
  t.true(sea.d.detect());
  t.false(sea.d.dma);
  t.throws(() => sea.d.write(0x20, 0, Uint8Array.of(1)), { code: 'NO_DMA_WRITE' });
  const ovmf = driverFor('pc-i440fx-2.0', 'ovmf');
  ovmf.d.detect();
  const before = ovmf.m.device.fileItem('etc/boot-fail-wait')!.data!.slice();
  ovmf.d.writeFile('etc/boot-fail-wait', 0, Uint8Array.of(1, 2, 3, 4));
  t.deepEqual(ovmf.m.device.fileItem('etc/boot-fail-wait')!.data, before);
});

test('no device: a signature mismatch means absent; OVMF also treats ID 0 as absent', (t) => {
  const memory = GuestMemory.flat(0x100000);
  const empty = new FwCfgDevice();
  const ports = new FwCfgIoPorts(empty, { bus: new AddressSpace('memory', { memory }) });
  t.false(new FwCfgDriver(ports, memory, { style: 'seabios', scratch: 0x1000 }).detect());
  const noId = new FwCfgDevice();
  noId.addBytes(0, Uint8Array.of(0x51, 0x45, 0x4d, 0x55));
  noId.addI32(1, 0);
  const p2 = new FwCfgIoPorts(noId, { bus: new AddressSpace('memory', { memory }) });
  t.false(new FwCfgDriver(p2, memory, { style: 'ovmf', scratch: 0x1000 }).detect());
  t.true(new FwCfgDriver(p2, memory, { style: 'seabios', scratch: 0x1000 }).detect());
  t.throws(() => new FwCfgDriver(p2, memory, { style: 'seabios', scratch: 0x1000 }).files(), { code: 'NO_FWCFG' });
});

test('SeaBIOS trusting the ID bit on a machine without the DMA register would wait forever: a typed error instead', (t) => {
  const memory = GuestMemory.flat(0x100000);
  const dev = new FwCfgDevice({ dmaEnabled: true });
  dev.addBytes(0, Uint8Array.of(0x51, 0x45, 0x4d, 0x55));
  dev.addI32(1, 3);
  dev.addFile('a', Uint8Array.of(1));
  const ports = new FwCfgIoPorts(dev); // no bus: 0x514-0x51b unassigned
  const d = new FwCfgDriver(ports, memory, { style: 'seabios', scratch: 0x1000 });
  t.true(d.detect());
  t.throws(() => d.files(), { code: 'DMA_STUCK' });
  t.throws(() => new FwCfgDriver(ports, memory, { style: 'seabios', scratch: 0x200000 }), { code: 'UNMAPPED' });
});
