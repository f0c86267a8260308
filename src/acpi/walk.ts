/**
 * The ACPI walk an OS does: from an RSDP through the RSDT (and XSDT) to every
 * table, and from the FADT to the FACS and DSDT. Everything is read through
 * GuestMemory's checked surface; a pointer to nowhere is recorded as a
 * problem, never thrown.
 */
import { interned, type ReadonlyBytes } from '../bytes.js';
import { GuestMemoryError, type GuestMemory } from '../memory/guest-memory.js';
import type { RegionOffset } from '../memory/address.js';
import { FwCfgError } from '../errors.js';
import { sum8 } from './checksum.js';

export interface RsdpInfo {
  address: number;
  revision: number;
  oemId: string;
  rsdtAddress: number;
  xsdtAddress: number | null;
  length: number;
  checksumOk: boolean;
  extendedChecksumOk: boolean | null;
}

export interface FoundTable {
  signature: string;
  address: number;
  length: number;
  /** FACS has no checksum: always true. */
  checksumOk: boolean;
  referencedBy: string[];
}

export interface AcpiWalk {
  rsdp: RsdpInfo;
  tables: FoundTable[];
  problems: string[];
}

// Signatures as strings, one per distinct word: a walk meets the same dozen every boot.
// A slot is only returned for its own word, so a stale slot costs a miss, never a wrong name.
const SIGNATURE_SLOTS = 64;
const signatureWords = new Int32Array(SIGNATURE_SLOTS);
const signatureStrings: string[] = new Array<string>(SIGNATURE_SLOTS).fill('\0\0\0\0');

/** The 4-character signature at `address` (read as one little-endian word: no view, no spread). */
function signatureAt(mem: GuestMemory, address: number): string {
  const w = mem.readU32LE(address) | 0;
  const slot = Math.imul(w, 0x9e3779b1) >>> 26;
  return signatureWords[slot] === w ? signatureStrings[slot]! : newSignature(w, slot);
}

/** signatureAt's miss (out of line: the walk inlines signatureAt, and V8 counts a rare branch's bytecode too). */
function newSignature(w: number, slot: number): string {
  // interned: the walk's `signature === 'FACP'` is then a pointer test
  const s = interned(String.fromCharCode(w & 0xff, (w >>> 8) & 0xff, (w >>> 16) & 0xff, w >>> 24));
  signatureWords[slot] = w;
  signatureStrings[slot] = s;
  return s;
}
/**
 * A 64-bit address field as a number when it is below 2^53 (two 32-bit
 * reads: no BigInt on the walk), else `tooBig`.
 */
function u64At<T>(mem: GuestMemory, address: number, tooBig: T): number | T {
  const lo = mem.readU32LE(address);
  const hi = mem.readU32LE(address + 4);
  return hi > 0x1fffff ? tooBig : hi * 0x100000000 + lo;
}
/** A 64-bit address field taken modulo 2^53, as the walk reads table pointers. */
function u64Masked(mem: GuestMemory, address: number): number {
  const lo = mem.readU32LE(address);
  return (mem.readU32LE(address + 4) & 0x1fffff) * 0x100000000 + lo;
}
const hx = (n: number) => '0x' + n.toString(16);

/** The byte sum of a short range (a plain loop: cheaper than the wasm kernel's call below a few dozen bytes). */
function sumShort(b: ReadonlyBytes, from: number, length: number): number {
  let s = 0;
  for (let i = from; i < from + length; i++) s += b[i]!;
  return s & 0xff;
}

