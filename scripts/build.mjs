// Bundles the three faces of the product with esbuild:
//   dist/extension.js  the VS Code extension: at activation it and dist/core.js; the tree's first expand (reading
//                      the profiles, a profile's discovery) adds dist/browse.js, the first listing dist/listing.js;
//                      the chunks loaded on demand (LAZY below: dist/edit.js, dist/proxy.js, dist/yaml-extra.js, ...)
//                      and the dist/shared-*.js files they share (vscode external; minified: users download it)
//   dist/cli.js        `scimx`, the command line (loads dist/sandbox.js only for `scimx sandbox`)
//   dist/sandbox.js    the local SCIM service provider behind an APIM-like gateway
// All are minified (the .vsix ships the extension's files and the sandbox: "SCIM: Start Local Sandbox" runs
// dist/sandbox.js); cli.js and sandbox.js keep their function and class names (stack traces, and the error
// messages that scimmy builds from constructor.name), and every bundle has a linked source map (dist/*.map, not
// shipped in the .vsix): `node --enable-source-maps dist/cli.js ...` maps a stack trace back to src/. `--dev`:
// unminified, inline source maps.
// `--meta` also writes esbuild's metafile of the extension's build to dist/meta-extension.json (bench/weight.ts).
import { build } from 'esbuild';
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join, resolve } from 'node:path';
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

