/**
 * U-Boot running etc/table-loader as Debian's u-boot-qemu builds do (x86:
 * `write_acpi_tables` in drivers/misc/qfw.c, qfw_acpi.c from 2025.01; spec
 * ../shared/spec/loader-executors.md §5, where the Debian builds differ from
 * the spec's master as spec-vectors/uboot/README.md says): the directory is
 * read once, before the select that makes QEMU rebuild (so its sizes may be
 * stale); commands 1-3 only; HIGH blobs from U-Boot's malloc heap
 * (dlmalloc memalign, ./uboot-heap.ts), FSEG blobs bumped from the end of
 * U-Boot's MP table in the F-segment, other zones refused; no bounds checks;
 * overwrite-style checksums; the first failure stops the loop and every
 * placed blob is handed to free(). An OS finds the RSDP by scanning the
 * F-segment. Builds without the loader (every qemu_arm64) only say so.
 * Where each build puts things is its record's (records/uboot.ts).
 */
import { sum8 } from '../acpi/checksum.js';
import { nothingKnown, scanForRsdp, walkTableList } from '../acpi/walk.js';
import { FwCfgError } from '../errors.js';
import { decodeEntry } from '../loader/codec.js';
import { ENTRY_SIZE, LOADER_FILE, RSDP_FILE } from '../loader/constants.js';
import { placed } from './pinning.js';
import { commandName, readLE, writeLE } from './entry-fields.js';
import type { FwCfgDirEntry } from './fwcfg-guest.js';
import { emptyReport, loaderTableRow, type EntryOutcome, type FirmwareReport } from './report.js';
import type { FirmwareContext } from './context.js';
import { UbootHeap } from './uboot-heap.js';

/** The BIOS area an OS scans for the RSDP (ACPI 6.5 §5.2.5.1). */
const BIOS_AREA = { start: 0xe0000, end: 0x100000 };
/** BIOS_LINKER_LOADER_ALLOC_ZONE_HIGH / _FSEG. */
const ZONE_HIGH = 1;
const ZONE_FSEG = 2;

export interface UbootProfile {
  /** Why this build never runs QEMU's loader on this machine (then nothing below applies). */
  noLoader?: string;
  /** Files it reads at boot besides the loader's (2025.01: QEMU's SMBIOS), after the loader. */
  otherReads: readonly string[];
  /** Where FSEG blobs start: the `addr` write_tables hands on, the end of U-Boot's own MP table. */
  fsegStart: number;
  /** The malloc heap when write_acpi_tables starts: its top chunk, its break (sbrk), its end (the relocated U-Boot). */
  heap: { top: number; brk: number; end: number };
  /** 2025.01: the address of etc/acpi/rsdp is handed on (gd acpi_start); a NULL dereference when the file is absent. */
  handsOnRsdp: boolean;
  /** 2021.01: free() of an F-segment blob after a failure resets the machine, which then fails the same way at every boot. */
  fsegFreeResets: boolean;
  /**
   * What free() leaves on the blob placed right after the MP table (its chunk header is the table's last
   * bytes, so dlmalloc's arithmetic on it is the same at every boot): the list pointers it writes over the
   * block's first 16 bytes (fd = bk, a bin inside the relocated U-Boot) and, where a later malloc split the
   * bogus chunk, the size word that split left in the 8 bytes before the block. Measured.
   */
  freedFsegHead?: { fdBk: number; size: number };
  provenance: string;
}

/** U-Boot's ALIGN(x, a): a mask of a - 1, so alignment 0 masks everything away and gives 0. */
function alignUp(x: number, a: number): number {
  return a === 0 ? 0 : Math.ceil(x / a) * a;
}

