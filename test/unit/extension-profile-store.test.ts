// test-isolation: own process (a fake `vscode` through the module loader, and the extension modules required with it)
// The profile store with a fake `vscode` (files, secret storage, prompts recorded): reading asks for nothing, a
// profile's first use asks for its missing secret once, a save announces only the profiles it changed, and a
// secret stored on first use does not count as a change (no second Discover).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import Module from 'node:module';
// types only at the top (erased): the modules themselves are required once the fake `vscode` is in place
import type * as ProfilesModule from '../../src/extension/profiles';
import type * as SecretsModule from '../../src/extension/secrets';

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

const files = new Map<string, string>();
const stored = new Map<string, string>();
const storageEvents = new EventEmitter<{ key: string }>();
const asked: string[] = [];
const modals: string[] = [];
let answer: string | undefined;
const fake = {
  EventEmitter,
  workspace: {
    isTrusted: true, workspaceFolders: [{ uri: { fsPath: '/w' } }],
    getConfiguration: () => ({ get: <T>(_k: string, d?: T) => d, inspect: () => undefined }),
    onDidChangeConfiguration: () => ({ dispose() {} }), onDidGrantWorkspaceTrust: () => ({ dispose() {} }),
    onDidChangeWorkspaceFolders: () => ({ dispose() {} }),
    createFileSystemWatcher: () => ({ dispose() {}, onDidChange: () => ({ dispose() {} }), onDidCreate: () => ({ dispose() {} }), onDidDelete: () => ({ dispose() {} }) }),
    findFiles: async () => [...files.keys()].map((f) => ({ fsPath: f, toString: () => `file://${f}` })),
    fs: { readFile: async (uri: { fsPath: string }) => new TextEncoder().encode(files.get(uri.fsPath) ?? '') },
  },
  window: {
    showInputBox: async (o: { title?: string }) => { asked.push(o.title ?? ''); return answer; },
    showWarningMessage: async (m: string) => { modals.push(m); return undefined; },
  },
  commands: { executeCommand: async () => undefined },
};

const M = Module as unknown as { _load: (request: string, parent: unknown, isMain: boolean) => unknown };
const load = M._load;
before(() => {
  M._load = function (this: unknown, request: string, parent: unknown, isMain: boolean) {
    return request === 'vscode' ? fake : load.call(this, request, parent, isMain);
  };
});
after(() => { M._load = load; });

const log = { info() {}, warn() {}, error() {} };
const file = (host: string, other = 'b.example.com'): string => [
  'profiles:',
  '  a:', `    baseUrl: https://${host}/scim`, '    gateway:', '      subscriptionKey: ${secret:a-key}',
  '  b:', `    baseUrl: https://${other}/scim`, '',
].join('\n');

async function store() {
  /* eslint-disable @typescript-eslint/no-require-imports -- loaded after the fake vscode is in place */
  const { Secrets } = require('../../src/extension/secrets') as typeof SecretsModule;
  const { ProfileStore } = require('../../src/extension/profiles') as typeof ProfilesModule;
  /* eslint-enable @typescript-eslint/no-require-imports */
  const storage = {
    get: async (k: string) => stored.get(k),
    store: async (k: string, v: string) => { stored.set(k, v); storageEvents.fire({ key: k }); },
    delete: async (k: string) => { stored.delete(k); },
    onDidChange: storageEvents.event,
  };
  const secrets = new Secrets(storage);
  return new ProfileStore(secrets, log as never);
}

const changes = (s: { onDidChange: (l: (c: { changed: ReadonlySet<string> | undefined }) => void) => unknown }) => {
  const seen: Array<string[] | undefined> = [];
  s.onDidChange((c) => seen.push(c.changed ? [...c.changed].sort() : undefined));
  return seen;
};
const settle = (ms = 250) => new Promise((r) => setTimeout(r, ms));

