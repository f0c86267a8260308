/**
 * AddressSpace: how QEMU's memory core (7.2) carries one guest access over a
 * flat view, so that odd widths, misaligned offsets and accesses that run off
 * a device region come out exactly as on QEMU.
 *
 * The rules, settled against a live QEMU (spec-vectors/fwcfg-device/FACTS.md §2, §5):
 * - RAM and ROM are "direct": an access is clamped to the range and copied.
 *   A write to ROM is dropped and reported as failed. A romd range (flash) is
 *   direct for reads while its device is in ROM mode; every write, and every
 *   read out of ROM mode, goes to the device in pieces as an MMIO access does
 *   (src/qemu/pflash.ts). A romd range without a device model takes only the
 *   writes that cannot change it (0x00/0xff: back to read-array mode); any
 *   other is flagged as unmodeled.
 * - Device (MMIO / port) ranges and holes are NOT clamped: each piece is as
 *   long as the remaining access, bounded by the region's maximum access size
 *   (4 when unspecified) and by the alignment of the offset inside the region,
 *   rounded down to a power of two. The piece goes whole to the region found at
 *   its first byte, which accepts it or rejects it (reads 0, writes dropped).
 * - Holes behave as QEMU's unassigned memory: reads 0, writes dropped, the
 *   access fails. Addresses wrap at 2^64.
 *
 * RAM and ROM bytes live in a GuestMemory (addresses below 2^53), reached
 * through its bus surface only (so its write watch sees every DMA); the fast
 * paths below keep DMA into RAM at TypedArray.set speed.
 */
import type { GuestMemory, MemoryRegion } from './guest-memory.js';

export const U64_MASK = (1n << 64n) - 1n;
const SAFE_END = BigInt(Number.MAX_SAFE_INTEGER) + 1n;

/** A device's answer to an access, as QEMU's MemoryRegionOps describe it. Offsets are inside the device's MemoryRegion. */
export interface MmioOps {
  /** valid.max_access_size; QEMU treats 0 / absent as 4. */
  readonly maxAccessSize?: number;
  /** impl.unaligned: true lifts the bound by the offset's alignment. */
  readonly unaligned?: boolean;
  /** False: QEMU rejects the access (a read gives 0, a write is dropped). */
  accepts(offset: number, size: number, isWrite: boolean): boolean;
  /** Writes the `size` bytes the guest sees, in address order, to out[0..size). */
  read(offset: number, size: number, out: Uint8Array): void;
  /** src[0..size): the bytes the guest stored, in address order. */
  write(offset: number, size: number, src: Uint8Array): void;
}

/** A ROM device (QEMU's romd): reads go straight to its memory while `romd` holds; writes, and reads otherwise, go to its ops. */
export interface RomDevice extends MmioOps {
  readonly romd: boolean;
}

/** A device range of a flat view (`info mtree -f`: `start-end (prio p, i/o): name @offset`). */
export interface MmioRange {
  name: string;
  start: bigint;
  /** Exclusive. */
  end: bigint;
  /** Offset of `start` inside the device's MemoryRegion. */
  offset: number;
  /** Undefined: a device this model does not emulate; touching it is reported, not guessed. */
  ops: MmioOps | undefined;
}

export interface AccessResult {
  /** QEMU's MEMTX_OK: every piece was accepted. */
  ok: boolean;
  /** Name of a range the access reached that this model does not emulate. */
  unmodeled: string | undefined;
}

/** The I/O-space background (QEMU's unassigned_io_ops): every byte reads as 0xff, writes vanish. */
export const UNASSIGNED_IO_OPS: MmioOps = {
  accepts: () => true,
  read: (_o, size, out) => void out.fill(0xff, 0, size),
  write: () => undefined,
};

interface Entry {
  start: bigint;
  end: bigint;
  kind: 'direct' | 'device';
  name: string;
  /** direct entries */
  region?: MemoryRegion;
  romd?: boolean;
  /** device entries */
  offset: number;
  ops?: MmioOps | undefined;
}

function isReadArray(b: Uint8Array, at: number, n: number): boolean {
  for (let i = at; i < at + n; i++) if (b[i] !== 0 && b[i] !== 0xff) return false;
  return true;
}

function pow2floor(n: number): number {
  let p = 1;
  while (p * 2 <= n) p *= 2;
  return p;
}

/** QEMU's memory_access_size: the length of the next piece sent to a device region. */
export function accessPieceSize(remaining: number, offset: number, maxAccessSize = 0, unaligned = false): number {
  let max = maxAccessSize === 0 ? 4 : maxAccessSize;
  if (!unaligned) {
    // lowest set bit of the offset (0 = no bound); offsets past 2^32 keep their low bits exact
    const low = offset % 0x100000000;
    const align = (low & -low) >>> 0;
    if (align !== 0 && align < max) max = align;
  }
  return pow2floor(Math.min(remaining, max));
}

