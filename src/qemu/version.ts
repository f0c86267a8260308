/**
 * One record per QEMU release this project models: what changes with the
 * release in the parts modelled here (ROM maxima, RAM-block messages, the
 * text and place of the resize abort, migration behaviour, the machine types
 * it knows). `--qemu`, `--to`, `--from` and a capture's detected version all
 * resolve through `qemuRecord`; a release without a record is an error that
 * names the ones there are. Adding a release is adding a record (and its
 * vectors and tests).
 */
import { UsageError } from '../errors.js';
import type { RamSizeMessages } from '../memory/ram-block.js';

export interface QemuVersion {
  major: number;
  minor: number;
}

/** `major.minor` (a patch level is accepted and ignored: the series behaves alike). */
export function parseQemuVersion(text: string): QemuVersion {
  const m = /^(\d+)\.(\d+)(?:\.\d+)?$/.exec(text);
  if (m === null) throw new UsageError('BAD_VERSION', `QEMU version ${JSON.stringify(text)} is not major.minor (one of ${modelledQemuVersions().join(', ')})`);
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
 * in real output (or read from the release's source) are recorded; an
 * unknown one is printed as `?`.
 */
export interface AbortLocation {
  file: string;
  mismatchLine?: number;
  tooLargeLine?: number;
}

/** What the model needs of a QEMU release. */
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

export interface QemuRecord extends QemuPolicy {
  /** `major.minor`, as --qemu takes it. */
  release: string;
  /** Where the record's facts come from. */
  evidence: string;
  /** The newest versioned machine types the release knows (pc-q35-X.Y, pc-i440fx-X.Y, virt-X.Y). */
  latestMachineType: string;
}

const RECORDS: readonly QemuRecord[] = [
  {
    release: '5.2',
    version: { major: 5, minor: 2 },
    romMax: 'initial',
    ramSizeMessages: 'size',
    notifyUnalignedResize: true,
    cancelsPrecopyOnResize: false,
    // Debian 11's 5.2 build, read from its abort on the seed (spec-vectors/qemu-5.2/seed/qemu-stderr.txt)
    abortLocation: { file: '../../softmmu/physmem.c', tooLargeLine: 1766 },
    latestMachineType: '5.2',
    evidence: 'Debian 1:5.2+dfsg-11+deb11u5, run live in a bullseye chroot (spec-vectors/qemu-5.2)',
  },
  {
    release: '6.0',
    version: { major: 6, minor: 0 },
    romMax: 'by-name',
    ramSizeMessages: 'size',
    notifyUnalignedResize: true,
    cancelsPrecopyOnResize: false,
    // the seed's original report came from a 6.0 development build: physmem.c:1850 for "Size too large"
    abortLocation: { file: '../softmmu/physmem.c', tooLargeLine: 1850 },
    latestMachineType: '6.0',
    evidence: 'QEMU 6.0 source (no Debian binary of it); the abort location from the seed report',
  },
  {
    release: '7.2',
    version: { major: 7, minor: 2 },
    romMax: 'by-name',
    ramSizeMessages: 'size',
    notifyUnalignedResize: true,
    cancelsPrecopyOnResize: true,
    // Debian's 7.2.22, read from the binary: error_setg_errno in qemu_ram_resize is called with
    // "../../softmmu/physmem.c" and lines 1844/1852
    abortLocation: { file: '../../softmmu/physmem.c', mismatchLine: 1844, tooLargeLine: 1852 },
    latestMachineType: '7.2',
    evidence: 'Debian 1:7.2+dfsg-7+deb12u18+b3, the host QEMU of spec-vectors/qemu-7.2',
  },
];

/** The releases with a record, oldest first. */
export function modelledQemuVersions(): string[] {
  return RECORDS.map((r) => r.release);
}

/** The record of a release (`5.2`, `7.2.22`, ...), or a usage error naming the modelled ones. */
export function qemuRecord(text: string): QemuRecord {
  const v = parseQemuVersion(text);
  const r = RECORDS.find((x) => x.version.major === v.major && x.version.minor === v.minor);
  if (r === undefined) throw new UsageError('UNKNOWN_QEMU', `QEMU ${versionText(v)} is not modelled (modelled: ${modelledQemuVersions().join(', ')})`);
  return r;
}

/** The policy of a modelled release (its record). */
export function qemuPolicy(v: QemuVersion): QemuPolicy {
  return qemuRecord(versionText(v));
}

/** The QEMU a machine runs under: its release's rules and the host's page size (RAM blocks align to it). */
export interface QemuHost {
  policy: QemuPolicy;
  hostPageSize: number;
}
