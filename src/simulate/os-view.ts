/**
 * What the OS gets after a firmware boot, in one word and its reasons:
 * QEMU's tables (every table QEMU built this boot is reachable and sound),
 * the firmware's own (SeaBIOS's fallback), broken tables (which, and why), or
 * none. Judged from guest memory by the OS's own walk, against the tables
 * QEMU was serving when the firmware read them.
 */
import { scanTableBlob } from '../acpi/blob-tables.js';
import { readRsdp, signatureText, walkTables } from '../acpi/walk.js';
import type { FirmwareReport } from '../firmware/report.js';
import type { GuestMemory } from '../memory/guest-memory.js';

export type OsTables = 'qemu' | 'firmware' | 'broken' | 'none';

export interface OsView {
  tables: OsTables;
  /** Why they are broken (empty otherwise). */
  reasons: string[];
}

const hx = (n: number) => '0x' + n.toString(16);
const isSignature = (s: string) => /^[A-Z0-9_]{4}$/.test(s);

/** Signatures QEMU put in its tables blob (the roots included), with multiplicity. */
function builtSignatures(tablesBlob: Uint8Array): string[] {
  return scanTableBlob(tablesBlob).map((t) => t.signature);
}

export function osView(report: FirmwareReport | null, memory: GuestMemory | undefined, qemuTables: Uint8Array | undefined): OsView {
  if (report === null || report.rsdp === null) return { tables: 'none', reasons: [] };
  if (report.tables.some((t) => t.source === 'firmware')) return { tables: 'firmware', reasons: [] };
  const reasons: string[] = [];
  const rsdp = memory === undefined ? undefined : readRsdp(memory, report.rsdp.address);
  if (memory !== undefined && rsdp !== undefined) {
    if (!rsdp.checksumOk) reasons.push(`the RSDP at ${hx(rsdp.address)} fails its checksum`);
    const walk = walkTables(memory, rsdp);
    // the roots first: a bad RSDT explains the rest
    for (const t of walk.tables) {
      if (!isSignature(t.signature)) reasons.push(`${t.referencedBy.join(', ')} -> ${hx(t.address)}: not an ACPI table (${signatureText(t.signature)})`);
      else if (!t.checksumOk) reasons.push(`${t.signature} at ${hx(t.address)} (${t.referencedBy.join(', ')}): checksum fails`);
    }
    reasons.push(...walk.problems);
  }
  if (qemuTables !== undefined) {
    const visible = report.tables.map((t) => t.signature);
    for (const sig of new Set(builtSignatures(qemuTables))) {
      const want = builtSignatures(qemuTables).filter((s) => s === sig).length;
      const have = visible.filter((s) => s === sig).length;
      if (have < want) reasons.push(`QEMU built ${want > 1 ? `${want} ${sig} tables` : sig} but the OS reaches ${have === 0 ? 'none' : have}`);
    }
  }
  return { tables: reasons.length === 0 ? 'qemu' : 'broken', reasons };
}
