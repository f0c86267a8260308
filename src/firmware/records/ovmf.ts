/** OVMF (x86) and AAVMF (arm) releases (src/firmware/ovmf.ts is their core). */
import type { FirmwareRecord } from '../record.js';
import { runOvmf } from '../ovmf.js';
import { INSTALLED_TABLES_MAX } from '../ovmf-second-pass.js';
import { EV_PLATFORM_CONFIG_FLAGS, type MeasurementPolicy } from '../measurement.js';
import { AAVMF_2022_11_LAYOUT, aavmfProfile, OVMF_2022_11_LAYOUT, ovmfProfile, SCREEN_1280X800, SCREEN_800X600, type AavmfRelease, type OvmfProfile, type OvmfRelease } from '../profiles.js';

const MiB = 0x100000;

/** Script and table copies below the reclaim bin, blobs and the FACS copy below the NVS bin, the roots around them; overflow below generalTop. */
function workRanges(p: OvmfProfile): { start: number; end: number }[] {
  const points = [p.reclaim.bottom, p.nvs.top, p.rsdp20, p.xsdt, p.rsdp10 ?? p.rsdp20, p.rsdt ?? p.xsdt];
  return [
    { start: Math.min(...points) - 2 * MiB, end: Math.max(...points) + MiB },
    { start: p.generalTop - 24 * MiB, end: p.generalTop },
  ];
}

/** Before edk2-stable202302 AcpiPlatformDxe measures nothing it reads from fw_cfg. */
const MEASURES_NOTHING: MeasurementPolicy = {
  kind: 'none',
  evidence: 'QemuFwCfgAcpi.c measures nothing before edk2-stable202302 (commit 935343cf16); a live boot of Debian ovmf 2022.11-6+deb12u2 under QEMU 7.2 with swtpm logs no ACPI DATA event',
};

/** edk2-stable202302 on: the script and each ALLOCATEd blob, each right after its read, into PCR 1. */
function measuresAcpiData(observed: string): MeasurementPolicy {
  return {
    kind: 'acpi-data',
    pcr: 1,
    eventType: EV_PLATFORM_CONFIG_FLAGS,
    eventData: 'ACPI DATA',
    evidence: `QemuFwCfgAcpi.c since edk2-stable202302 (commit 935343cf16): TpmMeasureAndLogData after reading etc/table-loader and after each ProcessCmdAllocate read; ${observed} (test/tpm-measurements-live.test.ts)`,
  };
}

/** Runs the OVMF core with the record's measurement policy. */
function runWith(measures: MeasurementPolicy): FirmwareRecord<OvmfProfile>['run'] {
  return (ctx, p, m) => runOvmf(ctx, p, { s3: m.arch === 'x86_64' && m.s3, measures, display: m.display === true, ...(m.tpm !== undefined ? { tpm: m.tpm } : {}) });
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
  measures: MEASURES_NOTHING,
  // 2022.11 and older put MMCONFIG at 0xb0000000 (../shared/vectors/README.md: 2025.02 moved it to 0xe0000000)
  platform: { pciexbar: 0xb0000000 },
  driverStyle: () => 'ovmf',
  tableCap: INSTALLED_TABLES_MAX,
  profile: (m) => ovmfProfile(m.lowRam.end, OVMF_2022_11_LAYOUT, m.cpu),
  workRanges,
  run: runWith(MEASURES_NOTHING),
};

export const AAVMF_2022_11: FirmwareRecord<OvmfProfile> = {
  ...OVMF_2022_11,
  id: 'aavmf@2022.11',
  label: 'AAVMF 2022.11',
  arches: ['aarch64'],
  stages: ['after-aavmf'],
  evidence: 'Debian qemu-efi-aarch64 2022.11-6+deb12u2: spec-vectors/qemu-7.2/virt-aarch64 (after-aavmf, aavmf-memory), reproduced by spec-vectors/aavmf/2022.11',
  profile: (m) => aavmfProfile(m.lowRam.end, AAVMF_2022_11_LAYOUT),
};

/** Another OVMF release: 2022.11's core with its own layout, platform programming, measurements and evidence. */
function ovmf(version: string, release: Omit<OvmfRelease, 'version'>, pciexbar: number, measures: MeasurementPolicy, evidence: string): FirmwareRecord<OvmfProfile> {
  const layout: OvmfRelease = { version, ...release };
  return { ...OVMF_2022_11, id: `ovmf@${version}`, version, label: `OVMF ${version}`, evidence, measures, platform: { pciexbar }, profile: (m) => ovmfProfile(m.lowRam.end, layout, m.cpu), run: runWith(measures) };
}

export const OVMF_2020_11 = ovmf(
  '2020.11',
  // q35 and pc under QEMU 5.2: RSDPs, roots, FACS and table copies where 2022.11 puts them
  { shift: 0, directoryRead: 'every-lookup', bootScreen: SCREEN_800X600, pageTables: 'unaffected', provenance: 'OVMF 2020.11 on q35/pc 2 GiB: RSDP, roots and table copies observed (2022.11 layout)' },
  0xb0000000,
  { kind: 'none', evidence: 'edk2-stable202011 predates the measurement (commit 935343cf16, edk2-stable202302)' },
  'Debian ovmf 2020.11-2+deb11u3 under QEMU 5.2: spec-vectors/qemu-5.2 (after-ovmf, ovmf-memory)',
);

