/**
 * GuestMemory: simulated guest-physical memory, and the one bounds-checked
 * surface every other room uses to touch it (the rust-vmm vm-memory habit).
 *
 * Bytes leave and enter only through its methods, so the write watch and the
 * dirty-page bookkeeping see every change:
 * - the checked surface: `read*` (copies), `view` (read-only by type),
 *   `inspect` (a reader on the bytes in place), `write*`, `fill`, and `patch`
 *   (a read-modify-write in place, the hot path of pointer and checksum
 *   fixups). Anything outside a region, across two regions, or a write to
 *   read-only memory is a GuestMemoryError carrying the address, length and
 *   region.
 * - the bus surface (`busRead`, `busWrite`, `busFill`): what QEMU's address
 *   space does for DMA and qtest. It never throws for a guest-chosen address:
 *   RAM bytes are transferred, read-only and unassigned bytes are not, and the
 *   result says whether every byte was accepted.
 * - power-on contents (`GuestMemoryOptions.contents`): the one way bytes reach
 *   read-only memory, at construction (firmware images, captured ROM).
 * - `load` of FrozenBytes: a write that skips the whole pages it would only
 *   fill with zeros that are already there (below).
 * - marks (`mark`, `unmark`): a caller learns whether any write surface has
 *   touched some bytes since it marked them (kept by backing buffer, so a
 *   write through an alias counts).
 *
 * Guest addresses and offsets inside a region are different types
 * (GuestAddress, RegionOffset: address.ts); offsets exist only inside this
 * file and the callbacks of `patch` and `inspect`.
 */
import type { ErrorCode } from '../errors.js';
import type { ReadonlyBytes } from '../bytes.js';
import { FwCfgError } from '../errors.js';
import { checkAddress, MAX_GUEST_ADDRESS, type GuestAddress, type RegionOffset } from './address.js';
import { allocateBacking, releaseBacking } from './backing.js';

export type RegionKind = 'ram' | 'rom';

export interface RegionSpec {
  name: string;
  start: GuestAddress;
  size: number;
  kind: RegionKind;
  /**
   * Backing bytes (exactly `size` long); a zeroed buffer is made if absent.
   * A caller that passes them keeps a way around the watch: it must not write
   * them while the memory is in use (they are for zero-copy images of RAM
   * dumps and for machines whose aliases share a backing).
   */
  bytes?: Uint8Array;
  /**
   * The given `bytes` view a buffer from allocateBacking that only this
   * memory uses (aliases included): release() may hand it back.
   */
  pooled?: boolean;
}

/** Bytes present at power-on: a firmware image, a captured ROM, RAM a capture recorded. */
export interface MemoryImage {
  address: GuestAddress;
  bytes: ReadonlyBytes;
}

export interface GuestMemoryOptions {
  /**
   * Stored at construction, read-only regions included (the machine being
   * built), with the same dirty bookkeeping as any write. An image may span
   * regions; a byte outside every region is a GuestMemoryError (UNMAPPED).
   */
  contents?: readonly MemoryImage[];
}

/** What a region is, for callers: where, how big, and whether writes are refused. Its bytes stay inside GuestMemory. */
export class MemoryRegion {
  readonly name: string;
  readonly start: GuestAddress;
  readonly end: GuestAddress;
  readonly kind: RegionKind;
  /** ROM, or RAM the machine has write-protected (e.g. the BIOS shadow after POST). */
  readOnly: boolean;

  constructor(name: string, start: GuestAddress, size: number, kind: RegionKind) {
    this.name = name;
    this.start = start;
    this.end = start + size;
    this.kind = kind;
    this.readOnly = kind === 'rom';
  }

  get size(): number {
    return this.end - this.start;
  }

  toString(): string {
    return `${this.name} [0x${this.start.toString(16)}, 0x${this.end.toString(16)})`;
  }
}

const FROZEN = Symbol('frozen bytes');
const NONZERO = Symbol('non-zero chunks');
const FROZEN_BUFFER = Symbol('frozen buffer');
const ZERO_PAGES = Symbol('zero pages');
/** Granularity of FrozenBytes' zero index. */
const CHUNK = 64;
/** The page of the dirty bookkeeping, and of FrozenBytes' zero pages. */
const DIRTY_PAGE = 4096;

