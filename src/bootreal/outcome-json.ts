/**
 * An observation in the corpus's on-disk format (spec-vectors/
 * firmware-conformance/<case>/<firmware>/outcome.json, schema 1), with the
 * files it names: `mem/` (each located copy's final bytes), `os-tables/`
 * (tables an OS finds outside the loader's copies), `rsdp.bin`, the logs.
 */
import { realFirmwareRecord } from './real-firmware.js';
import { createHash } from 'node:crypto';
import { sum8 } from '../acpi/checksum.js';
import type { FoundTable } from '../acpi/walk.js';
import { naturalAlignment } from './blob-copies.js';
import { linesOfInterest } from './firmware-log.js';
import { DEBUG_LOG, MACHINE_ARGS, SERIAL_LOG } from './qemu-args.js';
import { insideCopy, type BlobObservation, type Observation } from './observe.js';

const hx = (n: number | bigint) => '0x' + n.toString(16);
const hex8 = (n: number) => n.toString(16).padStart(8, '0');
const hexBytes = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const text = (b: Uint8Array) => String.fromCharCode(...b);

function le(b: Uint8Array, at: number, size: number): bigint {
  let v = 0n;
  for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[at + i] ?? 0);
  return v;
}

/** `mem/` file name of a copy: ACPI files by their last part (rsdp, tables), others in full. */
export function copyFileName(file: string, base: number): string {
  const short = file.startsWith('etc/acpi/') ? file.slice('etc/acpi/'.length) : file;
  return `mem/${short.replace(/[^A-Za-z0-9._-]/g, '_')}@${hex8(base)}.bin`;
}

export interface OutcomeFiles {
  json: Record<string, unknown>;
  /** Relative path → contents. */
  files: Map<string, Uint8Array | string>;
}

function region(base: number): string {
  return base >= 0xf0000 && base < 0x100000 ? 'FSEG' : 'RAM';
}

function copyCommands(o: Observation, blob: BlobObservation, copy: Uint8Array): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  (o.entries ?? []).forEach((e, entry) => {
    if (e.type === 'addPointer' && e.destFile === blob.file && e.offset + e.size <= blob.data.length && e.size >= 1 && e.size <= 8) {
      const bits = BigInt(8 * e.size);
      const mod = 1n << bits;
      const before = le(blob.data, e.offset, e.size);
      const after = le(copy, e.offset, e.size);
      const delta = (((after - before) % mod) + mod) % mod;
      const pointee = o.blobs.find((b) => b.file === e.srcFile)?.copies[0];
      const base = pointee === undefined ? undefined : BigInt(pointee) % mod;
      const observed = delta === 0n ? 'unchanged' : delta === base ? 'pointee base added' : base !== undefined && delta === (2n * base) % mod ? 'pointee base added twice' : 'changed';
      out.push({ entry, command: 'ADD_POINTER', offset: hx(e.offset), size: e.size, pointee: e.srcFile, before: hx(before), after: hx(after), delta: hx(delta), observed, ...(pointee !== undefined ? { pointee_base: hx(pointee) } : {}) });
    } else if (e.type === 'addChecksum' && e.file === blob.file && e.offset < blob.data.length) {
      const inRange = e.start + e.length <= blob.data.length;
      out.push({
        entry,
        command: 'ADD_CHECKSUM',
        offset: hx(e.offset),
        start: hx(e.start),
        length: hx(e.length),
        byte_before: hexBytes(blob.data.subarray(e.offset, e.offset + 1)),
        byte_after: hexBytes(copy.subarray(e.offset, e.offset + 1)),
        ...(inRange ? { range_sum_after: sum8(copy.subarray(e.start, e.start + e.length)).toString(16).padStart(2, '0') } : {}),
      });
    }
  });
  return out;
}

/** FADT bytes the ACPI table protocol rewrites in its copy (FIRMWARE_CTRL, DSDT, X_FIRMWARE_CTRL, X_DSDT). */
const FADT_LINKS: [number, number][] = [
  [36, 44],
  [132, 148],
];

/**
 * Which script file the table's bytes came from: the copy it lies in, or
 * (for the protocol's copies) the file holding a table of the same signature
 * and length; `identical` compares outside the bytes the script patches and,
 * for a copy, the checksum and the FADT links the protocol rewrites.
 */
