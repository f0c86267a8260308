/**
 * `fwcfg simulate (VECTOR_DIR | CAPTURE_DIR) --firmware none|NAME[@VERSION] ...`: the machine a vector or
 * capture describes, under a modelled QEMU's rules: with `none`, the rebuild a guest's select triggers
 * (and, with --reset, what a rebooted guest meets); with a firmware, its boot, or with --boots N a VM's
 * life of N boots (and a migration after boot K).
 */
import { Command, Option } from '@commander-js/extra-typings';
import { UsageError } from '../../errors.js';
import type { FirmwareSpec } from '../../simulate/boot.js';
import { itemsCaptureFor } from '../../simulate/captures.js';
import { simulateFirmware } from '../../simulate/firmware-run.js';
import { simulateLifecycle } from '../../simulate/lifecycle.js';
import { policyFor, releaseOf } from '../../simulate/options.js';
import { simulateRebuild, type AcpiFileView, type RebuildReport } from '../../simulate/rebuild-story.js';
import type { RamBlockRow } from '../../memory/ram-list.js';
import { acpiBlobsFromItems } from '../../qemu/from-vector.js';
import { openVector } from '../../vectors/configuration.js';
import type { ItemsCapture } from '../../vectors/items-capture.js';
import type { Vector } from '../../vectors/vector.js';
import { bootAccount, firmwareJson, writeAllocations } from '../boot-output.js';
import { firmwareLabel } from '../firmware-label.js';
import { lifecycleAccount, lifecycleJson, writeLifecycle } from '../lifecycle-output.js';
import { captureOption, firmwareOption, hostPageOption, toHostPageOption, jsonOption, outDirOption, placeOption, qemuOption } from '../options.js';
import { byteCount, hx, jsonText, type Io } from '../output.js';
import { examples, type CliCommand } from '../program.js';
import { firmwareChoices, firmwareSpec, inputDir, integer, placementMap, qemuRelease, qemuReleases } from '../values.js';

