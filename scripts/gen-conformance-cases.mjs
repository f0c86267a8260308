// `node scripts/gen-conformance-cases.mjs [--check] [--list]`: writes the inputs (case.json, loader.bin, blobs) of
// the conformance cases this project added to spec-vectors/firmware-conformance/. The real outcomes are then
// recorded with `node scripts/boot-real-corpus.mjs --record --case ID`. --check regenerates in memory and
// compares with what is on disk (and checks that the standard blobs equal the copied `baseline` case's).
// Self-contained on purpose: it builds every byte itself, so nothing of the emulator shapes the inputs.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync, gunzipSync } from 'node:zlib';

const ROOT = new URL('..', import.meta.url).pathname;
const CORPUS = join(ROOT, 'spec-vectors/firmware-conformance');
const ORIGIN = 'synthetic (scripts/gen-conformance-cases.mjs, this project)';

const RSDP = 'etc/acpi/rsdp';
const TABLES = 'etc/acpi/tables';
const PROBE = 'etc/fwconf/probe';
const SPARE = 'etc/fwconf/spare';
const LOADER = 'etc/table-loader';
const WP_TARGET = 'etc/smi/requested-features';
const PRESET = 'a55aa55aa55aa55a';
const HIGH = 1;
const FSEG = 2;

// ---------------------------------------------------------------- bytes
const ascii = (s) => Uint8Array.from(s, (c) => c.charCodeAt(0));
const hex = (b) => Buffer.from(b).toString('hex');
const sha256 = (b) => createHash('sha256').update(b).digest('hex');
function u32(b, at, v) {
  new DataView(b.buffer, b.byteOffset, b.byteLength).setUint32(at, v >>> 0, true);
}

/** ACPI header: signature, length, revision, checksum 0, OEM FWCONF, the table id, OEM rev 1, creator FWCF rev 1. */
function header(sig, length, revision, tableId) {
  const h = new Uint8Array(36);
  h.set(ascii(sig));
  u32(h, 4, length);
  h[8] = revision;
  h.set(ascii('FWCONF'), 10);
  h.set(ascii(tableId.padEnd(8, ' ')), 16);
  u32(h, 24, 1);
  h.set(ascii('FWCF'), 28);
  u32(h, 32, 1);
  return h;
}

const facs = () => {
  const t = new Uint8Array(64);
  t.set(ascii('FACS'));
  u32(t, 4, 64);
  return t;
};

/** 46 bytes: the header and one AML Name(<name>, DWord <value>). */
function amlTable(sig, tableId, name, value) {
  const t = new Uint8Array(46);
  t.set(header(sig, 46, 1, tableId));
  t.set([0x08, ...ascii(name), 0x0c], 36);
  u32(t, 42, value);
  return t;
}

/** FADT revision 3 (244 bytes) with q35's PM block layout; FACS/DSDT fields hold offsets in the tables blob. */
function fadt(tableId, facsAt, dsdtAt) {
  const t = new Uint8Array(244);
  t.set(header('FACP', 244, 3, tableId));
  u32(t, 36, facsAt);
  u32(t, 40, dsdtAt);
  t[44] = 1; // INT_MODEL
  t[46] = 9; // SCI_INT
  u32(t, 48, 0xb2); // SMI_CMD
  t[52] = 2; // ACPI_ENABLE
  t[53] = 3; // ACPI_DISABLE
  u32(t, 56, 0x600); // PM1a_EVT_BLK
  u32(t, 64, 0x604); // PM1a_CNT_BLK
  u32(t, 76, 0x608); // PM_TMR_BLK
  u32(t, 80, 0x620); // GPE0_BLK
  t.set([4, 2, 0, 4, 0x10], 88); // PM1_EVT_LEN, PM1_CNT_LEN, PM2_CNT_LEN, PM_TMR_LEN, GPE0_BLK_LEN
  t.set([0xff, 0x0f, 0xff, 0x0f], 96); // P_LVL2_LAT, P_LVL3_LAT
  t[108] = 0x32; // CENTURY
  t[109] = 2; // IAPC_BOOT_ARCH
  u32(t, 112, 0x84a5); // flags
  t.set([1, 8, 0, 0], 116); // RESET_REG: I/O, 8 bits
  u32(t, 120, 0xcf9);
  t[128] = 0x0f; // RESET_VALUE
  u32(t, 140, dsdtAt); // X_DSDT (low half)
  const gas = (at, bits, address) => {
    t.set([1, bits, 0, 0], at);
    u32(t, at + 4, address);
  };
  gas(148, 0x20, 0x600); // X_PM1a_EVT_BLK
  gas(172, 0x10, 0x604); // X_PM1a_CNT_BLK
  gas(208, 0x20, 0x608); // X_PM_TMR_BLK
  gas(220, 0x80, 0x620); // X_GPE0_BLK
  return t;
}

const rsdpBlob = (rsdtAt) => {
  const r = new Uint8Array(20);
  r.set(ascii('RSD PTR '));
  r.set(ascii('FWCONF'), 9);
  u32(r, 16, rsdtAt);
  return r;
};

/** The probe: a distinctive header, the case id, 0xEE fill, then case-specific bytes. */
function probe(id, patches = [], size = 304) {
  const p = new Uint8Array(size).fill(0xee);
  p.fill(0, 0, 0x30);
  p.set(ascii('FWCONF-PROBE'));
  p.set(ascii(id.slice(0, 31)), 0x10);
  for (const [at, bytes] of patches) p.set(bytes, at);
  return p;
}

/** A filler blob: `label` at the start, then 0xEE. */
function filler(label, size) {
  const b = new Uint8Array(size).fill(0xee);
  b.fill(0, 0, Math.min(size, 16));
  b.set(ascii(label).subarray(0, Math.min(16, size)));
  return b;
}

