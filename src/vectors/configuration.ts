/**
 * The one reader of configuration directories. A directory holds either a
 * QEMU vector (`manifest.json`: spec-vectors/qemu-7.2/<config>) or a capture
 * written by `fwcfg capture` (`items.json`, docs/capture-format.md). Every
 * command that models a VM opens its argument here and gets the same thing
 * for both: a `Vector` (stages `before`, `after`, `after-ovmf`,
 * `after-aavmf`, `after-uboot` with their ROM blobs and RAM blocks) plus the item capture
 * that goes with it (well-known items, plain files, QEMU's rebuild on an
 * unprogrammed platform). A capture's vector is built from what the capture
 * recorded — the creation blobs and each firmware's rebuild — so a capture
 * and a vector of one configuration give the same answers.
 */
import { InputError } from '../errors.js';
import type { CaptureFirmware, FirmwareRebuildJson, RomBlobJson } from './capture-json.js';
import { existingSourceOf, type FileSource } from './file-source.js';
import { loadItemsCapture, type DirectoryRowJson, type ItemsCapture } from './items-capture.js';
import type { RomRow, StageManifest, VectorManifest } from './manifest.js';
import { array, integer, nullable, object, oneOf, optional, relativePath, sha256, size, string, u32, unknownValue, validate, type Check } from './schema.js';
import { Vector } from './vector.js';

export type ConfigurationKind = 'vector' | 'capture';

export interface Configuration {
  kind: ConfigurationKind;
  vector: Vector;
  /** The item capture: the directory itself for a capture, a sibling (spec-vectors/fwcfg-device/<config>) or none for a vector. */
  items: ItemsCapture | undefined;
  /** What the capture recorded of each firmware's boot up to its first ACPI select (captures only). */
  firmwareRuns: FirmwareRebuildJson[];
  /** The firmware the configuration's command line boots, when known. */
  bootedFirmware: CaptureFirmware | null;
  /** The QEMU release the configuration was captured on, `major.minor` (null when unknown). */
  qemuRelease: string | null;
  /** The host page size the capture recorded (null: not recorded). */
  hostPageSize: number | null;
}

/** Which format a directory holds, or a typed error naming the directory. */
export function configurationKind(from: string | FileSource): ConfigurationKind {
  const source = existingSourceOf(from);
  if (source.has('manifest.json')) return 'vector';
  if (source.has('items.json')) return 'capture';
  throw new InputError('NO_VECTOR', `${source.root}: neither a QEMU vector (manifest.json) nor a capture (items.json)`);
}

/**
 * Opens a vector or a capture. `siblingItems` finds the item capture that
 * goes with a vector (callers that know where vectors live pass it).
 */
export function openConfiguration(from: string | FileSource, siblingItems?: (vector: Vector) => ItemsCapture | undefined): Configuration {
  const source = existingSourceOf(from);
  if (configurationKind(source) === 'vector') {
    const vector = Vector.load(source);
    const release = /version (\d+\.\d+)/.exec(vector.manifest.qemu_version)?.[1] ?? null;
    return { kind: 'vector', vector, items: siblingItems?.(vector), firmwareRuns: [], bootedFirmware: null, qemuRelease: release, hostPageSize: null };
  }
  const items = loadItemsCapture(source);
  return captureConfiguration(source, items);
}

// ------------------------------------------------------------------ capture -> vector

