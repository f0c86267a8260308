/**
 * The seed SeaBIOS run against the C executor, the fw_cfg DMA against C
 * memcpy and the entry encode against the C encode, in paired windows. This
 * machine is shared: the same C program takes 5.7 µs a run in one minute and
 * 8.4 µs in another, and either side can slow down by half for a second or
 * two, so a ratio of two figures taken a second apart says more about the
 * host than about the code. Here the C program stays running (`reference exec
 * serve`, `memcpy serve`, `encode serve`) and the two sides take turns in
 * windows of a few milliseconds, each timed the same way (batches back to
 * back, the mean and the median batch), alternating which goes first; the
 * ratio is taken within each pair of windows, and the summary is the median
 * pair with the quartiles.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { measure } from 'mitata';
import { do_not_optimize } from './harness.js';
import { execArguments, nativeInputs, nativeProgram } from './native.js';

/** Runs per timed batch, as bench/native/reference.c times its own. */
export const SEED_BATCH = 100;
/** Batches per window, each side. */
export const WINDOW_BATCHES = 10;
/** How long the TypeScript side runs before the first window. */
export const WARMUP_MS = 2000;
/** The goal: the TypeScript run at most this fraction of the C run's time. */
export const SEED_GOAL = 0.8;

export interface PairedWindow {
  /** ns per run: the mean over the window's batches and its median batch, each side. */
  tsMean: number;
  tsMedian: number;
  cMean: number;
  cMedian: number;
  /** Which side this pair timed first. */
  first: 'ts' | 'c';
}

export interface Quartiles {
  median: number;
  q1: number;
  q3: number;
}

/** What every paired measurement gives: the pairs, each side's median window, and the goal. */
export interface PairedSides {
  pairs: PairedWindow[];
  /** Each side's own figures over the pairs (ns per unit, median window). */
  ts: { mean: number; median: number };
  c: { mean: number; median: number };
  goal: number;
  meetsGoal: boolean;
}

export interface PairedResult extends PairedSides {
  /** tsMean / cMean over the pairs. */
  meanRatio: Quartiles;
  /** tsMedian / cMedian over the pairs. */
  medianRatio: Quartiles;
}

function quantile(sorted: readonly number[], q: number): number {
  const at = (sorted.length - 1) * q;
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (at - lo);
}

function quartiles(xs: readonly number[]): Quartiles {
  const s = [...xs].sort((a, b) => a - b);
  return { median: quantile(s, 0.5), q1: quantile(s, 0.25), q3: quantile(s, 0.75) };
}

/** The C program kept running: a request of K batches answers their mean and median batch. */
class NativeServer {
  readonly #child;
  readonly #lines: AsyncIterator<string>;

  constructor(program: string, args: string[]) {
    this.#child = spawn(program, args, { stdio: ['pipe', 'pipe', 'inherit'] });
    // a program that cannot start or that ended: its stdout closes, and the caller hears `undefined`
    this.#child.on('error', () => this.#child.stdout?.destroy());
    this.#child.stdin.on('error', () => undefined);
    this.#lines = createInterface({ input: this.#child.stdout })[Symbol.asyncIterator]();
  }

  /** Waits for `ready` (the figures before it are runNative's business); false when the program ended first. */
  async ready(): Promise<boolean> {
    for (;;) {
      const r = await this.#lines.next();
      if (r.done === true) return false;
      if (r.value === 'ready') return true;
    }
  }

