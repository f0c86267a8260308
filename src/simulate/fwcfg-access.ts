/**
 * How a firmware personality reaches fw_cfg in a simulation: FwCfgDriver with
 * that firmware's idiom, over the machine's real register layout (x86 ports
 * 0x510/0x511/0x514, or the MMIO window on arm virt), DMA transfers run by
 * the device engine against the boot's guest memory. Every read and every
 * WRITE_POINTER crosses the registers as it does on QEMU.
 *
 * The idiom (SeaBIOS's or OVMF's) is the firmware record's (firmware/records/).
 */
import type { FwCfgGuest, WriteResult } from '../firmware/fwcfg-guest.js';
import { FW_CFG_DMA_CTL_ERROR } from '../fwcfg/keys.js';
import { FwCfgDriver, FwCfgDriverError } from '../fwcfg/driver.js';
import { FwCfgIoPorts } from '../fwcfg/io-ports.js';
import { FwCfgMmio } from '../fwcfg/mmio.js';
import type { FwCfgGuestRegisters } from '../fwcfg/registers.js';
import { AddressSpace } from '../memory/address-space.js';
import type { GuestMemory } from '../memory/guest-memory.js';
import type { QemuMachine } from '../qemu/machine.js';
import type { AnyFirmwareRecord } from '../firmware/record.js';

/** How the firmware reaches fw_cfg on this machine (its driver idiom over the device). */
export type GuestFactory = (machine: QemuMachine, memory: GuestMemory, firmware: AnyFirmwareRecord, scratch: number) => FwCfgGuest;

/** The driver's DMA descriptor (16 bytes) and bounce buffer: one page of the firmware's own memory. */
export const DRIVER_SCRATCH_SIZE = 0x1000;

/**
 * Where the driver keeps its descriptor: on x86 in low RAM below SeaBIOS's
 * stack top (0x7000), away from every allocator; on arm 2 MiB into RAM,
 * past the DTB QEMU puts at its start.
 */
export function driverScratch(machine: QemuMachine): number {
  return machine.type.arch === 'x86_64' ? 0x6000 : 0x40200000;
}

/** The machine's fw_cfg registers, DMA reaching `memory` as QEMU's address_space_memory would. */
export function registersFor(machine: QemuMachine, memory: GuestMemory): FwCfgGuestRegisters {
  const bus = new AddressSpace('memory (DMA)', { memory });
  return machine.type.arch === 'x86_64' ? new FwCfgIoPorts(machine.device, { bus }) : new FwCfgMmio(machine.device, { bus });
}

export const guestFor: GuestFactory = (machine: QemuMachine, memory: GuestMemory, firmware: AnyFirmwareRecord, scratch: number): FwCfgGuest => {
  const driver = new FwCfgDriver(registersFor(machine, memory), memory, { style: firmware.driverStyle(machine.type.arch), scratch, bounceSize: DRIVER_SCRATCH_SIZE - 16 });
  if (!driver.detect()) throw new FwCfgDriverError('NO_FWCFG', `no fw_cfg signature on ${machine.type.name}`);
  return {
    dma: driver.dma,
    directory: () => driver.files(),
    readItem(select, length, dest) {
      driver.readInto(select, 0, length, dest);
    },
    readBytes: (select, offset, length) => driver.read(select, offset, length),
    writeItem(select, offset, data): WriteResult {
      if (!driver.dma) {
        // OVMF falls back to data-port writes, which QEMU ignores; SeaBIOS does not try
        if (driver.writesWithoutDma) driver.write(select, offset, data);
        return 'no-dma';
      }
      try {
        driver.write(select, offset, data);
      } catch (err) {
        if (err instanceof FwCfgDriverError && err.code === 'DMA_ERROR') return 'error';
        throw err;
      }
      // SeaBIOS's completion loop ignores the error bit; the status is still in the descriptor
      return (memory.readU32BE(scratch) & FW_CFG_DMA_CTL_ERROR) !== 0 ? 'error' : 'done';
    },
  };
};

/**
 * The same guest, keeping for each file the firmware reads its whole content
 * as QEMU served it at that read (after any rebuild the read's select set
 * off): the loader a firmware ran is the one it read, which a later rebuild
 * in the same boot may already have replaced by the time the boot ends.
 */
export function servedRecorder(inner: GuestFactory, served: Map<string, Uint8Array>): GuestFactory {
  return (machine, memory, firmware, scratch) => {
    const guest = inner(machine, memory, firmware, scratch);
    return {
      dma: guest.dma,
      directory: () => guest.directory(),
      writeItem: (select, offset, data) => guest.writeItem(select, offset, data),
      readBytes: (select, offset, length) => guest.readBytes(select, offset, length),
      readItem(select, length, dest) {
        guest.readItem(select, length, dest);
        const name = machine.device.fileRecords().find((r) => r.select === select)?.name;
        const data = name === undefined ? undefined : machine.device.fileItem(name)?.data;
        if (name !== undefined && data != null && !served.has(name)) served.set(name, data.slice());
      },
    };
  };
}
