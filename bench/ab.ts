/**
 * `npm run bench:ab -- REV [REV_B] [--rounds N] [--pairs N] [--json]`: the seed
 * SeaBIOS run of two builds, compared in the same processes. REV (any git
 * revision of this repository) is built into a temporary directory; REV_B too
 * when given, else the working tree's own build (dist/, which `npm run` has just
 * made). Each of N rounds (6 unless given) runs bench/ab-worker.ts twice, once in
 * each order of loading, since a process favours one of the two by a few per cent;
 * every process takes turns between the builds for PAIRS pairs of 50-run batches.
 * The result is the twelve (2N) ratios B/A and their geometric mean: below 1 means
 * B is faster. On this shared host a single process's ratio moves by a few per
 * cent; the spread of the twelve says how much a difference is worth.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { packageRoot } from '../src/vectors/package-root.js';
import { median } from './harness.js';

interface WorkerResult {
  medianA: number;
  medianB: number;
  ratio: number;
  same: boolean;
}

interface AbResult {
  a: string;
  b: string;
  /** B/A of each process, lowest first. */
  ratios: number[];
  geometricMean: number;
  /** Median batch of each build, ns a run, the median over the processes. */
  nsA: number;
  nsB: number;
  sameResults: boolean;
}

class AbError extends Error {}

const root = packageRoot();

function run(command: string, args: string[], cwd: string, input?: Buffer): Buffer {
  const r = spawnSync(command, args, { cwd, input, maxBuffer: 1 << 30 });
  if (r.error !== undefined) throw new AbError(`${command}: ${r.error.message}`);
  if (r.status !== 0) throw new AbError(`${[command, ...args].join(' ')}: ${r.stderr.toString().trim().split('\n')[0] || `exit ${r.status}`}`);
  return r.stdout;
}

/** REV as a commit of this repository, or an AbError naming it. */
function commitOf(rev: string): string {
  if (rev.startsWith('-')) throw new AbError(`${rev}: not a revision`);
  const r = spawnSync('git', ['rev-parse', '--verify', '--quiet', `${rev}^{commit}`], { cwd: root });
  if (r.status !== 0) throw new AbError(`${rev}: not a commit of this repository`);
  return r.stdout.toString().trim();
}

/** The build of `commit` (tsc into dist/ of a fresh tree), in a directory the caller removes. */
function buildOf(commit: string, temps: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'fwcfg-ab-'));
  temps.push(dir);
  run('tar', ['-x', '-C', dir], root, run('git', ['archive', '--format=tar', commit], root));
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
  run(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], dir);
  return join(dir, 'dist');
}

function worker(distA: string, distB: string, pairs: number): WorkerResult {
  const out = run(process.execPath, [join(root, 'dist', 'bench', 'ab-worker.js'), distA, distB, String(pairs)], root);
  return JSON.parse(out.toString()) as WorkerResult;
}


function compareBuilds(a: { label: string; dist: string }, b: { label: string; dist: string }, rounds: number, pairs: number): AbResult {
  const ratios: number[] = [];
  const nsA: number[] = [];
  const nsB: number[] = [];
  let same = true;
  for (let r = 0; r < rounds; r++) {
    const ab = worker(a.dist, b.dist, pairs);
    const ba = worker(b.dist, a.dist, pairs);
    ratios.push(ab.ratio, 1 / ba.ratio);
    nsA.push(ab.medianA, ba.medianB);
    nsB.push(ab.medianB, ba.medianA);
    same &&= ab.same && ba.same;
  }
  ratios.sort((x, y) => x - y);
  const geometricMean = Math.exp(ratios.reduce((s, x) => s + Math.log(x), 0) / ratios.length);
  return { a: a.label, b: b.label, ratios, geometricMean, nsA: median(nsA), nsB: median(nsB), sameResults: same };
}

function wholeNumber(flag: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 100_000) throw new AbError(`--${flag} ${value}: not a whole number from 1 to 100000`);
  return n;
}

function main(): void {
  const { values, positionals } = parseArgs({ options: { rounds: { type: 'string' }, pairs: { type: 'string' }, json: { type: 'boolean' } }, allowPositionals: true });
  if (positionals.length < 1 || positionals.length > 2) throw new AbError('usage: npm run bench:ab -- REV [REV_B] [--rounds N] [--pairs N] [--json]');
  const rounds = wholeNumber('rounds', values.rounds, 6);
  const pairs = wholeNumber('pairs', values.pairs, 300);
  const temps: string[] = [];
  try {
    const revA = positionals[0]!;
    const a = { label: revA, dist: buildOf(commitOf(revA), temps) };
    const revB = positionals[1];
    const b = revB === undefined ? { label: 'the working tree', dist: join(root, 'dist') } : { label: revB, dist: buildOf(commitOf(revB), temps) };
    const result = compareBuilds(a, b, rounds, pairs);
    if (values.json === true) {
      process.stdout.write(JSON.stringify(result) + '\n');
      return;
    }
    const f = (x: number) => x.toFixed(3);
    process.stdout.write(
      [
        `seed SeaBIOS run: ${b.label} (B) against ${a.label} (A), ${rounds} rounds of two processes, ${pairs} pairs of 50-run batches each`,
        `  B/A per process: ${result.ratios.map(f).join(' ')}`,
        `  geometric mean ${f(result.geometricMean)} (${result.geometricMean < 1 ? 'B faster' : 'B slower'}); median batches ${result.nsA.toFixed(0)} ns (A), ${result.nsB.toFixed(0)} ns (B) a run`,
        result.sameResults ? '  both builds give the same results (RSDP, warnings, placed bytes, the tables walked)' : '  the builds give DIFFERENT results: a changed behaviour, not only a changed speed',
      ].join('\n') + '\n',
    );
  } finally {
    for (const dir of temps) rmSync(dir, { recursive: true, force: true });
  }
}

try {
  main();
} catch (err) {
  if (!(err instanceof AbError)) throw err;
  process.stderr.write(`bench:ab: ${err.message}\n`);
  process.exit(2);
}
