/**
 * The fw_cfg DMA engine: one transfer, run synchronously inside the guest's
 * write to the DMA address register (../shared/spec/fw-cfg.md §4.3 with the corrections of
 * spec-vectors/fwcfg-device/FACTS.md §4).
 *
 * Guest memory is reached only through a DmaBus with QEMU's address-space
 * semantics: RAM takes the bytes, ROM and holes refuse them (the in-RAM part
 * of a straddling range is still transferred), addresses wrap at 2^64. The
 * descriptor's 64-bit address stays a bigint; the bus decides what is
 * reachable.
 */
import type { FwCfgDevice } from './device.js';
import {
  FW_CFG_DMA_CTL_ERROR,
  FW_CFG_DMA_CTL_READ,
  FW_CFG_DMA_CTL_SELECT,
  FW_CFG_DMA_CTL_SKIP,
  FW_CFG_DMA_CTL_WRITE,
  FW_CFG_INVALID,
} from './keys.js';

const U64 = (1n << 64n) - 1n;

/** Guest memory as the DMA engine sees it (QEMU's dma_memory_* over address_space_memory). */
export interface DmaBus {
  /** Copies [addr, addr+out.length) into out; unreadable bytes become 0. False unless every byte was read. */
  dmaRead(addr: bigint, out: Uint8Array): boolean;
  /** Stores src at addr; bytes that land in RAM are kept. False unless every byte landed. */
  dmaWrite(addr: bigint, src: Uint8Array): boolean;
  dmaFill(addr: bigint, len: number, value: number): boolean;
  /** stl_*_dma: a 4-byte DMA write (the bytes that fall in RAM land, as with dmaWrite). */
  store32(addr: bigint, value: number, bigEndian: boolean): boolean;
}

/** FWCfgDmaAccess as the guest lays it out: 16 bytes, all fields big-endian. */
export interface DmaAccess {
  control: number;
  length: number;
  address: bigint;
}

export const DMA_ACCESS_SIZE = 16;

export function decodeDmaAccess(bytes: Uint8Array): DmaAccess {
  const v = new DataView(bytes.buffer, bytes.byteOffset, DMA_ACCESS_SIZE);
  return { control: v.getUint32(0, false), length: v.getUint32(4, false), address: v.getBigUint64(8, false) };
}

export function encodeDmaAccess(a: DmaAccess, out = new Uint8Array(DMA_ACCESS_SIZE)): Uint8Array {
  const v = new DataView(out.buffer, out.byteOffset, DMA_ACCESS_SIZE);
  v.setUint32(0, a.control >>> 0, false);
  v.setUint32(4, a.length >>> 0, false);
  v.setBigUint64(8, BigInt.asUintN(64, a.address), false);
  return out;
}

/** Control word with a selector in bits 31..16. */
export function dmaControl(bits: number, key = 0): number {
  return (((key & 0xffff) << 16) | (bits & 0xffff)) >>> 0;
}

const enum Op {
  None,
  Read,
  Write,
  Skip,
}

const descriptor = new Uint8Array(DMA_ACCESS_SIZE);

/**
 * Runs the transfer whose descriptor address is latched in the device
 * (`dmaAddress`), as fw_cfg_dma_transfer does. Never throws for a guest-chosen
 * descriptor; host callbacks may.
 */
export function fwCfgDmaTransfer(device: FwCfgDevice, bus: DmaBus): void {
  const at = device.dmaAddress;
  // the latch is cleared before anything else, even if the descriptor is unreachable
  device.dmaAddress = 0n;
  if (!bus.dmaRead(at, descriptor)) {
    bus.store32(at, FW_CFG_DMA_CTL_ERROR, true);
    return;
  }
  const d = decodeDmaAccess(descriptor);
  if (d.control & FW_CFG_DMA_CTL_SELECT) device.select(d.control >>> 16);

  let op = Op.None;
  let length = d.length;
  if (d.control & FW_CFG_DMA_CTL_READ) op = Op.Read;
  else if (d.control & FW_CFG_DMA_CTL_WRITE) op = Op.Write;
  else if (d.control & FW_CFG_DMA_CTL_SKIP) op = Op.Skip;
  else length = 0;

  // whatever the guest put in control (its ERROR bit included) is replaced by the outcome
  let status = 0;
  let address = d.address;
  while (length > 0 && status === 0) {
    const item = device.curEntry === FW_CFG_INVALID ? undefined : device.currentItem();
    const data = item?.data;
    let chunk: number;
    if (data == null || device.curOffset >= data.length) {
      // nothing (more) to transfer: reads are zero-filled, writes fail, skips stop here
      chunk = length;
      if (op === Op.Read) {
        if (!bus.dmaFill(address, chunk, 0)) status = FW_CFG_DMA_CTL_ERROR;
      } else if (op === Op.Write) status = FW_CFG_DMA_CTL_ERROR;
    } else {
      const offset = device.curOffset;
      chunk = Math.min(length, data.length - offset);
      if (op === Op.Read) {
        if (!bus.dmaWrite(address, data.subarray(offset, offset + chunk))) status = FW_CFG_DMA_CTL_ERROR;
      } else if (op === Op.Write) {
        // a write that would run past the end is refused whole; the guest buffer is read
        // straight into the item, so a partly unreadable buffer still changes it (as QEMU)
        if (!item!.allowWrite || chunk !== length || !bus.dmaRead(address, data.subarray(offset, offset + chunk))) {
          status = FW_CFG_DMA_CTL_ERROR;
        } else if (item!.writeCallback !== undefined) {
          item!.writeCallback(item!.opaque, offset, chunk);
        }
      }
      // read, write (even a refused one) and skip all move the offset
      device.curOffset = offset + chunk;
    }
    address = (address + BigInt(chunk)) & U64;
    length -= chunk;
  }
  bus.store32(at, status, true);
}
