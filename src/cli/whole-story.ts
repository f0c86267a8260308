/**
 * The whole story of one configuration (a capture of the user's own command
 * line, or a vector), in the order a VM lives it: the ROM blobs at creation
 * and their headroom, boot 1 under each firmware, reboots, migration of the
 * booted VM to each modelled QEMU, and lint's findings. `fwcfg check` prints
 * it; the JSON form is one document.
 */
import { lintVector, type LintReport } from '../lint/lint.js';
import { LOADER_FILE } from '../loader/constants.js';
import { decodeLoader } from '../loader/codec.js';
import { hostPageAlign } from '../memory/address.js';
import { romBlobMaxSize } from '../qemu/acpi-sizes.js';
import { modelledQemuVersions, parseQemuVersion, qemuPolicy } from '../qemu/version.js';
import type { FirmwareName } from '../simulate/boot.js';
import type { Measurement } from '../firmware/measurement.js';
import { FIRMWARE_RECORDS, firmwareRecordFor } from '../firmware/records/index.js';
import { parseMachineType } from '../qemu/machine-type.js';
import { REBUILD_STAGES } from '../qemu/from-vector.js';
import { simulateLifecycle, type BootRecord, type Lifecycle } from '../simulate/lifecycle.js';
import { migrateCheck, type MigrateCheckReport } from '../simulate/migrate-check.js';
import { policyFor } from '../simulate/options.js';
import type { Configuration } from '../vectors/configuration.js';
import type { CaptureFirmware } from '../vectors/capture-json.js';
import type { StoryBlob, StoryConfiguration, StoryFirmware } from '../report/story.js';
import { bootRecordJson } from './lifecycle-output.js';
import { byteCount, hx } from './output.js';
import type { FirmwareReport } from '../firmware/report.js';

/** QEMU releases whose ROM sizing and migration rules the model holds (src/qemu/version.ts). */
export const MODELLED_QEMU: readonly string[] = modelledQemuVersions();
/** Boots per firmware: the first, and two reboots (a resized blob's lost trigger shows at boot 2). */
export const BOOTS = 3;

/** A ROM blob at creation as the report draws it (report/story.ts), and its headroom. */
export interface BlobHeadroom extends StoryBlob {
  /** Bytes the file may still grow before QEMU refuses the resize. */
  headroom: number;
}

export type FirmwareStory = StoryFirmware;

export interface WholeStory {
  configuration: StoryConfiguration;
  creation: BlobHeadroom[];
  firmware: FirmwareStory[];
  migration: MigrateCheckReport[];
  lint: LintReport;
  errors: number;
}

const CAPTURE_TO_MODEL: Record<CaptureFirmware, FirmwareName> = { seabios: 'seabios', ovmf: 'ovmf', aavmf: 'ovmf' };

/** The firmware to tell about: the one the command line boots first, then the others that run on the machine. */
function firmwareOrder(cfg: Configuration): FirmwareName[] {
  const booted = cfg.bootedFirmware === null ? undefined : CAPTURE_TO_MODEL[cfg.bootedFirmware];
  // the firmware whose boot was recorded on this machine (a capture records every one that runs it)
  const recorded: FirmwareName[] = [];
  if (cfg.vector.hasStage('after')) recorded.push('seabios');
  if (cfg.vector.hasStage('after-ovmf') || cfg.vector.hasStage('after-aavmf')) recorded.push('ovmf');
  for (const r of cfg.firmwareRuns) if (!recorded.includes(CAPTURE_TO_MODEL[r.firmware])) recorded.push(CAPTURE_TO_MODEL[r.firmware]);
  const all: FirmwareName[] = recorded.length > 0 ? recorded : ['seabios', 'ovmf'];
  return booted === undefined || !all.includes(booted) ? all : [booted, ...all.filter((f) => f !== booted)];
}

export interface StoryOptions {
  /** Sees each firmware's life, guest memory and served files included, before the memory goes back to the pool (the HTML report draws from it). */
  observe?: (firmware: FirmwareName, life: Lifecycle) => void;
}

