// Bundles the three faces of the product with esbuild:
//   dist/extension.js  the VS Code extension (vscode external, minified: it is what users download)
//   dist/cli.js        `scimx`, the command line (loads dist/sandbox.js only for `scimx sandbox`)
//   dist/sandbox.js    the local SCIM service provider behind an APIM-like gateway
// All four are minified (the .vsix ships them all: "SCIM: Start Local Sandbox" runs dist/cli.js sandbox);
// cli.js and sandbox.js keep their function and class names (stack traces, and the error messages that
// scimmy builds from constructor.name), and every bundle has a linked source map (dist/*.map, not shipped in
// the .vsix): `node --enable-source-maps dist/cli.js ...` maps a stack trace back to src/. `--dev`: unminified,
// inline source maps.
// `--meta` also writes esbuild's metafile of each extension bundle to dist/meta-<name>.json (bench/weight.ts).
import { build } from 'esbuild';
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, brotliDecompressSync, constants as zlib } from 'node:zlib';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const watch = process.argv.includes('--watch');
const dev = process.argv.includes('--dev');
const meta = process.argv.includes('--meta');
mkdirSync(join(root, 'dist'), { recursive: true });
const requireHere = createRequire(join(root, 'package.json'));

const common = {
  absWorkingDir: root,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: dev ? 'inline' : 'linked',
  logLevel: 'warning',
  legalComments: 'none',
  // jsonc-parser's `main` is a UMD build whose factory requires its own files through a parameter esbuild cannot
  // follow ("Cannot find module './impl/format'" at run time): its ES module build is the same code, bundled.
  alias: { 'jsonc-parser': 'jsonc-parser/lib/esm/main.js' },
};

const stub = (contents) => ({ contents, loader: 'js', resolveDir: root });
const fromUndici = (args, dir) => args.importer.replaceAll('\\', '/').includes(`/undici/lib/${dir}/`);

// undici carries two copies of its HTTP parser (wasm with and without SIMD) and reaches into its fetch
// implementation only to encode FormData bodies, which we never send. Leaving both out of our bundles
// saves about 115 KB; undici itself falls back to the plain wasm parser when the SIMD one cannot load.
// Also out: the HTTP/2 client. It runs only on a TLS socket that negotiated h2 by ALPN, and undici offers h2
// only with `allowH2: true`, which src/core/http/dispatcher.ts never sets (undici 7 defaults it to false), so
// every connection is HTTP/1.1. Were it ever reached, the connection fails with the stub's message.
// Kept: the SOCKS5 proxy agent. A profiles file cannot name a socks:// proxy (checkUrl: http/https only), but
// VS Code's `http.proxy` and HTTPS_PROXY / HTTP_PROXY can, and src/extension/proxy.ts passes those on as given:
// undici's ProxyAgent then tunnels through SOCKS5, which works (test/integration/bundle.test.ts).
const trimUndici = {
  name: 'trim-undici',
  setup(b) {
    b.onResolve({ filter: /llhttp_simd-wasm\.js$/ }, (args) => ({ path: args.path, namespace: 'trim-undici' }));
    b.onResolve({ filter: /web\/fetch\/body\.js$/ }, (args) =>
      fromUndici(args, 'dispatcher') ? { path: args.path, namespace: 'trim-undici' } : undefined);
    b.onResolve({ filter: /^\.\/client-h2\.js$/ }, (args) =>
      fromUndici(args, 'dispatcher') ? { path: args.path, namespace: 'trim-undici' } : undefined);
    b.onLoad({ filter: /llhttp_simd-wasm/, namespace: 'trim-undici' }, () =>
      stub('module.exports = Buffer.alloc(0); // no SIMD parser bundled: undici falls back to llhttp-wasm.js'));
    b.onLoad({ filter: /body\.js$/, namespace: 'trim-undici' }, () =>
      stub("module.exports.extractBody = () => { throw new Error('FormData bodies are not supported'); };"));
    b.onLoad({ filter: /client-h2\.js$/, namespace: 'trim-undici' }, () => stub(
      "module.exports = function connectH2() { throw new Error('HTTP/2 is not supported: the server negotiated h2, which SCIM Explorer never offers (HTTP/1.1 only)'); };"));
  },
};

