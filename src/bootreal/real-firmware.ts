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
import { AUTOBOOT_TEXT, errorLines } from './uboot-console.js';

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
  /** QEMU is given a copy of the image in the run's directory (under the shared /tmp, where a chroot's QEMU sees it too). */
  copiesImage?: boolean;
  /** QEMU options that load the image; `serial`: also give it a serial log in `dir`. */
  qemuArgs(image: FirmwareImage, varsCopy: string | undefined, dir: string | undefined): string[];
  /** Where an OS finds the RSDP this firmware publishes. */
  rsdpSource: 'fseg-scan' | 'efi-configuration-table';
  /** Its tables reach the OS as protocol copies (OVMF), not as the loader's blobs in place. */
  tablesViaProtocol: boolean;
  /** The warnings its log (`logFile`) shows: SeaBIOS's debug console, U-Boot's serial one; OVMF's release build prints none. */
  warnings(log: string): LogWarning[];
  /** The byte its allocator fills freed pages with, when it does. */
  freedFill: number | undefined;
  /** The log an outcome keeps. */
  logFile: string;
  /** What outcome.json says of a serial log: what can and cannot be read from it. */
  serialNote?: string;
  /** Its build as its debug console names it at POST (null: it prints none there). */
  banner(debugLog: string): string | null;
  /** How the outcome is judged once the loader ran: by its warnings, or by what it installed and kept. */
  verdict(f: { warnings: number; loaderTablesInstalled: boolean; writeBackKept: boolean; logSeen?: boolean }): FirmwareReport['outcome'];
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
  serialNote: "OVMF's release build prints no DEBUG() output on port 0x402, so its error messages cannot be observed; outcomes are read from memory and fw_cfg",
  // the release build prints nothing on the debug console
  banner: () => null,
  verdict: (f) => (f.loaderTablesInstalled || f.writeBackKept ? 'ran' : 'rejected'),
  verdictNote: "OVMF's release build prints nothing: the verdict is inferred from the tables installed and the write-backs kept",
};

/**
 * Debian's u-boot-qemu x86 build as `-bios` (the way spec-vectors/uboot
 * boots it): it prints on the serial port only, runs QEMU's loader into its
 * heap and F-segment before its autoboot countdown, and on a failure prints
 * `error: ...`, stops and frees what it placed (spec-vectors/uboot/README.md).
 */
const UBOOT: RealFirmwareRecord = {
  name: 'uboot',
  label: 'U-Boot',
  timeoutMs: 60_000,
  marker: { text: AUTOBOOT_TEXT, log: SERIAL_LOG },
  configEnd: 'quiet-trace',
  copiesImage: true,
  qemuArgs: (image, _varsCopy, dir) => ['-bios', image.code, ...(dir !== undefined ? ['-serial', `file:${join(dir, SERIAL_LOG)}`] : [])],
  rsdpSource: 'fseg-scan',
  tablesViaProtocol: false,
  warnings: (log) => errorLines(log).map((text) => ({ text, kind: 'error' })),
  freedFill: undefined,
  logFile: SERIAL_LOG,
  serialNote: "U-Boot prints on its serial port only: its `error: ...` lines before the autoboot countdown are the warnings",
  // its banner goes to the serial port, which a configuration's boot does not have (a serial device would change the DSDT)
  banner: () => null,
  // a failed run prints `error: ...`; where there is no log (a configuration's boot) what is left is its effect: stop-and-free leaves no loader RSDP an OS finds
  verdict: (f) => (f.warnings > 0 ? 'rejected' : f.logSeen === true || f.loaderTablesInstalled ? 'ran' : 'rejected'),
  verdictNote: "U-Boot prints its errors on the serial port only: the verdict is its error lines where the boot had a serial log, else whether an OS finds the loader's RSDP",
};

const RECORDS: Record<RealFirmware, RealFirmwareRecord> = { seabios: SEABIOS, ovmf: OVMF, uboot: UBOOT };

export function realFirmwareRecord(name: RealFirmware): RealFirmwareRecord {
  return RECORDS[name];
}