const ramRow = object({ name: string, used: size, max: size });
const dirRow = object({ select: string, size: u32, name: string });
const romBlob = object({ name: string, ramblock: string, used: size, max: size, fw_cfg_size: u32, bin: relativePath, sha256: sha256 });
const firmwareRun = object({
  firmware: oneOf('seabios', 'ovmf', 'aavmf', 'uboot'),
  stage: oneOf('after', 'after-ovmf', 'after-aavmf', 'after-uboot'),
  outcome: oneOf('rebuilt', 'qemu-exited', 'no-acpi-select'),
  first_acpi_select: nullable(object({ name: string, select: string, after_s: unknownValue })),
  exit: nullable(object({ code: nullable(integer), signal: nullable(string) })),
  stderr: array(string),
  directory_at_start: array(dirRow),
  directory_after: nullable(array(dirRow)),
  ramblock_at_start: array(ramRow),
  ramblock_after: nullable(array(ramRow)),
  roms: array(romBlob),
});
const format3: Check<{ machine_type: string; qemu_version: string | null; host_page_size?: number; creation: { roms: RomBlobJson[]; loaded_seabios_version?: string | null }; firmware: { booted: CaptureFirmware | null; runs: FirmwareRebuildJson[] } }> = object({
  machine_type: string,
  qemu_version: nullable(string),
  host_page_size: optional(size),
  creation: object({ how: string, roms: array(romBlob), loaded_seabios_version: optional(nullable(string)) }),
  firmware: object({ booted: nullable(oneOf('seabios', 'ovmf', 'aavmf', 'uboot')), runs: array(firmwareRun), unavailable: array(object({ firmware: string, reason: string })) }),
  directory_before_acpi_select: array(dirRow),
  ramblock_at_start: array(ramRow),
  user_argv: array(string),
}) as never;

const COMMAND_NAMES: Record<number, string> = { 1: 'ALLOCATE', 2: 'ADD_POINTER', 3: 'ADD_CHECKSUM', 4: 'WRITE_POINTER' };

const FIRMWARE_LABEL: Record<CaptureFirmware, string> = { seabios: 'seabios', ovmf: 'ovmf', aavmf: 'aavmf', uboot: 'uboot' };

function romRows(roms: readonly RomBlobJson[]): RomRow[] {
  return roms.map((r) => ({ ramblock: r.ramblock, fw_cfg_file: r.name, used_length: r.used, max_length: r.max, fw_cfg_size: r.fw_cfg_size, path: r.bin, sha256: r.sha256 }));
}

function directoryRows(rows: readonly DirectoryRowJson[]): StageManifest['fw_cfg_directory'] {
  return rows.map((d) => ({ name: d.name, size_at_add: d.size, key: d.select }));
}

/**
 * Command counts of a loader blob, as manifests list them: each 128-byte
 * entry starts with its command as a little-endian u32 (0: padding). Read
 * here without the loader room's decoder, which sits above this one.
 */
function loaderCounts(source: FileSource, roms: readonly RomBlobJson[]): StageManifest['loader'] {
  const rom = roms.find((r) => r.name === 'etc/table-loader');
  if (rom === undefined) return { commands: 0, counts: {} };
  const bytes = source.read(rom.bin, 'ROM blob etc/table-loader').subarray(0, rom.fw_cfg_size);
  const counts: Record<string, number> = {};
  let commands = 0;
  let padding = 0;
  for (let at = 0; at + 128 <= bytes.length; at += 128) {
    const command = (bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 24)) >>> 0;
    if (command === 0 && bytes.subarray(at, at + 128).every((b) => b === 0)) {
      padding++;
      continue;
    }
    commands++;
    const name = COMMAND_NAMES[command] ?? 'UNKNOWN';
    counts[name] = (counts[name] ?? 0) + 1;
  }
  return { commands, padding_entries: padding, counts };
}

/** The vmgenid GUID in etc/vmgenid_guid (at byte 40, first three fields little-endian), as QMP prints it. */
function vmgenidGuid(items: ItemsCapture): string | undefined {
  const file = items.items.find((i) => i.kind === 'file' && i.name === 'etc/vmgenid_guid')?.bytes;
  if (file === undefined || file.length < 56) return undefined;
  const hex = (from: number, to: number, reverse: boolean) => {
    const part = Array.from(file.subarray(from, to), (b) => b.toString(16).padStart(2, '0'));
    return (reverse ? part.reverse() : part).join('');
  };
  return `${hex(40, 44, true)}-${hex(44, 46, true)}-${hex(46, 48, true)}-${hex(48, 50, false)}-${hex(50, 56, false)}`;
}

