/**
 * One boot of a real U-Boot (Debian's u-boot-qemu: `qemu-x86_64/u-boot.rom`
 * or `qemu_arm64/u-boot.bin` as `-bios`) on a real QEMU, observed from
 * outside: QEMU started paused with the fw_cfg selects traced and U-Boot's
 * serial console on a socket; the autoboot countdown interrupted; a few
 * console commands typed; the guest stopped; then over qtest QEMU's fw_cfg
 * files as U-Boot was served them, the PCIEXBAR it left (q35), the RSDP an
 * OS finds in the F-segment, and every blob the loader placed
 * (./uboot-locate.ts). Every wait is bounded; QEMU is killed by PID.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { Arch } from '../firmware/record.js';
import type { FwCfgDirEntry } from '../firmware/fwcfg-guest.js';
import { decodeLoader } from '../loader/codec.js';
import { LOADER_FILE } from '../loader/constants.js';
import { GuestMemory } from '../memory/guest-memory.js';
import { scanForRsdp } from '../acpi/walk.js';
import { LiveGuest, type LiveLayout } from '../qemu/live/live-guest.js';
import { QemuProcess } from '../qemu/live/qemu-process.js';
import { QemuError } from '../qemu/live/errors.js';
import { qemuVersionLine } from '../qemu/live/firmware-images.js';
import { romBlocksByMigration } from '../qemu/capture-rebuild.js';
import { readFile } from './live-fwcfg.js';
import { readText } from './marker.js';
import { FENCE_KEY, traceSelects, type TracedSelect } from './run.js';
import { UbootConsole, UBOOT_PROMPT } from './uboot-console.js';
import { locateBlobs, type LocatedBlob } from './uboot-locate.js';

/** What U-Boot prints while it counts down to autoboot (common/autoboot.c). */
export const AUTOBOOT_TEXT = 'Hit any key to stop autoboot';
/** The BIOS area an OS scans for the RSDP on x86 (ACPI 6.5 §5.2.5.1). */
export const BIOS_AREA = { start: 0xe0000, end: 0x100000 };
/** fw_cfg's MMIO data register on arm virt (QEMU hw/arm/virt.c memmap). */
const VIRT_FWCFG = 0x09020000n;
const TRACE = 'trace.log';
/** How far below relocaddr the heap search reaches: the malloc area (0x240000) and some. */
const HEAP_WINDOW = 0x300000;
const SERIAL_SOCKET = 'serial.sock';

export interface UbootBootInput {
  /** The QEMU to run: a binary on PATH, a path, or a wrapper that runs a chroot's QEMU. */
  qemu: string;
  arch: Arch;
  /** U-Boot's image; copied into the run's directory (under the shared /tmp, so a chroot's QEMU sees it too). */
  image: string;
  /** Machine arguments (`-machine q35 -smp 1 -m 2G`); `{tmp}` stands for the run's directory. */
  machineArgs: readonly string[];
  /** Sparse files of these sizes made in the run's directory first (an nvdimm's backing file). */
  sparseFiles?: Readonly<Record<string, number>>;
  /** Files given to QEMU with `-fw_cfg name=NAME,file=...` (QEMU then has no ACPI of its own only if the machine says acpi=off). */
  inject?: readonly { name: string; data: Uint8Array }[];
  /** Console commands typed at the prompt, in order (those the build lacks answer "Unknown command"). */
  commands?: readonly string[];
  /** Bound on reaching the autoboot countdown (default 60 s); past it U-Boot is stopped and observed where it is. */
  timeoutMs?: number;
  progress?: (message: string) => void;
}

