/**
 * How a firmware personality reaches the emulated fw_cfg device in a
 * simulation. (Interim: selects and data-register reads through the device
 * core; item writes applied the way a completed DMA WRITE applies them. The
 * register-level driver of the device issue replaces this module.)
 */
import type { FwCfgGuest, WriteResult } from '../firmware/fwcfg-guest.js';
import type { GuestMemory } from '../memory/guest-memory.js';
import type { QemuMachine } from '../qemu/machine.js';
import type { FirmwareName, GuestFactory } from './boot.js';

export const guestFor: GuestFactory = (machine: QemuMachine, memory: GuestMemory, _firmware: FirmwareName): FwCfgGuest => {
  const d = machine.device;
  const read = (key: number, n: number) => {
    d.select(key);
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = d.readByte();
    return out;
  };
  return {
    dma: d.dmaEnabled,
    directory() {
      const head = read(0x19, 4);
      const count = new DataView(head.buffer).getUint32(0, false);
      const all = read(0x19, 4 + 64 * count);
      const dv = new DataView(all.buffer);
      return Array.from({ length: count }, (_, i) => {
        const at = 4 + 64 * i;
        const name = all.subarray(at + 8, at + 64);
        const nul = name.indexOf(0);
        return { size: dv.getUint32(at, false), select: dv.getUint16(at + 4, false), name: String.fromCharCode(...name.subarray(0, nul < 0 ? 56 : nul)) };
      });
    },
    readItem(select, length, dest) {
      memory.write(dest, read(select, length));
    },
    writeItem(select, offset, data): WriteResult {
      if (!d.dmaEnabled) return 'no-dma';
      d.select(select);
      for (let i = 0; i < offset; i++) d.readByte();
      const it = d.currentItem();
      if (!it?.data || !it.allowWrite || offset + data.length > it.data.length) return 'error';
      it.data.set(data, offset);
      it.writeCallback?.(it.opaque, offset, data.length);
      return 'done';
    },
  };
};
