// The RAM-block machinery on every real capture: sizes, order, rebuild, abort, migration stream, reset.
import test from 'ava';
import { openVector } from '../src/vectors/configuration.js';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { machineFromVector, acpiBlobsFromItems, rebuildStage } from '../src/qemu/from-vector.js';
import { parseQemuVersion, qemuPolicy } from '../src/qemu/version.js';
import { encodeRamSetup, decodeRamSetup, saveMigration, loadMigration } from '../src/qemu/migration.js';
import { simulateRebuild, bootRebuild, guestSelect } from '../src/simulate/rebuild-story.js';
import { migrateCheck } from '../src/simulate/migrate-check.js';
import { loadItemsCapture } from '../src/vectors/items-capture.js';
import { loadVector, vectorConfigs, ROOT } from './helpers/paths.js';

const p72 = qemuPolicy(parseQemuVersion('7.2'));
const p52 = qemuPolicy(parseQemuVersion('5.2'));
const p60 = qemuPolicy(parseQemuVersion('6.0'));
const rows = (r: { name: string; used: number; max: number }[]) => r.map(({ name, used, max }) => ({ name, used, max }));

for (const config of vectorConfigs()) {
  test(`${config}: info ramblock at creation, block for block and in QEMU's order`, (t) => {
    const v = loadVector(config);
    const m = machineFromVector(v, { policy: p72, hostPageSize: 0x1000 });
    t.deepEqual(m.infoRamblock(), rows(v.stage('before').ramblock));
  });

  test(`${config}: after the guest-triggered rebuild, /rom@ blocks, directory sizes and device state equal the capture`, (t) => {
    const v = loadVector(config);
    const stage = rebuildStage(v);
    const r = simulateRebuild(v, { policy: p72, hostPageSize: 0x1000 });
    t.is(r.qemuError, null);
    const rom = (s: string) => rows(v.stage(s).ramblock.filter((b) => b.name.startsWith('/rom@')));
    t.deepEqual(r.ramblocks.before, rom('before'));
    t.deepEqual(r.ramblocks.afterRebuild, rom(stage));
    t.is(r.loader.commandsBefore, v.stage('before').loader.commands);
    t.is(r.loader.commandsAfter, v.stage(stage).loader.commands);
    const dir = v.stage(stage).fw_cfg_directory;
    for (const f of r.directory.afterRebuild!) {
      const rowSize = v.stage(stage).roms.find((x) => x.fw_cfg_file === f.name)?.fw_cfg_size ?? dir.find((d) => d.name === f.name)!.size_at_add;
      t.is(f.size, rowSize, f.name);
    }
    const ds = v.stage(stage).device_state as { acpi_build_patched?: number; fw_cfg?: Record<string, string> } | undefined;
    if (ds?.acpi_build_patched !== undefined) t.is(r.rebuilt ? 1 : 0, config === 'microvm' ? 0 : 1);
    const mr = ds?.fw_cfg;
    if (mr?.['fw_cfg/acpi_mr:linker_mr_size'] !== undefined) {
      t.is(r.directory.afterRebuild!.find((f) => f.name === 'etc/table-loader')!.size, parseInt(mr['fw_cfg/acpi_mr:linker_mr_size'], 16));
    }
  });

  test(`${config}: the migration stream's RAM blocks equal the ones QEMU sent, for every stage`, (t) => {
    const v = loadVector(config);
    for (const stage of v.stageNames) {
      const sent = (v.stage(stage) as { migration?: { ram_blocks: { name: string; used_length: number }[] } }).migration?.ram_blocks;
      if (sent === undefined) continue;
      const m = machineFromVector(v, { policy: p72, hostPageSize: 0x1000, blocksFrom: stage });
      if (stage !== 'before') bootRebuild(m, 'etc/table-loader');
      const s = saveMigration(m);
      t.deepEqual(s.ram.blocks.map((b) => ({ name: b.idstr, used_length: b.usedLength })), sent.map(({ name, used_length }) => ({ name, used_length })), stage);
      t.deepEqual(decodeRamSetup(encodeRamSetup(s.ram)), s.ram);
    }
  });

  test(`${config}: under QEMU 5.2 a 7.2 capture runs only if 5.2 has its machine type, and nothing aborts`, (t) => {
    const v = loadVector(config);
    const lacks = destinationLacks(v.manifest.machine_type);
    if (lacks) {
      const err = t.throws(() => simulateRebuild(v, { policy: p52, hostPageSize: 0x1000 }));
      t.is((err as { code?: string }).code, 'UNSUPPORTED_MACHINE');
    } else t.is(simulateRebuild(v, { policy: p52, hostPageSize: 0x1000 }).qemuError, null);
  });
}

