// The device core against what QEMU 7.2 served: directory bytes, order, item reads, host API errors.
import test from 'ava';
import { join } from 'node:path';
import { FwCfgDevice, FwCfgDeviceError } from '../src/fwcfg/device.js';
import { FW_CFG_FILE_DIR } from '../src/fwcfg/keys.js';
import { loadItemsCapture } from '../src/vectors/items-capture.js';
import { ROOT } from './helpers/paths.js';

const CONFIGS = ['q35', 'pc', 'seed', 'q35-userfiles', 'pc-i440fx-2.0', 'virt'];
const dir = (c: string) => join(ROOT, 'spec-vectors', 'fwcfg-device', c);

function shuffled<T>(xs: T[], seed: number): T[] {
  const a = [...xs];
  let s = seed;
  for (let i = a.length - 1; i > 0; i--) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    const j = s % (i + 1);
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

for (const config of CONFIGS) {
  test(`${config}: files added in any order give QEMU's directory, byte for byte`, (t) => {
    const cap = loadItemsCapture(dir(config));
    const legacy = config === 'pc-i440fx-2.0';
    const files = cap.items.filter((i) => i.kind === 'file');
    for (const seed of [1, 2, 3]) {
      const dev = new FwCfgDevice({ fileSlots: cap.json.file_slots, legacyOrder: legacy });
      // legacy order keeps insertion order only among equal ranks; these all differ
      for (const f of shuffled(files, seed)) dev.addFile(f.name, f.bytes);
      const directory = cap.items.find((i) => i.key === FW_CFG_FILE_DIR)!;
      t.deepEqual(dev.item(FW_CFG_FILE_DIR)!.data, directory.bytes);
      t.deepEqual(
        dev.fileRecords().map((r) => [r.name, r.select]),
        files.map((f) => [f.name, f.key]),
      );
      t.deepEqual(dev.warnings, []);
    }
  });

  test(`${config}: every item reads back through the data register exactly, zeros past the end`, (t) => {
    const cap = loadItemsCapture(dir(config));
    const dev = new FwCfgDevice({ fileSlots: cap.json.file_slots, legacyOrder: config === 'pc-i440fx-2.0' });
    for (const it of cap.items) if (it.kind === 'file') dev.addFile(it.name, it.bytes);
    for (const it of cap.items) if (it.kind !== 'file' && it.key !== FW_CFG_FILE_DIR) dev.addBytes(it.key, it.bytes);
    for (const it of cap.items) {
      dev.select(it.key);
      const got = Uint8Array.from({ length: it.size + 3 }, () => dev.readByte());
      t.deepEqual(got.subarray(0, it.size), it.bytes, it.name);
      t.deepEqual([...got.subarray(it.size)], [0, 0, 0]);
      t.is(dev.curOffset, it.size, 'the offset stops at the end');
    }
  });
}

test('state after selects matches state-experiments.json', (t) => {
  const dev = new FwCfgDevice();
  dev.addBytes(0, new TextEncoder().encode('QEMU'));
  dev.addFile('etc/boot-fail-wait', new Uint8Array(4));
  const s = (key: number, reads: number) => {
    dev.select(key);
    for (let i = 0; i < reads; i++) dev.readByte();
    return [dev.curEntry, dev.curOffset];
  };
  t.deepEqual(s(0x19, 3), [0x19, 3]);
  t.deepEqual(s(0x4019, 3), [0x4019, 3]);
  t.deepEqual(s(0x0006, 3), [0x6, 0]);
  t.deepEqual(s(0x0040, 0), [0xffff, 0]);
  t.deepEqual(s(0xffff, 0), [0xffff, 0]);
  t.deepEqual(s(0xc019, 0), [0xc019, 0]);
  t.deepEqual(s(0x0000, 10), [0, 4]);
  dev.dmaAddress = 0x1234567800000000n;
  dev.reset();
  t.deepEqual(dev.state(), { curEntry: 0, curOffset: 0, dmaAddress: 0x1234567800000000n });
});

test('legacy order: equal ranks keep insertion order; unknown names go last with QEMU\'s warning', (t) => {
  const dev = new FwCfgDevice({ legacyOrder: true, fileSlots: 0x10 });
  dev.addFile('bootorder', new Uint8Array(0));
  dev.addFile('opt/b', new Uint8Array(1));
  dev.addFile('etc/e820', new Uint8Array(20));
  dev.addFile('opt/a', new Uint8Array(1));
  dev.addFile('vgaroms/vgabios.bin', new Uint8Array(2), { order: 70 });
  t.deepEqual(dev.fileRecords().map((r) => r.name), ['etc/e820', 'vgaroms/vgabios.bin', 'bootorder', 'opt/b', 'opt/a']);
  t.deepEqual(dev.warnings, ['qemu-system-x86_64: warning: Unknown firmware file in legacy mode: opt/b', 'qemu-system-x86_64: warning: Unknown firmware file in legacy mode: opt/a']);
});

test('modify_file: new size in the directory, opaque cleared, read-only; absent names are added', (t) => {
  const dev = new FwCfgDevice();
  let seen: unknown = 'never';
  dev.addFile('etc/table-loader', new Uint8Array(0x1000), { selectCallback: (o) => (seen = o), opaque: 'state', readOnly: false });
  dev.select(dev.findFile('etc/table-loader')!);
  t.is(seen, 'state');
  const old = dev.modifyFile('etc/table-loader', new Uint8Array(0x2000));
  t.is(old?.length, 0x1000);
  dev.select(dev.findFile('etc/table-loader')!);
  t.is(seen, null, 'the callback still runs, with a NULL opaque');
  const it = dev.fileItem('etc/table-loader')!;
  t.false(it.allowWrite);
  t.deepEqual(dev.fileRecords(), [{ name: 'etc/table-loader', select: 0x20, size: 0x2000 }]);
  const dir = dev.item(0x19)!.data!;
  t.deepEqual([...dir.subarray(4, 10)], [0, 0, 0x20, 0, 0, 0x20]);
  t.is(dev.modifyFile('bootorder', new Uint8Array(3)), null);
  t.deepEqual(dev.fileRecords().map((r) => [r.name, r.select]), [['bootorder', 0x20], ['etc/table-loader', 0x21]]);
});

test("host API misuse is QEMU's assertion or exit, as a typed error", (t) => {
  const dev = new FwCfgDevice({ fileSlots: 0x10 });
  t.throws(() => dev.modifyFile('x', new Uint8Array(1)), { instanceOf: FwCfgDeviceError, message: /no file directory yet/ });
  dev.addBytes(1, new Uint8Array(4));
  t.throws(() => dev.addBytes(1, new Uint8Array(4)), { instanceOf: FwCfgDeviceError, message: 'add_bytes: key 0x0001 already has data' });
  t.throws(() => dev.addBytes(0x30, new Uint8Array(4)), { instanceOf: FwCfgDeviceError, message: /key 0x0030 is outside the item table \(limit 0x0030\)/ });
  dev.addFile('a'.repeat(60), new Uint8Array(1));
  t.throws(() => dev.addFile('a'.repeat(55) + 'zzz', new Uint8Array(1)), { instanceOf: FwCfgDeviceError, message: `duplicate fw_cfg file name: ${'a'.repeat(55)}` });
  for (let i = 0; i < 15; i++) dev.addFile(`f${i}`, new Uint8Array(1));
  t.throws(() => dev.addFile('one-too-many', new Uint8Array(1)), { instanceOf: FwCfgDeviceError, message: /all 16 file slots are used/ });
  t.throws(() => new FwCfgDevice({ fileSlots: 8 }), { message: '"file_slots" must be at least 0x10' });
  t.throws(() => new FwCfgDevice({ fileSlots: 0x3fe1 }), { message: '"file_slots" must not exceed 0x3fe0' });
});

test('machine-type compat: DMA from 2.5, sorted directory from 2.6 (pc families), 0x20 slots from 2.9; the captures agree', async (t) => {
  const { fwCfgCompat: fwCfgMachineCompat } = await import('../src/qemu/machine-type.js');
  const pick = (m: string) => {
    const c = fwCfgMachineCompat(m);
    return [c.dmaEnabled, c.legacyOrder, c.fileSlots];
  };
  t.deepEqual(pick('pc-i440fx-2.4'), [false, true, 0x10]);
  t.deepEqual(pick('pc-i440fx-2.5'), [true, true, 0x10]);
  t.deepEqual(pick('pc-q35-2.6'), [true, false, 0x10]);
  t.deepEqual(pick('pc-i440fx-2.8'), [true, false, 0x10]);
  t.deepEqual(pick('pc-q35-2.9'), [true, false, 0x20]);
  t.deepEqual(pick('virt-2.8'), [true, false, 0x10]);
  t.deepEqual(pick('q35,nvdimm=on'), [true, false, 0x20]);
  t.deepEqual(fwCfgMachineCompat('pc').version, undefined);
  for (const config of CONFIGS) {
    const cap = loadItemsCapture(dir(config));
    const machineArg = cap.json.argv[cap.json.argv.indexOf('-machine') + 1]!;
    const c = fwCfgMachineCompat(machineArg);
    t.is(c.fileSlots, cap.json.file_slots, config);
    t.is(c.dmaEnabled, (cap.json.id & 2) !== 0, config);
  }
});
