/**
 * How an OVMF loader run ends for its blobs and WRITE_POINTERs (the tail of
 * InstallQemuFwCfgTables): a failure revokes and frees everything, a
 * success frees only the blobs whose tables now live in the protocol's copies.
 */
import { undoCmdWritePointer } from './ovmf-commands.js';
import { pagesFor } from './page-allocator.js';
import { freePages, markFreed, type OvmfLoaderState } from './ovmf-tracker.js';

/**
 * The rollback after any error past pass 0: every successful WRITE_POINTER
 * undone in reverse order (QEMU must not keep an address about to be
 * freed), then every blob freed.
 */
export function rollBack(state: OvmfLoaderState): void {
  for (const w of [...state.written].reverse()) undoCmdWritePointer(state, w);
  for (const b of state.blobs.values()) {
    freePages(state, b.base, pagesFor(b.size));
    markFreed(state.log, b.name);
  }
}

/** After a successful run: blobs still marked HostsOnlyTableData are freed; the others stay in ACPI NVS. */
export function freeTableOnlyBlobs(state: OvmfLoaderState): void {
  for (const b of state.blobs.values()) {
    if (!b.hostsOnlyTableData) continue;
    freePages(state, b.base, pagesFor(b.size));
    markFreed(state.log, b.name);
    state.log.notes.push(`freed ${b.name} (only tables, now copied)`);
  }
}
