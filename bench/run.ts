/**
 * `npm run bench [-- --json] [-- --filter REGEX] [-- --pairs N]`: runs every
 * bench/*.bench suite with mitata, then the seed run against the C executor in
 * N pairs of windows, and the fw_cfg DMA against C memcpy and the entry encode against the C
 * encode in as many (bench/paired.ts; 60 unless given, 0 for none). Human output goes to stdout; with --json the mitata
 * tables go to stderr and stdout carries one JSON document. After the
 * TypeScript cases, bench/native/reference.c (gcc -O2) measures the same work
 * natively and the summary gives the ratios (bench/native.ts).
 */
import { readdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { cpus, loadavg } from 'node:os';
import { formatResults, runCases } from './harness.js';
import { compareNative, formatNative, nativeInputs, nativeWanted, runNative } from './native.js';
import { formatPaired, formatPairedDma, formatPairedEncode, pairedDmaWindows, pairedEncodeWindows, pairedSeedWindowsApart } from './paired.js';

const { values } = parseArgs({ options: { json: { type: 'boolean' }, filter: { type: 'string' }, pairs: { type: 'string' } } });
const pairs = values.pairs === undefined ? 60 : Number(values.pairs);
if (!Number.isSafeInteger(pairs) || pairs < 0) {
  process.stderr.write(`bench: --pairs ${values.pairs}: not a whole number of paired windows\n`);
  process.exit(2);
}
const here = dirname(fileURLToPath(import.meta.url));
for (const f of readdirSync(here).filter((f) => f.endsWith('.bench.js')).sort()) await import(pathToFileURL(`${here}/${f}`).href);

const json = values.json === true;
/** Whether the run timed the fw_cfg DMA case (its paired windows go with it). */
const dmaSelected = (results: readonly { group: string; baseline: boolean }[]) => results.some((r) => r.group === 'DMA 2 MiB into guest RAM' && !r.baseline);
/** Whether it timed the entry encode. */
const encodeSelected = (results: readonly { group: string; name: string }[]) => results.some((r) => r.group === 'loader 64 KiB' && r.name.startsWith('encode'));
const encodedEntries = () => (nativeInputs.entries?.length ?? 0) / 128;
const filter = values.filter !== undefined ? new RegExp(values.filter) : undefined;
if (json) {
  // keep stdout for the JSON document
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = process.stderr.write.bind(process.stderr) as typeof process.stdout.write;
  const results = await runCases(filter, false);
  const wanted = nativeWanted(results);
  const native = runNative(wanted);
  const paired = wanted.exec && pairs > 0 ? pairedSeedWindowsApart(pairs) : undefined;
  const pairedDma = dmaSelected(results) && pairs > 0 ? await pairedDmaWindows(pairs) : undefined;
  const pairedEncode = encodeSelected(results) && pairs > 0 ? await pairedEncodeWindows(pairs) : undefined;
  process.stdout.write = write;
  const doc = {
    node: process.version,
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    load: loadavg(),
    date: new Date().toISOString(),
    results,
    native: Object.fromEntries(native),
    againstNative: compareNative(results, native),
    pairedSeed: paired ?? null,
    pairedDma: pairedDma ?? null,
    pairedEncode: pairedEncode ?? null,
  };
  process.stdout.write(JSON.stringify(doc, null, 2) + '\n');
} else {
  const results = await runCases(filter, false);
  const wanted = nativeWanted(results);
  const native = runNative(wanted);
  process.stdout.write(formatResults(results));
  process.stdout.write(formatNative(compareNative(results, native), native));
  const paired = wanted.exec && pairs > 0 ? pairedSeedWindowsApart(pairs) : undefined;
  if (paired !== undefined) process.stdout.write(formatPaired(paired));
  const pairedDma = dmaSelected(results) && pairs > 0 ? await pairedDmaWindows(pairs) : undefined;
  if (pairedDma !== undefined) process.stdout.write(formatPairedDma(pairedDma));
  const pairedEncode = encodeSelected(results) && pairs > 0 ? await pairedEncodeWindows(pairs) : undefined;
  if (pairedEncode !== undefined) process.stdout.write(formatPairedEncode(pairedEncode, encodedEntries()));
  process.stdout.write(`load average at the end: ${loadavg().map((x) => x.toFixed(2)).join(', ')} (${cpus().length} cores)\n`);
}