function build(cli: { io: Io }) {
  return new Command('simulate')
    .summary('a captured machine under a modelled QEMU: the rebuild, a firmware boot, reboots, migration')
    .description(
      "Model the machine a vector or capture describes. With --firmware none: the rebuild the guest's first ACPI select triggers (and with --reset what a rebooted guest meets). With a firmware: its boot through the device, what it allocates and writes, what the OS finds. With --boots N: N boots with a system reset between them, optionally migrating after boot K.",
    )
    .argument('<DIR>', 'a vector (spec-vectors/qemu-7.2/seed) or a capture directory (fwcfg capture --out DIR)', inputDir('', 'a vector or capture'))
    .addOption(firmwareOption().argParser(firmwareSpec('--firmware', ['none'])).makeOptionMandatory())
    .addOption(qemuOption())
    .addOption(hostPageOption())
    .addOption(new Option('--reset', 'with --firmware none: also what a rebooted guest meets after a system reset'))
    .addOption(new Option('--select <FILE>', 'with --firmware none: the fw_cfg file the guest selects first (default: the one the capture\'s firmware selected first), e.g. --select etc/acpi/rsdp'))
    .addOption(captureOption())
    .addOption(placeOption())
    .addOption(outDirOption('with a firmware: write each allocated file\'s final bytes as DIR/<file>.bin (with --boots: DIR/boot<N>/<file>.bin)'))
    .addOption(new Option('--boots <N>', 'boot N times (1-100) with a system reset between boots, e.g. --boots 3').argParser(integer('--boots', 1, 100)))
    .addOption(new Option('--migrate-after <K>', 'with --boots: migrate the VM after boot K (0: as created, before boot 1) to a fresh QEMU (give --to), e.g. --migrate-after 1').argParser(integer('--migrate-after', 0, 99)))
    .addOption(new Option('--to <VERSION>', `with --migrate-after: the destination QEMU release (${qemuReleases()}), e.g. --to 5.2`).argParser(qemuRelease('--to')))
    .addOption(toHostPageOption("with --to: the destination host's page size (default: the source's)"))
    .addOption(new Option('--to-capture <DIR>', "with --to: a capture of the same configuration made on the destination release (fwcfg capture --out DIR): the destination's machine and the tables its rebuilds yield (default: the source capture's stand in), e.g. --to-capture spec-vectors/migration/seed-pc-q35-5.2-on-7.2").argParser(inputDir('--to-capture', 'a capture made on the destination release')))
    .addOption(jsonOption())
    .addHelpText(
      'after',
      examples(
        'fwcfg simulate spec-vectors/qemu-5.2/seed --firmware none',
        'fwcfg simulate spec-vectors/qemu-7.2/seed --firmware seabios',
        'fwcfg simulate spec-vectors/qemu-7.2/seed --firmware ovmf --boots 3 --migrate-after 1 --to 7.2 --json',
      ) + `\n--firmware takes none or ${firmwareChoices()}.\n`,
    )
    .action((dir, o) => {
      const none = o.firmware === 'none';
      // flags that mean nothing in the mode chosen are mistakes, not defaults
      const misplaced = (flags: [string, unknown][], why: string) => {
        for (const [flag, v] of flags) if (v !== undefined) throw new UsageError('USAGE', `${flag} ${why}`);
      };
      if (none) misplaced([['--place', o.place], ['--out', o.out], ['--boots', o.boots]], 'goes with a firmware boot (--firmware seabios, ovmf, ...), not --firmware none');
      else misplaced([['--reset', o.reset], ['--select', o.select]], 'goes with --firmware none (a firmware selects what it selects; for reboots give --boots N)');
      if (o.boots === undefined) misplaced([['--migrate-after', o.migrateAfter]], 'goes with --boots N');
      if (o.migrateAfter === undefined) misplaced([['--to', o.to], ['--to-host-page', o.toHostPage], ['--to-capture', o.toCapture]], 'goes with --migrate-after K');
      else if (o.to === undefined) throw new UsageError('USAGE', `--migrate-after needs --to (${qemuReleases()})`);
      if (o.migrateAfter !== undefined && o.migrateAfter >= o.boots!) throw new UsageError('USAGE', `--migrate-after ${o.migrateAfter} needs --boots greater than ${o.migrateAfter} (it is ${o.boots})`);

      const vector = openVector(dir);
      const capture = itemsCaptureFor(vector, o.capture);
      const host = { policy: policyFor(o.qemu ?? releaseOf(vector)), hostPageSize: o.hostPage ?? 0x1000 };
      const placements = placementMap(o.place);
      if (o.boots !== undefined) {
        const toCapture = o.toCapture === undefined ? undefined : destinationCapture(vector, openVector(o.toCapture), o.to!);
        const life = simulateLifecycle(vector, {
          ...host,
          firmware: o.firmware as FirmwareSpec,
          boots: o.boots,
          placements,
          ...(capture ? { items: capture } : {}),
          ...(o.migrateAfter !== undefined ? { migrateAfter: o.migrateAfter, to: { policy: policyFor(o.to), hostPageSize: o.toHostPage ?? host.hostPageSize, ...(toCapture !== undefined ? { capture: toCapture } : {}) } } : {}),
        });
        const written = o.out !== undefined ? writeLifecycle(o.out, life) : [];
        cli.io.out(o.json === true ? jsonText(lifecycleJson(life, written)) : lifecycleAccount(life) + written.map((w) => `wrote ${w}\n`).join(''));
        return;
      }
      if (!none) return void cli.io.out(bootText(vector, o.firmware as FirmwareSpec, { ...host, placements, capture, out: o.out, json: o.json === true }));
      const unprogrammed = capture === undefined ? undefined : acpiBlobsFromItems(capture.items);
      const report = simulateRebuild(vector, { ...(unprogrammed ? { unprogrammed } : {}), ...host, ...(o.select !== undefined ? { trigger: o.select } : {}), reset: o.reset === true });
      cli.io.out(o.json === true ? jsonText(report) : story(report));
    });
}

/** --to-capture: the same machine type, captured on the release --to names. */
function destinationCapture(source: Vector, capture: Vector, to: string): Vector {
  if (capture.manifest.machine_type !== source.manifest.machine_type) throw new UsageError('USAGE', `--to-capture ${capture.dir}: a ${capture.manifest.machine_type} machine, the VM is ${source.manifest.machine_type}`);
  if (releaseOf(capture) !== to) throw new UsageError('USAGE', `--to-capture ${capture.dir}: captured on QEMU ${releaseOf(capture)}, the destination is --to ${to}`);
  return capture;
}

export const simulateCommand: CliCommand = { name: 'simulate', build };

interface BootFlags {
  policy: ReturnType<typeof policyFor>;
  hostPageSize: number;
  placements: Map<string, number>;
  capture: ItemsCapture | undefined;
  out: string | undefined;
  json: boolean;
}

