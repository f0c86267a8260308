// TEMPORARY test double: reaches the device core directly (port-style reads, direct item writes).
import type { FwCfgGuest, WriteResult } from '../../src/firmware/fwcfg-guest.js';
import type { GuestMemory } from '../../src/memory/guest-memory.js';
import type { QemuMachine } from '../../src/qemu/machine.js';

export function coreGuest(machine: QemuMachine, memory: GuestMemory): FwCfgGuest {
  const d = machine.device;
  const read = (key: number, n: number) => {
    d.select(key);
    return Uint8Array.from({ length: n }, () => d.readByte());
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
        const nameBytes = all.subarray(at + 8, at + 64);
        const nul = nameBytes.indexOf(0);
        return { size: dv.getUint32(at, false), select: dv.getUint16(at + 4, false), name: String.fromCharCode(...nameBytes.subarray(0, nul < 0 ? 56 : nul)) };
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
}
