/**
 * U-Boot's malloc heap as its qfw loader meets it: Doug Lea's malloc 2.6.6
 * (U-Boot common/dlmalloc.c) on a 64-bit build, carving every request from
 * the top chunk. `malloc(n)` takes `request2size(n)` bytes there and returns
 * the chunk + 16; `memalign(a, n)` with a > 16 takes a larger chunk, starts
 * the block at the first a-aligned address at least MINSIZE past the chunk,
 * gives the lead back to a bin and the tail back to the top. Free bins are
 * not modelled: the requests the loader makes (its script, the blobs) are
 * taken from the top, as every real boot recorded in spec-vectors/uboot/
 * shows (docs there). The top ends at the break: a request the top cannot
 * hold with MINSIZE to spare moves the break by nb + MINSIZE rounded up to
 * a page (malloc_extend_top), and fails when that passes the heap's end.
 */

/** Bytes of a chunk header before the memory malloc returns (prev_size, size). */
const HEADER = 16;
/** The smallest chunk, and the alignment of every chunk (2 * SIZE_SZ). */
const MINSIZE = 32;
const ALIGN_MASK = 15;

/** dlmalloc's request2size: the chunk size for `n` bytes (SIZE_SZ 8 of overhead, 16-byte aligned, at least MINSIZE). */
export function request2size(n: number): number {
  return n + 8 + ALIGN_MASK < MINSIZE + ALIGN_MASK ? MINSIZE : (n + 8 + ALIGN_MASK) & ~ALIGN_MASK;
}

const PAGE = 0x1000;

export class UbootHeap {
  /** The top chunk: free from here to the break. */
  private top: number;
  private brk: number;

  constructor(
    top: number,
    brk: number,
    /** The heap's end (the relocated U-Boot starts there). */
    readonly end: number,
  ) {
    this.top = top;
    this.brk = Math.max(brk, top);
  }

  get topChunk(): number {
    return this.top;
  }

  /** Makes the top hold `size` bytes with MINSIZE to spare, moving the break as sbrk would; false when the heap is full. */
  private fits(size: number): boolean {
    if (this.top + size + MINSIZE <= this.brk) return true;
    const grow = Math.ceil((size + MINSIZE) / PAGE) * PAGE;
    if (this.brk + grow > this.end) return false;
    this.brk += grow;
    return true;
  }

  /** malloc(n): the block's address, or undefined when the heap is full. */
  malloc(n: number): number | undefined {
    const size = request2size(n);
    if (!this.fits(size)) return undefined;
    const mem = this.top + HEADER;
    this.top += size;
    return mem;
  }

  /** memalign(align, n) as dlmalloc does it; align is a power of two (U-Boot's loader checks that first). */
  memalign(align: number, n: number): number | undefined {
    if (align <= HEADER) return this.malloc(n);
    const a = Math.max(align, MINSIZE);
    const nb = request2size(n);
    const chunk = this.top;
    // the whole request (nb + a + MINSIZE) must come from the top before it is trimmed
    if (!this.fits(request2size(nb + a + MINSIZE))) return undefined;
    const mem = chunk + HEADER;
    let start = chunk;
    if (mem % a !== 0) {
      start = Math.ceil(mem / a) * a - HEADER;
      if (start - chunk < MINSIZE) start += a;
    }
    this.top = start + nb;
    return start + HEADER;
  }
}
