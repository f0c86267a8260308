/**
 * The capture_format 3 parts of items.json (docs/capture-format.md): the
 * creation blobs and, per firmware, the rebuild its boot triggered. Written
 * by qemu/capture.ts, read by vectors/configuration.ts.
 */

/** A row of the fw_cfg file directory as captures write it (the select as 0xKKKK). */
export interface DirectoryRowJson {
  select: string;
  size: number;
  name: string;
}

/** The firmware kinds a capture records; AAVMF is OVMF's arm build (the simulator's `ovmf` on arm); U-Boot only when the command line boots it (`-bios u-boot.rom`). */
export type CaptureFirmware = 'seabios' | 'ovmf' | 'aavmf' | 'uboot';

export interface RamBlockJson {
  name: string;
  used: number;
  max: number;
}

export interface RomBlobJson {
  /** The fw_cfg file. */
  name: string;
  ramblock: string;
  used: number;
  max: number;
  /** The file's size in the fw_cfg directory (the block's first bytes). */
  fw_cfg_size: number;
  /** The whole used length of the block, as in spec-vectors' before/after folders. */
  bin: string;
  sha256: string;
}

export interface FirmwareImageJson {
  /** Files QEMU loads (code, and the variable store template copied for each run). */
  files: string[];
  /** How it reaches QEMU: the command line's own, QEMU's default, or an installed package's. */
  source: 'command line' | 'qemu default' | 'installed';
  /** The version read from the image or its package, where it can be read. */
  version: string | null;
  versionFrom: string | null;
}

export interface FirmwareRebuildJson {
  firmware: CaptureFirmware;
  /** The vector stage this rebuild stands for (after, after-ovmf, after-aavmf, after-uboot). */
  stage: string;
  image: FirmwareImageJson;
  argv: string[];
  /** rebuilt: the firmware selected an ACPI file and QEMU rebuilt; qemu-exited: QEMU ended on the way; no-acpi-select: the firmware never asked within the bound. */
  outcome: 'rebuilt' | 'qemu-exited' | 'no-acpi-select';
  first_acpi_select: { name: string; select: string; after_s: number } | null;
  exit: { code: number | null; signal: string | null } | null;
  /** QEMU's stderr without the capture's own trace lines. */
  stderr: string[];
  directory_at_start: DirectoryRowJson[];
  directory_after: DirectoryRowJson[] | null;
  ramblock_at_start: RamBlockJson[];
  ramblock_after: RamBlockJson[] | null;
  roms: RomBlobJson[];
  elapsed_s: number;
}

export interface CreationJson {
  how: string;
  /** The ACPI ROM blobs at machine creation (whole RAM blocks; the file is the first fw_cfg_size bytes). */
  roms: RomBlobJson[];
  /** The SeaBIOS version in the BIOS image the command line loaded, when it loaded SeaBIOS. */
  loaded_seabios_version?: string | null;
}

export interface FirmwareCaptureJson {
  /** The firmware the command line itself boots (null: none). */
  booted: CaptureFirmware | null;
  runs: FirmwareRebuildJson[];
  unavailable: { firmware: CaptureFirmware; reason: string }[];
}
