/**
 * The parts of EFI_ACPI_TABLE_PROTOCOL (MdeModulePkg AcpiTableDxe) the OVMF
 * loader's tables go through: InstallAcpiTable copies a table into its own
 * pages and keeps the FADT's FACS/DSDT links; the roots (RSDP, RSDT, XSDT)
 * are the protocol's own. It writes guest memory only; what it installed,
 * where its roots are and the memory it took are returned to the caller.
 */
import { checksumByte } from '../acpi/checksum.js';
import type { GuestMemory } from '../memory/guest-memory.js';
import { PageAllocator, pagesFor, PAGE } from './page-allocator.js';
import type { OvmfProfile } from './profiles.js';
import type { FirmwareReport } from './report.js';
import { failure, SUCCESS, type Failure, type Success } from './ovmf-status.js';

/** EFI_ACPI_MAX_NUM_TABLES: the entries the protocol's RSDT/XSDT start with, and what they grow by. */
export const ROOT_CAPACITY = 20;

/** A table the protocol installed: its copy. */
export interface InstalledTable {
  signature: string;
  address: number;
  length: number;
}

/** The roots as published: the RSDP an OS is given, and the model's remarks on them. */
export interface Published {
  rsdp: number;
  notes: string[];
}

type Roots = { rsdt10?: number; rsdt?: number; xsdt: number };
type MemoryUse = FirmwareReport['scratch'][number];

/** The tables the protocol keeps one of (a second one is refused) and links itself. */
const SINGLETONS = new Set(['FACP', 'FACS', 'DSDT']);

export class AcpiTableProtocol {
  /** Memory the protocol took for itself, in the order it took it. */
  readonly scratch: MemoryUse[] = [];
  private readonly reclaim: PageAllocator;
  private facs: number | undefined;
  private dsdt: number | undefined;
  private fadt: number | undefined;
  /** Copies of everything but FACS, DSDT and the FADT: the roots' entries after slot 0, in install order. */
  private readonly listed: number[] = [];
  /** OEM ID, OEM table ID and OEM revision of the FADT, copied into the roots at its install and never reset (D3, D4). */
  private oem: Uint8Array | undefined;
  /** Entries the roots hold (slot 0 is the FADT's, 0 while there is none) and have room for. */
  private rootEntries = 1;
  private capacity = ROOT_CAPACITY;
  private grown: Roots | undefined;
  private readonly notes: string[] = [];

  constructor(
    private readonly memory: GuestMemory,
    private readonly profile: OvmfProfile,
    /** EfiACPIMemoryNVS, shared with the loader's blobs: the FACS copy comes from it. */
    private readonly nvs: PageAllocator,
  ) {
    this.reclaim = new PageAllocator(profile.reclaim, profile.generalTop - 0x100000);
    const p = profile;
    for (const at of [p.rsdp10, p.rsdp20]) if (at !== undefined) this.scratch.push({ start: at, end: at + 36, what: 'the protocol RSDP' });
    for (const at of [p.rsdt10, p.rsdt, p.xsdt]) if (at !== undefined) this.scratch.push({ start: at, end: at + 36 + 8 * ROOT_CAPACITY, what: 'the protocol RSDT/XSDT' });
  }

  /**
   * InstallAcpiTable. Returns EFI_SUCCESS with the installed copy, or
   * EFI_ACCESS_DENIED for a second FADT, FACS or DSDT.
   */
  installAcpiTable(address: number, length: number): (Success & { table: InstalledTable }) | Failure<'EFI_ACCESS_DENIED'> {
    const sig = String.fromCharCode(...this.memory.view(address, 4));
    if ((sig === 'FACP' && this.fadt !== undefined) || (sig === 'FACS' && this.facs !== undefined) || (sig === 'DSDT' && this.dsdt !== undefined)) {
      return failure('EFI_ACCESS_DENIED', `InstallAcpiTable(): Access Denied (a second ${sig})`);
    }
    const copy = this.copyTable(sig, this.memory.read(address, length));
    this.track(sig, copy);
    this.linkFadt();
    return { ...SUCCESS, table: { signature: sig, address: copy, length } };
  }

