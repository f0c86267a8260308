/**
 * Which firmware a QEMU command line boots, which others could boot that
 * machine here, and the arguments and image for each. The capture boots each
 * one to its first ACPI select (capture-rebuild.ts) so that QEMU rebuilds its
 * tables from the platform exactly as that firmware leaves it: firmware
 * programs PCIEXBAR, the PM base, bus numbers and BARs before it asks for the
 * tables, and QEMU's rebuild reads them (../shared/vectors/README.md, last
 * section: a PCIEXBAR-only rebuild of the seed differs in 10 bytes).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { CaptureFirmware, FirmwareImageJson } from '../vectors/capture-json.js';
import { ubootVersionIn } from './uboot-image.js';
import { findOnPath } from './live/find-binary.js';
import { ovmfCandidates, qemuDataDirs } from './live/firmware-images.js';
import { firmwareImageKind } from './firmware-kinds.js';


/** The vector stage name each firmware's rebuild is kept under (as in spec-vectors/qemu-7.2). */
export const FIRMWARE_STAGE: Record<CaptureFirmware, string> = { seabios: 'after', ovmf: 'after-ovmf', aavmf: 'after-aavmf', uboot: 'after-uboot' };

export interface FirmwarePlan {
  firmware: CaptureFirmware;
  /** The user's arguments with their firmware options replaced by this firmware's. */
  args: string[];
  image: FirmwareImageJson;
  /** Files to copy into the run directory first (a writable variable store): [source, name in the run dir]. */
  copies: [string, string][];
  /** Other images of the same firmware, tried in turn when QEMU refuses to start with this one. */
  alternatives?: FirmwarePlan[];
}

export interface FirmwarePlans {
  /** The firmware the command line itself boots (null: none, e.g. arm virt without -bios or pflash). */
  booted: CaptureFirmware | null;
  plans: FirmwarePlan[];
  /** Firmware that could not be planned, and why (not installed, not for this machine). */
  unavailable: { firmware: CaptureFirmware; reason: string }[];
}

const UEFI_NAME = /ovmf|edk2|aavmf|qemu_efi|qemu-efi/i;
const UBOOT_NAME = /^u-boot/i;

/** A `-bios` image that is U-Boot: by its banner where the file is readable here, else by Debian's file name (a chroot's path). */
function isUboot(path: string): boolean {
  return versionInFile(path, ubootVersionIn) !== null || (!existsSync(path) && UBOOT_NAME.test(basename(path)));
}

interface StrippedArgs {
  rest: string[];
  /** The command line's own firmware options, in order. */
  own: string[];
  bios: string | undefined;
  pflash: string[];
  /** pflash given as -blockdev + -machine pflash0=: kept as is (only the command line's firmware can run). */
  blockdevPflash: boolean;
}

function stripFirmware(args: readonly string[]): StrippedArgs {
  const rest: string[] = [];
  const own: string[] = [];
  let bios: string | undefined;
  const pflash: string[] = [];
  let blockdevPflash = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const v = args[i + 1];
    if (a === '-bios' && v !== undefined) {
      bios = v;
      own.push(a, v);
      i++;
    } else if (a === '-pflash' && v !== undefined) {
      pflash.push(v);
      own.push(a, v);
      i++;
    } else if (a === '-drive' && v !== undefined && /(^|,)if=pflash(,|$)/.test(v)) {
      pflash.push(/(?:^|,)file=([^,]*)/.exec(v)?.[1] ?? v);
      own.push(a, v);
      i++;
    } else {
      if ((a === '-machine' || a === '-M') && v !== undefined && /(^|,)pflash[01]=/.test(v)) blockdevPflash = true;
      rest.push(a);
    }
  }
  return { rest, own, bios, pflash, blockdevPflash };
}

/** The build an image file names (`versionIn` of its kind), or null when it names none or cannot be read. */
function versionInFile(path: string, versionIn: (image: Uint8Array) => string | null): string | null {
  try {
    return versionIn(new Uint8Array(readFileSync(path)));
  } catch {
    return null;
  }
}

