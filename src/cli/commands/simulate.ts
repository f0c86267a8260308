/** `fwcfg simulate VECTOR_DIR [--qemu V] [--host-page N] --firmware none [--reset] [--select FILE] [--json]` */
import { openVector } from '../../vectors/configuration.js';
import { UsageError } from '../../errors.js';
import type { RamBlockRow } from '../../memory/ram-list.js';
import { hostPageFor, policyFor, releaseOf } from '../../simulate/options.js';
import { simulateRebuild, type AcpiFileView, type RebuildReport } from '../../simulate/rebuild-story.js';
import { Vector } from '../../vectors/vector.js';
import type { ItemsCapture } from '../../vectors/items-capture.js';
import { parseFirmware, type FirmwareSpec } from '../../simulate/boot.js';
import { simulateFirmware } from '../../simulate/firmware-run.js';
import { bootAccount, firmwareJson, placements, writeAllocations } from '../boot-output.js';
import { acpiBlobsFromItems } from '../../qemu/from-vector.js';
import { itemsCaptureFor } from '../../simulate/captures.js';
import { onePositional, parse } from '../args.js';
import { simulateLifecycle } from '../../simulate/lifecycle.js';
import { lifecycleAccount, lifecycleJson, writeLifecycle } from '../lifecycle-output.js';
import { jsonText, type Io } from '../output.js';

export const usage = 'fwcfg simulate (VECTOR_DIR | CAPTURE_DIR) --firmware none|seabios|ovmf|uboot [--boots N [--migrate-after K --to 5.2|6.0|7.2 [--to-host-page N]]] [--qemu 5.2|6.0|7.2] [--host-page 4096|65536] [--place FILE=ADDR ...] [--out DIR] [--reset] [--select FILE] [--capture ITEMS_DIR] [--json]';

const hx = (n: number) => '0x' + n.toString(16);

export function simulate(argv: string[], io: Io): number {
  const { values, positionals } = parse('simulate', argv, {
    firmware: { type: 'string' },
    qemu: { type: 'string' },
    'host-page': { type: 'string' },
    reset: { type: 'boolean' },
    select: { type: 'string' },
    capture: { type: 'string' },
    place: { type: 'string', multiple: true },
    out: { type: 'string' },
    json: { type: 'boolean' },
    boots: { type: 'string' },
    'migrate-after': { type: 'string' },
    to: { type: 'string' },
    'to-host-page': { type: 'string' },
  });
  const dir = onePositional('simulate', positionals, 'vector directory');
  const firmware = values['firmware'] === undefined || values['firmware'] === 'none' ? 'none' : parseFirmware(values['firmware'] as string);
  const vector = openVector(dir);
  const capture = itemsCaptureFor(vector, values['capture'] as string | undefined);
  if (values['boots'] !== undefined || values['migrate-after'] !== undefined) return simulateBoots(vector, firmware, values, capture, io);
  if (firmware !== 'none') return simulateBoot(vector, firmware as FirmwareSpec, values, capture, io);
  const unprogrammed = capture === undefined ? undefined : acpiBlobsFromItems(capture.items);
  const report = simulateRebuild(vector, {
    ...(unprogrammed ? { unprogrammed } : {}),
    policy: policyFor((values['qemu'] as string | undefined) ?? releaseOf(vector)),
    hostPageSize: hostPageFor(values['host-page'] as string | undefined),
    ...(typeof values['select'] === 'string' ? { trigger: values['select'] } : {}),
    reset: values['reset'] === true,
  });
  io.out(values['json'] === true ? jsonText(report) : story(report));
  return 0;
}

function count(flag: string, text: unknown): number {
  const n = Number(text);
  if (typeof text !== 'string' || !/^\d+$/.test(text) || !Number.isSafeInteger(n) || n < 1 || n > 100) throw new UsageError('USAGE', `simulate: --${flag} ${String(text)}: a number from 1 to 100`);
  return n;
}

function simulateBoots(vector: Vector, firmware: string, values: Record<string, unknown>, capture: ItemsCapture | undefined, io: Io): number {
  if (firmware === 'none') throw new UsageError('USAGE', 'simulate: --boots needs --firmware seabios, ovmf or uboot');
  const boots = count('boots', values['boots'] ?? '1');
  const migrateAfter = values['migrate-after'] === undefined ? undefined : count('migrate-after', values['migrate-after']);
  if (migrateAfter !== undefined && typeof values['to'] !== 'string') throw new UsageError('USAGE', 'simulate: --migrate-after needs --to 5.2|6.0|7.2');
  if (migrateAfter === undefined && values['to'] !== undefined) throw new UsageError('USAGE', 'simulate: --to goes with --migrate-after K');
  if (migrateAfter !== undefined && migrateAfter >= boots) throw new UsageError('USAGE', `simulate: --migrate-after ${migrateAfter} needs --boots greater than ${migrateAfter}`);
  const hostPageSize = hostPageFor(values['host-page'] as string | undefined);
  const life = simulateLifecycle(vector, {
    policy: policyFor((values['qemu'] as string | undefined) ?? releaseOf(vector)),
    hostPageSize,
    firmware: firmware as FirmwareSpec,
    boots,
    placements: placements('simulate', values['place']),
    ...(capture ? { items: capture } : {}),
    ...(migrateAfter !== undefined
      ? { migrateAfter, to: { policy: policyFor(values['to'] as string), hostPageSize: values['to-host-page'] === undefined ? hostPageSize : hostPageFor(values['to-host-page'] as string) } }
      : {}),
  });
  const written = typeof values['out'] === 'string' ? writeLifecycle(values['out'], life) : [];
  if (values['json'] === true) io.out(jsonText(lifecycleJson(life, written)));
  else io.out(lifecycleAccount(life) + written.map((w) => `wrote ${w}\n`).join(''));
  return 0;
}

