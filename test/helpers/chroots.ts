// The Debian chroots of other QEMU releases (../shared/tools/debian-chroots): whether one is there, and a wrapper that runs its QEMU.
import { chmodSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './paths.js';

export const RUN_IN = join(ROOT, '..', 'shared', 'tools', 'debian-chroots', 'run-in');
const CHROOTS = process.env['CHROOT_BASE'] ?? '/var/chroots';

/** Why a suite's chroot cannot be used here, or undefined when it can. */
export function chrootSkip(suite: string): string | undefined {
  if (!existsSync(RUN_IN)) return `${RUN_IN} not found`;
  if (!existsSync(join(CHROOTS, suite, '.debootstrap-complete'))) return `no ${suite} chroot under ${CHROOTS} (../shared/tools/debian-chroots/setup.sh ${suite})`;
  if (process.getuid?.() !== 0) return 'run-in needs root';
  return undefined;
}

/** An executable in `dir` that runs the chroot's QEMU with the arguments it is given. */
export function wrapper(dir: string, suite: string, binary: string): string {
  const path = join(dir, `${binary}-${suite}`);
  writeFileSync(path, `#!/bin/sh\nexec '${RUN_IN}' ${suite} ${binary} "$@"\n`);
  chmodSync(path, 0o755);
  return path;
}

/** The suite whose QEMU is each release (../shared/vectors/README.md); 7.2 is the host's. */
export const SUITE_OF: Record<string, string | undefined> = { '5.2': 'bullseye', '7.2': undefined, '10.0': 'trixie', '11.1': 'sid' };

/** A path inside a suite's chroot, as this process reads it. */
export function inChroot(suite: string, path: string): string {
  return join(CHROOTS, suite, path);
}
