/**
 * UEFI AllocatePages as OVMF's runs hand pages out: whole pages, top-down,
 * first from the memory-type bin (a range the DXE core reserves per memory
 * type), and from general memory below when a request does not fit in what
 * is left of the bin. Freed pages are not reused by these runs.
 */
export const PAGE = 0x1000;

export interface Bin {
  /** Lowest address of the bin. */
  bottom: number;
  /** First free page is just below this. */
  top: number;
}

export class PageAllocator {
  private next: number;
  private general: number;
  private readonly bottom: number;

  /** `bin`: the type's bin; `generalTop`: where requests that do not fit go (top-down). */
  constructor(bin: Bin, generalTop?: number) {
    this.next = bin.top;
    this.bottom = bin.bottom;
    this.general = generalTop ?? bin.bottom;
  }

  /** `pages` pages, top-down; undefined for 0 pages (the DXE core refuses). */
  allocate(pages: number): number | undefined {
    if (pages <= 0) return undefined;
    if (this.next - pages * PAGE >= this.bottom) {
      this.next -= pages * PAGE;
      return this.next;
    }
    this.general -= pages * PAGE;
    return this.general;
  }
}

export const pagesFor = (bytes: number) => Math.ceil(bytes / PAGE);
