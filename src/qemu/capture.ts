/**
 * `fwcfg capture`: everything a QEMU configuration serves through fw_cfg,
 * read from a live, paused QEMU as a guest would read it, plus what an
 * emulator needs to answer memory accesses as that QEMU does. The directory
 * format is the shared items.json format extended as docs/capture-format.md
 * describes.
 *
 * Exact lengths come from the guest side: a DMA READ whose target starts on
 * the byte before a RAM run (ROM or a hole) fails on that byte, and QEMU stops
 * after the failing chunk — so the bytes that reach RAM are exactly the item's
 * bytes after the first, whatever their values, and the boundary gives the
 * length. `-trace fw_cfg_add_bytes` (QEMU's own record of each key it filled)
 * tells which keys to expect; an empty key and a missing one look the same to
 * a guest.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../errors.js';
import { dmaControl } from '../fwcfg/dma.js';
import {
  FW_CFG_DMA_CTL_READ,
  FW_CFG_DMA_CTL_SELECT,
  FW_CFG_DMA_CTL_SKIP,
  FW_CFG_DMA_CTL_WRITE,
  FW_CFG_FILE_DIR,
  FW_CFG_FILE_RECORD_SIZE,
  FW_CFG_ID,
  FW_CFG_SIGNATURE,
  keyHex,
  wellKnownKeyName,
} from '../fwcfg/keys.js';
import type { DirectoryRowJson, ItemsCaptureJson, MemoryContentJson, MemoryMapJson, RebuildJson } from '../vectors/items-capture.js';
import { directKind } from './emulated-machine.js';
import { QemuError } from './live/errors.js';
import { LiveGuest, type LiveLayout } from './live/live-guest.js';
import { QemuProcess } from './live/qemu-process.js';
import { memoryMapFromMtree, parseRamBlocks } from './monitor-text.js';
import { planFirmware } from './capture-firmware.js';
import { qemuVersionLine } from './live/firmware-images.js';
import type { FirmwareCaptureJson, CreationJson, FirmwareRebuildJson } from '../vectors/capture-json.js';
import { ACPI_FILES, TRACE_PREFIX, captureFirmwareRebuild, parseDirectory, readDirectoryPort, romBlocksByMigration, writeRomBlobs } from './capture-rebuild.js';
import { parseMachineType } from './machine-type.js';
import { firmwareImageKind } from './firmware-kinds.js';

export interface CaptureOptions {
  out: string;
  /** `[binary] args...`; the binary defaults to qemu-system-x86_64. */
  qemuArgs: readonly string[];
  rebuild?: boolean;
  /** Boot no firmware (only the creation capture). */
  noFirmware?: boolean;
  /** Bound for each firmware's run to its first ACPI select (default 120 s). */
  bootTimeoutMs?: number;
  force?: boolean;
  config?: string;
  description?: string;
  timeoutMs?: number;
  progress?: (message: string) => void;
  /** A directory the arguments refer to (temporary files); recorded as $TMP in argv. */
  tmpDir?: string;
  tempFiles?: Record<string, string>;
}

export interface CaptureResult {
  dir: string;
  json: ItemsCaptureJson;
}

const PAGE = 4096;
const SCAN_CHUNK = 64 << 20;
/** Items up to this size are also read whole through the data register. */
const PORT_READ_LIMIT = 16 << 10;
const MARKERS = [0xa5, 0x5a] as const;
const ZERO_PAGE = Buffer.alloc(PAGE);

const hex = (n: bigint | number) => '0x' + n.toString(16);
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

export function splitQemuArgs(args: readonly string[]): { binary: string; args: string[] } {
  if (args.length > 0 && !args[0]!.startsWith('-')) return { binary: args[0]!, args: args.slice(1) };
  return { binary: 'qemu-system-x86_64', args: [...args] };
}

