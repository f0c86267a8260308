/**
 * A real migration between two QEMU processes, possibly of different
 * releases (a chroot's QEMU through a wrapper script, the host's): the source
 * runs the configuration to a point (machine creation, or its firmware's
 * first ACPI select and the rebuild it triggers), migrates into a file, and a
 * destination started with the same arguments and `-incoming` loads it. What
 * the destination printed, how it ended, and its ROM blocks when it loaded
 * are the result: the ground truth `fwcfg migrate-check` predicts.
 */
import { rmSync } from 'node:fs';
import { InputError } from '../errors.js';
import { QemuExited } from './live/errors.js';
import { migrateToFile } from './live/ram-stream.js';
import { LiveGuest } from './live/live-guest.js';
import { QemuProcess } from './live/qemu-process.js';
import { parseRamBlocks, memoryMapFromMtree } from './monitor-text.js';
import { layoutOf } from './capture.js';
import { OWN_TRACE, readDirectoryPort, runToFirstAcpiSelect } from './capture-rebuild.js';
import type { RamBlockRow } from '../memory/ram-list.js';

export interface LiveMigrationOptions {
  sourceBinary: string;
  destinationBinary: string;
  /** The configuration's arguments (no -S, -incoming, -qmp: those are added). */
  args: readonly string[];
  /** Migrate the paused machine as created, or after its firmware's first ACPI select (the boot's rebuild). */
  at: 'creation' | 'booted';
  /** Where the stream goes (a file both processes can reach, e.g. under /tmp). */
  streamPath: string;
  timeoutMs?: number;
  bootTimeoutMs?: number;
}

export interface LiveMigrationResult {
  /** The source ended before it could migrate (QEMU 5.2 aborting at the rebuild): its lines. */
  sourceEnded: { exit: { code: number | null; signal: string | null } | null; stderr: string[] } | null;
  /** The destination loaded the stream and stands paused. */
  loaded: boolean;
  /** How the destination ended (null while it runs: it loaded). */
  exit: { code: number | null; signal: string | null } | null;
  /** What the destination printed (trace lines left out). */
  stderr: string[];
  /** The source's ROM blocks when it migrated, and the destination's after loading. */
  sourceRomBlocks: RamBlockRow[];
  destinationRomBlocks: RamBlockRow[] | null;
}

const lines = (text: string) => text.split('\n').filter((l) => l.trim() !== '' && !OWN_TRACE.test(l));
const headless = (args: readonly string[]) => [...args, '-S', '-display', 'none', ...(args.includes('-accel') ? [] : ['-accel', 'tcg'])];
const romRows = async (q: QemuProcess) => parseRamBlocks(await q.qmp.hmp('info ramblock')).filter((r) => r.name.startsWith('/rom@')).map((r) => ({ name: r.name, used: r.used, max: r.max }));

/** Waits until a destination started with `-incoming` has loaded the stream (true) or exited (false). */
export async function awaitIncoming(dest: QemuProcess, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!dest.running) {
      await dest.waitExit(2000);
      return false;
    }
    const status = (await dest.qmp.execute('query-status').catch(() => ({ status: 'gone' }))) as { status: string };
    // (5.2 goes back to 'prelaunch' after an incoming migration under -S; its query-migrate says completed)
    const incoming = (await dest.qmp.execute('query-migrate').catch(() => ({}))) as { status?: string };
    if (status.status === 'paused' || status.status === 'postmigrate' || status.status === 'running' || incoming.status === 'completed') return true;
    if (Date.now() > deadline) throw new InputError('QEMU_TIMEOUT', `the destination neither loaded the stream nor exited within ${timeoutMs} ms (state ${status.status})`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function migrateLive(o: LiveMigrationOptions): Promise<LiveMigrationResult> {
  const timeoutMs = o.timeoutMs ?? 30_000;
  rmSync(o.streamPath, { force: true });
  const source = await QemuProcess.start({ binary: o.sourceBinary, args: [...headless(o.args), '-trace', 'fw_cfg_select'], timeoutMs });
  let sourceRomBlocks: RamBlockRow[];
  try {
    if (o.at === 'booted') {
      const guest = new LiveGuest(source.qtest, layoutOf(memoryMapFromMtree(await source.qmp.hmp('info mtree -f'))));
      const first = await runToFirstAcpiSelect(source, await readDirectoryPort(guest), o.bootTimeoutMs ?? 60_000, () => undefined);
      if (!source.running) {
        await source.waitExit(2000);
        return { sourceEnded: { exit: source.exitStatus, stderr: lines(source.stderr) }, loaded: false, exit: null, stderr: [], sourceRomBlocks: [], destinationRomBlocks: null };
      }
      if (first === null) throw new InputError('NO_ACPI_SELECT', `the source's firmware selected no ACPI file within ${Math.round((o.bootTimeoutMs ?? 60_000) / 1000)} s`);
    }
    sourceRomBlocks = await romRows(source);
    await migrateToFile(source, o.streamPath, timeoutMs);
  } finally {
    await source.close();
  }

  let dest: QemuProcess;
  try {
    dest = await QemuProcess.start({ binary: o.destinationBinary, args: [...headless(o.args), '-incoming', `exec:cat '${o.streamPath}'`], timeoutMs });
  } catch (err) {
    // a destination that refuses the command line (a machine type it lacks) ends before qtest connects
    if (err instanceof QemuExited) return { sourceEnded: null, loaded: false, exit: err.exit, stderr: lines(err.stderr), sourceRomBlocks, destinationRomBlocks: null };
    throw err;
  }
  try {
    if (await awaitIncoming(dest, timeoutMs)) return { sourceEnded: null, loaded: true, exit: null, stderr: lines(dest.stderr), sourceRomBlocks, destinationRomBlocks: await romRows(dest) };
    return { sourceEnded: null, loaded: false, exit: dest.exitStatus, stderr: lines(dest.stderr), sourceRomBlocks, destinationRomBlocks: null };
  } finally {
    await dest.close();
    rmSync(o.streamPath, { force: true });
  }
}
