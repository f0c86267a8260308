// The bench's native reference does the TypeScript seed run's work (same RSDP, warnings, files,
// placed bytes and tables walked), and its serve faces (`exec serve`, `memcpy serve`, `encode serve`)
// answer the paired windows of bench/paired.ts. No figure is asserted here: speed claims live in `npm run bench`.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import '../bench/firmware.bench.js';
import '../bench/fwcfg.bench.js';
import '../bench/loader.bench.js';
import { execArguments, execFigures, nativeInputs, nativeProgram } from '../bench/native.js';
import { pairedDmaWindows, pairedEncodeWindows, pairedSeedWindows } from '../bench/paired.js';

const gcc = spawnSync('gcc', ['--version']).status === 0;
const maybe = gcc ? test.serial : test.skip;
if (!gcc) {
  test('native reference: skipped', (t) => {
    t.log('gcc is not installed: the bench leaves its native ratios out, and so do these tests');
    t.pass();
  });
}

maybe('exec serve: the C run finds what the TypeScript run finds, then times batches on request', (t) => {
  const exec = nativeInputs.exec!;
  const program = nativeProgram();
  t.truthy(program, 'gcc -O2 builds bench/native/reference.c');
  const dir = mkdtempSync(join(tmpdir(), 'fwcfg-bench-test-'));
  try {
    const r = spawnSync(program!, ['exec', 'serve', ...execArguments(exec, dir)], { input: '2\n1\n0\n', encoding: 'utf8' });
    t.is(r.status, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    const figure = (name: string) => Number(lines.find((l) => l.startsWith(`${name} `))?.split(' ')[1]);
    const want = exec.expect();
    t.deepEqual(execFigures(figure), want);
    t.true(want.rsdp > 0 && want.allocated === 4, 'the seed run places its four files and finds an RSDP');
    t.is(want.tables, 12, 'and the OS walk finds its twelve tables, on both sides');
    const answers = lines.slice(lines.indexOf('ready') + 1);
    t.is(answers.length, 2);
    for (const [i, k] of [2, 1].entries()) {
      const m = /^batches (\d+) (\S+) (\S+)$/.exec(answers[i]!);
      t.truthy(m, answers[i]);
      t.is(Number(m![1]), k);
      t.true(Number(m![2]) > 0 && Number(m![3]) > 0);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

maybe('exec --sum vector (SIMD byte sums, shown beside the goal): the same results; a bad --sum is refused', (t) => {
  const exec = nativeInputs.exec!;
  const program = nativeProgram()!;
  const dir = mkdtempSync(join(tmpdir(), 'fwcfg-bench-test-'));
  try {
    const r = spawnSync(program, ['exec', '1000', ...execArguments(exec, dir), '--sum', 'vector'], { encoding: 'utf8' });
    t.is(r.status, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    t.deepEqual(execFigures((name) => Number(lines.find((l) => l.startsWith(`${name} `))?.split(' ')[1])), exec.expect());
    const bad = spawnSync(program, ['exec', '1000', ...execArguments(exec, dir), '--sum', 'fast'], { encoding: 'utf8' });
    t.is(bad.status, 2);
    t.regex(bad.stderr, /--sum fast: scalar or vector/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

maybe('paired windows: each pair has both sides, and the summary is their median', async (t) => {
  const p = await pairedSeedWindows(3);
  t.truthy(p);
  t.is(p!.pairs.length, 3);
  t.deepEqual(p!.pairs.map((x) => x.first), ['ts', 'c', 'ts']);
  for (const x of p!.pairs) t.true(x.tsMean > 0 && x.tsMedian > 0 && x.cMean > 0 && x.cMedian > 0);
  const ratios = p!.pairs.map((x) => x.tsMean / x.cMean).sort((a, b) => a - b);
  t.is(p!.meanRatio.median, ratios[1]);
  t.is(p!.meetsGoal, p!.meanRatio.median <= p!.goal && p!.medianRatio.median <= p!.goal);
});

maybe('memcpy serve answers batches of 2 MiB copies; the paired DMA windows are their share of memcpy, pair by pair', async (t) => {
  const program = nativeProgram()!;
  const r = spawnSync(program, ['memcpy', 'serve'], { input: '2\n0\n', encoding: 'utf8' });
  t.is(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  t.is(lines[0], 'ready');
  const m = /^batches 2 (\S+) (\S+)$/.exec(lines[1]!);
  t.truthy(m, lines[1]);
  t.true(Number(m![1]) > 0 && Number(m![2]) > 0);
  const p = await pairedDmaWindows(3);
  t.truthy(p);
  t.is(p!.pairs.length, 3);
  const shares = p!.pairs.map((x) => x.cMean / x.tsMean).sort((a, b) => a - b);
  t.is(p!.meanShare.median, shares[1]);
  t.is(p!.meetsGoal, p!.meanShare.median >= p!.goal && p!.medianShare.median >= p!.goal);
});

maybe('encode serve checks its encoder reproduces the entries before it times them; the paired encode windows are time ratios', async (t) => {
  const program = nativeProgram()!;
  const dir = mkdtempSync(join(tmpdir(), 'fwcfg-bench-test-'));
  try {
    const good = join(dir, 'entries.bin');
    writeFileSync(good, nativeInputs.entries!);
    const r = spawnSync(program, ['encode', 'serve', good], { input: '2\n0\n', encoding: 'utf8' });
    t.is(r.status, 0, r.stderr);
    t.regex(r.stdout, /^ready\nbatches 2 \S+ \S+\n$/);
    // one flipped byte in a name's padding: the C encoder (strncpy pads with zeros) no longer reproduces it
    const bad = join(dir, 'bad.bin');
    const flipped = Uint8Array.from(nativeInputs.entries!);
    flipped[4 + 54] = 0x41;
    writeFileSync(bad, flipped);
    const b = spawnSync(program, ['encode', 'serve', bad], { input: '2\n0\n', encoding: 'utf8' });
    t.is(b.status, 2);
    t.regex(b.stderr, /does not reproduce/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const p = await pairedEncodeWindows(3);
  t.truthy(p);
  t.is(p!.pairs.length, 3);
  const ratios = p!.pairs.map((x) => x.tsMean / x.cMean).sort((a, b) => a - b);
  t.is(p!.meanRatio.median, ratios[1]);
  t.is(p!.meetsGoal, p!.meanRatio.median <= p!.goal && p!.medianRatio.median <= p!.goal);
});
