// A VM's life: boots, resets and a migration between them, from the rules (QEMU 7.2 reset
// semantics, the firmware's own selection order), on the shared vectors.
import test from 'ava';
import { mkdtempSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simulateLifecycle, type LifecycleOptions } from '../src/simulate/lifecycle.js';
import { policyFor, releaseOf } from '../src/simulate/options.js';
import { openVector } from '../src/vectors/configuration.js';
import { itemsCaptureFor } from '../src/simulate/captures.js';
import { lintVector } from '../src/lint/lint.js';
import { main } from '../src/cli/main.js';
import { loadVector, ROOT } from './helpers/paths.js';

const fileName = (f: string) => f.replace(/\//g, '_') + '.bin';

function live(config: string, firmware: 'seabios' | 'ovmf', boots: number, extra: Partial<LifecycleOptions> = {}) {
  const v = loadVector(config);
  const items = itemsCaptureFor(v, undefined);
  return { v, ...simulateLifecycle(v, { policy: policyFor('7.2'), hostPageSize: 0x1000, firmware, boots, ...(items ? { items } : {}), ...extra }) };
}

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (s) => void (out += s), err: (s) => void (err += s), outBytes: () => {} });
  return { code, out, err };
}

for (const firmware of ['seabios', 'ovmf'] as const) {
  test(`q35 under ${firmware}: three boots, each rebuilt at the loader's select, the same good tables every time`, (t) => {
    const { report, memories } = live('q35', firmware, 3);
    t.is(report.boots.length, 3);
    t.is(report.stopped, null);
    for (const b of report.boots) {
      t.is(b.rebuiltAt, 'etc/table-loader', `boot ${b.boot}`);
      t.is(b.os.tables, 'qemu', `boot ${b.boot}: ${b.os.reasons.join('; ')}`);
      t.true(b.directory.every((f) => f.selectRebuilds), `boot ${b.boot}: every ACPI select still rebuilds`);
      t.deepEqual(b.directory.map((f) => f.size), report.boots[0]!.directory.map((f) => f.size));
      t.is(b.firmware!.commandsExecuted, 19);
    }
    // byte for byte: every boot leaves the same bytes in every allocation
    const first = report.boots[0]!.firmware!;
    for (let i = 1; i < 3; i++) {
      const fw = report.boots[i]!.firmware!;
      t.deepEqual(fw.allocations.map((a) => [a.file, a.base, a.length]), first.allocations.map((a) => [a.file, a.base, a.length]));
      for (const a of first.allocations) t.deepEqual(memories[i]!.read(a.base, a.length), memories[0]!.read(a.base, a.length), `boot ${i + 1}: ${a.file}`);
    }
  });
}

test("seed under SeaBIOS: boot 1 is the real boot, byte for byte (seabios-memory/)", (t) => {
  const { v, report, memories } = live('seed', 'seabios', 1);
  const after = v.stage('after');
  const b = report.boots[0]!;
  t.is(b.firmware!.commandsExecuted, after.firmware_view!.loader_commands_firmware_could_read);
  t.deepEqual(b.firmware!.allocations.map((a) => [a.file, a.base, a.length]), after.allocations!.map((a) => [a.file, a.base, a.length]));
  for (const a of after.allocations!) {
    t.deepEqual(memories[0]!.read(a.base, a.length), new Uint8Array(readFileSync(join(v.dir, 'seabios-memory', fileName(a.file)))), a.file);
  }
  t.is(b.os.tables, 'firmware', 'SeaBIOS falls back to its own tables');
});

test('seed, boot 2 (from the rules): the loader kept 8192 bytes and lost its trigger; the rebuild comes at the first select of another ACPI file', (t) => {
  for (const firmware of ['seabios', 'ovmf'] as const) {
    const { report } = live('seed', firmware, 2);
    const [b1, b2] = report.boots;
    t.is(b1!.rebuiltAt, 'etc/table-loader');
    const loader = b2!.directory.find((f) => f.name === 'etc/table-loader')!;
    t.is(loader.size, 8192);
    t.false(loader.selectRebuilds);
    t.true(b2!.directory.filter((f) => f.name !== 'etc/table-loader').every((f) => f.selectRebuilds));
    // both firmwares ALLOCATE etc/acpi/rsdp first in the creation loader
    t.is(b2!.rebuiltAt, 'etc/acpi/rsdp', firmware);
    t.is(b2!.firmware!.loaderBytesRead, 8192, `${firmware} reads the whole machine-creation loader, padded`);
    t.is(b2!.firmware!.commandsExecuted, 32);
    t.not(b2!.os.tables, 'qemu', `${firmware}: the creation loader does not fit the rebuilt tables`);
  }
});

