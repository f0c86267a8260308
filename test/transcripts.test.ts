// Every shared qtest transcript, replayed against the emulator: each `>` line sent, the reply must be QEMU's `<` line exactly.
import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { endpoint, parseTranscript, SHARED_DIR, transcriptConfig } from './helpers/machines.js';

const dir = join(SHARED_DIR, 'transcripts');
const files = readdirSync(dir).filter((f) => f.endsWith('.txt')).sort();

test('all six shared transcripts are here', (t) => {
  t.deepEqual(files, ['arm-mmio.txt', 'x86-dma.txt', 'x86-nodma.txt', 'x86-ports.txt', 'x86-userfiles.txt', 'x86-writable.txt']);
});

for (const file of files) {
  for (const from of ['shared', 'reference'] as const) {
    test(`${file}: every reply equals QEMU's (emulator from the ${from} capture)`, (t) => {
      const text = readFileSync(join(dir, file), 'utf8');
      const ep = endpoint(transcriptConfig(text), from);
      const steps = parseTranscript(text);
      t.true(steps.length > 30);
      for (const s of steps) {
        const got = ep.handle(s.request);
        if (got !== s.reply) {
          t.fail(`${file}:${s.line} (${s.step}): ${s.request}\n  QEMU:     ${s.reply}\n  emulator: ${got}`);
          return;
        }
      }
      t.pass();
    });
  }
}
