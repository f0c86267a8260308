/**
 * OVMF's second pass (Process2ndPassCmdAddPointer): every ADD_POINTER
 * target, examined once, is an ACPI table to install, a root the protocol
 * replaces, or opaque data whose blob must be kept.
 */
import { sum8 } from '../acpi/checksum.js';
import type { AddPointer } from '../loader/entry.js';
import type { GuestMemory } from '../memory/guest-memory.js';
import { readLE } from './entry-fields.js';
import type { AcpiTableProtocol, InstalledTable } from './ovmf-acpi-table-protocol.js';
import { failure, SUCCESS, type Result } from './ovmf-status.js';
import type { OvmfLoaderState } from './ovmf-tracker.js';

/** The most tables one run installs (the caller's InstalledKey array). */
export const INSTALLED_TABLES_MAX = 128;
const FACS_MIN = 64;
const HEADER_SIZE = 36;

/** The second pass's own state: targets already examined (SeenPointers), and what was installed, in order. */
export interface SecondPass {
  readonly seen: Set<number>;
  readonly installed: InstalledTable[];
}

export function newSecondPass(): SecondPass {
  return { seen: new Set(), installed: [] };
}

/** What a pointer's target looks like: `size` bytes of a table to install, a root to skip, or opaque data. */
type Pointee = { kind: 'table'; size: number } | { kind: 'root' } | { kind: 'opaque' };

/** The FACS test first (its header is not the common one), then a header whose length fits and whose checksum is valid. */
function classify(memory: GuestMemory, target: number, remaining: number): Pointee {
  const length = remaining >= 8 ? memory.readU32LE(target + 4) : 0;
  const sig = remaining >= 4 ? String.fromCharCode(...memory.view(target, 4)) : '';
  if (remaining >= FACS_MIN && sig === 'FACS' && length >= FACS_MIN && length <= remaining) return { kind: 'table', size: length };
  if (remaining >= HEADER_SIZE && length >= HEADER_SIZE && length <= remaining && sum8(memory.view(target, length)) === 0) {
    return sig === 'RSDT' || sig === 'XSDT' ? { kind: 'root' } : { kind: 'table', size: length };
  }
  return { kind: 'opaque' };
}

export type SecondPassStatus = 'EFI_OUT_OF_RESOURCES' | 'EFI_ACCESS_DENIED';

/**
 * Process2ndPassCmdAddPointer for a script pass 1 accepted. Returns
 * EFI_SUCCESS (a target seen before, a root, opaque data whose blob is now
 * kept, or a table installed); EFI_OUT_OF_RESOURCES when a table would be
 * the 129th; EFI_ACCESS_DENIED when the protocol refuses it (a second
 * FADT, FACS or DSDT).
 */
export function process2ndPassCmdAddPointer(state: OvmfLoaderState, protocol: AcpiTableProtocol, pass: SecondPass, e: AddPointer): Result<SecondPassStatus> {
  const { memory } = state;
  const dest = state.blobs.get(e.destFile)!;
  const src = state.blobs.get(e.srcFile)!;
  const target = Number(readLE(memory.view(dest.base + e.offset, e.size), 0, e.size));
  if (pass.seen.has(target)) return SUCCESS;
  pass.seen.add(target);
  const pointee = classify(memory, target, src.base + src.size - target);
  if (pointee.kind === 'root') return SUCCESS;
  if (pointee.kind === 'opaque') {
    src.hostsOnlyTableData = false; // data the OS reaches by address: kept
    return SUCCESS;
  }
  if (pass.installed.length >= INSTALLED_TABLES_MAX) return failure('EFI_OUT_OF_RESOURCES', `can't install more than ${INSTALLED_TABLES_MAX} tables`);
  const r = protocol.installAcpiTable(target, pointee.size);
  if (r.status !== 'EFI_SUCCESS') return r;
  pass.installed.push(r.table);
  return SUCCESS;
}
