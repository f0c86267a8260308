// `npm run conformance [-- --seeds N] [--ops N] [--config NAME ...] [--first-seed N]`: the long
// differential campaign (every reference configuration, many seeds) against the installed QEMU.
import { parseArgs } from 'node:util';
import { join } from 'node:path';
import { runConformance, formatDivergence } from '../dist/src/conformance/runner.js';
import { findOnPath } from '../dist/src/qemu/live/find-binary.js';
import { loadItemsCapture } from '../dist/src/vectors/items-capture.js';

const ROOT = new URL('..', import.meta.url).pathname;
const { values } = parseArgs({ options: { seeds: { type: 'string', default: '40' }, ops: { type: 'string', default: '400' }, config: { type: 'string', multiple: true }, 'first-seed': { type: 'string', default: '1' } } });
const configs = values.config ?? ['q35', 'pc', 'seed', 'q35-userfiles', 'pc-i440fx-2.0', 'virt'];
const first = Number(values['first-seed']);
const seeds = Array.from({ length: Number(values.seeds) }, (_, i) => first + i);
let failed = 0;
for (const config of configs) {
  const capture = loadItemsCapture(join(ROOT, 'spec-vectors/fwcfg-captures', config));
  const binary = capture.json.argv[0];
  if (!findOnPath(binary)) {
    console.log(`${config}: skipped (${binary} not found)`);
    continue;
  }
  const t = Date.now();
  let lines = 0;
  let diverging = 0;
  await runConformance(capture, {
    seeds,
    operations: Number(values.ops),
    onSeed: (r) => {
      lines += r.lines;
      if (r.divergence) {
        diverging++;
        if (diverging <= 3) console.log(formatDivergence(config, r.divergence));
      }
    },
  });
  failed += diverging;
  console.log(`${config}: ${seeds.length} seeds x ${values.ops} operations, ${lines} qtest lines, ${diverging} diverging seeds (${((Date.now() - t) / 1000).toFixed(1)} s)`);
}
process.exitCode = failed > 0 ? 1 : 0;