export interface AddressSpaceOptions {
  /** Addresses at or past this are holes (2^64 for memory, 0x10000 for x86 I/O). */
  size?: bigint;
  memory?: GuestMemory;
  /** Names of GuestMemory regions that are flash (romd): reads direct in ROM mode, writes go to the device. */
  romd?: readonly string[];
  /** The device behind each romd region that has a model (shared by every address space that maps it). */
  romDevices?: ReadonlyMap<string, RomDevice>;
  devices?: readonly MmioRange[];
}

export class AddressSpace {
  readonly name: string;
  readonly size: bigint;
  readonly memory: GuestMemory | undefined;
  private readonly entries: Entry[];
  private readonly romd: ReadonlySet<string>;
  private readonly romDevices: ReadonlyMap<string, RomDevice>;
  /** Set when an access reaches a range this model does not emulate; the caller clears it. */
  unmodeled: string | undefined;

  constructor(name: string, options: AddressSpaceOptions = {}) {
    this.name = name;
    this.size = options.size ?? 1n << 64n;
    this.memory = options.memory;
    this.romd = new Set(options.romd ?? []);
    this.romDevices = options.romDevices ?? new Map();
    const entries: Entry[] = [];
    for (const r of options.memory?.regions ?? []) {
      entries.push({ start: BigInt(r.start), end: BigInt(r.end), kind: 'direct', name: r.name, region: r, romd: this.romd.has(r.name), offset: 0 });
    }
    for (const d of options.devices ?? []) {
      entries.push({ start: d.start, end: d.end, kind: 'device', name: d.name, offset: d.offset, ops: d.ops });
    }
    entries.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
    for (let i = 1; i < entries.length; i++) {
      if (entries[i]!.start < entries[i - 1]!.end) throw new RangeError(`${name}: ranges overlap: ${entries[i - 1]!.name} and ${entries[i]!.name}`);
    }
    this.entries = entries;
  }