/** pc/q35/virt types newer than 5.2 (microvm has no versions; pc-i440fx-2.2 is older). */
function destinationLacks(type: string): boolean {
  const m = /-(\d+)\.(\d+)$/.exec(type);
  return m !== null && (Number(m[1]) > 5 || (Number(m[1]) === 5 && Number(m[2]) > 2));
}

// the seed started as pc-q35-5.2 on QEMU 7.2 (spec-vectors/migration): a machine type 5.2 has too
const movable = () => openVector(join(ROOT, 'spec-vectors', 'migration', 'seed-pc-q35-5.2-on-7.2'));

test('seed as pc-q35-5.2: under QEMU 5.2 rules the rebuild aborts with the lines the real 5.2 printed', (t) => {
  const r = simulateRebuild(movable(), { policy: p52, hostPageSize: 0x1000 });
  t.is(r.qemuError, readFileSync(join(ROOT, 'spec-vectors', 'qemu-5.2', 'seed', 'qemu-stderr.txt'), 'utf8').trim());
  t.is(r.ramblocks.afterRebuild, null);
  t.deepEqual(r.ramblocks.before.find((b) => b.name === '/rom@etc/table-loader'), { name: '/rom@etc/table-loader', used: 0x1000, max: 0x1000 });
});

test('seed as pc-q35-5.2: on 64 KiB host pages even QEMU 5.2 survives the rebuild (the loader max is one 64 KiB page)', (t) => {
  const r = simulateRebuild(movable(), { policy: p52, hostPageSize: 0x10000 });
  t.is(r.qemuError, null);
  t.deepEqual(r.ramblocks.afterRebuild, [
    { name: '/rom@etc/acpi/tables', used: 0x20000, max: 0x200000 },
    { name: '/rom@etc/table-loader', used: 0x10000, max: 0x10000 },
    { name: '/rom@etc/acpi/rsdp', used: 0x10000, max: 0x10000 },
  ]);
  t.is(r.directory.afterRebuild!.find((f) => f.name === 'etc/table-loader')!.size, 0x2000, 'fw_cfg sees the unaligned size');
});

test('seed as pc-q35-5.2 migrating: 7.2 -> 5.2 after the rebuild fails with the three lines; other pairs load', (t) => {
  const v = movable();
  const base = { fromHostPage: 0x1000, toHostPage: 0x1000, at: 'booted' as const };
  const bad = migrateCheck(v, { ...base, from: p72, to: p52 });
  t.false(bad.loads);
  t.deepEqual(bad.errorLines, [
    'qemu-system-x86_64: Size too large: /rom@etc/table-loader: 0x2000 > 0x1000: Invalid argument',
    "qemu-system-x86_64: error while loading state for instance 0x0 of device 'ram'",
    'qemu-system-x86_64: load of migration failed: Invalid argument',
  ]);
  t.true(migrateCheck(v, { ...base, from: p72, to: p60 }).loads!);
  t.true(migrateCheck(v, { ...base, from: p60, to: p72 }).loads!);
  t.true(migrateCheck(v, { ...base, at: 'creation', from: p72, to: p52 }).loads!, 'before the rebuild the loader is still 0x1000');
  const fromOld = migrateCheck(v, { ...base, from: p52, to: p72 });
  t.regex(fromOld.sourceError!, /Size too large/);
  // a VM started on a 64 KiB-page host cannot go to a 4 KiB one: its RSDP block is 0x10000
  const pages = migrateCheck(v, { ...base, at: 'creation', from: p72, to: p72, fromHostPage: 0x10000 });
  t.deepEqual(pages.errorLines![0], 'qemu-system-x86_64: Size too large: /rom@etc/acpi/rsdp: 0x10000 > 0x1000: Invalid argument');
});

