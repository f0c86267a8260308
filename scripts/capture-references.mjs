// Regenerates spec-vectors/fwcfg-captures/: `fwcfg capture` of the six configurations of
// spec-vectors/fwcfg-device/ (same QEMU arguments, same temporary files), from the
// installed QEMU. Run after `npm run build`: node scripts/capture-references.mjs [CONFIG...]
import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync as readFile, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { captureQemu } from '../dist/src/qemu/capture.js';
import { loadItemsCapture } from '../dist/src/vectors/items-capture.js';

const ROOT = new URL('..', import.meta.url).pathname;
const SHARED = join(ROOT, 'spec-vectors/fwcfg-device');
const OUT = join(ROOT, 'spec-vectors/fwcfg-captures');
const CONFIGS = { q35: true, pc: false, seed: true, 'q35-userfiles': false, 'pc-i440fx-2.0': false, virt: false };
const wanted = process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(CONFIGS);

for (const config of wanted) {
  const shared = loadItemsCapture(join(SHARED, config));
  const tmp = mkdtempSync(join(tmpdir(), 'fwcfg-ref-'));
  try {
    // the same temporary files the shared capture used
    const tempFiles = shared.json.temp_files ?? {};
    for (const [name, what] of Object.entries(tempFiles)) {
      const sparse = /^sparse file of (\d+) bytes$/.exec(what);
      const hashed = /sha256 ([0-9a-f]{64})/.exec(what);
      if (sparse) {
        closeSync(openSync(join(tmp, name), 'w'));
        truncateSync(join(tmp, name), Number(sparse[1]));
      } else if (hashed) {
        const item = shared.items.find((i) => i.size > 0 && createHash('sha256').update(i.bytes).digest('hex') === hashed[1]);
        if (!item) throw new Error(`${config}: no item with the bytes of ${name}`);
        writeFileSync(join(tmp, name), item.bytes);
      } else throw new Error(`${config}: cannot recreate ${name} (${what})`);
    }
    const argv = shared.json.argv.map((a) => a.replaceAll('$TMP', tmp));
    const user = [];
    for (let i = 0; i < argv.length; i++) {
      if (['-qtest', '-qtest-log', '-qmp'].includes(argv[i])) i++;
      else user.push(argv[i]);
    }
    const t = Date.now();
    await captureQemu({
      out: join(OUT, config),
      force: true,
      rebuild: CONFIGS[config],
      qemuArgs: user,
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

// SHA256SUMS.fwcfg-captures: every file, as the spec-vectors test checks them
const sums = [];
const walk = (d) => {
  for (const f of readdirSync(d).sort()) {
    const p = join(d, f);
    if (statSync(p).isDirectory()) walk(p);
    else sums.push(`${createHash('sha256').update(readFile(p)).digest('hex')}  ${p.slice(join(ROOT, 'spec-vectors').length + 1)}`);
  }
};
walk(OUT);
writeFileSync(join(ROOT, 'spec-vectors/SHA256SUMS.fwcfg-captures'), sums.join('\n') + '\n');
