/** Writing results: text and JSON to stdout, files with typed errors. */
import { writeFileSync } from 'node:fs';
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

export function writeOutput(path: string, bytes: Uint8Array | string): void {
  try {
    writeFileSync(path, bytes);
  } catch (err) {
    throw new InputError('WRITE_FAILED', `cannot write ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}
