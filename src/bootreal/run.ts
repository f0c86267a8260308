/**
 * One boot of a real firmware on a real QEMU with a given loader script and
 * files: QEMU started paused, QEMU's own writable files preset through
 * fw_cfg DMA, the firmware let run until its boot reaches a point after the
 * loader (SeaBIOS: "No bootable device" on the debug port; OVMF: "BdsDxe:",
 * U-Boot: its autoboot countdown, on the serial port), stopped, writable files read back, all guest RAM
 * read. Every wait is bounded; QEMU is killed by PID whatever happens.
 */
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { InputError, UsageError } from '../errors.js';
import type { FwCfgDirEntry } from '../firmware/fwcfg-guest.js';
import { TRACE_PREFIX } from '../qemu/capture-rebuild.js';
import { isQemuWritableFile } from '../qemu/known-files.js';
import { LiveGuest } from '../qemu/live/live-guest.js';
import { QemuProcess } from '../qemu/live/qemu-process.js';
import { findFirmwareImage, findQemu, packageVersions, qemuVersionLine, RealBootUnavailable, type FirmwareImage, type RealFirmware } from '../qemu/live/firmware-images.js';
import { realFirmwareSpec } from './firmware-spec.js';
import { presetFile, readDirectory, readFile } from './live-fwcfg.js';
import { readText, sleep, waitForMarker } from './marker.js';
import { realFirmwareRecord } from './real-firmware.js';
import { DEBUG_LOG, RAM_SIZE, realBootArgs, recordedArgv, SERIAL_LOG, TRACE_LOG, type InjectedFile } from './qemu-args.js';
import { dumpRam, type RamImage } from './ram-image.js';

export interface RealBootFile {
  name: string;
  data: Uint8Array;
  /** Its file name in the run's directory (and in the recorded command); derived from `name` when absent. */
  file?: string;
}

export interface RealBootInput {
  firmware: RealFirmware;
  /** `--firmware` as given (`uboot@2023.01`): a version must be the installed image's (./firmware-spec.ts). */
  spec?: string;
  /** Injected read-only with `-fw_cfg`, in this order. */
  files: readonly RealBootFile[];
  /** QEMU's own writable files (e.g. etc/smi/requested-features) and the bytes to preset them with. */
  presets?: readonly { name: string; data: Uint8Array }[];
  /** fw_cfg DMA (default on). */
  dma?: boolean;
  /** More QEMU arguments (e.g. `-global ICH9-LPC.disable_s3=1`). */
  extraArgs?: readonly string[];
  /** Bound on the boot until the marker (default 30 s SeaBIOS, 60 s OVMF); past it the run counts as hung. */
  timeoutMs?: number;
  /** How long the guest runs on after the marker before it is stopped (default 1 s). */
  settleMs?: number;
  /** A firmware image instead of the installed package's. */
  image?: string;
  progress?: (message: string) => void;
}

export interface TracedSelect {
  key: number;
  name: string;
}

export interface RealRun {
  firmware: RealFirmware;
  image: FirmwareImage;
  qemuVersion: string;
  packages: Record<string, string>;
  /** The QEMU command, with the run's directory written `$TMP`. */
  argv: string[];
  dma: boolean;
  completed: boolean;
  marker: string;
  secondsToMarker: number | null;
  stoppedAfterS: number;
  qmpEvents: string[];
  directory: FwCfgDirEntry[];
  presets: { name: string; control: number; bytes: Uint8Array }[];
  /** Every writable file (QEMU's own, and the preset ones) and etc/system-states, as read back after the stop. */
  readback: Map<string, Uint8Array>;
  /** fw_cfg selects the firmware made (from the trace), in order. */
  selects: TracedSelect[];
  debugLog: string;
  serialLog: string;
  stderr: string[];
  ram: RamImage;
}


/** Read back too: it says whether S3 is on, which decides OVMF's WRITE_POINTER paths. */
export const SYSTEM_STATES = 'etc/system-states';

/** A select no firmware makes (past every file slot): brackets the firmware's part of the trace. */
export const FENCE_KEY = 0x3ffe;

function runFileName(name: string, taken: Set<string>): string {
  let file = name.replace(/[^A-Za-z0-9._-]/g, '_') + '.bin';
  for (let i = 2; taken.has(file); i++) file = `${name.replace(/[^A-Za-z0-9._-]/g, '_')}-${i}.bin`;
  taken.add(file);
  return file;
}

/** Every select in a fw_cfg_select trace; the trace calls file keys 'unknown', the directory names them. */
export function traceSelects(trace: string, directory: readonly FwCfgDirEntry[]): TracedSelect[] {
  return [...trace.matchAll(new RegExp(`${TRACE_PREFIX}fw_cfg_select \\S+ key 0x([0-9a-f]+) '([^']*)'`, 'gm'))].map((m) => {
    const key = parseInt(m[1]!, 16);
    return { key, name: m[2] === 'unknown' ? (directory.find((d) => d.select === key)?.name ?? 'unknown') : m[2]! };
  });
}

function tracedSelects(trace: string, directory: readonly FwCfgDirEntry[]): TracedSelect[] {
  const lines = traceSelects(trace, directory);
  const fences = lines.flatMap((l, i) => (l.key === FENCE_KEY ? [i] : []));
  return fences.length >= 2 ? lines.slice(fences[0]! + 1, fences[1]) : fences.length === 1 ? lines.slice(fences[0]! + 1) : lines;
}

