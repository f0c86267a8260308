/**
 * The bytes that differ between two boots of one firmware: each allocated
 * blob's bytes in guest memory after boot 1 against after boot N, and each
 * table the OS reaches (the k-th table of a signature against the k-th), as
 * ranges (differing bytes less than MERGE_GAP apart are one range), each
 * named by the ACPI table it falls in. A blob the firmware freed after its
 * run holds the firmware's fill, not the file: it is not compared.
 */
import { locateInTables, scanTableBlob } from '../acpi/blob-tables.js';
import type { BootPicture } from './boot-picture.js';

export interface ByteRange {
  offset: number;
  length: number;
  /** `SIG+0xN` where the range starts, when it is inside a table. */
  where: string | undefined;
  before: Uint8Array;
  after: Uint8Array;
}

export interface BytesDiff {
  /** A blob's fw_cfg name, or `SIG` (`SIG #k` for the k-th of several) for a table the OS reaches. */
  name: string;
  kind: 'blob' | 'table';
  /** Its address in each boot, when it moved. */
  moved: { from: number; to: number } | null;
  /** It is in one boot only (or its bytes are not mapped in one). */
  missing: 'before' | 'after' | null;
  /** The firmware freed the blob after one of the runs. */
  freed: boolean;
  differing: number;
  ranges: ByteRange[];
}

const MERGE_GAP = 8;

function ranges(a: Uint8Array, b: Uint8Array): ByteRange[] {
  const spans = scanTableBlob(a);
  const out: ByteRange[] = [];
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n) {
    if (a[i] === b[i]) {
      i++;
      continue;
    }
    const start = i;
    let end = i + 1;
    // extend while differences keep coming within the gap
    for (;;) {
      let next = -1;
      for (let j = end; j < n && j < end + MERGE_GAP; j++) if (a[j] !== b[j]) next = j;
      if (next < 0) break;
      end = next + 1;
    }
    out.push({ offset: start, length: end - start, where: locateInTables(spans, start), before: a.slice(start, end), after: b.slice(start, end) });
    i = end;
  }
  if (a.length !== b.length) out.push({ offset: n, length: Math.abs(a.length - b.length), where: undefined, before: a.slice(n), after: b.slice(n) });
  return out;
}

interface Placed {
  address: number;
  bytes: Uint8Array | null;
  freed: boolean;
}

function compare(name: string, kind: BytesDiff['kind'], a: Placed | undefined, b: Placed | undefined): BytesDiff | undefined {
  const base = { name, kind, moved: a !== undefined && b !== undefined && a.address !== b.address ? { from: a.address, to: b.address } : null };
  if (a?.bytes == null || b?.bytes == null) {
    return a?.bytes == null && b?.bytes == null ? undefined : { ...base, missing: a?.bytes == null ? 'before' : 'after', freed: false, differing: 0, ranges: [] };
  }
  if (a.freed || b.freed) return { ...base, missing: null, freed: true, differing: 0, ranges: [] };
  let differing = Math.abs(a.bytes.length - b.bytes.length);
  for (let i = 0; i < Math.min(a.bytes.length, b.bytes.length); i++) if (a.bytes[i] !== b.bytes[i]) differing++;
  return differing > 0 || base.moved !== null ? { ...base, missing: null, freed: false, differing, ranges: ranges(a.bytes, b.bytes) } : undefined;
}

/** The OS's tables keyed `SIG` (or `SIG #k` from the second of a signature on). */
function keyedTables(p: BootPicture): Map<string, Placed> {
  const seen = new Map<string, number>();
  const out = new Map<string, Placed>();
  for (const t of p.osTables) {
    const k = (seen.get(t.signature) ?? 0) + 1;
    seen.set(t.signature, k);
    out.set(k === 1 ? t.signature : `${t.signature} #${k}`, { address: t.address, bytes: t.bytes, freed: false });
  }
  return out;
}

export function diffBoots(first: BootPicture, later: BootPicture): BytesDiff[] {
  const out: BytesDiff[] = [];
  const blob = (p: BootPicture, file: string): Placed | undefined => {
    const a = p.allocations.find((x) => x.file === file);
    return a === undefined ? undefined : { address: a.base, bytes: a.bytes, freed: a.freed === true };
  };
  for (const file of new Set([...first.allocations, ...later.allocations].map((a) => a.file))) {
    const d = compare(file, 'blob', blob(first, file), blob(later, file));
    if (d !== undefined) out.push(d);
  }
  const [a, b] = [keyedTables(first), keyedTables(later)];
  for (const key of new Set([...a.keys(), ...b.keys()])) {
    const d = compare(key, 'table', a.get(key), b.get(key));
    if (d !== undefined) out.push(d);
  }
  return out;
}
