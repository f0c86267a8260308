/**
 * A mutation campaign over one surface: start from its real seeds, stack a
 * few mutations per input, keep mutants that reached a verdict not seen
 * before (a cheap stand-in for coverage), count what happened, and keep one
 * input per distinct failure as a reproducer.
 *
 * The iterations are cut into chunks of CHUNK_ITERATIONS, each with its own
 * generator seeded from (seed, chunk index) and its own pool, so a chunk's
 * result depends on nothing else: chunks can run on any number of worker
 * threads (workers.ts) and their results, merged in chunk order, are the same
 * campaign whatever the count. Chunk 0 uses the seed itself, so a campaign
 * of at most one chunk is the one a single loop always ran.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync, readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { Prng } from '../prng.js';
import type { Surface, Verdict } from './surface.js';

/** Iterations per chunk: the unit of work a worker takes, and how far a mutant pool grows before it starts over. */
export const CHUNK_ITERATIONS = 5000;

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
  /** One per distinct failure message (numbers masked), the earliest iteration's. */
  failures: Failure<T>[];
}

/** What one chunk found, in a form a worker thread can post: failures as their reproducer files. */
export interface ChunkResult {
  chunk: number;
  tried: number;
  accepted: number;
  rejected: number;
  failed: number;
  rejections: Record<string, number>;
  failures: { iteration: number; message: string; files: Record<string, Uint8Array> }[];
}

/** Failure messages differ in addresses and sizes; the shape is what makes two the same bug. */
const shapeOf = (message: string) => message.replace(/0x[0-9a-f]+|\d+/gi, 'N');

function verdictKey(v: Verdict): string {
  return v.kind === 'rejected' ? `rejected:${v.code}` : v.kind === 'failure' ? `failure:${shapeOf(v.message)}` : 'ok';
}

/** The generator seed of chunk `chunk` (chunk 0: the campaign's own seed). */
export function chunkSeed(seed: number, chunk: number): number {
  if (chunk === 0) return seed >>> 0;
  let h = (seed ^ Math.imul(chunk, 0x9e3779b9)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** How many chunks a campaign of `iterations` has. */
export function chunkCount(iterations: number): number {
  return Math.ceil(iterations / CHUNK_ITERATIONS);
}

/**
 * Runs chunk `chunk` of a campaign: global iterations [chunk * CHUNK, ...)
 * up to `iterations`. `onTried` is called after every input (progress).
 */
export function runChunk<T>(surface: Surface<T>, seed: number, iterations: number, chunk: number, poolSize = 256, onTried?: (c: ChunkResult) => void): ChunkResult {
  const r = new Prng(chunkSeed(seed, chunk));
  const seeds = surface.seeds;
  if (seeds.length === 0) throw new Error(`fuzz surface ${surface.name} has no seeds`);
  const pool: T[] = [];
  const seen = new Set<string>();
  const shapes = new Set<string>();
  const out: ChunkResult = { chunk, tried: 0, accepted: 0, rejected: 0, failed: 0, rejections: {}, failures: [] };
  const from = chunk * CHUNK_ITERATIONS;
  const to = Math.min(iterations, from + CHUNK_ITERATIONS);
  for (let i = from; i < to; i++) {
    // the seeds themselves go first: they must all be accepted or typed-rejected too
    let input: T;
    if (i < seeds.length) input = seeds[i]!;
    else {
      input = pool.length > 0 && r.chance(0.3) ? r.pick(pool) : r.pick(seeds);
      const depth = 1 + r.int(4);
      for (let k = 0; k < depth; k++) input = surface.mutate(r, input, seeds);
    }
    const v = surface.run(input);
    out.tried++;
    if (v.kind === 'ok') out.accepted++;
    else if (v.kind === 'rejected') {
      out.rejected++;
      out.rejections[v.code] = (out.rejections[v.code] ?? 0) + 1;
    } else {
      out.failed++;
      const shape = shapeOf(v.message);
      if (!shapes.has(shape)) {
        shapes.add(shape);
        out.failures.push({ iteration: i, message: v.message, files: surface.serialize(input) });
      }
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
    onTried?.(out);
  }
  return out;
}

/** Chunk results, in chunk order, as one campaign: counts summed, the first failure of each shape kept. */
export function mergeChunks<T>(surface: Surface<T>, chunks: readonly ChunkResult[], elapsedMs: number): CampaignResult<T> {
  const result: CampaignResult<T> = { surface: surface.name, tried: 0, accepted: 0, rejected: 0, failed: 0, rejections: {}, elapsedMs, failures: [] };
  const shapes = new Set<string>();
  for (const c of [...chunks].sort((a, b) => a.chunk - b.chunk)) {
    addCounts(result, c);
    for (const f of c.failures) {
      const shape = shapeOf(f.message);
      if (shapes.has(shape)) continue;
      shapes.add(shape);
      result.failures.push({ iteration: f.iteration, message: f.message, input: surface.deserialize(f.files) });
    }
  }
  // rejection codes in a fixed order, whatever order the chunks met them in
  result.rejections = Object.fromEntries(Object.entries(result.rejections).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return result;
}

/** Adds a chunk's counts into running stats. */
export function addCounts(into: CampaignStats, c: Pick<ChunkResult, 'tried' | 'accepted' | 'rejected' | 'failed' | 'rejections'>): void {
  into.tried += c.tried;
  into.accepted += c.accepted;
  into.rejected += c.rejected;
  into.failed += c.failed;
  for (const [code, n] of Object.entries(c.rejections)) into.rejections[code] = (into.rejections[code] ?? 0) + n;
}

/** The whole campaign in this thread, chunk after chunk (the same result as on any number of workers). */
export function runCampaign<T>(surface: Surface<T>, o: CampaignOptions): CampaignResult<T> {
  const seed = o.seed ?? 1;
  const every = o.progressEvery ?? 1000;
  const t0 = performance.now();
  const chunks: ChunkResult[] = [];
  const running: CampaignStats = { surface: surface.name, tried: 0, accepted: 0, rejected: 0, failed: 0, rejections: {}, elapsedMs: 0 };
  for (let c = 0; c < chunkCount(o.iterations); c++) {
    const done = running.tried;
    const onTried =
      o.onProgress === undefined
        ? undefined
        : (partial: ChunkResult) => {
            if ((done + partial.tried) % every !== 0) return;
            const now: CampaignStats = { ...running, rejections: { ...running.rejections }, elapsedMs: performance.now() - t0 };
            addCounts(now, partial);
            o.onProgress!(now);
          };
    const r = runChunk(surface, seed, o.iterations, c, o.poolSize, onTried);
    addCounts(running, r);
    chunks.push(r);
  }
  return mergeChunks(surface, chunks, performance.now() - t0);
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