test('migration carries exact sizes (acpi_mr) and ROM pages: the destination serves what the source did', (t) => {
  const v = loadVector('seed');
  const src = machineFromVector(v, { policy: p72, hostPageSize: 0x1000 });
  bootRebuild(src, 'etc/table-loader');
  const stream = saveMigration(src);
  t.deepEqual(stream.acpiMr, { tableMrSize: 0x20000, linkerMrSize: 0x2000, rsdpMrSize: 20 });
  t.is(stream.acpiBuildPatched, 1);
  const dest = machineFromVector(v, { policy: p72, hostPageSize: 0x1000 });
  t.deepEqual(loadMigration(dest, stream), { loaded: true });
  t.is(dest.fileSize('etc/table-loader'), 0x2000);
  t.is(dest.fileSize('etc/acpi/rsdp'), 20);
  t.deepEqual(dest.device.fileItem('etc/table-loader')!.data, src.device.fileItem('etc/table-loader')!.data);
  t.false(dest.selectRebuilds('etc/acpi/tables'), 'patched = 1 came along: no rebuild on the destination');
  const unknown = machineFromVector(loadVector('q35'), { policy: p72, hostPageSize: 0x1000 });
  t.deepEqual((loadMigration(unknown, stream) as { lines: string[] }).lines[0], 'qemu-system-x86_64: Unknown ramblock "mem0", cannot accept migration');
});

test('reset after the resize: exactly what QEMU 7.2 did in state-experiments.json (acpi_resize)', (t) => {
  const v = loadVector('seed');
  const facts = JSON.parse(readFileSync(join(ROOT, 'spec-vectors/fwcfg-device/state-experiments.json'), 'utf8')).acpi_resize;
  const items = loadItemsCapture(join(ROOT, 'spec-vectors/fwcfg-device/seed'));
  const unprogrammed = acpiBlobsFromItems(items.items)!;
  const initial = v.romBytes('before', 'etc/table-loader');
  const sizes = (m: ReturnType<typeof machineFromVector>) => ({ 'etc/table-loader': m.fileSize('etc/table-loader'), 'etc/acpi/tables': m.fileSize('etc/acpi/tables'), 'etc/acpi/rsdp': m.fileSize('etc/acpi/rsdp') });
  const loader = (m: ReturnType<typeof machineFromVector>) => m.device.fileItem('etc/table-loader')!.data!;
  const nonzeroEntries = (b: Uint8Array) => Array.from({ length: b.length / 128 }, (_, i) => b.subarray(i * 128, i * 128 + 128)).filter((e) => e.some((x) => x !== 0)).length;
  const equalsPrefix = (b: Uint8Array, ref: Uint8Array) => b.length >= ref.length && ref.every((x, i) => b[i] === x) && b.subarray(ref.length).every((x) => x === 0);
  for (const [key, firstAfterReset] of [['reset_then_first_select_etc/table-loader', 'etc/table-loader'], ['reset_then_first_select_etc/acpi/tables', 'etc/acpi/tables']] as const) {
    const f = facts[key];
    const m = machineFromVector(v, { policy: p72, hostPageSize: 0x1000, unprogrammed });
    t.deepEqual(sizes(m), f.sizes_initial);
    bootRebuild(m, 'etc/table-loader'); // the experiment enabled PCIEXBAR, then selected the loader
    t.deepEqual(sizes(m), f.sizes_after_PCIEXBAR_on_and_select_loader);
    t.is(nonzeroEntries(loader(m)), f.loader_after_grow.nonzero_entries);
    t.deepEqual(m.romRows(), f.ramblock_after_grow);
    m.systemReset();
    t.is(m.pciexbar, parseInt(f.pciexbar_after_reset, 16));
    guestSelect(m, firstAfterReset);
    const k = `sizes_after_reset_and_select_${firstAfterReset}`;
    t.deepEqual(sizes(m), f[k], k);
    const l = f[`loader_after_reset_and_select_${firstAfterReset}`];
    if (l !== undefined) {
      t.is(loader(m).length, l.bytes);
      t.is(nonzeroEntries(loader(m)), l.nonzero_entries);
      t.is(equalsPrefix(loader(m), initial), l.equals_initial_build);
      t.is(equalsPrefix(loader(m), unprogrammed.loader), l.equals_rebuild_without_MCFG);
    }
    if (firstAfterReset === 'etc/table-loader') {
      guestSelect(m, 'etc/acpi/tables');
      t.deepEqual(sizes(m), f['sizes_after_then_selecting_etc/acpi/tables']);
      const then = f['loader_after_then_selecting_etc/acpi/tables'];
      t.is(nonzeroEntries(loader(m)), then.nonzero_entries);
      t.is(equalsPrefix(loader(m), unprogrammed.loader), then.equals_rebuild_without_MCFG);
    }
  }
});

test('a rebuild on an unprogrammed platform without a capture for it is a typed error, not a guess', (t) => {
  const m = machineFromVector(loadVector('q35-vmgenid'), { policy: p72, hostPageSize: 0x1000 });
  const key = m.device.findFile('etc/acpi/tables')!;
  t.throws(() => m.device.select(key), { message: /no firmware has programmed/ });
});
