// A real VS Code for machines that cannot download VS Code desktop: code-server (VS Code 1.139 in a browser)
// built from npm, cached in the ignored folder .vscode-test/ (or $SCIMX_VSCODE_CACHE). Used by `npm start` and
// the e2e tests (see /work/shared/E2E-RECIPE.md for the measured recipe this follows).
//
//   import { ensureCodeServer, installExtension, startCodeServer } from './vscode-server.mjs';
//   node scripts/vscode-server.mjs install              installs (or finds) Node 24 + code-server, prints paths
//   node scripts/vscode-server.mjs start [FOLDER] [FILE.vsix]   starts a VS Code server on FOLDER (default: cwd) with
//                                                       the .vsix installed, or else the repo as a development
//                                                       extension; prints the URL, Ctrl-C stops it
//
// Layout of the cache (each part has a stamp file; a second run skips everything):
//   node-24/        `npm install node@24`: the npm package ships the binary and its headers
//   code-server-4.139.1/  `npm install code-server@4.139.1`, built with Node 24 first on PATH and
//                   npm_config_nodedir pointing at Node 24's headers
//
// What a build needs from the machine: only what a stock Debian with Node has (make, g++, python3 for node-gyp).
// The Kerberos headers (libkrb5-dev) are NOT needed: VS Code's `kerberos` addon serves only Kerberos (Negotiate)
// proxy authentication and VS Code loads it lazily (`await import("kerberos")` inside its proxy-auth lookup, in
// server-main.js and the extension host), so without it VS Code starts and works, and only a proxy that asks
// for Kerberos fails. The addon is built when pkg-config finds krb5-gssapi and the compiler finds gssapi/gssapi.h,
// and left out (with one line saying so) otherwise. Any other addon listed in OPTIONAL_ADDONS likewise.
//
// How the build runs (code-server's own postinstall does nested `npm install`s in lib/vscode and
// lib/vscode/extensions; VS Code's native modules have install scripts that compile them):
//   1. Node 24 (`npm install node@24`)
//   2. `npm install --ignore-scripts` unpacks code-server (and argon2)
//   3. `npm rebuild` runs code-server's postinstall (and argon2's). A project `.npmrc` in lib/vscode says
//      `ignore-scripts=true`, so its nested `npm install --omit=dev` only unpacks VS Code's dependencies.
//   4. `npm rebuild --ignore-scripts=false NAME...` in lib/vscode builds the addons VS Code's package.json approves
//      (`allowScripts` entries set to true) minus the optional ones that cannot build here. Doing it this way
//      (rather than relying on `allowScripts: false` denials) works the same with npm 10 and npm 11.
//   Afterwards the results on disk are checked (Node 24 binary + headers, VS Code's built .node addons) rather
//   than trusting npm's exit code, so a silently skipped script fails loudly here.
//
// npm 11 install-script gate (measured with npm 11.19.1): installs end with `npm warn install-scripts N packages have
// install scripts not yet covered by allowScripts`. In 11.19 that is advisory, but the documented direction is
// "blocked by default", so we approve explicitly instead of relying on it:
//   - `--allow-scripts` / npm_config_allow_scripts is REJECTED in project-scoped installs (EALLOWSCRIPTS). And npm
//     exports an .npmrc `allow-scripts=` value to lifecycle scripts as npm_config_allow_scripts, so putting it in a
//     user or top-level .npmrc makes code-server's own nested `npm install` die with EALLOWSCRIPTS. Don't.
//   - What works: the scratch folder's package.json has `allowScripts` {code-server, argon2} (node@24's folder:
//     {node}); lib/vscode's package.json has its own allowScripts (VS Code's list: true for its native modules,
//     false for koffi, ssh2, cpu-features), rewritten name-only (see approveAddons); lib/vscode/extensions gets a
//     project `.npmrc` with `allow-scripts=`.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const cacheDir = process.env.SCIMX_VSCODE_CACHE ? resolve(process.env.SCIMX_VSCODE_CACHE) : join(repoRoot, '.vscode-test');
export const NODE_MAJOR = '24';
export const CODE_SERVER_VERSION = '4.139.1';

// Packages whose install scripts we run on purpose. In our scratch package.json (top level) ...
const TOP_LEVEL_SCRIPTS = ['code-server', 'argon2'];
// ... and in lib/vscode/extensions (its postinstall's nested `npm install`; the list is what
// `npm install-scripts ls` reports there for code-server 4.139.1). lib/vscode's list comes from its package.json.
const EXTENSIONS_SCRIPTS = ['@parcel/watcher', 'esbuild'];

