/**
 * The readers of outside directories under hostile input: QEMU vectors
 * (manifest.json and its blobs) and fw_cfg item captures (items.json and its
 * .bin files), read from memory and driven through what users drive: the
 * machine built from them, QEMU's rebuild, firmware boots, migration,
 * qtest, lint.
 * Seeds are the real directories under spec-vectors/; mutants change the
 * JSON as JSON (types, hostile numbers, paths leaving the directory, stage
 * names) and the blobs as bytes (truncated, extended, flipped).
 *
 * Property: whatever the files hold, only the project's typed errors escape.
 */
import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../vectors/package-root.js';
import { generateSequence, profileFromCapture } from '../conformance/generator.js';
import { FwCfgError, UsageError } from '../errors.js';
import { LOADER_FILE } from '../loader/constants.js';
import { lintScript, lintVector } from '../lint/lint.js';
import { captureRebootHazards } from '../lint/reboot-hazard.js';
import { machineFromCapture, type MachineOptions } from '../qemu/emulated-machine.js';
import { isQemuWritableFile } from '../qemu/known-files.js';
import { machineFromVector } from '../qemu/from-vector.js';
import { QtestEndpoint } from '../qtest/endpoint.js';
import { simulateFirmware } from '../simulate/firmware-run.js';
import { migrateCheck } from '../simulate/migrate-check.js';
import { policyFor } from '../simulate/options.js';
import { simulateRebuild } from '../simulate/rebuild-story.js';
import { MemorySource, readTree } from '../vectors/file-source.js';
import { loadItemsCapture, type ItemsCapture } from '../vectors/items-capture.js';
import { Vector } from '../vectors/vector.js';
import { mutateBytes, mutateLoader, mutateText } from './mutate.js';
import { mutateJson, type Json } from './mutate-json.js';
import type { Prng } from '../prng.js';
import type { Surface, Verdict } from './surface.js';

/** A capture directory as files: relative path -> bytes (never changed in place: mutants copy). */
export interface FileSetInput {
  /** The seed it came from: names the source in messages. */
  label: string;
  files: ReadonlyMap<string, Uint8Array>;
}

/** Runs the consumers one after another; the worst verdict wins (a failure over a rejection over ok). */
function drive(steps: (() => void)[]): Verdict {
  let verdict: Verdict = { kind: 'ok' };
  for (const step of steps) {
    try {
      step();
    } catch (err) {
      if (!(err instanceof FwCfgError)) return { kind: 'failure', message: err instanceof Error ? `${err.name}: ${err.message}` : String(err) };
      if (verdict.kind === 'ok') verdict = { kind: 'rejected', code: err.code };
    }
  }
  return verdict;
}

/** Once loading is rejected nothing else can run: the load's verdict is the input's. */
function loaded<T>(load: () => T): { value: T } | Verdict {
  try {
    return { value: load() };
  } catch (err) {
    if (err instanceof FwCfgError) return { kind: 'rejected', code: err.code };
    return { kind: 'failure', message: err instanceof Error ? `${err.name}: ${err.message}` : String(err) };
  }
}

// ------------------------------------------------------------------ seeds

function seedDirs(parent: string): string[] {
  const dir = join(packageRoot(), 'spec-vectors', parent);
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && d.name !== 'transcripts')
    .map((d) => join(dir, d.name))
    .sort();
}

function seedsOf(parents: string[]): FileSetInput[] {
  return parents.flatMap((p) => seedDirs(p).map((dir) => ({ label: `${p}/${dir.split('/').pop()!}`, files: readTree(dir) })));
}

// ------------------------------------------------------------------ mutation

const text = new TextDecoder();
const sha256Hex = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const utf8 = new TextEncoder();
const JSON_WORDS = ['"', ',', '{', '}', '[', ']', ':', 'null', '-1', '1e999', '"../x"', '\\u0000', '0x', ' '];