/** What the capture adds to the user's arguments: paused, headless, TCG unless told otherwise, and the add-bytes trace. */
export function captureArgs(args: readonly string[]): string[] {
  const out = [...args];
  const has = (flag: string) => out.includes(flag);
  if (!has('-S')) out.push('-S');
  if (!has('-accel') && !out.some((a) => /(^|,)accel=/.test(a))) out.push('-accel', 'tcg');
  if (!has('-display') && !has('-nographic')) out.push('-display', 'none');
  if (!out.some((a, i) => a === 'fw_cfg_add_bytes' && out[i - 1] === '-trace')) out.push('-trace', 'fw_cfg_add_bytes');
  return out;
}

/** `fw_cfg_add_bytes key 0x0003 'ram_size', 8 bytes` lines: the last length QEMU gave each key. */
export function tracedKeys(stderr: string): Map<number, number> {
  const keys = new Map<number, number>();
  for (const m of stderr.matchAll(new RegExp(`${TRACE_PREFIX}fw_cfg_add_bytes key 0x([0-9a-f]+) '[^']*', (\\d+) bytes$`, 'gm'))) keys.set(parseInt(m[1]!, 16), Number(m[2]));
  return keys;
}

function fileBin(key: number, name: string): string {
  return `${keyHex(key)}-${name.replace(/[^A-Za-z0-9._-]/g, '_')}.bin`;
}

interface Scratch {
  /** Start of a RAM run whose preceding byte is not writable RAM. */
  run: bigint;
  /** Usable bytes from `run` on (buffers and probe windows). */
  capacity: number;
  /** Where descriptors go. */
  desc: bigint;
}

function pickScratch(map: MemoryMapJson): Scratch {
  const ram = map.memory.filter((r) => directKind(r.kind) === 'ram').map((r) => ({ start: BigInt(r.start), end: BigInt(r.start) + BigInt(r.size) }));
  const candidates = ram.filter((r) => r.start > 0n && !ram.some((o) => o.end === r.start)).sort((a, b) => Number(b.end - b.start - (a.end - a.start)));
  const best = candidates[0];
  if (best === undefined || best.end - best.start < 0x10000n) throw new QemuError('NO_SCRATCH', 'the memory map has no RAM run preceded by ROM or a hole (needed to measure item lengths)');
  const desc = best.end - 0x1000n;
  const capacity = Number(desc - best.start) > 64 << 20 ? 64 << 20 : Number(desc - best.start);
  return { run: best.start, capacity, desc };
}

class Capturer {
  readonly guest: LiveGuest;
  readonly scratch: Scratch | undefined;

  constructor(
    readonly q: QemuProcess,
    layout: LiveLayout,
    map: MemoryMapJson,
    readonly progress: (m: string) => void,
  ) {
    this.guest = new LiveGuest(q.qtest, layout);
    this.scratch = layout.dma ? pickScratch(map) : undefined;
  }

  get dma(): boolean {
    return this.guest.layout.dma;
  }

  /**
   * Runs a READ of `window` bytes at offset `skip` of `key` into [run-1, ...):
   * the first byte fails, QEMU stops after the failing chunk, so exactly
   * min(len - skip, window) - 1 bytes reach RAM when len - skip >= 1.
   */
  async probe(key: number, skip: number, window: number): Promise<{ exact?: number; data: Uint8Array; zero: boolean }> {
    const s = this.scratch!;
    if (window - 1 > s.capacity) throw new QemuError('PROBE_WINDOW', `probe window of ${window} bytes exceeds the scratch RAM`);
    const seen: Uint8Array[] = [];
    for (const marker of MARKERS) {
      await this.guest.memset(s.run, window - 1, marker);
      if (skip > 0) {
        await this.guest.dma(s.desc, dmaControl(FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_SKIP, key), skip, 0n);
        await this.guest.dma(s.desc, dmaControl(FW_CFG_DMA_CTL_READ), window, s.run - 1n);
      } else {
        await this.guest.dma(s.desc, dmaControl(FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_READ, key), window, s.run - 1n);
      }
      seen.push(await this.guest.readMemory(s.run, window - 1));
    }
    const [a, b] = seen as [Uint8Array, Uint8Array];
    let written = a.length;
    for (let i = 0; i < a.length; i++) {
      if (a[i] === MARKERS[0] && b[i] === MARKERS[1]) {
        written = i;
        break;
      }
    }
    const data = a.subarray(0, written);
    if (written < window - 1) return { exact: skip + written + 1, data, zero: false };
    return { data, zero: data.every((x) => x === 0) };
  }

