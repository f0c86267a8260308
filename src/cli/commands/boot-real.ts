/**
 * `fwcfg boot-real LOADER.bin --file NAME=PATH ... --firmware seabios|ovmf|uboot[@VERSION] [--writable NAME=PATH ...] [--no-dma]
 * [--qemu-arg ARG ...] [--timeout SECONDS] [--image PATH] [--out DIR] [--json]`: the script on the real
 * firmware under a real QEMU, reported as `fwcfg exec` reports the emulated one.
 * `fwcfg boot-real --config VECTOR_DIR --firmware seabios|ovmf|uboot[@VERSION] [--boots N] [--compare] ...`: the vector's
 * configuration with QEMU's own ACPI, booted N times with a system_reset between boots; with --compare,
 * checked boot by boot against `fwcfg simulate --boots N` (exit 1 when any boot differs).
 * Exit 77 (skipped) when QEMU or the firmware is not installed; a @VERSION
 * that is not the installed image's is an error (bootreal/firmware-spec.ts).
 */
import { openVector } from '../../vectors/configuration.js';
import { UsageError } from '../../errors.js';
import { LOADER_FILE } from '../../loader/constants.js';
import { bootRealObserved, writeOutcome } from '../../bootreal/boot-real.js';
import { REAL_FIRMWARES, RealBootUnavailable, type RealFirmware } from '../../qemu/live/firmware-images.js';
import { firmwareNameOf } from '../../firmware/record.js';
import { readBytes } from '../../vectors/vector.js';
import { join } from 'node:path';
import { bootRealConfig } from '../../bootreal/config-lifecycle.js';
import type { LiveBoot } from '../../bootreal/lifecycle-compare.js';
import type { GuestMemory } from '../../memory/guest-memory.js';
import { fileOption, jsonOption, outDirOption, writableOption } from '../options.js';
import { examples, type CliCommand } from '../program.js';
import { inputDir, inputFile, integer, realFirmwareSpec, repeatable, seconds } from '../values.js';
import { bootAccount, firmwareJson, writeAllocations } from '../boot-output.js';
import { hx, jsonText, type Io } from '../output.js';
import { Command, Option } from '@commander-js/extra-typings';

/** Exit status of a run that could not happen on this host (the automake convention for "skipped"). */
export const EXIT_SKIPPED = 77;

export const bootRealCommand: CliCommand = {
  name: 'boot-real',
  build: (cli) =>
    new Command('boot-real')
      .summary('the same on real firmware under a real QEMU (a script, or a configuration booted N times); exit 77 when absent')
      .description(
        "Run a loader script on the real firmware (SeaBIOS, OVMF, or Debian's u-boot-qemu x86 build as -bios) under the installed QEMU (q35, acpi=off, 2 GiB; files injected with -fw_cfg), stop at the firmware's marker, read RAM back and report as exec does. With --config, boot a vector's or capture's own command line N times with a system_reset between boots, optionally compared boot by boot with the model (--compare: exit 1 when any boot differs). Exit 77 (skipped) when QEMU or the firmware is not installed; NAME@VERSION must be the installed image's build.",
      )
      .usage('LOADER.bin --file NAME=PATH ... --firmware seabios|ovmf|uboot [options]   |   fwcfg boot-real --config DIR --firmware seabios|ovmf|uboot [--boots N] [--compare] [options]')
      .argument('[LOADER.bin]', 'the loader script (not with --config)', inputFile('', 'a loader script'))
      .addOption(new Option('--firmware <NAME>', `the real firmware to boot: ${REAL_FIRMWARES.join(', ')}, optionally NAME@VERSION naming the installed build, e.g. --firmware ovmf, --firmware uboot@2023.01`).argParser(realFirmwareSpec('--firmware', REAL_FIRMWARES)).makeOptionMandatory())
      .addOption(fileOption().conflicts('config'))
      .addOption(writableOption().conflicts('config'))
      .addOption(new Option('--no-dma', 'fw_cfg DMA off (-global fw_cfg_io.dma_enabled=off)').conflicts('config'))
      .addOption(new Option('--qemu-arg <ARG>', 'one more QEMU argument (repeatable; values may start with a dash), e.g. --qemu-arg -global --qemu-arg ICH9-LPC.disable_s3=1').argParser(repeatable((a: string) => a)).conflicts('config'))
      .addOption(new Option('--config <DIR>', "boot this vector's or capture's own command line instead of a script, e.g. --config spec-vectors/qemu-7.2/seed").argParser(inputDir('--config', 'a vector or capture')))
      .addOption(new Option('--boots <N>', 'with --config: boot N times (1-20) with a system_reset between boots, e.g. --boots 3').argParser(integer('--boots', 1, 20)))
      .addOption(new Option('--compare', 'with --config: check each boot against fwcfg simulate --boots N (exit 1 when any differs)'))
      .addOption(new Option('--timeout <SECONDS>', 'how long a boot may take before it is reported as hung (default 30 s SeaBIOS, 60 s OVMF and U-Boot), e.g. --timeout 90').argParser(seconds('--timeout')))
      .addOption(new Option('--image <PATH>', 'the firmware image to boot instead of the installed one, e.g. --image /usr/share/OVMF/OVMF_CODE_4M.fd, --image /var/chroots/trixie/usr/lib/u-boot/qemu-x86_64/u-boot.rom').argParser(inputFile('--image', 'a firmware image')))
      .addOption(outDirOption('write the corpus format (outcome.json, mem/, os-tables/, logs); with --config DIR/boot<N>/<file>.bin'))
      .addOption(jsonOption())
      .addHelpText(
        'after',
        examples(
          'fwcfg boot-real spec-vectors/firmware-conformance/baseline/loader.bin --file etc/acpi/rsdp=spec-vectors/firmware-conformance/baseline/rsdp.bin --file etc/acpi/tables=spec-vectors/firmware-conformance/baseline/tables.bin --file etc/fwconf/probe=spec-vectors/firmware-conformance/baseline/etc_fwconf_probe.bin --firmware ovmf --json',
          'fwcfg boot-real --config spec-vectors/qemu-7.2/seed --firmware seabios --boots 3 --compare',
          'fwcfg boot-real --config /tmp/q35-uboot --firmware uboot@2023.01 --boots 2 --compare',
        ),
      )
      .action(async (loaderPath, o) => {
        if (o.config !== undefined) {
          if (loaderPath !== undefined) throw new UsageError('USAGE', `unexpected ${loaderPath} with --config (the configuration's own files are used; a loader cannot be given)`);
          cli.status = await configCommand(o.config, o, cli.io);
          return;
        }
        for (const [flag, v] of [['--boots', o.boots], ['--compare', o.compare]] as const) if (v !== undefined) throw new UsageError('USAGE', `${flag} goes with --config DIR`);
        if (loaderPath === undefined) throw new UsageError('USAGE', 'give a loader script (with --file NAME=PATH for its files), or --config DIR');
        cli.status = await scriptCommand(loaderPath, o, cli.io);
      }),
};

