/**
 * What a picture of one boot needs, read out of the simulated VM before its
 * guest memory goes back to the pool: each allocated blob's final bytes, the
 * value every ADD_POINTER the firmware ran left in its field (so a link can
 * be drawn from the field to where it points), the bytes of the tables the
 * OS reaches, and the loader and tables as QEMU served them when the
 * firmware read them. Nothing is worked out again here: the firmware's
 * report says what ran and where, guest memory says what it left.
 */
import { readRsdp } from '../acpi/walk.js';
import type { AllocationReport } from '../firmware/report.js';
import { decodeLoader } from '../loader/codec.js';
import { ENTRY_SIZE, LOADER_FILE, RSDP_FILE, TABLES_FILE } from '../loader/constants.js';
import type { AddPointer, LoaderEntry } from '../loader/entry.js';
import { GuestMemoryError, type GuestMemory } from '../memory/guest-memory.js';
import type { FirmwareSpec } from '../simulate/boot.js';
import type { BootRecord, Lifecycle } from '../simulate/lifecycle.js';

export interface AllocationPicture extends AllocationReport {
  /** The blob's bytes in guest memory after the boot (null: not mapped in the model). */
  bytes: Uint8Array | null;
}

export interface PointerLink {
  entry: number;
  destFile: string;
  srcFile: string;
  /** Guest address of the patched field. */
  field: number;
  size: number;
  /** What the field holds after the boot (null: unreadable, wider than 2^53, or gone). */
  target: number | null;
  /** The firmware freed the blob holding the field after its run: the value it wrote is gone with it. */
  gone: boolean;
}

/** A table the OS reaches, with its bytes in guest memory. */
export interface OsTable {
  signature: string;
  address: number;
  bytes: Uint8Array | null;
}

export interface BootPicture {
  firmware: FirmwareSpec;
  record: BootRecord;
  allocations: AllocationPicture[];
  pointers: PointerLink[];
  /** Bytes of the RSDP the OS finds (20 for ACPI 1.0, 36 from 2.0; 20 when its bytes are not modelled). */
  rsdpLength: number;
  /** The tables the OS reaches at an address, with their bytes (what boots are compared on besides the blobs). */
  osTables: OsTable[];
  /** etc/table-loader, etc/acpi/tables and etc/acpi/rsdp, whole, as QEMU served them when the firmware read each (null: not read). */
  served: { loader: Uint8Array | null; tables: Uint8Array | null; rsdp: Uint8Array | null };
  /** The loader served this boot, decoded (null: none, or not whole 128-byte entries). */
  entries: LoaderEntry[] | null;
}

/** Longer than any table QEMU builds: a length field past it is garbage, not worth copying. */
const MAX_TABLE = 0x100000;

function readBytes(memory: GuestMemory | undefined, base: number, length: number): Uint8Array | null {
  if (memory === undefined) return null;
  try {
    return memory.read(base, length).slice();
  } catch (err) {
    if (err instanceof GuestMemoryError) return null;
    throw err;
  }
}

/** A little-endian field of 1 to 8 bytes as a number, null past 2^53. */
function fieldValue(bytes: Uint8Array): number | null {
  let v = 0;
  for (let i = bytes.length - 1; i >= 0; i--) v = v * 256 + bytes[i]!;
  return Number.isSafeInteger(v) ? v : null;
}

function pointerLinks(record: BootRecord, entries: LoaderEntry[] | null, memory: GuestMemory | undefined): PointerLink[] {
  const fw = record.firmware;
  if (fw === null || entries === null) return [];
  const links: PointerLink[] = [];
  for (const outcome of fw.entries) {
    const e = entries[outcome.index];
    if (outcome.status !== 'applied' || e?.type !== 'addPointer') continue;
    const p = e as AddPointer;
    const dest = fw.allocations.find((a) => a.file === p.destFile);
    if (dest === undefined) continue;
    const field = dest.base + p.offset;
    const gone = dest.freed === true;
    const bytes = gone ? null : readBytes(memory, field, p.size);
    links.push({ entry: outcome.index, destFile: p.destFile, srcFile: p.srcFile, field, size: p.size, target: bytes === null ? null : fieldValue(bytes), gone });
  }
  return links;
}

export function bootPictures(life: Lifecycle): BootPicture[] {
  return life.report.boots.map((record, i) => {
    const memory = life.memories[i];
    const files = life.served[i] ?? new Map<string, Uint8Array>();
    const loader = files.get(LOADER_FILE) ?? null;
    const entries = loader !== null && loader.length % ENTRY_SIZE === 0 ? decodeLoader(loader) : null;
    const fw = record.firmware;
    const rsdp = fw?.rsdp == null || memory === undefined ? undefined : readRsdp(memory, fw.rsdp.address);
    return {
      firmware: life.report.firmware,
      record,
      allocations: (fw?.allocations ?? []).map((a) => ({ ...a, bytes: readBytes(memory, a.base, a.length) })),
      pointers: pointerLinks(record, entries, memory),
      osTables: (fw?.tables ?? []).flatMap((t) => (t.address === null || t.length === null ? [] : [{ signature: t.signature, address: t.address, bytes: t.length > MAX_TABLE ? null : readBytes(memory, t.address, t.length) }])),
      // a 2.0 RSDP says its own length (36); garbage there must not stretch the picture
      rsdpLength: rsdp === undefined ? 20 : Math.min(Math.max(rsdp.length, 20), 36),
      served: { loader, tables: files.get(TABLES_FILE) ?? null, rsdp: files.get(RSDP_FILE) ?? null },
      entries,
    };
  });
}
