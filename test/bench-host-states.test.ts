// bench/host-states.ts sorts rounds of small kernels by its probe and sets each kernel's quiet
// quarter beside its contended one. No figure is asserted (speed claims live in `npm run bench`):
// only the shape, the arithmetic and the command's refusal of a bad argument.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { formatHostStates, hostStates } from '../bench/host-states.js';

test('host states: every kernel, the seed run included, with its quiet and contended medians', (t) => {
  const h = hostStates(0.3);
  t.true(h.rounds >= 4, `${h.rounds} rounds`);
  const names = h.kernels.map((k) => k.kernel);
  t.true(names.includes('SeaBIOS seed run'));
  t.true(names.includes('L1 byte loads (16 KiB)'));
  for (const k of h.kernels) {
    t.true(k.quiet > 0 && k.contended > 0, k.kernel);
    t.is(k.ratio, k.contended / k.quiet);
  }
  // the probe sorts the rounds: its own contended quarter cannot be faster than its quiet one
  const probe = h.kernels.find((k) => k.kernel === 'L1 byte loads (16 KiB)')!;
  t.true(probe.contended >= probe.quiet);
  const text = formatHostStates(h);
  t.is(text.trim().split('\n').length, h.kernels.length + 1);
});

test('host states command: a bad number of seconds is one line and exit 2', (t) => {
  const script = join(dirname(fileURLToPath(import.meta.url)), '..', 'bench', 'host-states.js');
  const r = spawnSync(process.execPath, [script, 'soon'], { encoding: 'utf8' });
  t.is(r.status, 2);
  t.is(r.stderr, 'host-states: soon: not a number of seconds between 0 and 600\n');
});
