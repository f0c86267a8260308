/**
 * A firmware's rebuild, read from the live QEMU: the configuration started
 * paused with that firmware, the firmware run until QEMU's trace shows its
 * first select of an ACPI file (the select that makes QEMU rebuild its
 * tables from the platform as the firmware left it), the guest stopped, and
 * the rebuilt blobs taken from a migration stream (reading them through
 * fw_cfg would need no select either, but the stream gives each RAM block's
 * used length as QEMU keeps it). A QEMU that exits on that select (before
 * 6.0 the loader's block cannot grow: ../shared/vectors/README.md) is an
 * outcome: its exit status and stderr are recorded.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError } from '../errors.js';
import { parseFileDirectory } from '../fwcfg/directory.js';
import { keyHex } from '../fwcfg/keys.js';
import type { DirectoryRowJson } from '../vectors/items-capture.js';
import type { FirmwarePlan } from './capture-firmware.js';
import type { FirmwareRebuildJson, RomBlobJson } from '../vectors/capture-json.js';
import { FIRMWARE_STAGE } from './capture-firmware.js';
import { LiveGuest, type LiveLayout } from './live/live-guest.js';
import { QemuProcess } from './live/qemu-process.js';
import { migrateToFile, readRamBlocks } from './live/ram-stream.js';
import { parseRamBlocks } from './monitor-text.js';
import { seabiosVersionIn } from './seabios-image.js';
import { ubootVersionIn } from './uboot-image.js';
import { KNOWN_IMAGES, type KnownImage } from './known-firmware-images.js';
import { UEFI_VERSION_WINDOW, uefiVersionIn } from './uefi-version.js';
import { firmwareImageKind } from './firmware-kinds.js';

export const ACPI_FILES = ['etc/acpi/tables', 'etc/table-loader', 'etc/acpi/rsdp'];

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** The directory as captures write it (the select as 0xKKKK). */
export function parseDirectory(bytes: Uint8Array): DirectoryRowJson[] {
  return parseFileDirectory(bytes).map((f) => ({ select: keyHex(f.select), size: f.size, name: f.name }));
}

/** The directory through the data register, in the capture's JSON shape. */
export async function readDirectoryPort(guest: LiveGuest): Promise<DirectoryRowJson[]> {
  return (await guest.directory()).map((f) => ({ select: keyHex(f.select), size: f.size, name: f.name }));
}

/** RAM blocks that hold the BIOS image QEMU loaded (x86 pc/q35, microvm). */
const BIOS_BLOCKS = ['pc.bios', 'microvm.bios'];
/** The first flash, where OVMF and AAVMF run from (-drive if=pflash,unit=0 or -bios on virt). */
const FLASH_BLOCKS = ['system.flash0', 'virt.flash0'];


export interface StreamFirmware {
  machineType: string | null;
  /** The /rom@ blocks, whole (their used length). */
  blocks: Map<string, Uint8Array>;
  /** The firmware the guest holds: SeaBIOS's version in its BIOS block, U-Boot's banner, the known OVMF/AAVMF image its first flash holds. */
  seabiosVersion: string | null;
  ubootVersion: string | null;
  flashImage: KnownImage | null;
}

/** The /rom@ blocks and the firmware in a migration stream file's RAM (pflash contents travel as RAM blocks, as pc.bios does). */
export function firmwareInStream(path: string): StreamFirmware {
  const stream = readFileSync(path);
  const r = readRamBlocks(new Uint8Array(stream.buffer, stream.byteOffset, stream.byteLength), { only: (n) => n.startsWith('/rom@') || BIOS_BLOCKS.includes(n) || FLASH_BLOCKS.includes(n) });
  const blocks = new Map<string, Uint8Array>();
  let seabiosVersion: string | null = null;
  let ubootVersion: string | null = null;
  let flashImage: KnownImage | null = null;
  for (const [name, b] of r.blocks) {
    if (b.bytes === null) continue;
    if (name.startsWith('/rom@')) blocks.set(name, b.bytes);
    else if (FLASH_BLOCKS.includes(name)) flashImage ??= KNOWN_IMAGES[createHash('sha256').update(b.bytes).digest('hex')] ?? null;
    else seabiosVersion ??= seabiosVersionIn(b.bytes);
    // a -bios U-Boot sits in the BIOS block on x86, in the first flash on arm virt
    if (!name.startsWith('/rom@')) ubootVersion ??= ubootVersionIn(b.bytes);
  }
  return { machineType: r.machineType, blocks, seabiosVersion, ubootVersion, flashImage };
}

/** The /rom@ blocks of a paused QEMU, from a migration stream (their used length, whole). */
export async function romBlocksByMigration(q: QemuProcess, dir: string, timeoutMs: number): Promise<StreamFirmware> {
  const path = join(dir, 'fwcfg-capture-stream.bin');
  try {
    await migrateToFile(q, path, timeoutMs);
    return firmwareInStream(path);
  } finally {
    rmSync(path, { force: true });
  }
}

