/**
 * SeaBIOS 1.16.2 running etc/table-loader (src/fw/romfile_loader.c, paravirt.c):
 * the directory read once at fw_cfg init, warn-and-continue on every error,
 * ZoneHigh/ZoneFSeg top-down allocation with alignment >= 16, subtract-style
 * checksums, narrow pointers truncated, WRITE_POINTER by fw_cfg DMA, and the
 * RSDP found by scanning the F-segment; when there is none, the release's
 * own tables (seabios-acpi.ts) or none (profile.fallback). Warning lines are the ones SeaBIOS
 * prints (function:line of 1.16.2; the corpus shows allocate:87/100,
 * add_checksum:152, write_pointer:205, execute:218, qemu_cfg_write_file:417,
 * qemu_platform_setup:251).
 */
import { sum8 } from '../acpi/checksum.js';
import { nothingKnown, readRsdp, scanForRsdp, walkTableList, type KnownSums } from '../acpi/walk.js';
import { COMMAND_ADD_CHECKSUM, COMMAND_ADD_POINTER, COMMAND_ALLOCATE, COMMAND_WRITE_POINTER, ENTRY_SIZE, LOADER_FILE, ZONE_FSEG, ZONE_HIGH } from '../loader/constants.js';
import { ENTRY_NAMES, fieldOffset, nameFieldOffset, type NameFieldOffset } from '../loader/fields.js';
import { cStringImage, type CStringImage } from '../loader/name-field.js';
import { LoaderScript, type EntryOffset } from '../loader/script.js';
import type { GuestMemory, WriteMark } from '../memory/guest-memory.js';
import type { FirmwareContext } from './context.js';
import type { MachineFacts } from './record.js';
import { acpiSetup, LEGACY_ACPI_1_16 } from './seabios-acpi.js';
import { addLE, commandWordName, storeLE } from './entry-fields.js';
import type { FwCfgDirEntry, FwCfgGuest } from './fwcfg-guest.js';
import type { SeaBiosProfile } from './profiles.js';
import { emptyReport, firmwareTableRow, loaderTableRow, type EntryOutcome, type FirmwareReport } from './report.js';
import { placed, type PlacedAllocator } from './pinning.js';
import { ZoneAllocator } from './zone-allocator.js';
import { internalError, noAlloc } from './seabios-warnings.js';

export type { FirmwareContext } from './context.js';

const MALLOC_MIN_ALIGN = 16;
/** sizeof(struct romfile_wr_pointer_entry) on i386: u64, u32, u16, u8, pad, hlist_node. */
const WR_POINTER_STORE = 24;

// Where each command's fields sit (the table in loader/fields.ts): the executor reads them
// straight out of the script (loader/script.ts), no entry objects on its path.
const ALLOCATE_FILE = nameFieldOffset('allocate', 'file');
const ALLOCATE_ALIGN = fieldOffset('allocate', 'align');
const ALLOCATE_ZONE = fieldOffset('allocate', 'zone');
const POINTER_DEST = nameFieldOffset('addPointer', 'destFile');
const POINTER_SRC = nameFieldOffset('addPointer', 'srcFile');
const POINTER_OFFSET = fieldOffset('addPointer', 'offset');
const POINTER_SIZE = fieldOffset('addPointer', 'size');
const CHECKSUM_FILE = nameFieldOffset('addChecksum', 'file');
const CHECKSUM_OFFSET = fieldOffset('addChecksum', 'offset');
const CHECKSUM_START = fieldOffset('addChecksum', 'start');
const CHECKSUM_LENGTH = fieldOffset('addChecksum', 'length');
const WRITE_DEST = nameFieldOffset('writePointer', 'destFile');
const WRITE_SRC = nameFieldOffset('writePointer', 'srcFile');
const WRITE_DST_OFFSET = fieldOffset('writePointer', 'dstOffset');
const WRITE_SRC_OFFSET = fieldOffset('writePointer', 'srcOffset');
const WRITE_SIZE = fieldOffset('writePointer', 'size');
// The names outcomes carry, read once: ENTRY_NAMES has no prototype, which makes V8 keep it as a
// dictionary, and a property read from one costs a generic lookup every time.
const PADDING_NAME = ENTRY_NAMES.padding;
const ALLOCATE_NAME = ENTRY_NAMES.allocate;
const ADD_POINTER_NAME = ENTRY_NAMES.addPointer;
const ADD_CHECKSUM_NAME = ENTRY_NAMES.addChecksum;
const WRITE_POINTER_NAME = ENTRY_NAMES.writePointer;

