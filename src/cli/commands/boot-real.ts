/**
 * `fwcfg boot-real LOADER.bin --file NAME=PATH ... --firmware seabios|ovmf [--writable NAME=PATH ...] [--no-dma]
 * [--qemu-arg ARG ...] [--timeout SECONDS] [--image PATH] [--out DIR] [--json]`: the script on the real
 * firmware under a real QEMU, reported as `fwcfg exec` reports the emulated one. Exit 77 (skipped) when
 * QEMU or the firmware is not installed.
 */
import { UsageError } from '../../errors.js';
import { LOADER_FILE } from '../../loader/constants.js';
import { bootRealObserved, writeOutcome } from '../../bootreal/boot-real.js';
import { REAL_FIRMWARES, RealBootUnavailable, type RealFirmware } from '../../bootreal/firmware-images.js';
import { readBytes } from '../../vectors/vector.js';
import { namedPaths, onePositional, parse } from '../args.js';
import { bootAccount, firmwareJson } from '../boot-output.js';
import { jsonText, type Io } from '../output.js';

export const usage =
  'fwcfg boot-real LOADER.bin --file NAME=PATH ... --firmware seabios|ovmf [--writable NAME=PATH ...] [--no-dma] [--qemu-arg ARG ...] [--timeout SECONDS] [--image PATH] [--out DIR] [--json]';

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
  });
  const loaderPath = onePositional('boot-real', positionals, 'loader file');
  const firmware = values['firmware'] as string | undefined;
  if (firmware === undefined || !(REAL_FIRMWARES as readonly string[]).includes(firmware)) throw new UsageError('USAGE', `boot-real: --firmware ${firmware ?? '(missing)'}: use ${REAL_FIRMWARES.join(' or ')}`);
  const timeoutText = values['timeout'] as string | undefined;
  const timeout = timeoutText === undefined ? undefined : Number(timeoutText);
  if (timeout !== undefined && !(Number.isFinite(timeout) && timeout > 0 && timeout <= 3600)) throw new UsageError('USAGE', `boot-real: --timeout ${timeoutText}: seconds between 0 and 3600`);
  const files = [
    { name: LOADER_FILE, data: readBytes(loaderPath, 'loader'), file: loaderPath },
    ...namedPaths('boot-real', 'file', values['file']).map(({ name, path }) => ({ name, data: readBytes(path, `file ${name}`), file: path })),
  ];
  const presets = namedPaths('boot-real', 'writable', values['writable']).map(({ name, path }) => ({ name, data: readBytes(path, `writable file ${name}`) }));
  const qemuArgs = values['qemu-arg'] as string[] | undefined;
  try {
    const result = await bootRealObserved(
      {
        firmware: firmware as RealFirmware,
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
