/**
 * One OVMF loader run's state, the model of QemuFwCfgAcpi.c's locals: the
 * Tracker (allocated blobs by name), the successful WRITE_POINTERs that a
 * rollback revokes, the EfiACPIMemoryNVS allocator, and the lists the run
 * records as it goes. The per-command functions (ovmf-commands.ts) act on it.
 */
import { placed, type PlacedAllocator } from './pinning.js';
import type { LoaderEntry } from '../loader/entry.js';
import type { GuestMemory } from '../memory/guest-memory.js';
import type { Measure } from './measurement.js';
import { commandName } from './entry-fields.js';
import type { FwCfgDirEntry, FwCfgGuest } from './fwcfg-guest.js';
import { PAGE, PageAllocator } from './page-allocator.js';
import type { OvmfProfile } from './profiles.js';
import type { FirmwareReport } from './report.js';

/** The BLOB user structure: one allocated fw_cfg file. */
export interface Blob {
  name: string;
  base: number;
  size: number;
  /** Still believed to hold nothing but ACPI table bytes (freed after a successful run). */
  hostsOnlyTableData: boolean;
}

/** A WRITE_POINTER that reached fw_cfg: what UndoCmdWritePointer zeroes again. */
export interface WrittenPointer {
  select: number;
  name: string;
  offset: number;
  size: number;
  index: number;
}

/** The report lists a run fills while it executes (outcome, warnings and tables are decided at its end). */
export type RunLog = Pick<FirmwareReport, 'allocations' | 'writePointers' | 'notes' | 'scratch' | 'entries'>;

export interface OvmfLoaderState {
  readonly memory: GuestMemory;
  readonly fw: FwCfgGuest;
  /** EfiACPIMemoryNVS: the blobs, later the FACS copy. */
  readonly nvs: PageAllocator;
  /** The blobs' pages: NVS with `--place FILE=ADDR` applied (firmware/pinning.ts). */
  readonly blobPages: PlacedAllocator<undefined>;
  /** What freed pages are filled with (D6). */
  readonly freedFill: number;
  /** The Tracker: allocated blobs by name. */
  readonly blobs: Map<string, Blob>;
  /** Successful WRITE_POINTERs in script order (edk2's WritePointerSubsetEnd). */
  readonly written: WrittenPointer[];
  readonly log: RunLog;
  /** Measures each blob right after its read (absent: the release or the machine measures nothing). */
  readonly measure: Measure | undefined;
}

export function newLoaderState(memory: GuestMemory, fw: FwCfgGuest, placements: ReadonlyMap<string, number> | undefined, profile: OvmfProfile, log: RunLog, measure?: Measure): OvmfLoaderState {
  const nvs = new PageAllocator(profile.nvs, profile.generalTop);
  const blobPages = placed<undefined>({ name: "OVMF's EfiACPIMemoryNVS", allocate: (pages) => nvs.allocate(pages) }, placements);
  return { memory, fw, nvs, blobPages, freedFill: profile.freedFill, blobs: new Map(), written: [], log, measure };
}

/** QemuFwCfgFindFile: the directory is read on every lookup and the first match wins. */
export function findFile(fw: FwCfgGuest, name: string): FwCfgDirEntry | undefined {
  return fw.directory().find((e) => e.name === name);
}

/** FreePages: the pages read back as the fill byte afterwards (D6); pages outside modelled RAM are left alone. */
export function freePages(state: OvmfLoaderState, base: number, pages: number): void {
  if (state.memory.regionAt(base) !== undefined) state.memory.fill(base, pages * PAGE, state.freedFill);
}

/** The report's allocation of `name` is no longer the file's. */
export function markFreed(log: RunLog, name: string): void {
  for (const a of log.allocations) if (a.file === name) a.freed = true;
}

/** The entry outcome the report lists for one command. */
export function recordEntry(log: RunLog, entry: LoaderEntry, index: number, status: 'applied' | 'skipped' | 'rejected', reason?: string): void {
  log.entries.push({ index, command: commandName(entry), status, ...(reason ? { reason } : {}) });
}
