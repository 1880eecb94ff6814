// `node --require ./scripts/test-register.cjs`: TypeScript for the test runs (scripts/test.mjs), the way tsx's
// require hook does it, for a fraction of its cost per process: each .ts file is turned into CommonJS by
// esbuild once per content and kept on disk (node_modules/.cache/scimx-tests/), so a test file's process
// only reads what it loads. Inline source maps: a failure's stack points at the .ts line.
'use strict';
const { createHash } = require('node:crypto');
const { mkdirSync, readFileSync, writeFileSync, renameSync } = require('node:fs');
const Module = require('node:module');
const { join } = require('node:path');

const cacheDir = join(__dirname, '..', 'node_modules', '.cache', 'scimx-tests');
let esbuild;
process.setSourceMapsEnabled(true);

const OPTIONS = {
  loader: 'ts', format: 'cjs', target: 'node20', platform: 'node', sourcemap: 'inline', sourcesContent: false,
  // tsconfig.json's target is ES2022: class fields are defined (as tsc and tsx compile them)
  tsconfigRaw: { compilerOptions: { useDefineForClassFields: true } },
};
/** what a compiled file depends on besides its source: the options and esbuild's version */
const SALT = `${JSON.stringify(OPTIONS)} ${require('esbuild/package.json').version}`;

function compile(source, filename) {
  const key = createHash('sha1').update(SALT).update('\0').update(filename).update('\0').update(source).digest('hex');
  const file = join(cacheDir, `${key}.js`);
  try {
    return readFileSync(file, 'utf8');
  } catch { /* not compiled yet */ }
  esbuild ??= require('esbuild');
  const { code } = esbuild.transformSync(source, { ...OPTIONS, sourcefile: filename });
  try {
    mkdirSync(cacheDir, { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, code);
    renameSync(tmp, file);
  } catch { /* a cache only */ }
  return code;
}

Module._extensions['.ts'] = function loadTs(module, filename) {
  module._compile(compile(readFileSync(filename, 'utf8'), filename), filename);
};

// `require('./x.js')` in a .ts file means ./x.ts when there is no ./x.js (TypeScript's Node16 resolution,
// which tsx follows too: a module may name a sibling by the .js name it has in dist/)
const resolve = Module._resolveFilename;
Module._resolveFilename = function resolveTs(request, parent, ...rest) {
  try {
    return resolve.call(this, request, parent, ...rest);
  } catch (e) {
    if (!(e && e.code === 'MODULE_NOT_FOUND' && /^\.{1,2}\/.*\.js$/.test(request) && parent && /\.ts$/.test(parent.filename ?? ''))) throw e;
    return resolve.call(this, `${request.slice(0, -3)}.ts`, parent, ...rest);
  }
};
