import { join } from 'node:path';
import { machineFromCapture, type EmulatedMachine } from '../../src/qemu/emulated-machine.js';
import { QtestEndpoint } from '../../src/qtest/endpoint.js';
import { loadItemsCapture, type ItemsCapture } from '../../src/vectors/items-capture.js';
import { ROOT } from './paths.js';

export const CONFIGS = ['q35', 'pc', 'seed', 'q35-userfiles', 'pc-i440fx-2.0', 'virt'] as const;
export type Config = (typeof CONFIGS)[number];

export const SHARED_DIR = join(ROOT, 'spec-vectors', 'fwcfg-device');
export const REFERENCE_DIR = join(ROOT, 'spec-vectors', 'fwcfg-captures');

const cache = new Map<string, ItemsCapture>();

/** The shared capture (items only, no memory map). */
export function sharedCapture(config: string): ItemsCapture {
  const k = `shared:${config}`;
  if (!cache.has(k)) cache.set(k, loadItemsCapture(join(SHARED_DIR, config)));
  return cache.get(k)!;
}

/** The capture `fwcfg capture` made of the same configuration (memory map, contents, writability). */
export function referenceCapture(config: string): ItemsCapture {
  const k = `ref:${config}`;
  if (!cache.has(k)) cache.set(k, loadItemsCapture(join(REFERENCE_DIR, config)));
  return cache.get(k)!;
}

/** A fresh machine: the shared items (ground truth) over the reference memory map, or the reference capture alone. */
export function machine(config: string, from: 'shared' | 'reference' = 'shared'): EmulatedMachine {
  const ref = referenceCapture(config);
  if (from === 'reference') return machineFromCapture(ref);
  return machineFromCapture(sharedCapture(config), { memoryMap: ref.memoryMap!, memoryContents: ref.memoryContents! });
}

export function endpoint(config: string, from: 'shared' | 'reference' = 'shared'): QtestEndpoint {
  return new QtestEndpoint(machine(config, from));
}

export interface TranscriptStep {
  line: number;
  request: string;
  reply: string;
  step: string;
}

/** `> request` / `< reply` pairs of a transcript, with the `## step` each belongs to. */
export function parseTranscript(text: string): TranscriptStep[] {
  const out: TranscriptStep[] = [];
  let step = '';
  let pending: { line: number; request: string } | undefined;
  text.split('\n').forEach((l, i) => {
    if (l.startsWith('## ')) step = l.slice(3);
    else if (l.startsWith('> ')) pending = { line: i + 1, request: l.slice(2) };
    else if (l.startsWith('< ')) {
      out.push({ ...pending!, reply: l.slice(2), step });
      pending = undefined;
    }
  });
  return out;
}

/** The config line of a transcript header (`# config: q35`). */
export function transcriptConfig(text: string): string {
  return /^# config: (\S+)$/m.exec(text)![1]!;
}
