/**
 * How QEMU pads the ACPI blobs it builds, and the maximum it gives their RAM
 * blocks (../shared/spec/ramblock-and-migration.md §3-5).
 */
import { FwCfgError } from '../errors.js';
import { RSDP_FILE, TABLES_FILE, LOADER_FILE } from '../loader/constants.js';
import type { MachineType } from './machine-type.js';
import { isX86, legacyAcpiTableSize } from './machine-type.js';
import type { QemuPolicy } from './version.js';

export const ACPI_BUILD_ALIGN_SIZE = 0x1000;
export const ACPI_BUILD_TABLE_SIZE = 0x20000;
export const ACPI_BUILD_TABLE_MAX_SIZE = 0x200000;
export const ACPI_BUILD_LEGACY_CPU_AML_SIZE = 97;

const roundUp = (n: number, a: number) => Math.ceil(n / a) * a;

export interface TablesPadding {
  size: number;
  /** QEMU's warning lines when the tables outgrow what migration expects. */
  warnings: string[];
}

/**
 * The padded size of `etc/acpi/tables`. `amlLength` is DSDT + FADT (what
 * QEMU subtracts for the legacy sizes); `apicIdLimit` the APIC ID limit.
 */
export function paddedTablesSize(machine: MachineType, rawLength: number, amlLength: number, apicIdLimit: number, program: string): TablesPadding {
  const warn = (limit: number) => [`${program}: warning: ACPI table size ${rawLength} exceeds ${limit} bytes, migration may not work`, 'Try removing CPUs, NUMA nodes, memory slots or PCI bridges.'];
  const legacy = legacyAcpiTableSize(machine);
  if (legacy !== undefined) {
    const size = roundUp(rawLength - amlLength + legacy + ACPI_BUILD_LEGACY_CPU_AML_SIZE * apicIdLimit, ACPI_BUILD_ALIGN_SIZE);
    return { size, warnings: rawLength > size ? warn(size) : [] };
  }
  if (machine.family === 'microvm') return { size: rawLength, warnings: [] };
  // i386 and (since 6.0) arm virt pad the tables to 128 KiB
  return { size: roundUp(rawLength, ACPI_BUILD_TABLE_SIZE), warnings: rawLength > ACPI_BUILD_TABLE_SIZE / 2 ? warn(ACPI_BUILD_TABLE_SIZE / 2) : [] };
}

/** The padded size of `etc/table-loader`: i386 pads to 4 KiB, arm virt and microvm do not. */
export function paddedLoaderSize(machine: MachineType, rawLength: number): number {
  return isX86(machine) && machine.family !== 'microvm' ? roundUp(rawLength, ACPI_BUILD_ALIGN_SIZE) : rawLength;
}

/**
 * acpi_add_rom_blob's requested maximum for a blob (0 = none: the RAM block's
 * maximum becomes its page-aligned initial size).
 */
export function romBlobMaxSize(policy: QemuPolicy, name: string, length: number): number {
  if (policy.romMax === 'initial') return name === TABLES_FILE ? ACPI_BUILD_TABLE_MAX_SIZE : 0;
  let max: number;
  if (name === TABLES_FILE) max = ACPI_BUILD_TABLE_MAX_SIZE;
  else if (name === LOADER_FILE) max = 0x10000;
  else if (name === RSDP_FILE) max = 0x1000;
  else throw new FwCfgError('ROM_BLOB_NAME', `acpi_add_rom_blob: no maximum for ${JSON.stringify(name)} (QEMU: g_assert_not_reached)`);
  if (length > max) throw new FwCfgError('ROM_BLOB_TOO_LARGE', `acpi_add_rom_blob: ${name} is ${length} bytes, over its maximum 0x${max.toString(16)} (QEMU asserts)`);
  return max;
}
