// The QEMU a recording runs: this host's (suite null), or an executable in `tmp` that runs a Debian
// chroot's (../shared/tools/debian-chroots/run-in), as test/helpers/chroots.ts writes one.
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const RUN_IN = join(new URL('..', import.meta.url).pathname, '..', 'shared', 'tools', 'debian-chroots', 'run-in');

export function qemuFor(tmp, suite) {
  if (suite === null) return 'qemu-system-x86_64';
  const binary = join(tmp, `qemu-system-x86_64-${suite}`);
  writeFileSync(binary, `#!/bin/sh\nexec '${RUN_IN}' ${suite} qemu-system-x86_64 "$@"\n`);
  chmodSync(binary, 0o755);
  return binary;
}
