/**
 * A VM's boots across a real migration: the source QEMU boots the
 * configuration K times (system_reset between boots), migrates the stopped
 * guest into a file, and a destination QEMU of another release started with
 * the same arguments and `-incoming` loads it; there each later boot is a
 * `system_reset` (none when K is 0: the guest is still at its first
 * instruction) and the firmware run to its marker, observed as every
 * `boot-real --config` boot is. The firmware is the source's on every boot:
 * its image is a RAM block that travels in the stream (SeaBIOS's pc.bios,
 * OVMF's flashes system.flash0 and system.flash1: the destination maps the
 * file its command line names, of the same size, and the stream overwrites
 * it) and a reset does not reload it. Which firmware the guest holds is read
 * from the RAM blocks of the stream and, after the last boot, of one more
 * migration of the destination.
 * Each boot, source's and destination's, is held to the model's
 * `simulate --boots N --migrate-after K --to V`.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { InputError, UsageError } from '../errors.js';
import { LOADER_FILE } from '../loader/constants.js';
import { LiveGuest } from '../qemu/live/live-guest.js';
import { QemuExited } from '../qemu/live/errors.js';
import { QemuProcess } from '../qemu/live/qemu-process.js';
import { migrateToFile } from '../qemu/live/ram-stream.js';
import { awaitIncoming } from '../qemu/migrate-live.js';
import { OWN_TRACE, firmwareInStream, romBlocksByMigration, type StreamFirmware } from '../qemu/capture-rebuild.js';
import { findFirmwareImage, findQemu, installedImages, type FirmwareImage, type RealFirmware } from '../qemu/live/firmware-images.js';
import { simulateLifecycle, type LifecycleReport } from '../simulate/lifecycle.js';
import { policyFor } from '../simulate/options.js';
import { itemsCaptureFor } from '../simulate/captures.js';
import type { Vector } from '../vectors/vector.js';
import { bootableFamily, firmwareRunArgs, observeBoot, observedBootArgs, pinVmgenid, type BootSession, type ConfigBoot } from './config-run.js';
import { modelGuid, unmodelled } from './config-lifecycle.js';
import { compareBoot, liveBoot, type BootComparison, type LiveBoot } from './lifecycle-compare.js';
import { DEBUG_LOG, TRACE_LOG } from './qemu-args.js';
import { realFirmwareRecord } from './real-firmware.js';

export interface MigratedBootsInput {
  /** The configuration the model lives (a capture of it on the source release). */
  vector: Vector;
  /** A capture of it on the destination release: the model's destination machine and rebuild (the destination QEMU builds its own tables). */
  destinationCapture?: Vector;
  /** The configuration's QEMU arguments, as both ends are started with them (paths already real). */
  args: readonly string[];
  source: { binary: string; release: string };
  destination: { binary: string; release: string };
  firmware: RealFirmware;
  boots: number;
  /** Boots on the source before the migration (0: migrate the machine as created). */
  migrateAfter: number;
  timeoutMs?: number;
  progress?: (message: string) => void;
}

export interface MigratedBoot extends LiveBoot {
  /** Which QEMU ran the boot. */
  on: 'source' | 'destination';
  /** The firmware's own banner in its debug console (SeaBIOS prints its version there; OVMF's release build prints nothing). */
  firmwareBanner: string | null;
}

/** The firmware a guest holds, from its RAM blocks: SeaBIOS's version in pc.bios, the known OVMF image in its first flash. */
export type HeldFirmware = Pick<StreamFirmware, 'seabiosVersion' | 'flashImage'>;

export interface MigratedBoots {
  /** The firmware code file both ends were started with (a chroot's QEMU opens its own file of that path); what the guest held when it left the source; what it held after the destination's last boot (null when the destination never got there). */
  heldFirmware: { image: string; source: HeldFirmware; destination: HeldFirmware | null };
  /** Whether the destination loaded the stream, and what it printed when it did not. */
  migration: { afterBoot: number; loaded: boolean; stderr: string[] };
  boots: MigratedBoot[];
  /** The destination QEMU ended during this boot (it aborted), with what it printed; null when every boot ran. */
  ended: { boot: number; stderr: string[] } | null;
  /** The model's life of the same VM, and each real boot held to its boot of the same number. */
  model: LifecycleReport;
  comparison: BootComparison[];
}

const ownLines = (text: string) => text.split('\n').filter((l) => l.trim() !== '' && !OWN_TRACE.test(l));

