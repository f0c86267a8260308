// Error codes are one closed list (src/error-codes.ts): sorted, unique, and each one used.
import test from 'ava';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ERROR_CODES } from '../src/error-codes.js';
import { ROOT } from './helpers/paths.js';

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') && !p.endsWith('error-codes.ts') ? [p] : [];
  });
}

test('the error codes are sorted, unique, and every one is used in src/', (t) => {
  t.deepEqual([...ERROR_CODES], [...new Set(ERROR_CODES)].sort());
  const text = sources(join(ROOT, 'src')).map((p) => readFileSync(p, 'utf8')).join('\n');
  const unused = ERROR_CODES.filter((c) => !text.includes(`'${c}'`));
  t.deepEqual(unused, []);
});