/**
 * VS Code's native addons that a build may leave out, with when they can build and what leaving them out costs.
 * `buildable(env)` returns '' when the addon can build, else why not (one line).
 */
export const OPTIONAL_ADDONS = {
  kerberos: {
    buildable: kerberosBuildable,
    // %REASON%: why it was not built
    lacks: 'Kerberos proxy authentication inside this VS Code is unavailable: its kerberos addon was not built (%REASON%), '
      + 'so a proxy that asks for Negotiate/Kerberos fails; direct connections and other proxies work',
    howToGet: 'apt-get install -y libkrb5-dev pkg-config, then delete %DIR% to rebuild',
  },
};

const log = (msg) => process.stderr.write(`[vscode-server] ${msg}\n`);

function fmtSecs(ms) { return `${(ms / 1000).toFixed(1)} s`; }

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', maxBuffer: 64 << 20, ...opts });
  return { status: r.status ?? 1, stdout: r.stdout ?? '', stderr: r.stderr ?? '', error: r.error };
}

/** Where the parts live; nothing here touches the disk. */
export function paths() {
  const nodeDir = join(cacheDir, `node-${NODE_MAJOR}`);
  const nodeHome = join(nodeDir, 'node_modules', 'node', 'node_modules', `node-${process.platform}-${process.arch}`);
  const codeServerDir = join(cacheDir, `code-server-${CODE_SERVER_VERSION}`);
  const pkg = join(codeServerDir, 'node_modules', 'code-server');
  return {
    nodeDir,
    nodeHome,
    nodeBin: join(nodeHome, 'bin', 'node'),
    codeServerDir,
    codeServerPkg: pkg,
    codeServerEntry: join(pkg, 'out', 'node', 'entry.js'),
    serverMain: join(pkg, 'lib', 'vscode', 'out', 'server-main.js'),
    nodeStamp: join(nodeDir, '.installed'),
    codeServerStamp: join(codeServerDir, '.installed'),
  };
}

/**
 * process.env without what an outer npm run (`npm test`, `npm start`) puts there: npm_config_*, npm_package_*,
 * npm_lifecycle_*, npm_execpath, NODE... An inner npm reads npm_config_user_agent as its own config, so
 * code-server's postinstall would see "node/v20" from the outer npm and refuse to build ("requires node v24").
 */
// Network settings a user or CI may pass as npm_config_* env vars are kept (registry mirror, proxy, TLS, auth), and
// where npm keeps its download cache.
const KEEP_NPM_ENV = /^npm_config_(cache|registry|@[^:]+:registry|proxy|https?[-_]proxy|no[-_]?proxy|cafile|ca|strict[-_]ssl|fetch[-_].*|maxsockets|_auth.*|\/\/.*)$/i;

export function cleanEnv(base = process.env) {
  const env = { ...base };
  for (const k of Object.keys(env)) {
    if ((/^npm_/i.test(k) && !KEEP_NPM_ENV.test(k)) || k === 'NODE' || k === 'INIT_CWD' || k === 'NODE_OPTIONS') delete env[k];
  }
  return env;
}

/** A clean env (see cleanEnv) with Node 24 first on PATH (so `node` and npm's `#!/usr/bin/env node` are Node 24). */
export function node24Env(extra = {}, base = process.env) {
  const p = paths();
  const env = cleanEnv(base);
  return {
    ...env,
    PATH: `${join(p.nodeHome, 'bin')}${delimiter}${env.PATH ?? ''}`,
    ...extra,
  };
}

function readStamp(file) {
  try { return JSON.parse(readFileSync(file, 'utf8')); } catch { return undefined; }
}

function onPath(cmd, env) {
  return run('sh', ['-c', `command -v ${cmd}`], { env }).status === 0;
}

/**
 * '' when VS Code's kerberos addon can be built with `env`, else why not: pkg-config must find krb5-gssapi
 * (libkrb5-dev's .pc file) and the C++ compiler must find gssapi/gssapi.h (what kerberos 2.1.1 includes).
 */