function simulateBoot(vector: Vector, firmware: FirmwareSpec, values: Record<string, unknown>, capture: ItemsCapture | undefined, io: Io): number {
  const sim = simulateFirmware(vector, {
    policy: policyFor((values['qemu'] as string | undefined) ?? releaseOf(vector)),
    hostPageSize: hostPageFor(values['host-page'] as string | undefined),
    firmware,
    placements: placements('simulate', values['place']),
    ...(capture ? { items: capture } : {}),
  });
  const r = sim.report;
  const written = typeof values['out'] === 'string' && r.firmware !== null && sim.memory !== undefined ? writeAllocations(values['out'], r.firmware, sim.memory) : [];
  if (values['json'] === true) {
    io.out(jsonText({ ...r, firmware: r.firmware === null ? null : firmwareJson(r.firmware), ...(written.length > 0 ? { written } : {}) }));
    return 0;
  }
  const lines = [`${r.vector} (${r.machineType}) under QEMU ${r.qemu} rules, booted by ${firmware} (the capture's ${r.stage} stage)`, '', 'At machine creation:', blocks(r.ramblocks.before), `  the loader holds ${r.loader.commandsBefore} commands in ${r.loader.bytesBefore} bytes`, ''];
  if (r.qemuError !== null) {
    lines.push(`The firmware's first ACPI select makes QEMU rebuild the tables${r.loader.commandsAfter === null ? '' : ` (loader: ${r.loader.commandsAfter} commands, ${r.loader.bytesAfter} bytes)`} and QEMU aborts:`, ...r.qemuError.split('\n').map((l) => `  ${l}`));
  } else {
    lines.push(`After the boot (QEMU rebuilt the tables at the firmware's first ACPI select: ${r.loader.commandsAfter} commands, ${r.loader.bytesAfter} bytes):`, blocks(r.ramblocks.afterRebuild!), '', bootAccount(r.firmware!).trimEnd());
  }
  for (const w of written) lines.push(`wrote ${w}`);
  io.out(lines.join('\n') + '\n');
  return 0;
}

function blocks(rows: RamBlockRow[]): string {
  return rows.map((r) => `    ${r.name.padEnd(24)} used ${hx(r.used).padStart(8)}  max ${hx(r.max).padStart(9)}`).join('\n');
}

function files(rows: AcpiFileView[]): string {
  return rows.map((f) => `    ${f.name.padEnd(24)} ${String(f.size).padStart(7)} bytes${f.selectRebuilds ? '  (a select rebuilds)' : ''}`).join('\n');
}

export function story(r: RebuildReport): string {
  const out: string[] = [];
  out.push(`${r.vector} (${r.machineType}) under QEMU ${r.qemu} rules, ${r.hostPageSize === 0x1000 ? '4 KiB' : '64 KiB'} host pages, no firmware`);
  out.push('', 'At machine creation:', blocks(r.ramblocks.before), files(r.directory.before));
  out.push(`  the loader holds ${r.loader.commandsBefore} commands in ${r.loader.bytesBefore} bytes`);
  out.push('', `The guest selects ${r.trigger}:`);
  if (r.qemuError !== null) {
    out.push(r.loader.commandsAfter === null ? '  QEMU rebuilds the tables and aborts (as the live QEMU did when the capture was taken):' : `  QEMU rebuilds the tables: the loader grows to ${r.loader.commandsAfter} commands, ${r.loader.bytesAfter} bytes, and QEMU aborts:`);
    for (const l of r.qemuError.split('\n')) out.push(`    ${l}`);
    return out.join('\n') + '\n';
  }
  if (!r.rebuilt) out.push('  nothing is rebuilt (this machine builds its tables once)');
  else out.push(`  QEMU rebuilds the tables: the loader now holds ${r.loader.commandsAfter} commands in ${r.loader.bytesAfter} bytes`);
  out.push(blocks(r.ramblocks.afterRebuild!), files(r.directory.afterRebuild!));
  if (r.reset) {
    const z = r.reset;
    out.push('', 'After a system reset:', blocks(z.ramblocks), files(z.files));
    for (const sc of z.scenarios) {
      out.push(`  ${sc.description}:`);
      for (const st of sc.steps) {
        if (st.qemuError !== null) {
          out.push(`    select ${st.select}: QEMU aborts:`, ...st.qemuError.split('\n').map((l) => `      ${l}`));
          continue;
        }
        const what = st.rebuilt ? 'QEMU rebuilds' : 'no rebuild';
        const content = st.loaderIsCreationBuild ? ' (the machine-creation loader, zero-padded)' : '';
        out.push(`    select ${st.select}: ${what}; the loader is ${st.loader.bytes} bytes, ${st.loader.commands} commands${content}`);
      }
    }
  }
  return out.join('\n') + '\n';
}
