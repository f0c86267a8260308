/** `fwcfg lint LOADER.bin --file NAME=PATH ... [--json]` or `fwcfg lint VECTOR_OR_CAPTURE_DIR [--json]`; exit 1 on any error finding. */
import { openVector } from '../../vectors/configuration.js';
import { statSync } from 'node:fs';
import { InputError, UsageError } from '../../errors.js';
import { LOADER_FILE } from '../../loader/constants.js';
import { lintScript, lintVector, type LintReport } from '../../lint/lint.js';
import { captureRebootHazards } from '../../lint/reboot-hazard.js';
import { isQemuWritableFile } from '../../qemu/known-files.js';
import type { ExecFile } from '../../simulate/exec-machine.js';
import { loadItemsCapture } from '../../vectors/items-capture.js';
import { readBytes, type Vector } from '../../vectors/vector.js';
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
  if (dir && values['file'] !== undefined) throw new UsageError('USAGE', `lint: --file goes with a loader file, not with a directory (${input} brings its own files)`);
  const vector = dir ? vectorOrOldCapture(input) : undefined;
  if (vector !== undefined) report = lintVector(vector);
  else if (dir) {
    const cap = loadItemsCapture(input);
    const files: ExecFile[] = cap.items.filter((i) => i.kind === 'file').map((i) => ({ name: i.name, data: i.bytes, writable: i.writable ?? isQemuWritableFile(i.name) }));
    if (!files.some((f) => f.name === LOADER_FILE)) throw new UsageError('NO_LOADER', `${input}: the capture serves no etc/table-loader`);
    report = lintScript(input, files, { standardFiles: false });
    // an item capture alone holds QEMU's tables after an unprogrammed rebuild: no firmware's view, no creation blobs
    report.findings.push({
      severity: 'warning',
      entry: -1,
      code: 'OLD_CAPTURE',
      message: `${input} has no creation blobs or firmware rebuilds (capture_format ${cap.json.capture_format ?? 1}): only its served files were linted; capture it again without --no-firmware for the firmware's view`,
    });
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

/** A vector or a capture through the one reader; undefined for an item capture without firmware rebuilds. */
function vectorOrOldCapture(dir: string): Vector | undefined {
  try {
    return openVector(dir);
  } catch (err) {
    if (err instanceof InputError && err.code === 'OLD_CAPTURE') return undefined;
    throw err;
  }
}
