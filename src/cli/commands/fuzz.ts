/**
 * `fwcfg fuzz --surface NAME --iterations N [--seed S] [--workers N] [--out DIR] [--json]`:
 * a long mutation campaign on worker threads (default: one per core the
 * process may use) with a progress bar on stderr; failures saved as
 * reproducers (default test/fuzz-reproducers/, which the tests replay). The
 * summary and the reproducers depend on the seed, not on the worker count.
 * Exit 1 when any input failed.
 */
import { join } from 'node:path';
import { UsageError } from '../../errors.js';
import { CHUNK_ITERATIONS, saveReproducers, type CampaignStats } from '../../fuzz/campaign.js';
import { defaultWorkers, runCampaignOnWorkers } from '../../fuzz/workers.js';
import { SURFACES } from '../../fuzz/surfaces.js';
import { liveCampaign } from '../../fuzz/device-surface.js';
import { formatDivergence } from '../../conformance/runner.js';
import { findOnPath } from '../../qemu/live/find-binary.js';
import { packageRoot } from '../../vectors/package-root.js';
import { parse } from '../args.js';
import { jsonText, type Io } from '../output.js';

export const usage = `fwcfg fuzz --surface (${Object.keys(SURFACES).join('|')}|all) --iterations N [--seed S] [--workers N (default: the cores available)] [--out DIR] [--json] [--live N (device: N mutants also run on a live QEMU)]`;

function positiveInt(flag: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text.replace(/_/g, ''));
  if (!Number.isSafeInteger(n) || n < 1) throw new UsageError('USAGE', `fuzz: --${flag} wants a positive integer, got ${JSON.stringify(text)}`);
  return n;
}

function bar(s: CampaignStats, total: number): string {
  const width = 30;
  const done = Math.round((s.tried / total) * width);
  const rate = s.elapsedMs > 0 ? (s.tried / s.elapsedMs) * 1000 : 0;
  return `\r${s.surface.padEnd(8)} [${'#'.repeat(done)}${'.'.repeat(width - done)}] ${s.tried}/${total} ${Math.round(rate)}/s rejected ${s.rejected} failed ${s.failed}`;
}

export async function fuzz(argv: string[], io: Io): Promise<number> {
  const { values } = parse('fuzz', argv, {
    surface: { type: 'string' },
    iterations: { type: 'string' },
    seed: { type: 'string' },
    out: { type: 'string' },
    json: { type: 'boolean' },
    live: { type: 'string' },
    workers: { type: 'string' },
  });
  const which = values['surface'] as string | undefined;
  if (which === undefined) throw new UsageError('USAGE', `fuzz: --surface is required (${Object.keys(SURFACES).join(', ')}, all)`);
  const names = which === 'all' ? Object.keys(SURFACES) : [which];
  for (const n of names) if (!(n in SURFACES)) throw new UsageError('USAGE', `fuzz: unknown surface ${JSON.stringify(n)}; use ${Object.keys(SURFACES).join(', ')}, all`);
  const iterations = positiveInt('iterations', values['iterations'] as string | undefined, 10_000);
  const seed = positiveInt('seed', values['seed'] as string | undefined, 1);
  const workers = positiveInt('workers', values['workers'] as string | undefined, defaultWorkers());
  const out = (values['out'] as string | undefined) ?? join(packageRoot(), 'test', 'fuzz-reproducers');
  const tty = process.stderr.isTTY === true;
  const results = [];
  let failed = 0;
  for (const name of names) {
    const surface = SURFACES[name]!();
    let lastTenth = -1;
    const r = await runCampaignOnWorkers({ name }, {
      iterations,
      seed,
      workers,
      progressEvery: Math.max(1, Math.min(1000, Math.floor(iterations / 100))),
      onProgress: (s) => {
        // a live bar on a terminal; on a pipe, one line per tenth
        if (tty) io.err(bar(s, iterations));
        else if (Math.floor((s.tried * 10) / iterations) > lastTenth) {
          lastTenth = Math.floor((s.tried * 10) / iterations);
          io.err(bar(s, iterations).slice(1) + '\n');
        }
      },
    });
    if (tty) io.err(bar(r, iterations) + '\n');
    const saved = saveReproducers(out, surface, r.failures, seed);
    failed += r.failed;
    const perSecond = Math.round((r.tried / r.elapsedMs) * 1000);
    results.push({ surface: r.surface, tried: r.tried, accepted: r.accepted, rejected: r.rejected, failed: r.failed, rejections: r.rejections, seconds: Number((r.elapsedMs / 1000).toFixed(2)), perSecond, reproducers: saved });
    if (values['json'] !== true) {
      io.out(`${r.surface}: ${r.tried} inputs tried, ${r.accepted} accepted, ${r.rejected} typed rejections, ${r.failed} failures; ${perSecond} inputs/s over ${(r.elapsedMs / 1000).toFixed(1)} s on ${Math.min(workers, Math.ceil(iterations / CHUNK_ITERATIONS))} worker(s)\n`);
      const codes = Object.entries(r.rejections).sort((a, b) => b[1] - a[1]);
      if (codes.length > 0) io.out(`  rejections: ${codes.map(([c, n]) => `${c} ${n}`).join(', ')}\n`);
      for (const [i, f] of r.failures.entries()) io.out(`  failure: ${f.message}\n    reproducer: ${saved[i]}\n`);
    }
  }
  let live: Awaited<ReturnType<typeof liveCampaign>> | undefined;
  if (values['live'] !== undefined) {
    if (!names.includes('device')) throw new UsageError('USAGE', 'fuzz: --live applies to the device surface');
    const n = positiveInt('live', values['live'] as string, 1);
    if (findOnPath('qemu-system-x86_64') === undefined) throw new UsageError('NO_QEMU', 'fuzz --live: qemu-system-x86_64 not found (apt-get install qemu-system-x86)');
    live = await liveCampaign(n, seed, (config, lines) => io.err(`device --live: ${config}: ${lines} requests to QEMU and the emulator\n`));
    const surface = SURFACES['device']!();
    const saved = saveReproducers(out, surface, live.divergences.map((d) => ({ iteration: d.divergence.index, message: `live divergence on ${d.config}`, input: { config: d.config, lines: d.prefix } })), seed);
    failed += live.divergences.length;
    if (values['json'] !== true) {
      io.out(`device --live: ${live.inputs} mutants, ${live.requests} requests compared with QEMU, ${live.divergences.length} divergences; ${(live.elapsedMs / 1000).toFixed(1)} s\n`);
      for (const [i, d] of live.divergences.entries()) io.out(formatDivergence(d.config, d.divergence) + `\n    reproducer: ${saved[i]}\n`);
    }
  }
  if (values['json'] === true) io.out(jsonText({ seed, iterations, workers, surfaces: results, ...(live ? { live: { inputs: live.inputs, requests: live.requests, divergences: live.divergences.map((d) => ({ config: d.config, index: d.divergence.index, request: d.divergence.request, qemu: d.divergence.qemu, emulator: d.divergence.emulator })) } } : {}) }));
  return failed > 0 ? 1 : 0;
}
