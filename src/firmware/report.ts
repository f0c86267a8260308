/** What a firmware run produced: the JSON shape of `fwcfg simulate` / `fwcfg exec` ("firmware" object). */
import type { TableMaker } from '../acpi/walk.js';
import type { Measurement } from './measurement.js';

export type EntryStatus = 'applied' | 'skipped' | 'rejected' | 'unread';

export interface EntryOutcome {
  index: number;
  command: string;
  status: EntryStatus;
  /** Why it was skipped or rejected, in the firmware's terms. */
  reason?: string;
}

export interface AllocationReport {
  file: string;
  base: number;
  length: number;
  /** Bytes the firmware set aside for it when more than `length` (OVMF: whole pages). */
  reserved?: number;
  /** Entry index of the ALLOCATE. */
  entry: number;
  zone?: number;
  /** The firmware gave the pages back after the run (OVMF: blobs holding only tables, or every blob on a failure); their bytes are no longer the file's. */
  freed?: boolean;
}

export interface WritePointerReport {
  destFile: string;
  offset: number;
  size: number;
  value: number;
  /** False when the firmware undid it (OVMF rollback writes zeros back). */
  kept: boolean;
}

export interface TableReport {
  signature: string;
  address: number;
  length: number;
  checksumOk: boolean;
  /** 'loader': bytes the loader placed; 'firmware': the firmware's own tables (SeaBIOS's acpi_setup, seabios-acpi.ts); 'protocol': OVMF's copies. */
  source: 'loader' | 'firmware' | 'protocol';
  /** A table the firmware adds of its own beside the loader's (OVMF's BGRT with a display): not one QEMU supplied. */
  firmwareOwn?: true;
  /** Bytes of the table the model does not know (OVMF's BGRT: the logo's pool address and the checksum over it); absent: every byte modelled. */
  unmodelled?: { offset: number; length: number; why: string }[];
}

/** Report rows of one source made by the ACPI walk itself (walkTableList): one object per table, no copy. */
const tableRow =
  (source: TableReport['source']): TableMaker<TableReport> =>
  (signature, address, length, checksumOk) => ({ signature, address, length, checksumOk, source });
export const loaderTableRow = tableRow('loader');
export const firmwareTableRow = tableRow('firmware');
export const protocolTableRow = tableRow('protocol');

export interface FirmwareReport {
  firmware: string;
  commandsExecuted: number;
  commandsAvailable: number;
  /** Bytes of etc/table-loader the firmware read, and the size the directory says now. */
  loaderBytesRead: number;
  loaderSizeNow: number;
  allocations: AllocationReport[];
  writePointers: WritePointerReport[];
  rsdp: { address: number; fromLoader: boolean } | null;
  osTablesFromLoader: boolean;
  tables: TableReport[];
  warnings: string[];
  /** The firmware's overall verdict on the script. */
  outcome: 'ran' | 'ran-with-warnings' | 'rejected' | 'not-run' | 'hung';
  entries: EntryOutcome[];
  /** What it extended into the machine's TPM of the loader and its blobs, in order (empty: nothing, or no TPM). */
  measurements: Measurement[];
  /** Personality-specific facts (OVMF: installed tables, freed blobs; SeaBIOS: fallback). */
  notes: string[];
  /**
   * Memory the firmware used for itself besides the allocations (the script's
   * copy, bookkeeping, the table protocol's pages): with the allocations, the
   * only places a run may write.
   */
  scratch: { start: number; end: number; what: string }[];
}

/** A report before the firmware has done anything: the common starting point of every personality. */
export function emptyReport(firmware: string): FirmwareReport {
  return {
    firmware,
    commandsExecuted: 0,
    commandsAvailable: 0,
    loaderBytesRead: 0,
    loaderSizeNow: 0,
    allocations: [],
    writePointers: [],
    rsdp: null,
    osTablesFromLoader: false,
    tables: [],
    warnings: [],
    outcome: 'ran',
    entries: [],
    measurements: [],
    notes: [],
    scratch: [],
  };
}
