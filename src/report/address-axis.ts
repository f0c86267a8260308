/**
 * A guest-physical axis on which a 20-byte RSDP and a 128 KiB tables blob
 * are both visible: the address range is cut at every edge of something
 * drawn (RAM, the F-segment, blobs, tables), and each piece gets a width
 * that grows with the logarithm of its byte count. Pieces nothing is drawn
 * in (free RAM, holes between RAM ranges) get a narrower log width, so 2 GiB
 * of nothing costs about as much room as a small table. Inside a piece the
 * scale is linear, so a pointer field lands where it really is in its blob.
 */

export interface Span {
  start: number;
  end: number;
}

export type PieceKind = 'drawn' | 'free' | 'hole';

export interface Piece extends Span {
  kind: PieceKind;
  x0: number;
  x1: number;
}

/** Pixels for a piece of `bytes` bytes. */
function widthOf(kind: PieceKind, bytes: number): number {
  const log = Math.log2(1 + bytes);
  switch (kind) {
    case 'drawn':
      // never narrower than a four-letter signature
      return Math.max(26, 4 + 4.2 * log);
    case 'free':
      return 6 + log;
    case 'hole':
      return 22;
  }
}

export class AddressAxis {
  readonly pieces: Piece[] = [];
  readonly width: number;

  /**
   * `ram`: the guest's RAM ranges; `drawn`: spans something is drawn over;
   * `marks`: further addresses to cut at (a region's edges). `margin` pixels
   * are left on both sides.
   */
  constructor(ram: readonly Span[], drawn: readonly Span[], marks: readonly number[] = [], readonly margin = 12) {
    const cuts = new Set<number>(marks);
    for (const s of [...ram, ...drawn]) {
      cuts.add(s.start);
      cuts.add(s.end);
    }
    const sorted = [...cuts].sort((a, b) => a - b);
    let x = margin;
    for (let i = 0; i + 1 < sorted.length; i++) {
      const start = sorted[i]!;
      const end = sorted[i + 1]!;
      const inside = (s: Span) => s.start <= start && end <= s.end;
      const kind: PieceKind = drawn.some(inside) ? 'drawn' : ram.some(inside) ? 'free' : 'hole';
      const w = widthOf(kind, end - start);
      this.pieces.push({ start, end, kind, x0: x, x1: x + w });
      x += w;
    }
    this.width = x + margin;
  }

  get start(): number {
    return this.pieces[0]?.start ?? 0;
  }

  get end(): number {
    return this.pieces.at(-1)?.end ?? 0;
  }

  /** The x of an address (clamped to the axis). */
  x(address: number): number {
    const ps = this.pieces;
    if (ps.length === 0) return this.margin;
    if (address <= ps[0]!.start) return ps[0]!.x0;
    let lo = 0;
    let hi = ps.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (ps[mid]!.start <= address) lo = mid;
      else hi = mid - 1;
    }
    const p = ps[lo]!;
    if (address >= p.end) return p.x1;
    return p.x0 + ((address - p.start) / (p.end - p.start)) * (p.x1 - p.x0);
  }
}