/**
 * Bytes that never change: a private copy taken at construction, which no
 * one else can reach, with an index of where they are zero (so GuestMemory
 * can tell in O(1) that a 4 KiB window of them is all zeros).
 */
export class FrozenBytes {
  readonly length: number;
  readonly [FROZEN]: Uint8Array;
  /** The copy's own buffer: the copy starts at its byte 0. */
  readonly [FROZEN_BUFFER]: ArrayBuffer;
  /** Entry i: how many of the first i 64-byte chunks hold a non-zero byte. */
  readonly [NONZERO]: Int32Array;
  /** Entry k: 1 when the whole 4 KiB page k (bytes [4096k, 4096k+4096)) is zeros: a page-aligned window in one read. */
  readonly [ZERO_PAGES]: Uint8Array;

  private constructor(bytes: Uint8Array) {
    this[FROZEN] = bytes;
    this[FROZEN_BUFFER] = bytes.buffer as ArrayBuffer;
    this.length = bytes.length;
    const chunks = Math.floor(bytes.length / CHUNK);
    const counts = new Int32Array(chunks + 1);
    for (let c = 0; c < chunks; c++) {
      let any = 0;
      for (let i = c * CHUNK; i < (c + 1) * CHUNK; i++) any |= bytes[i]!;
      counts[c + 1] = counts[c]! + (any !== 0 ? 1 : 0);
    }
    this[NONZERO] = counts;
    const per = DIRTY_PAGE / CHUNK;
    const pages = new Uint8Array(Math.floor(bytes.length / DIRTY_PAGE));
    for (let k = 0; k < pages.length; k++) pages[k] = counts[(k + 1) * per] === counts[k * per] ? 1 : 0;
    this[ZERO_PAGES] = pages;
  }

  static copyOf(bytes: ReadonlyBytes): FrozenBytes {
    // a plain Uint8Array copy: a Buffer's slice() is a view of the same memory, not a copy
    return new FrozenBytes(new Uint8Array(bytes as Uint8Array));
  }

  view(): ReadonlyBytes {
    return this[FROZEN];
  }
}

/**
 * [from, to) of the frozen bytes without copying: all of them as they are,
 * else a plain view of their own buffer (no species lookup, unlike
 * subarray(), and no generic read of `buffer` or `byteOffset`).
 */
function slice(f: FrozenBytes, from: number, to: number): Uint8Array {
  const b = f[FROZEN];
  return from === 0 && to === f.length ? b : new Uint8Array(f[FROZEN_BUFFER], from, to - from);
}

/** Whether [from, from+length) of `f` is all zeros: the index for whole chunks, a look at the bytes for the ends. */
function zeroIn(f: FrozenBytes, from: number, length: number): boolean {
  const b = f[FROZEN];
  const c0 = Math.ceil(from / CHUNK);
  const c1 = Math.floor((from + length) / CHUNK);
  if (c1 <= c0) {
    for (let i = from; i < from + length; i++) if (b[i] !== 0) return false;
    return true;
  }
  for (let i = from; i < c0 * CHUNK; i++) if (b[i] !== 0) return false;
  for (let i = c1 * CHUNK; i < from + length; i++) if (b[i] !== 0) return false;
  const counts = f[NONZERO];
  return counts[c1] === counts[c0];
}

/** A region with its bytes: GuestMemory's own record, never handed out. */
class Backed {
  readonly region: MemoryRegion;
  readonly start: number;
  readonly end: number;
  readonly bytes: Uint8Array;
  /** The buffer under `bytes` and where `bytes` starts in it: what aliases of these bytes have in common (marks). */
  readonly buffer: ArrayBufferLike;
  readonly base: number;
  readonly data: DataView;
  /** Whether the backing came from allocateBacking (and may go back to its pool). */
  readonly ownsBacking: boolean;
  /** One flag per 4 KiB the write surfaces touched, and the list of them: what a release must zero. */
  dirtyPages: Uint8Array | undefined;
  readonly dirtyList: number[] = [];
  /**
   * The backing is this memory's own allocation (zeroed when made or taken
   * from the pool, zeroed again on release where dirty), so a page no write
   * has touched holds zeros. Not so for caller-given bytes.
   */
  readonly cleanIsZero: boolean;

