// Bundles the three faces of the product with esbuild:
//   dist/extension.js  the VS Code extension (vscode external, minified: it is what users download)
//   dist/cli.js        `scimx`, the command line (loads dist/sandbox.js only for `scimx sandbox`)
//   dist/sandbox.js    the local SCIM service provider behind an APIM-like gateway
// `--meta` also writes esbuild's metafile of each extension bundle to dist/meta-<name>.json (bench/weight.ts).
import { build } from 'esbuild';
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const watch = process.argv.includes('--watch');
const dev = process.argv.includes('--dev');
const meta = process.argv.includes('--meta');
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

// undici carries two copies of its HTTP parser (wasm with and without SIMD) and reaches into its fetch
// implementation only to encode FormData bodies, which we never send. Leaving both out of our bundles
// saves about 115 KB; undici itself falls back to the plain wasm parser when the SIMD one cannot load.
const trimUndici = {
  name: 'trim-undici',
  setup(b) {
    b.onResolve({ filter: /llhttp_simd-wasm\.js$/ }, (args) => ({ path: args.path, namespace: 'trim-undici' }));
    b.onResolve({ filter: /web\/fetch\/body\.js$/ }, (args) =>
      args.importer.includes(`${'undici'}/lib/dispatcher`) ? { path: args.path, namespace: 'trim-undici' } : undefined);
    b.onLoad({ filter: /llhttp_simd-wasm/, namespace: 'trim-undici' }, () => ({
      contents: 'module.exports = Buffer.alloc(0); // no SIMD parser bundled: undici falls back to llhttp-wasm.js',
      loader: 'js',
    }));
    b.onLoad({ filter: /body\.js$/, namespace: 'trim-undici' }, () => ({
      contents: "module.exports.extractBody = () => { throw new Error('FormData bodies are not supported'); };",
      loader: 'js',
    }));
  },
};

const entries = [
  // The extension is two files: the UI, loaded at activation, and the core (HTTP stack, YAML, HAR), loaded
  // by src/extension/core-loader.ts on first use, so activation parses none of it.
  { entryPoints: ['src/extension/extension.ts'], outfile: 'dist/extension.js', external: ['vscode', './lazy-core.js'], minify: !dev, metafile: true },
  { entryPoints: ['src/extension/lazy-core.ts'], outfile: 'dist/lazy-core.js', external: ['vscode'], minify: !dev, metafile: true },
  { entryPoints: ['src/cli/main.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' }, minify: false },
  { entryPoints: ['src/sandbox/main.ts'], outfile: 'dist/sandbox.js', minify: false },
].filter((e) => existsSync(join(root, e.entryPoints[0])));

const results = await Promise.all(entries.map((e) => build({ ...common, plugins: [trimUndici], ...e })));
if (existsSync(join(root, 'dist/cli.js'))) chmodSync(join(root, 'dist/cli.js'), 0o755);
for (const [i, r] of results.entries()) {
  if (r.metafile) {
    const out = Object.entries(r.metafile.outputs).find(([f]) => f.endsWith('.js'));
    if (out && process.argv.includes('--sizes')) console.log(`${entries[i].outfile}: ${out[1].bytes} bytes`);
    if (meta) writeFileSync(join(root, 'dist', `meta-${basename(entries[i].outfile, '.js')}.json`), JSON.stringify(r.metafile));
  }
}
if (watch) console.log('watch mode is not supported; re-run npm run build');