function bootText(vector: Vector, firmware: FirmwareSpec, f: BootFlags): string {
  const sim = simulateFirmware(vector, { policy: f.policy, hostPageSize: f.hostPageSize, firmware, placements: f.placements, ...(f.capture ? { items: f.capture } : {}) });
  const r = sim.report;
  const written = f.out !== undefined && r.firmware !== null && sim.memory !== undefined ? writeAllocations(f.out, r.firmware, sim.memory) : [];
  if (f.json) return jsonText({ ...r, firmware: r.firmware === null ? null : firmwareJson(r.firmware), ...(written.length > 0 ? { written } : {}) });
  const lines = [`${r.vector} (${r.machineType}) under QEMU ${r.qemu}'s rules, booted by ${firmwareLabel(firmware)} (the capture's ${r.stage} stage)`, ...(r.stageCaveat !== null ? [`  note: ${r.stageCaveat}`] : []), '', 'At machine creation:', blocks(r.ramblocks.before), `  the loader holds ${r.loader.commandsBefore} commands in ${byteCount(r.loader.bytesBefore)}`, ''];
  if (r.qemuError !== null) {
    lines.push(`The firmware's first ACPI select makes QEMU rebuild the tables${r.loader.commandsAfter === null ? '' : ` (loader: ${r.loader.commandsAfter} commands, ${byteCount(r.loader.bytesAfter!)})`} and QEMU aborts:`, ...r.qemuError.split('\n').map((l) => `  ${l}`));
    if (f.out !== undefined) lines.push('', `nothing written into ${f.out}: QEMU ended before the firmware ran the loader`);
  } else {
    lines.push(`After the boot (QEMU rebuilt the tables at the firmware's first ACPI select: ${r.loader.commandsAfter} commands, ${byteCount(r.loader.bytesAfter!)}):`, blocks(r.ramblocks.afterRebuild!), '', bootAccount(r.firmware!).trimEnd());
  }
  for (const w of written) lines.push(`wrote ${w}`);
  return lines.join('\n') + '\n';
}

function blocks(rows: RamBlockRow[]): string {
  return rows.map((r) => `    ${r.name.padEnd(24)} used ${hx(r.used).padStart(8)}  max ${hx(r.max).padStart(9)}`).join('\n');
}

function files(rows: AcpiFileView[]): string {
  return rows.map((f) => `    ${f.name.padEnd(24)} ${byteCount(f.size).padStart(24)}${f.selectRebuilds ? '  (a select rebuilds)' : ''}`).join('\n');
}

export function story(r: RebuildReport): string {
  const out: string[] = [];
  out.push(`${r.vector} (${r.machineType}) under QEMU ${r.qemu}'s rules, ${r.hostPageSize === 0x1000 ? '4 KiB' : '64 KiB'} host pages, no firmware`);
  out.push('', 'At machine creation:', blocks(r.ramblocks.before), files(r.directory.before));
  out.push(`  the loader holds ${r.loader.commandsBefore} commands in ${byteCount(r.loader.bytesBefore)}`);
  out.push('', `The guest selects ${r.trigger}:`);
  if (r.qemuError !== null) {
    out.push(r.loader.commandsAfter === null ? '  QEMU rebuilds the tables and aborts (as the live QEMU did when the capture was taken):' : `  QEMU rebuilds the tables: the loader grows to ${r.loader.commandsAfter} commands, ${byteCount(r.loader.bytesAfter!)}, and QEMU aborts:`);
    for (const l of r.qemuError.split('\n')) out.push(`    ${l}`);
    return out.join('\n') + '\n';
  }
  const acpi = r.directory.before.find((f) => f.name === r.trigger);
  if (r.rebuilt) out.push(`  QEMU rebuilds the tables: the loader now holds ${r.loader.commandsAfter} commands in ${byteCount(r.loader.bytesAfter!)}`);
  else if (acpi === undefined) out.push(`  nothing is rebuilt: ${r.trigger} is not one of QEMU's ACPI files (only a select of ${r.directory.before.map((f) => f.name).join(', ') || 'one'} rebuilds)`);
  else out.push('  nothing is rebuilt (this machine builds its tables once)');
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
        out.push(`    select ${st.select}: ${what}; the loader is ${byteCount(st.loader.bytes)}, ${st.loader.commands} commands${content}`);
      }
    }
  }
  return out.join('\n') + '\n';
}
