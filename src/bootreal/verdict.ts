/**
 * The verdict on a script (FirmwareReport.outcome) as far as a real boot
 * shows it. SeaBIOS prints its warnings; OVMF's release build prints
 * nothing, so there a refusal is inferred from its effects: nothing of the
 * loader installed and no write-back kept.
 */
import { realFirmwareRecord } from './real-firmware.js';
import type { FirmwareReport } from '../firmware/report.js';
import type { RealFirmware } from '../qemu/live/firmware-images.js';

export interface VerdictFacts {
  firmware: RealFirmware;
  completed: boolean;
  /** etc/table-loader's size in the fw_cfg directory; undefined when there is none. */
  loaderSize: number | undefined;
  loaderSelected: boolean;
  warnings: number;
  /** OVMF: a table of the loader's behind the published roots. */
  loaderTablesInstalled: boolean;
  /** A WRITE_POINTER value still in its fw_cfg file after the boot. */
  writeBackKept: boolean;
  /** The firmware's log (its record's logFile) holds anything: its silence then means no error. */
  logSeen?: boolean;
}

export function realVerdict(f: VerdictFacts): FirmwareReport['outcome'] {
  if (!f.completed) return 'hung';
  if (f.loaderSize === undefined) return 'not-run';
  if (f.loaderSize % 128 !== 0) return 'rejected';
  if (!f.loaderSelected) return 'not-run';
  return realFirmwareRecord(f.firmware).verdict(f);
}