export function wholeStory(cfg: Configuration, progress: (m: string) => void = () => undefined, options: StoryOptions = {}): WholeStory {
  const vector = cfg.vector;
  const release = cfg.qemuRelease ?? '7.2';
  const policy = policyFor(release);
  const hostPageSize = cfg.hostPageSize ?? 0x1000;
  const before = vector.stage('before');
  const arch = parseMachineType(vector.manifest.machine_type).arch;

  // boots first: the creation account quotes the size after the first rebuild
  const firmware: FirmwareStory[] = [];
  for (const fw of firmwareOrder(cfg)) {
    const record = firmwareRecordFor(fw, arch, vector.manifest.packages);
    if (record === undefined) continue;
    progress(`simulating ${BOOTS} boots under ${fw}`);
    const run = cfg.firmwareRuns.find((r) => CAPTURE_TO_MODEL[r.firmware] === fw);
    const recordedExit = run?.outcome === 'qemu-exited' ? { status: run.exit?.signal ?? `exit status ${run.exit?.code}`, stderr: run.stderr } : null;
    const life = simulateLifecycle(vector, { policy, hostPageSize, firmware: fw, boots: BOOTS, keepFiles: options.observe !== undefined, ...(vector.items ? { items: vector.items } : {}) });
    options.observe?.(fw, life);
    life.memories.forEach((m) => m?.release());
    firmware.push({ firmware: fw, label: record.label.split(' ')[0]!, booted: cfg.bootedFirmware !== null && CAPTURE_TO_MODEL[cfg.bootedFirmware] === fw, recordedExit, boots: life.report.boots, stopped: life.report.stopped });
  }

  // the rebuild the command line's firmware recorded first, then any other firmware's
  const ownStages = firmware.filter((f) => f.booted).flatMap((f) => FIRMWARE_RECORDS.filter((r) => r.name === f.firmware && r.arches.includes(arch)).flatMap((r) => r.stages));
  const stages = [...ownStages, ...REBUILD_STAGES.filter((st) => !ownStages.includes(st))];
  const creation: BlobHeadroom[] = before.roms.map((r) => {
    const rebuiltStage = stages.find((st) => vector.hasRom(st, r.fw_cfg_file));
    const rebuiltSize = rebuiltStage === undefined ? null : vector.rom(rebuiltStage, r.fw_cfg_file).fw_cfg_size;
    const commands = r.fw_cfg_file === LOADER_FILE ? { creation: commandCount(vector.romBytes('before', LOADER_FILE)), afterBoot: rebuiltStage === undefined ? null : commandCount(vector.romBytes(rebuiltStage, LOADER_FILE)) } : undefined;
    return {
      file: r.fw_cfg_file,
      ramblock: r.ramblock,
      ...(commands !== undefined ? { commands } : {}),
      size: r.fw_cfg_size,
      used: r.used_length,
      max: r.max_length,
      headroom: r.max_length - r.fw_cfg_size,
      sizeAfterBoot: rebuiltSize,
      byQemu: modelledQemuVersions().map((q) => {
        const max = hostPageAlign(romBlobMaxSize(qemuPolicy(parseQemuVersion(q)), r.fw_cfg_file, r.fw_cfg_size) || r.fw_cfg_size, hostPageSize);
        return { qemu: q, max, fits: rebuiltSize === null ? null : hostPageAlign(rebuiltSize, hostPageSize) <= max };
      }),
    };
  });

  progress('checking migration to each modelled QEMU');
  const migration = modelledQemuVersions().map((to) => migrateCheck(vector, { from: policy, to: policyFor(to), fromHostPage: hostPageSize, toHostPage: hostPageSize, at: 'booted' }));
  progress('linting');
  const lint = lintVector(vector);
  return {
    configuration: {
      name: vector.name,
      kind: cfg.kind,
      dir: vector.dir,
      qemu: vector.manifest.qemu_version,
      qemuRelease: cfg.qemuRelease,
      machineType: vector.manifest.machine_type,
      hostPageSize,
      argv: [String(vector.manifest['qemu_binary'] ?? 'qemu-system-x86_64'), ...vector.manifest.config_args],
    },
    creation,
    firmware,
    migration,
    lint,
    errors: lint.errors,
  };
}

// ------------------------------------------------------------------ text


