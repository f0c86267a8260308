/**
 * An emulated machine built from a capture: QEMU's fw_cfg device with every
 * item the capture recorded, its register regions placed where the captured
 * memory map (`info mtree -f`) puts them, and guest RAM/ROM loaded with the
 * bytes recorded at start, arm virt's flash with its command state machine
 * (pflash.ts). Regions the capture lists but this project does not emulate
 * (HPET, IOAPIC, PCI windows, ...) stay in the map as unmodeled: touching one
 * is reported, never guessed.
 *
 * Two views of memory, as in QEMU: the CPU's (qtest reads and writes reach
 * fw_cfg's MMIO registers) and the device's DMA view, where every device
 * range is unmodeled (a DMA into a device register is not emulated).
 */
import { InputError } from '../errors.js';
import { FwCfgDevice } from '../fwcfg/device.js';
import { FwCfgDmaRegister } from '../fwcfg/dma-register.js';
import { FwCfgIoRegion } from '../fwcfg/io-ports.js';
import { FwCfgMmioCtl, FwCfgMmioData } from '../fwcfg/mmio.js';
import { FW_CFG_FILE_DIR, FW_CFG_FILE_FIRST, FW_CFG_VERSION_DMA, keyHex } from '../fwcfg/keys.js';
import { AddressSpace, UNASSIGNED_IO_OPS, type MmioOps, type MmioRange, type RomDevice } from '../memory/address-space.js';
import { Pflash, pflashGeometry, type FlashStore, type PflashGeometry } from './pflash.js';
import { GuestMemory, GuestMemoryError, type RegionSpec } from '../memory/guest-memory.js';
import { allocateBacking } from '../memory/backing.js';
import type { ItemsCapture, MemoryContent, MemoryMap, MemoryRange } from '../vectors/items-capture.js';
import type { FwCfgGuestRegisters } from '../fwcfg/registers.js';
import { applyQemuFileBehaviours, isQemuWritableFile, type QemuFileBehaviours } from './known-files.js';

export interface EmulatedMachine {
  readonly config: string;
  readonly layout: 'io' | 'mmio';
  readonly device: FwCfgDevice;
  readonly guestMemory: GuestMemory;
  /** The CPU's view of memory (qtest read/write, readb...). */
  readonly memory: AddressSpace;
  /** The I/O port space (qtest inb/outb...). */
  readonly io: AddressSpace;
  /** What fw_cfg's DMA reaches. */
  readonly dmaMemory: AddressSpace;
  readonly dma: FwCfgDmaRegister | undefined;
  readonly behaviours: QemuFileBehaviours;
}

export interface MachineOptions {
  /** Memory map to use when the capture has none (e.g. a shared capture). */
  memoryMap?: MemoryMap;
  memoryContents?: MemoryContent[];
}

/**
 * Backing bytes are allocated per MemoryRegion in 1 GiB chunks, lazily zero
 * (aliases share them), from the pool of allocateBacking: a machine given back
 * with guestMemory.release() costs the next one only its dirty pages.
 */
const CHUNK = 1 << 30;

class Backing {
  private readonly chunks = new Map<number, Uint8Array>();
  chunk(i: number): Uint8Array {
    let c = this.chunks.get(i);
    if (c === undefined) this.chunks.set(i, (c = allocateBacking(CHUNK)));
    return c;
  }
}

/** mtree's kinds that are memory, not a device: ram, nv-ram, ramd (RAM device), rom, romd. */
export function directKind(kind: string): 'ram' | 'rom' | 'romd' | undefined {
  if (kind === 'rom' || kind === 'nv-rom') return 'rom';
  if (kind === 'romd') return 'romd';
  if (kind === 'ram' || kind === 'nv-ram' || kind === 'ramd' || kind === 'nv-ramd') return 'ram';
  return undefined;
}

/**
 * Chunks one machine may back: 256 GiB of RAM and ROM ranges (aliases
 * counted each time). Each chunk is a reservation of its own; a map asking
 * for more (a hostile capture) is refused rather than exhausting the process.
 */
const MAX_CHUNKS = 256;

function chunksSpanned(r: MemoryRange): number {
  const off = Number(r.offset);
  return Math.floor((off + Number(r.end - r.start) - 1) / CHUNK) - Math.floor(off / CHUNK) + 1;
}

