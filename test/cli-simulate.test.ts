// `fwcfg simulate --firmware none` and `fwcfg migrate-check`: the CLI contract.
import test from 'ava';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fwcfg } from './helpers/cli.js';
import { loadVector, QEMU_VECTORS, ROOT, vectorConfigs } from './helpers/paths.js';

const seed = join(QEMU_VECTORS, 'seed');

test('simulate --json keeps the contract fields, equal to the capture for every vector', async (t) => {
  for (const config of vectorConfigs()) {
    const r = await fwcfg('simulate', join(QEMU_VECTORS, config), '--firmware', 'none', '--json');
    t.is(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    const v = loadVector(config);
    const rom = (s: string) => v.stage(s).ramblock.filter((b) => b.name.startsWith('/rom@')).map(({ name, used, max }) => ({ name, used, max }));
    t.deepEqual(j.ramblocks.before, rom('before'));
    t.deepEqual(j.ramblocks.afterRebuild, rom(v.hasStage('after') ? 'after' : v.stageNames[1]!));
    t.deepEqual(Object.keys(j.loader).slice(0, 2), ['commandsBefore', 'commandsAfter']);
    t.is(typeof j.loader.commandsBefore, 'number');
    t.is(j.qemuError, null);
  }
});

test('simulate on QEMU 5.2\'s own capture of the seed: the exact lines QEMU printed', async (t) => {
  const seed52 = join(ROOT, 'spec-vectors', 'qemu-5.2', 'seed');
  const r = await fwcfg('simulate', seed52, '--firmware', 'none', '--json');
  const j = JSON.parse(r.stdout);
  // what the real QEMU 5.2 printed (spec-vectors/qemu-5.2/seed, Debian's build)
  t.is(j.qemuError, readFileSync(join(seed52, 'qemu-stderr.txt'), 'utf8').trim());
  const text = await fwcfg('simulate', seed52, '--firmware', 'none');
  t.regex(text.stdout, /aborts \(as the live QEMU did when the capture was taken\):\n {4}Unexpected error in qemu_ram_resize\(\) at ..\/..\/softmmu\/physmem.c:1766:/);
});

test('simulate --qemu of a release without the capture\'s machine type is refused, naming both', async (t) => {
  const r = await fwcfg('simulate', seed, '--firmware', 'none', '--qemu', '5.2');
  t.is(r.code, 2);
  t.is(r.stdout, '');
  t.is(r.stderr, 'fwcfg: simulate: seed is a pc-q35-7.2 machine, which QEMU 5.2 does not have (it has pc-q35-2.4 to pc-q35-5.2); capture the configuration on that release to model it there\n');
});

test('simulate --reset tells what a rebooted guest reads', async (t) => {
  const r = await fwcfg('simulate', seed, '--firmware', 'none', '--reset');
  t.is(r.code, 0);
  t.regex(r.stdout, /select etc\/table-loader: no rebuild; the loader is 8192 bytes \(0x2000\), 32 commands \(the machine-creation loader, zero-padded\)/);
  t.regex(r.stdout, /no firmware: the guest selects the loader, then the tables:\n.*\n {4}select etc\/acpi\/tables: QEMU rebuilds; the loader is 4096 bytes \(0x1000\), 32 commands/);
  const j = JSON.parse((await fwcfg('simulate', seed, '--firmware', 'none', '--reset', '--json')).stdout);
  t.deepEqual(j.reset.files.map((f: { name: string; selectRebuilds: boolean }) => [f.name, f.selectRebuilds]), [
    ['etc/acpi/tables', true],
    ['etc/table-loader', false],
    ['etc/acpi/rsdp', true],
  ]);
});

test('migrate-check: the prediction is the result (exit 0 either way)', async (t) => {
  // the seed started as pc-q35-5.2 on QEMU 7.2 (spec-vectors/migration): a machine type 5.2 knows too
  const movable = join(ROOT, 'spec-vectors', 'migration', 'seed-pc-q35-5.2-on-7.2');
  const bad = await fwcfg('migrate-check', movable, '--from', '7.2', '--to', '5.2');
  t.is(bad.code, 0);
  t.is(
    bad.stdout,
    "pc-q35-5.2: migration after the guest-triggered rebuild from QEMU 7.2 to 5.2 would fail; the destination prints:\n  qemu-system-x86_64: Size too large: /rom@etc/table-loader: 0x2000 > 0x1000: Invalid argument\n  qemu-system-x86_64: error while loading state for instance 0x0 of device 'ram'\n  qemu-system-x86_64: load of migration failed: Invalid argument\n",
  );
  const ok = await fwcfg('migrate-check', movable, '--from', '7.2', '--to', '6.0');
  t.is(ok.code, 0);
  t.is(ok.stdout, 'pc-q35-5.2: migration after the guest-triggered rebuild from QEMU 7.2 to 6.0 would load.\n');
  const j = JSON.parse((await fwcfg('migrate-check', movable, '--from', '7.2', '--to', '5.2', '--json')).stdout);
  t.false(j.loads);
  t.is(j.errorLines.length, 3);
  // `-machine q35` means each release's own newest type: the stream's is refused
  const alias = JSON.parse((await fwcfg('migrate-check', seed, '--from', '7.2', '--to', '5.2', '--json')).stdout);
  t.deepEqual(alias.errorLines, ["qemu-system-x86_64: Machine type received is 'pc-q35-7.2' and local is 'pc-q35-5.2'", 'qemu-system-x86_64: load of migration failed: Invalid argument']);
});

test('bad input: one line, exit 2', async (t) => {
  const cases: [string[], RegExp][] = [
    [['simulate', '/nonexistent', '--firmware', 'none'], /^fwcfg: simulate: \/nonexistent: no such directory \(a vector or capture\)\n$/],
    [['simulate', seed, '--firmware', 'none', '--qemu', 'six'], /^fwcfg: simulate: --qemu six: QEMU version "six" is not major\.minor/],
    [['simulate', seed, '--firmware', 'none', '--host-page', '8192'], /^fwcfg: simulate: --host-page 8192: a host page size in bytes: 4096 or 65536\n$/],
    [['simulate', seed, '--firmware', 'seabios@1.15.0'], /^fwcfg: simulate: --firmware seabios@1\.15\.0: seabios 1\.15\.0 is not modelled \(modelled: seabios@1\.14\.0, seabios@1\.16\.2, seabios@1\.16\.3, seabios@1\.17\.0\)\n$/],
    [['simulate', seed, '--firmware', 'bochs'], /^fwcfg: simulate: --firmware bochs: use none, seabios, ovmf, uboot, optionally NAME@VERSION \(seabios@1\.14\.0, seabios@1\.16\.2, /],
    [['migrate-check', seed, '--from', '7.2'], /^fwcfg: migrate-check: --to <VERSION> is required \(usage: fwcfg migrate-check \[options\] <DIR>\)\n$/],
    [['migrate-check', seed, '--from', '7.2', '--to', '5.2', '--at', 'later'], /--at later: use creation, booted/],
    [['simulate', QEMU_VECTORS, '--firmware', 'none'], /qemu-7\.2: neither a QEMU vector \(manifest\.json\) nor a capture \(items\.json\)/],
  ];
  for (const [argv, re] of cases) {
    const r = await fwcfg(...argv);
    t.is(r.code, 2, argv.join(' '));
    t.regex(r.stderr, re);
    t.is(r.stderr.split('\n').length, 2, 'one line');
  }
});

test('--place that cannot mean anything on the machine is refused: outside its RAM, a file the loader never allocates, past 2^52', async (t) => {
  const q35 = join(QEMU_VECTORS, 'q35');
  const cases: [string, RegExp][] = [
    ['etc/acpi/tables=0x100000000', /^fwcfg: simulate: --place etc\/acpi\/tables=0x100000000: \[0x100000000, 0x100020000\) is not inside pc-q35-7\.2's RAM \(\[0x0, 0x80000000\)\)\n$/],
    ['etc/nope=0x1000', /^fwcfg: simulate: --place etc\/nope=0x1000: the loader never ALLOCATEs "etc\/nope" \(it allocates etc\/acpi\/rsdp, etc\/acpi\/tables\)\n$/],
    ['etc/acpi/tables=0x10000000000000000', /^fwcfg: simulate: --place etc\/acpi\/tables=0x10000000000000000: 0x10000000000000000 is past 2\^64: no guest-physical address\n$/],
    ['etc/acpi/tables=0x7ffde000x', /^fwcfg: simulate: --place etc\/acpi\/tables=0x7ffde000x: ADDR is a guest-physical address, decimal or 0x hex/],
  ];
  for (const [place, message] of cases) {
    const r = await fwcfg('simulate', q35, '--firmware', 'seabios', '--place', place);
    t.is(r.code, 2, place);
    t.is(r.stdout, '');
    t.regex(r.stderr, message);
  }
  // a pin inside RAM still works, and the file lands there
  const ok = await fwcfg('simulate', q35, '--firmware', 'seabios', '--place', 'etc/acpi/tables=0x7f000000', '--json');
  t.is(ok.code, 0, ok.stderr);
  t.is((JSON.parse(ok.stdout) as { firmware: { allocations: { file: string; base: number }[] } }).firmware.allocations.find((a) => a.file === 'etc/acpi/tables')!.base, 0x7f000000);
});

test('careless invocations get one line in our voice: a dash value, a missing value, --select of no file, lint --file with a directory, no command at all', async (t) => {
  const seed = join(QEMU_VECTORS, 'seed');
  const cases: [string[], RegExp][] = [
    [['simulate', seed, '--firmware', 'seabios', '--boots', '-1'], /^fwcfg: simulate: --boots -1: a whole number from 1 to 100\n$/],
    [['simulate', seed, '--firmware'], /^fwcfg: simulate: --firmware needs a value \(--firmware <NAME>\)\n$/],
    [['simulate', seed, '--firmware', 'none', '--select', 'etc/nope'], /^fwcfg: simulate: --select etc\/nope: seed serves no such fw_cfg file \(its files: .*etc\/table-loader.*\)\n$/],
    [['lint', seed, '--file', `a=${join(seed, 'manifest.json')}`], /^fwcfg: lint: --file goes with a loader file, not with a directory/],
  ];
  for (const [argv, message] of cases) {
    const r = await fwcfg(...argv);
    t.is(r.code, 2, argv.join(' '));
    t.is(r.stdout, '', argv.join(' '));
    t.regex(r.stderr, message, argv.join(' '));
  }
  const none = await fwcfg();
  t.is(none.code, 2);
  t.is(none.stdout, '');
  t.regex(none.stderr, /^Usage: fwcfg \[options\] \[command\]\n/);
  const help = await fwcfg('--help');
  t.is(help.code, 0);
  t.regex(help.stdout, /^Usage: fwcfg \[options\] \[command\]\n/);
});
