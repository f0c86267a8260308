// Regenerates spec-vectors/fwcfg-captures/: `fwcfg capture` of the six configurations of
// spec-vectors/fwcfg-device/ (same QEMU arguments, same temporary files), from the
// installed QEMU. Run after `npm run build`: node scripts/capture-references.mjs [CONFIG...]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { captureQemu } from '../dist/src/qemu/capture.js';
import { loadItemsCapture } from '../dist/src/vectors/items-capture.js';
import { recreateTempFiles, replayArgs } from '../dist/src/qemu/replay-args.js';
import { writeSha256Sums } from './sha256sums.mjs';

const ROOT = new URL('..', import.meta.url).pathname;
const SHARED = join(ROOT, 'spec-vectors/fwcfg-device');
const OUT = join(ROOT, 'spec-vectors/fwcfg-captures');
const CONFIGS = { q35: true, pc: false, seed: true, 'q35-userfiles': false, 'pc-i440fx-2.0': false, virt: false };
const wanted = process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(CONFIGS);

for (const config of wanted) {
  const shared = loadItemsCapture(join(SHARED, config));
  const tmp = mkdtempSync(join(tmpdir(), 'fwcfg-ref-'));
  try {
    // the same temporary files and arguments the shared capture used
    recreateTempFiles(shared, tmp);
    const tempFiles = shared.json.temp_files ?? {};
    const { binary, args } = replayArgs(shared, tmp);
    const t = Date.now();
    await captureQemu({
      out: join(OUT, config),
      force: true,
      rebuild: CONFIGS[config],
      qemuArgs: [binary, ...args],
      config,
      description: shared.json.description,
      tmpDir: tmp,
      tempFiles: Object.keys(tempFiles).length ? tempFiles : undefined,
      progress: (m) => process.stderr.write(`${config}: ${m}\n`),
    });
    process.stderr.write(`${config}: captured in ${((Date.now() - t) / 1000).toFixed(1)} s\n`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

writeSha256Sums(ROOT, 'fwcfg-captures');