export async function bootReal(input: RealBootInput): Promise<RealRun> {
  const progress = input.progress ?? (() => undefined);
  const qemu = findQemu();
  const image = findFirmwareImage(input.firmware, qemu, input.image);
  realFirmwareSpec(input.spec ?? input.firmware, image);
  const dma = input.dma !== false;
  const record = realFirmwareRecord(input.firmware);
  const timeoutMs = input.timeoutMs ?? record.timeoutMs;
  const settleMs = input.settleMs ?? 1000;
  const presets = input.presets ?? [];
  if (!dma && presets.some((p) => p.data.some((b) => b !== 0))) {
    throw new UsageError('USAGE', `cannot preset ${presets.map((p) => p.name).join(', ')} without fw_cfg DMA (QEMU ignores data-port writes); leave --writable out with --no-dma`);
  }

  const dir = mkdtempSync(join(tmpdir(), 'fwcfg-bootreal-'));
  let q: QemuProcess | undefined;
  try {
    const taken = new Set<string>([DEBUG_LOG, SERIAL_LOG, TRACE_LOG]);
    const injected: InjectedFile[] = input.files.map((f) => {
      const file = runFileName(f.file !== undefined ? basename(f.file).replace(/\.bin$/, '') : f.name, taken);
      writeFileSync(join(dir, file), f.data);
      return { name: f.name, file };
    });
    let varsCopy: string | undefined;
    if (image.vars !== undefined) {
      varsCopy = join(dir, 'OVMF_VARS.fd');
      copyFileSync(image.vars, varsCopy);
    }
    const args = realBootArgs({ dir, image, ...(varsCopy !== undefined ? { varsCopy } : {}), files: injected, dma, extraArgs: input.extraArgs ?? [] });
    progress(`starting ${basename(qemu)} with ${input.firmware} (${image.code})`);
    const t0 = Date.now();
    try {
      q = await QemuProcess.start({ binary: qemu, args, dir, timeoutMs: 60_000, lifetimeMs: timeoutMs + settleMs + 300_000 });
    } catch (err) {
      if (err instanceof InputError && /could not load PC BIOS|Could not open .*(bios|OVMF|u-boot)/i.test(err.message)) throw new RealBootUnavailable('NO_FIRMWARE', err.message);
      throw err;
    }
    const guest = new LiveGuest(q.qtest, { kind: 'io', dma });
    const directory = await readDirectory(guest);

    const presetDone: RealRun['presets'] = [];
    for (const p of presets) {
      const entry = directory.find((d) => d.name === p.name);
      if (entry === undefined) throw new UsageError('USAGE', `--writable ${p.name}: QEMU has no such fw_cfg file on this machine (only QEMU's own files can be writable)`);
      if (p.data.length > entry.size) throw new UsageError('USAGE', `--writable ${p.name}: ${p.data.length} bytes given, the file holds ${entry.size}`);
      const control = dma ? await presetFile(guest, entry, p.data) : 0;
      if (control !== 0) throw new UsageError('USAGE', `--writable ${p.name}: QEMU refused the write (DMA control 0x${control.toString(16)}): not one of its writable files`);
      presetDone.push({ name: p.name, control, bytes: await readFile(guest, entry) });
    }

    await guest.select(FENCE_KEY);
    const marker = record.marker;
    const logPath = join(dir, marker.log);
    await q.qmp.execute('cont');
    progress(`${input.firmware} running; waiting for "${marker.text}" (at most ${Math.round(timeoutMs / 1000)} s)`);
    const secondsToMarker = await waitForMarker(q, { logPath, text: marker.text, timeoutMs, progress });
    if (secondsToMarker !== null) {
      progress(`"${marker.text}" after ${secondsToMarker.toFixed(1)} s`);
      await sleep(settleMs);
    } else progress(`no "${marker.text}" within ${Math.round(timeoutMs / 1000)} s: the firmware hangs`);
    await q.qmp.execute('stop');
    const stoppedAfterS = (Date.now() - t0) / 1000;
    await guest.select(FENCE_KEY);

    const readback = new Map<string, Uint8Array>();
    for (const d of directory) if (isQemuWritableFile(d.name) || presets.some((p) => p.name === d.name) || d.name === SYSTEM_STATES) readback.set(d.name, await readFile(guest, d));
    const ram = await dumpRam(q, RAM_SIZE, progress);
    const qmpEvents = q.qmp.events.map((e) => String((e as { event?: unknown }).event));
    const stderr = q.stderr.split('\n').filter((l) => l.trim() !== '');
    const argv = recordedArgv(basename(qemu), q.argv.slice(1), dir);
    await q.close();
    q = undefined;
    progress(`QEMU stopped after ${stoppedAfterS.toFixed(1)} s and closed`);
    return {
      firmware: input.firmware,
      image,
      qemuVersion: qemuVersionLine(qemu),
      packages: packageVersions(),
      argv,
      dma,
      completed: secondsToMarker !== null,
      marker: marker.text,
      secondsToMarker,
      stoppedAfterS,
      qmpEvents,
      directory,
      presets: presetDone,
      readback,
      selects: tracedSelects(readText(join(dir, TRACE_LOG)), directory),
      debugLog: readText(join(dir, DEBUG_LOG)),
      serialLog: readText(join(dir, SERIAL_LOG)),
      stderr,
      ram,
    };
  } finally {
    if (q !== undefined) await q.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