function contentFromInput(o: Observation, t: FoundTable, inside: { file: string; offset: number } | undefined): Record<string, unknown> | undefined {
  const table = o.run.ram.memory.view(t.address, t.length);
  /** Offsets where the table differs from the file at `at`, outside the bytes allowed to change. */
  const differing = (b: BlobObservation, at: number, ignore: [number, number][]) => {
    const out: number[] = [];
    for (let i = 0; i < t.length; i++) {
      if (b.mask[at + i] === 1 || ignore.some(([s, e]) => i >= s && i < e)) continue;
      if (table[i] !== b.data[at + i]) out.push(i);
    }
    return out;
  };
  const verdict = (b: BlobObservation, at: number, diff: number[]) => ({
    file: b.file,
    offset: hx(at),
    identical_outside_patched_fields: diff.length === 0,
    ...(diff.length > 0 ? { differing_offsets: diff.slice(0, 16).map((d) => hx(d)) } : {}),
  });
  if (inside !== undefined) {
    const b = o.blobs.find((x) => x.file === inside.file)!;
    if (inside.offset + t.length > b.data.length) return undefined;
    return verdict(b, inside.offset, differing(b, inside.offset, []));
  }
  // the protocol builds its own roots
  if (t.signature === 'RSDT' || t.signature === 'XSDT') return undefined;
  const ignore: [number, number][] = t.signature === 'FACS' ? [] : [[9, 10], ...(t.signature === 'FACP' ? FADT_LINKS : [])];
  // the file's table of this signature and length that the copy equals, else the first one of them
  let first: Record<string, unknown> | undefined;
  for (const b of o.blobs) {
    for (let at = 0; at + t.length <= b.data.length; at++) {
      if (b.data[at] !== table[0] || text(b.data.subarray(at, at + 4)) !== t.signature) continue;
      if (le(b.data, at + 4, 4) !== BigInt(t.length)) continue;
      const diff = differing(b, at, ignore);
      if (diff.length === 0) return verdict(b, at, diff);
      first ??= verdict(b, at, diff);
    }
  }
  return first;
}

function tableJson(o: Observation, t: FoundTable, files: Map<string, Uint8Array | string>): Record<string, unknown> {
  const mem = o.run.ram.memory;
  const header = t.signature !== 'FACS' && t.length >= 36 ? mem.read(t.address, 36) : undefined;
  const inside = insideCopy(o, t.address);
  const json: Record<string, unknown> = {
    signature: t.signature,
    length: t.length,
    ...(header ? { revision: header[8], oem_id: text(header.subarray(10, 16)), oem_table_id: text(header.subarray(16, 24)) } : {}),
    checksum_ok: t.checksumOk,
    referenced_by: t.referencedBy,
    address: hx(t.address),
    inside_loader_allocation: inside ? { file: inside.file, copy_base: hx(inside.base), offset: hx(inside.offset) } : null,
  };
  const from = contentFromInput(o, t, inside);
  if (from !== undefined) json['content_from_input'] = from;
  if (!inside) {
    const path = `os-tables/${t.signature.replace(/[^A-Za-z0-9]/g, '_')}@${hex8(t.address)}.bin`;
    files.set(path, mem.read(t.address, t.length));
    json['path'] = path;
  }
  return json;
}

function rsdpJson(o: Observation): Record<string, unknown> | null {
  const r = o.rsdp;
  if (r === undefined) return null;
  const mem = o.run.ram.memory;
  const inside = insideCopy(o, r.address);
  const entries = (address: number, width: 4 | 8): string[] => {
    try {
      const length = mem.readU32LE(address + 4);
      const count = length >= 36 ? Math.floor((length - 36) / width) : 0;
      return Array.from({ length: Math.min(count, 4096) }, (_, i) => hx(width === 4 ? mem.readU32LE(address + 36 + 4 * i) : mem.readU64LE(address + 36 + 8 * i)));
    } catch {
      return [];
    }
  };
  return {
    address: hx(r.address),
    revision: r.revision,
    oem_id: r.oemId,
    checksum_ok: r.checksumOk,
    rsdt_address: hx(r.rsdtAddress),
    bytes_hex: hexBytes(mem.read(r.address, r.revision >= 2 ? 36 : 20)),
    inside_loader_allocation: inside ? { file: inside.file, copy_base: hx(inside.base), offset: hx(inside.offset) } : null,
    ...(r.revision >= 2 ? { xsdt_address: hx(r.xsdtAddress ?? 0), extended_checksum_ok: r.extendedChecksumOk } : {}),
    rsdt_entries: r.rsdtAddress !== 0 ? entries(r.rsdtAddress, 4) : [],
    ...(r.revision >= 2 && r.xsdtAddress ? { xsdt_entries: entries(r.xsdtAddress, 8) } : {}),
    selected_by: o.rsdpSelectedBy,
  };
}