  constructor(spec: RegionSpec) {
    this.region = new MemoryRegion(spec.name, spec.start, spec.size, spec.kind);
    this.start = spec.start;
    this.end = spec.start + spec.size;
    this.ownsBacking = spec.bytes === undefined || spec.pooled === true;
    this.cleanIsZero = spec.bytes === undefined;
    this.bytes = spec.bytes ?? allocateBacking(spec.size);
    this.buffer = this.bytes.buffer;
    this.base = this.bytes.byteOffset;
    this.data = new DataView(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength);
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

const MARKED = Symbol('marked buffer');
const FROM = Symbol('marked from');
const TO = Symbol('marked to');
const DROPPED = Symbol('mark dropped');

/**
 * Bytes a caller wants to know were left alone since it marked them
 * (GuestMemory.mark): `intact` turns false at the first write of any surface
 * that may change one of them, through whichever region shares them (aliases
 * are windows on one buffer, so marks are kept by buffer, not by address).
 */
export class WriteMark {
  readonly address: GuestAddress;
  readonly length: number;
  /** The buffer holding the bytes while intact, then undefined. */
  [MARKED]: ArrayBufferLike | undefined;
  /** [FROM, TO): the bytes' offsets in that buffer. */
  readonly [FROM]: number;
  readonly [TO]: number;
  /** No longer followed (GuestMemory.unmark). */
  [DROPPED] = false;

  constructor(address: GuestAddress, length: number, buffer: ArrayBufferLike, from: number) {
    this.address = address;
    this.length = length;
    this[MARKED] = buffer;
    this[FROM] = from;
    this[TO] = from + length;
  }

  /** No write has touched the bytes since the mark was made (and the memory was not released). */
  get intact(): boolean {
    return this[MARKED] !== undefined;
  }
}

const hx = (n: number) => '0x' + n.toString(16);

function dirty(b: Backed, offset: number, len: number): void {
  const pages = b.dirtyPages;
  const first = Math.floor(offset / DIRTY_PAGE);
  // the common case, a field or a checksum byte: one page, already dirty; the rest out of line (see readOnlyError)
  if (pages === undefined || len === 0 || pages[first] !== 1 || offset + len > (first + 1) * DIRTY_PAGE) dirtyPages(b, offset, len);
}

/** dirty() past its common case: the flags made on the first write, then every page of the range flagged and listed. */
function dirtyPages(b: Backed, offset: number, len: number): void {
  if (len === 0) return;
  const pages = (b.dirtyPages ??= new Uint8Array(Math.ceil((b.end - b.start) / DIRTY_PAGE)));
  const first = Math.floor(offset / DIRTY_PAGE);
  const last = Math.floor((offset + len - 1) / DIRTY_PAGE);
  for (let p = first; p <= last; p++) {
    if (pages[p] === 0) {
      pages[p] = 1;
      b.dirtyList.push(p);
    }
  }
}

/**
 * The READ_ONLY error, made out of line. V8 inlines a small accessor whole, its
 * rare branches too, and counts their bytecode against the caller's inlining
 * budget (the measured case: #resolve apart from #resolveWrite), so accessors
 * keep their rare paths in functions of their own.
 */
function readOnlyError(addr: GuestAddress, len: number, region: MemoryRegion): GuestMemoryError {
  return new GuestMemoryError('READ_ONLY', `${len} bytes at ${hx(addr)}: ${region} is read-only`, addr, len, region);
}

/** What a released GuestMemory's fast path sees: an empty region nothing falls in. */
const RELEASED = new Backed({ name: 'released', start: 0, size: 0, kind: 'ram', bytes: new Uint8Array(0) });

/** Called with every range a write surface is about to change. */
export type WriteWatcher = (address: number, length: number) => void;

/** A reader given the bytes in place: [at, at+length) of `bytes` is the range asked for, nothing else may be read. */
export type Inspector<A, R> = (bytes: ReadonlyBytes, at: RegionOffset, length: number, arg: A) => R;
/** A read-modify-write in place: [at, at+length) of `bytes` is the range asked for, nothing else may be touched. */
export type Patcher<A, R> = (bytes: Uint8Array, at: RegionOffset, length: number, arg: A) => R;

export class GuestMemory {
  #backed: readonly Backed[];
  #regions: readonly MemoryRegion[];
  #last: Backed;
  /** Marks still intact (see mark()): every change checks them while there are any. */
  #marks: WriteMark[] = [];
  /**
   * Buffer offsets every held mark lies within (loose once marks go: only ever
   * wider than needed). A change outside them touches no mark, which is the
   * common case: a loader writes its tables in order, each mark below the next write.
   */
  #marksFrom = Infinity;
  #marksTo = -Infinity;
  /** Set by a caller that audits writes (the fuzzers' guard); undefined costs one check per write. */
  watch: WriteWatcher | undefined;

  constructor(specs: readonly RegionSpec[], options: GuestMemoryOptions = {}) {
    if (specs.length === 0) throw new FwCfgError('NO_REGIONS', 'guest memory needs at least one region');
    const backed = specs.map((s) => {
      checkAddress(s.start, `region ${s.name} start`);
      if (!Number.isSafeInteger(s.size) || s.size <= 0) throw new FwCfgError('BAD_REGION', `region ${s.name}: size ${String(s.size)} is not a positive integer`);
      if (s.start + s.size > MAX_GUEST_ADDRESS + 1) throw new FwCfgError('BAD_REGION', `region ${s.name} ends past 2^53`);
      if (s.bytes !== undefined && s.bytes.length !== s.size) {
        throw new FwCfgError('BAD_REGION', `region ${s.name}: backing is ${s.bytes.length} bytes, size is ${s.size}`);
      }
      return new Backed(s);
    });
    for (let i = 1; i < backed.length; i++) {
      const a = backed[i - 1]!.region;
      const b = backed[i]!.region;
      if (b.start < a.start) throw new FwCfgError('BAD_REGION', `regions are not sorted: ${b} comes after ${a}`);
      if (b.start < a.end) throw new FwCfgError('BAD_REGION', `regions overlap: ${a} and ${b}`);
    }
    this.#backed = backed;
    this.#regions = backed.map((b) => b.region);
    this.#last = backed[0]!;
    for (const c of options.contents ?? []) this.#loadImage(c);
  }

  /** One RAM region at address 0. */
  static flat(size: number, name = 'ram'): GuestMemory {
    return new GuestMemory([{ name, start: 0, size, kind: 'ram' }]);
  }

  /** The regions, lowest first (none after release()). */
  get regions(): readonly MemoryRegion[] {
    return this.#regions;
  }

  /** The region containing `addr`, if any. */
  regionAt(addr: GuestAddress): MemoryRegion | undefined {
    return this.#backedAt(addr)?.region;
  }

  region(name: string): MemoryRegion | undefined {
    return this.#regions.find((r) => r.name === name);
  }

  #backedAt(addr: number): Backed | undefined {
    const l = this.#last;
    if (addr >= l.start && addr < l.end) return l;
    const all = this.#backed;
    let lo = 0;
    let hi = all.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const b = all[mid]!;
      if (addr < b.start) hi = mid - 1;
      else if (addr >= b.end) lo = mid + 1;
      else return (this.#last = b);
    }
    return undefined;
  }

  // ------------------------------------------------------------ checked surface

  /** The region holding all of [addr, addr+len), or a typed error. */
  #resolve(addr: GuestAddress, len: number): Backed {
    const l = this.#last;
    // fast path (small enough to inline at every accessor): inside the last region hit, integral address and length
    return addr >= l.start && addr + len <= l.end && Math.floor(addr) === addr && Math.floor(len) === len && len >= 0 ? l : this.#find(addr, len);
  }

