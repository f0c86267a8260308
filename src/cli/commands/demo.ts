/**
 * `fwcfg demo [VECTOR_DIR]` (what `npm start` runs): the seed configuration's
 * story end to end, from the real QEMU 7.2 captures embedded in spec-vectors/:
 * the loader QEMU builds, the rebuild the firmware's select triggers, the RAM
 * blocks under QEMU 5.2's and 7.2's maximum sizes, SeaBIOS's truncated run and
 * fallback, OVMF's run, what each OS sees, and migration back to 5.2.
 */
import { firmwareRecordFor } from '../../firmware/records/index.js';
import { openVector } from '../../vectors/configuration.js';
import { tableAnnotator } from '../../loader/annotate.js';
import { decodeLoader } from '../../loader/codec.js';
import { LOADER_FILE, TABLES_FILE } from '../../loader/constants.js';
import { formatEntryLine } from '../../loader/listing.js';
import { itemsCaptureFor } from '../../simulate/captures.js';
import { simulateFirmware } from '../../simulate/firmware-run.js';
import { migrateCheck } from '../../simulate/migrate-check.js';
import { policyFor, releaseOf } from '../../simulate/options.js';
import { simulateRebuild } from '../../simulate/rebuild-story.js';
import { simulateLifecycle } from '../../simulate/lifecycle.js';
import { Command } from '@commander-js/extra-typings';
import { bootAccount } from '../boot-output.js';
import { embeddedVector } from '../../vectors/package-root.js';
import { byteCount, hx } from '../output.js';
import type { RamBlockRow } from '../../memory/ram-list.js';
import { examples, type CliCommand } from '../program.js';
import { inputDir } from '../values.js';
import { fallbackWhy } from '../whole-story.js';

export const demoCommand: CliCommand = {
  name: 'demo',
  build: (cli) =>
    new Command('demo')
      .summary('the seed configuration\'s story end to end, from real QEMU 7.2 captures (what npm start runs)')
      .description(
        "Tell one configuration's story from its captures: the loader QEMU builds, the rebuild the firmware's select triggers, the RAM blocks under QEMU 5.2's and 7.2's maxima, SeaBIOS's and OVMF's boots, migration back to 5.2, a reboot. Without DIR: the seed (q35 + nvdimm + vmgenid + intel-iommu), whose loader outgrew its 4 KiB block.",
      )
      .argument('[DIR]', 'a vector or capture directory (default: the embedded seed)', inputDir('', 'a vector or capture'))
      .addHelpText('after', examples('fwcfg demo', 'fwcfg demo spec-vectors/qemu-7.2/q35'))
      .action((dir) => void cli.io.out(demoText(dir ?? embeddedVector('seed'), dir === undefined))),
};

const rows = (r: RamBlockRow[]) => r.map((b) => `    ${b.name.padEnd(24)} used ${hx(b.used).padStart(7)}  max ${hx(b.max).padStart(8)}`).join('\n');

