/**
 * The two capture directory formats this project reads: an fw_cfg item
 * capture (`items.json`, written by `fwcfg capture`, docs/capture-format.md)
 * and a QEMU ROM-blob vector (`manifest.json`, spec-vectors/qemu-7.2/).
 * Commands that accept either (e.g. `fwcfg simulate`) ask which one a
 * directory holds.
 */
import { InputError } from '../errors.js';
import { existingSourceOf, type FileSource } from './file-source.js';

export type CaptureKind = 'items' | 'vector';

export function detectCaptureKind(from: string | FileSource): CaptureKind {
  const source = existingSourceOf(from);
  if (source.has('items.json')) return 'items';
  if (source.has('manifest.json')) return 'vector';
  throw new InputError('NO_VECTOR', `${source.root}: neither an fw_cfg capture (items.json) nor a QEMU vector (manifest.json)`);
}
