// Differential conformance: the same seeded fw_cfg access sequences on a live QEMU and on the emulator; transcripts must be identical.
import test from 'ava';
import { generateSequence, profileFromCapture, Rng } from '../src/conformance/generator.js';
import { firstDivergence, formatDivergence, runConformance, runOnEmulator } from '../src/conformance/runner.js';
import { referenceCapture } from './helpers/machines.js';
import { qemuFor } from './helpers/qemu.js';

const SEEDS = [1, 2, 3, 4, 5, 6, 7, 8];
const OPERATIONS = 300;

for (const config of ['q35', 'pc', 'virt']) {
  const { binary, skip } = qemuFor(config);
  const title = `${config}: ${SEEDS.length} seeded sequences of ${OPERATIONS} operations give identical transcripts on QEMU and the emulator`;
  if (binary === undefined) {
    test.skip(`${title} (skipped: ${skip})`, () => undefined);
    continue;
  }
  test(title, async (t) => {
    t.timeout(120_000);
    const results = await runConformance(referenceCapture(config), { seeds: SEEDS, operations: OPERATIONS });
    let lines = 0;
    for (const r of results) {
      lines += r.lines;
      if (r.divergence !== undefined) t.fail(formatDivergence(config, r.divergence));
    }
    t.true(lines > SEEDS.length * OPERATIONS);
    t.log(`${lines} qtest lines, no divergence`);
  });
}

test('the generator is deterministic by seed and differs between seeds', (t) => {
  const profile = profileFromCapture(referenceCapture('q35'));
  t.deepEqual(generateSequence(profile, 42, 200), generateSequence(profile, 42, 200));
  t.notDeepEqual(generateSequence(profile, 42, 200), generateSequence(profile, 43, 200));
  t.is(new Rng(7).u32(), new Rng(7).u32());
});

test('sequences cover every kind of access the issue lists', (t) => {
  const x86 = Array.from({ length: 10 }, (_, i) => generateSequence(profileFromCapture(referenceCapture('seed')), i + 1, 400)).flat();
  const arm = Array.from({ length: 10 }, (_, i) => generateSequence(profileFromCapture(referenceCapture('virt')), i + 1, 400)).flat();
  const has = (lines: string[], re: RegExp) => lines.some((l) => re.test(l));
  // selector writes of every kind, data reads of each width, port writes, register read-back
  for (const re of [/^outw 0x510 /, /^outl 0x510 /, /^outl 0x50f /, /^outb 0x511 /, /^inb 0x511$/, /^inw 0x511$/, /^inl 0x50e$/, /^inl 0x514$/, /^inl 0x516$/]) t.true(has(x86, re), String(re));
  for (const re of [/^writew 0x9020008 /, /^write 0x9020008 0x2 /, /^writel 0x9020008 /, /^readq 0x9020000$/, /^readb 0x9020003$/, /^readq 0x9020010$/, /^writeq 0x9020010 /, /^writel 0x9020014 /, /^writeq 0x9020014 /]) t.true(has(arm, re), String(re));
  // DMA descriptors: every control bit, huge lengths, hostile targets and placements
  const descs = x86.filter((l) => / 0x10 0x[0-9a-f]{32}$/.test(l)).map((l) => l.split(' ')[3]!.slice(2));
  const ctl = descs.map((d) => parseInt(d.slice(0, 8), 16));
  for (const bit of [1, 2, 4, 8, 0x10]) t.true(ctl.some((c) => (c & bit) !== 0), `control bit ${bit}`);
  t.true(descs.some((d) => d.slice(8, 16) === 'ffffffff'), 'length 0xffffffff');
  t.true(descs.some((d) => d.slice(16) === '0000002000000000'), 'target beyond RAM');
  t.true(descs.some((d) => d.slice(16).startsWith('ffffffffffff')), 'target wrapping past 2^64');
  t.true(descs.some((d) => d.slice(16).startsWith('000000007fffff')), 'target straddling the end of RAM');
  t.true(descs.some((d) => /^00000000000[ef]/.test(d.slice(16))), 'target in ROM');
  t.true(has(x86, /^write 0x7ffffff[0-9a-f] 0x10 /), 'descriptor straddling the end of RAM');
  t.true(has(x86, /^outl 0x518 /) && has(x86, /^outl 0x514 /), 'address high then low, and low only');
  t.true(has(x86, /^(outw 0x518|outb 0x518|outl 0x516|outw 0x514)/), 'invalid register writes');
  // writes to the writable items (vmgenid address, SMI request)
  t.true(ctl.some((c) => (c & 0x10) !== 0 && c >>> 16 === 0x30), 'WRITE to etc/vmgenid_addr');
  t.true(ctl.some((c) => (c & 0x10) !== 0 && c >>> 16 === 0x2b), 'WRITE to etc/smi/requested-features');
});

test('the emulator never answers FAIL to a generated sequence (it models everything the generator touches)', (t) => {
  for (const config of ['q35', 'pc', 'seed', 'q35-userfiles', 'pc-i440fx-2.0', 'virt']) {
    const capture = referenceCapture(config);
    for (const seed of [11, 12, 13]) {
      const requests = generateSequence(profileFromCapture(capture), seed, 300);
      const replies = runOnEmulator(capture, requests);
      const i = replies.findIndex((r) => !r.startsWith('OK'));
      t.is(i, -1, `${config} seed ${seed}: ${requests[i]} -> ${replies[i]}`);
    }
  }
});

test('a divergence is reported at its first line, with what came before', (t) => {
  const d = firstDivergence(5, ['outw 0x510 0x0', 'inb 0x511', 'inb 0x511'], ['OK', 'OK 0x0051', 'OK 0x0045'], ['OK', 'OK 0x0051', 'OK 0x0000']);
  t.like(d, { seed: 5, index: 2, request: 'inb 0x511', qemu: 'OK 0x0045', emulator: 'OK 0x0000' });
  t.regex(formatDivergence('q35', d!), /^q35 seed 5: first divergence at line 3: inb 0x511\n {2}QEMU: {5}OK 0x0045\n {2}emulator: OK 0x0000/);
  t.is(firstDivergence(1, ['a'], ['OK'], ['OK']), undefined);
});