// ---------------------------------------------------------------- loader entries (raw, so malformed fields are possible)
function nameField(name) {
  const f = new Uint8Array(56);
  f.set(typeof name === 'string' ? ascii(name) : name);
  return f;
}
function fieldJson(f) {
  const nul = f.indexOf(0);
  const text = String.fromCharCode(...f.subarray(0, nul < 0 ? 56 : nul));
  const json = { text, nul_terminated: nul >= 0 };
  if (nul >= 0 && f.subarray(nul).some((b) => b !== 0)) Object.assign(json, { bytes_after_nul_hex: hex(f.subarray(nul + 1)), byte55: f[55] });
  else if (nul < 0) json.byte55 = f[55];
  return json;
}
const entry = (command) => {
  const e = new Uint8Array(128);
  u32(e, 0, command);
  return e;
};

function allocate(file, align, zone, label) {
  const e = entry(1);
  const f = nameField(file);
  e.set(f, 4);
  u32(e, 60, align);
  e[64] = zone;
  return { bytes: e, json: { command: 1, command_name: 'ALLOCATE', file: fieldJson(f).text, file_field: fieldJson(f), align, zone, label } };
}
function addPointer(dest, src, offset, size, label) {
  const e = entry(2);
  const d = nameField(dest);
  const s = nameField(src);
  e.set(d, 4);
  e.set(s, 60);
  u32(e, 116, offset);
  e[120] = size;
  return { bytes: e, json: { command: 2, command_name: 'ADD_POINTER', dest_file: fieldJson(d).text, dest_field: fieldJson(d), src_file: fieldJson(s).text, src_field: fieldJson(s), offset, size, label } };
}
function addChecksum(file, offset, start, length, label) {
  const e = entry(3);
  const f = nameField(file);
  e.set(f, 4);
  u32(e, 60, offset);
  u32(e, 64, start);
  u32(e, 68, length);
  return { bytes: e, json: { command: 3, command_name: 'ADD_CHECKSUM', file: fieldJson(f).text, file_field: fieldJson(f), offset, start, length, label } };
}
function writePointer(dest, src, dstOffset, srcOffset, size, label) {
  const e = entry(4);
  const d = nameField(dest);
  const s = nameField(src);
  e.set(d, 4);
  e.set(s, 60);
  u32(e, 116, dstOffset);
  u32(e, 120, srcOffset);
  e[124] = size;
  return {
    bytes: e,
    json: { command: 4, command_name: 'WRITE_POINTER', dest_file: fieldJson(d).text, dest_field: fieldJson(d), src_file: fieldJson(s).text, src_field: fieldJson(s), dst_offset: dstOffset, src_offset: srcOffset, size, label },
  };
}
const underTest = (e) => ({ ...e, json: { ...e.json, under_test: true } });

// ---------------------------------------------------------------- the standard payload (equal to the copied `baseline`)
/**
 * FACS@0, DSDT@64, FADT@128, then `ssdts` SSDTs (48-byte pitch) and `extra` tables, then the RSDT
 * listing the FADT, the SSDTs and the extras marked `inRsdt`. 512 bytes when that is enough (as
 * baseline), else exactly what the tables take (as tables-128).
 */
function tablesLayout({ ssdts = 0, extra = [] } = {}) {
  const parts = [
    { sig: 'FACS', at: 0, bytes: facs() },
    { sig: 'DSDT', at: 64, bytes: amlTable('DSDT', 'FWCDSDT', 'FWCF', 0x46574346), checksum: true },
    { sig: 'FACP', at: 128, bytes: fadt('FWCFACP', 0, 64), checksum: true, fadt: true, inRsdt: true },
  ];
  let at = 376;
  for (let i = 0; i < ssdts; i++, at += 48) parts.push({ sig: 'SSDT', name: `SSDT${i}`, at, bytes: amlTable('SSDT', `FWCS${String(i).padStart(4, '0')}`, `S${String(i).padStart(3, '0')}`, i), checksum: true, inRsdt: true });
  for (const x of extra) {
    parts.push({ ...x, at });
    at += Math.ceil(x.bytes.length / 4) * 4;
  }
  const listed = parts.filter((p) => p.inRsdt);
  const rsdtLen = 36 + 4 * (listed.length + (extra.filter((x) => x.absoluteInRsdt !== undefined).length));
  const size = ssdts === 0 && extra.length === 0 ? 512 : at + rsdtLen;
  const blob = new Uint8Array(size);
  for (const p of parts) blob.set(p.bytes, p.at);
  const rsdt = header('RSDT', rsdtLen, 1, 'FWCRSDT');
  blob.set(rsdt, at);
  listed.forEach((p, i) => u32(blob, at + 36 + 4 * i, p.at));
  return { blob, parts, rsdtAt: at, rsdtLen, listed };
}

/** The standard script over a layout: checksums, the FADT's pointers, the RSDT's, the RSDP's, then the WRITE_POINTER. */
function standardEntries(layout, { allocProbe } = {}) {
  const out = [allocate(RSDP, 16, FSEG, 'ALLOCATE rsdp FSEG'), allocate(TABLES, 64, HIGH, 'ALLOCATE tables HIGH'), allocProbe ?? allocate(PROBE, 16, HIGH, 'ALLOCATE probe HIGH')];
  for (const p of layout.parts.filter((x) => x.checksum && !x.fadt && !x.pointerFrom)) out.push(addChecksum(TABLES, p.at + 9, p.at, p.bytes.length, `ADD_CHECKSUM ${p.name ?? p.sig}`));
  for (const p of layout.parts.filter((x) => x.fadt)) {
    const n = p.name ?? 'FADT';
    out.push(addPointer(TABLES, TABLES, p.at + 36, 4, `ADD_POINTER ${n}.FIRMWARE_CTRL`));
    out.push(addPointer(TABLES, TABLES, p.at + 40, 4, `ADD_POINTER ${n}.DSDT`));
    out.push(addPointer(TABLES, TABLES, p.at + 140, 8, `ADD_POINTER ${n}.X_DSDT`));
    out.push(addChecksum(TABLES, p.at + 9, p.at, 244, `ADD_CHECKSUM ${n}`));
  }
  for (const p of layout.parts.filter((x) => x.pointerFrom)) {
    out.push(addPointer(TABLES, TABLES, p.pointerFrom.at, 4, `ADD_POINTER ${p.pointerFrom.label}`));
    out.push(addChecksum(TABLES, p.at + 9, p.at, p.bytes.length, `ADD_CHECKSUM ${p.name ?? p.sig}`));
  }
  layout.listed.forEach((_, i) => out.push(addPointer(TABLES, TABLES, layout.rsdtAt + 36 + 4 * i, 4, `ADD_POINTER RSDT[${i}]`)));
  out.push(addChecksum(TABLES, layout.rsdtAt + 9, layout.rsdtAt, layout.rsdtLen, 'ADD_CHECKSUM RSDT'));
  out.push(addPointer(RSDP, TABLES, 16, 4, 'ADD_POINTER RSDP.RsdtAddress'));
  out.push(addChecksum(RSDP, 8, 0, 20, 'ADD_CHECKSUM RSDP'));
  out.push(writePointer(WP_TARGET, PROBE, 0, 0, 8, `WRITE_POINTER ${WP_TARGET}[0..8) = &probe`));
  return out;
}

