/**
 * Migration of what this project models: the setup phase of the `ram` section
 * (per block: idstr and used_length; never max_length), the ACPI `patched`
 * flag, and fw_cfg's `acpi_mr` subsection with the exact blob sizes. The
 * destination checks what QEMU's ram_load_precopy checks and fails with the
 * lines QEMU prints (QEMU 5.2-8.x wording).
 */
import { FwCfgError } from '../errors.js';
import { LOADER_FILE, RSDP_FILE, TABLES_FILE } from '../loader/constants.js';
import { RamBlockError } from '../memory/ram-block.js';
import { acpiMrRestore } from './machine-type.js';
import type { QemuMachine } from './machine.js';

export const RAM_SAVE_FLAG_MEM_SIZE = 0x04;
export const RAM_SAVE_FLAG_EOS = 0x10;

export interface RamSetupBlock {
  idstr: string;
  usedLength: number;
}

/** The `ram` section's setup phase. */
export interface RamSetup {
  totalBytes: number;
  blocks: RamSetupBlock[];
}

/** fw_cfg/acpi_mr: exact sizes of the three ACPI blobs. */
export interface AcpiMrSizes {
  tableMrSize: number;
  linkerMrSize: number;
  rsdpMrSize: number;
}

export interface MigrationStream {
  ram: RamSetup;
  /** Page contents of the modelled (ROM blob) blocks, up to their used length. */
  pages: Map<string, Uint8Array>;
  /** vmstate `acpi_build`, absent without QEMU-built ACPI. */
  acpiBuildPatched?: number;
  /** Sent only when the machine type restores them and one is not host-page aligned. */
  acpiMr?: AcpiMrSizes;
}

export class MigrationStreamError extends FwCfgError {}

export function saveMigration(m: QemuMachine): MigrationStream {
  const blocks = m.ramList.blocks.map((b) => ({ idstr: b.idstr, usedLength: b.usedLength }));
  const pages = new Map((m.acpi?.roms ?? []).map((r) => [r.block.idstr, r.block.bytes().slice()] as const));
  const stream: MigrationStream = { ram: { totalBytes: blocks.reduce((s, b) => s + b.usedLength, 0), blocks }, pages };
  if (m.acpi !== undefined) {
    stream.acpiBuildPatched = m.acpi.patched;
    const sizes = { tableMrSize: m.fileSize(TABLES_FILE) ?? 0, linkerMrSize: m.fileSize(LOADER_FILE) ?? 0, rsdpMrSize: m.acpi.rsdp ? (m.fileSize(RSDP_FILE) ?? 0) : 0 };
    const aligned = (n: number) => n % m.hostPageSize === 0;
    if (acpiMrRestore(m.type) && !(aligned(sizes.tableMrSize) && aligned(sizes.linkerMrSize) && aligned(sizes.rsdpMrSize))) stream.acpiMr = sizes;
  }
  return stream;
}

function be64(out: number[], v: number): void {
  const hi = Math.floor(v / 2 ** 32);
  const lo = v >>> 0;
  out.push(hi >>> 24, (hi >>> 16) & 0xff, (hi >>> 8) & 0xff, hi & 0xff, lo >>> 24, (lo >>> 16) & 0xff, (lo >>> 8) & 0xff, lo & 0xff);
}

/** The setup-phase bytes as QEMU writes them (no postcopy, no ignore-shared). */
export function encodeRamSetup(setup: RamSetup): Uint8Array {
  const out: number[] = [];
  be64(out, setup.totalBytes + RAM_SAVE_FLAG_MEM_SIZE); // the flag shares the low (sub-page) bits
  for (const b of setup.blocks) {
    const id = Buffer.from(b.idstr, 'latin1');
    if (id.length > 255) throw new MigrationStreamError('IDSTR_LENGTH', `RAM block id ${JSON.stringify(b.idstr)} is longer than 255 bytes`);
    out.push(id.length, ...id);
    be64(out, b.usedLength);
  }
  be64(out, RAM_SAVE_FLAG_EOS);
  return Uint8Array.from(out);
}