/** Runs of the same key folded into one row with `repeat` (as the corpus lists selects). */
function foldSelects(o: Observation): Record<string, unknown>[] {
  const rows: { key: string; name: string; repeat?: number }[] = [];
  for (const s of o.run.selects) {
    const key = '0x' + s.key.toString(16).padStart(4, '0');
    const last = rows.at(-1);
    if (last !== undefined && last.key === key) last.repeat = (last.repeat ?? 1) + 1;
    else rows.push({ key, name: s.name });
  }
  return rows;
}

export function writeTarget(o: Observation, name?: string): Observation['writable'][number] | undefined {
  return o.writable.find((w) => w.name === name) ?? o.writable.find((w) => w.preset) ?? o.writable.find((w) => w.name === 'etc/smi/requested-features');
}

function writePointerJson(o: Observation, target: string | undefined): Record<string, unknown> | undefined {
  const w = writeTarget(o, target);
  if (w === undefined) return undefined;
  const before = hexBytes(w.before);
  const after = hexBytes(w.after);
  const zero = w.after.every((b) => b === 0);
  const observed = after === before ? 'unchanged' : zero ? 'reset to 0' : 'written';
  const decoded = [8, 4]
    .filter((n) => n <= w.after.length)
    .flatMap((n) => {
      const value = Number(le(w.after, 0, n));
      const inside = insideCopy(o, value);
      return observed === 'written' && inside ? [{ bytes: `0..${n}`, value: hx(value), file: inside.file, copy_base: hx(inside.base), offset: hx(inside.offset) }] : [];
    });
  return { file: w.name, preset_hex: before, after_hex: after, observed, decoded };
}

function summary(o: Observation, wp: Record<string, unknown> | undefined): string {
  const r = o.run;
  const parts: string[] = [r.completed ? 'completed' : `NOT COMPLETED (marker '${r.marker}' not seen)`, o.loaderSelected ? 'loader read' : 'loader not read'];
  if (realFirmwareRecord(r.firmware).logFile === DEBUG_LOG) parts.push(`warnings: ${o.warnings.length === 0 ? 'none' : o.warnings.map((w) => `${w.function}:${w.line}`).join(', ')}`);
  const short = (f: string) => f.split('/').pop()!;
  if (o.blobs.length > 0) parts.push(`blobs ${o.blobs.map((b) => (b.copies.length === 0 ? `${short(b.file)}: no copy` : b.copies.map((c) => `${short(b.file)}@${hx(c)}`).join(' '))).join(' ')}`);
  if (o.rsdp === undefined) parts.push('no RSDP');
  else {
    const inside = insideCopy(o, o.rsdp.address);
    parts.push(`RSDP ${hx(o.rsdp.address)} ${inside ? `from loader blob ${inside.file}` : `NOT from the loader (oem '${o.rsdp.oemId.trim()}')`}`);
  }
  if (o.walk !== undefined) parts.push(`tables: ${o.walk.tables.map((t) => t.signature).join(',') || 'none'}`);
  if (wp !== undefined) parts.push(`WP ${String(wp['after_hex'])}: ${String(wp['observed'])}`);
  return parts.join('; ');
}

const PAGE = 0x1000;

function freedJson(o: Observation): Record<string, unknown> | undefined {
  if (o.freedPages === undefined) return undefined;
  const near = o.blobs.flatMap((b) =>
    b.copies.map((base) => {
      const from = Math.floor(base / PAGE) * PAGE - 4 * PAGE;
      const to = Math.ceil((base + b.size) / PAGE) * PAGE + 4 * PAGE;
      const pages: string[] = [];
      for (let p = from; p < to; p += PAGE) if (o.freedPages!.has(p)) pages.push(hx(p));
      return { near: b.file, base: hx(base), all_0xAF_pages: pages };
    }),
  );
  return {
    note: "pages entirely filled with 0xAF (the DXE core's fill for freed memory) within 4 pages of each located blob",
    total_all_0xAF_pages_in_ram: o.freedPages.size,
    near_blobs: near,
  };
}

export interface OutcomeOptions {
  caseId?: string;
  /** The writable file the script's WRITE_POINTERs aim at (default: the preset one, else etc/smi/requested-features). */
  writePointerTarget?: string;
}