export function runUboot(ctx: FirmwareContext, profile: UbootProfile): FirmwareReport {
  const { memory, fw } = ctx;
  const report: FirmwareReport = emptyReport('uboot');
  if (profile.noLoader !== undefined) {
    report.outcome = 'not-run';
    report.notes.push(profile.noLoader);
    if (profile.otherReads.length > 0) readOthers(ctx, profile, fw.directory());
    return report;
  }
  // where it places things is measured for some configurations only: say which
  report.notes.push(profile.provenance);
  const list = fw.directory(); // qfw_read_firmware_list: once, before any ACPI select; strcmp, first match
  const find = (name: string): FwCfgDirEntry | undefined => list.find((e) => e.name === name);
  ctx.programPlatform?.();
  runLoader(ctx, profile, find, report);
  readOthers(ctx, profile, list);
  const rsdp = scanForRsdp(memory, BIOS_AREA.start, BIOS_AREA.end);
  if (rsdp !== undefined) {
    report.rsdp = { address: rsdp.address, fromLoader: report.allocations.some((a) => a.base === rsdp.address) };
    report.tables = walkTableList(memory, rsdp, nothingKnown, loaderTableRow).tables;
    report.osTablesFromLoader = report.rsdp.fromLoader;
  } else if (report.outcome !== 'not-run') {
    report.notes.push('an OS scanning 0xe0000-0xfffff finds no valid RSDP');
  }
  return report;
}

/** Files read only for their bytes (into U-Boot's heap, not modelled): what QEMU sees is the selects. */
function readOthers(ctx: FirmwareContext, profile: UbootProfile, list: readonly FwCfgDirEntry[]): void {
  for (const name of profile.otherReads) {
    const f = list.find((e) => e.name === name);
    if (f !== undefined && f.size > 0) ctx.fw.readBytes(f.select, 0, f.size);
  }
}

function runLoader(ctx: FirmwareContext, profile: UbootProfile, find: (name: string) => FwCfgDirEntry | undefined, report: FirmwareReport): void {
  const { memory, fw } = ctx;
  const loader = find(LOADER_FILE);
  if (loader === undefined) {
    report.warnings.push("error: can't find etc/table-loader");
    report.outcome = 'not-run';
    return;
  }
  if (loader.size % ENTRY_SIZE !== 0) {
    report.warnings.push('error: table-loader maybe corrupted');
    report.outcome = 'rejected';
    return;
  }
  const heap = new UbootHeap(profile.heap.top, profile.heap.brk, profile.heap.end);
  const script = heap.malloc(loader.size);
  if (script === undefined) {
    report.warnings.push('error: no memory for table-loader');
    report.outcome = 'rejected';
    return;
  }
  report.scratch.push({ start: script, end: script + loader.size, what: 'the script (malloc, freed after the run)' });
  fw.readItem(loader.select, loader.size, script);
  // the size is the directory's, read before this select made QEMU rebuild: a grown loader's tail is never read
  report.loaderBytesRead = loader.size;
  // file->addr: one per directory entry, so a second ALLOCATE of a name replaces the first
  const addr = new Map<string, number>();
  let fseg = profile.fsegStart;
  const allocator = placed<{ zone: number; align: number }>(
    {
      name: "U-Boot's allocators",
      allocate: (size, r) => {
        if (r.zone === ZONE_HIGH) return heap.memalign(r.align, size);
        const base = alignUp(fseg, r.align);
        fseg = base + size;
        return base;
      },
    },
    ctx.placements,
  );
  let failed = false;
  for (let i = 0; i < loader.size / ENTRY_SIZE; i++) {
    const e = decodeEntry(memory.view(script + i * ENTRY_SIZE, ENTRY_SIZE));
    if (e.type !== 'padding') report.commandsExecuted++;
    const out = (status: EntryOutcome['status'], reason?: string) => report.entries.push({ index: i, command: commandName(e), status, ...(reason ? { reason } : {}) });
    if (failed) {
      out('unread', 'after the first failing command');
      continue;
    }
    const stop = (msg: string, reason = msg) => {
      if (msg !== '') report.warnings.push(msg);
      out('rejected', reason);
      failed = true;
    };
    try {
      switch (e.type) {
        case 'allocate': {
          if ((e.align & (e.align - 1)) !== 0) {
            stop(`error: wrong alignment ${e.align}`);
            break;
          }
          const file = find(e.file);
          if (file === undefined) {
            stop(`error: can't find file ${e.file}`);
            break;
          }
          if (e.zone !== ZONE_HIGH && e.zone !== ZONE_FSEG) {
            stop('error: invalid allocation zone');
            break;
          }
          const base = allocator.allocate(e.file, file.size, { zone: e.zone, align: e.align });
          if (base === undefined) {
            stop('error: allocating resource');
            break;
          }
          if (file.size > 0) fw.readItem(file.select, file.size, base);
          addr.set(e.file, base);
          report.allocations.push({ file: e.file, base, length: file.size, entry: i, zone: e.zone });
          out('applied');
          break;
        }
        case 'addPointer': {
          const dest = addr.get(e.destFile);
          const src = addr.get(e.srcFile);
          if (dest === undefined || dest === 0 || src === undefined || src === 0) {
            stop('', 'a file not allocated (-ENOENT, nothing printed)');
            break;
          }
          const n = Math.min(e.size, 8);
          if (e.size > 8) report.notes.push(`entry ${i}: pointer size ${e.size} overruns U-Boot's u64 on the stack (undefined behaviour; modelled as 8 bytes)`);
          memory.patch(dest + e.offset, n, (field, at) => writeLE(field, at, n, BigInt.asUintN(n * 8, readLE(field, at, n) + BigInt(src))));
          out('applied');
          break;
        }
        case 'addChecksum': {
          const base = addr.get(e.file);
          if (base === undefined || base === 0) {
            stop('', 'a file not allocated (-ENOENT, nothing printed)');
            break;
          }
          memory.writeU8(base + e.offset, (0x100 - sum8(memory.view(base + e.start, e.length))) & 0xff);
          out('applied');
          break;
        }
        default:
          out('skipped', e.type === 'writePointer' ? "U-Boot's qfw loader has no WRITE_POINTER (it skips the command; spec-vectors/uboot)" : 'unknown command');
      }
    } catch (err) {
      if (!(err instanceof FwCfgError)) throw err;
      report.notes.push(`entry ${i}: U-Boot's unchecked access leaves modelled memory: ${err.message}`);
      stop('', 'leaves modelled memory');
    }
  }
  if (failed) {
    report.outcome = 'rejected';
    // every file->addr goes to free(): heap blobs back to dlmalloc, FSEG ones too although malloc never gave them out
    for (const a of report.allocations) a.freed = true;
    report.notes.push("after the failure every placed blob is passed to free(): dlmalloc writes its free-list pointers over a freed block's first 16 bytes, F-segment blobs included");
    clobberFreed(ctx, profile, report);
    if (profile.fsegFreeResets && report.allocations.some((a) => a.zone === ZONE_FSEG)) {
      report.outcome = 'hung';
      report.notes.push('free() of the F-segment blob resets the machine: U-Boot boots again, fails the same way, and never reaches its prompt');
    }
  }
  if (profile.handsOnRsdp && find(RSDP_FILE) === undefined) report.notes.push('no etc/acpi/rsdp: acpi_get_rsdp_addr() then reads through a NULL fw_file (undefined behaviour)');
}

