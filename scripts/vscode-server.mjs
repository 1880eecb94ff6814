// A real VS Code for machines that cannot download VS Code desktop: code-server (VS Code 1.139 in a browser)
// built from npm, cached in the ignored folder .vscode-test/. Used by `npm start` and the e2e tests
// (see /work/shared/E2E-RECIPE.md for the measured recipe this follows).
//
//   import { ensureCodeServer, installExtension, startCodeServer } from './vscode-server.mjs';
//   node scripts/vscode-server.mjs install              installs (or finds) Node 24 + code-server, prints paths
//   node scripts/vscode-server.mjs start [FOLDER] [FILE.vsix]   starts a VS Code server on FOLDER (default: cwd) with
//                                                       the .vsix installed, or else the repo as a development
//                                                       extension; prints the URL, Ctrl-C stops it
//
// Layout of .vscode-test/ (each part has a stamp file; a second run skips everything):
//   node-24/        `npm install node@24`: the npm package ships the binary and its headers
//   code-server-4.139.1/  `npm install code-server@4.139.1`, built with Node 24 first on PATH and
//                   npm_config_nodedir pointing at Node 24's headers (its postinstall compiles native addons:
//                   kerberos needs libkrb5-dev + pkg-config from apt)
//
// npm 11 install-script gate (measured with npm 11.19.1): installs end with `npm warn install-scripts N packages have
// install scripts not yet covered by allowScripts`. In 11.19 that is advisory (unreviewed scripts still run; only
// entries set to `false` are skipped), but the documented direction is "blocked by default", so we approve
// explicitly instead of relying on it:
//   - `--allow-scripts` / npm_config_allow_scripts is REJECTED in project-scoped installs (EALLOWSCRIPTS). And npm
//     exports an .npmrc `allow-scripts=` value to lifecycle scripts as npm_config_allow_scripts, so putting it in a
//     user or top-level .npmrc makes code-server's own nested `npm install` die with EALLOWSCRIPTS. Don't.
//   - What works: the scratch folder's package.json has `allowScripts` {code-server, argon2} (node@24's folder:
//     {node}); code-server is first unpacked with `npm install --ignore-scripts`, then a project `.npmrc` with
//     `allow-scripts=` (VS Code's native modules: kerberos, node-pty, @vscode/spdlog, ...) is written into the two
//     folders where its postinstall runs nested installs (lib/vscode, lib/vscode/extensions; their scripts are
//     `node-gyp rebuild`, which runs no npm, so the exported value is harmless there), then `npm rebuild` runs the
//     approved scripts (code-server's postinstall, argon2's prebuild check). No install-scripts warnings remain.
//   - Afterwards we check the results on disk (Node 24 binary + headers, VS Code's built .node addons) rather
//     than trusting npm's exit code, so a silently skipped script fails loudly here.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const cacheDir = process.env.SCIMX_VSCODE_CACHE ? resolve(process.env.SCIMX_VSCODE_CACHE) : join(repoRoot, '.vscode-test');
export const NODE_MAJOR = '24';
export const CODE_SERVER_VERSION = '4.139.1';

// Packages whose install scripts we run on purpose. In our scratch package.json (top level) ...
const TOP_LEVEL_SCRIPTS = ['code-server', 'argon2'];
// ... and in code-server's lib/vscode and lib/vscode/extensions (its postinstall's nested `npm install`s);
// the list is what `npm install-scripts ls` reports there for code-server 4.139.1.
const NESTED_SCRIPTS = [
  '@parcel/watcher', '@vscode/deviceid', '@vscode/fs-copyfile', '@vscode/native-watchdog', '@vscode/spdlog',
  '@vscode/sqlite3', '@vscode/windows-process-tree', '@vscode/windows-registry', 'kerberos', 'node-pty',
];

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
// Network settings a user or CI may pass as npm_config_* env vars are kept (registry mirror, proxy, TLS, auth).
const KEEP_NPM_ENV = /^npm_config_(registry|@[^:]+:registry|proxy|https?[-_]proxy|no[-_]?proxy|cafile|ca|strict[-_]ssl|fetch[-_].*|maxsockets|_auth.*|\/\/.*)$/i;

export function cleanEnv() {
  const env = { ...process.env };
  for (const k of Object.keys(env)) {
    if ((/^npm_/i.test(k) && !KEEP_NPM_ENV.test(k)) || k === 'NODE' || k === 'INIT_CWD' || k === 'NODE_OPTIONS') delete env[k];
  }
  return env;
}

/** A clean env (see cleanEnv) with Node 24 first on PATH (so `node` and npm's `#!/usr/bin/env node` are Node 24). */
export function node24Env(extra = {}) {
  const p = paths();
  const env = cleanEnv();
  return {
    ...env,
    PATH: `${join(p.nodeHome, 'bin')}${delimiter}${env.PATH ?? ''}`,
    ...extra,
  };
}

function readStamp(file) {
  try { return JSON.parse(readFileSync(file, 'utf8')); } catch { return undefined; }
}

/** Missing apt packages needed to build code-server's native addons, as a list (empty when all is there). */
export function missingBuildDeps() {
  const missing = [];
  if (run('pkg-config', ['--version']).status !== 0) missing.push('pkg-config');
  const hasGssapi = ['/usr/include/gssapi/gssapi.h', '/usr/include/gssapi.h'].some((f) => existsSync(f))
    || run('pkg-config', ['--exists', 'krb5-gssapi']).status === 0;
  if (!hasGssapi) missing.push('libkrb5-dev');
  for (const tool of ['make', 'g++', 'python3']) {
    if (run('sh', ['-c', `command -v ${tool}`]).status !== 0) missing.push(tool === 'g++' ? 'g++' : tool);
  }
  return missing;
}

