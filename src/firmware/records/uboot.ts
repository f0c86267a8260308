/** U-Boot as Debian ships it for QEMU (src/firmware/uboot.ts is its core; placement assumed, see there). */
import type { FirmwareRecord } from '../record.js';
import { runUboot, ubootProfile, type UbootProfile } from '../uboot.js';

const MiB = 0x100000;

export const UBOOT_2023_01: FirmwareRecord<UbootProfile> = {
  id: 'uboot@2023.01',
  name: 'uboot',
  version: '2023.01',
  label: 'U-Boot 2023.01',
  arches: ['x86_64', 'aarch64'],
  stages: [],
  boundsChecked: false,
  evidence: 'the loader-executors spec (drivers/misc/qfw_acpi.c); no real U-Boot boot backs the placement',
  // read, not observed: no live U-Boot boot with a TPM
  measures: { kind: 'none', evidence: "drivers/misc/qfw.c (2023.01; qfw_acpi.c later) calls no TPM function; U-Boot's TCG2 code measures images, SMBIOS and EFI events, not the loader's files" },
  // qfw puts SELECT in the descriptor and writes only the low address half on x86 (SeaBIOS's idiom), a 64-bit store on arm (OVMF's)
  platform: { pciexbar: 0xb0000000 },
  driverStyle: (arch) => (arch === 'x86_64' ? 'seabios' : 'ovmf'),
  profile: (m) => ubootProfile(m.arch === 'x86_64', m.lowRam.end),
  workRanges: (p) => [{ start: p.bloblist - 2 * MiB, end: p.bloblist + p.size + MiB }],
  run: (ctx, p) => runUboot(ctx, p),
};
