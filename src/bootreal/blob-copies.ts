/**
 * Where the firmware put a blob, found from the outside: every place in
 * guest RAM that holds the fw_cfg file's bytes, except the bytes the script
 * may patch (ADD_POINTER fields and ADD_CHECKSUM bytes naming that file).
 * Real firmware does not say where it allocated (SeaBIOS's log does not,
 * OVMF's release build prints nothing), so this is how the corpus found them.
 */
import type { LoaderEntry } from '../loader/entry.js';
import { occurrences, type RamImage } from './ram-image.js';

/** 1 where the script may change the file's byte, 0 where the copy must equal the file. */
export function patchMask(entries: readonly LoaderEntry[], file: string, size: number): Uint8Array {
  const mask = new Uint8Array(size);
  const mark = (from: number, to: number) => mask.fill(1, Math.min(from, size), Math.min(to, size));
  for (const e of entries) {
    if (e.type === 'addPointer' && e.destFile === file) mark(e.offset, e.offset + e.size);
    else if (e.type === 'addChecksum' && e.file === file) mark(e.offset, e.offset + 1);
  }
  return mask;
}

/** The unmasked runs [start, end) of a mask. */
function freeRuns(mask: Uint8Array): [number, number][] {
  const runs: [number, number][] = [];
  let start = -1;
  for (let i = 0; i <= mask.length; i++) {
    const free = i < mask.length && mask[i] === 0;
    if (free && start < 0) start = i;
    else if (!free && start >= 0) {
      runs.push([start, i]);
      start = -1;
    }
  }
  return runs;
}

const ANCHOR = 32;
/** An anchor with fewer distinct byte values matches too often to search 2 GiB with. */
const MIN_DISTINCT = 3;
/** More anchor hits than this: the file repeats itself or memory does; no answer rather than a slow one. */
const MAX_HITS = 4096;

/** Bytes that fill much of a guest's RAM (zeros, erased flash, OVMF's freed pages): a bad first byte for a search. */
const COMMON = new Set([0x00, 0xff, 0xaf]);

/**
 * The most varied unmasked window (≤ 32 bytes) of the file, starting on an
 * uncommon byte: what the search looks for first (Buffer.indexOf skips ahead
 * on the first byte, so a window starting with 0 crawls through zeroed RAM).
 */
function anchorOf(data: Uint8Array, runs: [number, number][]): { at: number; length: number } | undefined {
  let best: { at: number; length: number; score: number } | undefined;
  for (const [s, e] of runs) {
    for (let at = s; at < e; at++) {
      if (COMMON.has(data[at]!)) continue;
      const length = Math.min(ANCHOR, e - at);
      const score = new Set(data.subarray(at, at + length)).size;
      if (best === undefined || score > best.score) best = { at, length, score };
      // the first good window of a run is as good as the later ones for finding copies
      if (score >= 8) break;
    }
  }
  return best !== undefined && best.score >= MIN_DISTINCT ? best : undefined;
}

export interface CopySearch {
  /** Guest-physical bases where the file's bytes lie, outside the patchable ones; ascending. */
  bases: number[];
  /** False when the file is empty or too uniform to be told apart from other memory. */
  locatable: boolean;
}

export function findCopies(image: RamImage, data: Uint8Array, mask: Uint8Array): CopySearch {
  const ram = image.bytes;
  if (data.length === 0) return { bases: [], locatable: false };
  const runs = freeRuns(mask);
  const anchor = anchorOf(data, runs);
  if (anchor === undefined) return { bases: [], locatable: false };
  const needle = Buffer.from(data.buffer, data.byteOffset + anchor.at, anchor.length);
  const whole = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const bases: number[] = [];
  let hits = 0;
  for (const hit of occurrences(image, needle)) {
    if (++hits > MAX_HITS) return { bases: [], locatable: false };
    const base = hit - anchor.at;
    if (base < 0 || base + data.length > ram.length) continue;
    if (runs.every(([s, e]) => ram.compare(whole, s, e, base + s, base + e) === 0)) bases.push(image.base + base);
  }
  return { bases, locatable: true };
}

/** The largest power of two dividing `base` (what alignment the placement shows). */
export function naturalAlignment(base: number): number {
  if (base === 0) return 2 ** 32;
  let a = 1;
  while (base % (a * 2) === 0 && a < 2 ** 32) a *= 2;
  return a;
}
