/**
 * A conformance case (spec-vectors/firmware-conformance/<case>): a loader
 * script, its fw_cfg files, and how the real firmware was run on it (q35,
 * acpi=off, 2 GiB; a preset written into the WRITE_POINTER target first).
 */
import { gunzipSync } from 'node:zlib';
import { fromHex } from '../bytes.js';
import { InputError } from '../errors.js';
import { sourceOf, type FileSource } from '../vectors/file-source.js';
import { array, boolean, hexBytes, object, optional, parseJson, record, relativePath, size, string, u32, validate, type Check } from '../vectors/schema.js';
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

/** case.json as this project reads it. */
export const caseJson: Check<CaseJson> = object({
  id: string,
  title: string,
  probes: optional(string),
  spec_rows: optional(array(size)),
  spec_predicts: optional(record(string)),
  entries_under_test: optional(array(size)),
  notes: optional(array(string)),
  fw_cfg_files: array(object({ fw_cfg_name: string, path: relativePath, size: u32, gzip: optional(boolean) })),
  qemu: object({ machine: array(string), extra_args: array(string) }),
  observation: object({ write_pointer_target: optional(string), write_pointer_target_preset_hex: optional(hexBytes) }),
});

/** A gzipped case file, never inflated past the size case.json gives it (a bomb stops there). */
function gunzip(raw: Uint8Array, size: number, where: string): Uint8Array {
  try {
    return new Uint8Array(gunzipSync(raw, { maxOutputLength: Math.max(1, size + 1) }));
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' ? `inflates past the ${size} bytes case.json says` : `is not valid gzip (${(err as Error).message})`;
    throw new InputError('BAD_CASE', `${where} ${why}`);
  }
}

/** A conformance case from its directory, or from any file source (e.g. in memory). */
export function loadCase(from: string | FileSource): CorpusCase {
  const source = sourceOf(from);
  const file = source.describe('case.json');
  const json = validate(caseJson, parseJson(source.read('case.json', 'conformance case'), file), file, 'BAD_CASE');
  const files: ExecFile[] = json.fw_cfg_files.map((f) => {
    const raw = source.read(f.path, `case file ${f.fw_cfg_name}`);
    const data = f.gzip === true ? gunzip(raw, f.size, source.describe(f.path)) : raw;
    if (data.length !== f.size) throw new InputError('BAD_CASE', `${source.root}: ${f.path} is ${data.length} bytes, case.json says ${f.size}`);
    return { name: f.fw_cfg_name, data };
  });
  const extra = json.qemu.extra_args;
  const dma = !extra.some((a, i) => a === '-global' && /dma_enabled=off/.test(extra[i + 1] ?? ''));
  const targetName = json.observation.write_pointer_target;
  const preset = fromHex(json.observation.write_pointer_target_preset_hex ?? '');
  // without DMA the harness cannot preset the target: it keeps QEMU's zeros
  const target = targetName === undefined ? undefined : { name: targetName, preset: dma && preset !== undefined ? preset : new Uint8Array(8) };
  return { id: json.id, dir: source.root, json, files, dma, target };
}
