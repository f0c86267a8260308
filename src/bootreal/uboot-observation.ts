/**
 * A real U-Boot boot as spec-vectors/uboot/ keeps it: `observed.json` (what
 * was seen, and how), `serial.txt` (U-Boot's console, verbatim), `fwcfg/`
 * (QEMU's files as U-Boot was served them) and `memory/` (guest memory after
 * the boot: each placed blob, and on x86 0xe0000-0xfffff). Written by
 * scripts/record-uboot.mjs and by the live test; read back checked against
 * its schema, every `bin` inside the directory and of its stated size
 * (`.bin.gz`: gzip-compressed, files over 64 KiB).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { InputError } from '../errors.js';
import type { Arch } from '../firmware/record.js';
import { array, boolean, nullable, object, oneOf, parseJson, record, relativePath, size, string, u32, validate, type Check } from '../vectors/schema.js';
import { BIOS_AREA, type UbootRealRun } from './uboot-real.js';

export const OBSERVED_JSON = 'observed.json';
const GZIP_ABOVE = 1 << 16;

export interface SelectJson {
  key: number;
  name: string;
}

export interface ObservedJson {
  case: string;
  description: string;
  recorded_by: string;
  date: string;
  /** The Debian packages behind the run (`u-boot-qemu`, `qemu-system-x86` / `qemu-system-arm`). */
  packages: Record<string, string>;
  /** Where they came from: `host (Debian 12)` or `bullseye chroot`. */
  suite: string;
  uboot: { image: string; image_sha256: string; banner: string };
  qemu_version: string;
  argv: string[];
  /** Whether U-Boot reached its autoboot countdown; if not, it was stopped (and read) where it was after the bound. */
  reached_prompt: boolean;
  machine_type: string;
  arch: Arch;
  ram_size: number;
  /** fw_cfg selects on the way to the prompt (QEMU's -trace fw_cfg_select). */
  selects_boot: SelectJson[];
  /** Those the console commands made. */
  selects_commands: SelectJson[];
  loader_read: boolean;
  /** q35's PCIEXBAR (MCH 00:00.0 offset 0x60) after the boot; null elsewhere. */
  pciexbar: number | null;
  /** The RSDP an OS finds scanning 0xe0000-0xfffff (16-byte steps, valid checksum); null when none. */
  rsdp: number | null;
  /** Every 16-byte-aligned "RSD PTR " in 0xe0000-0xfffff, valid or not. */
  rsdp_signatures: { address: number; checksum_ok: boolean }[];
  blobs: { file: string; base: number; length: number; how: string; stray_bytes: number; bin: string }[];
  bios_area: { address: number; size: number; bin: string } | null;
  console: { command: string; output: string }[];
  /** The file directory before U-Boot ran (the sizes it reads first). */
  directory_at_start: { select: number; name: string; size: number }[];
  /** QEMU's ACPI files as built at machine creation (migration stream of the paused machine). */
  creation: { name: string; size: number; bin: string }[];
  /** Every file after the boot, as QEMU serves it (ACPI files U-Boot never selected: omitted, a select would rebuild them). */
  fwcfg: { select: number; name: string; size: number; bin: string | null }[];
}

const selectJson = object({ key: u32, name: string });
const observedSchema: Check<ObservedJson> = object({
  case: string,
  description: string,
  recorded_by: string,
  date: string,
  packages: record(string),
  suite: string,
  uboot: object({ image: string, image_sha256: string, banner: string }),
  qemu_version: string,
  argv: array(string),
  reached_prompt: boolean,
  machine_type: string,
  arch: oneOf('x86_64', 'aarch64'),
  ram_size: size,
  selects_boot: array(selectJson),
  selects_commands: array(selectJson),
  loader_read: boolean,
  pciexbar: nullable(u32),
  rsdp: nullable(u32),
  rsdp_signatures: array(object({ address: u32, checksum_ok: boolean })),
  blobs: array(object({ file: string, base: size, length: size, how: string, stray_bytes: size, bin: relativePath })),
  bios_area: nullable(object({ address: u32, size: size, bin: relativePath })),
  console: array(object({ command: string, output: string })),
  directory_at_start: array(object({ select: u32, name: string, size: size })),
  creation: array(object({ name: string, size: size, bin: relativePath })),
  fwcfg: array(object({ select: u32, name: string, size: size, bin: nullable(relativePath) })),
});

/** A recorded boot with its bytes loaded. */
export interface UbootObservation {
  dir: string;
  json: ObservedJson;
  /** QEMU's files by name, after the boot. */
  files: Map<string, Uint8Array>;
  /** Its ACPI files at machine creation. */
  creation: Map<string, Uint8Array>;
  /** Guest memory after the boot by blob file name. */
  blobBytes: Map<string, Uint8Array>;
  biosArea: Uint8Array | null;
  serial: string;
}

const fileName = (name: string) => name.replace(/[^A-Za-z0-9._-]/g, '_');

function rsdpSignatures(area: Uint8Array): ObservedJson['rsdp_signatures'] {
  const out: ObservedJson['rsdp_signatures'] = [];
  const text = Buffer.from(area);
  for (let at = text.indexOf('RSD PTR '); at >= 0; at = text.indexOf('RSD PTR ', at + 1)) {
    if (at % 16 !== 0 || at + 20 > area.length) continue;
    let sum = 0;
    for (let i = 0; i < 20; i++) sum += area[at + i]!;
    out.push({ address: BIOS_AREA.start + at, checksum_ok: (sum & 0xff) === 0 });
  }
  return out;
}

