/**
 * The two directory formats this project reads, as the library has always
 * named them: an fw_cfg item capture (`items.json`, written by `fwcfg
 * capture`, docs/capture-format.md) and a QEMU ROM-blob vector
 * (`manifest.json`, spec-vectors/qemu-7.2/). The decision is the one reader's
 * (vectors/configuration.ts).
 */
import { configurationKind } from './configuration.js';
import type { FileSource } from './file-source.js';

export type CaptureKind = 'items' | 'vector';

export function detectCaptureKind(from: string | FileSource): CaptureKind {
  return configurationKind(from) === 'capture' ? 'items' : 'vector';
}