export function kerberosBuildable(env = process.env) {
  if (!onPath('pkg-config', env)) return 'pkg-config is not on PATH';
  if (run('pkg-config', ['--exists', 'krb5-gssapi'], { env }).status !== 0) return 'pkg-config finds no krb5-gssapi (libkrb5-dev is not installed)';
  const cxx = env.CXX || 'c++';
  const probe = spawnSync(cxx, ['-E', '-x', 'c++', '-'], { input: '#include <gssapi/gssapi.h>\n', env, stdio: ['pipe', 'ignore', 'pipe'] });
  if (probe.status !== 0) return `the compiler (${cxx}) cannot find gssapi/gssapi.h`;
  return '';
}

/** What a build needs that the machine lacks (make, g++, python3 for node-gyp), as a list; empty when all is there. */
export function missingBuildDeps(env = process.env) {
  return ['make', 'g++', 'python3'].filter((tool) => !onPath(tool, env));
}

/**
 * `base` with the Kerberos headers out of reach: pkg-config is taken off PATH (each PATH folder that holds it is
 * replaced by a folder of links to everything else in it) and the compiler's include-path variables are dropped.
 * A build with this env leaves the kerberos addon out, as on a stock Debian with Node. Used by the e2e suite.
 * The link folders belong to this process (a temporary folder, removed when it exits), so that two processes
 * sharing a cache never pull a PATH folder from under each other's build.
 */
let shadowRoot;
export function withoutKerberosHeaders(base = process.env) {
  const hidden = new Set(['pkg-config', 'pkgconf', `${process.arch === 'x64' ? 'x86_64' : process.arch}-linux-gnu-pkg-config`]);
  const dirs = (base.PATH ?? '').split(delimiter).filter(Boolean);
  const out = dirs.map((dir, i) => {
    let names;
    try { names = readdirSync(dir); } catch { return dir; }
    if (!names.some((n) => hidden.has(n))) return dir;
    if (!shadowRoot) {
      const made = mkdtempSync(join(tmpdir(), 'scimx-no-pkg-config-'));
      shadowRoot = made;
      process.once('exit', () => rmSync(made, { recursive: true, force: true }));
    }
    const shadow = join(shadowRoot, String(i));
    if (existsSync(shadow)) return shadow; // made by an earlier call of this process
    mkdirSync(shadow, { recursive: true });
    for (const n of names) if (!hidden.has(n)) symlinkSync(join(dir, n), join(shadow, n));
    return shadow;
  });
  const env = { ...base, PATH: out.join(delimiter) };
  for (const k of ['PKG_CONFIG', 'PKG_CONFIG_PATH', 'PKG_CONFIG_LIBDIR', 'CPATH', 'C_INCLUDE_PATH', 'CPLUS_INCLUDE_PATH']) delete env[k];
  return env;
}

/** Size of a folder in MB (du), or 0. */
function sizeMb(dir) {
  const r = run('du', ['-sm', dir]);
  return r.status === 0 ? Number(r.stdout.split(/\s/)[0]) || 0 : 0;
}

/**
 * Runs npm in `dir`, printing a progress line every `tickMs` (elapsed time and the folder's size on disk) so a
 * 2-minute build is never silent. npm's own warnings and errors pass through.
 */
function npm(dir, env, what, args, { tickMs = 15_000, progress = () => { const mb = sizeMb(dir); return mb > 1 ? `${mb} MB on disk` : ''; } } = {}) {
  const t0 = Date.now();
  log(`${what}: npm ${args.join(' ')} (in ${dir})`);
  return new Promise((res, rej) => {
    const child = spawn('npm', [...args, '--no-audit', '--no-fund', '--loglevel=warn'], {
      cwd: dir, env, stdio: ['ignore', 'inherit', 'inherit'],
    });
    const tick = setInterval(() => {
      const more = progress();
      log(`  ... ${what.replace(/ \(.*$/, '')}: ${fmtSecs(Date.now() - t0)}${more ? `, ${more}` : ''}`);
    }, tickMs);
    child.on('error', (e) => { clearInterval(tick); rej(new Error(`${what}: cannot run npm: ${e.message}`)); });
    child.on('close', (code, sig) => {
      clearInterval(tick);
      if (code !== 0) { rej(new Error(`${what} failed (npm ${args[0]} exit ${code ?? sig}) in ${dir}`)); return; }
      log(`${what}: done in ${fmtSecs(Date.now() - t0)}`);
      res(Date.now() - t0);
    });
  });
}

