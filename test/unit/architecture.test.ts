// The core has no `vscode` import, ever; the extension and the CLI never build HTTP requests themselves.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import ts from 'typescript';

const root = join(__dirname, '..', '..');

function files(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...files(p));
    else if (/\.(ts|js|mjs)$/.test(name)) out.push(p);
  }
  return out;
}

test('no file under src/core imports vscode', () => {
  const offenders = files(join(root, 'src', 'core')).filter((f) =>
    /(from\s+['"]vscode['"]|require\(\s*['"]vscode['"]\s*\)|import\(\s*['"]vscode['"]\s*\))/.test(readFileSync(f, 'utf8')),
  );
  assert.deepEqual(offenders, []);
});

test('the extension and the CLI never build HTTP requests themselves', () => {
  const faces = [...files(join(root, 'src', 'extension')), ...files(join(root, 'src', 'cli'))];
  const offenders = faces.filter((f) =>
    /(from\s+['"](undici|node:https?|https?)['"]|require\(\s*['"](undici|node:https?|https?)['"]\s*\)|\bfetch\s*\()/.test(readFileSync(f, 'utf8')),
  );
  assert.deepEqual(offenders, []);
});

// ---------------------------------------------------------------------------------------------------------
// No import cycle anywhere in src/: every import counts (static, type-only, `export … from`, `import()` types
// and calls, `require`), since a type-only cycle is still two modules that cannot be read one without the other.

/** Cycles known on main, each written as the loop of modules it goes through (paths under src/), from the one
 * first in sort order. The lead empties this list when the splits that remove them land. A cycle not listed
 * here fails the test, and so does a listed one that is gone (the list only shrinks). */
const KNOWN_CYCLES: string[][] = [
];

/** The src/ files `file` imports, as paths relative to src/ (packages and node: modules left out). */
function importsOf(file: string, srcRoot: string): string[] {
  const text = readFileSync(file, 'utf8');
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const specs: string[] = [];
  const literal = (n: ts.Node | undefined): void => { if (n && ts.isStringLiteralLike(n)) specs.push(n.text); };
  const visit = (n: ts.Node): void => {
    if (ts.isImportDeclaration(n) || ts.isExportDeclaration(n)) literal(n.moduleSpecifier);
    else if (ts.isImportEqualsDeclaration(n) && ts.isExternalModuleReference(n.moduleReference)) literal(n.moduleReference.expression);
    else if (ts.isImportTypeNode(n) && ts.isLiteralTypeNode(n.argument)) literal(n.argument.literal);
    else if (ts.isCallExpression(n) && (n.expression.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(n.expression) && n.expression.text === 'require'))) literal(n.arguments[0]);
    ts.forEachChild(n, visit);
  };
  visit(sf);
  const out = new Set<string>();
  for (const spec of specs) {
    if (!spec.startsWith('.')) continue;
    const base = join(dirname(file), spec).replace(/\.js$/, '');
    const found = [`${base}.ts`, join(base, 'index.ts')].find((p) => existsSync(p));
    if (found) out.add(relative(srcRoot, found).split(sep).join('/'));
  }
  return [...out];
}

/** Every elementary cycle of the graph (at most `cap`), each once: as the loop of modules it goes through,
 * starting at its first module in sort order. Tarjan's strongly connected components first, then, within each,
 * the loops from each module through modules after it in sort order only. */
function cycles(graph: Map<string, string[]>, cap = 200): string[][] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const components: string[][] = [];
  const strong = (v: string): void => {
    idx.set(v, index); low.set(v, index); index++;
    stack.push(v); on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!idx.has(w)) {
        strong(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const comp: string[] = [];
      let w: string;
      do { w = stack.pop()!; on.delete(w); comp.push(w); } while (w !== v);
      if (comp.length > 1) components.push(comp.sort());
    }
  };
  for (const v of [...graph.keys()].sort()) if (!idx.has(v)) strong(v);
  const out: string[][] = [];
  for (const comp of components) {
    const inComp = new Set(comp);
    for (const start of comp) {
      const path = [start];
      const walk = (v: string): void => {
        for (const w of graph.get(v) ?? []) {
          if (out.length >= cap || !inComp.has(w)) continue;
          if (w === start) out.push([...path]);
          else if (w > start && !path.includes(w)) { path.push(w); walk(w); path.pop(); }
        }
      };
      walk(start);
    }
  }
  return out;
}

test('no import cycle anywhere in src/ (type-only imports count) beyond the known ones being removed', () => {
  const srcRoot = join(root, 'src');
  const graph = new Map<string, string[]>();
  for (const f of files(srcRoot).filter((p) => p.endsWith('.ts'))) {
    const from = relative(srcRoot, f).split(sep).join('/');
    graph.set(from, importsOf(f, srcRoot).filter((to) => to !== from));
  }
  assert.ok(graph.size > 50 && [...graph.values()].some((to) => to.length > 0), 'the import graph was read');
  const found = cycles(graph).map((c) => c.join(' → '));
  const known = KNOWN_CYCLES.map((c) => c.join(' → '));
  assert.deepEqual(found.filter((c) => !known.includes(c)), [], 'new import cycle(s) in src/');
  assert.deepEqual(known.filter((c) => !found.includes(c)), [], 'a known cycle is gone: take it off KNOWN_CYCLES in this file');
});