/**
 * The bytes free() leaves on the placed blobs (U-Boot common/dlmalloc.c fREe: frontlink writes fd and bk
 * over the block's first 16 bytes; spec-vectors/uboot/*-fseg-then-missing-file record them). Known only
 * for the F-segment blob placed right after the MP table; on the others the pointers depend on U-Boot's
 * heap and on memory the model does not hold, so they are named in a note and left as they were.
 */
function clobberFreed(ctx: FirmwareContext, profile: UbootProfile, report: FirmwareReport): void {
  if (profile.fsegFreeResets) return;
  const known = profile.freedFsegHead;
  const unknown: string[] = [];
  for (const a of report.allocations) {
    if (a.zone === ZONE_FSEG && a.base === profile.fsegStart && known !== undefined) {
      const word = BigInt(known.fdBk);
      ctx.memory.patch(a.base, 16, (field, at) => {
        writeLE(field, at, 8, word);
        writeLE(field, at + 8, 8, word);
      });
      ctx.memory.patch(a.base - 8, 8, (field, at) => writeLE(field, at, 8, BigInt(known.size)));
    } else {
      unknown.push(`${a.file}@0x${a.base.toString(16)}`);
    }
  }
  if (unknown.length > 0) report.notes.push(`free() overwrites the first 16 bytes of ${unknown.join(', ')} with values the model does not know (left as they were)`);
}
