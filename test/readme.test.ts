// The README's examples are run: its two commands exist, its CLI lines work, its console examples print
// what it shows, its code compiles and runs.
import test from 'ava';
import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fwcfg } from './helpers/cli.js';
import { ROOT } from './helpers/paths.js';
import { QEMU_X86 } from './helpers/qemu.js';
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

/**
 * A ```console block: `$ command` lines, each followed by what the terminal shows (standard output
 * and error together). A line `...` stands for any number of lines the README leaves out; every
 * other line must be printed exactly.
 */
interface ConsoleExample {
  command: string;
  expected: string[];
}

const examples: ConsoleExample[] = blocks
  .filter((b) => b.lang === 'console')
  .flatMap((b) => {
    const out: ConsoleExample[] = [];
    for (const line of b.body.replace(/\n$/, '').split('\n')) {
      if (line.startsWith('$ ')) out.push({ command: line.slice(2), expected: [] });
      else out.at(-1)?.expected.push(line);
    }
    return out;
  });

/** Whether `actual` is `expected` with each `...` standing for zero or more lines. */
function matches(expected: readonly string[], actual: readonly string[]): boolean {
  if (expected.length === 0) return actual.length === 0;
  const [first, ...rest] = expected;
  if (first === '...') return actual.some((_, i) => matches(rest, actual.slice(i))) || matches(rest, []);
  return actual.length > 0 && actual[0] === first && matches(rest, actual.slice(1));
}

// `fwcfg` on the PATH is the built bundle, as `npm install -g` would give it
const bin = mkdtempSync(join(tmpdir(), 'fwcfg-readme-'));
writeFileSync(join(bin, 'fwcfg'), `#!/bin/sh\nexec "${process.execPath}" "${join(ROOT, 'dist', 'fwcfg.mjs')}" "$@"\n`);
chmodSync(join(bin, 'fwcfg'), 0o755);
const sh = promisify(execFile);

test('the README has console examples, each with its output', (t) => {
  t.true(examples.length >= 8);
  for (const e of examples) t.true(e.expected.length > 0, `${e.command}: no output shown (use a sh block for commands shown without output)`);
  // the comparison itself: exact lines, `...` for any run of lines
  t.true(matches(['a', '...', 'd'], ['a', 'b', 'c', 'd']));
  t.true(matches(['a', '...', 'b'], ['a', 'b']));
  t.false(matches(['a', 'b'], ['a', 'c']));
  t.false(matches(['a', '...', 'd'], ['a', 'b', 'c']));
  t.false(matches(['a'], ['a', 'extra']));
});

for (const e of examples) {
  const needsQemu = /qemu-system-/.test(e.command);
  const title = `README console: $ ${e.command.length > 90 ? e.command.slice(0, 87) + '...' : e.command}`;
  if (needsQemu && QEMU_X86 === undefined) {
    test.skip(`${title} (skipped: qemu-system-x86_64 not found)`, () => undefined);
    continue;
  }
  test(title, async (t) => {
    // TMPDIR of its own: check's temporary capture must not be seen by tests that count theirs
    const env = { ...process.env, PATH: `${bin}:${process.env['PATH']}`, TMPDIR: mkdtempSync(join(tmpdir(), 'fwcfg-readme-tmp-')) };
    const r = await sh('bash', ['-c', `(${e.command}) 2>&1`], { cwd: ROOT, env, maxBuffer: 64 << 20 }).catch((err: { stdout: string }) => err);
    const actual = r.stdout.replace(/\n$/, '').split('\n');
    t.true(matches(e.expected, actual), `README shows:\n${e.expected.join('\n')}\n\nprinted:\n${actual.join('\n')}`);
  });
}
