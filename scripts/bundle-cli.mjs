// Bundles the CLI into one executable ESM file: dist/fwcfg.mjs.
import { build } from 'esbuild';
import { chmodSync } from 'node:fs';

await build({
  entryPoints: ['src/cli/bin.ts'],
  outfile: 'dist/fwcfg.mjs',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  banner: { js: '#!/usr/bin/env node' },
  logLevel: 'warning',
});
chmodSync('dist/fwcfg.mjs', 0o755);
