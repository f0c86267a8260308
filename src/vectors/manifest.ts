/**
 * The shape of a QEMU capture's `manifest.json` (schema 1), as documented in
 * spec-vectors/qemu-7.2/README.md. Only the fields this project reads are
 * typed; everything else is kept as it is.
 */

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

export interface WritePointerRow {
  dest_file: string;
  dst_offset: number;
  size: number;
  value: number;
}

export interface TableRow {
  signature: string;
  length: number;
  address: string;
  checksum_ok: boolean;
  path: string;
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
  rsdp?: Record<string, unknown>;
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
  stages: Record<string, StageManifest>;
  summary: Record<string, unknown>;
  [k: string]: unknown;
}
