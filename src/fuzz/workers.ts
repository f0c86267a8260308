/**
 * Fuzz campaigns on worker threads: the chunks of campaign.ts handed to a
 * pool of workers, the next chunk to whichever is free, the results merged in
 * chunk order, so the summary and the reproducers are the same for a seed
 * whatever the number of workers (one worker: the chunks run in this thread).
 *
 * A worker is this very module (or the bundle holding it) started again with
 * a marker in its workerData; it builds surfaces by name, from SURFACES or
 * from a module that exports `surfaces` (the tests' canary).
 */
import { availableParallelism } from 'node:os';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { addCounts, chunkCount, mergeChunks, runChunk, type CampaignOptions, type CampaignResult, type CampaignStats, type ChunkResult } from './campaign.js';
import { SURFACES, type Surface } from './surfaces.js';

const WORKER_MARK = 'fwcfg-fuzz-worker';

/** A surface a worker can build for itself: a name in SURFACES, or in the `surfaces` export of `module` (a file URL). */
export interface SurfaceRef {
  name: string;
  module?: string;
}

interface Job {
  surface: SurfaceRef;
  seed: number;
  iterations: number;
  chunk: number;
  poolSize: number | undefined;
  progressEvery: number;
}

type FromWorker = { kind: 'progress'; chunk: number; partial: ChunkResult } | { kind: 'done'; result: ChunkResult } | { kind: 'error'; message: string };

const built = new Map<string, Surface<unknown>>();

async function surfaceFor(ref: SurfaceRef): Promise<Surface<unknown>> {
  const key = `${ref.module ?? ''}#${ref.name}`;
  let s = built.get(key);
  if (s === undefined) {
    const table = ref.module === undefined ? SURFACES : ((await import(ref.module)) as { surfaces: Record<string, () => Surface<unknown>> }).surfaces;
    const make = table[ref.name];
    if (make === undefined) throw new Error(`fuzz worker: no surface ${JSON.stringify(ref.name)}${ref.module ? ` in ${ref.module}` : ''}`);
    built.set(key, (s = make()));
  }
  return s;
}

// ------------------------------------------------------------------ the worker side

if (!isMainThread && (workerData as Record<string, unknown> | null)?.[WORKER_MARK] === true) {
  const port = parentPort!;
  port.on('message', (job: Job | null) => {
    if (job === null) {
      port.close();
      return;
    }
    void (async () => {
      try {
        const surface = await surfaceFor(job.surface);
        const result = runChunk(surface, job.seed, job.iterations, job.chunk, job.poolSize, (partial) => {
          if (partial.tried % job.progressEvery === 0) port.postMessage({ kind: 'progress', chunk: job.chunk, partial: { ...partial, failures: [] } } satisfies FromWorker);
        });
        port.postMessage({ kind: 'done', result } satisfies FromWorker);
      } catch (err) {
        port.postMessage({ kind: 'error', message: err instanceof Error ? (err.stack ?? err.message) : String(err) } satisfies FromWorker);
      }
    })();
  });
}

// ------------------------------------------------------------------ the coordinating side

/** The default worker count: every core the process may use. */
export function defaultWorkers(): number {
  return availableParallelism();
}

export interface ParallelOptions extends CampaignOptions {
  /** Worker threads; 1 runs the chunks in this thread. */
  workers: number;
}

/**
 * A campaign on `o.workers` threads (at most one per chunk). The result is
 * the one runCampaign gives in a single thread, elapsed time aside.
 */
export async function runCampaignOnWorkers(ref: SurfaceRef, o: ParallelOptions): Promise<CampaignResult<unknown>> {
  const surface = await surfaceFor(ref);
  const seed = o.seed ?? 1;
  const chunks = chunkCount(o.iterations);
  const workers = Math.max(1, Math.min(o.workers, chunks));
  const progressEvery = Math.max(1, o.progressEvery ?? 1000);
  const t0 = performance.now();
  const done: ChunkResult[] = [];
  const totals: CampaignStats = { surface: surface.name, tried: 0, accepted: 0, rejected: 0, failed: 0, rejections: {}, elapsedMs: 0 };
  const inFlight = new Map<number, ChunkResult>();
  const report = () => {
    if (o.onProgress === undefined) return;
    const now: CampaignStats = { ...totals, rejections: { ...totals.rejections }, elapsedMs: performance.now() - t0 };
    for (const p of inFlight.values()) addCounts(now, p);
    o.onProgress(now);
  };
  const finish = (r: ChunkResult) => {
    inFlight.delete(r.chunk);
    addCounts(totals, r);
    done.push(r);
    report();
  };

  if (workers === 1) {
    for (let c = 0; c < chunks; c++) {
      finish(
        runChunk(surface, seed, o.iterations, c, o.poolSize, (partial) => {
          if (partial.tried % progressEvery !== 0) return;
          inFlight.set(c, partial);
          report();
        }),
      );
    }
    return mergeChunks(surface, done, performance.now() - t0);
  }

  let next = 0;
  const threads = Array.from({ length: workers }, () => new Worker(new URL(import.meta.url), { workerData: { [WORKER_MARK]: true } }));
  try {
    await Promise.all(
      threads.map(
        (w) =>
          new Promise<void>((resolve, reject) => {
            const give = () => {
              if (next >= chunks) {
                w.postMessage(null);
                resolve();
                return;
              }
              const job: Job = { surface: ref, seed, iterations: o.iterations, chunk: next++, poolSize: o.poolSize, progressEvery };
              w.postMessage(job);
            };
            w.on('message', (m: FromWorker) => {
              if (m.kind === 'progress') {
                inFlight.set(m.chunk, m.partial);
                report();
              } else if (m.kind === 'done') {
                finish(m.result);
                give();
              } else reject(new Error(`fuzz worker failed: ${m.message}`));
            });
            w.on('error', reject);
            w.on('exit', (code) => {
              if (next < chunks || code !== 0) reject(new Error(`fuzz worker exited (${code}) with chunks left`));
            });
            give();
          }),
      ),
    );
  } finally {
    await Promise.all(threads.map((w) => w.terminate()));
  }
  return mergeChunks(surface, done, performance.now() - t0);
}
