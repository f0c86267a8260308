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
import { emptyReport, type FirmwareReport } from '../firmware/report.js';
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
import { bootOrAbort, firmwareExit, firmwareMachine } from './firmware-run.js';
import { itemsCaptureFor } from './captures.js';
import { releaseOf } from './options.js';
import { guestFor, servedRecorder } from './fwcfg-access.js';
import { osView, type OsView } from './os-view.js';
import { acpiFiles, type AcpiFileView } from './rebuild-story.js';

export interface LifecycleOptions extends ModelOptions {
  firmware: FirmwareSpec;
  boots: number;
  /** Move the VM after this boot (1-based; 0: as created, before boot 1) to a fresh QEMU with `to`'s rules. */
  migrateAfter?: number;
  /**
   * The destination's rules, and optionally a capture of the same configuration made on the
   * destination release: the destination QEMU builds its machine and rebuilds its tables with its
   * own code, so that capture's machine and rebuild are the destination's. Without one the source
   * capture's stand in (the same tables, which another release need not build).
   */
  to?: QemuHost & { capture?: Vector };
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
  /** The capture whose machine and rebuild the destination has: one made on the destination release, or (null) the source's standing in. */
  destinationCapture: string | null;
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

const HUNG_AFTER_RESET = "the firmware's reset path reads PCI configuration through the MMCONFIG window QEMU's reset closed: it never finds the host bridge and no OS boots";

function hungAfterReset(name: string): { firmware: FirmwareReport; memory: undefined; qemuError: null } {
  const report = emptyReport(name);
  report.outcome = 'hung';
  report.notes.push(HUNG_AFTER_RESET);
  return { firmware: report, memory: undefined, qemuError: null };
}

export function simulateLifecycle(vector: Vector, o: LifecycleOptions): Lifecycle {
  let machine = machineFor(vector, o, o.policy, o.hostPageSize);
  let qemu = versionText(o.policy.version);
  // resolved once: after a migration the guest keeps the source's firmware (its pc.bios block, or OVMF's system.flash0, migrates)
  const firmware = recordFor(machine, o.firmware);
  const firmwareRelease = firmware.label;
  let bootSpec: FirmwareSpec = o.firmware;
  const report: LifecycleReport = { vector: vector.name, machineType: machine.type.name, firmware: o.firmware, firmwareRelease, boots: [], migration: null, stopped: null };
  const memories: (GuestMemory | undefined)[] = [];
  const files: Map<string, Uint8Array>[] = [];
  const served: Map<string, Uint8Array>[] = [];
  /** Moves the VM after boot `n` (0: as created, before boot 1) to a fresh QEMU of `o.to`'s rules; false when the move fails. */
  const migrate = (n: number): boolean => {
    if (o.to === undefined) return true;
    const when = n === 0 ? 'at machine creation' : `after boot ${n}`;
    const stream = saveMigration(machine);
    const to = versionText(o.to.policy.version);
    // the destination is started with the same -machine: a release without that type exits first
    const refusal = destinationRefusal(vector, o.to.policy);
    if (refusal !== null) {
      report.migration = { afterBoot: n, from: qemu, to, loaded: false, errorLines: refusal, destinationRomBlocks: null, destinationCapture: o.to.capture?.name ?? null };
      report.stopped = `the migration ${when} failed: QEMU ${to} has no machine type ${machine.type.name}`;
      return false;
    }
    const own = o.to.capture;
    const destItems = own !== undefined ? itemsCaptureFor(own, undefined) : o.items;
    const dest = machineFor(own ?? vector, { ...o, ...(destItems !== undefined ? { items: destItems } : {}) }, o.to.policy, o.to.hostPageSize);
    const r = loadMigration(dest, stream);
    report.migration = { afterBoot: n, from: qemu, to, loaded: r.loaded, errorLines: r.loaded ? null : r.lines, destinationRomBlocks: r.loaded ? dest.romRows() : null, destinationCapture: own?.name ?? null };
    if (!r.loaded) {
      report.stopped = `the migration ${when} failed: the destination QEMU ${to} exits`;
      return false;
    }
    // the source capture's QEMU ended at its rebuild: what another release rebuilds is in no capture at hand
    if (own === undefined && to !== releaseOf(vector) && firmwareExit(vector, o.firmware) !== undefined) {
      report.stopped = `the migration ${when} loads, but QEMU ${to}'s rebuild of ${vector.name} is unknown: its capture's QEMU ${releaseOf(vector)} ended at the rebuild (give a capture made on QEMU ${to})`;
      return false;
    }
    machine = dest;
    qemu = to;
    // the guest keeps the source's firmware: its image travels in the stream (pc.bios; OVMF's flashes overwrite the destination's own file's) and a reset does not reload it
    bootSpec = firmware.id as FirmwareSpec;
    return true;
  };
  if (o.migrateAfter === 0 && !migrate(0)) return { report, memories, files, served, ram: ramRanges(machine) };
  for (let n = 1; n <= o.boots; n++) {
    // a VM migrated as created starts its first boot on the destination without a reset, as QEMU's `cont` does
    if (n > 1) machine.systemReset();
    const directory = acpiFiles(machine);
    const rebuildsBefore = machine.acpi?.rebuilds.length ?? 0;
    const read = new Map<string, Uint8Array>();
    // after a reset on q35 such a firmware never gets past its reset path: nothing reads fw_cfg, no OS boots
    const hangs = n > 1 && firmware.resetReadsMmconfig === true && machine.type.family === 'q35';
    const { firmware: booted, memory, qemuError } = hangs ? hungAfterReset(firmware.name) : bootOrAbort(machine, bootSpec, o.placements, o.keepFiles === true ? servedRecorder(guestFor, read) : guestFor);
    const rebuild = machine.acpi?.rebuilds[rebuildsBefore];
    report.boots.push({
      boot: n,
      qemu,
      directory,
      rebuiltAt: rebuild?.trigger ?? null,
      qemuError,
      ramblocks: machine.romRows(),
      firmware: booted,
      os: qemuError !== null ? { tables: 'none', reasons: ['QEMU aborted'] } : hangs ? { tables: 'none', reasons: [HUNG_AFTER_RESET] } : osView(booted, memory, machine.device.fileItem(TABLES_FILE)?.data ?? undefined),
    });
    memories.push(memory);
    files.push(o.keepFiles === true ? filesAfterBoot(machine) : new Map());
    served.push(read);
    if (qemuError !== null) {
      report.stopped = `QEMU aborted during boot ${n}`;
      break;
    }
    if (o.migrateAfter === n && n < o.boots && !migrate(n)) break;
  }
  return { report, memories, files, served, ram: ramRanges(machine) };
}
