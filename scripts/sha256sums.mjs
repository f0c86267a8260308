// spec-vectors/SHA256SUMS.<set>: every file of spec-vectors/<set>, as test/spec-vectors.test.ts checks them.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function writeSha256Sums(root, set) {
  const vectors = join(root, 'spec-vectors');
  const sums = [];
  const walk = (d) => {
    for (const f of readdirSync(d).sort()) {
      const p = join(d, f);
      if (statSync(p).isDirectory()) walk(p);
      else sums.push(`${createHash('sha256').update(readFileSync(p)).digest('hex')}  ${p.slice(vectors.length + 1)}`);
    }
  };
  walk(join(vectors, set));
  writeFileSync(join(vectors, `SHA256SUMS.${set}`), sums.join('\n') + '\n');
}
