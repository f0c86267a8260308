import { findOnPath } from '../../src/qemu/live/find-binary.js';
import { findFirmwareImage, RealBootUnavailable, type RealFirmware } from '../../src/qemu/live/firmware-images.js';

export const QEMU_X86 = findOnPath('qemu-system-x86_64');
export const QEMU_ARM = findOnPath('qemu-system-aarch64');

/** The binary a configuration needs, and the reason to skip when it is absent. */
export function qemuFor(config: string): { binary: string | undefined; skip: string } {
  const arm = config === 'virt';
  const name = arm ? 'qemu-system-aarch64' : 'qemu-system-x86_64';
  return { binary: arm ? QEMU_ARM : QEMU_X86, skip: `${name} not found` };
}

/** Why a live x86 boot of `firmware` cannot run here (no QEMU, or no image of it), or undefined when it can. */
export function x86FirmwareMissing(firmware: RealFirmware): string | undefined {
  if (QEMU_X86 === undefined) return 'qemu-system-x86_64 not installed';
  try {
    findFirmwareImage(firmware, QEMU_X86);
  } catch (err) {
    if (err instanceof RealBootUnavailable) return err.message;
    throw err;
  }
  return undefined;
}