/** Writes `bytes` as `bin` (gzip-compressed as `bin.gz` past 64 KiB, as firmware-conformance keeps its large file); the name written. */
function writeBin(dir: string, bin: string, bytes: Uint8Array): string {
  const big = bytes.length > GZIP_ABOVE;
  const name = big ? `${bin}.gz` : bin;
  writeFileSync(join(dir, name), big ? gzipSync(bytes, { level: 9 }) : bytes);
  return name;
}

export interface RecordMeta {
  case: string;
  description: string;
  recordedBy: string;
  packages: Record<string, string>;
  suite: string;
  /** The image path as the package installs it (the run used a copy). */
  image: string;
  arch: Arch;
}

/** Writes a run as `dir/observed.json` plus its bins; returns the JSON. */
export function writeUbootObservation(dir: string, run: UbootRealRun, meta: RecordMeta): ObservedJson {
  mkdirSync(join(dir, 'fwcfg'), { recursive: true });
  mkdirSync(join(dir, 'memory'), { recursive: true });
  mkdirSync(join(dir, 'creation'), { recursive: true });
  const creation = [...run.creation].map(([name, bytes]) => ({ name, size: bytes.length, bin: writeBin(dir, `creation/${fileName(name)}.bin`, bytes) }));
  const fwcfg = run.directory.filter((d) => d.size === 0 || run.files.has(d.name)).map((d) => {
    const bytes = run.files.get(d.name);
    const bin = bytes === undefined ? null : writeBin(dir, `fwcfg/0x${d.select.toString(16).padStart(4, '0')}-${fileName(d.name)}.bin`, bytes);
    return { select: d.select, name: d.name, size: d.size, bin };
  });
  const blobs = run.blobs.map((b) => ({ file: b.file, base: b.base, length: b.length, how: b.how, stray_bytes: b.strayBytes, bin: writeBin(dir, `memory/0x${b.base.toString(16)}-${fileName(b.file)}.bin`, b.bytes) }));
  const biosArea: ObservedJson['bios_area'] = run.biosArea === null ? null : { address: BIOS_AREA.start, size: run.biosArea.length, bin: writeBin(dir, 'memory/0xe0000-bios-area.bin', run.biosArea) };
  writeFileSync(join(dir, 'serial.txt'), run.transcript, 'latin1');
  const json: ObservedJson = {
    case: meta.case,
    description: meta.description,
    recorded_by: meta.recordedBy,
    date: new Date().toISOString(),
    packages: meta.packages,
    suite: meta.suite,
    uboot: { image: meta.image, image_sha256: run.image.sha256, banner: run.banner },
    qemu_version: run.qemuVersion,
    argv: run.argv,
    reached_prompt: run.reachedPrompt,
    machine_type: run.machineType,
    arch: meta.arch,
    ram_size: run.ramSize,
    selects_boot: run.selects.map((s) => ({ key: s.key, name: s.name })),
    selects_commands: run.commandSelects.map((s) => ({ key: s.key, name: s.name })),
    loader_read: run.loaderRead,
    pciexbar: run.pciexbar,
    rsdp: run.rsdp,
    rsdp_signatures: run.biosArea === null ? [] : rsdpSignatures(run.biosArea),
    blobs,
    bios_area: biosArea,
    console: run.console,
    directory_at_start: run.directoryAtStart.map((d) => ({ select: d.select, name: d.name, size: d.size })),
    creation,
    fwcfg,
  };
  writeFileSync(join(dir, OBSERVED_JSON), JSON.stringify(json, null, 1) + '\n');
  return json;
}

function readBin(dir: string, bin: string, length: number, what: string): Uint8Array {
  const raw = readFileSync(join(dir, bin));
  const bytes = new Uint8Array(bin.endsWith('.gz') ? gunzipSync(raw) : raw);
  if (bytes.length !== length) throw new InputError('BAD_LENGTH', `${join(dir, bin)}: ${bytes.length} bytes, ${what} says ${length}`);
  return bytes;
}

export function loadUbootObservation(dir: string): UbootObservation {
  const json = validate(observedSchema, parseJson(readFileSync(join(dir, OBSERVED_JSON)), OBSERVED_JSON), join(dir, OBSERVED_JSON), 'BAD_MANIFEST');
  const files = new Map<string, Uint8Array>();
  for (const f of json.fwcfg) files.set(f.name, f.bin === null ? new Uint8Array(0) : readBin(dir, f.bin, f.size, `fwcfg ${f.name}`));
  const creation = new Map<string, Uint8Array>();
  for (const c of json.creation) creation.set(c.name, readBin(dir, c.bin, c.size, `creation ${c.name}`));
  const blobBytes = new Map<string, Uint8Array>();
  for (const b of json.blobs) blobBytes.set(b.file, readBin(dir, b.bin, b.length, `blob ${b.file}`));
  const biosArea = json.bios_area === null ? null : readBin(dir, json.bios_area.bin, json.bios_area.size, 'bios_area');
  return { dir, json, files, creation, blobBytes, biosArea, serial: readFileSync(join(dir, 'serial.txt'), 'latin1') };
}
