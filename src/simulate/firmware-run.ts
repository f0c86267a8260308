/**
 * `fwcfg simulate VECTOR --firmware seabios|ovmf|uboot`: the capture's machine,
 * a firmware boot through the device (its select triggers QEMU's rebuild,
 * which may abort), and what the OS then finds.
 */
import { decodeLoader } from '../loader/codec.js';
import { LOADER_FILE } from '../loader/constants.js';
import type { GuestMemory } from '../memory/guest-memory.js';
import type { RamBlockRow } from '../memory/ram-list.js';
import { QemuAbort } from '../qemu/acpi-build.js';
import { machineFromVector, recordedExit } from '../qemu/from-vector.js';
import type { QemuMachine } from '../qemu/machine.js';
import { versionText, type QemuPolicy } from '../qemu/version.js';
import type { FirmwareReport } from '../firmware/report.js';
import type { ItemsCapture } from '../vectors/items-capture.js';
import type { Vector } from '../vectors/vector.js';
import { FIRMWARE_RECORDS } from '../firmware/records/index.js';
import type { ModelOptions } from './options.js';
import { boot, firmwareNameOf, type FirmwareSpec } from './boot.js';
import { vectorFileContents } from './captures.js';
import { guestFor, type GuestFactory } from './fwcfg-access.js';
import { loaderView } from './rebuild-story.js';
import { stageCaveat } from './stage-caveat.js';

export interface FirmwareSimOptions extends ModelOptions {
  firmware: FirmwareSpec;
}

export interface FirmwareSimReport {
  vector: string;
  machineType: string;
  qemu: string;
  hostPageSize: number;
  /** The capture stage whose boot this reproduces (its rebuilt blobs, RAM blocks, GUID). */
  stage: string;
  /** Set when `stage` is another firmware's whose platform programming differs (./stage-caveat.ts): its tables are not the ones this firmware's real boot gets. */
  stageCaveat: string | null;
  ramblocks: { before: RamBlockRow[]; afterRebuild: RamBlockRow[] | null };
  /** After: null where the live QEMU ended before the rebuilt loader could be read (a capture's record). */
  loader: { commandsBefore: number; commandsAfter: number | null; bytesBefore: number; bytesAfter: number | null };
  qemuError: string | null;
  firmware: FirmwareReport | null;
}

/** The capture stage a firmware's boot was recorded in. */
export function stageFor(vector: Vector, firmware: FirmwareSpec): string {
  // its own stages first (any of its records'), then another firmware's rebuild
  const own = FIRMWARE_RECORDS.filter((r) => r.name === firmwareNameOf(firmware)).flatMap((r) => r.stages);
  const order = [...own, ...FIRMWARE_RECORDS.flatMap((r) => r.stages).filter((s) => !own.includes(s))];
  return order.find((s) => vector.hasStage(s)) ?? 'before';
}

export interface FirmwareSim {
  report: FirmwareSimReport;
  machine: QemuMachine;
  memory: GuestMemory | undefined;
}

/** The capture's machine as the given firmware's boot found it (its stage's RAM blocks and rebuild). */
/** The lines the capture's QEMU ended with at the rebuild this firmware's boot set off, if it did. */
export function firmwareExit(vector: Vector, firmware: FirmwareSpec): string[] | undefined {
  return recordedExit(vector, FIRMWARE_RECORDS.filter((r) => r.name === firmware).flatMap((r) => r.stages));
}

export function firmwareMachine(vector: Vector, o: Pick<FirmwareSimOptions, 'policy' | 'hostPageSize' | 'firmware' | 'items'>): QemuMachine {
  const stage = stageFor(vector, o.firmware);
  const exit = firmwareExit(vector, o.firmware);
  return machineFromVector(vector, {
    ...(exit !== undefined ? { exitAtRebuild: exit } : {}),
    policy: o.policy,
    hostPageSize: o.hostPageSize,
    ...(stage !== 'before' ? { blocksFrom: stage, rebuildFrom: stage } : {}),
    fileContents: vectorFileContents(vector, stage, o.items),
    ...(o.items ? { items: o.items.items.filter((i) => i.kind !== 'file') } : {}),
  });
}

export interface BootOutcome {
  firmware: FirmwareReport | null;
  memory: GuestMemory | undefined;
  /** What QEMU printed if a select made it abort. */
  qemuError: string | null;
}

/** One firmware boot; a QEMU abort during it is an outcome, not an error. */
export function bootOrAbort(machine: QemuMachine, firmware: FirmwareSpec, placements?: ReadonlyMap<string, number>, guest: GuestFactory = guestFor): BootOutcome {
  try {
    const b = boot(machine, { firmware, ...(placements ? { placements } : {}) }, guest);
    return { firmware: b.report, memory: b.memory, qemuError: null };
  } catch (err) {
    if (!(err instanceof QemuAbort)) throw err;
    return { firmware: null, memory: undefined, qemuError: err.lines.join('\n') };
  }
}

export function simulateFirmware(vector: Vector, o: FirmwareSimOptions): FirmwareSim {
  const stage = stageFor(vector, o.firmware);
  const machine = firmwareMachine(vector, o);
  const before = { ramblocks: machine.romRows(), loader: loaderView(machine.device.fileItem(LOADER_FILE)?.data ?? new Uint8Array(0)) };
  const { firmware, memory, qemuError } = bootOrAbort(machine, o.firmware, o.placements);
  const caveat = stageCaveat(vector, o.firmware, stage);
  if (caveat !== null) firmware?.notes.push(caveat);
  const rebuilt = stage !== 'before' && vector.hasRom(stage, LOADER_FILE) ? decodeLoader(vector.romBytes(stage, LOADER_FILE)) : null;
  const nowLoader = machine.device.fileItem(LOADER_FILE)?.data;
  const after = qemuError === null && nowLoader != null ? loaderView(nowLoader) : rebuilt !== null ? { commands: rebuilt.filter((e) => e.type !== 'padding').length, bytes: rebuilt.length * 128 } : { commands: null, bytes: null };
  return {
    machine,
    memory,
    report: {
      vector: vector.name,
      machineType: machine.type.name,
      qemu: versionText(o.policy.version),
      hostPageSize: o.hostPageSize,
      stage,
      stageCaveat: caveat,
      ramblocks: { before: before.ramblocks, afterRebuild: qemuError === null ? machine.romRows() : null },
      loader: { commandsBefore: before.loader.commands, commandsAfter: after.commands, bytesBefore: before.loader.bytes, bytesAfter: after.bytes },
      qemuError,
      firmware,
    },
  };
}
