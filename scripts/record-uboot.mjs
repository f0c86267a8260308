// Records spec-vectors/uboot/: real boots of Debian's u-boot-qemu (each release on the QEMU of
// its own Debian release: bullseye, the host's bookworm, trixie, sid through
// ../shared/tools/debian-chroots/run-in), observed by src/bootreal/uboot-real.ts, written by
// src/bootreal/uboot-observation.ts, then SHA256SUMS.uboot. Needs root (run-in) and the chroots.
// Run after `npm run build`: node scripts/record-uboot.mjs [CASE...]
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { bootUbootReal } from '../dist/src/bootreal/uboot-real.js';
import { writeUbootObservation } from '../dist/src/bootreal/uboot-observation.js';
import { encodeLoader } from '../dist/src/loader/codec.js';

const ROOT = new URL('..', import.meta.url).pathname;
const OUT = join(ROOT, 'spec-vectors/uboot');
const RUN_IN = join(ROOT, '..', 'shared', 'tools', 'debian-chroots', 'run-in');
const SUITES = {
  bullseye: { label: 'bullseye chroot (Debian 11)', root: '/var/chroots/bullseye' },
  host: { label: 'host (Debian 12)', root: '' },
  trixie: { label: 'trixie chroot (Debian 13)', root: '/var/chroots/trixie' },
  sid: { label: 'sid chroot (Debian unstable)', root: '/var/chroots/sid' },
};
const RELEASE = { bullseye: '2021.01', host: '2023.01', trixie: '2025.01', sid: '2025.01-3.2' };
const IMAGE = { x86_64: '/usr/lib/u-boot/qemu-x86_64/u-boot.rom', aarch64: '/usr/lib/u-boot/qemu_arm64/u-boot.bin' };
const STD = (machine, ram = '2G') => ['-machine', machine, '-smp', '1', '-m', ram];
const SEED = ['-machine', 'q35,nvdimm=on', '-smp', '1', '-m', 'size=2G,slots=8,maxmem=4G', '-object', 'memory-backend-file,id=mem0,mem-path={tmp}/nvdimm0.img,size=256M', '-device', 'nvdimm,label-size=131072,memdev=mem0,id=nvdimm0,slot=1', '-device', 'vmgenid', '-device', 'intel-iommu'];

// a script of QEMU's own shape (zero-padded to 4 KiB) whose HIGH blob cannot fit U-Boot's heap
const marker = new Uint8Array(16);
marker.set(new TextEncoder().encode('UBPROBE!'), 8);
const HEAP_EXHAUSTED = [
  { name: 'etc/table-loader', data: encodeLoader([
    { type: 'allocate', file: 'opt/uboot-probe/fseg', align: 16, zone: 2 },
    { type: 'allocate', file: 'opt/uboot-probe/high', align: 1, zone: 1 },
    { type: 'addPointer', destFile: 'opt/uboot-probe/fseg', srcFile: 'opt/uboot-probe/high', offset: 0, size: 8 },
  ], { padTo: 4096 }) },
  { name: 'opt/uboot-probe/fseg', data: marker },
  { name: 'opt/uboot-probe/high', data: new Uint8Array(0x236000).fill(0x5a) },
];

// an F-segment blob placed, then a command that fails: the error path frees it
const FSEG_THEN_MISSING = [
  { name: 'etc/table-loader', data: encodeLoader([
    { type: 'allocate', file: 'opt/uboot-probe/fseg', align: 16, zone: 2 },
    { type: 'allocate', file: 'opt/uboot-probe/missing', align: 16, zone: 1 },
  ], { padTo: 4096 }) },
  { name: 'opt/uboot-probe/fseg', data: new Uint8Array(32).fill(0x11) },
];

