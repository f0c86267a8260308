/**
 * OVMF's first pass over etc/table-loader, one function per command as in
 * QemuFwCfgAcpi.c (CollectAllocationsRestrictedTo32Bit, ProcessCmdAllocate,
 * ProcessCmdAddPointer, ProcessCmdAddChecksum, ProcessCmdWritePointer,
 * UndoCmdWritePointer). Each validates every field before acting and
 * returns the status the firmware would; none throws for a bad script.
 */
import { sum8 } from '../acpi/checksum.js';
import type { AddChecksum, AddPointer, Allocate, LoaderEntry, WritePointer } from '../loader/entry.js';
import { nameView, readLE, writeLE } from './entry-fields.js';
import type { FwCfgDirEntry } from './fwcfg-guest.js';
import { PAGE, pagesFor } from './page-allocator.js';
import { failure, SUCCESS, type Failure, type Hung, type Result, type Success } from './ovmf-status.js';
import { findFile, freePages, type OvmfLoaderState, type WrittenPointer } from './ovmf-tracker.js';

/** EFI_PAGE_SIZE: the largest alignment an ALLOCATE may ask for (every blob is page-aligned anyway). */
const MAX_ALIGNMENT = PAGE;
const POINTER_SIZES: readonly number[] = [1, 2, 4, 8];
const DMA_SPIN = 'fw_cfg DMA reported an error: the release build polls the control word forever';

/** Byte 55 of a 56-byte name field set: the name is not NUL-terminated. */
function malformed(entry: LoaderEntry, at: 4 | 60, name: string): boolean {
  return nameView(entry, at, name).byte55 !== 0;
}

const malformedName = () => failure('EFI_PROTOCOL_ERROR', 'malformed file name');

/** A pointer field of `size` bytes at `offset` lies inside `room` bytes, and the size is one firmware supports. */
function fieldFits(size: number, offset: number, room: number): boolean {
  return POINTER_SIZES.includes(size) && size <= room && offset <= room - size;
}

/**
 * CollectAllocationsRestrictedTo32Bit, before any command runs. Returns
 * EFI_SUCCESS, or EFI_PROTOCOL_ERROR (with the entry) when the pointee name
 * of an ADD_POINTER narrower than 8 bytes is not NUL-terminated. The set it
 * collects (pointees to keep below 4 GiB) is not kept: all modelled RAM is.
 */
export function collectAllocationsRestrictedTo32Bit(entries: readonly LoaderEntry[]): Success | (Failure<'EFI_PROTOCOL_ERROR'> & { index: number }) {
  for (const [index, e] of entries.entries()) {
    if (e.type === 'addPointer' && e.size < 8 && malformed(e, 60, e.srcFile)) return { ...malformedName(), index };
  }
  return SUCCESS;
}

export type AllocateStatus = 'EFI_PROTOCOL_ERROR' | 'EFI_UNSUPPORTED' | 'EFI_NOT_FOUND' | 'EFI_OUT_OF_RESOURCES';

/**
 * ProcessCmdAllocate. Returns EFI_SUCCESS (the file read into fresh NVS
 * pages, their tail zeroed, the blob tracked and, where the release
 * measures, measured); EFI_PROTOCOL_ERROR for a
 * name that is not NUL-terminated or a file already allocated (its new
 * pages freed again); EFI_UNSUPPORTED for an alignment above a page;
 * EFI_NOT_FOUND when the directory has no such file (QemuFwCfgFindFile);
 * EFI_OUT_OF_RESOURCES when AllocatePages refuses (0 pages: an empty file).
 */
export function processCmdAllocate(state: OvmfLoaderState, e: Allocate, index: number): Result<AllocateStatus> {
  if (malformed(e, 4, e.file)) return malformedName();
  if (e.align > MAX_ALIGNMENT) return failure('EFI_UNSUPPORTED', `unsupported alignment 0x${e.align.toString(16)}`);
  const file = findFile(state.fw, e.file);
  if (file === undefined) return failure('EFI_NOT_FOUND', `QemuFwCfgFindFile("${e.file}"): Not Found`);
  const pages = pagesFor(file.size);
  const base = state.blobPages.allocate(e.file, pages, undefined);
  if (base === undefined) return failure('EFI_OUT_OF_RESOURCES', `AllocatePages for ${file.size} bytes`);
  if (state.blobs.has(e.file)) {
    state.log.scratch.push({ start: base, end: base + pages * PAGE, what: `the pages of the duplicate ALLOCATE of ${e.file} (freed)` });
    freePages(state, base, pages);
    return failure('EFI_PROTOCOL_ERROR', `duplicated file "${e.file}"`);
  }
  downloadBlob(state, file, base, index);
  return SUCCESS;
}

/** The blob tracked, the file read into its pages, the rest of the last page zeroed, the bytes read measured before any command changes them. */
function downloadBlob(state: OvmfLoaderState, file: FwCfgDirEntry, base: number, index: number): void {
  const reserved = pagesFor(file.size) * PAGE;
  state.blobs.set(file.name, { name: file.name, base, size: file.size, hostsOnlyTableData: true });
  state.fw.readItem(file.select, file.size, base);
  if (reserved > file.size) state.memory.fill(base + file.size, reserved - file.size, 0);
  state.measure?.(file.name, state.memory.view(base, file.size));
  state.log.allocations.push({ file: file.name, base, length: file.size, reserved, entry: index });
}

