/**
 * `fwcfg demo [VECTOR_DIR]` (what `npm start` runs): the seed configuration's
 * loader as QEMU built it at machine creation and after the guest-triggered
 * rebuild, from the real captures embedded in spec-vectors/.
 */
import { tableAnnotator } from '../../loader/annotate.js';
import { decodeLoader } from '../../loader/codec.js';
import { formatListing, listingHeader } from '../../loader/listing.js';
import { LOADER_FILE, TABLES_FILE } from '../../loader/constants.js';
import { Vector } from '../../vectors/vector.js';
import { parse } from '../args.js';
import { embeddedVector } from '../package-root.js';
import type { Io } from '../output.js';
import { migrateCheck } from '../../simulate/migrate-check.js';
import { policyFor } from '../../simulate/options.js';
import { simulateRebuild } from '../../simulate/rebuild-story.js';
import { story } from './simulate.js';

export const usage = 'fwcfg demo [VECTOR_DIR]';

export function demo(argv: string[], io: Io): number {
  const { positionals } = parse('demo', argv, {});
  const vector = Vector.load(positionals[0] ?? embeddedVector('seed'));
  io.out(`${vector.manifest.description}\n${vector.manifest.qemu_version}\n\n`);
  for (const stage of ['before', 'after']) {
    if (!vector.hasRom(stage, LOADER_FILE)) continue;
    const entries = decodeLoader(vector.romBytes(stage, LOADER_FILE));
    const annotate = tableAnnotator(new Map([[TABLES_FILE, vector.romBytes(stage, TABLES_FILE)]]));
    const commands = entries.filter((e) => e.type !== 'padding');
    io.out(`== ${stage === 'before' ? 'at machine creation' : 'after the rebuild the firmware triggered'}: ${commands.length} commands\n`);
    io.out(formatListing(commands, { header: listingHeader(entries), annotate }) + '\n');
  }
  // the RAM-block story: the same rebuild under QEMU 5.2's and 7.2's maximum sizes
  for (const qemu of ['5.2', '7.2']) {
    io.out(`== ${qemu === '5.2' ? 'before the fix' : 'after the fix'}: `);
    io.out(story(simulateRebuild(vector, { policy: policyFor(qemu), hostPageSize: 0x1000 })) + '\n');
  }
  const m = migrateCheck(vector, { from: policyFor('7.2'), to: policyFor('5.2'), fromHostPage: 0x1000, toHostPage: 0x1000, at: 'booted' });
  io.out(`== migrating that VM to QEMU 5.2: ${m.loads ? 'loads' : 'the destination refuses it'}\n${(m.errorLines ?? []).map((l) => `  ${l}`).join('\n')}\n`);
  return 0;
}
