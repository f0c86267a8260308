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
  return 0;
}
