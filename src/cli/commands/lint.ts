/** `fwcfg lint LOADER.bin --file NAME=PATH ... [--json]` or `fwcfg lint VECTOR_OR_CAPTURE_DIR [--json]`; exit 1 on any error finding. */
import { statSync } from 'node:fs';
import { Command } from '@commander-js/extra-typings';
import { InputError, UsageError } from '../../errors.js';
import { decodeLoader } from '../../loader/codec.js';
import { LOADER_FILE } from '../../loader/constants.js';
import { lintScript, lintVector, type LintReport } from '../../lint/lint.js';
import { captureRebootHazards } from '../../lint/reboot-hazard.js';
import { isQemuWritableFile } from '../../qemu/known-files.js';
import { execMachine, type ExecFile } from '../../simulate/exec-machine.js';
import { policyFor } from '../../simulate/options.js';
import { openVector } from '../../vectors/configuration.js';
import { loadItemsCapture } from '../../vectors/items-capture.js';
import { readBytes, type Vector } from '../../vectors/vector.js';
import { fileOption, jsonOption } from '../options.js';
import { jsonText } from '../output.js';
import { examples, type CliCommand } from '../program.js';
import { inputPath } from '../values.js';

export const lintCommand: CliCommand = {
  name: 'lint',
  build: (cli) =>
    new Command('lint')
      .summary('run a loader (or a configuration) under every firmware and report hazards; exit 1 on errors')
      .description(
        "Run a loader script, or a vector's or capture's configuration, under every firmware personality, and report each verdict, the differences between them and static hazards (checksums, headroom against QEMU's ROM maxima, file slots, zones, the stale loader size, reboot hazards). Exit 0 without errors, 1 with.",
      )
      .argument('<INPUT>', 'a loader script (with --file for the files it names), or a vector or capture directory', inputPath('', 'a loader script or a vector or capture'))
      .addOption(fileOption())
      .addOption(jsonOption())
      .addHelpText('after', examples('fwcfg lint spec-vectors/qemu-7.2/seed', 'fwcfg lint loader.bin --file etc/acpi/tables=tables.bin --file etc/acpi/rsdp=rsdp.bin --json'))
      .action((input, o) => {
        let report: LintReport;
        let missing: string[] = [];
        if (statSync(input).isDirectory()) {
          if (o.file !== undefined) throw new UsageError('USAGE', `--file goes with a loader file, not with a directory (${input} brings its own files)`);
          report = lintDirectory(input);
        } else {
          const files: ExecFile[] = [{ name: LOADER_FILE, data: readBytes(input, 'loader') }, ...(o.file ?? []).map(({ name, path }) => ({ name, data: readBytes(path, `file ${name}`) }))];
          missing = unserved(files);
          report = lintScript(input, files);
        }
        cli.io.out(o.json === true ? jsonText(report) : render(report, missing));
        cli.status = report.errors > 0 ? 1 : 0;
      }),
};

function lintDirectory(input: string): LintReport {
  const vector = vectorOrOldCapture(input);
  if (vector !== undefined) return lintVector(vector);
  const cap = loadItemsCapture(input);
  const files: ExecFile[] = cap.items.filter((i) => i.kind === 'file').map((i) => ({ name: i.name, data: i.bytes, writable: i.writable ?? isQemuWritableFile(i.name) }));
  if (!files.some((f) => f.name === LOADER_FILE)) throw new UsageError('NO_LOADER', `${input}: the capture serves no etc/table-loader`);
  const report = lintScript(input, files, { standardFiles: false });
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
  return report;
}

/** Files the loader's ALLOCATEs name that neither --file nor QEMU's standard files serve. */
function unserved(files: ExecFile[]): string[] {
  const loader = files[0]!.data;
  if (loader.length % 128 !== 0) return [];
  const machine = execMachine(files.map((f) => ({ ...f, data: f.data.slice() })), policyFor(undefined));
  const named = new Set(decodeLoader(loader).flatMap((e) => (e.type === 'allocate' ? [e.file] : [])));
  return [...named].filter((n) => machine.device.findFile(n) === undefined);
}

/** Repeated lines once, with their count. */
function counted(lines: readonly string[]): string[] {
  const n = new Map<string, number>();
  for (const l of lines) n.set(l, (n.get(l) ?? 0) + 1);
  return [...n].map(([l, c]) => (c > 1 ? `${l} (${c} times)` : l));
}

function render(r: LintReport, missing: string[]): string {
  const out = [`${r.input}:`];
  if (missing.length > 0) out.push(`  the loader ALLOCATEs ${missing.join(', ')}, which no --file gives: every firmware meets a missing file (give --file NAME=PATH for each)`);
  for (const p of r.personalities) {
    const warnings = counted(p.warnings);
    out.push(`  ${p.firmware.padEnd(8)} ${p.verdict} (${p.commandsExecuted} commands${p.warnings.length > 0 ? `, ${p.warnings.length} warning${p.warnings.length === 1 ? '' : 's'}` : ''})`);
    for (const w of warnings) out.push(`             ${w}`);
  }
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