export interface UbootRealRun {
  /** Whether U-Boot reached its autoboot countdown (and prompt) within the bound; if not, it was stopped where it was. */
  reachedPrompt: boolean;
  argv: string[];
  qemuVersion: string;
  /** `info` of the machine QEMU made: the resolved type (`pc-q35-7.2`) and RAM size. */
  machineType: string;
  ramSize: number;
  image: { name: string; sha256: string };
  /** U-Boot's own banner line (`U-Boot 2023.01+dfsg-2+deb12u3 (...)`). */
  banner: string;
  /** fw_cfg selects U-Boot made on its way to the prompt, from QEMU's trace, in order. */
  selects: TracedSelect[];
  /** Those the console commands made. */
  commandSelects: TracedSelect[];
  /** Whether U-Boot selected etc/table-loader before its prompt. */
  loaderRead: boolean;
  console: { command: string; output: string }[];
  transcript: string;
  /** The directory before U-Boot ran (what it reads first: sizes before any rebuild). */
  directoryAtStart: FwCfgDirEntry[];
  /** QEMU's ACPI files as it built them at machine creation (from a migration stream of the paused machine, their directory size). */
  creation: Map<string, Uint8Array>;
  /** The directory after the boot. */
  directory: FwCfgDirEntry[];
  /** QEMU's bytes of every non-empty file, read after the boot (U-Boot's select made QEMU rebuild its ACPI blobs first). */
  files: Map<string, Uint8Array>;
  /** q35's MCH PCIEXBAR register as U-Boot left it; null elsewhere. */
  pciexbar: number | null;
  /** x86: guest memory 0xe0000-0xfffff after the boot. */
  biosArea: Uint8Array | null;
  /** The RSDP an OS finds by the F-segment scan (x86). */
  rsdp: number | null;
  blobs: LocatedBlob[];
  /** `qfw list` addresses U-Boot printed (2025.01 prints each file's address; 0 = not loaded). */
  qfwAddresses: Map<string, number>;
}

/** `qfw list` lines: `NAME` (2021.01/2023.01) or `ADDR NAME` (2025.01, address in hex). */
export function parseQfwList(output: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of output.split('\n')) {
    const m = /^([0-9a-f]{8,16}) (\S+)\s*$/.exec(line);
    if (m) out.set(m[2]!, parseInt(m[1]!, 16));
  }
  return out;
}

async function machineInfo(q: QemuProcess, machineArgs: readonly string[]): Promise<{ type: string; ramSize: number }> {
  const given = machineArgs[machineArgs.indexOf('-machine') + 1]?.split(',')[0] ?? '';
  const machines = (await q.qmp.execute('query-machines')) as { name: string; alias?: string }[];
  const type = machines.find((m) => m.alias === given)?.name ?? given;
  const size = (await q.qmp.execute('query-memory-size-summary')) as { 'base-memory': number };
  return { type, ramSize: size['base-memory'] };
}

async function readPciexbar(guest: LiveGuest): Promise<number> {
  // 00:00.0 (the MCH), offset 0x60: the low half holds the base and the enable bit
  const replies = await guest.qtest.commands(['outl 0xcf8 0x80000060', 'inl 0xcfc']);
  return Number(BigInt(replies[1]!.slice(3)));
}

