// Fuzz campaigns on worker threads: the same seed gives the same summary and the same reproducers
// whatever the number of workers (chunks with their own seeds, merged in chunk order).
import test from 'ava';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHUNK_ITERATIONS, runCampaign, saveReproducers, type CampaignResult } from '../src/fuzz/campaign.js';
import { runCampaignOnWorkers } from '../src/fuzz/workers.js';
import { fwcfg } from './helpers/cli.js';
import { surfaces } from './helpers/fuzz-canary.js';

const canary = { name: 'canary', module: new URL('./helpers/fuzz-canary.js', import.meta.url).href };

/** Everything but the wall time. */
const summary = (r: CampaignResult<unknown>) => ({ ...r, elapsedMs: undefined, failures: r.failures.map((f) => ({ ...f, input: surfaces.canary().serialize(f.input) })) });

/** Every file under `dir`, relative path -> contents, meta.json included. */
function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string) => {
    for (const e of readdirSync(join(dir, rel), { withFileTypes: true })) {
      const p = join(rel, e.name);
      if (e.isDirectory()) walk(p);
      else out[p] = readFileSync(join(dir, p)).toString('base64');
    }
  };
  walk('');
  return out;
}

test('the same seed on 1, 2 and 3 workers: identical summaries and reproducers', async (t) => {
  const iterations = 4 * CHUNK_ITERATIONS + 1234; // five chunks, the last one short
  const one = await runCampaignOnWorkers(canary, { iterations, seed: 99, workers: 1 });
  const two = await runCampaignOnWorkers(canary, { iterations, seed: 99, workers: 2 });
  const three = await runCampaignOnWorkers(canary, { iterations, seed: 99, workers: 3 });
  t.is(one.tried, iterations);
  t.true(one.failures.length >= 2 && one.rejected > 0, `the canary must fail and reject: ${JSON.stringify(summary(one)).slice(0, 300)}`);
  t.true(one.failures.some((f) => f.iteration >= CHUNK_ITERATIONS), 'failures from more than the first chunk');
  t.deepEqual(summary(two), summary(one));
  t.deepEqual(summary(three), summary(one));
  // in this thread, no worker module at all: still the same campaign
  t.deepEqual(summary(runCampaign(surfaces.canary(), { iterations, seed: 99 })), summary(one));

  const dirs = [one, two].map((r) => {
    const dir = mkdtempSync(join(tmpdir(), 'fwcfg-fuzz-'));
    saveReproducers(dir, surfaces.canary(), r.failures, 99);
    return dir;
  });
  try {
    t.deepEqual(tree(dirs[1]!), tree(dirs[0]!));
    t.true(Object.keys(tree(dirs[0]!)).length >= 4);
  } finally {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
  // another seed is another campaign
  const other = await runCampaignOnWorkers(canary, { iterations, seed: 100, workers: 2 });
  t.notDeepEqual(summary(other), summary(one));
});

test('fwcfg fuzz --workers: the JSON summary does not depend on the worker count', async (t) => {
  const out = mkdtempSync(join(tmpdir(), 'fwcfg-fuzz-cli-'));
  try {
    const runs = [];
    for (const workers of ['1', '2']) {
      const r = await fwcfg('fuzz', '--surface', 'decoder', '--iterations', String(2 * CHUNK_ITERATIONS + 500), '--seed', '7', '--workers', workers, '--out', out, '--json');
      t.is(r.code, 0, r.stderr);
      const doc = JSON.parse(r.stdout) as { workers: number; surfaces: Record<string, unknown>[] };
      t.is(doc.workers, Number(workers));
      runs.push(doc.surfaces.map(({ seconds: _s, perSecond: _p, ...rest }) => rest));
    }
    t.deepEqual(runs[1], runs[0]);
    t.is((runs[0]![0] as { tried: number }).tried, 2 * CHUNK_ITERATIONS + 500);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