/** A large blob changed without copying it byte by byte into an array. */
function mutateBlob(r: Prng, b: Uint8Array): Uint8Array {
  if (b.length < 4096) return mutateBytes(r, b);
  switch (r.int(4)) {
    case 0:
      return b.slice(0, r.int(b.length + 1));
    case 1: {
      const out = new Uint8Array(b.length + 1 + r.int(r.chance(0.5) ? 64 : 8192));
      out.set(b);
      return out;
    }
    default: {
      const out = b.slice();
      for (let k = 1 + r.int(8); k > 0; k--) out[r.int(out.length)] ^= 1 << r.int(8);
      return out;
    }
  }
}

interface FileSetMutation {
  /** The JSON file describing the rest. */
  main: string;
  keys: ReadonlySet<string>;
  strings: readonly string[];
  /** The field rows name their blob with (`path`, `bin`). */
  blobField: string;
  /**
   * After a blob changed, its rows get its SHA-256 again (a producer writing
   * a hostile capture would) and, through this, sizes that agree with it, so
   * the mutant gets past the integrity checks into the consumers.
   */
  agree(r: Prng, row: Record<string, Json>, bytes: Uint8Array): void;
}

/** Every object in `doc` whose `field` is `value`. */
function rowsNaming(doc: Json, field: string, value: string): Record<string, Json>[] {
  const out: Record<string, Json>[] = [];
  const walk = (v: Json) => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (typeof v === 'object' && v !== null) {
      if (v[field] === value) out.push(v);
      Object.values(v).forEach(walk);
    }
  };
  walk(doc);
  return out;
}

/** Files the main JSON names (the only ones a mutation of the blobs can matter for). */
function referenced(input: FileSetInput, main: string): string[] {
  const doc = input.files.get(main);
  const body = doc === undefined ? '' : text.decode(doc);
  return [...input.files.keys()].filter((n) => n !== main && body.includes(JSON.stringify(n)));
}

function mutateFileSet(r: Prng, input: FileSetInput, seeds: readonly FileSetInput[], m: FileSetMutation): FileSetInput {
  const files = new Map(input.files);
  const roll = r.int(100);
  const main = files.get(m.main);
  if (roll < 60 && main !== undefined) {
    let doc: Json | undefined;
    try {
      doc = JSON.parse(text.decode(main)) as Json;
    } catch {
      doc = undefined;
    }
    if (doc === undefined || roll < 3) files.set(m.main, utf8.encode(mutateText(r, text.decode(main), JSON_WORDS)));
    else files.set(m.main, utf8.encode(JSON.stringify(mutateJson(r, doc, m))));
  } else if (roll < 95) {
    const names = referenced(input, m.main);
    if (names.length === 0) return { label: input.label, files };
    const name = r.pick(names);
    const b = files.get(name)!;
    if (r.chance(0.05)) files.delete(name);
    else {
      let bytes: Uint8Array;
      if (name.endsWith('table-loader.bin') && b.length % 128 === 0 && r.chance(0.7)) {
        const donors = seeds.flatMap((s) => [...s.files].filter(([n]) => n.endsWith('table-loader.bin')).map(([, d]) => d));
        bytes = mutateLoader(r, b, donors);
      } else bytes = mutateBlob(r, b);
      files.set(name, bytes);
      if (main !== undefined && r.chance(0.85)) {
        try {
          const doc = JSON.parse(text.decode(main)) as Json;
          for (const row of rowsNaming(doc, m.blobField, name)) {
            row['sha256'] = sha256Hex(bytes);
            m.agree(r, row, bytes);
          }
          files.set(m.main, utf8.encode(JSON.stringify(doc)));
        } catch {
          // the main JSON is already broken: nothing to agree with
        }
      }
    }
  } else {
    // a file (or the main JSON) from another seed at the same path: mismatched halves
    const other = r.pick(seeds);
    const name = r.pick([...other.files.keys()]);
    files.set(name, other.files.get(name)!);
  }
  return { label: input.label, files };
}