/** One line per TPM measurement: the file, the bytes read, the SHA-256 digest (SHA-1 for a TPM 1.2). */
function measuredLines(ms: readonly Measurement[], indent = '     '): string[] {
  return ms.map((m) => `${indent}measures into PCR ${m.pcr}: ${m.file} (${m.length} bytes), ${m.digests.sha256 !== undefined ? `sha256 ${m.digests.sha256}` : `sha1 ${m.digests.sha1}`}`);
}

function osText(b: BootRecord): string {
  switch (b.os.tables) {
    case 'qemu':
      return "QEMU's tables, intact";
    case 'firmware':
      return `the firmware's own tables, not QEMU's: ${fallbackWhy(b.firmware)}`;
    case 'none':
      return b.qemuError !== null ? 'nothing: QEMU is gone' : `no ACPI tables${b.firmware?.warnings[0] ? ` (${b.firmware.warnings[0]})` : ''}`;
    case 'broken':
      return `broken tables: ${b.os.reasons[0] ?? ''}${b.os.reasons.length > 1 ? ` (+${b.os.reasons.length - 1} more)` : ''}`;
  }
}

/** Why a firmware gave the OS its own tables (SeaBIOS's fallback when its loader run fails). */
export function fallbackWhy(fw: FirmwareReport | null): string {
  if (fw === null) return 'the loader did not run';
  if (fw.outcome === 'not-run') return 'there is no loader to run, so the firmware built its own';
  const unread = fw.commandsAvailable - fw.commandsExecuted;
  const stale = unread > 0 ? `it read ${fw.loaderBytesRead} of the loader's ${fw.loaderSizeNow} bytes (the size the directory gave before the rebuild), so ${unread} command${unread === 1 ? '' : 's'} never ran` : 'the loader run did not complete';
  return `${stale}; the firmware noticed (${fw.warnings[0] ?? 'no warning'}) and built its own`;
}

