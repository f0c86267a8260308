/**
 * `npm run bench [-- --json] [-- --filter REGEX]`: runs every bench/*.bench
 * suite with mitata. Human output goes to stdout; with --json the mitata
 * tables go to stderr and stdout carries one JSON document.
 */
import { readdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { cpus } from 'node:os';
import { formatResults, runCases } from './harness.js';

const { values } = parseArgs({ options: { json: { type: 'boolean' }, filter: { type: 'string' } } });
const here = dirname(fileURLToPath(import.meta.url));
for (const f of readdirSync(here).filter((f) => f.endsWith('.bench.js')).sort()) await import(pathToFileURL(`${here}/${f}`).href);

const json = values.json === true;
const filter = values.filter !== undefined ? new RegExp(values.filter) : undefined;
if (json) {
  // keep stdout for the JSON document
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = process.stderr.write.bind(process.stderr) as typeof process.stdout.write;
  const results = await runCases(filter, false);
  process.stdout.write = write;
  const doc = { node: process.version, cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, date: new Date().toISOString(), results };
  process.stdout.write(JSON.stringify(doc, null, 2) + '\n');
} else {
  const results = await runCases(filter, false);
  process.stdout.write(formatResults(results));
}