const S3_NOTE = "q35 exposes etc/system-states with S3 enabled, so OVMF's S3 paths are active (QemuFwCfgS3Enabled() is true).";

/** A case on the standard payload: `edit(entries)` changes or extends the 13 standard entries. */
function standardCase(def, { probePatches = [], edit = (e) => e, extraFiles = [], layout = tablesLayout(), allocProbe, withLoader = true } = {}) {
  const entries = edit(standardEntries(layout, { allocProbe }));
  const files = [
    { name: RSDP, path: 'rsdp.bin', data: rsdpBlob(layout.rsdtAt) },
    { name: TABLES, path: 'tables.bin', data: layout.blob },
    { name: PROBE, path: 'etc_fwconf_probe.bin', data: probe(def.id, probePatches) },
    ...extraFiles,
  ];
  if (withLoader) files.push({ name: LOADER, path: 'loader.bin', data: Buffer.concat(entries.map((e) => e.bytes)) });
  const tables = Object.fromEntries(['FACS', 'DSDT', 'FACP'].map((s) => [s, layout.parts.find((p) => p.sig === s).at]));
  return {
    ...def,
    files,
    entries: withLoader ? entries : [],
    layout: { tables: { ...tables, SSDT: layout.parts.filter((p) => p.sig === 'SSDT').map((p) => p.at), ...Object.fromEntries(layout.parts.filter((p) => p.extraName).map((p) => [p.extraName, p.at])), RSDT: layout.rsdtAt, RSDT_LEN: layout.rsdtLen } },
  };
}

const le32 = (v) => {
  const b = new Uint8Array(4);
  u32(b, 0, v);
  return b;
};
const spare = () => ({ name: SPARE, path: 'etc_fwconf_spare.bin', data: filler('FWCONF-SPARE', 64) });
const append = (...more) => (e) => [...e, ...more.map(underTest)];

