// fwcfg lint: verdicts from running each personality agree with the real firmware; static hazards; exit codes.
import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { lintScript, lintVector } from '../src/lint/lint.js';
import { loadCase } from '../src/simulate/corpus-case.js';
import { Vector } from '../src/vectors/vector.js';
import { fwcfg } from './helpers/cli.js';
import { loadVector, QEMU_VECTORS, ROOT, vectorConfigs } from './helpers/paths.js';

const CORPUS = join(ROOT, 'spec-vectors/firmware-conformance');

test('the seed: stale loader size, QEMU 5.2 abort, SeaBIOS fallback, U-Boot silently different', (t) => {
  const r = lintVector(loadVector('seed'));
  const codes = r.findings.map((f) => f.code);
  t.true(codes.includes('STALE_LOADER_SIZE'));
  t.true(codes.includes('ROM_MAX'));
  const stale = r.findings.find((f) => f.code === 'STALE_LOADER_SIZE')!;
  t.is(stale.entry, 32);
  t.regex(stale.message, /reads 4096 and runs 32 of 34 commands/);
  t.is(r.personalities.find((p) => p.firmware === 'seabios')!.verdict, 'runs with warnings');
  t.is(r.personalities.find((p) => p.firmware === 'ovmf')!.verdict, 'runs cleanly');
  t.true(r.differences.some((d) => /seabios: the OS gets the firmware's own tables/.test(d)));
});

test("every other capture lints clean except QEMU 5.2's sizes where they apply", (t) => {
  for (const config of vectorConfigs().filter((c) => c !== 'seed')) {
    const r = lintVector(loadVector(config));
    const sea = r.personalities.find((p) => p.firmware === 'seabios')!;
    t.is(sea.verdict, config === 'virt-aarch64' ? 'not applicable' : 'runs cleanly', `${config}: ${sea.warnings.join('; ')}`);
    t.false(r.findings.some((f) => f.code === 'STALE_LOADER_SIZE'), config);
  }
});

test("QEMU 5.2's q35 under its SeaBIOS 1.14.0: boot 2 hangs at the reset (seen live), which lint says as a hang, not as missing tables", (t) => {
  const r = lintVector(Vector.load(join(ROOT, 'spec-vectors/qemu-5.2/q35')));
  const f = r.findings.find((x) => x.code === 'REBOOT_BREAKS_TABLES' && x.message.startsWith('seabios'));
  t.truthy(f, r.findings.map((x) => x.message).join('\n'));
  t.regex(f!.message, /^seabios: boot 2 hangs: no OS boots \(boot 1: QEMU's tables\): .*MMCONFIG/);
});

const cases = readdirSync(CORPUS, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);

test('per case: the SeaBIOS and OVMF verdicts agree with what the real firmware did', (t) => {
  for (const id of cases) {
    const c = loadCase(join(CORPUS, id));
    const r = lintScript(id, c.files);
    const sea = JSON.parse(readFileSync(join(c.dir, 'seabios/outcome.json'), 'utf8'));
    const ovmf = JSON.parse(readFileSync(join(c.dir, 'ovmf/outcome.json'), 'utf8'));
    const s = r.personalities.find((p) => p.firmware === 'seabios')!;
    const o = r.personalities.find((p) => p.firmware === 'ovmf')!;
    // SeaBIOS warned exactly when the real one did (the no-DMA case needs its own machine; skipped here)
    if (c.dma) t.is(s.warnings.length > 0, (sea.log.warnings ?? []).length > 0, `${id}: SeaBIOS warned`);
    // OVMF gave the OS no tables (or never finished) exactly when the real one did; for an empty script with
    // S3 on the corpus cannot tell OVMF's failure from success-with-nothing, both publish nothing
    // (roots left with one NULL entry after a late failure, D4, give the OS no table either)
    const realNothing = !ovmf.run.completed || ovmf.tables.every((t: { signature: string }) => t.signature === 'RSDT' || t.signature === 'XSDT');
    if (c.dma) t.is(o.verdict === 'aborts' || o.tables.length === 0, realNothing, `${id}: OVMF published nothing`);
  }
});

test('static hazards: prefilled and repeated checksums, checksums a pointer invalidates', (t) => {
  const prefilled = lintScript('p', loadCase(join(CORPUS, 'checksum-prefilled-dsdt')).files);
  t.true(prefilled.findings.some((f) => f.code === 'CHECKSUM_PREFILLED' && f.entry === 3));
  t.is(prefilled.personalities.find((p) => p.firmware === 'ovmf')!.verdict, 'silently produces different tables');
  const outside = lintScript('o', loadCase(join(CORPUS, 'checksum-offset-outside-range')).files);
  t.true(outside.findings.some((f) => f.code === 'CHECKSUM_OUTSIDE_RANGE'));
});

test('CLI: exit 1 with errors, 0 without, 2 for bad input; JSON carries the findings', async (t) => {
  const seed = await fwcfg('lint', join(QEMU_VECTORS, 'seed'));
  t.is(seed.code, 1);
  t.regex(seed.stdout, /error {3}\[32\] STALE_LOADER_SIZE/);
  const q35 = await fwcfg('lint', join(QEMU_VECTORS, 'q35'), '--json');
  t.is(q35.code, 0);
  t.is(JSON.parse(q35.stdout).errors, 0);
  const cap = await fwcfg('lint', join(ROOT, 'spec-vectors/fwcfg-device/q35'));
  t.is(cap.code, 0, cap.stdout + cap.stderr);
  const bad = await fwcfg('lint', join(QEMU_VECTORS, 'nope'));
  t.is(bad.code, 2);
  t.regex(bad.stderr, /^fwcfg: lint: .*nope: no such file or directory \(a loader script or a vector or capture\)\n$/);
});