async function ensureNode24(base) {
  const p = paths();
  const stamp = readStamp(p.nodeStamp);
  if (stamp && existsSync(p.nodeBin)) return { nodeBin: p.nodeBin, version: stamp.version, ms: 0, cached: true };
  rmSync(p.nodeDir, { recursive: true, force: true });
  mkdirSync(p.nodeDir, { recursive: true });
  writeFileSync(join(p.nodeDir, 'package.json'), JSON.stringify({
    name: 'scimx-node24', private: true, description: 'cache: Node 24 for code-server (scripts/vscode-server.mjs)',
    dependencies: { node: NODE_MAJOR },
    allowScripts: Object.fromEntries(['node'].map((n) => [n, true])),
  }, null, 2));
  const ms = await npm(p.nodeDir, cleanEnv(base), `[1/4] Node ${NODE_MAJOR} (npm package node@${NODE_MAJOR})`, ['install']);
  const v = run(p.nodeBin, ['--version']);
  if (v.status !== 0 || !v.stdout.startsWith(`v${NODE_MAJOR}.`)) {
    throw new Error(`node@${NODE_MAJOR} did not install its binary at ${p.nodeBin} (its preinstall script must run)`);
  }
  if (!existsSync(join(p.nodeHome, 'include', 'node', 'node.h'))) throw new Error(`Node ${NODE_MAJOR} headers missing under ${p.nodeHome}/include`);
  writeFileSync(p.nodeStamp, JSON.stringify({ version: v.stdout.trim(), installedAt: new Date().toISOString(), ms }));
  return { nodeBin: p.nodeBin, version: v.stdout.trim(), ms, cached: false };
}

function findNativeAddons(dir, out = [], depth = 0) {
  if (depth > 8) return out;
  let entries;
  try { entries = readdirSync(dir, { withFileTypes: true }); } catch { return out; }
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) findNativeAddons(p, out, depth + 1);
    else if (e.name.endsWith('.node') && p.includes('build')) out.push(p);
  }
  return out;
}

/**
 * Packages in lib/vscode whose install scripts VS Code's own package.json approves (`allowScripts` true), minus
 * `leftOut`. Rewrites that allowScripts with names only, the left-out addons set to false: npm 11.19 does not
 * match VS Code's version-pinned entries (`"kerberos@2.1.1": true`; `npm install-scripts ls` lists all ten as
 * "not yet covered") and ignores an .npmrc allow-scripts beside a package.json that has the field.
 */
function approveAddons(vscodeDir, leftOut) {
  const file = join(vscodeDir, 'package.json');
  const pkg = JSON.parse(readFileSync(file, 'utf8'));
  const policy = {};
  for (const [spec, ok] of Object.entries(pkg.allowScripts ?? {})) policy[spec.replace(/^(@?[^@]+)@.*$/, '$1')] = ok === true;
  for (const l of leftOut) policy[l.addon] = false;
  writeFileSync(file, JSON.stringify({ ...pkg, allowScripts: policy }, null, 2));
  return Object.keys(policy).filter((n) => policy[n]);
}

// Addons VS Code cannot start or work without: a build that lacks one of them is a failed build.
const REQUIRED_ADDONS = ['@vscode/spdlog', '@vscode/sqlite3', 'node-pty'];

/** Checks that code-server's postinstall really built VS Code's native addons (not just unpacked files). */
function verifyCodeServer(leftOut) {
  const p = paths();
  const problems = [];
  if (!existsSync(p.codeServerEntry)) problems.push(`missing ${p.codeServerEntry}`);
  if (!existsSync(p.serverMain)) problems.push(`missing ${p.serverMain}`);
  const vscodeModules = join(p.codeServerPkg, 'lib', 'vscode', 'node_modules');
  if (!existsSync(vscodeModules)) problems.push(`missing ${vscodeModules} (code-server's postinstall did not run)`);
  else {
    const expected = [...REQUIRED_ADDONS, ...Object.keys(OPTIONAL_ADDONS).filter((n) => !leftOut.some((l) => l.addon === n))];
    for (const mod of expected) {
      const built = findNativeAddons(join(vscodeModules, mod));
      if (!built.length) problems.push(`native addon of ${mod} not built under ${join(vscodeModules, mod)}`);
    }
  }
  return problems;
}

