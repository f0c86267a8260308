/**
 * U-Boot running etc/table-loader (drivers/misc/qfw_acpi.c, spec
 * ../shared/spec/loader-executors.md §5): commands 1-3 only, blobs bump-allocated in one
 * bloblist region with no bounds checks, overwrite-style checksums, the first
 * failure stops the loop, and the RSDP is then forced to ACPI 2.0's 36 bytes.
 * No real U-Boot boot backs these rules: they are the spec's, and accesses
 * its missing checks would make outside modelled memory are reported, not done.
 */
import { placed } from './pinning.js';
import { sum8 } from '../acpi/checksum.js';
import { readRsdp, walkTables } from '../acpi/walk.js';
import { FwCfgError } from '../errors.js';
import { decodeEntry } from '../loader/codec.js';
import { ENTRY_SIZE, LOADER_FILE, RSDP_FILE } from '../loader/constants.js';
import { commandName, readLE, writeLE } from './entry-fields.js';
import type { FwCfgDirEntry } from './fwcfg-guest.js';
import { emptyReport, type EntryOutcome, type FirmwareReport } from './report.js';
import type { FirmwareContext } from './context.js';

export interface UbootProfile {
  /** Start of the bloblist region the blobs are bump-allocated in. */
  bloblist: number;
  /** Its size (192 KiB on x86 QEMU, 64 KiB elsewhere); not checked by U-Boot. */
  size: number;
  provenance: string;
}

/** 2 MiB below the top of low RAM (0x7fe00000 with 2 GiB): assumed, no U-Boot capture backs it. */
export function ubootProfile(x86: boolean, lowRamTop = 0x80000000): UbootProfile {
  return { bloblist: lowRamTop - 0x200000, size: x86 ? 0x30000 : 0x10000, provenance: 'bloblist base assumed 2 MiB below the top of low RAM (no U-Boot capture); size from U-Boot ACPI_SIZE' };
}

export function runUboot(ctx: FirmwareContext, profile: UbootProfile): FirmwareReport {
  const { memory, fw } = ctx;
  const report: FirmwareReport = emptyReport('uboot');
  const list = fw.directory(); // qfw_read_firmware_list: once; strcmp, first match
  const find = (name: string): FwCfgDirEntry | undefined => list.find((e) => e.name === name);
  ctx.programPlatform?.();
  const loader = find(LOADER_FILE);
  if (loader === undefined) {
    report.warnings.push("error: can't find etc/table-loader");
    report.outcome = 'not-run';
    return report;
  }
  if (loader.size % ENTRY_SIZE !== 0) {
    report.warnings.push('error: table-loader maybe corrupted');
    report.outcome = 'rejected';
    return report;
  }
  const script = profile.bloblist - 0x10000 - loader.size;
  report.scratch.push({ start: script, end: script + loader.size, what: 'the script' });
  fw.readItem(loader.select, loader.size, script);
  report.loaderBytesRead = loader.size;
  const blobs = new Map<string, { base: number; size: number }>();
  let next = profile.bloblist;
  // bump allocation in the bloblist, never full (U-Boot checks nothing); ALIGN(x, 0) is 0 in U-Boot, so alignment 0 puts a blob at 0
  const bump = placed<number>({ name: "U-Boot's bloblist", allocate: (_size, align) => (align === 0 ? 0 : Math.ceil(next / align) * align) }, ctx.placements);
  let rsdpBlob: number | undefined;
  let stopped = false;
  for (let i = 0; i < loader.size / ENTRY_SIZE; i++) {
    const e = decodeEntry(memory.view(script + i * ENTRY_SIZE, ENTRY_SIZE));
    if (e.type !== 'padding') report.commandsExecuted++;
    const out = (status: EntryOutcome['status'], reason?: string) => report.entries.push({ index: i, command: commandName(e), status, ...(reason ? { reason } : {}) });
    if (stopped) {
      out('unread', 'after the first failing command');
      continue;
    }
    const stop = (msg: string) => {
      if (msg !== '') report.warnings.push(msg);
      out('rejected', msg || 'missing blob (-ENOENT)');
      stopped = true;
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
          const base = bump.allocate(e.file, file.size, e.align)!;
          if (base + file.size > profile.bloblist + profile.size) report.notes.push(`entry ${i}: ${e.file} runs past the bloblist region (U-Boot does not check)`);
          if (file.size > 0) fw.readItem(file.select, file.size, base);
          blobs.set(e.file, { base, size: file.size });
          next = base + file.size;
          report.allocations.push({ file: e.file, base, length: file.size, entry: i, zone: e.zone });
          if (file.size >= 8 && String.fromCharCode(...memory.view(base, 8)) === 'RSD PTR ') rsdpBlob = base;
          out('applied');
          break;
        }
        case 'addPointer': {
          const dest = blobs.get(e.destFile);
          const src = blobs.get(e.srcFile);
          if (!dest || !src) {
            stop('');
            break;
          }
          if (e.size > 8) report.notes.push(`entry ${i}: pointer size ${e.size} overruns U-Boot's u64 on the stack (undefined behaviour; modelled as ${e.size} bytes)`);
          memory.patch(dest.base + e.offset, e.size, (field, at) => {
            writeLE(field, at, Math.min(e.size, 8), BigInt.asUintN(Math.min(e.size, 8) * 8, readLE(field, at, Math.min(e.size, 8)) + BigInt(src.base)));
          });
          out('applied');
          break;
        }
        case 'addChecksum': {
          const blob = blobs.get(e.file);
          if (!blob) {
            stop('');
            break;
          }
          memory.writeU8(blob.base + e.offset, (0x100 - sum8(memory.view(blob.base + e.start, e.length))) & 0xff);
          out('applied');
          break;
        }
        default:
          out('skipped', e.type === 'writePointer' ? 'WRITE_POINTER is not supported' : 'unknown command');
      }
    } catch (err) {
      if (!(err instanceof FwCfgError)) throw err;
      report.notes.push(`entry ${i}: U-Boot's unchecked access leaves modelled memory: ${err.message}`);
      stop('');
    }
  }
  if (stopped) report.outcome = 'rejected';
  // the RSDP is looked up by name and forced to ACPI 2.0's 36 bytes, whatever its revision
  const rsdpAt = blobs.get(RSDP_FILE)?.base ?? rsdpBlob;
  if (rsdpAt === undefined) {
    report.warnings.push('error: no RSDP found');
    return report;
  }
  try {
    memory.writeU32LE(rsdpAt + 20, 36);
    memory.writeU8(rsdpAt + 32, 0);
    memory.writeU8(rsdpAt + 32, (0x100 - sum8(memory.view(rsdpAt, 36))) & 0xff);
  } catch (err) {
    if (!(err instanceof FwCfgError)) throw err;
    report.notes.push(`forcing the RSDP to 36 bytes leaves modelled memory: ${err.message}`);
  }
  const rsdp = readRsdp(memory, rsdpAt);
  if (rsdp !== undefined) {
    report.rsdp = { address: rsdpAt, fromLoader: true };
    report.tables = walkTables(memory, rsdp).tables.map((t) => ({ signature: t.signature, address: t.address, length: t.length, checksumOk: t.checksumOk, source: 'loader' }));
    report.osTablesFromLoader = true;
  }
  return report;
}
