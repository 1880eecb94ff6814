// `npm start`: the main job, one command away.
//   1. builds (node scripts/build.mjs)
//   2. starts the sandbox (local SCIM service behind an APIM-like gateway) and writes a ready profiles file
//      into the sandbox workspace .sandbox/workspace/scim-profiles.yaml
//   3. opens a real VS Code on that workspace with the extension loaded:
//        - VS Code desktop when `code` is on PATH: `code --extensionDevelopmentPath=<repo> --wait <workspace>`
//        - otherwise code-server (VS Code in the browser), the same set-up the e2e tests use: the packaged .vsix
//          installed into .sandbox/code-server/extensions, the server on 127.0.0.1; prints the URL to open.
//   Ctrl-C stops everything it started (the sandbox and code-server, each by its own process group).
//   Where VS Code cannot start (code-server's build or start fails), the sandbox keeps running and it prints the
//   way in with the CLI instead (profiles file, `npx scimx --config ... list Users`, `members add`, `probe`, --har).
//
// Options:
//   --code-server       use code-server even when `code` is on PATH
//   --dev               code-server with the repo as a development extension (VS Code's server-main.js with the
//                       smoke-test driver) instead of the packaged .vsix: no packaging, reload the window after
//                       `npm run build` to pick up changes
//   --port N            code-server port (default: a free port)
//   --users N --groups N  sandbox size (passed through to `scimx sandbox`)
//   --dir DIR           where the sandbox workspace and code-server's profile live (default .sandbox)
//   --no-build          skip `node scripts/build.mjs` (dist/ is already built)
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const args = process.argv.slice(2);
const flag = (name) => args.includes(name);
const opt = (name) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : undefined; };

const say = (msg) => console.log(`[start] ${msg}`);
const started = []; // { name, stop(): Promise<void> }
let stopping = false;

async function stopAll(code = 0) {
  if (stopping) return;
  stopping = true;
  for (const s of started.reverse()) {
    try { await s.stop(); say(`stopped ${s.name}`); } catch (e) { console.error(`[start] stopping ${s.name}: ${e.message}`); }
  }
  process.exit(code);
}
process.on('SIGINT', () => { console.log(''); void stopAll(0); });
process.on('SIGTERM', () => void stopAll(0));

function stopGroup(child, name) {
  return new Promise((res) => {
    if (child.exitCode !== null || child.signalCode !== null) { res(); return; }
    const t = setTimeout(() => { try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ } }, 5000);
    child.once('exit', () => { clearTimeout(t); res(); });
    try { process.kill(-child.pid, 'SIGTERM'); } catch { clearTimeout(t); res(); }
    void name;
  });
}

