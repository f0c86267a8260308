/**
 * The firmware registry: every modelled release, and which one a bare name
 * means on an architecture. `--firmware NAME[@VERSION]` resolves here; an
 * unknown name or version is a usage error naming the ones there are.
 */
import { UsageError } from '../../errors.js';
import type { AnyFirmwareRecord, Arch, FirmwareName } from '../record.js';
import { FIRMWARES } from '../record.js';
import { AAVMF_2022_11, OVMF_2022_11 } from './ovmf.js';
import { SEABIOS_1_16_2 } from './seabios.js';
import { UBOOT_2023_01 } from './uboot.js';

export const FIRMWARE_RECORDS: readonly AnyFirmwareRecord[] = [SEABIOS_1_16_2, OVMF_2022_11, AAVMF_2022_11, UBOOT_2023_01];

/** What a bare name means on each architecture (the releases the shared captures were made with). */
const DEFAULTS: Record<FirmwareName, Partial<Record<Arch, AnyFirmwareRecord>>> = {
  seabios: { x86_64: SEABIOS_1_16_2 },
  ovmf: { x86_64: OVMF_2022_11, aarch64: AAVMF_2022_11 },
  uboot: { x86_64: UBOOT_2023_01, aarch64: UBOOT_2023_01 },
};

/** The record for `name` (`seabios`, `ovmf@2022.11`, `aavmf`) on `arch`; undefined when that firmware does not run there. */
export function firmwareRecordFor(spec: string, arch: Arch): AnyFirmwareRecord | undefined {
  const [name, version] = spec.split('@') as [string, string | undefined];
  // AAVMF is OVMF's arm build: either name reaches it
  const kind = (name === 'aavmf' ? 'ovmf' : name) as FirmwareName;
  if (!(FIRMWARES as readonly string[]).includes(kind)) throw new UsageError('UNKNOWN_FIRMWARE', `firmware ${JSON.stringify(spec)}: use ${FIRMWARES.join(', ')} (optionally @VERSION)`);
  if (version === undefined) return DEFAULTS[kind][arch];
  const same = FIRMWARE_RECORDS.filter((r) => r.name === kind && r.arches.includes(arch));
  const hit = same.find((r) => r.version === version);
  if (hit === undefined) throw new UsageError('UNKNOWN_FIRMWARE', `firmware ${JSON.stringify(spec)} is not modelled on ${arch} (modelled: ${same.map((r) => r.id).join(', ') || 'none'})`);
  return hit;
}

/** The record a bare name means on `arch`, or a usage error saying it does not run there. */
export function firmwareRecord(spec: string, arch: Arch, machine: string): AnyFirmwareRecord {
  const r = firmwareRecordFor(spec, arch);
  if (r === undefined) throw new UsageError('FIRMWARE_ARCH', `${spec} does not run on ${machine} (${arch})`);
  return r;
}