// ---------------------------------------------------------------- the cases
const CASES = [
  standardCase(
    {
      id: 'pointer-size-1',
      title: 'ADD_POINTER of size 1 (stored 0x10) whose relocated value does not fit',
      probes: 'A 1-byte pointer field: SeaBIOS adds the base and keeps the low byte, OVMF refuses a value that does not fit.',
      rows: [18, 21],
      predicts: { seabios: 'truncated to the low byte (0x10 + base mod 256), no warning', ovmf: 'relocated pointer value unrepresentable: whole loader aborted, WRITE_POINTER undone' },
    },
    { probePatches: [[0x40, [0x10]]], edit: append(addPointer(PROBE, PROBE, 0x40, 1, 'ADD_POINTER probe[0x40] size 1 -> probe')) },
  ),
  standardCase(
    {
      id: 'pointer-size-3',
      title: 'ADD_POINTER of size 3',
      probes: 'A pointer size outside {1, 2, 4, 8}.',
      rows: [18],
      predicts: { seabios: 'internal error (add_pointer), nothing written, the rest applied', ovmf: 'invalid pointer location or size: aborted and rolled back' },
    },
    { probePatches: [[0x40, [0x10, 0, 0]]], edit: append(addPointer(PROBE, PROBE, 0x40, 3, 'ADD_POINTER probe[0x40] size 3 -> probe')) },
  ),
  standardCase(
    {
      id: 'pointer-offset-past-end',
      title: 'ADD_POINTER whose 4-byte field [0x12e, 0x132) runs past the 304-byte probe',
      probes: 'The pointer-field bounds check.',
      rows: [19],
      predicts: { seabios: 'internal error (add_pointer), nothing written', ovmf: 'invalid pointer location or size: aborted and rolled back' },
    },
    { edit: append(addPointer(PROBE, PROBE, 0x12e, 4, 'ADD_POINTER probe[0x12e] size 4 (past the end)')) },
  ),
  standardCase(
    {
      id: 'pointer-unallocated-source',
      title: 'ADD_POINTER whose pointee etc/fwconf/spare is in fw_cfg but never ALLOCATEd',
      probes: 'A pointee file that exists but is not a blob.',
      rows: [23],
      predicts: { seabios: 'internal error (add_pointer), continue', ovmf: 'invalid blob reference: aborted and rolled back' },
    },
    { probePatches: [[0x40, le32(0x10)]], extraFiles: [spare()], edit: append(addPointer(PROBE, SPARE, 0x40, 4, 'ADD_POINTER probe[0x40] -> spare (not allocated)')) },
  ),
  standardCase(
    {
      id: 'pointer-value-past-pointee',
      title: 'ADD_POINTER whose stored value (0x1000) is far beyond the 304-byte pointee',
      probes: 'A relative value larger than the pointee (spec §7.3, the "larger than" half).',
      rows: [20],
      predicts: { seabios: 'accepted: base + 0x1000 written', ovmf: 'invalid pointer value: aborted and rolled back' },
    },
    { probePatches: [[0x40, le32(0x1000)]], edit: append(addPointer(PROBE, PROBE, 0x40, 4, 'ADD_POINTER probe[0x40] (u32 0x1000) -> probe')) },
  ),
  standardCase(
    {
      id: 'checksum-unallocated-file',
      title: 'ADD_CHECKSUM on etc/fwconf/spare, a fw_cfg file never ALLOCATEd',
      probes: 'A checksum on a file that is not a blob.',
      rows: [23, 24],
      predicts: { seabios: 'internal error (add_checksum), continue', ovmf: 'invalid blob reference: aborted and rolled back' },
    },
    { extraFiles: [spare()], edit: append(addChecksum(SPARE, 0x20, 0, 0x40, 'ADD_CHECKSUM spare[0x20] over [0, 0x40) (not allocated)')) },
  ),
  standardCase(
    {
      id: 'allocate-zone-0',
      title: 'ALLOCATE probe with zone 0',
      probes: 'A zone that is neither HIGH (1) nor FSEG (2), below the valid ones.',
      rows: [10],
      predicts: { seabios: 'internal error (allocate), probe not allocated; the WRITE_POINTER to it then fails too', ovmf: 'zone ignored: everything applied' },
    },
    { allocProbe: underTest(allocate(PROBE, 16, 0, 'ALLOCATE probe zone 0')) },
  ),
  standardCase(
    {
      id: 'allocate-align-3',
      title: 'ALLOCATE probe with alignment 3 (not a power of two)',
      probes: 'The power-of-two check.',
      rows: [11],
      predicts: { seabios: 'internal error (allocate), probe not allocated; the WRITE_POINTER then fails', ovmf: 'accepted (<= 4096), page-aligned anyway' },
    },
    { allocProbe: underTest(allocate(PROBE, 3, HIGH, 'ALLOCATE probe align 3')) },
  ),
  standardCase(
    {
      id: 'allocate-align-4096',
      title: 'ALLOCATE probe with alignment 4096',
      probes: "The largest alignment OVMF accepts; SeaBIOS's top-down placement with a page alignment.",
      rows: [13, 14],
      predicts: { seabios: 'honoured: probe at ALIGN_DOWN(top - 304, 4096)', ovmf: 'accepted, page-aligned as always' },
    },
    { allocProbe: underTest(allocate(PROBE, 4096, HIGH, 'ALLOCATE probe align 4096')) },
  ),
  standardCase(
    {
      id: 'allocate-missing-file',
      title: 'ALLOCATE of etc/fwconf/absent, which is not in fw_cfg (after the WRITE_POINTER)',
      probes: 'A missing file, placed after a done WRITE_POINTER so that a rollback shows.',
      rows: [17, 34],
      predicts: { seabios: 'silently skipped', ovmf: 'EFI_NOT_FOUND: aborted, WRITE_POINTER undone (zeros written)' },
    },
    { edit: append(allocate('etc/fwconf/absent', 16, HIGH, 'ALLOCATE etc/fwconf/absent HIGH')) },
  ),
  standardCase(
    {
      id: 'allocate-duplicate',
      title: 'ALLOCATE probe a second time (after the WRITE_POINTER)',
      probes: 'Duplicate ALLOCATE of the same file.',
      rows: [9, 34],
      predicts: { seabios: 'second copy made (lower in ZoneHigh), the first stays the one used', ovmf: 'duplicated file: aborted, WRITE_POINTER undone' },
    },
    { edit: append(allocate(PROBE, 16, HIGH, 'ALLOCATE probe again HIGH')) },
  ),
  standardCase(
    {
      id: 'name-no-nul-pointee',
      title: "ADD_POINTER (size 4) whose pointee name field has no NUL at all ('etc/fwconf/probe' + 40 x 'X')",
      probes: "A 56-byte name without terminator on a narrow pointer's pointee: OVMF checks it in pass 0, before any command runs.",
      rows: [7],
      predicts: { seabios: 'lookup fails (byte 55 non-zero): internal error (add_pointer), continue', ovmf: 'malformed file name in pass 0: nothing runs, so the WRITE_POINTER target is never written (not rolled back)' },
    },
    {
      probePatches: [[0x40, le32(0x10)]],
      edit: append(addPointer(PROBE, Uint8Array.from([...ascii(PROBE), ...new Array(56 - PROBE.length).fill(0x58)]), 0x40, 4, "ADD_POINTER probe[0x40] -> 'etc/fwconf/probeXXXX...' (no NUL)")),
    },
  ),
  standardCase(
    {
      id: 'write-pointer-dest-name-no-nul',
      title: "WRITE_POINTER whose pointer-file name field has no NUL ('etc/smi/requested-features' + 30 x 'X')",
      probes: "SeaBIOS does not check byte 55 of the WRITE_POINTER's fw_cfg file; its strcmp runs past the field.",
      rows: [7],
      predicts: { seabios: 'pointer file not found: internal error (write_pointer), continue', ovmf: 'malformed file name: aborted, first WRITE_POINTER undone' },
    },
    { edit: append(writePointer(Uint8Array.from([...ascii(WP_TARGET), ...new Array(56 - WP_TARGET.length).fill(0x58)]), PROBE, 0, 0, 8, 'WRITE_POINTER (name without NUL) = &probe')) },
  ),
  standardCase(
    {
      id: 'checksum-length-0',
      title: 'Two ADD_CHECKSUMs of length 0: probe[0x60] (0x5A) over [0x40, 0x40), probe[0x61] (0x5B) over [0x130, 0x130)',
      probes: 'Zero-length ranges, one starting at the end of the file.',
      rows: [28],
      predicts: { seabios: 'both bytes unchanged (0x5A, 0x5B)', ovmf: 'both bytes set to 0' },
    },
    {
      probePatches: [[0x60, [0x5a, 0x5b]]],
      edit: append(addChecksum(PROBE, 0x60, 0x40, 0, 'ADD_CHECKSUM probe[0x60] over [0x40, +0)'), addChecksum(PROBE, 0x61, 0x130, 0, 'ADD_CHECKSUM probe[0x61] over [0x130, +0)')),
    },
  ),
  standardCase(
    {
      id: 'checksum-twice',
      title: 'The same ADD_CHECKSUM twice: probe[0x4f] over [0x40, 0x50) holding 01..0f',
      probes: 'Repeating a checksum whose byte is inside its range.',
      rows: [27],
      predicts: { seabios: 'idempotent: 0x88 after both, range sums to 0', ovmf: 'toggles back: 0x88 after the first, 0x00 after the second; the range then sums to 0x78' },
    },
    {
      probePatches: [[0x40, [...Array.from({ length: 15 }, (_, i) => i + 1), 0]]],
      edit: append(addChecksum(PROBE, 0x4f, 0x40, 16, 'ADD_CHECKSUM probe[0x4f] over [0x40, 0x50)'), addChecksum(PROBE, 0x4f, 0x40, 16, 'ADD_CHECKSUM probe[0x4f] over [0x40, 0x50) again')),
    },
  ),
  standardCase(
    {
      id: 'checksum-prefilled-probe',
      title: 'ADD_CHECKSUM probe[0x4f] over [0x40, 0x50) with the checksum byte prefilled 0x5A',
      probes: 'Subtract vs overwrite on a non-zero checksum byte inside the range (spec §7.1).',
      rows: [25, 26],
      predicts: { seabios: 'still correct: byte 0x88, range sums to 0', ovmf: 'wrong checksum (the spec says the range sums to the old value, 0x5A)' },
      spec_wrong: [{ firmware: 'ovmf', where: '§4.5, row 26', spec: 'a non-zero pre-filled checksum leaves the range summing to the old value (0x5A)', real: 'byte 0x2E, the range sums to 0xA6 = -0x5A (overwrite semantics include the old byte: SUMMARY D2)' }],
    },
    { probePatches: [[0x40, [...Array.from({ length: 15 }, (_, i) => i + 1), 0x5a]]], edit: append(addChecksum(PROBE, 0x4f, 0x40, 16, 'ADD_CHECKSUM probe[0x4f] (0x5A) over [0x40, 0x50)')) },
  ),
  standardCase(
    {
      id: 'checksum-range-wraps',
      title: 'ADD_CHECKSUM probe[0x60] with start 0x10 and length 0xFFFFFFF8 (start + length wraps to 8)',
      probes: 'The 32-bit wrap check of the range.',
      rows: [24],
      predicts: { seabios: 'internal error (add_checksum): the wrap is caught', ovmf: 'invalid checksum range: aborted and rolled back' },
    },
    { edit: append(addChecksum(PROBE, 0x60, 0x10, 0xfffffff8, 'ADD_CHECKSUM probe[0x60] over [0x10, +0xfffffff8)')) },
  ),
  standardCase(
    {
      id: 'fseg-exhaustion',
      title: 'Six 256-byte blobs ALLOCATEd in the FSEG zone after the standard script',
      probes: "How much of ZoneFSeg is left for the loader (SUMMARY D8: 1280 bytes, the RSDP's 32 included).",
      rows: [15],
      predicts: { seabios: 'the first ones fit top-down below the RSDP, the rest get warn_noalloc (allocate)', ovmf: 'zone ignored: all allocated, then freed (nothing points to them)' },
    },
    {
      extraFiles: Array.from({ length: 6 }, (_, i) => ({ name: `etc/fwconf/fseg${i}`, path: `etc_fwconf_fseg${i}.bin`, data: filler(`FWCONF-FSEG-${i}`, 256) })),
      edit: (e) => [...e, ...Array.from({ length: 6 }, (_, i) => underTest(allocate(`etc/fwconf/fseg${i}`, 16, FSEG, `ALLOCATE etc/fwconf/fseg${i} (256 B) FSEG`)))],
    },
  ),
  standardCase(
    {
      id: 'zonehigh-exhaustion',
      title: 'ALLOCATE a 16 MiB file in the HIGH zone (the whole of ZoneHigh, part of which is already used)',
      probes: 'ZoneHigh exhaustion.',
      rows: [15],
      predicts: { seabios: 'warn_noalloc (allocate): the blob does not fit, the rest is applied', ovmf: 'allocated (pages outside the NVS bin), then freed: nothing points to it' },
      notes: ['etc_fwconf_huge.bin is stored gzip-compressed (gzip: true); the fw_cfg file is the decompressed 16 MiB.'],
    },
    { extraFiles: [{ name: 'etc/fwconf/huge', path: 'etc_fwconf_huge.bin.gz', gzip: true, data: filler('FWCONF-HUGE-16M', 16 << 20) }], edit: append(allocate('etc/fwconf/huge', 16, HIGH, 'ALLOCATE etc/fwconf/huge (16 MiB) HIGH')) },
  ),
  standardCase(
    {
      id: 'write-pointer-dst-offset-past-end',
      title: 'WRITE_POINTER of 8 bytes at offset 4 of the 8-byte etc/smi/requested-features',
      probes: "The bounds check of the WRITE_POINTER's fw_cfg field.",
      rows: [30],
      predicts: { seabios: 'internal error (write_pointer); the first WRITE_POINTER stays', ovmf: 'invalid pointer location or size: aborted, first WRITE_POINTER undone' },
    },
    { edit: append(writePointer(WP_TARGET, PROBE, 4, 0, 8, `WRITE_POINTER ${WP_TARGET}[4..12) = &probe (past the end)`)) },
  ),
  standardCase(
    {
      id: 'write-pointer-offset-4',
      title: 'A second WRITE_POINTER: 4 bytes at offset 4 of etc/smi/requested-features = &probe + 0x10',
      probes: 'The non-zero pointer offset path (SeaBIOS: port select + DMA SKIP + WRITE instead of one SELECT|WRITE).',
      rows: [32],
      predicts: { seabios: 'both writes arrive: low half &probe, high half &probe + 0x10', ovmf: 'both writes arrive (select, SKIP, WRITE)' },
    },
    { edit: append(writePointer(WP_TARGET, PROBE, 4, 0x10, 4, `WRITE_POINTER ${WP_TARGET}[4..8) = &probe + 0x10`)) },
  ),
  standardCase(
    {
      id: 'write-pointer-unallocated-source',
      title: 'WRITE_POINTER whose pointee etc/fwconf/spare is in fw_cfg but never ALLOCATEd',
      probes: 'A WRITE_POINTER pointee that is not a blob.',
      rows: [23],
      predicts: { seabios: 'internal error (write_pointer); the first WRITE_POINTER stays', ovmf: 'invalid fw_cfg file or blob reference: aborted, first WRITE_POINTER undone' },
    },
    { extraFiles: [spare()], edit: append(writePointer(WP_TARGET, SPARE, 0, 0, 8, `WRITE_POINTER ${WP_TARGET}[0..8) = &spare (not allocated)`)) },
  ),
  {
    ...standardCase({
      id: 'write-pointer-no-dma-s3-disabled',
      title: 'Standard script with fw_cfg DMA off and S3 disabled (-global ICH9-LPC.disable_s3=1)',
      probes: 'WRITE_POINTER without DMA when OVMF has no S3 boot script to record it in.',
      rows: [31],
      predicts: { seabios: 'internal error (qemu_cfg_write_file needs DMA), nothing written; the rest applied', ovmf: 'tables installed; the write goes to the data port, which QEMU ignores: target stays zero' },
      notes: ['The WRITE_POINTER target cannot be preset without DMA: it starts as zeros.'],
    }),
    extraArgs: ['-global', 'fw_cfg_io.dma_enabled=off', '-global', 'ICH9-LPC.disable_s3=1'],
    noS3Note: true,
  },
  standardCase(
    {
      id: 'no-table-loader',
      title: 'The blobs are in fw_cfg but there is no etc/table-loader',
      probes: 'No script at all.',
      rows: [3],
      predicts: { seabios: 'silently nothing: no ACPI (the spec; SUMMARY D1 says SeaBIOS 1.16 then builds its own tables)', ovmf: 'EFI_NOT_FOUND: no ACPI' },
      spec_wrong: [{ firmware: 'seabios', where: '§2 fallback, row 3', spec: 'no etc/table-loader: silently nothing, the guest has no ACPI', real: "SeaBIOS 1.16.2 publishes tables of its own (RSDT, FACP, FACS, DSDT, SSDT, APIC, HPET, MCFG; OEM 'BOCHS ') with the RSDP at 0xf59e0 (SUMMARY D1)" }],
    },
    { withLoader: false },
  ),
  standardCase(
    {
      id: 'two-fadts',
      title: 'A second FADT (FWCFACP2, same FACS and DSDT) listed in the RSDT',
      probes: 'The ACPI table protocol accepts one FADT (spec §7.11); the second install fails after tables were installed.',
      rows: [6, 37],
      predicts: { seabios: 'both FADTs in place; the OS finds both', ovmf: 'InstallAcpiTable: Access Denied on the second FADT: the whole loader fails and is rolled back' },
      spec_wrong: [{ firmware: 'ovmf', where: '§4.9', spec: 'on a failure every installed table is uninstalled: the guest has no ACPI', real: 'rolled back (WRITE_POINTER target zeroed, no table left), but both RSDPs stay published and the RSDT (40 bytes) and XSDT (44) hold one NULL entry (SUMMARY D4)' }],
    },
    { layout: tablesLayout({ extra: [{ sig: 'FACP', name: 'FADT2', extraName: 'FACP2', bytes: fadt('FWCFACP2', 0, 64), checksum: true, fadt: true, inRsdt: true }] }) },
  ),
  standardCase(
    {
      id: 'table-via-ssdt-field-only',
      title: "SSDT1 is reached only through a pointer inside SSDT0's AML (the RSDT lists the FADT and SSDT0)",
      probes: 'A table that only another table (not the RSDT) points to (spec §7.9).',
      rows: [38],
      predicts: { seabios: 'in memory, but an OS walking the RSDT does not find SSDT1', ovmf: 'SSDT1 is an ADD_POINTER target with a valid header: installed and listed in the RSDT/XSDT' },
      findings: [
        "OVMF: the installed copy of SSDT0 (0x7fb79000) still holds 0x7fbfd1a8, SSDT1's place in the tables blob, which was freed and filled with 0xAF; SSDT1's own copy is at 0x7fb7b000 (the dangling table-to-table pointer of spec §4.10 item 5 / §7.9, confirmed).",
      ],
    },
    {
      layout: (() => {
        // SSDT0 AML DWord (at +42) holds SSDT1's offset; its checksum comes after the pointer
        const l = tablesLayout({
          extra: [
            { sig: 'SSDT', name: 'SSDT0', extraName: 'SSDT0', bytes: amlTable('SSDT', 'FWCS0000', 'S000', 376 + 48), inRsdt: true, pointerFrom: { at: 376 + 42, label: 'SSDT0 AML DWord -> SSDT1' } },
            { sig: 'SSDT', name: 'SSDT1', extraName: 'SSDT1', bytes: amlTable('SSDT', 'FWCS0001', 'S001', 1), checksum: true },
          ],
        });
        return l;
      })(),
    },
  ),
  standardCase(
    {
      id: 'table-absolute-address',
      title: 'RSDT[1] holds an absolute address (0x7fffff78, where SeaBIOS will put the SSDT) that no ADD_POINTER patches',
      probes: 'A table no ADD_POINTER targets, reachable only through an address the producer stored (spec row 38).',
      rows: [38],
      predicts: { seabios: 'the OS finds the SSDT if the address is right (tables at 0x7ffffe00, SSDT at +0x178)', ovmf: 'never installed: only ADD_POINTER targets become tables' },
      notes: ["The absolute address assumes SeaBIOS places the 468-byte tables blob at ALIGN_DOWN(0x80000000 - 468, 64) = 0x7ffffe00, as baseline's 512-byte one."],
    },
    {
      layout: (() => {
        const l = tablesLayout({ extra: [{ sig: 'SSDT', name: 'SSDT0', extraName: 'SSDT0', bytes: amlTable('SSDT', 'FWCS0000', 'S000', 0), checksum: true, absoluteInRsdt: 0x7ffffe00 + 376 }] });
        u32(l.blob, l.rsdtAt + 36 + 4 * l.listed.length, 0x7ffffe00 + 376);
        return l;
      })(),
    },
  ),
  ...[124, 126].map((n) =>
    standardCase(
      {
        id: `tables-${n + 3}`,
        title: `${n} SSDTs + FACS + DSDT + FADT = ${n + 3} installable tables`,
        probes: `OVMF's INSTALLED_TABLES_MAX (128) boundary, ${n + 3 <= 128 ? 'accepted' : 'refused'} side.`,
        rows: [40],
        predicts: n + 3 <= 128 ? { seabios: 'all in place', ovmf: `all ${n + 3} installed` } : { seabios: 'all in place', ovmf: "can't install more than 128 tables: EFI_OUT_OF_RESOURCES, the whole loader fails and is rolled back" },
        ...(n + 3 > 128
          ? {
              spec_wrong: [
                {
                  firmware: 'ovmf',
                  where: '§4.9, row 40',
                  spec: 'on a failure every installed table is uninstalled: the guest has no ACPI',
                  real: 'rolled back, but both RSDPs stay published with one NULL root entry (SUMMARY D4), and the RSDT/XSDT stay where they had grown to (0x7e900254 / 0x7e9004a8, room for 140 entries), not at their first place',
                },
              ],
            }
          : {}),
      },
      { layout: tablesLayout({ ssdts: n }) },
    ),
  ),
];

