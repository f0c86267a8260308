/**
 * A deterministic, seeded generator of fw_cfg access sequences as qtest
 * lines, for running the same stream against a live QEMU and the emulator.
 *
 * It covers selector writes of every kind (valid, empty, out of range, with
 * the write-channel and arch bits, odd widths and addresses), data reads of
 * each width and offset (past the end too), data-port writes, DMA-register
 * read-back, and DMA with every control-bit combination: reads, writes to
 * read-only and writable items, skips, hostile descriptors (lengths up to
 * 0xffffffff, targets in ROM, beyond RAM, straddling the end of RAM, wrapping
 * past 2^64, unaligned; descriptors straddling RAM's end or beyond it), the
 * address written high-then-low, low-only, high-only, as one 64-bit store,
 * and invalid register writes.
 *
 * On arm virt it also drives the flash at 0: commands of every kind
 * (program, erase, write to buffer, status, ID and CFI queries, unknown
 * ones) and reads in each state, of each width.
 *
 * Memory is read back only where both sides hold the same bytes: the scratch
 * area, the end of RAM, ROM, low RAM and flash. The generator never touches
 * regions the emulator does not model.
 */
import { InputError } from '../errors.js';
import type { ItemsCapture } from '../vectors/items-capture.js';
import { directKind } from '../qemu/emulated-machine.js';
import { pflashGeometry } from '../qemu/pflash.js';
import { Prng } from '../prng.js';

/** The RAM the generator owns at `scratch` (descriptors and buffers). */
const SCRATCH_SIZE = 0x10000n;

export interface ConformanceProfile {
  config: string;
  layout: 'io' | 'mmio';
  dma: boolean;
  /** MMIO data register (layout mmio). */
  mmioBase: bigint;
  /** 64 KiB of RAM the generator owns (descriptors and buffers). */
  scratch: bigint;
  /** The end of the RAM run holding `scratch` (targets straddle it). */
  ramEnd: bigint;
  /** A ROM address (x86 BIOS), if the machine has plain ROM. */
  rom: bigint | undefined;
  /** Address 0 is RAM: a fill wrapping past 2^64 lands there. */
  lowRam: boolean;
  /** An address inside flash (arm virt), where a DMA zero fill is a read-array command. */
  romd: bigint | undefined;
  /**
   * The base of a flash whose command set the emulator models, if any: arm
   * virt's second one (virt.flash1), so that a DMA descriptor latched at 0
   * still reads flash0's zeros (a descriptor read from a flash answering its
   * status would start a transfer into it that takes QEMU minutes).
   */
  flash?: bigint;
  /** Existing items: key, size, writability. */
  items: { key: number; size: number; writable: boolean; name: string }[];
  maxEntry: number;
}

/** Derives what the generator may touch from a capture with a memory map. */
export function profileFromCapture(capture: ItemsCapture, memory = capture.memoryMap): ConformanceProfile {
  if (memory === undefined) throw new InputError('NO_MEMORY_MAP', `${capture.dir}: a conformance profile needs a memory map`);
  const ram = memory.memory.filter((r) => directKind(r.kind) === 'ram');
  const biggest = [...ram].sort((a, b) => Number(b.end - b.start - (a.end - a.start)))[0];
  // a scratch area away from what QEMU itself put in RAM (the DTB at the base on arm)
  const size = biggest === undefined ? 0n : biggest.end - biggest.start;
  const offset = size >> 3n > 0x100000n && size >= 0x8000000n + SCRATCH_SIZE ? 0x8000000n : 0x100000n;
  if (biggest === undefined || offset + SCRATCH_SIZE > size) {
    throw new InputError('NO_SCRATCH', `${capture.dir}: the memory map has no RAM range of at least 0x${(0x100000n + SCRATCH_SIZE).toString(16)} bytes for the generator's scratch area`);
  }
  const layout = capture.json.layout;
  const dmaRange = (layout === 'io' ? memory.io : memory.memory).some((r) => r.name === 'fwcfg.dma');
  const scratch = biggest.start + offset;
  // the BIOS in the first MiB on x86 (the last ROM range there)
  const rom = memory.memory.filter((r) => directKind(r.kind) === 'rom' && r.end <= 0x100000n && r.end - r.start >= 0x10000n).pop();
  const romd = memory.memory.find((r) => directKind(r.kind) === 'romd');
  const flash = memory.memory.filter((r) => directKind(r.kind) === 'romd' && r.start !== 0n && pflashGeometry(r.name, Number(r.end - r.start)) !== undefined).pop();
  return {
    config: capture.json.config,
    layout,
    dma: (capture.json.id & 2) !== 0 && dmaRange,
    mmioBase: capture.json.mmio_base === null ? 0n : BigInt(capture.json.mmio_base),
    scratch,
    ramEnd: biggest.end,
    rom: rom === undefined ? undefined : rom.end - 0x10000n,
    lowRam: ram.some((r) => r.start === 0n),
    romd: romd === undefined ? undefined : romd.start + 0x1000n,
    ...(flash !== undefined ? { flash: flash.start } : {}),
    items: capture.items.filter((i) => i.size > 0).map((i) => ({ key: i.key, size: i.size, writable: i.writable === true, name: i.name })),
    maxEntry: 0x20 + capture.json.file_slots,
  };
}

