/**
 * Guest RAM of a stopped QEMU, read with QMP `pmemsave` in chunks (through a
 * RAM-backed file system when there is one, so the dump never touches the
 * disk), held as one buffer and seen through GuestMemory so the ACPI walk
 * reads it as it reads the emulator's memory.
 */
import { closeSync, existsSync, openSync, readSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { GuestMemory } from '../memory/guest-memory.js';
import { QemuError } from '../qemu/live/errors.js';
import type { QemuProcess } from '../qemu/live/qemu-process.js';

const CHUNK = 256 * 2 ** 20;

/**
 * One buffer per process, reused by every dump: touching 2 GiB of fresh
 * memory costs seconds of page faults (0.9 to 5.6 s measured here), a
 * rewrite of the same buffer 0.4 s. An image is therefore valid until the
 * next dumpRam in this process.
 */
let reusable: Buffer | undefined;

export interface RamImage {
  /** Guest-physical address `base` .. base + bytes.length (shared with the next dump: see `reusable`). */
  bytes: Buffer;
  /** The guest-physical address of bytes[0]: 0 on x86, 0x40000000 on arm virt. */
  base: number;
  memory: GuestMemory;
  /** Where RAM is not all zeros, in 64 KiB blocks (merged, ascending): the only places worth searching. */
  nonZero: [number, number][];
}

const BLOCK = 0x10000;
const ZERO_BLOCK = Buffer.alloc(BLOCK);

/**
 * The non-zero 64 KiB blocks. Reading 2 GiB costs about 1.3 s of memory
 * bandwidth here; after this one pass every search covers only the few MiB a
 * firmware touched.
 */
function nonZeroSpans(bytes: Buffer): [number, number][] {
  const spans: [number, number][] = [];
  for (let at = 0; at < bytes.length; at += BLOCK) {
    const end = Math.min(bytes.length, at + BLOCK);
    if (bytes.compare(ZERO_BLOCK, 0, end - at, at, end) === 0) continue;
    const last = spans.at(-1);
    if (last !== undefined && last[1] === at) last[1] = end;
    else spans.push([at, end]);
  }
  return spans;
}

/**
 * Every position of `needle` in the image. The needle must start with a
 * non-zero byte, so each match begins in a non-zero block; it may run on
 * into the zeros after one.
 */
export function* occurrences(image: RamImage, needle: Uint8Array): Generator<number> {
  if (needle.length === 0 || needle[0] === 0) throw new RangeError('occurrences: the needle must start with a non-zero byte');
  for (const [start, end] of image.nonZero) {
    const limit = Math.min(image.bytes.length, end + needle.length - 1);
    const window = image.bytes.subarray(0, limit);
    for (let at = window.indexOf(needle, start); at >= 0 && at < end; at = window.indexOf(needle, at + 1)) yield at;
  }
}

export async function dumpRam(q: QemuProcess, size: number, progress: (m: string) => void = () => undefined, base = 0): Promise<RamImage> {
  const tmp = existsSync('/dev/shm') ? join('/dev/shm', `fwcfg-bootreal-${process.pid}-${q.pid}.bin`) : join(q.dir, 'pmem.bin');
  if (reusable?.length !== size) reusable = Buffer.allocUnsafeSlow(size);
  const bytes = reusable;
  try {
    for (let at = 0; at < size; at += CHUNK) {
      const n = Math.min(CHUNK, size - at);
      progress(`reading guest RAM ${Math.round((at / size) * 100)}%`);
      await q.qmp.execute('pmemsave', { val: base + at, size: n, filename: tmp });
      const fd = openSync(tmp, 'r');
      try {
        let got = 0;
        while (got < n) {
          const r = readSync(fd, bytes, at + got, n - got, got);
          if (r === 0) break;
          got += r;
        }
        if (got !== n) throw new QemuError('PMEMSAVE_SHORT', `pmemsave of ${n} bytes at 0x${(base + at).toString(16)} gave ${got}`);
      } finally {
        closeSync(fd);
      }
    }
  } finally {
    rmSync(tmp, { force: true });
  }
  return ramImageOf(bytes, base);
}

/** An image over bytes already at hand (tests, saved dumps), holding guest-physical `base` onwards. */
export function ramImageOf(bytes: Buffer, base = 0): RamImage {
  return { bytes, base, memory: new GuestMemory([{ name: base === 0 ? 'pc.ram' : 'ram', start: base, size: bytes.length, kind: 'ram', bytes }]), nonZero: nonZeroSpans(bytes) };
}
