/**
 * Reading an fw_cfg item capture: a directory with `items.json` and one
 * `.bin` per item (the format of spec-vectors/fwcfg-device/<config>/, which
 * `fwcfg capture` also writes). Every item the device served, with its
 * selector key, kind and exact bytes.
 *
 * Captures written by `fwcfg capture` (capture_format 2, docs/capture-format.md)
 * add the guest-physical memory map, the non-zero RAM/ROM pages at start, the
 * writability of each item and, with --rebuild, the blobs QEMU rebuilt after
 * PCIEXBAR was programmed. All extensions are optional: the shared captures
 * load as before.
 */
import type { CreationJson, DirectoryRowJson, FirmwareCaptureJson } from './capture-json.js';
import { createHash } from 'node:crypto';
import { InputError } from '../errors.js';
import { sourceOf, type FileSource } from './file-source.js';
import { array, boolean, hex, integer, nullable, object, oneOf, optional, parseJson, relativePath, sha256, size, string, u32, validate, type Check } from './schema.js';

export type CapturedItemKind = 'well-known' | 'arch' | 'file';

export interface CapturedItem {
  key: number;
  name: string;
  kind: CapturedItemKind;
  size: number;
  bytes: Uint8Array;
  /** Whether a DMA WRITE was accepted (capture_format 2); undefined when the capture did not probe it. */
  writable?: boolean;
}

export type { DirectoryRowJson } from './capture-json.js';

/** One range of a flat view, as `info mtree -f` prints it (hex strings, size instead of the inclusive end). */
export interface MemoryRangeJson {
  start: string;
  size: string;
  /** ram, rom, romd, i/o (QEMU's words). */
  kind: string;
  name: string;
  /** Offset inside the named MemoryRegion (mtree's `@offset`). */
  offset?: string;
  prio?: number;
}

export interface MemoryMapJson {
  source?: string;
  /** The flat view of address_space_memory (what DMA and the CPU see). */
  memory: MemoryRangeJson[];
  /** The flat view of the I/O address space (x86 ports; arm has one unassigned range). */
  io: MemoryRangeJson[];
}

/** A run of guest-physical bytes (whole 4 KiB pages, at least one byte non-zero) recorded at capture start. */
export interface MemoryContentJson {
  address: string;
  size: string;
  bin: string;
  sha256: string;
}

export interface RebuildJson {
  how: string[];
  directory_before?: DirectoryRowJson[];
  directory_after: DirectoryRowJson[];
  size_changes: { name: string; before: number; after: number }[];
  ramblock_after?: { name: string; used: number; max: number }[];
  items: { name: string; key: string; size: number; sha256: string; bin?: string }[];
  [k: string]: unknown;
}

export interface ItemsCaptureJson {
  config: string;
  description?: string;
  qemu?: string;
  argv: string[];
  layout: 'io' | 'mmio';
  mmio_base: string | null;
  file_slots: number;
  id: number;
  signature?: string;
  directory_before_acpi_select?: DirectoryRowJson[];
  directory_after_acpi_select?: DirectoryRowJson[];
  first_acpi_select?: { name: string; select: string; how?: string };
  ramblock_at_start?: { name: string; used: number; max: number }[];
  items: { key: string; name: string; kind: CapturedItemKind; size: number; sha256: string; bin?: string; writable?: boolean }[];
  /** 2 for captures written by `fwcfg capture` with the extensions below. */
  capture_format?: number;
  memory_map?: MemoryMapJson;
  memory_contents?: MemoryContentJson[];
  rebuild?: RebuildJson;
  /** capture_format 3: the QEMU release (major.minor.patch), the resolved machine type, the host's page size. */
  qemu_version?: string | null;
  machine_type?: string | null;
  host_page_size?: number;
  /** capture_format 3: the ACPI ROM blobs at machine creation. */
  creation?: CreationJson;
  /** capture_format 3: each firmware booted to its first ACPI select, and what QEMU rebuilt (or how it ended). */
  firmware?: FirmwareCaptureJson;
  [k: string]: unknown;
}

export interface MemoryRange {
  start: bigint;
  /** Exclusive. */
  end: bigint;
  kind: string;
  name: string;
  offset: bigint;
}

export interface MemoryMap {
  memory: MemoryRange[];
  io: MemoryRange[];
}

export interface MemoryContent {
  address: bigint;
  bytes: Uint8Array;
}

export interface RebuiltItem {
  name: string;
  key: number;
  bytes: Uint8Array;
}

export interface ItemsCapture {
  dir: string;
  json: ItemsCaptureJson;
  items: CapturedItem[];
  memoryMap?: MemoryMap;
  memoryContents?: MemoryContent[];
  rebuilt?: RebuiltItem[];
}

// ------------------------------------------------------------------ schema

const directoryRow = object({ select: hex(16), size: u32, name: string });
const ramBlockRow = object({ name: string, used: size, max: size });
const memoryRange = object({ start: hex(64), size: hex(64), kind: string, name: string, offset: optional(hex(64)), prio: optional(integer) });
const memoryMapJson = object({ source: optional(string), memory: array(memoryRange), io: array(memoryRange) });

