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
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { InputError } from '../errors.js';
import { readBytes, readJson } from './vector.js';

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

export interface DirectoryRowJson {
  select: string;
  size: number;
  name: string;
}

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

function hexKey(text: string, where: string): number {
  if (!/^0x[0-9a-fA-F]{1,4}$/.test(text)) throw new InputError('BAD_CAPTURE', `${where}: key ${JSON.stringify(text)} is not a 16-bit hex key`);
  return parseInt(text, 16);
}

/** Loads and checks a capture: every listed .bin must exist, have the listed size and SHA-256. */
export function loadItemsCapture(dir: string): ItemsCapture {
  const path = join(dir, 'items.json');
  const json = readJson(path, 'fw_cfg item capture') as ItemsCaptureJson;
  if (typeof json !== 'object' || json === null || !Array.isArray(json.items)) throw new InputError('BAD_CAPTURE', `${path}: no "items" array`);
  const items = json.items.map((it, i) => {
    const where = `${path}: items[${i}]`;
    if (typeof it.name !== 'string' || typeof it.size !== 'number') throw new InputError('BAD_CAPTURE', `${where}: needs name and size`);
    const key = hexKey(it.key, where);
    let bytes: Uint8Array;
    if (it.bin === undefined) {
      if (it.size !== 0) throw new InputError('BAD_CAPTURE', `${where}: ${it.name} has ${it.size} bytes but no bin file`);
      bytes = new Uint8Array(0);
    } else {
      bytes = readBytes(join(dir, it.bin), `item ${it.name}`);
      if (bytes.length !== it.size) throw new InputError('BAD_CAPTURE', `${where}: ${it.bin} is ${bytes.length} bytes, items.json says ${it.size}`);
    }
    if (typeof it.sha256 === 'string' && createHash('sha256').update(bytes).digest('hex') !== it.sha256) {
      throw new InputError('BAD_CAPTURE', `${where}: ${it.bin ?? it.name} does not match its sha256`);
    }
    const item: CapturedItem = { key, name: it.name, kind: it.kind, size: it.size, bytes };
    if (typeof it.writable === 'boolean') item.writable = it.writable;
    return item;
  });
  const capture: ItemsCapture = { dir, json, items };
  if (json.memory_map !== undefined) capture.memoryMap = parseMemoryMap(json.memory_map, `${path}: memory_map`);
  if (json.memory_contents !== undefined) {
    if (!Array.isArray(json.memory_contents)) throw new InputError('BAD_CAPTURE', `${path}: memory_contents is not an array`);
    capture.memoryContents = json.memory_contents.map((c, i) => {
      const where = `${path}: memory_contents[${i}]`;
      const address = hexBig(c.address, `${where}.address`);
      const size = Number(hexBig(c.size, `${where}.size`));
      const bytes = checkedBin(dir, c.bin, size, c.sha256, where);
      return { address, bytes };
    });
  }
  if (json.rebuild !== undefined) {
    capture.rebuilt = (json.rebuild.items ?? []).map((it, i) => {
      const where = `${path}: rebuild.items[${i}]`;
      const bytes = it.bin === undefined && it.size === 0 ? new Uint8Array(0) : checkedBin(dir, it.bin ?? '', it.size, it.sha256, where);
      return { name: it.name, key: hexKey(it.key, where), bytes };
    });
  }
  return capture;
}

function hexBig(text: unknown, where: string): bigint {
  if (typeof text !== 'string' || !/^0x[0-9a-fA-F]{1,16}$/.test(text)) throw new InputError('BAD_CAPTURE', `${where}: ${JSON.stringify(text)} is not a 64-bit hex number`);
  return BigInt(text);
}

function checkedBin(dir: string, bin: string, size: number, sha256: string, where: string): Uint8Array {
  if (typeof bin !== 'string' || bin === '') throw new InputError('BAD_CAPTURE', `${where}: no bin file`);
  const bytes = readBytes(join(dir, bin), where);
  if (bytes.length !== size) throw new InputError('BAD_CAPTURE', `${where}: ${bin} is ${bytes.length} bytes, expected ${size}`);
  if (createHash('sha256').update(bytes).digest('hex') !== sha256) throw new InputError('BAD_CAPTURE', `${where}: ${bin} does not match its sha256`);
  return bytes;
}

/** Checks and converts a capture's memory_map (hex strings) into bigint ranges. */
export function parseMemoryMap(json: MemoryMapJson, where: string): MemoryMap {
  if (typeof json !== 'object' || json === null || !Array.isArray(json.memory) || !Array.isArray(json.io)) {
    throw new InputError('BAD_CAPTURE', `${where}: needs "memory" and "io" arrays`);
  }
  const ranges = (list: MemoryRangeJson[], name: string): MemoryRange[] =>
    list.map((r, i) => {
      const w = `${where}.${name}[${i}]`;
      if (typeof r.kind !== 'string' || typeof r.name !== 'string') throw new InputError('BAD_CAPTURE', `${w}: needs kind and name`);
      const start = hexBig(r.start, `${w}.start`);
      const size = hexBig(r.size, `${w}.size`);
      if (size === 0n) throw new InputError('BAD_CAPTURE', `${w}: size is 0`);
      return { start, end: start + size, kind: r.kind, name: r.name, offset: r.offset === undefined ? 0n : hexBig(r.offset, `${w}.offset`) };
    });
  return { memory: ranges(json.memory, 'memory'), io: ranges(json.io, 'io') };
}
