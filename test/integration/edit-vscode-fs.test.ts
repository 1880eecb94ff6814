// test-isolation: own process (a fake `vscode` through the module loader, and the extension modules required with it)
// The `scim:` FileSystemProvider (src/extension/edit/fs.ts) with a fake `vscode` module and a real client against
// the sandbox: reading once (stat never reads again), saving as a confirmed minimal PATCH, refusals that ask
// nothing and send nothing, a conflict that opens the compare and overwrites nothing, read-only discovery
// documents. The same flow in a real VS Code is test/e2e/edit.test.ts.
import assert from 'node:assert/strict';
import Module from 'node:module';
import { after, before, describe, test } from 'node:test';
import { ScimClient } from '../../src/core/scim/client';
import { Trace } from '../../src/core/trace';
import type * as FsModule from '../../src/extension/edit/fs';
import { resourcePath, serviceDocPath } from '../../src/extension/resource-path';
import { sandboxProfile } from '../helpers/profile';
import { call, goodHeaders, PATCH_OP, startTestSandbox, type Sandbox } from '../helpers/sandbox';

type Listener<T> = (e: T) => void;
class EventEmitter<T> {
  private listeners: Array<Listener<T>> = [];
  readonly event = (l: Listener<T>) => { this.listeners.push(l); return { dispose: () => { this.listeners = this.listeners.filter((x) => x !== l); } }; };
  fire(e: T): void { for (const l of [...this.listeners]) l(e); }
  dispose(): void { this.listeners = []; }
}
class Uri {
  constructor(readonly scheme: string, readonly path: string) {}
  static from(c: { scheme: string; path: string }): Uri { return new Uri(c.scheme, c.path); }
  toString(): string { return `${this.scheme}:${this.path}`; }
}
class FileSystemError extends Error {
  static NoPermissions(m?: unknown): FileSystemError { return new FileSystemError(`NoPermissions: ${String(m)}`); }
  static FileIsADirectory(m?: unknown): FileSystemError { return new FileSystemError(`FileIsADirectory: ${String(m)}`); }
}
const commands: unknown[][] = [];
const fake = {
  EventEmitter, Uri, FileSystemError,
  Disposable: class { constructor(readonly dispose: () => void) {} },
  FileType: { File: 1, Directory: 2 }, FileChangeType: { Changed: 1 }, FilePermission: { Readonly: 1 }, ProgressLocation: { Notification: 15 },
  window: {
    withProgress: (_o: unknown, task: (p: unknown, token: { onCancellationRequested: () => void }) => unknown) => task({}, { onCancellationRequested: () => undefined }),
    showTextDocument: async () => undefined,
  },
  workspace: { textDocuments: [] },
  commands: { executeCommand: async (...args: unknown[]) => { commands.push(args); } },
};
const M = Module as unknown as { _load: (request: string, parent: unknown, isMain: boolean) => unknown };
const load = M._load;