function directRegions(ranges: readonly MemoryRange[]): { specs: RegionSpec[]; romd: string[]; flash: Map<string, PflashGeometry> } {
  const direct = ranges.filter((r) => directKind(r.kind) !== undefined);
  const chunks = direct.reduce((n, r) => n + chunksSpanned(r), 0);
  if (chunks > MAX_CHUNKS) throw new InputError('BAD_MEMORY_MAP', `the memory map's RAM and ROM ranges need ${chunks} GiB of backing; this emulator backs at most ${MAX_CHUNKS} GiB`);
  const backings = new Map<string, Backing>();
  const specs: RegionSpec[] = [];
  const romd: string[] = [];
  const flash = new Map<string, PflashGeometry>();
  for (const r of ranges) {
    const kind = directKind(r.kind);
    if (kind === undefined) continue;
    // a modelled flash's bytes are its device's to change (program, erase): writable backing, reached only through the device
    const geometry = kind === 'romd' && r.offset === 0n ? pflashGeometry(r.name, Number(r.end - r.start)) : undefined;
    if (geometry !== undefined) flash.set(r.name, geometry);
    if (r.end > BigInt(Number.MAX_SAFE_INTEGER)) throw new InputError('BAD_MEMORY_MAP', `${r.name} at 0x${r.start.toString(16)} lies past 2^53`);
    if (r.offset + (r.end - r.start) > BigInt(Number.MAX_SAFE_INTEGER)) throw new InputError('BAD_MEMORY_MAP', `${r.name} at 0x${r.start.toString(16)}: offset 0x${r.offset.toString(16)} runs past 2^53`);
    let backing = backings.get(r.name);
    if (backing === undefined) backings.set(r.name, (backing = new Backing()));
    let addr = Number(r.start);
    let off = Number(r.offset);
    let left = Number(r.end - r.start);
    while (left > 0) {
      const within = off % CHUNK;
      const n = Math.min(left, CHUNK - within);
      const name = r.name;
      specs.push({ name, start: addr, size: n, kind: kind === 'ram' || geometry !== undefined ? 'ram' : 'rom', bytes: backing.chunk(Math.floor(off / CHUNK)).subarray(within, within + n), pooled: true });
      if (kind === 'romd') romd.push(name);
      addr += n;
      off += n;
      left -= n;
    }
  }
  specs.sort((a, b) => a.start - b.start);
  return { specs, romd, flash };
}

/** A flash's bytes in guest memory, at its base. */
function flashStore(memory: GuestMemory, base: number): FlashStore {
  return {
    read: (offset, out) => out.set(memory.view(base + offset, out.length)),
    write: (offset, bytes) => memory.write(base + offset, bytes),
    fill: (offset, length, value) => memory.fill(base + offset, length, value),
  };
}

/** The machine's guest memory with the captured contents in place: ROM too, this is the machine being built. */
function buildMemory(specs: readonly RegionSpec[], contents: readonly MemoryContent[]): GuestMemory {
  try {
    return new GuestMemory(specs, { contents: contents.map((c) => ({ address: Number(c.address), bytes: c.bytes })) });
  } catch (err) {
    if (err instanceof GuestMemoryError && err.code === 'UNMAPPED') throw new InputError('BAD_CAPTURE', err.message);
    throw err;
  }
}

/** Rebuilds QEMU's fw_cfg device exactly as the capture saw it (keys, directory order, writability). */
export function deviceFromCapture(capture: ItemsCapture, dmaEnabled: boolean): FwCfgDevice {
  const device = new FwCfgDevice({ fileSlots: capture.json.file_slots, dmaEnabled, program: capture.json.argv?.[0] ?? 'qemu-system-x86_64' });
  for (const it of capture.items) {
    if (it.kind === 'file' || it.key === FW_CFG_FILE_DIR) continue;
    device.addBytes(it.key, it.bytes.slice(), { readOnly: it.writable !== true });
  }
  const files = capture.items.filter((i) => i.kind === 'file').sort((a, b) => a.key - b.key);
  files.forEach((f, i) => {
    if (f.key !== FW_CFG_FILE_FIRST + i) throw new InputError('BAD_CAPTURE', `${capture.dir}: file ${f.name} has key ${keyHex(f.key)}, expected ${keyHex(FW_CFG_FILE_FIRST + i)} (files must fill the directory in order)`);
    const writable = f.writable ?? isQemuWritableFile(f.name);
    device.appendFile(f.name, f.bytes.slice(), { readOnly: !writable });
  });
  const dir = capture.items.find((i) => i.key === FW_CFG_FILE_DIR);
  if (dir !== undefined && files.length > 0) {
    const ours = device.item(FW_CFG_FILE_DIR)!.data!;
    if (ours.length !== dir.bytes.length || ours.some((b, i) => b !== dir.bytes[i])) {
      throw new InputError('BAD_CAPTURE', `${capture.dir}: the file directory rebuilt from the files differs from the captured one`);
    }
  }
  return device;
}

