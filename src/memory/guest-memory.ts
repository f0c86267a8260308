/**
 * GuestMemory: simulated guest-physical memory, and the one bounds-checked
 * surface every other room uses to touch it (the rust-vmm vm-memory habit).
 *
 * Two surfaces over the same regions:
 * - the checked surface (`read*`, `write*`, `view`, `fill`): for this
 *   project's own code (firmware executors, loaders). Anything outside a
 *   region, across two regions, or a write to read-only memory is a
 *   GuestMemoryError carrying the address, length and region.
 * - the bus surface (`busRead`, `busWrite`, `busFill`): what QEMU's address
 *   space does for DMA and qtest. It never throws for a guest-chosen address:
 *   RAM bytes are transferred, read-only and unassigned bytes are not, and the
 *   result says whether every byte was accepted.
 */
import type { ErrorCode } from '../errors.js';
import { FwCfgError } from '../errors.js';
import { checkAddress, MAX_GUEST_ADDRESS, type GuestAddress } from './address.js';
import { allocateBacking, releaseBacking } from './backing.js';

export type RegionKind = 'ram' | 'rom';

export interface RegionSpec {
  name: string;
  start: GuestAddress;
  size: number;
  kind: RegionKind;
  /** Backing bytes (exactly `size` long); a zeroed buffer is made if absent. */
  bytes?: Uint8Array;
  /**
   * The given `bytes` view a buffer from allocateBacking that only this
   * memory uses (aliases included): release() may hand it back.
   */
  pooled?: boolean;
}

export class MemoryRegion {
  readonly name: string;
  readonly start: GuestAddress;
  readonly end: GuestAddress;
  readonly kind: RegionKind;
  readonly bytes: Uint8Array;
  readonly view: DataView;
  /** ROM, or RAM the machine has write-protected (e.g. the BIOS shadow after POST). */
  readOnly: boolean;
  /** One flag per 4 KiB the write surfaces touched, and the list of them: what a release must zero. */
  dirtyPages: Uint8Array | undefined;
  readonly dirtyList: number[] = [];
  /** Whether the backing came from allocateBacking (and may go back to its pool). */
  readonly ownsBacking: boolean;

  constructor(spec: RegionSpec) {
    this.name = spec.name;
    this.start = spec.start;
    this.end = spec.start + spec.size;
    this.kind = spec.kind;
    this.ownsBacking = spec.bytes === undefined || spec.pooled === true;
    this.bytes = spec.bytes ?? allocateBacking(spec.size);
    this.view = new DataView(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength);
    this.readOnly = spec.kind === 'rom';
  }

  get size(): number {
    return this.end - this.start;
  }

  toString(): string {
    return `${this.name} [0x${this.start.toString(16)}, 0x${this.end.toString(16)})`;
  }
}

export class GuestMemoryError extends FwCfgError {
  readonly address: GuestAddress;
  readonly length: number;
  readonly region: string | undefined;
  constructor(code: ErrorCode, message: string, address: GuestAddress, length: number, region?: MemoryRegion) {
    super(code, message);
    this.address = address;
    this.length = length;
    this.region = region?.toString();
  }
}

const hx = (n: number) => '0x' + n.toString(16);

const DIRTY_PAGE = 4096;

function dirty(r: MemoryRegion, offset: number, len: number): void {
  if (len === 0) return;
  const pages = (r.dirtyPages ??= new Uint8Array(Math.ceil(r.size / DIRTY_PAGE)));
  const last = Math.floor((offset + len - 1) / DIRTY_PAGE);
  for (let p = Math.floor(offset / DIRTY_PAGE); p <= last; p++) {
    if (pages[p] === 0) {
      pages[p] = 1;
      r.dirtyList.push(p);
    }
  }
}

/** What a released GuestMemory's fast path sees: an empty region nothing falls in. */
const RELEASED = new MemoryRegion({ name: 'released', start: 0, size: 0, kind: 'ram', bytes: new Uint8Array(0) });

