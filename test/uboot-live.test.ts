// Real U-Boot, live: Debian's u-boot-qemu booted on the QEMU of its own Debian release (the host's
// 2023.01 on QEMU 7.2; 2021.01, 2025.01 and sid's 2025.01 build through the bullseye, trixie and sid
// chroots), on q35 (u-boot.rom) and virt (u-boot.bin), observed from outside
// (src/bootreal/uboot-real.ts) and held to the model check by check, as the recordings are
// (test/uboot-ground-truth.test.ts). Skips, saying why, where a QEMU, an image or a chroot is absent.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compareWithModel } from '../src/bootreal/uboot-compare.js';
import { loadUbootObservation, writeUbootObservation } from '../src/bootreal/uboot-observation.js';
import { bootUbootReal } from '../src/bootreal/uboot-real.js';
import { upstreamRelease } from '../src/firmware/records/index.js';
import { chrootSkip, RUN_IN, wrapper } from './helpers/chroots.js';
import { QEMU_ARM, QEMU_X86 } from './helpers/qemu.js';

const CHROOTS = process.env['CHROOT_BASE'] ?? '/var/chroots';
const IMAGE = { x86_64: '/usr/lib/u-boot/qemu-x86_64/u-boot.rom', aarch64: '/usr/lib/u-boot/qemu_arm64/u-boot.bin' } as const;
const BUILDS = [
  { suite: 'host', release: '2023.01' },
  { suite: 'bullseye', release: '2021.01' },
  { suite: 'trixie', release: '2025.01' },
  { suite: 'sid', release: '2025.01' },
] as const;
const TARGETS = [
  { machine: 'q35', arch: 'x86_64', binary: 'qemu-system-x86_64', pkg: 'qemu-system-x86' },
  { machine: 'virt', arch: 'aarch64', binary: 'qemu-system-aarch64', pkg: 'qemu-system-arm' },
] as const;

/** Why this build cannot boot here on this target, or undefined. */
function skipReason(suite: string, arch: 'x86_64' | 'aarch64'): string | undefined {
  if (suite === 'host') {
    if ((arch === 'x86_64' ? QEMU_X86 : QEMU_ARM) === undefined) return `qemu-system-${arch} not installed`;
    return existsSync(IMAGE[arch]) ? undefined : `${IMAGE[arch]} not found (install u-boot-qemu)`;
  }
  const chroot = chrootSkip(suite);
  if (chroot !== undefined) return chroot;
  return existsSync(join(CHROOTS, suite, IMAGE[arch])) ? undefined : `no ${IMAGE[arch]} in the ${suite} chroot (run-in ${suite} apt-get install -y u-boot-qemu)`;
}

function packages(suite: string, names: string[]): Record<string, string> {
  const [cmd, ...pre] = suite === 'host' ? ['dpkg-query'] : [RUN_IN, suite, 'dpkg-query'];
  let text: string;
  try {
    text = execFileSync(cmd!, [...pre, '-W', '-f', '${Package} ${Version}\n', ...names], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch (err) {
    text = (err as { stdout?: string }).stdout ?? '';
  }
  return Object.fromEntries(text.trim().split('\n').filter(Boolean).map((l) => l.split(' ') as [string, string]));
}

for (const b of BUILDS) {
  for (const target of TARGETS) {
    const skip = skipReason(b.suite, target.arch);
    const title = `live: U-Boot ${b.release} (${b.suite}) on ${target.machine}: the real boot is the model's, check by check`;
    (skip === undefined ? test.serial : test.skip)(skip === undefined ? title : `${title} (skipped: ${skip})`, async (t) => {
      t.timeout(180_000);
      const tmp = mkdtempSync(join(tmpdir(), 'fwcfg-uboot-live-'));
      try {
        const qemu = b.suite === 'host' ? target.binary : wrapper(tmp, b.suite, target.binary);
        const run = await bootUbootReal({
          qemu,
          arch: target.arch,
          image: (b.suite === 'host' ? '' : join(CHROOTS, b.suite)) + IMAGE[target.arch],
          machineArgs: ['-machine', target.machine, '-smp', '1', '-m', '2G'],
          commands: ['bdinfo', 'qfw list'],
        });
        t.true(run.reachedPrompt);
        const pkgs = packages(b.suite, ['u-boot-qemu', target.pkg]);
        t.is(upstreamRelease(pkgs['u-boot-qemu'] ?? ''), b.release);
        const dir = join(tmp, 'observed');
        writeUbootObservation(dir, run, { case: `live-${b.suite}-${target.machine}`, description: title, recordedBy: 'test/uboot-live.test.ts', packages: pkgs, suite: b.suite, image: IMAGE[target.arch], arch: target.arch });
        const c = compareWithModel(loadUbootObservation(dir));
        const differs = c.checks.filter((k) => k.status === 'differs');
        t.deepEqual(differs, [], differs.map((k) => `${k.what}: ${k.detail}`).join('; '));
        // x86 runs the loader and the OS finds QEMU's tables in place; arm64 never touches it
        t.is(run.loaderRead, target.arch === 'x86_64');
        t.is(c.model.outcome, target.arch === 'x86_64' ? 'ran' : 'not-run');
        if (target.arch === 'x86_64') t.true(c.checks.some((k) => k.what === 'etc/acpi/tables bytes' && k.status === 'same'));
      } finally {
        rmSync(tmp, { recursive: true, force: true });
      }
    });
  }
}