  /** The length a guest can establish for `key` (see the module comment). */
  async length(key: number, traced: number | undefined): Promise<{ len: number; from: string }> {
    if (!this.dma) {
      return { len: traced ?? 0, from: traced === undefined ? 'absent from trace fw_cfg_add_bytes (no DMA: a guest cannot measure)' : 'trace fw_cfg_add_bytes (no DMA: a guest cannot measure)' };
    }
    if (traced !== undefined && traced > 0) {
      const p = await this.probe(key, traced - 1, 3);
      if (p.exact === traced) return { len: traced, from: 'dma probe (a READ stopped by a failing first byte), agrees with trace fw_cfg_add_bytes' };
    }
    for (const window of [4096, 65536, 1 << 20, this.scratch!.capacity + 1]) {
      if (window - 1 > this.scratch!.capacity) continue;
      const p = await this.probe(key, 0, window);
      if (p.exact !== undefined) return { len: p.exact, from: 'dma probe (a READ stopped by a failing first byte)' };
      // all zeros up to the window: empty, unless QEMU said it filled the key (then a longer run of zeros)
      if (p.zero && !(traced !== undefined && traced > 0)) return { len: 0, from: traced === undefined ? 'dma probe: no bytes, not in trace fw_cfg_add_bytes' : 'dma probe: no bytes' };
    }
    throw new QemuError('ITEM_TOO_LARGE', `key ${keyHex(key)} is larger than the scratch RAM (${this.scratch!.capacity} bytes)`);
  }

  /** The item's bytes, read as a guest would (DMA when present, else the data register), with the cross-checks. */
  async read(key: number, len: number): Promise<{ bytes: Uint8Array; readVia: string[]; checks: Record<string, unknown> }> {
    const checks: Record<string, unknown> = {};
    const readVia: string[] = [];
    let bytes: Uint8Array | undefined;
    if (this.dma) {
      const s = this.scratch!;
      const extra = 4;
      const got = await this.guest.dmaReadItem(s.desc, s.run, key, len + extra, s.capacity);
      bytes = got.bytes.slice(0, len);
      checks['dma_control_after'] = got.control;
      checks['dma_bytes_past_end_zero'] = got.bytes.subarray(len).every((x) => x === 0);
      readVia.push('DMA SELECT|READ into guest RAM, read back with b64read');
    }
    // without DMA the data register is the only way in: read it all
    const portLen = this.dma ? Math.min(len, PORT_READ_LIMIT) : len;
    await this.guest.select(key);
    const port = await this.guest.readPort(portLen + (portLen === len ? 4 : 0));
    readVia.push(portLen === len ? 'data register, 1 byte per access' : `data register, 1 byte per access (first ${portLen} bytes)`);
    if (portLen === len) checks['port_bytes_past_end_zero'] = port.subarray(len).every((x) => x === 0);
    if (bytes === undefined) bytes = port.slice(0, len);
    else checks['dma_equals_port'] = port.subarray(0, portLen).every((x, i) => x === bytes![i]);
    return { bytes, readVia, checks };
  }

  /** Whether a DMA WRITE of the item's own bytes is accepted (nothing changes either way). */
  async writable(key: number, bytes: Uint8Array): Promise<boolean | undefined> {
    if (!this.dma || bytes.length === 0 || bytes.length > this.scratch!.capacity) return undefined;
    const s = this.scratch!;
    await this.guest.writeMemory(s.run, bytes);
    const control = await this.guest.dma(s.desc, dmaControl(FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_WRITE, key), bytes.length, s.run);
    return control === 0;
  }

