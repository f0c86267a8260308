/** `fwcfg lint LOADER.bin --file NAME=PATH ... [--json]` or `fwcfg lint VECTOR_OR_CAPTURE_DIR [--json]`; exit 1 on any error finding. */
import { openVector } from '../../vectors/configuration.js';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../../errors.js';
import { LOADER_FILE } from '../../loader/constants.js';
import { lintScript, lintVector, type LintReport } from '../../lint/lint.js';
import { captureRebootHazards } from '../../lint/reboot-hazard.js';
import { isQemuWritableFile } from '../../qemu/known-files.js';
import type { ExecFile } from '../../simulate/exec-machine.js';
import { loadItemsCapture } from '../../vectors/items-capture.js';
import { readBytes } from '../../vectors/vector.js';
import { namedPaths, onePositional, parse } from '../args.js';
import { jsonText, type Io } from '../output.js';

export const usage = 'fwcfg lint (LOADER.bin --file NAME=PATH ... | VECTOR_OR_CAPTURE_DIR) [--json]';

export function lint(argv: string[], io: Io): number {
  const { values, positionals } = parse('lint', argv, { file: { type: 'string', multiple: true }, json: { type: 'boolean' } });
  const input = onePositional('lint', positionals, 'loader file or directory');
  let report: LintReport;
  let dir = false;
  try {
    dir = statSync(input).isDirectory();
  } catch {
    /* readBytes names the problem */
  }
  if (dir && (existsSync(join(input, 'manifest.json')) || captureFormat(input) >= 3)) report = lintVector(openVector(input));
  else if (dir) {
    const cap = loadItemsCapture(input);
    const files: ExecFile[] = cap.items.filter((i) => i.kind === 'file').map((i) => ({ name: i.name, data: i.bytes, writable: i.writable ?? isQemuWritableFile(i.name) }));
    if (!files.some((f) => f.name === LOADER_FILE)) throw new UsageError('NO_LOADER', `${input}: the capture serves no etc/table-loader`);
    report = lintScript(input, files, { standardFiles: false });
    const hazards = captureRebootHazards(cap);
    report.findings.push(...hazards);
    report.errors += hazards.filter((f) => f.severity === 'error').length;
  } else {
    const files: ExecFile[] = [{ name: LOADER_FILE, data: readBytes(input, 'loader') }, ...namedPaths('lint', 'file', values['file']).map(({ name, path }) => ({ name, data: readBytes(path, `file ${name}`) }))];
    report = lintScript(input, files);
  }
  if (values['json'] === true) io.out(jsonText(report));
  else io.out(render(report));
  return report.errors > 0 ? 1 : 0;
}

function render(r: LintReport): string {
  const out = [`${r.input}:`];
  for (const p of r.personalities) out.push(`  ${p.firmware.padEnd(8)} ${p.verdict} (${p.commandsExecuted} commands)${p.warnings.length > 0 ? ': ' + p.warnings.join('; ') : ''}`);
  if (r.differences.length > 0) out.push('differences:', ...r.differences.map((d) => `  ${d}`));
  if (r.findings.length > 0) out.push('findings:', ...r.findings.map((f) => `  ${f.severity.padEnd(7)} [${f.entry < 0 ? '-' : f.entry}] ${f.code}: ${f.message}`));
  const warnings = r.findings.filter((f) => f.severity === 'warning').length;
  out.push(`${r.errors} error${r.errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}`);
  return out.join('\n') + '\n';
}

/** capture_format of a capture directory (0 when unreadable: the old capture path then names the problem). */
function captureFormat(dir: string): number {
  try {
    return loadItemsCapture(dir).json.capture_format ?? 1;
  } catch {
    return 0;
  }
}
