/**
 * QEMU's parallel flash with the Intel command set (pflash_cfi01), as arm
 * virt wires it at 0 (virt.flash0) and 0x4000000 (virt.flash1): what a guest
 * access to it does. In read-array mode reads go straight to the flash's
 * bytes; every write is a command to its state machine (QEMU answers the
 * access as done whatever the command), and until the flash is back in
 * read-array mode, reads answer from that state: the status register, the
 * device identifier, the CFI query table.
 *
 * Facts (each checked against QEMU 7.2 on arm virt, test/flash.test.ts):
 * - every write while no command is pending leaves ROM mode; 0x00, 0xff,
 *   0xf0 and any unknown command go back to read-array mode; 0x50 clears the
 *   status (to 0) and goes back too.
 * - 0x70 status and 0x90 device ID take effect at once; 0x98 (CFI query),
 *   0x10/0x40 (program), 0x20 (erase), 0x60 (lock) and 0xe8 (write to
 *   buffer) wait for a second cycle. Erase clears the 256 KiB block to 0xff
 *   at its first cycle already; the second cycle must be 0xd0 (or 0xff: read
 *   array), anything else returns to read array. In query mode every write
 *   but 0xff keeps the query mode.
 * - program writes the access's bytes at once. Write-to-buffer takes a count
 *   (the low 16 bits of the second cycle, whose address picks the 4 KiB
 *   buffer window: 2 KiB per device), then count + 1 data accesses, each
 *   inside the window or a programming error (status bit 0x10, which stays
 *   until 0x50), then 0xd0: without an error the buffer is written and the
 *   status answers; anything else (or an error) drops it and reads the array.
 * - status, ID and CFI answers are per 16-bit device, repeated for the two
 *   devices of the 32-bit bank; ID offsets are counted in 4-byte bank words
 *   (word 0: manufacturer 0x89, word 1: device 0x18, others 0).
 * - accesses reach the device in pieces of at most 4 bytes, aligned.
 *
 * Source: the live QEMU's answers (the specs in shared/spec/ say nothing of
 * flash), recorded in spec-vectors/pflash/virt-flash.txt.
 */
import type { MmioOps } from '../memory/address-space.js';

/** How a board builds its flash: QEMU's pflash_cfi01 properties. */
export interface PflashGeometry {
  /** The flash's size in bytes. */
  size: number;
  /** Erase block ("sector-length"). */
  sectorLength: number;
  /** The bank's width in bytes ("width") and one device's ("device-width"). */
  bankWidth: number;
  deviceWidth: number;
  /** Manufacturer and device codes ("id0", "id1"). */
  ids: [number, number];
}

/**
 * The flashes QEMU 7.2's arm virt creates (virt.flash0, virt.flash1): 64 MiB
 * each, 256 KiB blocks, a 4-byte bank of two 16-bit devices, Intel's
 * manufacturer code 0x89 and device 0x18 (read back live: test/flash.test.ts).
 */
export const VIRT_FLASH: PflashGeometry = { size: 0x4000000, sectorLength: 0x40000, bankWidth: 4, deviceWidth: 2, ids: [0x89, 0x18] };

/** The flash geometry of a romd region QEMU names so, or undefined (not modelled). */
export function pflashGeometry(regionName: string, size: number): PflashGeometry | undefined {
  return /^virt\.flash[01]$/.test(regionName) && size === VIRT_FLASH.size ? VIRT_FLASH : undefined;
}

/** The bytes the flash holds (the region's backing, which only the device changes). */
export interface FlashStore {
  read(offset: number, out: Uint8Array): void;
  write(offset: number, bytes: Uint8Array): void;
  fill(offset: number, length: number, value: number): void;
}

const READY = 0x80;
const PROGRAM_ERROR = 0x10;
/** The commands whose reads answer with the status register. */
const STATUS_READS = new Set([0x10, 0x20, 0x28, 0x40, 0x50, 0x60, 0x70, 0xe8]);

/** The CFI query table of a geometry (what 0x98 makes the device answer), as the live QEMU reads it back. */
export function cfiTable(g: PflashGeometry): Uint8Array {
  const devices = g.bankWidth / g.deviceWidth;
  const blocks = g.size / g.sectorLength;
  const sectorPerDevice = g.sectorLength / devices;
  const t = new Uint8Array(0x52);
  t.set([0x51, 0x52, 0x59], 0x10); // "QRY"
  t.set([0x01, 0x00, 0x31, 0x00], 0x13); // Intel command set; extended table at 0x31
  t.set([0x45, 0x55, 0x00, 0x00], 0x1b); // Vcc min/max, no Vpp
  t.set([0x07, 0x07, 0x0a, 0x00, 0x04, 0x04, 0x04, 0x00], 0x1f); // typical and maximum timeouts
  t[0x27] = Math.log2(sectorPerDevice * blocks); // one device's size, as a power of two
  t.set([0x02, 0x00, g.bankWidth === 1 ? 0x08 : 0x0b, 0x00, 0x01], 0x28); // x8/x16; write buffer 2^n bytes; one erase region
  t.set([(blocks - 1) & 0xff, (blocks - 1) >> 8, (sectorPerDevice >> 8) & 0xff, sectorPerDevice >> 16], 0x2d);
  t.set([0x50, 0x52, 0x49, 0x31, 0x30], 0x31); // "PRI10"
  t[0x3f] = 0x01;
  return t;
}