interface Loaded {
  file: FwCfgDirEntry;
  base: number;
  /** The name as the ALLOCATE spelled it (equal to file.name), as words find() compares a field with. */
  image: CStringImage;
}

/** `*data -= sum` on one byte (a Patcher: no closure per checksum). */
function subtractByte(b: Uint8Array, at: number, _length: number, sum: number): void {
  b[at] = (b[at]! - sum) & 0xff;
}

const outcome = (index: number, command: string, status: EntryOutcome['status'], reason?: string): EntryOutcome =>
  reason === undefined ? { index, command, status } : { index, command, status, reason };

/**
 * 'applied' outcomes, one frozen object per command and entry index, made the
 * first time and shared by every run after: most of a run's outcomes, and
 * nothing a report's reader may change.
 */
const appliedAllocate: EntryOutcome[] = [];
const appliedPointer: EntryOutcome[] = [];
const appliedChecksum: EntryOutcome[] = [];
const appliedWritePointer: EntryOutcome[] = [];
function applied(made: EntryOutcome[], index: number, command: string): EntryOutcome {
  return (made[index] ??= Object.freeze({ index, command, status: 'applied' as const }));
}

/** Why SeaBIOS refuses an ADD_POINTER, in the order romfile_loader_add_pointer tests (kept off the hot path). */
function pointerProblem(dest: Loaded | undefined, src: Loaded | undefined, offset: number, size: number): string {
  if (!dest) return 'pointer file not allocated';
  if (!src) return 'pointee file not allocated';
  if (offset + size > 0xffffffff) return 'offset + size wraps';
  if (offset + size > dest.file.size) return 'pointer field past the end of the file';
  return `pointer size ${size}`;
}

/** Why SeaBIOS refuses an ADD_CHECKSUM, in the order romfile_loader_add_checksum tests. */
function checksumProblem(file: Loaded | undefined, offset: number, start: number, length: number): string {
  if (!file) return 'file not allocated';
  if (offset >= file.file.size) return 'checksum byte past the end of the file';
  if (start + length > 0xffffffff) return 'start + length wraps';
  return 'range past the end of the file';
}

/** One run's state: the romfile list, the zones, what was loaded, and the report; one method per command. */
class SeaBiosRun implements KnownSums {
  readonly memory: GuestMemory;
  readonly fw: FwCfgGuest;
  readonly highPlaced: PlacedAllocator<number>;
  readonly fsegPlaced: PlacedAllocator<number>;
  readonly report: FirmwareReport;
  /** The directory as qemu_cfg_init read it: its romfile list (see romfile()). */
  romfiles: readonly FwCfgDirEntry[] = [];
  readonly high: ZoneAllocator;
  readonly fseg: ZoneAllocator;
  readonly loaded: Loaded[] = [];
  readonly writeFileLine: number;
  /**
   * The ranges checksums made sum to zero, marked in guest memory: while a
   * mark is intact no write has touched its bytes, so the sum still holds
   * when the ACPI walk reaches that table (sumsToZero), and is not redone.
   */
  readonly zeroSums: WriteMark[] = [];
  /** Where sumsToZero starts looking. */
  #sumCursor = 0;
  /** find()'s last answer, and the different one before it. */
  #found: Loaded | undefined;
  #foundBefore: Loaded | undefined;

