// `npm run build && node scripts/boot-real-corpus.mjs [--case ID ...] [--firmware seabios|ovmf ...] [--report FILE]
// [--record] [--timeout SECONDS]`: every conformance case booted on the real firmware with `boot-real`, one QEMU at a
// time. Default: each result is compared with the case's recorded outcome (what the firmware did: bases, final bytes
// of every copy, write-back, RSDP, tables, warnings) and the differences printed; --report writes them as JSON.
// --record writes the outcome into <case>/<firmware>/ instead, for the cases scripts/gen-conformance-cases.mjs made
// (the copied cases are never rewritten). Exit 0 when everything agrees, 1 otherwise, 77 when QEMU or a firmware
// is missing.
import { parseArgs } from 'node:util';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bootRealObserved, writeOutcome } from '../dist/src/bootreal/boot-real.js';
import { compareOutcomes, outcomeFromDir, outcomeFromFiles } from '../dist/src/bootreal/compare.js';
import { caseBootInput, caseOutcomeOptions } from '../dist/src/bootreal/corpus-input.js';
import { RealBootUnavailable } from '../dist/src/bootreal/firmware-images.js';
import { loadCase } from '../dist/src/simulate/corpus-case.js';

const ROOT = new URL('..', import.meta.url).pathname;
const CORPUS = join(ROOT, 'spec-vectors/firmware-conformance');
const GENERATED = 'synthetic (scripts/gen-conformance-cases.mjs, this project)';
const { values } = parseArgs({
  options: { case: { type: 'string', multiple: true }, firmware: { type: 'string', multiple: true }, report: { type: 'string' }, record: { type: 'boolean' }, timeout: { type: 'string' } },
});
const ids = values.case ?? readdirSync(CORPUS, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
const firmwares = values.firmware ?? ['seabios', 'ovmf'];
const results = [];
let failed = 0;
const t0 = Date.now();
try {
  for (const id of ids) {
    const c = loadCase(join(CORPUS, id));
    if (values.record && c.json.origin !== GENERATED) {
      console.log(`${id}: not made by the generator, never re-recorded`);
      failed++;
      continue;
    }
    for (const firmware of firmwares) {
      const t = Date.now();
      const input = caseBootInput(c, firmware, values.timeout ? { timeoutMs: Number(values.timeout) * 1000 } : {});
      const r = await bootRealObserved(input, caseOutcomeOptions(c));
      const seconds = (Date.now() - t) / 1000;
      if (values.record) {
        const dir = join(c.dir, firmware);
        rmSync(dir, { recursive: true, force: true });
        const written = writeOutcome(dir, r.outcome);
        console.log(`${id} ${firmware}: recorded ${written.length} files (${seconds.toFixed(1)} s): ${r.outcome.json.summary}`);
        continue;
      }
      const recorded = join(c.dir, firmware);
      const differences = existsSync(join(recorded, 'outcome.json')) ? compareOutcomes(outcomeFromDir(recorded), outcomeFromFiles(r.outcome.json, r.outcome.files)) : ['no recorded outcome'];
      if (differences.length > 0) failed++;
      results.push({ case: id, firmware, seconds, same: differences.length === 0, differences, recorded_by: JSON.parse(readFileSync(join(recorded, 'outcome.json'), 'utf8')).recorded_by ?? 'the corpus harness (shared/vectors)' });
      console.log(`${id} ${firmware}: ${differences.length === 0 ? 'same as recorded' : `${differences.length} differences`} (${seconds.toFixed(1)} s)`);
      for (const d of differences) console.log(`    ${d}`);
    }
  }
} catch (err) {
  if (!(err instanceof RealBootUnavailable)) throw err;
  console.log(`skipped: ${err.message}`);
  process.exit(77);
}
const total = (Date.now() - t0) / 1000;
if (!values.record) {
  const same = results.filter((r) => r.same).length;
  console.log(`${same} of ${results.length} runs equal their recorded outcome (${total.toFixed(0)} s)`);
  if (values.report) writeFileSync(values.report, JSON.stringify({ date: new Date().toISOString(), seconds: Math.round(total), runs: results.length, same, results }, null, 1) + '\n');
}
process.exitCode = failed === 0 ? 0 : 1;
