/**
 * x86 port I/O for fw_cfg (pc, q35, microvm): the 2-byte "fwcfg" region at
 * 0x510 (selector, little-endian; data at either port) and the 8-byte
 * "fwcfg.dma" region at 0x514 when DMA is enabled.
 *
 * FwCfgIoRegion is QEMU's combined region: 1-byte reads at 0x510 or 0x511
 * return the next data byte, a 2-byte write at 0x510 selects, 1-byte writes
 * are accepted and ignored, anything else is rejected (spec-vectors/fwcfg-device/FACTS.md §2).
 * FwCfgIoPorts is a whole port bus holding only fw_cfg over QEMU's unassigned
 * I/O background, so every width and address splits exactly as on QEMU; the
 * common accesses (inb of data, outw of the selector) take a direct path that
 * gives the same answer.
 */
import { AddressSpace, UNASSIGNED_IO_OPS, type MmioOps, type MmioRange } from '../memory/address-space.js';
import type { FwCfgDevice } from './device.js';
import type { DmaBus } from './dma.js';
import { FW_CFG_DMA_REGISTER_SIZE, FwCfgDmaRegister } from './dma-register.js';
import { bswap32, type FwCfgGuestRegisters } from './registers.js';

export const FW_CFG_IO_BASE = 0x510;
export const FW_CFG_IO_SIZE = 2;
export const FW_CFG_IO_DATA = 0x511;
export const FW_CFG_IO_DMA = 0x514;
export const X86_IO_SPACE_SIZE = 0x10000;

/** QEMU's fw_cfg_comb region ("fwcfg"). */
export class FwCfgIoRegion implements MmioOps {
  readonly device: FwCfgDevice;
  constructor(device: FwCfgDevice) {
    this.device = device;
  }
  accepts(offset: number, size: number, isWrite: boolean): boolean {
    return size === 1 || (isWrite && size === 2 && offset === 0);
  }
  read(_offset: number, _size: number, out: Uint8Array): void {
    out[0] = this.device.readByte();
  }
  write(_offset: number, size: number, src: Uint8Array): void {
    // data-port writes have had no effect since QEMU 2.4
    if (size === 2) this.device.select(src[0]! | (src[1]! << 8));
  }
}

/** Unassigned I/O ranges around the given device ranges, as `info mtree -f` lists them ("io @start"). */
export function ioBackground(devices: readonly { start: bigint; end: bigint }[], size = BigInt(X86_IO_SPACE_SIZE)): MmioRange[] {
  const sorted = [...devices].sort((a, b) => (a.start < b.start ? -1 : 1));
  const out: MmioRange[] = [];
  let at = 0n;
  for (const d of sorted) {
    if (d.start > at) out.push({ name: 'io', start: at, end: d.start, offset: Number(at), ops: UNASSIGNED_IO_OPS });
    if (d.end > at) at = d.end;
  }
  if (at < size) out.push({ name: 'io', start: at, end: size, offset: Number(at), ops: UNASSIGNED_IO_OPS });
  return out;
}

export interface FwCfgIoPortsOptions {
  /** Guest memory for DMA; without it (or with DMA disabled) ports 0x514-0x51b are unassigned. */
  bus?: DmaBus;
}

export class FwCfgIoPorts implements FwCfgGuestRegisters {
  readonly layout = 'io' as const;
  readonly device: FwCfgDevice;
  readonly region: FwCfgIoRegion;
  readonly dma: FwCfgDmaRegister | undefined;
  readonly space: AddressSpace;
  private readonly word = new Uint8Array(8);

  constructor(device: FwCfgDevice, options: FwCfgIoPortsOptions = {}) {
    this.device = device;
    this.region = new FwCfgIoRegion(device);
    this.dma = device.dmaEnabled && options.bus !== undefined ? new FwCfgDmaRegister(device, options.bus) : undefined;
    const devices: MmioRange[] = [{ name: 'fwcfg', start: BigInt(FW_CFG_IO_BASE), end: BigInt(FW_CFG_IO_BASE + FW_CFG_IO_SIZE), offset: 0, ops: this.region }];
    if (this.dma !== undefined) {
      devices.push({ name: 'fwcfg.dma', start: BigInt(FW_CFG_IO_DMA), end: BigInt(FW_CFG_IO_DMA + FW_CFG_DMA_REGISTER_SIZE), offset: 0, ops: this.dma });
    }
    this.space = new AddressSpace('I/O', { size: BigInt(X86_IO_SPACE_SIZE), devices: [...devices, ...ioBackground(devices)] });
  }

  get hasDmaRegister(): boolean {
    return this.dma !== undefined;
  }

  /** inb/inw/inl: the value a CPU reads (little-endian composition of the bytes). */
  in(port: number, size: 1 | 2 | 4): number {
    if (size === 1 && (port === FW_CFG_IO_DATA || port === FW_CFG_IO_BASE)) return this.device.readByte();
    const b = this.word;
    this.space.read(BigInt(port), b.subarray(0, size));
    return size === 1 ? b[0]! : size === 2 ? b[0]! | (b[1]! << 8) : (b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24)) >>> 0;
  }

  /** outb/outw/outl of a CPU value. */
  out(port: number, size: 1 | 2 | 4, value: number): void {
    if (size === 2 && port === FW_CFG_IO_BASE) {
      this.device.select(value & 0xffff);
      return;
    }
    const b = this.word;
    for (let i = 0; i < size; i++) b[i] = (value >>> (8 * i)) & 0xff;
    this.space.write(BigInt(port), b.subarray(0, size));
  }

  // ------------------------------------------------------- guest registers

  select(key: number): void {
    this.out(FW_CFG_IO_BASE, 2, key);
  }

  /** rep insb from 0x511. */
  readData(out: Uint8Array): void {
    this.device.readData(out.length, out);
  }

  writeDataByte(value: number): void {
    this.out(FW_CFG_IO_DATA, 1, value);
  }

  readDmaRegister(): Uint8Array {
    const out = new Uint8Array(8);
    this.space.read(BigInt(FW_CFG_IO_DMA), out.subarray(0, 4));
    this.space.read(BigInt(FW_CFG_IO_DMA + 4), out.subarray(4, 8));
    return out;
  }

  writeDmaHigh(high: number): void {
    this.out(FW_CFG_IO_DMA, 4, bswap32(high));
  }

  writeDmaLow(low: number): void {
    this.out(FW_CFG_IO_DMA + 4, 4, bswap32(low));
  }
}
