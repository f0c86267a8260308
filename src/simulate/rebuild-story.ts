/**
 * `fwcfg simulate VECTOR --firmware none`: machine creation from a capture,
 * the guest-triggered rebuild (a select of the ACPI file the firmware selected
 * first), QEMU's abort if a resize fails, and optionally what a rebooted guest
 * reads after a system reset.
 */
import { UsageError } from '../errors.js';
import { decodeLoader } from '../loader/codec.js';
import { LOADER_FILE, RSDP_FILE, TABLES_FILE } from '../loader/constants.js';
import type { RamBlockRow } from '../memory/ram-list.js';
import { QemuAbort, type AcpiBlobs } from '../qemu/acpi-build.js';
import { machineFromVector, REBUILD_STAGES, rebuildStage } from '../qemu/from-vector.js';
import type { QemuMachine } from '../qemu/machine.js';
import { versionText, type QemuHost } from '../qemu/version.js';
import type { Vector } from '../vectors/vector.js';

export const ACPI_FILES = [TABLES_FILE, LOADER_FILE, RSDP_FILE] as const;

export interface AcpiFileView {
  name: string;
  /** Size in the fw_cfg directory. */
  size: number;
  /** Whether a select of this file would run QEMU's rebuild now. */
  selectRebuilds: boolean;
}

export interface LoaderView {
  bytes: number;
  commands: number;
  paddingEntries: number;
}

export interface SelectStep {
  select: string;
  /** Whether this select ran QEMU's rebuild. */
  rebuilt: boolean;
  loader: LoaderView;
  /** The loader bytes are the machine-creation build followed by zeros only. */
  loaderIsCreationBuild: boolean;
  ramblocks: RamBlockRow[];
  qemuError: string | null;
}

export interface ResetScenario {
  description: string;
  programsPlatform: boolean;
  steps: SelectStep[];
}

export interface ResetView {
  ramblocks: RamBlockRow[];
  files: AcpiFileView[];
  scenarios: ResetScenario[];
}

export interface RebuildReport {
  vector: string;
  machineType: string;
  qemu: string;
  hostPageSize: number;
  firmware: 'none';
  /** The ACPI file whose select triggered the rebuild. */
  trigger: string;
  ramblocks: { before: RamBlockRow[]; afterRebuild: RamBlockRow[] | null };
  directory: { before: AcpiFileView[]; afterRebuild: AcpiFileView[] | null };
  /** After: null where the live QEMU ended before the rebuilt loader could be read (a capture's record). */
  loader: { commandsBefore: number; commandsAfter: number | null; bytesBefore: number; bytesAfter: number | null };
  rebuilt: boolean;
  qemuError: string | null;
  reset?: ResetView;
}

export function loaderView(bytes: Uint8Array): LoaderView {
  const entries = decodeLoader(bytes);
  const padding = entries.filter((e) => e.type === 'padding').length;
  return { bytes: bytes.length, commands: entries.length - padding, paddingEntries: padding };
}

export function acpiFiles(m: QemuMachine): AcpiFileView[] {
  return ACPI_FILES.filter((n) => m.device.findFile(n) !== undefined).map((name) => ({ name, size: m.fileSize(name)!, selectRebuilds: m.selectRebuilds(name) }));
}

function fileBytes(m: QemuMachine, name: string): Uint8Array {
  return m.device.fileItem(name)?.data ?? new Uint8Array(0);
}

/** Selects `name` as the guest would (port selector write); returns QEMU's abort text if it died. */
export function guestSelect(m: QemuMachine, name: string): string | null {
  const key = m.device.findFile(name);
  if (key === undefined) return null;
  try {
    m.device.select(key);
    return null;
  } catch (err) {
    if (err instanceof QemuAbort) return err.lines.join('\n');
    throw err;
  }
}

/** The ACPI file the capture's firmware selected first (SeaBIOS: the loader). */
export function firstSelect(vector: Vector): string {
  if (!hasRebuildStage(vector)) return LOADER_FILE;
  const stage = vector.stage(rebuildStage(vector));
  const named = stage.firmware_view?.first_acpi_file_select;
  return typeof named === 'string' ? named : LOADER_FILE;
}

function hasRebuildStage(vector: Vector): boolean {
  return REBUILD_STAGES.some((s) => vector.hasStage(s));
}



export interface RebuildOptions extends QemuHost {
  trigger?: string;
  reset?: boolean;
  /** What QEMU serves after a rebuild on an unprogrammed platform (from an fw_cfg item capture). */
  unprogrammed?: AcpiBlobs;
}