// ---------------------------------------------------------------- case.json and files
function caseJson(c) {
  const loader = c.files.find((f) => f.name === LOADER);
  const listing = c.entries.map((e, index) => ({ index, ...e.json }));
  const notes = [...(c.noS3Note ? [] : [S3_NOTE]), ...(c.notes ?? [])];
  return {
    schema: 1,
    id: c.id,
    title: c.title,
    probes: c.probes,
    spec: 'shared/spec/loader-executors.md section 8',
    spec_rows: c.rows,
    spec_predicts: c.predicts,
    origin: ORIGIN,
    notes,
    entries_under_test: listing.filter((e) => e.under_test).map((e) => e.index),
    fw_cfg_files: c.files.map((f) => ({ fw_cfg_name: f.name, path: f.path, size: f.data.length, sha256: sha256(f.data), gzip: f.gzip === true })),
    loader: loader === undefined ? null : { size: loader.data.length, entries: Math.floor(loader.data.length / 128), trailing_bytes: loader.data.length % 128, listing },
    layout: c.layout,
    qemu: { machine: ['-machine', 'q35,acpi=off', '-smp', '1', '-m', '2G'], extra_args: c.extraArgs ?? [], injection: '-fw_cfg name=<fw_cfg_name>,file=<path> for each file, in the order listed' },
    observation: {
      write_pointer_target: WP_TARGET,
      write_pointer_target_preset_hex: PRESET,
      note: 'before the firmware starts, etc/smi/requested-features is set to the preset value through fw_cfg DMA (qtest); whatever a WRITE_POINTER leaves there is read back through the fw_cfg data port after the run',
    },
    ...(c.spec_wrong ? { spec_wrong: c.spec_wrong } : {}),
    ...(c.findings ? { findings: c.findings } : {}),
  };
}