/** A surface over capture directories: seeds read from spec-vectors/<parents>, mutated as `mutation` says. */
function fileSetSurface(name: string, parents: string[], mutation: FileSetMutation, run: (input: FileSetInput) => Verdict): Surface<FileSetInput> {
  let seeds: FileSetInput[] | undefined;
  return {
    name,
    get seeds() {
      return (seeds ??= seedsOf(parents));
    },
    mutate: (r, input, all) => mutateFileSet(r, input, all, mutation),
    run,
    serialize(input) {
      const out: Record<string, Uint8Array> = {};
      for (const n of [mutation.main, ...referenced(input, mutation.main)]) {
        const b = input.files.get(n);
        if (b !== undefined) out[encodeURIComponent(n)] = b;
      }
      return out;
    },
    deserialize: (files) => ({ label: 'reproducer', files: new Map(Object.entries(files).map(([k, v]) => [decodeURIComponent(k), v])) }),
  };
}

// ------------------------------------------------------------------ vector

/** The manifest keys the consumers take (what most JSON mutations aim at). */
const VECTOR_KEYS = new Set(['config', 'machine_type', 'stages', 'before', 'after', 'after-ovmf', 'after-aavmf', 'roms', 'fw_cfg_file', 'fw_cfg_size', 'path', 'used_length', 'max_length', 'ramblock', 'ramblock_at_start', 'name', 'used', 'max', 'fw_cfg_directory', 'size_at_add', 'key', 'firmware_view', 'first_acpi_file_select', 'qmp_vm_generation_id']);
const VECTOR_STRINGS = ['before', 'after', 'after-ovmf', 'after-aavmf', 'toString', '__proto__', 'etc/table-loader', 'etc/acpi/tables', 'etc/acpi/rsdp', 'etc/vmgenid_guid', 'etc/system-states', 'pc-q35-2.0', 'pc-i440fx-1.7', 'virt', 'microvm', 'pc-q35-99999999999999999999.1', 'bogus', '/rom@etc/acpi/tables', 'pc.ram', 'mach-virt.ram', '00000000-0000-0000-0000-000000000000'];

const policy = policyFor(undefined);

export const vectorSurface = fileSetSurface(
  'vector',
  ['qemu-7.2'],
  {
    main: 'manifest.json',
    keys: VECTOR_KEYS,
    strings: VECTOR_STRINGS,
    blobField: 'path',
    agree(r, row, bytes) {
      if (r.chance(0.5)) return;
      // the fw_cfg file as long as the new blob, its RAM block at least that
      row['fw_cfg_size'] = bytes.length;
      if (typeof row['used_length'] === 'number') row['used_length'] = Math.max(row['used_length'], bytes.length);
      if (typeof row['max_length'] === 'number' && typeof row['used_length'] === 'number') row['max_length'] = Math.max(row['max_length'], row['used_length']);
    },
  },
  (input) => {
    const v = loaded(() => Vector.load(new MemorySource(input.files, input.label)));
    if (!('value' in v)) return v;
    const vector = v.value;
    const firmware = (fw: 'seabios' | 'ovmf') => () => {
      try {
        simulateFirmware(vector, { policy, hostPageSize: 0x1000, firmware: fw }).memory?.release();
      } catch (err) {
        if (!(err instanceof UsageError && err.code === 'FIRMWARE_ARCH')) throw err;
      }
    };
    return drive([
      () => machineFromVector(vector, { policy, hostPageSize: 0x1000 }),
      () => simulateRebuild(vector, { policy, hostPageSize: 0x1000, reset: true }),
      firmware('seabios'),
      firmware('ovmf'),
      () => migrateCheck(vector, { from: policy, to: policyFor('6.0'), fromHostPage: 0x1000, toHostPage: 0x1000, at: 'booted' }),
      () => lintVector(vector),
    ]);
  },
);

