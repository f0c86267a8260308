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
import type { MachineType } from './machine-type.js';

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
  /**
   * fw_cfg_modify_bytes_read keeps the select callback's opaque (QEMU commit
   * 5a7b6029c1e2, in 10.0; before it a resized ROM blob lost its rebuild
   * callback, so after a reset its select no longer rebuilt).
   */
  modifyKeepsCallback: boolean;
  /** The newest versioned machine types the release knows (pc-q35-X.Y, pc-i440fx-X.Y, virt-X.Y). */
  latestMachineType: string;
  /** The oldest versioned pc-i440fx / pc-q35 machine types it still has (`-machine help` of the binary). */
  oldestMachineType: { 'pc-i440fx': string; 'pc-q35': string };
  /**
   * What it prints when started with a machine type it lacks (then exits 1):
   * 'option' (5.2: `-machine ARG: unsupported machine type`), 'bare' (7.2),
   * 'named' (10.0 on: `unsupported machine type: "NAME"`). Each seen live.
   */
  unsupportedMachineText: 'option' | 'bare' | 'named';
}

export interface QemuRecord extends QemuPolicy {
  /** `major.minor`, as --qemu takes it. */
  release: string;
  /** Where the record's facts come from. */
  evidence: string;
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
    oldestMachineType: { 'pc-i440fx': '1.4', 'pc-q35': '2.4' },
    modifyKeepsCallback: false,
    unsupportedMachineText: 'option',
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
    // observed the same on 5.2 and 7.2 (`-machine help`), so assumed for 6.0 between them
    oldestMachineType: { 'pc-i440fx': '1.4', 'pc-q35': '2.4' },
    modifyKeepsCallback: false,
    // not seen: 6.0 has no Debian binary; 5.2's form is assumed
    unsupportedMachineText: 'option',
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
    oldestMachineType: { 'pc-i440fx': '1.4', 'pc-q35': '2.4' },
    modifyKeepsCallback: false,
    unsupportedMachineText: 'bare',
    evidence: 'Debian 1:7.2+dfsg-7+deb12u18+b3, the host QEMU of spec-vectors/qemu-7.2',
  },
  {
    release: '10.0',
    version: { major: 10, minor: 0 },
    romMax: 'by-name',
    ramSizeMessages: 'size',
    notifyUnalignedResize: true,
    cancelsPrecopyOnResize: true,
    // read from Debian's 10.0.13 binary: qemu_ram_resize passes "system/physmem.c" and lines
    // 1734 (Size mismatch) / 1742 (Size too large) to error_setg_errno_internal
    abortLocation: { file: 'system/physmem.c', mismatchLine: 1734, tooLargeLine: 1742 },
    latestMachineType: '10.0',
    // `-machine help` of the trixie binary: pc-i440fx-2.4 and pc-q35-2.4 (9.1 dropped the older ones)
    oldestMachineType: { 'pc-i440fx': '2.4', 'pc-q35': '2.4' },
    // measured: after the seed's reset the loader's select rebuilds again (spec-vectors/qemu-10.0, live boots)
    modifyKeepsCallback: true,
    unsupportedMachineText: 'named',
    evidence: 'Debian 1:10.0.13+ds-0+deb13u1, run live in a trixie chroot (spec-vectors/qemu-10.0)',
  },
  {
    release: '11.1',
    version: { major: 11, minor: 1 },
    romMax: 'by-name',
    ramSizeMessages: 'size',
    notifyUnalignedResize: true,
    cancelsPrecopyOnResize: true,
    // read from Debian's 11.1.3 binary, as for 10.0: lines 2043 / 2051
    abortLocation: { file: 'system/physmem.c', mismatchLine: 2043, tooLargeLine: 2051 },
    latestMachineType: '11.1',
    // `-machine help` of the sid binary: nothing older than 5.2
    oldestMachineType: { 'pc-i440fx': '5.2', 'pc-q35': '5.2' },
    modifyKeepsCallback: true,
    unsupportedMachineText: 'named',
    evidence: 'Debian 1:11.1.3+ds-1, run live in a sid chroot (spec-vectors/qemu-11.1)',
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

/**
 * Why this release cannot start `type` (QEMU's own lines, then exit 1), or
 * null when it has it. Versioned pc/q35 types run from the record's oldest to
 * its own release, virt-X.Y up to its release (its oldest is not recorded);
 * microvm always.
 */
export function unsupportedMachine(r: QemuPolicy, type: MachineType, program: string, machineArg: string = type.name): string[] | null {
  if (type.family === 'microvm') return null;
  const oldest = type.family === 'q35' ? r.oldestMachineType['pc-q35'] : type.family === 'pc' ? r.oldestMachineType['pc-i440fx'] : undefined;
  const o = oldest === undefined ? undefined : parseQemuVersion(oldest);
  const tooOld = o !== undefined && !versionAtLeast(type, o.major, o.minor);
  const tooNew = !versionAtLeast(r.version, type.major, type.minor);
  if (!tooOld && !tooNew) return null;
  const first =
    r.unsupportedMachineText === 'option'
      ? `${program}: -machine ${machineArg}: unsupported machine type`
      : r.unsupportedMachineText === 'bare'
        ? `${program}: unsupported machine type`
        : `${program}: unsupported machine type: "${type.name}"`;
  return [first, 'Use -machine help to list supported machines'];
}
