// `npm test`: unit, then integration (real sockets against the sandbox on 127.0.0.1), then e2e (a real
// VS Code in headless Chromium). `npm test -- unit` (or integration, e2e) runs one suite.
// Each suite is run by node's own test runner, so its closing lines (# pass / # fail) are the verdict.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const suites = wanted.length ? wanted : ['unit', 'integration', 'e2e'];

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

function run(cmd, args, extraEnv = {}) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...extraEnv } });
  return r.status ?? 1;
}

let failed = 0;
const totals = { pass: 0, fail: 0, skipped: 0 };
const tapDir = mkdtempSync(join(tmpdir(), 'scimx-test-'));
for (const suite of suites) {
  if (!['unit', 'integration', 'e2e'].includes(suite)) {
    console.error(`unknown suite "${suite}" (unit, integration, e2e)`);
    process.exit(2);
  }
  if (suite !== 'unit' && run(process.execPath, ['scripts/build.mjs']) !== 0) { failed++; break; }
  const files = testFiles(suite);
  if (!files.length) { console.log(`(${suite}: no tests)`); continue; }
  console.log(`\n=== ${suite}: ${files.length} file(s) ===`);
  const tap = join(tapDir, `${suite}.tap`);
  const args = ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-reporter-destination=stdout',
    '--test-reporter=tap', `--test-reporter-destination=${tap}`];
  // e2e drives one browser and one VS Code at a time; integration files each start their own sandbox.
  args.push(`--test-concurrency=${suite === 'e2e' ? 1 : 2}`);
  const status = run(process.execPath, [...args, ...files], { SCIMX_TEST_SUITE: suite });
  if (status !== 0) failed++;
  let text = '';
  try { text = readFileSync(tap, 'utf8'); } catch { /* the runner died before writing */ }
  for (const key of Object.keys(totals)) {
    const m = text.match(new RegExp(`^# ${key} (\\d+)$`, 'm'));
    if (m) totals[key] += Number(m[1]);
  }
  if (status !== 0 && !/^# fail [1-9]/m.test(text)) totals.fail += 1; // a runner that crashed counts as a failure
}
rmSync(tapDir, { recursive: true, force: true });
// The plain closing line CI reads, over every suite that ran.
console.log(`\ntotal: ${totals.pass} passed, ${totals.fail} failed, ${totals.skipped} skipped`);
process.exit(failed ? 1 : 0);
