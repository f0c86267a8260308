/**
 * A QEMU configuration's own ACPI on the real firmware, boot after boot:
 * the vector's `config_args` as they are (QEMU builds its tables, loader and
 * RSDP; nothing is injected), the firmware run to its marker, the guest
 * stopped and read (fw_cfg directory and QEMU's ACPI files over qtest, `info
 * ramblock` over QMP, all RAM below 4 GiB), then a QMP `system_reset` and the
 * next boot. Each boot's selects come from QEMU's fw_cfg_select trace between
 * the boot's `cont` and its `stop`, so the observer's own reads never count.
 */
import { commandLineOf } from '../qemu/from-vector.js';
import { copyFileSync, mkdtempSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { InputError, UsageError } from '../errors.js';
import type { FwCfgDirEntry } from '../firmware/fwcfg-guest.js';
import { decodeLoader } from '../loader/codec.js';
import { ENTRY_SIZE, LOADER_FILE, RSDP_FILE, TABLES_FILE } from '../loader/constants.js';
import type { RamBlockRow } from '../memory/ram-list.js';
import { OWN_TRACE, TRACE_PREFIX } from '../qemu/capture-rebuild.js';
import { isQemuWritableFile } from '../qemu/known-files.js';
import { LiveGuest } from '../qemu/live/live-guest.js';
import { parseRamBlocks } from '../qemu/monitor-text.js';
import { QemuProcess } from '../qemu/live/qemu-process.js';
import { parseMachineType } from '../qemu/machine-type.js';
import { lowRamRange } from '../simulate/boot.js';
import type { Vector } from '../vectors/vector.js';
import { findFirmwareImage, findQemu, installedImages, QEMU_BINARY, qemuVersionLine, packageVersions, type FirmwareImage, type RealFirmware } from '../qemu/live/firmware-images.js';
import { readDirectory, readFile } from './live-fwcfg.js';
import { readText, sleep, waitForMarker, waitForQuietTrace } from './marker.js';
import { DEBUG_LOG, TRACE_LOG } from './qemu-args.js';
import { dumpRam, type RamImage } from './ram-image.js';
import { realFirmwareRecord } from './real-firmware.js';
import { FENCE_KEY, SYSTEM_STATES, traceSelects, type RealRun, type TracedSelect } from './run.js';

export interface ConfigRunInput {
  vector: Vector;
  firmware: RealFirmware;
  boots: number;
  /** The vmgenid GUID to pin (QEMU draws a random one otherwise); the model's boot used this one. */
  vmgenidGuid?: string;
  timeoutMs?: number;
  settleMs?: number;
  image?: string;
  progress?: (message: string) => void;
}

/** One boot, as the stopped guest shows it. `run.ram` is valid only until the next boot is read. */
export interface ConfigBoot {
  boot: number;
  /** The fw_cfg directory when the firmware started (read before `cont`: the directory has no callback). */
  directoryAtStart: FwCfgDirEntry[];
  /** `info ramblock` after the boot. */
  ramblocks: RamBlockRow[];
  /** QEMU's ACPI files and its writable files after the boot, as fw_cfg serves them. */
  files: Map<string, Uint8Array>;
  /** The boot in the single-boot shape (selects, logs and RAM of this boot only). */
  run: RealRun;
}

/** Larger files are not read back byte by byte over qtest (none of QEMU's ALLOCATEd files comes close). */
const MAX_READ = 16 << 20;
/** The files a boot's rebuild rewrites: read back after each boot (their select no longer rebuilds then, see readAcpiFiles). */
const ACPI_FILES = [TABLES_FILE, LOADER_FILE, RSDP_FILE];

/** `info ramblock`: name, used, max from QEMU's human monitor table. */
export function parseInfoRamblock(text: string): RamBlockRow[] {
  return parseRamBlocks(text).map(({ name, used, max }) => ({ name, used, max }));
}

function selectsIn(trace: string, directory: readonly FwCfgDirEntry[]): TracedSelect[] {
  return traceSelects(trace, directory).filter((s) => s.key !== FENCE_KEY);
}

/** Files the run itself keeps in its directory: a temp file may not take their names. */
const RUN_FILES = new Set(['OVMF_VARS.fd', TRACE_LOG, DEBUG_LOG, 'qmp.sock', 'qtest.sock', 'pmem.bin']);

/**
 * The configuration's arguments for this run (trusted like a command line:
 * they are QEMU's own options and may name any path): `{tmp}` / `$TMP` become the
 * run's directory (the vector's `temp_files` are created there, sparse), and
 * a vmgenid device without a GUID gets the pinned one.
 */
export function configArgs(vector: Vector, dir: string, guid: string | undefined): string[] {
  const args = pinVmgenid(vector.manifest.config_args.map((a) => a.split('{tmp}').join(dir).replace(/\$TMP(?![A-Za-z0-9_])/g, dir)), guid);
  const temp = vector.manifest['temp_files'];
  if (temp !== undefined && temp !== null) {
    if (typeof temp !== 'object' || Array.isArray(temp)) throw new InputError('BAD_MANIFEST', `${vector.source.describe('manifest.json')}: temp_files is not an object`);
    for (const [name, spec] of Object.entries(temp as Record<string, unknown>)) {
      const size = (spec as { size?: unknown } | null)?.size;
      if (name !== basename(name) || name.startsWith('.') || !/^[A-Za-z0-9._-]+$/.test(name)) throw new InputError('UNSAFE_PATH', `${vector.source.describe('manifest.json')}: temp_files.${name}: not a plain file name`);
      if (RUN_FILES.has(name)) throw new InputError('UNSAFE_PATH', `${vector.source.describe('manifest.json')}: temp_files.${name}: the run uses that name itself`);
      if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0 || size > 2 ** 40) throw new InputError('BAD_MANIFEST', `${vector.source.describe('manifest.json')}: temp_files.${name}.size: not a size`);
      const path = join(dir, name);
      try {
        writeFileSync(path, new Uint8Array(0));
        truncateSync(path, size); // sparse: all zero, no disk used
      } catch (err) {
        throw new InputError('WRITE_FAILED', `temp_files.${name}: cannot create ${size} bytes: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      }
    }
  }
  return args;
}

/**
 * The arguments without the command line's own `-bios IMAGE`: `--firmware`
 * says which firmware boots (a capture of `-bios u-boot.rom` keeps SeaBIOS's
 * and OVMF's rebuilds too, each booted with its own image, qemu/capture-firmware.ts).
 */
export function withoutBios(args: readonly string[]): string[] {
  return args.filter((a, i) => a !== '-bios' && args[i - 1] !== '-bios');
}

/** The arguments with a vmgenid device that names no GUID given `guid` (QEMU draws a random one otherwise). */
export function pinVmgenid(config: readonly string[], guid: string | undefined): string[] {
  const args = [...config];
  if (guid === undefined) return args;
  for (let i = 1; i < args.length; i++) {
    if (args[i - 1] === '-device' && /^vmgenid(,|$)/.test(args[i]!) && !/(^|,)guid=/.test(args[i]!)) args[i] = `${args[i]},guid=${guid}`;
  }
  return args;
}

/** No serial port here (no log directory given): QEMU would describe it in the DSDT, and the tables would no longer be the configuration's. */
function firmwareArgs(image: FirmwareImage, varsCopy: string | undefined): string[] {
  return realFirmwareRecord(image.firmware).qemuArgs(image, varsCopy, undefined);
}

/** OVMF is past its loader when the trace shows the script selected and then nothing for this long. */
const OVMF_QUIET_MS = 3000;
/** The trace names file keys 'unknown': the loader's select is known by its key (any select when there is no loader). */
function loaderSelect(directory: readonly FwCfgDirEntry[]): RegExp {
  const key = directory.find((d) => d.name === LOADER_FILE)?.select;
  return new RegExp(`${TRACE_PREFIX}fw_cfg_select ${key === undefined ? '' : `\\S+ key 0x${key.toString(16).padStart(4, '0')} `}`, 'm');
}

const textLength = (path: string) => {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
};

/**
 * The QEMU a configuration runs on: a capture's binary as given (a wrapper
 * running a chroot's QEMU included), a vector's by name.
 */
export function configQemuBinary(vector: Vector): string {
  return (vector.manifest['qemu_binary'] as string | undefined) ?? QEMU_BINARY;
}

/** The machine family, when this host can boot the configuration (x86 q35 or pc); a usage error otherwise. */
export function bootableFamily(vector: Vector): 'q35' | 'pc' {
  const type = parseMachineType(vector.manifest.machine_type);
  if (type.arch !== 'x86_64') throw new UsageError('USAGE', `boot-real --config: ${vector.name} runs on qemu-system-${type.arch}; only x86 configurations can be booted here`);
  const family = type.family;
  if (family !== 'q35' && family !== 'pc') throw new UsageError('USAGE', `boot-real --config: ${vector.name} is a ${family} machine; only q35 and pc configurations can be booted here`);
  return family;
}

/** A live QEMU the boots run on, and what each boot's observation needs to know about the run. */
export interface BootSession {
  q: QemuProcess;
  guest: LiveGuest;
  /** Where this QEMU writes its fw_cfg_select trace and SeaBIOS's debug console. */
  tracePath: string;
  debugPath: string;
  family: 'q35' | 'pc';
  firmware: RealFirmware;
  image: FirmwareImage;
  qemu: string;
  argv: string[];
  timeoutMs: number;
  settleMs: number;
  progress: (message: string) => void;
}

/**
 * The CPU the configuration ran with: a vector's recorded command line says
 * -cpu max (the shared harness's), a capture's own arguments carry their -cpu
 * or none (QEMU's default, qemu64). It matters: OVMF lays out its memory by
 * the CPU's page sizes (firmware/profiles.ts, OvmfRelease.pageTables).
 */
export function capturedCpu(vector: Vector): 'max' | 'default' {
  const argv = commandLineOf(vector);
  if (argv === vector.manifest.config_args) return 'default';
  const at = argv.lastIndexOf('-cpu');
  return at >= 0 && argv[at + 1] === 'max' ? 'max' : 'default';
}

/**
 * Whether QEMU built the configuration's tables without its default devices
 * (a default NIC, VGA, serial port, CD-ROM each change the DSDT): the stages'
 * recorded command lines say so for a vector (the shared harness ran with
 * -nodefaults); a capture ran its user's command line as given.
 */
export function ranWithoutDefaults(vector: Vector): boolean {
  return commandLineOf(vector).includes('-nodefaults');
}

/**
 * The arguments every observed boot runs with besides the configuration's:
 * paused, headless, QEMU's fw_cfg_select trace and the debug console into
 * `dir`. `cpu` is -cpu max for one QEMU; a migration between releases keeps
 * QEMU's default model, whose state both ends know.
 */
export function observedBootArgs(dir: string, config: readonly string[], cpu: 'max' | 'default' = 'max', defaults: 'off' | 'as-captured' = 'off'): string[] {
  return [
    '-accel', 'tcg', ...(cpu === 'max' ? ['-cpu', 'max'] : []), ...(defaults === 'off' ? ['-nodefaults'] : []), '-no-user-config', '-display', 'none', '-S', ...config,
    '-D', join(dir, TRACE_LOG), '-trace', 'fw_cfg_select',
    '-chardev', `file,id=dbg,path=${join(dir, DEBUG_LOG)}`, '-device', 'isa-debugcon,iobase=0x402,chardev=dbg',
  ];
}

/** The firmware's arguments for a run in `dir` (OVMF gets its own copy of the variable store there). */
export function firmwareRunArgs(image: FirmwareImage, dir: string, copiesImage = false): string[] {
  let varsCopy: string | undefined;
  if (image.vars !== undefined) {
    varsCopy = join(dir, 'OVMF_VARS.fd');
    copyFileSync(image.vars, varsCopy);
  }
  // a chroot's QEMU sees the shared /tmp but not the host's /usr/lib: such an image boots from the run's directory
  let loaded = image;
  if (copiesImage) {
    loaded = { ...image, code: join(dir, `bios-${basename(image.code)}`) };
    copyFileSync(image.code, loaded.code);
  }
  return firmwareArgs(loaded, varsCopy);
}

const markerTextOf = (firmware: RealFirmware) => {
  const record = realFirmwareRecord(firmware);
  return record.configEnd === 'marker' ? `"${record.marker.text}"` : `its select of etc/table-loader and ${OVMF_QUIET_MS / 1000} s without fw_cfg selects`;
};

/**
 * One boot on a session's QEMU (stopped, at reset or past its last boot):
 * `system_reset` first unless the guest is at its first instruction
 * (`reset` false), then the firmware run to its marker, stopped, read.
 */
export async function observeBoot(s: BootSession, boot: number, reset: boolean): Promise<ConfigBoot> {
  const { q, guest, progress } = s;
  const record = realFirmwareRecord(s.firmware);
  const markerText = markerTextOf(s.firmware);
  if (reset) {
    await q.qmp.execute('system_reset');
    progress(`system_reset before boot ${boot}`);
  }
  const directoryAtStart = await readDirectory(guest);
  await guest.select(FENCE_KEY);
  const debugFrom = readText(s.debugPath).length;
  const traceFrom = textLength(s.tracePath);
  const t0 = Date.now();
  await q.qmp.execute('cont');
  progress(`boot ${boot}: ${s.firmware} running; waiting for ${markerText} (at most ${Math.round(s.timeoutMs / 1000)} s)`);
  const secondsToMarker =
    record.configEnd === 'marker'
      ? await waitForMarker(q, { logPath: join(dirname(s.debugPath), record.marker.log), text: record.marker.text, from: debugFrom, timeoutMs: s.timeoutMs, progress })
      : await waitForQuietTrace(q, { tracePath: s.tracePath, from: traceFrom, after: loaderSelect(directoryAtStart), quietMs: OVMF_QUIET_MS, timeoutMs: s.timeoutMs, progress });
  if (secondsToMarker !== null) await sleep(s.settleMs);
  else progress(`boot ${boot}: no ${markerText} within ${Math.round(s.timeoutMs / 1000)} s: the firmware hangs`);
  await q.qmp.execute('stop');
  const stoppedAfterS = (Date.now() - t0) / 1000;
  // the trace up to here is this boot's alone: QEMU writes it line by line
  const trace = readText(s.tracePath).slice(traceFrom);
  await guest.select(FENCE_KEY);

  const directory = await readDirectory(guest);
  const selects = selectsIn(trace, directory);
  const files = new Map<string, Uint8Array>();
  // a file's select rebuilds only while `patched` is clear; after a boot that selected any ACPI file it is set
  const acpiSelected = selects.some((x) => ACPI_FILES.includes(x.name));
  for (const d of directory) {
    if ((acpiSelected && ACPI_FILES.includes(d.name)) || isQemuWritableFile(d.name) || d.name === SYSTEM_STATES) files.set(d.name, await readFile(guest, d));
  }
  // the other files the script ALLOCATEs (etc/vmgenid_guid, etc/acpi/nvdimm-mem): plain files, no callback
  const loader = files.get(LOADER_FILE);
  for (const e of loader === undefined ? [] : decodeLoader(loader.subarray(0, loader.length - (loader.length % ENTRY_SIZE)))) {
    const d = e.type === 'allocate' && !files.has(e.file) ? directory.find((x) => x.name === e.file) : undefined;
    if (d !== undefined && d.size <= MAX_READ) files.set(d.name, await readFile(guest, d));
  }
  const ramblocks = parseInfoRamblock(String(await q.qmp.execute('human-monitor-command', { 'command-line': 'info ramblock' })));
  const ramSize = ramblocks.find((r) => r.name === 'pc.ram')?.used ?? 2 ** 31;
  const ram: RamImage = await dumpRam(q, lowRamRange(s.family, ramSize).end, progress);
  const run: RealRun = {
    firmware: s.firmware,
    image: s.image,
    qemuVersion: qemuVersionLine(s.qemu),
    packages: packageVersions(),
    argv: s.argv,
    dma: true,
    completed: secondsToMarker !== null,
    marker: markerText,
    secondsToMarker,
    stoppedAfterS,
    qmpEvents: [],
    // what the firmware found: both read the sizes before the rebuild their boot sets off
    directory: directoryAtStart,
    presets: [],
    readback: new Map([...files].filter(([name]) => isQemuWritableFile(name) || name === SYSTEM_STATES)),
    selects,
    debugLog: readText(s.debugPath).slice(debugFrom),
    serialLog: '',
    stderr: q.stderr.split('\n').filter((l) => l.trim() !== '' && !OWN_TRACE.test(l)),
    ram,
  };
  progress(`boot ${boot}: stopped after ${stoppedAfterS.toFixed(1)} s; ${selects.length} fw_cfg selects`);
  return { boot, directoryAtStart, ramblocks, files, run };
}

/** Boots the configuration `boots` times; `inspect` sees each boot while its RAM image is current. */
export async function runConfigBoots<T>(input: ConfigRunInput, inspect: (boot: ConfigBoot) => T): Promise<{ results: T[]; argv: string[]; image: FirmwareImage; qemuVersion: string; packages: Record<string, string> }> {
  const progress = input.progress ?? (() => undefined);
  const family = bootableFamily(input.vector);
  const qemu = findQemu(configQemuBinary(input.vector));
  // another installation's QEMU (a chroot) may open only some of the installed OVMF builds: each is tried in turn
  const installed = input.image === undefined ? installedImages(input.firmware) : undefined;
  const images = installed !== undefined && installed.length > 1 ? installed : [findFirmwareImage(input.firmware, qemu, input.image)];
  let image = images[0]!;
  const record = realFirmwareRecord(input.firmware);
  const timeoutMs = input.timeoutMs ?? record.timeoutMs;
  const settleMs = input.settleMs ?? 1000;

  const dir = mkdtempSync(join(tmpdir(), 'fwcfg-bootreal-config-'));
  let q: QemuProcess | undefined;
  try {
    const base = observedBootArgs(dir, withoutBios(configArgs(input.vector, dir, input.vmgenidGuid)), capturedCpu(input.vector), ranWithoutDefaults(input.vector) ? 'off' : 'as-captured');
    for (let i = 0; q === undefined; i++) {
      image = images[i]!;
      progress(`starting ${basename(qemu)} with ${input.vector.name}'s own ACPI and ${input.firmware}`);
      try {
        q = await QemuProcess.start({ binary: qemu, args: [...base, ...firmwareRunArgs(image, dir, record.copiesImage === true)], dir, timeoutMs: 60_000, lifetimeMs: input.boots * (timeoutMs + settleMs + 120_000) });
      } catch (err) {
        if (!(err instanceof InputError && err.code === 'QEMU_EXITED') || i + 1 >= images.length) throw err;
        progress(`${image.code}: ${err.message}; trying the next image`);
      }
    }
    const argv = [basename(qemu), ...q.argv.slice(1)].map((a) => a.split(dir).join('$TMP'));
    const session: BootSession = { q, guest: new LiveGuest(q.qtest, { kind: 'io', dma: true }), tracePath: join(dir, TRACE_LOG), debugPath: join(dir, DEBUG_LOG), family, firmware: input.firmware, image, qemu, argv, timeoutMs, settleMs, progress };
    const results: T[] = [];
    for (let boot = 1; boot <= input.boots; boot++) results.push(inspect(await observeBoot(session, boot, boot > 1)));
    await q.close();
    q = undefined;
    return { results, argv, image, qemuVersion: qemuVersionLine(qemu), packages: packageVersions() };
  } finally {
    if (q !== undefined) await q.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