/** Called with every range a write surface is about to change (views handed out for writing count in full). */
export type WriteWatcher = (address: number, length: number) => void;

export class GuestMemory {
  regions: readonly MemoryRegion[];
  private last: MemoryRegion;
  /** Set by a caller that audits writes (the fuzzers' guard); undefined costs one check per write. */
  watch: WriteWatcher | undefined;

  constructor(specs: readonly RegionSpec[]) {
    if (specs.length === 0) throw new FwCfgError('NO_REGIONS', 'guest memory needs at least one region');
    const regions = specs.map((s) => {
      checkAddress(s.start, `region ${s.name} start`);
      if (!Number.isSafeInteger(s.size) || s.size <= 0) throw new FwCfgError('BAD_REGION', `region ${s.name}: size ${String(s.size)} is not a positive integer`);
      if (s.start + s.size > MAX_GUEST_ADDRESS + 1) throw new FwCfgError('BAD_REGION', `region ${s.name} ends past 2^53`);
      if (s.bytes !== undefined && s.bytes.length !== s.size) {
        throw new FwCfgError('BAD_REGION', `region ${s.name}: backing is ${s.bytes.length} bytes, size is ${s.size}`);
      }
      return new MemoryRegion(s);
    });
    for (let i = 1; i < regions.length; i++) {
      const a = regions[i - 1]!;
      const b = regions[i]!;
      if (b.start < a.start) throw new FwCfgError('BAD_REGION', `regions are not sorted: ${b} comes after ${a}`);
      if (b.start < a.end) throw new FwCfgError('BAD_REGION', `regions overlap: ${a} and ${b}`);
    }
    this.regions = regions;
    this.last = regions[0]!;
  }

  /** One RAM region at address 0. */
  static flat(size: number, name = 'ram'): GuestMemory {
    return new GuestMemory([{ name, start: 0, size, kind: 'ram' }]);
  }

