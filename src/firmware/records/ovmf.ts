/** OVMF (x86) and AAVMF (arm) releases (src/firmware/ovmf.ts is their core). */
import type { FirmwareRecord } from '../record.js';
import { runOvmf } from '../ovmf.js';
import { aavmfProfile, ovmfProfile, type OvmfProfile } from '../profiles.js';

const MiB = 0x100000;

/** Script and table copies below the reclaim bin, blobs and the FACS copy below the NVS bin, the roots around them; overflow below generalTop. */
function workRanges(p: OvmfProfile): { start: number; end: number }[] {
  const points = [p.reclaim.bottom, p.nvs.top, p.rsdp20, p.xsdt, p.rsdp10 ?? p.rsdp20, p.rsdt ?? p.xsdt];
  return [
    { start: Math.min(...points) - 2 * MiB, end: Math.max(...points) + MiB },
    { start: p.generalTop - 24 * MiB, end: p.generalTop },
  ];
}

export const OVMF_2022_11: FirmwareRecord<OvmfProfile> = {
  id: 'ovmf@2022.11',
  name: 'ovmf',
  version: '2022.11',
  label: 'OVMF 2022.11',
  arches: ['x86_64'],
  stages: ['after-ovmf'],
  boundsChecked: true,
  evidence: 'Debian ovmf 2022.11-6+deb12u2: spec-vectors/qemu-7.2 (after-ovmf, ovmf-memory) and the firmware-conformance corpus',
  // 2022.11 and older put MMCONFIG at 0xb0000000 (../shared/vectors/README.md: 2025.02 moved it to 0xe0000000)
  platform: { pciexbar: 0xb0000000 },
  driverStyle: () => 'ovmf',
  profile: (m) => ovmfProfile(m.lowRam.end),
  workRanges,
  run: (ctx, p, m) => runOvmf(ctx, p, { s3: m.arch === 'x86_64' && m.s3 }),
};

export const AAVMF_2022_11: FirmwareRecord<OvmfProfile> = {
  ...OVMF_2022_11,
  id: 'aavmf@2022.11',
  label: 'AAVMF 2022.11',
  arches: ['aarch64'],
  stages: ['after-aavmf'],
  evidence: 'Debian qemu-efi-aarch64 2022.11-6+deb12u2: spec-vectors/qemu-7.2/virt-aarch64 (after-aavmf, aavmf-memory)',
  profile: (m) => aavmfProfile(m.lowRam.end),
};
