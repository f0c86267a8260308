/**
 * SeaBIOS's own ACPI tables (src/fw/acpi.c acpi_setup, unchanged from 1.14.0
 * to 1.16.3; commit 35aa9a72 removed it for 1.17.0): what qemu_platform_setup
 * runs when the loader left no valid RSDP. It finds the PM function, then
 * takes each table from ZoneHigh top-down in its own order (FADT, FACS, SSDT,
 * MADT, HPET, SRAT, MCFG, -acpitable tables, DSDT, RSDT) and the RSDP from
 * ZoneFSeg: the same allocators the loader's ALLOCATEs used, so the addresses
 * follow from the same rules. A failed allocation prints SeaBIOS's warning
 * and drops that table (the DSDT or RSDT: everything after it).
 */
import type { GuestMemory } from '../memory/guest-memory.js';
import type { FwCfgDirEntry, FwCfgGuest } from './fwcfg-guest.js';
import { DSDT_SIZE, FACS_SIZE, FADT_DSDT_AT, FADT_SIZE, HPET_SIZE, MCFG_SIZE, RSDP_SIZE, dsdt, facs, fadt, hpet, madt, madtSize, mcfg, rsdp, rsdt, settle, srat, sratSize } from './seabios-acpi-tables.js';
import { seabiosPlatform, type SeaBiosMachine } from './seabios-platform.js';
import { SeaBiosRomfiles } from './seabios-romfiles.js';
import { buildSsdt, ssdtSize } from './seabios-ssdt.js';
import { internalError, noAlloc } from './seabios-warnings.js';
import type { ZoneAllocator } from './zone-allocator.js';

export type { SeaBiosMachine } from './seabios-platform.js';

/**
 * What a release does when no valid RSDP came out of the loader: build
 * acpi.c's tables (`rsdpNoRoomAt`: the function:line its RSDP copy warns at
 * when ZoneFSeg is full), or nothing at all (1.17.0: "ACPI tables for qemu
 * 1.6 and older are not supported any more").
 */
export type SeaBiosFallback = { tables: 'legacy-acpi'; rsdpNoRoomAt: string } | { tables: 'none' };

/** 1.16.x (biostables.c copy_fseg_table:29); 1.14.0's RSDP copy warns at copy_acpi_rsdp:116. */
export const LEGACY_ACPI_1_16: SeaBiosFallback = { tables: 'legacy-acpi', rsdpNoRoomAt: 'copy_fseg_table:29' };

export interface AcpiSetupInput {
  memory: GuestMemory;
  fw: FwCfgGuest;
  /** The directory as qemu_cfg_init read it. */
  directory: readonly FwCfgDirEntry[];
  /** ZoneHigh and ZoneFSeg as the loader left them. */
  high: ZoneAllocator;
  fseg: ZoneAllocator;
  /** The size of ZoneTmpHigh, where romfile_loadfile copies files. */
  tmpRoom: number;
  machine: SeaBiosMachine;
  rsdpNoRoomAt: string;
}

export interface AcpiSetupResult {
  /** Where RsdpAddr points, if it got that far. */
  rsdp: number | undefined;
  warnings: string[];
  notes: string[];
  /** Every range it wrote (its allocations), with what. */
  written: { start: number; end: number; what: string }[];
}

/** MALLOC_MIN_ALIGN: malloc_high and malloc_fseg. */
const ALIGN = 16;
const MAX_ACPI_TABLES = 20;
/** Where free() of a pointer it never handed out warns (src/malloc.c, 1.14.0 to 1.16.3). */
const FREE_WARNING = 'free:294';

