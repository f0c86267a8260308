// `fwcfg boot-real --firmware uboot` and `fwcfg capture` of a command line that boots U-Boot (`-bios u-boot.rom`).
// Each installed u-boot-qemu image (the host's, each chroot's) names its own Debian build, as dpkg knows it, and a
// version that is not that build is refused. Live, where QEMU and u-boot-qemu are installed: a script on the real
// U-Boot, reported in exec's JSON shape with the F-segment RSDP the recordings show (spec-vectors/uboot); a capture
// of `-bios u-boot.rom` detected as U-Boot of the installed release, whose real boots (two, a system_reset between)
// equal the model's check by check; and on a chroot's QEMU, a capture names that chroot's build from the image QEMU
// loaded and its real boots there equal the model of that build. Skips, saying why, where QEMU, the image or a
// chroot is absent.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FwCfgError } from '../src/errors.js';
import { imageVersion, realFirmwareSpec } from '../src/bootreal/firmware-spec.js';
import { UBOOT_X86_IMAGE, type FirmwareImage } from '../src/qemu/live/firmware-images.js';
import { chrootSkip, wrapper } from './helpers/chroots.js';
import { fwcfg } from './helpers/cli.js';
import { ROOT } from './helpers/paths.js';
import { QEMU_ARM, x86FirmwareMissing } from './helpers/qemu.js';

const CHROOTS = process.env['CHROOT_BASE'] ?? '/var/chroots';
/** The model's record of each suite's build (spec-vectors/uboot/README.md). */
const BUILDS = [
  { suite: 'host', record: 'uboot@2023.01' },
  { suite: 'bullseye', record: 'uboot@2021.01' },
  { suite: 'trixie', record: 'uboot@2025.01' },
  { suite: 'sid', record: 'uboot@2025.01-3.2' },
] as const;
const CORPUS = join(ROOT, 'spec-vectors/firmware-conformance');
const COMMON = ['-nodefaults', '-no-user-config', '-machine', 'q35', '-m', '2G'];

const root = (suite: string) => (suite === 'host' ? '/' : join(CHROOTS, suite));