// ------------------------------------------------------------------------------------------ the extension's chunks
// VS Code loads an extension as CommonJS, and esbuild splits code into shared chunks only for ES modules. So the
// extension is built in two passes: (1) one ES module build of every entry below with `splitting`, where each
// module lands in exactly one output file (one Trace, one ProviderQuirks, one ScimxError class: never two copies
// of a module), into dist/.esm/; (2) those files turned into CommonJS, the ones always loaded together bundled
// into one (imports between files become require('./x.js')), into dist/. Pass 2 reads pass 1's source maps, so
// dist/*.map still point at src/. The build checks that no module is in two files.
//
// A LAZY module is a chunk of its own, dist/<chunk>.js, loaded on first use: every import of it (a folder module's
// own folder excepted) gets a stand-in whose exports are getters that require('./<chunk>.js') on first read. The
// source imports or requires the module as usual (src/core stays plain TypeScript; the CLI bundles it inline).
// A chunk may hold several modules (`modules`: each import of one from outside the list gets a stand-in for it),
// also a package's (`package`: its bare imports) or modules inside one (yaml's). So that the chunk is not loaded
// anyway, what imports a LAZY module reads it only when used: a call, a `new`, a getter, never at load (an ES
// re-export of one reads it at load: none may be left; test/integration/bundle.test.ts asserts what each action
// loads). Activation loads dist/extension.js and dist/core.js; the tree's first expand adds dist/browse.js, the first
// listing dist/listing.js (pass 2 below groups them; bench/weight.ts measures the sets, and which file holds what).
export const LAZY = [
  // loaded by src/extension/core-loader.ts
  { chunk: 'browse', module: 'src/extension/chunks/browse.ts', holds: 'first expand: profiles (yaml), ScimClient and its pipeline (undici), discovery' },
  { chunk: 'export', module: 'src/extension/chunks/export.ts', holds: 'HAR and curl export' },
  { chunk: 'edit', module: 'src/extension/edit/fs.ts', holds: 'editing a resource: the scim: file system, src/core/edit' },
  { chunk: 'request-files', module: 'src/extension/request-files/ui.ts', holds: '*.scim request files: problems, lenses, completion, send' },
  { chunk: 'lifecycle', module: 'src/extension/chunks/lifecycle.ts', holds: 'create and delete resources' },
  { chunk: 'compat', module: 'src/extension/chunks/compat.ts', holds: 'connector compatibility check' },
  // imported as usual by the extension's commands, used only inside them: the import is the boundary
  { chunk: 'commands', module: 'src/extension/commands/areas.ts', holds: 'what the commands do (src/extension/commands/*): loaded on the first command' },
  { chunk: 'trace-panel', module: 'src/extension/trace-panel.ts', holds: 'the trace panel (webview host: protocol, HTML)' },
  { chunk: 'compat-panel', module: 'src/extension/compat-panel.ts', holds: 'the compatibility report panel' },
  { chunk: 'waits', module: 'src/extension/waits.ts', holds: 'waits (429 Retry-After, backoff) shown as countdowns' },
  { chunk: 'user-picker', module: 'src/extension/user-picker.ts', holds: '"Add Members…": the user picker' },
  // lazy inside the core: the import in src/core is the boundary
  {
    chunk: 'listing', modules: ['src/core/scim/client/paging.ts', 'src/core/scim/client/members.ts'],
    holds: "listings: a resource type's pages (expanding Users or Groups), a group's members (expanding Members)",
  },
  { chunk: 'journal', module: 'src/core/journal.ts', holds: 'the membership journal: a change recorded, undo, restore' },
  { chunk: 'membership', module: 'src/core/scim/membership/index.ts', holds: 'membership changes: PATCH and PUT paths, checks, reports' },
  { chunk: 'report', module: 'src/core/scim/report.ts', holds: "a membership change's report in words" },
  { chunk: 'probe', module: 'src/core/scim/probe.ts', holds: 'the gateway probe' },
  { chunk: 'diagnose', module: 'src/core/diagnose.ts', holds: 'what a failed exchange means (the diagnosis rules)' },
  { chunk: 'classify', module: 'src/core/http/classify.ts', holds: 'a failed attempt (network, TLS, proxy, timeout) in one line: retried or not' },
  { chunk: 'syntax-errors', module: 'src/core/profiles/syntax.ts', holds: 'YAML syntax errors of a profiles file in plain words' },
  { chunk: 'oauth', module: 'src/core/http/auth.ts', holds: 'OAuth 2.0 client credentials: the token request and cache (OAuth profiles)' },
  { chunk: 'proxy', module: 'src/core/http/undici-proxy.ts', holds: "undici's ProxyAgent: HTTP CONNECT and SOCKS5 proxies" },
  // a package, for every import of it: nothing the tree shows before a filter is used needs it
  {
    chunk: 'filters', package: 'scim2-parse-filter', modules: ['node_modules/scim2-parse-filter/lib/src/index.js'],
    holds: 'scim2-parse-filter: SCIM filters parsed, tested and written (a filter typed, member names looked up, edits, request files)',
  },
  // lazy inside yaml (its ES module build, yaml-esm above): modules that reading a profiles file never reaches, each
  // import of one from outside the list gets a stand-in (the modules of the list import each other directly)
  {
    chunk: 'yaml-extra', holds: 'yaml beyond reading a plain file: %YAML 1.1, aliases and merge keys, explicit tags, writing (stringify), toJS',
    modules: [
      'stringify/stringify.js', 'stringify/stringifyCollection.js', 'stringify/stringifyComment.js', 'stringify/stringifyDocument.js',
      'stringify/stringifyPair.js', 'stringify/stringifyString.js', 'stringify/foldFlowLines.js',
      'visit.js', 'parse/cst-visit.js', 'nodes/Alias.js', 'doc/anchors.js', 'doc/createNode.js', 'doc/applyReviver.js',
      // the YAML 1.1 schema (a `%YAML 1.1` document) and its tags (also an explicit !!binary, !!set, ... tag):
      // schema/tags.js reads them at first use instead of at load (yamlTags below)
      ...['schema', 'binary', 'bool', 'float', 'int', 'omap', 'pairs', 'set', 'timestamp', 'merge'].map((f) => `schema/yaml-1.1/${f}.js`),
      // the JSON schema (only asked for by name), and a map turned into a JS object (toJS: merge keys, keys that are
      // collections); the profiles reader walks the nodes instead
      'schema/json/schema.js', 'nodes/addPairToJSMap.js',
    ].map((f) => `node_modules/yaml/browser/dist/${f}`),
  },
];