  async batches(k: number): Promise<{ mean: number; median: number } | undefined> {
    if (this.#child.stdin.writable) this.#child.stdin.write(`${k}\n`);
    const r = await this.#lines.next();
    const m = r.done === true ? null : /^batches (\d+) (\S+) (\S+)$/.exec(r.value);
    return m === null ? undefined : { mean: Number(m[2]), median: Number(m[3]) };
  }

  close(): void {
    this.#child.stdin.end('0\n');
    this.#child.kill();
  }
}

/** One side-by-side measurement: what the C program serves, and the TypeScript work timed against it. */
interface PairedSpec {
  /** The C program's arguments (a `serve` command). */
  args: string[];
  /** One unit of the TypeScript work (a boot, a 2 MiB DMA). */
  unit: () => unknown;
  /** Units per timed batch, as the C program batches them. */
  batch: number;
  /** What the note on stderr calls these windows. */
  what: string;
}

/**
 * `pairs` windows of each side, taking turns; undefined (with a note on
 * stderr) when the C program does not start or stops answering.
 */
async function pairedWindows(program: string, spec: PairedSpec, pairs: number): Promise<PairedWindow[] | undefined> {
  const server = new NativeServer(program, spec.args);
  try {
    if (!(await server.ready())) {
      process.stderr.write(`${spec.what} skipped: the C program ended before it was ready\n`);
      return undefined;
    }
    const { unit, batch: size } = spec;
    const batch = () => {
      let r: unknown;
      for (let i = 0; i < size; i++) r = unit();
      do_not_optimize(r);
    };
    // mitata times the batches one by one, with no heap probes and no forced collection (the C side has
    // neither), after one untimed batch (the C side runs one too); the median batch by the C side's rule
    const timeTs = async (k: number) => {
      const s = await measure(batch, { min_samples: k, max_samples: k, min_cpu_time: 1, gc: false, heap: undefined, warmup_samples: 0 });
      const sorted = [...s.samples].sort((a, b) => a - b);
      return { mean: s.avg / size, median: sorted[sorted.length >> 1]! / size };
    };
    // both sides warm: the JIT (a fresh V8 takes about a second of runs to settle), the caches, the C program's pages
    const warmUntil = performance.now() + WARMUP_MS;
    while (performance.now() < warmUntil) await timeTs(WINDOW_BATCHES);
    await server.batches(100);
    const out: PairedWindow[] = [];
    for (let k = 0; k < pairs; k++) {
      const first = k % 2 === 0 ? 'ts' : 'c';
      let ts: { mean: number; median: number };
      let c: { mean: number; median: number } | undefined;
      if (first === 'ts') {
        ts = await timeTs(WINDOW_BATCHES);
        c = await server.batches(WINDOW_BATCHES);
      } else {
        c = await server.batches(WINDOW_BATCHES);
        ts = await timeTs(WINDOW_BATCHES);
      }
      if (c === undefined) {
        process.stderr.write(`${spec.what} skipped: the C program stopped answering\n`);
        return undefined;
      }
      out.push({ tsMean: ts.mean, tsMedian: ts.median, cMean: c.mean, cMedian: c.median, first });
    }
    return out;
  } finally {
    server.close();
  }
}

/** Each side's own figures over the pairs (the median window of each). */
function sides(out: readonly PairedWindow[]): Pick<PairedSides, 'ts' | 'c'> {
  return {
    ts: { mean: quartiles(out.map((p) => p.tsMean)).median, median: quartiles(out.map((p) => p.tsMedian)).median },
    c: { mean: quartiles(out.map((p) => p.cMean)).median, median: quartiles(out.map((p) => p.cMedian)).median },
  };
}

/**
 * `pairs` paired windows of the seed run, or undefined (with a note on stderr)
 * when the C program cannot be built or run, or no bench file registered the seed run.
 */
export async function pairedSeedWindows(pairs: number): Promise<PairedResult | undefined> {
  const exec = nativeInputs.exec;
  const program = nativeProgram();
  if (exec === undefined || program === undefined) return undefined;
  const dir = mkdtempSync(join(tmpdir(), 'fwcfg-paired-'));
  try {
    const out = await pairedWindows(program, { args: ['exec', 'serve', ...execArguments(exec, dir)], unit: exec.run, batch: SEED_BATCH, what: 'paired windows' }, pairs);
    return out === undefined ? undefined : timeRatios(out, SEED_GOAL);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The TypeScript side's time over the C side's, pair by pair, against a goal of at most `goal`. */
function timeRatios(out: PairedWindow[], goal: number): PairedResult {
  const meanRatio = quartiles(out.map((p) => p.tsMean / p.cMean));
  const medianRatio = quartiles(out.map((p) => p.tsMedian / p.cMedian));
  return { pairs: out, meanRatio, medianRatio, ...sides(out), goal, meetsGoal: meanRatio.median <= goal && medianRatio.median <= goal };
}

/** Encodes of all the entries per timed batch, both sides of the encode windows. */
export const ENCODE_BATCH = 10;
/** The goal: the entry encode at most this many times the C encode's time. */
export const ENCODE_GOAL = 2;

/**
 * The encode of the 512-entry loader (loader.bench.ts) against the producer's
 * C encode of the same entries in paired windows, in the bench's own process;
 * figures are ns per encode of them all (the ratio is the same per entry).
 */
export async function pairedEncodeWindows(pairs: number): Promise<PairedResult | undefined> {
  const { encode, entries } = nativeInputs;
  const program = nativeProgram();
  if (encode === undefined || entries === undefined || program === undefined) return undefined;
  const dir = mkdtempSync(join(tmpdir(), 'fwcfg-paired-'));
  try {
    const path = join(dir, 'entries.bin');
    writeFileSync(path, entries);
    const out = await pairedWindows(program, { args: ['encode', 'serve', path], unit: encode, batch: ENCODE_BATCH, what: 'paired encode windows' }, pairs);
    return out === undefined ? undefined : timeRatios(out, ENCODE_GOAL);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function formatPairedEncode(p: PairedResult, entries: number): string {
  return [
    '',
    `loader entry encode against the producer's C encode (bench/paired.ts): ${p.pairs.length} pairs of windows, ${WINDOW_BATCHES} batches of ${ENCODE_BATCH} encodes of ${entries} entries each side, taking turns`,
    `  TypeScript ${(p.ts.mean / entries).toFixed(2)} ns an entry (mean), ${(p.ts.median / entries).toFixed(2)} ns (median batch); C ${(p.c.mean / entries).toFixed(2)} ns, ${(p.c.median / entries).toFixed(2)} ns`,
    ...ratioLines(p),
    '',
  ].join('\n');
}

/** Copies per timed batch on both sides of the DMA windows (one 2 MiB copy is about 45 µs). */
export const DMA_BATCH = 10;
/** The goal: the DMA at least this fraction of memcpy's bandwidth. */
export const DMA_GOAL = 0.8;

/** Pairs of ns per 2 MiB transfer (TypeScript: the DMA; C: memcpy). */
export interface PairedBandwidth extends PairedSides {
  /** The DMA's bandwidth as a share of memcpy's, pair by pair: cMean / tsMean. */
  meanShare: Quartiles;
  /** The same of the median batches: cMedian / tsMedian. */
  medianShare: Quartiles;
}

/**
 * The fw_cfg DMA of a 2 MiB file (fwcfg.bench.ts) against C memcpy of 2 MiB in
 * paired windows, in the bench's own process: the DMA is one copy into guest
 * RAM plus a descriptor, and both sides are bound by memory bandwidth, which
 * this host's other tenants move from one second to the next.
 */
export async function pairedDmaWindows(pairs: number): Promise<PairedBandwidth | undefined> {
  const dma = nativeInputs.dma;
  const program = nativeProgram();
  if (dma === undefined || program === undefined) return undefined;
  const out = await pairedWindows(program, { args: ['memcpy', 'serve'], unit: dma, batch: DMA_BATCH, what: 'paired DMA windows' }, pairs);
  if (out === undefined) return undefined;
  const meanShare = quartiles(out.map((p) => p.cMean / p.tsMean));
  const medianShare = quartiles(out.map((p) => p.cMedian / p.tsMedian));
  return { pairs: out, meanShare, medianShare, ...sides(out), goal: DMA_GOAL, meetsGoal: meanShare.median >= DMA_GOAL && medianShare.median >= DMA_GOAL };
}

export function formatPairedDma(p: PairedBandwidth): string {
  const f = (x: Quartiles) => `${(x.median * 100).toFixed(0)}% (quartiles ${(x.q1 * 100).toFixed(0)}-${(x.q3 * 100).toFixed(0)}%)`;
  return [
    '',
    `fw_cfg DMA of 2 MiB against C memcpy of 2 MiB (bench/paired.ts): ${p.pairs.length} pairs of windows, ${WINDOW_BATCHES} batches of ${DMA_BATCH} each side, taking turns`,
    `  TypeScript DMA ${(p.ts.mean / 1000).toFixed(1)} µs (mean), ${(p.ts.median / 1000).toFixed(1)} µs (median batch); C memcpy ${(p.c.mean / 1000).toFixed(1)} µs, ${(p.c.median / 1000).toFixed(1)} µs`,
    `  DMA bandwidth as a share of memcpy's, of the means:   ${f(p.meanShare)}`,
    `  DMA bandwidth as a share of memcpy's, of the medians: ${f(p.medianShare)}`,
    `  ${p.meetsGoal ? 'meets' : 'MISSES'} goal >= ${p.goal * 100}% (the median pair, both)`,
    '',
  ].join('\n');
}

/**
 * The paired windows run by bench/paired-process.ts in a child process (a fresh
 * V8, as the C program is a fresh process); undefined, with its reason on
 * stderr, when that fails.
 */
export function pairedSeedWindowsApart(pairs: number): PairedResult | undefined {
  const script = join(dirname(fileURLToPath(import.meta.url)), 'paired-process.js');
  const r = spawnSync(process.execPath, [script, String(pairs)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (r.status !== 0) {
    process.stderr.write(`paired windows: ${script} failed (${r.status ?? r.signal})\n`);
    return undefined;
  }
  const result = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as PairedResult | null;
  return result ?? undefined;
}

/** The time ratios pair by pair and the verdict, as formatPaired and formatPairedEncode print them. */
function ratioLines(p: PairedResult): string[] {
  const f = (x: Quartiles) => `${x.median.toFixed(2)} (quartiles ${x.q1.toFixed(2)}-${x.q3.toFixed(2)})`;
  return [
    `  ratio of means, pair by pair:   ${f(p.meanRatio)}`,
    `  ratio of medians, pair by pair: ${f(p.medianRatio)}`,
    `  ${p.meetsGoal ? 'meets' : 'MISSES'} goal <= ${p.goal} (the median pair, both ratios)`,
  ];
}

export function formatPaired(p: PairedResult): string {
  return [
    '',
    `SeaBIOS seed run against the C executor (bench/paired.ts, in a fresh process): ${p.pairs.length} pairs of windows, ${WINDOW_BATCHES} batches of ${SEED_BATCH} runs each side, taking turns`,
    `  TypeScript ${p.ts.mean.toFixed(0)} ns a run (mean), ${p.ts.median.toFixed(0)} ns (median batch); C ${p.c.mean.toFixed(0)} ns, ${p.c.median.toFixed(0)} ns (the median window of each)`,
    ...ratioLines(p),
    '',
  ].join('\n');
}
