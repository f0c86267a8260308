/**
 * Reading what QEMU's human monitor prints: `info mtree -f` (flat views of
 * every address space) and `info ramblock`, into the capture format's JSON
 * shapes.
 */
import { InputError } from '../errors.js';
import type { MemoryMapJson, MemoryRangeJson } from '../vectors/items-capture.js';

export interface FlatView {
  addressSpaces: string[];
  root: string;
  ranges: MemoryRangeJson[];
}

const RANGE = /^\s*([0-9a-f]+)-([0-9a-f]+) \(prio (-?\d+), ([^)]+)\): (.*?)(?: @([0-9a-f]+))?(?: KVM)?\s*$/;
const AS_LINE = /^\s*AS "([^"]*)", root: (.*)$/;

const hex = (n: bigint) => '0x' + n.toString(16);

/** Every flat view of `info mtree -f`, with the address spaces that share it. */
export function parseFlatViews(text: string): FlatView[] {
  const views: FlatView[] = [];
  let cur: FlatView | undefined;
  for (const line of text.split(/\r?\n/)) {
    if (/^FlatView #\d+/.test(line)) {
      cur = { addressSpaces: [], root: '', ranges: [] };
      views.push(cur);
      continue;
    }
    if (cur === undefined) continue;
    const as = AS_LINE.exec(line);
    if (as) {
      cur.addressSpaces.push(as[1]!);
      continue;
    }
    const root = /^\s*Root memory region: (.*)$/.exec(line);
    if (root) {
      cur.root = root[1]!;
      continue;
    }
    const m = RANGE.exec(line);
    if (m) {
      const start = BigInt('0x' + m[1]);
      const last = BigInt('0x' + m[2]);
      const r: MemoryRangeJson = { start: hex(start), size: hex(last - start + 1n), kind: m[4]!.trim(), name: m[5]!, prio: Number(m[3]) };
      if (m[6] !== undefined) r.offset = hex(BigInt('0x' + m[6]));
      cur.ranges.push(r);
    }
  }
  return views;
}

/** The memory map of a capture: the flat views of "memory" and "I/O". */
export function memoryMapFromMtree(text: string): MemoryMapJson {
  const views = parseFlatViews(text);
  const pick = (as: string) => views.find((v) => v.addressSpaces.includes(as));
  const memory = pick('memory');
  const io = pick('I/O');
  if (memory === undefined) throw new InputError('BAD_MTREE', 'info mtree -f: no flat view for address space "memory"');
  return { source: 'info mtree -f', memory: memory.ranges, io: io?.ranges ?? [] };
}

export interface RamBlockInfo {
  name: string;
  page_size: string;
  offset: number;
  used: number;
  max: number;
}

/** `info ramblock`: Block Name, PSize, Offset, Used, Total. */
export function parseRamBlocks(text: string): RamBlockInfo[] {
  const out: RamBlockInfo[] = [];
  for (const line of text.split(/\r?\n/)) {
    // QEMU 9.x and later add HVA and RO columns after Total
    const m = /^\s*(\S+)\s+(\d+ \S+)\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)(?:\s+0x[0-9a-f]+\s+r[ow])?\s*$/.exec(line);
    if (m) out.push({ name: m[1]!, page_size: m[2]!, offset: parseInt(m[3]!, 16), used: parseInt(m[4]!, 16), max: parseInt(m[5]!, 16) });
  }
  return out;
}
