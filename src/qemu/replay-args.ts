/**
 * Starting QEMU again exactly as a capture did: its recorded arguments with
 * `$TMP` pointing at a fresh directory, and the temporary files the capture
 * described (a sparse file of N bytes; a file whose bytes are an item's,
 * found by SHA-256) recreated there.
 */
import { createHash } from 'node:crypto';
import { closeSync, openSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../errors.js';
import type { ItemsCapture } from '../vectors/items-capture.js';

const OWN_FLAGS = new Set(['-qtest', '-qtest-log', '-qmp']);

/** The capture's QEMU command without the sockets (QemuProcess adds its own), $TMP replaced. */
export function replayArgs(capture: ItemsCapture, tmp: string): { binary: string; args: string[] } {
  const argv = capture.json.argv.map((a) => a.replaceAll('$TMP', tmp));
  const args: string[] = [];
  for (let i = 1; i < argv.length; i++) {
    if (OWN_FLAGS.has(argv[i]!)) i++;
    else args.push(argv[i]!);
  }
  return { binary: argv[0]!, args };
}

/** Writes the capture's temp_files into `tmp`. */
export function recreateTempFiles(capture: ItemsCapture, tmp: string): void {
  const files = (capture.json['temp_files'] ?? {}) as Record<string, string>;
  for (const [name, what] of Object.entries(files)) {
    const path = join(tmp, name);
    const sparse = /^sparse file of (\d+) bytes$/.exec(what);
    const hashed = /sha256 ([0-9a-f]{64})/.exec(what);
    if (sparse) {
      closeSync(openSync(path, 'w'));
      truncateSync(path, Number(sparse[1]));
    } else if (hashed) {
      const item = capture.items.find((i) => i.size > 0 && createHash('sha256').update(i.bytes).digest('hex') === hashed[1]);
      if (item === undefined) throw new InputError('BAD_CAPTURE', `${capture.dir}: temp file ${name}: no item has its bytes`);
      writeFileSync(path, item.bytes);
    } else throw new InputError('BAD_CAPTURE', `${capture.dir}: temp file ${name}: cannot recreate "${what}"`);
  }
}
