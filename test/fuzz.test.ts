// Hostile input: a bounded mutation campaign per surface (seeded with the real vectors), the
// saved reproducers replayed, fast-check properties over structured scripts, and hostile
// device streams compared with a live QEMU.
import test from 'ava';
import fc from 'fast-check';
import { join } from 'node:path';
import { loadReproducers, runCampaign } from '../src/fuzz/campaign.js';
import { executorSurface, SURFACES, type ScriptCase } from '../src/fuzz/surfaces.js';
import { deviceSeeds, liveCampaign } from '../src/fuzz/device-surface.js';
import { encodeLoader } from '../src/loader/codec.js';
import type { LoaderEntry } from '../src/loader/entry.js';
import { findOnPath } from '../src/qemu/live/find-binary.js';
import { ROOT } from './helpers/paths.js';
import { boot } from '../src/simulate/boot.js';
import { execMachine } from '../src/simulate/exec-machine.js';
import { guestFor } from '../src/simulate/fwcfg-access.js';
import { policyFor } from '../src/simulate/options.js';

// inputs per surface: a few seconds each on the CI machine
const BUDGET: Record<string, number> = { decoder: 4000, listing: 4000, json: 4000, seabios: 1500, ovmf: 1000, uboot: 1500, device: 600, vector: 150, capture: 500 };

for (const name of Object.keys(SURFACES)) {
  test(`campaign: ${name} — only typed rejections, every property holds`, (t) => {
    const surface = SURFACES[name]!();
    const r = runCampaign(surface, { iterations: BUDGET[name] ?? 1000, seed: 20261124 });
    t.is(r.tried, BUDGET[name] ?? 1000);
    t.deepEqual(
      r.failures.map((f) => `${f.message} (input ${f.iteration})`),
      [],
    );
    // the mutants must reach both sides of the checks, or the campaign proves little
    t.true(r.accepted > 0, 'some inputs accepted');
    if (['decoder', 'listing', 'json', 'vector', 'capture'].includes(name)) t.true(r.rejected > 0, 'some inputs rejected');
    t.log(`${r.tried} tried, ${r.accepted} accepted, ${r.rejected} rejected (${Object.keys(r.rejections).join(', ') || 'none'}), ${Math.round((r.tried / r.elapsedMs) * 1000)}/s`);
  });
}

test('the executor campaigns reach rejections and warnings, not only clean runs', (t) => {
  // a verdict of ok says no property broke; these counts say the mutants were hostile enough
  const seen = new Set<string>();
  const surface = executorSurface('seabios');
  const r = runCampaign({ ...surface, run: (x) => (seen.add(outcomeOf(x)), surface.run(x)) }, { iterations: 400, seed: 7 });
  t.is(r.failed, 0);
  t.true(seen.has('ran-with-warnings'), [...seen].join(','));
  t.true(seen.has('ran'), [...seen].join(','));
});

function outcomeOf(x: ScriptCase): string {
  try {
    const m = execMachine(x.files.map((f) => ({ ...f, data: f.data.slice() })), policyFor(undefined), { dma: x.dma });
    const b = boot(m, { firmware: 'seabios' }, guestFor);
    b.memory.release();
    return b.report.outcome;
  } catch {
    return 'error';
  }
}

const reproducers = loadReproducers(join(ROOT, 'test/fuzz-reproducers'));

test('saved reproducers exist and name a known surface', (t) => {
  t.true(reproducers.length > 0);
  for (const r of reproducers) t.true(r.surface in SURFACES, r.dir);
});

for (const rep of reproducers) {
  test(`reproducer ${rep.surface}/${rep.dir.split('/').pop()}: no longer fails`, (t) => {
    const surface = SURFACES[rep.surface]!();
    const v = surface.run(surface.deserialize(rep.files));
    t.not(v.kind, 'failure', v.kind === 'failure' ? v.message : '');
  });
}

// ------------------------------------------------------------ fast-check properties

const NAMES = ['etc/acpi/rsdp', 'etc/acpi/tables', 'etc/fwconf/probe', 'etc/smi/requested-features', 'etc/missing', 'etc/fwconf/empty'];
const name = fc.constantFrom(...NAMES);
const small = fc.oneof(fc.integer({ min: 0, max: 600 }), fc.constantFrom(0xfff, 0x1000, 0x7fffffff, 0xffffffff));
const size = fc.constantFrom(0, 1, 2, 3, 4, 5, 8, 16, 255);
const entry: fc.Arbitrary<LoaderEntry> = fc.oneof(
  fc.record({ type: fc.constant('allocate' as const), file: name, align: fc.constantFrom(0, 1, 3, 16, 64, 4096, 8192), zone: fc.constantFrom(0, 1, 2, 3) }),
  fc.record({ type: fc.constant('addPointer' as const), destFile: name, srcFile: name, offset: small, size }),
  fc.record({ type: fc.constant('addChecksum' as const), file: name, offset: small, start: small, length: small }),
  fc.record({ type: fc.constant('writePointer' as const), destFile: name, srcFile: name, dstOffset: small, srcOffset: small, size }),
  fc.constant({ type: 'padding' as const }),
);
const script = fc.record({
  entries: fc.array(entry, { maxLength: 24 }),
  tables: fc.uint8Array({ minLength: 0, maxLength: 700 }),
  rsdp: fc.uint8Array({ minLength: 0, maxLength: 40 }),
  dma: fc.boolean(),
});

for (const firmware of ['seabios', 'ovmf', 'uboot'] as const) {
  test(`property: ${firmware} on any structured script — typed errors only, writes inside its allocations and scratch`, (t) => {
    const surface = executorSurface(firmware);
    fc.assert(
      fc.property(script, (s) => {
        const input: ScriptCase = {
          dma: s.dma,
          files: [
            { name: 'etc/table-loader', data: encodeLoader(s.entries) },
            { name: 'etc/acpi/tables', data: s.tables },
            { name: 'etc/acpi/rsdp', data: s.rsdp },
            { name: 'etc/fwconf/probe', data: new Uint8Array(64) },
            { name: 'etc/fwconf/empty', data: new Uint8Array(0) },
            { name: 'etc/smi/requested-features', data: new Uint8Array(8).fill(0xa5), writable: true },
          ],
        };
        const v = surface.run(input);
        if (v.kind === 'failure') throw new Error(v.message);
      }),
      { numRuns: 300, seed: 42 },
    );
    t.pass();
  });
}

// ------------------------------------------------------------ the device against a live QEMU

const qemu = findOnPath('qemu-system-x86_64') !== undefined && findOnPath('qemu-system-aarch64') !== undefined;

test('device seeds: every transcript and two generated sequences per reference configuration', (t) => {
  const seeds = deviceSeeds();
  t.is(seeds.length, 6 + 12);
  t.true(seeds.every((s) => s.lines.length > 20));
});

(qemu ? test : test.skip)(`live: hostile device streams (mutants of QEMU's transcripts) get QEMU's replies, error bits included${qemu ? '' : ' (skipped: qemu-system-x86_64 or -aarch64 not found)'}`, async (t) => {
  const r = await liveCampaign(300, 20261124);
  t.true(r.requests > 20_000, `${r.requests} requests`);
  t.deepEqual(
    r.divergences.map((d) => `${d.config} line ${d.divergence.index}: ${d.divergence.request}: QEMU ${d.divergence.qemu}, emulator ${d.divergence.emulator}`),
    [],
  );
  t.log(`${r.inputs} mutants, ${r.requests} requests compared, ${(r.elapsedMs / 1000).toFixed(1)} s`);
});
