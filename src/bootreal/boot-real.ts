/** A real boot end to end: run, observe, and the two ways of telling it (exec's report, the corpus's outcome files). */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { InputError } from '../errors.js';
import type { FirmwareReport } from '../firmware/report.js';
import { observe, type Observation } from './observe.js';
import { outcomeFiles, type OutcomeFiles, type OutcomeOptions } from './outcome-json.js';
import { realReport } from './real-report.js';
import { bootReal, type RealBootInput } from './run.js';

export interface RealBootResult {
  observation: Observation;
  report: FirmwareReport;
  outcome: OutcomeFiles;
  /** Every writable fw_cfg file after the boot, lowercase hex (as `fwcfg exec --json` reports them). */
  writableFiles: Record<string, string>;
}

export async function bootRealObserved(input: RealBootInput, options: OutcomeOptions = {}): Promise<RealBootResult> {
  const run = await bootReal(input);
  input.progress?.('locating the blobs and tables in guest RAM');
  const observation = observe(run, input.files);
  const writableFiles: Record<string, string> = {};
  for (const w of observation.writable) writableFiles[w.name] = Buffer.from(w.after).toString('hex');
  return { observation, report: realReport(observation), outcome: outcomeFiles(observation, options), writableFiles };
}

/** Writes outcome.json and the files it names into `dir`; returns the paths written. */
export function writeOutcome(dir: string, outcome: OutcomeFiles): string[] {
  const written: string[] = [];
  const put = (rel: string, data: Uint8Array | string) => {
    const path = join(dir, rel);
    try {
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, data);
    } catch (err) {
      throw new InputError('WRITE_FAILED', `cannot write ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    written.push(path);
  };
  put('outcome.json', JSON.stringify(outcome.json, null, 1) + '\n');
  for (const [rel, data] of outcome.files) put(rel, data);
  return written;
}