  /**
   * #resolve for a write surface: the range is then watched and marked dirty.
   * Apart from #resolve, so that a reader inlining #resolve does not inline the
   * write bookkeeping too: V8 charges the bookkeeping against the reader's
   * inlining budget even where it is dead code, and a hot caller (the ACPI
   * walk) then runs its reads as calls.
   */
  #resolveWrite(addr: GuestAddress, len: number): Backed {
    const b = this.#resolve(addr, len);
    this.#writing(b, addr, len);
    return b;
  }

  /** #resolve past its fast path: the region by search, or the typed error. */
  #find(addr: GuestAddress, len: number): Backed {
    checkAddress(addr);
    if (!Number.isSafeInteger(len) || len < 0) throw new GuestMemoryError('BAD_LENGTH', `length ${String(len)} at ${hx(addr)} is not a non-negative integer`, addr, len);
    const b = this.#backedAt(addr);
    if (b === undefined) throw new GuestMemoryError('UNMAPPED', `${len} bytes at ${hx(addr)}: no memory there`, addr, len);
    if (addr + len > b.end) throw new GuestMemoryError('OUT_OF_REGION', `${len} bytes at ${hx(addr)} run past the end of ${b.region}`, addr, len, b.region);
    return b;
  }

  /** A write surface is about to change [addr, addr+len) of `b`: refused if read-only, else watched and marked dirty. */
  #writing(b: Backed, addr: GuestAddress, len: number): void {
    if (b.region.readOnly) throw readOnlyError(addr, len, b.region);
    this.watch?.(addr, len);
    this.#changed(b, addr - b.start, len);
  }

  /** [o, o+len) of `b` may change now: the page bookkeeping and the marks (every write surface comes through here). */
  #changed(b: Backed, o: number, len: number): void {
    dirty(b, o, len);
    if (this.#marks.length === 0 || len === 0) return;
    const from = b.base + o;
    if (from < this.#marksTo && from + len > this.#marksFrom) this.#touch(b.buffer, from, from + len);
  }

  /** Breaks (and drops) the marks on bytes [from, to) of `buffer`. */
  #touch(buffer: ArrayBufferLike, from: number, to: number): void {
    const marks = this.#marks;
    for (let i = marks.length - 1; i >= 0; i--) {
      const m = marks[i]!;
      if (m[MARKED] === buffer && m[FROM] < to && from < m[TO]) {
        m[MARKED] = undefined;
        marks[i] = marks[marks.length - 1]!;
        marks.pop();
      }
    }
    if (marks.length === 0) this.#unbound();
  }

  /**
   * Marks the bytes of [addr, addr+len) (one region's, checked as view() is):
   * the mark stays intact until a write surface may change one of them. Every
   * write checks the marks held, so a caller unmarks them when it is done.
   * For proofs about bytes that must still hold when used (a checksum the
   * loader made true, which the ACPI walk need not sum again).
   */
  mark(addr: GuestAddress, len: number): WriteMark {
    const b = this.#resolve(addr, len);
    const m = new WriteMark(addr, len, b.buffer, b.base + (addr - b.start));
    this.#marks.push(m);
    if (m[FROM] < this.#marksFrom) this.#marksFrom = m[FROM];
    if (m[TO] > this.#marksTo) this.#marksTo = m[TO];
    return m;
  }

  /** Stops checking writes against these marks (each keeps what it knows so far). */
  unmark(marks: readonly WriteMark[]): void {
    if (marks.length === 0 || this.#marks.length === 0) return;
    for (const m of marks) m[DROPPED] = true;
    const kept: WriteMark[] = [];
    for (const m of this.#marks) if (!m[DROPPED]) kept.push(m);
    this.#marks = kept;
    if (kept.length === 0) this.#unbound();
  }

  #unbound(): void {
    this.#marksFrom = Infinity;
    this.#marksTo = -Infinity;
  }

  /**
   * Hands the backing memories back for reuse (zeroing what was written);
   * afterwards every access is UNMAPPED. Only for callers that boot many
   * machines (the fuzzers); views taken before must not be used.
   */
  release(): void {
    // regions may be windows on one buffer (aliases, chunks): hand each buffer back once
    const buffers = new Map<ArrayBufferLike, [number, number][]>();
    for (const r of this.#backed) {
      if (!r.ownsBacking) continue;
      let ranges = buffers.get(r.bytes.buffer);
      if (ranges === undefined) buffers.set(r.bytes.buffer, (ranges = []));
      const base = r.bytes.byteOffset;
      const size = r.end - r.start;
      const list = r.dirtyList.sort((a, b) => a - b);
      for (let i = 0; i < list.length; i++) {
        const from = list[i]!;
        while (i + 1 < list.length && list[i + 1] === list[i]! + 1) i++;
        ranges.push([base + from * DIRTY_PAGE, base + Math.min(size, (list[i]! + 1) * DIRTY_PAGE)]);
      }
    }
    for (const [buffer, ranges] of buffers) releaseBacking(new Uint8Array(buffer), ranges);
    for (const m of this.#marks) m[MARKED] = undefined;
    this.#marks = [];
    this.#unbound();
    this.#backed = [];
    this.#regions = [];
    this.#last = RELEASED;
  }

  /** Throws unless all of [addr, addr+len) is writable memory of one region (nothing is written, watched or marked). */
  checkWritable(addr: GuestAddress, len: number): void {
    const b = this.#resolve(addr, len);
    if (b.region.readOnly) throw readOnlyError(addr, len, b.region);
  }

  /**
   * [addr, addr+len) without copying, read-only by type (ReadonlyBytes has no
   * writers and no `buffer`). It shows later writes; after release() it must
   * not be used.
   */
  view(addr: GuestAddress, len: number): ReadonlyBytes {
    const b = this.#resolve(addr, len);
    // a plain view of the backing (subarray() would look up a species constructor every time)
    return new Uint8Array(b.buffer, b.base + (addr - b.start), len);
  }

  /** A copy of [addr, addr+len). */
  read(addr: GuestAddress, len: number): Uint8Array {
    const b = this.#resolve(addr, len);
    const o = addr - b.start;
    return b.bytes.slice(o, o + len);
  }

  /**
   * `fn(bytes, at, len, arg)` on the bytes of [addr, addr+len) in place,
   * checked as view() is; `fn` reads [at, at+len) of `bytes` and nothing else.
   * For hot readers (checksums) that would otherwise allocate a view per call.
   */
  inspect<R, A = undefined>(addr: GuestAddress, len: number, fn: Inspector<A, R>, arg?: A): R {
    const b = this.#resolve(addr, len);
    return fn(b.bytes, (addr - b.start) as RegionOffset, len, arg as A);
  }

  /**
   * `fn(bytes, at, len, arg)` may read and change [at, at+len) of `bytes`,
   * the bytes of [addr, addr+len), in place and nothing else: the range is
   * checked, watched and marked dirty as a write before `fn` runs (also when
   * `fn` then throws). The hot path of pointer and checksum fixups: no view
   * or closure per call when `fn` is a plain function and `arg` its operand.
   */
  patch<R, A = undefined>(addr: GuestAddress, len: number, fn: Patcher<A, R>, arg?: A): R {
    const b = this.#resolveWrite(addr, len);
    return fn(b.bytes, (addr - b.start) as RegionOffset, len, arg as A);
  }

  write(addr: GuestAddress, bytes: ReadonlyBytes): void {
    const b = this.#resolveWrite(addr, bytes.length);
    b.bytes.set(bytes, addr - b.start);
  }

  fill(addr: GuestAddress, len: number, value = 0): void {
    const b = this.#resolveWrite(addr, len);
    const o = addr - b.start;
    b.bytes.fill(value, o, o + len);
  }

  /**
   * write() of `length` bytes of `source` from `from`: checked and watched
   * the same, the same bytes afterwards, but a whole 4 KiB page that would
   * only receive zeros where no write has been (a page of this memory's own
   * backing that is not dirty holds zeros) is left as it is, and stays clean.
   * The fw_cfg files a firmware copies are mostly such pages (QEMU pads the
   * ACPI tables blob to 128 KiB; vmgenid and NVDIMM buffers start zeroed).
   */
  load(addr: GuestAddress, source: FrozenBytes, from = 0, length = source.length - from): void {
    if (!(Number.isSafeInteger(from) && Number.isSafeInteger(length) && from >= 0 && length >= 0 && from + length <= source.length)) {
      throw new GuestMemoryError('BAD_LENGTH', `load: [${String(from)}, +${String(length)}) is outside the ${source.length} source bytes`, addr, length);
    }
    const b = this.#resolve(addr, length);
    if (b.region.readOnly) throw readOnlyError(addr, length, b.region);
    this.watch?.(addr, length);
    const o = addr - b.start;
    const firstPage = Math.ceil(o / DIRTY_PAGE);
    const endPage = Math.floor((o + length) / DIRTY_PAGE);
    if (!b.cleanIsZero || endPage <= firstPage) {
      this.#changed(b, o, length);
      b.bytes.set(slice(source, from, from + length), o);
      return;
    }
    const pages = b.dirtyPages;
    // copy in runs: everything up to the first page that may stay as it is, then on past it
    let copyFrom = o;
    const zeroPages = source[ZERO_PAGES];
    for (let p = firstPage; p < endPage; p++) {
      const at = from + (p * DIRTY_PAGE - o);
      if ((pages === undefined || pages[p] === 0) && (at % DIRTY_PAGE === 0 ? zeroPages[at / DIRTY_PAGE] === 1 : zeroIn(source, at, DIRTY_PAGE))) {
        const n = p * DIRTY_PAGE - copyFrom;
        if (n > 0) {
          this.#changed(b, copyFrom, n);
          b.bytes.set(slice(source, from + (copyFrom - o), from + (copyFrom - o) + n), copyFrom);
        }
        copyFrom = (p + 1) * DIRTY_PAGE;
      }
    }
    const n = o + length - copyFrom;
    if (n > 0) {
      this.#changed(b, copyFrom, n);
      b.bytes.set(slice(source, from + (copyFrom - o), from + length), copyFrom);
    }
  }

  readU8(addr: GuestAddress): number {
    const b = this.#resolve(addr, 1);
    return b.bytes[addr - b.start]!;
  }
  readU16LE(addr: GuestAddress): number {
    const b = this.#resolve(addr, 2);
    return b.data.getUint16(addr - b.start, true);
  }
  readU16BE(addr: GuestAddress): number {
    const b = this.#resolve(addr, 2);
    return b.data.getUint16(addr - b.start, false);
  }
  readU32LE(addr: GuestAddress): number {
    const b = this.#resolve(addr, 4);
    return b.data.getUint32(addr - b.start, true);
  }
  readU32BE(addr: GuestAddress): number {
    const b = this.#resolve(addr, 4);
    return b.data.getUint32(addr - b.start, false);
  }
  readU64LE(addr: GuestAddress): bigint {
    const b = this.#resolve(addr, 8);
    return b.data.getBigUint64(addr - b.start, true);
  }
  readU64BE(addr: GuestAddress): bigint {
    const b = this.#resolve(addr, 8);
    return b.data.getBigUint64(addr - b.start, false);
  }

  writeU8(addr: GuestAddress, v: number): void {
    const b = this.#resolveWrite(addr, 1);
    b.bytes[addr - b.start] = v;
  }
  writeU16LE(addr: GuestAddress, v: number): void {
    const b = this.#resolveWrite(addr, 2);
    b.data.setUint16(addr - b.start, v, true);
  }
  writeU16BE(addr: GuestAddress, v: number): void {
    const b = this.#resolveWrite(addr, 2);
    b.data.setUint16(addr - b.start, v, false);
  }
  writeU32LE(addr: GuestAddress, v: number): void {
    const b = this.#resolveWrite(addr, 4);
    b.data.setUint32(addr - b.start, v, true);
  }
  writeU32BE(addr: GuestAddress, v: number): void {
    const b = this.#resolveWrite(addr, 4);
    b.data.setUint32(addr - b.start, v, false);
  }
  writeU64LE(addr: GuestAddress, v: bigint): void {
    const b = this.#resolveWrite(addr, 8);
    b.data.setBigUint64(addr - b.start, BigInt.asUintN(64, v), true);
  }
  writeU64BE(addr: GuestAddress, v: bigint): void {
    const b = this.#resolveWrite(addr, 8);
    b.data.setBigUint64(addr - b.start, BigInt.asUintN(64, v), false);
  }

  // ------------------------------------------------------------ stores (internal)

  /** Every store of the bus surface and of power-on contents: watched, marked dirty, then copied. */
  #store(b: Backed, o: number, src: ReadonlyBytes): void {
    this.watch?.(b.start + o, src.length);
    this.#changed(b, o, src.length);
    b.bytes.set(src, o);
  }

  #fillAt(b: Backed, o: number, len: number, value: number): void {
    this.watch?.(b.start + o, len);
    this.#changed(b, o, len);
    b.bytes.fill(value, o, o + len);
  }

  #loadImage(image: MemoryImage): void {
    const { address, bytes } = image;
    let at = 0;
    while (at < bytes.length) {
      const a = address + at;
      const b = Number.isSafeInteger(a) ? this.#backedAt(a) : undefined;
      if (b === undefined) throw new GuestMemoryError('UNMAPPED', `memory contents at ${hx(a)} fall outside RAM and ROM`, a, bytes.length - at);
      const n = Math.min(bytes.length - at, b.end - a);
      this.#store(b, a - b.start, bytes.subarray(at, at + n));
      at += n;
    }
  }

  // ---------------------------------------------------------------- bus surface

  /**
   * Reads [addr, addr+out.length) into `out` as a bus master would: bytes
   * from RAM and ROM are copied, unassigned bytes read as 0. False if any
   * byte was unassigned. Addresses at or past 2^53 are unassigned.
   */
  busRead(addr: number, out: Uint8Array): boolean {
    const len = out.length;
    const b = this.#backedAt(addr);
    if (b !== undefined && addr + len <= b.end && Number.isSafeInteger(addr)) {
      const o = addr - b.start;
      out.set(b.bytes.subarray(o, o + len));
      return true;
    }
    return this.#bus(addr, len, 0, out, 0);
  }

  /** Writes `bytes` at addr as a bus master would: RAM accepts, ROM and unassigned ignore. False unless every byte landed. */
  busWrite(addr: number, bytes: ReadonlyBytes): boolean {
    const b = this.#backedAt(addr);
    if (b !== undefined && addr + bytes.length <= b.end && Number.isSafeInteger(addr) && !b.region.readOnly) {
      this.#store(b, addr - b.start, bytes);
      return true;
    }
    return this.#bus(addr, bytes.length, 1, bytes, 0);
  }

  /** Fills `len` bytes at addr with `value` as a bus master would. */
  busFill(addr: number, len: number, value = 0): boolean {
    const b = this.#backedAt(addr);
    if (b !== undefined && addr + len <= b.end && Number.isSafeInteger(addr) && !b.region.readOnly) {
      this.#fillAt(b, addr - b.start, len, value);
      return true;
    }
    return this.#bus(addr, len, 2, undefined, value);
  }

  /** The bus walk, region by region and hole by hole: mode 0 reads into buf, 1 writes from buf, 2 fills with `value`. */
  #bus(addr: number, len: number, mode: 0 | 1 | 2, buf: ReadonlyBytes | undefined, value: number): boolean {
    let ok = true;
    let at = 0;
    while (at < len) {
      const a = addr + at;
      const b = Number.isSafeInteger(a) ? this.#backedAt(a) : undefined;
      if (b !== undefined) {
        const n = Math.min(len - at, b.end - a);
        const o = a - b.start;
        if (mode === 0) (buf as Uint8Array).set(b.bytes.subarray(o, o + n), at);
        else if (b.region.readOnly) ok = false;
        else if (mode === 1) this.#store(b, o, buf!.subarray(at, at + n));
        else this.#fillAt(b, o, n, value);
        at += n;
        continue;
      }
      // a hole: up to the next region (or the rest)
      const next = Number.isSafeInteger(a) ? this.#backed.find((x) => x.start > a) : undefined;
      const n = next === undefined ? len - at : Math.min(len - at, next.start - a);
      if (mode === 0) (buf as Uint8Array).fill(0, at, at + n);
      ok = false;
      at += n;
    }
    return ok;
  }
}