/** The RSDP's first 20 bytes (ACPI 1.0's whole RSDP) at `at` of `b`, read in place; undefined without the signature. */
function rsdpHead(b: ReadonlyBytes, at: RegionOffset, _length: number, address: number): RsdpInfo | undefined {
  if (!hasRsdpSignature(b, at)) return undefined;
  return {
    address,
    revision: b[at + 15]!,
    oemId: String.fromCharCode(b[at + 9]!, b[at + 10]!, b[at + 11]!, b[at + 12]!, b[at + 13]!, b[at + 14]!),
    rsdtAddress: (b[at + 16]! | (b[at + 17]! << 8) | (b[at + 18]! << 16) | (b[at + 19]! << 24)) >>> 0,
    xsdtAddress: null,
    length: 20,
    checksumOk: sumShort(b, at, 20) === 0,
    extendedChecksumOk: null,
  };
}

/** Reads the RSDP at `address`; undefined if the signature is not there. */
export function readRsdp(mem: GuestMemory, address: number): RsdpInfo | undefined {
  try {
    const r = mem.inspect(address, 20, rsdpHead, address);
    if (r !== undefined && r.revision >= 2) {
      r.length = mem.readU32LE(address + 20);
      r.xsdtAddress = u64At(mem, address + 24, null);
      r.extendedChecksumOk = r.length >= 36 && mem.inspect(address, r.length, sum8) === 0;
    }
    return r;
  } catch (err) {
    if (err instanceof FwCfgError) return undefined;
    throw err;
  }
}

const RSDP_SIGNATURE = Uint8Array.from('RSD PTR ', (c) => c.charCodeAt(0));

/** True when the 8 bytes at `at` of `b` are "RSD PTR ". */
function hasRsdpSignature(b: ReadonlyBytes, at: number): boolean {
  if (b[at] !== 0x52) return false; // 'R': most places fail here
  for (let i = 1; i < 8; i++) if (b[at + i] !== RSDP_SIGNATURE[i]) return false;
  return true;
}

/** SeaBIOS's find_acpi_rsdp: the lowest 16-byte-aligned valid RSDP in [start, end). */
export function scanForRsdp(mem: GuestMemory, start: number, end: number): RsdpInfo | undefined {
  const first = Math.ceil(start / 16) * 16;
  const length = end - first;
  let at: number;
  try {
    // the zone in one region: its bytes looked at in place for a slot worth reading as an RSDP
    at = mem.inspect(first, length, nextRsdpSlot, 0);
  } catch (err) {
    if (!(err instanceof FwCfgError)) throw err;
    // not in one region: slot by slot, each read checked on its own
    for (let a = first; a + 20 <= end; a += 16) {
      const r = validRsdp(mem, a, end);
      if (r !== undefined) return r;
    }
    return undefined;
  }
  while (at >= 0) {
    const r = validRsdp(mem, first + at, end);
    if (r !== undefined) return r;
    at = mem.inspect(first, length, nextRsdpSlot, at + 16);
  }
  return undefined;
}

/**
 * Where, from slot offset `from` on, the zone [at, at+length) of `b` next has
 * a 16-byte slot starting "RSD PTR " whose 20 bytes sum to zero (-1: none):
 * 'R' first, where most slots fail.
 */
function nextRsdpSlot(b: ReadonlyBytes, at: RegionOffset, length: number, from: number): number {
  for (let slot = at + from, last = at + length - 20; slot <= last; slot += 16) {
    if (b[slot] === 0x52 && hasRsdpSignature(b, slot) && sumShort(b, slot, 20) === 0) return slot - at;
  }
  return -1;
}

/** The RSDP at `a` if find_acpi_rsdp takes it: its checksums hold and an ACPI 2.0 one fits below `end`. */
function validRsdp(mem: GuestMemory, a: number, end: number): RsdpInfo | undefined {
  const r = readRsdp(mem, a);
  if (r === undefined || !r.checksumOk) return undefined;
  if (r.revision > 1 && (r.length > end - a || r.extendedChecksumOk !== true)) return undefined;
  return r;
}

/** "RSDT[3]", "XSDT[0]", ...: made once per root and index (a number-to-string conversion per entry per walk is not free). */
const rsdtRefs: string[] = [];
const xsdtRefs: string[] = [];

