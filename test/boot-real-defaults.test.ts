// A user's command line usually keeps QEMU's default devices (a NIC, VGA, a serial port, a CD-ROM),
// and each of them is in the DSDT QEMU builds. boot-real --config boots a capture as it was captured:
// it adds -nodefaults only where the configuration ran with it (the shared vectors), so the live
// tables are the capture's and every check can agree with the model. With the default VGA, OVMF
// draws its logo and installs a BGRT of its own (src/firmware/ovmf-bgrt.ts).
import test, { type ExecutionContext } from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ranWithoutDefaults } from '../src/bootreal/config-run.js';
import { captureQemu } from '../src/qemu/capture.js';
import { openVector } from '../src/vectors/configuration.js';
import { fwcfg } from './helpers/cli.js';
import { loadVector } from './helpers/paths.js';
import { QEMU_X86, x86FirmwareMissing } from './helpers/qemu.js';
import { chrootSkip, SUITE_OF, wrapper } from './helpers/chroots.js';

test('the shared vectors ran without default devices; a capture of a bare command line ran with them', (t) => {
  t.true(ranWithoutDefaults(loadVector('q35')));
  t.true(ranWithoutDefaults(loadVector('seed')));
});

/** Captures `-machine q35 -m 2G` (QEMU's default devices), boots it twice on the real firmware, and returns the comparison's account. */
async function bareQ35Compared(t: ExecutionContext, firmware: 'seabios' | 'ovmf', suite?: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'fwcfg-defaults-'));
  try {
    const out = join(dir, 'capture');
    const qemu = suite === undefined ? QEMU_X86! : wrapper(dir, suite, 'qemu-system-x86_64');
    await captureQemu({ out, qemuArgs: [qemu, '-machine', 'q35', '-m', '2G'], config: 'q35-defaults' });
    t.false(ranWithoutDefaults(openVector(out)), 'the capture kept the default devices');
    const r = await fwcfg('boot-real', '--config', out, '--firmware', firmware, '--boots', '2', '--compare');
    t.is(r.code, 0, r.stdout + r.stderr);
    t.notRegex(r.stdout, /DIFF/);
    t.regex(r.stdout, /same {2}table bytes: DSDT/);
    return r.stdout;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

for (const firmware of ['seabios', 'ovmf'] as const) {
  const skip = x86FirmwareMissing(firmware);
  const title = `live: a capture of \`-machine q35 -m 2G\` (QEMU's default devices) boots twice under ${firmware === 'ovmf' ? 'OVMF' : 'SeaBIOS'} exactly as the model says`;
  // serial: run beside another live boot on this loaded 2-core machine, SeaBIOS's boot once showed no RSDP (alone it passes)
  (skip === undefined ? test.serial : test.skip)(skip === undefined ? title : `${title} (skipped: ${skip})`, async (t) => {
    t.timeout(300_000);
    const account = await bareQ35Compared(t, firmware);
    if (firmware === 'ovmf') bgrtHeldToModel(t, account);
  });
}

/** The default VGA: OVMF's own BGRT after QEMU's tables in both boots, every byte the model knows equal, the rest named. */
function bgrtHeldToModel(t: ExecutionContext, account: string): void {
  t.is(account.match(/same {2}table bytes: BGRT at 0x[0-9a-f]+: the 47 modelled bytes of 56 equal/g)?.length, 2);
  t.is(account.match(/n\/m {3}table bytes not modelled: BGRT at 0x[0-9a-f]+: \+0x9 .*\+0x28\.\.\+0x2f/g)?.length, 2);
}

// the other releases: OVMF 2020.11 (800x600 logo screen), 2025.02 and 2026.08 under their chroots' QEMU
for (const [release, suite] of Object.entries(SUITE_OF)) {
  if (suite === undefined) continue;
  const skip = chrootSkip(suite);
  const title = `live: QEMU ${release} (${suite} chroot): a capture of \`-machine q35 -m 2G\` boots twice under its OVMF exactly as the model says, BGRT included`;
  (skip === undefined ? test.serial : test.skip)(skip === undefined ? title : `${title} (skipped: ${skip})`, async (t) => {
    t.timeout(600_000);
    bgrtHeldToModel(t, await bareQ35Compared(t, 'ovmf', suite));
  });
}
