/**
 * OVMF 2022.11 running etc/table-loader (OvmfPkg QemuFwCfgAcpi.c): pass 0
 * finds blobs that narrow pointers pin below 4 GiB, pass 1 runs every command
 * with strict checks and undoes everything on the first error (WRITE_POINTERs
 * zeroed again), pass 2 hands each pointed-to table to the ACPI table
 * protocol, which copies it and builds its own RSDP/RSDT/XSDT. The real
 * firmware's behaviour wins over the spec where the corpus showed a
 * difference: D2 (wrong checksum is -old), D3 (root headers take the FADT's
 * OEM fields), D4 (a failure after tables were installed leaves both RSDPs
 * published with one NULL entry), D5 (dropped FACS/DSDT zeroed in the FADT),
 * D6 (freed pages filled with 0xAF), D7 (two RSDPs).
 */
import { checksumByte, sum8 } from '../acpi/checksum.js';
import { readRsdp, walkTables } from '../acpi/walk.js';
import { decodeEntry } from '../loader/codec.js';
import type { LoaderEntry } from '../loader/entry.js';
import { ENTRY_SIZE, LOADER_FILE } from '../loader/constants.js';
import { commandName, nameView, readLE, writeLE } from './entry-fields.js';
import type { FwCfgDirEntry } from './fwcfg-guest.js';
import { PageAllocator, pagesFor, PAGE } from './page-allocator.js';
import type { OvmfProfile } from './profiles.js';
import { emptyReport, type EntryOutcome, type FirmwareReport } from './report.js';
import type { FirmwareContext } from './seabios.js';

const INSTALLED_TABLES_MAX = 128;
const ROOT_CAPACITY = 20; // EFI_ACPI_MAX_NUM_TABLES: entries the protocol's RSDT/XSDT start with

interface Blob {
  name: string;
  base: number;
  size: number;
  hostsOnlyTableData: boolean;
}

class LoaderFailure extends Error {
  constructor(
    readonly index: number,
    readonly status: string,
    readonly reason: string,
  ) {
    super(reason);
  }
}

export interface OvmfOptions {
  /** etc/system-states says S3 is enabled (byte 3, bit 7). */
  s3: boolean;
}

export function s3Enabled(systemStates: Uint8Array | undefined): boolean {
  return systemStates !== undefined && systemStates.length === 6 && (systemStates[3]! & 0x80) !== 0;
}

