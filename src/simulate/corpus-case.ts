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
  /** S3 offered to the guest (`-global ICH9-LPC.disable_s3=1` turns it off). */
  s3: boolean;
  /** `-global fw_cfg_io.x-file-slots=N`; undefined: the machine type's default. */
  fileSlots: number | undefined;
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
  const { dma, s3, fileSlots } = machineSettings(json.qemu, source.describe('case.json'));
  const targetName = json.observation.write_pointer_target;
  const preset = fromHex(json.observation.write_pointer_target_preset_hex ?? '');
  // without DMA the harness cannot preset the target: it keeps QEMU's zeros
  const target = targetName === undefined ? undefined : { name: targetName, preset: dma && preset !== undefined ? preset : new Uint8Array(8) };
  return { id: json.id, dir: source.root, json, files, dma, s3, fileSlots, target };
}

/** The machine every case runs on (scripts/gen-conformance-cases.mjs, shared/vectors/firmware-conformance). */
const CASE_MACHINE = ['-machine', 'q35,acpi=off', '-smp', '1', '-m', '2G'];

/**
 * What a case's QEMU arguments change on that machine. An argument this
 * model does not know is refused: running the case without it would answer
 * for another machine.
 */
function machineSettings(qemu: { machine: string[]; extra_args: string[] }, where: string): { dma: boolean; s3: boolean; fileSlots: number | undefined } {
  if (qemu.machine.join(' ') !== CASE_MACHINE.join(' ')) throw new InputError('BAD_CASE', `${where}: the case runs ${qemu.machine.join(' ')}; the model runs cases on ${CASE_MACHINE.join(' ')} only`);
  const settings = { dma: true, s3: true, fileSlots: undefined as number | undefined };
  const extra = qemu.extra_args;
  for (let i = 0; i < extra.length; i += 2) {
    const value = extra[i + 1] ?? '';
    const slots = /^fw_cfg_io\.x-file-slots=(\d+)$/.exec(value);
    if (extra[i] !== '-global') throw new InputError('BAD_CASE', `${where}: QEMU argument ${JSON.stringify(extra[i])} is not modelled (only -global fw_cfg_io.dma_enabled=off, ICH9-LPC.disable_s3=1, fw_cfg_io.x-file-slots=N)`);
    if (value === 'fw_cfg_io.dma_enabled=off') settings.dma = false;
    else if (value === 'ICH9-LPC.disable_s3=1') settings.s3 = false;
    else if (slots !== null) settings.fileSlots = Number(slots[1]);
    else throw new InputError('BAD_CASE', `${where}: -global ${JSON.stringify(value)} is not modelled (only fw_cfg_io.dma_enabled=off, ICH9-LPC.disable_s3=1, fw_cfg_io.x-file-slots=N)`);
  }
  return settings;
}
