// Benchmark 6: the extension's weight. Builds (node scripts/build.mjs --meta), then: every file of the extension
// (dist/extension.js and the chunks it loads on demand, scripts/build.mjs LAZY), raw and gzipped, when it loads
// and what it holds; the activation set (dist/extension.js and what it imports) and the first-expand set (that,
// plus dist/browse.js and what it imports: reading the profiles and discovery, a profile expanded) against the
// 300 KB goal, and the first listing after it (expanding Users, Groups or Members adds dist/listing.js); what the first-expand set is made of, by package (esbuild's metafile); the .vsix
// (scripts/package.mjs) and its largest entries; and activation: dist/extension.js (and the chunks it imports)
// loaded in this process with a minimal fake `vscode`, activate() called in fresh contexts, the "activated in X ms"
// it logs and the wall time including the load, with every socket, DNS lookup and file access during activation
// counted, and no chunk beyond the activation set loaded; and the first use: the load of dist/browse.js. That the
// chunks still work, and that a listing loads no other chunk, is test/integration/bundle.test.ts.
import { spawnSync } from 'node:child_process';
import dns from 'node:dns';
import fs, { readFileSync, rmSync } from 'node:fs';
import Module from 'node:module';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { goal, kb, median, ms, printGoals, ratio, table } from './lib';

const root = join(__dirname, '..');
const dist = join(root, 'dist');
const ACTIVATIONS = 20;
const BUNDLE_GOAL = 300 * 1024;
const ACTIVATION_GOAL_MS = 25;
/** The chunk the tree's first expand loads (src/extension/core-loader.ts, loadBrowse): reading the profiles, a profile
 * expanded (discovery: its resource types). */
const FIRST_EXPAND = 'browse.js';
/** What expanding Users or Groups (or a group's Members) adds after it: a listing (Pager, MemberListing; scripts/build.mjs
 * LAZY), printed as a set of its own so that the boundary is seen. */
const FIRST_LISTING = 'listing.js';

import type * as PackagerModule from '../scripts/package.mjs' with { 'resolution-mode': 'import' };
type Packager = typeof PackagerModule;

// ------------------------------------------------------------------------------------------ sizes

interface Metafile { outputs: Record<string, { bytes: number; inputs: Record<string, { bytesInOutput: number }> }> }
interface Manifest { files: string[]; layout: Record<string, { holds: string[]; loads: string[] }>; lazy: Array<{ chunk: string; module: string; holds: string }> }

