// No import cycle: a module never imports, directly or through others, a module that imports it back. Type-only
// imports count too (a cycle of types is still two modules that cannot be read one without the other).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const root = join(__dirname, '..', '..');

function files(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...files(p));
    else if (name.endsWith('.ts')) out.push(p);
  }
  return out;
}

/** The .ts file a relative specifier names (`./x` is x.ts or x/index.ts), or undefined for a package. */
function resolveImport(from: string, spec: string): string | undefined {
  if (!spec.startsWith('.')) return undefined;
  const base = resolve(dirname(from), spec);
  for (const candidate of [`${base}.ts`, join(base, 'index.ts'), base]) {
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  }
  return undefined;
}

/** Every relative module a file imports or re-exports (static imports, `import()` types and calls, require). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs = [
    ...text.matchAll(/^\s*(?:import|export)\s[^;]*?\bfrom\s+['"]([^'"]+)['"]/gms),
    ...text.matchAll(/^\s*import\s+['"]([^'"]+)['"]/gm),
    ...text.matchAll(/\b(?:import|require)\(\s*['"]([^'"]+)['"]\s*\)/g),
  ].map((m) => m[1]!);
  return [...new Set(specs.map((s) => resolveImport(file, s)).filter((f): f is string => !!f))];
}

/** The import cycles among the .ts files under `dir` (each as the files in order, the first repeated last). */
function importCycles(dir: string): string[][] {
  const graph = new Map(files(dir).map((f) => [f, importsOf(f).filter((g) => g.startsWith(dir))]));
  const cycles: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (f: string): void => {
    state.set(f, 'open');
    stack.push(f);
    for (const g of graph.get(f) ?? []) {
      if (state.get(g) === 'open') cycles.push([...stack.slice(stack.indexOf(g)), g]);
      else if (!state.has(g)) visit(g);
    }
    stack.pop();
    state.set(f, 'done');
  };
  for (const f of graph.keys()) if (!state.has(f)) visit(f);
  return cycles.map((c) => c.map((f) => relative(root, f)));
}

test('the import-cycle check finds a cycle where there is one', () => {
  const dir = join(root, 'test', 'fixtures', 'import-cycle');
  assert.deepEqual(importCycles(dir), [['test/fixtures/import-cycle/a.ts', 'test/fixtures/import-cycle/b.ts', 'test/fixtures/import-cycle/a.ts']]);
});

test('no import cycle in src/core/scim (client, membership, probe and their parts)', () => {
  assert.deepEqual(importCycles(join(root, 'src', 'core', 'scim')), []);
});
