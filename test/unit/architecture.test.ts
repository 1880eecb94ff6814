// The core has no `vscode` import, ever; the extension and the CLI never build HTTP requests themselves.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

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
