/**
 * `node dist/bench/ab-worker.js DIST_A DIST_B PAIRS`: one process of bench/ab.ts.
 * Loads the seed SeaBIOS run of two builds (each build's own bench/firmware.bench.js
 * registers it in its own bench/native.js, so a build is measured with the code it
 * shipped), warms both, then times PAIRS pairs of batches taking turns, alternating
 * which goes first. One JSON document on stdout: each build's median batch (ns a
 * run), the geometric mean of the pairs' B/A ratios, and whether both builds gave
 * the same results (RSDP, warnings, placed bytes, the tables walked).
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { median } from './harness.js';

/** What a build's bench registers for the seed run (bench/native.ts `nativeInputs.exec`). */
interface SeedRun {
  run: () => unknown;
  expect: () => unknown;
}

const BATCH = 50;
const WARM_RUNS = 30_000;

async function seedRunOf(dist: string): Promise<SeedRun> {
  await import(pathToFileURL(join(dist, 'bench', 'firmware.bench.js')).href);
  const native = (await import(pathToFileURL(join(dist, 'bench', 'native.js')).href)) as { nativeInputs?: { exec?: Partial<SeedRun> } };
  const exec = native.nativeInputs?.exec;
  if (typeof exec?.run !== 'function' || typeof exec.expect !== 'function') throw new Error(`${dist}: its bench registers no seed run (nativeInputs.exec with run and expect)`);
  return exec as SeedRun;
}

function batch(seed: SeedRun): number {
  const t = performance.now();
  for (let i = 0; i < BATCH; i++) seed.run();
  return ((performance.now() - t) * 1e6) / BATCH;
}


const [distA, distB, pairsArg] = process.argv.slice(2);
const pairs = Number(pairsArg ?? '300');
if (distA === undefined || distB === undefined || !Number.isInteger(pairs) || pairs < 1) {
  process.stderr.write('ab-worker: usage: ab-worker.js DIST_A DIST_B PAIRS\n');
  process.exit(2);
}
let a: SeedRun;
let b: SeedRun;
try {
  a = await seedRunOf(distA);
  b = await seedRunOf(distB);
} catch (err) {
  // one line for bench/ab.ts to pass on (an old build without the registration, a build that does not load)
  process.stderr.write(`${err instanceof Error ? err.message.split('\n')[0] : String(err)}\n`);
  process.exit(2);
}
const same = JSON.stringify(a.expect()) === JSON.stringify(b.expect());
for (let i = 0; i < WARM_RUNS; i++) {
  a.run();
  b.run();
}
const timesA: number[] = [];
const timesB: number[] = [];
let logSum = 0;
for (let k = 0; k < pairs; k++) {
  let ta: number;
  let tb: number;
  if (k % 2 === 0) {
    ta = batch(a);
    tb = batch(b);
  } else {
    tb = batch(b);
    ta = batch(a);
  }
  timesA.push(ta);
  timesB.push(tb);
  logSum += Math.log(tb / ta);
}
process.stdout.write(JSON.stringify({ medianA: median(timesA), medianB: median(timesB), ratio: Math.exp(logSum / pairs), same }) + '\n');
