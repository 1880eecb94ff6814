// `npm test`: first the checks (tsc on the code and on the webview scripts, ESLint: ./checks.mjs; any finding
// fails the run before a single test), then unit, then integration (real sockets against the sandbox on
// 127.0.0.1), then e2e (a real VS Code in headless Chromium). `npm test -- unit` (or integration, e2e) runs the
// checks and one suite; `--no-checks` leaves the checks out (e.g. `npm test -- unit --no-checks` while working).
// Each suite is run by node's own test runner, so its closing lines (# pass / # fail) are the verdict.
// Every test has a time limit (a hang fails instead of stalling CI), and at the end everything the tests
// printed, their TAP reports and the text artifacts they left are scanned for raw secrets (./secret-scan.mjs).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runChecks } from './checks.mjs';
import { scanForSecrets } from './secret-scan.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const suites = wanted.length ? wanted : ['unit', 'integration', 'e2e'];
const checks = !process.argv.includes('--no-checks');
/** Default limit of one test (ms); a test that sets its own `timeout` (the e2e ones do) keeps it. */
const TEST_TIMEOUT_MS = { unit: 60_000, integration: 180_000, e2e: 900_000 };

/**
 * Unit and integration files run several to a process. Before its first test a file's process spends 0.3 to 0.7 s
 * of CPU on node, the TypeScript hook and the modules it loads (an integration file: express, SCIMMY, undici, yaml
 * and most of src/), about a quarter of the two suites' CPU when each file had a process of its own. So a group file
 * requires up to GROUP_SIZE test files in turn (node's runner then runs each one's tests in that order, with its
 * per-test time limit) and the runner runs the groups two at a time. Node 22 does the same with
 * --experimental-test-isolation=none; this project runs on node 20.
 * A file that changes what the whole process shares (a fake `vscode` through the module loader, a browser) says
 * so in a line `// test-isolation: own process (why)` and gets a process of its own, as does every file under
 * SCIMX_TEST_ISOLATION=file (to tell whether a failure depends on a neighbour). A failing test is reported
 * with its own file and line, as before.
 */
const GROUP_SIZE = 6;
const OWN_PROCESS = /^\/\/ test-isolation: own process\b/m;

/** The files node's runner gets for `files`: group files (in `dir`) and the files that keep a process of their own. */
function grouped(files, suite, dir) {
  if (suite === 'e2e' || process.env.SCIMX_TEST_ISOLATION === 'file') return files;
  const alone = files.filter((f) => OWN_PROCESS.test(readFileSync(join(root, f), 'utf8')));
  const shared = files.filter((f) => !alone.includes(f));
  const groups = [];
  for (let i = 0; i < shared.length; i += GROUP_SIZE) {
    const members = shared.slice(i, i + GROUP_SIZE);
    const file = join(dir, `${suite}-group-${String(groups.length + 1).padStart(2, '0')}.test.cjs`);
    writeFileSync(file, `// scripts/test.mjs: ${members.length} test files in one process, in this order\n${members.map((m) => `require(${JSON.stringify(join(root, m))});`).join('\n')}\n`);
    groups.push(file);
  }
  return [...groups, ...alone];
}

function testFiles(dir) {
  const out = [];
  const walk = (d) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.test\.(ts|mjs)$/.test(name)) out.push(relative(root, p));
    }
  };
  try { walk(join(root, 'test', dir)); } catch { /* no such suite yet */ }
  return out;
}

/** Runs a command with its output shown as it comes and kept in `log` (for the secret scan). */
function run(cmd, args, extraEnv = {}, log = []) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: root, stdio: ['inherit', 'pipe', 'pipe'], env: { ...process.env, ...extraEnv } });
    child.stdout.on('data', (c) => { process.stdout.write(c); log.push(c); });
    child.stderr.on('data', (c) => { process.stderr.write(c); log.push(c); });
    child.on('error', (e) => { log.push(Buffer.from(String(e))); resolve(1); });
    child.on('close', (code) => resolve(code ?? 1));
  });
}

