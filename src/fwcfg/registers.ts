/**
 * What a guest driver touches: the fw_cfg registers as the CPU sees them,
 * whatever the machine's layout (x86 ports or MMIO). Values are CPU values:
 * each layout does the byte swapping its bus needs, as firmware does with
 * bswap/cpu_to_be.
 */
export type FwCfgLayout = 'io' | 'mmio';

export interface FwCfgGuestRegisters {
  readonly layout: FwCfgLayout;
  /** The DMA address register exists (ID bit 1 tells the guest whether to use it). */
  readonly hasDmaRegister: boolean;
  /** Selector write: outw 0x510 (LE) or a 16-bit big-endian MMIO store. */
  select(key: number): void;
  /** Data reads filling `out`: rep insb on x86, the widest MMIO reads that fit otherwise. */
  readData(out: Uint8Array): void;
  /** One data-register byte write (ignored by QEMU since 2.4; OVMF's no-DMA write path does it). */
  writeDataByte(value: number): void;
  /** The 8 bytes the DMA register reads as. */
  readDmaRegister(): Uint8Array;
  /** 32-bit store of the descriptor address' high half (latched, no transfer). */
  writeDmaHigh(high: number): void;
  /** 32-bit store of the low half: starts the transfer. */
  writeDmaLow(low: number): void;
  /** One 64-bit store of the whole address, where the bus has one (MMIO). */
  writeDma64?(address: bigint): void;
}

export function bswap32(v: number): number {
  return (((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24)) >>> 0;
}

export function bswap16(v: number): number {
  return ((v & 0xff) << 8) | ((v >>> 8) & 0xff);
}