function onPath(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

/** Starts `node dist/cli.js sandbox --json --write-profiles FILE` and waits for its JSON line. */
function startSandbox(profilesFile) {
  const sbArgs = ['dist/cli.js', 'sandbox', '--json', '--write-profiles', profilesFile];
  for (const o of ['--users', '--groups']) if (opt(o)) sbArgs.push(o, opt(o));
  const child = spawn(process.execPath, sbArgs, { cwd: root, detached: true, stdio: ['ignore', 'pipe', 'inherit'] });
  started.push({ name: `sandbox (pid ${child.pid})`, stop: () => stopGroup(child, 'sandbox') });
  return new Promise((res, rej) => {
    const timer = setTimeout(() => rej(new Error('the sandbox printed no JSON line within 30 s')), 30_000);
    const lines = createInterface({ input: child.stdout });
    lines.on('line', (line) => {
      const t = line.trim();
      if (!t.startsWith('{')) { if (t) console.log(`[sandbox] ${t}`); return; }
      try {
        const info = JSON.parse(t);
        clearTimeout(timer);
        res({ child, info });
      } catch { console.log(`[sandbox] ${t}`); }
    });
    child.on('exit', (code, sig) => {
      clearTimeout(timer);
      rej(new Error(`the sandbox exited (${code ?? sig}) before it was ready`));
      if (!stopping) { say(`sandbox exited (${code ?? sig})`); void stopAll(1); }
    });
  });
}

/** One line of an error: its message up to the first line break. */
const firstLine = (e) => String(e instanceof Error ? e.message : e).split('\n')[0];

/** Where VS Code cannot start: the sandbox stays up and the CLI is the way in. */
function wayIn(reason, profilesFile) {
  const cfg = `--config ${profilesFile}`;
  console.log('');
  say(`VS Code could not start here: ${reason}`);
  say('The sandbox keeps running; use it with the scimx CLI from another terminal in this folder:');
  console.log('');
  console.log(`    profiles file:  ${profilesFile}`);
  console.log(`    npx scimx ${cfg} list Users`);
  console.log(`    npx scimx ${cfg} list Groups`);
  console.log(`    npx scimx ${cfg} members add GROUP_ID USER_ID      (ids from the two lists above)`);
  console.log(`    npx scimx ${cfg} probe`);
  console.log('    add --har trace.har to any of them to write the trace (every exchange, secrets masked) as HAR 1.2');
  console.log('');
  say('Ctrl-C stops the sandbox.');
}

async function main() {
  if (!flag('--no-build')) {
    say('building (node scripts/build.mjs)');
    if (spawnSync(process.execPath, ['scripts/build.mjs'], { cwd: root, stdio: 'inherit' }).status !== 0) {
      throw new Error('build failed');
    }
  }
  const base = resolve(root, opt('--dir') ?? '.sandbox');
  const ws = join(base, 'workspace');
  mkdirSync(ws, { recursive: true });
  const profilesFile = join(ws, 'scim-profiles.yaml');
  const { info } = await startSandbox(profilesFile);
  const key = typeof info.key === 'string' ? info.key : '';
  say(`sandbox gateway: ${info.gatewayUrl}  (subscription key ••••${key.slice(-4)})`);
  say(`profiles file:   ${profilesFile}`);

  if (onPath('code') && !flag('--code-server') && !flag('--dev')) {
    say(`opening VS Code desktop: code --extensionDevelopmentPath=${root} ${ws}`);
    const code = spawn('code', ['--new-window', `--extensionDevelopmentPath=${root}`, '--wait', ws], { stdio: 'inherit', detached: true });
    started.push({ name: `code (pid ${code.pid})`, stop: () => stopGroup(code, 'code') });
    say('close the VS Code window or press Ctrl-C to stop the sandbox');
    code.on('exit', () => { if (!stopping) { say('VS Code window closed'); void stopAll(0); } });
    return;
  }

  try {
    await startVsCode(ws, profilesFile);
  } catch (e) {
    if (stopping) return;
    // the details (npm's or vsce's output) first, then the way in as the last thing on the screen
    const rest = String(e instanceof Error ? e.message : e).split('\n').slice(1).filter((l) => l.trim()).slice(-20);
    if (rest.length) console.error(rest.map((l) => `[start]   ${l}`).join('\n'));
    wayIn(firstLine(e), profilesFile);
  }
}

async function startVsCode(ws, profilesFile) {
  const vs = await import('./vscode-server.mjs');
  const cached = vs.cachedCodeServer();
  if (cached) say(`code-server ${vs.CODE_SERVER_VERSION} (VS Code in the browser): cached in ${vs.cacheDir}`);
  else say(`code-server ${vs.CODE_SERVER_VERSION} (VS Code in the browser): not built yet, building it into ${vs.cacheDir} (first run only: a few minutes; progress below)`);
  const cs = await vs.ensureCodeServer({ quiet: true });
  if (cached) for (const line of vs.leftOutLines(cs.leftOut)) say(line); // a build prints them itself
  else say(`code-server built in ${(cs.totalMs / 1000).toFixed(0)} s`);
  const dataDir = join(resolve(ws, '..'), 'code-server');
  let launch;
  if (flag('--dev')) {
    launch = { extensionDevelopmentPath: root };
  } else {
    say('packaging the extension (node scripts/package.mjs)');
    const { packageExtension } = await import('./package.mjs');
    const p = packageExtension({ out: join(resolve(ws, '..'), 'scim-explorer-dev.vsix'), quiet: true });
    launch = { vsixPath: p.vsixPath };
  }
  const srv = await vs.startCodeServer({
    ...launch,
    folder: ws,
    userDataDir: join(dataDir, flag('--dev') ? 'user-dev' : 'user'),
    extensionsDir: join(dataDir, flag('--dev') ? 'extensions-dev' : 'extensions'),
    port: Number(opt('--port') ?? 0),
    stdio: 'ignore',
  });
  started.push({ name: `code-server (pid ${srv.pid})`, stop: () => srv.stop() });
  srv.child.on('exit', (c, sig) => { if (!stopping) wayIn(`code-server exited (${c ?? sig})`, profilesFile); });
  console.log('');
  console.log('  SCIM Explorer is running in VS Code (code-server). Open this URL in a browser:');
  console.log('');
  console.log(`    ${srv.url}`);
  console.log('');
  console.log('  Then click the SCIM icon in the activity bar; profile "sandbox" is already there.');
  console.log(`  Ctrl-C stops code-server (pid ${srv.pid}) and the sandbox.`);
}

main().catch((e) => {
  console.error(`[start] ${e instanceof Error ? e.message : e}`);
  void stopAll(1);
});
