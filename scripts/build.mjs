// Bundles the three faces of the product with esbuild:
//   dist/extension.js  the VS Code extension (vscode external, minified: it is what users download)
//   dist/cli.js        `scimx`, the command line (loads dist/sandbox.js only for `scimx sandbox`)
//   dist/sandbox.js    the local SCIM service provider behind an APIM-like gateway
import { build } from 'esbuild';
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const watch = process.argv.includes('--watch');
const dev = process.argv.includes('--dev');
mkdirSync(join(root, 'dist'), { recursive: true });

const common = {
  absWorkingDir: root,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: dev ? 'inline' : 'linked',
  logLevel: 'warning',
  legalComments: 'none',
};

const entries = [
  { entryPoints: ['src/extension/extension.ts'], outfile: 'dist/extension.js', external: ['vscode'], minify: !dev, metafile: true },
  { entryPoints: ['src/cli/main.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' }, minify: false },
  { entryPoints: ['src/sandbox/main.ts'], outfile: 'dist/sandbox.js', minify: false },
].filter((e) => existsSync(join(root, e.entryPoints[0])));

const results = await Promise.all(entries.map((e) => build({ ...common, ...e })));
if (existsSync(join(root, 'dist/cli.js'))) chmodSync(join(root, 'dist/cli.js'), 0o755);
for (const [i, r] of results.entries()) {
  if (r.metafile) {
    const out = Object.entries(r.metafile.outputs).find(([f]) => f.endsWith('.js'));
    if (out && process.argv.includes('--sizes')) console.log(`${entries[i].outfile}: ${out[1].bytes} bytes`);
  }
}
if (watch) console.log('watch mode is not supported; re-run npm run build');