  async directory(len: number): Promise<{ bytes: Uint8Array; rows: DirectoryRowJson[] }> {
    let bytes: Uint8Array;
    if (this.dma) bytes = (await this.guest.dmaReadItem(this.scratch!.desc, this.scratch!.run, FW_CFG_FILE_DIR, len, this.scratch!.capacity)).bytes;
    else {
      await this.guest.select(FW_CFG_FILE_DIR);
      bytes = await this.guest.readPort(len);
    }
    return { bytes, rows: parseDirectory(bytes) };
  }
}

async function scanMemory(q: QemuProcess, map: MemoryMapJson, out: string, progress: (m: string) => void): Promise<MemoryContentJson[]> {
  const contents: MemoryContentJson[] = [];
  const direct = map.memory.filter((r) => directKind(r.kind) !== undefined);
  const total = direct.reduce((n, r) => n + Number(BigInt(r.size)), 0);
  let done = 0;
  // a RAM-backed file system keeps the dump off the disk when there is one
  const tmp = existsSync('/dev/shm') ? join('/dev/shm', `fwcfg-pmem-${process.pid}-${q.pid}.bin`) : join(q.dir, 'pmem.bin');
  mkdirSync(join(out, 'memory'), { recursive: true });
  let run: { address: bigint; parts: Uint8Array[] } | undefined;
  const flush = () => {
    if (run === undefined) return;
    const bytes = Buffer.concat(run.parts);
    const bin = `memory/${run.address.toString(16).padStart(16, '0')}.bin`;
    writeFileSync(join(out, bin), bytes);
    contents.push({ address: hex(run.address), size: hex(bytes.length), bin, sha256: sha256(bytes) });
    run = undefined;
  };
  try {
    for (const r of direct) {
      const start = BigInt(r.start);
      const size = Number(BigInt(r.size));
      for (let at = 0; at < size; at += SCAN_CHUNK) {
        const n = Math.min(SCAN_CHUNK, size - at);
        await q.qmp.execute('pmemsave', { val: Number(start + BigInt(at)), size: n, filename: tmp });
        const data = readFileSync(tmp);
        for (let p = 0; p < n; p += PAGE) {
          const page = data.subarray(p, Math.min(n, p + PAGE));
          if (Buffer.compare(page, ZERO_PAGE.subarray(0, page.length)) === 0) {
            flush();
            continue;
          }
          run ??= { address: start + BigInt(at + p), parts: [] };
          run.parts.push(Uint8Array.from(page));
        }
        done += n;
        progress(`memory ${r.name} ${hex(start + BigInt(at))}: ${Math.round((done / total) * 100)}% of ${Math.round(total / (1 << 20))} MiB`);
      }
      // runs never span two ranges
      flush();
    }
  } finally {
    rmSync(tmp, { force: true });
  }
  return contents;
}

export function layoutOf(map: MemoryMapJson): LiveLayout & { mmioBase: string | null } {
  const io = map.io.find((r) => r.name === 'fwcfg');
  if (io !== undefined) return { kind: 'io', dma: map.io.some((r) => r.name === 'fwcfg.dma'), mmioBase: null };
  const data = map.memory.find((r) => r.name === 'fwcfg.data');
  if (data !== undefined) return { kind: 'mmio', base: BigInt(data.start), dma: map.memory.some((r) => r.name === 'fwcfg.dma'), mmioBase: '0x' + BigInt(data.start).toString(16).padStart(8, '0') };
  throw new InputError('NO_FWCFG', 'this QEMU configuration has no fw_cfg device (no "fwcfg" region in info mtree -f)');
}

