/**
 * What changes with the QEMU version in the parts modelled here. Versions are
 * "major.minor"; `--qemu 5.2` means the behaviour of the 5.2 series.
 */
import { UsageError } from '../errors.js';
import type { RamSizeMessages } from '../memory/ram-block.js';

export interface QemuVersion {
  major: number;
  minor: number;
}

export function parseQemuVersion(text: string): QemuVersion {
  const m = /^(\d+)\.(\d+)(?:\.\d+)?$/.exec(text);
  if (m === null) throw new UsageError('BAD_VERSION', `QEMU version ${JSON.stringify(text)} is not major.minor (e.g. 5.2, 6.0, 7.2)`);
  return { major: Number(m[1]), minor: Number(m[2]) };
}

export function versionAtLeast(v: QemuVersion, major: number, minor: number): boolean {
  return v.major > major || (v.major === major && v.minor >= minor);
}

export function versionText(v: QemuVersion): string {
  return `${v.major}.${v.minor}`;
}

/**
 * Where an `&error_abort` in qemu_ram_resize reports itself. Only lines seen
 * in real output are recorded; an unknown one is printed as `?`.
 */
export interface AbortLocation {
  file: string;
  mismatchLine?: number;
  tooLargeLine?: number;
}

export interface QemuPolicy {
  version: QemuVersion;
  /**
   * acpi_add_rom_blob's maximum: 'initial' before 6.0 (loader and RSDP max =
   * their page-aligned initial size), 'by-name' from 6.0 (2 MiB / 64 KiB / 4 KiB).
   */
  romMax: 'initial' | 'by-name';
  ramSizeMessages: RamSizeMessages;
  /** QEMU >= 5.0: a resize within the same aligned size still reports the unaligned size. */
  notifyUnalignedResize: boolean;
  /** QEMU >= 6.1 cancels an outgoing precopy when a RAM block is resized during it. */
  cancelsPrecopyOnResize: boolean;
  abortLocation: AbortLocation;
}

// Debian's QEMU 7.2.22, read from the binary: error_setg_errno in
// qemu_ram_resize is called with "../../softmmu/physmem.c" and lines 1844/1852.
const ABORT_7_2: AbortLocation = { file: '../../softmmu/physmem.c', mismatchLine: 1844, tooLargeLine: 1852 };
// The seed's report (QEMU 6.0-rc, upstream build): physmem.c:1850 for "Size too large".
// Used for every version before 7.0; the mismatch line was never seen.
const ABORT_6_0: AbortLocation = { file: '../softmmu/physmem.c', tooLargeLine: 1850 };

export function qemuPolicy(v: QemuVersion): QemuPolicy {
  return {
    version: v,
    romMax: versionAtLeast(v, 6, 0) ? 'by-name' : 'initial',
    ramSizeMessages: versionAtLeast(v, 5, 2) ? 'size' : 'length',
    notifyUnalignedResize: versionAtLeast(v, 5, 0),
    cancelsPrecopyOnResize: versionAtLeast(v, 6, 1),
    abortLocation: versionAtLeast(v, 7, 0) ? ABORT_7_2 : ABORT_6_0,
  };
}