// yaml's schema/tags.js puts the YAML 1.1 tags and the JSON schema in tables when it loads (the schemas, the tags by
// name, the known tags): those tables read them when used instead, so that only a document that uses them loads dist/yaml-extra.js.
// Same tables, same values (the build fails if tags.js is not the text this expects).
const yamlTags = {
  name: 'yaml-tags',
  setup(b) {
    b.onLoad({ filter: /[\\/]yaml[\\/]browser[\\/]dist[\\/]schema[\\/]tags\.js$/ }, (args) => {
      let text = readFileSync(args.path, 'utf8');
      const edit = (from, to) => {
        if (text.split(from).length !== 2) throw new Error(`yaml's schema/tags.js: "${from.slice(0, 40)}" not found once; revisit the yaml-tags plugin`);
        text = text.replace(from, to);
      };
      // `get key() { return tag; }` for each name (a bare name: key and tag the same)
      const late = (names) => names.map((n) => { const [k, v] = Array.isArray(n) ? n : [n, n]; return `get ${k}() { return ${v}; }`; }).join(',\n    ');
      edit(`['json', schema$1],`, `['json', null],`);
      edit(`['yaml11', schema$2],\n    ['yaml-1.1', schema$2]`, `['yaml11', null],\n    ['yaml-1.1', null]`);
      edit('const schemaTags = schemas.get(schemaName);', "const schemaTags = schemaName === 'json' ? schema$1 : schemaName === 'yaml11' || schemaName === 'yaml-1.1' ? schema$2 : schemas.get(schemaName);");
      edit('    binary,\n    bool: boolTag,', `    ${late(['binary'])},\n    bool: boolTag,`);
      edit('    floatNaN,\n    floatTime,\n', `    floatNaN,\n    ${late(['floatTime'])},\n`);
      edit('    intOct,\n    intTime,\n', `    intOct,\n    ${late(['intTime'])},\n`);
      edit('    map,\n    merge,\n', `    map,\n    ${late(['merge'])},\n`);
      edit('    null: nullTag,\n    omap,\n    pairs,\n    seq,\n    set,\n    timestamp\n};', `    null: nullTag,\n    ${late(['omap', 'pairs'])},\n    seq,\n    ${late(['set', 'timestamp'])}\n};`);
      edit(`const coreKnownTags = {
    'tag:yaml.org,2002:binary': binary,
    'tag:yaml.org,2002:merge': merge,
    'tag:yaml.org,2002:omap': omap,
    'tag:yaml.org,2002:pairs': pairs,
    'tag:yaml.org,2002:set': set,
    'tag:yaml.org,2002:timestamp': timestamp
};`, `const coreKnownTags = {
    ${late([["'tag:yaml.org,2002:binary'", 'binary']])},
    ${late([["'tag:yaml.org,2002:merge'", 'merge']])},
    ${late(['omap', 'pairs', 'set', 'timestamp'].map((t) => [`'tag:yaml.org,2002:${t}'`, t]))}
};`);
      return { contents: text, loader: 'js' };
    });
  },
};
/** Each LAZY module's file -> its chunk, and for a chunk of several modules (`modules`) its place in the list. */
const lazyByFile = new Map(LAZY.flatMap((l) => (l.modules ?? [l.module]).map((m, i) => {
  if (!existsSync(join(root, m))) throw new Error(`LAZY ${l.chunk}: ${m} does not exist; revisit scripts/build.mjs`);
  return [join(root, m), { ...l, index: l.modules ? i : undefined }];
})));
/** A LAZY chunk's entry: its module, or for several a virtual module exporting each one's namespace (m0, m1, ...). */
const lazyEntry = (l) => (l.modules ? `lazy-entry:${l.chunk}` : l.module);

/** The file an import names, as esbuild would find it among our sources (undefined when it is not one). */
function sourceFile(dir, spec) {
  const p = resolve(dir, spec);
  const stem = p.replace(/\.js$/, '');
  return [p, `${stem}.ts`, join(p, 'index.ts')].find((f) => lazyByFile.has(f));
}

