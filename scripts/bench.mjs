// `npm run bench` runs every benchmark in bench/ (each against the sandbox on 127.0.0.1, in a child process);
// `npm run bench -- membership list` runs the named ones. Each prints its figures, ratios and PASS/MISS goals.
// BENCH_REPEAT (default 3) sets how many times each measurement is repeated; medians are printed.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const ALL = ['requests', 'membership', 'list', 'bulk', 'tree', 'panel', 'weight'];
const asked = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const names = asked.length ? asked : ALL;
for (const n of names) {
  if (!existsSync(join(root, 'bench', `${n}.ts`))) {
    console.error(`bench: no bench/${n}.ts (known: ${ALL.join(', ')})`);
    process.exit(2);
  }
}
const started = performance.now();
const failed = [];
for (const n of names) {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', join('bench', `${n}.ts`)], { cwd: root, stdio: 'inherit' });
  const secs = ((performance.now() - t0) / 1000).toFixed(1);
  if (r.status !== 0) failed.push(n);
  console.log(`\n[bench ${n}: ${r.status === 0 ? 'done' : `FAILED (exit ${r.status ?? r.signal})`} in ${secs} s]`);
}
console.log(`\nbench: ${names.length} benchmark(s) in ${((performance.now() - started) / 1000).toFixed(1)} s${failed.length ? `; failed: ${failed.join(', ')}` : ''}`);
process.exit(failed.length ? 1 : 0);
