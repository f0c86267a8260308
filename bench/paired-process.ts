/**
 * `node dist/bench/paired-process.js PAIRS`: the paired windows of bench/paired.ts
 * in a process of their own, which has run nothing but the seed boot, as the C
 * program has. In the bench's own process every case before ran through the same
 * modules with other inputs (other memories and guests, 2 MiB DMA, 512-entry
 * scripts), and V8 keeps that mixed feedback: the seed run there measured about a
 * third slower than in a fresh process. The result is one JSON document on stdout.
 */
import './firmware.bench.js';
import { pairedSeedWindows } from './paired.js';

const pairs = Number(process.argv[2] ?? '60');
const result = await pairedSeedWindows(pairs);
process.stdout.write(JSON.stringify(result ?? null) + '\n');
