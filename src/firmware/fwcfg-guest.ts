/**
 * What a firmware personality asks of fw_cfg, in the terms firmware uses.
 * Implementations drive the emulated device through its registers and DMA
 * (src/fwcfg), so reads see what the device serves at that moment and
 * WRITE_POINTERs reach the item through a real DMA transfer.
 */
import type { GuestAddress } from '../memory/address.js';

import type { FwCfgFile } from '../fwcfg/directory.js';

export type WriteResult = 'done' | 'error' | 'no-dma';

/** A file directory record (fwcfg/directory.ts). */
export type FwCfgDirEntry = FwCfgFile;

export interface FwCfgGuest {
  /** Whether the ID item advertises DMA (read at detection). */
  readonly dma: boolean;
  /** One read of the file directory through the device. */
  directory(): FwCfgDirEntry[];
  /** Select `select` and read `length` bytes into guest memory at `dest`. */
  readItem(select: number, length: number, dest: GuestAddress): void;
  /**
   * `length` bytes of the item from `offset` (select, skip, read) into the
   * firmware's own variables: the small values firmware keeps on its stack,
   * not in memory this model tracks. Past the item's end it reads zeros, as
   * QEMU serves them.
   */
  readBytes(select: number, offset: number, length: number): Uint8Array;
  /**
   * Write `data` into the item at `offset` by the firmware's idiom: 'done'
   * when the DMA transfer completed, 'error' when the device set the error
   * bit, 'no-dma' when the firmware had no DMA to use.
   */
  writeItem(select: number, offset: number, data: Uint8Array): WriteResult;
}
