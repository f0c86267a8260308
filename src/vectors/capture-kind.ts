/**
 * The two capture directory formats this project reads: an fw_cfg item
 * capture (`items.json`, written by `fwcfg capture`, docs/capture-format.md)
 * and a QEMU ROM-blob vector (`manifest.json`, spec-vectors/qemu-7.2/).
 * Commands that accept either (e.g. `fwcfg simulate`) ask which one a
 * directory holds.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../errors.js';

export type CaptureKind = 'items' | 'vector';

export function detectCaptureKind(dir: string): CaptureKind {
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    throw new InputError('NO_VECTOR', `${dir}: no such directory`);
  }
  if (!isDir) throw new InputError('NO_VECTOR', `${dir}: not a directory`);
  if (existsSync(join(dir, 'items.json'))) return 'items';
  if (existsSync(join(dir, 'manifest.json'))) return 'vector';
  throw new InputError('NO_VECTOR', `${dir}: neither an fw_cfg capture (items.json) nor a QEMU vector (manifest.json)`);
}