  /** The region containing `addr`, if any. */
  regionAt(addr: GuestAddress): MemoryRegion | undefined {
    const l = this.last;
    if (addr >= l.start && addr < l.end) return l;
    let lo = 0;
    let hi = this.regions.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const r = this.regions[mid]!;
      if (addr < r.start) hi = mid - 1;
      else if (addr >= r.end) lo = mid + 1;
      else return (this.last = r);
    }
    return undefined;
  }

  region(name: string): MemoryRegion | undefined {
    return this.regions.find((r) => r.name === name);
  }

  // ------------------------------------------------------------ checked surface

  /** The region holding all of [addr, addr+len), or a typed error. */
  private resolve(addr: GuestAddress, len: number, write: boolean): MemoryRegion {
    const l = this.last;
    let r: MemoryRegion | undefined;
    // fast path: inside the last region hit, integral address and length
    if (addr >= l.start && addr + len <= l.end && Math.floor(addr) === addr && Math.floor(len) === len && len >= 0) r = l;
    else {
      checkAddress(addr);
      if (!Number.isSafeInteger(len) || len < 0) throw new GuestMemoryError('BAD_LENGTH', `length ${String(len)} at ${hx(addr)} is not a non-negative integer`, addr, len);
      r = this.regionAt(addr);
      if (r === undefined) throw new GuestMemoryError('UNMAPPED', `${len} bytes at ${hx(addr)}: no memory there`, addr, len);
      if (addr + len > r.end) throw new GuestMemoryError('OUT_OF_REGION', `${len} bytes at ${hx(addr)} run past the end of ${r}`, addr, len, r);
    }
    if (write) {
      if (r.readOnly) throw new GuestMemoryError('READ_ONLY', `${len} bytes at ${hx(addr)}: ${r} is read-only`, addr, len, r);
      this.watch?.(addr, len);
      dirty(r, addr - r.start, len);
    }
    return r;
  }

  /**
   * Hands the backing memories back for reuse (zeroing what was written);
   * afterwards every access is UNMAPPED. Only for callers that boot many
   * machines (the fuzzers); bytes previously viewed must not be used.
   */
  release(): void {
    // regions may be windows on one buffer (aliases, chunks): hand each buffer back once
    const buffers = new Map<ArrayBufferLike, [number, number][]>();
    for (const r of this.regions) {
      if (!r.ownsBacking) continue;
      let ranges = buffers.get(r.bytes.buffer);
      if (ranges === undefined) buffers.set(r.bytes.buffer, (ranges = []));
      const base = r.bytes.byteOffset;
      const list = r.dirtyList.sort((a, b) => a - b);
      for (let i = 0; i < list.length; i++) {
        const from = list[i]!;
        while (i + 1 < list.length && list[i + 1] === list[i]! + 1) i++;
        ranges.push([base + from * DIRTY_PAGE, base + Math.min(r.size, (list[i]! + 1) * DIRTY_PAGE)]);
      }
    }
    for (const [buffer, ranges] of buffers) releaseBacking(new Uint8Array(buffer), ranges);
    this.regions = [];
    this.last = RELEASED;
  }

  /**
   * The region holding all of [addr, addr+len), checked exactly as view() and
   * writableView() check (a write span is also watched and marked dirty).
   * For hot paths that index `bytes` at `addr - start` themselves instead of
   * allocating a view per access; they must stay inside [addr, addr+len).
   */
  span(addr: GuestAddress, len: number, write: boolean): MemoryRegion {
    return this.resolve(addr, len, write);
  }

  /** A view of [addr, addr+len) without copying; writes through it reach guest memory. */
  view(addr: GuestAddress, len: number): Uint8Array {
    const r = this.resolve(addr, len, false);
    const o = addr - r.start;
    return r.bytes.subarray(o, o + len);
  }

  /** A writable view; a typed error if the range is read-only. */
  writableView(addr: GuestAddress, len: number): Uint8Array {
    const r = this.resolve(addr, len, true);
    const o = addr - r.start;
    return r.bytes.subarray(o, o + len);
  }

  /** A copy of [addr, addr+len). */
  read(addr: GuestAddress, len: number): Uint8Array {
    return this.view(addr, len).slice();
  }

  write(addr: GuestAddress, bytes: Uint8Array): void {
    const r = this.resolve(addr, bytes.length, true);
    r.bytes.set(bytes, addr - r.start);
  }

  fill(addr: GuestAddress, len: number, value = 0): void {
    const r = this.resolve(addr, len, true);
    const o = addr - r.start;
    r.bytes.fill(value, o, o + len);
  }

  readU8(addr: GuestAddress): number {
    const r = this.resolve(addr, 1, false);
    return r.bytes[addr - r.start]!;
  }
  readU16LE(addr: GuestAddress): number {
    const r = this.resolve(addr, 2, false);
    return r.view.getUint16(addr - r.start, true);
  }
  readU16BE(addr: GuestAddress): number {
    const r = this.resolve(addr, 2, false);
    return r.view.getUint16(addr - r.start, false);
  }
  readU32LE(addr: GuestAddress): number {
    const r = this.resolve(addr, 4, false);
    return r.view.getUint32(addr - r.start, true);
  }
  readU32BE(addr: GuestAddress): number {
    const r = this.resolve(addr, 4, false);
    return r.view.getUint32(addr - r.start, false);
  }
  readU64LE(addr: GuestAddress): bigint {
    const r = this.resolve(addr, 8, false);
    return r.view.getBigUint64(addr - r.start, true);
  }
  readU64BE(addr: GuestAddress): bigint {
    const r = this.resolve(addr, 8, false);
    return r.view.getBigUint64(addr - r.start, false);
  }

  writeU8(addr: GuestAddress, v: number): void {
    const r = this.resolve(addr, 1, true);
    r.bytes[addr - r.start] = v;
  }
  writeU16LE(addr: GuestAddress, v: number): void {
    const r = this.resolve(addr, 2, true);
    r.view.setUint16(addr - r.start, v, true);
  }
  writeU16BE(addr: GuestAddress, v: number): void {
    const r = this.resolve(addr, 2, true);
    r.view.setUint16(addr - r.start, v, false);
  }
  writeU32LE(addr: GuestAddress, v: number): void {
    const r = this.resolve(addr, 4, true);
    r.view.setUint32(addr - r.start, v, true);
  }
  writeU32BE(addr: GuestAddress, v: number): void {
    const r = this.resolve(addr, 4, true);
    r.view.setUint32(addr - r.start, v, false);
  }
  writeU64LE(addr: GuestAddress, v: bigint): void {
    const r = this.resolve(addr, 8, true);
    r.view.setBigUint64(addr - r.start, BigInt.asUintN(64, v), true);
  }
  writeU64BE(addr: GuestAddress, v: bigint): void {
    const r = this.resolve(addr, 8, true);
    r.view.setBigUint64(addr - r.start, BigInt.asUintN(64, v), false);
  }

  /**
   * Stores into region `r` at offset `o`, already resolved and checked by the
   * caller (the address-space walk): still seen by the watcher and the
   * release bookkeeping, like every other write.
   */
  storeAt(r: MemoryRegion, o: number, src: Uint8Array): void {
    this.watch?.(r.start + o, src.length);
    dirty(r, o, src.length);
    r.bytes.set(src, o);
  }

  fillAt(r: MemoryRegion, o: number, len: number, value: number): void {
    this.watch?.(r.start + o, len);
    dirty(r, o, len);
    r.bytes.fill(value, o, o + len);
  }

  // ---------------------------------------------------------------- bus surface

  /**
   * Reads [addr, addr+out.length) into `out` as a bus master would: bytes
   * from RAM and ROM are copied, unassigned bytes read as 0. False if any
   * byte was unassigned. Addresses at or past 2^53 are unassigned.
   */
  busRead(addr: number, out: Uint8Array): boolean {
    return this.bus(addr, out.length, (r, o, at, n) => {
      out.set(r.bytes.subarray(o, o + n), at);
      return true;
    }, (at, n) => {
      out.fill(0, at, at + n);
    });
  }

  /** Writes `bytes` at addr as a bus master would: RAM accepts, ROM and unassigned ignore. False unless every byte landed. */
  busWrite(addr: number, bytes: Uint8Array): boolean {
    return this.bus(addr, bytes.length, (r, o, at, n) => {
      if (r.readOnly) return false;
      this.storeAt(r, o, bytes.subarray(at, at + n));
      return true;
    });
  }

  /** Fills `len` bytes at addr with `value` as a bus master would. */
  busFill(addr: number, len: number, value = 0): boolean {
    return this.bus(addr, len, (r, o, _at, n) => {
      if (r.readOnly) return false;
      this.fillAt(r, o, n, value);
      return true;
    });
  }

  private bus(
    addr: number,
    len: number,
    onRegion: (r: MemoryRegion, offset: number, at: number, n: number) => boolean,
    onHole?: (at: number, n: number) => void,
  ): boolean {
    let ok = true;
    let at = 0;
    while (at < len) {
      const a = addr + at;
      const r = Number.isSafeInteger(a) ? this.regionAt(a) : undefined;
      if (r !== undefined) {
        const n = Math.min(len - at, r.end - a);
        if (!onRegion(r, a - r.start, at, n)) ok = false;
        at += n;
        continue;
      }
      // a hole: up to the next region (or the rest)
      const next = Number.isSafeInteger(a) ? this.regions.find((x) => x.start > a) : undefined;
      const n = next === undefined ? len - at : Math.min(len - at, next.start - a);
      onHole?.(at, n);
      ok = false;
      at += n;
    }
    return ok;
  }
}