/** What each LAZY module exports (its stand-in has a getter for each), from esbuild's metafile. */
async function lazyExports() {
  const out = new Map();
  await Promise.all([...lazyByFile.entries()].map(async ([file, l]) => {
    const r = await build({ ...common, entryPoints: [file], format: 'esm', packages: 'external', write: false, metafile: true, sourcemap: false, outfile: 'out.js', logLevel: 'silent' });
    const cjs = Object.values(r.metafile.inputs).some((i) => i.format === 'cjs');
    // a CommonJS module (a package's main): its exports as node sees them
    const names = cjs ? Object.keys(requireHere(file)) : Object.values(r.metafile.outputs).find((o) => o.entryPoint)?.exports ?? [];
    if (!names.length) throw new Error(`LAZY module ${file} exports nothing`);
    out.set(standIn(l), names);
  }));
  return out;
}

/** The name of a LAZY module's stand-in: its chunk, and for a chunk of several modules `chunk#index`. */
const standIn = (l) => (l.index === undefined ? l.chunk : `${l.chunk}#${l.index}`);

function lazyChunks(exportsOf) {
  return {
    name: 'lazy-chunks',
    setup(b) {
      b.onResolve({ filter: /^\./ }, (args) => {
        if (args.kind === 'entry-point' || args.namespace !== 'file') return undefined;
        const file = sourceFile(args.resolveDir, args.path);
        const l = file && lazyByFile.get(file);
        if (!l) return undefined;
        // a folder module (membership/index.ts) is one chunk with its folder: imports inside the folder stay
        if (file.endsWith('/index.ts') && args.importer.startsWith(dirname(file) + '/')) return undefined;
        // the modules of one chunk import each other directly
        if (l.modules && lazyByFile.get(args.importer)?.chunk === l.chunk) return undefined;
        return { path: standIn(l), namespace: 'lazy-chunk' };
      });
      const packages = LAZY.filter((l) => l.package);
      if (packages.length) {
        b.onResolve({ filter: new RegExp(`^(${packages.map((l) => l.package).join('|')})$`) }, (args) => {
          if (args.kind === 'entry-point' || args.namespace !== 'file') return undefined;
          const l = lazyByFile.get(join(root, packages.find((x) => x.package === args.path).modules[0]));
          if (requireHere.resolve(args.path) !== join(root, l.modules[0])) throw new Error(`LAZY ${l.chunk}: ${args.path} is not ${l.modules[0]}`);
          return { path: standIn(l), namespace: 'lazy-chunk' };
        });
      }
      b.onResolve({ filter: /^lazy-entry:/ }, (args) => ({ path: args.path.slice('lazy-entry:'.length), namespace: 'lazy-entry' }));
      b.onLoad({ filter: /.*/, namespace: 'lazy-entry' }, (args) => stub(LAZY.find((l) => l.chunk === args.path).modules
        .map((m, i) => `export * as m${i} from ${JSON.stringify(join(root, m))};`).join('\n')));
      b.onResolve({ filter: /^\.\/[\w-]+\.js$/, namespace: 'lazy-chunk' }, (args) => ({ path: args.path, external: true }));
      b.onLoad({ filter: /.*/, namespace: 'lazy-chunk' }, (args) => {
        const [chunk, index] = args.path.split('#');
        return stub(`// stand-in for dist/${chunk}.js (scripts/build.mjs, LAZY): loaded on first read of an export
module.exports = require('lazy-stand-in')(() => require('./${chunk}.js')${index === undefined ? '' : `.m${index}`}, ${JSON.stringify(exportsOf.get(args.path))});
`);
      });
      // what every stand-in does (one function, no state of its own): an object whose exports are getters that load
      b.onResolve({ filter: /^lazy-stand-in$/, namespace: 'lazy-chunk' }, () => ({ path: 'stand-in', namespace: 'lazy-stand-in' }));
      b.onLoad({ filter: /.*/, namespace: 'lazy-stand-in' }, () => stub(`module.exports = (load, names) => {
  let m;
  const o = {};
  Object.defineProperty(o, '__esModule', { value: true });
  for (const k of names) Object.defineProperty(o, k, { enumerable: true, get: () => (m ??= load())[k] });
  return o;
};`));
    },
  };
}