/** One line per addon the build left out: what it leaves out, why, and how to get it. */
export function leftOutLines(leftOut, dir = paths().codeServerDir) {
  return (leftOut ?? []).map((l) => {
    const info = OPTIONAL_ADDONS[l.addon];
    const lacks = (info?.lacks ?? `VS Code's ${l.addon} addon was not built (%REASON%)`).replace('%REASON%', l.reason);
    const how = info?.howToGet ? `. To get it: ${info.howToGet.replace('%DIR%', dir)}` : '';
    return `${lacks}${how}.`;
  });
}

/** The cached build when complete (stamp + entry point), else undefined. Synchronous, touches nothing. */
export function cachedCodeServer() {
  const p = paths();
  const node = readStamp(p.nodeStamp);
  const stamp = readStamp(p.codeServerStamp);
  if (!(node && existsSync(p.nodeBin) && stamp && stamp.version === CODE_SERVER_VERSION && existsSync(p.codeServerEntry))) return undefined;
  return { ...p, nodeVersion: node.version, leftOut: stamp.leftOut ?? [], builtWith: stamp.builtWith ?? {} };
}

let building; // one build per process at a time

function alive(pid) {
  try { process.kill(pid, 0); return true; } catch (e) { return e.code === 'EPERM'; }
}

/**
 * Runs `fn` holding the cache's build lock (a folder with the builder's pid), so that two processes sharing a
 * cache (npm start and the e2e suite, or two clones pointed at one $SCIMX_VSCODE_CACHE) never build into the same
 * folder at once: the second waits, then finds the first one's build. A lock whose process is gone is taken over.
 */
export async function withBuildLock(fn) {
  mkdirSync(cacheDir, { recursive: true });
  const lock = join(cacheDir, '.build-lock');
  let said = false;
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(join(lock, 'pid'), String(process.pid));
      break;
    } catch (e) {
      if (e.code !== 'EEXIST') throw e;
      let pid = 0;
      try { pid = Number(readFileSync(join(lock, 'pid'), 'utf8')); } catch { /* being written */ }
      if (pid && !alive(pid)) { rmSync(lock, { recursive: true, force: true }); continue; }
      if (!said) { log(`another process${pid ? ` (pid ${pid})` : ''} is building code-server in ${cacheDir}: waiting for it`); said = true; }
      await new Promise((r) => setTimeout(r, 2000));
    }
  }
  try { return await fn(); } finally { rmSync(lock, { recursive: true, force: true }); }
}

/**
 * Installs Node 24 and code-server into the cache unless already there (stamp files), printing progress while it
 * builds. `env` is the environment the build sees (default process.env; the e2e suite passes
 * withoutKerberosHeaders()). Returns where they are, how long each part took (0 when cached), and `leftOut`:
 * the optional addons the build left out ({ addon, reason }), also for a cached build.
 */
export async function ensureCodeServer({ quiet = false, env: baseEnv = process.env } = {}) {
  if (building) return building;
  building = buildCodeServer({ quiet, baseEnv });
  try { return await building; } finally { building = undefined; }
}

async function buildCodeServer({ quiet, baseEnv }) {
  const t0 = Date.now();
  const fromCache = (cached) => {
    if (!quiet) log(`code-server ${CODE_SERVER_VERSION} cached in ${cached.codeServerDir} (no build needed)`);
    return { ...cached, nodeMs: 0, codeServerMs: 0, totalMs: Date.now() - t0, cached: true };
  };
  const cached = cachedCodeServer();
  if (cached) return fromCache(cached);
  return withBuildLock(async () => {
    const built = cachedCodeServer(); // by the process we waited for
    return built ? fromCache(built) : build({ quiet, baseEnv, t0 });
  });
}