const CASES = {};
for (const suite of Object.keys(SUITES)) {
  const r = RELEASE[suite];
  for (const m of ['q35', 'pc']) CASES[`${r}-${m}`] = { suite, arch: 'x86_64', args: STD(m), description: `U-Boot ${r} (qemu-x86_64/u-boot.rom) on ${m}, 1 CPU, 2 GiB` };
  CASES[`${r}-virt`] = { suite, arch: 'aarch64', args: STD('virt'), description: `U-Boot ${r} (qemu_arm64/u-boot.bin) on virt, 1 CPU, 2 GiB` };
  CASES[`${r}-q35-vmgenid`] = { suite, arch: 'x86_64', args: [...STD('q35'), '-device', 'vmgenid'], description: `U-Boot ${r} on q35 with vmgenid: two HIGH blobs, one 4 KiB-aligned` };
  CASES[`${r}-q35-4G`] = { suite, arch: 'x86_64', args: STD('q35', '4G'), description: `U-Boot ${r} on q35 with 4 GiB: 2 GiB of it above 4 GiB` };
  CASES[`${r}-pc-1G`] = { suite, arch: 'x86_64', args: STD('pc', '1G'), description: `U-Boot ${r} on pc with 1 GiB: the heap follows the top of RAM` };
  // QEMU 5.2 aborts at the seed's first ACPI select whatever the firmware (spec-vectors/qemu-5.2/seed)
  if (suite !== 'bullseye') CASES[`${r}-seed`] = { suite, arch: 'x86_64', args: SEED, sparse: { 'nvdimm0.img': 256 << 20 }, description: `U-Boot ${r} on the seed (q35 + nvdimm + vmgenid + intel-iommu): the loader grows from 4 to 8 KiB at U-Boot's select` };
  CASES[`${r}-fseg-then-missing-file`] = { suite, arch: 'x86_64', args: ['-machine', 'q35,acpi=off', '-smp', '1', '-m', '2G'], inject: FSEG_THEN_MISSING, description: `U-Boot ${r} on q35 with acpi=off and an injected script: a 32-byte FSEG blob, then an ALLOCATE of a file that does not exist` };
  CASES[`${r}-heap-exhausted`] = { suite, arch: 'x86_64', args: ['-machine', 'q35,acpi=off', '-smp', '1', '-m', '2G'], inject: HEAP_EXHAUSTED, description: `U-Boot ${r} on q35 with acpi=off and an injected script whose 0x236000-byte HIGH blob does not fit its heap: the error path` };
}

function wrapper(dir, suite, binary) {
  if (suite === 'host') return binary;
  const path = join(dir, `${binary}-${suite}`);
  writeFileSync(path, `#!/bin/sh\nexec '${RUN_IN}' ${suite} ${binary} "$@"\n`);
  chmodSync(path, 0o755);
  return path;
}

function packages(suite, names) {
  const cmd = suite === 'host' ? ['dpkg-query'] : [RUN_IN, suite, 'dpkg-query'];
  let text;
  try {
    text = execFileSync(cmd[0], [...cmd.slice(1), '-W', '-f', '${Package} ${Version}\n', ...names], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch (err) {
    text = err.stdout ?? '';
  }
  return Object.fromEntries(text.trim().split('\n').filter(Boolean).map((l) => l.split(' ')));
}

const wanted = process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(CASES);
const tmp = mkdtempSync(join(tmpdir(), 'fwcfg-record-uboot-'));
try {
  for (const name of wanted) {
    const c = CASES[name];
    if (c === undefined) throw new Error(`unknown case ${name} (cases: ${Object.keys(CASES).join(' ')})`);
    const binary = c.arch === 'x86_64' ? 'qemu-system-x86_64' : 'qemu-system-aarch64';
    const t = Date.now();
    const run = await bootUbootReal({
      qemu: wrapper(tmp, c.suite, binary),
      arch: c.arch,
      image: SUITES[c.suite].root + IMAGE[c.arch],
      machineArgs: c.args,
      ...(c.sparse ? { sparseFiles: c.sparse } : {}),
      ...(c.inject ? { inject: c.inject } : {}),
      commands: ['version', 'bdinfo', 'qfw list'],
      timeoutMs: 30_000,
      progress: (m) => process.stderr.write(`${name}: ${m}\n`),
    });
    const dir = join(OUT, name);
    rmSync(dir, { recursive: true, force: true });
    writeUbootObservation(dir, run, {
      case: name,
      description: c.description,
      recordedBy: 'scripts/record-uboot.mjs (this project): src/bootreal/uboot-real.ts',
      packages: packages(c.suite, ['u-boot-qemu', c.arch === 'x86_64' ? 'qemu-system-x86' : 'qemu-system-arm']),
      suite: SUITES[c.suite].label,
      image: IMAGE[c.arch],
      arch: c.arch,
    });
    process.stderr.write(`${name}: recorded in ${((Date.now() - t) / 1000).toFixed(1)} s\n`);
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}

// SHA256SUMS.uboot over every file of every case
const lines = [];
const walk = (d) => {
  for (const e of readdirSync(d).sort()) {
    const p = join(d, e);
    if (statSync(p).isDirectory()) walk(p);
    else lines.push(`${createHash('sha256').update(readFileSync(p)).digest('hex')}  ${relative(join(ROOT, 'spec-vectors'), p)}`);
  }
};
if (existsSync(OUT)) walk(OUT);
writeFileSync(join(ROOT, 'spec-vectors/SHA256SUMS.uboot'), lines.filter((l) => !l.endsWith('README.md')).join('\n') + '\n');
