/**
 * SeaBIOS releases (src/firmware/seabios.ts is their core). What differs
 * between them, as far as the loader goes: where the F-segment's free room
 * ends (the image's own F-segment data), the source lines of the warnings,
 * and whether a loader that left no RSDP gets SeaBIOS's own tables.
 * Observed per release in spec-vectors/qemu-{5.2,7.2,10.0,11.1} (the RSDP the
 * loader's ALLOCATE got, the debug logs); lines read from each release's
 * src/fw/paravirt.c (qemu_platform_setup, qemu_cfg_write_file).
 */
import type { FirmwareRecord } from '../record.js';
import type { MeasurementPolicy } from '../measurement.js';
import { seaBiosProfile, type SeaBiosLayout, type SeaBiosProfile } from '../profiles.js';
import { runSeaBios } from '../seabios.js';
import { LEGACY_ACPI_1_16 } from '../seabios-acpi.js';

/** The same in every modelled release (src/tcgbios.c is unchanged in what it measures since 1.14). */
const SEABIOS_MEASURES: MeasurementPolicy = {
  kind: 'none',
  evidence:
    "src/tcgbios.c measures SMBIOS (PCR 1), option ROMs and boot events, nothing of the loader's files; it writes its own event log into the etc/tpm/log allocation (the TPM2/TCPA table's LASA). A live boot of 1.16.3 under QEMU 10.0 with swtpm logs no ACPI DATA event",
};

function seaBios(version: string, layout: Omit<SeaBiosLayout, 'release'>, evidence: string, reset: Pick<FirmwareRecord, 'resetReadsMmconfig'> = {}): FirmwareRecord<SeaBiosProfile> {
  const full: SeaBiosLayout = { release: version, ...layout };
  return {
    ...reset,
    id: `seabios@${version}`,
    name: 'seabios',
    version,
    label: `SeaBIOS ${version}`,
    arches: ['x86_64'],
    stages: ['after'],
    boundsChecked: true,
    evidence,
    measures: SEABIOS_MEASURES,
    platform: { pciexbar: 0xb0000000 },
    driverStyle: () => 'seabios',
    profile: (m) => seaBiosProfile(m.family, m.lowRam.end, m.numa, full),
    workRanges: (p) => [p.tmpHigh, p.zoneHigh],
    run: (ctx, p, m) => runSeaBios(ctx, p, { facts: m, platform: { pciexbar: 0xb0000000 } }),
  };
}

export const SEABIOS_1_14_0 = seaBios(
  '1.14.0',
  // RSDP at 0xf5b30 on q35, 0xf5b20 on pc
  { fsegRoomEnd: { q35: 0xf5b50, pc: 0xf5b40 }, observed: 'the RSDP on q35 and pc observed', platformSetupLine: 251, writeFileLine: 417, fallback: { tables: 'legacy-acpi', rsdpNoRoomAt: 'copy_acpi_rsdp:116' } },
  'Debian seabios 1.14.0-2 under QEMU 5.2: spec-vectors/qemu-5.2 (q35, pc; the seed aborts in QEMU before SeaBIOS runs the loader); after a system_reset on q35 it loops in its reset path, "Unable to unlock ram - bridge not found" (test/migrated-boots.test.ts, the seed moved as created from 5.2 to 7.2)',
  // it uses q35's MMCONFIG from 1.14.0 on; 1.16.2, 1.16.3 and 1.17.0 reboot q35 every time in test/reboots-versions.test.ts
  { resetReadsMmconfig: true },
);

export const SEABIOS_1_16_2 = seaBios(
  '1.16.2',
  // RSDP at 0xf59e0 on q35 (room [0xf5500, 0xf5a00), D8), 0xf59d0 on pc and 36 B at 0xf59c0 on pc-i440fx-2.2
  { fsegRoomEnd: { q35: 0xf5a00, pc: 0xf59f0 }, observed: 'observed', platformSetupLine: 251, writeFileLine: 417, fallback: LEGACY_ACPI_1_16 },
  'Debian seabios 1.16.2-1: spec-vectors/qemu-7.2 (seabios-memory, debug logs) and the firmware-conformance corpus',
);

export const SEABIOS_1_16_3 = seaBios(
  '1.16.3',
  // RSDP at 0xf52c0 on q35, 0xf52b0 on pc; the seed's fallback RSDP right below, at 0xf52a0
  { fsegRoomEnd: { q35: 0xf52e0, pc: 0xf52d0 }, observed: 'the RSDP on q35 and pc observed', platformSetupLine: 320, writeFileLine: 486, fallback: LEGACY_ACPI_1_16 },
  'Debian seabios 1.16.3-2 under QEMU 10.0: spec-vectors/qemu-10.0 (seabios-memory, debug logs)',
);

export const SEABIOS_1_17_0 = seaBios(
  '1.17.0',
  // RSDP at 0xf52a0 on q35, 0xf5290 on pc; acpi_setup only says "ACPI tables for qemu 1.6 and older are not supported any more."
  { fsegRoomEnd: { q35: 0xf52c0, pc: 0xf52b0 }, observed: 'the RSDP on q35 and pc observed', platformSetupLine: 320, writeFileLine: 486, fallback: { tables: 'none' } },
  'Debian seabios 1.17.0-1 under QEMU 11.1: spec-vectors/qemu-11.1 (seabios-memory, debug logs: the seed boots with no ACPI tables)',
);