export async function bootMigrated(input: MigratedBootsInput): Promise<MigratedBoots> {
  const progress = input.progress ?? (() => undefined);
  if (!Number.isInteger(input.migrateAfter) || input.migrateAfter < 0 || input.migrateAfter >= input.boots) {
    throw new UsageError('USAGE', `migrate after boot ${input.migrateAfter}: needs 0 <= K < boots (${input.boots})`);
  }
  const family = bootableFamily(input.vector);
  const sourceQemu = findQemu(input.source.binary);
  const destinationQemu = findQemu(input.destination.binary);
  const record = realFirmwareRecord(input.firmware);
  const timeoutMs = input.timeoutMs ?? record.timeoutMs;
  const guid = modelGuid(input.vector, input.firmware);
  const creationLoader = input.vector.hasRom('before', LOADER_FILE) ? input.vector.romBytes('before', LOADER_FILE) : undefined;
  const items = itemsCaptureFor(input.vector, undefined);
  const life = simulateLifecycle(input.vector, {
    policy: policyFor(input.source.release),
    hostPageSize: 0x1000,
    firmware: input.firmware,
    boots: input.boots,
    migrateAfter: input.migrateAfter,
    to: { policy: policyFor(input.destination.release), hostPageSize: 0x1000, ...(input.destinationCapture !== undefined ? { capture: input.destinationCapture } : {}) },
    keepFiles: true,
    ...(items !== undefined ? { items } : {}),
  });

  const dir = mkdtempSync(join(tmpdir(), 'fwcfg-migrated-boots-'));
  const boots: MigratedBoot[] = [];
  const comparison: BootComparison[] = [];
  const take = (b: ConfigBoot, on: MigratedBoot['on']) => {
    const live = liveBoot(b, creationLoader);
    boots.push({ ...live, on, firmwareBanner: record.banner(b.run.debugLog) });
    const i = b.boot - 1;
    const m = life.report.boots[i];
    comparison.push(
      m === undefined
        ? unmodelled(b.boot, life)
        : compareBoot({ record: m, memory: life.memories[i], files: life.files[i]! }, b, live),
    );
  };
  const start = async (binary: string, qemu: string, image: FirmwareImage, side: MigratedBoot['on'], incoming: string[]): Promise<BootSession> => {
    const own = join(dir, side);
    mkdirSync(own);
    // QEMU's default CPU model: its state is one both releases know, so the stream loads
    const args = [...observedBootArgs(own, pinVmgenid(input.args, guid), 'default'), ...firmwareRunArgs(image, own), ...incoming];
    const q = await QemuProcess.start({ binary, args, dir: own, timeoutMs: 60_000, lifetimeMs: input.boots * (timeoutMs + 120_000) });
    const argv = [basename(binary), ...q.argv.slice(1)].map((a) => a.split(dir).join('$TMP'));
    return { q, guest: new LiveGuest(q.qtest, { kind: 'io', dma: true }), tracePath: join(own, TRACE_LOG), debugPath: join(own, DEBUG_LOG), family, firmware: input.firmware, image, qemu, argv, timeoutMs, settleMs: 1000, progress };
  };

  let source: BootSession | undefined;
  let destination: BootSession | undefined;
  try {
    // the source's firmware: SeaBIOS as its QEMU loads it by default; OVMF's flash images, the same files at both ends (the destination's flash must be as large)
    const images = installedImages(input.firmware) ?? [findFirmwareImage(input.firmware, sourceQemu)];
    if (images.length === 0) findFirmwareImage(input.firmware, sourceQemu);
    for (let i = 0; source === undefined; i++) {
      progress(`starting the source ${basename(sourceQemu)} (QEMU ${input.source.release}) with ${input.firmware}`);
      try {
        source = await start(input.source.binary, sourceQemu, images[i]!, 'source', []);
      } catch (err) {
        if (!(err instanceof InputError && err.code === 'QEMU_EXITED') || i + 1 >= images.length) throw err;
        rmSync(join(dir, 'source'), { recursive: true, force: true });
      }
    }
    for (let boot = 1; boot <= input.migrateAfter; boot++) take(await observeBoot(source, boot, boot > 1), 'source');
    const stream = join(dir, 'stream.bin');
    progress(`migrating after boot ${input.migrateAfter} into ${stream}`);
    await migrateToFile(source.q, stream, 60_000);
    await source.q.close();
    const image = source.image;
    const held = (f: StreamFirmware): HeldFirmware => ({ seabiosVersion: f.seabiosVersion, flashImage: f.flashImage });
    const heldFirmware: MigratedBoots['heldFirmware'] = { image: image.code, source: held(firmwareInStream(stream)), destination: null };
    source = undefined;

    progress(`starting the destination ${basename(destinationQemu)} (QEMU ${input.destination.release}) with -incoming`);
    try {
      destination = await start(input.destination.binary, destinationQemu, image, 'destination', ['-incoming', `exec:cat '${stream}'`]);
    } catch (err) {
      if (err instanceof QemuExited) return { migration: { afterBoot: input.migrateAfter, loaded: false, stderr: ownLines(err.stderr) }, heldFirmware, boots, ended: null, model: life.report, comparison };
      throw err;
    }
    if (!(await awaitIncoming(destination.q, 60_000))) return { migration: { afterBoot: input.migrateAfter, loaded: false, stderr: ownLines(destination.q.stderr) }, heldFirmware, boots, ended: null, model: life.report, comparison };
    const migration = { afterBoot: input.migrateAfter, loaded: true, stderr: ownLines(destination.q.stderr) };
    for (let boot = input.migrateAfter + 1; boot <= input.boots; boot++) {
      try {
        take(await observeBoot(destination, boot, boot > 1), 'destination');
      } catch (err) {
        // QEMU ending mid-boot (an abort at the rebuild) is an outcome: its last words, held to the model's
        if (destination.q.running) throw err;
        await destination.q.waitExit(2000);
        const stderr = ownLines(destination.q.stderr);
        const m = life.report.boots[boot - 1];
        const same = m?.qemuError === stderr.join('\n');
        comparison.push({ boot, equal: same, checks: [{ what: 'QEMU during the boot', status: same ? 'same' : 'different', detail: `model ${m === undefined ? 'no such boot' : (m.qemuError ?? 'runs on')}; live QEMU exited: ${stderr.join(' | ')}` }] });
        return { migration, heldFirmware, boots, ended: { boot, stderr }, model: life.report, comparison };
      }
    }
    heldFirmware.destination = held(await romBlocksByMigration(destination.q, dir, 60_000));
    return { migration, heldFirmware, boots, ended: null, model: life.report, comparison };
  } finally {
    if (source !== undefined) await source.q.close();
    if (destination !== undefined) await destination.q.close();
    for (const m of life.memories) m?.release();
    rmSync(dir, { recursive: true, force: true });
  }
}
