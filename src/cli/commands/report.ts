/** `fwcfg report (VECTOR_DIR | CAPTURE_DIR) -o FILE.html [--quiet]`: the whole story as one self-contained HTML file. */
import { Command, Option } from '@commander-js/extra-typings';
import { openConfiguration } from '../../vectors/configuration.js';
import { writeOutput } from '../output.js';
import { examples, type CliCommand } from '../program.js';
import { storyWithReport } from '../report-output.js';
import { inputDir, outputFile } from '../values.js';

export const reportCommand: CliCommand = {
  name: 'report',
  build: (cli) =>
    new Command('report')
      .summary("the whole story drawn: one self-contained HTML file (memory maps, RAM block gauges, the loader, boots side by side, lint)")
      .description(
        "Tell a vector's or capture's whole story as `fwcfg check` does, and draw it as one HTML file that opens from disk (inline SVG and CSS, no network): each boot's guest memory map per firmware with ADD_POINTER links, every /rom@ RAM block's used length against its maximum under each modelled QEMU, the annotated loader with what each firmware ran, boots side by side, and lint's findings linked to what they are about.",
      )
      .argument('<DIR>', 'a vector or capture directory', inputDir('', 'a vector or capture'))
      .addOption(new Option('-o, --out <FILE>', 'the HTML file to write, e.g. -o /tmp/seed.html').argParser(outputFile('--out')).makeOptionMandatory())
      .addOption(new Option('--quiet', 'no progress lines on stderr'))
      .addHelpText('after', examples('fwcfg report spec-vectors/qemu-7.2/seed -o /tmp/seed.html', 'fwcfg report /tmp/myvm -o /tmp/myvm.html --quiet'))
      .action((dir, o) => {
        const progress = o.quiet === true ? () => undefined : (m: string) => cli.io.err(`report: ${m}\n`);
        const { html } = storyWithReport(openConfiguration(dir), progress);
        writeOutput(o.out, html);
        cli.io.out(`wrote ${o.out}\n`);
      }),
};
