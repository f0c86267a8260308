/** Writing results: text and JSON to stdout, files with typed errors. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { InputError } from '../errors.js';

export interface Io {
  out(text: string): void;
  outBytes(bytes: Uint8Array): void;
  err(text: string): void;
  /** Where line-protocol commands (fwcfg qtest) read requests; process.stdin when absent. */
  input?: AsyncIterable<string | Uint8Array>;
}

export const processIo: Io = {
  out: (text) => void process.stdout.write(text),
  outBytes: (bytes) => void process.stdout.write(bytes),
  err: (text) => void process.stderr.write(text),
};

/** JSON as printed by every `--json` flag: two-space indent, trailing newline. */
export function jsonText(value: unknown): string {
  return JSON.stringify(value, null, 2) + '\n';
}

/** An operating-system error in words (EISDIR is for programmers). */
function reason(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  const words: Record<string, string> = {
    EISDIR: 'it is a directory',
    EEXIST: 'a file of that name exists',
    ENOTDIR: 'a part of the path is a file, not a directory',
    ENOENT: 'its directory does not exist',
    EACCES: 'permission denied',
    EPERM: 'permission denied',
    EROFS: 'the file system is read-only',
    ENOSPC: 'no space left on the device',
  };
  return (code !== undefined ? words[code] : undefined) ?? (err as Error).message;
}

export function writeOutput(path: string, bytes: Uint8Array | string): void {
  try {
    writeFileSync(path, bytes);
  } catch (err) {
    throw new InputError('WRITE_FAILED', `cannot write ${path}: ${reason(err)}`);
  }
}

/** An output directory (and its parents), created if absent. */
export function makeOutputDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (err) {
    throw new InputError('WRITE_FAILED', `cannot create directory ${dir}: ${reason(err)}`);
  }
}

/** A byte count as every account prints it: decimal, with the hex QEMU's messages and `info ramblock` use beside it. */
export function byteCount(n: number): string {
  return `${n} bytes (0x${n.toString(16)})`;
}

/** Guest addresses and RAM-block lengths: lowercase hex, unpadded, as QEMU prints them. */
export const hx = (n: number): string => '0x' + n.toString(16);