function npmInstall(dir, env, what, args = ['install']) {
  const t0 = Date.now();
  log(`npm ${args.join(' ')} ${what} in ${dir} ...`);
  const r = spawnSync('npm', [...args, '--no-audit', '--no-fund', '--loglevel=warn'], {
    cwd: dir, env, stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (r.status !== 0) throw new Error(`npm ${args[0]} ${what} failed (exit ${r.status}) in ${dir}`);
  log(`npm ${args[0]} ${what}: ${fmtSecs(Date.now() - t0)}`);
  return Date.now() - t0;
}

function ensureNode24() {
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
  const ms = npmInstall(p.nodeDir, cleanEnv(), `node@${NODE_MAJOR}`);
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
    else if (e.name.endsWith('.node') && p.includes(`${'build'}`)) out.push(p);
  }
  return out;
}

/** Checks that code-server's postinstall really built VS Code's native addons (not just unpacked files). */
function verifyCodeServer() {
  const p = paths();
  const problems = [];
  if (!existsSync(p.codeServerEntry)) problems.push(`missing ${p.codeServerEntry}`);
  if (!existsSync(p.serverMain)) problems.push(`missing ${p.serverMain}`);
  const vscodeModules = join(p.codeServerPkg, 'lib', 'vscode', 'node_modules');
  if (!existsSync(vscodeModules)) problems.push(`missing ${vscodeModules} (code-server's postinstall did not run)`);
  else {
    for (const mod of ['kerberos', '@vscode/spdlog', '@vscode/sqlite3']) {
      const built = findNativeAddons(join(vscodeModules, mod));
      if (!built.length) problems.push(`native addon of ${mod} not built under ${join(vscodeModules, mod)}`);
    }
  }
  return problems;
}

/**
 * Installs Node 24 and code-server into .vscode-test/ unless already there (stamp files).
 * Returns where they are and how long each part took (0 when cached).
 */
export function ensureCodeServer({ quiet = false } = {}) {
  const t0 = Date.now();
  const p = paths();
  mkdirSync(cacheDir, { recursive: true });
  const node = ensureNode24();
  const stamp = readStamp(p.codeServerStamp);
  let csMs = 0;
  if (!(stamp && stamp.version === CODE_SERVER_VERSION && existsSync(p.codeServerEntry))) {
    const missing = missingBuildDeps();
    if (missing.length) {
      throw new Error(
        `code-server ${CODE_SERVER_VERSION} compiles native addons and needs: ${missing.join(', ')}. ` +
        `Install them with: sudo apt-get install -y ${missing.join(' ')}`,
      );
    }
    rmSync(p.codeServerDir, { recursive: true, force: true });
    mkdirSync(p.codeServerDir, { recursive: true });
    writeFileSync(join(p.codeServerDir, 'package.json'), JSON.stringify({
      name: 'scimx-code-server', private: true, description: 'cache: code-server for e2e tests and npm start (scripts/vscode-server.mjs)',
      dependencies: { 'code-server': CODE_SERVER_VERSION },
      allowScripts: Object.fromEntries(TOP_LEVEL_SCRIPTS.map((n) => [n, true])),
    }, null, 2));
    const env = node24Env({ npm_config_nodedir: p.nodeHome, npm_config_update_notifier: 'false' });
    log(`building code-server ${CODE_SERVER_VERSION} with Node ${node.version} (takes about 2-3 minutes once; cached in ${cacheDir})`);
    csMs = npmInstall(p.codeServerDir, env, `code-server@${CODE_SERVER_VERSION} (unpack)`, ['install', '--ignore-scripts']);
    for (const sub of [['lib', 'vscode'], ['lib', 'vscode', 'extensions']]) {
      const dir = join(p.codeServerPkg, ...sub);
      if (!existsSync(join(dir, 'package.json'))) throw new Error(`code-server ${CODE_SERVER_VERSION} has no ${join(...sub)}/package.json`);
      writeFileSync(join(dir, '.npmrc'), `# written by scripts/vscode-server.mjs: VS Code's native modules, built on purpose\nallow-scripts=${NESTED_SCRIPTS.join(',')}\n`);
    }
    csMs += npmInstall(p.codeServerDir, env, `code-server@${CODE_SERVER_VERSION} (build: postinstall)`, ['rebuild']);
    const problems = verifyCodeServer();
    if (problems.length) throw new Error(`code-server install is incomplete:\n  ${problems.join('\n  ')}`);
    writeFileSync(p.codeServerStamp, JSON.stringify({ version: CODE_SERVER_VERSION, node: node.version, installedAt: new Date().toISOString(), ms: csMs }));
  }
  const total = Date.now() - t0;
  if (!quiet) log(node.cached && !csMs ? `code-server ${CODE_SERVER_VERSION} cached in ${cacheDir}` : `code-server ready in ${fmtSecs(total)}`);
  return { ...p, nodeVersion: node.version, nodeMs: node.ms, codeServerMs: csMs, totalMs: total, cached: node.cached && !csMs };
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
  const p = ensureCodeServer({ quiet: true });
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
  const p = ensureCodeServer({ quiet: true });
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
    url = `http://${authority}/?folder=${encodeURIComponent(`vscode-remote://${authority}${absFolder}`)}` +
      `&payload=${encodeURIComponent(JSON.stringify(payload))}`;
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
    const r = ensureCodeServer();
    console.log(JSON.stringify({ node: r.nodeBin, nodeVersion: r.nodeVersion, codeServer: r.codeServerEntry, serverMain: r.serverMain, cached: r.cached, nodeMs: r.nodeMs, codeServerMs: r.codeServerMs, totalMs: r.totalMs }, null, 2));
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
