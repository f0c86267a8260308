// Captures on another QEMU release, through a wrapper that runs a Debian chroot's QEMU
// (../shared/tools/debian-chroots): the seed on QEMU 5.2 aborts at the firmware's first ACPI
// select, and the capture records that outcome — exact stderr, SIGABRT — instead of failing.
import test from 'ava';
import { existsSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { captureQemu } from '../src/qemu/capture.js';
import { openConfiguration } from '../src/vectors/configuration.js';
import { Vector } from '../src/vectors/vector.js';
import { fwcfg } from './helpers/cli.js';
import { ROOT } from './helpers/paths.js';
import { chrootSkip, wrapper } from './helpers/chroots.js';

const skip52 = chrootSkip('bullseye');
const title = 'QEMU 5.2 (bullseye chroot): the seed capture records the abort at the firmware\'s first ACPI select, line for line, and every command answers with it';
(skip52 === undefined ? test.serial : test.skip)(skip52 === undefined ? title : `${title} (skipped: ${skip52})`, async (t) => {
  t.timeout(300_000);
  const vector = Vector.load(join(ROOT, 'spec-vectors', 'qemu-5.2', 'seed'));
  const tmp = mkdtempSync(join(tmpdir(), 'fwcfg-v52-'));
  try {
    const nv = join(tmp, 'nvdimm0.img');
    writeFileSync(nv, new Uint8Array(0));
    truncateSync(nv, 256 << 20);
    const args = ['-accel', 'tcg', '-cpu', 'max', '-nodefaults', '-no-user-config', ...vector.manifest.config_args.map((a) => a.split('{tmp}').join(tmp))];
    const out = join(tmp, 'capture');
    const { json } = await captureQemu({ out, qemuArgs: [wrapper(tmp, 'bullseye', 'qemu-system-x86_64'), ...args], config: 'seed' });
    t.is(json.qemu_version, '5.2.0');
    t.is(json.machine_type, vector.manifest.machine_type);

    // creation: 5.2's loader block has no room to grow (max 0x1000), the blobs as the recording
    const cfg = openConfiguration(out);
    const rows = (r: readonly { name: string; used: number; max: number }[]) => r.map(({ name, used, max }) => ({ name, used, max }));
    t.deepEqual(rows(cfg.vector.stage('before').ramblock_at_start!), rows(vector.stage('before').ramblock_at_start!));
    for (const r of vector.stage('before').roms) t.deepEqual(cfg.vector.romBlock('before', r.fw_cfg_file), vector.romBlock('before', r.fw_cfg_file), r.fw_cfg_file);

    // SeaBIOS and OVMF: QEMU aborts at the rebuild; what it printed is the recording's stderr
    const recorded = { seabios: 'qemu-stderr.txt', ovmf: 'qemu-stderr-ovmf.txt' } as const;
    for (const [fw, file] of Object.entries(recorded)) {
      const run = json.firmware!.runs.find((r) => r.firmware === fw);
      if (run === undefined) {
        t.fail(`no ${fw} run (unavailable: ${JSON.stringify(json.firmware!.unavailable)})`);
        continue;
      }
      t.is(run.outcome, 'qemu-exited', fw);
      t.deepEqual(run.exit, { code: null, signal: 'SIGABRT' }, fw);
      const want = readFileSync(join(vector.dir, file), 'utf8').trim().split('\n');
      t.deepEqual(run.stderr, want, `${fw}: QEMU's stderr`);
    }

    // every model of the capture ends the same way
    const sim = await fwcfg('simulate', out, '--firmware', 'seabios', '--json');
    t.is(sim.code, 0, sim.stderr);
    const report = JSON.parse(sim.stdout) as { qemu: string; qemuError: string };
    t.is(report.qemu, '5.2');
    t.deepEqual(report.qemuError.split('\n'), readFileSync(join(vector.dir, 'qemu-stderr.txt'), 'utf8').trim().split('\n'));
    // the recorded vector of the same command line gives the same answers
    for (const argv of [['--firmware', 'seabios'], ['--firmware', 'ovmf'], ['--firmware', 'seabios', '--boots', '2'], ['--firmware', 'none']]) {
      const a = await fwcfg('simulate', out, ...argv, '--json');
      const b = await fwcfg('simulate', vector.dir, ...argv, '--json');
      t.deepEqual(JSON.parse(a.stdout), JSON.parse(b.stdout), argv.join(' '));
    }
    const check = await fwcfg('check', out);
    t.is(check.code, 1);
    t.regex(check.stdout, /the live QEMU ended \(SIGABRT\) at the firmware's first ACPI select/);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
