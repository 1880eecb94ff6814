// `npm start` where a real VS Code cannot start: code-server's build fails (here: its cache folder cannot be
// created, SCIMX_VSCODE_CACHE points under /dev/null). The sandbox must keep running and the way in with the CLI
// must be printed (profiles file, list Users, members add, probe, --har); Ctrl-C (SIGTERM) then stops the sandbox.
// Needs dist/ (node scripts/build.mjs); runs scripts/start.mjs as a real process, everything on 127.0.0.1.
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

const root = join(__dirname, '..', '..');

function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(root, 'dist', 'cli.js'), ...args], { cwd: root, timeout: 30_000, env: { ...process.env, SCIMX_CACHE_DIR: 'off' } }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

describe('npm start when VS Code cannot start', () => {
  const dir = mkdtempSync(join(tmpdir(), 'scimx-start-'));
  let child: ChildProcess | undefined;
  after(() => {
    if (child && child.exitCode === null && child.signalCode === null) {
      try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* gone */ }
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps the sandbox running and prints the way in with the CLI; Ctrl-C stops it', { timeout: 120_000 }, async () => {
    let out = '';
    child = spawn(process.execPath, ['scripts/start.mjs', '--code-server', '--no-build', '--dir', dir, '--users', '5', '--groups', '2'], {
      cwd: root,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, SCIMX_VSCODE_CACHE: '/dev/null/scimx-vscode-cache' },
    });
    const proc = child;
    const exited = new Promise<number | null>((res) => proc.on('exit', (code) => res(code)));
    proc.stdout!.on('data', (c: Buffer) => { out += c.toString(); });
    proc.stderr!.on('data', (c: Buffer) => { out += c.toString(); });
    const deadline = Date.now() + 60_000;
    while (!out.includes('Ctrl-C stops the sandbox.')) {
      if (proc.exitCode !== null) assert.fail(`npm start exited (${proc.exitCode}) instead of keeping the sandbox:\n${out}`);
      if (Date.now() > deadline) assert.fail(`no way in printed within 60 s:\n${out}`);
      await new Promise((r) => setTimeout(r, 100));
    }

    const profiles = join(dir, 'workspace', 'scim-profiles.yaml');
    assert.match(out, /VS Code could not start here: .*\/dev\/null\/scimx-vscode-cache/);
    assert.ok(out.includes(`profiles file:  ${profiles}`), out);
    for (const cmd of ['list Users', 'members add GROUP_ID USER_ID', 'probe']) {
      assert.ok(out.includes(`npx scimx --config ${profiles} ${cmd}`), `no "${cmd}" line:\n${out}`);
    }
    assert.match(out, /--har trace\.har/);

    // the way in works: the sandbox still answers, through its gateway, with the printed profiles file
    const users = await runCli(['--config', profiles, '--json', 'list', 'Users']);
    assert.equal(users.code, 0, users.stderr);
    const listed = JSON.parse(users.stdout) as { Resources?: unknown[] } | unknown[];
    const n = Array.isArray(listed) ? listed.length : (listed.Resources?.length ?? 0);
    assert.equal(n, 5, users.stdout.slice(0, 300));

    // Ctrl-C (SIGTERM to the group) stops the sandbox and ends npm start with 0
    process.kill(-proc.pid!, 'SIGTERM');
    assert.equal(await exited, 0);
    assert.match(out, /stopped sandbox \(pid \d+\)/);
    const after = await runCli(['--config', profiles, 'list', 'Users', '--timeout-ms', '2000']);
    assert.notEqual(after.code, 0, 'the sandbox still answers after Ctrl-C');
  });
});
