/**
 * Two outcomes of the same case on the same firmware, held against each
 * other on what the firmware did (timing and provenance fields aside):
 * completion, whether the script was read, SeaBIOS's warnings, every
 * allocated copy's base and final bytes, the write-back, the RSDP, the
 * tables an OS finds and their bytes, and where the OS looks for its RSDP.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

type Json = Record<string, unknown>;

/** An outcome and where its files are: a directory, or the files in memory (a fresh run). */
export interface OutcomeSource {
  json: Json;
  file(path: string): Uint8Array | undefined;
}

export function outcomeFromDir(dir: string): OutcomeSource {
  return {
    json: JSON.parse(readFileSync(join(dir, 'outcome.json'), 'utf8')) as Json,
    file: (path) => (existsSync(join(dir, path)) ? new Uint8Array(readFileSync(join(dir, path))) : undefined),
  };
}

export function outcomeFromFiles(json: Json, files: ReadonlyMap<string, Uint8Array | string>): OutcomeSource {
  return {
    json,
    file: (path) => {
      const f = files.get(path);
      return f === undefined ? undefined : typeof f === 'string' ? new TextEncoder().encode(f) : f;
    },
  };
}

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const get = (o: unknown, ...path: string[]): unknown => path.reduce<unknown>((v, k) => (v !== null && typeof v === 'object' ? (v as Json)[k] : undefined), o);
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

interface Copy {
  base: string;
  sha256?: string;
  path?: string;
}

/** The differences, one line each; empty when the two agree. */
export function compareOutcomes(recorded: OutcomeSource, ours: OutcomeSource): string[] {
  const diffs: string[] = [];
  const check = (what: string, a: unknown, b: unknown) => {
    if (!same(a, b)) diffs.push(`${what}: recorded ${JSON.stringify(a)}, ours ${JSON.stringify(b)}`);
  };
  const r = recorded.json;
  const o = ours.json;
  check('completed', get(r, 'run', 'completed'), get(o, 'run', 'completed'));
  check('loader selected', get(r, 'fw_cfg', 'loader_selected'), get(o, 'fw_cfg', 'loader_selected'));
  const warnings = (x: Json) => ((get(x, 'log', 'warnings') as { text: string }[] | undefined) ?? []).map((w) => w.text);
  check('firmware warnings', warnings(r), warnings(o));

  const ra = (get(r, 'allocations') ?? {}) as Record<string, Json>;
  const oa = (get(o, 'allocations') ?? {}) as Record<string, Json>;
  check('allocated files', Object.keys(ra).sort(), Object.keys(oa).sort());
  for (const [file, rec] of Object.entries(ra)) {
    const mine = oa[file];
    if (mine === undefined) continue;
    check(`${file}: in fw_cfg`, rec['in_fw_cfg'], mine['in_fw_cfg']);
    const rc = (rec['copies'] ?? []) as Copy[];
    const oc = (mine['copies'] ?? []) as Copy[];
    check(`${file}: copies at`, rc.map((c) => c.base), oc.map((c) => c.base));
    for (const c of rc) {
      const m = oc.find((x) => x.base === c.base);
      if (m === undefined) continue;
      const recBytes = c.path !== undefined ? recorded.file(c.path) : undefined;
      const ourBytes = m.path !== undefined ? ours.file(m.path) : undefined;
      check(`${file}@${c.base}: final bytes (sha256)`, recBytes !== undefined ? sha256(recBytes) : c.sha256, ourBytes !== undefined ? sha256(ourBytes) : m.sha256);
    }
    const looks = (x: Json) => ((x['lookalikes'] ?? []) as Copy[]).map((c) => c.base);
    check(`${file}: lookalikes at`, looks(rec), looks(mine));
  }

  check('write-back', get(r, 'write_pointer', 'after_hex'), get(o, 'write_pointer', 'after_hex'));
  check('write-back preset', get(r, 'write_pointer', 'preset_hex'), get(o, 'write_pointer', 'preset_hex'));
  for (const k of ['address', 'bytes_hex', 'rsdt_entries', 'xsdt_entries']) check(`RSDP ${k}`, get(r, 'rsdp', k), get(o, 'rsdp', k));
  check('RSDP candidates', get(r, 'rsdp_candidates_fseg') ?? get(r, 'rsdp_candidates_all_ram'), get(o, 'rsdp_candidates_fseg') ?? get(o, 'rsdp_candidates_all_ram'));
  const efi = (x: Json) => ((get(x, 'efi_configuration_table_acpi') ?? []) as Json[]).map((e) => [e['guid'], e['config_table_entry'], e['rsdp']]);
  check('EFI configuration table (ACPI entries)', efi(r), efi(o));

  const tables = (x: Json) => ((get(x, 'tables') ?? []) as Json[]).map((t) => ({ signature: t['signature'], address: t['address'], length: t['length'], checksum_ok: t['checksum_ok'], path: t['path'] as string | undefined }));
  const rt = tables(r);
  const ot = tables(o);
  check('tables (signature@address)', rt.map((t) => `${String(t.signature)}@${String(t.address)}`), ot.map((t) => `${String(t.signature)}@${String(t.address)}`));
  for (const t of rt) {
    const m = ot.find((x) => x.signature === t.signature && x.address === t.address);
    if (m === undefined) continue;
    check(`${String(t.signature)}@${String(t.address)}: length, checksum`, [t.length, t.checksum_ok], [m.length, m.checksum_ok]);
    if (t.path !== undefined) {
      const a = recorded.file(t.path);
      const b = m.path !== undefined ? ours.file(m.path) : undefined;
      check(`${String(t.signature)}@${String(t.address)}: bytes (sha256)`, a && sha256(a), b && sha256(b));
    }
  }
  return diffs;
}
