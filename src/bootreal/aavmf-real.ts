/**
 * One boot of a real AAVMF (Debian's qemu-efi-aarch64: its code image and a
 * copy of its variable store as the two pflash units) on arm virt, observed
 * from outside: QEMU started paused with the fw_cfg selects traced, run until
 * the firmware has selected etc/table-loader and fw_cfg has then stayed quiet
 * (AAVMF's release build prints nothing; ./marker.ts waitForQuietTrace),
 * stopped; then all guest RAM by `pmemsave`, the RSDP the EFI configuration
 * table lists (and every valid "RSD PTR " in RAM, for comparison), the tables
 * an OS reaches from it, pages the DXE core filled as freed, and over qtest
 * QEMU's ACPI files as the firmware was served them. Every wait is bounded;
 * QEMU is killed by PID.
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { FwCfgDirEntry } from '../firmware/fwcfg-guest.js';
import { readRsdp, walkTables, type AcpiWalk } from '../acpi/walk.js';
import { LOADER_FILE } from '../loader/constants.js';
import { FW_CFG_FILE_DIR } from '../fwcfg/keys.js';
import { LiveGuest } from '../qemu/live/live-guest.js';
import { QemuProcess } from '../qemu/live/qemu-process.js';
import { QemuError } from '../qemu/live/errors.js';
import { qemuVersionLine } from '../qemu/live/firmware-images.js';
import { ACPI_FILES } from '../qemu/capture-rebuild.js';
import { efiConfigurationAcpi, filledPages, rsdpCandidates, uefiRsdp, type ConfigTableAcpi } from './acpi-roots.js';
import { readFile } from './live-fwcfg.js';
import { readText, waitForQuietTrace } from './marker.js';
import { dumpRam } from './ram-image.js';
import { findCopies, patchMask } from './blob-copies.js';
import { decodeLoader } from '../loader/codec.js';
import { FENCE_KEY, traceSelects, type TracedSelect } from './run.js';

/** fw_cfg's MMIO registers on arm virt (QEMU hw/arm/virt.c memmap). */
const VIRT_FWCFG = 0x09020000n;
/** Where virt's RAM starts (hw/arm/virt.c memmap VIRT_MEM). */
export const VIRT_RAM_BASE = 0x40000000;
const TRACE = 'trace.log';
const PAGE = 0x1000;

export interface AavmfBootInput {
  /** The QEMU to run: a binary on PATH, a path, or a wrapper that runs a chroot's QEMU. */
  qemu: string;
  /** The code image as QEMU opens it (a chroot's path for a chroot's QEMU). */
  code: string;
  /** The variable store template, as this process reads it; copied into the run's directory (under /tmp, which the chroots share). */
  vars: string;
  /** Machine arguments (`-machine virt -smp 1 -m 2G`). */
  machineArgs: readonly string[];
  /** Bytes of RAM at 0x40000000 (what -m gave). */
  ramSize: number;
  /** How long fw_cfg must stay quiet after the firmware's select of etc/table-loader (default 8 s). */
  quietMs?: number;
  /** Bound on reaching that point (default 300 s). */
  timeoutMs?: number;
  progress?: (message: string) => void;
}

/** A freed run of pages: every byte the DXE core's fill (0xAF). */
export interface FilledRun {
  start: number;
  end: number;
}

export interface AavmfRealRun {
  /** The QEMU command, with the run's directory written `$TMP`. */
  argv: string[];
  qemuVersion: string;
  /** Seconds from `cont` until fw_cfg was last selected (then quiet for the wait's quietMs). */
  quietFromS: number;
  /** Every select the firmware made, in order (between the observer's fences). */
  selects: TracedSelect[];
  /** Selects of the file directory (0x19): before and after the firmware's select of etc/table-loader. */
  directoryReads: { total: number; afterLoader: number };
  directory: FwCfgDirEntry[];
  /** QEMU's ACPI files as the firmware was served them (read after the boot: the rebuild happened at its first select). */
  files: Map<string, Uint8Array>;
  /** Where each ALLOCATEd file's bytes lie in RAM (outside the bytes the script patches): the blob, placed or freed but not cleared. */
  blobs: { file: string; bases: number[]; locatable: boolean }[];
  /** Every "RSD PTR " in RAM, at any alignment (AAVMF's pool gives 8-byte aligned ones), whose checksums hold. */
  rsdpCandidates: number[];
  configTable: ConfigTableAcpi[];
  /** The RSDP an OS takes, and how it was chosen. */
  rsdp: number;
  rsdpSelectedBy: 'EFI configuration table' | 'the only valid RSDP in RAM';
  rsdpBytes: Uint8Array;
  walk: AcpiWalk;
  /** Each table's bytes as found, in walk order. */
  tableBytes: Uint8Array[];
  /** Runs of whole pages filled with 0xAF, ascending. */
  freedRuns: FilledRun[];
}

function runsOf(pages: Set<number>): FilledRun[] {
  const runs: FilledRun[] = [];
  for (const p of [...pages].sort((a, b) => a - b)) {
    const last = runs.at(-1);
    if (last !== undefined && last.end === p) last.end = p + PAGE;
    else runs.push({ start: p, end: p + PAGE });
  }
  return runs;
}