export function acpiSetup(i: AcpiSetupInput): AcpiSetupResult {
  const out: AcpiSetupResult = { rsdp: undefined, warnings: [], notes: [], written: [] };
  const { memory } = i;
  const romfiles = new SeaBiosRomfiles(i.fw, i.directory, i.tmpRoom, out.warnings);
  const p = seabiosPlatform(i.fw, romfiles, i.machine);
  out.notes.push(...p.notes);
  if (p.pm === undefined) {
    out.notes.push('SeaBIOS finds neither a PIIX4 PM nor an ICH9 LPC function: acpi_setup builds no tables');
    return out;
  }
  const put = (at: number, bytes: Uint8Array, what: string) => {
    memory.write(at, bytes);
    out.written.push({ start: at, end: at + bytes.length, what: `SeaBIOS's own ${what}` });
  };
  const tables: number[] = [];

  // build_fadt: both allocations are made before either is checked
  const fadtAt = i.high.allocate(FADT_SIZE, ALIGN);
  const facsAt = i.high.allocate(FACS_SIZE, 64);
  let fadtAddress: number | undefined;
  if (fadtAt === undefined || facsAt === undefined) out.warnings.push(noAlloc('build_fadt:123'));
  else {
    put(facsAt, facs(), 'FACS');
    put(fadtAt, fadt(p.pm, p.pmBase, facsAt), 'FADT');
    fadtAddress = fadtAt;
    tables.push(fadtAt);
  }

  const cpus = Math.min(p.maxCpus, 255);
  const ssdtAt = i.high.allocate(ssdtSize(cpus), ALIGN);
  if (ssdtAt === undefined) out.warnings.push(noAlloc('build_ssdt:326'));
  else {
    const systemStates = romfiles.loadFile('etc/system-states');
    const pvpanicPort = romfiles.loadInt('etc/pvpanic-port', 0);
    put(ssdtAt, buildSsdt({ cpus, present: p.present, systemStates, pvpanicPort, pciMem32: p.pciMem32, pciMem64: p.pciMem64, pciRemovable: p.pciRemovable }), 'SSDT');
    tables.push(ssdtAt);
  }

  const madtAt = i.high.allocate(madtSize(p.maxCpus), ALIGN);
  if (madtAt === undefined) out.warnings.push(noAlloc('build_madt:155'));
  else {
    put(madtAt, madt(p.maxCpus, p.present, p.irq0Override), 'MADT');
    tables.push(madtAt);
  }

  if (p.hpet) {
    const at = i.high.allocate(HPET_SIZE, ALIGN);
    if (at === undefined) out.warnings.push(noAlloc('build_hpet:441'));
    else {
      put(at, hpet(), 'HPET');
      tables.push(at);
    }
  }

  sratTable(i, romfiles, p.ramSize, p.present, put, tables, out.warnings);

  if (p.pm === 'ich9') {
    const at = i.high.allocate(MCFG_SIZE, ALIGN);
    if (at === undefined) out.warnings.push(noAlloc('build_mcfg_q35:571'));
    else {
      put(at, mcfg(p.pciexbar), 'MCFG');
      tables.push(at);
    }
  }

  // fill_dsdt: a DSDT already linked is freed first
  let linked: { at: number; size: number } | undefined;
  const fillDsdt = (fadtAt: number, at: number, size: number) => {
    if (linked !== undefined) i.high.release(linked.at, linked.at + linked.size);
    linked = { at, size };
    memory.patch(fadtAt, FADT_SIZE, linkDsdt, at);
  };
  // romfile_findprefix("acpi/"): -acpitable's tables and any fw_cfg file named so
  for (const f of romfiles.withPrefix('acpi/')) {
    const at = i.high.allocate(f.size, ALIGN);
    if (at === undefined) {
      out.warnings.push(noAlloc('acpi_setup:632'));
      continue;
    }
    const bytes = romfiles.read(f);
    put(at, bytes, f.name);
    if (f.size <= 36) continue;
    if (String.fromCharCode(...bytes.subarray(0, 4)) === 'DSDT') {
      if (fadtAddress !== undefined) fillDsdt(fadtAddress, at, f.size);
    } else tables.push(at);
    if (tables.length === MAX_ACPI_TABLES) {
      out.warnings.push(noAlloc('acpi_setup:646'));
      break;
    }
  }

  if (fadtAddress !== undefined && linked === undefined) {
    const at = i.high.allocate(DSDT_SIZE, ALIGN);
    if (at === undefined) {
      out.warnings.push(noAlloc('acpi_setup:655'));
      return out;
    }
    put(at, dsdt(), 'DSDT');
    fillDsdt(fadtAddress, at, DSDT_SIZE);
  }

  const rsdtBytes = rsdt(tables);
  const rsdtAt = i.high.allocate(rsdtBytes.length, ALIGN);
  if (rsdtAt === undefined) {
    out.warnings.push(noAlloc('acpi_setup:670'));
    return out;
  }
  put(rsdtAt, rsdtBytes, 'RSDT');
  // copy_acpi_rsdp: the 20 bytes of a revision 0 RSDP into the F-segment
  const rsdpAt = i.fseg.allocate(RSDP_SIZE, ALIGN);
  if (rsdpAt === undefined) out.warnings.push(noAlloc(i.rsdpNoRoomAt));
  else {
    put(rsdpAt, rsdp(rsdtAt), 'RSDP');
    out.rsdp = rsdpAt;
  }
  return out;
}

/** fill_dsdt on the FADT in guest memory: its DSDT field, then its checksum again. */
function linkDsdt(bytes: Uint8Array, at: number, length: number, dsdtAddress: number): void {
  const fadtBytes = bytes.subarray(at, at + length);
  new DataView(fadtBytes.buffer, fadtBytes.byteOffset, length).setUint32(FADT_DSDT_AT, dsdtAddress, true);
  settle(fadtBytes, 9);
}

/**
 * build_srat, when QEMU describes NUMA nodes: it frees its two loaded files
 * through pointers it advanced while reading them, so free() finds neither
 * and warns twice.
 */
function sratTable(i: AcpiSetupInput, romfiles: SeaBiosRomfiles, ramSize: number, present: (id: number) => boolean, put: (at: number, b: Uint8Array, what: string) => void, tables: number[], warnings: string[]): void {
  const nodes = romfiles.loadFile('etc/numa-nodes');
  const cpuMap = romfiles.loadFile('etc/numa-cpu-map');
  if (nodes === undefined || cpuMap === undefined) return;
  const u64s = (b: Uint8Array) => Array.from({ length: Math.floor(b.length / 8) }, (_, k) => new DataView(b.buffer, b.byteOffset).getBigUint64(8 * k, true));
  const nodeSizes = u64s(nodes);
  const cpuNodes = u64s(cpuMap);
  const at = i.high.allocate(sratSize(cpuNodes.length, nodeSizes.length), ALIGN);
  if (at === undefined) {
    warnings.push(noAlloc('build_srat:487'));
    return;
  }
  put(at, srat(cpuNodes, nodeSizes, ramSize, present), 'SRAT');
  tables.push(at);
  warnings.push(internalError(FREE_WARNING), internalError(FREE_WARNING));
}
