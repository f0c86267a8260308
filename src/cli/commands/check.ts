/** `fwcfg check [--out DIR] [--json] [--html FILE] [--timeout S] [--quiet] -- [BINARY] QEMU_ARGS...`: capture the user's command line, then tell its whole story (and draw it). */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, Option } from '@commander-js/extra-typings';
import { UsageError } from '../../errors.js';
import { captureQemu } from '../../qemu/capture.js';
import { openConfiguration } from '../../vectors/configuration.js';
import { jsonOption, outDirOption } from '../options.js';
import { jsonText, writeOutput } from '../output.js';
import { storyWithReport } from '../report-output.js';
import { examples, type CliCommand } from '../program.js';
import { inputDir, outputFile, seconds } from '../values.js';
import { storyJson, storyText, wholeStory } from '../whole-story.js';

export const checkCommand: CliCommand = {
  name: 'check',
  qemuCommandLine: true,
  build: (cli) =>
    new Command('check')
      .summary('your own QEMU command line: capture it, then tell what QEMU and each firmware will do; exit 1 on lint errors')
      .description(
        "Capture a QEMU command line from the installed QEMU (paused, never booted by you), then tell its whole story: the ACPI ROM blobs and their headroom, boot 1 under each firmware, reboots, migration to each modelled QEMU, lint's findings. Or tell it from a capture or vector already on disk. Exit 0 when clean, 1 when lint finds errors. Progress goes to stderr.",
      )
      .usage('[options] -- [qemu-system-*] QEMU_ARGS...   |   fwcfg check [options] DIR')
      .argument('[DIR]', 'a capture or vector directory to tell the story of (instead of QEMU arguments after --)', inputDir('', 'a capture or vector'))
      .addOption(outDirOption('keep the capture in DIR (default: a temporary directory, removed afterwards)'))
      .addOption(jsonOption())
      .addOption(new Option('--html <FILE>', 'also draw the story as one self-contained HTML file (what fwcfg report writes), e.g. --html /tmp/myvm.html').argParser(outputFile('--html')))
      .addOption(new Option('--timeout <SECONDS>', "how long each QEMU start of the capture may take (default 30), e.g. --timeout 120").argParser(seconds('--timeout')))
      .addOption(new Option('--quiet', 'no progress lines on stderr'))
      .addHelpText('after', examples('fwcfg check -- qemu-system-x86_64 -machine q35 -m 2G', 'fwcfg check spec-vectors/qemu-7.2/seed --html /tmp/seed.html', 'fwcfg check --json --out /tmp/myvm -- qemu-system-x86_64 -machine q35,nvdimm=on', 'fwcfg check spec-vectors/qemu-7.2/seed'))
      .action(async (given, o) => {
        const progress = o.quiet === true ? () => undefined : (m: string) => cli.io.err(`check: ${m}\n`);
        const qemuArgs = cli.qemuArgs;
        let dir: string;
        let temporary: string | undefined;
        if (qemuArgs === undefined) {
          // a directory already captured (or a vector): the story without a live QEMU
          if (given === undefined) throw new UsageError('USAGE', 'give QEMU arguments after -- (e.g. fwcfg check -- qemu-system-x86_64 -machine q35), or one capture or vector directory');
          for (const [flag, v] of [['--out', o.out], ['--timeout', o.timeout]] as const) if (v !== undefined) throw new UsageError('USAGE', `${flag} goes with a command line to capture (after --), not with ${given}`);
          dir = given;
        } else {
          if (given !== undefined) throw new UsageError('USAGE', `unexpected ${JSON.stringify(given)} before --: give either a directory or QEMU arguments after --`);
          if (qemuArgs.length === 0) throw new UsageError('USAGE', 'no QEMU arguments after --');
          if (o.out !== undefined && existsSync(join(o.out, 'items.json'))) throw new UsageError('CAPTURE_EXISTS', `${o.out} already holds a capture; give another --out, or run fwcfg check ${o.out}`);
          temporary = o.out === undefined ? mkdtempSync(join(tmpdir(), 'fwcfg-check-')) : undefined;
          dir = o.out ?? temporary!;
          try {
            await captureQemu({ out: dir, qemuArgs, force: temporary !== undefined, ...(o.timeout !== undefined ? { timeoutMs: o.timeout * 1000 } : {}), progress });
          } catch (err) {
            if (temporary !== undefined) rmSync(temporary, { recursive: true, force: true });
            throw err;
          }
        }
        try {
          const cfg = openConfiguration(dir);
          const drawn = o.html === undefined ? undefined : storyWithReport(cfg, progress);
          const story = drawn?.story ?? wholeStory(cfg, progress);
          if (drawn !== undefined) writeOutput(o.html!, drawn.html);
          const kept = temporary === undefined && qemuArgs !== undefined ? `capture kept in ${dir}\n` : '';
          cli.io.out(o.json === true ? jsonText({ capture: temporary === undefined ? dir : null, ...storyJson(story), ...(o.html !== undefined ? { html: o.html } : {}) }) : storyText(story) + kept + (o.html !== undefined ? `report written to ${o.html}\n` : ''));
          cli.status = story.errors > 0 ? 1 : 0;
        } finally {
          if (temporary !== undefined) rmSync(temporary, { recursive: true, force: true });
        }
      }),
};