// The same undici, smaller by data it carries and never uses (no behaviour change; checked at build time):
// - llhttp/constants.js (17 KB of tables of methods, status texts and character classes, for undici's own
//   parser generator): client-h1.js, its only importer, reads `ERROR` and `TYPE` alone. They are copied from
//   the installed undici at build time; reading any other constant throws instead of yielding undefined.
// - llhttp/llhttp-wasm.js: the HTTP/1.1 parser (54 KB of wasm, 70 KB as base64 text) is stored
//   brotli-compressed (about 20 KB as base64) and decompressed on first use, byte for byte the same module.
const undiciData = {
  name: 'undici-data',
  setup(b) {
    b.onResolve({ filter: /^\.\.\/llhttp\/(constants|llhttp-wasm)\.js$/ }, (args) =>
      fromUndici(args, 'dispatcher') ? { path: args.path.slice(3), namespace: 'undici-data' } : undefined);
    b.onLoad({ filter: /constants\.js$/, namespace: 'undici-data' }, () => {
      const c = requireHere('undici/lib/llhttp/constants.js');
      const used = { ERROR: c.ERROR, TYPE: c.TYPE };
      if (JSON.stringify(JSON.parse(JSON.stringify(used))) !== JSON.stringify(used) || c.TYPE.RESPONSE === undefined || c.ERROR.PAUSED_UPGRADE === undefined) {
        throw new Error('undici/lib/llhttp/constants.js: ERROR / TYPE are not what client-h1.js reads; revisit the undici-data plugin');
      }
      return stub(`const used = ${JSON.stringify(used)};
module.exports = new Proxy(used, { get(t, k) {
  if (typeof k !== 'string' || k in t || k === '__esModule') return t[k];
  throw new Error('undici llhttp constant ' + k + ' is not bundled (scripts/build.mjs, undici-data)');
} });`);
    });
    b.onLoad({ filter: /llhttp-wasm\.js$/, namespace: 'undici-data' }, () => {
      const wasm = requireHere('undici/lib/llhttp/llhttp-wasm.js');
      const br = brotliCompressSync(wasm, { params: { [zlib.BROTLI_PARAM_QUALITY]: 11, [zlib.BROTLI_PARAM_SIZE_HINT]: wasm.length } });
      if (!brotliDecompressSync(br).equals(wasm)) throw new Error('llhttp-wasm: the brotli round trip is not byte-identical');
      return stub(`let wasm;
Object.defineProperty(module, 'exports', { get: () => wasm ??= require('node:zlib').brotliDecompressSync(Buffer.from('${br.toString('base64')}', 'base64')) });`);
    });
  },
};

// yaml's ES module build (the same source as its CommonJS one, which node gets by default) lets esbuild hoist
// its modules into one scope instead of wrapping each: about 17 KB less for the same code. The two differ in
// what the core never reaches: `warn` (console.warn rather than process.emitWarning; only from YAML.parse and
// toJS), !!binary (yaml 1.1 only), LOG_TOKENS / LOG_STREAM debug output.
const yamlEsm = {
  name: 'yaml-esm',
  setup(b) {
    b.onResolve({ filter: /^yaml$/ }, () => {
      const file = join(dirname(requireHere.resolve('yaml/package.json')), 'browser', 'dist', 'index.js');
      if (!existsSync(file)) throw new Error(`yaml's ES module build is not at ${file}; revisit the yaml-esm plugin`);
      return { path: file };
    });
  },
};

const core = [trimUndici, undiciData, yamlEsm];
const entries = [
  // The extension is two files: the UI, loaded at activation, and the core (HTTP stack, YAML, HAR), loaded
  // by src/extension/core-loader.ts on first use, so activation parses none of it.
  { entryPoints: ['src/extension/extension.ts'], outfile: 'dist/extension.js', external: ['vscode', './lazy-core.js'], minify: !dev, metafile: true, plugins: core },
  { entryPoints: ['src/extension/lazy-core.ts'], outfile: 'dist/lazy-core.js', external: ['vscode'], minify: !dev, metafile: true, plugins: core },
  { entryPoints: ['src/cli/main.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' }, minify: !dev, keepNames: true, plugins: core },
  { entryPoints: ['src/sandbox/main.ts'], outfile: 'dist/sandbox.js', minify: !dev, keepNames: true, plugins: [trimUndici] },
].filter((e) => existsSync(join(root, e.entryPoints[0])));

const results = await Promise.all(entries.map((e) => build({ ...common, ...e })));
if (existsSync(join(root, 'dist/cli.js'))) chmodSync(join(root, 'dist/cli.js'), 0o755);
for (const [i, r] of results.entries()) {
  if (r.metafile) {
    const out = Object.entries(r.metafile.outputs).find(([f]) => f.endsWith('.js'));
    if (out && process.argv.includes('--sizes')) console.log(`${entries[i].outfile}: ${out[1].bytes} bytes`);
    if (meta) writeFileSync(join(root, 'dist', `meta-${basename(entries[i].outfile, '.js')}.json`), JSON.stringify(r.metafile));
  }
}
if (watch) console.log('watch mode is not supported; re-run npm run build');