describe('the scim: FileSystemProvider: open, save as a confirmed minimal PATCH, conflicts', () => {
  let sb: Sandbox;
  let client: ScimClient;
  let fsmod: typeof FsModule;
  let fs: FsModule.ScimFileSystem;
  const asked: string[] = [];
  const said: string[] = [];
  let answer = true;
  const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v, null, 2));
  const dec = (b: Uint8Array) => JSON.parse(new TextDecoder().decode(b)) as Record<string, unknown>;
  const stored = async (path: string) => (await call(sb, 'GET', path)).json() as Record<string, unknown>;
  const writes = () => sb.received.filter((r) => r.method === 'PATCH' || r.method === 'PUT');

  before(async () => {
    M._load = function (this: unknown, request: string, parent: unknown, isMain: boolean) {
      return request === 'vscode' ? fake : load.call(this, request, parent, isMain);
    };
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    fsmod = require('../../src/extension/edit/fs') as typeof FsModule;
    sb = await startTestSandbox({ users: 6, groups: 1 });
    client = new ScimClient(sandboxProfile(sb), { trace: new Trace() });
    const clients = { get: async () => client };
    const log = { info() {}, warn() {}, error() {} };
    fs = new fsmod.ScimFileSystem(clients as never, log as never, {
      confirm: async (title, detail) => { asked.push(`${title}\n${detail}`); return answer; },
      info: (m) => { said.push(m); },
      warn: (m) => { said.push(m); },
    });
  });
  after(async () => {
    M._load = load;
    fs?.dispose();
    await client?.close();
    await sb?.stop();
  });

  test('open: read once; stat does not read again; a save is confirmed with the PatchOp, sent, verified', async () => {
    const uid = sb.userIdByName('user0002')!;
    const uri = Uri.from({ scheme: 'scim', path: resourcePath('sandbox', 'Users', uid, 'user0002') });
    sb.clearReceived();
    const st = await fs.stat(uri as never);
    const doc = dec(await fs.readFile(uri as never));
    assert.equal(doc.userName, 'user0002');
    assert.equal((await fs.stat(uri as never)).mtime, st.mtime);
    assert.equal(sb.received.filter((r) => r.url.includes(`/Users/${uid}`)).length, 1, 'read once');
    assert.equal(st.permissions, undefined, 'editable');

    sb.clearReceived();
    await fs.writeFile(uri as never, enc({ ...doc, title: 'Saved from VS Code' }));
    assert.match(asked.at(-1)!, /^Save user0002 to sandbox\? This sends:\nsends: PATCH Users\//);
    assert.match(asked.at(-1)!, /"op": "add",\s+"path": "title",\s+"value": "Saved from VS Code"/);
    assert.match(said.at(-1)!, /^Saved user0002: PATCH 1 operation\(s\), verified\.$/);
    assert.equal((await stored(`/Users/${uid}`)).title, 'Saved from VS Code');
    const saved = dec(await fs.readFile(uri as never));
    assert.equal(saved.title, 'Saved from VS Code', 'the document shows the server\'s version');

    // cancelled: nothing sent, the save fails
    answer = false;
    sb.clearReceived();
    try {
      await assert.rejects(fs.writeFile(uri as never, enc({ ...saved, title: 'Not this' })), /Not saved: cancelled, nothing sent/);
    } finally {
      answer = true;
    }
    assert.equal(writes().length, 0);
  });

  test('a readOnly attribute changed: refused, named, nothing asked, nothing sent', async () => {
    const uid = sb.userIdByName('user0003')!;
    const uri = Uri.from({ scheme: 'scim', path: resourcePath('sandbox', 'Users', uid, 'user0003') });
    const doc = dec(await fs.readFile(uri as never));
    const before = asked.length;
    sb.clearReceived();
    await assert.rejects(fs.writeFile(uri as never, enc({ ...doc, groups: [{ value: 'x' }] })), /Nothing sent: the edit changes groups \(readOnly\)/);
    assert.equal(asked.length, before, 'nothing asked');
    assert.equal(writes().length, 0);
    await assert.rejects(fs.writeFile(uri as never, new TextEncoder().encode('{ not json')), /is not valid JSON/);
  });

  test('someone else changed it: the compare opens (server\'s now ↔ yours), nothing is overwritten; saving again sends yours', async () => {
    const uid = sb.userIdByName('user0004')!;
    const uri = Uri.from({ scheme: 'scim', path: resourcePath('sandbox', 'Users', uid, 'user0004') });
    const doc = dec(await fs.readFile(uri as never));
    await new Promise((r) => setTimeout(r, 5));
    const res = await call(sb, 'PATCH', `/Users/${uid}`, { headers: goodHeaders(sb), body: { schemas: [PATCH_OP], Operations: [{ op: 'add', path: 'nickName', value: 'theirs' }] } });
    assert.equal(res.status, 200);
    sb.clearReceived();
    commands.length = 0;
    const mine = { ...doc, title: 'mine' };
    await assert.rejects(fs.writeFile(uri as never, enc(mine)), /Not saved: Users\/.* changed on the server since it was read .*nothing was sent/);
    assert.equal(writes().length, 0, 'nothing sent');
    const diff = commands.find((c) => c[0] === 'vscode.diff');
    assert.ok(diff, 'the compare opened');
    assert.equal(String(diff[2]), uri.toString(), 'yours on the right');
    assert.match(String(diff[3]), /user0004: server's now ↔ yours/);
    const left = fs.versions.provideTextDocumentContent(diff[1] as never);
    assert.equal((JSON.parse(left) as { nickName?: unknown }).nickName, 'theirs', 'the server\'s now on the left');
    assert.match(said.at(-1)!, /changed on the server since you opened it: nothing was overwritten/);
    assert.equal((await stored(`/Users/${uid}`)).nickName, 'theirs');
    // saved again: against the server's now, so the confirmation shows it removes their nickName
    await fs.writeFile(uri as never, enc(mine));
    assert.match(asked.at(-1)!, /"op": "remove",\s+"path": "nickName"/);
    const now = await stored(`/Users/${uid}`);
    assert.equal(now.title, 'mine');
  });

  test('discovery documents are read-only', async () => {
    const uri = Uri.from({ scheme: 'scim', path: serviceDocPath('sandbox', 'ServiceProviderConfig') });
    const st = await fs.stat(uri as never);
    assert.equal(st.permissions, 1);
    assert.ok('patch' in dec(await fs.readFile(uri as never)));
    await assert.rejects(Promise.resolve().then(() => fs.writeFile(uri as never, enc({}))), /NoPermissions/);
  });
});