export async function captureQemu(options: CaptureOptions): Promise<CaptureResult> {
  const t0 = Date.now();
  const progress = options.progress ?? (() => undefined);
  const out = options.out;
  if (existsSync(join(out, 'items.json')) && !options.force) throw new InputError('CAPTURE_EXISTS', `${out} already holds a capture (items.json); use --force to overwrite`);
  const { binary, args: userArgs } = splitQemuArgs(options.qemuArgs);
  const args = captureArgs(userArgs);
  const timeoutMs = options.timeoutMs ?? 30_000;
  const version = qemuVersionLine(binary);

  const q = await QemuProcess.start({ binary, args, timeoutMs, dir: options.tmpDir });
  let json: ItemsCaptureJson;
  try {
    progress(`started ${binary} (pid ${q.pid})`);
    mkdirSync(out, { recursive: true });
    const mtree = await q.qmp.hmp('info mtree -f');
    const ramblockText = await q.qmp.hmp('info ramblock');
    const map = memoryMapFromMtree(mtree);
    const layout = layoutOf(map);
    writeFileSync(join(out, 'info-mtree-f.txt'), mtree);
    writeFileSync(join(out, 'info-ramblock.txt'), ramblockText);

    // memory first: the probes below write into RAM
    const memoryContents = await scanMemory(q, map, out, progress);

    // the ACPI blobs as QEMU built them at creation: any select of them would rebuild them, a migration stream does not
    let creation: CreationJson | undefined;
    let machineType: string | null = null;
    if (!options.noFirmware) {
      const ramAtStart = parseRamBlocks(ramblockText);
      if (ramAtStart.some((r) => r.name.startsWith('/rom@'))) {
        const dir = await readDirectoryPort(new LiveGuest(q.qtest, layout));
        const m = await romBlocksByMigration(q, q.dir, Math.max(timeoutMs, 60_000));
        machineType = m.machineType ?? (await machineTypeOf(q));
        creation = { how: 'migration stream of the paused machine (no fw_cfg select)', roms: writeRomBlobs(out, 'creation', m.blocks, dir, ramAtStart), loaded_seabios_version: m.seabiosVersion };
        progress(`creation blobs: ${creation.roms.map((r) => `${r.name} ${r.fw_cfg_size}`).join(', ')}`);
      } else {
        machineType = await machineTypeOf(q);
        creation = { how: 'no ROM blobs (no ACPI RAM blocks)', roms: [] };
      }
    }

    const cap = new Capturer(q, layout, map, progress);
    const g = cap.guest;
    await g.select(FW_CFG_SIGNATURE);
    const signature = String.fromCharCode(...(await g.readPort(4)));
    if (signature !== 'QEMU') throw new QemuError('BAD_SIGNATURE', `fw_cfg signature reads ${JSON.stringify(signature)}, not "QEMU"`);
    await g.select(FW_CFG_ID);
    const idBytes = await g.readPort(4);
    const id = (idBytes[0]! | (idBytes[1]! << 8) | (idBytes[2]! << 16) | (idBytes[3]! << 24)) >>> 0;
    const traced = tracedKeys(q.stderr);
    progress(`signature QEMU, id ${id}, ${traced.size} keys in the add-bytes trace`);

    const dirLen = (await cap.length(FW_CFG_FILE_DIR, traced.get(FW_CFG_FILE_DIR))).len;
    const before = await cap.directory(dirLen);
    const acpi = before.rows.find((r) => r.name === 'etc/acpi/tables') ?? before.rows.find((r) => ACPI_FILES.includes(r.name));
    let after = before;
    if (acpi !== undefined) {
      await g.select(parseInt(acpi.select, 16));
      after = await cap.directory(dirLen);
    }
    const ramblockAfter = acpi !== undefined ? parseRamBlocks(await q.qmp.hmp('info ramblock')) : undefined;

    const items: ItemsCaptureJson['items'] = [];
    const empty: string[] = [];
    const keys = [...Array.from({ length: 0x20 }, (_, i) => i), ...Array.from({ length: 0x20 }, (_, i) => 0x8000 + i)];
    for (const key of keys) {
      const { len, from } = await cap.length(key, traced.get(key));
      if (len === 0) {
        empty.push(keyHex(key));
        continue;
      }
      const name = wellKnownKeyName(key) ?? `key_${keyHex(key)}`;
      const { bytes, readVia, checks } = await cap.read(key, len);
      const writable = await cap.writable(key, bytes);
      const bin = `${keyHex(key)}-${name}.bin`;
      writeFileSync(join(out, bin), bytes);
      const row: ItemsCaptureJson['items'][number] & Record<string, unknown> = { key: keyHex(key), name, kind: key & 0x8000 ? 'arch' : 'well-known', size: len, size_from: from, sha256: sha256(bytes), read_via: readVia, checks, bin };
      if (writable !== undefined) row.writable = writable;
      items.push(row);
      progress(`${keyHex(key)} ${name}: ${len} bytes`);
    }
    for (const f of after.rows) {
      const key = parseInt(f.select, 16);
      const row: ItemsCaptureJson['items'][number] & Record<string, unknown> = { key: f.select, name: f.name, kind: 'file', size: f.size, size_from: 'file directory', sha256: sha256(new Uint8Array(0)) };
      if (f.size > 0) {
        if (cap.dma) {
          const p = await cap.probe(key, f.size - 1, 3);
          if (p.exact !== f.size) throw new QemuError('SIZE_MISMATCH', `${f.name}: the directory says ${f.size} bytes, a guest measures ${p.exact ?? 'more or none'}`);
          row.size_from = 'file directory, confirmed by a dma probe';
        }
        const { bytes, readVia, checks } = await cap.read(key, f.size);
        const writable = await cap.writable(key, bytes);
        const bin = fileBin(key, f.name);
        writeFileSync(join(out, bin), bytes);
        Object.assign(row, { sha256: sha256(bytes), read_via: readVia, checks, bin });
        if (writable !== undefined) row.writable = writable;
      } else if (cap.dma) row.writable = false;
      items.push(row);
      progress(`${f.select} ${f.name}: ${f.size} bytes`);
    }
    const dirItem = items.find((i) => i.key === keyHex(FW_CFG_FILE_DIR));
    const fileSlots = dirItem !== undefined ? (dirItem.size - 4) / FW_CFG_FILE_RECORD_SIZE : 0;

    const tmpAlias = (s: string) => {
      let r = s.split(q.dir).join('$TMP');
      if (options.tmpDir !== undefined) r = r.split(options.tmpDir).join('$TMP');
      return r;
    };
    json = {
      config: options.config ?? machineName(userArgs),
      description: options.description ?? `captured by fwcfg capture from ${binary} ${userArgs.join(' ')}`,
      qemu: version,
      argv: q.argv.map((a, i) => (i === 0 ? binary.split('/').pop()! : tmpAlias(a))),
      user_argv: [binary.split('/').pop()!, ...userArgs.map(tmpAlias)],
      // as given: a wrapper that runs another installation's QEMU (a chroot) stays usable for live boots
      qemu_binary_path: binary,
      capture_format: options.noFirmware ? 2 : 3,
      ...(options.noFirmware
        ? {}
        : {
            qemu_version: /version (\d+\.\d+(?:\.\d+)?)/.exec(version)?.[1] ?? null,
            machine_type: machineType,
            host_page_size: hostPageSize(),
            creation,
          }),
      tool: 'fwcfg capture (fwcfg-emu)',
      date: new Date().toISOString(),
      layout: layout.kind,
      mmio_base: layout.mmioBase,
      info_mtree_fwcfg: mtree.split('\n').filter((l) => /\): fwcfg/.test(l)).map((l) => l.trim()).filter((l, i, a) => a.indexOf(l) === i),
      ramblock_at_start: parseRamBlocks(ramblockText).map((r) => ({ name: r.name, used: r.used, max: r.max })),
      signature,
      id,
      directory_before_acpi_select: before.rows,
      ...(acpi !== undefined ? { first_acpi_select: { name: acpi.name, select: acpi.select, how: 'selector write only (no data read)' } } : {}),
      directory_after_acpi_select: after.rows,
      acpi_select_size_changes: sizeChanges(before.rows, after.rows),
      ...(ramblockAfter !== undefined ? { ramblock_after_acpi_select: ramblockAfter.map((r) => ({ name: r.name, used: r.used, max: r.max })) } : {}),
      file_slots: fileSlots,
      empty_keys_probed: empty,
      items,
      memory_map: map,
      memory_contents: memoryContents,
      ...(options.tempFiles !== undefined ? { temp_files: options.tempFiles } : {}),
    };
  } finally {
    await q.close();
  }

  if (options.rebuild) json.rebuild = await captureRebuild(binary, args, out, timeoutMs, options.tmpDir, progress);
  if (!options.noFirmware) json.firmware = await captureFirmware(binary, userArgs, json, out, { timeoutMs, bootTimeoutMs: options.bootTimeoutMs ?? 120_000, progress, alias: (a) => (options.tmpDir !== undefined ? a.split(options.tmpDir).join('$TMP') : a) });
  json['elapsed_s'] = Math.round((Date.now() - t0) / 100) / 10;
  writeFileSync(join(out, 'items.json'), JSON.stringify(json, null, 1) + '\n');
  return { dir: out, json };
}