/** A signature as a person reads it: `FACP`, or its bytes in hex when they are not printable (`00 00 00 00`). */
export function signatureText(signature: string): string {
  if (/^[\x20-\x7e]{4}$/.test(signature)) return signature;
  return `signature bytes ${[...signature].map((c) => c.charCodeAt(0).toString(16).padStart(2, '0')).join(' ')}`;
}

/** Below this many tables the walk finds a table by address with a scan: cheaper than a map. */
const SCAN_LIMIT = 16;

/**
 * Ranges a caller knows to sum to zero as the walk finds them (true only for
 * bytes no write can have changed since the caller saw the sum: a loader's
 * checksum under GuestMemory.mark). The walk does not sum those again.
 */
export interface KnownSums {
  sumsToZero(address: number, length: number): boolean;
}

/** No range known: the walk sums every table it finds. */
export const nothingKnown: KnownSums = { sumsToZero: () => false };

/** What the walk needs back of a table it found. */
export interface WalkedTable {
  readonly signature: string;
  readonly address: number;
  readonly length: number;
}

/**
 * Makes the record a walk keeps of a table, in the caller's shape: a firmware
 * report's rows come out of the walk as they are (one object per table, not a
 * FoundTable and then a copy of it).
 */
export type TableMaker<T extends WalkedTable> = (signature: string, address: number, length: number, checksumOk: boolean) => T;

/** One walk's state: the tables found in order, what went wrong, and a way to find a table by address. */
class Walk<T extends WalkedTable> {
  readonly mem: GuestMemory;
  readonly known: KnownSums;
  readonly make: TableMaker<T>;
  readonly tables: T[] = [];
  /** tables[i].address, as plain numbers side by side: what seen() scans (no load through each table). */
  readonly addresses: number[] = [];
  readonly problems: string[] = [];
  /** Every reference in walk order, as the referred table's index and the referrer's name; undefined when not wanted. */
  readonly refTables: number[] | undefined;
  readonly refNames: string[] | undefined;
  /** Whether the last visit() found its table for the first time. */
  fresh = false;
  /** Every table's index by address, once there are more than SCAN_LIMIT. */
  byAddress: Map<number, number> | undefined;

  constructor(mem: GuestMemory, known: KnownSums, make: TableMaker<T>, references: boolean) {
    this.mem = mem;
    this.known = known;
    this.make = make;
    this.refTables = references ? [] : undefined;
    this.refNames = references ? [] : undefined;
  }

  /** The index of the table at `address` found before, or -1. */
  seen(address: number): number {
    if (this.byAddress === undefined) {
      const addresses = this.addresses;
      if (addresses.length <= SCAN_LIMIT) {
        for (let i = 0; i < addresses.length; i++) if (addresses[i] === address) return i;
        return -1;
      }
      this.byAddress = new Map(addresses.map((a, i) => [a, i]));
    }
    return this.byAddress.get(address) ?? -1;
  }

  visit(address: number, ref: string, facs: boolean): T | undefined {
    this.fresh = false;
    if (address === 0) return undefined;
    const before = this.seen(address);
    if (before >= 0) {
      this.refer(before, ref);
      return this.tables[before];
    }
    try {
      return this.found(address, ref, facs);
    } catch (err) {
      return this.unreadable(address, ref, err);
    }
  }

  /** A table not seen before at `address`: read, checked and kept, or a problem when too short to be one. */
  found(address: number, ref: string, facs: boolean): T | undefined {
    const mem = this.mem;
    const signature = signatureAt(mem, address);
    const length = mem.readU32LE(address + 4);
    if (length < (facs ? 64 : 36)) return this.tooShort(address, ref, signature, length);
    const checksumOk = facs || this.known.sumsToZero(address, length) || mem.inspect(address, length, sum8) === 0;
    const t = this.make(signature, address, length, checksumOk);
    const index = this.tables.length;
    this.tables.push(t);
    this.addresses.push(address);
    this.byAddress?.set(address, index);
    this.refer(index, ref);
    this.fresh = true;
    return t;
  }

