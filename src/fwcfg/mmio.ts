/**
 * MMIO fw_cfg (arm virt at 0x09020000, riscv virt, ...): data at +0 (1, 2, 4
 * or 8 bytes, only at offset 0, bytes in item order), selector at +8
 * (exactly 2 bytes, big-endian, write-only) and the DMA register at +0x10
 * (spec-vectors/fwcfg-device/FACTS.md §5). Gaps between the three regions are unassigned memory.
 */
import { AddressSpace, type MmioOps, type MmioRange } from '../memory/address-space.js';
import type { FwCfgDevice } from './device.js';
import type { DmaBus } from './dma.js';
import { FW_CFG_DMA_REGISTER_SIZE, FwCfgDmaRegister } from './dma-register.js';
import type { FwCfgGuestRegisters } from './registers.js';

export const VIRT_FW_CFG_BASE = 0x09020000n;
export const FW_CFG_MMIO_DATA = 0;
export const FW_CFG_MMIO_CTL = 8;
export const FW_CFG_MMIO_DMA = 0x10;

/** "fwcfg.data": reads of up to `width` bytes at offset 0; writes there are accepted and ignored. */
export class FwCfgMmioData implements MmioOps {
  readonly device: FwCfgDevice;
  readonly maxAccessSize: number;
  constructor(device: FwCfgDevice, width = 8) {
    this.device = device;
    this.maxAccessSize = width;
  }
  accepts(offset: number): boolean {
    return offset === 0;
  }
  read(_offset: number, size: number, out: Uint8Array): void {
    this.device.readData(size, out);
  }
  write(): void {
    // data writes are no-ops since QEMU 2.4
  }
}

/** "fwcfg.ctl": a 2-byte big-endian selector store; everything else is rejected. */
export class FwCfgMmioCtl implements MmioOps {
  readonly device: FwCfgDevice;
  constructor(device: FwCfgDevice) {
    this.device = device;
  }
  accepts(offset: number, size: number, isWrite: boolean): boolean {
    return isWrite && size === 2 && offset === 0;
  }
  read(_offset: number, size: number, out: Uint8Array): void {
    out.fill(0, 0, size);
  }
  write(_offset: number, _size: number, src: Uint8Array): void {
    this.device.select((src[0]! << 8) | src[1]!);
  }
}

export interface FwCfgMmioOptions {
  base?: bigint;
  /** Data register width (QEMU's data_width): 8 on arm virt. */
  dataWidth?: number;
  bus?: DmaBus;
}

/** The three fw_cfg MMIO ranges of a machine. */
export function fwCfgMmioRanges(device: FwCfgDevice, options: FwCfgMmioOptions = {}): { ranges: MmioRange[]; dma: FwCfgDmaRegister | undefined } {
  const base = options.base ?? VIRT_FW_CFG_BASE;
  const width = options.dataWidth ?? 8;
  const dma = device.dmaEnabled && options.bus !== undefined ? new FwCfgDmaRegister(device, options.bus) : undefined;
  const ranges: MmioRange[] = [
    { name: 'fwcfg.data', start: base, end: base + BigInt(width), offset: 0, ops: new FwCfgMmioData(device, width) },
    { name: 'fwcfg.ctl', start: base + BigInt(FW_CFG_MMIO_CTL), end: base + BigInt(FW_CFG_MMIO_CTL + 2), offset: 0, ops: new FwCfgMmioCtl(device) },
  ];
  if (dma !== undefined) {
    ranges.push({ name: 'fwcfg.dma', start: base + BigInt(FW_CFG_MMIO_DMA), end: base + BigInt(FW_CFG_MMIO_DMA + FW_CFG_DMA_REGISTER_SIZE), offset: 0, ops: dma });
  }
  return { ranges, dma };
}

/** A memory bus holding only fw_cfg's MMIO registers: what a guest driver on arm talks to. */
export class FwCfgMmio implements FwCfgGuestRegisters {
  readonly layout = 'mmio' as const;
  readonly device: FwCfgDevice;
  readonly base: bigint;
  readonly dataWidth: number;
  readonly dma: FwCfgDmaRegister | undefined;
  readonly space: AddressSpace;
  private readonly word = new Uint8Array(8);

  constructor(device: FwCfgDevice, options: FwCfgMmioOptions = {}) {
    this.device = device;
    this.base = options.base ?? VIRT_FW_CFG_BASE;
    this.dataWidth = options.dataWidth ?? 8;
    const { ranges, dma } = fwCfgMmioRanges(device, options);
    this.dma = dma;
    this.space = new AddressSpace('memory', { devices: ranges });
  }

  get hasDmaRegister(): boolean {
    return this.dma !== undefined;
  }

  /** A CPU load of `size` bytes at `addr` (little-endian CPU: the value is the bytes read LE). */
  load(addr: bigint, size: 1 | 2 | 4 | 8): bigint {
    const b = this.word.subarray(0, size);
    this.space.read(addr, b);
    let v = 0n;
    for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
    return v;
  }

  /** A CPU store of `size` bytes (little-endian CPU). */
  store(addr: bigint, size: 1 | 2 | 4 | 8, value: bigint): void {
    const b = this.word.subarray(0, size);
    for (let i = 0; i < size; i++) b[i] = Number((value >> BigInt(8 * i)) & 0xffn);
    this.space.write(addr, b);
  }

  select(key: number): void {
    // a little-endian CPU stores bswap16(key) so the big-endian register sees the key
    this.word[0] = (key >>> 8) & 0xff;
    this.word[1] = key & 0xff;
    this.space.write(this.base + BigInt(FW_CFG_MMIO_CTL), this.word.subarray(0, 2));
  }

  /** The widest data reads that fit, as OVMF's MMIO path and U-Boot do; bytes come out in item order. */
  readData(out: Uint8Array): void {
    let at = 0;
    while (at < out.length) {
      let n = this.dataWidth;
      while (n > out.length - at) n >>= 1;
      this.space.read(this.base, out.subarray(at, at + n));
      at += n;
    }
  }

  writeDataByte(value: number): void {
    this.word[0] = value & 0xff;
    this.space.write(this.base, this.word.subarray(0, 1));
  }

  readDmaRegister(): Uint8Array {
    const out = new Uint8Array(8);
    this.space.read(this.base + BigInt(FW_CFG_MMIO_DMA), out);
    return out;
  }

  writeDmaHigh(high: number): void {
    const v = new DataView(this.word.buffer);
    v.setUint32(0, high >>> 0, false);
    this.space.write(this.base + BigInt(FW_CFG_MMIO_DMA), this.word.subarray(0, 4));
  }

  writeDmaLow(low: number): void {
    const v = new DataView(this.word.buffer);
    v.setUint32(0, low >>> 0, false);
    this.space.write(this.base + BigInt(FW_CFG_MMIO_DMA + 4), this.word.subarray(0, 4));
  }

  writeDma64(address: bigint): void {
    new DataView(this.word.buffer).setBigUint64(0, BigInt.asUintN(64, address), false);
    this.space.write(this.base + BigInt(FW_CFG_MMIO_DMA), this.word.subarray(0, 8));
  }
}