async function build({ quiet, baseEnv, t0 }) {
  const p = paths();
  const missing = missingBuildDeps(baseEnv);
  if (missing.length) {
    throw new Error(`code-server ${CODE_SERVER_VERSION} compiles native addons with node-gyp, which needs: ${missing.join(', ')} `
      + `(Debian: apt-get install -y build-essential python3)`);
  }
  log(`building code-server ${CODE_SERVER_VERSION} into ${cacheDir} (once: about 230 MB from the npm registry, 800 MB on disk, then a few minutes compiling)`);
  const node = await ensureNode24(baseEnv);
  const leftOut = [];
  for (const [addon, info] of Object.entries(OPTIONAL_ADDONS)) {
    const reason = info.buildable(baseEnv);
    if (reason) leftOut.push({ addon, reason });
  }
  for (const line of leftOutLines(leftOut, p.codeServerDir)) log(line);

  rmSync(p.codeServerDir, { recursive: true, force: true });
  mkdirSync(p.codeServerDir, { recursive: true });
  writeFileSync(join(p.codeServerDir, 'package.json'), JSON.stringify({
    name: 'scimx-code-server', private: true, description: 'cache: code-server for e2e tests and npm start (scripts/vscode-server.mjs)',
    dependencies: { 'code-server': CODE_SERVER_VERSION },
    allowScripts: Object.fromEntries(TOP_LEVEL_SCRIPTS.map((n) => [n, true])),
  }, null, 2));
  const env = node24Env({ npm_config_nodedir: p.nodeHome, npm_config_update_notifier: 'false' }, baseEnv);
  let csMs = await npm(p.codeServerDir, env, `[2/4] code-server ${CODE_SERVER_VERSION}: download and unpack`, ['install', '--ignore-scripts']);
  const vscodeDir = join(p.codeServerPkg, 'lib', 'vscode');
  const extDir = join(vscodeDir, 'extensions');
  for (const dir of [vscodeDir, extDir]) {
    if (!existsSync(join(dir, 'package.json'))) throw new Error(`code-server ${CODE_SERVER_VERSION} has no ${dir}/package.json`);
  }
  const addons = approveAddons(vscodeDir, leftOut);
  writeFileSync(join(vscodeDir, '.npmrc'), '# written by scripts/vscode-server.mjs: code-server\'s postinstall only unpacks VS Code\'s\n'
    + '# dependencies here; their native addons are built afterwards, by name (npm rebuild --ignore-scripts=false ...)\n'
    + '# (which ones: lib/vscode/package.json\'s allowScripts, rewritten name-only by scripts/vscode-server.mjs)\n'
    + 'ignore-scripts=true\n');
  writeFileSync(join(extDir, '.npmrc'), `# written by scripts/vscode-server.mjs: built on purpose\nallow-scripts=${EXTENSIONS_SCRIPTS.join(',')}\n`);
  csMs += await npm(p.codeServerDir, env, '[3/4] VS Code\'s dependencies (code-server\'s postinstall)', ['rebuild']);
  // only those installed on this platform (e.g. not @vscode/windows-ca-certs on Linux); never an empty list:
  // `npm rebuild` without names would rebuild everything, the left-out addons too
  const installed = addons.filter((n) => existsSync(join(vscodeDir, 'node_modules', n, 'package.json')));
  if (!installed.length) throw new Error(`code-server's postinstall installed none of VS Code's native modules under ${vscodeDir}/node_modules`);
  csMs += await npm(vscodeDir, env, `[4/4] VS Code's native addons (${installed.join(', ')})`, ['rebuild', '--ignore-scripts=false', ...installed], {
    progress: () => {
      const done = installed.filter((n) => findNativeAddons(join(vscodeDir, 'node_modules', n, 'build')).length);
      return done.length ? `compiled so far: ${done.join(', ')}` : '';
    },
  });
  const problems = verifyCodeServer(leftOut);
  if (problems.length) throw new Error(`code-server install is incomplete:\n  ${problems.join('\n  ')}`);
  writeFileSync(p.codeServerStamp, JSON.stringify({
    version: CODE_SERVER_VERSION, node: node.version, installedAt: new Date().toISOString(), ms: csMs, leftOut,
    builtWith: { addons: installed },
  }));
  const total = Date.now() - t0;
  if (!quiet) log(`code-server ${CODE_SERVER_VERSION} built in ${fmtSecs(total)} (${sizeMb(cacheDir)} MB in ${cacheDir})`);
  return { ...p, nodeVersion: node.version, nodeMs: node.ms, codeServerMs: csMs, totalMs: total, cached: false, leftOut, builtWith: { addons: installed } };
}

/** A free TCP port on 127.0.0.1. */
export function freePort() {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => res(typeof addr === 'object' && addr ? addr.port : 0));
    });
  });
}

/** Installs a .vsix into an extensions dir (do it before starting the server: extensions are scanned at start). */
export function installExtension({ vsixPath, extensionsDir, userDataDir }) {
  const p = cachedCodeServer();
  if (!p) throw new Error(`code-server ${CODE_SERVER_VERSION} is not built in ${cacheDir} yet (await ensureCodeServer() first)`);
  mkdirSync(extensionsDir, { recursive: true });
  const args = [p.codeServerEntry, '--extensions-dir', extensionsDir, '--install-extension', resolve(vsixPath), '--force'];
  if (userDataDir) args.splice(1, 0, '--user-data-dir', userDataDir);
  const r = run(p.nodeBin, args, { env: node24Env(OFFLINE_ENV) });
  if (r.status !== 0) throw new Error(`installing ${vsixPath} failed (exit ${r.status}):\n${r.stdout}${r.stderr}`);
  return r.stdout.trim();
}