/** A capture of spec-vectors/migration (a machine type both releases know), lived from its own release. */
function lived(dir: string, firmware: 'seabios' | 'ovmf', boots: number, extra: Partial<LifecycleOptions> = {}) {
  const v = openVector(join(ROOT, 'spec-vectors', 'migration', dir));
  const items = itemsCaptureFor(v, undefined);
  return simulateLifecycle(v, { policy: policyFor(releaseOf(v)), hostPageSize: 0x1000, firmware, boots, ...(items ? { items } : {}), ...extra }).report;
}

test('migration between boots: the seed (pc-q35-5.2 on 7.2) moved to QEMU 5.2 after boot 1 stops with QEMU 5.2 error lines; to 7.2 it boots on', (t) => {
  const to52 = lived('seed-pc-q35-5.2-on-7.2', 'seabios', 3, { migrateAfter: 1, to: { policy: policyFor('5.2'), hostPageSize: 0x1000 } });
  t.is(to52.boots.length, 1);
  t.false(to52.migration!.loaded);
  t.regex(to52.migration!.errorLines![0]!, /Size too large: \/rom@etc\/table-loader: 0x2000 > 0x1000/);
  t.regex(to52.migration!.errorLines!.at(-1)!, /load of migration failed: Invalid argument/);
  t.regex(to52.stopped!, /migration after boot 1 failed/);
  const to72 = lived('seed-pc-q35-5.2-on-7.2', 'seabios', 3, { migrateAfter: 1, to: { policy: policyFor('7.2'), hostPageSize: 0x1000 } });
  t.is(to72.boots.length, 3);
  t.true(to72.migration!.loaded);
  t.deepEqual(to72.boots.map((b) => b.qemu), ['7.2', '7.2', '7.2']);
  // the destination's own blobs were resized by the stream: its loader lost the trigger too
  t.false(to72.boots[1]!.directory.find((f) => f.name === 'etc/table-loader')!.selectRebuilds);
  // same rules, same outcome as staying on the source
  const stay = lived('seed-pc-q35-5.2-on-7.2', 'seabios', 3);
  t.deepEqual(to72.boots.map((b) => b.os.tables), stay.boots.map((b) => b.os.tables));
});

test('q35 (pc-q35-5.2 on 7.2) migrated to QEMU 5.2 after boot 1 keeps booting with good tables (nothing was resized)', (t) => {
  const r = lived('q35-pc-q35-5.2-on-7.2', 'seabios', 3, { migrateAfter: 1, to: { policy: policyFor('5.2'), hostPageSize: 0x1000 } });
  t.true(r.migration!.loaded);
  t.deepEqual(r.boots.map((b) => [b.qemu, b.os.tables]), [['7.2', 'qemu'], ['5.2', 'qemu'], ['5.2', 'qemu']]);
});

test('the seed (pc-q35-7.2 on 11.1) moved to QEMU 10.0 after boot 1 keeps its SeaBIOS 1.17.0: no ACPI at boot 1, then QEMU\'s tables, the callback kept by both', (t) => {
  const r = lived('seed-pc-q35-7.2-on-11.1', 'seabios', 3, { migrateAfter: 1, to: { policy: policyFor('10.0'), hostPageSize: 0x1000 } });
  t.is(r.firmwareRelease, 'SeaBIOS 1.17.0');
  t.true(r.migration!.loaded);
  t.deepEqual(r.boots.map((b) => [b.qemu, b.os.tables, b.firmware?.commandsExecuted]), [['11.1', 'none', 32], ['10.0', 'qemu', 34], ['10.0', 'qemu', 34]]);
});

test('a VM started with -machine q35 cannot move to another release: each resolves q35 to its own newest type', (t) => {
  const r = live('seed', 'seabios', 3, { migrateAfter: 1, to: { policy: policyFor('5.2'), hostPageSize: 0x1000 } }).report;
  t.deepEqual(r.migration!.errorLines, ["qemu-system-x86_64: Machine type received is 'pc-q35-7.2' and local is 'pc-q35-5.2'", 'qemu-system-x86_64: load of migration failed: Invalid argument']);
  t.is(r.boots.length, 1);
});