export function decodeRamSetup(bytes: Uint8Array): RamSetup {
  let at = 0;
  const need = (n: number, what: string) => {
    if (at + n > bytes.length) throw new MigrationStreamError('STREAM_TRUNCATED', `RAM setup stream ends at byte ${bytes.length} while reading ${what} at byte ${at}`);
  };
  const u64 = (what: string) => {
    need(8, what);
    const dv = new DataView(bytes.buffer, bytes.byteOffset + at, 8);
    at += 8;
    const v = dv.getUint32(0) * 2 ** 32 + dv.getUint32(4);
    if (!Number.isSafeInteger(v)) throw new MigrationStreamError('STREAM_VALUE', `${what} at byte ${at - 8} is not below 2^53`);
    return v;
  };
  const head = u64('the total size');
  if ((head & 0xfff) !== RAM_SAVE_FLAG_MEM_SIZE) throw new MigrationStreamError('STREAM_FLAGS', `first record has flags 0x${(head & 0xfff).toString(16)}, expected MEM_SIZE (0x4)`);
  let total = head - RAM_SAVE_FLAG_MEM_SIZE;
  const blocks: RamSetupBlock[] = [];
  const totalBytes = total;
  while (total > 0) {
    need(1, 'a block id length');
    const len = bytes[at++]!;
    need(len, 'a block id');
    const idstr = Buffer.from(bytes.subarray(at, at + len)).toString('latin1');
    at += len;
    const usedLength = u64(`the length of ${idstr}`);
    if (usedLength > total) throw new MigrationStreamError('STREAM_TOTAL', `block ${idstr} (0x${usedLength.toString(16)}) is larger than what the total leaves (0x${total.toString(16)})`);
    blocks.push({ idstr, usedLength });
    total -= usedLength;
  }
  if (u64('the end-of-section flag') !== RAM_SAVE_FLAG_EOS) throw new MigrationStreamError('STREAM_FLAGS', 'RAM setup does not end with EOS (0x10)');
  if (at !== bytes.length) throw new MigrationStreamError('STREAM_TRAILING', `${bytes.length - at} bytes after the RAM setup`);
  return { totalBytes, blocks };
}

export type LoadResult = { loaded: true } | { loaded: false; lines: string[] };

/**
 * Loads `stream` into a freshly created destination machine, as QEMU's
 * incoming side does: RAM blocks resized to the stream's used lengths (their
 * resize callbacks update fw_cfg), then device state (patched, acpi_mr).
 */
export function loadMigration(dest: QemuMachine, stream: MigrationStream): LoadResult {
  const p = dest.program;
  const fail = (first: string): LoadResult => ({
    loaded: false,
    lines: [`${p}: ${first}`, `${p}: error while loading state for instance 0x0 of device 'ram'`, `${p}: load of migration failed: Invalid argument`],
  });
  for (const rec of stream.ram.blocks) {
    const block = dest.ramList.find(rec.idstr);
    if (block === undefined) return fail(`Unknown ramblock "${rec.idstr}", cannot accept migration`);
    if (rec.usedLength !== block.usedLength) {
      try {
        block.resize(rec.usedLength);
      } catch (err) {
        if (err instanceof RamBlockError) return fail(err.message);
        throw err;
      }
    }
    const page = stream.pages.get(rec.idstr);
    if (page !== undefined) block.bytes().set(page.subarray(0, block.usedLength));
  }
  if (dest.acpi !== undefined && stream.acpiBuildPatched !== undefined) dest.acpi.patched = stream.acpiBuildPatched;
  if (stream.acpiMr !== undefined && dest.acpi !== undefined && acpiMrRestore(dest.type)) {
    // post-load: exact sizes (QEMU uses &error_abort here; sizes within the pages just received always fit)
    dest.acpi.tables.block.resize(stream.acpiMr.tableMrSize);
    dest.acpi.loader.block.resize(stream.acpiMr.linkerMrSize);
    dest.acpi.rsdp?.block.resize(stream.acpiMr.rsdpMrSize);
  }
  return { loaded: true };
}
