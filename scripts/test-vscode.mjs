// `npm run test:vscode`: extension-host tests (test/vscode) in a real VS Code desktop via @vscode/test-electron.
// These machines cannot download VS Code, so this runs only with VSCODE_EXECUTABLE pointing at a VS Code
// binary (e.g. /usr/share/code/code); otherwise it says so and skips. The e2e suite (test/e2e, code-server in
// headless Chromium) is the proof that runs everywhere.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const exe = process.env.VSCODE_EXECUTABLE;
if (!exe) {
  console.log('test:vscode skipped: set VSCODE_EXECUTABLE to a VS Code desktop binary to run the extension-host tests (VS Code cannot be downloaded on this machine).');
  process.exit(0);
}

const work = join(root, '.vscode-test', 'vscode-run');
rmSync(work, { recursive: true, force: true });
mkdirSync(join(work, 'workspace'), { recursive: true });

if (spawnSync(process.execPath, [join(root, 'scripts', 'build.mjs')], { cwd: root, stdio: 'inherit' }).status !== 0) process.exit(1);
const { build } = await import('esbuild');
await build({
  absWorkingDir: root, entryPoints: ['test/vscode/index.ts'], outfile: join(work, 'tests', 'index.js'),
  bundle: true, platform: 'node', target: 'node20', format: 'cjs', external: ['vscode'], logLevel: 'warning',
});

// The sandbox, as our own child process; stopped by its pid at the end.
const sandbox = spawn(process.execPath, [join(root, 'dist', 'cli.js'), 'sandbox', '--json'], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
const info = await new Promise((resolve, reject) => {
  let buf = '';
  const timer = setTimeout(() => reject(new Error('the sandbox did not print its JSON line within 30 s')), 30_000);
  sandbox.stdout.setEncoding('utf8').on('data', (c) => {
    buf += c;
    for (const line of buf.split('\n')) {
      if (!line.trim().startsWith('{')) continue;
      try { const j = JSON.parse(line); if (j.gatewayUrl) { clearTimeout(timer); resolve(j); return; } } catch { /* partial */ }
    }
  });
  sandbox.on('exit', (code) => reject(new Error(`the sandbox exited (${code})`)));
});
const stopSandbox = () => { if (sandbox.exitCode === null) sandbox.kill(); };
process.on('exit', stopSandbox);

// The profile lives in the user settings: its secrets come from ${env:} variables, and a workspace file that
// sends an ${env:} value to a host is asked about first (a modal no test answers); user settings are the user's own.
const profile = {
  baseUrl: info.gatewayUrl,
  ...(info.auth?.type === 'basic' ? { auth: { type: 'basic', username: info.auth.username, password: '${env:SCIMX_TEST_PASSWORD}' } } : {}),
  gateway: { subscriptionKey: '${env:SCIMX_TEST_KEY}' },
};
mkdirSync(join(work, 'user-data', 'User'), { recursive: true });
writeFileSync(join(work, 'user-data', 'User', 'settings.json'), JSON.stringify({ 'scim.profiles': { sandbox: profile } }, null, 2));

let status = 1;
try {
  const { runTests } = await import('@vscode/test-electron');
  status = await runTests({
    vscodeExecutablePath: exe,
    extensionDevelopmentPath: root,
    extensionTestsPath: join(work, 'tests', 'index.js'),
    extensionTestsEnv: { SCIMX_TEST_KEY: info.key, SCIMX_TEST_PASSWORD: info.auth?.password ?? '' },
    launchArgs: [join(work, 'workspace'), '--disable-extensions', '--disable-workspace-trust', '--user-data-dir', join(work, 'user-data')],
  });
} catch (e) {
  console.error(`test:vscode failed: ${e instanceof Error ? e.message : e}`);
} finally {
  stopSandbox();
}
process.exit(status);
