// The embedded captures are byte-for-byte what was captured: never edited.
import test from 'ava';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, loadVector, vectorConfigs } from './helpers/paths.js';

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

for (const [set, least] of [['qemu-7.2', 50], ['qemu-5.2', 40], ['qemu-10.0', 50], ['qemu-11.1', 50], ['migration', 50], ['fwcfg-device', 50], ['fwcfg-captures', 50], ['firmware-conformance', 50], ['tpm-measurements', 100], ['uboot', 50], ['aavmf', 50], ['ovmf-page-tables', 30], ['ovmf-bgrt', 50]] as const) test(`every file matches SHA256SUMS.${set}`, (t) => {
  const dir = join(ROOT, 'spec-vectors');
  const lines = readFileSync(join(dir, `SHA256SUMS.${set}`), 'utf8').trim().split('\n');
  t.true(lines.length > least);
  for (const line of lines) {
    const [sum, path] = line.split(/\s+/);
    t.is(sha256(readFileSync(join(dir, path!))), sum, path);
  }
});

test("every ROM blob matches the SHA-256 its capture tool recorded", (t) => {
  let n = 0;
  for (const config of vectorConfigs()) {
    const v = loadVector(config);
    for (const stage of v.stageNames) {
      for (const rom of v.stage(stage).roms ?? []) {
        t.is(sha256(v.romBlock(stage, rom.fw_cfg_file)), rom.sha256, `${config}/${rom.path}`);
        n++;
      }
    }
  }
  t.true(n >= 45);
});