export function outcomeFiles(o: Observation, options: OutcomeOptions = {}): OutcomeFiles {
  const r = o.run;
  const files = new Map<string, Uint8Array | string>();
  const mem = r.ram.memory;
  const allocations: Record<string, unknown> = {};
  for (const b of o.blobs) {
    const copies = b.copies.map((base) => {
      const copy = mem.read(base, b.size);
      const path = copyFileName(b.file, base);
      files.set(path, copy);
      const changes: { offset: string; before: string; after: string }[] = [];
      for (let i = 0; i < b.size; i++) if (copy[i] !== b.data[i]) changes.push({ offset: hx(i), before: hexBytes(b.data.subarray(i, i + 1)), after: hexBytes(copy.subarray(i, i + 1)) });
      return { base: hx(base), end: hx(base + b.size), length: b.size, region: region(base), natural_alignment: naturalAlignment(base), path, sha256: sha256(copy), changed_bytes: changes.length, changes, commands: copyCommands(o, b, copy) };
    });
    const lookalikes = b.lookalikes.map((base) => {
      const path = copyFileName(b.file, base);
      files.set(path, mem.read(base, b.size));
      return { base: hx(base), path, why: 'address of a table/RSDP the OS finds (the ACPI table protocol installed it); matches the blob outside loader-patched bytes' };
    });
    allocations[b.file] = { in_fw_cfg: b.inFwCfg, size: b.size, copies, ...(lookalikes.length > 0 ? { lookalikes } : {}), ...(b.inFwCfg && !b.locatable && b.size > 0 ? { not_locatable: 'the file is too uniform to tell its copies from other memory' } : {}) };
  }
  const tables = (o.walk?.tables ?? []).map((t) => tableJson(o, t, files));
  const rsdp = rsdpJson(o);
  if (o.rsdp !== undefined && insideCopy(o, o.rsdp.address) === undefined) files.set('rsdp.bin', mem.read(o.rsdp.address, o.rsdp.revision >= 2 ? 36 : 20));
  const wp = writePointerJson(o, options.writePointerTarget);
  const target = writeTarget(o, options.writePointerTarget);
  const preset = target !== undefined ? r.presets.find((p) => p.name === target.name) : undefined;
  const optWarnings = r.stderr.filter((l) => /externally provided fw_cfg item names should be prefixed with "opt\/"/.test(l));
  const record = realFirmwareRecord(r.firmware);
  const log: Record<string, unknown> =
    record.logFile === DEBUG_LOG
      ? { path: DEBUG_LOG, bytes: Buffer.byteLength(r.debugLog, 'latin1'), warnings: o.warnings, lines_of_interest: linesOfInterest(r.debugLog) }
      : {
          path: SERIAL_LOG,
          debugcon_bytes: Buffer.byteLength(r.debugLog, 'latin1'),
          ...(record.serialNote !== undefined ? { note: record.serialNote } : {}),
          ...(o.warnings.length > 0 ? { warnings: o.warnings } : {}),
          serial_first_lines: r.serialLog.split('\n').map((l) => l.replace(/\r$/, '')).filter((l) => l.trim() !== '').slice(0, 6),
        };
  files.set(record.logFile, record.logFile === DEBUG_LOG ? r.debugLog : r.serialLog);

  const json: Record<string, unknown> = {
    schema: 1,
    ...(options.caseId !== undefined ? { case: options.caseId } : {}),
    firmware: r.firmware,
    recorded_by: 'fwcfg boot-real (this project)',
    environment: { qemu: r.qemuVersion, packages: r.packages, machine: MACHINE_ARGS.join(' '), accelerator: 'tcg, -cpu max' },
    firmware_image: r.image.description,
    argv: r.argv,
    run: { completed: r.completed, marker: r.marker, seconds_to_marker: r.secondsToMarker, qmp_events: r.qmpEvents },
    fw_cfg: {
      directory: r.directory.map((d) => ({ name: d.name, size: d.size, select: d.select })),
      ...(preset !== undefined ? { preset: { dma_control_after_preset: hx(preset.control), readback_hex: hexBytes(preset.bytes) } } : {}),
      readback: Object.fromEntries([...r.readback].map(([name, bytes]) => [name, { select: '0x' + (r.directory.find((d) => d.name === name)?.select ?? 0).toString(16).padStart(4, '0'), size: bytes.length, bytes_hex: hexBytes(bytes) }])),
      selects: foldSelects(o),
      loader_selected: o.loaderSelected,
    },
    log,
    allocations,
    ...(record.rsdpSource === 'fseg-scan'
      ? { rsdp_candidates_fseg: o.rsdpCandidates.map(hx) }
      : { rsdp_candidates_all_ram: o.rsdpCandidates.map(hx), efi_configuration_table_acpi: o.efiAcpi.map((e) => ({ config_table_entry: hx(e.entry), guid: e.guid, rsdp: hx(e.rsdp) })) }),
    rsdp,
    tables,
    ...(o.freedPages !== undefined ? { freed_page_fill: freedJson(o) } : {}),
    ...(wp !== undefined ? { write_pointer: wp } : {}),
    stopped_after_s: Math.round(r.stoppedAfterS * 10) / 10,
    qemu_stderr: r.stderr.filter((l) => !optWarnings.includes(l)),
    qemu_stderr_opt_prefix_warnings: optWarnings.length,
    summary: summary(o, wp),
  };
  return { json, files };
}

