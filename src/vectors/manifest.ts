/**
 * The shape of a QEMU capture's `manifest.json` (schema 1), as documented in
 * spec-vectors/README.md. Only the fields this project reads are
 * typed; everything else is kept as it is. `vectorManifest` checks a parsed
 * manifest against these types.
 */
import { array, boolean, guid, hex, integer, nullable, object, optional, record, relativePath, rule, sha256, size, string, u32, unknownValue, type Check } from './schema.js';

export interface RamBlockRow {
  name: string;
  used: number;
  max: number;
  page_size?: string;
}

export interface DirectoryRow {
  name: string;
  size_at_add: number;
  /** Selector as hex text, e.g. "0x0024". */
  key: string;
}

export interface RomRow {
  ramblock: string;
  fw_cfg_file: string;
  used_length: number;
  max_length: number;
  fw_cfg_size: number;
  path: string;
  sha256: string;
}

export interface AllocationRow {
  file: string;
  align: number;
  zone: number;
  base: number;
  length: number;
  path: string;
}

/** The guest write-back QEMU saw; the UEFI stages record only what they observed (no offset, size or value). */
export interface WritePointerRow {
  dest_file: string;
  dst_offset?: number;
  size?: number;
  value?: number;
  [k: string]: unknown;
}

export interface TableRow {
  signature: string;
  length: number;
  address: string;
  checksum_ok: boolean;
  /** Absent where the table was not dumped (e.g. microvm's). */
  path?: string;
  [k: string]: unknown;
}

export interface StageManifest {
  label: string;
  firmware: string;
  ramblock: RamBlockRow[];
  ramblock_at_start?: RamBlockRow[];
  fw_cfg_directory: DirectoryRow[];
  roms: RomRow[];
  device_state?: Record<string, unknown>;
  loader: { commands: number; padding_entries?: number; counts: Record<string, number> };
  qmp_vm_generation_id?: string;
  firmware_view?: {
    first_acpi_file_select: string;
    loader_size_in_directory_firmware_read: number;
    loader_commands_firmware_could_read: number;
    [k: string]: unknown;
  };
  allocations?: AllocationRow[];
  write_pointers?: WritePointerRow[];
  rsdp?: Record<string, unknown> | null;
  tables_in_memory?: TableRow[];
  os_visible_tables_from_loader?: boolean;
  [k: string]: unknown;
}

export interface VectorManifest {
  schema: number;
  config: string;
  description: string;
  qemu_version: string;
  machine_type: string;
  config_args: string[];
  /** Debian package versions behind the capture (`seabios`, `ovmf`, `qemu-efi-aarch64`, ...). */
  packages?: Record<string, string>;
  stages: Record<string, StageManifest>;
  summary: Record<string, unknown>;
  [k: string]: unknown;
}

// ------------------------------------------------------------------ schema

const ramBlockRow = rule(object({ name: string, used: size, max: size, page_size: optional(string) }), (r) => (r.used > r.max ? `used ${r.used} is larger than max ${r.max}` : undefined));

const romRow = rule(
  object({ ramblock: string, fw_cfg_file: string, used_length: size, max_length: size, fw_cfg_size: u32, path: relativePath, sha256: sha256 }),
  (r) => (r.fw_cfg_size > r.used_length ? `fw_cfg_size ${r.fw_cfg_size} is larger than used_length ${r.used_length}` : r.used_length > r.max_length ? `used_length ${r.used_length} is larger than max_length ${r.max_length}` : undefined),
);

const stageManifest = object({
  label: string,
  firmware: string,
  ramblock: array(ramBlockRow),
  ramblock_at_start: optional(array(ramBlockRow)),
  // fw_cfg's directory holds a file's size as a u32
  fw_cfg_directory: array(object({ name: string, size_at_add: u32, key: hex(16) })),
  roms: array(romRow),
  device_state: optional(record(unknownValue)),
  loader: object({ commands: size, padding_entries: optional(size), counts: record(size) }),
  qmp_vm_generation_id: optional(guid),
  firmware_view: optional(object({ first_acpi_file_select: string, loader_size_in_directory_firmware_read: size, loader_commands_firmware_could_read: size })),
  allocations: optional(array(object({ file: string, align: size, zone: size, base: size, length: size, path: relativePath }))),
  write_pointers: optional(array(object({ dest_file: string, dst_offset: optional(size), size: optional(size), value: optional(size) }))),
  rsdp: optional(nullable(record(unknownValue))),
  tables_in_memory: optional(array(object({ signature: string, length: size, address: hex(64), checksum_ok: boolean, path: optional(relativePath) }))),
  os_visible_tables_from_loader: optional(boolean),
});

/** manifest.json as this project reads it; every field a consumer takes is checked. */
export const vectorManifest: Check<VectorManifest> = object({
  schema: integer,
  config: string,
  description: string,
  qemu_version: string,
  machine_type: string,
  config_args: array(string),
  packages: optional(record(string)),
  stages: record(stageManifest),
  summary: record(unknownValue),
});