test('reading asks nothing; first use asks the missing secret once; a save refreshes only what it changed', async () => {
  files.set('/w/scim-profiles.yaml', file('a.example.com'));
  const s = await store();
  const seen = changes(s);
  try {
    const set = await s.load();
    assert.deepEqual(set.profiles.map((p) => p.name), ['a', 'b'], 'the profile with a missing secret is listed');
    assert.deepEqual(set.unsetSecrets.get('a'), ['a-key']);
    assert.deepEqual([asked, modals], [[], []], 'reading asked nothing');
    assert.deepEqual(set.files.map((f) => [f.file, f.problems.length]), [['/w/scim-profiles.yaml', 0]]);

    answer = 'the-key-value';
    const a = await s.forUse('a');
    assert.equal(a?.gateway.subscriptionKey, 'the-key-value');
    assert.deepEqual(asked, ['SCIM secret "a-key"'], 'asked once, on first use');
    assert.equal((await s.forUse('a'))?.gateway.subscriptionKey, 'the-key-value');
    assert.equal(asked.length, 1, 'not asked again');
    await settle(); // the store's own reload after the secret was stored
    assert.deepEqual(seen, [[]], 'storing the secret on first use changed no profile (no second Discover)');

    files.set('/w/scim-profiles.yaml', file('a.example.com', 'b2.example.com'));
    s.reload(0);
    await settle(50);
    assert.deepEqual(seen.at(-1), ['b'], 'a save that edits b refreshes b only');
    assert.equal((await s.get('a'))?.gateway.subscriptionKey, 'the-key-value', 'a keeps what its use resolved');

    files.set('/w/scim-profiles.yaml', `# a comment moves every line\n${file('a.example.com', 'b2.example.com')}`);
    s.reload(0);
    await settle(50);
    assert.deepEqual(seen.at(-1), [], 'lines that moved change nothing');
    assert.deepEqual(modals, [], 'no modal at any point');
  } finally {
    s.dispose();
  }
});

test('a problem in a profiles file is kept with its file and text for the Problems panel', async () => {
  files.clear();
  files.set('/w/scim-profiles.yaml', 'profiles:\n  a:\n    baseUrl: https://a.example.com\n    bogus: 1\n');
  const s = await store();
  try {
    const set = await s.load();
    const [f] = set.files;
    assert.equal(f?.problems.length, 1);
    assert.deepEqual([f.problems[0]!.line, f.problems[0]!.column, f.problems[0]!.key], [4, 5, 'profiles.a.bogus']);
    assert.equal(f.text, files.get('/w/scim-profiles.yaml'));
  } finally {
    s.dispose();
  }
});

test('a stored secret bound for a host it was not approved for: no modal while reading, asked on use; Cancel shows the refusal', async () => {
  files.clear();
  files.set('/w/scim-profiles.yaml', file('new-host.example.com'));
  stored.set('scim.secret.a-key', 'stored-value');
  modals.length = 0;
  /* eslint-disable @typescript-eslint/no-require-imports -- loaded after the fake vscode is in place */
  const { Secrets } = require('../../src/extension/secrets') as typeof SecretsModule;
  const { ProfileStore } = require('../../src/extension/profiles') as typeof ProfilesModule;
  /* eslint-enable @typescript-eslint/no-require-imports */
  const storage = { get: async (k: string) => stored.get(k), store: async () => undefined, delete: async () => undefined, onDidChange: storageEvents.event };
  const memento = new Map<string, unknown>();
  const s = new ProfileStore(new Secrets(storage), log as never, { get: (k: string) => memento.get(k), update: async (k: string, v: unknown) => { memento.set(k, v); } } as never);
  try {
    const set = await s.load();
    assert.deepEqual(set.profiles.map((p) => p.name), ['a', 'b']);
    assert.deepEqual(modals, [], 'reading asked nothing');
    await assert.rejects(s.forUse('a'), /not approved/);
    assert.deepEqual(modals, ['Send secret a-key to https://new-host.example.com?']);
    await settle(50);
    const after = await s.load();
    assert.deepEqual(after.profiles.map((p) => p.name), ['b']);
    assert.match(after.errors.find((e) => e.name === 'a')?.problems[0]?.message ?? '', /was not approved for https:\/\/new-host\.example\.com/);
    assert.equal(modals.length, 1, 'refused once: not asked again while reading');
  } finally {
    s.dispose();
  }
});
