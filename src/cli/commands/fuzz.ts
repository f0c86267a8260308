/**
 * `fwcfg fuzz --surface NAME --iterations N [--seed S] [--workers N] [--out DIR] [--json]`:
 * a long mutation campaign on worker threads (default: one per core the
 * process may use) with a progress bar on stderr; failures saved as
 * reproducers (default test/fuzz-reproducers/, which the tests replay). The
 * summary and the reproducers depend on the seed, not on the worker count.
 * Exit 1 when any input failed.
 */
import { join } from 'node:path';
import { Command, Option } from '@commander-js/extra-typings';
import { UsageError } from '../../errors.js';
import { CHUNK_ITERATIONS, saveReproducers, type CampaignStats } from '../../fuzz/campaign.js';
import { defaultWorkers, runCampaignOnWorkers } from '../../fuzz/workers.js';
import { SURFACES } from '../../fuzz/surfaces.js';
import { liveCampaign } from '../../fuzz/device-surface.js';
import { formatDivergence } from '../../conformance/runner.js';
import { findOnPath } from '../../qemu/live/find-binary.js';
import { packageRoot } from '../../vectors/package-root.js';
import { jsonOption, outDirOption } from '../options.js';
import { jsonText, type Io } from '../output.js';
import { examples, type CliCommand } from '../program.js';
import { integer, oneOf } from '../values.js';

const MAX = Number.MAX_SAFE_INTEGER;

export const fuzzCommand: CliCommand = {
  name: 'fuzz',
  build: (cli) => {
    const surfaces = [...Object.keys(SURFACES), 'all'];
    return new Command('fuzz')
      .summary('a mutation campaign against one surface (decoder, executors, device, readers); exit 1 on failures')
      .description('Run a seeded mutation campaign against a surface on worker threads, with a progress bar on stderr. Failures are saved as reproducers, which the tests replay. The summary depends on the seed, never on the worker count. Exit 1 when any input failed.')
      .addOption(new Option('--surface <NAME>', `what to fuzz: ${surfaces.join(', ')}; e.g. --surface seabios`).argParser(oneOf('--surface', surfaces)).makeOptionMandatory())
      .addOption(new Option('--iterations <N>', 'inputs to try (default 10000; 1_000_000 is fine), e.g. --iterations 100000').argParser(integer('--iterations', 1, MAX)))
      .addOption(new Option('--seed <S>', 'the campaign seed (default 1), e.g. --seed 20261124').argParser(integer('--seed', 1, MAX)))
      .addOption(new Option('--workers <N>', 'worker threads (default: the cores available), e.g. --workers 2').argParser(integer('--workers', 1, 256)))
      .addOption(outDirOption('where reproducers are saved (default test/fuzz-reproducers/ in the package)'))
      .addOption(new Option('--live <N>', 'with the device surface: also run N mutants on a live QEMU and compare every reply, e.g. --live 2000').argParser(integer('--live', 1, MAX)))
      .addOption(jsonOption())
      .addHelpText('after', examples('fwcfg fuzz --surface seabios --iterations 100000', 'fwcfg fuzz --surface device --iterations 10000 --live 200 --json'))
      .action(async (o) => {
        cli.status = await campaign(cli.io, { which: o.surface, iterations: o.iterations ?? 10_000, seed: o.seed ?? 1, workers: o.workers ?? defaultWorkers(), out: o.out, live: o.live, json: o.json === true });
      });
  },
};

interface CampaignFlags {
  which: string;
  iterations: number;
  seed: number;
  workers: number;
  out: string | undefined;
  live: number | undefined;
  json: boolean;
}

function bar(s: CampaignStats, total: number): string {
  const width = 30;
  const done = Math.round((s.tried / total) * width);
  const rate = s.elapsedMs > 0 ? (s.tried / s.elapsedMs) * 1000 : 0;
  return `\r${s.surface.padEnd(8)} [${'#'.repeat(done)}${'.'.repeat(width - done)}] ${s.tried}/${total} ${Math.round(rate)}/s rejected ${s.rejected} failed ${s.failed}`;
}

async function campaign(io: Io, f: CampaignFlags): Promise<number> {
  const names = f.which === 'all' ? Object.keys(SURFACES) : [f.which];
  if (f.live !== undefined && !names.includes('device')) throw new UsageError('USAGE', '--live goes with --surface device (or all)');
  // before the campaign, not after it: a missing QEMU is known now
  if (f.live !== undefined && findOnPath('qemu-system-x86_64') === undefined) throw new UsageError('NO_QEMU', '--live: qemu-system-x86_64 not found (apt-get install qemu-system-x86)');
  const { iterations, seed, workers } = f;
  const out = f.out ?? join(packageRoot(), 'test', 'fuzz-reproducers');
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
    if (!f.json) {
      io.out(`${r.surface}: ${r.tried} inputs tried, ${r.accepted} accepted, ${r.rejected} typed rejections, ${r.failed} failures; ${perSecond} inputs/s over ${(r.elapsedMs / 1000).toFixed(1)} s on ${Math.min(workers, Math.ceil(iterations / CHUNK_ITERATIONS))} worker(s)\n`);
      const codes = Object.entries(r.rejections).sort((a, b) => b[1] - a[1]);
      if (codes.length > 0) io.out(`  rejections: ${codes.map(([c, n]) => `${c} ${n}`).join(', ')}\n`);
      for (const [i, f] of r.failures.entries()) io.out(`  failure: ${f.message}\n    reproducer: ${saved[i]}\n`);
    }
  }
  let live: Awaited<ReturnType<typeof liveCampaign>> | undefined;
  if (f.live !== undefined) {
    const n = f.live;
    live = await liveCampaign(n, seed, (config, lines) => io.err(`device --live: ${config}: ${lines} requests to QEMU and the emulator\n`));
    const surface = SURFACES['device']!();
    const saved = saveReproducers(out, surface, live.divergences.map((d) => ({ iteration: d.divergence.index, message: `live divergence on ${d.config}`, input: { config: d.config, lines: d.prefix } })), seed);
    failed += live.divergences.length;
    if (!f.json) {
      io.out(`device --live: ${live.inputs} mutants, ${live.requests} requests compared with QEMU, ${live.divergences.length} divergences; ${(live.elapsedMs / 1000).toFixed(1)} s\n`);
      for (const [i, d] of live.divergences.entries()) io.out(formatDivergence(d.config, d.divergence) + `\n    reproducer: ${saved[i]}\n`);
    }
  }
  if (f.json) io.out(jsonText({ seed, iterations, workers, surfaces: results, ...(live ? { live: { inputs: live.inputs, requests: live.requests, divergences: live.divergences.map((d) => ({ config: d.config, index: d.divergence.index, request: d.divergence.request, qemu: d.divergence.qemu, emulator: d.divergence.emulator })) } } : {}) }));
  return failed > 0 ? 1 : 0;
}