/** What goes on disk for a case: relative path -> bytes. */
function caseFiles(c) {
  const out = new Map();
  for (const f of c.files) out.set(f.path, f.gzip ? gzipSync(f.data, { level: 9, mtime: 0 }) : f.data);
  return out;
}

function ourCase(id) {
  const path = join(CORPUS, id, 'case.json');
  return !existsSync(path) || JSON.parse(readFileSync(path, 'utf8')).origin === ORIGIN;
}

// ---------------------------------------------------------------- the summary of the recorded outcomes
function cell(o, firmware, underTest) {
  if (o === undefined) return 'not recorded';
  const parts = [];
  const touched = [];
  for (const [file, a] of Object.entries(o.allocations)) {
    for (const cmd of a.copies[0]?.commands ?? []) {
      if (!underTest.includes(cmd.entry)) continue;
      const what = cmd.command === 'ADD_POINTER' ? `${cmd.before}->${cmd.after}` : `${cmd.byte_before}->${cmd.byte_after}${cmd.range_sum_after !== undefined ? ` (range sum ${cmd.range_sum_after})` : ''}`;
      touched.push(`#${cmd.entry} ${file.split('/').pop()}[${cmd.offset}] ${what}`);
    }
  }
  if (!o.run.completed) parts.push('**hung**');
  if (!o.fw_cfg.loader_selected) parts.push('loader not read');
  if (firmware === 'seabios') parts.push((o.log.warnings ?? []).length === 0 ? 'no warning' : `warn: ${o.log.warnings.map((w) => `${w.function.replace('romfile_loader_', '')}:${w.line}`).join(', ')}`);
  for (const [file, a] of Object.entries(o.allocations)) {
    if (file === RSDP || file === TABLES) continue;
    parts.push(`${file.split('/').pop()}: ${a.copies.length === 0 ? 'no copy' : a.copies.map((c) => c.base).join(', ')}`);
  }
  const tables = o.tables.map((t) => t.signature).filter((x) => x !== 'RSDT' && x !== 'XSDT');
  if (o.rsdp === null) parts.push('no ACPI tables');
  else if (tables.length === 0) parts.push('RSDP published, roots hold one NULL entry');
  else if (o.rsdp.inside_loader_allocation === null && firmware === 'seabios') parts.push(`SeaBIOS's own tables (${tables.join(',')})`);
  else parts.push(tables.length > 8 ? `${tables.length} tables` : `tables ${tables.join(',')}`);
  parts.push(...touched);
  if (o.write_pointer !== undefined) parts.push(`WP ${o.write_pointer.observed === 'written' ? o.write_pointer.after_hex : o.write_pointer.observed}`);
  return parts.join('; ');
}