/** Writes the ACPI ROM blobs (whole blocks) under `out/folder` and describes them. */
export function writeRomBlobs(out: string, folder: string, blocks: Map<string, Uint8Array>, directory: readonly DirectoryRowJson[], ramblocks: readonly { name: string; used: number; max: number }[]): RomBlobJson[] {
  mkdirSync(join(out, folder), { recursive: true });
  const roms: RomBlobJson[] = [];
  for (const [block, bytes] of blocks) {
    const name = block.replace(/^\/rom@/, '');
    const d = directory.find((r) => r.name === name);
    const rb = ramblocks.find((r) => r.name === block);
    if (d === undefined || rb === undefined) continue;
    const bin = `${folder}/${name.replace(/[^A-Za-z0-9._-]/g, '_')}.bin`;
    writeFileSync(join(out, bin), bytes);
    roms.push({ name, ramblock: block, used: rb.used, max: rb.max, fw_cfg_size: d.size, bin, sha256: sha256(bytes) });
  }
  return roms;
}

export interface FirmwareRunOptions {
  binary: string;
  /** What the capture adds to every QEMU it starts (paused, headless, ...). */
  finish: (args: string[]) => string[];
  layout: (q: QemuProcess) => Promise<LiveLayout>;
  out: string;
  timeoutMs: number;
  /** How long the firmware may take to its first ACPI select. */
  bootTimeoutMs: number;
  alias: (s: string) => string;
  progress: (m: string) => void;
}

