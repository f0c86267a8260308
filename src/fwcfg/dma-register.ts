/**
 * The 8-byte DMA address register ("fwcfg.dma": x86 port 0x514, MMIO
 * base+0x10), a big-endian device region on every machine.
 *
 * Reads always return the bytes "QEMU CFG" (spec-vectors/fwcfg-device/FACTS.md §3: never the latched
 * address). Writes: 4 bytes at +0 latch the high half (low half cleared, no
 * transfer); 4 bytes at +4 OR in the low half and run the transfer; 8 bytes at
 * +0 set the whole address and run it. Anything else is rejected by the
 * region.
 */
import type { MmioOps } from '../memory/address-space.js';
import type { FwCfgDevice } from './device.js';
import { fwCfgDmaTransfer, type DmaBus } from './dma.js';
import { FW_CFG_DMA_SIGNATURE } from './keys.js';

export const FW_CFG_DMA_REGISTER_SIZE = 8;

function beValue(src: Uint8Array, size: number): bigint {
  let v = 0n;
  for (let i = 0; i < size; i++) v = (v << 8n) | BigInt(src[i]!);
  return v;
}

export class FwCfgDmaRegister implements MmioOps {
  readonly maxAccessSize = 8;
  readonly device: FwCfgDevice;
  readonly bus: DmaBus;
  constructor(device: FwCfgDevice, bus: DmaBus) {
    this.device = device;
    this.bus = bus;
  }

  accepts(offset: number, size: number, isWrite: boolean): boolean {
    if (!isWrite) return true;
    return (size === 4 && (offset === 0 || offset === 4)) || (size === 8 && offset === 0);
  }

  read(offset: number, size: number, out: Uint8Array): void {
    for (let i = 0; i < size; i++) out[i] = FW_CFG_DMA_SIGNATURE[offset + i] ?? 0;
  }

  write(offset: number, size: number, src: Uint8Array): void {
    const v = beValue(src, size);
    if (size === 4 && offset === 0) {
      this.device.dmaAddress = v << 32n;
      return;
    }
    if (size === 4) this.device.dmaAddress |= v;
    else this.device.dmaAddress = v;
    fwCfgDmaTransfer(this.device, this.bus);
  }

  /** The guest's 32-bit store of the high half (a value as the CPU holds it, already big-endian on the bus). */
  writeHigh(high: number): void {
    this.device.dmaAddress = BigInt(high >>> 0) << 32n;
  }

  /** The low half: ORed into the latch, then the transfer runs. */
  writeLow(low: number): void {
    this.device.dmaAddress |= BigInt(low >>> 0);
    fwCfgDmaTransfer(this.device, this.bus);
  }

  /** One 64-bit store: the whole address, then the transfer. */
  write64(address: bigint): void {
    this.device.dmaAddress = BigInt.asUintN(64, address);
    fwCfgDmaTransfer(this.device, this.bus);
  }
}