/**
 * Pass 2: pass 1's files as CommonJS, in groups. The files always loaded together become one: dist/extension.js
 * holds extension.js and the shared files of the UI it imports, dist/core.js the shared files of the core it
 * imports (the core's chunks load it without the UI), dist/browse.js holds browse.js and the shared files it adds
 * (the first expand); every other file stays itself. A group's shared files that others
 * import are exported as namespaces (__s0, __s1, ...), which those others require (`require('./browse.js').__s0`):
 * still one copy of each module. Returns, per file written, the pass-1 files it holds and the files it loads.
 */
async function toCommonJs(esm, metafile) {
  const files = Object.keys(metafile.outputs).filter((f) => f.endsWith('.js')).map((f) => join(root, f));
  const importsOf = (f) => metafile.outputs[relativeToRoot(f)].imports.filter((i) => i.kind === 'import-statement' && !i.external).map((i) => join(root, i.path));
  const closure = (start) => {
    const seen = new Set();
    const go = (f) => { if (!seen.has(f)) { seen.add(f); importsOf(f).forEach(go); } };
    go(start);
    return seen;
  };
  const activation = closure(join(esm, 'extension.js'));
  const firstExpand = new Set([...closure(join(esm, 'browse.js'))].filter((f) => !activation.has(f)));
  // what activation loads of the core (files holding no src/extension module, nor importing one) is a file of its
  // own, dist/core.js: the core's chunks then load without the extension's UI (and without `vscode`)
  const ui = (f) => Object.keys(metafile.outputs[relativeToRoot(f)].inputs).some((i) => i.startsWith('src/extension/') && !i.startsWith('src/extension/chunks/'));
  const core = new Set([...activation].filter((f) => f !== join(esm, 'extension.js') && ![...closure(f)].some(ui)));
  const groups = [
    { file: 'extension.js', main: join(esm, 'extension.js'), members: new Set([...activation].filter((f) => !core.has(f))) },
    { file: 'core.js', main: undefined, members: core },
    { file: 'browse.js', main: join(esm, 'browse.js'), members: firstExpand },
  ];
  for (const f of files) if (!activation.has(f) && !firstExpand.has(f)) groups.push({ file: basename(f), main: f, members: new Set([f]) });
  const groupOf = new Map(groups.flatMap((g) => [...g.members].map((f) => [f, g])));
  // the namespaces a group exports: its shared files that a file of another group imports
  for (const g of groups) {
    const outside = new Set(files.filter((f) => groupOf.get(f) !== g).flatMap(importsOf));
    g.exported = [...g.members].filter((f) => f !== g.main && outside.has(f));
    if (!g.main && g.exported.length !== g.members.size) throw new Error(`${g.file}: a file nothing outside it imports`);
  }
  const ns = (g, f) => `__s${g.exported.indexOf(f)}`;
  const layout = {};
  await Promise.all(groups.map(async (g) => {
    const plugin = {
      name: 'groups',
      setup(b) {
        b.onResolve({ filter: /^group-main$/ }, () => ({ path: g.file, namespace: 'group-main' }));
        b.onLoad({ filter: /.*/, namespace: 'group-main' }, () => stub([
          ...(g.main ? [`export * from ${JSON.stringify(g.main)};`] : []),
          ...g.exported.map((f) => `export * as ${ns(g, f)} from ${JSON.stringify(f)};`),
        ].join('\n')));
        b.onResolve({ filter: /^\.\/[\w-]+\.js$/, namespace: 'group-ref' }, (args) => ({ path: args.path, external: true }));
        b.onResolve({ filter: /^\.\/[\w-]+\.js$/, namespace: 'file' }, (args) => {
          const f = join(esm, args.path.slice(2));
          const other = groupOf.get(f);
          if (!other || other === g) return undefined; // this group's own file (bundled), or an outside require
          if (other.members.size === 1) return { path: `./${other.file}`, external: true };
          return { path: `${other.file}#${ns(other, f)}`, namespace: 'group-ref' };
        });
        b.onLoad({ filter: /.*/, namespace: 'group-ref' }, (args) => {
          const [file, name] = args.path.split('#');
          return stub(`module.exports = require('./${file}').${name};`);
        });
      },
    };
    const r = await build({
      ...common, alias: undefined, entryPoints: ['group-main'], outfile: join(root, 'dist', g.file), format: 'cjs', external: ['vscode'],
      minify: !dev, metafile: true, plugins: [plugin],
    });
    const out = Object.values(r.metafile.outputs).find((o) => o.entryPoint);
    layout[g.file] = {
      holds: [...g.members].map((f) => basename(f)),
      loads: [...new Set(out.imports.filter((i) => i.external && /^\.\/[\w-]+\.js$/.test(i.path)).map((i) => i.path.slice(2)))],
    };
  }));
  return layout;
}

