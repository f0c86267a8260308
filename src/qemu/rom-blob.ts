/**
 * QEMU's ROM blobs with a RAM block behind them (hw/core/loader.c
 * rom_add_blob + rom_set_mr, reached through acpi_add_rom_blob): the data
 * lives in a resizeable RAM block named "/rom@<file>", fw_cfg serves it as a
 * file, and the ROM keeps a private copy of the initial bytes that every
 * system reset writes back.
 */
import type { FwCfgDevice, SelectCallback } from '../fwcfg/device.js';
import { RamBlock } from '../memory/ram-block.js';
import type { RamList } from '../memory/ram-list.js';
import type { QemuHost } from './version.js';

export interface RomContext extends QemuHost {
  device: FwCfgDevice;
  ramList: RamList;
}

export class RomBlob {
  readonly name: string;
  readonly block: RamBlock;
  /** rom->data: the machine-creation bytes. */
  readonly initial: Uint8Array;
  /** rom->romsize: max_len, or the initial length when no maximum was asked for. */
  readonly romSize: number;

  constructor(ctx: RomContext, name: string, data: Uint8Array, maxLen: number, selectCallback: SelectCallback | undefined, opaque: unknown) {
    this.name = name;
    this.initial = data.slice();
    this.romSize = maxLen !== 0 ? maxLen : data.length;
    this.block = new RamBlock({
      idstr: `/rom@${name}`,
      size: data.length,
      maxSize: this.romSize,
      resizeable: true,
      hostPageSize: ctx.hostPageSize,
      messages: ctx.policy.ramSizeMessages,
      notifyUnalignedResize: ctx.policy.notifyUnalignedResize,
      // fw_cfg_resized: the file keeps the same memory, gets the new unaligned size (and, before
      // 10.0, loses its select callback's opaque: FwCfgDeviceOptions.modifyKeepsOpaque)
      resized: (_idstr, size, host) => void ctx.device.modifyFile(name, new Uint8Array(host, 0, size)),
    });
    this.block.bytes().set(this.initial);
    ctx.ramList.add(this.block);
    ctx.device.addFile(name, this.block.view(data.length), { selectCallback, opaque, readOnly: true });
  }

  /** rom_reset: the initial bytes back, zeros up to romsize (reserved memory too); the block keeps its length. */
  reset(): void {
    const host = this.block.reserved(this.romSize);
    host.set(this.initial.subarray(0, Math.min(this.initial.length, host.length)));
    if (this.initial.length < host.length) host.fill(0, this.initial.length);
  }

  /** The bytes fw_cfg currently serves for this file. */
  fileBytes(device: FwCfgDevice): Uint8Array {
    return device.fileItem(this.name)?.data ?? new Uint8Array(0);
  }
}
