// `npm run package`: builds the esbuild bundles, then `vsce package --no-dependencies` (the bundles need no
// node_modules at run time) into scim-explorer-<version>.vsix, and prints the .vsix and bundle sizes.
//   node scripts/package.mjs [--out FILE.vsix] [--quiet]
// Importable: `const { vsixPath } = await packageExtension({ out })` (used by the e2e tests).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

const kb = (n) => `${(n / 1024).toFixed(1)} KiB`;

function run(cmd, args, quiet) {
  const r = spawnSync(cmd, args, { cwd: root, encoding: 'utf8', stdio: quiet ? ['ignore', 'pipe', 'pipe'] : 'inherit' });
  if (r.status !== 0) {
    const out = quiet ? `\n${r.stdout ?? ''}${r.stderr ?? ''}` : '';
    throw new Error(`${[cmd, ...args].join(' ')} failed (exit ${r.status ?? r.signal})${out}`);
  }
  return r;
}

/** Builds and packages; returns { vsixPath, vsixBytes, bundleBytes, files }. */
export function packageExtension({ out, quiet = false } = {}) {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const vsixPath = resolve(root, out ?? `${pkg.name}-${pkg.version}.vsix`);
  run(process.execPath, [join(root, 'scripts', 'build.mjs')], quiet);
  // the extension's own files: dist/extension.js and every chunk it loads on demand (scripts/build.mjs)
  const extensionFiles = JSON.parse(readFileSync(join(root, 'dist', 'extension-files.json'), 'utf8')).files;
  for (const f of [...extensionFiles, 'dist/sandbox.js', 'schemas/scim-profiles.schema.json']) {
    if (!existsSync(join(root, f))) throw new Error(`${f} is missing: nothing to package`);
  }
  if (!existsSync(join(root, 'LICENSE'))) throw new Error('LICENSE is missing (vsce requires one)');
  const vsce = join(root, 'node_modules', '@vscode', 'vsce', 'vsce');
  run(process.execPath, [vsce, 'package', '--no-dependencies', '--allow-missing-repository', '--out', vsixPath], quiet);
  const ls = spawnSync(process.execPath, [vsce, 'ls', '--no-dependencies'], { cwd: root, encoding: 'utf8' });
  const files = (ls.stdout ?? '').split('\n').map((l) => l.trim()).filter(Boolean);
  const missing = extensionFiles.filter((f) => !files.includes(f));
  if (missing.length) throw new Error(`the .vsix leaves out ${missing.join(', ')}, which the extension loads (.vscodeignore)`);
  return {
    vsixPath,
    vsixBytes: statSync(vsixPath).size,
    bundleBytes: statSync(join(root, 'dist', 'extension.js')).size,
    files,
    extensionFiles,
  };
}

if (process.argv[1] && pathToFileURL(resolve(process.argv[1])).href === import.meta.url) {
  const args = process.argv.slice(2);
  const outIdx = args.indexOf('--out');
  try {
    const r = packageExtension({ out: outIdx >= 0 ? args[outIdx + 1] : undefined, quiet: args.includes('--quiet') });
    console.log(`\n${relative(process.cwd(), r.vsixPath) || r.vsixPath}: ${kb(r.vsixBytes)} (${r.vsixBytes} bytes)`);
    console.log(`dist/extension.js (the extension bundle): ${kb(r.bundleBytes)} (${r.bundleBytes} bytes)`);
    console.log(`files in the .vsix: ${r.files.join(', ')}`);
  } catch (e) {
    console.error(`package: ${e instanceof Error ? e.message : e}`);
    process.exit(1);
  }
}