test('lint: the seed vector reports the reboot hazard and the boot at which tables break; q35 does not', (t) => {
  const seed = lintVector(loadVector('seed'));
  const lost = seed.findings.filter((f) => f.code === 'REBOOT_LOST_TRIGGER');
  t.is(lost.length, 1);
  t.regex(lost[0]!.message, /^etc\/table-loader: the first rebuild resizes it \(4096 -> 8192 bytes\)/);
  const breaks = seed.findings.filter((f) => f.code === 'REBOOT_BREAKS_TABLES');
  t.deepEqual(breaks.map((f) => f.firmware), [['seabios'], ['ovmf']]);
  t.true(breaks.every((f) => f.severity === 'error' && /boot 2/.test(f.message)));
  const q35 = lintVector(loadVector('q35'));
  t.deepEqual(q35.findings.filter((f) => f.code.startsWith('REBOOT')), []);
});

test('CLI: simulate --boots 2 --json gives {"boots": [...]} with the executors fields per boot; --out writes boot<N>/', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fwcfg-boots-'));
  try {
    const r = await run(['simulate', loadVector('seed').dir, '--firmware', 'seabios', '--boots', '2', '--json', '--out', dir]);
    t.is(r.code, 0, r.err);
    const j = JSON.parse(r.out);
    t.deepEqual(j.boots.map((b: { boot: number }) => b.boot), [1, 2]);
    for (const b of j.boots) {
      for (const k of ['name', 'commandsExecuted', 'loaderBytesRead', 'allocations', 'writePointers', 'rsdp', 'tables', 'warnings']) t.true(k in b.firmware, k);
      t.true(['qemu', 'firmware', 'broken', 'none'].includes(b.os.tables));
    }
    t.is(j.boots[1].firmware.loaderBytesRead, 8192);
    t.true(existsSync(join(dir, 'boot1', 'etc_acpi_tables.bin')));
    t.true(existsSync(join(dir, 'boot2', 'etc_acpi_tables.bin')));
    const text = await run(['simulate', loadVector('seed').dir, '--firmware', 'seabios', '--boots', '2']);
    t.regex(text.out, /Boot 2 \(QEMU 7\.2\): the directory lists .*etc\/table-loader 8192 bytes \(0x2000\) \(its select no longer rebuilds\)/);
    t.regex(text.out, /The OS gets (broken tables|no ACPI tables)/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('CLI: --boots usage errors are one line, exit 2', async (t) => {
  const seed = loadVector('seed').dir;
  for (const [argv, msg] of [
    [['--boots', '0', '--firmware', 'seabios'], /--boots 0: a whole number from 1 to 100/],
    [['--boots', '2', '--firmware', 'none'], /--boots goes with a firmware boot \(--firmware seabios, ovmf, \.\.\.\), not --firmware none/],
    [['--boots', '2', '--firmware', 'seabios', '--migrate-after', '1'], /--migrate-after needs --to/],
    [['--boots', '2', '--firmware', 'seabios', '--migrate-after', '2', '--to', '7.2'], /needs --boots greater than 2/],
  ] as const) {
    const r = await run(['simulate', seed, ...argv]);
    t.is(r.code, 2);
    t.regex(r.err, msg);
    t.is(r.err.trim().split('\n').length, 1);
  }
});

test('migration as created (--migrate-after 0): the first boot is the destination\'s, with the source\'s firmware and no reset before it', (t) => {
  const r = lived('q35-pc-q35-5.2-on-7.2', 'seabios', 2, { migrateAfter: 0, to: { policy: policyFor('5.2'), hostPageSize: 0x1000 } });
  t.deepEqual(r.migration && [r.migration.afterBoot, r.migration.from, r.migration.to, r.migration.loaded, r.migration.destinationCapture], [0, '7.2', '5.2', true, null]);
  t.deepEqual(r.boots.map((b) => [b.qemu, b.os.tables]), [['5.2', 'qemu'], ['5.2', 'qemu']]);
  t.is(r.firmwareRelease, 'SeaBIOS 1.16.2');
});

test('a capture on the destination release is the destination\'s machine: the seed (pc-q35-5.2) moved as created from 5.2 to 7.2 does not abort there (7.2 gives the loader 64 KiB); it keeps SeaBIOS 1.14.0, which never boots again after the reset', (t) => {
  const to = { policy: policyFor('7.2'), hostPageSize: 0x1000 };
  const own = openVector(join(ROOT, 'spec-vectors', 'migration', 'seed-pc-q35-5.2-on-7.2'));
  const r = lived('seed-pc-q35-5.2-on-5.2', 'seabios', 2, { migrateAfter: 0, to: { ...to, capture: own } });
  t.is(r.migration?.destinationCapture, own.name);
  t.is(r.stopped, null);
  t.is(r.firmwareRelease, 'SeaBIOS 1.14.0');
  t.deepEqual(r.boots.map((b) => [b.qemu, b.qemuError, b.rebuiltAt]), [['7.2', null, 'etc/table-loader'], ['7.2', null, null]]);
  t.true(r.boots[0]!.ramblocks.some((b) => b.name === '/rom@etc/table-loader' && b.used === 0x2000 && b.max === 0x10000));
  // the live boots: its own tables, then its reset path loops ("Unable to unlock ram - bridge not found")
  t.deepEqual(r.boots.map((b) => [b.os.tables, b.firmware?.outcome]), [['firmware', 'ran-with-warnings'], ['none', 'hung']]);
  // without it, the 5.2 capture cannot say what 7.2 rebuilds (its QEMU ended at the rebuild): the model stops rather than replay 5.2's abort
  const bare = lived('seed-pc-q35-5.2-on-5.2', 'seabios', 2, { migrateAfter: 0, to });
  t.deepEqual(bare.boots, []);
  t.regex(bare.stopped!, /QEMU 7\.2's rebuild of .* is unknown: its capture's QEMU 5\.2 ended at the rebuild/);
});

test('CLI: --migrate-after 0 migrates as created; --to-capture must be the same machine captured on the --to release', async (t) => {
  const dir = (n: string) => join(ROOT, 'spec-vectors', 'migration', n);
  const ok = await run(['simulate', dir('seed-pc-q35-5.2-on-5.2'), '--firmware', 'seabios', '--boots', '2', '--migrate-after', '0', '--to', '7.2', '--to-capture', dir('seed-pc-q35-5.2-on-7.2')]);
  t.is(ok.code, 0, ok.err);
  t.regex(ok.out, /Migrated as created, before boot 1 from QEMU 5\.2 to a fresh QEMU 7\.2: the stream loads\. Its rebuilds yield .*'s tables \(captured on 7\.2\)\./);
  for (const [argv, msg] of [
    [['--to', '7.2', '--to-capture', dir('seed-pc-q35-5.2-on-5.2')], /--to-capture .*: captured on QEMU 5\.2, the destination is --to 7\.2/],
    [['--to', '7.2', '--to-capture', loadVector('q35').dir], /--to-capture .*: a pc-q35-7\.2 machine, the VM is pc-q35-5\.2/],
  ] as const) {
    const r = await run(['simulate', dir('seed-pc-q35-5.2-on-5.2'), '--firmware', 'seabios', '--boots', '2', '--migrate-after', '0', ...argv]);
    t.is(r.code, 2);
    t.regex(r.err, msg);
    t.is(r.err.trim().split('\n').length, 1);
  }
});

test('SeaBIOS 1.14.0 never boots q35 again after a system reset (its reset path uses the MMCONFIG window the reset closed); on pc, and with later releases, it reboots', (t) => {
  // QEMU 5.2's plain q35 as Debian 11 ships it (SeaBIOS 1.14.0); boot-real --config showed boot 2 never reaching its marker
  const v = openVector(join(ROOT, 'spec-vectors', 'qemu-5.2', 'q35'));
  const q35 = simulateLifecycle(v, { policy: policyFor('5.2'), hostPageSize: 0x1000, firmware: 'seabios', boots: 3 }).report;
  t.is(q35.firmwareRelease, 'SeaBIOS 1.14.0');
  t.deepEqual(q35.boots.map((b) => [b.os.tables, b.firmware?.outcome, b.firmware?.loaderBytesRead, b.rebuiltAt]), [['qemu', 'ran', 4096, 'etc/table-loader'], ['none', 'hung', 0, null], ['none', 'hung', 0, null]]);
  const later = simulateLifecycle(v, { policy: policyFor('5.2'), hostPageSize: 0x1000, firmware: 'seabios@1.16.2', boots: 2 }).report;
  t.deepEqual(later.boots.map((b) => b.os.tables), ['qemu', 'qemu']);
  const pc = simulateLifecycle(loadVector('pc'), { policy: policyFor('7.2'), hostPageSize: 0x1000, firmware: 'seabios@1.14.0', boots: 2 }).report;
  t.deepEqual(pc.boots.map((b) => b.firmware?.outcome === 'hung'), [false, false]);
});
