/**
 * Building a QemuMachine from a QEMU capture (spec-vectors/qemu-7.2/<config>):
 * the ROM blobs from `before/`, every other fw_cfg file from the captured
 * directory, the other RAM blocks from `info ramblock`, and a rebuild that
 * yields the captured rebuilt blobs (the machine state QEMU rebuilt from is
 * not modelled; its result is).
 */
import { InputError, UsageError } from '../errors.js';
import { FW_CFG_FILE_DIR } from '../fwcfg/keys.js';
import { isQemuWritableFile } from './known-files.js';
import { LOADER_FILE, RSDP_FILE, TABLES_FILE } from '../loader/constants.js';
import type { Vector } from '../vectors/vector.js';
import { QemuAbort, type AcpiBlobs } from './acpi-build.js';
import { QemuMachine, type MachineFile } from './machine.js';
import { buildRsdpRev0 } from './legacy-rsdp.js';
import { parseMachineType, programName } from './machine-type.js';
import { unsupportedMachine, versionText, type QemuHost, type QemuPolicy } from './version.js';

/** The stage whose blobs are "after the firmware's first select". */
export function rebuildStage(vector: Vector): string {
  for (const s of REBUILD_STAGES) if (vector.hasStage(s)) return s;
  throw new InputError('NO_STAGE', `${vector.dir}: no after/after-ovmf/after-aavmf/after-uboot stage to take the rebuilt blobs from`);
}

function acpiBlobs(vector: Vector, stage: string): AcpiBlobs {
  const tables = vector.romBytes(stage, TABLES_FILE);
  // a plain-file RSDP (pc-i440fx <= 2.2) is not captured: build it as QEMU does
  const rsdp = vector.hasRom(stage, RSDP_FILE) ? vector.romBytes(stage, RSDP_FILE) : buildRsdpRev0(tables, true);
  return { tables, loader: vector.romBytes(stage, LOADER_FILE), rsdp };
}

/** The stages that hold a firmware's rebuild (SeaBIOS's, OVMF's, AAVMF's, U-Boot's). */
export const REBUILD_STAGES: readonly string[] = ['after', 'after-ovmf', 'after-aavmf', 'after-uboot'];

/**
 * What the live QEMU printed when it ended during a firmware's boot, before
 * its rebuild could be read (a capture records it, e.g. QEMU 5.2 aborting on
 * the seed), or undefined. QEMU traces a select only after its callback, so
 * an abort there leaves no trace of the select itself. `stages`: the
 * firmware's own (its records'), default any.
 */
export function recordedExit(vector: Vector, stages: readonly string[] = REBUILD_STAGES): string[] | undefined {
  const exits = vector.manifest['qemu_exits'] as Record<string, { stderr: string[]; during_boot: boolean }> | undefined;
  if (exits === undefined) return undefined;
  return stages.map((s) => exits[s]).find((e) => e !== undefined && e.during_boot)?.stderr;
}

export interface FromVectorOptions extends QemuHost {
  /**
   * What QEMU serves after a rebuild on a platform no firmware has programmed
   * (an fw_cfg item capture of the same configuration); without it such a
   * rebuild is an error, not a guess.
   */
  unprogrammed?: AcpiBlobs;
  /** The stage whose `info ramblock` gives the other RAM blocks (firmware images differ: pc.bios vs pflash). */
  blocksFrom?: string;
  /** The stage whose blobs a rebuild yields (default: the SeaBIOS boot's, else the first UEFI one). */
  rebuildFrom?: string;
  /** Well-known and arch items (signature, ID, NUMA, ...) from an item capture of the same configuration. */
  items?: readonly { key: number; bytes: Uint8Array }[];
  /** QEMU's own lines where the live QEMU ended at the firmware's rebuild (a capture's record): the rebuild ends the same way. */
  exitAtRebuild?: readonly string[];
  /** Contents for plain fw_cfg files the capture has no bytes for (default: zeros of the listed size). */
  fileContents?: ReadonlyMap<string, Uint8Array>;
}

/** The `-machine` argument of the recorded command line (QEMU quotes it in some refusals), else the type's name. */
/** The command line QEMU ran: a vector's recorded stage argv (the shared harness's -cpu max among it), else the capture's own arguments. */
export function commandLineOf(vector: Vector): readonly string[] {
  const argv = (vector.manifest.stages?.['before'] as { argv?: unknown } | undefined)?.argv;
  return Array.isArray(argv) ? (argv as string[]) : vector.manifest.config_args;
}

export function machineArgOf(vector: Vector): string {
  const args = vector.manifest.config_args;
  const i = args.findIndex((a) => a === '-machine' || a === '-M');
  return (i >= 0 ? args[i + 1] : undefined) ?? vector.manifest.machine_type;
}

/** The unversioned names QEMU resolves to its own newest versioned type. */
const ALIASES: Record<string, string> = { q35: 'pc-q35', pc: 'pc-i440fx', virt: 'virt' };

/**
 * What a destination QEMU `policy`, started with this configuration's
 * command line and `-incoming`, prints before it exits (or null when it
 * takes the stream's machine): a machine type it lacks ends it at startup;
 * an unversioned `-machine q35` means its own newest type, and a stream of
 * another type is refused at the configuration section. Each seen live
 * (test/migration-live.test.ts).
 */
