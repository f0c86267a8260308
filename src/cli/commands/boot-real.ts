/**
 * `fwcfg boot-real LOADER.bin --file NAME=PATH ... --firmware seabios|ovmf [--writable NAME=PATH ...] [--no-dma]
 * [--qemu-arg ARG ...] [--timeout SECONDS] [--image PATH] [--out DIR] [--json]`: the script on the real
 * firmware under a real QEMU, reported as `fwcfg exec` reports the emulated one.
 * `fwcfg boot-real --config VECTOR_DIR --firmware seabios|ovmf [--boots N] [--compare] ...`: the vector's
 * configuration with QEMU's own ACPI, booted N times with a system_reset between boots; with --compare,
 * checked boot by boot against `fwcfg simulate --boots N` (exit 1 when any boot differs).
 * Exit 77 (skipped) when QEMU or the firmware is not installed.
 */
import { openVector } from '../../vectors/configuration.js';
import { UsageError } from '../../errors.js';
import { LOADER_FILE } from '../../loader/constants.js';
import { bootRealObserved, writeOutcome } from '../../bootreal/boot-real.js';
import { REAL_FIRMWARES, RealBootUnavailable, type RealFirmware } from '../../qemu/live/firmware-images.js';
import { readBytes } from '../../vectors/vector.js';
import { join } from 'node:path';
import { bootRealConfig } from '../../bootreal/config-lifecycle.js';
import type { LiveBoot } from '../../bootreal/lifecycle-compare.js';
import type { GuestMemory } from '../../memory/guest-memory.js';
import { namedPaths, onePositional, parse } from '../args.js';
import { bootAccount, firmwareJson, writeAllocations } from '../boot-output.js';
import { jsonText, type Io } from '../output.js';

export const usage =
  'fwcfg boot-real LOADER.bin --file NAME=PATH ... --firmware seabios|ovmf [--writable NAME=PATH ...] [--no-dma] [--qemu-arg ARG ...] [--timeout SECONDS] [--image PATH] [--out DIR] [--json]\n' +
  '       fwcfg boot-real --config (VECTOR_DIR | CAPTURE_DIR) --firmware seabios|ovmf [--boots N] [--compare] [--timeout SECONDS] [--image PATH] [--out DIR] [--json]';

/** Exit status of a run that could not happen on this host (the automake convention for "skipped"). */
export const EXIT_SKIPPED = 77;

export async function bootRealCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parse('boot-real', argv, {
    file: { type: 'string', multiple: true },
    writable: { type: 'string', multiple: true },
    firmware: { type: 'string' },
    'no-dma': { type: 'boolean' },
    'qemu-arg': { type: 'string', multiple: true },
    timeout: { type: 'string' },
    image: { type: 'string' },
    out: { type: 'string' },
    json: { type: 'boolean' },
    config: { type: 'string' },
    boots: { type: 'string' },
    compare: { type: 'boolean' },
  });
  if (typeof values['config'] === 'string' || values['boots'] !== undefined || values['compare'] === true) return configCommand(values, positionals, io);
  const loaderPath = onePositional('boot-real', positionals, 'loader file');
  const firmware = firmwareOf(values);
  const timeout = timeoutOf(values);
  const files = [
    { name: LOADER_FILE, data: readBytes(loaderPath, 'loader'), file: loaderPath },
    ...namedPaths('boot-real', 'file', values['file']).map(({ name, path }) => ({ name, data: readBytes(path, `file ${name}`), file: path })),
  ];
  const presets = namedPaths('boot-real', 'writable', values['writable']).map(({ name, path }) => ({ name, data: readBytes(path, `writable file ${name}`) }));
  const qemuArgs = values['qemu-arg'] as string[] | undefined;
  try {
    const result = await bootRealObserved(
      {
        firmware,
        files,
        presets,
        dma: values['no-dma'] !== true,
        ...(qemuArgs !== undefined ? { extraArgs: qemuArgs } : {}),
        ...(timeout !== undefined ? { timeoutMs: timeout * 1000 } : {}),
        ...(typeof values['image'] === 'string' ? { image: values['image'] } : {}),
        progress: (m) => io.err(`boot-real: ${m}\n`),
      },
      presets.length > 0 ? { writePointerTarget: presets[0]!.name } : {},
    );
    const written = typeof values['out'] === 'string' ? writeOutcome(values['out'], result.outcome) : [];
    const o = result.observation;
    if (values['json'] === true) {
      const observed = {
        qemu: o.run.qemuVersion,
        firmwareImage: o.run.image.description,
        argv: o.run.argv,
        completed: o.run.completed,
        secondsToMarker: o.run.secondsToMarker,
        stoppedAfterSeconds: Math.round(o.run.stoppedAfterS * 10) / 10,
        loaderSelected: o.loaderSelected,
        rsdpCandidates: o.rsdpCandidates,
        efiConfigurationTable: o.efiAcpi,
        summary: result.outcome.json['summary'],
      };
      io.out(jsonText({ firmware: firmwareJson(result.report), writableFiles: result.writableFiles, observed, ...(written.length > 0 ? { written } : {}) }));
      return 0;
    }
    let text = bootAccount(result.report);
    for (const [name, bytes] of Object.entries(result.writableFiles)) text += `writable ${name} now holds ${bytes}\n`;
    text += `observed: ${String(result.outcome.json['summary'])}\n`;
    if (written.length > 0) text += `wrote ${written.length} files into ${String(values['out'])} (outcome.json, mem/, os-tables/, logs)\n`;
    io.out(text);
    return 0;
  } catch (err) {
    if (!(err instanceof RealBootUnavailable)) throw err;
    io.err(`fwcfg: boot-real skipped: ${err.message}\n`);
    return EXIT_SKIPPED;
  }
}

