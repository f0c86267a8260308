/**
 * FwCfgDriver: what firmware does to fw_cfg, through the guest-visible
 * registers only (../shared/spec/fw-cfg-guests.md §2-3), so a firmware executor's reads and
 * WRITE_POINTER writes really cross the device.
 *
 * Two idioms:
 * - SeaBIOS (x86 only): signature read byte by byte, ID bit 1 → DMA. DMA
 *   writes only the low half of the address (descriptor below 4 GiB). Whole
 *   reads and writes at offset 0 put SELECT in the descriptor; a write at an
 *   offset is a port select, a DMA SKIP and a DMA WRITE. The completion loop
 *   waits for `control & ~ERROR` to clear and never looks at ERROR. The
 *   directory is read once and cached; with duplicate names the last record
 *   wins (its list is built by prepending).
 * - OVMF / ArmVirtQemu: signature and ID as u32; ID 0 means absent. Always a
 *   separate selector write, never SELECT in a descriptor; DMA address high
 *   then low (or one 64-bit store on MMIO). Completion means control == 0; an
 *   error trips OVMF's ASSERT (here a FwCfgDriverError). The directory is
 *   re-read record by record on every lookup; the first match wins.
 *
 * Where real firmware would spin forever (DMA that never completes), the
 * driver throws instead.
 */
import { fileCount, fileRecord, type FwCfgFile } from './directory.js';
import { FwCfgError } from '../errors.js';
import type { GuestMemory } from '../memory/guest-memory.js';
import { dmaControl, DMA_ACCESS_SIZE, encodeDmaAccess } from './dma.js';
import {
  FW_CFG_DMA_CTL_ERROR,
  FW_CFG_DMA_CTL_READ,
  FW_CFG_DMA_CTL_SELECT,
  FW_CFG_DMA_CTL_SKIP,
  FW_CFG_DMA_CTL_WRITE,
  FW_CFG_FILE_DIR,
  FW_CFG_FILE_RECORD_SIZE,
  FW_CFG_ID,
  FW_CFG_SIGNATURE,
  FW_CFG_VERSION_DMA,
} from './keys.js';
import type { FwCfgGuestRegisters } from './registers.js';

export type FwCfgDriverStyle = 'seabios' | 'ovmf';

export class FwCfgDriverError extends FwCfgError {}

/** A directory record as the driver hands it out (fwcfg/directory.ts). */
export type FwCfgFileEntry = FwCfgFile;

export interface FwCfgDriverOptions {
  style: FwCfgDriverStyle;
  /** Guest RAM the firmware owns: the DMA descriptor, then a bounce buffer. SeaBIOS needs it below 4 GiB. */
  scratch: number;
  /** Bounce buffer size after the descriptor (default 4 KiB). */
  bounceSize?: number;
}

const SIGNATURE = [0x51, 0x45, 0x4d, 0x55];

export class FwCfgDriver {
  readonly regs: FwCfgGuestRegisters;
  readonly memory: GuestMemory;
  readonly style: FwCfgDriverStyle;
  readonly scratch: number;
  readonly bounce: number;
  readonly bounceSize: number;
  present = false;
  id = 0;
  /** DMA in use: the ID says so (and, for OVMF on MMIO, the register exists). */
  dma = false;
  private cache: FwCfgFileEntry[] | undefined;
  /** Counts of what crossed the registers, for tests and benchmarks. */
  readonly stats = { selects: 0, dmaTransfers: 0, dataBytes: 0 };

  constructor(regs: FwCfgGuestRegisters, memory: GuestMemory, options: FwCfgDriverOptions) {
    if (options.style === 'seabios' && regs.layout !== 'io') throw new FwCfgDriverError('DRIVER_LAYOUT', 'the SeaBIOS idiom exists only for x86 port I/O');
    this.regs = regs;
    this.memory = memory;
    this.style = options.style;
    this.scratch = options.scratch;
    this.bounce = options.scratch + DMA_ACCESS_SIZE;
    this.bounceSize = options.bounceSize ?? 4096;
    // the firmware's own memory must be RAM (a typed error otherwise)
    memory.checkWritable(this.scratch, DMA_ACCESS_SIZE + this.bounceSize);
  }

  // ------------------------------------------------------------ primitives

  private select(key: number): void {
    this.stats.selects++;
    this.regs.select(key);
  }

  private readPort(out: Uint8Array): void {
    this.stats.dataBytes += out.length;
    this.regs.readData(out);
  }