export function runOvmf(ctx: FirmwareContext, profile: OvmfProfile, options: OvmfOptions): FirmwareReport {
  const { memory, fw } = ctx;
  const report: FirmwareReport = emptyReport('ovmf');
  // QemuFwCfgFindFile scans the directory on every lookup; the first match wins
  const findFile = (name: string): FwCfgDirEntry | undefined => fw.directory().find((e) => e.name === name);
  ctx.programPlatform?.(); // PCI enumeration comes before AcpiPlatformDxe

  const loader = findFile(LOADER_FILE);
  if (loader === undefined) {
    report.outcome = 'not-run';
    report.notes.push('InstallAcpiTables: Not Found (no etc/table-loader)');
    return report;
  }
  if (loader.size % ENTRY_SIZE !== 0) {
    report.outcome = 'rejected';
    report.warnings.push(`InstallQemuFwCfgTables: "etc/table-loader" has invalid size 0x${loader.size.toString(16)}`);
    return report;
  }
  const nvs = new PageAllocator(profile.nvs, profile.generalTop);
  const scriptPages = pagesFor(Math.max(loader.size, 1));
  // the script lives in pool memory; a scratch page range below the blobs' region
  const scriptBase = profile.reclaim.bottom - 0x100000 - scriptPages * PAGE; // pool memory; its place matters to nobody
  report.scratch.push({ start: scriptBase, end: scriptBase + scriptPages * PAGE, what: 'the script (pool)' });
  fw.readItem(loader.select, loader.size, scriptBase);
  report.loaderBytesRead = loader.size;
  const entries: LoaderEntry[] = [];
  for (let i = 0; i < loader.size / ENTRY_SIZE; i++) entries.push(decodeEntry(memory.view(scriptBase + i * ENTRY_SIZE, ENTRY_SIZE)));
  report.commandsExecuted = entries.filter((e) => e.type !== 'padding').length;

  const blobs = new Map<string, Blob>();
  const writes: { select: number; name: string; offset: number; size: number; index: number }[] = [];
  const outcomes: EntryOutcome[] = [];
  const out = (e: LoaderEntry, index: number, status: EntryOutcome['status'], reason?: string) => outcomes.push({ index, command: commandName(e), status, ...(reason ? { reason } : {}) });

  try {
    // ---- pass 0: pointees of narrow pointers stay below 4 GiB (all RAM here is below 4 GiB)
    entries.forEach((e, i) => {
      if (e.type === 'addPointer' && e.size < 8 && nameView(e, 60, e.srcFile).byte55 !== 0) throw new LoaderFailure(i, 'EFI_PROTOCOL_ERROR', 'malformed file name');
    });
    if (options.s3 && entries.length === 0) throw new LoaderFailure(-1, 'EFI_INVALID_PARAMETER', 'an S3 context for 0 commands');

    // ---- pass 1
    entries.forEach((e, index) => {
      const fail = (status: string, reason: string): never => {
        throw new LoaderFailure(index, status, reason);
      };
      const malformed = (at: 4 | 60, name: string) => {
        if (nameView(e, at, name).byte55 !== 0) fail('EFI_PROTOCOL_ERROR', 'malformed file name');
      };
      switch (e.type) {
        case 'allocate': {
          malformed(4, e.file);
          if (e.align > PAGE) fail('EFI_UNSUPPORTED', `unsupported alignment 0x${e.align.toString(16)}`);
          const file = findFile(e.file);
          if (file === undefined) fail('EFI_NOT_FOUND', `QemuFwCfgFindFile("${e.file}"): Not Found`);
          const pinned = ctx.placements?.get(e.file);
          const base = pinned ?? nvs.allocate(pagesFor(file!.size));
          if (base === undefined) fail('EFI_OUT_OF_RESOURCES', `AllocatePages for ${file!.size} bytes`);
          if (blobs.has(e.file)) {
            report.scratch.push({ start: base!, end: base! + pagesFor(file!.size) * PAGE, what: `the pages of the duplicate ALLOCATE of ${e.file} (freed)` });
            fill(base!, pagesFor(file!.size));
            fail('EFI_PROTOCOL_ERROR', `duplicated file "${e.file}"`);
          }
          blobs.set(e.file, { name: e.file, base: base!, size: file!.size, hostsOnlyTableData: true });
          fw.readItem(file!.select, file!.size, base!);
          const tail = pagesFor(file!.size) * PAGE - file!.size;
          if (tail > 0) memory.fill(base! + file!.size, tail, 0);
          report.allocations.push({ file: e.file, base: base!, length: file!.size, reserved: pagesFor(file!.size) * PAGE, entry: index });
          out(e, index, 'applied');
          return;
        }
        case 'addPointer': {
          malformed(4, e.destFile);
          malformed(60, e.srcFile);
          const dest = blobs.get(e.destFile);
          const src = blobs.get(e.srcFile);
          if (!dest || !src) fail('EFI_PROTOCOL_ERROR', `invalid blob reference(s) "${e.destFile}" / "${e.srcFile}"`);
          if (![1, 2, 4, 8].includes(e.size) || e.size > dest!.size || e.offset > dest!.size - e.size) fail('EFI_PROTOCOL_ERROR', `invalid pointer location or size in "${e.destFile}"`);
          memory.patch(dest!.base + e.offset, e.size, (field, at) => {
            const value = readLE(field, at, e.size);
            if (value >= BigInt(src!.size)) fail('EFI_PROTOCOL_ERROR', `invalid pointer value in "${e.destFile}"`);
            const sum = value + BigInt(src!.base);
            if (e.size < 8 && sum >= 1n << BigInt(e.size * 8)) fail('EFI_PROTOCOL_ERROR', `relocated pointer value unrepresentable in "${e.destFile}"`);
            writeLE(field, at, e.size, sum);
          });
          out(e, index, 'applied');
          return;
        }
        case 'addChecksum': {
          malformed(4, e.file);
          const blob = blobs.get(e.file);
          if (!blob) fail('EFI_PROTOCOL_ERROR', `invalid blob reference "${e.file}"`);
          if (e.offset >= blob!.size || e.length > blob!.size || e.start > blob!.size - e.length) fail('EFI_PROTOCOL_ERROR', `invalid checksum range in "${e.file}"`);
          // overwrite semantics: the old byte is part of the sum (D2: a prefilled byte leaves the range at -old)
          memory.writeU8(blob!.base + e.offset, (0x100 - sum8(memory.view(blob!.base + e.start, e.length))) & 0xff);
          out(e, index, 'applied');
          return;
        }
        case 'writePointer': {
          malformed(4, e.destFile);
          malformed(60, e.srcFile);
          const file = findFile(e.destFile);
          const src = blobs.get(e.srcFile);
          if (!file || !src) fail('EFI_PROTOCOL_ERROR', `invalid fw_cfg file or blob reference "${e.destFile}" / "${e.srcFile}"`);
          if (![1, 2, 4, 8].includes(e.size) || e.size > file!.size || e.dstOffset > file!.size - e.size) fail('EFI_PROTOCOL_ERROR', `invalid pointer location or size in "${e.destFile}"`);
          if (e.srcOffset >= src!.size) fail('EFI_PROTOCOL_ERROR', 'invalid PointeeOffset');
          const value = src!.base + e.srcOffset;
          if (e.size < 8 && value >= 2 ** (e.size * 8)) fail('EFI_PROTOCOL_ERROR', `pointer value unrepresentable in "${e.destFile}"`);
          const bytes = new Uint8Array(e.size);
          writeLE(bytes, 0, e.size, BigInt(value));
          const r = fw.writeItem(file!.select, e.dstOffset, bytes);
          if (r === 'error') throw new LoaderFailure(index, 'HANG', 'fw_cfg DMA reported an error: the release build polls the control word forever');
          src!.hostsOnlyTableData = false;
          if (r === 'done') report.writePointers.push({ destFile: file!.name, offset: e.dstOffset, size: e.size, value, kept: true });
          else report.notes.push(`entry ${index}: without fw_cfg DMA the write goes to the data port, which QEMU ignores`);
          writes.push({ select: file!.select, name: file!.name, offset: e.dstOffset, size: e.size, index });
          out(e, index, 'applied');
          return;
        }
        case 'padding':
          out(e, index, 'skipped', 'command 0');
          return;
        default:
          out(e, index, 'skipped', `unknown loader command: 0x${e.command.toString(16)}`);
      }
    });
  } catch (err) {
    if (!(err instanceof LoaderFailure)) throw err;
    return failed(err, false);
  }

  // ---- pass 2: find and install the tables
  const protocol = new TableProtocol(memory, profile, nvs, report);
  const seen = new Set<number>();
  try {
    entries.forEach((e, index) => {
      if (e.type !== 'addPointer') return;
      const dest = blobs.get(e.destFile)!;
      const src = blobs.get(e.srcFile)!;
      const target = Number(readLE(memory.view(dest.base + e.offset, e.size), 0, e.size));
      if (seen.has(target)) return;
      seen.add(target);
      const remaining = src.base + src.size - target;
      const length = remaining >= 8 ? memory.readU32LE(target + 4) : 0;
      const sig = remaining >= 4 ? String.fromCharCode(...memory.view(target, 4)) : '';
      if (remaining >= 64 && sig === 'FACS' && length >= 64 && length <= remaining) {
        protocol.install(target, length, index);
        return;
      }
      if (remaining >= 36 && length >= 36 && length <= remaining && sum8(memory.view(target, length)) === 0) {
        if (sig === 'RSDT' || sig === 'XSDT') return;
        protocol.install(target, length, index);
        return;
      }
      src.hostsOnlyTableData = false; // opaque data the OS reaches by address: kept
    });
    if (options.s3 && writes.length > 0 && !fw.dma) throw new LoaderFailure(-1, 'RETURN_NOT_FOUND', 'QemuFwCfgS3CallWhenBootScriptReady: fw_cfg DMA unavailable');
  } catch (err) {
    if (!(err instanceof LoaderFailure)) throw err;
    return failed(err, protocol.installed.length > 0, protocol);
  }

  // success: blobs that only held tables are freed (their tables live in the protocol's copies)
  for (const b of blobs.values()) {
    if (b.hostsOnlyTableData) {
      fill(b.base, pagesFor(b.size));
      markFreed(b.name);
      report.notes.push(`freed ${b.name} (only tables, now copied)`);
    }
  }
  protocol.publish(report);
  report.entries = outcomes;
  report.notes.push(`installed ${protocol.installed.length} tables`);
  return report;

  function markFreed(name: string): void {
    for (const a of report.allocations) if (a.file === name) a.freed = true;
  }

  function fill(base: number, pages: number): void {
    if (memory.regionAt(base) !== undefined) memory.fill(base, pages * PAGE, profile.freedFill);
  }

  function failed(f: LoaderFailure, afterInstall: boolean, protocol?: TableProtocol): FirmwareReport {
    if (f.status === 'HANG') {
      report.outcome = 'hung';
      report.warnings.push(`entry ${f.index}: ${f.reason}`);
      report.entries = outcomes;
      return report;
    }
    report.outcome = 'rejected';
    report.warnings.push(`${f.index >= 0 ? `entry ${f.index}: ` : ''}${f.reason} (${f.status})`);
    if (f.index >= 0) outcomes.push({ index: f.index, command: commandName(entries[f.index]!), status: 'rejected', reason: f.reason });
    // undo WRITE_POINTERs in reverse order by writing zeros of the same width
    for (const w of [...writes].reverse()) {
      fw.writeItem(w.select, w.offset, new Uint8Array(w.size));
      for (const r of report.writePointers) if (r.destFile === w.name && r.offset === w.offset) r.kept = false;
    }
    for (const b of blobs.values()) {
      fill(b.base, pagesFor(b.size));
      markFreed(b.name);
    }
    if (afterInstall && protocol !== undefined) protocol.publishEmpty(report); // D4
    report.entries = outcomes;
    return report;
  }
}