/** A trace line starts with the event's name, after `PID@SECONDS:` on QEMU builds that stamp their log (5.2). */
export const TRACE_PREFIX = '^(?:\\d+@\\d+\\.\\d+:)?';
/** The fw_cfg trace events a run asks for (they reach stderr without a -D file): not part of what QEMU said. */
export const OWN_TRACE = new RegExp(`${TRACE_PREFIX}fw_cfg_(select|add_bytes) `);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Boots `plan`'s firmware to its first ACPI select and records what QEMU rebuilt (or how it ended). */
export async function captureFirmwareRebuild(plan: FirmwarePlan, o: FirmwareRunOptions): Promise<FirmwareRebuildJson> {
  const t0 = Date.now();
  const stage = FIRMWARE_STAGE[plan.firmware];
  const dir = mkdtempSync(join(tmpdir(), 'fwcfg-capture-fw-'));
  try {
    for (const [from, name] of plan.copies) copyFileSync(from, join(dir, name));
    const args = o.finish(plan.args.map((a) => a.split('$RUN').join(dir)));
    args.push('-trace', 'fw_cfg_select');
    let q: QemuProcess;
    try {
      q = await QemuProcess.start({ binary: o.binary, args, timeoutMs: o.timeoutMs, dir });
    } catch (err) {
      // QEMU refused this firmware's command line (an image it cannot open, say): an outcome too
      if (!(err instanceof InputError && err.code === 'QEMU_EXITED')) throw err;
      o.progress(`${plan.firmware}: ${err.message}`);
      const argv = [o.binary.split('/').pop()!, ...args].map((a) => o.alias(a.split(dir).join('$RUN')));
      return { firmware: plan.firmware, stage, image: plan.image, argv, outcome: 'qemu-exited', first_acpi_select: null, exit: null, stderr: [err.message], directory_at_start: [], directory_after: null, ramblock_at_start: [], ramblock_after: null, roms: [], elapsed_s: (Date.now() - t0) / 1000 };
    }
    try {
      const argv = [o.binary.split('/').pop()!, ...q.argv.slice(1)].map((a) => o.alias(a.split(dir).join('$RUN')));
      const guest = new LiveGuest(q.qtest, await o.layout(q));
      const directoryAtStart = await readDirectoryPort(guest);
      const ramblockAtStart = parseRamBlocks(await q.qmp.hmp('info ramblock')).map((r) => ({ name: r.name, used: r.used, max: r.max }));
      const first = await runToFirstAcpiSelect(q, directoryAtStart, o.bootTimeoutMs, (m) => o.progress(`${plan.firmware}: ${m}`));
      const base: Pick<FirmwareRebuildJson, 'firmware' | 'stage' | 'image' | 'argv' | 'first_acpi_select' | 'directory_at_start' | 'ramblock_at_start'> = {
        firmware: plan.firmware,
        stage,
        image: plan.image,
        argv,
        first_acpi_select: first,
        directory_at_start: directoryAtStart,
        ramblock_at_start: ramblockAtStart,
      };
      const stderrLines = () => q.stderr.split('\n').filter((l) => l.trim() !== '' && !OWN_TRACE.test(l)).map(o.alias);
      if (!q.running) {
        await q.waitExit(2000);
        o.progress(`${plan.firmware}: QEMU exited (${q.exitStatus?.signal ?? `status ${q.exitStatus?.code}`})`);
        return { ...base, outcome: 'qemu-exited', exit: q.exitStatus, stderr: stderrLines(), directory_after: null, ramblock_after: null, roms: [], elapsed_s: (Date.now() - t0) / 1000 };
      }
      const directoryAfter = await readDirectoryPort(guest);
      const ramblockAfter = parseRamBlocks(await q.qmp.hmp('info ramblock')).map((r) => ({ name: r.name, used: r.used, max: r.max }));
      let roms: RomBlobJson[] = [];
      const kind = firmwareImageKind(plan.firmware);
      if (first !== null && kind.versionInRam) {
        const version = await uefiVersionInRam(q, dir);
        // what ran wins over what a package database says of the path (a wrapper's chroot has its own)
        if (version !== null) base.image = { ...plan.image, version, versionFrom: 'the firmware version string in guest RAM at its first ACPI select (PcdFirmwareVersionString)' };
      }
      if (first !== null) {
        const stream = await romBlocksByMigration(q, dir, Math.max(o.timeoutMs, 60_000));
        const { blocks, flashImage } = stream;
        const loaded = kind.inStream(stream);
        if (loaded !== null) base.image = { ...plan.image, version: loaded, versionFrom: 'the image QEMU loaded (its RAM block in the migration stream)' };
        // builds without a version string (OVMF before 2025.02, AAVMF): the flash QEMU mapped, matched against the known Debian images;
        // it wins over a package database too (a wrapper's chroot QEMU opens the path in its own tree, not the host's)
        const fromPackages = base.image.versionFrom?.startsWith('package ') === true;
        if (kind.knownByHash && (base.image.version === null || fromPackages) && flashImage !== null && flashImage.firmware === plan.firmware) {
          base.image = { ...plan.image, version: flashImage.package.split(' ')[1]!, versionFrom: `the image QEMU mapped (its flash in the migration stream): ${flashImage.package}'s ${flashImage.file.split(', ')[0]}` };
        }
        roms = writeRomBlobs(o.out, `firmware/${plan.firmware}`, blocks, directoryAfter, ramblockAfter);
        o.progress(`${plan.firmware}: first ACPI select ${first.name} after ${first.after_s} s; ${roms.map((r) => `${r.name} ${r.fw_cfg_size}`).join(', ')}`);
      } else o.progress(`${plan.firmware}: no ACPI select within ${Math.round(o.bootTimeoutMs / 1000)} s`);
      return {
        ...base,
        outcome: first === null ? 'no-acpi-select' : 'rebuilt',
        exit: null,
        stderr: stderrLines(),
        directory_after: directoryAfter,
        ramblock_after: ramblockAfter,
        roms,
        elapsed_s: Math.round((Date.now() - t0) / 100) / 10,
      };
    } finally {
      await q.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** OVMF's own version string, from the low RAM of a stopped guest (uefi-version.ts). */
async function uefiVersionInRam(q: QemuProcess, dir: string): Promise<string | null> {
  const path = join(dir, 'uefi-low-ram.bin');
  try {
    await q.qmp.execute('pmemsave', { val: 0, size: UEFI_VERSION_WINDOW, filename: path });
    return uefiVersionIn(new Uint8Array(readFileSync(path)));
  } finally {
    rmSync(path, { force: true });
  }
}

/**
 * Lets a paused QEMU (started with `-trace fw_cfg_select`) run until its
 * firmware selects one of the ACPI files of `directory`, then stops it (or
 * notes that QEMU ended: an abort at the rebuild kills it within moments of
 * the select). Null when no ACPI select came within `bootTimeoutMs`.
 */
export async function runToFirstAcpiSelect(q: QemuProcess, directory: readonly DirectoryRowJson[], bootTimeoutMs: number, progress: (m: string) => void): Promise<FirmwareRebuildJson['first_acpi_select']> {
  const acpiKeys = new Map(directory.filter((d) => ACPI_FILES.includes(d.name)).map((d) => [parseInt(d.select, 16), d]));
  const traceFrom = q.stderr.length;
  const started = Date.now();
  await q.qmp.execute('cont');
  progress(`running until its first ACPI select (at most ${Math.round(bootTimeoutMs / 1000)} s)`);
  let first: FirmwareRebuildJson['first_acpi_select'] = null;
  const selectLine = new RegExp(`${TRACE_PREFIX}fw_cfg_select \\S+ key 0x([0-9a-f]+) `, 'gm');
  const scan = () => {
    for (const m of q.stderr.slice(traceFrom).matchAll(selectLine)) {
      const d = acpiKeys.get(parseInt(m[1]!, 16));
      if (d !== undefined) return { name: d.name, select: d.select, after_s: Math.round((Date.now() - started) / 100) / 10 };
    }
    return null;
  };
  for (;;) {
    const running = q.running;
    first = scan();
    if (first !== null || Date.now() - started >= bootTimeoutMs) break;
    if (!running) {
      // the trace's last lines may arrive after the exit
      await q.waitExit(500);
      first = scan();
      break;
    }
    await sleep(20);
  }
  if (q.running) {
    try {
      await q.qmp.execute('stop');
    } catch {
      // QEMU may be ending right now; the caller's exit check says so
    }
  }
  // an abort on the rebuild kills QEMU within moments of the select
  if (first !== null) await q.waitExit(300);
  return first;
}
