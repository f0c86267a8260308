/**
 * QEMU's list of RAM blocks. QEMU keeps it sorted by max_length, largest
 * first (a new block goes before the first smaller one, so equal sizes keep
 * creation order); `info ramblock` and the migration stream follow it.
 */
import { FwCfgError } from '../errors.js';
import type { RamBlock } from './ram-block.js';

export interface RamBlockRow {
  name: string;
  used: number;
  max: number;
}

export class RamList {
  private readonly list: RamBlock[] = [];

  add(block: RamBlock): void {
    if (this.find(block.idstr) !== undefined) throw new FwCfgError('RAMBLOCK_EXISTS', `RAMBlock "${block.idstr}" already registered, abort!`);
    const at = this.list.findIndex((b) => b.maxLength < block.maxLength);
    if (at < 0) this.list.push(block);
    else this.list.splice(at, 0, block);
  }

  find(idstr: string): RamBlock | undefined {
    return this.list.find((b) => b.idstr === idstr);
  }

  get blocks(): readonly RamBlock[] {
    return this.list;
  }

  /** `info ramblock`: name, used, max, in list order. */
  rows(filter?: (b: RamBlock) => boolean): RamBlockRow[] {
    return this.list.filter((b) => filter?.(b) ?? true).map((b) => ({ name: b.idstr, used: b.usedLength, max: b.maxLength }));
  }
}