  /** One DMA transfer with the descriptor at `scratch`, then the firmware's completion check. Returns the final control. */
  private transfer(control: number, length: number, address: number): number {
    const at = this.scratch;
    this.memory.write(at, encodeDmaAccess({ control, length, address: BigInt(address) }));
    this.stats.dmaTransfers++;
    if (this.style === 'seabios') {
      if (at > 0xffffffff) throw new FwCfgDriverError('DMA_ADDRESS', `SeaBIOS writes only the low half: descriptor at 0x${at.toString(16)} is above 4 GiB`);
      this.regs.writeDmaLow(at);
      const ctl = this.memory.readU32BE(at);
      if ((ctl & ~FW_CFG_DMA_CTL_ERROR) !== 0) throw new FwCfgDriverError('DMA_STUCK', `DMA descriptor at 0x${at.toString(16)} never completed (control 0x${ctl.toString(16)}): SeaBIOS would wait forever`);
      return ctl;
    }
    if (this.regs.writeDma64 !== undefined) this.regs.writeDma64(BigInt(at));
    else {
      this.regs.writeDmaHigh(Math.floor(at / 0x100000000));
      this.regs.writeDmaLow(at >>> 0);
    }
    const ctl = this.memory.readU32BE(at);
    if (ctl === FW_CFG_DMA_CTL_ERROR) throw new FwCfgDriverError('DMA_ERROR', `DMA control 0x${control.toString(16)} length ${length} at 0x${address.toString(16)} failed: OVMF asserts (a release build hangs)`);
    if (ctl !== 0) throw new FwCfgDriverError('DMA_STUCK', `DMA descriptor at 0x${at.toString(16)} never completed (control 0x${ctl.toString(16)}): OVMF would wait forever`);
    return ctl;
  }

  // --------------------------------------------------------------- detect

  /** Signature and ID as the firmware checks them. False: no fw_cfg (firmware falls back). */
  detect(): boolean {
    this.select(FW_CFG_SIGNATURE);
    const sig = new Uint8Array(4);
    if (this.style === 'seabios') {
      // compared one byte at a time, stopping at the first mismatch
      for (let i = 0; i < 4; i++) {
        this.readPort(sig.subarray(i, i + 1));
        if (sig[i] !== SIGNATURE[i]) return (this.present = false);
      }
    } else {
      this.readPort(sig);
      if (sig.some((b, i) => b !== SIGNATURE[i])) return (this.present = false);
    }
    this.select(FW_CFG_ID);
    const id = new Uint8Array(4);
    this.readPort(id);
    this.id = (id[0]! | (id[1]! << 8) | (id[2]! << 16) | (id[3]! << 24)) >>> 0;
    if (this.style === 'ovmf' && this.id < 1) return (this.present = false);
    this.dma = (this.id & FW_CFG_VERSION_DMA) !== 0 && (this.style === 'seabios' || this.regs.hasDmaRegister);
    this.cache = undefined;
    return (this.present = true);
  }

  private need(): void {
    if (!this.present) throw new FwCfgDriverError('NO_FWCFG', 'fw_cfg is not present (call detect() first)');
  }

  // ---------------------------------------------------------------- reads

  /** `length` bytes of `key` from `offset`, into guest memory at `dest` (DMA straight there; ports otherwise). */
  readInto(key: number, offset: number, length: number, dest: number): void {
    this.need();
    if (!this.dma) {
      this.select(key);
      this.skipPort(offset);
      const buf = new Uint8Array(length);
      this.readPort(buf);
      this.memory.write(dest, buf);
      return;
    }
    this.memory.checkWritable(dest, length);
    if (this.style === 'seabios' && offset === 0) {
      this.transfer(dmaControl(FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_READ, key), length, dest);
      return;
    }
    this.select(key);
    if (offset > 0) this.transfer(dmaControl(FW_CFG_DMA_CTL_SKIP), offset, 0);
    if (length > 0) this.transfer(dmaControl(FW_CFG_DMA_CTL_READ), length, dest);
  }

  /** `length` bytes of `key` from `offset`, into host memory (through the bounce buffer with DMA). */
  read(key: number, offset: number, length: number): Uint8Array {
    this.need();
    const out = new Uint8Array(length);
    if (!this.dma) {
      this.select(key);
      this.skipPort(offset);
      this.readPort(out);
      return out;
    }
    let first = true;
    for (let at = 0; at < length || first; at += this.bounceSize) {
      const n = Math.min(this.bounceSize, length - at);
      if (first && this.style === 'seabios' && offset === 0) this.transfer(dmaControl(FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_READ, key), n, this.bounce);
      else {
        if (first) {
          this.select(key);
          if (offset > 0) this.transfer(dmaControl(FW_CFG_DMA_CTL_SKIP), offset, 0);
        }
        if (n > 0) this.transfer(dmaControl(FW_CFG_DMA_CTL_READ), n, this.bounce);
      }
      out.set(this.memory.view(this.bounce, n), at);
      first = false;
    }
    return out;
  }

