// arm virt's flash (src/qemu/pflash.ts): the recorded live transcript replayed, and seeded random flash traffic on a live QEMU.
import test from 'ava';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runOnQemu } from '../src/conformance/runner.js';
import { Prng } from '../src/prng.js';
import { cfiTable, VIRT_FLASH } from '../src/qemu/pflash.js';
import { endpoint, parseTranscript, referenceCapture } from './helpers/machines.js';
import { ROOT } from './helpers/paths.js';
import { QEMU_ARM } from './helpers/qemu.js';

const TRANSCRIPT = join(ROOT, 'spec-vectors/pflash/virt-flash.txt');

test('every reply of the recorded flash transcript (QEMU 7.2, every command state) equals the emulator\'s', (t) => {
  const steps = parseTranscript(readFileSync(TRANSCRIPT, 'utf8'));
  t.true(steps.length >= 250);
  const ep = endpoint('virt', 'reference');
  for (const s of steps) {
    const got = ep.handle(s.request);
    if (got !== s.reply) return void t.fail(`line ${s.line} (${s.step}): ${s.request}\n  QEMU:     ${s.reply}\n  emulator: ${got}`);
  }
  t.pass();
});

test('the CFI table the model derives from the geometry is the one QEMU answered, byte for byte', (t) => {
  const steps = parseTranscript(readFileSync(TRANSCRIPT, 'utf8')).filter((s) => s.step.startsWith('CFI query') && /^readl 0x[0-9a-f]+$/.test(s.request)).slice(0, 0x52);
  // each device answers its byte in the low half of its 16 bits; the bank repeats it
  const live = steps.map((s) => Number(BigInt(s.reply.slice(3)) & 0xffn));
  t.deepEqual(live, [...cfiTable(VIRT_FLASH)]);
  t.deepEqual(live.slice(0x10, 0x13), [0x51, 0x52, 0x59], 'QRY');
});

test('the request a random sequence found is OK, as on QEMU', (t) => {
  const ep = endpoint('virt', 'reference');
  t.is(ep.handle(`write 0x0 0x20 0x${'3c'.repeat(32)}`), 'OK');
  t.is(ep.handle('read 0x0 0x20'), `OK 0x${'00'.repeat(32)}`);
});

/** Flash traffic only: commands of every kind at every width, data cycles, reads of every width, on both flashes. */
function flashTraffic(seed: number, n: number): string[] {
  const r = new Prng(seed);
  const hex = (v: number | bigint) => '0x' + v.toString(16);
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const base = r.chance(0.8) ? 0 : 0x4000000;
    const at = base + r.pick([r.int(0x160), 0x40000 * r.int(3) + r.int(32), r.int(0x4000), 0x1000 * r.int(4) + 0xff0 + r.int(16)]);
    const c = r.pick([0x00, 0x10, 0x20, 0x28, 0x40, 0x50, 0x60, 0x70, 0x90, 0x98, 0xd0, 0x01, 0xe8, 0xe8, 0xf0, 0xff, 0xff, r.int(256)]);
    switch (r.int(10)) {
      case 0:
        out.push(`writeb ${hex(at)} ${hex(c)}`);
        break;
      case 1:
        out.push(`writew ${hex(at)} ${hex(r.chance(0.5) ? c : r.int(0x10000))}`);
        break;
      case 2:
        out.push(`writel ${hex(at)} ${hex(r.chance(0.5) ? ((c << 16) | c) >>> 0 : r.u32())}`);
        break;
      case 3:
        out.push(`writeq ${hex(at)} ${hex((BigInt(r.u32()) << 32n) | BigInt(c))}`);
        break;
      case 4:
        out.push(`memset ${hex(at)} ${hex(1 + r.int(9))} ${hex(c)}`);
        break;
      default: {
        const w = r.int(6);
        out.push(w === 0 ? `readb ${hex(at)}` : w === 1 ? `readw ${hex(at)}` : w === 2 ? `readl ${hex(at)}` : w === 3 ? `readq ${hex(at)}` : w === 4 ? `read ${hex(at)} ${hex(1 + r.int(20))}` : `b64read ${hex(at)} ${hex(1 + r.int(12))}`);
      }
    }
  }
  return out;
}

const live = QEMU_ARM === undefined ? test.skip : test;
live(`seeded random flash traffic (6 seeds x 600 requests) gets QEMU's replies${QEMU_ARM === undefined ? ' (skipped: qemu-system-aarch64 not found)' : ''}`, async (t) => {
  t.timeout(120_000);
  for (const seed of [1, 2, 3, 4, 5, 6]) {
    const lines = flashTraffic(seed, 600);
    const qemu = await runOnQemu(referenceCapture('virt'), lines);
    const ep = endpoint('virt', 'reference');
    for (let i = 0; i < lines.length; i++) {
      const got = ep.handle(lines[i]!);
      if (got !== qemu[i]) return void t.fail(`seed ${seed}, request ${i}: ${lines[i]}\n  QEMU:     ${qemu[i]}\n  emulator: ${got}\n  before: ${lines.slice(Math.max(0, i - 8), i).join(' | ')}`);
    }
  }
  t.pass();
});