export async function bootUbootReal(input: UbootBootInput): Promise<UbootRealRun> {
  const progress = input.progress ?? (() => undefined);
  const timeoutMs = input.timeoutMs ?? 60_000;
  const dir = mkdtempSync(join(tmpdir(), 'fwcfg-uboot-'));
  let q: QemuProcess | undefined;
  let con: UbootConsole | undefined;
  try {
    const image = join(dir, basename(input.image));
    copyFileSync(input.image, image);
    const sha256 = createHash('sha256').update(readFileSync(image)).digest('hex');
    for (const [name, size] of Object.entries(input.sparseFiles ?? {})) {
      writeFileSync(join(dir, name), new Uint8Array(0));
      truncateSync(join(dir, name), size);
    }
    const injected = (input.inject ?? []).flatMap((f, i) => {
      const path = join(dir, `fwcfg-${i}.bin`);
      writeFileSync(path, f.data);
      return ['-fw_cfg', `name=${f.name},file=${path}`];
    });
    const args = [
      '-accel', 'tcg', '-cpu', 'max', '-nodefaults', '-no-user-config', '-display', 'none', '-S',
      ...input.machineArgs.map((a) => a.split('{tmp}').join(dir)),
      ...injected,
      '-bios', image,
      '-chardev', `socket,id=uart,path=${join(dir, SERIAL_SOCKET)},server=on,wait=off`, '-serial', 'chardev:uart',
      '-D', join(dir, TRACE), '-trace', 'fw_cfg_select',
    ];
    progress(`starting ${basename(input.qemu)} with ${input.image}`);
    q = await QemuProcess.start({ binary: input.qemu, args, dir, timeoutMs: 60_000, lifetimeMs: timeoutMs + 300_000 });
    const layout: LiveLayout = input.arch === 'x86_64' ? { kind: 'io', dma: true } : { kind: 'mmio', base: VIRT_FWCFG, dma: true };
    const guest = new LiveGuest(q.qtest, layout);
    const machine = await machineInfo(q, input.machineArgs);
    // QEMU's ACPI blobs as it built them at creation (a select would rebuild them first), and the directory U-Boot will read first
    const directoryAtStart = await guest.directory();
    const creation = new Map<string, Uint8Array>();
    for (const [block, bytes] of (await romBlocksByMigration(q, dir, 60_000)).blocks) {
      const name = block.replace(/^\/rom@/, '');
      const size = directoryAtStart.find((d) => d.name === name)?.size;
      if (size !== undefined) creation.set(name, bytes.slice(0, size));
    }
    con = await UbootConsole.connect(join(dir, SERIAL_SOCKET));
    await guest.select(FENCE_KEY);
    await q.qmp.execute('cont');
    const running = q;
    const countdown = await con.waitFor(AUTOBOOT_TEXT, timeoutMs, 0, () => running.running);
    if (countdown === null && !q.running) throw new QemuError('QEMU_EXITED', `QEMU exited before U-Boot's autoboot countdown: ${q.stderr.trim().split('\n').pop() ?? ''}`);
    if (countdown !== null) {
      con.send(' ');
      if ((await con.waitFor(UBOOT_PROMPT, 20_000, countdown)) === null) throw new QemuError('QEMU_TIMEOUT', 'U-Boot gave no prompt after the countdown was interrupted');
    } else progress(`no "${AUTOBOOT_TEXT}" within ${timeoutMs} ms: stopping U-Boot where it is`);
    // a fence between the boot's selects and those the commands make (U-Boot is idle at its prompt)
    await q.qmp.execute('stop');
    await guest.select(FENCE_KEY);
    await q.qmp.execute('cont');
    const console: UbootRealRun['console'] = [];
    for (const command of countdown === null ? [] : (input.commands ?? [])) {
      const output = await con.command(command, 60_000);
      if (output === null) throw new QemuError('QEMU_TIMEOUT', `U-Boot did not answer "${command}" within 60 s`);
      console.push({ command, output });
    }
    await q.qmp.execute('stop');
    await guest.select(FENCE_KEY);
    progress('U-Boot stopped at its prompt; reading fw_cfg and guest memory');

    const directory = await guest.directory();
    const selects = traceSelects(readText(join(dir, TRACE)).replace(/^\d+@[\d.]+:/gm, ''), directory);
    const fences = selects.flatMap((s, i) => (s.key === FENCE_KEY ? [i] : []));
    if (fences.length < 3) throw new QemuError('QEMU_CLOSED', `the fw_cfg trace holds ${fences.length} of the 3 fence selects`);
    const bootSelects = selects.slice(fences[0]! + 1, fences[1]);
    const commandSelects = selects.slice(fences[1]! + 1, fences[2]);
    const loaderRead = bootSelects.some((s) => s.name === LOADER_FILE);
    const acpiSelected = selects.slice(fences[0]! + 1).some((s) => creation.has(s.name));
    const files = new Map<string, Uint8Array>();
    // a select of an ACPI file U-Boot never selected would make QEMU rebuild it now, for us: those keep their creation bytes
    for (const d of directory) if (d.size > 0 && (acpiSelected || !creation.has(d.name))) files.set(d.name, await readFile(guest, d));
    const pciexbar = machine.type.includes('q35') ? await readPciexbar(guest) : null;
    const read = (address: number, length: number) => guest.readMemory(BigInt(address), length);
    let biosArea: Uint8Array | null = null;
    let rsdp: number | null = null;
    const known: { file: string; base: number; how: string }[] = [];
    if (input.arch === 'x86_64') {
      biosArea = await read(BIOS_AREA.start, BIOS_AREA.end - BIOS_AREA.start);
      const mem = new GuestMemory([{ name: 'bios-area', start: BIOS_AREA.start, size: biosArea.length, kind: 'ram', bytes: biosArea.slice() }]);
      rsdp = scanForRsdp(mem, BIOS_AREA.start, BIOS_AREA.end)?.address ?? null;
    }
    const qfwAddresses = parseQfwList(console.find((c) => c.command === 'qfw list')?.output ?? '');
    for (const [file, base] of qfwAddresses) if (base !== 0) known.push({ file, base, how: 'qfw list' });
    const loader = files.get(LOADER_FILE);
    const entries = loader !== undefined && loader.length % 128 === 0 ? decodeLoader(loader) : [];
    const rsdpFile = entries.find((e) => e.type === 'allocate' && String.fromCharCode(...(files.get(e.file)?.subarray(0, 8) ?? [])) === 'RSD PTR ');
    if (rsdpFile?.type === 'allocate' && biosArea !== null) {
      // the valid RSDP an OS finds; else the first signature whose bytes are QEMU's blob (a loader that stopped before its checksum)
      const signatures = [...Buffer.from(biosArea).toString('latin1').matchAll(/RSD PTR /g)].map((m) => BIOS_AREA.start + m.index).filter((a) => a % 16 === 0);
      for (const at of rsdp !== null ? [rsdp] : signatures) known.push({ file: rsdpFile.file, base: at, how: rsdp !== null ? 'F-segment scan' : 'F-segment signature' });
    }
    // U-Boot's heap (bdinfo's relocaddr less the malloc area, TOTAL_MALLOC_LEN 0x240000 on these builds): where to search for blobs nothing points to
    const relocaddr = /relocaddr\s*=\s*0x([0-9a-f]+)/.exec(console.find((c) => c.command === 'bdinfo')?.output ?? '')?.[1];
    const window = relocaddr !== undefined && loaderRead ? { start: parseInt(relocaddr, 16) - HEAP_WINDOW, bytes: await read(parseInt(relocaddr, 16) - HEAP_WINDOW, HEAP_WINDOW) } : undefined;
    const blobs = loaderRead ? await locateBlobs({ entries, files, known, read, ...(window !== undefined ? { window } : {}) }) : [];
    const banner = /U-Boot \d{4}\.\d{2}[^\r\n]*/.exec(con.transcript.replace(/U-Boot SPL[^\n]*\n/g, ''))?.[0]?.trim() ?? '';
    const argv = [basename(input.qemu), ...q.argv.slice(1)].map((a) => a.split(dir).join('$TMP'));
    const qemuVersion = qemuVersionLine(input.qemu);
    return {
      reachedPrompt: countdown !== null,
      argv,
      qemuVersion,
      machineType: machine.type,
      ramSize: machine.ramSize,
      image: { name: basename(input.image), sha256 },
      banner,
      selects: bootSelects,
      commandSelects,
      loaderRead,
      console,
      transcript: con.transcript,
      directoryAtStart,
      creation,
      directory,
      files,
      pciexbar,
      biosArea,
      rsdp,
      blobs,
      qfwAddresses,
    };
  } finally {
    con?.close();
    if (q !== undefined) await q.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
