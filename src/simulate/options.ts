/** Options shared by the simulate commands: QEMU version policy and host page size. */
import { UsageError } from '../errors.js';
import { qemuRecord, type QemuHost, type QemuPolicy } from '../qemu/version.js';
import type { ItemsCapture } from '../vectors/items-capture.js';

export const HOST_PAGE_SIZES = [0x1000, 0x10000] as const;

/** The rules of a modelled QEMU release (7.2 when none is named); an unknown one is a usage error. */
export function policyFor(version: string | undefined): QemuPolicy {
  return qemuRecord(version ?? '7.2');
}

export function hostPageFor(text: string | undefined): number {
  if (text === undefined) return 0x1000;
  const n = Number(text);
  if (!(HOST_PAGE_SIZES as readonly number[]).includes(n)) throw new UsageError('BAD_PAGE_SIZE', `--host-page ${text}: use 4096 or 65536`);
  return n;
}

/** The QEMU release a vector or capture was recorded on (`major.minor`), the model's default rules for it. */
export function releaseOf(vector: { manifest: { qemu_version: string } }): string {
  return /version (\d+\.\d+)/.exec(vector.manifest.qemu_version)?.[1] ?? '7.2';
}

/** What every model of a VM is run with: the QEMU it runs under, pinned placements, the item capture that goes with it. */
export interface ModelOptions extends QemuHost {
  /** `--place FILE=ADDR`: allocation bases the firmware must use. */
  placements?: ReadonlyMap<string, number>;
  /** Well-known items and plain files (vectors/configuration.ts finds them). */
  items?: ItemsCapture;
}
