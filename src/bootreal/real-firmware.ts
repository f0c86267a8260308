/**
 * What a real firmware boot needs to know of the firmware, one record each
 * (the bootreal/ counterpart of firmware/records/): how QEMU loads it, the
 * marker and time bound of its boot, where it prints, where the OS finds its
 * RSDP, how its tables reach the OS, what its freed pages look like, and how
 * a verdict is read from what it left. Nothing else in bootreal/ asks a
 * firmware's name.
 */
import { join } from 'node:path';
import type { FirmwareReport } from '../firmware/report.js';
import type { FirmwareImage, RealFirmware } from '../qemu/live/firmware-images.js';
import { logWarnings, type LogWarning } from './firmware-log.js';

export const DEBUG_LOG = 'debug.log';
export const SERIAL_LOG = 'serial.log';
export const TRACE_LOG = 'trace.log';

export interface RealFirmwareRecord {
  name: RealFirmware;
  label: string;
  /** Bound for one boot to reach its marker. */
  timeoutMs: number;
  /** The line that says the boot is past the loader, and the log it appears in. */
  marker: { text: string; log: string };
  /**
   * How a boot of a configuration's own ACPI knows it is past the loader:
   * the marker, or (a firmware that prints only to a serial port, which would
   * add a device to QEMU's DSDT) a quiet fw_cfg trace after the loader's select.
   */
  configEnd: 'marker' | 'quiet-trace';
  /** QEMU options that load the image; `serial`: also give it a serial log in `dir`. */
  qemuArgs(image: FirmwareImage, varsCopy: string | undefined, dir: string | undefined): string[];
  /** Where an OS finds the RSDP this firmware publishes. */
  rsdpSource: 'fseg-scan' | 'efi-configuration-table';
  /** Its tables reach the OS as protocol copies (OVMF), not as the loader's blobs in place. */
  tablesViaProtocol: boolean;
  /** The warnings its log shows (SeaBIOS's debug console; OVMF's release build prints none). */
  warnings(debugLog: string): LogWarning[];
  /** The byte its allocator fills freed pages with, when it does. */
  freedFill: number | undefined;
  /** The log an outcome keeps. */
  logFile: string;
  /** Its build as its debug console names it at POST (null: it prints none there). */
  banner(debugLog: string): string | null;
  /** How the outcome is judged once the loader ran: by its warnings, or by what it installed and kept. */
  verdict(f: { warnings: number; loaderTablesInstalled: boolean; writeBackKept: boolean }): FirmwareReport['outcome'];
  /** A note on how the verdict was read, when it is inferred. */
  verdictNote?: string;
}

export const FREED_FILL = 0xaf;

const SEABIOS: RealFirmwareRecord = {
  name: 'seabios',
  label: 'SeaBIOS',
  timeoutMs: 30_000,
  marker: { text: 'No bootable device', log: DEBUG_LOG },
  configEnd: 'marker',
  qemuArgs: (image) => (image.qemuDefault === true ? [] : ['-bios', image.code]),
  rsdpSource: 'fseg-scan',
  tablesViaProtocol: false,
  warnings: logWarnings,
  freedFill: undefined,
  logFile: DEBUG_LOG,
  banner: (log) => /SeaBIOS \(version ([^)\n]+)\)/.exec(log)?.[1] ?? null,
  verdict: (f) => (f.warnings > 0 ? 'ran-with-warnings' : 'ran'),
};

const OVMF: RealFirmwareRecord = {
  name: 'ovmf',
  label: 'OVMF',
  timeoutMs: 60_000,
  marker: { text: 'BdsDxe:', log: SERIAL_LOG },
  configEnd: 'quiet-trace',
  qemuArgs: (image, varsCopy, dir) => [
    '-drive',
    `if=pflash,format=raw,readonly=on,file=${image.code}`,
    '-drive',
    `if=pflash,format=raw,file=${varsCopy ?? image.vars}`,
    ...(dir !== undefined ? ['-serial', `file:${join(dir, SERIAL_LOG)}`] : []),
  ],
  rsdpSource: 'efi-configuration-table',
  tablesViaProtocol: true,
  warnings: () => [],
  freedFill: FREED_FILL,
  logFile: SERIAL_LOG,
  // the release build prints nothing on the debug console
  banner: () => null,
  verdict: (f) => (f.loaderTablesInstalled || f.writeBackKept ? 'ran' : 'rejected'),
  verdictNote: "OVMF's release build prints nothing: the verdict is inferred from the tables installed and the write-backs kept",
};

const RECORDS: Record<RealFirmware, RealFirmwareRecord> = { seabios: SEABIOS, ovmf: OVMF };

export function realFirmwareRecord(name: RealFirmware): RealFirmwareRecord {
  return RECORDS[name];
}