/** The conformance sequences' generator (shared with the fuzzers). */
export { Prng as Rng } from '../prng.js';

const hex = (n: bigint | number) => '0x' + n.toString(16);
const hexData = (b: Uint8Array) => '0x' + Buffer.from(b).toString('hex');

function bswap32(v: number): number {
  return (((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24)) >>> 0;
}

function bswap64(v: bigint): bigint {
  let out = 0n;
  for (let i = 0; i < 8; i++) out = (out << 8n) | ((v >> BigInt(8 * i)) & 0xffn);
  return out;
}

const CTL = { ERROR: 1, READ: 2, SKIP: 4, SELECT: 8, WRITE: 0x10 };

export class SequenceGenerator {
  readonly lines: string[] = [];
  private readonly r: Prng;

  constructor(
    readonly profile: ConformanceProfile,
    seed: number,
  ) {
    this.r = new Prng(seed);
  }

  private emit(...lines: string[]): void {
    this.lines.push(...lines);
  }

  /** A key worth selecting: mostly real items, sometimes empty, out-of-range or odd. */
  key(): number {
    const r = this.r;
    const p = this.profile;
    const roll = r.int(20);
    if (roll < 12 && p.items.length > 0) {
      const k = r.pick(p.items).key;
      return r.chance(0.15) ? k | 0x4000 : k;
    }
    if (roll < 14) return r.pick([0x06, 0x1f, 0x8000, 0x8003, 0x801f, p.maxEntry - 1, 0xc019, 0x4001]);
    if (roll < 17) return r.pick([p.maxEntry, 0x3fff, 0x7fff, 0xffff, 0xbfff]);
    return r.int(0x10000);
  }

  private select(key: number): void {
    const p = this.profile;
    if (p.layout === 'io') this.emit(`outw 0x510 ${hex(key)}`);
    else if (this.r.chance(0.5)) this.emit(`writew ${hex(p.mmioBase + 8n)} ${hex(((key & 0xff) << 8) | (key >>> 8))}`);
    else this.emit(`write ${hex(p.mmioBase + 8n)} 0x2 0x${key.toString(16).padStart(4, '0')}`);
  }

  private oddSelector(): void {
    const r = this.r;
    const p = this.profile;
    const v = r.u32();
    if (p.layout === 'io') {
      this.emit(
        r.pick([`outl 0x510 ${hex(v)}`, `outb 0x510 ${hex(v & 0xff)}`, `outb 0x511 ${hex(v & 0xff)}`, `outw 0x511 ${hex(v & 0xffff)}`, `outl 0x50f ${hex(v)}`, `outw 0x50f ${hex(v & 0xffff)}`, `outl 0x50e ${hex(v)}`, `outl 0x50c ${hex(v)}`]),
      );
    } else {
      const b = p.mmioBase;
      this.emit(r.pick([`writeb ${hex(b + 8n)} ${hex(v & 0xff)}`, `writel ${hex(b + 8n)} ${hex(v)}`, `writeq ${hex(b + 8n)} ${hex(v)}`, `writeb ${hex(b)} ${hex(v & 0xff)}`, `writeq ${hex(b)} ${hex(v)}`, `writew ${hex(b + 9n)} ${hex(v & 0xffff)}`, `writew ${hex(b)} ${hex(v & 0xffff)}`]));
    }
  }

  private dataRead(): void {
    const r = this.r;
    const p = this.profile;
    if (p.layout === 'io') {
      const n = r.chance(0.6) ? 1 + r.int(12) : 1;
      for (let i = 0; i < n; i++) this.emit(r.chance(0.8) ? 'inb 0x511' : r.pick(['inb 0x510', 'inw 0x511', 'inw 0x510', 'inw 0x50f', 'inl 0x511', 'inl 0x510', 'inl 0x50f', 'inl 0x50e', 'inl 0x50c', 'inl 0x512', 'inw 0x512', 'inb 0x512']));
    } else {
      const b = p.mmioBase;
      const n = 1 + r.int(6);
      for (let i = 0; i < n; i++) {
        this.emit(
          r.pick([
            `readb ${hex(b)}`,
            `readw ${hex(b)}`,
            `readl ${hex(b)}`,
            `readq ${hex(b)}`,
            `readq ${hex(b)}`,
            `read ${hex(b)} ${hex(1 + r.int(16))}`,
            `b64read ${hex(b)} ${hex(1 + r.int(12))}`,
            `readb ${hex(b + BigInt(1 + r.int(7)))}`,
            `readw ${hex(b + 2n)}`,
            `readl ${hex(b + 4n)}`,
            `readw ${hex(b + 8n)}`,
            `readq ${hex(b + 8n)}`,
            `readl ${hex(b + 0xcn)}`,
            `readq ${hex(b + 0x18n)}`,
          ]),
        );
      }
    }
  }

  private registerRead(): void {
    const r = this.r;
    const p = this.profile;
    if (p.layout === 'io') {
      this.emit(r.pick([`inb ${hex(0x514 + r.int(8))}`, `inw ${hex(0x514 + r.int(8))}`, 'inl 0x514', 'inl 0x518', 'inl 0x516', 'inl 0x51a', 'inl 0x515', 'inb 0x51c', 'inw 0x51b']));
    } else {
      const d = p.mmioBase + 0x10n;
      this.emit(r.pick([`readq ${hex(d)}`, `readl ${hex(d)}`, `readl ${hex(d + 4n)}`, `readw ${hex(d + BigInt(2 * r.int(4)))}`, `readb ${hex(d + BigInt(r.int(8)))}`, `read ${hex(d)} 0x8`, `read ${hex(d + BigInt(r.int(8)))} ${hex(1 + r.int(8))}`]));
    }
  }

  private memoryRead(): void {
    const r = this.r;
    const p = this.profile;
    const where = r.int(4);
    if (where === 0 && p.rom !== undefined) this.emit(`read ${hex(p.rom + BigInt(r.int(0xff00)))} ${hex(1 + r.int(32))}`);
    else if (where === 1) this.emit(`read ${hex(p.ramEnd - 16n)} 0x10`);
    else this.emit(`b64read ${hex(p.scratch + BigInt(r.int(0x8000)))} ${hex(1 + r.int(64))}`);
  }

  /** Writes the DMA address as the guest would (and sometimes not quite). */
  private kick(desc: bigint): void {
    const r = this.r;
    const p = this.profile;
    const hi = Number(desc >> 32n);
    const lo = Number(desc & 0xffffffffn);
    if (p.layout === 'io') {
      const roll = r.int(10);
      if (roll < 5) this.emit(`outl 0x514 ${hex(bswap32(hi))}`, `outl 0x518 ${hex(bswap32(lo))}`);
      else if (roll < 8) this.emit(`outl 0x518 ${hex(bswap32(lo))}`);
      else if (roll < 9) this.emit(`outl 0x514 ${hex(bswap32(r.chance(0.5) ? hi : r.u32()))}`);
      else this.emit(r.pick([`outw 0x518 ${hex(r.int(0x10000))}`, `outb 0x518 ${hex(r.int(256))}`, `outl 0x516 ${hex(bswap32(lo))}`, `outw 0x514 0x0`, `outb 0x51b ${hex(r.int(256))}`]));
    } else {
      const d = p.mmioBase + 0x10n;
      const roll = r.int(10);
      if (roll < 5) this.emit(`writeq ${hex(d)} ${hex(bswap64(desc))}`);
      else if (roll < 7) this.emit(`writel ${hex(d)} ${hex(bswap32(hi))}`, `writel ${hex(d + 4n)} ${hex(bswap32(lo))}`);
      else if (roll < 8) this.emit(`writel ${hex(d + 4n)} ${hex(bswap32(lo))}`);
      else if (roll < 9) this.emit(`writeq ${hex(d + 4n)} ${hex(BigInt(bswap32(lo)))}`);
      else this.emit(r.pick([`writew ${hex(d + 4n)} ${hex(r.int(0x10000))}`, `writeb ${hex(d)} 0x0`, `writel ${hex(d + 2n)} ${hex(bswap32(lo))}`, `writel ${hex(d)} ${hex(bswap32(hi))}`]));
    }
  }

  private dma(): void {
    const r = this.r;
    const p = this.profile;
    // control: a read, write or skip (or nothing), with or without SELECT, plus noise bits
    const op = r.pick([CTL.READ, CTL.READ, CTL.READ, CTL.WRITE, CTL.WRITE, CTL.SKIP, 0, CTL.READ | CTL.WRITE | CTL.SKIP, CTL.WRITE | CTL.SKIP]);
    let bits = op | (r.chance(0.75) ? CTL.SELECT : 0) | (r.chance(0.1) ? CTL.ERROR : 0) | (r.chance(0.08) ? r.pick([0x20, 0x80, 0xffe0]) : 0);
    const writeTarget = op === CTL.WRITE ? p.items.filter((i) => i.writable) : [];
    let key = writeTarget.length > 0 && r.chance(0.6) ? r.pick(writeTarget).key : this.key();
    if (r.chance(0.05)) key = r.int(0x10000);
    const item = p.items.find((i) => i.key === (key & ~0x4000));
    // lengths: small, the item's size or around it, zero, huge
    const lenRoll = r.int(12);
    let length =
      lenRoll < 5 ? 1 + r.int(16) : lenRoll < 8 && item ? Math.max(0, item.size + r.int(9) - 4) : lenRoll < 9 ? 0 : lenRoll < 10 ? 0xffffffff : 1 + r.int(300);
    const buf = p.scratch + 0x1000n + BigInt(r.int(4) * 0x400 + r.int(4));
    // targets: mostly the scratch buffer; the rest hostile
    const t = r.int(20);
    let target = buf;
    let readBack: { at: bigint; len: number } | undefined;
    if (t === 0) target = 0x2000000000n;
    else if (t === 1) {
      target = p.ramEnd - BigInt(1 + r.int(8));
      readBack = { at: p.ramEnd - 16n, len: 16 };
    } else if (t === 2 && p.rom !== undefined) {
      target = p.rom + BigInt(r.int(0x100));
      readBack = { at: target & ~0xfn, len: 32 };
    } else if (t === 3 && p.lowRam) {
      target = (1n << 64n) - BigInt(1 + r.int(16));
      length = Math.min(length, 32);
      readBack = { at: 0n, len: 32 };
    } else if (t === 4) target = (1n << 53n) - BigInt(r.int(16));
    else if (t === 5 && p.romd !== undefined) {
      // a zero fill (nothing to read from an out-of-range key) into flash: a read-array command
      target = p.romd + BigInt(r.int(64));
      key = p.maxEntry;
      bits = CTL.READ | CTL.SELECT;
      length = 1 + r.int(64);
    }
    else readBack = { at: buf, len: 0 };
    // a huge READ only where the first (data) chunk fails and stops it: a zero fill of gigabytes
    // takes QEMU seconds (it writes 512 bytes at a time), in RAM and in holes alike
    const stopsAtOnce = (bits & CTL.SELECT) !== 0 && item !== undefined && (t === 0 || t === 4);
    if (op & CTL.READ && length > 0x10000 && !stopsAtOnce) length = 1 + r.int(0x1000);
    if (readBack !== undefined && readBack.len === 0) readBack.len = Math.min(Math.max(length, 1) + 4, 96);
    if (op === CTL.WRITE) {
      // what the guest offers to write
      const data = key === 0 ? r.bytes(Math.min(length || 1, 64)) : r.chance(0.5) ? Uint8Array.from({ length: Math.min(length || 1, 64) }, () => r.pick([0, 1, 3, 7, 8])) : r.bytes(Math.min(length || 1, 64));
      if (target === buf) this.emit(`write ${hex(buf)} ${hex(data.length)} ${hexData(data)}`);
    } else if (target === buf && readBack !== undefined) {
      this.emit(`memset ${hex(buf)} ${hex(readBack.len)} ${hex(0xa0 + r.int(16))}`);
    } else if (readBack !== undefined && t === 1) {
      this.emit(`memset ${hex(p.ramEnd - 16n)} 0x10 ${hex(0x5a)}`);
    } else if (readBack !== undefined && t === 3) this.emit(`memset 0x0 0x20 0x3c`);
    // descriptor placement
    const d = r.int(16);
    let desc = p.scratch + BigInt(r.int(8) * 0x20 + (r.chance(0.2) ? r.int(4) : 0));
    if (d === 0) desc = p.ramEnd - BigInt(1 + r.int(15));
    else if (d === 1) desc = p.ramEnd - 16n;
    else if (d === 2) desc = 0x2000000000n;
    const descBytes = new Uint8Array(16);
    const v = new DataView(descBytes.buffer);
    bits = bits & 0xffff;
    v.setUint32(0, ((key << 16) | bits) >>> 0, false);
    v.setUint32(4, length >>> 0, false);
    v.setBigUint64(8, target, false);
    // the descriptor may only partly fit in RAM: QEMU's qtest write stores what lands
    this.emit(`write ${hex(desc)} 0x10 ${hexData(descBytes)}`);
    this.kick(desc);
    this.emit(`read ${hex(desc)} 0x10`);
    if (readBack !== undefined) this.emit(`read ${hex(readBack.at)} ${hex(readBack.len)}`);
    if (r.chance(0.3)) this.emit(p.layout === 'io' ? 'inb 0x511' : `readb ${hex(p.mmioBase)}`);
  }

  /** Flash: a command (or a data cycle) of any width, then reads of what the state answers. */
  private flashOp(base: bigint): void {
    const r = this.r;
    // the ID and CFI tables, the start of each erase block, and anywhere in the first pages
    const at = () => base + r.pick([BigInt(r.int(0x150)), 0x40000n * BigInt(r.int(4)) + BigInt(r.int(16)), BigInt(r.int(0x2000))]);
    const cmd = () => r.pick([0x00, 0x10, 0x20, 0x28, 0x40, 0x50, 0x60, 0x70, 0x90, 0x98, 0xd0, 0x01, 0xe8, 0xf0, 0xff, r.int(256)]);
    const n = 1 + r.int(3);
    for (let i = 0; i < n; i++) {
      const c = cmd();
      const word = r.pick([c, (c << 16) | c, r.u32() & ~0xff | c, r.int(4)]) >>> 0;
      const addr = at();
      const w = r.int(6);
      if (w === 0) this.emit(`writeb ${hex(addr)} ${hex(c)}`);
      else if (w === 1) this.emit(`writew ${hex(addr)} ${hex(word & 0xffff)}`);
      else if (w === 2) this.emit(`writel ${hex(addr)} ${hex(word)}`);
      else if (w === 3) this.emit(`writeq ${hex(addr)} ${hex(BigInt(word) | (BigInt(r.u32()) << 32n))}`);
      else if (w === 4) this.emit(`write ${hex(addr)} ${hex(1 + r.int(12))} ${hexData(Uint8Array.from({ length: 1 + r.int(12) }, () => (r.chance(0.5) ? c : r.int(256))))}`);
      else this.emit(`memset ${hex(addr)} ${hex(1 + r.int(9))} ${hex(c)}`);
    }
    const reads = 1 + r.int(4);
    for (let i = 0; i < reads; i++) {
      const addr = at();
      this.emit(r.pick([`readb ${hex(addr)}`, `readw ${hex(addr)}`, `readl ${hex(addr)}`, `readq ${hex(addr)}`, `read ${hex(addr)} ${hex(1 + r.int(24))}`, `b64read ${hex(addr)} ${hex(1 + r.int(16))}`]));
    }
  }

  /** One operation (one or a few qtest lines). */
  step(): void {
    const r = this.r;
    const roll = r.int(100);
    if (roll < 22) this.select(this.key());
    else if (roll < 28) this.oddSelector();
    else if (roll < 52) this.dataRead();
    else if (roll < 58) this.registerRead();
    else if (roll < 63) this.memoryRead();
    else if (roll < 70 && this.profile.flash !== undefined) this.flashOp(this.profile.flash);
    else if (this.profile.dma) this.dma();
    else this.dataRead();
  }

  generate(operations: number): string[] {
    for (let i = 0; i < operations; i++) this.step();
    return this.lines;
  }
}

/** The qtest lines of one seeded sequence. */
export function generateSequence(profile: ConformanceProfile, seed: number, operations: number): string[] {
  return new SequenceGenerator(profile, seed).generate(operations);
}
