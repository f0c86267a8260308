/** `fwcfg report (VECTOR_DIR | CAPTURE_DIR) -o FILE.html [--quiet]`: the whole story as one self-contained HTML file. */
import { UsageError } from '../../errors.js';
import { openConfiguration } from '../../vectors/configuration.js';
import { onePositional, parse } from '../args.js';
import { writeOutput, type Io } from '../output.js';
import { checkHtmlPath, storyWithReport } from '../report-output.js';

export const usage = 'fwcfg report (VECTOR_DIR | CAPTURE_DIR) -o FILE.html [--quiet]';

export function report(argv: string[], io: Io): number {
  const { values, positionals } = parse('report', argv, { out: { type: 'string', short: 'o' }, quiet: { type: 'boolean' } });
  const dir = onePositional('report', positionals, 'vector or capture directory');
  const out = values['out'];
  if (typeof out !== 'string') throw new UsageError('USAGE', 'report: give the HTML file to write: -o FILE.html');
  checkHtmlPath('report: -o', out);
  const progress = values['quiet'] === true ? () => undefined : (m: string) => io.err(`report: ${m}\n`);
  const { html } = storyWithReport(openConfiguration(dir), progress);
  writeOutput(out, html);
  io.out(`wrote ${out}\n`);
  return 0;
}
