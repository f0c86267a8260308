// OVMF's own BGRT (src/firmware/ovmf-bgrt.ts), held to real boots: spec-vectors/ovmf-bgrt holds,
// per configuration, a capture of a command line that keeps (or drops) QEMU's default display and
// what real OVMF left in RAM after booting it (scripts/record-ovmf-bgrt.mjs). From the capture
// alone the model must give the same tables at the same addresses, the same RSDT and XSDT bytes,
// and every BGRT byte but the ones it names as not modelled (the logo's pool address, the checksum).
import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { simulateFirmware } from '../src/simulate/firmware-run.js';
import { policyFor, releaseOf } from '../src/simulate/options.js';
import { openVector } from '../src/vectors/configuration.js';
import { bgrtTable, BGRT_LENGTH, logoOffset } from '../src/firmware/ovmf-bgrt.js';
import { SCREEN_1280X800, SCREEN_800X600 } from '../src/firmware/profiles.js';
import { checksumByte } from '../src/acpi/checksum.js';
import { ROOT } from './helpers/paths.js';

const SET = join(ROOT, 'spec-vectors', 'ovmf-bgrt');
const configs = readdirSync(SET, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();

interface LiveJson {
  user_argv: string[];
  boots: { tables: { signature: string; address: string; length: number; checksum_ok: boolean }[]; bytes: Record<string, string> }[];
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

test('the recording covers every release with a BGRT, a display-less machine and a non-VGA display', (t) => {
  t.true(configs.length >= 7, configs.join(' '));
  for (const c of ['q35-5.2', 'q35-7.2', 'q35-10.0', 'q35-11.1', 'pc-7.2', 'q35-vga-none-7.2', 'q35-bochs-display-7.2']) t.true(configs.includes(c), c);
});

for (const config of configs) {
  test(`${config}: the model's tables from the capture are real OVMF's, BGRT included (all but its image address and checksum)`, (t) => {
    const live = JSON.parse(readFileSync(join(SET, config, 'live.json'), 'utf8')) as LiveJson;
    const vector = openVector(join(SET, config, 'capture'));
    const sim = simulateFirmware(vector, { policy: policyFor(releaseOf(vector)), hostPageSize: 0x1000, firmware: 'ovmf' });
    const report = sim.report.firmware!;
    const memory = sim.memory!;
    const modelTables = report.tables.map((x) => `${x.signature}@0x${x.address.toString(16)}`);
    for (const [i, boot] of live.boots.entries()) {
      t.deepEqual(modelTables, boot.tables.map((x) => `${x.signature}@${x.address}`), `boot ${i + 1}: tables`);
      t.true(boot.tables.every((x) => x.checksum_ok), 'every live table sums to 0');
      for (const sig of ['RSDT', 'XSDT']) {
        const m = report.tables.find((x) => x.signature === sig)!;
        t.is(hex(memory.read(m.address, m.length)), boot.bytes[sig], `boot ${i + 1}: ${sig} bytes`);
      }
      const bgrt = report.tables.find((x) => x.signature === 'BGRT');
      t.is(bgrt !== undefined, boot.bytes['BGRT'] !== undefined, 'a BGRT exactly when real OVMF installed one');
      if (bgrt === undefined) continue;
      t.deepEqual(bgrt.unmodelled?.map((u) => [u.offset, u.length]), [[9, 1], [40, 8]]);
      const want = memory.read(bgrt.address, bgrt.length);
      const got = Buffer.from(boot.bytes['BGRT']!, 'hex');
      for (const u of bgrt.unmodelled!) got.set(want.subarray(u.offset, u.offset + u.length), u.offset);
      t.is(hex(want), hex(got), `boot ${i + 1}: BGRT bytes outside the image address and checksum`);
    }
  });
}

test('the BGRT centres the 193x58 logo on the release screen, version 1, displayed, BMP, and sums to 0 with the address left 0', (t) => {
  t.deepEqual(logoOffset(SCREEN_800X600), { x: 303, y: 271 });
  t.deepEqual(logoOffset(SCREEN_1280X800), { x: 543, y: 371 });
  const b = bgrtTable(SCREEN_1280X800);
  t.is(b.length, BGRT_LENGTH);
  t.deepEqual([b[36], b[37], b[38], b[39]], [1, 0, 1, 0]);
  t.is(hex(b.subarray(40, 48)), '0000000000000000');
  t.is(checksumByte(b.map((x, i) => (i === 9 ? 0 : x))), b[9]);
});
