// bench/ab.ts compares the seed run of two builds in the same processes (what the README's
// "about 10% off" rests on). No figure is asserted: the worker's shape and its results check,
// a whole comparison of HEAD's build with the working tree's, and the refusals.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';

const dist = join(dirname(fileURLToPath(import.meta.url)), '..');
const node = (script: string, args: string[]) => spawnSync(process.execPath, [join(dist, 'bench', script), ...args], { encoding: 'utf8', cwd: join(dist, '..') });
const hasGit = spawnSync('git', ['rev-parse', '--verify', 'HEAD'], { cwd: join(dist, '..') }).status === 0;
const abTemps = () => readdirSync(tmpdir()).filter((f) => f.startsWith('fwcfg-ab-')).length;

test('ab worker: a build against itself gives the same results, two medians and a ratio', (t) => {
  const r = node('ab-worker.js', [dist, dist, '5']);
  t.is(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { medianA: number; medianB: number; ratio: number; same: boolean };
  t.true(out.same);
  t.true(out.medianA > 0 && out.medianB > 0);
  t.true(Number.isFinite(out.ratio) && out.ratio > 0);
});

test('ab worker: a directory without a build is one line and exit 2', (t) => {
  const r = node('ab-worker.js', [join(dist, 'no-such-build'), dist, '5']);
  t.is(r.status, 2);
  t.is(r.stderr.trim().split('\n').length, 1);
  t.regex(r.stderr, /no-such-build/);
});

test('ab: HEAD built afresh against the working tree, both orders, temporary builds removed', (t) => {
  if (!hasGit) return t.pass('no git checkout here: nothing to build a revision from');
  const before = abTemps();
  const r = node('ab.js', ['HEAD', '--rounds', '1', '--pairs', '5', '--json']);
  t.is(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { a: string; b: string; ratios: number[]; geometricMean: number; sameResults: boolean };
  t.is(out.a, 'HEAD');
  t.is(out.b, 'the working tree');
  t.is(out.ratios.length, 2);
  t.true(out.ratios[0]! <= out.ratios[1]!);
  t.true(Number.isFinite(out.geometricMean) && out.geometricMean > 0);
  t.is(typeof out.sameResults, 'boolean');
  t.is(abTemps(), before);
});

test('ab: a revision that is no commit, a bad count and no revision are one line and exit 2', (t) => {
  for (const [args, message] of [
    [['no-such-revision'], 'bench:ab: no-such-revision: not a commit of this repository\n'],
    [['HEAD', '--pairs', '0'], 'bench:ab: --pairs 0: not a whole number from 1 to 100000\n'],
    [[], 'bench:ab: usage: npm run bench:ab -- REV [REV_B] [--rounds N] [--pairs N] [--json]\n'],
  ] as const) {
    const r = node('ab.js', [...args]);
    t.is(r.status, 2, args.join(' '));
    t.is(r.stderr, message);
  }
});
