/** `fwcfg simulate --boots N`: the JSON contract and the readable account of a VM's life. */
import { join } from 'node:path';
import type { Lifecycle, BootRecord } from '../simulate/lifecycle.js';
import type { AcpiFileView } from '../simulate/rebuild-story.js';
import { bootAccount, firmwareJson, writeAllocations } from './boot-output.js';
import { firmwareLabel } from './firmware-label.js';
import { byteCount } from './output.js';

/** `--out DIR`: DIR/boot<N>/<file>.bin for every boot that ran the firmware. */
export function writeLifecycle(dir: string, life: Lifecycle): string[] {
  const written: string[] = [];
  life.report.boots.forEach((b, i) => {
    const memory = life.memories[i];
    if (b.firmware !== null && memory !== undefined) written.push(...writeAllocations(join(dir, `boot${b.boot}`), b.firmware, memory));
  });
  return written;
}

/** One boot of a VM's life in the JSON contract. */
export function bootRecordJson(b: BootRecord): Record<string, unknown> {
  return {
    boot: b.boot,
    qemu: b.qemu,
    directory: b.directory,
    rebuiltAt: b.rebuiltAt,
    qemuError: b.qemuError,
    ramblocks: b.ramblocks,
    firmware: b.firmware === null ? null : firmwareJson(b.firmware),
    os: b.os,
  };
}

export function lifecycleJson(life: Lifecycle, written: string[]): Record<string, unknown> {
  const r = life.report;
  return {
    vector: r.vector,
    machineType: r.machineType,
    boots: r.boots.map(bootRecordJson),
    migration: r.migration,
    stopped: r.stopped,
    ...(written.length > 0 ? { written } : {}),
  };
}

function listing(files: AcpiFileView[]): string {
  return files.map((f) => `${f.name} ${byteCount(f.size)}${f.selectRebuilds ? '' : ' (its select no longer rebuilds)'}`).join(', ');
}

function osLine(b: BootRecord): string[] {
  switch (b.os.tables) {
    case 'qemu':
      return ["  The OS gets QEMU's tables, intact."];
    case 'firmware':
      return ["  The OS gets the firmware's own tables, not QEMU's."];
    case 'none':
      return [`  The OS gets no ACPI tables${b.qemuError !== null ? ' (QEMU is gone)' : ''}.`];
    case 'broken':
      return ['  The OS gets broken tables:', ...b.os.reasons.map((r) => `    ${r}`)];
  }
}

export function lifecycleAccount(life: Lifecycle): string {
  const r = life.report;
  const out = [`${r.vector} (${r.machineType}) booted ${r.boots.length === 1 ? 'once' : `${r.boots.length} times`} by ${r.firmwareRelease}`, ''];
  const moved = (m: NonNullable<typeof r.migration>, when: string) =>
    m.loaded ? [`Migrated ${when} from QEMU ${m.from} to a fresh QEMU ${m.to}: the stream loads. ${m.destinationCapture !== null ? `Its rebuilds yield ${m.destinationCapture}'s tables (captured on ${m.to}).` : `Its rebuilds yield the source capture's tables (give --to-capture: ${m.to} builds its own).`}`, ''] : [`Migration ${when} from QEMU ${m.from} to QEMU ${m.to} fails; the destination prints:`, ...m.errorLines!.map((l) => `  ${l}`), ''];
  if (r.migration?.afterBoot === 0) out.push(...moved(r.migration, 'as created, before boot 1'));
  for (const b of r.boots) {
    if (b.boot > 1) out.push(`System reset (QEMU ${b.qemu}): the ROM blobs get their machine-creation bytes back and keep their lengths; the ACPI state re-arms.`, '');
    out.push(`Boot ${b.boot} (QEMU ${b.qemu}): the directory lists ${listing(b.directory)}`);
    if (b.qemuError !== null) {
      out.push(`  QEMU rebuilds the tables at ${b.firmware === null ? 'the firmware' : 'a select'} and aborts:`, ...b.qemuError.split('\n').map((l) => `    ${l}`));
    } else {
      out.push(b.rebuiltAt === null ? '  No select rebuilds the tables this boot.' : `  QEMU rebuilds the tables at the select of ${b.rebuiltAt}.`);
      // a broken walk is told once, in the OS's verdict below
      if (b.firmware !== null) out.push(...bootAccount(b.firmware, { omitWalkNotes: b.os.tables === 'broken' }).trimEnd().split('\n').map((l) => `  ${l}`));
    }
    out.push(...osLine(b), '');
    if (r.migration?.afterBoot === b.boot) out.push(...moved(r.migration, `after boot ${b.boot}`));
  }
  if (r.stopped !== null) out.push(`Stopped: ${r.stopped}.`);
  return out.join('\n').trimEnd() + '\n';
}