export function storyText(s: WholeStory): string {
  const c = s.configuration;
  const out: string[] = [`${c.name}: ${c.argv.join(' ')}`, `${c.qemu} (${c.machineType}), ${c.hostPageSize === 0x1000 ? '4 KiB' : `${c.hostPageSize / 1024} KiB`} host pages; the model uses QEMU ${c.qemuRelease ?? '7.2'}'s rules`, ''];

  out.push('1. At machine creation (the ACPI ROM blobs and their RAM blocks):');
  if (s.creation.length === 0) out.push('   none: QEMU builds no ACPI tables for this machine');
  for (const b of s.creation) {
    const grown = b.sizeAfterBoot !== null && b.sizeAfterBoot !== b.size ? `; the firmware's first select grows it to ${byteCount(b.sizeAfterBoot)}` : '';
    const cmds = b.commands === undefined ? '' : b.commands.afterBoot === null || b.commands.afterBoot === b.commands.creation ? ` (${b.commands.creation} commands)` : ` (${b.commands.creation} commands, ${b.commands.afterBoot} after the rebuild)`;
    out.push(`   ${b.file.padEnd(18)} ${byteCount(b.size).padStart(22)} in ${b.ramblock}: used ${hx(b.used)}, max ${hx(b.max)}, headroom ${hx(b.headroom)}${cmds}${grown}`);
    const misfits = b.byQemu.filter((q) => q.fits === false);
    if (misfits.length > 0) out.push(`      too large for QEMU ${misfits.map((q) => `${q.qemu} (max ${hx(q.max)})`).join(', ')}: that QEMU aborts at the rebuild`);
  }
  out.push('');

  out.push(`2. Boot 1 under each firmware:`);
  for (const f of s.firmware) {
    const b = f.boots[0];
    const label = `${f.label}${f.booted ? ' (the command line boots it)' : ''}`;
    const modelled = b?.qemuError ?? null;
    if (f.recordedExit !== null && modelled !== f.recordedExit.stderr.join('\n')) out.push(`   ${label}: the live QEMU ended (${f.recordedExit.status}) on the firmware's way to its tables:`, ...f.recordedExit.stderr.map((l) => `     ${l}`));
    if (b === undefined) continue;
    if (modelled !== null) {
      const recorded = f.recordedExit !== null && modelled === f.recordedExit.stderr.join('\n');
      const head = recorded ? `the live QEMU ended (${f.recordedExit!.status}) at the firmware's first ACPI select, printing:` : "QEMU rebuilds at the firmware's first ACPI select and aborts:";
      out.push(`   ${label}: ${head}`, ...modelled.split('\n').map((l) => `     ${l}`));
      continue;
    }
    const fw = b.firmware;
    const ran = fw === null ? 'does not run' : fw.outcome === 'not-run' ? `runs no loader (${fw.notes[0] ?? fw.warnings[0] ?? 'QEMU serves no etc/table-loader'})` : `runs ${fw.commandsExecuted} of ${fw.commandsAvailable} commands (read ${fw.loaderBytesRead} of ${fw.loaderSizeNow} bytes)`;
    out.push(`   ${label}: ${ran}; the OS gets ${osText(b)}`);
    if (b.os.tables !== 'firmware') for (const w of fw?.warnings ?? []) out.push(`     warning: ${w}`);
    out.push(...measuredLines(fw?.measurements ?? []));
  }
  out.push('');

  out.push(`3. Reboots (${BOOTS} boots, a system reset between them):`);
  for (const f of s.firmware) {
    const per = f.boots.map((b) => `boot ${b.boot}: ${b.os.tables === 'qemu' ? "QEMU's tables" : b.os.tables === 'firmware' ? "firmware's own" : b.os.tables === 'none' ? 'no tables' : 'broken'}`);
    out.push(`   ${f.label.padEnd(8)} ${per.join('; ')}${f.stopped !== null ? ` (stopped: ${f.stopped})` : ''}`);
    const firstBad = f.boots.find((b) => b.boot > 1 && b.os.tables !== f.boots[0]?.os.tables);
    if (firstBad !== undefined) out.push(`     boot ${firstBad.boot}: ${osText(firstBad)}`);
    // what the TPM sees changes with the reboot when the firmware reads other bytes (the size the reset kept)
    const first = JSON.stringify(f.boots[0]?.firmware?.measurements ?? []);
    const other = f.boots.find((b) => b.boot > 1 && JSON.stringify(b.firmware?.measurements ?? []) !== first);
    if (other !== undefined) out.push(`     boot ${other.boot} measures other bytes than boot 1:`, ...measuredLines(other.firmware?.measurements ?? [], '       '));
  }
  out.push('');

  out.push('4. Migrating the booted VM to a fresh QEMU of each modelled release:');
  for (const m of s.migration) {
    if (m.sourceError !== null) out.push(`   to ${m.to}: the source never gets there (it aborts at the rebuild)`);
    else if (m.loads) out.push(`   to ${m.to}: the stream loads`);
    else out.push(`   to ${m.to}: the destination refuses it:`, ...(m.errorLines ?? []).map((l) => `     ${l}`));
  }
  // an unversioned -machine is each release's own newest type: say how to get a VM that can move
  if (s.migration.some((m) => m.errorLines?.some((l) => l.includes('Machine type received')))) {
    out.push(`   (-machine ${s.configuration.machineType.replace(/-\d+\.\d+$/, '').replace('pc-i440fx', 'pc').replace('pc-q35', 'q35')} means each release's own newest machine type; start the VM with a versioned one both releases have, e.g. -machine ${s.configuration.machineType}, to migrate it)`);
  }
  out.push('');

  const warnings = s.lint.findings.filter((f) => f.severity === 'warning').length;
  out.push(`5. Lint: ${s.lint.errors} error${s.lint.errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}`);
  for (const f of s.lint.findings) out.push(`   ${f.severity.padEnd(7)} ${f.code}: ${f.message}`);
  return out.join('\n') + '\n';
}

export function storyJson(s: WholeStory): Record<string, unknown> {
  return {
    configuration: s.configuration,
    creation: s.creation,
    firmware: s.firmware.map((f) => ({
      firmware: f.firmware,
      label: f.label,
      booted: f.booted,
      recordedExit: f.recordedExit,
      stopped: f.stopped,
      boots: f.boots.map(bootRecordJson),
    })),
    migration: s.migration,
    lint: s.lint,
    errors: s.errors,
  };
}

/** Commands the creation loader holds (for one-line summaries). */
export function commandCount(bytes: Uint8Array): number {
  return decodeLoader(bytes.subarray(0, bytes.length - (bytes.length % 128))).filter((e) => e.type !== 'padding').length;
}