/**
 * ProcessCmdAddPointer. Returns EFI_SUCCESS (the field now holds the
 * pointee's address plus its old value), or EFI_PROTOCOL_ERROR for a name
 * that is not NUL-terminated, a blob not allocated, a field size not 1, 2,
 * 4 or 8 or not inside the pointer blob, an old value not inside the
 * pointee, or a sum that a narrow field cannot hold.
 */
export function processCmdAddPointer(state: OvmfLoaderState, e: AddPointer): Result<'EFI_PROTOCOL_ERROR'> {
  if (malformed(e, 4, e.destFile) || malformed(e, 60, e.srcFile)) return malformedName();
  const dest = state.blobs.get(e.destFile);
  const src = state.blobs.get(e.srcFile);
  if (dest === undefined || src === undefined) return failure('EFI_PROTOCOL_ERROR', `invalid blob reference(s) "${e.destFile}" / "${e.srcFile}"`);
  if (!fieldFits(e.size, e.offset, dest.size)) return failure('EFI_PROTOCOL_ERROR', `invalid pointer location or size in "${e.destFile}"`);
  return state.memory.patch(dest.base + e.offset, e.size, (field, at): Result<'EFI_PROTOCOL_ERROR'> => {
    const value = readLE(field, at, e.size);
    if (value >= BigInt(src.size)) return failure('EFI_PROTOCOL_ERROR', `invalid pointer value in "${e.destFile}"`);
    const sum = value + BigInt(src.base);
    if (e.size < 8 && sum >= 1n << BigInt(e.size * 8)) return failure('EFI_PROTOCOL_ERROR', `relocated pointer value unrepresentable in "${e.destFile}"`);
    writeLE(field, at, e.size, sum);
    return SUCCESS;
  });
}

/**
 * ProcessCmdAddChecksum. Returns EFI_SUCCESS (the byte overwritten with
 * -sum of the range, its old value included: D2), or EFI_PROTOCOL_ERROR
 * for a name that is not NUL-terminated, a blob not allocated, or a result
 * byte or range not inside the blob.
 */
export function processCmdAddChecksum(state: OvmfLoaderState, e: AddChecksum): Result<'EFI_PROTOCOL_ERROR'> {
  if (malformed(e, 4, e.file)) return malformedName();
  const blob = state.blobs.get(e.file);
  if (blob === undefined) return failure('EFI_PROTOCOL_ERROR', `invalid blob reference "${e.file}"`);
  if (e.offset >= blob.size || e.length > blob.size || e.start > blob.size - e.length) return failure('EFI_PROTOCOL_ERROR', `invalid checksum range in "${e.file}"`);
  const { memory } = state;
  memory.writeU8(blob.base + e.offset, (0x100 - sum8(memory.view(blob.base + e.start, e.length))) & 0xff);
  return SUCCESS;
}

/**
 * ProcessCmdWritePointer. Returns EFI_SUCCESS (the address sent to the
 * fw_cfg file, the pointee kept after a successful run, the write recorded
 * for rollback; without DMA the data-port write is one QEMU ignores), or
 * EFI_PROTOCOL_ERROR for a name that is not NUL-terminated, a pointer file
 * not in the directory or a pointee not allocated, a field size not 1, 2,
 * 4 or 8 or not inside the file, a pointee offset past the blob, or an
 * address a narrow field cannot hold. `Hung` when the DMA transfer ends
 * with the error bit: the firmware waits forever.
 */
export function processCmdWritePointer(state: OvmfLoaderState, e: WritePointer, index: number): Result<'EFI_PROTOCOL_ERROR'> | Hung {
  if (malformed(e, 4, e.destFile) || malformed(e, 60, e.srcFile)) return malformedName();
  const file = findFile(state.fw, e.destFile);
  const src = state.blobs.get(e.srcFile);
  if (file === undefined || src === undefined) return failure('EFI_PROTOCOL_ERROR', `invalid fw_cfg file or blob reference "${e.destFile}" / "${e.srcFile}"`);
  if (!fieldFits(e.size, e.dstOffset, file.size)) return failure('EFI_PROTOCOL_ERROR', `invalid pointer location or size in "${e.destFile}"`);
  if (e.srcOffset >= src.size) return failure('EFI_PROTOCOL_ERROR', 'invalid PointeeOffset');
  const value = src.base + e.srcOffset;
  if (e.size < 8 && value >= 2 ** (e.size * 8)) return failure('EFI_PROTOCOL_ERROR', `pointer value unrepresentable in "${e.destFile}"`);
  const bytes = new Uint8Array(e.size);
  writeLE(bytes, 0, e.size, BigInt(value));
  const sent = state.fw.writeItem(file.select, e.dstOffset, bytes);
  if (sent === 'error') return { hung: true, reason: DMA_SPIN };
  src.hostsOnlyTableData = false; // QEMU knows its address now: never freed after a successful run
  if (sent === 'done') state.log.writePointers.push({ destFile: file.name, offset: e.dstOffset, size: e.size, value, kept: true });
  else state.log.notes.push(`entry ${index}: without fw_cfg DMA the write goes to the data port, which QEMU ignores`);
  state.written.push({ select: file.select, name: file.name, offset: e.dstOffset, size: e.size, index });
  return SUCCESS;
}

/** UndoCmdWritePointer: zeros of the same width where a successful WRITE_POINTER wrote. */
export function undoCmdWritePointer(state: OvmfLoaderState, w: WrittenPointer): void {
  state.fw.writeItem(w.select, w.offset, new Uint8Array(w.size));
  for (const r of state.log.writePointers) if (r.destFile === w.name && r.offset === w.offset) r.kept = false;
}