/** u-boot-qemu's version in a suite's dpkg database (read directly: no chroot needed), or undefined. */
function packaged(suite: string): string | undefined {
  try {
    return execFileSync('dpkg-query', ['--admindir', join(root(suite), 'var/lib/dpkg'), '-W', '-f', '${Version}', 'u-boot-qemu'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() || undefined;
  } catch {
    return undefined;
  }
}

const imageOf = (suite: string): FirmwareImage => {
  const code = join(root(suite), UBOOT_X86_IMAGE);
  return { firmware: 'uboot', code, description: `-bios ${code}` };
};

for (const b of BUILDS) {
  const image = imageOf(b.suite);
  const version = packaged(b.suite);
  const skip = !existsSync(image.code) ? `${image.code} not found` : version === undefined ? `no u-boot-qemu in ${b.suite}'s dpkg database` : undefined;
  const title = `U-Boot's x86 image in ${b.suite} names its Debian build (${b.record}); another version is refused`;
  (skip === undefined ? test : test.skip)(skip === undefined ? title : `${title} (skipped: ${skip})`, (t) => {
    t.is(imageVersion(image), version!);
    t.is(realFirmwareSpec('uboot', image), b.record);
    t.is(realFirmwareSpec(b.record, image), b.record);
    for (const other of BUILDS.filter((x) => x.record !== b.record)) {
      const err = t.throws(() => realFirmwareSpec(other.record, image), { instanceOf: FwCfgError });
      t.is(err?.code, 'FIRMWARE_NOT_INSTALLED');
      t.true(err?.message.includes(`is ${version} (${b.record})`), err?.message);
    }
  });
}

const missing = x86FirmwareMissing('uboot');
const live = missing === undefined ? test.serial : test.skip;
const why = missing === undefined ? '' : ` (skipped: ${missing})`;

live(`live: a script on the real U-Boot, in exec's JSON shape, the RSDP where the recordings put it${why}`, async (t) => {
  t.timeout(240_000);
  const c = join(CORPUS, 'baseline');
  const files = ['rsdp', 'tables'].map((f) => ['--file', `etc/acpi/${f}=${join(c, `${f}.bin`)}`]).flat();
  files.push('--file', `etc/fwconf/probe=${join(c, 'etc_fwconf_probe.bin')}`);
  const out = mkdtempSync(join(tmpdir(), 'fwcfg-uboot-bootreal-'));
  try {
    const r = await fwcfg('boot-real', join(c, 'loader.bin'), ...files, '--firmware', 'uboot', '--json', '--out', out);
    t.is(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout) as { firmware: Record<string, unknown>; writableFiles: Record<string, string>; observed: Record<string, unknown> };
    const model = JSON.parse((await fwcfg('exec', join(c, 'loader.bin'), ...files, '--firmware', 'uboot', '--json')).stdout) as { firmware: Record<string, unknown> };
    t.deepEqual(Object.keys(j.firmware).sort(), Object.keys(model.firmware).sort(), "the firmware object has exec's fields");
    t.deepEqual(Object.keys(j).sort(), ['firmware', 'observed', 'writableFiles', 'written']);
    t.is(j.observed['completed'], true);
    t.is(j.firmware['outcome'], 'ran');
    t.deepEqual(j.firmware['warnings'], []);
    // U-Boot 2023.01's F-segment blobs start after its MP table, as every recorded x86 boot of it shows
    const recorded = JSON.parse(readFileSync(join(ROOT, 'spec-vectors/uboot/2023.01-q35/observed.json'), 'utf8')) as { rsdp: number };
    t.deepEqual(j.firmware['rsdp'], { address: recorded.rsdp, fromLoader: true });
    const tables = (j.firmware['tables'] as { signature: string; source: string }[]).map((x) => `${x.signature}:${x.source}`);
    t.deepEqual(tables, ['RSDT:loader', 'FACP:loader', 'FACS:loader', 'DSDT:loader']);
    const outcome = JSON.parse(readFileSync(join(out, 'outcome.json'), 'utf8')) as { firmware: string; log: { path: string } };
    t.is(outcome.firmware, 'uboot');
    t.is(outcome.log.path, 'serial.log');
    t.regex(readFileSync(join(out, 'serial.log'), 'latin1'), /U-Boot 2023\.01|U-Boot \d{4}\.\d{2}/);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

for (const id of ['allocate-missing-file', 'allocate-align-3']) {
  live(`live: ${id} on the real U-Boot: rejected with the error line U-Boot prints, as the model says${why}`, async (t) => {
    t.timeout(240_000);
    const c = join(CORPUS, id);
    const spec = JSON.parse(readFileSync(join(c, 'case.json'), 'utf8')) as { fw_cfg_files: { fw_cfg_name: string; path: string }[] };
    const files = spec.fw_cfg_files.filter((f) => f.fw_cfg_name !== 'etc/table-loader').flatMap((f) => ['--file', `${f.fw_cfg_name}=${join(c, f.path)}`]);
    const r = await fwcfg('boot-real', join(c, 'loader.bin'), ...files, '--firmware', 'uboot', '--json');
    t.is(r.code, 0, r.stderr);
    const real = (JSON.parse(r.stdout) as { firmware: { outcome: string; warnings: string[] } }).firmware;
    const model = (JSON.parse((await fwcfg('exec', c, '--firmware', 'uboot', '--json')).stdout) as { firmware: { outcome: string; warnings: string[] } }).firmware;
    t.is(real.outcome, 'rejected');
    t.is(real.outcome, model.outcome);
    t.deepEqual(real.warnings, model.warnings);
  });
}

live(`live: a capture of -bios u-boot.rom is U-Boot of the installed build, and its real boots equal the model's${why}`, async (t) => {
  t.timeout(600_000);
  const tmp = mkdtempSync(join(tmpdir(), 'fwcfg-uboot-capture-'));
  const cap = join(tmp, 'capture');
  try {
    const c = await fwcfg('capture', '--out', cap, '--', 'qemu-system-x86_64', ...COMMON, '-bios', UBOOT_X86_IMAGE);
    t.is(c.code, 0, c.stderr);
    const items = JSON.parse(readFileSync(join(cap, 'items.json'), 'utf8')) as { firmware: { booted: string; runs: { firmware: string; stage: string; outcome: string; image: { version: string; versionFrom: string } }[] } };
    t.is(items.firmware.booted, 'uboot');
    const run = items.firmware.runs.find((x) => x.firmware === 'uboot');
    t.is(run?.stage, 'after-uboot');
    t.is(run?.outcome, 'rebuilt');
    t.is(run?.image.version, packaged('host'));
    t.regex(run?.image.versionFrom ?? '', /the image QEMU loaded/);
    const check = await fwcfg('check', cap);
    t.is(check.code, 0, check.stdout + check.stderr);
    t.regex(check.stdout, /U-Boot \(the command line boots it\): runs 19 of 19 commands/);
    const real = await fwcfg('boot-real', '--config', cap, '--firmware', 'uboot', '--boots', '2', '--compare', '--json');
    t.is(real.code, 0, real.stdout + real.stderr);
    const j = JSON.parse(real.stdout) as { firmwareName: string; boots: { firmware: { outcome: string } }[]; comparison: { equal: boolean; checks: { what: string; status: string; detail: string }[] }[] };
    t.deepEqual(Object.keys(j), ['config', 'machineType', 'firmwareName', 'qemu', 'firmwareImage', 'argv', 'vmgenidGuid', 'boots', 'comparison']);
    t.is(j.firmwareName, 'uboot');
    t.deepEqual(j.boots.map((b) => b.firmware.outcome), ['ran', 'ran']);
    for (const b of j.comparison) {
      t.true(b.equal, b.checks.filter((k) => k.status === 'different').map((k) => `${k.what}: ${k.detail}`).join('; '));
      t.true(b.checks.some((k) => k.what === 'tables the OS reaches' && k.status === 'same'));
    }
    // SeaBIOS on the same capture boots SeaBIOS (the command line's -bios left out), as its own rebuild says
    const seabios = await fwcfg('boot-real', '--config', cap, '--firmware', 'seabios', '--compare', '--json');
    t.is(seabios.code, 0, seabios.stdout + seabios.stderr);
    const sj = JSON.parse(seabios.stdout) as { argv: string[]; comparison: { equal: boolean }[] };
    t.false(sj.argv.includes('-bios'));
    t.true(sj.comparison.every((b) => b.equal));
    // a build that is not the installed one: one line, exit 2, nothing on stdout
    const wrong = await fwcfg('boot-real', '--config', cap, '--firmware', 'uboot@2021.01');
    t.is(wrong.code, 2);
    t.is(wrong.stdout, '');
    t.regex(wrong.stderr, /^fwcfg: boot-real: --firmware uboot@2021\.01: the image this boot would load \(\S+u-boot\.rom\) is \S+ \(uboot@\d{4}\.\d{2}\S*\); give an image of uboot@2021\.01 with --image PATH, or leave @VERSION out\n$/);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

const chroot = chrootSkip('trixie') ?? (existsSync(imageOf('trixie').code) ? undefined : `${imageOf('trixie').code} not found`);
const chrootTitle = "live: a capture on trixie's QEMU of -bios u-boot.rom names trixie's U-Boot, read from the image QEMU loaded, and its real boots are the model's";
(chroot === undefined && missing === undefined ? test.serial : test.skip)(chroot === undefined ? chrootTitle : `${chrootTitle} (skipped: ${chroot ?? missing})`, async (t) => {
  t.timeout(600_000);
  const tmp = mkdtempSync(join(tmpdir(), 'fwcfg-uboot-trixie-'));
  try {
    const cap = join(tmp, 'capture');
    // the path is the chroot's own: the host's file of that name is another build
    const c = await fwcfg('capture', '--out', cap, '--', wrapper(tmp, 'trixie', 'qemu-system-x86_64'), ...COMMON, '-bios', UBOOT_X86_IMAGE);
    t.is(c.code, 0, c.stderr);
    const items = JSON.parse(readFileSync(join(cap, 'items.json'), 'utf8')) as { firmware: { booted: string; runs: { firmware: string; image: { version: string } }[] } };
    t.is(items.firmware.booted, 'uboot');
    t.is(items.firmware.runs.find((x) => x.firmware === 'uboot')?.image.version, packaged('trixie'));
    const sim = await fwcfg('simulate', cap, '--firmware', 'uboot');
    t.is(sim.code, 0, sim.stderr);
    t.regex(sim.stdout, /2025\.01-3\+deb13u1/, "the model plays trixie's build");
    // its real boots on trixie's QEMU (the image copied where the chroot sees it) equal the model of that build
    const real = await fwcfg('boot-real', '--config', cap, '--firmware', 'uboot@2025.01', '--image', imageOf('trixie').code, '--boots', '2', '--compare');
    t.is(real.code, 0, real.stdout + real.stderr);
    t.regex(real.stdout, /on QEMU emulator version 10\.0/);
    t.notRegex(real.stdout, /DIFF/);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

const ARM_IMAGE = '/usr/lib/u-boot/qemu_arm64/u-boot.bin';
const armMissing = QEMU_ARM === undefined ? 'qemu-system-aarch64 not installed' : existsSync(ARM_IMAGE) ? undefined : `${ARM_IMAGE} not found (install u-boot-qemu)`;
const armTitle = 'live: a capture of virt with -bios u-boot.bin is U-Boot of the installed build, which never selects an ACPI file';
(armMissing === undefined ? test.serial : test.skip)(armMissing === undefined ? armTitle : `${armTitle} (skipped: ${armMissing})`, async (t) => {
  t.timeout(600_000);
  const tmp = mkdtempSync(join(tmpdir(), 'fwcfg-uboot-virt-'));
  try {
    const cap = join(tmp, 'capture');
    const c = await fwcfg('capture', '--out', cap, '--boot-timeout', '15', '--', 'qemu-system-aarch64', '-nodefaults', '-machine', 'virt', '-cpu', 'max', '-m', '2G', '-bios', ARM_IMAGE);
    t.is(c.code, 0, c.stderr);
    const items = JSON.parse(readFileSync(join(cap, 'items.json'), 'utf8')) as { firmware: { booted: string; runs: { firmware: string; outcome: string; image: { version: string } }[] } };
    t.is(items.firmware.booted, 'uboot');
    const run = items.firmware.runs.find((x) => x.firmware === 'uboot');
    t.is(run?.outcome, 'no-acpi-select');
    t.is(run?.image.version, packaged('host'));
    const check = await fwcfg('check', cap);
    t.regex(check.stdout, /U-Boot \(the command line boots it\): runs no loader/);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
