/**
 * SeaBIOS's zone allocator (src/malloc.c): top-down first fit. Each
 * allocation takes the highest aligned spot in the highest free gap that can
 * hold it; the space it leaves above itself (alignment slack) stays usable.
 */
export interface Range {
  start: number;
  end: number;
}

/** The highest `align`-aligned start of `size` bytes inside the gap, if any. */
function highestFit(g: Range, size: number, align: number): number | undefined {
  const at = Math.floor((g.end - size) / align) * align;
  return at >= g.start && at + size <= g.end ? at : undefined;
}

export class ZoneAllocator {
  readonly name: string;
  readonly zone: Range;
  /** Free gaps, highest first. */
  private gaps: Range[];

  constructor(name: string, zone: Range) {
    this.name = name;
    this.zone = zone;
    this.gaps = [{ start: zone.start, end: zone.end }];
  }

  /** _malloc(zone, size, align): the address, or undefined when nothing fits. */
  allocate(size: number, align: number): number | undefined {
    for (let i = 0; i < this.gaps.length; i++) {
      const g = this.gaps[i]!;
      const at = highestFit(g, size, align);
      if (at !== undefined) {
        this.carve(i, at, at + size);
        return at;
      }
    }
    return undefined;
  }

  /** What allocate() gives as a fresh zone's first allocation, without making the allocator (a zone used once per boot). */
  static firstFit(zone: Range, size: number, align: number): number | undefined {
    return highestFit(zone, size, align);
  }

  /** Takes [start, end) wherever it is (a pinned placement); false if not entirely free. */
  reserve(start: number, end: number): boolean {
    const i = this.gaps.findIndex((g) => start >= g.start && end <= g.end);
    if (i < 0) return false;
    this.carve(i, start, end);
    return true;
  }

  /** A pin: taken from free space, outside the zone, or overlapping an allocation (firmware/pinning.ts). */
  claim(start: number, end: number): 'taken' | 'outside' | 'overlap' {
    if (this.reserve(start, end)) return 'taken';
    return end <= this.zone.start || start >= this.zone.end ? 'outside' : 'overlap';
  }

  /**
   * free(): [start, end) is free again, one gap with the free space on either
   * side (alloc_free hands a block's range to the block below it; the slack
   * above the block was already its own, so both sides merge).
   */
  release(start: number, end: number): void {
    let i = this.gaps.findIndex((g) => g.start < end);
    if (i < 0) i = this.gaps.length;
    const above = this.gaps[i - 1];
    const below = this.gaps[i];
    if (above !== undefined && above.start === end) {
      above.start = start;
      if (below !== undefined && below.end === start) {
        above.start = below.start;
        this.gaps.splice(i, 1);
      }
    } else if (below !== undefined && below.end === start) below.end = end;
    else this.gaps.splice(i, 0, { start, end });
  }

  private carve(i: number, start: number, end: number): void {
    const gaps = this.gaps;
    const g = gaps[i]!;
    const above = end < g.end;
    const below = g.start < start;
    if (above && below) {
      // a new gap below this one, at i + 1 (by hand: splice costs more than the few moves)
      gaps.push(g);
      for (let k = gaps.length - 1; k > i + 1; k--) gaps[k] = gaps[k - 1]!;
      gaps[i + 1] = { start: g.start, end: start };
    }
    if (above) g.start = end;
    else if (below) g.end = start;
    else {
      for (let k = i; k < gaps.length - 1; k++) gaps[k] = gaps[k + 1]!;
      gaps.pop();
    }
  }

  /** The free gaps, highest first (for reports). */
  free(): Range[] {
    return this.gaps.map((g) => ({ ...g }));
  }
}
