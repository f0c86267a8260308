import { findOnPath } from '../../src/qemu/live/find-binary.js';

export const QEMU_X86 = findOnPath('qemu-system-x86_64');
export const QEMU_ARM = findOnPath('qemu-system-aarch64');

/** The binary a configuration needs, and the reason to skip when it is absent. */
export function qemuFor(config: string): { binary: string | undefined; skip: string } {
  const arm = config === 'virt';
  const name = arm ? 'qemu-system-aarch64' : 'qemu-system-x86_64';
  return { binary: arm ? QEMU_ARM : QEMU_X86, skip: `${name} not found` };
}
