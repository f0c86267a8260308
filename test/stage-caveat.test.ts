// A firmware modelled on a capture without its own stage: the model says whose rebuild it used and why
// its tables may differ (U-Boot programs q35's PCIEXBAR to 0xe0000000, the `after` stage is SeaBIOS's
// 0xb0000000 boot), in simulate's report and its firmware notes. Offline, on the captured seed and pc.
import test from 'ava';
import { join } from 'node:path';
import { openVector } from '../src/vectors/configuration.js';
import { simulateFirmware, stageFor } from '../src/simulate/firmware-run.js';
import { stageCaveat } from '../src/simulate/stage-caveat.js';
import { policyFor } from '../src/simulate/options.js';
import { ROOT } from './helpers/paths.js';

const vector = (name: string) => openVector(join(ROOT, 'spec-vectors', 'qemu-7.2', name));

test("U-Boot on a q35 capture with only SeaBIOS's rebuild: the stage used and the PCIEXBAR that differs are said", (t) => {
  const seed = vector('seed');
  t.false(seed.hasStage('after-uboot'));
  t.is(stageFor(seed, 'uboot'), 'after');
  const caveat = stageCaveat(seed, 'uboot', 'after');
  t.truthy(caveat);
  t.regex(caveat!, /no after-uboot stage/);
  t.regex(caveat!, /0xb0000000/);
  t.regex(caveat!, /0xe0000000/);
  const sim = simulateFirmware(seed, { policy: policyFor('7.2'), hostPageSize: 0x1000, firmware: 'uboot' });
  try {
    t.is(sim.report.stage, 'after');
    t.is(sim.report.stageCaveat, caveat);
    t.true(sim.report.firmware!.notes.includes(caveat!));
  } finally {
    sim.memory?.release();
  }
});

test('no caveat where the stage is the firmware\'s own or nothing it programs differs (pc has no PCIEXBAR)', (t) => {
  t.is(stageCaveat(vector('seed'), 'seabios', 'after'), null);
  t.is(stageCaveat(vector('pc'), 'uboot', 'after'), null);
  t.is(stageCaveat(vector('seed'), 'uboot', 'before'), null);
});
