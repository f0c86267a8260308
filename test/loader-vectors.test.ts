// The codec against every real loader QEMU 7.2 produced (spec-vectors/qemu-7.2).
import test from 'ava';
import { readFileSync } from 'node:fs';
import { tableAnnotator } from '../src/loader/annotate.js';
import { decodeLoader, encodeLoader } from '../src/loader/codec.js';
import { formatListing, listingHeader } from '../src/loader/listing.js';
import { loaderStages } from './helpers/paths.js';

const stages = loaderStages();

test('there are real loaders to test against', (t) => {
  // 7 configs; every stage with a loader: 17 blobs in the captures
  t.true(stages.length >= 15);
});

for (const { config, stage, vector } of stages) {
  test(`${config}/${stage}: decode then encode gives the captured bytes`, (t) => {
    const bytes = vector.romBytes(stage, 'etc/table-loader');
    const entries = decodeLoader(bytes);
    t.is(entries.length * 128, bytes.length);
    t.deepEqual(encodeLoader(entries), bytes);
    t.true(entries.every((e) => e.type === 'padding' || e.type === 'unknown' || e.raw === undefined), 'QEMU wrote only canonical entries');
  });

  test(`${config}/${stage}: listing equals the capture's independent loader.txt`, (t) => {
    const bytes = vector.romBytes(stage, 'etc/table-loader');
    const entries = decodeLoader(bytes);
    const annotate = tableAnnotator(new Map([['etc/acpi/tables', vector.romBytes(stage, 'etc/acpi/tables')]]));
    const reference = readFileSync(vector.path(stage, 'loader.txt'), 'utf8').split('\n');
    const commands = entries.filter((e) => e.type !== 'padding');
    const ours = formatListing(commands, { annotate }).trimEnd().split('\n');
    t.deepEqual(ours, reference.filter((l) => l.startsWith('[')));
    t.deepEqual(listingHeader(entries).map((h) => `# ${h}`), reference.slice(1, 3));
    // padding only at the end, never between commands
    t.true(entries.slice(commands.length).every((e) => e.type === 'padding'));
    t.is(commands.length, vector.stage(stage).loader.commands);
  });
}
