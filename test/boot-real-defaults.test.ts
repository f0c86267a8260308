// A user's command line usually keeps QEMU's default devices (a NIC, VGA, a serial port, a CD-ROM),
// and each of them is in the DSDT QEMU builds. boot-real --config boots a capture as it was captured:
// it adds -nodefaults only where the configuration ran with it (the shared vectors), so the live
// tables are the capture's and every check can agree with the model.
import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ranWithoutDefaults } from '../src/bootreal/config-run.js';
import { captureQemu } from '../src/qemu/capture.js';
import { openVector } from '../src/vectors/configuration.js';
import { fwcfg } from './helpers/cli.js';
import { loadVector } from './helpers/paths.js';
import { QEMU_X86, x86FirmwareMissing } from './helpers/qemu.js';

test('the shared vectors ran without default devices; a capture of a bare command line ran with them', (t) => {
  t.true(ranWithoutDefaults(loadVector('q35')));
  t.true(ranWithoutDefaults(loadVector('seed')));
});

const skip = x86FirmwareMissing('seabios');
const title = 'live: a capture of `-machine q35 -m 2G` (QEMU\'s default devices) boots twice under SeaBIOS exactly as the model says';
(skip === undefined && QEMU_X86 !== undefined ? test : test.skip)(skip === undefined ? title : `${title} (skipped: ${skip})`, async (t) => {
  t.timeout(300_000);
  const dir = mkdtempSync(join(tmpdir(), 'fwcfg-defaults-'));
  try {
    const out = join(dir, 'capture');
    await captureQemu({ out, qemuArgs: [QEMU_X86!, '-machine', 'q35', '-m', '2G'], config: 'q35-defaults' });
    t.false(ranWithoutDefaults(openVector(out)), 'the capture kept the default devices');
    const r = await fwcfg('boot-real', '--config', out, '--firmware', 'seabios', '--boots', '2', '--compare');
    t.is(r.code, 0, r.stdout + r.stderr);
    t.notRegex(r.stdout, /DIFF/);
    t.regex(r.stdout, /same {2}table bytes: DSDT/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
