// Regenerates docs/report-seed.png, the README's picture of `fwcfg report`: the seed's report
// (spec-vectors/qemu-7.2/seed) opened in headless Chromium at 1280 x 1800, the top of the page.
// Run after `npm run build`: node scripts/report-screenshot.mjs
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { main } from '../dist/src/cli/main.js';
import { Chromium } from '../dist/test/helpers/chromium.js';

const ROOT = new URL('..', import.meta.url).pathname;
process.chdir(ROOT);
const tmp = mkdtempSync(join(tmpdir(), 'fwcfg-report-shot-'));
const html = join(tmp, 'seed.html');
const browser = Chromium.launch();
try {
  const quiet = { out: () => undefined, outBytes: () => undefined, err: (s) => void process.stderr.write(s) };
  if ((await main(['report', 'spec-vectors/qemu-7.2/seed', '-o', html, '--quiet'], quiet)) !== 0) process.exit(1);
  const page = await browser.open(pathToFileURL(html).href, 1280, 1800);
  if (page.problems.length > 0) throw new Error(`the page logged errors: ${JSON.stringify(page.problems)}`);
  writeFileSync(join(ROOT, 'docs', 'report-seed.png'), await page.screenshot());
  console.log('wrote docs/report-seed.png');
} finally {
  await browser.close();
  rmSync(tmp, { recursive: true, force: true });
}