function captureConfiguration(source: FileSource, items: ItemsCapture): Configuration {
  const path = source.describe('items.json');
  if ((items.json.capture_format ?? 1) < 3) {
    throw new InputError(
      'OLD_CAPTURE',
      `${source.root}: a capture without the creation blobs and firmware rebuilds (capture_format ${items.json.capture_format ?? 1}); capture it again with fwcfg capture --out DIR -- QEMU_ARGS (no --rebuild)`,
    );
  }
  const j = validate(format3, items.json, path, 'BAD_CAPTURE');
  const creationRows = romRows(j.creation.roms);
  const stages: Record<string, StageManifest> = {
    before: {
      label: 'before',
      firmware: 'none (paused at reset, -S)',
      ramblock: items.json.ramblock_at_start ?? [],
      ramblock_at_start: items.json.ramblock_at_start ?? [],
      fw_cfg_directory: directoryRows(items.json.directory_before_acpi_select ?? []),
      roms: creationRows,
      loader: loaderCounts(source, j.creation.roms),
    },
  };
  // the GUID the capture's QEMU drew (or was given): a live boot of the capture pins it
  const guid = vmgenidGuid(items);
  for (const run of j.firmware.runs) {
    if (run.outcome !== 'rebuilt' || run.ramblock_after === null) continue;
    const loaderAtStart = run.directory_at_start.find((d) => d.name === 'etc/table-loader');
    const loader = loaderCounts(source, run.roms);
    stages[run.stage] = {
      label: run.stage,
      firmware: FIRMWARE_LABEL[run.firmware],
      ramblock: run.ramblock_after,
      ramblock_at_start: run.ramblock_at_start,
      fw_cfg_directory: directoryRows(run.directory_at_start),
      roms: romRows(run.roms),
      loader,
      ...(guid !== undefined ? { qmp_vm_generation_id: guid } : {}),
      ...(run.first_acpi_select !== null && loaderAtStart !== undefined
        ? {
            firmware_view: {
              first_acpi_file_select: run.first_acpi_select.name,
              loader_size_in_directory_firmware_read: loaderAtStart.size,
              loader_commands_firmware_could_read: Math.min(loader.commands, Math.floor(loaderAtStart.size / 128)),
            },
          }
        : {}),
    };
  }
  const userArgv = items.json['user_argv'] as string[];
  const manifest: VectorManifest = {
    schema: 1,
    config: items.json.config,
    description: items.json.description ?? items.json.config,
    qemu_version: items.json.qemu ?? 'unknown',
    qemu_binary: (items.json['qemu_binary_path'] as string | undefined) ?? userArgv[0] ?? 'qemu-system-x86_64',
    machine_type: j.machine_type,
    config_args: userArgv.slice(1),
    packages: firmwarePackages(j),
    stages,
    summary: {},
    from_capture: true,
    // what QEMU printed where it ended on a firmware's way to the rebuild (QEMU before 6.0 on a growing loader)
    qemu_exits: Object.fromEntries(j.firmware.runs.filter((r) => r.outcome === 'qemu-exited').map((r) => [r.stage, { status: r.exit?.signal ?? `exit status ${r.exit?.code ?? '?'}`, stderr: r.stderr, during_boot: r.exit !== null }])),
  };
  const vector = Vector.fromManifest(source, manifest, items);
  const release = j.qemu_version === null ? null : (/^(\d+\.\d+)/.exec(j.qemu_version)?.[1] ?? null);
  return { kind: 'capture', vector, items, firmwareRuns: j.firmware.runs, bootedFirmware: j.firmware.booted, qemuRelease: release, hostPageSize: j.host_page_size ?? null };
}

/** The Debian package each detected firmware version stands for, as a vector's `packages` names them. */
const PACKAGE_OF: Record<string, string> = { seabios: 'seabios', ovmf: 'ovmf', aavmf: 'qemu-efi-aarch64', uboot: 'u-boot-qemu' };

/** The firmware versions a capture detected (the image QEMU loaded, or the host's package), by package. */
function firmwarePackages(j: { firmware: { runs: readonly Pick<FirmwareRebuildJson, 'firmware' | 'image'>[] }; creation?: { loaded_seabios_version?: string | null } | null }): Record<string, string> {
  const out: Record<string, string> = {};
  for (const run of j.firmware.runs) {
    const pkg = PACKAGE_OF[run.firmware];
    if (pkg !== undefined && run.image.version !== null) out[pkg] = run.image.version;
  }
  const loaded = j.creation?.loaded_seabios_version;
  if (loaded !== undefined && loaded !== null) out['seabios'] = loaded;
  return out;
}

/** The vector of a vector or capture directory (what every modelling command opens). */
export function openVector(from: string | FileSource): Vector {
  return openConfiguration(from).vector;
}
