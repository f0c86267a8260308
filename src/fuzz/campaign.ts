/**
 * A mutation campaign over one surface: start from its real seeds, stack a
 * few mutations per input, keep mutants that reached a verdict not seen
 * before (a cheap stand-in for coverage), count what happened, and keep one
 * input per distinct failure as a reproducer.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync, readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { Prng } from '../prng.js';
import type { Surface, Verdict } from './surface.js';

export interface CampaignOptions {
  iterations: number;
  seed?: number;
  /** Called every `progressEvery` inputs with the running counts. */
  onProgress?: (s: CampaignStats) => void;
  progressEvery?: number;
  /** Largest pool of kept mutants (besides the seeds). */
  poolSize?: number;
}

export interface Failure<T> {
  iteration: number;
  message: string;
  input: T;
}

export interface CampaignStats {
  surface: string;
  tried: number;
  accepted: number;
  rejected: number;
  failed: number;
  /** Typed rejections by error code. */
  rejections: Record<string, number>;
  elapsedMs: number;
}

export interface CampaignResult<T> extends CampaignStats {
  /** One per distinct failure message (numbers masked). */
  failures: Failure<T>[];
}

/** Failure messages differ in addresses and sizes; the shape is what makes two the same bug. */
const shapeOf = (message: string) => message.replace(/0x[0-9a-f]+|\d+/gi, 'N');

function verdictKey(v: Verdict): string {
  return v.kind === 'rejected' ? `rejected:${v.code}` : v.kind === 'failure' ? `failure:${shapeOf(v.message)}` : 'ok';
}

export function runCampaign<T>(surface: Surface<T>, o: CampaignOptions): CampaignResult<T> {
  const r = new Prng(o.seed ?? 1);
  const seeds = surface.seeds;
  if (seeds.length === 0) throw new Error(`fuzz surface ${surface.name} has no seeds`);
  const pool: T[] = [];
  const poolSize = o.poolSize ?? 256;
  const seen = new Set<string>();
  const failures = new Map<string, Failure<T>>();
  const stats: CampaignStats = { surface: surface.name, tried: 0, accepted: 0, rejected: 0, failed: 0, rejections: {}, elapsedMs: 0 };
  const every = o.progressEvery ?? 1000;
  const t0 = performance.now();
  for (let i = 0; i < o.iterations; i++) {
    // the seeds themselves go first: they must all be accepted or typed-rejected too
    let input: T;
    if (i < seeds.length) input = seeds[i]!;
    else {
      input = pool.length > 0 && r.chance(0.3) ? r.pick(pool) : r.pick(seeds);
      const depth = 1 + r.int(4);
      for (let k = 0; k < depth; k++) input = surface.mutate(r, input, seeds);
    }
    const v = surface.run(input);
    stats.tried++;
    if (v.kind === 'ok') stats.accepted++;
    else if (v.kind === 'rejected') {
      stats.rejected++;
      stats.rejections[v.code] = (stats.rejections[v.code] ?? 0) + 1;
    } else {
      stats.failed++;
      const shape = shapeOf(v.message);
      if (!failures.has(shape)) failures.set(shape, { iteration: i, message: v.message, input });
    }
    const key = verdictKey(v);
    if (!seen.has(key)) {
      seen.add(key);
      if (i >= seeds.length) {
        if (pool.length < poolSize) pool.push(input);
        else pool[r.int(poolSize)] = input;
      }
    } else if (v.kind === 'ok' && i >= seeds.length && r.chance(0.01)) {
      // accepted mutants are the ones that go deepest: keep a trickle of them
      if (pool.length < poolSize) pool.push(input);
      else pool[r.int(poolSize)] = input;
    }
    if (o.onProgress !== undefined && (i + 1) % every === 0) {
      stats.elapsedMs = performance.now() - t0;
      o.onProgress(stats);
    }
  }
  stats.elapsedMs = performance.now() - t0;
  return { ...stats, failures: [...failures.values()] };
}

/**
 * Saves each failure as a directory of files under `root/<surface>/<hash>/`,
 * with meta.json saying what broke; returns the directories written.
 */
export function saveReproducers<T>(root: string, surface: Surface<T>, failures: Failure<T>[], seed: number): string[] {
  const dirs: string[] = [];
  for (const f of failures) {
    const files = surface.serialize(f.input);
    const h = createHash('sha256');
    for (const [name, data] of Object.entries(files)) h.update(name).update(data);
    const dir = join(root, surface.name, h.digest('hex').slice(0, 16));
    mkdirSync(dir, { recursive: true });
    for (const [name, data] of Object.entries(files)) writeFileSync(join(dir, name), data);
    writeFileSync(join(dir, 'meta.json'), JSON.stringify({ surface: surface.name, message: f.message, seed, iteration: f.iteration }, null, 2) + '\n');
    dirs.push(dir);
  }
  return dirs;
}

export interface Reproducer {
  dir: string;
  surface: string;
  files: Record<string, Uint8Array>;
}

/** Every saved reproducer under `root` (none when it does not exist). */
export function loadReproducers(root: string): Reproducer[] {
  if (!existsSync(root)) return [];
  const out: Reproducer[] = [];
  for (const surface of readdirSync(root, { withFileTypes: true }).filter((d) => d.isDirectory())) {
    for (const rep of readdirSync(join(root, surface.name), { withFileTypes: true }).filter((d) => d.isDirectory())) {
      const dir = join(root, surface.name, rep.name);
      const files: Record<string, Uint8Array> = {};
      for (const name of readdirSync(dir)) if (name !== 'meta.json') files[name] = new Uint8Array(readFileSync(join(dir, name)));
      out.push({ dir, surface: surface.name, files });
    }
  }
  return out;
}
