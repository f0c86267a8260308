/** UEFI AllocatePages as OVMF's runs hand them out here: whole pages, top-down, never reused. */
export const PAGE = 0x1000;

export class PageAllocator {
  private next: number;
  constructor(top: number) {
    this.next = top;
  }
  /** `pages` pages below the last allocation; undefined for 0 pages (the DXE core refuses). */
  allocate(pages: number): number | undefined {
    if (pages <= 0) return undefined;
    this.next -= pages * PAGE;
    return this.next;
  }
  get lowest(): number {
    return this.next;
  }
}

export const pagesFor = (bytes: number) => Math.ceil(bytes / PAGE);
