/**
 * What a real boot needs on this host: the QEMU binary and the firmware
 * images. When one is missing the run is skipped, not failed: the caller
 * gets a RealBootUnavailable naming what is absent.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { FwCfgError } from '../../errors.js';
import { findOnPath } from './find-binary.js';

export type RealFirmware = 'seabios' | 'ovmf' | 'uboot';
export const REAL_FIRMWARES: readonly RealFirmware[] = ['seabios', 'ovmf', 'uboot'];

/** QEMU or a firmware image is not installed: the boot cannot happen here. */
export class RealBootUnavailable extends FwCfgError {}

export const QEMU_BINARY = 'qemu-system-x86_64';
/** The image QEMU loads by default for q35 (`-bios` left out, as the corpus ran it). */
const SEABIOS_IMAGE = 'bios-256k.bin';
/** Where distributions put OVMF's split images (code, vars template); Debian's first, the corpus used it. */
const OVMF_PAIRS: readonly [string, string][] = [
  ['/usr/share/OVMF/OVMF_CODE.fd', '/usr/share/OVMF/OVMF_VARS.fd'],
  // Debian 13 and later ship only the 4 MiB build
  ['/usr/share/OVMF/OVMF_CODE_4M.fd', '/usr/share/OVMF/OVMF_VARS_4M.fd'],
  ['/usr/share/edk2/ovmf/OVMF_CODE.fd', '/usr/share/edk2/ovmf/OVMF_VARS.fd'],
  ['/usr/share/edk2/x64/OVMF_CODE.fd', '/usr/share/edk2/x64/OVMF_VARS.fd'],
  ['/usr/share/qemu/edk2-x86_64-code.fd', '/usr/share/qemu/edk2-i386-vars.fd'],
];

/** Debian's u-boot-qemu build for x86 QEMU (its arm64 build, qemu_arm64/u-boot.bin, runs on virt, which boot-real does not boot). */
export const UBOOT_X86_IMAGE = '/usr/lib/u-boot/qemu-x86_64/u-boot.rom';

export interface FirmwareImage {
  firmware: RealFirmware;
  /** SeaBIOS: the image QEMU will load itself; OVMF: the read-only code flash; U-Boot: its ROM. */
  code: string;
  /** OVMF: the variable store template (a copy is given to each run). */
  vars?: string;
  /** SeaBIOS: QEMU finds the image itself (no `-bios`), as in the corpus. */
  qemuDefault?: boolean;
  /** How the corpus describes it (outcome.json `firmware_image`). */
  description: string;
}

/** The QEMU binary on PATH, or RealBootUnavailable. */
export function findQemu(binary = QEMU_BINARY): string {
  const path = findOnPath(binary);
  if (path === undefined) throw new RealBootUnavailable('NO_QEMU', `${binary} not found on PATH`);
  return path;
}

/** QEMU's data directories (`-L help`), where it looks for its default BIOS. */
export function qemuDataDirs(qemu: string): string[] {
  try {
    return execFileSync(qemu, ['-L', 'help'], { encoding: 'utf8', timeout: 10_000 })
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '')
      .map((l) => resolve(l));
  } catch {
    return [];
  }
}

/** Every installed OVMF code/vars pair, in the order tried (another installation's QEMU may accept only a later one). */
export function ovmfCandidates(): FirmwareImage[] {
  return OVMF_PAIRS.filter(([c, v]) => existsSync(c) && existsSync(v)).map(([c, v]) => ({ firmware: 'ovmf', code: c, vars: v, description: `${c} + copy of ${v}` }));
}

/** Where each firmware's image is found: `image` when given, else the installed package's (or QEMU's own default). */
const FINDERS: Record<RealFirmware, (qemu: string, image?: string) => FirmwareImage> = {
  uboot: (_qemu, image) => {
    const path = image ?? UBOOT_X86_IMAGE;
    if (!existsSync(path)) throw new RealBootUnavailable('NO_FIRMWARE', `U-Boot image ${path} not found${image === undefined ? '; install the u-boot-qemu package' : ''}`);
    return { firmware: 'uboot', code: path, description: `-bios ${path}` };
  },
  seabios: (qemu, image) => {
    if (image !== undefined) {
      if (!existsSync(image)) throw new RealBootUnavailable('NO_FIRMWARE', `SeaBIOS image ${image} not found`);
      return { firmware: 'seabios', code: image, description: `-bios ${image}` };
    }
    const dirs = qemuDataDirs(qemu);
    const found = dirs.map((d) => join(d, SEABIOS_IMAGE)).find((p) => existsSync(p));
    if (found === undefined) throw new RealBootUnavailable('NO_FIRMWARE', `SeaBIOS ${SEABIOS_IMAGE} not found in QEMU's data directories (${dirs.join(', ') || 'none reported'}); install the seabios package`);
    return { firmware: 'seabios', code: found, qemuDefault: true, description: `QEMU default -bios (${found})` };
  },
  ovmf: (_qemu, image) => {
    const pairs: [string, string][] = image !== undefined ? [[image, image.replace(/CODE/g, 'VARS').replace(/code/g, 'vars')]] : [...OVMF_PAIRS];
    const pair = pairs.find(([c, v]) => existsSync(c) && existsSync(v) && c !== v);
    if (pair === undefined) {
      const tried = pairs.map(([c]) => c).join(', ');
      throw new RealBootUnavailable('NO_FIRMWARE', `OVMF code and vars images not found (tried ${tried}); install the ovmf package`);
    }
    return { firmware: 'ovmf', code: pair[0], vars: pair[1], description: `${pair[0]} + copy of ${pair[1]}` };
  },
};

/** The image for `firmware`: `image` when given (OVMF: the code file, vars beside it with CODE→VARS), else the installed package's. */
export function findFirmwareImage(firmware: RealFirmware, qemu: string, image?: string): FirmwareImage {
  return FINDERS[firmware](qemu, image);
}

/**
 * Every installed image of `firmware` worth trying in turn, when there can be
 * several (OVMF's code/vars pairs: another installation's QEMU may accept only
 * a later one); undefined when the firmware has one image (findFirmwareImage).
 */
export function installedImages(firmware: RealFirmware): FirmwareImage[] | undefined {
  return INSTALLED_SETS[firmware]?.();
}

const INSTALLED_SETS: Partial<Record<RealFirmware, () => FirmwareImage[]>> = { ovmf: () => ovmfCandidates() };

/** `QEMU emulator version ...` (first line of --version), or 'unknown'. */
export function qemuVersionLine(qemu: string): string {
  try {
    return execFileSync(qemu, ['--version'], { encoding: 'utf8', timeout: 10_000 }).split('\n')[0]!.trim();
  } catch {
    return 'unknown';
  }
}

/** Versions of the Debian packages behind the run, when dpkg knows them (provenance only). */
export function packageVersions(): Record<string, string> {
  let text: string;
  try {
    text = execFileSync('dpkg-query', ['-W', '-f', '${Package} ${Version}\n', 'qemu-system-x86', 'seabios', 'ovmf'], { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'ignore'] });
  } catch (err) {
    // dpkg-query exits 1 when a package is missing but still prints the others
    text = (err as { stdout?: string }).stdout ?? '';
  }
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const [name, version] = line.trim().split(' ');
    if (name && version) out[name] = version;
  }
  return out;
}