function relativeToRoot(f) {
  return f.slice(root.length + 1).replaceAll('\\', '/');
}

async function buildExtension() {
  if (!existsSync(join(root, 'src/extension/extension.ts'))) return;
  const esm = join(root, 'dist', '.esm');
  rmSync(esm, { recursive: true, force: true });
  // what earlier builds left: files that may no longer exist
  const last = join(root, 'dist', 'extension-files.json');
  const before = existsSync(last) ? JSON.parse(readFileSync(last, 'utf8')).files.map((f) => basename(f)) : [];
  for (const f of readdirSync(join(root, 'dist'))) {
    if (/^(shared-|lazy-core\.)/.test(f) || before.some((b) => f === b || f === `${b}.map`)) rmSync(join(root, 'dist', f));
  }
  const exportsOf = await lazyExports();
  const pass1 = await build({
    ...common,
    entryPoints: { extension: 'src/extension/extension.ts', ...Object.fromEntries(LAZY.map((l) => [l.chunk, lazyEntry(l)])) },
    format: 'esm', splitting: true, outdir: esm, chunkNames: 'shared-[hash]', external: ['vscode'],
    minify: !dev, metafile: true, plugins: [...core, yamlTags, lazyChunks(exportsOf)],
  });
  const files = Object.keys(pass1.metafile.outputs).filter((f) => f.endsWith('.js'));
  // One copy of each module (one Trace, one ProviderQuirks, one ScimxError class): checked, not assumed. The
  // stand-ins of LAZY modules and their helper hold no state of their own (require caches the chunk), so copies of
  // them are fine.
  const owner = new Map();
  for (const f of files) {
    for (const [input, { bytesInOutput }] of Object.entries(pass1.metafile.outputs[f].inputs)) {
      if (input.startsWith('lazy-chunk:') || input.startsWith('lazy-stand-in:') || !bytesInOutput) continue;
      if (owner.has(input)) throw new Error(`${input} is in two of the extension's files (${owner.get(input)}, ${f}): two instances of its classes and state`);
      owner.set(input, f);
    }
  }
  const layout = await toCommonJs(esm, pass1.metafile);
  if (!process.argv.includes('--keep-esm')) rmSync(esm, { recursive: true, force: true });
  const shipped = Object.keys(layout).map((f) => `dist/${f}`);
  writeFileSync(join(root, 'dist', 'extension-files.json'), `${JSON.stringify({ files: shipped, layout, lazy: LAZY }, null, 2)}\n`);
  if (meta) writeFileSync(join(root, 'dist', 'meta-extension.json'), JSON.stringify(pass1.metafile));
  if (process.argv.includes('--sizes')) for (const f of shipped) console.log(f);
}

const entries = [
  { entryPoints: ['src/cli/main.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' }, minify: !dev, keepNames: true, plugins: core },
  { entryPoints: ['src/sandbox/main.ts'], outfile: 'dist/sandbox.js', minify: !dev, keepNames: true, plugins: [trimUndici] },
].filter((e) => existsSync(join(root, e.entryPoints[0])));

await Promise.all([buildExtension(), ...entries.map((e) => build({ ...common, ...e }))]);
if (existsSync(join(root, 'dist/cli.js'))) chmodSync(join(root, 'dist/cli.js'), 0o755);
if (watch) console.log('watch mode is not supported; re-run npm run build');
