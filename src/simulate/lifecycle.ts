/**
 * A VM's life: machine creation, boot 1, system reset, boot 2, ... boot N,
 * optionally moved to another QEMU between two boots. Every boot is the
 * firmware personality driving the device (its own selection order: the
 * directory, the loader, each ALLOCATE'd file; PCIEXBAR programmed first),
 * every reset is QEMU's (ROM blobs get their creation bytes back and keep
 * their length, a resized blob has lost its select callback, `patched` and
 * the MCH go back, the DMA latch stays), and each rebuild happens at the
 * select that really triggers it. Nothing here knows a configuration: what
 * happens follows from those rules.
 */
import { LOADER_FILE, RSDP_FILE, TABLES_FILE } from '../loader/constants.js';
import { isQemuWritableFile } from '../qemu/known-files.js';
import type { FirmwareReport } from '../firmware/report.js';
import type { GuestMemory } from '../memory/guest-memory.js';
import type { RamBlockRow } from '../memory/ram-list.js';
import type { QemuMachine } from '../qemu/machine.js';
import { loadMigration, saveMigration } from '../qemu/migration.js';
import { destinationRefusal } from '../qemu/from-vector.js';
import { versionText, type QemuHost, type QemuPolicy } from '../qemu/version.js';
import type { ItemsCapture } from '../vectors/items-capture.js';
import type { Vector } from '../vectors/vector.js';
import { ramRanges, recordFor, type FirmwareSpec } from './boot.js';
import type { ModelOptions } from './options.js';
import { bootOrAbort, firmwareMachine } from './firmware-run.js';
import { guestFor, servedRecorder } from './fwcfg-access.js';
import { osView, type OsView } from './os-view.js';
import { acpiFiles, type AcpiFileView } from './rebuild-story.js';

export interface LifecycleOptions extends ModelOptions {
  firmware: FirmwareSpec;
  boots: number;
  /** Move the VM after this boot (1-based) to a fresh QEMU with `to`'s rules. */
  migrateAfter?: number;
  to?: QemuHost;
  /** Copy QEMU's fw_cfg files after each boot into `files`, and as the firmware read them into `served` (a live comparison and the report need them; lint does not). */
  keepFiles?: boolean;
}

export interface BootRecord {
  boot: number;
  /** The QEMU the boot ran on. */
  qemu: string;
  /** The ACPI files as the directory listed them when the firmware started. */
  directory: AcpiFileView[];
  /** The select that made QEMU rebuild this boot (none when every trigger was gone or spent). */
  rebuiltAt: string | null;
  qemuError: string | null;
  ramblocks: RamBlockRow[];
  firmware: FirmwareReport | null;
  os: OsView;
}

export interface MigrationRecord {
  afterBoot: number;
  from: string;
  to: string;
  loaded: boolean;
  errorLines: string[] | null;
  destinationRomBlocks: RamBlockRow[] | null;
}

export interface LifecycleReport {
  vector: string;
  machineType: string;
  firmware: FirmwareSpec;
  /** The release that booted, as people name it (`SeaBIOS 1.16.3`): the configuration's own unless --firmware named one. */
  firmwareRelease: string;
  boots: BootRecord[];
  migration: MigrationRecord | null;
  /** Why fewer boots ran than asked (QEMU aborted, the migration failed). */
  stopped: string | null;
}

export interface Lifecycle {
  report: LifecycleReport;
  /** Guest memory after each boot that ran the firmware (same order as report.boots). */
  memories: (GuestMemory | undefined)[];
  /** With keepFiles: QEMU's fw_cfg files after each boot (the ACPI files and the writable ones), as a live observer reads them back; empty otherwise. */
  files: Map<string, Uint8Array>[];
  /** With keepFiles: each file the firmware read in each boot, whole, as QEMU served it at that read (the loader it ran, the tables it patched); empty otherwise. */
  served: Map<string, Uint8Array>[];
  /** The guest's RAM on this machine (below 4 GiB, and above it on x86), for pictures of where things landed. */
  ram: { start: number; end: number }[];
}

