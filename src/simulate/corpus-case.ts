/**
 * A conformance case (spec-vectors/firmware-conformance/<case>): a loader
 * script, its fw_cfg files, and how the real firmware was run on it (q35,
 * acpi=off, 2 GiB; a preset written into the WRITE_POINTER target first).
 */
import { gunzipSync } from 'node:zlib';
import { join } from 'node:path';
import { fromHex } from '../bytes.js';
import { InputError } from '../errors.js';
import { readBytes, readJson } from '../vectors/vector.js';
import type { ExecFile } from './exec-machine.js';

export interface CaseJson {
  id: string;
  title: string;
  probes?: string;
  spec_rows?: number[];
  spec_predicts?: Record<string, string>;
  entries_under_test?: number[];
  notes?: string[];
  fw_cfg_files: { fw_cfg_name: string; path: string; size: number; gzip?: boolean }[];
  qemu: { machine: string[]; extra_args: string[] };
  observation: { write_pointer_target?: string; write_pointer_target_preset_hex?: string };
  [k: string]: unknown;
}

export interface CorpusCase {
  id: string;
  dir: string;
  json: CaseJson;
  files: ExecFile[];
  dma: boolean;
  /** The writable file WRITE_POINTERs aim at, and what it held before the firmware ran. */
  target: { name: string; preset: Uint8Array } | undefined;
}

export function loadCase(dir: string): CorpusCase {
  const json = readJson(join(dir, 'case.json'), 'conformance case') as CaseJson;
  if (typeof json !== 'object' || json === null || !Array.isArray(json.fw_cfg_files)) throw new InputError('BAD_CASE', `${dir}/case.json: no fw_cfg_files`);
  const files: ExecFile[] = json.fw_cfg_files.map((f) => {
    const raw = readBytes(join(dir, f.path), `case file ${f.fw_cfg_name}`);
    const data = f.gzip === true ? new Uint8Array(gunzipSync(raw)) : raw;
    if (data.length !== f.size) throw new InputError('BAD_CASE', `${dir}: ${f.path} is ${data.length} bytes, case.json says ${f.size}`);
    return { name: f.fw_cfg_name, data };
  });
  const extra = json.qemu?.extra_args ?? [];
  const dma = !extra.some((a, i) => a === '-global' && /dma_enabled=off/.test(extra[i + 1] ?? ''));
  const targetName = json.observation?.write_pointer_target;
  const preset = fromHex(json.observation?.write_pointer_target_preset_hex ?? '');
  // without DMA the harness cannot preset the target: it keeps QEMU's zeros
  const target = targetName === undefined ? undefined : { name: targetName, preset: dma && preset !== undefined ? preset : new Uint8Array(8) };
  return { id: json.id, dir, json, files, dma, target };
}