  /** The entry holding `a`, or the index of the next one (negative-encoded) for a hole. */
  private find(a: bigint): Entry | number {
    let lo = 0;
    let hi = this.entries.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const e = this.entries[mid]!;
      if (a < e.start) hi = mid - 1;
      else if (a >= e.end) lo = mid + 1;
      else return e;
    }
    return lo;
  }

  /** The device range named `name` (first match). */
  device(name: string): MmioRange | undefined {
    const e = this.entries.find((x) => x.kind === 'device' && x.name === name);
    return e && { name: e.name, start: e.start, end: e.end, offset: e.offset, ops: e.ops };
  }

  read(addr: bigint, out: Uint8Array): AccessResult {
    return this.access(addr, out.length, 0, out, 0);
  }

  write(addr: bigint, src: Uint8Array): AccessResult {
    return this.access(addr, src.length, 1, src, 0);
  }

  fill(addr: bigint, len: number, value: number): AccessResult {
    return this.access(addr, len, 2, undefined, value & 0xff);
  }

  // ------------------------------------------------ DMA surface (fw_cfg's DmaBus)

  /** The address of [a, a+len) when one RAM region holds all of it (a plain, safe-integer case). */
  private ramFor(addr: bigint, len: number, write: boolean): number | undefined {
    const m = this.memory;
    if (m === undefined || addr + BigInt(len) > SAFE_END) return undefined;
    const a = Number(addr);
    const r = m.regionAt(a);
    // flash is the device's to answer (its state decides reads too): never the fast path
    if (r === undefined || a + len > r.end || (write && r.readOnly) || this.romd.has(r.name)) return undefined;
    return a;
  }

  dmaRead(addr: bigint, out: Uint8Array): boolean {
    const a = this.ramFor(addr, out.length, false);
    if (a !== undefined) return this.memory!.busRead(a, out);
    return this.noteUnmodeled(this.read(addr, out));
  }

  dmaWrite(addr: bigint, src: Uint8Array): boolean {
    const a = this.ramFor(addr, src.length, true);
    if (a !== undefined) return this.memory!.busWrite(a, src);
    return this.noteUnmodeled(this.write(addr, src));
  }

  dmaFill(addr: bigint, len: number, value: number): boolean {
    const a = this.ramFor(addr, len, true);
    if (a !== undefined) return this.memory!.busFill(a, len, value);
    return this.noteUnmodeled(this.fill(addr, len, value));
  }

  /**
   * A 4-byte store as QEMU 7.2's stl_*_dma does it: an ordinary DMA write of
   * the four bytes, so the part of a store straddling the end of RAM that
   * falls in RAM does land (checked on a live QEMU).
   */
  store32(addr: bigint, value: number, bigEndian: boolean): boolean {
    const bytes = new Uint8Array(4);
    new DataView(bytes.buffer).setUint32(0, value >>> 0, !bigEndian);
    return this.dmaWrite(addr & U64_MASK, bytes);
  }

  private noteUnmodeled(r: AccessResult): boolean {
    if (r.unmodeled !== undefined) this.unmodeled ??= r.unmodeled;
    return r.ok;
  }

  // ------------------------------------------------------------ the walk

  /** mode 0 read into buf, 1 write from buf, 2 fill with `value`. */
  private access(addr: bigint, len: number, mode: 0 | 1 | 2, buf: Uint8Array | undefined, value: number): AccessResult {
    let ok = true;
    let unmodeled: string | undefined;
    let at = 0;
    let a = addr & U64_MASK;
    let scratch: Uint8Array | undefined;
    while (at < len) {
      const remaining = len - at;
      const found = a >= this.size ? -1 : this.find(a);
      let n: number;
      const flash = typeof found !== 'number' && found.romd === true ? this.romDevices.get(found.name) : undefined;
      if (flash !== undefined && (mode !== 0 || !flash.romd)) {
        // the flash's device: an MMIO access, at most 4 aligned bytes a piece, never past the flash's end
        const f = found as Entry;
        const offset = Number(a - f.start);
        n = accessPieceSize(Math.min(remaining, Number(f.end - a)), offset, flash.maxAccessSize ?? 0, flash.unaligned ?? false);
        if (mode === 0) flash.read(offset, n, buf!.subarray(at, at + n));
        else if (mode === 1) flash.write(offset, n, buf!.subarray(at, at + n));
        else {
          scratch ??= new Uint8Array(8);
          scratch.fill(value, 0, n);
          flash.write(offset, n, scratch.subarray(0, n));
        }
      } else if (typeof found !== 'number' && found.kind === 'direct') {
        const r = found.region!;
        const big = found.end - a;
        n = big < BigInt(remaining) ? Number(big) : remaining;
        if (mode === 0) this.memory!.busRead(Number(a), buf!.subarray(at, at + n));
        else if (found.romd) {
          // flash in ROM mode: the write is a flash command; 0x00 and 0xff only return it to
          // read-array mode (QEMU's pflash), anything else is a command this model does not run
          if (!(mode === 2 ? value === 0 || value === 0xff : isReadArray(buf!, at, n))) unmodeled ??= found.name;
        } else if (r.readOnly) ok = false;
        else if (mode === 1) this.memory!.busWrite(Number(a), buf!.subarray(at, at + n));
        else this.memory!.busFill(Number(a), n, value);
      } else if (typeof found === 'number') {
        // a hole: QEMU's unassigned memory, in pieces of up to 4 aligned bytes
        ok = false;
        const next = found >= 0 && found < this.entries.length ? this.entries[found]!.start : a < this.size ? this.size : U64_MASK + 1n;
        const gap = next - a;
        if (gap >= 8n) {
          // whole pieces cannot cross a 4-aligned boundary: skip in bulk up to one
          const bulk = (next & ~3n) - a;
          n = bulk < BigInt(remaining) ? Number(bulk) : remaining;
        } else n = accessPieceSize(remaining, Number(a & 0xffffffffn));
        if (mode === 0) buf!.fill(0, at, at + n);
      } else {
        const offset = found.offset + Number(a - found.start);
        const ops = found.ops;
        n = accessPieceSize(remaining, offset, ops?.maxAccessSize ?? 0, ops?.unaligned ?? false);
        if (ops === undefined) {
          unmodeled ??= found.name;
          if (mode === 0) buf!.fill(0, at, at + n);
        } else if (!ops.accepts(offset, n, mode !== 0)) {
          ok = false;
          if (mode === 0) buf!.fill(0, at, at + n);
        } else if (mode === 0) {
          ops.read(offset, n, buf!.subarray(at, at + n));
        } else if (mode === 1) {
          ops.write(offset, n, buf!.subarray(at, at + n));
        } else {
          scratch ??= new Uint8Array(8);
          scratch.fill(value, 0, n);
          ops.write(offset, n, scratch.subarray(0, n));
        }
      }
      at += n;
      a = (a + BigInt(n)) & U64_MASK;
    }
    if (unmodeled !== undefined) this.unmodeled ??= unmodeled;
    return { ok, unmodeled };
  }
}