type Values = Record<string, unknown>;

function firmwareOf(values: Values): RealFirmware {
  const firmware = values['firmware'] as string | undefined;
  if (firmware === undefined || !(REAL_FIRMWARES as readonly string[]).includes(firmware)) throw new UsageError('USAGE', `boot-real: --firmware ${firmware ?? '(missing)'}: use ${REAL_FIRMWARES.join(' or ')}`);
  return firmware as RealFirmware;
}

function timeoutOf(values: Values): number | undefined {
  const text = values['timeout'] as string | undefined;
  const timeout = text === undefined ? undefined : Number(text);
  if (timeout !== undefined && !(Number.isFinite(timeout) && timeout > 0 && timeout <= 3600)) throw new UsageError('USAGE', `boot-real: --timeout ${text}: seconds between 0 and 3600`);
  return timeout;
}

const hx = (n: number) => '0x' + n.toString(16);

async function configCommand(values: Values, positionals: string[], io: Io): Promise<number> {
  if (typeof values['config'] !== 'string') throw new UsageError('USAGE', 'boot-real: --boots and --compare go with --config VECTOR_DIR');
  if (positionals.length > 0) throw new UsageError('USAGE', `boot-real --config: unexpected ${positionals[0]} (the configuration's own files are used; a loader cannot be given)`);
  for (const flag of ['file', 'writable', 'no-dma', 'qemu-arg'] as const) if (values[flag] !== undefined) throw new UsageError('USAGE', `boot-real --config: --${flag} does not apply (nothing is injected into a configuration's own ACPI)`);
  const firmware = firmwareOf(values);
  const timeout = timeoutOf(values);
  const bootsText = (values['boots'] as string | undefined) ?? '1';
  const boots = Number(bootsText);
  if (!/^\d+$/.test(bootsText) || boots < 1 || boots > 20) throw new UsageError('USAGE', `boot-real: --boots ${bootsText}: a number from 1 to 20`);
  const vector = openVector(values['config']);
  const out = values['out'] as string | undefined;
  const written: string[] = [];
  try {
    const life = await bootRealConfig({
      vector,
      firmware,
      boots,
      compare: values['compare'] === true,
      ...(timeout !== undefined ? { timeoutMs: timeout * 1000 } : {}),
      ...(typeof values['image'] === 'string' ? { image: values['image'] } : {}),
      ...(out !== undefined ? { onBoot: (b: LiveBoot, ram: GuestMemory) => written.push(...writeAllocations(join(out, `boot${b.boot}`), b.firmware, ram)) } : {}),
      progress: (m) => io.err(`boot-real: ${m}\n`),
    });
    const agree = life.comparison === null || life.comparison.every((c) => c.equal);
    if (values['json'] === true) {
      io.out(
        jsonText({
          config: life.config,
          machineType: life.machineType,
          firmwareName: life.firmware,
          qemu: life.qemu,
          firmwareImage: life.firmwareImage,
          argv: life.argv,
          vmgenidGuid: life.vmgenidGuid,
          boots: life.boots.map((b) => ({ ...b, firmware: firmwareJson(b.firmware) })),
          comparison: life.comparison,
          ...(written.length > 0 ? { written } : {}),
        }),
      );
      return agree ? 0 : 1;
    }
    const lines = [`${life.config} (${life.machineType}) on ${life.qemu}, ${firmware} (${life.firmwareImage}), booted ${boots === 1 ? 'once' : `${boots} times`} with a system_reset between boots`, ''];
    for (const b of life.boots) {
      lines.push(`Boot ${b.boot}: ${b.completed ? `reached its marker after ${b.secondsToMarker!.toFixed(1)} s` : 'never reached its marker (hung)'}; the directory listed ${b.directory.map((d) => `${d.name} ${d.size}`).join(', ')}`);
      const acpi = b.selects.filter((s) => s.startsWith('etc/acpi/') || s === 'etc/table-loader');
      lines.push(`  ACPI files in the order the firmware selected them: ${acpi.join(', ') || 'none'}`);
      lines.push(`  ROM blocks after: ${b.ramblocks.map((r) => `${r.name} ${hx(r.used)}/${hx(r.max)}`).join(', ')}`);
      lines.push(...bootAccount(b.firmware).trimEnd().split('\n').map((l) => `  ${l}`));
      lines.push(`  The OS gets ${b.os.tables === 'qemu' ? "QEMU's tables, intact" : b.os.tables === 'firmware' ? "the firmware's own tables" : b.os.tables === 'none' ? 'no ACPI tables' : 'broken tables:'}`);
      if (b.os.tables === 'broken') lines.push(...b.os.reasons.map((r) => `    ${r}`));
      const c = life.comparison?.find((x) => x.boot === b.boot);
      if (c !== undefined) {
        lines.push(`  Against the model: ${c.equal ? 'the same' : 'DIFFERENT'}`);
        for (const k of c.checks) lines.push(`    ${k.status === 'same' ? 'same' : k.status === 'different' ? 'DIFF' : 'n/a '}  ${k.what}: ${k.detail}`);
      }
      lines.push('');
    }
    for (const w of written) lines.push(`wrote ${w}`);
    io.out(lines.join('\n').trimEnd() + '\n');
    return agree ? 0 : 1;
  } catch (err) {
    if (!(err instanceof RealBootUnavailable)) throw err;
    io.err(`fwcfg: boot-real skipped: ${err.message}\n`);
    return EXIT_SKIPPED;
  }
}