function sizeChanges(before: DirectoryRowJson[], after: DirectoryRowJson[]): { name: string; before: number; after: number }[] {
  return after.flatMap((a) => {
    const b = before.find((x) => x.name === a.name);
    return b !== undefined && b.size !== a.size ? [{ name: a.name, before: b.size, after: a.size }] : [];
  });
}

function machineName(args: readonly string[]): string {
  const i = args.indexOf('-machine') >= 0 ? args.indexOf('-machine') : args.indexOf('-M');
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]!.split(',')[0]! : 'default';
}

/** q35's MCH: PCIEXBAR at config offset 0x60 of 00:00.0, programmed as SeaBIOS does (0xb0000000, 256 MiB, enabled). */
export const PCIEXBAR_LINES = ['outl 0xcf8 0x80000064', 'outl 0xcfc 0x0', 'outl 0xcf8 0x80000060', 'outl 0xcfc 0xb0000001'];
const Q35_HOST_ID = 0x29c08086;

async function captureRebuild(binary: string, args: string[], out: string, timeoutMs: number, tmpDir: string | undefined, progress: (m: string) => void): Promise<RebuildJson> {
  return QemuProcess.with({ binary, args, timeoutMs, dir: tmpDir }, async (q) => {
    const mtree = await q.qmp.hmp('info mtree -f');
    const map = memoryMapFromMtree(mtree);
    const layout = layoutOf(map);
    if (layout.kind !== 'io' || !layout.dma) throw new InputError('NOT_Q35', '--rebuild needs a q35 machine with the DMA interface');
    const [, idReply] = await q.qtest.commands(['outl 0xcf8 0x80000000', 'inl 0xcfc']);
    const hostId = Number(BigInt(idReply!.slice(3)));
    if (hostId !== Q35_HOST_ID) throw new InputError('NOT_Q35', `--rebuild needs a q35 machine: PCI 00:00.0 is ${(hostId & 0xffff).toString(16)}:${(hostId >>> 16).toString(16)}, not the q35 MCH 8086:29c0`);
    const cap = new Capturer(q, layout, map, progress);
    const traced = tracedKeys(q.stderr);
    const dirLen = (await cap.length(FW_CFG_FILE_DIR, traced.get(FW_CFG_FILE_DIR))).len;
    const before = await cap.directory(dirLen);
    const loader = before.rows.find((r) => r.name === 'etc/table-loader');
    if (loader === undefined) throw new InputError('NO_ACPI', '--rebuild: this machine has no etc/table-loader');
    const how = [...PCIEXBAR_LINES, cap.guest.selectLine(parseInt(loader.select, 16))];
    for (const line of how) {
      const r = await q.qtest.command(line);
      if (!r.startsWith('OK')) throw new QemuError('QTEST_REPLY', `qtest ${line}: ${r}`);
    }
    const after = await cap.directory(dirLen);
    const changes = sizeChanges(before.rows, after.rows);
    const names = new Set([...ACPI_FILES, ...changes.map((c) => c.name)]);
    mkdirSync(join(out, 'rebuild'), { recursive: true });
    const items: RebuildJson['items'] = [];
    for (const row of after.rows.filter((r) => names.has(r.name))) {
      const key = parseInt(row.select, 16);
      const { bytes } = await cap.read(key, row.size);
      const bin = `rebuild/${fileBin(key, row.name)}`;
      writeFileSync(join(out, bin), bytes);
      items.push({ name: row.name, key: row.select, size: row.size, sha256: sha256(bytes), bin });
      progress(`rebuild: ${row.name} ${row.size} bytes`);
    }
    const ramblock = parseRamBlocks(await q.qmp.hmp('info ramblock'));
    return {
      how,
      directory_before: before.rows,
      directory_after: after.rows,
      size_changes: changes,
      ramblock_after: ramblock.map((r) => ({ name: r.name, used: r.used, max: r.max })),
      items,
    };
  });
}