export const DEFAULT_SETTINGS = {
  'security.workspace.trust.enabled': false,
  'workbench.startupEditor': 'none',
  'chat.disableAIFeatures': true,
  // nothing may leave loopback: no update checks, recommendations, experiments or telemetry
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'update.mode': 'none',
  'telemetry.telemetryLevel': 'off',
  'workbench.enableExperiments': false,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  // test and sandbox workspaces live inside this repo's clone: don't offer to open the parent repository
  'git.openRepositoryInParentFolders': 'never',
};

// code-server's product config reads the extension gallery from EXTENSIONS_GALLERY (default: open-vsx.org).
// An empty serviceUrl turns the gallery off, so the server never queries the network.
const OFFLINE_ENV = { EXTENSIONS_GALLERY: JSON.stringify({ serviceUrl: '' }) };

function writeUserSettings(userDataDir, settings) {
  const dir = join(userDataDir, 'User');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'settings.json');
  let current = {};
  try { current = JSON.parse(readFileSync(file, 'utf8')); } catch { /* fresh profile */ }
  writeFileSync(file, JSON.stringify({ ...current, ...DEFAULT_SETTINGS, ...settings }, null, 2));
}

async function waitForHttp(url, child, timeoutMs, logs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`VS Code server exited (${child.exitCode ?? child.signalCode}) before it was ready:\n${logs.join('').slice(-4000)}`);
    }
    try {
      const r = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (r.status < 500) { await r.arrayBuffer(); return; }
    } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`VS Code server did not answer on ${url} within ${timeoutMs} ms:\n${logs.join('').slice(-4000)}`);
}

function killGroup(child, signal) {
  try { process.kill(-child.pid, signal); return true; } catch { return false; }
}

/**
 * Starts a VS Code server on 127.0.0.1 in its own process group.
 *  - vsixPath: installs it into extensionsDir first, then runs `code-server` (the packaged extension);
 *  - extensionDevelopmentPath: runs the server inside the package (lib/vscode/out/server-main.js) with the
 *    smoke-test driver enabled, and puts the development extension in the URL's `payload` (the `code-server`
 *    command rejects --extensionDevelopmentPath).
 * Returns { url, port, pid, folder, logs(), stop() }; stop() ends the whole process group.
 */