  constructor(ctx: FirmwareContext, profile: SeaBiosProfile) {
    this.writeFileLine = profile.writeFileLine;
    this.memory = ctx.memory;
    this.fw = ctx.fw;
    this.high = new ZoneAllocator('ZoneHigh', profile.zoneHigh);
    this.fseg = new ZoneAllocator('ZoneFSeg', profile.fsegRoom);
    // _malloc(zone, size, align), with --place applied
    this.highPlaced = placed(this.high, ctx.placements, "SeaBIOS's ZoneHigh");
    this.fsegPlaced = placed(this.fseg, ctx.placements, "SeaBIOS's ZoneFSeg");
    this.report = emptyReport('seabios');
  }

  /**
   * romfile_find: qemu_cfg_init builds its list by prepending, so of two
   * files with one name the later in the directory wins (a linear search,
   * as SeaBIOS's: cheaper than building a map for a handful of files).
   */
  romfile(name: string): FwCfgDirEntry | undefined {
    const list = this.romfiles;
    for (let i = list.length - 1; i >= 0; i--) if (list[i]!.name === name) return list[i];
    return undefined;
  }

  /** romfile_loader_find on the name field at `field` of the entry: byte 55 must be 0, then the first allocated blob of that name. */
  find(script: LoaderScript, e: EntryOffset, field: NameFieldOffset): Loaded | undefined {
    if (script.byte55(e, field) !== 0) return undefined;
    // the last blob found, again (a table's pointers and checksum name one blob in a row): the first
    // blob of a name stays the first, since `loaded` only grows at its end
    const last = this.#found;
    if (last !== undefined && script.hasName(e, field, last.image)) return last;
    return this.#search(script, e, field);
  }