function build(): void {
  const r = spawnSync(process.execPath, [join(root, 'scripts', 'build.mjs'), '--meta'], { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`build failed (exit ${r.status ?? r.signal}): ${r.stderr}`);
}

/** Which package an esbuild input belongs to: the npm package, or the folder of our own source. */
function packageOf(input: string): string {
  const nm = /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
  if (nm) return nm[1]!;
  if (input.includes(':')) {
    // The build's plugin namespaces (scripts/build.mjs): trim-undici's stubs for what is left out, undici-data's
    // smaller copies of undici's own data (llhttp constants, the wasm parser compressed), lazy-chunk's stand-ins.
    const ns = input.split(':')[0]!;
    return ns === 'undici-data' ? 'undici' : `(stub) ${ns}`;
  }
  const src = /^src\/([^/]+)(?:\/([^/]+)\/)?/.exec(input);
  return src ? `src/${src[1]}${src[2] ? `/${src[2]}` : ''}` : input;
}

interface Chunk { file: string; bytes: number; gzip: number; imports: string[]; inputs: Record<string, number>; holds: string }
interface Layout { chunks: Map<string, Chunk>; activation: Set<string>; firstExpand: Set<string>; firstListing: Set<string>; neededBy: Map<string, string[]> }

/** The extension's files (dist/extension-files.json: which files of the ES module pass each holds, which files it
 * loads) and what they are made of (the metafile of that pass). */
function layout(): Layout {
  const meta = JSON.parse(readFileSync(join(dist, 'meta-extension.json'), 'utf8')) as Metafile;
  const manifest = JSON.parse(readFileSync(join(dist, 'extension-files.json'), 'utf8')) as Manifest;
  const chunks = new Map<string, Chunk>();
  for (const [file, { holds: members, loads }] of Object.entries(manifest.layout)) {
    const lazy = manifest.lazy.find((l) => `${l.chunk}.js` === file);
    const inputs: Record<string, number> = {};
    for (const m of members) {
      const o = meta.outputs[`dist/.esm/${m}`];
      if (!o) throw new Error(`dist/meta-extension.json has no dist/.esm/${m}`);
      for (const [k, v] of Object.entries(o.inputs)) inputs[k] = (inputs[k] ?? 0) + v.bytesInOutput;
    }
    const byPkg = new Map<string, number>();
    for (const [k, v] of Object.entries(inputs)) byPkg.set(packageOf(k), (byPkg.get(packageOf(k)) ?? 0) + v);
    const top = [...byPkg.entries()].filter(([, v]) => v > 0).sort((x, y) => y[1] - x[1]).slice(0, 4).map(([k, v]) => `${k} ${kb(v)}`).join(', ');
    const holds = file === 'extension.js' ? `activation: commands, tree, status bar, log (${top})`
      : file === 'core.js' ? `the core activation needs, shared with the chunks (${top})`
        : lazy ? lazy.holds : `shared: ${top}`;
    const text = readFileSync(join(dist, file));
    chunks.set(file, { file, bytes: text.length, gzip: gzipSync(text, { level: 9 }).length, imports: loads, inputs, holds });
  }
  const missing = manifest.files.map((f) => basename(f)).filter((f) => !chunks.has(f));
  if (missing.length) throw new Error(`dist/extension-files.json does not describe ${missing.join(', ')}`);
  const closure = (roots: string[]): Set<string> => {
    const seen = new Set<string>();
    const go = (f: string): void => { if (seen.has(f)) return; seen.add(f); for (const i of chunks.get(f)!.imports) go(i); };
    roots.forEach(go);
    return seen;
  };
  const neededBy = new Map<string, string[]>();
  for (const l of manifest.lazy) for (const f of closure([`${l.chunk}.js`])) neededBy.set(f, [...(neededBy.get(f) ?? []), l.chunk]);
  return { chunks, activation: closure(['extension.js']), firstExpand: closure(['extension.js', FIRST_EXPAND]), firstListing: closure(['extension.js', FIRST_EXPAND, FIRST_LISTING]), neededBy };
}

function reportSizes(l: Layout): { activation: number; firstExpand: number; firstListing: number } {
  const sum = (set: Iterable<string>, k: 'bytes' | 'gzip' = 'bytes'): number => [...set].reduce((s, f) => s + l.chunks.get(f)![k], 0);
  const when = (f: string): string => (l.activation.has(f) ? 'activation' : l.firstExpand.has(f) ? 'first expand'
    : l.firstListing.has(f) ? 'first listing' : `on demand (${(l.neededBy.get(f) ?? []).join(', ')})`);
  const order = (f: string): number => (l.activation.has(f) ? 0 : l.firstExpand.has(f) ? 1 : l.firstListing.has(f) ? 2 : 3);
  const rows = [...l.chunks.values()].sort((a, b) => order(a.file) - order(b.file) || b.bytes - a.bytes);
  console.log(`The extension's ${rows.length} files (scripts/build.mjs: one ES module build split into chunks, turned into CommonJS: what activation loads in two files, what the first expand adds in one)`);
  table(rows.map((c) => ({ file: `dist/${c.file}`, loads: when(c.file), minified: kb(c.bytes), gzip: kb(c.gzip), holds: c.holds })));
  const act = sum(l.activation);
  const fe = sum(l.firstExpand);
  const fl = sum(l.firstListing);
  const all = sum(l.chunks.keys());
  table([
    { set: 'activation (extension.js + what it imports)', files: l.activation.size, minified: kb(act), gzip: kb(sum(l.activation, 'gzip')) },
    { set: `first expand (+ ${FIRST_EXPAND} + what it imports)`, files: l.firstExpand.size, minified: kb(fe), gzip: kb(sum(l.firstExpand, 'gzip')) },
    { set: `first listing: expanding Users, Groups or Members (+ ${FIRST_LISTING} + what it imports)`, files: l.firstListing.size, minified: kb(fl), gzip: kb(sum(l.firstListing, 'gzip')) },
    { set: 'on demand only (the other chunks)', files: l.chunks.size - l.firstExpand.size, minified: kb(all - fe), gzip: kb(sum(l.chunks.keys(), 'gzip') - sum(l.firstExpand, 'gzip')) },
    { set: 'all of the extension', files: l.chunks.size, minified: kb(all), gzip: kb(sum(l.chunks.keys(), 'gzip')) },
  ]);
  console.log(`\nComposition of the first-expand set (${kb(fe)}) by package (esbuild metafile, bytes in the minified output)`);
  const byPkg = new Map<string, { act: number; more: number }>();
  let counted = 0;
  for (const f of l.firstExpand) {
    for (const [input, bytes] of Object.entries(l.chunks.get(f)!.inputs)) {
      const r = byPkg.get(packageOf(input)) ?? { act: 0, more: 0 };
      if (l.activation.has(f)) r.act += bytes; else r.more += bytes;
      byPkg.set(packageOf(input), r);
      counted += bytes;
    }
  }
  byPkg.set('(esbuild runtime, CommonJS wrappers)', { act: 0, more: fe - counted });
  table([...byPkg.entries()].sort((a, b) => b[1].act + b[1].more - (a[1].act + a[1].more)).filter(([, r]) => r.act + r.more > 0).map(([pkg, r]) => ({
    package: pkg, 'at activation': r.act ? kb(r.act) : '', 'at first expand': r.more ? kb(r.more) : '', total: kb(r.act + r.more), share: `${(((r.act + r.more) / fe) * 100).toFixed(1)}%`,
  })));
  const top = [...l.firstExpand].flatMap((f) => Object.entries(l.chunks.get(f)!.inputs)).sort((a, b) => b[1] - a[1]).slice(0, 8);
  console.log(`largest inputs: ${top.map(([i, b]) => `${i.replace(/^node_modules\//, '')} ${kb(b)}`).join(', ')}`);
  return { activation: act, firstExpand: fe, firstListing: fl };
}

// ------------------------------------------------------------------------------------------ the .vsix

interface ZipEntry { name: string; size: number; compressed: number }

/** The entries of a zip file, from its central directory. */
function zipEntries(buf: Buffer): ZipEntry[] {
  const eocd = buf.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (eocd < 0) throw new Error('not a zip file (no end of central directory)');
  const count = buf.readUInt16LE(eocd + 10);
  let at = buf.readUInt32LE(eocd + 16);
  const out: ZipEntry[] = [];
  for (let i = 0; i < count; i++) {
    if (buf.readUInt32LE(at) !== 0x02014b50) throw new Error(`bad central directory entry at ${at}`);
    const nameLen = buf.readUInt16LE(at + 28);
    out.push({ compressed: buf.readUInt32LE(at + 20), size: buf.readUInt32LE(at + 24), name: buf.toString('utf8', at + 46, at + 46 + nameLen) });
    at += 46 + nameLen + buf.readUInt16LE(at + 30) + buf.readUInt16LE(at + 32);
  }
  return out;
}

async function reportVsix(): Promise<void> {
  const pkg: Packager = await import('../scripts/package.mjs');
  const out = join(tmpdir(), `scim-explorer-weight-${process.pid}.vsix`);
  const t0 = performance.now();
  const p = pkg.packageExtension({ out, quiet: true });
  const secs = performance.now() - t0;
  const entries = zipEntries(readFileSync(p.vsixPath));
  rmSync(p.vsixPath, { force: true });
  console.log(`\n.vsix (scripts/package.mjs, ${ms(secs)}): ${kb(p.vsixBytes)}, ${entries.length} entries, ${kb(entries.reduce((s, e) => s + e.size, 0))} unpacked`);
  table([...entries].sort((a, b) => b.compressed - a.compressed).slice(0, 8).map((e) => ({ entry: e.name, unpacked: kb(e.size), 'in the .vsix': kb(e.compressed) })));
}

// ------------------------------------------------------------------------------------------ activation

type Listener = (...args: unknown[]) => unknown;
const disposable = (): { dispose(): void } => ({ dispose: () => undefined });
const event = (): ((l: Listener) => { dispose(): void }) => () => disposable();

class EventEmitter {
  private listeners: Listener[] = [];
  readonly event = (l: Listener): { dispose(): void } => {
    this.listeners.push(l);
    return { dispose: () => { this.listeners = this.listeners.filter((x) => x !== l); } };
  };
  fire(v?: unknown): void { for (const l of this.listeners) l(v); }
  dispose(): void { this.listeners = []; }
}

class Uri {
  constructor(readonly scheme: string, readonly path: string) {}
  static file(p: string): Uri { return new Uri('file', p); }
  static from(c: { scheme: string; path?: string }): Uri { return new Uri(c.scheme, c.path ?? ''); }
  static joinPath(u: Uri, ...parts: string[]): Uri { return new Uri(u.scheme, [u.path, ...parts].join('/')); }
  get fsPath(): string { return this.path; }
  toString(): string { return `${this.scheme}://${this.path}`; }
}

function memento(): { get<T>(k: string, d?: T): T | undefined; update(k: string, v: unknown): Promise<void>; keys(): string[] } {
  const m = new Map<string, unknown>();
  return { get: <T>(k: string, d?: T) => (m.has(k) ? (m.get(k) as T) : d), update: async (k, v) => { m.set(k, v); }, keys: () => [...m.keys()] };
}

interface Fake { vscode: Record<string, unknown>; lines: string[]; vscodeFileAccess: string[]; commands: number }

/** Just what activate() touches; everything records, nothing does I/O. */
function fakeVscode(): Fake {
  const f: Fake = { vscode: {}, lines: [], vscodeFileAccess: [], commands: 0 };
  const line = (level: string) => (m: string): void => { f.lines.push(`${level} ${m}`); };
  const channel = {
    name: 'SCIM', logLevel: 2, onDidChangeLogLevel: event(), info: line('info'), warn: line('warn'), error: line('error'), debug: line('debug'), trace: line('trace'),
    appendLine: line('line'), append: line('append'), replace: line('replace'), clear: () => undefined, show: () => undefined, hide: () => undefined, dispose: () => undefined,
  };
  const touch = (what: string) => (...args: unknown[]): Promise<never> => { f.vscodeFileAccess.push(`${what} ${String(args[0])}`); return Promise.reject(new Error('fake vscode: no files')); };
  f.vscode = {
    EventEmitter, Uri, Disposable: class { constructor(private readonly fn: () => void) {} dispose(): void { this.fn(); } },
    ThemeColor: class { constructor(readonly id: string) {} }, ThemeIcon: class { constructor(readonly id: string, readonly color?: unknown) {} },
    TreeItem: class { constructor(readonly label: unknown, readonly collapsibleState?: number) {} },
    StatusBarAlignment: { Left: 1, Right: 2 }, TreeItemCollapsibleState: { None: 0, Collapsed: 1, Expanded: 2 },
    ProgressLocation: { SourceControl: 1, Window: 10, Notification: 15 }, ViewColumn: { Active: -1, Beside: -2, One: 1 },
    window: {
      createOutputChannel: () => channel,
      createTreeView: () => ({ ...disposable(), selection: [], visible: true, onDidChangeSelection: event(), onDidChangeVisibility: event(), onDidExpandElement: event(), onDidCollapseElement: event(), reveal: async () => undefined }),
      createStatusBarItem: () => ({ ...disposable(), show: () => undefined, hide: () => undefined }),
    },
    workspace: {
      isTrusted: true, workspaceFolders: undefined, textDocuments: [],
      getConfiguration: () => ({ get: <T>(_k: string, d?: T) => d, has: () => false, inspect: () => undefined, update: async () => undefined }),
      onDidChangeConfiguration: event(), onDidGrantWorkspaceTrust: event(), onDidChangeWorkspaceFolders: event(),
      registerTextDocumentContentProvider: () => disposable(), registerFileSystemProvider: () => disposable(),
      onDidOpenTextDocument: event(), onDidChangeTextDocument: event(), onDidCloseTextDocument: event(), onDidSaveTextDocument: event(),
      findFiles: touch('findFiles'), createFileSystemWatcher: touch('createFileSystemWatcher'), openTextDocument: touch('openTextDocument'),
      fs: { readFile: touch('fs.readFile'), stat: touch('fs.stat'), writeFile: touch('fs.writeFile'), readDirectory: touch('fs.readDirectory') },
    },
    languages: {
      createDiagnosticCollection: () => ({ ...disposable(), set: () => undefined, clear: () => undefined, delete: () => undefined }),
      registerCodeLensProvider: () => disposable(), registerCompletionItemProvider: () => disposable(),
    },
    commands: { registerCommand: () => { f.commands++; return disposable(); }, executeCommand: async () => undefined },
  };
  return f;
}

function fakeContext(): Record<string, unknown> & { subscriptions: Array<{ dispose(): unknown }> } {
  const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
  return {
    subscriptions: [], extensionPath: root, extensionUri: Uri.file(root), globalStorageUri: Uri.file(join(tmpdir(), 'scim-bench-global-storage')), extension: { id: 'scim-explorer.scim-explorer', packageJSON: { version } },
    globalState: memento(), workspaceState: memento(),
    secrets: { get: async () => undefined, store: async () => undefined, delete: async () => undefined, onDidChange: event() },
  };
}

/** Counts sockets, DNS lookups and file-system calls while `on` is true. */
function tripwires(): { on: boolean; sockets: number; lookups: number; files: string[]; restore(): void } {
  const t = { on: false, sockets: 0, lookups: 0, files: [] as string[], restore: () => undefined as void };
  const undo: Array<() => void> = [];
  let depth = 0; // a call inside a counted one (readFileSync opens the file) is not counted again
  const wrap = <O extends object>(obj: O, key: keyof O & string, count: (args: unknown[]) => void): void => {
    const orig = obj[key] as unknown as (...a: unknown[]) => unknown;
    (obj as Record<string, unknown>)[key] = function (this: unknown, ...args: unknown[]) {
      if (t.on && depth === 0) count(args);
      depth++;
      try {
        return orig.apply(this, args);
      } finally {
        depth--;
      }
    };
    undo.push(() => { (obj as Record<string, unknown>)[key] = orig; });
  };
  wrap(net.Socket.prototype, 'connect', () => { t.sockets++; });
  wrap(dns, 'lookup', () => { t.lookups++; });
  for (const k of ['readFileSync', 'readFile', 'openSync', 'open', 'readdirSync', 'readdir', 'statSync', 'stat', 'existsSync', 'createReadStream', 'watch'] as const) {
    wrap(fs, k, (a) => { t.files.push(`${k} ${String(a[0])}`); });
  }
  for (const k of ['readFile', 'open', 'readdir', 'stat'] as const) wrap(fs.promises, k, (a) => { t.files.push(`promises.${k} ${String(a[0])}`); });
  t.restore = () => { for (const u of undo) u(); };
  return t;
}

/** The tripwires do see a socket and a file read (a refused connection to 127.0.0.1:1, package.json). */
async function tripwiresWork(): Promise<boolean> {
  const wires = tripwires();
  try {
    wires.on = true;
    readFileSync(join(root, 'package.json'));
    const s = net.connect(1, '127.0.0.1');
    await new Promise<void>((r) => { s.once('error', () => r()); s.once('connect', () => { s.destroy(); r(); }); });
    return wires.sockets === 1 && wires.files.length === 1;
  } finally {
    wires.restore();
  }
}

interface Activation { logged: number; wall: number; requireFiles: string[]; activateFiles: string[]; sockets: number; lookups: number; vscodeFiles: string[]; commands: number; loaded: string[] }
interface ExtensionModule { activate(ctx: unknown): unknown; deactivate(): Promise<void> }

/**
 * Loads a CommonJS file as Node's own loader does (read it, compile it in a new Module), without the tsx hook
 * this process runs under (which probes for .ts files) and with source maps off, as in VS Code's extension host
 * (tsx turns them on: Node would read dist/extension.js.map at load). A fresh module each time: nothing cached
 * between calls; within one call, the chunks it requires (`./x.js`) are loaded the same way, once, into `loaded`.
 */
function loadFresh(file: string, loaded = new Map<string, Module>()): unknown {
  const known = loaded.get(file);
  if (known) return known.exports;
  const m = new Module(file, module) as Module & { _compile(source: string, filename: string): void };
  m.filename = file;
  m.paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(dirname(file));
  const req = m.require.bind(m) as (id: string) => unknown;
  m.require = Object.assign((id: string) => (id.startsWith('./') ? loadFresh(join(dirname(file), id), loaded) : req(id)), req) as NodeJS.Require;
  loaded.set(file, m);
  const maps = process.sourceMapsEnabled;
  process.setSourceMapsEnabled(false);
  try {
    m._compile(readFileSync(file, 'utf8'), file);
  } finally {
    process.setSourceMapsEnabled(maps);
  }
  m.loaded = true;
  return m.exports;
}

/** Loads dist/extension.js afresh and activate()s it with a fresh fake vscode. */
async function activateOnce(setFake: (f: Fake) => void): Promise<Activation> {
  const file = join(dist, 'extension.js');
  for (const k of Object.keys(require.cache)) if (k.startsWith(dist)) delete require.cache[k];
  const fake = fakeVscode();
  setFake(fake);
  const context = fakeContext();
  const wires = tripwires();
  try {
    wires.on = true;
    const t0 = performance.now();
    const loaded = new Map<string, Module>();
    const ext = loadFresh(file, loaded) as ExtensionModule;
    const requireFiles = wires.files.splice(0);
    ext.activate(context);
    const wall = performance.now() - t0;
    await new Promise((r) => setTimeout(r, 50)); // what activation started in the background counts too
    wires.on = false;
    const logged = Number(/activated in ([\d.]+) ms/.exec(fake.lines.join('\n'))?.[1] ?? NaN);
    for (const s of context.subscriptions) s.dispose();
    await ext.deactivate();
    return { logged, wall, requireFiles, activateFiles: wires.files, sockets: wires.sockets, lookups: wires.lookups, vscodeFiles: fake.vscodeFileAccess, commands: fake.commands, loaded: [...loaded.keys()].map((f) => basename(f)) };
  } finally {
    wires.restore();
  }
}

/** Serves `require('vscode')` from the current fake while `fn` runs. */
async function withFakeVscode<T>(fn: (setFake: (f: Fake) => void) => Promise<T>): Promise<T> {
  const M = Module as unknown as { _load: (request: string, parent: unknown, isMain: boolean) => unknown };
  const load = M._load;
  let current: Fake | undefined;
  M._load = function (this: unknown, request: string, parent: unknown, isMain: boolean) {
    return request === 'vscode' ? current!.vscode : load.call(this, request, parent, isMain);
  };
  try {
    return await fn((f) => { current = f; });
  } finally {
    M._load = load;
  }
}

async function reportActivation(l: Layout): Promise<void> {
  if (!(await tripwiresWork())) throw new Error('the socket / file tripwires do not see a connect or a read: the counts below would mean nothing');
  const runs = await withFakeVscode(async (setFake) => {
    const out: Activation[] = [];
    for (let i = 0; i < ACTIVATIONS; i++) out.push(await activateOnce(setFake));
    return out;
  });
  const logged = median(runs.map((r) => r.logged));
  const wall = median(runs.map((r) => r.wall));
  const sockets = runs.reduce((s, r) => s + r.sockets + r.lookups, 0);
  const files = [...new Set(runs.flatMap((r) => [...r.activateFiles, ...r.vscodeFiles]))];
  const first = runs[0]!;
  const beyond = [...new Set(runs.flatMap((r) => r.loaded))].filter((f) => !l.activation.has(f));
  console.log(`\nActivation: dist/extension.js loaded in this process (read + compile, as Node's loader does) with a fake vscode, ${ACTIVATIONS} fresh loads, median`);
  console.log('tripwires checked: a loopback connect and a file read are each counted once');
  table([{
    'activate() ("activated in" it logs)': ms(logged), 'load + activate (wall)': ms(wall), 'first load (wall)': ms(first.wall),
    'commands registered': first.commands, 'sockets + DNS lookups': sockets, 'file reads in activate': files.length, 'files loaded': first.loaded.length, 'chunks beyond the activation set': beyond.length ? beyond.join(', ') : 'none',
  }]);
  console.log(`files the load itself read (dist/extension.js and the chunks it imports): ${[...new Set(first.requireFiles.map((f) => f.replace(root, '.')))].join(', ') || 'none'}`);
  if (files.length) console.log(`files touched during activation: ${files.slice(0, 10).join(', ')}`);
  goal(`activation < ${ACTIVATION_GOAL_MS} ms`, logged < ACTIVATION_GOAL_MS, `activate() ${ms(logged)} as logged, ${ms(wall)} with the load of dist/extension.js and its imports (${(wall / ACTIVATION_GOAL_MS).toFixed(2)} of the budget)`);
  goal('nothing network-bound during activation', sockets === 0 && files.length === 0 && !beyond.length, `${sockets} sockets or DNS lookups in ${ACTIVATIONS} activations; ${files.length} file reads; chunks beyond the activation set (the HTTP stack is in ${FIRST_EXPAND}'s): ${beyond.length ? beyond.join(', ') : 'none loaded'}`);
}

/** First use: dist/browse.js (profiles with yaml, the HTTP stack) and what it imports beyond the activation set,
 * loaded afresh, as core-loader.ts does on the tree's first expand. */
async function reportFirstUse(l: Layout): Promise<void> {
  const times: number[] = [];
  let exports: string[] = [];
  let files: string[] = [];
  await withFakeVscode(async (setFake) => {
    setFake(fakeVscode()); await Promise.resolve(); for (let i = 0; i < ACTIVATIONS; i++) {
      const loaded = new Map<string, Module>();
      for (const f of l.activation) loadFresh(join(dist, f), loaded);
      const t0 = performance.now();
      const n = loaded.size;
      const core = loadFresh(join(dist, FIRST_EXPAND), loaded) as Record<string, unknown>;
      times.push(performance.now() - t0);
      exports = Object.keys(core);
      files = [...loaded.keys()].slice(n).map((f) => basename(f));
    }
  });
  console.log(`\nFirst expand: what it adds to activation's files (${files.map((f) => `dist/${f}`).join(', ')}) loaded (read + compile + run) ${ACTIVATIONS}× afresh: median ${ms(median(times))}, first ${ms(times[0]!)}; exports ${exports.filter((e) => !/^__s\d+$/.test(e)).join(', ')}`);
}

async function main(): Promise<void> {
  console.log('\n=== weight: bundle, .vsix and activation of the extension ===');
  console.log(`node ${process.version}, no network, no sandbox; activation ${ACTIVATIONS}× (median shown)\n`);
  const t0 = performance.now();
  build();
  console.log(`built (node scripts/build.mjs --meta) in ${ms(performance.now() - t0)}\n`);
  const l = layout();
  const { activation, firstExpand, firstListing } = reportSizes(l);
  goal('activation + first expand < 300 KB minified', firstExpand < BUNDLE_GOAL, `${kb(firstExpand)} (activation ${kb(activation)}, first expand adds ${kb(firstExpand - activation)}): ${firstExpand < BUNDLE_GOAL ? `${kb(BUNDLE_GOAL - firstExpand)} under` : `${kb(firstExpand - BUNDLE_GOAL)} over (${ratio(firstExpand / BUNDLE_GOAL)} the goal)`}; then the first listing (expanding Users, Groups or Members) adds ${kb(firstListing - firstExpand)}: ${kb(firstListing)}`);
  await reportVsix();
  await reportActivation(l);
  await reportFirstUse(l);
  printGoals();
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