export const OVMF_2025_02 = ovmf(
  '2025.02',
  { shift: 0, directoryRead: 'every-lookup', bootScreen: SCREEN_1280X800, pageTables: 'cpu-phys-bits', provenance: 'OVMF 2025.02 on q35/pc/seed 2 GiB: RSDP, roots, FACS, table copies and the vmgenid blob observed (2022.11 layout)' },
  // MMCONFIG moved to 0xe0000000 (the after-ovmf stages' mch_pciexbar)
  0xe0000000,
  measuresAcpiData('a live boot of Debian ovmf 2025.02-8+deb13u1 under QEMU 10.0 with swtpm logs them, every bank as predicted'),
  'Debian ovmf 2025.02-8+deb13u1 under QEMU 10.0: spec-vectors/qemu-10.0 (after-ovmf, ovmf-memory)',
);

export const OVMF_2026_08 = ovmf(
  '2026.08',
  {
    // every observed address 0x2ed000 above 2025.02's: RSDP 0x7fe6b014, XSDT 0x7fe6a0e8, vmgenid blob 0x7fee9000
    shift: 0x2ed000,
    directoryRead: 'once-early',
    pageTables: 'unaffected',
    bootScreen: SCREEN_1280X800,
    provenance: 'OVMF 2026.08 on q35/pc/seed 2 GiB: RSDP, roots, FACS, table copies and the vmgenid blob observed (2025.02 layout moved up 0x2ed000)',
  },
  0xe0000000,
  measuresAcpiData('a live boot of Debian ovmf 2026.08+ds-2 under QEMU 11.1 with swtpm logs them, every bank as predicted'),
  'Debian ovmf 2026.08+ds-2 under QEMU 11.1: spec-vectors/qemu-11.1 (after-ovmf, ovmf-memory)',
);

/** Another AAVMF release: 2022.11's core with its own layout on virt, measurements and evidence. */
function aavmf(version: string, release: Omit<AavmfRelease, 'version'>, measures: MeasurementPolicy, evidence: string): FirmwareRecord<OvmfProfile> {
  const layout: AavmfRelease = { version, ...release };
  return { ...AAVMF_2022_11, id: `aavmf@${version}`, version, label: `AAVMF ${version}`, evidence, measures, profile: (m) => aavmfProfile(m.lowRam.end, layout), run: runWith(measures) };
}

/** Where AcpiPlatformDxe is OVMF's own (OvmfPkg/AcpiPlatformDxe, shared by ArmVirtQemu): its measurement, read from the source, not yet seen on arm. */
function aavmfMeasures(debian: string): MeasurementPolicy {
  return measuresAcpiData(`the arm build runs the same QemuFwCfgAcpi.c; no TPM boot of Debian qemu-efi-aarch64 ${debian} has been recorded (assumed)`);
}

export const AAVMF_2020_11 = aavmf(
  '2020.11',
  {
    // every address 0x4000000 below 2022.11's (RSDP 0xb8430018, XSDT 0xb843fe98): the bins assumed to move with them
    rsdp20: 0xb8430018,
    xsdt: 0xb843fe98,
    binShift: -0x4000000,
    freedFill: 0xaf,
    directoryRead: 'every-lookup',
    provenance: 'AAVMF 2020.11 on virt 2 GiB: RSDP and XSDT addresses and the directory read per lookup observed; blob bins assumed 2022.11\'s moved with the RSDP (the blobs leave no copy in RAM), table copies pool (contents only); no RAM page holds 0xAF after the boot, the fill is assumed',
  },
  { kind: 'none', evidence: 'edk2-stable202011 predates the measurement (commit 935343cf16, edk2-stable202302)' },
  'Debian qemu-efi-aarch64 2020.11-2+deb11u3 under QEMU 5.2: spec-vectors/aavmf/2020.11',
);

export const AAVMF_2025_02 = aavmf(
  '2025.02',
  {
    // RSDP 0x2b6a000 above 2022.11's; the XSDT 0xf00 above it (2022.11: 0xfe80)
    rsdp20: 0xbef9a018,
    xsdt: 0xbef9af18,
    binShift: 0x2b6a000,
    freedFill: 0xaf,
    directoryRead: 'every-lookup',
    provenance: 'AAVMF 2025.02 on virt 2 GiB: RSDP and XSDT addresses and the directory read per lookup observed; blob bins assumed 2022.11\'s moved with the RSDP (the blobs leave no copy in RAM), table copies pool (contents only); no RAM page holds 0xAF after the boot, the fill is assumed',
  },
  aavmfMeasures('2025.02-8+deb13u1'),
  'Debian qemu-efi-aarch64 2025.02-8+deb13u1 under QEMU 10.0: spec-vectors/aavmf/2025.02',
);

export const AAVMF_2026_08 = aavmf(
  '2026.08',
  {
    // the firmware moved to the bottom of RAM: RSDP 0x47ff3018, XSDT 0x47ff3f18; the blobs stay in RAM
    // after the boot, etc/acpi/rsdp at 0x47fe0000 and etc/acpi/tables at 0x47fc0000 (top-down from 0x47fe1000)
    rsdp20: 0x47ff3018,
    xsdt: 0x47ff3f18,
    binShift: 0x47fe1000 - 0xbc400000,
    freedFill: null,
    directoryRead: 'every-lookup',
    provenance: 'AAVMF 2026.08 on virt 2 GiB: RSDP, XSDT, both blobs (NVS top 0x47fe1000) and the directory read per lookup observed; freed blobs keep their bytes; table copies pool (contents only)',
  },
  aavmfMeasures('2026.08+ds-2'),
  'Debian qemu-efi-aarch64 2026.08+ds-2 under QEMU 11.1: spec-vectors/aavmf/2026.08',
);
