// `npm test` starts with the checks (scripts/checks.mjs: tsc on the code, tsc on the webview scripts, ESLint) and
// fails before any suite when one finds something. Here scripts/test.mjs runs in a tiny project laid out like
// this one (tsconfig.json, media/tsconfig.json, eslint.config.mjs, this repository's node_modules), so what is
// asserted is the command's own behaviour: its exit code, which check it names, whether a suite ran.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const repo = join(__dirname, '..', '..');
const SMALL = { noEmit: true, types: [], lib: ['es5'], skipLibCheck: true };

/** A project with one TypeScript file, one webview script and an ESLint config, and this repository's runner. */
function project(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'scimx-checks-'));
  mkdirSync(join(dir, 'scripts'));
  for (const f of ['test.mjs', 'checks.mjs', 'secret-scan.mjs']) copyFileSync(join(repo, 'scripts', f), join(dir, 'scripts', f));
  symlinkSync(join(repo, 'node_modules'), join(dir, 'node_modules'), 'dir');
  const all: Record<string, string> = {
    // the smallest library (no DOM, no @types): the check of a two-line project takes a second, not five
    'tsconfig.json': JSON.stringify({ compilerOptions: { ...SMALL, strict: true }, include: ['src/**/*.ts'] }),
    'media/tsconfig.json': JSON.stringify({ compilerOptions: { ...SMALL, allowJs: true, checkJs: true, strict: true }, include: ['*.js'] }),
    'eslint.config.mjs': "export default [{ files: ['**/*.js'], rules: { 'no-debugger': 'error' } }];\n",
    'src/a.ts': 'export const n: number = 1;\n',
    'media/a.js': '// @ts-check\n/** @type {number} */\nvar m = 1;\n',
    ...files,
  };
  for (const [name, text] of Object.entries(all)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

/** `node scripts/test.mjs unit [args]` in the project; resolves with its exit code and everything it printed. */
function npmTest(dir: string, ...args: string[]): Promise<{ status: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(dir, 'scripts', 'test.mjs'), 'unit', ...args], {
      cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, SCIMX_STATE_DIR: join(dir, 'state') },
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => { out += c.toString('utf8'); });
    child.stderr.on('data', (c: Buffer) => { out += c.toString('utf8'); });
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, out }));
  });
}

// One run with the real tools (tsc twice, ESLint). That the checks pass on clean code is what every `npm test` of
// this repository shows.
test('a type error, a webview type error and a lint finding: each check fails by name, no suite runs, exit 1', async () => {
  const dir = project({
    'src/a.ts': "export const n: number = 'not a number';\n",
    'media/a.js': "// @ts-check\n/** @type {number} */\nvar m = 'not a number';\ndebugger;\n",
  });
  try {
    const { status, out } = await npmTest(dir);
    assert.equal(status, 1, out);
    assert.match(out, /src\/a\.ts.*TS2322/, 'tsc printed its finding');
    assert.match(out, /a\.js.*TS2322/, 'the webview check printed its finding');
    assert.match(out, /no-debugger/, 'ESLint printed its finding');
    assert.match(out, /^FAIL tsc \(src, test, bench\)/m);
    assert.match(out, /^FAIL tsc \(media: the webview scripts\)/m);
    assert.match(out, /^FAIL eslint/m);
    assert.match(out, /no suite ran: 3 check\(s\) failed/);
    assert.doesNotMatch(out, /\(unit: no tests\)/, 'no suite ran');
    assert.match(out, /^total: 0 passed, 3 failed/m);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('--no-checks leaves the checks out (the suite runs whatever they would find)', async () => {
  const dir = project({ 'src/a.ts': "export const n: number = 'not a number';\n" });
  try {
    const { status, out } = await npmTest(dir, '--no-checks');
    assert.equal(status, 0, out);
    assert.match(out, /checks left out: --no-checks/);
    assert.doesNotMatch(out, /tsc|eslint/);
    assert.match(out, /\(unit: no tests\)/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