/** The Debian package that owns a file, with its version (OVMF images are compressed: the package says it). */
function packageOf(path: string): string | null {
  try {
    const owner = execFileSync('dpkg-query', ['-S', path], { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'ignore'] }).split(':')[0]!.trim();
    const version = execFileSync('dpkg-query', ['-W', '-f', '${Version}', owner], { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return owner && version ? `${owner} ${version}` : null;
  } catch {
    return null;
  }
}

function describeImage(files: string[], source: FirmwareImageJson['source'], firmware: CaptureFirmware, hostInstall: boolean): FirmwareImageJson {
  const code = files[0];
  if (code === undefined) return { files, source, version: null, versionFrom: null };
  if (!hostInstall && source !== 'command line') return { files, source, version: null, versionFrom: "unknown: this QEMU is not this host's installation, whose files and packages the paths would name" };
  const kind = firmwareImageKind(firmware);
  if (kind.versionIn !== undefined) {
    const v = versionInFile(code, kind.versionIn);
    if (v !== null) return { files, source, version: v, versionFrom: 'the image' };
  }
  const p = packageOf(code);
  return { files, source, version: p === null ? null : p.split(' ')[1]!, versionFrom: p === null ? null : `package ${p.split(' ')[0]}` };
}

/** AAVMF's split images as Debian installs them. */
const AAVMF_PAIRS: readonly [string, string][] = [
  ['/usr/share/AAVMF/AAVMF_CODE.fd', '/usr/share/AAVMF/AAVMF_VARS.fd'],
  ['/usr/share/edk2/aarch64/QEMU_EFI-pflash.raw', '/usr/share/edk2/aarch64/vars-template-pflash.raw'],
];

function pflashArgs(code: string, varsName: string): string[] {
  return ['-drive', `if=pflash,format=raw,readonly=on,file=${code}`, '-drive', `if=pflash,format=raw,file=$RUN/${varsName}`];
}

/** What planning an installed firmware needs: the arguments without firmware options, QEMU, the machine family, and how an image is described. */
interface PlanContext {
  rest: readonly string[];
  binary: string;
  family: string;
  image(files: string[], source: FirmwareImageJson['source']): FirmwareImageJson;
}

/**
 * The run of each firmware this host has installed, when the command line
 * boots another: a plan, or why there is none. U-Boot has none: it runs only
 * as a command line's own `-bios`.
 */
const INSTALLED_PLANS: Partial<Record<CaptureFirmware, (c: PlanContext) => FirmwarePlan | string>> = {
  seabios: (c) => {
    const name = c.family === 'microvm' ? 'bios-microvm.bin' : 'bios-256k.bin';
    const found = qemuDataDirs(c.binary).map((d) => join(d, name)).find((p) => existsSync(p));
    if (found === undefined) return `${name} not found in QEMU's data directories (install the seabios package)`;
    return { firmware: 'seabios', args: [...c.rest], image: c.image([found], 'qemu default'), copies: [] };
  },
  ovmf: (c) => {
    // another installation's QEMU (a chroot) may have only some of the images this host has: the others are tried in turn
    const images = ovmfCandidates();
    if (images.length === 0) return 'OVMF code and vars images not found; install the ovmf package';
    const [first, ...rest] = images.map((img): FirmwarePlan => ({ firmware: 'ovmf', args: [...c.rest, ...pflashArgs(img.code, 'OVMF_VARS.fd')], image: c.image([img.code, img.vars!], 'installed'), copies: [[img.vars!, 'OVMF_VARS.fd']] }));
    return { ...first!, alternatives: rest };
  },
  aavmf: (c) => {
    const pair = AAVMF_PAIRS.find(([code, vars]) => existsSync(code) && existsSync(vars));
    if (pair === undefined) return `AAVMF images not found (tried ${AAVMF_PAIRS.map(([code]) => code).join(', ')}; install qemu-efi-aarch64)`;
    return { firmware: 'aavmf', args: [...c.rest, ...pflashArgs(pair[0], 'AAVMF_VARS.fd')], image: c.image([...pair], 'installed'), copies: [[pair[1], 'AAVMF_VARS.fd']] };
  },
};

/**
 * The firmware the command line boots and the others this host can boot on
 * the same machine: on x86 pc and q35 SeaBIOS and OVMF, on microvm only its
 * default (QEMU's microvm SeaBIOS), on arm virt AAVMF. A `-bios` that is a
 * U-Boot (its banner in the image, or its name) boots U-Boot, on either.
 */
export function planFirmware(binary: string, userArgs: readonly string[], arch: 'x86_64' | 'aarch64', family: string): FirmwarePlans {
  const s = stripFirmware(userArgs);
  // this host's packages say the versions only of this host's QEMU installation (not a wrapper's chroot)
  const resolved = findOnPath(binary);
  const hostInstall = resolved !== undefined && /^\/usr\/bin\/qemu-system-[a-z0-9_]+$/.test(realpathSync(resolved));
  const imageJson = (files: string[], source: FirmwareImageJson['source'], fw: CaptureFirmware) => describeImage(files, source, fw, hostInstall);
  const uefiKind: CaptureFirmware = arch === 'aarch64' ? 'aavmf' : 'ovmf';
  let booted: CaptureFirmware | null;
  if (s.pflash.length > 0 || s.blockdevPflash) booted = uefiKind;
  else if (s.bios !== undefined) booted = isUboot(s.bios) ? 'uboot' : UEFI_NAME.test(basename(s.bios)) ? uefiKind : arch === 'x86_64' ? 'seabios' : null;
  else booted = arch === 'x86_64' ? 'seabios' : null;

  const plans: FirmwarePlan[] = [];
  const unavailable: FirmwarePlans['unavailable'] = [];
  if (booted !== null && (s.own.length > 0 || s.blockdevPflash)) {
    // the command line's own firmware, exactly as given
    plans.push({ firmware: booted, args: [...userArgs], image: imageJson(s.bios !== undefined ? [s.bios] : s.pflash, 'command line', booted), copies: [] });
  }
  if (s.blockdevPflash) return { booted, plans, unavailable };

  const wanted: CaptureFirmware[] = arch === 'aarch64' ? ['aavmf'] : family === 'microvm' ? ['seabios'] : ['seabios', 'ovmf'];
  for (const fw of wanted) {
    if (plans.some((p) => p.firmware === fw)) continue;
    const planned = INSTALLED_PLANS[fw]!({ rest: s.rest, binary, family, image: (files, source) => imageJson(files, source, fw) });
    if (typeof planned === 'string') unavailable.push({ firmware: fw, reason: planned });
    else plans.push(planned);
  }
  return { booted, plans, unavailable };
}