function demoText(dir: string, embedded: boolean): string {
  const vector = openVector(dir);
  const items = itemsCaptureFor(vector, undefined);
  const argv = [String(vector.manifest['qemu_binary'] ?? 'qemu-system-x86_64'), ...vector.manifest.config_args];
  const out: string[] = [`The ${vector.name} configuration${embedded ? ' (embedded in spec-vectors/)' : ''}, captured on ${vector.manifest.qemu_version}:`, `  ${argv.join(' ')}`, ''];

  const before = decodeLoader(vector.romBytes('before', LOADER_FILE));
  const stage = vector.hasStage('after') ? 'after' : vector.stageNames[1]!;
  const after = decodeLoader(vector.romBytes(stage, LOADER_FILE));
  const count = (es: typeof before) => es.filter((e) => e.type !== 'padding').length;
  out.push(`1. At machine creation QEMU's loader holds ${count(before)} commands in ${byteCount(before.length * 128)}.`);
  out.push(`   When the firmware programs MMCONFIG and selects an ACPI file, QEMU rebuilds: ${count(after)} commands, padded to ${byteCount(after.length * 128)}.`);
  const annotate = tableAnnotator(new Map([[TABLES_FILE, vector.romBytes(stage, TABLES_FILE)]]));
  const commands = after.filter((e) => e.type !== 'padding');
  for (let i = 0; i < commands.length; i++) {
    if (i < count(before) - 2 && !(i >= 14 && i <= 16)) continue; // the MCFG checksum and the tail
    out.push(`   ${formatEntryLine(commands[i]!, i, annotate(commands[i]!))}`);
  }
  if (after.length * 128 > before.length * 128) {
    out.push(`   A firmware that took the size from the directory before that select reads ${byteCount(before.length * 128)}: entries ${count(before)} to ${count(after) - 1} never run.`);
  }
  out.push('');

  // each release with its own capture of the configuration (a release's tables differ: never another's blobs)
  const releases = embedded ? [['5.2', openVector(embeddedVector('seed', 'qemu-5.2'))], ['7.2', vector]] as const : [[releaseOf(vector), vector]] as const;
  for (const [i, [qemu, v]] of releases.entries()) {
    const r = simulateRebuild(v, { policy: policyFor(qemu), hostPageSize: 0x1000 });
    out.push(`${i + 2}. On QEMU ${qemu} (${v.manifest.machine_type}) the RAM blocks start as`, rows(r.ramblocks.before));
    if (r.qemuError !== null) out.push('   and the rebuild kills QEMU:', ...r.qemuError.split('\n').map((l) => `     ${l}`));
    else out.push('   and after the rebuild they are', rows(r.ramblocks.afterRebuild!));
    out.push('');
  }
  if (releases.length === 1) out.push('3. (QEMU 5.2 is told from its own capture of the seed: run fwcfg demo without a directory.)', '');

  for (const [n, firmware] of [
    ['4', 'seabios'],
    ['5', 'ovmf'],
  ] as const) {
    const sim = simulateFirmware(vector, { policy: policyFor('7.2'), hostPageSize: 0x1000, firmware, ...(items ? { items } : {}) });
    out.push(`${n}. Booted by ${firmwareRecordFor(firmware, 'x86_64')!.label} on QEMU 7.2:`);
    const r = sim.report.firmware;
    if (r !== null) {
      out.push(...bootAccount(r).trimEnd().split('\n').map((l) => `   ${l}`));
      // what a firmware's own tables mean for the OS, in a sentence: the loader run failed and the firmware noticed
      if (r.tables.some((t) => t.source === 'firmware')) {
        // the commands it never reached are listed in 1.; what they would have done is why the warning comes
        const unrun = commands.slice(r.commandsExecuted);
        const files = [...new Set(unrun.map((e) => ('destFile' in e ? e.destFile : 'file' in e ? e.file : '')).filter((f) => f !== ''))];
        out.push(`   Why: ${fallbackWhy(r)}.`);
        if (unrun.length > 0 && r.warnings.length > 0) out.push(`   The commands it never ran (entries ${r.commandsExecuted} to ${commands.length - 1}, above) patch ${files.join(', ')}; without them no valid RSDP is in the F-segment, and "${r.warnings.at(-1)}" is SeaBIOS saying so after its loader run, before it builds tables of its own.`);
      }
    }
    out.push('');
  }

  // a destination needs a machine type both releases know: the seed started as pc-q35-5.2 on 7.2 (spec-vectors/migration)
  const movable = embedded ? openVector(embeddedVector('seed-pc-q35-5.2-on-7.2', 'migration')) : vector;
  const m = migrateCheck(movable, { from: policyFor('7.2'), to: policyFor('5.2'), fromHostPage: 0x1000, toHostPage: 0x1000, at: 'booted' });
  out.push(`6. Migrating that VM, booted on QEMU 7.2 as ${movable.manifest.machine_type}, to QEMU 5.2: ${m.loads ? 'it loads' : 'the destination refuses it'}`, ...(m.errorLines ?? []).map((l) => `     ${l}`), '');

  out.push('7. The same VM rebooted (QMP system_reset), on QEMU 7.2:');
  for (const firmware of ['seabios', 'ovmf'] as const) {
    const life = simulateLifecycle(vector, { policy: policyFor('7.2'), hostPageSize: 0x1000, firmware, boots: 2, ...(items ? { items } : {}) }).report;
    const b = life.boots[1];
    if (b === undefined) continue;
    const lost = b.directory.filter((f) => !f.selectRebuilds).map((f) => `${f.name} (${f.size} bytes, the creation build padded)`);
    out.push(`   ${firmwareRecordFor(firmware, 'x86_64')!.label}, boot 2: ${lost.length > 0 ? `no longer rebuilt by a select: ${lost.join(', ')}; ` : ''}QEMU rebuilds at the select of ${b.rebuiltAt ?? '(nothing)'}.`);
    const os = { qemu: "QEMU's tables, intact", firmware: "the firmware's own tables", none: 'no ACPI tables', broken: 'broken tables' }[b.os.tables];
    out.push(`     It runs ${b.firmware?.commandsExecuted ?? 0} commands of the ${b.firmware?.loaderBytesRead ?? 0}-byte loader it read; the OS gets ${os}${b.os.tables === 'broken' ? `: ${b.os.reasons[0]}` : b.os.tables === 'none' && b.firmware?.warnings[0] ? ` (${b.firmware.warnings[0]})` : ''}.`);
  }
  if (embedded) {
    // the same command line on newer releases, each with the firmware Debian ships beside it (their own captures)
    const tell = { qemu: "QEMU's tables", firmware: "the firmware's own tables", none: 'no ACPI tables', broken: 'broken tables' } as const;
    out.push('', '8. The same command line on newer QEMU releases, three boots each (each release\'s own capture and firmware):');
    for (const release of ['10.0', '11.1']) {
      const v = openVector(embeddedVector('seed', `qemu-${release}`));
      for (const firmware of ['seabios', 'ovmf'] as const) {
        const life = simulateLifecycle(v, { policy: policyFor(release), hostPageSize: 0x1000, firmware, boots: 3 }).report;
        out.push(`   QEMU ${release}, ${life.firmwareRelease}: ${life.boots.map((b) => `boot ${b.boot}: ${tell[b.os.tables]}`).join('; ')}`);
      }
    }
  }
  out.push('', 'Next:', '  fwcfg check -- qemu-system-x86_64 -machine q35 -m 2G     the same story for your own command line', `  fwcfg simulate ${embedded ? 'spec-vectors/qemu-7.2/seed' : dir} --firmware seabios --boots 3   every boot of this VM`, '  fwcfg --help                                             every command; fwcfg COMMAND --help explains its flags');
  return out.join('\n') + '\n';
}