/** The parts of EFI_ACPI_TABLE_PROTOCOL (MdeModulePkg AcpiTableDxe) the loader's results go through. */
class TableProtocol {
  readonly installed: { signature: string; address: number; length: number }[] = [];
  private facs: number | undefined;
  private dsdt: number | undefined;
  private fadt: number | undefined;
  /** OEM ID, OEM table ID and OEM revision of the FADT, copied into the roots at its install and never reset (D3, D4). */
  private oem: Uint8Array | undefined;
  private readonly reclaim: PageAllocator;
  /** Entries the roots hold (slot 0 is the FADT's, 0 while there is none) and have room for. */
  private rootEntries = 1;
  private capacity = ROOT_CAPACITY;
  private grown: { rsdt10?: number; rsdt?: number; xsdt: number } | undefined;

  constructor(
    private readonly memory: FirmwareContext['memory'],
    private readonly profile: OvmfProfile,
    private readonly nvs: PageAllocator,
    private readonly out: FirmwareReport,
  ) {
    this.reclaim = new PageAllocator(profile.reclaim, profile.generalTop - 0x100000);
    const p = profile;
    for (const at of [p.rsdp10, p.rsdp20]) if (at !== undefined) out.scratch.push({ start: at, end: at + 36, what: 'the protocol RSDP' });
    for (const at of [p.rsdt10, p.rsdt, p.xsdt]) if (at !== undefined) out.scratch.push({ start: at, end: at + 36 + 8 * ROOT_CAPACITY, what: 'the protocol RSDT/XSDT' });
  }

