/**
 * The firmware registry: every modelled release, and which one a bare name
 * means on an architecture. `--firmware NAME[@VERSION]` resolves here; an
 * unknown name or version is a usage error naming the ones there are.
 */
import { UsageError } from '../../errors.js';
import type { AnyFirmwareRecord, Arch, FirmwareName } from '../record.js';
import { FIRMWARES, firmwareNameOf } from '../record.js';
import { AAVMF_2020_11, AAVMF_2022_11, AAVMF_2025_02, AAVMF_2026_08, OVMF_2020_11, OVMF_2022_11, OVMF_2025_02, OVMF_2026_08 } from './ovmf.js';
import { SEABIOS_1_14_0, SEABIOS_1_16_2, SEABIOS_1_16_3, SEABIOS_1_17_0 } from './seabios.js';
import { UBOOT_2021_01, UBOOT_2023_01, UBOOT_2025_01, UBOOT_2025_01_3_2 } from './uboot.js';

export const FIRMWARE_RECORDS: readonly AnyFirmwareRecord[] = [SEABIOS_1_14_0, SEABIOS_1_16_2, SEABIOS_1_16_3, SEABIOS_1_17_0, OVMF_2020_11, OVMF_2022_11, OVMF_2025_02, OVMF_2026_08, AAVMF_2020_11, AAVMF_2022_11, AAVMF_2025_02, AAVMF_2026_08, UBOOT_2021_01, UBOOT_2023_01, UBOOT_2025_01, UBOOT_2025_01_3_2];

/** What a bare name means on each architecture (the releases the shared captures were made with). */
const DEFAULTS: Record<FirmwareName, Partial<Record<Arch, AnyFirmwareRecord>>> = {
  seabios: { x86_64: SEABIOS_1_16_2 },
  ovmf: { x86_64: OVMF_2022_11, aarch64: AAVMF_2022_11 },
  uboot: { x86_64: UBOOT_2023_01, aarch64: UBOOT_2023_01 },
};

/** The Debian package that ships each firmware on an architecture (a vector's `packages` names them). */
const PACKAGE: Record<FirmwareName, Partial<Record<Arch, string>>> = {
  seabios: { x86_64: 'seabios' },
  ovmf: { x86_64: 'ovmf', aarch64: 'qemu-efi-aarch64' },
  uboot: { x86_64: 'u-boot-qemu', aarch64: 'u-boot-qemu' },
};

/**
 * The records `name@version` names: the personality's records of that
 * release, or for the name of one build of a personality (aavmf, OVMF's arm
 * build) that build's own.
 */
export function recordsNamed(name: string, version: string): AnyFirmwareRecord[] {
  const kind = firmwareNameOf(name);
  return FIRMWARE_RECORDS.filter((r) => r.name === kind && r.version === version && (kind === name || r.id.startsWith(`${name}@`)));
}

/** The Debian package that ships `name` on `arch`, if any. */
export function firmwarePackage(name: FirmwareName, arch: Arch): string | undefined {
  return PACKAGE[name][arch];
}

/** The upstream release in a package or image version: `1.16.3-2`, `1.16.3-debian-1.16.3-2` -> 1.16.3; `2025.02-8+deb13u1` -> 2025.02. */
export function upstreamRelease(version: string): string | undefined {
  return /^(\d+\.\d+(?:\.\d+)?)(?=$|[-+~])/.exec(version)?.[1];
}

/**
 * The record for `name` (`seabios`, `ovmf@2022.11`, `aavmf`) on `arch`;
 * undefined when that firmware does not run there. A bare name means the
 * release the capture ran with when `shipped` (its packages) names one, else
 * the release the shared 7.2 captures were made with.
 */
export function firmwareRecordFor(spec: string, arch: Arch, shipped?: Readonly<Record<string, string>>): AnyFirmwareRecord | undefined {
  const [name, given] = spec.split('@') as [string, string | undefined];
  // AAVMF is OVMF's arm build: either name reaches it
  const kind = (name === 'aavmf' ? 'ovmf' : name) as FirmwareName;
  if (!(FIRMWARES as readonly string[]).includes(kind)) throw new UsageError('UNKNOWN_FIRMWARE', `firmware ${JSON.stringify(spec)}: use ${FIRMWARES.join(', ')} (optionally @VERSION)`);
  // ... but AAVMF is only that build: on x86 the name is OVMF's
  if (name === 'aavmf' && arch !== 'aarch64') return undefined;
  const same = FIRMWARE_RECORDS.filter((r) => r.name === kind && r.arches.includes(arch));
  if (same.length === 0) return undefined;
  const pkg = PACKAGE[kind][arch];
  const packaged = given === undefined && pkg !== undefined ? shipped?.[pkg] : undefined;
  // a version that is not the firmware's own release (microvm's image comes in QEMU's package, `1:7.2+dfsg-...`) says nothing;
  // a build recorded by its whole Debian version (uboot@2025.01-3.2) is that build
  const version = given ?? (packaged === undefined ? undefined : same.some((r) => r.version === packaged) ? packaged : upstreamRelease(packaged));
  if (version === undefined) return DEFAULTS[kind][arch];
  const hit = same.find((r) => r.version === version);
  if (hit !== undefined) return hit;
  const modelled = same.map((r) => r.id).join(', ');
  if (given !== undefined) throw new UsageError('UNKNOWN_FIRMWARE', `firmware ${JSON.stringify(spec)} is not modelled on ${arch} (modelled: ${modelled})`);
  throw new UsageError('UNKNOWN_FIRMWARE', `${name} ${packaged} (the release this configuration was captured with) is not modelled on ${arch} (modelled: ${modelled}); name one with --firmware ${name}@VERSION`);
}

/** The record a bare name means on `arch`, or a usage error saying it does not run there. */
export function firmwareRecord(spec: string, arch: Arch, machine: string, shipped?: Readonly<Record<string, string>>): AnyFirmwareRecord {
  const r = firmwareRecordFor(spec, arch, shipped);
  if (r === undefined) {
    const hint = spec.split('@')[0] === 'aavmf' ? `: AAVMF is OVMF's arm build, on x86 name ${spec.replace(/^aavmf/, 'ovmf')}` : '';
    throw new UsageError('FIRMWARE_ARCH', `${spec} does not run on ${machine} (${arch})${hint}`);
  }
  return r;
}
