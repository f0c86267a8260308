/**
 * Differential conformance: the same seeded sequence sent to a live QEMU and
 * to the emulator built from a capture of the same configuration; the two
 * transcripts must be identical line for line.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { machineFromCapture } from '../qemu/emulated-machine.js';
import { QemuProcess } from '../qemu/live/qemu-process.js';
import { recreateTempFiles, replayArgs } from '../qemu/replay-args.js';
import { QtestEndpoint } from '../qtest/endpoint.js';
import type { ItemsCapture } from '../vectors/items-capture.js';
import { generateSequence, profileFromCapture } from './generator.js';

export interface Divergence {
  seed: number;
  index: number;
  request: string;
  qemu: string;
  emulator: string;
  /** The requests before it, for reproducing. */
  context: string[];
}

export interface SeedResult {
  seed: number;
  operations: number;
  lines: number;
  divergence: Divergence | undefined;
}

export function firstDivergence(seed: number, requests: readonly string[], qemu: readonly string[], emulator: readonly string[]): Divergence | undefined {
  for (let i = 0; i < requests.length; i++) {
    if (qemu[i] !== emulator[i]) {
      return { seed, index: i, request: requests[i]!, qemu: qemu[i] ?? '(no reply)', emulator: emulator[i] ?? '(no reply)', context: requests.slice(Math.max(0, i - 12), i) };
    }
  }
  return undefined;
}

export function formatDivergence(config: string, d: Divergence): string {
  return [
    `${config} seed ${d.seed}: first divergence at line ${d.index + 1}: ${d.request}`,
    `  QEMU:     ${d.qemu}`,
    `  emulator: ${d.emulator}`,
    '  after:',
    ...d.context.map((l) => `    ${l}`),
  ].join('\n');
}

/** Runs the requests on the emulator (a fresh machine from the capture). */
export function runOnEmulator(capture: ItemsCapture, requests: readonly string[]): string[] {
  const endpoint = new QtestEndpoint(machineFromCapture(capture));
  return requests.map((l) => endpoint.handle(l));
}

/** Runs the requests on a fresh QEMU started exactly as the capture was (pipelined in batches). */
export async function runOnQemu(capture: ItemsCapture, requests: readonly string[], options: { timeoutMs?: number } = {}): Promise<string[]> {
  const tmp = mkdtempSync(join(tmpdir(), 'fwcfg-conf-'));
  try {
    recreateTempFiles(capture, tmp);
    const { binary, args } = replayArgs(capture, tmp);
    return await QemuProcess.with({ binary, args, dir: tmp, timeoutMs: options.timeoutMs ?? 30_000 }, async (q) => {
      const out: string[] = [];
      for (let i = 0; i < requests.length; i += 512) out.push(...(await q.qtest.commands(requests.slice(i, i + 512))));
      return out;
    });
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

export interface ConformanceOptions {
  seeds: readonly number[];
  operations: number;
  timeoutMs?: number;
  onSeed?: (r: SeedResult) => void;
}

/** Every seed against QEMU and the emulator; stops at nothing, reports each seed's first divergence. */
export async function runConformance(capture: ItemsCapture, options: ConformanceOptions): Promise<SeedResult[]> {
  const profile = profileFromCapture(capture);
  const results: SeedResult[] = [];
  for (const seed of options.seeds) {
    const requests = generateSequence(profile, seed, options.operations);
    const qemu = await runOnQemu(capture, requests, { timeoutMs: options.timeoutMs });
    const emulator = runOnEmulator(capture, requests);
    const r: SeedResult = { seed, operations: options.operations, lines: requests.length, divergence: firstDivergence(seed, requests, qemu, emulator) };
    options.onSeed?.(r);
    results.push(r);
  }
  return results;
}