  install(address: number, length: number, index: number): void {
    if (this.installed.length >= INSTALLED_TABLES_MAX) throw new LoaderFailure(index, 'EFI_OUT_OF_RESOURCES', `can't install more than ${INSTALLED_TABLES_MAX} tables`);
    const sig = String.fromCharCode(...this.memory.view(address, 4));
    if ((sig === 'FACP' && this.fadt !== undefined) || (sig === 'FACS' && this.facs !== undefined) || (sig === 'DSDT' && this.dsdt !== undefined)) {
      throw new LoaderFailure(index, 'EFI_ACCESS_DENIED', `InstallAcpiTable(): Access Denied (a second ${sig})`);
    }
    // the FACS lives in ACPI NVS below 4 GiB, everything else in ACPI reclaim memory
    const copy = sig === 'FACS' ? this.nvs.allocate(pagesFor(length))! : this.reclaim.allocate(pagesFor(length))!;
    this.out.scratch.push({ start: copy, end: copy + pagesFor(length) * PAGE, what: `the protocol's ${sig} copy` });
    this.memory.write(copy, this.memory.read(address, length));
    // a root entry for everything but FACS, DSDT and the FADT (whose slot is reserved); full roots grow by 20
    if (sig !== 'FACS' && sig !== 'DSDT' && sig !== 'FACP') {
      if (this.rootEntries >= this.capacity) this.capacity += ROOT_CAPACITY;
      this.rootEntries++;
    }
    this.installed.push({ signature: sig, address: copy, length });
    if (sig === 'FACS') this.facs = copy;
    else if (sig === 'DSDT') this.dsdt = copy;
    else if (sig === 'FACP') {
      this.fadt = copy;
      this.oem = this.memory.read(copy + 10, 18);
    }
    this.linkFadt();
  }