interface ScriptFlags {
  firmware: string;
  file?: { name: string; path: string }[];
  writable?: { name: string; path: string }[];
  dma: boolean;
  qemuArg?: string[];
  timeout?: number;
  image?: string;
  out?: string;
  json?: true;
}

async function scriptCommand(loaderPath: string, o: ScriptFlags, io: Io): Promise<number> {
  const files = [{ name: LOADER_FILE, data: readBytes(loaderPath, 'loader'), file: loaderPath }, ...(o.file ?? []).map(({ name, path }) => ({ name, data: readBytes(path, `file ${name}`), file: path }))];
  const presets = (o.writable ?? []).map(({ name, path }) => ({ name, data: readBytes(path, `writable file ${name}`) }));
  try {
    const result = await bootRealObserved(
      {
        firmware: firmwareNameOf(o.firmware) as RealFirmware,
        spec: o.firmware,
        files,
        presets,
        dma: o.dma,
        ...(o.qemuArg !== undefined ? { extraArgs: o.qemuArg } : {}),
        ...(o.timeout !== undefined ? { timeoutMs: o.timeout * 1000 } : {}),
        ...(o.image !== undefined ? { image: o.image } : {}),
        progress: (m) => io.err(`boot-real: ${m}\n`),
      },
      presets.length > 0 ? { writePointerTarget: presets[0]!.name } : {},
    );
    const written = o.out !== undefined ? writeOutcome(o.out, result.outcome) : [];
    const r = result.observation;
    if (o.json === true) {
      const observed = {
        qemu: r.run.qemuVersion,
        firmwareImage: r.run.image.description,
        argv: r.run.argv,
        completed: r.run.completed,
        secondsToMarker: r.run.secondsToMarker,
        stoppedAfterSeconds: Math.round(r.run.stoppedAfterS * 10) / 10,
        loaderSelected: r.loaderSelected,
        rsdpCandidates: r.rsdpCandidates,
        efiConfigurationTable: r.efiAcpi,
        summary: result.outcome.json['summary'],
      };
      io.out(jsonText({ firmware: firmwareJson(result.report), writableFiles: result.writableFiles, observed, ...(written.length > 0 ? { written } : {}) }));
      return 0;
    }
    let text = bootAccount(result.report, { loaderFrom: 'script' });
    for (const [name, bytes] of Object.entries(result.writableFiles)) text += `writable ${name} now holds ${bytes}\n`;
    text += `observed: ${String(result.outcome.json['summary'])}\n`;
    if (written.length > 0) text += `wrote ${written.length} files into ${o.out} (outcome.json, mem/, os-tables/, logs)\n`;
    io.out(text);
    return 0;
  } catch (err) {
    if (!(err instanceof RealBootUnavailable)) throw err;
    io.err(`fwcfg: boot-real skipped: ${err.message}\n`);
    return EXIT_SKIPPED;
  }
}

interface ConfigFlags {
  firmware: string;
  boots?: number;
  compare?: true;
  timeout?: number;
  image?: string;
  out?: string;
  json?: true;
}

async function configCommand(config: string, o: ConfigFlags, io: Io): Promise<number> {
  const firmware = firmwareNameOf(o.firmware) as RealFirmware;
  const boots = o.boots ?? 1;
  const vector = openVector(config);
  const out = o.out;
  const written: string[] = [];
  try {
    const life = await bootRealConfig({
      vector,
      firmware,
      spec: o.firmware,
      boots,
      compare: o.compare === true,
      ...(o.timeout !== undefined ? { timeoutMs: o.timeout * 1000 } : {}),
      ...(o.image !== undefined ? { image: o.image } : {}),
      ...(out !== undefined ? { onBoot: (b: LiveBoot, ram: GuestMemory) => written.push(...writeAllocations(join(out, `boot${b.boot}`), b.firmware, ram)) } : {}),
      progress: (m) => io.err(`boot-real: ${m}\n`),
    });
    const agree = life.comparison === null || life.comparison.every((c) => c.equal);
    if (o.json === true) {
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
        if (c.caveat !== undefined) lines.push(`    note: ${c.caveat}`);
        for (const k of c.checks) lines.push(`    ${k.status === 'same' ? 'same' : k.status === 'different' ? 'DIFF' : k.status === 'not-modelled' ? 'n/m ' : 'n/a '}  ${k.what}: ${k.detail}`);
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
