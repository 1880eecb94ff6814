// test-isolation: own process (SCIMX_VSCODE_CACHE set and an exit hook for the whole process)
// scripts/vscode-server.mjs without building anything: the environment a build sees without the Kerberos headers,
// the line that says what leaving the kerberos addon out costs, and the build lock that keeps two processes from
// building into one cache at once. (The build itself is proven by the e2e suite.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type * as VsServerModule from '../../scripts/vscode-server.mjs' with { 'resolution-mode': 'import' };
type VsServer = typeof VsServerModule;

const cache = mkdtempSync(join(tmpdir(), 'scimx-vscode-cache-'));
process.env.SCIMX_VSCODE_CACHE = cache;
const load = (): Promise<VsServer> => import('../../scripts/vscode-server.mjs');
process.on('exit', () => rmSync(cache, { recursive: true, force: true }));

const found = (cmd: string, env: NodeJS.ProcessEnv): boolean =>
  spawnSync('sh', ['-c', `command -v ${cmd}`], { env, stdio: 'ignore' }).status === 0;

test('withoutKerberosHeaders: pkg-config is off PATH, everything else stays, the kerberos addon is not buildable', async () => {
  const vs = await load();
  const base = { ...process.env, CPATH: '/somewhere', PKG_CONFIG_PATH: '/elsewhere' };
  const env = vs.withoutKerberosHeaders(base);
  assert.equal(found('pkg-config', env), false);
  for (const tool of ['sh', 'node']) assert.equal(found(tool, env), found(tool, base), tool);
  assert.equal(env.CPATH, undefined);
  assert.equal(env.PKG_CONFIG_PATH, undefined);
  assert.equal(vs.kerberosBuildable(env), 'pkg-config is not on PATH');
  assert.ok(env.PATH!.includes(tmpdir()), 'the shadow PATH folders are temporary');
  assert.equal(vs.withoutKerberosHeaders(base).PATH, env.PATH, 'a second call reuses the same folders');
});

test('leftOutLines: one line saying what is unavailable, why, and how to get it', async () => {
  const vs = await load();
  const lines = vs.leftOutLines([{ addon: 'kerberos', reason: 'pkg-config is not on PATH' }], '/c/code-server');
  assert.equal(lines.length, 1);
  assert.match(lines[0]!, /^Kerberos proxy authentication inside this VS Code is unavailable: its kerberos addon was not built \(pkg-config is not on PATH\)/);
  assert.match(lines[0]!, /apt-get install -y libkrb5-dev pkg-config, then delete \/c\/code-server/);
  assert.doesNotMatch(lines[0]!, /\n/);
  assert.deepEqual(vs.leftOutLines([]), []);
});

test('an empty cache has no cached build', async () => {
  const vs = await load();
  assert.equal(vs.cachedCodeServer(), undefined);
});

test('the build lock: two holders never overlap; a lock left by a dead process is taken over', async () => {
  const vs = await load();
  const events: string[] = [];
  const hold = (name: string) => vs.withBuildLock(async () => {
    events.push(`${name}+`);
    await new Promise((r) => setTimeout(r, 300));
    events.push(`${name}-`);
    return name;
  });
  assert.deepEqual(await Promise.all([hold('a'), hold('b')]), ['a', 'b']);
  assert.ok(/^(a\+,a-,b\+,b-|b\+,b-,a\+,a-)$/.test(events.join(',')), events.join(','));

  // a lock whose process is gone (a build killed half-way)
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  mkdirSync(join(cache, '.build-lock'), { recursive: true });
  writeFileSync(join(cache, '.build-lock', 'pid'), dead.stdout);
  const t0 = Date.now();
  assert.equal(await vs.withBuildLock(async () => 'taken over'), 'taken over');
  assert.ok(Date.now() - t0 < 1500, 'waited for a dead process');
});
