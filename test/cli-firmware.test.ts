// `fwcfg simulate --firmware`, `fwcfg exec`, `fwcfg tables`: the contract, the seed's two outcomes, iasl on the tables.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fwcfg } from './helpers/cli.js';
import { QEMU_VECTORS, ROOT } from './helpers/paths.js';

const seed = join(QEMU_VECTORS, 'seed');
const tmp = mkdtempSync(join(tmpdir(), 'fwcfg-fw-'));
const conformance = join(ROOT, 'spec-vectors/firmware-conformance');

test('simulate --firmware seabios on the seed: 32 of 34 commands, no loader RSDP, the firmware falls back', async (t) => {
  const r = await fwcfg('simulate', seed, '--firmware', 'seabios', '--json');
  t.is(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  t.deepEqual(Object.keys(j).filter((k) => ['ramblocks', 'loader', 'qemuError', 'firmware'].includes(k)).sort(), ['firmware', 'loader', 'qemuError', 'ramblocks']);
  t.is(j.qemuError, null);
  const f = j.firmware;
  t.is(f.commandsExecuted, 32);
  t.is(f.commandsAvailable, 34);
  t.is(f.osTablesFromLoader, false);
  t.deepEqual(f.rsdp, { address: 0xf59c0, fromLoader: false });
  t.deepEqual(f.writePointers, [{ destFile: 'etc/vmgenid_addr', offset: 0, size: 8, value: 0x7fffe028, kept: true }]);
  // the real boot's debug console (seed/seabios-debug.log): the loader's warning, then build_srat's two free()s
  t.deepEqual(f.warnings, ['WARNING - internal error detected at qemu_platform_setup:251!', 'WARNING - internal error detected at free:294!', 'WARNING - internal error detected at free:294!']);
  // the firmware's own tables, where the real SeaBIOS put them (seed/seabios-memory/tables/)
  t.deepEqual(
    f.tables.map((x: { signature: string; address: number; source: string }) => `${x.signature}@${x.address.toString(16)}:${x.source}`),
    ['RSDT@7ffdc260', 'FACP@7ffddf60', 'FACS@7ffddf00', 'DSDT@7ffdc2a0', 'SSDT@7ffdd6c0', 'APIC@7ffdd5d0', 'HPET@7ffdd590', 'SRAT@7ffdd4d0', 'MCFG@7ffdd490'].map((s) => `${s}:firmware`),
  );
  t.deepEqual(f.allocations[3], { file: 'etc/acpi/tables', base: 0x7ffde000, length: 131072 });
  for (const k of ['commandsExecuted', 'commandsAvailable', 'allocations', 'writePointers', 'rsdp', 'osTablesFromLoader', 'tables', 'warnings']) t.true(k in f, k);
});

test('simulate --firmware ovmf on the seed: it too reads 4096 bytes, and installs QEMU\'s tables', async (t) => {
  const j = JSON.parse((await fwcfg('simulate', seed, '--firmware', 'ovmf', '--json')).stdout);
  t.is(j.firmware.commandsExecuted, 32);
  t.true(j.firmware.osTablesFromLoader);
  t.is(j.firmware.rsdp.address, 0x7fb7e014);
  t.true(j.firmware.tables.some((x: { signature: string }) => x.signature === 'MCFG'));
});

test('simulate --qemu 5.2 --firmware seabios of the seed as pc-q35-5.2: QEMU aborts at the firmware\'s select, no firmware report', async (t) => {
  const movable = join(ROOT, 'spec-vectors', 'migration', 'seed-pc-q35-5.2-on-7.2');
  const j = JSON.parse((await fwcfg('simulate', movable, '--firmware', 'seabios', '--qemu', '5.2', '--json')).stdout);
  t.regex(j.qemuError, /Size too large: \/rom@etc\/table-loader: 0x2000 > 0x1000: Invalid argument$/);
  t.is(j.firmware, null);
});

test('simulate --out writes each allocated file as <name>.bin, equal to what SeaBIOS left in memory', async (t) => {
  const out = join(tmp, 'seed-out');
  const r = await fwcfg('simulate', seed, '--firmware', 'seabios', '--out', out);
  t.is(r.code, 0, r.stderr);
  t.deepEqual(readdirSync(out).sort(), ['etc_acpi_nvdimm-mem.bin', 'etc_acpi_rsdp.bin', 'etc_acpi_tables.bin', 'etc_vmgenid_guid.bin']);
  for (const f of readdirSync(out)) t.deepEqual(readFileSync(join(out, f)), readFileSync(join(seed, 'seabios-memory', f)), f);
});

test('exec on the corpus baseline script', async (t) => {
  const c = join(conformance, 'baseline');
  const preset = join(tmp, 'preset.bin');
  writeFileSync(preset, Buffer.from('a55aa55aa55aa55a', 'hex'));
  const args = ['exec', join(c, 'loader.bin'), '--file', `etc/acpi/tables=${join(c, 'tables.bin')}`, '--file', `etc/acpi/rsdp=${join(c, 'rsdp.bin')}`, '--file', `etc/fwconf/probe=${join(c, 'etc_fwconf_probe.bin')}`, '--writable', `etc/smi/requested-features=${preset}`];
  const s = JSON.parse((await fwcfg(...args, '--firmware', 'seabios', '--json')).stdout);
  t.deepEqual(s.firmware.allocations.map((a: { file: string; base: number }) => [a.file, a.base]), [
    ['etc/acpi/rsdp', 0xf59e0],
    ['etc/acpi/tables', 0x7ffffe00],
    ['etc/fwconf/probe', 0x7ffffcd0],
  ]);
  t.is(s.writableFiles['etc/smi/requested-features'], 'd0fcff7f00000000');
  const o = JSON.parse((await fwcfg(...args, '--firmware', 'ovmf', '--json')).stdout);
  t.is(o.writableFiles['etc/smi/requested-features'], '00c0bf7f00000000');
  t.deepEqual(o.firmware.tables.map((x: { signature: string }) => x.signature).sort(), ['DSDT', 'FACP', 'FACS', 'RSDT', 'XSDT']);
});

const iasl = (() => {
  try {
    execFileSync('iasl', ['-v'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

(iasl ? test : test.skip)(`tables writes SIG.dat files that iasl -d disassembles${iasl ? '' : ' (skipped: iasl not found; .ci/run installs acpica-tools)'}`, async (t) => {
  const out = join(tmp, 'tables');
  const r = await fwcfg('tables', join(QEMU_VECTORS, 'q35'), '--firmware', 'seabios', '--out', out);
  t.is(r.code, 0, r.stderr);
  const files = readdirSync(out).filter((f) => f.endsWith('.dat')).sort();
  t.deepEqual(files, ['APIC.dat', 'DSDT.dat', 'FACP.dat', 'FACS.dat', 'HPET.dat', 'MCFG.dat', 'RSDT.dat', 'WAET.dat']);
  for (const f of files) {
    execFileSync('iasl', ['-d', f], { cwd: out, stdio: 'ignore' });
    const dsl = readFileSync(join(out, f.replace('.dat', '.dsl')), 'utf8');
    t.regex(dsl, new RegExp(`Signature .*"${f.slice(0, 4)}"`), f);
  }
});