  /**
   * find() past the last answer: the one before it (a pointer from the tables
   * to another blob names the two in turn), then the field's words against
   * each blob's name in allocation order (no string read from the field).
   */
  #search(script: LoaderScript, e: EntryOffset, field: NameFieldOffset): Loaded | undefined {
    const before = this.#foundBefore;
    if (before !== undefined && script.hasName(e, field, before.image)) return this.#remember(before);
    const loaded = this.loaded;
    for (let i = 0; i < loaded.length; i++) if (script.hasName(e, field, loaded[i]!.image)) return this.#remember(loaded[i]!);
    return undefined;
  }

  #remember(blob: Loaded): Loaded {
    this.#foundBefore = this.#found;
    return (this.#found = blob);
  }

  /** A rejection with SeaBIOS's warning line for it. */
  reject(index: number, command: string, where: string, reason: string): EntryOutcome {
    this.report.warnings.push(internalError(where));
    return outcome(index, command, 'rejected', reason);
  }

  /**
   * Entry `index` of the script. Each command reads all its fields before it
   * acts, as if the entry had been decoded first (a command may write where
   * the script lies: a pinned file over it).
   */
  execute(script: LoaderScript, index: number): EntryOutcome {
    const e = script.entry(index);
    const command = script.command(e);
    if (command < COMMAND_ALLOCATE || command > COMMAND_WRITE_POINTER) return this.notACommand(script, e, index, command);
    this.report.commandsExecuted++;
    switch (command) {
      case COMMAND_ALLOCATE:
        return this.allocate(script, e, index);
      case COMMAND_ADD_POINTER:
        return this.addPointer(script, e, index);
      case COMMAND_ADD_CHECKSUM:
        return this.addChecksum(script, e, index);
      default: // COMMAND_WRITE_POINTER: the test above leaves no other
        return this.writePointer(script, e, index);
    }
  }

  /**
   * Padding (128 zero bytes: not counted) or an unknown command word (counted,
   * skipped). Out of line, as every rare path on the loop here: V8 counts an
   * inlined function's whole bytecode against its caller's inlining budget.
   */
  notACommand(script: LoaderScript, e: EntryOffset, index: number, command: number): EntryOutcome {
    if (command === 0 && script.isPadding(e)) return outcome(index, PADDING_NAME, 'skipped', 'command 0');
    this.report.commandsExecuted++;
    return outcome(index, commandWordName(command), 'skipped', `unknown command 0x${command.toString(16)}`);
  }

  allocate(script: LoaderScript, e: EntryOffset, index: number): EntryOutcome {
    const command = ALLOCATE_NAME;
    const where = 'romfile_loader_allocate:100';
    let align = script.u32(e, ALLOCATE_ALIGN);
    const zoneId = script.u8(e, ALLOCATE_ZONE);
    if ((align & (align - 1)) !== 0) return this.reject(index, command, where, `alignment ${align} is not a power of two`);
    if (zoneId !== ZONE_HIGH && zoneId !== ZONE_FSEG) return this.reject(index, command, where, `zone ${zoneId} is neither HIGH nor FSEG`);
    if (align < MALLOC_MIN_ALIGN) align = MALLOC_MIN_ALIGN;
    if (script.byte55(e, ALLOCATE_FILE) !== 0) return this.reject(index, command, where, 'file name has no NUL in byte 55');
    const name = script.name(e, ALLOCATE_FILE);
    const file = this.romfile(name);
    if (file === undefined) return outcome(index, command, 'skipped', 'no such fw_cfg file (silently ignored)');
    if (file.size === 0) return outcome(index, command, 'skipped', 'zero-size fw_cfg file (silently ignored)');
    const zone = zoneId === ZONE_HIGH ? this.high : this.fseg;
    const base = (zoneId === ZONE_HIGH ? this.highPlaced : this.fsegPlaced).allocate(name, file.size, align);
    if (base === undefined) {
      this.report.warnings.push(noAlloc('romfile_loader_allocate:87'));
      return outcome(index, command, 'rejected', `no room in ${zone.name} for ${file.size} bytes`);
    }
    this.fw.readItem(file.select, file.size, base);
    this.loaded.push({ file, base, image: cStringImage(name) });
    this.report.allocations.push({ file: file.name, base, length: file.size, entry: index, zone: zoneId });
    return applied(appliedAllocate, index, command);
  }

  addPointer(script: LoaderScript, e: EntryOffset, index: number): EntryOutcome {
    const dest = this.find(script, e, POINTER_DEST);
    const src = this.find(script, e, POINTER_SRC);
    const offset = script.u32(e, POINTER_OFFSET);
    const size = script.u8(e, POINTER_SIZE);
    // the checks in one test; which one failed is worked out only then (pointerProblem)
    if (dest === undefined || src === undefined || offset + size > 0xffffffff || offset + size > dest.file.size || (size !== 1 && size !== 2 && size !== 4 && size !== 8)) {
      return this.reject(index, ADD_POINTER_NAME, 'romfile_loader_add_pointer:129', pointerProblem(dest, src, offset, size));
    }
    // u64 add of a 32-bit base; the low `size` bytes are written back (narrow fields truncate)
    this.memory.patch(dest.base + offset, size, addLE, src.base);
    return applied(appliedPointer, index, ADD_POINTER_NAME);
  }

  addChecksum(script: LoaderScript, e: EntryOffset, index: number): EntryOutcome {
    const file = this.find(script, e, CHECKSUM_FILE);
    const offset = script.u32(e, CHECKSUM_OFFSET);
    const start = script.u32(e, CHECKSUM_START);
    const length = script.u32(e, CHECKSUM_LENGTH);
    if (file === undefined || offset >= file.file.size || start + length > 0xffffffff || start + length > file.file.size) {
      return this.reject(index, ADD_CHECKSUM_NAME, 'romfile_loader_add_checksum:152', checksumProblem(file, offset, start, length));
    }
    // subtract semantics: correct whatever the byte held before
    const sum = this.memory.inspect(file.base + start, length, sum8);
    this.memory.patch(file.base + offset, 1, subtractByte, sum);
    // with the byte inside the range, the range now sums to zero
    if (offset >= start && offset < start + length) this.zeroSums.push(this.memory.mark(file.base + start, length));
    return applied(appliedChecksum, index, ADD_CHECKSUM_NAME);
  }

  /** Whether [address, address+length) is a checksummed range no write has touched since (the walk's KnownSums). */
  sumsToZero(address: number, length: number): boolean {
    const marks = this.zeroSums;
    const n = marks.length;
    // from the mark after the last one found: the walk meets tables in about the order the loader summed them
    for (let k = 0, i = this.#sumCursor; k < n; k++, i = i + 1 === n ? 0 : i + 1) {
      const m = marks[i]!;
      if (m.address === address && m.length === length && m.intact) {
        this.#sumCursor = i + 1 === n ? 0 : i + 1;
        return true;
      }
    }
    return false;
  }

  /** Stops the marks (every write checks them while they are held). */
  unmark(): void {
    this.memory.unmark(this.zeroSums);
  }

  writePointer(script: LoaderScript, e: EntryOffset, index: number): EntryOutcome {
    const command = WRITE_POINTER_NAME;
    const where = 'romfile_loader_write_pointer:205';
    const dest = this.romfile(script.name(e, WRITE_DEST)); // global list: the pointer file need not be allocated
    const src = this.find(script, e, WRITE_SRC);
    const dstOffset = script.u32(e, WRITE_DST_OFFSET);
    const srcOffset = script.u32(e, WRITE_SRC_OFFSET);
    const size = script.u8(e, WRITE_SIZE);
    if (!dest) return this.reject(index, command, where, 'pointer file not in the fw_cfg directory');
    if (!src) return this.reject(index, command, where, 'pointee file not allocated');
    if (dstOffset + size > 0xffffffff) return this.reject(index, command, where, 'offset + size wraps');
    if (dstOffset + size > dest.size) return this.reject(index, command, where, 'pointer field past the end of the fw_cfg file');
    if (srcOffset >= src.file.size) return this.reject(index, command, where, 'pointee offset past the end of the pointee');
    if (size < 1 || size > 8 || (size & (size - 1)) !== 0) return this.reject(index, command, where, `pointer size ${size}`);
    const value = (src.base + srcOffset) % 2 ** 32; // unsigned long: 32 bits
    if (size !== 8 && value >= 2 ** (size * 8)) return this.reject(index, command, where, 'value does not fit the pointer size');
    const bytes = new Uint8Array(size);
    storeLE(bytes, 0, size, value);
    if (!this.fw.dma) {
      this.report.warnings.push(internalError(`qemu_cfg_write_file:${this.writeFileLine}`));
      return this.reject(index, command, where, 'fw_cfg writes need DMA');
    }
    this.fw.writeItem(dest.select, dstOffset, bytes); // the completion loop ignores the error bit
    this.report.writePointers.push({ destFile: dest.name, offset: dstOffset, size, value, kept: true });
    const store = this.high.allocate(WR_POINTER_STORE, MALLOC_MIN_ALIGN);
    if (store === undefined) this.report.warnings.push(noAlloc('romfile_loader_write_pointer:194'));
    else this.report.scratch.push({ start: store, end: store + WR_POINTER_STORE, what: 'write-pointer record for S3 replay' });
    return applied(appliedWritePointer, index, command);
  }
}