const started = Date.now();
let failed = 0;
const totals = { pass: 0, fail: 0, skipped: 0 };
const tapDir = mkdtempSync(join(tmpdir(), 'scimx-test-'));
// The membership journal of every scimx the tests run goes to the run's own folder, never the user's.
process.env.SCIMX_STATE_DIR ??= join(tapDir, 'state');
// Sandboxes started by the tests append the secrets they made up to this file (src/sandbox/index.ts).
const ledger = join(tapDir, 'secrets.ledger');
const printed = [];
for (const suite of suites) {
  if (!['unit', 'integration', 'e2e'].includes(suite)) {
    console.error(`unknown suite "${suite}" (unit, integration, e2e)`);
    process.exit(2);
  }
}
if (checks) {
  const result = await runChecks({ root });
  printed.push({ what: 'checks output', text: result.printed });
  if (result.failed.length) {
    failed++;
    totals.fail += result.failed.length;
    console.log(`\nno suite ran: ${result.failed.length} check(s) failed`);
  }
} else {
  console.log('\n(checks left out: --no-checks)');
}
// dist/ (integration and e2e run the bundles) is built once, while the unit suite runs: no unit test reads dist/
let built;
for (const suite of failed ? [] : suites) {
  if (suites.some((s) => s !== 'unit')) built ??= run(process.execPath, ['scripts/build.mjs']);
  if (suite !== 'unit' && (await built) !== 0) { failed++; break; }
  const files = testFiles(suite);
  if (!files.length) { console.log(`(${suite}: no tests)`); continue; }
  console.log(`\n=== ${suite}: ${files.length} file(s) ===`);
  const tap = join(tapDir, `${suite}.tap`);
  // TypeScript: unit and integration through ./test-register.cjs (a require hook on esbuild with a disk cache;
  // the test files and src/ are CommonJS), which costs a test file's process about 0.8 s of CPU less than
  // tsx's ESM loader (`--import tsx`, every module resolution through a loader thread); e2e keeps tsx.
  const loader = suite === 'e2e' ? ['--import', 'tsx'] : ['--require', join(root, 'scripts', 'test-register.cjs')];
  const args = [...loader, '--test', '--test-reporter=spec', '--test-reporter-destination=stdout',
    '--test-reporter=tap', `--test-reporter-destination=${tap}`, `--test-timeout=${TEST_TIMEOUT_MS[suite]}`];
  // e2e drives one browser and one VS Code at a time; integration files each start their own sandbox.
  args.push(`--test-concurrency=${suite === 'e2e' ? 1 : 2}`);
  const log = [];
  const status = await run(process.execPath, [...args, ...grouped(files, suite, tapDir)], { SCIMX_TEST_SUITE: suite, SCIMX_SECRET_LEDGER: ledger }, log);
  if (status !== 0) failed++;
  let text = '';
  try { text = readFileSync(tap, 'utf8'); } catch { /* the runner died before writing */ }
  printed.push({ what: `${suite} output`, text: Buffer.concat(log).toString('utf8') }, { what: `${suite} TAP report`, text });
  for (const key of Object.keys(totals)) {
    const m = text.match(new RegExp(`^# ${key} (\\d+)$`, 'm'));
    if (m) totals[key] += Number(m[1]);
  }
  if (status !== 0 && !/^# fail [1-9]/m.test(text)) totals.fail += 1; // a runner that crashed counts as a failure
}

const scan = scanForSecrets({ root, ledger, printed, since: started });
console.log(`\nsecret scan: ${scan.secrets} secret(s) in ${scan.forms} form(s), searched in ${scan.sources} source(s) (${Math.round(scan.bytes / 1024)} KB): ${scan.leaks.length ? `${scan.leaks.length} LEAK(S)` : 'none found'}`);
for (const l of scan.leaks) console.log(`  leak: ${l}`);
if (scan.leaks.length) { failed++; totals.fail += 1; }

rmSync(tapDir, { recursive: true, force: true });
// The plain closing line CI reads, over every suite that ran.
console.log(`\ntotal: ${totals.pass} passed, ${totals.fail} failed, ${totals.skipped} skipped`);
process.exit(failed ? 1 : 0);