function summary() {
  const rows = CASES.map((c) => {
    const read = (fw) => {
      const path = join(CORPUS, c.id, fw, 'outcome.json');
      return existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) : undefined;
    };
    const verdict = (fw) => {
      const wrong = (c.spec_wrong ?? []).filter((w) => w.firmware === fw);
      return wrong.length === 0 ? 'as spec' : `**spec wrong** (${wrong.map((w) => w.where).join('; ')})`;
    };
    const underTest = c.entries.flatMap((e, i) => (e.json.under_test ? [i] : []));
    return `| [${c.id}](${c.id}/case.json) | ${c.rows.join(', ')} | ${cell(read('seabios'), 'seabios', underTest)} | ${verdict('seabios')} | ${cell(read('ovmf'), 'ovmf', underTest)} | ${verdict('ovmf')} |`;
  });
  const wrong = CASES.flatMap((c) => (c.spec_wrong ?? []).map((w) => `- \`${c.id}\` (${w.firmware}, ${w.where}): the spec says ${w.spec}; the firmware: ${w.real}.`));
  const findings = CASES.flatMap((c) => (c.findings ?? []).map((f) => `- \`${c.id}\`: ${f}`));
  return `# Firmware conformance: the cases this project added

${CASES.length} cases written by \`scripts/gen-conformance-cases.mjs\` (inputs) and recorded with this project's
\`fwcfg boot-real\` (\`node scripts/boot-real-corpus.mjs --record\`) on the same software and machine as the copied
cases (see SUMMARY.md): QEMU 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3), TCG, \`-machine q35,acpi=off -smp 1 -m 2G\`,
SeaBIOS 1.16.2 (Debian 1.16.2-1, bios-256k.bin) and OVMF 2022.11 (Debian 2022.11-6+deb12u2, OVMF_CODE.fd, RELEASE),
files injected with \`-fw_cfg name=...,file=...\`, etc/smi/requested-features preset to \`${PRESET}\` through fw_cfg DMA.
Observation as the corpus harness did it: SeaBIOS's debug port (0x402) for its warnings, all 2 GiB of RAM read with
QMP \`pmemsave\` after the boot reached "No bootable device" (SeaBIOS) or "BdsDxe:" (OVMF) and the guest was stopped:
blobs located by their bytes outside the ones the script patches, the RSDP by the BIOS-area scan (SeaBIOS) or the EFI
configuration table (OVMF), the tables by walking from it, the write-back read through the fw_cfg data port. The
recorder was first checked against the 27 copied cases: its outcomes equal the other team's on both firmwares
(\`docs/boot-real-vs-recordings.json\`). The standard payload (blobs and the 13-entry script) is byte-identical to
the copied \`baseline\` case's.

Cells as in SUMMARY.md: SeaBIOS warnings by \`function:line\`, where each non-ACPI blob landed, what the OS finds,
the write-back ("WP"). "as spec" means the firmware did what \`../../spec/loader-executors.md\` says (§7, §8 rows).

## Where the firmware contradicts the spec (the firmware wins)

${wrong.join('\n')}

## Other findings

${findings.join('\n')}
- Everything else behaved as the spec says; \`name-no-nul-pointee\` shows OVMF's pass 0 at work (the WRITE_POINTER target is
  never written, not written and rolled back) and \`write-pointer-dest-name-no-nul\` that SeaBIOS, though it does not check
  byte 55 of a WRITE_POINTER's file name, finds no file for an unterminated one.
- Not testable with this setup: duplicate names in the fw_cfg directory (QEMU exits), S3 resume replay, TPM measurement,
  PCI decoding during the script read, OVMF's below-4-GiB rule for narrow pointees (all RAM is below 4 GiB).

## Case × firmware

| case | spec rows | SeaBIOS 1.16.2 | vs spec | OVMF 2022.11 | vs spec |
| --- | --- | --- | --- | --- | --- |
${rows.join('\n')}
`;
}