  /** The protocol keeps the FADT's FACS/DSDT fields on its own copies (0 while absent: D5). */
  private linkFadt(): void {
    const f = this.fadt;
    if (f === undefined) return;
    const m = this.memory;
    const len = m.readU32LE(f + 4);
    if (len >= 40) m.writeU32LE(f + 36, this.facs ?? 0);
    if (len >= 140) m.writeU64LE(f + 132, 0n);
    if (len >= 44) m.writeU32LE(f + 40, this.dsdt ?? 0);
    if (len >= 148) m.writeU64LE(f + 140, BigInt(this.dsdt ?? 0));
    m.writeU8(f + 9, 0);
    m.writeU8(f + 9, checksumByte(m.view(f, len)));
  }

  /** Headers of the protocol's own roots: OEM fields of the installed FADT (D3), its own creator. */
  private header(sig: string, length: number, revision: number): Uint8Array {
    const h = new Uint8Array(36);
    const dv = new DataView(h.buffer);
    h.set(Array.from(sig, (c) => c.charCodeAt(0)));
    dv.setUint32(4, length, true);
    h[8] = revision;
    if (this.oem !== undefined) h.set(this.oem, 10); // OEM ID, OEM table ID, OEM revision
    h.set([0x20, 0x20, 0x20, 0x20], 28);
    dv.setUint32(32, 0x01000013, true);
    return h;
  }

  private writeRoot(at: number, sig: string, width: 4 | 8, entries: number[]): void {
    const length = 36 + width * entries.length;
    const t = new Uint8Array(length);
    t.set(this.header(sig, length, 1));
    const dv = new DataView(t.buffer);
    entries.forEach((a, i) => (width === 4 ? dv.setUint32(36 + 4 * i, a, true) : dv.setBigUint64(36 + 8 * i, BigInt(a), true)));
    t[9] = checksumByte(t);
    this.memory.write(at, t);
  }

  private writeRsdp(at: number, revision: number, rsdt: number, xsdt: number): void {
    const r = new Uint8Array(revision >= 2 ? 36 : 20);
    const dv = new DataView(r.buffer);
    r.set(Array.from('RSD PTR ', (c) => c.charCodeAt(0)));
    if (this.oem !== undefined) r.set(this.oem.subarray(0, 6), 9);
    r[15] = revision;
    dv.setUint32(16, rsdt, true);
    r[8] = checksumByte(r.subarray(0, 20));
    if (revision >= 2) {
      dv.setUint32(20, 36, true);
      dv.setBigUint64(24, BigInt(xsdt), true);
      r[32] = checksumByte(r);
    }
    this.memory.write(at, r);
  }

