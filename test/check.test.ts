// `fwcfg check -- COMMAND LINE`: the whole story of a user's own VM from a live capture.
// The seed's command line must tell the seed's story (../shared/vectors/README.md): the stale
// loader size, SeaBIOS's fallback, the broken second boot, the refused migration to 5.2;
// plain q35 a clean one.
import test from 'ava';
import { existsSync, mkdtempSync, readdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fwcfg } from './helpers/cli.js';
import { x86FirmwareMissing } from './helpers/qemu.js';


const skip = x86FirmwareMissing('ovmf');
const live = skip === undefined ? test.serial : test.skip;
const suffix = skip === undefined ? '' : ` (skipped: ${skip})`;

const COMMON = ['qemu-system-x86_64', '-nodefaults', '-no-user-config', '-cpu', 'max', '-smp', '1'];

interface BootJson {
  boot: number;
  os: { tables: string; reasons: string[] };
  firmware: { commandsExecuted: number; commandsAvailable: number; loaderBytesRead: number; warnings: string[] } | null;
}
interface StoryJson {
  capture: string | null;
  configuration: { machineType: string; qemuRelease: string };
  creation: { file: string; size: number; sizeAfterBoot: number | null; byQemu: { qemu: string; fits: boolean | null }[] }[];
  firmware: { firmware: string; booted: boolean; boots: BootJson[] }[];
  migration: { to: string; loads: boolean; errorLines: string[] | null }[];
  lint: { findings: { code: string; severity: string }[] };
  errors: number;
}

/** The temporary directory check makes (mkdtemp's six characters): other runs' directories do not count. */
const CHECK_TEMP = /^fwcfg-check-[A-Za-z0-9]{6}$/;