export function destinationRefusal(vector: Vector, policy: QemuPolicy): string[] | null {
  const arg = machineArgOf(vector);
  const asked = arg.split(',')[0]!;
  const streamType = vector.manifest.machine_type;
  const alias = ALIASES[asked];
  const local = alias === undefined ? streamType : `${alias}-${policy.latestMachineType}`;
  const type = parseMachineType(local);
  const program = programName(type);
  const unsupported = unsupportedMachine(policy, type, program, arg);
  if (unsupported !== null) return unsupported;
  if (local !== streamType) return [`${program}: Machine type received is '${streamType}' and local is '${local}'`, `${program}: load of migration failed: Invalid argument`];
  return null;
}

/** Why QEMU `policy` cannot start this capture's machine type at all (its lines), or null. */
export function machineRefusal(vector: Vector, policy: QemuPolicy): string[] | null {
  const type = parseMachineType(vector.manifest.machine_type);
  return unsupportedMachine(policy, type, programName(type), machineArgOf(vector));
}

export function machineFromVector(vector: Vector, o: FromVectorOptions): QemuMachine {
  const type = parseMachineType(vector.manifest.machine_type);
  if (machineRefusal(vector, o.policy) !== null) {
    // (an unversioned -machine would give another type there, whose tables this capture does not hold)
    const family = type.family === 'q35' ? 'pc-q35' : type.family === 'pc' ? 'pc-i440fx' : type.family;
    const range = type.family === 'q35' || type.family === 'pc' ? ` (it has ${family}-${o.policy.oldestMachineType[family as 'pc-q35']} to ${family}-${o.policy.latestMachineType})` : '';
    throw new UsageError('UNSUPPORTED_MACHINE', `${vector.name} is a ${type.name} machine, which QEMU ${versionText(o.policy.version)} does not have${range}; capture the configuration on that release to model it there`);
  }
  const before = vector.stage('before');
  // the ACPI build state adds these itself (the RSDP as a ROM blob or as a plain file)
  const acpiNames = new Set([TABLES_FILE, LOADER_FILE, RSDP_FILE]);
  const files: MachineFile[] = before.fw_cfg_directory
    .filter((d) => !acpiNames.has(d.name))
    .map((d) => ({ name: d.name, data: o.fileContents?.get(d.name) ?? new Uint8Array(d.size_at_add), writable: isQemuWritableFile(d.name) }));
  const blocksStage = vector.stage(o.blocksFrom ?? 'before');
  const otherBlocks = (blocksStage.ramblock_at_start ?? blocksStage.ramblock).filter((r) => !r.name.startsWith('/rom@'));
  // no firmware's rebuild recorded because QEMU ended at it: every rebuild ends that way
  // a machine without QEMU-built ACPI (acpi=off, or no ACPI at all) has no ROM blobs and nothing to rebuild
  const hasAcpi = vector.hasRom('before', TABLES_FILE) || vector.hasRom('before', LOADER_FILE);
  const exitAtRebuild = o.exitAtRebuild ?? (REBUILD_STAGES.some((s) => vector.hasStage(s)) ? undefined : recordedExit(vector));
  const after = o.rebuildFrom ?? (exitAtRebuild !== undefined || !hasAcpi ? 'before' : rebuildStage(vector));
  const machine = new QemuMachine({
    type,
    policy: o.policy,
    hostPageSize: o.hostPageSize,
    otherBlocks,
    files,
    ...(vector.manifest.packages !== undefined ? { firmwarePackages: vector.manifest.packages } : {}),
    argv: commandLineOf(vector),
    ...(hasAcpi ? { acpi: {
      initial: acpiBlobs(vector, 'before'),
      rebuild: (m) => {
        if (m.platformProgrammed && exitAtRebuild !== undefined) throw new QemuAbort([...exitAtRebuild]);
        if (m.platformProgrammed) return acpiBlobs(vector, after);
        if (o.unprogrammed !== undefined) return o.unprogrammed;
        throw new InputError(
          'REBUILD_UNKNOWN',
          `${vector.dir}: QEMU rebuilds its tables on a platform no firmware has programmed; the capture only holds the rebuild after the firmware did (give an fw_cfg item capture of this configuration)`,
        );
      },
    } } : {}),
  });
  for (const it of o.items ?? []) if (it.key !== FW_CFG_FILE_DIR && machine.device.item(it.key)?.data === null) machine.device.addBytes(it.key, it.bytes.slice());
  return machine;
}

/** The ACPI files of an fw_cfg item capture: what QEMU served after the first select with nothing programmed. */
export function acpiBlobsFromItems(items: readonly { name: string; bytes: Uint8Array }[]): AcpiBlobs | undefined {
  const get = (n: string) => items.find((i) => i.name === n)?.bytes;
  const tables = get(TABLES_FILE);
  const loader = get(LOADER_FILE);
  const rsdp = get(RSDP_FILE);
  return tables && loader && rsdp ? { tables, loader, rsdp } : undefined;
}
