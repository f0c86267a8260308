/**
 * The ACPI walk an OS does: from an RSDP through the RSDT (and XSDT) to every
 * table, and from the FADT to the FACS and DSDT. Everything is read through
 * GuestMemory's checked surface; a pointer to nowhere is recorded as a
 * problem, never thrown.
 */
import type { ReadonlyBytes } from '../bytes.js';
import { GuestMemoryError, type GuestMemory } from '../memory/guest-memory.js';
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

/** The 4-character signature at `address` (read as one little-endian word: no view, no spread). */
function signatureAt(mem: GuestMemory, address: number): string {
  const w = mem.readU32LE(address);
  return String.fromCharCode(w & 0xff, (w >>> 8) & 0xff, (w >>> 16) & 0xff, w >>> 24);
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

/** Reads the RSDP at `address`; undefined if the signature is not there. */
export function readRsdp(mem: GuestMemory, address: number): RsdpInfo | undefined {
  try {
    const head = mem.view(address, 20);
    if (!hasRsdpSignature(head, 0)) return undefined;
    const revision = head[15]!;
    const rsdtAddress = mem.readU32LE(address + 16);
    let length = 20;
    let xsdtAddress: number | null = null;
    let extendedChecksumOk: boolean | null = null;
    if (revision >= 2) {
      length = mem.readU32LE(address + 20);
      xsdtAddress = u64At(mem, address + 24, null);
      extendedChecksumOk = length >= 36 && mem.inspect(address, length, sum8) === 0;
    }
    const oemId = String.fromCharCode(head[9]!, head[10]!, head[11]!, head[12]!, head[13]!, head[14]!);
    return { address, revision, oemId, rsdtAddress, xsdtAddress, length, checksumOk: sumShort(head, 0, 20) === 0, extendedChecksumOk };
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
  let zone: ReadonlyBytes | undefined;
  try {
    zone = mem.view(first, end - first);
  } catch (err) {
    if (!(err instanceof FwCfgError)) throw err;
  }
  for (let a = first; a + 20 <= end; a += 16) {
    if (zone !== undefined && (!hasRsdpSignature(zone, a - first) || sumShort(zone, a - first, 20) !== 0)) continue;
    const r = readRsdp(mem, a);
    if (r === undefined || !r.checksumOk) continue;
    if (r.revision > 1 && (r.length > end - a || r.extendedChecksumOk !== true)) continue;
    return r;
  }
  return undefined;
}

/** "RSDT[3]", "XSDT[0]", ...: made once (a number-to-string conversion per entry per walk is not free). */
const entryRefs: Record<'RSDT' | 'XSDT', string[]> = { RSDT: [], XSDT: [] };
const entryRef = (kind: 'RSDT' | 'XSDT', i: number): string => (entryRefs[kind][i] ??= `${kind}[${i}]`);

/** A signature as a person reads it: `FACP`, or its bytes in hex when they are not printable (`00 00 00 00`). */
export function signatureText(signature: string): string {
  if (/^[\x20-\x7e]{4}$/.test(signature)) return signature;
  return `signature bytes ${[...signature].map((c) => c.charCodeAt(0).toString(16).padStart(2, '0')).join(' ')}`;
}

export function walkTables(mem: GuestMemory, rsdp: RsdpInfo): AcpiWalk {
  const tables: FoundTable[] = [];
  const byAddress = new Map<number, FoundTable>();
  const problems: string[] = [];
  const visit = (address: number, ref: string, facs = false): FoundTable | undefined => {
    if (address === 0) return undefined;
    const seen = byAddress.get(address);
    if (seen !== undefined) {
      seen.referencedBy.push(ref);
      return seen;
    }
    try {
      const signature = signatureAt(mem, address);
      const length = mem.readU32LE(address + 4);
      if (length < (facs ? 64 : 36)) {
        problems.push(`${ref} -> ${hx(address)}: ${/^[\x20-\x7e]{4}$/.test(signature) ? `${signature} with length ${length}, too short for a table` : `no table there (${signatureText(signature)}, length ${length})`}`);
        return undefined;
      }
      const t: FoundTable = { signature, address, length, checksumOk: facs || mem.inspect(address, length, sum8) === 0, referencedBy: [ref] };
      tables.push(t);
      byAddress.set(address, t);
      return t;
    } catch (err) {
      if (err instanceof GuestMemoryError || err instanceof FwCfgError) {
        problems.push(`${ref} -> ${hx(address)}: ${err.message}`);
        return undefined;
      }
      throw err;
    }
  };
  const fadtLinks = (fadt: FoundTable) => {
    const u32 = (off: number) => (fadt.length >= off + 4 ? mem.readU32LE(fadt.address + off) : 0);
    const u64 = (off: number) => (fadt.length >= off + 8 ? u64Masked(mem, fadt.address + off) : 0);
    visit(u32(36), 'FACP.FIRMWARE_CTRL', true);
    visit(u64(132), 'FACP.X_FIRMWARE_CTRL', true);
    visit(u32(40), 'FACP.DSDT');
    visit(u64(140), 'FACP.X_DSDT');
  };
  const root = (address: number, kind: 'RSDT' | 'XSDT') => {
    const t = visit(address, `RSDP.${kind}`);
    if (t === undefined) return;
    const width = kind === 'RSDT' ? 4 : 8;
    const count = Math.floor((t.length - 36) / width);
    for (let i = 0; i < count; i++) {
      const at = t.address + 36 + i * width;
      const entry = width === 4 ? mem.readU32LE(at) : u64Masked(mem, at);
      const table = visit(entry, entryRef(kind, i));
      if (table?.signature === 'FACP' && table.referencedBy.length === 1) fadtLinks(table);
    }
  };
  root(rsdp.rsdtAddress, 'RSDT');
  if (rsdp.xsdtAddress !== null && rsdp.xsdtAddress !== 0) root(rsdp.xsdtAddress, 'XSDT');
  return { rsdp, tables, problems };
}
