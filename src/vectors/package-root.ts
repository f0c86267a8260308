/** Where the package (and its embedded spec-vectors/) lives, from the bundle or from tsc output: the readers of embedded vectors need it in every room, so it lives with them. */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

export function packageRoot(): string {
  if (cached !== undefined) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'fwcfg-emu') return (cached = dir);
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the fwcfg-emu package root');
    dir = up;
  }
}

export function embeddedVector(config: string, set = 'qemu-7.2'): string {
  return join(packageRoot(), 'spec-vectors', set, config);
}