function build(vector: Vector, o: RebuildOptions): QemuMachine {
  return machineFromVector(vector, { policy: o.policy, hostPageSize: o.hostPageSize, ...(o.unprogrammed ? { unprogrammed: o.unprogrammed } : {}) });
}

/** The first boot's rebuild: the guest programs the platform as the capture's firmware did, then selects. */
export function bootRebuild(m: QemuMachine, trigger: string): string | null {
  m.programPlatform();
  return guestSelect(m, trigger);
}

export function simulateRebuild(vector: Vector, o: RebuildOptions): RebuildReport {
  const m = build(vector, o);
  const trigger = o.trigger ?? firstSelect(vector);
  if (o.trigger !== undefined && m.device.findFile(trigger) === undefined) {
    throw new UsageError('UNKNOWN_FILE', `--select ${trigger}: ${vector.name} serves no such fw_cfg file (its files: ${m.device.fileRecords().map((f) => f.name).join(', ')})`);
  }
  // decode now: the file is a live view of the RAM block the rebuild rewrites in place
  const before = { ramblocks: m.romRows(), files: acpiFiles(m), loader: loaderView(fileBytes(m, LOADER_FILE)) };
  const qemuError = bootRebuild(m, trigger);
  const rebuilt = (m.acpi?.rebuilds.length ?? 0) > 0;
  const afterLoader = qemuError === null ? loaderView(fileBytes(m, LOADER_FILE)) : undefined;
  const beforeLoader = before.loader;
  const report: RebuildReport = {
    vector: vector.name,
    machineType: m.type.name,
    qemu: versionText(o.policy.version),
    hostPageSize: o.hostPageSize,
    firmware: 'none',
    trigger,
    ramblocks: { before: before.ramblocks, afterRebuild: qemuError === null ? m.romRows() : null },
    directory: { before: before.files, afterRebuild: qemuError === null ? acpiFiles(m) : null },
    loader: {
      commandsBefore: beforeLoader.commands,
      commandsAfter: afterLoader?.commands ?? (hasRebuildStage(vector) ? loaderView(vector.romBytes(rebuildStage(vector), LOADER_FILE)).commands : null),
      bytesBefore: beforeLoader.bytes,
      bytesAfter: afterLoader?.bytes ?? (hasRebuildStage(vector) ? vector.romBytes(rebuildStage(vector), LOADER_FILE).length : null),
    },
    rebuilt,
    qemuError,
  };
  if (o.reset === true && qemuError === null) report.reset = resetView(vector, o, m);
  return report;
}

function step(m: QemuMachine, name: string, creation: Uint8Array): SelectStep {
  const before = m.acpi?.rebuilds.length ?? 0;
  const qemuError = guestSelect(m, name);
  const loader = fileBytes(m, LOADER_FILE);
  return {
    select: name,
    rebuilt: (m.acpi?.rebuilds.length ?? 0) > before,
    loader: loaderView(loader),
    loaderIsCreationBuild: loader.length >= creation.length && creation.every((b, i) => loader[i] === b) && loader.subarray(creation.length).every((b) => b === 0),
    ramblocks: m.romRows(),
    qemuError,
  };
}

/** After the first boot's rebuild, a system reset, then what different guests would meet. */
function resetView(vector: Vector, o: RebuildOptions, first: QemuMachine): ResetView {
  const creation = vector.romBytes('before', LOADER_FILE);
  first.systemReset();
  const view: ResetView = { ramblocks: first.romRows(), files: acpiFiles(first), scenarios: [] };
  const scenario = (description: string, programsPlatform: boolean, selects: string[]) => {
    const m = build(vector, o);
    bootRebuild(m, o.trigger ?? firstSelect(vector));
    m.systemReset();
    if (programsPlatform) m.programPlatform();
    const steps: SelectStep[] = [];
    for (const name of selects) {
      const s = step(m, name, creation);
      steps.push(s);
      if (s.qemuError !== null) break;
    }
    view.scenarios.push({ description, programsPlatform, steps });
  };
  scenario('firmware programs the platform again and selects the loader first (SeaBIOS, OVMF)', true, [LOADER_FILE]);
  scenario('firmware programs the platform again and selects the tables first', true, [TABLES_FILE]);
  if (o.unprogrammed !== undefined) scenario('no firmware: the guest selects the loader, then the tables', false, [LOADER_FILE, TABLES_FILE]);
  return view;
}