  /**
   * InstallAcpiTable for a table the firmware builds itself (never a FADT,
   * FACS or DSDT): its copy gets the next reclaim pages and the next root entry.
   */
  installOwnTable(bytes: Uint8Array): InstalledTable {
    const sig = String.fromCharCode(...bytes.subarray(0, 4));
    const copy = this.copyTable(sig, bytes);
    this.track(sig, copy);
    return { signature: sig, address: copy, length: bytes.length };
  }

  /** The table's bytes in new pages: the FACS in ACPI NVS below 4 GiB, everything else in ACPI reclaim memory. */
  private copyTable(sig: string, bytes: Uint8Array): number {
    const pages = pagesFor(bytes.length);
    const copy = sig === 'FACS' ? this.nvs.allocate(pages)! : this.reclaim.allocate(pages)!;
    this.scratch.push({ start: copy, end: copy + pages * PAGE, what: `the protocol's ${sig} copy` });
    this.memory.write(copy, bytes);
    return copy;
  }

  /** A root entry for everything but FACS, DSDT and the FADT (whose slot is reserved); full roots grow by 20. */
  private track(sig: string, copy: number): void {
    if (!SINGLETONS.has(sig)) {
      if (this.rootEntries >= this.capacity) this.capacity += ROOT_CAPACITY;
      this.rootEntries++;
      this.listed.push(copy);
    } else if (sig === 'FACS') this.facs = copy;
    else if (sig === 'DSDT') this.dsdt = copy;
    else {
      this.fadt = copy;
      this.oem = this.memory.read(copy + 10, 18);
    }
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

  /**
   * The published roots (D7): ACPI 1.0 RSDP + RSDT with the FADT's slot when exposed; the 2.0 RSDP
   * with RSDT (or 0) and XSDT. Slot 0 belongs to the FADT whatever the install order (AcpiTableDxe
   * reserves it), the other tables follow in install order.
   */
  publish(): Published {
    this.writeRoots([this.fadt ?? 0, ...this.listed]);
    return { rsdp: this.profile.rsdp20, notes: this.notes.splice(0) };
  }

  /** D4: every table uninstalled after a late failure; the RSDPs stay published, roots with one NULL entry. */
  uninstallAll(): Published {
    this.fadt = undefined;
    this.writeRoots([0]);
    return { rsdp: this.profile.rsdp20, notes: this.notes.splice(0) };
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

  /**
   * Where the roots live: the profile's places while they have room for 20
   * entries. Past that the protocol moves them into one new buffer (ACPI 1.0
   * RSDT, 2.0 RSDT and XSDT for `capacity` entries each) and never moves them
   * back, not even when a failure uninstalls every table; the buffer's
   * address comes from the profile where a run observed it.
   */
  private rootPlaces(): Roots {
    const p = this.profile;
    if (this.capacity <= ROOT_CAPACITY) return { ...(p.rsdt10 !== undefined ? { rsdt10: p.rsdt10 } : {}), ...(p.rsdt !== undefined ? { rsdt: p.rsdt } : {}), xsdt: p.xsdt };
    return (this.grown ??= this.growRoots(this.capacity));
  }

  private growRoots(capacity: number): Roots {
    const p = this.profile;
    const size = 3 * 36 + 16 * capacity;
    const observed = p.grownRoots?.[capacity];
    const base = observed ?? this.reclaim.allocate(pagesFor(size))!;
    if (observed === undefined) this.notes.push(`the RSDT/XSDT grown to ${capacity} entries: their address is not modelled for this capacity`);
    this.scratch.push({ start: base, end: base + pagesFor(size) * PAGE, what: 'the reallocated RSDT/XSDT' });
    const rsdt10 = p.rsdt10 !== undefined ? base : undefined;
    const rsdt = p.rsdt !== undefined ? base + 36 + 4 * capacity : undefined;
    return { ...(rsdt10 !== undefined ? { rsdt10 } : {}), ...(rsdt !== undefined ? { rsdt } : {}), xsdt: base + 72 + 8 * capacity };
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
}
