/**
 * Pairing a QEMU capture with the fw_cfg item capture of the same
 * configuration (what QEMU serves when no firmware has programmed the
 * platform): given explicitly, or found beside it in spec-vectors/.
 */
import { existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { loadItemsCapture, type ItemsCapture } from '../vectors/items-capture.js';
import type { Vector } from '../vectors/vector.js';

export function itemsCaptureFor(vector: Vector, explicit: string | undefined): ItemsCapture | undefined {
  if (explicit !== undefined) return loadItemsCapture(explicit);
  // spec-vectors/qemu-7.2/<config> pairs with spec-vectors/fwcfg-device/<config>
  const sibling = join(dirname(dirname(vector.dir)), 'fwcfg-device', basename(vector.dir));
  return existsSync(join(sibling, 'items.json')) ? loadItemsCapture(sibling) : undefined;
}