/** What runSeaBios needs of the machine and of the release beyond its profile. */
export interface SeaBiosRunFacts {
  facts: MachineFacts;
  /** The release's platform programming (its record's): the PCIEXBAR base MCFG reports. */
  platform: { pciexbar: number };
}

export function runSeaBios(ctx: FirmwareContext, profile: SeaBiosProfile, machine: SeaBiosRunFacts): FirmwareReport {
  const run = new SeaBiosRun(ctx, profile);
  try {
    boot(run, ctx, profile, machine);
  } finally {
    run.unmark();
  }
  return run.report;
}

/** One boot's loader work, the RSDP scan, and the OS's walk or the fallback. */
function boot(run: SeaBiosRun, ctx: FirmwareContext, profile: SeaBiosProfile, machine: SeaBiosRunFacts): void {
  const { memory, fw } = ctx;
  const report = run.report;

  const dir = fw.directory();
  run.romfiles = dir;
  ctx.programPlatform?.();

  let loaderError = false;
  const loader = run.romfile(LOADER_FILE);
  if (loader === undefined || loader.size === 0) {
    loaderError = true; // romfile_loadfile returns NULL: no message
    report.outcome = 'not-run';
    report.notes.push(loader === undefined ? 'QEMU serves no etc/table-loader' : 'etc/table-loader is empty (romfile_loadfile gives nothing, silently)');
  } else {
    // malloc_tmphigh: the zone below ZoneHigh, fresh each boot
    const buf = ZoneAllocator.firstFit(profile.tmpHigh, loader.size + 1, MALLOC_MIN_ALIGN)!;
    report.scratch.push({ start: buf, end: buf + loader.size + 1, what: 'the script (malloc_tmphigh)' });
    fw.readItem(loader.select, loader.size, buf);
    report.loaderBytesRead = loader.size;
    if (loader.size % ENTRY_SIZE !== 0) {
      report.warnings.push(internalError('romfile_loader_execute:218'));
      loaderError = true;
      report.outcome = 'rejected';
    } else {
      const script = new LoaderScript(memory.view(buf, loader.size));
      // one outcome per entry: the array sized once, not grown as it fills
      const entries = (report.entries = new Array<EntryOutcome>(script.count));
      for (let i = 0; i < script.count; i++) entries[i] = run.execute(script, i);
    }
  }

  // find_acpi_rsdp: scan the F-segment zone
  const rsdp = scanForRsdp(memory, profile.fsegRoom.start, profile.fsegZoneEnd);
  if (rsdp !== undefined) {
    let fromLoader = false;
    for (const a of report.allocations) if (rsdp.address >= a.base && rsdp.address < a.base + a.length) fromLoader = true;
    report.rsdp = { address: rsdp.address, fromLoader };
    const walk = walkTableList(memory, rsdp, run, loaderTableRow);
    report.tables = walk.tables;
    report.osTablesFromLoader = fromLoader;
    for (const p of walk.problems) report.notes.push(`ACPI walk: ${p}`);
  } else {
    if (!loaderError) report.warnings.push(internalError(`qemu_platform_setup:${profile.platformSetupLine}`));
    fallback(run, profile, machine);
  }
  if (report.outcome === 'ran' && report.warnings.length > 0) report.outcome = 'ran-with-warnings';
}

