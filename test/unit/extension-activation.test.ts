// test-isolation: own process (a fake `vscode` through the module loader, and the extension modules required with it)
// Activation with a fake `vscode`: activate() touches no file, and right after it (without the view being opened)
// the profiles are read: the status bar names the active profile and the Problems panel gets the file's problems.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import Module from 'node:module';
// types only at the top (erased): the module itself is required once the fake `vscode` is in place
import type * as ExtensionModule from '../../src/extension/extension';

type Listener<T> = (e: T) => void;
class EventEmitter<T> {
  private listeners: Array<Listener<T>> = [];
  readonly event = (l: Listener<T>): { dispose(): void } => {
    this.listeners.push(l);
    return { dispose: () => { this.listeners = this.listeners.filter((x) => x !== l); } };
  };
  fire(e: T): void { for (const l of [...this.listeners]) l(e); }
  dispose(): void { this.listeners = []; }
}
const disposable = () => ({ dispose() {} });
const event = () => () => disposable();

const files = new Map<string, string>();
const fileAccess: string[] = [];
const status = { text: '', tooltip: '' as unknown };
const diagnostics = new Map<string, Array<{ range: { start: { line: number; character: number } }; message: string }>>();
class Uri {
  constructor(readonly fsPath: string) {}
  static file(p: string): Uri { return new Uri(p); }
  static joinPath(u: Uri, ...p: string[]): Uri { return new Uri([u.fsPath, ...p].join('/')); }
  static from(c: { path: string }): Uri { return new Uri(c.path); }
  toString(): string { return `file://${this.fsPath}`; }
}
class Position { constructor(readonly line: number, readonly character: number) {} }
class Range {
  readonly start: Position; readonly end: Position;
  constructor(a: number, b: number, c: number, d: number) { this.start = new Position(a, b); this.end = new Position(c, d); }
}
const fake = {
  EventEmitter, Uri, Range, Position,
  Diagnostic: class { source?: string; code?: string; constructor(readonly range: Range, readonly message: string, readonly severity: number) {} },
  DiagnosticSeverity: { Error: 0, Warning: 1 },
  ThemeColor: class { constructor(readonly id: string) {} }, ThemeIcon: class { constructor(readonly id: string) {} },
  TreeItem: class {}, StatusBarAlignment: { Left: 1, Right: 2 }, TreeItemCollapsibleState: { None: 0, Collapsed: 1 },
  ProgressLocation: { Notification: 15 },
  window: {
    createOutputChannel: () => ({ info() {}, warn() {}, error() {}, debug() {}, trace() {}, appendLine() {}, dispose() {} }),
    createTreeView: () => ({ ...disposable(), selection: [], visible: false, onDidChangeSelection: event(), onDidChangeVisibility: event() }),
    createStatusBarItem: () => Object.assign(status, { show() {}, hide() {}, dispose() {} }),
    showInputBox: async () => { throw new Error('nothing may be asked'); },
    showWarningMessage: async () => { throw new Error('nothing may be asked'); },
  },
  languages: {
    createDiagnosticCollection: () => ({
      set: (uri: Uri, d: Array<{ range: { start: { line: number; character: number } }; message: string }>) => diagnostics.set(uri.fsPath, d),
      clear: () => diagnostics.clear(), dispose() {},
    }),
    registerCodeLensProvider: () => disposable(), registerCompletionItemProvider: () => disposable(),
  },
  workspace: {
    isTrusted: true, workspaceFolders: [{ uri: new Uri('/w') }], textDocuments: [],
    getConfiguration: () => ({ get: <T>(_k: string, d?: T) => d, inspect: () => undefined }),
    onDidChangeConfiguration: event(), onDidGrantWorkspaceTrust: event(), onDidChangeWorkspaceFolders: event(),
    onDidOpenTextDocument: event(), onDidChangeTextDocument: event(), onDidCloseTextDocument: event(),
    registerTextDocumentContentProvider: () => disposable(),
    registerFileSystemProvider: () => disposable(),
    createFileSystemWatcher: () => ({ ...disposable(), onDidChange: event(), onDidCreate: event(), onDidDelete: event() }),
    findFiles: async () => { fileAccess.push('findFiles'); return [...files.keys()].map((f) => new Uri(f)); },
    fs: { readFile: async (u: Uri) => { fileAccess.push(`readFile ${u.fsPath}`); return new TextEncoder().encode(files.get(u.fsPath) ?? ''); } },
  },
  commands: { registerCommand: () => disposable(), executeCommand: async () => undefined },
};

const M = Module as unknown as { _load: (request: string, parent: unknown, isMain: boolean) => unknown };
const load = M._load;
before(() => {
  M._load = function (this: unknown, request: string, parent: unknown, isMain: boolean) {
    return request === 'vscode' ? fake : load.call(this, request, parent, isMain);
  };
});
after(() => { M._load = load; });

const memento = () => { const m = new Map<string, unknown>(); return { get: (k: string) => m.get(k), update: async (k: string, v: unknown) => { m.set(k, v); }, keys: () => [...m.keys()] }; };

test('activation reads nothing; just after it the status bar shows the profile and the Problems panel the file\'s problems', async () => {
  files.set('/w/scim-profiles.yaml', 'profiles:\n  dev:\n    baseUrl: https://dev.example.com/scim\n    gateway:\n      subscriptionKey: ${secret:dev-key}\n');
  files.set('/w/more/scim-profiles-broken.yaml', 'profiles:\n  old:\n    baseUrl: https://old.example.com\n    sendAs: query\n');
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded after the fake vscode is in place
  const ext = require('../../src/extension/extension') as typeof ExtensionModule;
  const context = {
    subscriptions: [] as Array<{ dispose(): unknown }>, extensionPath: '/x', extensionUri: new Uri('/x'), globalStorageUri: new Uri('/x/storage'),
    extension: { packageJSON: { version: '0.0.0' } }, globalState: memento(), workspaceState: memento(),
    secrets: { get: async () => undefined, store: async () => undefined, delete: async () => undefined, onDidChange: event() },
  };
  try {
    ext.activate(context as never);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(fileAccess.length, 0, `no file read during activation (nor in the 50 ms after it): ${fileAccess.join(', ')}`);
    assert.equal(status.text, '$(server-environment) SCIM', 'not "no profile" while not read yet');
    await new Promise((r) => setTimeout(r, ext.READ_AFTER_ACTIVATION_MS + 300));
    assert.ok(fileAccess.includes('readFile /w/scim-profiles.yaml'), 'read after activation, without the view');
    assert.equal(status.text, '$(server-environment) SCIM: dev', 'a second profiles file (broken) leaves the only valid profile active');
    const d = diagnostics.get('/w/more/scim-profiles-broken.yaml');
    assert.equal(d?.length, 1);
    assert.deepEqual([d[0]!.range.start.line, d[0]!.range.start.character], [3, 4]);
    assert.match(d[0]!.message, /unknown key "sendAs"/);
    assert.equal(diagnostics.has('/w/scim-profiles.yaml'), false, 'a file without problems has no diagnostics');
  } finally {
    for (const s of context.subscriptions) s.dispose();
    await ext.deactivate();
  }
});
