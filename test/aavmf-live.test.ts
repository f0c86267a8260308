// A real AAVMF 2025.02 (trixie's qemu-efi-aarch64 under trixie's QEMU 10.0) booted on arm virt with
// 2 GiB, against the model of aavmf@2025.02 on the recorded configuration (spec-vectors/aavmf/2025.02):
// what QEMU serves, the RSDP and XSDT where the model puts them, the same tables with the same bytes,
// and the directory read before every file lookup.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bootAavmfReal } from '../src/bootreal/aavmf-real.js';
import { AAVMF_VECTORS, aavmfManifest, compareWithModel, directoryReadOf, modelBoot } from './helpers/aavmf.js';
import { chrootSkip, inChroot, RUN_IN, wrapper } from './helpers/chroots.js';

const RELEASE = '2025.02';
const SUITE = 'trixie';

function whyNot(): string | undefined {
  const chroot = chrootSkip(SUITE);
  if (chroot !== undefined) return chroot;
  let version: string;
  try {
    version = execFileSync(RUN_IN, [SUITE, 'dpkg-query', '-W', '-f', '${Version}', 'qemu-efi-aarch64', 'qemu-system-arm'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return `the ${SUITE} chroot lacks qemu-efi-aarch64 or qemu-system-arm`;
  }
  const recorded = aavmfManifest(RELEASE).packages;
  const want = `${recorded['qemu-efi-aarch64']}${recorded['qemu-system-arm']}`;
  return version === want ? undefined : `the ${SUITE} chroot has qemu-efi-aarch64/qemu-system-arm ${version}, the recording ${want}`;
}

const skip = whyNot();
const title = `AAVMF ${RELEASE} live on virt 2 GiB (${SUITE} chroot): served files as recorded, the model's RSDP, XSDT and tables, the directory read per lookup`;
(skip === undefined ? test.serial : test.skip)(skip === undefined ? title : `${title} (skipped: ${skip})`, async (t) => {
  t.timeout(600_000);
  const tmp = mkdtempSync(join(tmpdir(), 'fwcfg-aavmf-live-'));
  try {
    const run = await bootAavmfReal({
      qemu: wrapper(tmp, SUITE, 'qemu-system-aarch64'),
      code: '/usr/share/AAVMF/AAVMF_CODE.fd',
      vars: inChroot(SUITE, '/usr/share/AAVMF/AAVMF_VARS.fd'),
      machineArgs: ['-machine', 'virt', '-smp', '1', '-m', '2G'],
      ramSize: 2 ** 31,
      timeoutMs: 300_000,
    });
    // the recorded configuration is what this QEMU serves the firmware
    for (const [name, bytes] of run.files) {
      const captured = new Uint8Array(readFileSync(join(AAVMF_VECTORS, RELEASE, 'capture', 'firmware', 'aavmf', `${name.replace(/[^A-Za-z0-9._-]/g, '_')}.bin`)));
      t.deepEqual([...captured.subarray(0, bytes.length)], [...bytes], name);
    }
    t.is(run.rsdpSelectedBy, 'EFI configuration table');
    const live = { rsdp: run.rsdp, rsdpBytes: run.rsdpBytes, tables: run.walk.tables.map((x, i) => ({ signature: x.signature, address: x.address, bytes: run.tableBytes[i]!, referencedBy: x.referencedBy })) };
    const model = modelBoot(RELEASE);
    t.is(model.recordId, `aavmf@${RELEASE}`);
    compareWithModel(t, model, live);
    t.is(directoryReadOf(run.selects.map((s) => s.key)), 'every-lookup');
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
