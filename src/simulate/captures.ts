/**
 * Pairing a QEMU capture with the fw_cfg item capture of the same
 * configuration (what QEMU serves when no firmware has programmed the
 * platform): given explicitly, or found beside it in spec-vectors/ (a
 * capture read from memory has no siblings).
 */
import { existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { DirectorySource } from '../vectors/file-source.js';
import { loadItemsCapture, type ItemsCapture } from '../vectors/items-capture.js';
import type { Vector } from '../vectors/vector.js';
import { SYSTEM_STATES_DEFAULT, vmgenidGuidFile } from '../qemu/built-files.js';

export function itemsCaptureFor(vector: Vector, explicit: string | undefined): ItemsCapture | undefined {
  if (explicit !== undefined) return loadItemsCapture(explicit);
  // a vector read from a capture carries the capture
  if (vector.items !== undefined) return vector.items;
  // a capture not on disk has no siblings (and its label is no path to look beside)
  if (!(vector.source instanceof DirectorySource)) return undefined;
  // spec-vectors/qemu-7.2/<config> pairs with spec-vectors/fwcfg-device/<config>
  const sibling = join(dirname(dirname(vector.dir)), 'fwcfg-device', basename(vector.dir));
  return existsSync(join(sibling, 'items.json')) ? loadItemsCapture(sibling) : undefined;
}

/**
 * Contents for a capture's plain fw_cfg files (not ROM blobs): the files QEMU
 * builds from the configuration (etc/vmgenid_guid from the stage's GUID,
 * etc/system-states), then any file the paired item capture holds.
 */
export function vectorFileContents(vector: Vector, stage: string, items: ItemsCapture | undefined): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  for (const it of items?.items ?? []) if (it.kind === 'file' && !ACPI.has(it.name)) out.set(it.name, it.bytes.slice());
  const guid = vector.hasStage(stage) ? vector.stage(stage).qmp_vm_generation_id : undefined;
  if (typeof guid === 'string') out.set('etc/vmgenid_guid', vmgenidGuidFile(guid));
  if (!out.has('etc/system-states')) out.set('etc/system-states', SYSTEM_STATES_DEFAULT.slice());
  return out;
}

const ACPI = new Set(['etc/acpi/tables', 'etc/table-loader', 'etc/acpi/rsdp']);