/** The files a boot can change: QEMU's ACPI blobs (rebuilds) and its writable files (write-backs). */
function filesAfterBoot(machine: QemuMachine): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  for (const name of [TABLES_FILE, LOADER_FILE, RSDP_FILE, ...machine.device.fileRecords().map((r) => r.name).filter(isQemuWritableFile)]) {
    const data = machine.device.fileItem(name)?.data;
    if (data !== undefined && data !== null) out.set(name, data.slice());
  }
  return out;
}

function machineFor(vector: Vector, o: LifecycleOptions, policy: QemuPolicy, hostPageSize: number): QemuMachine {
  return firmwareMachine(vector, { policy, hostPageSize, firmware: o.firmware, ...(o.items ? { items: o.items } : {}) });
}

export function simulateLifecycle(vector: Vector, o: LifecycleOptions): Lifecycle {
  let machine = machineFor(vector, o, o.policy, o.hostPageSize);
  let qemu = versionText(o.policy.version);
  // resolved once: after a migration the guest keeps the source's firmware (its pc.bios block migrates)
  const firmwareRelease = recordFor(machine, o.firmware).label;
  const report: LifecycleReport = { vector: vector.name, machineType: machine.type.name, firmware: o.firmware, firmwareRelease, boots: [], migration: null, stopped: null };
  const memories: (GuestMemory | undefined)[] = [];
  const files: Map<string, Uint8Array>[] = [];
  const served: Map<string, Uint8Array>[] = [];
  for (let n = 1; n <= o.boots; n++) {
    if (n > 1) machine.systemReset();
    const directory = acpiFiles(machine);
    const rebuildsBefore = machine.acpi?.rebuilds.length ?? 0;
    const read = new Map<string, Uint8Array>();
    const { firmware, memory, qemuError } = bootOrAbort(machine, o.firmware, o.placements, o.keepFiles === true ? servedRecorder(guestFor, read) : guestFor);
    const rebuild = machine.acpi?.rebuilds[rebuildsBefore];
    report.boots.push({
      boot: n,
      qemu,
      directory,
      rebuiltAt: rebuild?.trigger ?? null,
      qemuError,
      ramblocks: machine.romRows(),
      firmware,
      os: qemuError !== null ? { tables: 'none', reasons: ['QEMU aborted'] } : osView(firmware, memory, machine.device.fileItem(TABLES_FILE)?.data ?? undefined),
    });
    memories.push(memory);
    files.push(o.keepFiles === true ? filesAfterBoot(machine) : new Map());
    served.push(read);
    if (qemuError !== null) {
      report.stopped = `QEMU aborted during boot ${n}`;
      break;
    }
    if (o.migrateAfter === n && n < o.boots && o.to !== undefined) {
      const stream = saveMigration(machine);
      const to = versionText(o.to.policy.version);
      // the destination is started with the same -machine: a release without that type exits first
      const refusal = destinationRefusal(vector, o.to.policy);
      if (refusal !== null) {
        report.migration = { afterBoot: n, from: qemu, to, loaded: false, errorLines: refusal, destinationRomBlocks: null };
        report.stopped = `the migration after boot ${n} failed: QEMU ${to} has no machine type ${machine.type.name}`;
        break;
      }
      const dest = machineFor(vector, o, o.to.policy, o.to.hostPageSize);
      const r = loadMigration(dest, stream);
      report.migration = { afterBoot: n, from: qemu, to, loaded: r.loaded, errorLines: r.loaded ? null : r.lines, destinationRomBlocks: r.loaded ? dest.romRows() : null };
      if (!r.loaded) {
        report.stopped = `the migration after boot ${n} failed: the destination QEMU ${to} exits`;
        break;
      }
      machine = dest;
      qemu = to;
    }
  }
  return { report, memories, files, served, ram: ramRanges(machine) };
}
