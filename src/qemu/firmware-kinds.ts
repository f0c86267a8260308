/**
 * What a capture and a real boot know of each firmware's images, one record
 * per kind (the image side of firmware/records/ and bootreal/real-firmware.ts):
 * whether QEMU loads it unasked, and where its build is named: in the image's
 * own text (SeaBIOS, U-Boot: src/qemu/seabios-image.ts, uboot-image.ts), in
 * guest RAM once it runs (OVMF's PcdFirmwareVersionString), or only by the
 * image's SHA-256 among the known Debian builds (known-firmware-images.ts).
 * Code in qemu/ and bootreal/ asks these, not the firmware's name.
 */
import { createHash } from 'node:crypto';
import type { CaptureFirmware } from '../vectors/capture-json.js';
import { KNOWN_IMAGES } from './known-firmware-images.js';
import { seabiosVersionIn } from './seabios-image.js';
import { ubootVersionIn } from './uboot-image.js';

/** The builds a migration stream's firmware blocks name (capture-rebuild.ts firmwareInStream). */
export interface StreamVersions {
  seabiosVersion: string | null;
  ubootVersion: string | null;
}

export interface FirmwareImageKind {
  name: CaptureFirmware;
  /** QEMU loads it with no firmware option (SeaBIOS, the default `-bios` of pc and q35); the paths a run gives are then QEMU's. */
  qemuDefault: boolean;
  /** The build its image names in plain text; absent when the image names none. */
  versionIn?: (image: Uint8Array) => string | null;
  /** Names its build in guest RAM once it runs (OVMF from 2025.02). */
  versionInRam: boolean;
  /** Its builds are told by their flash image's SHA-256 (the image names none). */
  knownByHash: boolean;
  /** The build a migration stream shows QEMU held for it (null: the stream cannot tell). */
  inStream(s: StreamVersions): string | null;
  /** A capture's package versions name its release (SeaBIOS, OVMF, AAVMF); U-Boot's release is named only by a capture that booted it. */
  releaseFromPackages: boolean;
}

const KINDS: Record<CaptureFirmware, FirmwareImageKind> = {
  seabios: { name: 'seabios', qemuDefault: true, versionIn: seabiosVersionIn, versionInRam: false, knownByHash: false, inStream: (s) => s.seabiosVersion, releaseFromPackages: true },
  uboot: { name: 'uboot', qemuDefault: false, versionIn: ubootVersionIn, versionInRam: false, knownByHash: false, inStream: (s) => s.ubootVersion, releaseFromPackages: false },
  ovmf: { name: 'ovmf', qemuDefault: false, versionInRam: true, knownByHash: true, inStream: () => null, releaseFromPackages: true },
  aavmf: { name: 'aavmf', qemuDefault: false, versionInRam: false, knownByHash: true, inStream: () => null, releaseFromPackages: true },
};

export function firmwareImageKind(name: CaptureFirmware): FirmwareImageKind {
  return KINDS[name];
}

/** The Debian version of the build in `image` of this kind (`2023.01+dfsg-2+deb12u3`), or null when it cannot be told. */
export function imageBuildVersion(kind: FirmwareImageKind, image: Uint8Array): string | null {
  if (kind.versionIn !== undefined) return kind.versionIn(image);
  if (!kind.knownByHash) return null;
  return KNOWN_IMAGES[createHash('sha256').update(image).digest('hex')]?.package.split(' ')[1] ?? null;
}