// ---------------------------------------------------------------- main
const args = process.argv.slice(2);
if (args.includes('--list')) {
  for (const c of CASES) console.log(c.id);
  process.exit(0);
}
if (args.includes('--summary')) {
  writeFileSync(join(CORPUS, 'SUMMARY-generated.md'), summary());
  console.log('wrote SUMMARY-generated.md');
  process.exit(0);
}
const check = args.includes('--check');
let problems = 0;
const problem = (m) => {
  problems++;
  console.log(m);
};

// the standard payload is the copied baseline's, byte for byte (and tables-128's for 125 SSDTs)
{
  const base = tablesLayout();
  const same = (a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0;
  const copied = (id, f) => readFileSync(join(CORPUS, id, f));
  if (!same(base.blob, copied('baseline', 'tables.bin'))) problem('standard tables.bin differs from baseline/tables.bin');
  if (!same(rsdpBlob(base.rsdtAt), copied('baseline', 'rsdp.bin'))) problem('standard rsdp.bin differs from baseline/rsdp.bin');
  if (!same(probe('baseline'), copied('baseline', 'etc_fwconf_probe.bin'))) problem('standard probe differs from baseline/etc_fwconf_probe.bin');
  if (!same(Buffer.concat(standardEntries(base).map((e) => e.bytes)), copied('baseline', 'loader.bin'))) problem('standard loader differs from baseline/loader.bin');
  const t128 = tablesLayout({ ssdts: 125 });
  if (!same(t128.blob, copied('tables-128', 'tables.bin'))) problem('125-SSDT tables.bin differs from tables-128/tables.bin');
  if (!same(Buffer.concat(standardEntries(t128).map((e) => e.bytes)), copied('tables-128', 'loader.bin'))) problem('125-SSDT loader differs from tables-128/loader.bin');
}

for (const c of CASES) {
  if (!ourCase(c.id)) {
    problem(`${c.id}: exists and was not made by this generator; left alone`);
    continue;
  }
  const dir = join(CORPUS, c.id);
  const files = caseFiles(c);
  const json = JSON.stringify(caseJson(c), null, 1) + '\n';
  if (check) {
    if (!existsSync(join(dir, 'case.json')) || readFileSync(join(dir, 'case.json'), 'utf8') !== json) problem(`${c.id}: case.json differs from the generator's`);
    for (const [rel, data] of files) {
      const path = join(dir, rel);
      const onDisk = existsSync(path) ? readFileSync(path) : undefined;
      const same = onDisk !== undefined && (rel.endsWith('.gz') ? Buffer.compare(gunzipSync(onDisk), gunzipSync(data)) === 0 : Buffer.compare(onDisk, Buffer.from(data)) === 0);
      if (!same) problem(`${c.id}/${rel}: differs from the generator's`);
    }
    continue;
  }
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'case.json'), json);
  for (const [rel, data] of files) writeFileSync(join(dir, rel), data);
  console.log(`${c.id}: ${c.files.length} files, ${c.entries.length} entries`);
}
if (check) console.log(problems === 0 ? `${CASES.length} generated cases and the standard payload agree with the files on disk` : `${problems} differences`);
process.exitCode = problems === 0 ? 0 : 1;
