// The README's examples are run: its two commands exist, its CLI lines work, its code compiles and runs.
import test from 'ava';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fwcfg } from './helpers/cli.js';
import { ROOT } from './helpers/paths.js';
import * as lib from '../src/index.js';

const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
const blocks = [...readme.matchAll(/```(\w*)\n([\s\S]*?)```/g)].map((m) => ({ lang: m[1], body: m[2]! }));

test('the README starts with the install-and-run command and the test command', (t) => {
  const first = blocks[0]!.body.split('\n');
  t.regex(first[0]!, /^npm ci && npm start\b/);
  t.regex(first[1]!, /^npm test\b/);
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  t.truthy(pkg.scripts.start);
  t.truthy(pkg.scripts.test);
  t.regex(readFileSync(join(ROOT, '.ci/run'), 'utf8'), /\nnpm test 2>&1/);
});

test('every fwcfg line in the README runs with exit 0 (or the status its comment states)', async (t) => {
  const lines = blocks.flatMap((b) => b.body.split('\n')).filter((l) => l.startsWith('fwcfg '));
  t.true(lines.length >= 4);
  const cwd = process.cwd();
  process.chdir(ROOT);
  try {
    for (const line of lines) {
      // a trailing `# exit N` comment states the expected status (lint exits 1 on errors)
      const [command, comment] = line.split(/\s+#\s*/);
      const expected = Number(/^exit (\d)/.exec(comment ?? '')?.[1] ?? 0);
      const r = await fwcfg(...command!.trim().split(/\s+/).slice(1));
      t.is(r.code, expected, `${line}: ${r.stderr}`);
    }
  } finally {
    process.chdir(cwd);
  }
});

test('the README library example runs as written', (t) => {
  const code = blocks.find((b) => b.lang === 'ts')!.body;
  const body = code.replace(/^import .*\n/m, '');
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  const run = new Function('lib', `const { ${Object.keys(lib).join(', ')} } = lib;\n${body}\nreturn { loader, rsdp, guest };`);
  const { loader, rsdp, guest } = run(lib) as { loader: Uint8Array; rsdp: Uint8Array; guest: Uint8Array };
  t.is(loader.length, 4096);
  t.deepEqual([...rsdp.subarray(16, 20)], [0xd7, 0x2d, 0, 0]);
  t.deepEqual(guest.subarray(0x1000, 0x1000 + 4096), loader);
});