export class Pflash implements MmioOps {
  readonly maxAccessSize = 4;
  /** ROM mode: reads go straight to the bytes (QEMU's romd). */
  romd = true;
  private wcycle = 0;
  private cmd = 0;
  private status = READY;
  private counter = 0;
  private readonly cfi: Uint8Array;
  /** Write to buffer: the window's offset and its bytes until the confirm. */
  private readonly bufferSize: number;
  private bufferOffset = 0;
  private buffer: Uint8Array = new Uint8Array(0);

  constructor(
    readonly geometry: PflashGeometry,
    private readonly store: FlashStore,
  ) {
    this.cfi = cfiTable(geometry);
    this.bufferSize = 2 ** this.cfi[0x2a]! * (geometry.bankWidth / geometry.deviceWidth);
  }

  accepts(): boolean {
    return true;
  }

  read(offset: number, size: number, out: Uint8Array): void {
    if (this.cmd === 0) return this.store.read(offset, out.subarray(0, size));
    const v = this.answer(offset, size);
    for (let i = 0; i < size; i++) out[i] = (v >>> (8 * i)) & 0xff;
  }

  /** What a read in a command state returns (a 32-bit value; the access keeps its low `size` bytes). */
  private answer(offset: number, size: number): number {
    const g = this.geometry;
    if (STATUS_READS.has(this.cmd)) {
      let v = this.status;
      for (let shift = g.deviceWidth * 8; shift + g.deviceWidth * 8 <= size * 8; shift += g.deviceWidth * 8) v |= this.status << shift;
      return v >>> 0;
    }
    // ID and CFI answers are per device, in bank words, repeated across the bank's devices
    const word = Math.floor(offset / g.bankWidth);
    const one = this.cmd === 0x90 ? (word % 256 === 0 ? g.ids[0] : word % 256 === 1 ? g.ids[1] : undefined) : word < this.cfi.length ? this.cfi[word]! : 0;
    if (one === undefined) return 0;
    let v = one;
    for (let i = g.deviceWidth; i < g.bankWidth; i += g.deviceWidth) v = (v | (v << (8 * i))) >>> 0;
    return v;
  }

  write(offset: number, size: number, src: Uint8Array): void {
    const bytes = src.slice(0, size);
    let value = 0;
    for (let i = size - 1; i >= 0; i--) value = value * 256 + bytes[i]!;
    const cmd = bytes[0]!;
    if (this.wcycle === 0) this.romd = false;
    switch (this.wcycle) {
      case 0:
        switch (cmd) {
          case 0x10:
          case 0x40:
          case 0x60:
          case 0x98:
            break;
          case 0x20:
            this.store.fill(offset - (offset % this.geometry.sectorLength), this.geometry.sectorLength, 0xff);
            this.status |= READY;
            break;
          case 0xe8:
            this.status |= READY;
            break;
          case 0x50:
            this.status = 0;
            return this.readArray();
          case 0x70:
          case 0x90:
            this.cmd = cmd;
            return;
          default:
            // 0x00, 0xf0, 0xff, and every command QEMU does not implement
            return this.readArray();
        }
        this.wcycle = 1;
        this.cmd = cmd;
        return;
      case 1:
        switch (this.cmd) {
          case 0x10:
          case 0x40:
            this.store.write(offset, bytes);
            this.status |= READY;
            this.wcycle = 0;
            return;
          case 0x20:
          case 0x60:
            if (cmd === 0xd0 || (this.cmd === 0x60 && cmd === 0x01)) {
              this.wcycle = 0;
              this.status |= READY;
              return;
            }
            return this.readArray();
          case 0xe8:
            this.counter = value % 2 ** (8 * this.geometry.deviceWidth);
            this.wcycle = 2;
            this.bufferOffset = offset - (offset % this.bufferSize);
            this.buffer = new Uint8Array(this.bufferSize);
            this.store.read(this.bufferOffset, this.buffer);
            return;
          default:
            // query mode: only 0xff leaves it
            if (cmd === 0xff) this.readArray();
            return;
        }
      case 2: {
        // write to buffer: data inside the window goes to the buffer, anything else is a programming error
        const at = offset - this.bufferOffset;
        if (at >= 0 && at + size <= this.bufferSize) this.buffer.set(bytes, at);
        else this.status |= PROGRAM_ERROR;
        this.status |= READY;
        if (this.counter === 0) this.wcycle = 3;
        this.counter--;
        return;
      }
      default:
        if (cmd === 0xd0 && (this.status & PROGRAM_ERROR) === 0) {
          this.store.write(this.bufferOffset, this.buffer);
          this.wcycle = 0;
          this.status |= READY;
          return;
        }
        return this.readArray();
    }
  }

  private readArray(): void {
    this.romd = true;
    this.wcycle = 0;
    this.cmd = 0;
  }
}