const NO_FALLBACK_NOTE = 'no valid RSDP in the F-segment after the loader, and this SeaBIOS builds no ACPI tables of its own: the OS finds none';

/** No valid RSDP: the release's own tables (acpi_setup), published as the OS will find them. */
function fallback(run: SeaBiosRun, profile: SeaBiosProfile, m: SeaBiosRunFacts): void {
  const report = run.report;
  const policy = profile.fallback ?? LEGACY_ACPI_1_16;
  report.rsdp = null;
  if (policy.tables === 'none') {
    report.notes.push(NO_FALLBACK_NOTE);
    return;
  }
  const own = acpiSetup({
    memory: run.memory,
    fw: run.fw,
    directory: run.romfiles,
    high: run.high,
    fseg: run.fseg,
    tmpRoom: profile.tmpHigh.end - profile.tmpHigh.start,
    machine: { family: m.facts.family, pciexbar: m.platform.pciexbar, qemuAcpi: m.facts.qemuAcpi ?? true, ramTop: profile.zoneHigh.end },
    rsdpNoRoomAt: policy.rsdpNoRoomAt,
  });
  report.warnings.push(...own.warnings);
  report.scratch.push(...own.written);
  report.notes.push(...own.notes);
  const rsdp = own.rsdp === undefined ? undefined : readRsdp(run.memory, own.rsdp);
  if (rsdp === undefined) return;
  report.rsdp = { address: rsdp.address, fromLoader: false };
  const walk = walkTableList(run.memory, rsdp, nothingKnown, firmwareTableRow);
  report.tables = walk.tables;
  for (const p of walk.problems) report.notes.push(`ACPI walk: ${p}`);
  report.notes.push("no valid RSDP in the F-segment after the loader: SeaBIOS built its own ACPI tables (src/fw/acpi.c acpi_setup) and the OS finds those");
}