export async function bootAavmfReal(input: AavmfBootInput): Promise<AavmfRealRun> {
  const progress = input.progress ?? (() => undefined);
  const timeoutMs = input.timeoutMs ?? 300_000;
  const quietMs = input.quietMs ?? 8000;
  const dir = mkdtempSync(join(tmpdir(), 'fwcfg-aavmf-'));
  let q: QemuProcess | undefined;
  try {
    const vars = join(dir, basename(input.vars));
    copyFileSync(input.vars, vars);
    const args = [
      '-accel', 'tcg', '-cpu', 'max', '-nodefaults', '-no-user-config', '-display', 'none', '-S',
      ...input.machineArgs,
      '-drive', `if=pflash,format=raw,readonly=on,file=${input.code}`,
      '-drive', `if=pflash,format=raw,file=${vars}`,
      '-D', join(dir, TRACE), '-trace', 'fw_cfg_select',
    ];
    progress(`starting ${basename(input.qemu)} with ${input.code}`);
    q = await QemuProcess.start({ binary: input.qemu, args, dir, timeoutMs: 60_000, lifetimeMs: timeoutMs + 600_000 });
    const guest = new LiveGuest(q.qtest, { kind: 'mmio', base: VIRT_FWCFG, dma: true });
    const directoryAtStart = await guest.directory();
    const loaderKey = directoryAtStart.find((d) => d.name === LOADER_FILE)?.select;
    if (loaderKey === undefined) throw new QemuError('QEMU_CLOSED', 'this machine serves no etc/table-loader');
    await guest.select(FENCE_KEY);
    const traceFrom = readText(join(dir, TRACE)).length;
    const t0 = Date.now();
    await q.qmp.execute('cont');
    progress(`running until etc/table-loader is selected and fw_cfg stays quiet ${quietMs / 1000} s (at most ${timeoutMs / 1000} s)`);
    const after = new RegExp(`fw_cfg_select \\S+ key 0x0*${loaderKey.toString(16)}\\b`, 'i');
    const quietFromS = await waitForQuietTrace(q, { tracePath: join(dir, TRACE), from: traceFrom, after, quietMs, timeoutMs, progress });
    await q.qmp.execute('stop');
    if (quietFromS === null) throw new QemuError('QEMU_TIMEOUT', `AAVMF did not select etc/table-loader and go quiet within ${timeoutMs / 1000} s`);
    await guest.select(FENCE_KEY);
    progress(`stopped after ${((Date.now() - t0) / 1000).toFixed(1)} s; reading guest RAM`);

    const directory = await guest.directory();
    const all = traceSelects(readText(join(dir, TRACE)).replace(/^\d+@[\d.]+:/gm, ''), directory);
    const fences = all.flatMap((s, i) => (s.key === FENCE_KEY ? [i] : []));
    if (fences.length < 2) throw new QemuError('QEMU_CLOSED', `the fw_cfg trace holds ${fences.length} of the 2 fence selects`);
    const selects = all.slice(fences[0]! + 1, fences[1]);
    const loaderAt = selects.findIndex((s) => s.key === loaderKey);
    const dirReads = (from: number) => selects.slice(from).filter((s) => s.key === FW_CFG_FILE_DIR).length;

    const ram = await dumpRam(q, input.ramSize, progress, VIRT_RAM_BASE);
    const candidates = rsdpCandidates(ram, undefined, undefined, 1);
    const configTable = efiConfigurationAcpi(ram);
    const listed = uefiRsdp(configTable);
    if (listed === undefined && candidates.length !== 1) throw new QemuError('QEMU_CLOSED', `no EFI configuration table entry for ACPI and ${candidates.length} valid RSDPs in RAM`);
    const rsdp = listed?.rsdp ?? candidates[0]!;
    const info = readRsdp(ram.memory, rsdp);
    if (info === undefined) throw new QemuError('QEMU_CLOSED', `no RSDP at 0x${rsdp.toString(16)}, where the EFI configuration table points`);
    const walk = walkTables(ram.memory, info);
    const files = new Map<string, Uint8Array>();
    for (const d of directory) if (ACPI_FILES.includes(d.name)) files.set(d.name, await readFile(guest, d));
    const entries = decodeLoader(files.get(LOADER_FILE) ?? new Uint8Array(0));
    const blobs = entries.flatMap((e) => {
      const data = e.type === 'allocate' ? files.get(e.file) : undefined;
      return e.type === 'allocate' && data !== undefined ? [{ file: e.file, ...findCopies(ram, data, patchMask(entries, e.file, data.length)) }] : [];
    });
    return {
      argv: [basename(input.qemu), ...q.argv.slice(1)].map((a) => a.split(dir).join('$TMP')),
      qemuVersion: qemuVersionLine(input.qemu),
      quietFromS,
      selects,
      directoryReads: { total: dirReads(0), afterLoader: loaderAt < 0 ? 0 : dirReads(loaderAt + 1) },
      directory,
      files,
      blobs,
      rsdpCandidates: candidates,
      configTable,
      rsdp,
      rsdpSelectedBy: listed !== undefined ? 'EFI configuration table' : 'the only valid RSDP in RAM',
      rsdpBytes: ram.memory.read(rsdp, info.revision >= 2 ? info.length : 20),
      walk,
      tableBytes: walk.tables.map((t) => ram.memory.read(t.address, t.length)),
      freedRuns: runsOf(filledPages(ram, 0xaf)),
    };
  } finally {
    if (q !== undefined) await q.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
