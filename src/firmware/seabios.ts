/**
 * SeaBIOS 1.16.2 running etc/table-loader (src/fw/romfile_loader.c, paravirt.c):
 * the directory read once at fw_cfg init, warn-and-continue on every error,
 * ZoneHigh/ZoneFSeg top-down allocation with alignment >= 16, subtract-style
 * checksums, narrow pointers truncated, WRITE_POINTER by fw_cfg DMA, and the
 * RSDP found by scanning the F-segment. Warning lines are the ones SeaBIOS
 * prints (function:line of 1.16.2; the corpus shows allocate:87/100,
 * add_checksum:152, write_pointer:205, execute:218, qemu_cfg_write_file:417,
 * qemu_platform_setup:251).
 */
import { sum8 } from '../acpi/checksum.js';
import { scanForRsdp, walkTables } from '../acpi/walk.js';
import { LoaderCursor } from '../loader/codec.js';
import type { LoaderEntry } from '../loader/entry.js';
import { ENTRY_SIZE, LOADER_FILE, ZONE_FSEG, ZONE_HIGH } from '../loader/constants.js';
import type { GuestMemory } from '../memory/guest-memory.js';
import { addLE, byte55, commandName, storeLE } from './entry-fields.js';
import type { FwCfgDirEntry, FwCfgGuest } from './fwcfg-guest.js';
import type { SeaBiosProfile } from './profiles.js';
import type { EntryOutcome, FirmwareReport } from './report.js';
import { ZoneAllocator } from './zone-allocator.js';

export interface FirmwareContext {
  memory: GuestMemory;
  fw: FwCfgGuest;
  /** What firmware does to the platform before its first ACPI select (MMCONFIG, PCI BARs). */
  programPlatform?: () => void;
  /** `--place FILE=ADDR`: pinned allocation bases. */
  placements?: ReadonlyMap<string, number>;
}

const MALLOC_MIN_ALIGN = 16;
/** sizeof(struct romfile_wr_pointer_entry) on i386: u64, u32, u16, u8, pad, hlist_node. */
const WR_POINTER_STORE = 24;

const fallbackNotes = new WeakMap<SeaBiosProfile, string>();
function fallbackNote(p: SeaBiosProfile): string {
  let n = fallbackNotes.get(p);
  if (n === undefined) {
    n = `no valid RSDP in the F-segment after the loader: SeaBIOS 1.16 publishes its own ACPI tables (${p.fallbackTables.join(', ')}); their bytes are the firmware's own`;
    fallbackNotes.set(p, n);
  }
  return n;
}

const internal = (where: string) => `WARNING - internal error detected at ${where}!`;
const noalloc = (where: string) => `WARNING - Unable to allocate resource at ${where}!`;

interface Loaded {
  file: FwCfgDirEntry;
  base: number;
}