/** items.json as this project reads it. */
export const itemsCaptureJson: Check<ItemsCaptureJson> = object({
  config: string,
  description: optional(string),
  qemu: optional(string),
  argv: array(string),
  layout: oneOf('io', 'mmio'),
  mmio_base: nullable(hex(64)),
  file_slots: u32,
  id: u32,
  signature: optional(string),
  directory_before_acpi_select: optional(array(directoryRow)),
  directory_after_acpi_select: optional(array(directoryRow)),
  first_acpi_select: optional(object({ name: string, select: hex(16), how: optional(string) })),
  ramblock_at_start: optional(array(ramBlockRow)),
  items: array(object({ key: hex(16), name: string, kind: oneOf('well-known', 'arch', 'file'), size: u32, sha256: sha256, bin: optional(relativePath), writable: optional(boolean) })),
  capture_format: optional(integer),
  memory_map: optional(memoryMapJson),
  memory_contents: optional(array(object({ address: hex(64), size: hex(32), bin: relativePath, sha256: sha256 }))),
  rebuild: optional(
    object({
      how: array(string),
      directory_before: optional(array(directoryRow)),
      directory_after: array(directoryRow),
      size_changes: array(object({ name: string, before: size, after: size })),
      ramblock_after: optional(array(ramBlockRow)),
      items: array(object({ name: string, key: hex(16), size: u32, sha256: sha256, bin: optional(relativePath) })),
    }),
  ),
});

// ------------------------------------------------------------------ reading

const sha256Of = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** A listed blob: present when it has bytes, of the listed size, with the listed SHA-256. */
function blob(source: FileSource, bin: string | undefined, size: number, sha: string, where: string): Uint8Array {
  let bytes: Uint8Array;
  if (bin === undefined) {
    if (size !== 0) throw new InputError('BAD_CAPTURE', `${where}: ${size} bytes but no bin file`);
    bytes = new Uint8Array(0);
  } else {
    bytes = source.read(bin, where);
    if (bytes.length !== size) throw new InputError('BAD_CAPTURE', `${where}: ${bin} is ${bytes.length} bytes, items.json says ${size}`);
  }
  if (sha256Of(bytes) !== sha.toLowerCase()) throw new InputError('BAD_CAPTURE', `${where}: ${bin ?? 'the empty item'} does not match its sha256`);
  return bytes;
}

/**
 * Loads and checks a capture (a directory, or any file source): items.json
 * against its schema, then every listed .bin must exist, have the listed size
 * and SHA-256, and the keys must be what the device would accept.
 */
export function loadItemsCapture(from: string | FileSource): ItemsCapture {
  const source = sourceOf(from);
  const path = source.describe('items.json');
  const json = validate(itemsCaptureJson, parseJson(source.read('items.json', 'fw_cfg item capture'), path), path, 'BAD_CAPTURE');
  const seen = new Map<number, number>();
  const names = new Map<string, number>();
  const items = json.items.map((it, i) => {
    const where = `${path}: items[${i}]`;
    const key = parseInt(it.key, 16);
    const twin = seen.get(key);
    if (twin !== undefined) throw new InputError('BAD_CAPTURE', `${where}: key ${it.key} is also items[${twin}]'s`);
    seen.set(key, i);
    // QEMU exits on a second file of the same name: no device serves two
    const namesake = it.kind === 'file' ? names.get(it.name) : undefined;
    if (namesake !== undefined) throw new InputError('BAD_CAPTURE', `${where}: file ${JSON.stringify(it.name)} is also items[${namesake}] (QEMU refuses duplicate fw_cfg file names)`);
    if (it.kind === 'file') names.set(it.name, i);
    const bytes = blob(source, it.bin, it.size, it.sha256, where);
    const item: CapturedItem = { key, name: it.name, kind: it.kind, size: it.size, bytes };
    if (it.writable !== undefined) item.writable = it.writable;
    return item;
  });
  const capture: ItemsCapture = { dir: source.root, json, items };
  if (json.memory_map !== undefined) capture.memoryMap = parseMemoryMap(json.memory_map, `${path}: memory_map`);
  if (json.memory_contents !== undefined) {
    capture.memoryContents = json.memory_contents.map((c, i) => {
      const where = `${path}: memory_contents[${i}]`;
      return { address: BigInt(c.address), bytes: blob(source, c.bin, Number(c.size), c.sha256, where) };
    });
  }
  if (json.rebuild !== undefined) {
    capture.rebuilt = json.rebuild.items.map((it, i) => {
      const where = `${path}: rebuild.items[${i}]`;
      return { name: it.name, key: parseInt(it.key, 16), bytes: blob(source, it.bin, it.size, it.sha256, where) };
    });
  }
  return capture;
}

/** Checks and converts a capture's memory_map (hex strings) into bigint ranges. */
export function parseMemoryMap(json: unknown, where: string): MemoryMap {
  const map = validate(memoryMapJson, json, where, 'BAD_CAPTURE');
  const ranges = (list: MemoryRangeJson[], name: string): MemoryRange[] =>
    list.map((r, i) => {
      const w = `${where}.${name}[${i}]`;
      const start = BigInt(r.start);
      const size = BigInt(r.size);
      if (size === 0n) throw new InputError('BAD_CAPTURE', `${w}: size is 0`);
      if (start + size > 1n << 64n) throw new InputError('BAD_CAPTURE', `${w}: ends past 2^64`);
      return { start, end: start + size, kind: r.kind, name: r.name, offset: r.offset === undefined ? 0n : BigInt(r.offset) };
    });
  const memory = ranges(map.memory, 'memory');
  const io = ranges(map.io, 'io');
  noOverlap(memory, `${where}.memory`);
  noOverlap(io, `${where}.io`);
  return { memory, io };
}

/** A flat view never overlaps itself: the address spaces built from it rely on that. */
function noOverlap(ranges: readonly MemoryRange[], where: string): void {
  const order = ranges.map((r, i) => ({ r, i })).sort((a, b) => (a.r.start < b.r.start ? -1 : a.r.start > b.r.start ? 1 : 0));
  for (let k = 1; k < order.length; k++) {
    const a = order[k - 1]!;
    const b = order[k]!;
    if (b.r.start < a.r.end) throw new InputError('BAD_CAPTURE', `${where}[${b.i}] (${b.r.name}) overlaps ${where.split('.').pop()}[${a.i}] (${a.r.name})`);
  }
}