// ------------------------------------------------------------------ capture

const CAPTURE_KEYS = new Set(['config', 'argv', 'layout', 'mmio_base', 'file_slots', 'id', 'items', 'key', 'name', 'kind', 'size', 'sha256', 'bin', 'writable', 'memory_map', 'memory', 'io', 'start', 'offset', 'memory_contents', 'address', 'rebuild']);
const CAPTURE_STRINGS = ['io', 'mmio', 'file', 'well-known', 'arch', 'ram', 'rom', 'romd', 'i/o', 'fwcfg', 'fwcfg.dma', 'fwcfg.data', 'fwcfg.ctl', 'pc.ram', '0x0', '0x19', '0x20', '0xffff', '0x10000', '0xffffffffffffffff', '0x10000000000000000', '0x9020000', 'etc/table-loader', 'q35', 'virt', 'seed'];

/** The reference captures (with memory maps) for captures that have none, as `fwcfg qtest` borrows them. */
const references = new Map<string, ItemsCapture>();
function referenceFor(capture: ItemsCapture): MachineOptions {
  if (capture.memoryMap !== undefined) return {};
  const dir = join(packageRoot(), 'spec-vectors/fwcfg-captures');
  if (!seedDirs('fwcfg-captures').some((d) => d === join(dir, capture.json.config))) return {};
  let ref = references.get(capture.json.config);
  if (ref === undefined) references.set(capture.json.config, (ref = loadItemsCapture(join(dir, capture.json.config))));
  if (ref.json.layout !== capture.json.layout) return {};
  return { ...(ref.memoryMap ? { memoryMap: ref.memoryMap } : {}), ...(ref.memoryContents ? { memoryContents: ref.memoryContents } : {}) };
}

/** QEMU's reply shapes (as the device surface checks them). */
const wellFormed = (reply: string) => !reply.includes('\n') && (reply === 'OK' || reply.startsWith('OK ') || /^(ERR|FAIL) ./.test(reply));

export const captureSurface = fileSetSurface(
  'capture',
  ['fwcfg-device', 'fwcfg-captures'],
  {
    main: 'items.json',
    keys: CAPTURE_KEYS,
    strings: CAPTURE_STRINGS,
    blobField: 'bin',
    agree(r, row, bytes) {
      if (r.chance(0.9)) row['size'] = typeof row['size'] === 'string' ? `0x${bytes.length.toString(16)}` : bytes.length;
    },
  },
  (input) => {
    const c = loaded(() => loadItemsCapture(new MemorySource(input.files, input.label)));
    if (!('value' in c)) return c;
    const capture = c.value;
    let bad: string | undefined;
    const verdict = drive([
      () => {
        const options = referenceFor(capture);
        const machine = machineFromCapture(capture, options);
        try {
          // a short generated stream: selects, reads of every width, DMA
          const ep = new QtestEndpoint(machine);
          for (const line of generateSequence(profileFromCapture(capture, capture.memoryMap ?? options.memoryMap), 1, 12)) {
            const reply = ep.handle(line);
            if (!wellFormed(reply)) bad ??= `${line}: reply ${JSON.stringify(reply.slice(0, 80))} is not QEMU's shape`;
          }
        } finally {
          machine.guestMemory.release();
        }
      },
      () => {
        // what `fwcfg lint CAPTURE_DIR` does with a capture that serves a loader
        const files = capture.items.filter((i) => i.kind === 'file').map((i) => ({ name: i.name, data: i.bytes, writable: i.writable ?? isQemuWritableFile(i.name) }));
        if (!files.some((f) => f.name === LOADER_FILE)) return;
        lintScript(input.label, files, { standardFiles: false });
        captureRebootHazards(capture);
      },
    ]);
    return bad !== undefined && verdict.kind !== 'failure' ? { kind: 'failure', message: bad } : verdict;
  },
);