/** Builds the machine a capture describes. */
export function machineFromCapture(capture: ItemsCapture, options: MachineOptions = {}): EmulatedMachine {
  const map = capture.memoryMap ?? options.memoryMap;
  if (map === undefined) throw new InputError('NO_MEMORY_MAP', `${capture.dir}: the capture has no memory map (give a reference machine)`);
  const layout = capture.json.layout;
  const hasDmaRange = (layout === 'io' ? map.io : map.memory).some((r) => r.name === 'fwcfg.dma');
  const dmaEnabled = (capture.json.id & FW_CFG_VERSION_DMA) !== 0 && hasDmaRange;
  const device = deviceFromCapture(capture, dmaEnabled);
  const behaviours = applyQemuFileBehaviours(device);

  const { specs, romd, flash } = directRegions(map.memory);
  const guestMemory = buildMemory(specs.length > 0 ? specs : [{ name: 'none', start: 0, size: 1, kind: 'rom' }], capture.memoryContents ?? options.memoryContents ?? []);
  // one device per flash, seen alike by the CPU and by DMA
  const romDevices = new Map<string, RomDevice>([...flash].map(([name, g]) => [name, new Pflash(g, flashStore(guestMemory, guestMemory.region(name)!.start))]));

  const deviceRanges = map.memory.filter((r) => directKind(r.kind) === undefined);
  const unmodeled = (r: MemoryRange): MmioRange => ({ name: r.name, start: r.start, end: r.end, offset: Number(r.offset), ops: undefined });
  const dmaMemory = new AddressSpace('memory (DMA)', { memory: guestMemory, romd, romDevices, devices: deviceRanges.map(unmodeled) });
  const dma = dmaEnabled ? new FwCfgDmaRegister(device, dmaMemory) : undefined;

  const ops = (r: MemoryRange, space: 'memory' | 'io'): MmioOps | undefined => {
    if (r.name === 'fwcfg.dma') return dma;
    if (space === 'io') {
      if (r.name === 'io') return UNASSIGNED_IO_OPS;
      if (r.name === 'fwcfg') return new FwCfgIoRegion(device);
      return undefined;
    }
    if (r.name === 'fwcfg.data') return new FwCfgMmioData(device, Number(r.end - r.start));
    if (r.name === 'fwcfg.ctl') return new FwCfgMmioCtl(device);
    return undefined;
  };
  const memory = new AddressSpace('memory', {
    memory: guestMemory,
    romd,
    romDevices,
    devices: deviceRanges.map((r) => ({ ...unmodeled(r), ops: ops(r, 'memory') })),
  });
  const io = new AddressSpace('I/O', {
    size: 0x10000n,
    devices: map.io.map((r) => ({ ...unmodeled(r), ops: ops(r, 'io') })),
  });
  return { config: capture.json.config, layout, device, guestMemory, memory, io, dmaMemory, dma, behaviours };
}

/**
 * The fw_cfg registers of an emulated machine as a guest driver sees them:
 * every access goes through the machine's address spaces, so QEMU's
 * splitting rules and the same device apply.
 */
export function machineRegisters(machine: EmulatedMachine): FwCfgGuestRegisters {
  const io = machine.io;
  const mem = machine.memory;
  const b = new Uint8Array(8);
  const put32be = (v: number) => new DataView(b.buffer).setUint32(0, v >>> 0, false);
  if (machine.layout === 'io') {
    return {
      layout: 'io',
      hasDmaRegister: machine.dma !== undefined,
      select: (key) => void io.write(0x510n, Uint8Array.of(key & 0xff, (key >>> 8) & 0xff)),
      readData: (out) => {
        for (let i = 0; i < out.length; i++) io.read(0x511n, out.subarray(i, i + 1));
      },
      writeDataByte: (v) => void io.write(0x511n, Uint8Array.of(v & 0xff)),
      readDmaRegister: () => {
        const out = new Uint8Array(8);
        io.read(0x514n, out.subarray(0, 4));
        io.read(0x518n, out.subarray(4));
        return out;
      },
      writeDmaHigh: (hi) => {
        put32be(hi);
        io.write(0x514n, b.subarray(0, 4));
      },
      writeDmaLow: (lo) => {
        put32be(lo);
        io.write(0x518n, b.subarray(0, 4));
      },
    };
  }
  const base = BigInt(machine.memory.device('fwcfg.data')?.start ?? 0x09020000n);
  return {
    layout: 'mmio',
    hasDmaRegister: machine.dma !== undefined,
    select: (key) => void mem.write(base + 8n, Uint8Array.of((key >>> 8) & 0xff, key & 0xff)),
    readData: (out) => {
      for (let at = 0; at < out.length; ) {
        let n = 8;
        while (n > out.length - at) n >>= 1;
        mem.read(base, out.subarray(at, at + n));
        at += n;
      }
    },
    writeDataByte: (v) => void mem.write(base, Uint8Array.of(v & 0xff)),
    readDmaRegister: () => {
      const out = new Uint8Array(8);
      mem.read(base + 0x10n, out);
      return out;
    },
    writeDmaHigh: (hi) => {
      put32be(hi);
      mem.write(base + 0x10n, b.subarray(0, 4));
    },
    writeDmaLow: (lo) => {
      put32be(lo);
      mem.write(base + 0x14n, b.subarray(0, 4));
    },
    writeDma64: (addr) => {
      new DataView(b.buffer).setBigUint64(0, BigInt.asUintN(64, addr), false);
      mem.write(base + 0x10n, b);
    },
  };
}