live(`check on the seed's command line tells the seed's story and exits 1${suffix}`, async (t) => {
  t.timeout(240_000);
  const tmp = mkdtempSync(join(tmpdir(), 'fwcfg-check-test-'));
  try {
    const nv = join(tmp, 'nvdimm0.img');
    writeFileSync(nv, new Uint8Array(0));
    truncateSync(nv, 256 << 20);
    // pc-q35-5.2: a machine type every modelled release knows, so each migration is decided by sizes
    const args = [...COMMON, '-machine', 'pc-q35-5.2,nvdimm=on', '-m', 'size=2G,slots=8,maxmem=4G', '-object', `memory-backend-file,id=mem0,mem-path=${nv},size=256M`, '-device', 'nvdimm,label-size=131072,memdev=mem0,id=nvdimm0,slot=1', '-device', 'vmgenid', '-device', 'intel-iommu'];
    const before = new Set(readdirSync(tmpdir()).filter((n) => CHECK_TEMP.test(n)));
    const r = await fwcfg('check', '--json', '--', ...args);
    t.is(r.code, 1, r.stderr);
    t.regex(r.stderr, /check: seabios: first ACPI select etc\/table-loader/, 'progress goes to stderr');
    const s = JSON.parse(r.stdout) as StoryJson;
    t.is(s.capture, null, 'the temporary capture is not kept');
    const leftover = readdirSync(tmpdir()).filter((n) => CHECK_TEMP.test(n) && !before.has(n));
    t.deepEqual(leftover, [], 'and its directory is removed');
    t.is(s.configuration.machineType, 'pc-q35-5.2');

    // creation: the loader is exactly 4 KiB and grows to 8 KiB, past 5.2's maximum
    const loader = s.creation.find((c) => c.file === 'etc/table-loader')!;
    t.is(loader.size, 0x1000);
    t.is(loader.sizeAfterBoot, 0x2000);
    t.deepEqual(
      loader.byQemu.map((q) => [q.qemu, q.fits]),
      [
        ['5.2', false],
        ['6.0', true],
        ['7.2', true],
        ['10.0', true],
        ['11.1', true],
      ],
    );

    // boot 1: SeaBIOS (the command line's) reads the stale 4096 bytes, runs 32 of 34, falls back
    const seabios = s.firmware.find((f) => f.firmware === 'seabios')!;
    t.true(seabios.booted);
    t.is(seabios.boots[0]!.firmware!.commandsExecuted, 32);
    t.is(seabios.boots[0]!.firmware!.commandsAvailable, 34);
    t.is(seabios.boots[0]!.firmware!.loaderBytesRead, 4096);
    t.is(seabios.boots[0]!.os.tables, 'firmware');
    t.true(seabios.boots[0]!.firmware!.warnings.some((w) => /qemu_platform_setup:251/.test(w)));
    // reboots: SeaBIOS's second boot gives broken tables, OVMF's none
    t.deepEqual(
      seabios.boots.map((b) => b.os.tables),
      ['firmware', 'broken', 'broken'],
    );
    const ovmf = s.firmware.find((f) => f.firmware === 'ovmf')!;
    t.deepEqual(
      ovmf.boots.map((b) => b.os.tables),
      ['qemu', 'none', 'none'],
    );

    // migration of the booted VM: 5.2 refuses it with QEMU's own lines
    const to52 = s.migration.find((m) => m.to === '5.2')!;
    t.false(to52.loads);
    t.deepEqual(to52.errorLines, [
      'qemu-system-x86_64: Size too large: /rom@etc/table-loader: 0x2000 > 0x1000: Invalid argument',
      "qemu-system-x86_64: error while loading state for instance 0x0 of device 'ram'",
      'qemu-system-x86_64: load of migration failed: Invalid argument',
    ]);
    t.true(s.migration.filter((m) => m.to !== '5.2').every((m) => m.loads));

    const codes = s.lint.findings.filter((f) => f.severity === 'error').map((f) => f.code);
    for (const c of ['STALE_LOADER_SIZE', 'ROM_MAX', 'REBOOT_BREAKS_TABLES']) t.true(codes.includes(c), c);
    t.is(s.errors, codes.length);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

live(`check on plain q35 is clean: exit 0, QEMU's tables on every boot, every migration loads${suffix}`, async (t) => {
  t.timeout(240_000);
  const out = join(mkdtempSync(join(tmpdir(), 'fwcfg-check-q35-')), 'capture');
  try {
    const r = await fwcfg('check', '--out', out, '--', ...COMMON, '-machine', 'pc-q35-5.2', '-m', '2G');
    t.is(r.code, 0, r.stderr);
    t.true(existsSync(join(out, 'items.json')), '--out keeps the capture');
    t.regex(r.stdout, /SeaBIOS \(the command line boots it\): runs 19 of 19 commands/);
    t.regex(r.stdout, /OVMF +boot 1: QEMU's tables; boot 2: QEMU's tables; boot 3: QEMU's tables/);
    for (const to of ['5.2', '6.0', '7.2', '10.0', '11.1']) t.regex(r.stdout, new RegExp(`to ${to.replace('.', '\\.')}: the stream loads`));
    t.regex(r.stdout, /5\. Lint: 0 errors/);
    // the capture answers again without QEMU, the same way
    const again = await fwcfg('check', out);
    t.is(again.code, 0);
    t.is(again.stdout, r.stdout.replace(/capture kept in .*\n$/, ''));
    // a live boot of the capture's own command line agrees with the model, boot after boot
    const real = await fwcfg('boot-real', '--config', out, '--firmware', 'seabios', '--boots', '2', '--compare');
    t.is(real.code, 0, real.stdout + real.stderr);
    t.notRegex(real.stdout, /DIFF/);
    // a second capture into the same place is refused, one line, exit 2
    const twice = await fwcfg('check', '--out', out, '--', ...COMMON, '-machine', 'q35');
    t.is(twice.code, 2);
    t.regex(twice.stderr, /^fwcfg: check: .* already holds a capture/);
  } finally {
    rmSync(join(out, '..'), { recursive: true, force: true });
  }
});

test('check: usage errors are one line, exit 2, nothing on stdout', async (t) => {
  for (const argv of [['check'], ['check', '--'], ['check', 'a', 'b'], ['check', '--timeout', 'x', '--', 'qemu-system-x86_64'], ['check', '--out', '/tmp/x', 'dir']]) {
    const r = await fwcfg(...argv);
    t.is(r.code, 2, argv.join(' '));
    t.is(r.stdout, '');
    t.regex(r.stderr, /^fwcfg: [^\n]+\n$/, argv.join(' '));
  }
});

live(`a VM of another size (q35, 1 GiB): OVMF's and SeaBIOS's placements move with the top of RAM, as the real boots show${suffix}`, async (t) => {
  t.timeout(300_000);
  const out = join(mkdtempSync(join(tmpdir(), 'fwcfg-check-1g-')), 'capture');
  try {
    const r = await fwcfg('check', '--out', out, '--', ...COMMON, '-machine', 'q35', '-m', '1G');
    t.is(r.code, 0, r.stderr);
    for (const firmware of ['ovmf', 'seabios']) {
      const real = await fwcfg('boot-real', '--config', out, '--firmware', firmware, '--boots', '1', '--compare');
      t.is(real.code, 0, real.stdout + real.stderr);
      t.notRegex(real.stdout, /DIFF/, firmware);
      // the RSDP and every table the OS reaches sit where the real firmware put them, below 1 GiB
      t.regex(real.stdout, /same +tables the OS reaches: model RSDT@0x3f/, firmware);
    }
  } finally {
    rmSync(join(out, '..'), { recursive: true, force: true });
  }
});
