/**
 * Reading a QEMU capture directory (`<config>/manifest.json` plus stage
 * folders of blobs). Blobs on disk hold the RAMBlock's whole used length; the
 * fw_cfg file is their first `fw_cfg_size` bytes.
 */
import { readFileSync } from 'node:fs';
import { InputError } from '../errors.js';
import { existingSourceOf, type FileSource } from './file-source.js';
import { vectorManifest, type RomRow, type StageManifest, type VectorManifest } from './manifest.js';
import { parseJson, validate } from './schema.js';
import type { ItemsCapture } from './items-capture.js';

/** Reads a whole file (`-` is stdin) with a typed error naming it. */
export function readBytes(path: string, what = 'file'): Uint8Array {
  try {
    const b = readFileSync(path === '-' ? 0 : path);
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : code === 'EACCES' ? 'permission denied' : (err as Error).message;
    throw new InputError('READ_FAILED', `cannot read ${what} ${path}: ${reason}`);
  }
}


/**
 * A stage whose QEMU ended before the firmware's rebuild could be read
 * (`qemu_exit`, e.g. QEMU 5.2 aborting on the seed: spec-vectors/qemu-5.2)
 * holds no blobs: it moves to `qemu_exits` (the same record a capture
 * keeps, vectors/configuration.ts), with what QEMU printed.
 */
function recordedExits(json: unknown, file: string): unknown {
  const m = json as { stages?: Record<string, Record<string, unknown>>; qemu_exits?: unknown };
  if (typeof m !== 'object' || m === null || typeof m.stages !== 'object' || m.stages === null) return json;
  const exits: Record<string, unknown> = {};
  const stages: Record<string, unknown> = {};
  for (const [name, stage] of Object.entries(m.stages)) {
    const exit = typeof stage === 'object' && stage !== null ? (stage['qemu_exit'] as { signal?: unknown; returncode?: unknown } | undefined) : undefined;
    if (exit === undefined || exit === null || Array.isArray(stage['roms'])) {
      stages[name] = stage;
      continue;
    }
    const output = stage['qemu_output'];
    if (typeof output !== 'string') throw new InputError('BAD_MANIFEST', `${file}: stages.${name}: qemu_exit without qemu_output (what QEMU printed)`);
    exits[name] = { status: typeof exit.signal === 'string' ? exit.signal : `exit status ${String(exit.returncode)}`, stderr: output.split('\n').filter((l) => l.trim() !== ''), during_boot: true };
  }
  return Object.keys(exits).length === 0 ? json : { ...m, stages, qemu_exits: exits };
}

export class Vector {
  /** The directory, or the in-memory source's label. */
  readonly dir: string;
  readonly source: FileSource;
  readonly manifest: VectorManifest;
  /** For a vector built from a capture: the capture itself (its items, plain files, unprogrammed rebuild). */
  readonly items: ItemsCapture | undefined;

  private constructor(source: FileSource, manifest: VectorManifest, items?: ItemsCapture) {
    this.dir = source.root;
    this.source = source;
    this.manifest = manifest;
    this.items = items;
  }

  /** A capture from its directory, or from any file source (e.g. in memory). */
  static load(from: string | FileSource): Vector {
    const source = existingSourceOf(from);
    const file = source.describe('manifest.json');
    const m = validate(vectorManifest, recordedExits(parseJson(source.read('manifest.json', 'vector manifest'), file), file), file, 'BAD_MANIFEST');
    return new Vector(source, m);
  }

  /** A vector whose manifest was built elsewhere (a capture's, vectors/configuration.ts), checked like one read from disk. */
  static fromManifest(source: FileSource, manifest: VectorManifest, items: ItemsCapture): Vector {
    const m = validate(vectorManifest, manifest, `${source.describe('items.json')} (as a vector)`, 'BAD_CAPTURE');
    return new Vector(source, m, items);
  }

  get name(): string {
    return this.manifest.config;
  }

  get stageNames(): string[] {
    return Object.keys(this.manifest.stages);
  }

  hasStage(name: string): boolean {
    return Object.hasOwn(this.manifest.stages, name);
  }

  stage(name: string): StageManifest {
    if (!this.hasStage(name)) throw new InputError('NO_STAGE', `${this.dir}: no stage ${JSON.stringify(name)} (have ${this.stageNames.join(', ')})`);
    return this.manifest.stages[name]!;
  }

  rom(stage: string, file: string): RomRow {
    const r = this.stage(stage).roms.find((x) => x.fw_cfg_file === file);
    if (r === undefined) throw new InputError('NO_ROM', `${this.dir}: stage ${stage} has no ROM blob ${JSON.stringify(file)}`);
    return r;
  }

  hasRom(stage: string, file: string): boolean {
    return this.hasStage(stage) && this.stage(stage).roms.some((x) => x.fw_cfg_file === file);
  }

  /** The fw_cfg file's bytes (the RAMBlock dump trimmed to `fw_cfg_size`). */
  romBytes(stage: string, file: string): Uint8Array {
    const r = this.rom(stage, file);
    const block = this.source.read(r.path, `ROM blob ${file}`);
    if (block.length < r.fw_cfg_size) {
      throw new InputError('SHORT_BLOB', `${this.source.describe(r.path)}: ${block.length} bytes, manifest says the file is ${r.fw_cfg_size}`);
    }
    return block.subarray(0, r.fw_cfg_size);
  }

  /** The whole RAMBlock dump (used length) of a ROM blob. */
  romBlock(stage: string, file: string): Uint8Array {
    return this.source.read(this.rom(stage, file).path, `ROM blob ${file}`);
  }

  /** A file of the capture as messages name it (the path on disk for a directory). */
  path(...parts: string[]): string {
    return this.source.describe(parts.join('/'));
  }
}