  tooShort(address: number, ref: string, signature: string, length: number): undefined {
    this.problems.push(`${ref} -> ${hx(address)}: ${/^[\x20-\x7e]{4}$/.test(signature) ? `${signature} with length ${length}, too short for a table` : `no table there (${signatureText(signature)}, length ${length})`}`);
    return undefined;
  }

  /** A pointer to memory that cannot be read is the walk's problem, not an error. */
  unreadable(address: number, ref: string, err: unknown): undefined {
    if (!(err instanceof GuestMemoryError || err instanceof FwCfgError)) throw err;
    this.problems.push(`${ref} -> ${hx(address)}: ${err.message}`);
    return undefined;
  }

  refer(index: number, ref: string): void {
    if (this.refTables === undefined) return;
    this.refTables.push(index);
    this.refNames!.push(ref);
  }

  /** The FADT's FACS and DSDT, 32- and 64-bit fields each, where its length has them. */
  fadtLinks(fadt: T): void {
    const mem = this.mem;
    const { address, length } = fadt;
    this.visit(length >= 40 ? mem.readU32LE(address + 36) : 0, 'FACP.FIRMWARE_CTRL', true);
    this.visit(length >= 140 ? u64Masked(mem, address + 132) : 0, 'FACP.X_FIRMWARE_CTRL', true);
    this.visit(length >= 44 ? mem.readU32LE(address + 40) : 0, 'FACP.DSDT', false);
    this.visit(length >= 148 ? u64Masked(mem, address + 140) : 0, 'FACP.X_DSDT', false);
  }

  root(address: number, kind: 'RSDT' | 'XSDT'): void {
    const rsdt = kind === 'RSDT';
    const t = this.visit(address, rsdt ? 'RSDP.RSDT' : 'RSDP.XSDT', false);
    if (t === undefined) return;
    const mem = this.mem;
    const width = rsdt ? 4 : 8;
    const refs = rsdt ? rsdtRefs : xsdtRefs;
    const count = Math.floor((t.length - 36) / width);
    for (let i = 0; i < count; i++) {
      const at = t.address + 36 + i * width;
      const entry = width === 4 ? mem.readU32LE(at) : u64Masked(mem, at);
      const table = this.visit(entry, (refs[i] ??= `${kind}[${i}]`), false);
      // the FADT's links are followed once, from its first reference
      if (this.fresh && table!.signature === 'FACP') this.fadtLinks(table!);
    }
  }

  /** The RSDT's tables, then the XSDT's. */
  run(rsdp: RsdpInfo): void {
    this.root(rsdp.rsdtAddress, 'RSDT');
    if (rsdp.xsdtAddress !== null && rsdp.xsdtAddress !== 0) this.root(rsdp.xsdtAddress, 'XSDT');
  }
}

const foundTable: TableMaker<FoundTable> = (signature, address, length, checksumOk) => ({ signature, address, length, checksumOk, referencedBy: [] });

export function walkTables(mem: GuestMemory, rsdp: RsdpInfo, known: KnownSums = nothingKnown): AcpiWalk {
  const walk = new Walk(mem, known, foundTable, true);
  walk.run(rsdp);
  const { tables, refTables, refNames } = walk;
  for (let k = 0; k < refTables!.length; k++) tables[refTables![k]!]!.referencedBy.push(refNames![k]!);
  return { rsdp, tables, problems: walk.problems };
}

/**
 * The same walk, each table kept as `make` makes it and no record of who
 * referred to it: for a firmware's report, which lists the tables and not
 * the references (one object per table).
 */
export function walkTableList<T extends WalkedTable>(mem: GuestMemory, rsdp: RsdpInfo, known: KnownSums, make: TableMaker<T>): { tables: T[]; problems: string[] } {
  const walk = new Walk(mem, known, make, false);
  walk.run(rsdp);
  return { tables: walk.tables, problems: walk.problems };
}
