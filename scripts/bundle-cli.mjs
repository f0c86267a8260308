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
  // commander is CommonJS: its require() of Node's built-ins needs a real require in an ES module
  banner: { js: "#!/usr/bin/env node\nimport { createRequire as __fwcfgRequire } from 'node:module';\nconst require = __fwcfgRequire(import.meta.url);" },
  logLevel: 'warning',
});
chmodSync('dist/fwcfg.mjs', 0o755);
