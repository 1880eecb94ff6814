// The checks that `npm test` runs before any suite (`npm run check` runs them alone):
//   tsc on the code (tsconfig.json: src, test, bench), tsc on the webview scripts (media/tsconfig.json:
//   media/*.js, `// @ts-check` with JSDoc types) and ESLint on everything (eslint.config.mjs).
// They run side by side; each one's output is printed whole when it ends (never interleaved), and any one that
// fails fails the run, with a line naming it.
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** What is checked, in the order the results are printed. `bin` is resolved in the project's node_modules. */
export const CHECKS = [
  { name: 'tsc (src, test, bench)', bin: 'typescript/bin/tsc', args: ['-p', 'tsconfig.json', '--noEmit'] },
  { name: 'tsc (media: the webview scripts)', bin: 'typescript/bin/tsc', args: ['-p', 'media/tsconfig.json', '--noEmit'] },
  { name: 'eslint', bin: 'eslint/bin/eslint.js', args: ['.'] },
];

function runOne(root, check) {
  const started = Date.now();
  return new Promise((done) => {
    const out = [];
    const child = spawn(process.execPath, [join(root, 'node_modules', check.bin), ...check.args], {
      cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FORCE_COLOR: process.stdout.isTTY ? '1' : '0' },
    });
    child.stdout.on('data', (c) => out.push(c));
    child.stderr.on('data', (c) => out.push(c));
    child.on('error', (e) => { out.push(Buffer.from(`${e}\n`)); done({ ...check, code: 1, out, ms: Date.now() - started }); });
    child.on('close', (code, signal) => done({ ...check, code: code ?? (signal ? 1 : 0), out, ms: Date.now() - started }));
  });
}

/**
 * Runs every check; prints each one's output and verdict. Returns the names of those that failed (empty: all
 * passed) and everything printed (for the secret scan).
 * @param {{ root: string, print?: (text: string) => void }} options
 * @returns {Promise<{ failed: string[], printed: string }>}
 */
export async function runChecks({ root, print = (t) => process.stdout.write(t) }) {
  const started = Date.now();
  print(`\n=== checks: ${CHECKS.map((c) => c.name).join(', ')} ===\n`);
  const results = await Promise.all(CHECKS.map((c) => runOne(root, c)));
  let printed = '';
  const say = (t) => { printed += t; print(t); };
  const failed = [];
  for (const r of results) {
    const text = Buffer.concat(r.out).toString('utf8');
    if (text.trim()) say(text.endsWith('\n') ? text : `${text}\n`);
    say(`${r.code === 0 ? 'ok  ' : 'FAIL'} ${r.name} (${(r.ms / 1000).toFixed(1)} s)${r.code === 0 ? '' : `: exit ${r.code}`}\n`);
    if (r.code !== 0) failed.push(r.name);
  }
  say(failed.length
    ? `checks failed: ${failed.join(', ')}. Fix what is printed above (\`npm run typecheck\`, \`npm run lint\`; \`npx eslint --fix FILE\` fixes formatting).\n`
    : `checks passed (${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
  return { failed, printed };
}

if (process.argv[1] && pathToFileURL(resolve(process.argv[1])).href === import.meta.url) {
  const { failed } = await runChecks({ root: fileURLToPath(new URL('..', import.meta.url)) });
  process.exit(failed.length ? 1 : 0);
}
