/**
 * Reading a QEMU capture directory (`<config>/manifest.json` plus stage
 * folders of blobs). Blobs on disk hold the RAMBlock's whole used length; the
 * fw_cfg file is their first `fw_cfg_size` bytes.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../errors.js';
import type { RomRow, StageManifest, VectorManifest } from './manifest.js';

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

export function readJson(path: string, what = 'JSON file'): unknown {
  const text = new TextDecoder().decode(readBytes(path, what));
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new InputError('BAD_JSON', `${path}: not valid JSON (${(err as Error).message})`);
  }
}

export class Vector {
  readonly dir: string;
  readonly manifest: VectorManifest;

  private constructor(dir: string, manifest: VectorManifest) {
    this.dir = dir;
    this.manifest = manifest;
  }

  static load(dir: string): Vector {
    let isDir = false;
    try {
      isDir = statSync(dir).isDirectory();
    } catch {
      throw new InputError('NO_VECTOR', `${dir}: no such directory`);
    }
    if (!isDir) throw new InputError('NO_VECTOR', `${dir}: not a directory`);
    const m = readJson(join(dir, 'manifest.json'), 'vector manifest') as VectorManifest;
    if (typeof m !== 'object' || m === null || typeof m.stages !== 'object' || m.stages === null) {
      throw new InputError('BAD_MANIFEST', `${join(dir, 'manifest.json')}: no "stages" object`);
    }
    return new Vector(dir, m);
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
    const s = this.manifest.stages[name];
    if (s === undefined) throw new InputError('NO_STAGE', `${this.dir}: no stage ${JSON.stringify(name)} (have ${this.stageNames.join(', ')})`);
    return s;
  }

  rom(stage: string, file: string): RomRow {
    const r = (this.stage(stage).roms ?? []).find((x) => x.fw_cfg_file === file);
    if (r === undefined) throw new InputError('NO_ROM', `${this.dir}: stage ${stage} has no ROM blob ${JSON.stringify(file)}`);
    return r;
  }

  hasRom(stage: string, file: string): boolean {
    return this.hasStage(stage) && (this.stage(stage).roms ?? []).some((x) => x.fw_cfg_file === file);
  }

  /** The fw_cfg file's bytes (the RAMBlock dump trimmed to `fw_cfg_size`). */
  romBytes(stage: string, file: string): Uint8Array {
    const r = this.rom(stage, file);
    const block = readBytes(join(this.dir, r.path), `ROM blob ${file}`);
    if (block.length < r.fw_cfg_size) {
      throw new InputError('SHORT_BLOB', `${join(this.dir, r.path)}: ${block.length} bytes, manifest says the file is ${r.fw_cfg_size}`);
    }
    return block.subarray(0, r.fw_cfg_size);
  }

  /** The whole RAMBlock dump (used length) of a ROM blob. */
  romBlock(stage: string, file: string): Uint8Array {
    return readBytes(join(this.dir, this.rom(stage, file).path), `ROM blob ${file}`);
  }

  path(...parts: string[]): string {
    return join(this.dir, ...parts);
  }
}
