/** `fwcfg check [--out DIR] [--json] [--html FILE] [--timeout S] [--quiet] -- [BINARY] QEMU_ARGS...`: capture the user's command line, then tell its whole story (and draw it). */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../../errors.js';
import { captureQemu } from '../../qemu/capture.js';
import { openConfiguration } from '../../vectors/configuration.js';
import { parse } from '../args.js';
import { jsonText, writeOutput, type Io } from '../output.js';
import { checkHtmlPath, storyWithReport } from '../report-output.js';
import { storyJson, storyText, wholeStory } from '../whole-story.js';

export const usage = 'fwcfg check [--out DIR] [--json] [--html FILE] [--timeout SECONDS] [--quiet] -- [qemu-system-*] QEMU_ARGS...   (or fwcfg check VECTOR_OR_CAPTURE_DIR [--json] [--html FILE])';

export async function check(argv: string[], io: Io): Promise<number> {
  const dash = argv.indexOf('--');
  const own = dash < 0 ? argv : argv.slice(0, dash);
  const { values, positionals } = parse('check', own, {
    out: { type: 'string' },
    json: { type: 'boolean' },
    html: { type: 'string' },
    timeout: { type: 'string' },
    quiet: { type: 'boolean' },
  });
  const progress = values['quiet'] === true ? () => undefined : (m: string) => io.err(`check: ${m}\n`);
  const html = values['html'] as string | undefined;
  // before a capture that may take minutes
  if (html !== undefined) checkHtmlPath('check: --html', html);
  let dir: string;
  let temporary: string | undefined;
  if (dash < 0) {
    // a directory already captured (or a vector): the story without a live QEMU
    if (positionals.length !== 1) throw new UsageError('USAGE', 'check: give QEMU arguments after -- (e.g. fwcfg check -- qemu-system-x86_64 -machine q35), or one capture or vector directory');
    if (values['out'] !== undefined) throw new UsageError('USAGE', 'check: --out goes with a command line to capture (after --)');
    dir = positionals[0]!;
  } else {
    if (positionals.length > 0) throw new UsageError('USAGE', `check: unexpected ${JSON.stringify(positionals[0])} before --`);
    if (argv.length === dash + 1) throw new UsageError('USAGE', 'check: no QEMU arguments after --');
    let timeoutMs: number | undefined;
    if (values['timeout'] !== undefined) {
      const s = Number(values['timeout']);
      if (!/^\d+(\.\d+)?$/.test(String(values['timeout'])) || !(s > 0) || s > 3600) throw new UsageError('USAGE', `check: --timeout ${String(values['timeout'])}: seconds, more than 0 and at most 3600`);
      timeoutMs = s * 1000;
    }
    const out = values['out'] as string | undefined;
    if (out !== undefined && existsSync(join(out, 'items.json'))) throw new UsageError('CAPTURE_EXISTS', `check: ${out} already holds a capture; give another --out, or run fwcfg check ${out}`);
    temporary = out === undefined ? mkdtempSync(join(tmpdir(), 'fwcfg-check-')) : undefined;
    dir = out ?? temporary!;
    try {
      await captureQemu({ out: dir, qemuArgs: argv.slice(dash + 1), force: temporary !== undefined, ...(timeoutMs !== undefined ? { timeoutMs } : {}), progress });
    } catch (err) {
      if (temporary !== undefined) rmSync(temporary, { recursive: true, force: true });
      throw err;
    }
  }
  try {
    const cfg = openConfiguration(dir);
    const drawn = html === undefined ? undefined : storyWithReport(cfg, progress);
    const story = drawn?.story ?? wholeStory(cfg, progress);
    if (drawn !== undefined) writeOutput(html!, drawn.html);
    const kept = temporary === undefined && dash >= 0 ? `capture kept in ${dir}\n` : '';
    io.out(values['json'] === true ? jsonText({ capture: temporary === undefined ? dir : null, ...storyJson(story), ...(html !== undefined ? { html } : {}) }) : storyText(story) + kept + (html !== undefined ? `report written to ${html}\n` : ''));
    return story.errors > 0 ? 1 : 0;
  } finally {
    if (temporary !== undefined) rmSync(temporary, { recursive: true, force: true });
  }
}