  /**
   * The published roots (D7): ACPI 1.0 RSDP + RSDT with the FADT's slot when exposed; the 2.0 RSDP
   * with RSDT (or 0) and XSDT. Slot 0 belongs to the FADT whatever the install order (AcpiTableDxe
   * reserves it), the other tables follow in install order.
   */
  publish(report: FirmwareReport): void {
    const others = this.installed.filter((t) => t.signature !== 'FACS' && t.signature !== 'DSDT' && t.signature !== 'FACP').map((t) => t.address);
    this.writeRoots([this.fadt ?? 0, ...others]);
    this.report(report, this.profile.rsdp20);
  }

  /**
   * Where the roots live: the profile's places while they have room for 20
   * entries. Past that the protocol moves them into one new buffer (ACPI 1.0
   * RSDT, 2.0 RSDT and XSDT for `capacity` entries each) and never moves them
   * back, not even when a failure uninstalls every table; the buffer's
   * address comes from the profile where a run observed it.
   */
  private rootPlaces(): { rsdt10?: number; rsdt?: number; xsdt: number } {
    const p = this.profile;
    if (this.capacity <= ROOT_CAPACITY) return { ...(p.rsdt10 !== undefined ? { rsdt10: p.rsdt10 } : {}), ...(p.rsdt !== undefined ? { rsdt: p.rsdt } : {}), xsdt: p.xsdt };
    if (this.grown !== undefined) return this.grown;
    const capacity = this.capacity;
    const size = 3 * 36 + 16 * capacity;
    const observed = p.grownRoots?.[capacity];
    const base = observed ?? this.reclaim.allocate(pagesFor(size))!;
    if (observed === undefined) this.out.notes.push(`the RSDT/XSDT grown to ${capacity} entries: their address is not modelled for this capacity`);
    this.out.scratch.push({ start: base, end: base + pagesFor(size) * PAGE, what: 'the reallocated RSDT/XSDT' });
    const rsdt10 = p.rsdt10 !== undefined ? base : undefined;
    const rsdt = p.rsdt !== undefined ? base + 36 + 4 * capacity : undefined;
    this.grown = { ...(rsdt10 !== undefined ? { rsdt10 } : {}), ...(rsdt !== undefined ? { rsdt } : {}), xsdt: base + 72 + 8 * capacity };
    return this.grown;
  }

  private writeRoots(listed: number[]): void {
    const p = this.profile;
    const at = this.rootPlaces();
    if (at.rsdt10 !== undefined && p.rsdp10 !== undefined) {
      this.writeRoot(at.rsdt10, 'RSDT', 4, [listed[0] ?? 0]);
      this.writeRsdp(p.rsdp10, 0, at.rsdt10, 0);
    }
    if (at.rsdt !== undefined) this.writeRoot(at.rsdt, 'RSDT', 4, listed);
    this.writeRoot(at.xsdt, 'XSDT', 8, listed);
    this.writeRsdp(p.rsdp20, 2, at.rsdt ?? 0, at.xsdt);
  }

  /** D4: a failure after tables were installed leaves the RSDPs published, roots with one NULL entry. */
  publishEmpty(report: FirmwareReport): void {
    this.fadt = undefined;
    this.writeRoots([0]);
    report.notes.push('tables were uninstalled after a late failure; the RSDPs stay published with one NULL root entry (D4)');
    this.report(report, this.profile.rsdp20);
  }

  private report(report: FirmwareReport, rsdpAddress: number): void {
    report.rsdp = { address: rsdpAddress, fromLoader: false };
    const rsdp = readRsdp(this.memory, rsdpAddress)!;
    const walk = walkTables(this.memory, rsdp);
    report.tables = walk.tables.map((t) => ({ signature: t.signature, address: t.address, length: t.length, checksumOk: t.checksumOk, source: 'protocol' }));
    report.osTablesFromLoader = this.installed.length > 0;
  }
}