export async function startCodeServer({
  vsixPath, extensionDevelopmentPath, folder, userDataDir, extensionsDir, port = 0, settings = {},
  env: extraEnv = {}, timeoutMs = 60_000, stdio = 'pipe', workspaceTrust = false,
} = {}) {
  if (!folder) throw new Error('startCodeServer: folder is required');
  const p = await ensureCodeServer({ quiet: true });
  const base = userDataDir ?? join(cacheDir, 'profiles', `run-${process.pid}-${Date.now()}`);
  const udd = resolve(base);
  const extDir = resolve(extensionsDir ?? join(udd, 'extensions'));
  mkdirSync(udd, { recursive: true });
  mkdirSync(extDir, { recursive: true });
  // workspaceTrust: VS Code asks whether to trust the folder (Restricted Mode until it is), as for a user
  const trustSettings = workspaceTrust ? { 'security.workspace.trust.enabled': true } : {};
  const noTrust = workspaceTrust ? [] : ['--disable-workspace-trust'];
  writeUserSettings(udd, { ...settings, ...trustSettings });
  if (vsixPath) installExtension({ vsixPath, extensionsDir: extDir, userDataDir: udd });
  const chosenPort = port || await freePort();
  const absFolder = resolve(folder);
  let args;
  let url;
  if (extensionDevelopmentPath) {
    const serverData = join(udd, 'server-data');
    mkdirSync(serverData, { recursive: true });
    args = [p.serverMain, '--host', '127.0.0.1', '--port', String(chosenPort), '--without-connection-token',
      '--accept-server-license-terms', '--enable-smoke-test-driver', '--disable-telemetry', ...noTrust,
      '--server-data-dir', serverData, '--user-data-dir', udd, '--extensions-dir', extDir];
    const authority = `127.0.0.1:${chosenPort}`;
    const payload = [['extensionDevelopmentPath', `vscode-remote://${authority}${resolve(extensionDevelopmentPath)}`], ['skipWelcome', 'true']];
    url = `http://${authority}/?folder=${encodeURIComponent(`vscode-remote://${authority}${absFolder}`)}`
      + `&payload=${encodeURIComponent(JSON.stringify(payload))}`;
    // server-main reads the machine settings from its server data dir; user settings are in the browser's
    // profile storage there, so also seed the server-side User folder.
    writeUserSettings(serverData, { ...settings, ...trustSettings });
  } else {
    args = [p.codeServerEntry, '--auth', 'none', '--bind-addr', `127.0.0.1:${chosenPort}`, '--user-data-dir', udd,
      '--extensions-dir', extDir, '--disable-telemetry', '--disable-update-check', ...noTrust,
      '--disable-getting-started-override', absFolder];
    url = `http://127.0.0.1:${chosenPort}/?folder=${encodeURIComponent(absFolder)}`;
  }
  const logs = [];
  const env = node24Env({ ...OFFLINE_ENV, ...extraEnv });
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k];
  // a VS Code terminal's variables would make code-server talk to that VS Code instead of starting
  for (const k of ['VSCODE_IPC_HOOK_CLI', 'VSCODE_PROXY_URI']) delete env[k];
  const child = spawn(p.nodeBin, args, { cwd: absFolder, detached: true, stdio: ['ignore', stdio, stdio], env });
  const keep = (chunk) => { logs.push(chunk.toString()); if (logs.length > 500) logs.splice(0, logs.length - 500); };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let stopped;
  const stop = () => {
    if (stopped) return stopped;
    stopped = new Promise((res) => {
      if (child.exitCode !== null || child.signalCode !== null) { killGroup(child, 'SIGKILL'); res(); return; }
      const t = setTimeout(() => { killGroup(child, 'SIGKILL'); }, 5000);
      child.once('exit', () => { clearTimeout(t); killGroup(child, 'SIGKILL'); res(); });
      if (!killGroup(child, 'SIGTERM')) { clearTimeout(t); res(); }
    });
    return stopped;
  };
  try {
    await waitForHttp(`http://127.0.0.1:${chosenPort}/`, child, timeoutMs, logs);
  } catch (e) {
    await stop();
    throw e;
  }
  return { url, port: chosenPort, pid: child.pid, folder: absFolder, userDataDir: udd, extensionsDir: extDir, logs: () => logs.join(''), stop, child };
}

// ---- CLI ----
async function main(argv) {
  const [cmd = 'install', ...rest] = argv;
  if (cmd === 'install') {
    const r = await ensureCodeServer();
    for (const line of leftOutLines(r.leftOut)) log(line);
    console.log(JSON.stringify({ node: r.nodeBin, nodeVersion: r.nodeVersion, codeServer: r.codeServerEntry, serverMain: r.serverMain, cached: r.cached, leftOut: r.leftOut, nodeMs: r.nodeMs, codeServerMs: r.codeServerMs, totalMs: r.totalMs }, null, 2));
    return;
  }
  if (cmd === 'start') {
    const vsix = rest.find((a) => a.endsWith('.vsix'));
    const folder2 = resolve(rest.find((a) => !a.startsWith('--') && !a.endsWith('.vsix')) ?? process.cwd());
    const srv = await startCodeServer({ folder: folder2, ...(vsix ? { vsixPath: vsix } : { extensionDevelopmentPath: repoRoot }), stdio: 'inherit' });
    console.log(`VS Code (code-server) on ${folder2}:\n  ${srv.url}\n(pid ${srv.pid}; Ctrl-C stops it)`);
    const end = () => { srv.stop().then(() => process.exit(0)); };
    process.on('SIGINT', end);
    process.on('SIGTERM', end);
    srv.child.on('exit', (code) => { console.log(`code-server exited (${code})`); process.exit(code ?? 0); });
    return;
  }
  console.error('usage: node scripts/vscode-server.mjs install | start [FOLDER] [FILE.vsix]');
  process.exit(2);
}

if (process.argv[1] && pathToFileURL(resolve(process.argv[1])).href === import.meta.url) {
  main(process.argv.slice(2)).catch((e) => { console.error(`[vscode-server] ${e instanceof Error ? e.message : e}`); process.exit(1); });
}
