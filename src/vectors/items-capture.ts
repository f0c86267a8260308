/**
 * Reading an fw_cfg item capture: a directory with `items.json` and one
 * `.bin` per item (the format of spec-vectors/fwcfg-device/<config>/, which
 * `fwcfg capture` also writes). Every item the device served, with its
 * selector key, kind and exact bytes.
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
}

export interface DirectoryRowJson {
  select: string;
  size: number;
  name: string;
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
  items: { key: string; name: string; kind: CapturedItemKind; size: number; sha256: string; bin?: string }[];
  [k: string]: unknown;
}

export interface ItemsCapture {
  dir: string;
  json: ItemsCaptureJson;
  items: CapturedItem[];
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
    return { key, name: it.name, kind: it.kind, size: it.size, bytes };
  });
  return { dir, json, items };
}