  private skipPort(n: number): void {
    // OVMF reads into a 256-byte stack buffer; SeaBIOS reads byte by byte: the device sees the same
    const junk = new Uint8Array(Math.min(n, 256));
    for (let left = n; left > 0; left -= junk.length) this.readPort(junk.subarray(0, Math.min(left, junk.length)));
  }

  // ------------------------------------------------------------ directory

  private readDirectory(): FwCfgFileEntry[] {
    const countBytes = this.read(FW_CFG_FILE_DIR, 0, 4);
    const count = fileCount(countBytes);
    const out: FwCfgFileEntry[] = [];
    if (this.style === 'seabios') {
      // then one 64-byte read per record, continuing where the count stopped; kept for the whole boot
      for (let i = 0; i < count; i++) out.push(fileRecord(this.continueRead(FW_CFG_FILE_RECORD_SIZE), 0));
      return out;
    }
    // OVMF: each record read field by field
    const rec = new Uint8Array(FW_CFG_FILE_RECORD_SIZE);
    for (let i = 0; i < count; i++) {
      for (const [at, n] of [[0, 4], [4, 2], [6, 2], [8, 56]] as const) rec.set(this.continueRead(n), at);
      out.push(fileRecord(rec, 0));
    }
    return out;
  }

  /** A read that continues at the current offset (no select). */
  private continueRead(n: number): Uint8Array {
    if (!this.dma) {
      const b = new Uint8Array(n);
      this.readPort(b);
      return b;
    }
    this.transfer(dmaControl(FW_CFG_DMA_CTL_READ), n, this.bounce);
    return this.memory.read(this.bounce, n);
  }

  /** The directory as this firmware sees it (SeaBIOS: cached at the first call). */
  files(): FwCfgFileEntry[] {
    this.need();
    if (this.style === 'ovmf') return this.readDirectory();
    this.cache ??= this.readDirectory();
    return this.cache;
  }

  /** A file by exact name: SeaBIOS takes the last record of that name, OVMF the first. */
  findFile(name: string): FwCfgFileEntry | undefined {
    const list = this.files();
    if (this.style === 'seabios') {
      for (let i = list.length - 1; i >= 0; i--) if (list[i]!.name === name) return list[i];
      return undefined;
    }
    return list.find((f) => f.name === name);
  }

  readFile(name: string): Uint8Array | undefined {
    const f = this.findFile(name);
    return f === undefined ? undefined : this.read(f.select, 0, f.size);
  }

  // --------------------------------------------------------------- writes

  /** Whether the idiom still writes when there is no DMA (OVMF's byte writes to the data register, which QEMU ignores); SeaBIOS's reports an error instead. */
  get writesWithoutDma(): boolean {
    return this.style !== 'seabios';
  }

  /** Writes `data` into `key` at `offset` by DMA (there is no other way since QEMU 2.4). */
  write(key: number, offset: number, data: Uint8Array): void {
    this.need();
    if (data.length > this.bounceSize) throw new FwCfgDriverError('WRITE_TOO_LARGE', `${data.length} bytes do not fit the ${this.bounceSize}-byte bounce buffer`);
    this.memory.write(this.bounce, data);
    this.writeFromGuest(key, offset, this.bounce, data.length);
  }

  /** Writes `length` guest bytes at `src` into `key` at `offset`. */
  writeFromGuest(key: number, offset: number, src: number, length: number): void {
    this.need();
    if (!this.dma) {
      if (!this.writesWithoutDma) throw new FwCfgDriverError('NO_DMA_WRITE', 'SeaBIOS cannot write fw_cfg without DMA (qemu_cfg_write reports an internal error)');
      // OVMF's fallback: byte writes to the data register, which QEMU ignores
      this.select(key);
      this.skipPort(offset);
      for (const b of this.memory.view(src, length)) this.regs.writeDataByte(b);
      return;
    }
    if (this.style === 'seabios' && offset === 0) {
      this.transfer(dmaControl(FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_WRITE, key), length, src);
      return;
    }
    this.select(key);
    if (offset > 0) this.transfer(dmaControl(FW_CFG_DMA_CTL_SKIP), offset, 0);
    this.transfer(dmaControl(FW_CFG_DMA_CTL_WRITE), length, src);
  }

  /** WRITE_POINTER's path: find the file, write at an offset. False if the file is missing. */
  writeFile(name: string, offset: number, data: Uint8Array): boolean {
    const f = this.findFile(name);
    if (f === undefined) return false;
    this.write(f.select, offset, data);
    return true;
  }
}

