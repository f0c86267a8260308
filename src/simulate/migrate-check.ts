/**
 * Would a VM built from this capture, running on QEMU `from`, migrate to a
 * fresh QEMU `to` process with the same configuration?
 */
import type { RamBlockRow } from '../memory/ram-list.js';
import { machineFromVector, destinationRefusal } from '../qemu/from-vector.js';
import { loadMigration, saveMigration } from '../qemu/migration.js';
import { versionText, type QemuPolicy } from '../qemu/version.js';
import type { Vector } from '../vectors/vector.js';
import { bootRebuild, firstSelect } from './rebuild-story.js';

export type MigratePoint = 'creation' | 'booted';

export interface MigrateCheckOptions {
  from: QemuPolicy;
  to: QemuPolicy;
  fromHostPage: number;
  toHostPage: number;
  /** Migrate right after machine creation, or after the guest-triggered rebuild (default). */
  at: MigratePoint;
}

export interface MigrateCheckReport {
  vector: string;
  from: string;
  to: string;
  at: MigratePoint;
  /** The source could not reach that point (QEMU aborted during the rebuild). */
  sourceError: string | null;
  loads: boolean | null;
  errorLines: string[] | null;
  stream: { totalBytes: number; blocks: { name: string; used: number }[] } | null;
  destinationRomBlocks: RamBlockRow[] | null;
}

function streamSummary(stream: ReturnType<typeof saveMigration>): NonNullable<MigrateCheckReport['stream']> {
  return { totalBytes: stream.ram.totalBytes, blocks: stream.ram.blocks.map((b) => ({ name: b.idstr, used: b.usedLength })) };
}

export function migrateCheck(vector: Vector, o: MigrateCheckOptions): MigrateCheckReport {
  const base = { vector: vector.name, from: versionText(o.from.version), to: versionText(o.to.version), at: o.at };
  const src = machineFromVector(vector, { policy: o.from, hostPageSize: o.fromHostPage });
  if (o.at === 'booted') {
    const err = bootRebuild(src, firstSelect(vector));
    if (err !== null) return { ...base, sourceError: err, loads: null, errorLines: null, stream: null, destinationRomBlocks: null };
  }
  const stream = saveMigration(src);
  // the destination is started with the same -machine: a release without that type exits first
  const refusal = destinationRefusal(vector, o.to);
  if (refusal !== null) return { ...base, sourceError: null, loads: false, errorLines: refusal, stream: streamSummary(stream), destinationRomBlocks: null };
  const dest = machineFromVector(vector, { policy: o.to, hostPageSize: o.toHostPage });
  const r = loadMigration(dest, stream);
  return {
    ...base,
    sourceError: null,
    loads: r.loaded,
    errorLines: r.loaded ? null : r.lines,
    stream: streamSummary(stream),
    destinationRomBlocks: r.loaded ? dest.romRows() : null,
  };
}
