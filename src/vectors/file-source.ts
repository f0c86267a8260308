/**
 * Where a reader's files come from: a directory on disk, or an in-memory map
 * of relative path -> bytes (the fuzzers, tests, anything not on disk). Every
 * path a manifest names goes through `safeRelativePath` first: a capture must
 * never make us read outside the directory we were given.
 */
import { readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { join, relative, isAbsolute } from 'node:path';
import { InputError } from '../errors.js';

export interface FileSource {
  /** The directory, or the in-memory source's label: what reports and messages start from. */
  readonly root: string;
  /** A path inside the source as messages name it. */
  describe(rel: string): string;
  has(rel: string): boolean;
  /** The file's bytes (a copy the caller owns); `what` names it in errors. */
  read(rel: string, what: string): Uint8Array;
}

/** Why `rel` cannot name a file inside a root, or undefined when it can. */
export function unsafePathReason(rel: string): string | undefined {
  if (rel === '') return 'is empty';
  if (rel.includes('\0')) return 'contains a NUL byte';
  if (rel.includes('\\')) return 'contains a backslash';
  if (rel.startsWith('/') || isAbsolute(rel) || /^[A-Za-z]:/.test(rel)) return 'is absolute';
  const parts = rel.split('/');
  if (parts.includes('..')) return 'has a ".." segment';
  if (parts.every((p) => p === '' || p === '.')) return 'names no file';
  return undefined;
}

/**
 * `rel` as a normalised relative path (no empty or `.` segments), or a typed
 * error saying why it may not be used; `where` says who named it.
 */
export function safeRelativePath(rel: string, where: string): string {
  const reason = unsafePathReason(rel);
  if (reason !== undefined) throw new InputError('UNSAFE_PATH', `${where}: path ${JSON.stringify(rel)} ${reason}`);
  return rel
    .split('/')
    .filter((p) => p !== '' && p !== '.')
    .join('/');
}

const READ_REASONS: Record<string, string> = { ENOENT: 'no such file', EISDIR: 'is a directory', EACCES: 'permission denied', ENOTDIR: 'no such file' };

export class DirectorySource implements FileSource {
  readonly root: string;
  private realRoot: string | undefined;

  constructor(root: string) {
    this.root = root;
  }

  describe(rel: string): string {
    return join(this.root, rel);
  }

  has(rel: string): boolean {
    try {
      this.resolve(rel);
      return true;
    } catch {
      return false;
    }
  }

  read(rel: string, what: string): Uint8Array {
    const path = this.resolve(rel, what);
    try {
      const b = readFileSync(path);
      return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? '';
      throw new InputError('READ_FAILED', `cannot read ${what} ${this.describe(rel)}: ${READ_REASONS[code] ?? (err as Error).message}`);
    }
  }

  /** The file's path on disk, after checking that it (symlinks followed) stays inside the root. */
  private resolve(rel: string, what = 'file'): string {
    const path = join(this.root, safeRelativePath(rel, this.root));
    let real: string;
    try {
      this.realRoot ??= realpathSync(this.root);
      real = realpathSync(path);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? '';
      throw new InputError('READ_FAILED', `cannot read ${what} ${this.describe(rel)}: ${READ_REASONS[code] ?? (err as Error).message}`);
    }
    const inside = relative(this.realRoot, real);
    if (inside === '' || inside === '..' || inside.startsWith('../') || isAbsolute(inside)) {
      throw new InputError('UNSAFE_PATH', `${this.describe(rel)}: leads outside ${this.root} (a symbolic link)`);
    }
    return path;
  }
}

export class MemorySource implements FileSource {
  readonly root: string;
  private readonly files = new Map<string, Uint8Array>();

  /** `label` stands for the directory in messages ('' names files alone). */
  constructor(files: ReadonlyMap<string, Uint8Array> | Readonly<Record<string, Uint8Array>>, label = '') {
    this.root = label;
    for (const [rel, bytes] of files instanceof Map ? files : Object.entries(files)) this.files.set(safeRelativePath(rel, label || 'in-memory source'), bytes);
  }

  describe(rel: string): string {
    return this.root === '' ? rel : `${this.root}/${rel}`;
  }

  has(rel: string): boolean {
    return unsafePathReason(rel) === undefined && this.files.has(safeRelativePath(rel, this.root));
  }

  read(rel: string, what: string): Uint8Array {
    const b = this.files.get(safeRelativePath(rel, this.root || 'in-memory source'));
    if (b === undefined) throw new InputError('READ_FAILED', `cannot read ${what} ${this.describe(rel)}: no such file`);
    // a copy: consumers may patch what they read, the source stays as given
    return b.slice();
  }

  /** Every file, by normalised relative path. */
  entries(): IterableIterator<[string, Uint8Array]> {
    return this.files.entries();
  }
}

/** A directory string keeps meaning the directory (existing callers); a source is used as it is. */
export function sourceOf(from: string | FileSource): FileSource {
  return typeof from === 'string' ? new DirectorySource(from) : from;
}

/** Like sourceOf, but a directory given by name must exist (what the capture commands have always checked first). */
export function existingSourceOf(from: string | FileSource): FileSource {
  if (typeof from !== 'string') return from;
  let isDir = false;
  try {
    isDir = statSync(from).isDirectory();
  } catch {
    throw new InputError('NO_VECTOR', `${from}: no such directory`);
  }
  if (!isDir) throw new InputError('NO_VECTOR', `${from}: not a directory`);
  return new DirectorySource(from);
}

/** Every regular file under `dir` (recursively), by relative path with `/` separators. */
export function readTree(dir: string): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  const walk = (rel: string) => {
    for (const d of readdirSync(join(dir, rel), { withFileTypes: true })) {
      const r = rel === '' ? d.name : `${rel}/${d.name}`;
      if (d.isDirectory()) walk(r);
      else if (d.isFile()) out.set(r, new Uint8Array(readFileSync(join(dir, r))));
    }
  };
  walk('');
  return out;
}