export function runSeaBios(ctx: FirmwareContext, profile: SeaBiosProfile): FirmwareReport {
  const { memory, fw } = ctx;
  const report: FirmwareReport = {
    firmware: 'seabios',
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
    notes: [],
    scratch: [],
  };
  const warn = (w: string) => void report.warnings.push(w);

  // qemu_cfg_init: the romfile list, built by prepending, so a later duplicate wins
  const romfiles = new Map<string, FwCfgDirEntry>();
  for (const e of fw.directory()) romfiles.set(e.name, e);
  ctx.programPlatform?.();

  const high = new ZoneAllocator('ZoneHigh', profile.zoneHigh);
  const fseg = new ZoneAllocator('ZoneFSeg', profile.fsegRoom);
  const tmp = new ZoneAllocator('ZoneTmpHigh', profile.tmpHigh);
  const loaded: Loaded[] = [];

  let loaderError = false;
  const loader = romfiles.get(LOADER_FILE);
  if (loader === undefined || loader.size === 0) {
    loaderError = true; // romfile_loadfile returns NULL: no message
    report.outcome = 'not-run';
  } else {
    const buf = tmp.allocate(loader.size + 1, MALLOC_MIN_ALIGN)!;
    report.scratch.push({ start: buf, end: buf + loader.size + 1, what: 'the script (malloc_tmphigh)' });
    fw.readItem(loader.select, loader.size, buf);
    report.loaderBytesRead = loader.size;
    if (loader.size % ENTRY_SIZE !== 0) {
      warn(internal('romfile_loader_execute:218'));
      loaderError = true;
      report.outcome = 'rejected';
    } else {
      const cursor = new LoaderCursor(memory.view(buf, loader.size));
      for (let i = 0; i < cursor.count; i++) {
        const entry = cursor.at(i);
        if (entry.type !== 'padding') report.commandsExecuted++;
        report.entries.push(execute(entry, i));
      }
    }
  }

  /** romfile_loader_find: byte 55 must be 0, then the first allocated blob of that name. */
  function find(entry: LoaderEntry, at: 4 | 60, name: string): Loaded | undefined {
    if (byte55(entry, at) !== 0) return undefined;
    for (let i = 0; i < loaded.length; i++) if (loaded[i]!.file.name === name) return loaded[i];
    return undefined;
  }

  function execute(entry: LoaderEntry, index: number): EntryOutcome {
    const command = commandName(entry);
    const out = (status: EntryOutcome['status'], reason?: string): EntryOutcome => (reason === undefined ? { index, command, status } : { index, command, status, reason });
    switch (entry.type) {
      case 'allocate': {
        const fail = (reason: string) => (warn(internal('romfile_loader_allocate:100')), out('rejected', reason));
        let align = entry.align;
        if ((align & (align - 1)) !== 0) return fail(`alignment ${align} is not a power of two`);
        if (entry.zone !== ZONE_HIGH && entry.zone !== ZONE_FSEG) return fail(`zone ${entry.zone} is neither HIGH nor FSEG`);
        if (align < MALLOC_MIN_ALIGN) align = MALLOC_MIN_ALIGN;
        if (byte55(entry, 4) !== 0) return fail('file name has no NUL in byte 55');
        const file = romfiles.get(entry.file);
        if (file === undefined) return out('skipped', 'no such fw_cfg file (silently ignored)');
        if (file.size === 0) return out('skipped', 'zero-size fw_cfg file (silently ignored)');
        const zone = entry.zone === ZONE_HIGH ? high : fseg;
        const pinned = ctx.placements?.get(entry.file);
        let base: number | undefined;
        if (pinned !== undefined) {
          zone.reserve(pinned, pinned + file.size);
          base = pinned;
        } else base = zone.allocate(file.size, align);
        if (base === undefined) {
          warn(noalloc('romfile_loader_allocate:87'));
          return out('rejected', `no room in ${zone.name} for ${file.size} bytes`);
        }
        fw.readItem(file.select, file.size, base);
        loaded.push({ file, base });
        report.allocations.push({ file: file.name, base, length: file.size, entry: index, zone: entry.zone });
        return out('applied');
      }
      case 'addPointer': {
        const dest = find(entry, 4, entry.destFile);
        const src = find(entry, 60, entry.srcFile);
        const { offset, size } = entry;
        const reason = !dest
          ? 'pointer file not allocated'
          : !src
            ? 'pointee file not allocated'
            : offset + size > 0xffffffff
              ? 'offset + size wraps'
              : offset + size > dest.file.size
                ? 'pointer field past the end of the file'
                : size < 1 || size > 8 || (size & (size - 1)) !== 0
                  ? `pointer size ${size}`
                  : undefined;
        if (reason !== undefined) {
          warn(internal('romfile_loader_add_pointer:129'));
          return out('rejected', reason);
        }
        // u64 add of a 32-bit base; the low `size` bytes are written back (narrow fields truncate)
        addLE(memory.writableView(dest!.base + offset, size), 0, size, src!.base);
        return out('applied');
      }
      case 'addChecksum': {
        const file = find(entry, 4, entry.file);
        const { offset, start, length } = entry;
        const reason = !file
          ? 'file not allocated'
          : offset >= file.file.size
            ? 'checksum byte past the end of the file'
            : start + length > 0xffffffff
              ? 'start + length wraps'
              : start + length > file.file.size
                ? 'range past the end of the file'
                : undefined;
        if (reason !== undefined) {
          warn(internal('romfile_loader_add_checksum:152'));
          return out('rejected', reason);
        }
        // subtract semantics: correct whatever the byte held before
        const at = file!.base + offset;
        memory.writeU8(at, (memory.readU8(at) - sum8(memory.view(file!.base + start, length))) & 0xff);
        return out('applied');
      }
      case 'writePointer': {
        const dest = romfiles.get(entry.destFile); // global list: the pointer file need not be allocated
        const src = find(entry, 60, entry.srcFile);
        const { dstOffset, srcOffset, size } = entry;
        const fail = (reason: string) => (warn(internal('romfile_loader_write_pointer:205')), out('rejected', reason));
        if (!dest) return fail('pointer file not in the fw_cfg directory');
        if (!src) return fail('pointee file not allocated');
        if (dstOffset + size > 0xffffffff) return fail('offset + size wraps');
        if (dstOffset + size > dest.size) return fail('pointer field past the end of the fw_cfg file');
        if (srcOffset >= src.file.size) return fail('pointee offset past the end of the pointee');
        if (size < 1 || size > 8 || (size & (size - 1)) !== 0) return fail(`pointer size ${size}`);
        const value = (src.base + srcOffset) % 2 ** 32; // unsigned long: 32 bits
        if (size !== 8 && value >= 2 ** (size * 8)) return fail('value does not fit the pointer size');
        const bytes = new Uint8Array(size);
        storeLE(bytes, 0, size, value);
        if (!fw.dma) {
          warn(internal('qemu_cfg_write_file:417'));
          return fail('fw_cfg writes need DMA');
        }
        fw.writeItem(dest.select, dstOffset, bytes); // the completion loop ignores the error bit
        report.writePointers.push({ destFile: dest.name, offset: dstOffset, size, value, kept: true });
        const store = high.allocate(WR_POINTER_STORE, MALLOC_MIN_ALIGN);
        if (store === undefined) warn(noalloc('romfile_loader_write_pointer:194'));
        else report.scratch.push({ start: store, end: store + WR_POINTER_STORE, what: 'write-pointer record for S3 replay' });
        return out('applied');
      }
      case 'padding':
        return out('skipped', 'command 0');
      default:
        return out('skipped', `unknown command 0x${entry.command.toString(16)}`);
    }
  }

  // find_acpi_rsdp: scan the F-segment zone
  const rsdp = scanForRsdp(memory, profile.fsegRoom.start, profile.fsegZoneEnd);
  if (rsdp !== undefined) {
    const fromLoader = report.allocations.some((a) => rsdp.address >= a.base && rsdp.address < a.base + a.length);
    report.rsdp = { address: rsdp.address, fromLoader };
    const walk = walkTables(memory, rsdp);
    report.tables = walk.tables.map((t) => ({ signature: t.signature, address: t.address, length: t.length, checksumOk: t.checksumOk, source: 'loader' }));
    report.osTablesFromLoader = fromLoader;
    for (const p of walk.problems) report.notes.push(`ACPI walk: ${p}`);
  } else {
    if (!loaderError) warn(internal('qemu_platform_setup:251'));
    // SeaBIOS 1.16 builds tables of its own (D1); their bytes are the firmware's, not modelled
    const own = fseg.allocate(20, MALLOC_MIN_ALIGN);
    report.rsdp = own === undefined ? null : { address: own, fromLoader: false };
    report.tables = profile.fallbackTables.map((signature) => ({ signature, address: null, length: null, checksumOk: true, source: 'firmware' }));
    report.notes.push(fallbackNote(profile));
  }
  if (report.outcome === 'ran' && report.warnings.length > 0) report.outcome = 'ran-with-warnings';
  return report;
}