/** The host's page size (QEMU aligns RAM blocks to it). */
function hostPageSize(): number {
  try {
    const n = Number(execFileSync('getconf', ['PAGESIZE'], { encoding: 'utf8', timeout: 5000 }).trim());
    return Number.isSafeInteger(n) && n > 0 ? n : 4096;
  } catch {
    return 4096;
  }
}

/** The resolved machine type (`q35` -> `pc-q35-7.2`): QOM's type name of /machine. */
async function machineTypeOf(q: QemuProcess): Promise<string | null> {
  try {
    const t = await q.qmp.execute('qom-get', { path: '/machine', property: 'type' });
    return typeof t === 'string' ? t.replace(/-machine$/, '') : null;
  } catch {
    return null;
  }
}

async function captureFirmware(
  binary: string,
  userArgs: readonly string[],
  json: ItemsCaptureJson,
  out: string,
  o: { timeoutMs: number; bootTimeoutMs: number; progress: (m: string) => void; alias: (s: string) => string },
): Promise<FirmwareCaptureJson> {
  const type = json.machine_type ? parseMachineType(json.machine_type) : undefined;
  const arch = type?.arch ?? (json.layout === 'mmio' ? 'aarch64' : 'x86_64');
  const plans = planFirmware(binary, userArgs, arch, type?.family ?? 'unknown');
  const runs: FirmwareRebuildJson[] = [];
  const hasAcpi = (json.directory_before_acpi_select ?? []).some((d) => ACPI_FILES.includes(d.name));
  if (!hasAcpi) return { booted: plans.booted, runs, unavailable: [...plans.unavailable, ...plans.plans.map((p) => ({ firmware: p.firmware, reason: 'the machine has no ACPI files in fw_cfg: nothing to rebuild' }))] };
  for (const plan of plans.plans) {
    // the BIOS the command line itself loaded, read from its RAM block at creation: exact even when QEMU runs in a chroot
    const loaded = firmwareImageKind(plan.firmware).inStream({ seabiosVersion: json.creation?.loaded_seabios_version ?? null, ubootVersion: null });
    if (plan.firmware === plans.booted && plan.image.source !== 'installed' && loaded) plan.image = { ...plan.image, version: loaded, versionFrom: 'the image QEMU loaded (its RAM block in the migration stream)' };
    o.progress(`${plan.firmware}: ${plan.image.files.join(' + ')}${plan.image.version ? ` (${plan.image.version})` : ''}`);
    const runOptions = {
      binary,
      finish: captureArgs,
      layout: async (q: QemuProcess) => layoutOf(memoryMapFromMtree(await q.qmp.hmp('info mtree -f'))),
      out,
      timeoutMs: o.timeoutMs,
      bootTimeoutMs: o.bootTimeoutMs,
      alias: o.alias,
      progress: o.progress,
    };
    let run = await captureFirmwareRebuild(plan, runOptions);
    // QEMU refused to start with this image (another installation's QEMU lacks it): the next one
    for (const next of plan.alternatives ?? []) {
      if (run.outcome !== 'qemu-exited' || run.exit !== null) break;
      o.progress(`${plan.firmware}: trying ${next.image.files.join(' + ')}`);
      run = await captureFirmwareRebuild(next, runOptions);
    }
    runs.push(run);
  }
  return { booted: plans.booted, runs, unavailable: plans.unavailable };
}
