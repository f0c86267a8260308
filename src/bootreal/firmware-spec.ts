/**
 * `--firmware NAME[@VERSION]` of a real boot, against what this host would
 * load: the build in the image (SeaBIOS and U-Boot say their version in plain
 * text, src/qemu/seabios-image.ts and src/qemu/uboot-image.ts; OVMF's release
 * images are known by their SHA-256, src/qemu/known-firmware-images.ts), the
 * model's record of that build, and a typed error when the version asked for
 * is not the one installed.
 */
import { readFileSync } from 'node:fs';
import { UsageError } from '../errors.js';
import { firmwareNameOf, type FirmwareSpec } from '../firmware/record.js';
import { firmwarePackage, firmwareRecordFor } from '../firmware/records/index.js';
import { firmwareImageKind, imageBuildVersion } from '../qemu/firmware-kinds.js';
import type { FirmwareImage } from '../qemu/live/firmware-images.js';

/** The Debian version of the build in `image` (`2023.01+dfsg-2+deb12u3`), or null when the image does not tell. */
export function imageVersion(image: FirmwareImage): string | null {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(readFileSync(image.code));
  } catch {
    return null;
  }
  return imageBuildVersion(firmwareImageKind(image.firmware), bytes);
}

/** The model's record id of the build in `image` on x86 (`uboot@2023.01`), or undefined when unknown or not modelled. */
function installedRecord(image: FirmwareImage, version: string | null): string | undefined {
  const pkg = firmwarePackage(image.firmware, 'x86_64');
  if (version === null || pkg === undefined) return undefined;
  try {
    return firmwareRecordFor(image.firmware, 'x86_64', { [pkg]: version })?.id;
  } catch {
    return undefined;
  }
}

/**
 * The firmware the model plays for a real boot of `image` asked for as
 * `spec`: a versioned spec must name the build installed (else a typed
 * error); a bare `uboot` means the build installed (no capture names U-Boot's
 * release unless it booted it); a bare `seabios` or `ovmf` is left bare, for
 * the configuration's own packages to decide as everywhere else.
 */
export function realFirmwareSpec(spec: string, image: FirmwareImage): FirmwareSpec {
  const name = firmwareNameOf(spec);
  const version = imageVersion(image);
  const installed = installedRecord(image, version);
  if (spec.includes('@')) {
    const wanted = firmwareRecordFor(spec, 'x86_64')?.id;
    if (wanted === undefined || wanted !== installed) {
      const what = version === null ? 'of a version it does not say' : `${version}${installed !== undefined ? ` (${installed})` : ', which is not modelled'}`;
      throw new UsageError('FIRMWARE_NOT_INSTALLED', `--firmware ${spec}: the image this boot would load (${image.code}) is ${what}; give an image of ${spec} with --image PATH, or leave @VERSION out`);
    }
    return spec as FirmwareSpec;
  }
  return !firmwareImageKind(image.firmware).releaseFromPackages && installed !== undefined ? (installed as FirmwareSpec) : name;
}
