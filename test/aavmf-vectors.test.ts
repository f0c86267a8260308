// Every AAVMF release Debian ships, as recorded on arm virt with 2 GiB (spec-vectors/aavmf): the
// capture names the release from the flash QEMU mapped, and that release's model installs the
// tables the real boot left, the RSDP and XSDT at the real addresses.
import test from 'ava';
import { firmwareRecordFor } from '../src/firmware/records/index.js';
import { openConfiguration } from '../src/vectors/configuration.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './helpers/paths.js';
import { AAVMF_RELEASES, AAVMF_VECTORS, aavmfManifest, compareWithModel, directoryReadOf, modelBoot, recordedBoot } from './helpers/aavmf.js';
import { FIRMWARE_RECORDS } from '../src/firmware/records/index.js';
import { lowRamRange } from '../src/simulate/boot.js';
import type { MachineFacts } from '../src/firmware/record.js';
import type { OvmfProfile } from '../src/firmware/profiles.js';

test('the recordings cover 2020.11, 2022.11, 2025.02 and 2026.08', (t) => {
  t.deepEqual(AAVMF_RELEASES, ['2020.11', '2022.11', '2025.02', '2026.08']);
});

for (const release of AAVMF_RELEASES) {
  test(`${release}: the capture's flash names the release, and a bare aavmf resolves to aavmf@${release}`, (t) => {
    const cfg = openConfiguration(join(AAVMF_VECTORS, release, 'capture'));
    const shipped = cfg.vector.manifest.packages ?? {};
    t.is(shipped['qemu-efi-aarch64'], aavmfManifest(release).packages['qemu-efi-aarch64']);
    t.is(firmwareRecordFor('aavmf', 'aarch64', shipped)?.id, `aavmf@${release}`);
    t.is(modelBoot(release).recordId, `aavmf@${release}`);
  });

  test(`${release}: the record reads the fw_cfg directory as the recorded trace shows`, (t) => {
    const selects = (aavmfManifest(release)['fw_cfg'] as { selects: string[] }).selects.map((s) => parseInt(s, 16));
    const record = FIRMWARE_RECORDS.find((r) => r.id === `aavmf@${release}`)!;
    const virt2G: MachineFacts = { family: 'virt', arch: 'aarch64', lowRam: lowRamRange('virt', 2 ** 31), numa: false, s3: false };
    t.is(directoryReadOf(selects), (record.profile(virt2G) as OvmfProfile).directoryRead);
  });

  test(`${release}: the model of virt 2 GiB installs the recorded tables byte for byte, RSDP and XSDT at the recorded addresses`, (t) => {
    compareWithModel(t, modelBoot(release, `aavmf@${release}`), recordedBoot(release));
  });
}

test('where the blobs outlive the boot in RAM (2026.08), the model placed each where the real firmware did; elsewhere no copy survives to say', (t) => {
  let placed = 0;
  for (const release of AAVMF_RELEASES) {
    const found = (aavmfManifest(release)['blobs_in_ram'] as { file: string; bases: string[] }[]).map((b) => ({ file: b.file, bases: b.bases.map((x) => parseInt(x, 16)) }));
    const model = modelBoot(release, `aavmf@${release}`);
    const real = recordedBoot(release);
    for (const b of found) {
      // the protocol's own RSDP has the RSDP blob's bytes too: it is not a copy of the blob
      const blobs = b.bases.filter((x) => x !== real.rsdp);
      if (blobs.length === 0) continue;
      t.deepEqual(blobs, [model.allocations.get(b.file)], `${release} ${b.file}`);
      placed++;
    }
  }
  t.is(placed, 2);
});

test('2022.11: the recording reproduces spec-vectors/qemu-7.2/virt-aarch64 (same RSDP, every table at the same address, same bytes)', (t) => {
  const ours = recordedBoot('2022.11');
  const vector = JSON.parse(readFileSync(join(ROOT, 'spec-vectors', 'qemu-7.2', 'virt-aarch64', 'manifest.json'), 'utf8')) as { stages: Record<string, { rsdp: { address: string }; tables_in_memory: { signature: string; address: string; path: string }[] }> };
  const s = vector.stages['after-aavmf']!;
  t.is(ours.rsdp, parseInt(s.rsdp.address, 16));
  const want = s.tables_in_memory.map((x) => [x.signature, parseInt(x.address, 16), [...readFileSync(join(ROOT, 'spec-vectors', 'qemu-7.2', 'virt-aarch64', x.path))]]);
  t.deepEqual(ours.tables.map((x) => [x.signature, x.address, [...x.bytes]]), want);
});

test("another release's model does not pass on a recording: the RSDP is where each release's own pool put it", (t) => {
  for (const release of AAVMF_RELEASES) {
    const real = recordedBoot(release);
    for (const other of AAVMF_RELEASES.filter((r) => r !== release)) t.not(modelBoot(release, `aavmf@${other}`).rsdp, real.rsdp, `aavmf@${other} on ${release}'s configuration`);
  }
});
